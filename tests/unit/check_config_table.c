/* Unit tests for config_table: the directive table itself, the function in
 * each row (a good and a bad value for every directive, with its message),
 * and where each value came from (the origins). */
#include "autoconfig.h"

#include "config.h"
#include "config_directive.h"

#include "check_run.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_VALUES 9

_Static_assert(sizeof(((struct config *)0)->origin) / sizeof(int) == DIRECTIVE_COUNT,
               "an origin for every directive, and no more");

/* User files for auth_basic, made in the working directory by main(). */
#define USERS_FILE "check_config_table.users"
#define WEAK_USERS_FILE "check_config_table.weak"

/* --------------------------------------------------------------- helpers */

/* The CORS lists, words joined by spaces; the fallback as "PATH SCOPE". */
static void render_cors_and_fallback(const struct config *cfg, enum directive_id id, char *out,
                                     size_t size)
{
	const struct config_cors_list *list = id == DIRECTIVE_CORS_ORIGINS   ? &cfg->cors_origins
	                                      : id == DIRECTIVE_CORS_HEADERS ? &cfg->cors_headers
	                                      : id == DIRECTIVE_CORS_EXPOSE_HEADERS
	                                          ? &cfg->cors_expose_headers
	                                          : NULL;
	size_t n = 0;
	for (size_t i = 0; list != NULL && i < list->count; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", list->items[i]);
	if (id == DIRECTIVE_FALLBACK && cfg->fallback.path != NULL)
		snprintf(out, size, "%s %s", cfg->fallback.path,
		         fallback_scope_names[cfg->fallback.scope]);
}

/* A directive's value as text: texts as they are ("-" for none), scalars in
 * decimal, addresses as URLs, lists joined by spaces. */
static void render_list(const struct config *cfg, enum directive_id id, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; id == DIRECTIVE_LISTEN && i < cfg->listen_count; i++) {
		char url[128];
		listen_addr_url((const struct sockaddr *)&cfg->listen[i].ss, url, sizeof url);
		n += (size_t)snprintf(out + n, size - n, "%s%s%s", i ? " " : "", url,
		                      cfg->listen[i].proxy_protocol ? " proxy_protocol" : "");
	}
	for (size_t i = 0; id == DIRECTIVE_INDEX && i < cfg->index_count; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", cfg->index[i]);
	for (size_t i = 0; id == DIRECTIVE_ADD_HEADER && i < cfg->header_count; i++)
		n +=
		    (size_t)snprintf(out + n, size - n, "%s%.*s@%s%s", i ? " " : "",
		                     (int)strcspn(cfg->headers[i].line, "\r"), cfg->headers[i].line,
		                     cfg->headers[i].scope ? cfg->headers[i].scope : "*",
		                     cfg->headers[i].always ? "!always" : "");
	const struct config_networks *nets = id == DIRECTIVE_METRICS_ALLOW   ? &cfg->metrics_allow
	                                     : id == DIRECTIVE_PROXY_TRUSTED ? &cfg->proxy_trusted
	                                                                     : NULL;
	for (size_t i = 0; nets != NULL && i < nets->count; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", nets->items[i]);
	for (size_t i = 0; id == DIRECTIVE_REDIRECT && i < cfg->redirect_count; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s%s>%s %d", i ? " " : "",
		                      cfg->redirects[i].from, cfg->redirects[i].prefix ? "*" : "",
		                      cfg->redirects[i].to, cfg->redirects[i].status);
	for (size_t i = 0; id == DIRECTIVE_AUTH_BASIC && i < cfg->auth_rule_count; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s %s %s (%zu users)", i ? " " : "",
		                      cfg->auth_rules[i].prefix, cfg->auth_rules[i].realm,
		                      cfg->auth_rules[i].user_file, cfg->auth_rules[i].users.count);
	for (size_t i = 0; id == DIRECTIVE_ERROR_PAGE && i < cfg->error_page_count; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%d %s", i ? " " : "",
		                      cfg->error_pages[i].status, cfg->error_pages[i].path);
	render_cors_and_fallback(cfg, id, out + n, size - n);
}

/* A flag, an enum or a number, read as the size of its field says. */
static unsigned long long scalar(const void *field, size_t size)
{
	bool flag;
	unsigned choice;
	uint64_t number;
	switch (size) {
	case sizeof flag:
		memcpy(&flag, field, size);
		return flag;
	case sizeof choice:
		memcpy(&choice, field, size);
		return choice;
	case sizeof number:
		memcpy(&number, field, size);
		return number;
	}
	ck_abort_msg("a scalar of %zu bytes", size);
	return 0;
}

static void render(const struct config *cfg, const struct directive *d, char *out, size_t size)
{
	const void *field = config_const_field(cfg, d);
	switch (d->storage) {
	case STORE_TEXT: {
		const char *text;
		memcpy(&text, field, sizeof text);
		snprintf(out, size, "%s", text != NULL ? text : "-");
		break;
	}
	case STORE_SCALAR:
		snprintf(out, size, "%llu", scalar(field, d->size));
		break;
	case STORE_LISTEN:
	case STORE_LIST:
		render_list(cfg, config_directive_id(d), out, size);
		break;
	}
}

/* Copies of values (config_set_directive may write into them). */
struct values {
	char text[MAX_VALUES][128];
	char *v[MAX_VALUES];
	int count;
};

static void make_values(struct values *vals, const char *const *values)
{
	vals->count = 0;
	for (int i = 0; i < MAX_VALUES && values[i] != NULL; i++) {
		snprintf(vals->text[i], sizeof vals->text[i], "%s", values[i]);
		vals->v[i] = vals->text[i];
		vals->count++;
	}
}

static int set(struct config *cfg, const char *name, const char *const *values, int origin,
               char *msg, size_t msg_size)
{
	const struct directive *d = config_directive_find(name);
	struct values vals;
	ck_assert_msg(d != NULL, "no directive %s", name);
	make_values(&vals, values);
	msg[0] = '\0';
	return config_set_directive(cfg, d, vals.v, vals.count, origin, msg, msg_size);
}

/* ------------------------------------------------------------ the table */

START_TEST(test_rows)
{
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const struct directive *d = config_directive((enum directive_id)i);
		ck_assert_msg(d->name != NULL && d->set != NULL, "row %d is empty", i);
		ck_assert_msg(config_directive_find(d->name) == d, "%s found elsewhere", d->name);
		ck_assert_int_eq(config_directive_id(d), i);
		ck_assert_msg(d->least >= 1 && d->most >= d->least, "%s: values", d->name);
		ck_assert_msg(d->offset + d->size <= offsetof(struct config, linger_timeout_ms),
		              "%s: field outside the directives' part of struct config", d->name);
		/* A new layer clears a repeatable directive; config_free clears texts. */
		ck_assert_msg(!d->repeat || d->clear != NULL, "%s: repeats, no clear", d->name);
		ck_assert_msg(d->storage != STORE_TEXT || d->clear != NULL, "%s: text not freed",
		              d->name);
		/* A reload can compare and keep texts, scalars and addresses only. */
		ck_assert_msg(d->reload || d->storage != STORE_LIST, "%s: restart list", d->name);
	}
	ck_assert_ptr_null(config_directive_find("no_such_directive"));
	ck_assert_ptr_null(config_directive_find(""));
	ck_assert_ptr_null(config_directive_find("Listen"));
}
END_TEST

/* The defaults are set through the rows, from the table's own text (a default
 * of several values has spaces between them). */
START_TEST(test_defaults_through_rows)
{
	struct config cfg, fresh;
	config_defaults(&cfg);
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const struct directive *d = config_directive((enum directive_id)i);
		char msg[256], got[512], want[512], words[128];
		const char *values[MAX_VALUES + 1] = {NULL};
		char *save = NULL;
		int nvalues = 0;
		snprintf(words, sizeof words, "%s", d->def != NULL ? d->def : "");
		for (char *w = strtok_r(words, " ", &save); w != NULL && nvalues < MAX_VALUES;
		     w = strtok_r(NULL, " ", &save))
			values[nvalues++] = w;
		render(&cfg, d, want, sizeof want);
		if (d->def == NULL) {
			ck_assert_msg(strcmp(want, "-") == 0 || want[0] == '\0', "%s: %s", d->name,
			              want);
			continue;
		}
		config_defaults(&fresh);
		ck_assert_msg(set(&fresh, d->name, values, 1, msg, sizeof msg) == 0, "%s: %s",
		              d->name, msg);
		render(&fresh, d, got, sizeof got);
		ck_assert_msg(strcmp(got, want) == 0, "%s: %s, default %s", d->name, got, want);
		config_free(&fresh);
	}
	config_free(&cfg);
}
END_TEST

