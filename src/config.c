#include "autoconfig.h"

#include "config.h"

#include "httpchars.h"
#include "loop.h"
#include "managed_headers.h"
#include "urlpath.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DURATION_MS (INT64_C(365) * 24 * 3600 * 1000)
#define MAX_ARGS 16
#define ORIGIN_DEFAULT 0
#define ORIGIN_COMMAND_LINE (-1)

enum kind {
	K_LISTEN,
	K_PATH,
	K_STRING,
	K_INDEX,
	K_DURATION,
	K_COUNT,
	K_BOOL,
	K_CHOICE,
	K_HEADER,
	K_ERROR_PAGE,
	K_SIZE,
};

struct directive {
	const char *name;
	enum kind kind;
	size_t offset;
	const char *def; /* the default, as it would be written in the file; NULL: none */
	bool reload;     /* a reload (SIGHUP) applies a new value */
	bool repeat;     /* may be given several times: the values add up */
	size_t max;      /* K_COUNT: the largest value */
	const char *const *choices;
};

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const hidden_choices[] = {"deny", "allow", NULL};
static const char *const symlink_choices[] = {"never", "inside-root", "always", NULL};

#define FIELD(f) offsetof(struct config, f)
#define MAX_CONNECTIONS_LIMIT (LOOP_MAX_FD - CONFIG_FD_RESERVED)

static const struct directive directives[] = {
    {"listen", K_LISTEN, FIELD(listen), "127.0.0.1:8080", false, true, 0, NULL},
    {"root", K_PATH, FIELD(root), ".", true, false, 0, NULL},
    {"index", K_INDEX, FIELD(index), "index.html", true, false, 0, NULL},
    {"user", K_STRING, FIELD(user), "nobody", false, false, 0, NULL},
    {"group", K_STRING, FIELD(group), "nogroup", false, false, 0, NULL},
    {"chroot", K_PATH, FIELD(chroot), NULL, false, false, 0, NULL},
    {"pidfile", K_PATH, FIELD(pidfile), NULL, false, false, 0, NULL},
    {"access_log", K_PATH, FIELD(access_log), "off", true, false, 0, NULL},
    {"error_log", K_PATH, FIELD(error_log), "stderr", true, false, 0, NULL},
    {"log_level", K_CHOICE, FIELD(log_level), "info", true, false, 0, log_levels},
    {"workers", K_COUNT, FIELD(workers), "1", false, false, 64, NULL},
    {"max_connections", K_COUNT, FIELD(max_connections), "1000", true, false, MAX_CONNECTIONS_LIMIT,
     NULL},
    {"max_connections_per_client", K_COUNT, FIELD(max_connections_per_client), "256", true, false,
     MAX_CONNECTIONS_LIMIT, NULL},
    {"header_timeout", K_DURATION, FIELD(header_timeout_ms), "10s", true, false, 0, NULL},
    {"keepalive_timeout", K_DURATION, FIELD(keepalive_timeout_ms), "15s", true, false, 0, NULL},
    {"send_timeout", K_DURATION, FIELD(send_timeout_ms), "30s", true, false, 0, NULL},
    {"graceful_timeout", K_DURATION, FIELD(graceful_timeout_ms), "10s", true, false, 0, NULL},
    {"keepalive", K_BOOL, FIELD(keepalive), "on", true, false, 0, NULL},
    {"max_keepalive_requests", K_COUNT, FIELD(max_keepalive_requests), "1000", true, false,
     1000000000, NULL},
    {"hidden_files", K_CHOICE, FIELD(hidden_files), "deny", true, false, 0, hidden_choices},
    {"follow_symlinks", K_CHOICE, FIELD(follow_symlinks), "inside-root", true, false, 0,
     symlink_choices},
    {"mime_types", K_PATH, FIELD(mime_types), "/etc/mime.types", true, false, 0, NULL},
    {"default_type", K_STRING, FIELD(default_type), "application/octet-stream", true, false, 0,
     NULL},
    {"charset", K_STRING, FIELD(charset), "off", true, false, 0, NULL},
    {"precompressed", K_BOOL, FIELD(precompressed), "off", true, false, 0, NULL},
    {"listing", K_BOOL, FIELD(listing), "off", true, false, 0, NULL},
    {"file_cache", K_SIZE, FIELD(file_cache), "16m", true, false, 0, NULL},
    {"add_header", K_HEADER, FIELD(headers), NULL, true, true, 0, NULL},
    {"error_page", K_ERROR_PAGE, FIELD(error_pages), NULL, true, true, 0, NULL},
};

