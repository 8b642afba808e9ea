/* config_file — the config file: one "directive value..." per line, '#'
 * starts a comment, "double quotes" hold spaces; "site NAME... {" to "}"
 * encloses the directives of one site (config_sites.h). Every error is
 * reported as FILE:LINE: what, and all of them at once. */
#ifndef SWITCHBOARD_CONFIG_FILE_H
#define SWITCHBOARD_CONFIG_FILE_H

#include <stdio.h>

#include "config_table.h"

/* The most values one directive takes on a line. */
#define CONFIG_MAX_VALUES 16

/* Read a config file over cfg: the top level's values into cfg, the site
 * blocks (checked, not yet resolved) into cfg->sites. Returns the number of
 * errors reported on err. */
int config_parse_file(struct config *cfg, const char *path, FILE *err);

/* Split a line into at most max words: whitespace separates, '#' starts a
 * comment, and "double quotes" hold spaces (with \" and \\ inside). Words
 * are written into the line itself. Returns the count, or -1 with msg. */
int config_split_words(char *line, char **words, int max, char *msg, size_t msg_size);

#endif
