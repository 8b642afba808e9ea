/* config_sites — the site blocks of the config file (virtual hosts):
 *
 *     root /srv/default            # the top level: the default site
 *     site example.com www.example.com {
 *         root /srv/example
 *         listing on
 *     }
 *
 * A block holds only the directives marked per-site in the table. Each site's
 * settings are a whole struct config of its own, made by replaying lines: the
 * defaults, every directive line of the top level (wherever in the file it
 * is), the command line, then the block's own lines. A directive the block
 * gives replaces the inherited value (a list, like add_header, is the block's
 * alone); one it does not give is the top level's. So a new per-site
 * directive needs nothing here: only its row's flag. */
#ifndef SWITCHBOARD_CONFIG_SITES_H
#define SWITCHBOARD_CONFIG_SITES_H

#include <stdio.h>

#include "config_table.h"

/* Directive lines as written, each with its line number. */
struct config_line {
	int lineno;
	char *text;
};

struct config_lines {
	struct config_line *items;
	size_t count, cap;
};

struct config_site {
	int line;     /* its "site" line */
	char **names; /* canonical (vhost_name_check) */
	size_t name_count;
	struct config_lines lines; /* the block's directive lines */
	struct config *cfg;        /* its settings: NULL until config_sites_resolve */
};

struct config_sites {
	struct config_lines top; /* the top level's directive lines */
	struct config_site *items;
	size_t count, cap;
};

/* Number of site blocks in cfg (0 without any). */
size_t config_site_count(const struct config *cfg);

/* The settings of site i (NULL until resolved by config_load), and its
 * block (names, line). */
const struct config *config_site_settings(const struct config *cfg, size_t i);
const struct config_site *config_site(const struct config *cfg, size_t i);

/* Keep a copy of a line: 0, or -1 when out of memory. */
int config_lines_add(struct config_lines *lines, int lineno, const char *text);

/* A new, empty site block opened at line: NULL when out of memory. */
struct config_site *config_sites_open(struct config_sites *sites, int line);

/* Add a canonical name to site. 0, or -1 when out of memory. */
int config_site_add_name(struct config_site *site, const char *name);

/* The site block (in any site of sites) that has name, or NULL. */
const struct config_site *config_sites_find_name(const struct config_sites *sites,
                                                 const char *name);

/* Apply lines to cfg as a layer of their own: the first line of a repeatable
 * directive replaces what the layers below gave. Returns the errors reported
 * on err as FILE:LINE: what (none for lines checked when read). */
int config_lines_replay(struct config *cfg, const struct config_lines *lines, bool own_layer,
                        FILE *err);

void config_sites_free(struct config_sites *sites);

#endif