#define DIRECTIVE_COUNT (sizeof directives / sizeof directives[0])
_Static_assert(DIRECTIVE_COUNT <= sizeof((struct config *)0)->origin / sizeof(int),
               "struct config has an origin slot for every directive");

static void *field(struct config *cfg, const struct directive *d)
{
	return (char *)cfg + d->offset;
}

static const void *const_field(const struct config *cfg, const struct directive *d)
{
	return (const char *)cfg + d->offset;
}

static const struct directive *find_directive(const char *name)
{
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

static size_t directive_index(const struct directive *d)
{
	return (size_t)(d - directives);
}

/* ------------------------------------------------------------ values */

bool config_parse_duration(const char *text, int64_t *ms)
{
	static const struct {
		const char *suffix;
		int64_t ms;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	const char *p = text;
	int64_t n = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > MAX_DURATION_MS)
			return false;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			if (n > MAX_DURATION_MS / units[i].ms)
				return false;
			*ms = n * units[i].ms;
			return true;
		}
	}
	return false;
}

/* "16m", "512k", "1g", plain bytes, or "off" (0). */
static bool parse_size(const char *text, uint64_t *out)
{
	if (strcmp(text, "off") == 0) {
		*out = 0;
		return true;
	}
	uint64_t n = 0;
	const char *p = text;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > (UINT64_C(1) << 40))
			return false;
	}
	static const char units[] = "kmg";
	const char *unit = *p != '\0' ? strchr(units, *p) : NULL;
	if (unit != NULL && p[1] == '\0')
		n <<= 10 * (unit - units + 1);
	else if (*p != '\0')
		return false;
	*out = n;
	return true;
}

