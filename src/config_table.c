#include "autoconfig.h"

#include "config_directive.h"
#include "config_table.h"
#include "config_setters.h"
#include "config_sites.h"

#include "loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The connection limits: what select() can watch, less what the server keeps
 * open besides connections. */
#define MAX_CONNECTIONS_LIMIT (LOOP_MAX_FD - CONFIG_FD_RESERVED)

/* ------------------------------------------------------------ fields */

void *config_field(struct config *cfg, const struct directive *d)
{
	return (char *)cfg + d->offset;
}

const void *config_const_field(const struct config *cfg, const struct directive *d)
{
	return (const char *)cfg + d->offset;
}

/* ------------------------------------------------------------ the table */

#define FIELD(f) .offset = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f)
#define TEXT(f) .storage = STORE_TEXT, .clear = config_clear_text, FIELD(f)
#define SCALAR(f) .storage = STORE_SCALAR, FIELD(f)
#define ONE_VALUE .least = 1, .most = 1
/* An enum's field, set by name; the names are in the order of its values. */
#define CHOICE(f, names)                                                                           \
	.set = config_set_choice, .storage = STORE_SCALAR, FIELD(f), .choices = (names), ONE_VALUE

static const char *const log_level_names[] = {
    [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARN] = "warn",    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug", [LOG_LEVEL_DEBUG + 1] = NULL,
};
static const char *const hidden_files_names[] = {
    [HIDDEN_FILES_DENY] = "deny",
    [HIDDEN_FILES_ALLOW] = "allow",
    [HIDDEN_FILES_ALLOW + 1] = NULL,
};
static const char *const follow_symlinks_names[] = {
    [FOLLOW_NEVER] = "never",
    [FOLLOW_INSIDE_ROOT] = "inside-root",
    [FOLLOW_ALWAYS] = "always",
    [FOLLOW_ALWAYS + 1] = NULL,
};
static const char *const real_client_header_names[] = {
    [REAL_CLIENT_OFF] = "off",
    [REAL_CLIENT_X_FORWARDED_FOR] = "x-forwarded-for",
    [REAL_CLIENT_FORWARDED] = "forwarded",
    [REAL_CLIENT_FORWARDED + 1] = NULL,
};
static const char *const sendfile_names[] = {
    [SENDFILE_ON] = "on",
    [SENDFILE_OFF] = "off",
    [SENDFILE_REMOTE] = "remote",
    [SENDFILE_REMOTE + 1] = NULL,
};

/* config_set_choice stores an int. */
_Static_assert(sizeof(enum log_level) == sizeof(int) && sizeof(enum hidden_files) == sizeof(int) &&
                   sizeof(enum follow_symlinks) == sizeof(int) &&
                   sizeof(enum real_client_header) == sizeof(int) &&
                   sizeof(enum sendfile_use) == sizeof(int),
               "enums set by name are int-sized");

