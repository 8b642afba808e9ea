#include "autoconfig.h"

#include "config_setters.h"

#include "config_values.h"
#include "cors.h"
#include "fallback.h"
#include "httpchars.h"
#include "managed_headers.h"
#include "netmask.h"
#include "urlpath.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ------------------------------------------------------------ stores */

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
int config_set_text(struct config *cfg, const struct directive *d, char **values, int count,
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

/* An endpoint's path: "/" and then RFC 3986 path bytes (no query, no
 * fragment, no percent-escape: a route is matched on the bytes as received,
 * so it has one spelling), or off. */
int config_set_route_path(struct config *cfg, const struct directive *d, char **values, int count,
                          char *msg, size_t msg_size)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                              "0123456789-._~!$&'()*+,;=:@/";
	const char *path = values[0];
	bool valid = strcmp(path, "off") == 0 ||
	             (path[0] == '/' && path[1] != '\0' && strspn(path, allowed) == strlen(path));
	if (!valid)
		return fail(msg, msg_size,
		            "invalid path '%s' for %s (a path like /healthz, or off)", path,
		            d->name);
	return config_set_text(cfg, d, values, count, msg, msg_size);
}

/* The access log can be off but not stderr, which the error log has. */
int config_set_access_log(struct config *cfg, const struct directive *d, char **values, int count,
                          char *msg, size_t msg_size)
{
	if (strcmp(values[0], "stderr") == 0)
		return fail(msg, msg_size, "%s cannot be '%s' (a path, syslog or off)", d->name,
		            values[0]);
	return config_set_text(cfg, d, values, count, msg, msg_size);
}

/* The error log always goes somewhere. */
int config_set_error_log(struct config *cfg, const struct directive *d, char **values, int count,
                         char *msg, size_t msg_size)
{
	if (strcmp(values[0], "off") == 0)
		return fail(msg, msg_size, "%s cannot be '%s' (a path, syslog or stderr)", d->name,
		            values[0]);
	return config_set_text(cfg, d, values, count, msg, msg_size);
}