static bool parse_count(const char *text, size_t max, size_t *out)
{
	size_t n = 0;
	if (*text == '\0')
		return false;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (size_t)(*p - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

static int replace_string(char **slot, const char *value)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

static void list_choices(const char *const *choices, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; choices[i] != NULL && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i == 0 ? "" : ", ", choices[i]);
}

static bool has_control_byte(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int add_header_rule(struct config *cfg, char **args, int nargs, char *msg, size_t msg_size)
{
	const char *name = args[0], *value = args[1];
	if (!http_is_token(name)) {
		snprintf(msg, msg_size, "invalid header name '%s'", name);
		return -1;
	}
	if (response_field_is_managed(name)) {
		snprintf(msg, msg_size, "header '%s' is set by switchboard itself", name);
		return -1;
	}
	for (const char *p = value; *p; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			snprintf(msg, msg_size, "header '%s': control character in the value",
			         name);
			return -1;
		}
	}
	const char *scope = nargs == 3 ? args[2] : NULL;
	if (scope != NULL && scope[0] != '/' && strncmp(scope, "*.", 2) != 0) {
		snprintf(msg, msg_size, "invalid scope '%s' (a path prefix like /assets/ or *.css)",
		         scope);
		return -1;
	}
	if (cfg->header_count == CONFIG_MAX_HEADERS) {
		snprintf(msg, msg_size, "too many add_header lines (at most %d)",
		         CONFIG_MAX_HEADERS);
		return -1;
	}
	struct header_rule *rule = &cfg->headers[cfg->header_count];
	size_t n = strlen(name) + strlen(value) + 5;
	rule->line = malloc(n);
	rule->scope = scope != NULL ? strdup(scope) : NULL;
	if (rule->line == NULL || (scope != NULL && rule->scope == NULL)) {
		free(rule->line);
		free(rule->scope);
		snprintf(msg, msg_size, "out of memory");
		return -1;
	}
	snprintf(rule->line, n, "%s: %s\r\n", name, value);
	cfg->header_count++;
	return 0;
}

static int add_error_page(struct config *cfg, char **args, char *msg, size_t msg_size)
{
	size_t status;
	if (!parse_count(args[0], 599, &status) || status < 400 || strlen(args[0]) != 3) {
		snprintf(msg, msg_size, "invalid status '%s' for error_page (400 to 599)", args[0]);
		return -1;
	}
	/* Resolved like a request for it: never above the root, never hidden. */
	size_t len = strlen(args[1]);
	char *normal = malloc(len + 2);
	struct urlpath up;
	if (normal == NULL || args[1][0] != '/' ||
	    urlpath_resolve(args[1], len, 0, normal + 1, len + 1, &up) != 0 || up.len == 0 ||
	    up.query != NULL || up.trailing_slash) {
		free(normal);
		snprintf(msg, msg_size,
		         "invalid path '%s' for error_page (a file below the root, "
		         "starting with /)",
		         args[1]);
		return -1;
	}
	normal[0] = '/';
	if (cfg->error_page_count == CONFIG_MAX_ERROR_PAGES) {
		free(normal);
		snprintf(msg, msg_size, "too many error_page lines (at most %d)",
		         CONFIG_MAX_ERROR_PAGES);
		return -1;
	}
	struct error_page *page = &cfg->error_pages[cfg->error_page_count];
	page->path = normal;
	page->status = (int)status;
	cfg->error_page_count++;
	return 0;
}

static int origin_layer(int origin)
{
	return origin > 0 ? 1 : origin;
}

/* Apply one directive's values; on error write what is wrong into msg. */
static int set_directive(struct config *cfg, const struct directive *d, char **args, int nargs,
                         int origin, char *msg, size_t msg_size)
{
	size_t slot = directive_index(d);
	void *f = field(cfg, d);
	int least = d->kind == K_HEADER || d->kind == K_ERROR_PAGE ? 2 : 1;
	int most = d->kind == K_INDEX ? CONFIG_MAX_INDEX : d->kind == K_HEADER ? 3 : least;
	if (nargs < least || nargs > most) {
		if (most == 1)
			snprintf(msg, msg_size, "%s takes one value", d->name);
		else if (least == most)
			snprintf(msg, msg_size, "%s takes %d values", d->name, least);
		else
			snprintf(msg, msg_size, "%s takes %d to %d values", d->name, least, most);
		return -1;
	}
	/* A repeatable directive given again in the same place adds a value;
	 * given in a later place (the command line over the file), it replaces. */
	bool append = d->repeat && origin_layer(cfg->origin[slot]) == origin_layer(origin);

	switch (d->kind) {
	case K_LISTEN: {
		if (!append)
			cfg->listen_count = 0;
		if (cfg->listen_count == CONFIG_MAX_LISTEN) {
			snprintf(msg, msg_size, "too many listen addresses (at most %d)",
			         CONFIG_MAX_LISTEN);
			return -1;
		}
		if (listen_addr_parse(args[0], &cfg->listen[cfg->listen_count], msg, msg_size) < 0)
			return -1;
		cfg->listen_count++;
		break;
	}
	case K_PATH:
	case K_STRING:
		if (args[0][0] == '\0') {
			snprintf(msg, msg_size, "%s needs a non-empty value", d->name);
			return -1;
		}
		if (has_control_byte(args[0])) {
			snprintf(msg, msg_size, "%s: control character in the value", d->name);
			return -1;
		}
		if ((strcmp(d->name, "access_log") == 0 && strcmp(args[0], "stderr") == 0) ||
		    (strcmp(d->name, "error_log") == 0 && strcmp(args[0], "off") == 0)) {
			snprintf(msg, msg_size, "%s cannot be '%s' (%s)", d->name, args[0],
			         d->name[0] == 'a' ? "a path, syslog or off"
			                           : "a path, syslog or stderr");
			return -1;
		}
		if (replace_string(f, args[0]) < 0)
			goto oom;
		break;
	case K_INDEX:
		for (size_t i = 0; i < cfg->index_count; i++) {
			free(cfg->index[i]);
			cfg->index[i] = NULL;
		}
		cfg->index_count = 0;
		for (int i = 0; i < nargs; i++) {
			if (args[i][0] == '\0' || strchr(args[i], '/') != NULL) {
				snprintf(msg, msg_size,
				         "invalid index file name '%s' (a plain name)", args[i]);
				return -1;
			}
			if (replace_string(&cfg->index[cfg->index_count++], args[i]) < 0)
				goto oom;
		}
		break;
	case K_DURATION: {
		int64_t ms;
		if (!config_parse_duration(args[0], &ms) || ms == 0) {
			snprintf(
			    msg, msg_size,
			    "invalid duration '%s' for %s (a positive number with ms, s, m or h)",
			    args[0], d->name);
			return -1;
		}
		*(int64_t *)f = ms;
		break;
	}
	case K_COUNT: {
		size_t n;
		if (!parse_count(args[0], d->max, &n) || n == 0) {
			snprintf(msg, msg_size, "invalid value '%s' for %s (1 to %zu)", args[0],
			         d->name, d->max);
			return -1;
		}
		*(size_t *)f = n;
		break;
	}
	case K_BOOL:
		if (strcmp(args[0], "on") != 0 && strcmp(args[0], "off") != 0) {
			snprintf(msg, msg_size, "invalid value '%s' for %s (on or off)", args[0],
			         d->name);
			return -1;
		}
		*(bool *)f = strcmp(args[0], "on") == 0;
		break;
	case K_SIZE:
		if (!parse_size(args[0], f)) {
			snprintf(
			    msg, msg_size,
			    "invalid size '%s' for %s (bytes, or a number with k, m or g; off)",
			    args[0], d->name);
			return -1;
		}
		break;
	case K_HEADER:
		if (add_header_rule(cfg, args, nargs, msg, msg_size) < 0)
			return -1;
		break;
	case K_ERROR_PAGE:
		if (add_error_page(cfg, args, msg, msg_size) < 0)
			return -1;
		break;
	case K_CHOICE: {
		for (int i = 0; d->choices[i] != NULL; i++) {
			if (strcmp(args[0], d->choices[i]) == 0) {
				*(int *)f = i;
				cfg->origin[slot] = origin;
				return 0;
			}
		}
		char choices[128];
		list_choices(d->choices, choices, sizeof choices);
		snprintf(msg, msg_size, "invalid value '%s' for %s (one of: %s)", args[0], d->name,
		         choices);
		return -1;
	}
	}
	cfg->origin[slot] = origin;
	return 0;
oom:
	snprintf(msg, msg_size, "out of memory");
	return -1;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->linger_timeout_ms = 2000;
	cfg->max_discard_body = (uint64_t)64 * 1024;
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++) {
		if (directives[i].def == NULL)
			continue;
		char value[64], msg[128];
		snprintf(value, sizeof value, "%s", directives[i].def);
		char *args[] = {value};
		if (set_directive(cfg, &directives[i], args, 1, ORIGIN_DEFAULT, msg, sizeof msg) <
		    0) {
			/* The table's defaults are valid; only memory can fail here. */
			fprintf(stderr, "switchboard: default %s: %s\n", directives[i].name, msg);
			abort();
		}
	}
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++) {
		const struct directive *d = &directives[i];
		if (d->kind == K_PATH || d->kind == K_STRING) {
			char **slot = field(cfg, d);
			free(*slot);
			*slot = NULL;
		}
	}
	for (size_t i = 0; i < cfg->index_count; i++)
		free(cfg->index[i]);
	cfg->index_count = 0;
	for (size_t i = 0; i < cfg->header_count; i++) {
		free(cfg->headers[i].line);
		free(cfg->headers[i].scope);
	}
	cfg->header_count = 0;
	for (size_t i = 0; i < cfg->error_page_count; i++)
		free(cfg->error_pages[i].path);
	cfg->error_page_count = 0;
	free(cfg->file);
	cfg->file = NULL;
}

