/* site — the sites the server serves (virtual hosts), built from the
 * settings: the default site (the config file's top level) and one site per
 * site block, each with its own document root and per-site policies, and the
 * choice of one for a request's host (vhost.h).
 *
 * Each site has a file cache of its own (file_cache bytes, a per-site
 * setting): entries are keyed on the path below the root, so a shared cache
 * would need the site in every key to keep one site from ever being served
 * another's file, and a deploy that switches one site's root (which empties
 * its cache) would empty every site's. Separate caches make both impossible
 * by construction, and a busy site cannot evict a quiet one's files. */
#ifndef SWITCHBOARD_SITE_H
#define SWITCHBOARD_SITE_H

#include <stdbool.h>
#include <stddef.h>

#include "config_table.h"
#include "cors.h"
#include "static.h"
#include "vhost.h"

struct mime_types;

struct site {
	const char *name;         /* its first name, for messages; "default" for the default site */
	struct static_site files; /* its root and how files are served from it (owned) */
	/* Per-site policies, each built from the site's settings. */
	struct cors_policy *cors;           /* owned; NULL: CORS is off */
	const struct auth_rule *auth_rules; /* auth_basic (from its settings) */
	size_t auth_rule_count;
};

struct site_table {
	struct site *sites; /* sites[0] is the default site */
	size_t count;
	struct vhost_map names;  /* the site blocks' names; empty without blocks */
	struct mime_types *mime; /* mime_types applies to the whole server: one table */
};

/* Open every site of cfg (each root, each cache). All or nothing: 0, or -1
 * with "SITE: ROOT: reason" in err and t left empty. */
int site_table_open(struct site_table *t, const struct config *cfg, char *err, size_t err_size);

void site_table_close(struct site_table *t);

/* The site for a request's host (a Host value or an absolute-form target's
 * authority, len bytes, possibly with a port): the default site when no
 * site block names it. */
const struct site *site_table_pick(const struct site_table *t, const char *host, size_t len);

/* A single site: the host needs no look at all. */
static inline bool site_table_single(const struct site_table *t)
{
	return vhost_map_empty(&t->names);
}

#endif