int config_set_duration(struct config *cfg, const struct directive *d, char **values, int count,
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

int config_set_file_mode(struct config *cfg, const struct directive *d, char **values, int count,
                         char *msg, size_t msg_size)
{
	(void)count;
	const char *text = values[0];
	unsigned mode = 0;
	size_t len = strlen(text);
	bool valid = len >= 3 && len <= 4;
	for (size_t i = 0; valid && i < len; i++) {
		valid = text[i] >= '0' && text[i] <= '7';
		mode = mode * 8 + (unsigned)(text[i] - '0');
	}
	if (!valid || mode > 0777)
		return fail(msg, msg_size,
		            "invalid mode '%s' for %s (octal permission bits, like 0660)", text,
		            d->name);
	*(unsigned *)config_field(cfg, d) = mode;
	return 0;
}

/* A delay, which may be 0 (none). */
int config_set_delay(struct config *cfg, const struct directive *d, char **values, int count,
                     char *msg, size_t msg_size)
{
	int64_t ms;
	(void)count;
	if (!config_parse_duration(values[0], &ms))
		return fail(msg, msg_size,
		            "invalid duration '%s' for %s (a number with ms, s, m or h)", values[0],
		            d->name);
	*(int64_t *)config_field(cfg, d) = ms;
	return 0;
}

int config_set_count(struct config *cfg, const struct directive *d, char **values, int count,
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

int config_set_bool(struct config *cfg, const struct directive *d, char **values, int count,
                    char *msg, size_t msg_size)
{
	(void)count;
	if (strcmp(values[0], "on") != 0 && strcmp(values[0], "off") != 0)
		return fail(msg, msg_size, "invalid value '%s' for %s (on or off)", values[0],
		            d->name);
	*(bool *)config_field(cfg, d) = strcmp(values[0], "on") == 0;
	return 0;
}

int config_set_size(struct config *cfg, const struct directive *d, char **values, int count,
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
static int choose(const struct directive *d, const char *const *choices, const char *value,
                  char *msg, size_t msg_size)
{
	int i = config_choice_index(choices, value);
	if (i < 0) {
		char list[128];
		config_list_choices(choices, list, sizeof list);
		return fail(msg, msg_size, "invalid value '%s' for %s (one of: %s)", value, d->name,
		            list);
	}
	return i;
}

/* The value's position among the row's choices is stored, as an int: the
 * choices are listed in the order of their enum. */
int config_set_choice(struct config *cfg, const struct directive *d, char **values, int count,
                      char *msg, size_t msg_size)
{
	int i = choose(d, d->choices, values[0], msg, msg_size);
	(void)count;
	if (i < 0)
		return -1;
	memcpy(config_field(cfg, d), &i, sizeof i);
	return 0;
}

/* ------------------------------------------------------------ setters: lists */

int config_add_listen(struct config *cfg, const struct directive *d, char **values, int count,
                      char *msg, size_t msg_size)
{
	(void)d;
	if (cfg->listen_count == CONFIG_MAX_LISTEN)
		return fail(msg, msg_size, "too many listen addresses (at most %d)",
		            CONFIG_MAX_LISTEN);
	struct listen_addr *addr = &cfg->listen[cfg->listen_count];
	if (listen_addr_parse(values[0], addr, msg, msg_size) < 0)
		return -1;
	if (count == 2 && strcmp(values[1], "proxy_protocol") != 0)
		return fail(msg, msg_size, "unknown listen option '%s' (proxy_protocol)",
		            values[1]);
	addr->proxy_protocol = count == 2;
	cfg->listen_count++;
	return 0;
}

void config_clear_listen(struct config *cfg, const struct directive *d)
{
	(void)d;
	cfg->listen_count = 0;
}

void config_clear_index(struct config *cfg, const struct directive *d)
{
	(void)d;
	for (size_t i = 0; i < cfg->index_count; i++) {
		free(cfg->index[i]);
		cfg->index[i] = NULL;
	}
	cfg->index_count = 0;
}

/* index NAME...: plain file names, which replace the previous ones. */
int config_set_index(struct config *cfg, const struct directive *d, char **values, int count,
                     char *msg, size_t msg_size)
{
	config_clear_index(cfg, d);
	for (int i = 0; i < count; i++) {
		if (values[i][0] == '\0' || strchr(values[i], '/') != NULL)
			return fail(msg, msg_size, "invalid index file name '%s' (a plain name)",
			            values[i]);
		if (config_replace_string(&cfg->index[cfg->index_count++], values[i]) < 0)
			return out_of_memory(msg, msg_size);
	}
	return 0;
}

int config_add_redirect(struct config *cfg, const struct directive *d, char **values, int count,
                        char *msg, size_t msg_size)
{
	(void)d;
	if (cfg->redirect_count == CONFIG_MAX_REDIRECTS)
		return fail(msg, msg_size, "too many redirect lines (at most %d)",
		            CONFIG_MAX_REDIRECTS);
	struct redirect_rule *rule = &cfg->redirects[cfg->redirect_count];
	if (redirect_rule_parse(values[0], values[1], count == 3 ? values[2] : NULL, rule, msg,
	                        msg_size) < 0)
		return -1;
	cfg->redirect_count++;
	return 0;
}

void config_clear_redirects(struct config *cfg, const struct directive *d)
{
	(void)d;
	for (size_t i = 0; i < cfg->redirect_count; i++)
		redirect_rule_free(&cfg->redirects[i]);
	cfg->redirect_count = 0;
}

/* auth_basic PREFIX REALM USERFILE: one rule per prefix; its user file is read
 * and checked now, so that -t, a start and a reload refuse a weak one alike. */
int config_add_auth_basic(struct config *cfg, const struct directive *d, char **values, int count,
                          char *msg, size_t msg_size)
{
	(void)d;
	(void)count;
	if (cfg->auth_rule_count == CONFIG_MAX_AUTH_RULES)
		return fail(msg, msg_size, "too many auth_basic lines (at most %d)",
		            CONFIG_MAX_AUTH_RULES);
	struct auth_rule rule;
	char why[480];
	if (auth_rule_parse(values[0], values[1], values[2], &rule, why, sizeof why) < 0)
		return fail(msg, msg_size, "auth_basic: %s", why);
	for (size_t i = 0; i < cfg->auth_rule_count; i++) {
		if (strcmp(cfg->auth_rules[i].path, rule.path) == 0) {
			auth_rule_free(&rule);
			return fail(msg, msg_size,
			            "auth_basic: the prefix '%s' is already protected", values[0]);
		}
	}
	cfg->auth_rules[cfg->auth_rule_count++] = rule;
	return 0;
}

void config_clear_auth_basic(struct config *cfg, const struct directive *d)
{
	(void)d;
	for (size_t i = 0; i < cfg->auth_rule_count; i++)
		auth_rule_free(&cfg->auth_rules[i]);
	cfg->auth_rule_count = 0;
}

void config_clear_networks(struct config *cfg, const struct directive *d)
{
	struct config_networks *list = config_field(cfg, d);
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i]);
		list->items[i] = NULL;
	}
	list->count = 0;
}