/* ------------------------------------------------------------ the file */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return SIZE_MAX;
	size_t row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const char *closest_directive(const char *name)
{
	const char *best = NULL;
	size_t best_distance = 3; /* suggest only close misspellings */
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++) {
		size_t dist = edit_distance(name, directives[i].name);
		if (dist < best_distance) {
			best_distance = dist;
			best = directives[i].name;
		}
	}
	return best;
}

/* Split a line into words: whitespace separates, '#' starts a comment, and
 * "double quotes" hold spaces (with \" and \\ inside). Words are written
 * into the line itself. Returns the count, or -1 with msg. */
static int split_words(char *line, char **words, int max, char *msg, size_t msg_size)
{
	int n = 0;
	char *r = line;
	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (*r == '\0' || *r == '#')
			return n;
		if (n == max) {
			snprintf(msg, msg_size, "too many values on one line (at most %d)",
			         max - 1);
			return -1;
		}
		char *w = r;
		words[n++] = w;
		if (*r == '"') {
			r++;
			while (*r != '"') {
				if (*r == '\0' || *r == '\n') {
					snprintf(msg, msg_size, "unterminated quoted value");
					return -1;
				}
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
			}
			r++;
			if (*r != '\0' && *r != ' ' && *r != '\t' && *r != '\r' && *r != '\n') {
				snprintf(msg, msg_size, "a quoted value must end at a space");
				return -1;
			}
		} else {
			while (*r != '\0' && *r != ' ' && *r != '\t' && *r != '\r' && *r != '\n')
				*w++ = *r++;
		}
		bool end = *r == '\0';
		*w = '\0';
		if (end)
			return n;
		r++;
	}
}