/* ------------------------------------------------------------ good values */

struct good_case {
	const char *directive;
	const char *values[MAX_VALUES];
	const char *stored; /* as render() writes it */
};

static const struct good_case good_cases[] = {
    {"listen", {"[::1]:81"}, "http://[::1]:81/"},
    {"root", {"/srv/my site"}, "/srv/my site"},
    {"index", {"index.htm", "a b.html"}, "index.htm a b.html"},
    {"user", {"www-data"}, "www-data"},
    {"group", {"staff"}, "staff"},
    {"chroot", {"/var/empty"}, "/var/empty"},
    {"pidfile", {"/run/sb.pid"}, "/run/sb.pid"},
    {"access_log", {"syslog"}, "syslog"},
    {"error_log", {"/var/log/sb.err"}, "/var/log/sb.err"},
    {"log_level", {"debug"}, "3"},
    {"workers", {"64"}, "64"},
    {"max_connections", {"1000"}, "1000"},
    {"max_connections_per_client", {"1"}, "1"},
    {"header_timeout", {"500ms"}, "500"},
    {"keepalive_timeout", {"2m"}, "120000"},
    {"send_timeout", {"8760h"}, "31536000000"},
    {"graceful_timeout", {"7"}, "7000"},
    {"keepalive", {"off"}, "0"},
    {"max_keepalive_requests", {"1000000000"}, "1000000000"},
    {"hidden_files", {"allow"}, "1"},
    {"follow_symlinks", {"always"}, "2"},
    {"sendfile", {"on"}, "0"},
    {"defer_accept", {"0"}, "0"},
    {"defer_accept", {"3s"}, "3000"},
    {"sendfile", {"off"}, "1"},
    {"sendfile", {"remote"}, "2"},
    {"mime_types", {"/etc/my.types"}, "/etc/my.types"},
    {"default_type", {"text/plain"}, "text/plain"},
    {"charset", {"utf-8"}, "utf-8"},
    {"precompressed", {"on"}, "1"},
    {"listing", {"on"}, "1"},
    {"file_cache", {"512k"}, "524288"},
    {"add_header",
     {"Cache-Control", "max-age=60", "/assets/"},
     "Cache-Control: max-age=60@/assets/"},
    {"error_page", {"404", "/errors/../404.html"}, "404 /404.html"},
    {"health_path", {"/healthz"}, "/healthz"},
    {"health_log", {"on"}, "1"},
    {"drain_delay", {"3s"}, "3000"},
    {"unix_socket_mode", {"0660"}, "432"},
    {"access_log_proxy", {"on"}, "1"},
    {"real_client_header", {"x-forwarded-for"}, "1"},
    {"real_client_header", {"forwarded"}, "2"},
    {"unix_socket_group", {"www-data"}, "www-data"},
    {"listen", {"unix:/run/sb/http.sock"}, "unix:/run/sb/http.sock"},
    {"redirect", {"/old.html", "/new.html"}, "/old.html>/new.html 301"},
    {"auth_basic",
     {"/private", "Team files", USERS_FILE},
     "/private Team files " USERS_FILE " (1 users)"},
    {"redirect",
     {"/docs/*", "https://docs.example.com/", "308"},
     "/docs/*>https://docs.example.com/ 308"},
    {"drain_delay", {"0"}, "0"},
    {"metrics_path", {"/metrics"}, "/metrics"},
    {"metrics_allow", {"10.0.0.0/8", "fd00::/8", "192.0.2.7"}, "10.0.0.0/8 fd00::/8 192.0.2.7"},
    {"proxy_trusted", {"127.0.0.0/8", "::ffff:10.0.0.0/104"}, "127.0.0.0/8 ::ffff:10.0.0.0/104"},
    {"listen", {"127.0.0.1:81", "proxy_protocol"}, "http://127.0.0.1:81/ proxy_protocol"},
    /* More of the same kinds. */
    {"health_path", {"/-/ready:now"}, "/-/ready:now"},
    {"health_path", {"off"}, "off"},
    {"listen", {"*:80"}, "http://0.0.0.0:80/"},
    {"log_level", {"error"}, "0"},
    {"hidden_files", {"deny"}, "0"},
    {"follow_symlinks", {"never"}, "0"},
    {"file_cache", {"off"}, "0"},
    {"file_cache", {"1g"}, "1073741824"},
    {"add_header", {"X-Frame-Options", "DENY"}, "X-Frame-Options: DENY@*"},
    {"add_header", {"X-Tab", "a\tb", "*.css"}, "X-Tab: a\tb@*.css"},
    {"add_header",
     {"Access-Control-Allow-Origin", "*", "always"},
     "Access-Control-Allow-Origin: *@*!always"},
    {"add_header", {"X-A", "a", "/docs/", "always"}, "X-A: a@/docs/!always"},
    {"add_header", {"X-A", "always"}, "X-A: always@*"}, /* a value, not the word */
    {"error_page", {"599", "/e.html"}, "599 /e.html"},
    {"cors_origins",
     {"HTTPS://App.Example:443", "http://127.0.0.1:8080"},
     "https://app.example http://127.0.0.1:8080"},
    {"cors_origins", {"*"}, "*"},
    {"cors_headers", {"X-Token", "Content-Type"}, "X-Token Content-Type"},
    {"cors_headers", {"*"}, "*"},
    {"cors_expose_headers", {"ETag"}, "ETag"},
    {"cors_max_age", {"1h"}, "3600000"},
    {"cors_max_age", {"0"}, "0"},
    {"fallback", {"/index.html"}, "/index.html extensionless"},
    {"fallback", {"/app/../index.html", "all"}, "/index.html all"},
    {"fallback", {"/app.html", "extensionless"}, "/app.html extensionless"},
    {"fallback", {"off"}, ""},
};

