#include "autoconfig.h"

#include "config_directive.h"
#include "config_table.h"
#include "config_values.h"

#include "httpchars.h"
#include "loop.h"
#include "managed_headers.h"
#include "urlpath.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The connection limits: what select() can watch, less what the server keeps
 * open besides connections. */
#define MAX_CONNECTIONS_LIMIT (LOOP_MAX_FD - CONFIG_FD_RESERVED)

/* ------------------------------------------------------------ messages */

static int fail(char *msg, size_t msg_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes what is wrong into msg; returns -1 for the caller to return. */
static int fail(char *msg, size_t msg_size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msg_size, fmt, ap);
	va_end(ap);
	return -1;
}

static int out_of_memory(char *msg, size_t msg_size)
{
	return fail(msg, msg_size, "out of memory");
}

/* ------------------------------------------------------------ fields */

void *config_field(struct config *cfg, const struct directive *d)
{
	return (char *)cfg + d->offset;
}

const void *config_const_field(const struct config *cfg, const struct directive *d)
{
	return (const char *)cfg + d->offset;
}

int config_replace_string(char **slot, const char *value)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/* ------------------------------------------------------------ setters: one value */

/* root, user, chroot, ...: any text but empty or with control bytes. */
static int set_text(struct config *cfg, const struct directive *d, char **values, int count,
                    char *msg, size_t msg_size)
{
	(void)count;
	if (values[0][0] == '\0')
		return fail(msg, msg_size, "%s needs a non-empty value", d->name);
	if (config_has_control_byte(values[0]))
		return fail(msg, msg_size, "%s: control character in the value", d->name);
	if (config_replace_string(config_field(cfg, d), values[0]) < 0)
		return out_of_memory(msg, msg_size);
	return 0;
}

/* The access log can be off but not stderr, which the error log has. */
static int set_access_log(struct config *cfg, const struct directive *d, char **values, int count,
                          char *msg, size_t msg_size)
{
	if (strcmp(values[0], "stderr") == 0)
		return fail(msg, msg_size, "%s cannot be '%s' (a path, syslog or off)", d->name,
		            values[0]);
	return set_text(cfg, d, values, count, msg, msg_size);
}

/* The error log always goes somewhere. */
static int set_error_log(struct config *cfg, const struct directive *d, char **values, int count,
                         char *msg, size_t msg_size)
{
	if (strcmp(values[0], "off") == 0)
		return fail(msg, msg_size, "%s cannot be '%s' (a path, syslog or stderr)", d->name,
		            values[0]);
	return set_text(cfg, d, values, count, msg, msg_size);
}

static int set_duration(struct config *cfg, const struct directive *d, char **values, int count,
                        char *msg, size_t msg_size)
{
	int64_t ms;
	(void)count;
	if (!config_parse_duration(values[0], &ms) || ms == 0)
		return fail(msg, msg_size,
		            "invalid duration '%s' for %s (a positive number with ms, s, m or h)",
		            values[0], d->name);
	*(int64_t *)config_field(cfg, d) = ms;
	return 0;
}

static int set_count(struct config *cfg, const struct directive *d, char **values, int count,
                     char *msg, size_t msg_size)
{
	size_t n;
	(void)count;
	if (!config_parse_count(values[0], d->max, &n) || n == 0)
		return fail(msg, msg_size, "invalid value '%s' for %s (1 to %zu)", values[0],
		            d->name, d->max);
	*(size_t *)config_field(cfg, d) = n;
	return 0;
}

static int set_bool(struct config *cfg, const struct directive *d, char **values, int count,
                    char *msg, size_t msg_size)
{
	(void)count;
	if (strcmp(values[0], "on") != 0 && strcmp(values[0], "off") != 0)
		return fail(msg, msg_size, "invalid value '%s' for %s (on or off)", values[0],
		            d->name);
	*(bool *)config_field(cfg, d) = strcmp(values[0], "on") == 0;
	return 0;
}

static int set_size(struct config *cfg, const struct directive *d, char **values, int count,
                    char *msg, size_t msg_size)
{
	(void)count;
	if (!config_parse_size(values[0], config_field(cfg, d)))
		return fail(msg, msg_size,
		            "invalid size '%s' for %s (bytes, or a number with k, m or g; off)",
		            values[0], d->name);
	return 0;
}