static int parse_line(struct config *cfg, char *line, size_t len, int lineno, char *msg,
                      size_t msg_size)
{
	char *words[MAX_ARGS + 1];
	if (strlen(line) != len) {
		snprintf(msg, msg_size, "NUL byte in the line");
		return -1;
	}
	int n = split_words(line, words, MAX_ARGS + 1, msg, msg_size);
	if (n <= 0)
		return n;
	const struct directive *d = find_directive(words[0]);
	if (d == NULL) {
		const char *guess = closest_directive(words[0]);
		if (guess != NULL)
			snprintf(msg, msg_size, "unknown directive '%s'; did you mean '%s'?",
			         words[0], guess);
		else
			snprintf(msg, msg_size, "unknown directive '%s'", words[0]);
		return -1;
	}
	int previous = cfg->origin[directive_index(d)];
	if (!d->repeat && previous > 0) {
		snprintf(msg, msg_size, "%s is already set at line %d", d->name, previous);
		return -1;
	}
	return set_directive(cfg, d, words + 1, n - 1, lineno, msg, msg_size);
}

int config_parse_file(struct config *cfg, const char *path, FILE *err)
{
	/* Messages name the file: remember it when the caller did not. */
	if (cfg->file == NULL && replace_string(&cfg->file, path) < 0) {
		fprintf(err, "%s: out of memory\n", path);
		return 1;
	}
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		fprintf(err, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, errors = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char msg[512];
		if (parse_line(cfg, line, (size_t)len, ++lineno, msg, sizeof msg) < 0) {
			fprintf(err, "%s:%d: %s\n", path, lineno, msg);
			errors++;
		}
	}
	if (ferror(f)) {
		fprintf(err, "%s: %s\n", path, strerror(errno));
		errors++;
	}
	free(line);
	fclose(f);
	return errors;
}

/* ------------------------------------------------------------ checks */

void config_origin(const struct config *cfg, const char *directive, char *out, size_t size)
{
	const struct directive *d = find_directive(directive);
	int origin = d != NULL ? cfg->origin[directive_index(d)] : ORIGIN_DEFAULT;
	if (origin > 0)
		snprintf(out, size, "%s:%d", cfg->file, origin);
	else
		snprintf(out, size, "%s",
		         origin == ORIGIN_COMMAND_LINE ? "command line" : "default");
}

bool config_is_set(const struct config *cfg, const char *directive)
{
	const struct directive *d = find_directive(directive);
	return d != NULL && cfg->origin[directive_index(d)] != ORIGIN_DEFAULT;
}