START_TEST(test_good_value)
{
	const struct good_case *c = &good_cases[_i];
	const struct directive *d = config_directive_find(c->directive);
	struct config cfg;
	char msg[512], got[512], where[64];
	config_defaults(&cfg);
	cfg.file = strdup("site.conf");
	ck_assert_msg(set(&cfg, c->directive, c->values, 7, msg, sizeof msg) == 0, "%s: %s",
	              c->directive, msg);
	render(&cfg, d, got, sizeof got);
	ck_assert_msg(strcmp(got, c->stored) == 0, "%s: stored \"%s\", expected \"%s\"",
	              c->directive, got, c->stored);
	config_origin(&cfg, c->directive, where, sizeof where);
	ck_assert_str_eq(where, "site.conf:7");
	config_free(&cfg);
}
END_TEST

/* ------------------------------------------------------------ bad values */

struct bad_case {
	const char *directive;
	const char *values[MAX_VALUES];
	const char *message; /* all of it */
};

static const struct bad_case bad_cases[] = {
    {"listen", {"127.0.0.1:80x"}, "invalid port '80x' in listen address '127.0.0.1:80x'"},
    {"root", {""}, "root needs a non-empty value"},
    {"index", {"a/b"}, "invalid index file name 'a/b' (a plain name)"},
    {"user", {""}, "user needs a non-empty value"},
    {"group", {"st\001ff"}, "group: control character in the value"},
    {"chroot", {""}, "chroot needs a non-empty value"},
    {"pidfile", {"/run/\177"}, "pidfile: control character in the value"},
    {"access_log", {"stderr"}, "access_log cannot be 'stderr' (a path, syslog or off)"},
    {"error_log", {"off"}, "error_log cannot be 'off' (a path, syslog or stderr)"},
    {"log_level",
     {"loud"},
     "invalid value 'loud' for log_level (one of: error, warn, info, debug)"},
    {"workers", {"65"}, "invalid value '65' for workers (1 to 64)"},
    {"max_connections", {"0"}, "invalid value '0' for max_connections (1 to 1000)"},
    {"max_connections_per_client",
     {"1001"},
     "invalid value '1001' for max_connections_per_client (1 to 1000)"},
    {"header_timeout",
     {"0"},
     "invalid duration '0' for header_timeout (a positive number with ms, s, m or h)"},
    {"keepalive_timeout",
     {"1.5s"},
     "invalid duration '1.5s' for keepalive_timeout (a positive number with ms, s, m or h)"},
    {"send_timeout",
     {"8761h"},
     "invalid duration '8761h' for send_timeout (a positive number with ms, s, m or h)"},
    {"graceful_timeout",
     {"10x"},
     "invalid duration '10x' for graceful_timeout (a positive number with ms, s, m or h)"},
    {"keepalive", {"yes"}, "invalid value 'yes' for keepalive (on or off)"},
    {"max_keepalive_requests",
     {"1000000001"},
     "invalid value '1000000001' for max_keepalive_requests (1 to 1000000000)"},
    {"hidden_files", {"show"}, "invalid value 'show' for hidden_files (one of: deny, allow)"},
    {"defer_accept",
     {"soon"},
     "invalid duration 'soon' for defer_accept (a number with ms, s, m or h)"},
    {"sendfile", {"local"}, "invalid value 'local' for sendfile (one of: on, off, remote)"},
    {"follow_symlinks",
     {"sometimes"},
     "invalid value 'sometimes' for follow_symlinks (one of: never, inside-root, always)"},
    {"mime_types", {""}, "mime_types needs a non-empty value"},
    {"default_type", {"text/\n"}, "default_type: control character in the value"},
    {"charset", {""}, "charset needs a non-empty value"},
    {"precompressed", {"1"}, "invalid value '1' for precompressed (on or off)"},
    {"listing", {"ON"}, "invalid value 'ON' for listing (on or off)"},
    {"file_cache",
     {"16x"},
     "invalid size '16x' for file_cache (bytes, or a number with k, m or g; off)"},
    {"add_header", {"Date", "today"}, "header 'Date' is set by switchboard itself"},
    {"error_page", {"399", "/e.html"}, "invalid status '399' for error_page (400 to 599)"},
    {"health_path",
     {"healthz"},
     "invalid path 'healthz' for health_path (a path like /healthz, or off)"},
    {"health_log", {"yes"}, "invalid value 'yes' for health_log (on or off)"},
    {"redirect",
     {"/old", "//evil.example/"},
     "invalid redirect target '//evil.example/' (a path like /new.html, or an http(s) URL)"},
    {"redirect", {"/old"}, "redirect takes 2 to 3 values"},
    {"auth_basic",
     {"/private", "Team", WEAK_USERS_FILE},
     "auth_basic: " WEAK_USERS_FILE ":2: user 'bob': MD5 hash refused; use bcrypt, yescrypt or "
     "sha512-crypt (htpasswd -B, mkpasswd -m yescrypt)"},
    {"auth_basic", {"/private", "Team"}, "auth_basic takes 3 values"},
    {"unix_socket_mode",
     {"0800"},
     "invalid mode '0800' for unix_socket_mode (octal permission bits, like 0660)"},
    {"unix_socket_group", {""}, "unix_socket_group needs a non-empty value"},
    {"access_log_proxy", {"yes"}, "invalid value 'yes' for access_log_proxy (on or off)"},
    {"real_client_header",
     {"X-Real-IP"},
     "invalid value 'X-Real-IP' for real_client_header (one of: off, x-forwarded-for, forwarded)"},
    {"listen",
     {"unix:run/sb.sock"},
     "invalid listen address 'unix:run/sb.sock' (unix: and an absolute path of at most 107 bytes)"},
    {"drain_delay",
     {"-1s"},
     "invalid duration '-1s' for drain_delay (a number with ms, s, m or h)"},
    {"metrics_path",
     {"metrics"},
     "invalid path 'metrics' for metrics_path (a path like /healthz, or off)"},
    {"proxy_trusted",
     {"::1/129"},
     "proxy_trusted: \"::1/129\": the prefix length must be 0 to 128"},
    {"listen", {"127.0.0.1:81", "proxy"}, "unknown listen option 'proxy' (proxy_protocol)"},
    {"metrics_allow",
     {"10.0.0.1/8"},
     "metrics_allow: \"10.0.0.1/8\": bits set past the prefix length"},
    {"metrics_allow",
     {"localhost"},
     "metrics_allow: \"localhost\" is not an IP address or network"},
    /* More of the same kinds. */
    {"health_path", {"/"}, "invalid path '/' for health_path (a path like /healthz, or off)"},
    {"health_path", {"/a?b"}, "invalid path '/a?b' for health_path (a path like /healthz, or off)"},
    {"health_path",
     {"/a%20b"},
     "invalid path '/a%20b' for health_path (a path like /healthz, or off)"},
    {"health_path", {"/a b"}, "invalid path '/a b' for health_path (a path like /healthz, or off)"},
    {"add_header", {"Bad:Name", "x"}, "invalid header name 'Bad:Name'"},
    {"add_header", {"content-length", "1"}, "header 'content-length' is set by switchboard itself"},
    {"add_header", {"X-A", "a\rb"}, "header 'X-A': control character in the value"},
    {"add_header",
     {"X-A", "a", "assets"},
     "invalid scope 'assets' (a path prefix like /assets/ or *.css)"},
    {"error_page", {"4040", "/e.html"}, "invalid status '4040' for error_page (400 to 599)"},
    {"error_page", {"600", "/e.html"}, "invalid status '600' for error_page (400 to 599)"},
    {"error_page",
     {"404", "e.html"},
     "invalid path 'e.html' for error_page (a file below the root, starting with /)"},
    {"error_page",
     {"404", "/errors/"},
     "invalid path '/errors/' for error_page (a file below the root, starting with /)"},
    {"error_page",
     {"404", "/.hidden"},
     "invalid path '/.hidden' for error_page (a file below the root, starting with /)"},
    {"error_page",
     {"404", "/e.html?x"},
     "invalid path '/e.html?x' for error_page (a file below the root, starting with /)"},
    {"index", {""}, "invalid index file name '' (a plain name)"},
    {"file_cache",
     {"1099511627777"},
     "invalid size '1099511627777' for file_cache (bytes, or a number with k, m or g; off)"},
    /* How many values. */
    {"root", {"a", "b"}, "root takes one value"},
    {"listen", {NULL}, "listen takes 1 to 2 values"},
    {"index", {"1", "2", "3", "4", "5", "6", "7", "8", "9"}, "index takes 1 to 8 values"},
    {"add_header", {"X-A"}, "add_header takes 2 to 4 values"},
    {"add_header", {"X-A", "a", "/b", "/c"}, "header 'X-A': '/c' after the scope (only 'always')"},
    {"add_header", {"X-A", "a", "/b", "always", "x"}, "add_header takes 2 to 4 values"},
    {"add_header",
     {"X-A", "a", "always", "always"},
     "invalid scope 'always' (a path prefix like /assets/ or *.css)"},
    {"error_page", {"404"}, "error_page takes 2 values"},
    {"cors_origins",
     {"https://app.example/"},
     "cors_origins: invalid origin 'https://app.example/' (an origin has no path, not even a "
     "final '/')"},
    {"cors_origins",
     {"*", "https://app.example"},
     "cors_origins: '*' stands alone (it allows every one)"},
    {"cors_origins",
     {"null"},
     "cors_origins: invalid origin 'null' (the opaque origin 'null' is shared by every "
     "sandboxed page and local file: it cannot be allowed)"},
    {"cors_origins",
     {"app.example"},
     "cors_origins: invalid origin 'app.example' (scheme://host[:port], like "
     "https://app.example)"},
    {"cors_headers",
     {"X Token"},
     "cors_headers: invalid header name 'X Token' (a field name of at most 64 bytes)"},
    {"cors_expose_headers",
     {"ETag", "*"},
     "cors_expose_headers: '*' stands alone (it allows every one)"},
    {"cors_max_age",
     {"-1"},
     "invalid duration '-1' for cors_max_age (a number with ms, s, m or h)"},
    {"fallback",
     {"index.html"},
     "invalid path 'index.html' for fallback (a file below the root, starting with /, or "
     "off)"},
    {"fallback",
     {"/"},
     "invalid path '/' for fallback (a file below the root, starting with /, or off)"},
    {"fallback",
     {"/.app.html"},
     "invalid path '/.app.html' for fallback (a file below the root, starting with /, or "
     "off)"},
    {"fallback",
     {"/index.html", "some"},
     "invalid value 'some' for fallback (one of: extensionless, all)"},
    {"fallback", {"/a", "all", "x"}, "fallback takes 1 to 2 values"},
};