/* The position of the value among the directive's choices, or -1 with msg. */
static int choose(const struct directive *d, const char *value, char *msg, size_t msg_size)
{
	int i = config_choice_index(d->choices, value);
	if (i < 0) {
		char choices[128];
		config_list_choices(d->choices, choices, sizeof choices);
		return fail(msg, msg_size, "invalid value '%s' for %s (one of: %s)", value, d->name,
		            choices);
	}
	return i;
}

/* The choices are listed in the order of their enum: the position is the value. */
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

static int set_log_level(struct config *cfg, const struct directive *d, char **values, int count,
                         char *msg, size_t msg_size)
{
	int i = choose(d, values[0], msg, msg_size);
	(void)count;
	if (i < 0)
		return -1;
	cfg->log_level = (enum log_level)i;
	return 0;
}

static int set_hidden_files(struct config *cfg, const struct directive *d, char **values, int count,
                            char *msg, size_t msg_size)
{
	int i = choose(d, values[0], msg, msg_size);
	(void)count;
	if (i < 0)
		return -1;
	cfg->hidden_files = (enum hidden_files)i;
	return 0;
}

static int set_follow_symlinks(struct config *cfg, const struct directive *d, char **values,
                               int count, char *msg, size_t msg_size)
{
	int i = choose(d, values[0], msg, msg_size);
	(void)count;
	if (i < 0)
		return -1;
	cfg->follow_symlinks = (enum follow_symlinks)i;
	return 0;
}

/* ------------------------------------------------------------ setters: lists */

static int add_listen(struct config *cfg, const struct directive *d, char **values, int count,
                      char *msg, size_t msg_size)
{
	(void)d;
	(void)count;
	if (cfg->listen_count == CONFIG_MAX_LISTEN)
		return fail(msg, msg_size, "too many listen addresses (at most %d)",
		            CONFIG_MAX_LISTEN);
	if (listen_addr_parse(values[0], &cfg->listen[cfg->listen_count], msg, msg_size) < 0)
		return -1;
	cfg->listen_count++;
	return 0;
}

static void clear_listen(struct config *cfg, const struct directive *d)
{
	(void)d;
	cfg->listen_count = 0;
}

static void clear_index(struct config *cfg, const struct directive *d)
{
	(void)d;
	for (size_t i = 0; i < cfg->index_count; i++) {
		free(cfg->index[i]);
		cfg->index[i] = NULL;
	}
	cfg->index_count = 0;
}

/* index NAME...: plain file names, which replace the previous ones. */
static int set_index(struct config *cfg, const struct directive *d, char **values, int count,
                     char *msg, size_t msg_size)
{
	clear_index(cfg, d);
	for (int i = 0; i < count; i++) {
		if (values[i][0] == '\0' || strchr(values[i], '/') != NULL)
			return fail(msg, msg_size, "invalid index file name '%s' (a plain name)",
			            values[i]);
		if (config_replace_string(&cfg->index[cfg->index_count++], values[i]) < 0)
			return out_of_memory(msg, msg_size);
	}
	return 0;
}

/* A field the administrator may add: a token, not one the server writes, a
 * value without control characters, a scope that is a prefix or a suffix. */