static const struct directive directives[] = {
    [DIRECTIVE_LISTEN] = {"listen", config_add_listen, config_clear_listen, STORE_LISTEN,
                          FIELD(listen), .def = "127.0.0.1:8080", .repeat = true, .least = 1,
                          .most = 2},
    [DIRECTIVE_ROOT] = {"root", config_set_text, TEXT(root), .def = ".", .reload = true,
                        .site = true, ONE_VALUE},
    [DIRECTIVE_INDEX] = {"index", config_set_index, config_clear_index, STORE_LIST, FIELD(index),
                         .def = "index.html", .reload = true, .site = true, .least = 1,
                         .most = CONFIG_MAX_INDEX},
    [DIRECTIVE_USER] = {"user", config_set_text, TEXT(user), .def = "nobody", ONE_VALUE},
    [DIRECTIVE_GROUP] = {"group", config_set_text, TEXT(group), .def = "nogroup", ONE_VALUE},
    [DIRECTIVE_CHROOT] = {"chroot", config_set_text, TEXT(chroot), ONE_VALUE},
    [DIRECTIVE_PIDFILE] = {"pidfile", config_set_text, TEXT(pidfile), ONE_VALUE},
    [DIRECTIVE_ACCESS_LOG] = {"access_log", config_set_access_log, TEXT(access_log), .def = "off",
                              .reload = true, ONE_VALUE},
    [DIRECTIVE_ERROR_LOG] = {"error_log", config_set_error_log, TEXT(error_log), .def = "stderr",
                             .reload = true, ONE_VALUE},
    [DIRECTIVE_LOG_LEVEL] = {"log_level", CHOICE(log_level, log_level_names), .def = "info",
                             .reload = true},
    [DIRECTIVE_WORKERS] = {"workers", config_set_count, SCALAR(workers), .def = "1", ONE_VALUE,
                           .max = 64},
    [DIRECTIVE_MAX_CONNECTIONS] = {"max_connections", config_set_count, SCALAR(max_connections),
                                   .def = "1000", .reload = true, ONE_VALUE,
                                   .max = MAX_CONNECTIONS_LIMIT},
    [DIRECTIVE_MAX_CONNECTIONS_PER_CLIENT] = {"max_connections_per_client", config_set_count,
                                              SCALAR(max_connections_per_client), .def = "256",
                                              .reload = true, ONE_VALUE,
                                              .max = MAX_CONNECTIONS_LIMIT},
    [DIRECTIVE_HEADER_TIMEOUT] = {"header_timeout", config_set_duration, SCALAR(header_timeout_ms),
                                  .def = "10s", .reload = true, ONE_VALUE},
    [DIRECTIVE_KEEPALIVE_TIMEOUT] = {"keepalive_timeout", config_set_duration,
                                     SCALAR(keepalive_timeout_ms), .def = "15s", .reload = true,
                                     ONE_VALUE},
    [DIRECTIVE_SEND_TIMEOUT] = {"send_timeout", config_set_duration, SCALAR(send_timeout_ms),
                                .def = "30s", .reload = true, ONE_VALUE},
    [DIRECTIVE_GRACEFUL_TIMEOUT] = {"graceful_timeout", config_set_duration,
                                    SCALAR(graceful_timeout_ms), .def = "10s", .reload = true,
                                    ONE_VALUE},
    [DIRECTIVE_KEEPALIVE] = {"keepalive", config_set_bool, SCALAR(keepalive), .def = "on",
                             .reload = true, ONE_VALUE},
    [DIRECTIVE_MAX_KEEPALIVE_REQUESTS] = {"max_keepalive_requests", config_set_count,
                                          SCALAR(max_keepalive_requests), .def = "1000",
                                          .reload = true, ONE_VALUE, .max = 1000000000},
    [DIRECTIVE_HIDDEN_FILES] = {"hidden_files", CHOICE(hidden_files, hidden_files_names),
                                .def = "deny", .reload = true, .site = true},
    [DIRECTIVE_FOLLOW_SYMLINKS] = {"follow_symlinks",
                                   CHOICE(follow_symlinks, follow_symlinks_names),
                                   .def = "inside-root", .reload = true, .site = true},
    [DIRECTIVE_MIME_TYPES] = {"mime_types", config_set_text, TEXT(mime_types),
                              .def = "/etc/mime.types", .reload = true, ONE_VALUE},
    [DIRECTIVE_DEFAULT_TYPE] = {"default_type", config_set_text, TEXT(default_type),
                                .def = "application/octet-stream", .reload = true, .site = true,
                                ONE_VALUE},
    [DIRECTIVE_CHARSET] = {"charset", config_set_text, TEXT(charset), .def = "off", .reload = true,
                           .site = true, ONE_VALUE},
    [DIRECTIVE_PRECOMPRESSED] = {"precompressed", config_set_bool, SCALAR(precompressed),
                                 .def = "off", .reload = true, .site = true, ONE_VALUE},
    [DIRECTIVE_LISTING] = {"listing", config_set_bool, SCALAR(listing), .def = "off",
                           .reload = true, .site = true, ONE_VALUE},
    [DIRECTIVE_FILE_CACHE] = {"file_cache", config_set_size, SCALAR(file_cache), .def = "16m",
                              .reload = true, .site = true, ONE_VALUE},
    [DIRECTIVE_SENDFILE] = {"sendfile", CHOICE(sendfile, sendfile_names), .def = "remote",
                            .reload = true},
    [DIRECTIVE_ADD_HEADER] = {"add_header", config_add_header, config_clear_headers, STORE_LIST,
                              FIELD(headers), .reload = true, .site = true, .repeat = true,
                              .least = 2, .most = 4},
    [DIRECTIVE_ERROR_PAGE] = {"error_page", config_add_error_page, config_clear_error_pages,
                              STORE_LIST, FIELD(error_pages), .reload = true, .site = true,
                              .repeat = true, .least = 2, .most = 2},
    [DIRECTIVE_HEALTH_PATH] = {"health_path", config_set_route_path, TEXT(health_path),
                               .def = "off", .reload = true, ONE_VALUE},
    [DIRECTIVE_HEALTH_LOG] = {"health_log", config_set_bool, SCALAR(health_log), .def = "off",
                              .reload = true, ONE_VALUE},
    [DIRECTIVE_METRICS_PATH] = {"metrics_path", config_set_route_path, TEXT(metrics_path),
                                .def = "off", .reload = true, ONE_VALUE},
    [DIRECTIVE_METRICS_ALLOW] = {"metrics_allow", config_set_networks, config_clear_networks,
                                 STORE_LIST, FIELD(metrics_allow), .def = "127.0.0.1 ::1",
                                 .reload = true, .least = 1, .most = CONFIG_MAX_NETWORKS},
    [DIRECTIVE_DEFER_ACCEPT] = {"defer_accept", config_set_delay, SCALAR(defer_accept_ms),
                                .def = "1s", .reload = true, ONE_VALUE},
    [DIRECTIVE_DRAIN_DELAY] = {"drain_delay", config_set_delay, SCALAR(drain_delay_ms), .def = "0",
                               .reload = true, ONE_VALUE},
    [DIRECTIVE_REDIRECT] = {"redirect", config_add_redirect, config_clear_redirects, STORE_LIST,
                            FIELD(redirects), .reload = true, .site = true, .repeat = true,
                            .least = 2, .most = 3},
    [DIRECTIVE_UNIX_SOCKET_MODE] = {"unix_socket_mode", config_set_file_mode,
                                    SCALAR(unix_socket_mode), .def = "0666", ONE_VALUE},
    [DIRECTIVE_UNIX_SOCKET_GROUP] = {"unix_socket_group", config_set_text, TEXT(unix_socket_group),
                                     ONE_VALUE},
    [DIRECTIVE_ACCESS_LOG_PROXY] = {"access_log_proxy", config_set_bool, SCALAR(access_log_proxy),
                                    .def = "off", .reload = true, ONE_VALUE},
    [DIRECTIVE_CORS_ORIGINS] = {"cors_origins", config_set_cors_origins, config_clear_cors_list,
                                STORE_LIST, FIELD(cors_origins), .reload = true, .least = 1,
                                .most = CORS_MAX_ORIGINS, .site = true},
    [DIRECTIVE_CORS_HEADERS] = {"cors_headers", config_set_cors_headers, config_clear_cors_list,
                                STORE_LIST, FIELD(cors_headers), .reload = true, .least = 1,
                                .most = CORS_MAX_HEADERS, .site = true},
    [DIRECTIVE_CORS_EXPOSE_HEADERS] = {"cors_expose_headers", config_set_cors_headers,
                                       config_clear_cors_list, STORE_LIST,
                                       FIELD(cors_expose_headers), .reload = true, .least = 1,
                                       .most = CORS_MAX_HEADERS, .site = true},
    [DIRECTIVE_CORS_MAX_AGE] = {"cors_max_age", config_set_delay, SCALAR(cors_max_age_ms),
                                .def = "10m", .reload = true, ONE_VALUE, .site = true},
    [DIRECTIVE_FALLBACK] = {"fallback", config_set_fallback, config_clear_fallback, STORE_LIST,
                            FIELD(fallback), .reload = true, .least = 1, .most = 2, .site = true},
    [DIRECTIVE_PROXY_TRUSTED] = {"proxy_trusted", config_set_networks, config_clear_networks,
                                 STORE_LIST, FIELD(proxy_trusted), .def = "127.0.0.1 ::1",
                                 .reload = true, .least = 1, .most = CONFIG_MAX_NETWORKS},
    [DIRECTIVE_REAL_CLIENT_HEADER] = {"real_client_header",
                                      CHOICE(real_client_header, real_client_header_names),
                                      .def = "off", .reload = true},
    [DIRECTIVE_AUTH_BASIC] = {"auth_basic", config_add_auth_basic, config_clear_auth_basic,
                              STORE_LIST, FIELD(auth_rules), .reload = true, .repeat = true,
                              .least = 3, .most = 3, .site = true},
};