/* With cors_origins, the CORS fields are the server's: add_header may not set
 * them too, whichever line comes first. */
START_TEST(test_cors_and_add_header)
{
	struct config cfg;
	char msg[256];
	const char *const acao[] = {"Access-Control-Allow-Origin", "*", "always", NULL};
	const char *const origins[] = {"https://app.example", NULL};
	const char *const other[] = {"X-Frame-Options", "DENY", NULL};
	config_defaults(&cfg);
	ck_assert_int_eq(set(&cfg, "add_header", acao, 1, msg, sizeof msg), 0);
	ck_assert_int_eq(set(&cfg, "cors_origins", origins, 2, msg, sizeof msg), -1);
	ck_assert_str_eq(msg, "cors_origins: add_header sets 'Access-Control-Allow-Origin' already "
	                      "(remove that line: switchboard writes the CORS fields itself)");
	config_free(&cfg);

	config_defaults(&cfg);
	ck_assert_int_eq(set(&cfg, "cors_origins", origins, 1, msg, sizeof msg), 0);
	ck_assert_int_eq(set(&cfg, "add_header", other, 2, msg, sizeof msg), 0);
	ck_assert_int_eq(set(&cfg, "add_header", acao, 3, msg, sizeof msg), -1);
	ck_assert_str_eq(msg, "header 'Access-Control-Allow-Origin' is set by switchboard itself "
	                      "with cors_origins");
	config_free(&cfg);
}
END_TEST

