/* config_check — what -t checks on the system, touching nothing: the root is
 * a directory, the user and group exist, log files can be opened, the
 * pidfile's directory exists. Each error names where the value came from. */
#ifndef SWITCHBOARD_CONFIG_CHECK_H
#define SWITCHBOARD_CONFIG_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "config_table.h"

/* Returns the number of errors reported on err. */
int config_check(const struct config *cfg, FILE *err);

/* The part of config_check a reload repeats: the root of every site (seen
 * from inside the chroot once the server is in it) and an explicit
 * mime_types file. */
int config_check_site(const struct config *cfg, bool inside_chroot, FILE *err);

/* What -t says of the site blocks: the default site's root, then each site's
 * names, where its block is and its root. Nothing without site blocks. */
void config_describe_sites(const struct config *cfg, FILE *out);

#endif
