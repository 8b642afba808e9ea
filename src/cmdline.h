/* cmdline — the command line, and the whole configuration it asks for:
 * defaults, then the file named by -c, then the other options over it. */
#ifndef SWITCHBOARD_CMDLINE_H
#define SWITCHBOARD_CMDLINE_H

#include <stdio.h>

#include "config_table.h"

enum config_result {
	CONFIG_OK,
	CONFIG_EXIT_SUCCESS, /* --help, --version or --list-directives was answered */
	CONFIG_USAGE_ERROR,  /* a bad command line: exit 64 (EX_USAGE) */
	CONFIG_FILE_ERROR,   /* a bad config file: exit 78 (EX_CONFIG) */
};

/* Defaults, then the file named by -c, then the rest of the command line;
 * relative paths are then taken from the directory switchboard started in.
 * Help and version go to out; every error goes to err ("FILE:LINE: what"). */
enum config_result config_load(struct config *cfg, int argc, char **argv, FILE *out, FILE *err);

#endif