int config_set_networks(struct config *cfg, const struct directive *d, char **values, int count,
                        char *msg, size_t msg_size)
{
	struct config_networks *list = config_field(cfg, d);
	config_clear_networks(cfg, d);
	for (int i = 0; i < count; i++) {
		struct netmask net;
		char why[128];
		if (netmask_parse(values[i], &net, why, sizeof why) < 0)
			return fail(msg, msg_size, "%s: %s", d->name, why);
		if (config_replace_string(&list->items[list->count++], values[i]) < 0)
			return out_of_memory(msg, msg_size);
	}
	return 0;
}

/* add_header NAME VALUE [SCOPE] [always]: a last word "always" (never a
 * scope, which starts with '/' or "*.") asks for every status. */
static bool take_always(char **values, int *count)
{
	if (*count < 3 || strcmp(values[*count - 1], "always") != 0)
		return false;
	(*count)--;
	return true;
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
	if (count > 3)
		return fail(msg, msg_size, "header '%s': '%s' after the scope (only 'always')",
		            name, values[3]);
	const char *scope = count == 3 ? values[2] : NULL;
	if (scope != NULL && scope[0] != '/' && strncmp(scope, "*.", 2) != 0)
		return fail(msg, msg_size,
		            "invalid scope '%s' (a path prefix like /assets/ or *.css)", scope);
	return 0;
}

static int check_cors_field_free(const struct config *cfg, const char *name, char *msg,
                                 size_t msg_size);

int config_add_header(struct config *cfg, const struct directive *d, char **values, int count,
                      char *msg, size_t msg_size)
{
	(void)d;
	bool always = take_always(values, &count);
	if (check_header_rule(values, count, msg, msg_size) < 0 ||
	    check_cors_field_free(cfg, values[0], msg, msg_size) < 0)
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
	rule->always = always;
	cfg->header_count++;
	return 0;
}

void config_clear_headers(struct config *cfg, const struct directive *d)
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

int config_add_error_page(struct config *cfg, const struct directive *d, char **values, int count,
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

void config_clear_error_pages(struct config *cfg, const struct directive *d)
{
	(void)d;
	for (size_t i = 0; i < cfg->error_page_count; i++)
		free(cfg->error_pages[i].path);
	cfg->error_page_count = 0;
}

void config_clear_text(struct config *cfg, const struct directive *d)
{
	char **slot = config_field(cfg, d);
	free(*slot);
	*slot = NULL;
}

/* ------------------------------------------------------------ CORS and fallback */

void config_clear_cors_list(struct config *cfg, const struct directive *d)
{
	struct config_cors_list *list = config_field(cfg, d);
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i]);
		list->items[i] = NULL;
	}
	list->count = 0;
}

/* With cors_origins the server writes the CORS fields (Access-Control-*)
 * itself: a second Access-Control-Allow-Origin from add_header would fail
 * every cross-origin request. Without it, add_header may still set them. */
static bool is_cors_field(const char *name)
{
	return strncasecmp(name, "Access-Control-", 15) == 0;
}