START_TEST(test_bad_value)
{
	const struct bad_case *c = &bad_cases[_i];
	struct config cfg;
	char msg[512], where[64];
	config_defaults(&cfg);
	ck_assert_msg(set(&cfg, c->directive, c->values, 3, msg, sizeof msg) == -1, "%s accepted",
	              c->directive);
	ck_assert_msg(strcmp(msg, c->message) == 0, "%s: \"%s\", expected \"%s\"", c->directive,
	              msg, c->message);
	/* A refused value leaves no origin behind. */
	config_origin(&cfg, c->directive, where, sizeof where);
	ck_assert_str_eq(where, "default");
	ck_assert(!config_is_set(&cfg, c->directive));
	config_free(&cfg);
}
END_TEST

/* Every directive has a good and a bad case above. */
START_TEST(test_every_directive_tested)
{
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const char *name = config_directive((enum directive_id)i)->name;
		bool good = false, bad = false;
		for (size_t j = 0; j < ARRAY_LEN(good_cases); j++)
			good |= strcmp(good_cases[j].directive, name) == 0;
		for (size_t j = 0; j < ARRAY_LEN(bad_cases); j++)
			bad |= strcmp(bad_cases[j].directive, name) == 0;
		ck_assert_msg(good && bad, "%s: %s case missing", name, good ? "bad" : "good");
	}
}
END_TEST

