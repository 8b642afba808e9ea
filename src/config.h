/* config — the server's settings: built-in defaults, then the config file
 * (-c FILE), then the command line.
 *
 * The parts, one concern each, and what this header gathers for the rest of
 * the server:
 *   config_table   struct config, the directive table, defaults, origins
 *   config_values  durations, sizes, counts and choices read from text
 *   config_file    the config file, with FILE:LINE errors
 *   config_sites   the site blocks (virtual hosts), each site's settings
 *   cmdline        the command line, and config_load over all three
 *   config_check   what -t checks on the system
 *   config_diff    what a reload cannot apply
 * and, for those parts only, not gathered here:
 *   config_directive  one row of the table
 *   config_setters    the functions the rows name: what each directive accepts */
#ifndef SWITCHBOARD_CONFIG_H
#define SWITCHBOARD_CONFIG_H

#include "config_table.h"
#include "config_values.h"
#include "config_file.h"
#include "config_sites.h"
#include "cmdline.h"
#include "config_check.h"
#include "config_diff.h"

#endif