static int check_cors_field_free(const struct config *cfg, const char *name, char *msg,
                                 size_t msg_size)
{
	if (cfg->cors_origins.count > 0 && is_cors_field(name))
		return fail(msg, msg_size,
		            "header '%s' is set by switchboard itself with cors_origins", name);
	return 0;
}

static int check_no_cors_header_rule(const struct config *cfg, char *msg, size_t msg_size)
{
	for (size_t i = 0; i < cfg->header_count; i++) {
		const char *line = cfg->headers[i].line;
		if (is_cors_field(line))
			return fail(
			    msg, msg_size,
			    "cors_origins: add_header sets '%.*s' already (remove that line: "
			    "switchboard writes the CORS fields itself)",
			    (int)strcspn(line, ":"), line);
	}
	return 0;
}

/* "*" means every one: a list that also names some would say two things. */
static int check_star_alone(const struct directive *d, char **values, int count, char *msg,
                            size_t msg_size)
{
	for (int i = 0; i < count && count > 1; i++)
		if (strcmp(values[i], "*") == 0)
			return fail(msg, msg_size, "%s: '*' stands alone (it allows every one)",
			            d->name);
	return 0;
}

static int add_to_cors_list(struct config_cors_list *list, const char *value, char *msg,
                            size_t msg_size)
{
	if (config_replace_string(&list->items[list->count++], value) < 0)
		return out_of_memory(msg, msg_size);
	return 0;
}

/* cors_origins ORIGIN... | *: kept in the form they are compared in. */
int config_set_cors_origins(struct config *cfg, const struct directive *d, char **values, int count,
                            char *msg, size_t msg_size)
{
	struct config_cors_list *list = config_field(cfg, d);
	config_clear_cors_list(cfg, d);
	if (check_star_alone(d, values, count, msg, msg_size) < 0 ||
	    check_no_cors_header_rule(cfg, msg, msg_size) < 0)
		return -1;
	for (int i = 0; i < count; i++) {
		char origin[CORS_ORIGIN_MAX + 1], why[256];
		if (cors_origin_normalize(values[i], origin, sizeof origin, why, sizeof why) < 0)
			return fail(msg, msg_size, "%s: %s", d->name, why);
		if (add_to_cors_list(list, origin, msg, msg_size) < 0)
			return -1;
	}
	return 0;
}

/* cors_headers and cors_expose_headers NAME... | *: field names. */
int config_set_cors_headers(struct config *cfg, const struct directive *d, char **values, int count,
                            char *msg, size_t msg_size)
{
	struct config_cors_list *list = config_field(cfg, d);
	config_clear_cors_list(cfg, d);
	if (check_star_alone(d, values, count, msg, msg_size) < 0)
		return -1;
	for (int i = 0; i < count; i++) {
		char why[256];
		if (cors_header_name_check(values[i], why, sizeof why) < 0)
			return fail(msg, msg_size, "%s: %s", d->name, why);
		if (add_to_cors_list(list, values[i], msg, msg_size) < 0)
			return -1;
	}
	return 0;
}

void config_clear_fallback(struct config *cfg, const struct directive *d)
{
	(void)d;
	free(cfg->fallback.path);
	cfg->fallback.path = NULL;
	cfg->fallback.scope = FALLBACK_EXTENSIONLESS;
}

/* fallback PATH [extensionless | all]: a file below the root, resolved as a
 * request for it (never above the root, never hidden); off: none. */
int config_set_fallback(struct config *cfg, const struct directive *d, char **values, int count,
                        char *msg, size_t msg_size)
{
	config_clear_fallback(cfg, d);
	if (strcmp(values[0], "off") == 0 && count == 1)
		return 0;
	int scope = FALLBACK_EXTENSIONLESS;
	if (count == 2 && (scope = choose(d, fallback_scope_names, values[1], msg, msg_size)) < 0)
		return -1;
	char *path = error_page_path(values[0]);
	if (path == NULL)
		return fail(
		    msg, msg_size,
		    "invalid path '%s' for fallback (a file below the root, starting with /, "
		    "or off)",
		    values[0]);
	cfg->fallback.path = path;
	cfg->fallback.scope = (enum fallback_scope)scope;
	return 0;
}