/* Lists stop at their limits, with a message naming the limit. */
START_TEST(test_list_limits)
{
	static const struct {
		const char *directive;
		int limit;
		const char *message;
	} limits[] = {
	    {"listen", CONFIG_MAX_LISTEN, "too many listen addresses (at most 16)"},
	    {"add_header", CONFIG_MAX_HEADERS, "too many add_header lines (at most 32)"},
	    {"error_page", CONFIG_MAX_ERROR_PAGES, "too many error_page lines (at most 16)"},
	};
	for (size_t i = 0; i < ARRAY_LEN(limits); i++) {
		struct config cfg;
		char msg[256], a[32], b[32];
		bool listen = strcmp(limits[i].directive, "listen") == 0;
		const char *const values[] = {a, listen ? NULL : b, NULL};
		config_defaults(&cfg);
		for (int n = 0; n <= limits[i].limit; n++) {
			if (listen)
				snprintf(a, sizeof a, "127.0.0.1:%d", 8000 + n);
			else if (strcmp(limits[i].directive, "add_header") == 0)
				snprintf(a, sizeof a, "X-N%d", n);
			else
				snprintf(a, sizeof a, "%d", 400 + n);
			snprintf(b, sizeof b, "/%d.html", n);
			int rc = set(&cfg, limits[i].directive, values, 1, msg, sizeof msg);
			ck_assert_msg(rc == (n < limits[i].limit ? 0 : -1), "%s %d: %s",
			              limits[i].directive, n, msg);
		}
		ck_assert_str_eq(msg, limits[i].message);
		config_free(&cfg);
	}
}
END_TEST