static int check_fail(const struct config *cfg, FILE *err, const char *directive, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static int check_fail(const struct config *cfg, FILE *err, const char *directive, const char *fmt,
                      ...)
{
	char where[4200];
	config_origin(cfg, directive, where, sizeof where);
	fprintf(err, "%s: ", where);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	return 1;
}

static int check_directory(const struct config *cfg, FILE *err, const char *directive,
                           const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return check_fail(cfg, err, directive, "%s '%s': %s", directive, path,
		                  errno == ENOENT ? "no such directory" : strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return check_fail(cfg, err, directive, "%s '%s': not a directory", directive, path);
	return 0;
}

/* Can path be opened for appending, without creating or touching it? */
static int check_log_path(const struct config *cfg, FILE *err, const char *directive,
                          const char *path)
{
	if (strcmp(path, "off") == 0 || strcmp(path, "syslog") == 0 || strcmp(path, "stderr") == 0)
		return 0;
	if (access(path, F_OK) == 0) {
		if (access(path, W_OK) < 0)
			return check_fail(cfg, err, directive, "%s '%s': %s", directive, path,
			                  strerror(errno));
		return 0;
	}
	char *copy = strdup(path);
	if (copy == NULL)
		return check_fail(cfg, err, directive, "out of memory");
	const char *dir = dirname(copy);
	int rc = 0;
	if (access(dir, W_OK | X_OK) < 0)
		rc = check_fail(cfg, err, directive, "%s '%s': cannot create it in '%s': %s",
		                directive, path, dir, strerror(errno));
	free(copy);
	return rc;
}

static int check_root(const struct config *cfg, bool inside_chroot, FILE *err)
{
	if (cfg->chroot == NULL || inside_chroot)
		return check_directory(cfg, err, "root", cfg->root);
	/* Under chroot the root is a path inside the new root directory. */
	if (check_directory(cfg, err, "chroot", cfg->chroot) != 0)
		return 1;
	size_t n = strlen(cfg->chroot) + strlen(cfg->root) + 2;
	char *inside = malloc(n);
	if (inside == NULL)
		return check_fail(cfg, err, "root", "out of memory");
	snprintf(inside, n, "%s/%s", cfg->chroot, cfg->root);
	int rc = check_directory(cfg, err, "root", inside);
	free(inside);
	return rc;
}

static int check_identity(const struct config *cfg, FILE *err)
{
	int errors = 0;
	if (geteuid() != 0) {
		/* Nothing to drop: only the current user can be asked for. */
		struct passwd *me = getpwuid(geteuid());
		if (config_is_set(cfg, "user") &&
		    (me == NULL || strcmp(me->pw_name, cfg->user) != 0))
			errors += check_fail(cfg, err, "user",
			                     "user '%s': switching users needs to start as root",
			                     cfg->user);
		if (cfg->chroot != NULL)
			errors += check_fail(cfg, err, "chroot", "chroot needs to start as root");
		return errors;
	}
	if (getpwnam(cfg->user) == NULL)
		errors += check_fail(cfg, err, "user", "user '%s': no such user", cfg->user);
	if (getgrnam(cfg->group) == NULL)
		errors += check_fail(cfg, err, "group", "group '%s': no such group", cfg->group);
	return errors;
}

int config_check_site(const struct config *cfg, bool inside_chroot, FILE *err)
{
	int errors = check_root(cfg, inside_chroot, err);
	if (config_is_set(cfg, "mime_types") && access(cfg->mime_types, R_OK) < 0)
		errors += check_fail(cfg, err, "mime_types", "mime_types '%s': %s", cfg->mime_types,
		                     strerror(errno));
	return errors;
}

int config_check(const struct config *cfg, FILE *err)
{
	int errors = config_check_site(cfg, false, err) + check_identity(cfg, err);
	errors += check_log_path(cfg, err, "access_log", cfg->access_log);
	errors += check_log_path(cfg, err, "error_log", cfg->error_log);
	if (cfg->pidfile != NULL)
		errors += check_log_path(cfg, err, "pidfile", cfg->pidfile);
	return errors;
}

/* The size of a directive's value when it is a plain scalar, else 0. */
static size_t scalar_size(enum kind kind)
{
	switch (kind) {
	case K_DURATION:
		return sizeof(int64_t);
	case K_COUNT:
		return sizeof(size_t);
	case K_BOOL:
		return sizeof(bool);
	case K_CHOICE:
		return sizeof(int);
	case K_SIZE:
		return sizeof(uint64_t);
	default:
		return 0;
	}
}

static bool same_value(const struct config *a, const struct config *b, const struct directive *d)
{
	if (d->kind == K_LISTEN)
		return a->listen_count == b->listen_count &&
		       memcmp(a->listen, b->listen, a->listen_count * sizeof a->listen[0]) == 0;
	if (scalar_size(d->kind) > 0)
		return memcmp(const_field(a, d), const_field(b, d), scalar_size(d->kind)) == 0;
	const char *const *sa = const_field(a, d);
	const char *const *sb = const_field(b, d);
	if (*sa == NULL || *sb == NULL)
		return *sa == *sb;
	return strcmp(*sa, *sb) == 0;
}

void config_keep_restart_values(struct config *next, const struct config *running)
{
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++) {
		const struct directive *d = &directives[i];
		if (d->reload)
			continue;
		if (d->kind == K_LISTEN) {
			next->listen_count = running->listen_count;
			memcpy(next->listen, running->listen, sizeof next->listen);
			continue;
		}
		if (scalar_size(d->kind) > 0) {
			memcpy(field(next, d), const_field(running, d), scalar_size(d->kind));
			continue;
		}
		char **slot = field(next, d);
		const char *const *value = const_field(running, d);
		char *copy = *value != NULL ? strdup(*value) : NULL;
		if (*value == NULL || copy != NULL) {
			free(*slot);
			*slot = copy;
		}
	}
}

void config_restart_needed(const struct config *old, const struct config *new_cfg, char *out,
                           size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < DIRECTIVE_COUNT && n < size; i++)
		if (!directives[i].reload && !same_value(old, new_cfg, &directives[i]))
			n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "",
			                      directives[i].name);
}