static int check_header_rule(char **values, int count, char *msg, size_t msg_size)
{
	const char *name = values[0];
	if (!http_is_token(name))
		return fail(msg, msg_size, "invalid header name '%s'", name);
	if (response_field_is_managed(name))
		return fail(msg, msg_size, "header '%s' is set by switchboard itself", name);
	for (const char *p = values[1]; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return fail(msg, msg_size, "header '%s': control character in the value",
			            name);
	const char *scope = count == 3 ? values[2] : NULL;
	if (scope != NULL && scope[0] != '/' && strncmp(scope, "*.", 2) != 0)
		return fail(msg, msg_size,
		            "invalid scope '%s' (a path prefix like /assets/ or *.css)", scope);
	return 0;
}

static int add_header(struct config *cfg, const struct directive *d, char **values, int count,
                      char *msg, size_t msg_size)
{
	(void)d;
	if (check_header_rule(values, count, msg, msg_size) < 0)
		return -1;
	if (cfg->header_count == CONFIG_MAX_HEADERS)
		return fail(msg, msg_size, "too many add_header lines (at most %d)",
		            CONFIG_MAX_HEADERS);
	const char *name = values[0], *value = values[1];
	const char *scope = count == 3 ? values[2] : NULL;
	struct header_rule *rule = &cfg->headers[cfg->header_count];
	size_t n = strlen(name) + strlen(value) + 5;
	rule->line = malloc(n);
	rule->scope = scope != NULL ? strdup(scope) : NULL;
	if (rule->line == NULL || (scope != NULL && rule->scope == NULL)) {
		free(rule->line);
		free(rule->scope);
		return out_of_memory(msg, msg_size);
	}
	snprintf(rule->line, n, "%s: %s\r\n", name, value);
	cfg->header_count++;
	return 0;
}

static void clear_headers(struct config *cfg, const struct directive *d)
{
	(void)d;
	for (size_t i = 0; i < cfg->header_count; i++) {
		free(cfg->headers[i].line);
		free(cfg->headers[i].scope);
	}
	cfg->header_count = 0;
}

/* The error page's path, resolved like a request for it: never above the
 * root, never hidden. Returns it ("/" and the normal form), or NULL. */
static char *error_page_path(const char *path)
{
	size_t len = strlen(path);
	char *normal = malloc(len + 2);
	struct urlpath up;
	if (normal == NULL || path[0] != '/' ||
	    urlpath_resolve(path, len, 0, normal + 1, len + 1, &up) != 0 || up.len == 0 ||
	    up.query != NULL || up.trailing_slash) {
		free(normal);
		return NULL;
	}
	normal[0] = '/';
	return normal;
}

static int add_error_page(struct config *cfg, const struct directive *d, char **values, int count,
                          char *msg, size_t msg_size)
{
	size_t status;
	(void)d;
	(void)count;
	if (!config_parse_count(values[0], 599, &status) || status < 400 || strlen(values[0]) != 3)
		return fail(msg, msg_size, "invalid status '%s' for error_page (400 to 599)",
		            values[0]);
	char *path = error_page_path(values[1]);
	if (path == NULL)
		return fail(msg, msg_size,
		            "invalid path '%s' for error_page (a file below the root, "
		            "starting with /)",
		            values[1]);
	if (cfg->error_page_count == CONFIG_MAX_ERROR_PAGES) {
		free(path);
		return fail(msg, msg_size, "too many error_page lines (at most %d)",
		            CONFIG_MAX_ERROR_PAGES);
	}
	struct error_page *page = &cfg->error_pages[cfg->error_page_count++];
	page->path = path;
	page->status = (int)status;
	return 0;
}

static void clear_error_pages(struct config *cfg, const struct directive *d)
{
	(void)d;
	for (size_t i = 0; i < cfg->error_page_count; i++)
		free(cfg->error_pages[i].path);
	cfg->error_page_count = 0;
}

static void clear_text(struct config *cfg, const struct directive *d)
{
	char **slot = config_field(cfg, d);
	free(*slot);
	*slot = NULL;
}

/* ------------------------------------------------------------ the table */

#define FIELD(f) .offset = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f)
#define TEXT(f) .storage = STORE_TEXT, .clear = clear_text, FIELD(f)
#define SCALAR(f) .storage = STORE_SCALAR, FIELD(f)
#define ONE_VALUE .least = 1, .most = 1

static const struct directive directives[] = {
    [DIRECTIVE_LISTEN] = {"listen", add_listen, clear_listen, STORE_LISTEN, FIELD(listen),
                          .def = "127.0.0.1:8080", .repeat = true, ONE_VALUE},
    [DIRECTIVE_ROOT] = {"root", set_text, TEXT(root), .def = ".", .reload = true, ONE_VALUE},
    [DIRECTIVE_INDEX] = {"index", set_index, clear_index, STORE_LIST, FIELD(index),
                         .def = "index.html", .reload = true, .least = 1, .most = CONFIG_MAX_INDEX},
    [DIRECTIVE_USER] = {"user", set_text, TEXT(user), .def = "nobody", ONE_VALUE},
    [DIRECTIVE_GROUP] = {"group", set_text, TEXT(group), .def = "nogroup", ONE_VALUE},
    [DIRECTIVE_CHROOT] = {"chroot", set_text, TEXT(chroot), ONE_VALUE},
    [DIRECTIVE_PIDFILE] = {"pidfile", set_text, TEXT(pidfile), ONE_VALUE},
    [DIRECTIVE_ACCESS_LOG] = {"access_log", set_access_log, TEXT(access_log), .def = "off",
                              .reload = true, ONE_VALUE},
    [DIRECTIVE_ERROR_LOG] = {"error_log", set_error_log, TEXT(error_log), .def = "stderr",
                             .reload = true, ONE_VALUE},
    [DIRECTIVE_LOG_LEVEL] = {"log_level", set_log_level, SCALAR(log_level), .def = "info",
                             .reload = true, ONE_VALUE, .choices = log_level_names},
    [DIRECTIVE_WORKERS] = {"workers", set_count, SCALAR(workers), .def = "1", ONE_VALUE, .max = 64},
    [DIRECTIVE_MAX_CONNECTIONS] = {"max_connections", set_count, SCALAR(max_connections),
                                   .def = "1000", .reload = true, ONE_VALUE,
                                   .max = MAX_CONNECTIONS_LIMIT},
    [DIRECTIVE_MAX_CONNECTIONS_PER_CLIENT] = {"max_connections_per_client", set_count,
                                              SCALAR(max_connections_per_client), .def = "256",
                                              .reload = true, ONE_VALUE,
                                              .max = MAX_CONNECTIONS_LIMIT},
    [DIRECTIVE_HEADER_TIMEOUT] = {"header_timeout", set_duration, SCALAR(header_timeout_ms),
                                  .def = "10s", .reload = true, ONE_VALUE},
    [DIRECTIVE_KEEPALIVE_TIMEOUT] = {"keepalive_timeout", set_duration,
                                     SCALAR(keepalive_timeout_ms), .def = "15s", .reload = true,
                                     ONE_VALUE},
    [DIRECTIVE_SEND_TIMEOUT] = {"send_timeout", set_duration, SCALAR(send_timeout_ms), .def = "30s",
                                .reload = true, ONE_VALUE},
    [DIRECTIVE_GRACEFUL_TIMEOUT] = {"graceful_timeout", set_duration, SCALAR(graceful_timeout_ms),
                                    .def = "10s", .reload = true, ONE_VALUE},
    [DIRECTIVE_KEEPALIVE] = {"keepalive", set_bool, SCALAR(keepalive), .def = "on", .reload = true,
                             ONE_VALUE},
    [DIRECTIVE_MAX_KEEPALIVE_REQUESTS] = {"max_keepalive_requests", set_count,
                                          SCALAR(max_keepalive_requests), .def = "1000",
                                          .reload = true, ONE_VALUE, .max = 1000000000},
    [DIRECTIVE_HIDDEN_FILES] = {"hidden_files", set_hidden_files, SCALAR(hidden_files),
                                .def = "deny", .reload = true, ONE_VALUE,
                                .choices = hidden_files_names},
    [DIRECTIVE_FOLLOW_SYMLINKS] = {"follow_symlinks", set_follow_symlinks, SCALAR(follow_symlinks),
                                   .def = "inside-root", .reload = true, ONE_VALUE,
                                   .choices = follow_symlinks_names},
    [DIRECTIVE_MIME_TYPES] = {"mime_types", set_text, TEXT(mime_types), .def = "/etc/mime.types",
                              .reload = true, ONE_VALUE},
    [DIRECTIVE_DEFAULT_TYPE] = {"default_type", set_text, TEXT(default_type),
                                .def = "application/octet-stream", .reload = true, ONE_VALUE},
    [DIRECTIVE_CHARSET] = {"charset", set_text, TEXT(charset), .def = "off", .reload = true,
                           ONE_VALUE},
    [DIRECTIVE_PRECOMPRESSED] = {"precompressed", set_bool, SCALAR(precompressed), .def = "off",
                                 .reload = true, ONE_VALUE},
    [DIRECTIVE_LISTING] = {"listing", set_bool, SCALAR(listing), .def = "off", .reload = true,
                           ONE_VALUE},
    [DIRECTIVE_FILE_CACHE] = {"file_cache", set_size, SCALAR(file_cache), .def = "16m",
                              .reload = true, ONE_VALUE},
    [DIRECTIVE_ADD_HEADER] = {"add_header", add_header, clear_headers, STORE_LIST, FIELD(headers),
                              .reload = true, .repeat = true, .least = 2, .most = 3},
    [DIRECTIVE_ERROR_PAGE] = {"error_page", add_error_page, clear_error_pages, STORE_LIST,
                              FIELD(error_pages), .reload = true, .repeat = true, .least = 2,
                              .most = 2},
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
		return fail(msg, msg_size, "%s takes one value", d->name);
	if (d->least == d->most)
		return fail(msg, msg_size, "%s takes %d values", d->name, d->least);
	return fail(msg, msg_size, "%s takes %d to %d values", d->name, d->least, d->most);
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
		char value[64], msg[128];
		snprintf(value, sizeof value, "%s", d->def);
		char *values[] = {value};
		if (config_set_directive(cfg, d, values, 1, ORIGIN_DEFAULT, msg, sizeof msg) < 0) {
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