/* ------------------------------------------------------------ origins */

/* Each directive has a slot of its own: set them all, each on its own line,
 * and each reports its own line. */
START_TEST(test_origin_every_directive)
{
	struct config cfg;
	config_defaults(&cfg);
	cfg.file = strdup("site.conf");
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const char *name = config_directive((enum directive_id)i)->name;
		char msg[256], where[64];
		ck_assert(!config_is_set(&cfg, name));
		config_origin(&cfg, name, where, sizeof where);
		ck_assert_str_eq(where, "default");
		for (size_t j = 0; j < ARRAY_LEN(good_cases); j++) {
			if (strcmp(good_cases[j].directive, name) != 0)
				continue;
			ck_assert_msg(
			    set(&cfg, name, good_cases[j].values, 100 + i, msg, sizeof msg) == 0,
			    "%s: %s", name, msg);
			break;
		}
	}
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const char *name = config_directive((enum directive_id)i)->name;
		char where[64], want[64];
		snprintf(want, sizeof want, "site.conf:%d", 100 + i);
		config_origin(&cfg, name, where, sizeof where);
		ck_assert_msg(strcmp(where, want) == 0, "%s: %s", name, where);
		ck_assert(config_is_set(&cfg, name));
	}
	config_free(&cfg);
}
END_TEST