/* ------------------------------------------------------------ command line */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: switchboard [options] [DOCROOT]\n"
	    "Serve the files below DOCROOT (default: the current directory) over HTTP.\n"
	    "\n"
	    "  -c, --config FILE          read settings from FILE (see switchboard.conf(5))\n"
	    "  -t, --test                 check the configuration and exit\n"
	    "  -r, --root DIR             directory to serve (same as DOCROOT)\n"
	    "  -l, --listen ADDR:PORT     address to listen on, repeatable (default "
	    "127.0.0.1:8080);\n"
	    "                             [::1]:PORT for IPv6, *:PORT / [::]:PORT for every "
	    "address\n"
	    "  -p, --port PORT            shorthand for --listen 127.0.0.1:PORT\n"
	    "  -u, --user USER            user to run as when started as root (default nobody)\n"
	    "  -d, --daemon               detach from the terminal and run in the background\n"
	    "      --max-connections N    connections served at once (default 1000, at most %d)\n"
	    "      --workers N            worker processes, each with its own loop (default 1)\n"
	    "      --max-connections-per-client N\n"
	    "                             connections one client address may hold (default 256)\n"
	    "      --header-timeout T     time to receive a request head (default 10s)\n"
	    "      --keepalive-timeout T  idle time allowed between requests (default 15s)\n"
	    "      --send-timeout T       time a client may accept no bytes (default 30s)\n"
	    "      --list-directives      list the config file directives and exit\n"
	    "  -h, --help                 show this help and exit\n"
	    "  -V, --version              show the version and exit\n"
	    "\n"
	    "Durations take a unit: ms, s, m or h (no unit: seconds).\n"
	    "Precedence: built-in defaults, then the config file, then the command line.\n",
	    MAX_CONNECTIONS_LIMIT);
}

