#include "autoconfig.h"

#include "site.h"

#include "config_sites.h"
#include "filecache.h"
#include "mime.h"
#include "urlpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Files up to this size are kept in memory when the cache is on. */
#define FILE_CACHE_MAX_FILE ((size_t)256 * 1024)

/* ------------------------------------------------------------ one site */

/* How the static responder serves a site: read from the site's settings. */
static void static_settings(const struct config *cfg, const struct mime_types *mime,
                            struct static_site *files)
{
	static const enum symlink_policy policies[] = {
	    [FOLLOW_NEVER] = SYMLINKS_NEVER,
	    [FOLLOW_INSIDE_ROOT] = SYMLINKS_INSIDE_ROOT,
	    [FOLLOW_ALWAYS] = SYMLINKS_ALWAYS,
	};
	memset(files, 0, sizeof *files);
	files->root_fd = -1;
	files->mime = mime;
	files->default_type = cfg->default_type;
	files->urlpath_flags = cfg->hidden_files ? URLPATH_ALLOW_HIDDEN : 0;
	files->symlinks = policies[cfg->follow_symlinks];
	files->index_names = (const char *const *)cfg->index;
	files->index_count = cfg->index_count;
	files->charset = strcmp(cfg->charset, "off") == 0 ? NULL : cfg->charset;
	files->precompressed = cfg->precompressed;
	files->listing = cfg->listing;
	files->headers = cfg->headers;
	files->header_count = cfg->header_count;
	files->error_pages = cfg->error_pages;
	files->error_page_count = cfg->error_page_count;
	files->redirects = cfg->redirects;
	files->redirect_count = cfg->redirect_count;
	files->fallback = &cfg->fallback;
}

/* The site's CORS policy (cors.h): none when it allows no origin. 0, or -1
 * when out of memory. */
static int cors_settings(const struct config *cfg, struct site *site)
{
	const struct cors_settings s = {
	    .origins = (const char *const *)cfg->cors_origins.items,
	    .origin_count = cfg->cors_origins.count,
	    .headers = (const char *const *)cfg->cors_headers.items,
	    .header_count = cfg->cors_headers.count,
	    .expose = (const char *const *)cfg->cors_expose_headers.items,
	    .expose_count = cfg->cors_expose_headers.count,
	    .max_age_seconds = cfg->cors_max_age_ms / 1000,
	};
	site->cors = NULL;
	if (s.origin_count == 0)
		return 0;
	site->cors = malloc(sizeof *site->cors);
	if (site->cors == NULL)
		return -1;
	if (!cors_policy_build(site->cors, &s)) {
		free(site->cors);
		site->cors = NULL;
	}
	return 0;
}

static void site_close(struct site *site)
{
	free(site->cors);
	site->cors = NULL;
	filecache_free(site->files.cache);
	site->files.cache = NULL;
	static_site_close(&site->files);
}

/* A site from its settings (cfg outlives it): 0, or -1 with err. */
static int site_open(struct site *site, const char *name, const struct config *cfg,
                     const struct mime_types *mime, char *err, size_t err_size)
{
	site->name = name;
	site->auth_rules = cfg->auth_rules;
	site->auth_rule_count = cfg->auth_rule_count;
	static_settings(cfg, mime, &site->files);
	if (cors_settings(cfg, site) < 0) {
		snprintf(err, err_size, "out of memory for the CORS policy");
		return -1;
	}
	if (cfg->file_cache > 0 &&
	    (site->files.cache = filecache_new(cfg->file_cache, FILE_CACHE_MAX_FILE)) == NULL) {
		snprintf(err, err_size, "out of memory for the file cache");
		site_close(site);
		return -1;
	}
	if (static_site_open(&site->files, cfg->root, err, err_size) < 0) {
		site_close(site);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ the table */

/* The system's table when there is one; the built-in one otherwise. */
static struct mime_types *load_mime(const struct config *cfg, char *err, size_t err_size)
{
	const char *path = cfg->mime_types;
	if (!config_is_set(cfg, "mime_types") && access(path, R_OK) != 0)
		path = NULL;
	return mime_types_load(path, err, err_size);
}

/* Every name of every site block, and the site (its index in t) it names. */
static int build_names(struct site_table *t, const struct config *cfg)
{
	size_t count = 0;
	for (size_t i = 0; i < config_site_count(cfg); i++)
		count += config_site(cfg, i)->name_count;
	if (count == 0) /* no site blocks: the map stays empty */
		return 0;
	const char **names = calloc(count, sizeof *names);
	size_t *sites = calloc(count, sizeof *sites);
	int rc = -1;
	if (names != NULL && sites != NULL) {
		size_t n = 0;
		for (size_t i = 0; i < config_site_count(cfg); i++) {
			const struct config_site *block = config_site(cfg, i);
			for (size_t j = 0; j < block->name_count; j++, n++) {
				names[n] = block->names[j];
				sites[n] = i + 1;
			}
		}
		rc = vhost_map_build(&t->names, names, sites, count);
	}
	free(names);
	free(sites);
	return rc;
}

static int open_sites(struct site_table *t, const struct config *cfg, char *err, size_t err_size)
{
	char why[512];
	for (size_t i = 0; i < t->count; i++) {
		const struct config *settings = i == 0 ? cfg : config_site_settings(cfg, i - 1);
		const char *name = i == 0 ? "default" : config_site(cfg, i - 1)->names[0];
		if (site_open(&t->sites[i], name, settings, t->mime, why, sizeof why) < 0) {
			if (config_site_count(cfg) == 0)
				snprintf(err, err_size, "%s", why);
			else
				snprintf(err, err_size, "site %s: %s", name, why);
			while (i-- > 0)
				site_close(&t->sites[i]);
			return -1;
		}
	}
	return 0;
}

int site_table_open(struct site_table *t, const struct config *cfg, char *err, size_t err_size)
{
	memset(t, 0, sizeof *t);
	t->count = 1 + config_site_count(cfg);
	t->mime = load_mime(cfg, err, err_size);
	if (t->mime == NULL)
		return -1;
	t->sites = calloc(t->count, sizeof *t->sites);
	if (t->sites == NULL || build_names(t, cfg) < 0) {
		snprintf(err, err_size, "out of memory for the sites");
		free(t->sites);
		mime_types_free(t->mime);
		memset(t, 0, sizeof *t);
		return -1;
	}
	if (open_sites(t, cfg, err, err_size) < 0) {
		vhost_map_free(&t->names);
		free(t->sites);
		mime_types_free(t->mime);
		memset(t, 0, sizeof *t);
		return -1;
	}
	return 0;
}

void site_table_close(struct site_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		site_close(&t->sites[i]);
	free(t->sites);
	vhost_map_free(&t->names);
	mime_types_free(t->mime);
	memset(t, 0, sizeof *t);
}

const struct site *site_table_pick(const struct site_table *t, const char *host, size_t len)
{
	if (site_table_single(t))
		return &t->sites[0];
	char name[VHOST_NAME_MAX + 1];
	size_t name_len = vhost_canonical(host, len, name, sizeof name);
	size_t i = name_len > 0 ? vhost_map_find(&t->names, name, name_len, 0) : 0;
	return &t->sites[i];
}