/* A repeatable directive adds up within a layer (the defaults, the file, the
 * command line) and replaces what an earlier layer gave. */
START_TEST(test_origin_layers)
{
	static const struct {
		const char *address;
		int origin;
		const char *listen; /* afterwards */
		const char *from;
	} steps[] = {
	    {"127.0.0.1:1", 3, "http://127.0.0.1:1/", "site.conf:3"},
	    {"127.0.0.1:2", 5, "http://127.0.0.1:1/ http://127.0.0.1:2/", "site.conf:5"},
	    {"[::1]:3", ORIGIN_COMMAND_LINE, "http://[::1]:3/", "command line"},
	    {"[::1]:4", ORIGIN_COMMAND_LINE, "http://[::1]:3/ http://[::1]:4/", "command line"},
	};
	struct config cfg;
	const struct directive *d = config_directive(DIRECTIVE_LISTEN);
	config_defaults(&cfg);
	cfg.file = strdup("site.conf");
	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		const char *const values[] = {steps[i].address, NULL};
		char msg[256], got[256], where[64];
		ck_assert_int_eq(set(&cfg, "listen", values, steps[i].origin, msg, sizeof msg), 0);
		render(&cfg, d, got, sizeof got);
		ck_assert_str_eq(got, steps[i].listen);
		config_origin(&cfg, "listen", where, sizeof where);
		ck_assert_str_eq(where, steps[i].from);
	}
	config_free(&cfg);
}
END_TEST

/* A value given at the default origin is not "set"; unknown names have none. */
START_TEST(test_origin_default)
{
	static const char *const values[] = {"/srv", NULL};
	struct config cfg;
	char msg[256], where[64];
	config_defaults(&cfg);
	ck_assert_int_eq(set(&cfg, "root", values, ORIGIN_DEFAULT, msg, sizeof msg), 0);
	ck_assert_str_eq(cfg.root, "/srv");
	ck_assert(!config_is_set(&cfg, "root"));
	ck_assert(!config_is_set(&cfg, "no_such_directive"));
	config_origin(&cfg, "no_such_directive", where, sizeof where);
	ck_assert_str_eq(where, "default");
	ck_assert_int_eq(set(&cfg, "root", values, ORIGIN_COMMAND_LINE, msg, sizeof msg), 0);
	ck_assert(config_is_set(&cfg, "root"));
	config_origin(&cfg, "root", where, sizeof where);
	ck_assert_str_eq(where, "command line");
	config_free(&cfg);
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *config_table_suite(void)
{
	Suite *s = suite_create("config_table");
	TCase *table = tcase_create("table");
	TCase *rows = tcase_create("rows");
	TCase *origins = tcase_create("origins");

	tcase_add_test(table, test_rows);
	tcase_add_test(table, test_defaults_through_rows);
	tcase_add_test(table, test_every_directive_tested);
	suite_add_tcase(s, table);

	tcase_add_loop_test(rows, test_good_value, 0, (int)ARRAY_LEN(good_cases));
	tcase_add_loop_test(rows, test_bad_value, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_test(rows, test_list_limits);
	tcase_add_test(rows, test_cors_and_add_header);
	suite_add_tcase(s, rows);

	tcase_add_test(origins, test_origin_every_directive);
	tcase_add_test(origins, test_origin_layers);
	tcase_add_test(origins, test_origin_default);
	suite_add_tcase(s, origins);
	return s;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(EXIT_FAILURE);
	}
}

int main(void)
{
	/* "secret" as bcrypt; then an MD5 entry on line 2. */
	write_file(USERS_FILE,
	           "alice:$2b$04$W73itq7llVcfKoPX0RNfoO8hsAnx8jamatX4zUC5BJ3iMrni8sSIG\n");
	write_file(WEAK_USERS_FILE,
	           "alice:$2b$04$W73itq7llVcfKoPX0RNfoO8hsAnx8jamatX4zUC5BJ3iMrni8sSIG\n"
	           "bob:$apr1$eD45PqbO$FjXKpOTtbs2NsTF8vG.km1\n");
	int status = check_run(config_table_suite());
	remove(USERS_FILE);
	remove(WEAK_USERS_FILE);
	return status;
}