enum {
	OPT_MAX_CONNECTIONS = 256,
	OPT_MAX_PER_CLIENT,
	OPT_WORKERS,
	OPT_HEADER_TIMEOUT,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_SEND_TIMEOUT,
	OPT_LIST_DIRECTIVES,
};

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"test", no_argument, NULL, 't'},
    {"root", required_argument, NULL, 'r'},
    {"listen", required_argument, NULL, 'l'},
    {"port", required_argument, NULL, 'p'},
    {"user", required_argument, NULL, 'u'},
    {"daemon", no_argument, NULL, 'd'},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"max-connections-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
    {"keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT},
    {"send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT},
    {"list-directives", no_argument, NULL, OPT_LIST_DIRECTIVES},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Options that set a directive, applied over the config file. */
static const struct {
	int opt;
	const char *directive;
} option_directives[] = {
    {'r', "root"},
    {'l', "listen"},
    {'p', "listen"},
    {'u', "user"},
    {OPT_MAX_CONNECTIONS, "max_connections"},
    {OPT_MAX_PER_CLIENT, "max_connections_per_client"},
    {OPT_WORKERS, "workers"},
    {OPT_HEADER_TIMEOUT, "header_timeout"},
    {OPT_KEEPALIVE_TIMEOUT, "keepalive_timeout"},
    {OPT_SEND_TIMEOUT, "send_timeout"},
};

static const char *directive_for_option(int opt)
{
	for (size_t i = 0; i < sizeof option_directives / sizeof option_directives[0]; i++)
		if (option_directives[i].opt == opt)
			return option_directives[i].directive;
	return NULL;
}

static void list_directives(FILE *out)
{
	for (size_t i = 0; i < DIRECTIVE_COUNT; i++)
		fprintf(out, "%s\t%s\t%s\n", directives[i].name,
		        directives[i].def != NULL ? directives[i].def : "-",
		        directives[i].reload ? "reload" : "restart");
}

struct cli_setting {
	int opt;
	char *arg;
};

static enum config_result apply_cli_setting(struct config *cfg, const struct cli_setting *s,
                                            FILE *err)
{
	char msg[512], spec[32];
	char *arg = s->arg;
	if (s->opt == 'p') {
		size_t n;
		if (!parse_count(arg, 65535, &n) && strcmp(arg, "0") != 0) {
			fprintf(err, "switchboard: invalid port '%s' (0 to 65535)\n", arg);
			usage(err);
			return CONFIG_USAGE_ERROR;
		}
		snprintf(spec, sizeof spec, "127.0.0.1:%s", arg);
		arg = spec;
	}
	const struct directive *d = find_directive(directive_for_option(s->opt));
	if (set_directive(cfg, d, &arg, 1, ORIGIN_COMMAND_LINE, msg, sizeof msg) < 0) {
		fprintf(err, "switchboard: %s\n", msg);
		usage(err);
		return CONFIG_USAGE_ERROR;
	}
	return CONFIG_OK;
}

/* First pass: collect the options, so that the file is read before the rest
 * of the command line is applied over it. */
static enum config_result collect_options(struct config *cfg, int argc, char **argv,
                                          struct cli_setting *settings, size_t *count, FILE *out,
                                          FILE *err)
{
	int opt;
	optind = 0; /* GNU: start afresh, so that the parser can run more than once */
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "+c:tr:l:p:u:dhV", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (replace_string(&cfg->file, optarg) < 0)
				return CONFIG_USAGE_ERROR;
			break;
		case 't':
			cfg->test_only = true;
			break;
		case 'd':
			cfg->daemon = true;
			break;
		case 'h':
			usage(out);
			return CONFIG_EXIT_SUCCESS;
		case 'V':
			fprintf(out, "%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return CONFIG_EXIT_SUCCESS;
		case OPT_LIST_DIRECTIVES:
			list_directives(out);
			return CONFIG_EXIT_SUCCESS;
		case '?': /* getopt has said what was wrong */
			usage(err);
			return CONFIG_USAGE_ERROR;
		default:
			settings[(*count)++] = (struct cli_setting){opt, optarg};
			break;
		}
	}
	if (optind < argc)
		settings[(*count)++] = (struct cli_setting){'r', argv[optind++]};
	if (optind < argc) {
		fprintf(err, "switchboard: unexpected argument '%s'\n", argv[optind]);
		usage(err);
		return CONFIG_USAGE_ERROR;
	}
	return CONFIG_OK;
}

/* The directory relative paths are taken from: where switchboard was started,
 * remembered once, so that a daemon (which moves to "/") or a reload reads
 * the same files as the first start. */
static const char *start_directory(void)
{
	static char *cwd;
	if (cwd == NULL)
		cwd = getcwd(NULL, 0);
	return cwd;
}

static int make_absolute(char **path, const char *base)
{
	if (*path == NULL || (*path)[0] == '/' || base == NULL)
		return 0;
	if (strcmp(*path, ".") == 0) /* the base itself, without a "/." */
		return replace_string(path, base);
	size_t n = strlen(base) + strlen(*path) + 2;
	char *abs = malloc(n);
	if (abs == NULL)
		return -1;
	snprintf(abs, n, "%s/%s", strcmp(base, "/") == 0 ? "" : base, *path);
	free(*path);
	*path = abs;
	return 0;
}

static bool is_log_keyword(const char *value)
{
	return strcmp(value, "off") == 0 || strcmp(value, "syslog") == 0 ||
	       strcmp(value, "stderr") == 0;
}

/* Every path becomes absolute. Under chroot the root is a path inside it. */
static int absolute_paths(struct config *cfg)
{
	const char *cwd = start_directory();
	int rc = make_absolute(&cfg->file, cwd);
	rc |= make_absolute(&cfg->root, cfg->chroot != NULL ? "/" : cwd);
	rc |= make_absolute(&cfg->chroot, cwd);
	rc |= make_absolute(&cfg->pidfile, cwd);
	rc |= make_absolute(&cfg->mime_types, cwd);
	if (!is_log_keyword(cfg->access_log))
		rc |= make_absolute(&cfg->access_log, cwd);
	if (!is_log_keyword(cfg->error_log))
		rc |= make_absolute(&cfg->error_log, cwd);
	return rc;
}

enum config_result config_load(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	config_defaults(cfg);
	struct cli_setting *settings = calloc((size_t)argc + 1, sizeof *settings);
	if (settings == NULL) {
		fprintf(err, "switchboard: out of memory\n");
		return CONFIG_USAGE_ERROR;
	}
	size_t count = 0;
	enum config_result r = collect_options(cfg, argc, argv, settings, &count, out, err);
	if (r == CONFIG_OK && cfg->file != NULL && config_parse_file(cfg, cfg->file, err) > 0)
		r = CONFIG_FILE_ERROR;
	for (size_t i = 0; r == CONFIG_OK && i < count; i++)
		r = apply_cli_setting(cfg, &settings[i], err);
	free(settings);
	if (r == CONFIG_OK && absolute_paths(cfg) < 0) {
		fprintf(err, "switchboard: out of memory\n");
		r = CONFIG_USAGE_ERROR;
	}
	return r;
}
