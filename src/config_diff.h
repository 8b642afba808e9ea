/* config_diff — what a reload (SIGHUP) cannot apply: the directives that need
 * a restart, compared between the running settings and the new ones. */
#ifndef SWITCHBOARD_CONFIG_DIFF_H
#define SWITCHBOARD_CONFIG_DIFF_H

#include <stddef.h>

#include "config_table.h"

/* Directives whose new value a reload cannot apply: written to out, joined by ", ". */
void config_restart_needed(const struct config *old, const struct config *new_cfg, char *out,
                           size_t size);

/* After a reload: what needs a restart stays as it runs (so that the next
 * reload compares against what is really in force). */
void config_keep_restart_values(struct config *next, const struct config *running);

#endif