_Static_assert(sizeof directives / sizeof directives[0] == DIRECTIVE_COUNT,
               "one row of the directive table for each enum directive_id");

const struct directive *config_directive(enum directive_id id)
{
	return &directives[id];
}

const struct directive *config_directive_find(const char *name)
{
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

enum directive_id config_directive_id(const struct directive *d)
{
	return (enum directive_id)(d - directives);
}

/* ------------------------------------------------------------ setting */

static int wrong_value_count(const struct directive *d, char *msg, size_t msg_size)
{
	if (d->most == 1)
		snprintf(msg, msg_size, "%s takes one value", d->name);
	else if (d->least == d->most)
		snprintf(msg, msg_size, "%s takes %d values", d->name, d->least);
	else
		snprintf(msg, msg_size, "%s takes %d to %d values", d->name, d->least, d->most);
	return -1;
}

/* The defaults, the config file and the command line: each a layer over the
 * one before. */
static int origin_layer(int origin)
{
	return origin > 0 ? 1 : origin;
}

int config_set_directive(struct config *cfg, const struct directive *d, char **values, int count,
                         int origin, char *msg, size_t msg_size)
{
	if (count < d->least || count > d->most)
		return wrong_value_count(d, msg, msg_size);
	int *last = &cfg->origin[config_directive_id(d)];
	/* A repeatable directive given again in the same layer adds a value;
	 * given in a later one (the command line over the file), it replaces. */
	if (d->repeat && origin_layer(*last) != origin_layer(origin))
		d->clear(cfg, d);
	if (d->set(cfg, d, values, count, msg, msg_size) < 0)
		return -1;
	*last = origin;
	return 0;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->linger_timeout_ms = 2000;
	cfg->max_discard_body = (uint64_t)64 * 1024;
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++) {
		const struct directive *d = &directives[i];
		if (d->def == NULL)
			continue;
		/* A default of several values is written with spaces between them. */
		char text[128], msg[128], *values[8], *save = NULL;
		int count = 0;
		snprintf(text, sizeof text, "%s", d->def);
		for (char *v = strtok_r(text, " ", &save); v != NULL && count < 8;
		     v = strtok_r(NULL, " ", &save))
			values[count++] = v;
		if (config_set_directive(cfg, d, values, count, ORIGIN_DEFAULT, msg, sizeof msg) <
		    0) {
			/* The table's defaults are valid; only memory can fail here. */
			fprintf(stderr, "switchboard: default %s: %s\n", d->name, msg);
			abort();
		}
	}
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++)
		if (directives[i].clear != NULL)
			directives[i].clear(cfg, &directives[i]);
	free(cfg->file);
	cfg->file = NULL;
	config_sites_free(cfg->sites);
	cfg->sites = NULL;
}

/* ------------------------------------------------------------ origins */

void config_origin(const struct config *cfg, const char *directive, char *out, size_t size)
{
	const struct directive *d = config_directive_find(directive);
	int origin = d != NULL ? cfg->origin[config_directive_id(d)] : ORIGIN_DEFAULT;
	if (origin > 0)
		snprintf(out, size, "%s:%d", cfg->file, origin);
	else
		snprintf(out, size, "%s",
		         origin == ORIGIN_COMMAND_LINE ? "command line" : "default");
}

bool config_is_set(const struct config *cfg, const char *directive)
{
	const struct directive *d = config_directive_find(directive);
	return d != NULL && cfg->origin[config_directive_id(d)] != ORIGIN_DEFAULT;
}
