/* Unit tests for config: the built-in defaults, the command line, the config
 * file and its precedence, where each value came from, what a reload cannot
 * apply, and durations. */
#include "autoconfig.h"

#include "config.h"

#include "check_run.h"

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TEST_ARGS 40

/* ------------------------------------------------- settings, read as text */

enum setting_kind { TEXT, COUNT, MILLISECONDS, FLAG, NUMBER, ADDRESSES, NAMES };

/* Every setting of struct config that a directive or an option sets. */
static const struct setting {
	const char *key;
	enum setting_kind kind;
	size_t offset;
} settings[] = {
#define SETTING(key, kind)                                                                         \
	{                                                                                          \
#key, kind, offsetof(struct config, key)                                           \
	}
    SETTING(file, TEXT),
    SETTING(listen, ADDRESSES),
    SETTING(root, TEXT),
    SETTING(index, NAMES),
    SETTING(user, TEXT),
    SETTING(group, TEXT),
    SETTING(chroot, TEXT),
    SETTING(pidfile, TEXT),
    SETTING(access_log, TEXT),
    SETTING(error_log, TEXT),
    SETTING(log_level, NUMBER),
    SETTING(max_connections, COUNT),
    SETTING(header_timeout_ms, MILLISECONDS),
    SETTING(keepalive_timeout_ms, MILLISECONDS),
    SETTING(send_timeout_ms, MILLISECONDS),
    SETTING(graceful_timeout_ms, MILLISECONDS),
    SETTING(keepalive, FLAG),
    SETTING(max_keepalive_requests, COUNT),
    SETTING(hidden_files, NUMBER),
    SETTING(follow_symlinks, NUMBER),
    SETTING(mime_types, TEXT),
    SETTING(default_type, TEXT),
    SETTING(daemon, FLAG),
    SETTING(test_only, FLAG),
#undef SETTING
};

/* A setting as text: strings as they are ("-" for none), numbers in decimal,
 * flags as 0 or 1, addresses as their URLs and index names, space-separated. */
/* config_load makes relative paths absolute from the start directory (see
 * test_relative_paths_become_absolute); the tables are written relative. */
static const char *without_cwd(const char *text)
{
	static char cwd[4096];
	if (cwd[0] == '\0' && getcwd(cwd, sizeof cwd) == NULL)
		return text;
	size_t n = strlen(cwd);
	if (strcmp(text, cwd) == 0)
		return ".";
	if (strncmp(text, cwd, n) == 0 && text[n] == '/')
		return text + n + 1;
	return text;
}

static void setting_text(const struct config *cfg, const struct setting *s, char *out, size_t size)
{
	const char *field = (const char *)cfg + s->offset;
	size_t n = 0;
	out[0] = '\0';
	switch (s->kind) {
	case TEXT: {
		const char *text;
		memcpy(&text, field, sizeof text);
		snprintf(out, size, "%s", text != NULL ? without_cwd(text) : "-");
		break;
	}
	case COUNT:
		snprintf(out, size, "%zu", *(const size_t *)(const void *)field);
		break;
	case MILLISECONDS:
		snprintf(out, size, "%lld", (long long)*(const int64_t *)(const void *)field);
		break;
	case FLAG:
		snprintf(out, size, "%d", *(const bool *)(const void *)field ? 1 : 0);
		break;
	case NUMBER:
		snprintf(out, size, "%d", *(const int *)(const void *)field);
		break;
	case ADDRESSES:
		for (size_t i = 0; i < cfg->listen_count && n < size; i++) {
			char url[128];
			listen_addr_url((const struct sockaddr *)&cfg->listen[i].ss, url,
			                sizeof url);
			n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", url);
		}
		break;
	case NAMES:
		for (size_t i = 0; i < cfg->index_count && n < size; i++)
			n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "",
			                      cfg->index[i]);
		break;
	}
}

/* An expected setting; the ones not named keep their default. */
struct expect {
	const char *key;
	const char *value;
};

#define MAX_EXPECT 6

static const char *expected_value(const struct expect *want, const char *key)
{
	for (size_t i = 0; i < MAX_EXPECT && want[i].key != NULL; i++)
		if (strcmp(want[i].key, key) == 0)
			return want[i].value;
	return NULL;
}

static void assert_settings(const struct config *cfg, const struct expect *want, const char *what)
{
	struct config defaults;
	config_defaults(&defaults);
	for (size_t i = 0; i < MAX_EXPECT && want[i].key != NULL; i++) {
		bool known = false;
		for (size_t j = 0; j < ARRAY_LEN(settings); j++)
			known |= strcmp(settings[j].key, want[i].key) == 0;
		ck_assert_msg(known, "%s: no setting %s", what, want[i].key);
	}
	for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
		char got[1024], def[1024];
		const char *want_text = expected_value(want, settings[i].key);
		setting_text(cfg, &settings[i], got, sizeof got);
		setting_text(&defaults, &settings[i], def, sizeof def);
		if (want_text == NULL)
			want_text = def;
		ck_assert_msg(strcmp(got, want_text) == 0, "%s: %s is \"%s\", expected \"%s\"",
		              what, settings[i].key, got, want_text);
	}
	config_free(&defaults);
}

/* ------------------------------------------------------ running config_load */

struct run {
	struct config cfg;
	enum config_result result;
	char *argv[MAX_TEST_ARGS + 2];
	int argc;
	char *out, *err;
	size_t out_len, err_len;
	char stderr_text[1024]; /* what went to the process's standard error */
};

/* Standard error, diverted to a file while config_load runs. */
struct diversion {
	FILE *file;
	int saved;
};

static struct diversion divert_stderr(void)
{
	struct diversion d;
	fflush(stderr);
	d.file = tmpfile();
	ck_assert_ptr_nonnull(d.file);
	d.saved = dup(STDERR_FILENO);
	ck_assert_int_ge(d.saved, 0);
	ck_assert_int_ge(dup2(fileno(d.file), STDERR_FILENO), 0);
	return d;
}

static void restore_stderr(struct diversion *d, char *text, size_t size)
{
	size_t n;
	fflush(stderr);
	ck_assert_int_ge(dup2(d->saved, STDERR_FILENO), 0);
	close(d->saved);
	rewind(d->file);
	n = fread(text, 1, size - 1, d->file);
	text[n] = '\0';
	fclose(d->file);
}

/* config_load over "switchboard" and args (NULL-terminated); out and err are
 * captured as text. */
static void run_load(struct run *r, const char *const *args)
{
	FILE *out, *err;
	memset(r, 0, sizeof *r);
	r->argv[r->argc++] = strdup("switchboard");
	for (size_t i = 0; args[i] != NULL; i++) {
		ck_assert_int_lt(r->argc, MAX_TEST_ARGS + 1);
		r->argv[r->argc++] = strdup(args[i]);
	}
	for (int i = 0; i < r->argc; i++)
		ck_assert_ptr_nonnull(r->argv[i]);
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(err);
	struct diversion d = divert_stderr();
	r->result = config_load(&r->cfg, r->argc, r->argv, out, err);
	restore_stderr(&d, r->stderr_text, sizeof r->stderr_text);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(fclose(err), 0);
}

static void run_free(struct run *r)
{
	config_free(&r->cfg);
	for (int i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->out);
	free(r->err);
}

static const char *result_name(enum config_result r)
{
	switch (r) {
	case CONFIG_OK:
		return "OK";
	case CONFIG_EXIT_SUCCESS:
		return "EXIT_SUCCESS";
	case CONFIG_USAGE_ERROR:
		return "USAGE_ERROR";
	case CONFIG_FILE_ERROR:
		return "FILE_ERROR";
	}
	return "(invalid)";
}

static void assert_ok(const struct run *r, const char *what)
{
	ck_assert_msg(r->result == CONFIG_OK, "%s: %s, err: %s", what, result_name(r->result),
	              r->err);
	ck_assert_msg(r->out_len == 0, "%s: out: %s", what, r->out);
	ck_assert_msg(r->err_len == 0, "%s: err: %s", what, r->err);
	ck_assert_msg(r->stderr_text[0] == '\0', "%s: stderr: %s", what, r->stderr_text);
}

/* A file holding text, removed by remove_file(). */
static char *make_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(path);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return path;
}

static void remove_file(char *path)
{
	unlink(path);
	free(path);
}

/* ----------------------------------------------------------------- defaults */

START_TEST(test_defaults)
{
	static const struct expect documented[] = {
	    {"listen", "http://127.0.0.1:8080/"},
	    {"root", "."},
	    {"max_connections", "1000"},
	    {"header_timeout_ms", "10000"},
	    {"keepalive_timeout_ms", "15000"},
	    {"send_timeout_ms", "30000"},
	    {"graceful_timeout_ms", "10000"},
	    {"index", "index.html"},
	    {"user", "nobody"},
	    {"group", "nogroup"},
	    {"chroot", "-"},
	    {"pidfile", "-"},
	    {"access_log", "off"},
	    {"error_log", "stderr"},
	    {"keepalive", "1"},
	    {"max_keepalive_requests", "1000"},
	    {"hidden_files", "0"},
	    {"mime_types", "/etc/mime.types"},
	    {"default_type", "application/octet-stream"},
	    {"file", "-"},
	    {"daemon", "0"},
	    {"test_only", "0"},
	};
	struct config cfg;
	config_defaults(&cfg);
	for (size_t i = 0; i < ARRAY_LEN(documented); i++)
		for (size_t j = 0; j < ARRAY_LEN(settings); j++) {
			char got[256];
			if (strcmp(settings[j].key, documented[i].key) != 0)
				continue;
			setting_text(&cfg, &settings[j], got, sizeof got);
			ck_assert_msg(strcmp(got, documented[i].value) == 0,
			              "default %s is \"%s\", expected \"%s\"", documented[i].key,
			              got, documented[i].value);
		}
	ck_assert_int_eq(cfg.log_level, 2); /* info, of error, warn, info, debug */
	ck_assert_int_eq(cfg.follow_symlinks, FOLLOW_INSIDE_ROOT);
	config_free(&cfg);
}
END_TEST

START_TEST(test_default_listen_sockaddr)
{
	struct config cfg;
	config_defaults(&cfg);
	ck_assert_uint_eq(cfg.listen_count, 1);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&cfg.listen[0].ss;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin->sin_port), 8080);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001u);
	ck_assert_uint_eq(cfg.listen[0].len, sizeof *sin);
	config_free(&cfg);
}
END_TEST

START_TEST(test_load_nothing_is_defaults)
{
	static const char *const args[] = {NULL};
	static const struct expect none[MAX_EXPECT] = {{NULL, NULL}};
	struct run r;
	run_load(&r, args);
	assert_ok(&r, "no arguments");
	assert_settings(&r.cfg, none, "no arguments");
	ck_assert(!config_is_set(&r.cfg, "listen"));
	run_free(&r);
}
END_TEST

START_TEST(test_free_twice)
{
	struct config cfg;
	config_defaults(&cfg);
	config_free(&cfg);
	config_free(&cfg);
}
END_TEST

/* ------------------------------------------------------------- command line */

struct cli_case {
	const char *name;
	const char *args[10];
	struct expect want[MAX_EXPECT];
};

static const struct cli_case cli_cases[] = {
    {"-r", {"-r", "/srv/www", NULL}, {{"root", "/srv/www"}}},
    {"--root", {"--root", "/srv/www", NULL}, {{"root", "/srv/www"}}},
    {"--root=", {"--root=/srv/www", NULL}, {{"root", "/srv/www"}}},
    {"-r joined", {"-r/srv/www", NULL}, {{"root", "/srv/www"}}},
    {"docroot operand", {"docs", NULL}, {{"root", "docs"}}},
    {"docroot after --", {"--", "-docs", NULL}, {{"root", "-docs"}}},
    {"-l replaces the default", {"-l", "[::1]:81", NULL}, {{"listen", "http://[::1]:81/"}}},
    {"--listen", {"--listen", "*:80", NULL}, {{"listen", "http://0.0.0.0:80/"}}},
    {"a second -l adds",
     {"-l", "10.0.0.1:80", "--listen", "[::]:443", NULL},
     {{"listen", "http://10.0.0.1:80/ http://[::]:443/"}}},
    {"-p", {"-p", "9090", NULL}, {{"listen", "http://127.0.0.1:9090/"}}},
    {"--port", {"--port", "9090", NULL}, {{"listen", "http://127.0.0.1:9090/"}}},
    {"-p 0", {"-p", "0", NULL}, {{"listen", "http://127.0.0.1:0/"}}},
    {"-p 65535", {"-p", "65535", NULL}, {{"listen", "http://127.0.0.1:65535/"}}},
    {"-p and -l add up",
     {"-p", "9090", "-l", "localhost:9091", NULL},
     {{"listen", "http://127.0.0.1:9090/ http://127.0.0.1:9091/"}}},
    {"-u", {"-u", "www", NULL}, {{"user", "www"}}},
    {"--user", {"--user", "www", NULL}, {{"user", "www"}}},
    {"-d", {"-d", NULL}, {{"daemon", "1"}}},
    {"--daemon", {"--daemon", NULL}, {{"daemon", "1"}}},
    {"-t", {"-t", NULL}, {{"test_only", "1"}}},
    {"--test", {"--test", NULL}, {{"test_only", "1"}}},
    {"-dt", {"-dt", NULL}, {{"daemon", "1"}, {"test_only", "1"}}},
    {"--max-connections", {"--max-connections", "50", NULL}, {{"max_connections", "50"}}},
    {"--max-connections at most", {"--max-connections=1000", NULL}, {{"max_connections", "1000"}}},
    {"--max-connections 1", {"--max-connections", "1", NULL}, {{"max_connections", "1"}}},
    {"--header-timeout", {"--header-timeout", "5s", NULL}, {{"header_timeout_ms", "5000"}}},
    {"--keepalive-timeout",
     {"--keepalive-timeout", "500ms", NULL},
     {{"keepalive_timeout_ms", "500"}}},
    {"--send-timeout", {"--send-timeout", "2m", NULL}, {{"send_timeout_ms", "120000"}}},
    {"plain seconds", {"--send-timeout", "7", NULL}, {{"send_timeout_ms", "7000"}}},
    {"a later option wins",
     {"--header-timeout", "5s", "--header-timeout", "6s", NULL},
     {{"header_timeout_ms", "6000"}}},
    {"everything at once",
     {"-p", "1", "-u", "u", "--send-timeout", "1h", "root", NULL},
     {{"listen", "http://127.0.0.1:1/"},
      {"user", "u"},
      {"send_timeout_ms", "3600000"},
      {"root", "root"}}},
};

START_TEST(test_cli)
{
	const struct cli_case *c = &cli_cases[_i];
	struct run r;
	run_load(&r, c->args);
	assert_ok(&r, c->name);
	assert_settings(&r.cfg, c->want, c->name);
	run_free(&r);
}
END_TEST

/* Sixteen addresses fit; a seventeenth is refused. */
START_TEST(test_cli_listen_limit)
{
	const char *args[2 * (CONFIG_MAX_LISTEN + 1) + 1];
	char specs[CONFIG_MAX_LISTEN + 1][32];
	for (int n = CONFIG_MAX_LISTEN; n <= CONFIG_MAX_LISTEN + 1; n++) {
		struct run r;
		for (int i = 0; i < n; i++) {
			snprintf(specs[i], sizeof specs[i], "127.0.0.1:%d", 8000 + i);
			args[2 * i] = "-l";
			args[2 * i + 1] = specs[i];
		}
		args[2 * n] = NULL;
		run_load(&r, args);
		if (n == CONFIG_MAX_LISTEN) {
			assert_ok(&r, "sixteen addresses");
			ck_assert_uint_eq(r.cfg.listen_count, CONFIG_MAX_LISTEN);
		} else {
			ck_assert_int_eq(r.result, CONFIG_USAGE_ERROR);
			ck_assert_msg(strstr(r.err, "too many listen addresses") != NULL, "%s",
			              r.err);
		}
		run_free(&r);
	}
}
END_TEST

struct cli_error_case {
	const char *args[6];
	enum config_result result;
	const char *message;    /* must be on err */
	const char *diagnostic; /* getopt's, on standard error; NULL: nothing there */
};

static const struct cli_error_case cli_error_cases[] = {
    {{"-p", "80x", NULL}, CONFIG_USAGE_ERROR, "'80x'", NULL},
    {{"--port", "65536", NULL}, CONFIG_USAGE_ERROR, "'65536'", NULL},
    {{"-p", "-1", NULL}, CONFIG_USAGE_ERROR, "'-1'", NULL},
    {{"-p", "", NULL}, CONFIG_USAGE_ERROR, "''", NULL},
    {{"-p", "1:2", NULL}, CONFIG_USAGE_ERROR, "'1:2'", NULL},
    {{"-p", " 80", NULL}, CONFIG_USAGE_ERROR, "' 80'", NULL},
    {{"-l", "127.0.0.1:80x", NULL}, CONFIG_USAGE_ERROR, "80x", NULL},
    {{"--listen", "::1:80", NULL}, CONFIG_USAGE_ERROR, "::1:80", NULL},
    {{"--listen", "host.example:80", NULL}, CONFIG_USAGE_ERROR, "host.example:80", NULL},
    {{"-l", "[::1]:8080", "-l", "300.1.1.1:80", NULL}, CONFIG_USAGE_ERROR, "300.1.1.1", NULL},
    {{"--max-connections", "0", NULL}, CONFIG_USAGE_ERROR, "'0'", NULL},
    {{"--max-connections", "1001", NULL}, CONFIG_USAGE_ERROR, "'1001'", NULL},
    {{"--max-connections", "abc", NULL}, CONFIG_USAGE_ERROR, "'abc'", NULL},
    {{"--max-connections", "", NULL}, CONFIG_USAGE_ERROR, "''", NULL},
    {{"--max-connections", "99999999999999999999999", NULL},
     CONFIG_USAGE_ERROR,
     "'99999999999999999999999'",
     NULL},
    {{"--header-timeout", "10x", NULL}, CONFIG_USAGE_ERROR, "'10x'", NULL},
    {{"--keepalive-timeout", "0", NULL}, CONFIG_USAGE_ERROR, "'0'", NULL},
    {{"--send-timeout", "1.5s", NULL}, CONFIG_USAGE_ERROR, "'1.5s'", NULL},
    {{"--header-timeout", "", NULL}, CONFIG_USAGE_ERROR, "''", NULL},
    {{"--send-timeout", "8761h", NULL}, CONFIG_USAGE_ERROR, "'8761h'", NULL},
    {{"-r", "", NULL}, CONFIG_USAGE_ERROR, "root needs a non-empty value", NULL},
    {{"-u", "", NULL}, CONFIG_USAGE_ERROR, "user needs a non-empty value", NULL},
    {{"--bogus", NULL}, CONFIG_USAGE_ERROR, "Usage:", "'--bogus'"},
    {{"-x", NULL}, CONFIG_USAGE_ERROR, "Usage:", "'x'"},
    {{"--help=yes", NULL}, CONFIG_USAGE_ERROR, "Usage:", "'--help'"},
    {{"-p", NULL}, CONFIG_USAGE_ERROR, "Usage:", "'p'"},
    {{"--max-connections", NULL}, CONFIG_USAGE_ERROR, "Usage:", "'--max-connections'"},
    {{"docs", "more", NULL}, CONFIG_USAGE_ERROR, "'more'", NULL},
    {{"docs", "-p", "80", NULL}, CONFIG_USAGE_ERROR, "'-p'", NULL},
    {{"-c", "/nonexistent/switchboard.conf", NULL},
     CONFIG_FILE_ERROR,
     "/nonexistent/switchboard.conf: ",
     NULL},
};

START_TEST(test_cli_error)
{
	const struct cli_error_case *c = &cli_error_cases[_i];
	char what[128];
	struct run r;
	snprintf(what, sizeof what, "%s %s", c->args[0], c->args[1] ? c->args[1] : "");
	run_load(&r, c->args);
	ck_assert_msg(r.result == c->result, "%s: %s", what, result_name(r.result));
	ck_assert_msg(strstr(r.err, c->message) != NULL, "%s: no %s in: %s", what, c->message,
	              r.err);
	if (c->result == CONFIG_USAGE_ERROR)
		ck_assert_msg(strstr(r.err, "Usage: switchboard") != NULL, "%s: no usage", what);
	ck_assert_msg(r.out_len == 0, "%s: out: %s", what, r.out);
	if (c->diagnostic != NULL)
		ck_assert_msg(strstr(r.stderr_text, c->diagnostic) != NULL, "%s: stderr: %s", what,
		              r.stderr_text);
	else
		ck_assert_msg(r.stderr_text[0] == '\0', "%s: stderr: %s", what, r.stderr_text);
	run_free(&r);
}
END_TEST

/* --help, --version and --list-directives answer on out and stop there. */
struct answer_case {
	const char *args[3];
	const char *text; /* on out */
};

static const struct answer_case answer_cases[] = {
    {{"-h", NULL}, "Usage: switchboard [options] [DOCROOT]\n"},
    {{"--help", NULL}, "Usage: switchboard [options] [DOCROOT]\n"},
    {{"--help", "--bogus"}, "Usage: switchboard"},
    {{"-p", "80x", "--help"}, "Usage: switchboard"},
    {{"-V", NULL}, PACKAGE_NAME " " PACKAGE_VERSION "\n"},
    {{"--version", NULL}, PACKAGE_NAME " " PACKAGE_VERSION "\n"},
    {{"--list-directives", NULL}, "listen\t127.0.0.1:8080\trestart\tserver\n"},
};

START_TEST(test_answers)
{
	const struct answer_case *c = &answer_cases[_i];
	struct run r;
	run_load(&r, c->args);
	ck_assert_msg(r.result == CONFIG_EXIT_SUCCESS, "%s: %s %s", c->args[0],
	              result_name(r.result), r.err);
	ck_assert_msg(strstr(r.out, c->text) != NULL, "%s: no %s in: %s", c->args[0], c->text,
	              r.out);
	ck_assert_msg(r.err_len == 0, "%s: err: %s", c->args[0], r.err);
	run_free(&r);
}
END_TEST

START_TEST(test_version_exactly)
{
	static const char *const args[] = {"--version", NULL};
	struct run r;
	run_load(&r, args);
	ck_assert_str_eq(r.out, PACKAGE_NAME " " PACKAGE_VERSION "\n");
	run_free(&r);
}
END_TEST

START_TEST(test_help_names_every_option)
{
	static const char *const options[] = {
	    "-c, --config",     "-t, --test",          "-r, --root",     "-l, --listen",
	    "-p, --port",       "-u, --user",          "-d, --daemon",   "--max-connections",
	    "--header-timeout", "--keepalive-timeout", "--send-timeout", "--list-directives",
	    "-h, --help",       "-V, --version",
	};
	static const char *const args[] = {"--help", NULL};
	struct run r;
	run_load(&r, args);
	for (size_t i = 0; i < ARRAY_LEN(options); i++)
		ck_assert_msg(strstr(r.out, options[i]) != NULL, "no %s in the help", options[i]);
	run_free(&r);
}
END_TEST

/* One line per directive: name, default ("-" for none), reload or restart. */
START_TEST(test_list_directives)
{
	static const char *const lines[] = {
	    "listen\t127.0.0.1:8080\trestart\tserver\n",
	    "root\t.\treload\tsite\n",
	    "index\tindex.html\treload\tsite\n",
	    "user\tnobody\trestart\tserver\n",
	    "chroot\t-\trestart\tserver\n",
	    "pidfile\t-\trestart\tserver\n",
	    "max_connections\t1000\treload\tserver\n",
	    "header_timeout\t10s\treload\tserver\n",
	    "keepalive\ton\treload\tserver\n",
	    "follow_symlinks\tinside-root\treload\tsite\n",
	};
	static const char *const args[] = {"--list-directives", NULL};
	struct run r;
	run_load(&r, args);
	for (size_t i = 0; i < ARRAY_LEN(lines); i++)
		ck_assert_msg(strstr(r.out, lines[i]) != NULL, "no line %s", lines[i]);
	/* Every line has four fields. */
	for (const char *line = r.out; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t tabs = 0;
		ck_assert_ptr_nonnull(end);
		for (const char *p = line; p < end; p++)
			tabs += *p == '\t';
		ck_assert_msg(tabs == 3, "line %.*s", (int)(end - line), line);
		line = end + 1;
	}
	run_free(&r);
}
END_TEST

/* ------------------------------------------------------------- config file */

struct file_case {
	const char *name;
	const char *text;
	size_t len;
	struct expect want[MAX_EXPECT];
};

#define FILE_CASE(name, text, ...)                                                                 \
	{                                                                                          \
		name, text, sizeof(text) - 1,                                                      \
		{                                                                                  \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}

static const struct file_case file_cases[] = {
    FILE_CASE("empty", "", {NULL, NULL}),
    FILE_CASE("comments and blank lines", "# a comment\n\n   \t\n  # another\nroot /srv\n",
              {"root", "/srv"}),
    FILE_CASE("a comment after the values", "root /srv # the root\n", {"root", "/srv"}),
    FILE_CASE("# inside a word", "root /srv#1\n", {"root", "/srv#1"}),
    FILE_CASE("no newline at the end", "root /srv", {"root", "/srv"}),
    FILE_CASE("CRLF", "root /srv\r\nuser www\r\n", {"root", "/srv"}, {"user", "www"}),
    FILE_CASE("tabs between words", "\troot\t\t/srv\t\n", {"root", "/srv"}),
    FILE_CASE("a quoted value with spaces", "root \"/srv/my site\"\n", {"root", "/srv/my site"}),
    FILE_CASE("a quoted value starting with #", "root \"#srv\"\n", {"root", "#srv"}),
    FILE_CASE("escapes in quotes", "root \"a\\\"b\\\\c\\d\"\n", {"root", "a\"b\\c\\d"}),
    FILE_CASE("listen lines add up and replace the default",
              "listen 127.0.0.1:80\nlisten [::1]:81\n",
              {"listen", "http://127.0.0.1:80/ http://[::1]:81/"}),
    FILE_CASE("index names", "index index.htm default.html \"a b.html\"\n",
              {"index", "index.htm default.html a b.html"}),
    FILE_CASE("durations", "header_timeout 500ms\nkeepalive_timeout 2m\ngraceful_timeout 1\n",
              {"header_timeout_ms", "500"}, {"keepalive_timeout_ms", "120000"},
              {"graceful_timeout_ms", "1000"}),
    FILE_CASE("a year is the longest duration", "send_timeout 8760h\n",
              {"send_timeout_ms", "31536000000"}),
    FILE_CASE("switches and choices",
              "keepalive off\nhidden_files allow\nlog_level debug\nfollow_symlinks never\n",
              {"keepalive", "0"}, {"hidden_files", "1"}, {"log_level", "3"},
              {"follow_symlinks", "0"}),
    FILE_CASE("counts", "max_connections 1\nmax_keepalive_requests 1000000000\n",
              {"max_connections", "1"}, {"max_keepalive_requests", "1000000000"}),
    FILE_CASE("paths and strings",
              "chroot /var/empty\npidfile /run/sb.pid\naccess_log syslog\n"
              "default_type text/plain\n",
              {"chroot", "/var/empty"}, {"pidfile", "/run/sb.pid"}, {"access_log", "syslog"},
              {"default_type", "text/plain"}, {"root", "/"}),
    FILE_CASE("more paths", "error_log /var/log/sb.err\nmime_types /m\ngroup g\n",
              {"error_log", "/var/log/sb.err"}, {"mime_types", "/m"}, {"group", "g"}),
};

START_TEST(test_file)
{
	const struct file_case *c = &file_cases[_i];
	char *path = make_file(c->text, c->len);
	const char *args[] = {"-c", path, NULL};
	struct expect want[MAX_EXPECT];
	size_t n = 0;
	struct run r;

	memcpy(want, c->want, sizeof want);
	while (n < MAX_EXPECT - 1 && want[n].key != NULL)
		n++;
	ck_assert_ptr_null(want[n].key);
	want[n] = (struct expect){"file", path};
	run_load(&r, args);
	assert_ok(&r, c->name);
	assert_settings(&r.cfg, want, c->name);
	run_free(&r);
	remove_file(path);
}
END_TEST

struct file_error_case {
	const char *text;
	size_t len;
	int errors;
	const char *message; /* ":LINE: what", on err */
};

#define FILE_ERROR(text, errors, message)                                                          \
	{                                                                                          \
		text, sizeof(text) - 1, errors, message                                            \
	}

static const struct file_error_case file_error_cases[] = {
    FILE_ERROR("bogus on\n", 1, ":1: unknown directive 'bogus'"),
    FILE_ERROR("# c\nlistn 127.0.0.1:80\n", 1,
               ":2: unknown directive 'listn'; did you mean 'listen'?"),
    FILE_ERROR("root\n", 1, ":1: root takes one value"),
    FILE_ERROR("root a b\n", 1, ":1: root takes one value"),
    FILE_ERROR("root \"\"\n", 1, ":1: root needs a non-empty value"),
    FILE_ERROR("root a\nroot b\n", 1, ":2: root is already set at line 1"),
    FILE_ERROR("root \"a b\n", 1, ":1: unterminated quoted value"),
    FILE_ERROR("root \"a\"b\n", 1, ":1: a quoted value must end at a space"),
    FILE_ERROR("header_timeout 0\n", 1, ":1: invalid duration '0' for header_timeout"),
    FILE_ERROR("header_timeout 10x\n", 1, "'10x'"),
    FILE_ERROR("send_timeout 8761h\n", 1, "'8761h'"),
    FILE_ERROR("max_connections 1001\n", 1, ":1: invalid value '1001' for max_connections"),
    FILE_ERROR("max_keepalive_requests 0\n", 1, "'0' for max_keepalive_requests"),
    FILE_ERROR("keepalive maybe\n", 1, ":1: invalid value 'maybe' for keepalive (on or off)"),
    FILE_ERROR("log_level loud\n", 1, "'loud' for log_level (one of: error, warn, info, debug)"),
    FILE_ERROR("follow_symlinks sometimes\n", 1, "'sometimes' for follow_symlinks"),
    FILE_ERROR("hidden_files show\n", 1, "'show' for hidden_files"),
    FILE_ERROR("listen 127.0.0.1:80x\n", 1, ":1: invalid port '80x'"),
    FILE_ERROR("index a/b\n", 1, ":1: invalid index file name 'a/b'"),
    FILE_ERROR("index a b c d e f g h i\n", 1, ":1: index takes 1 to 8 values"),
    FILE_ERROR("user a b c d e f g h i j k l m n o p q\n", 1,
               ":1: too many values on one line (at most 16)"),
    FILE_ERROR("root /a\0b\n", 1, ":1: NUL byte in the line"),
    FILE_ERROR("bogus\nroot\nkeepalive yes\nroot /ok\n", 3, ":3: invalid value 'yes'"),
};

START_TEST(test_file_error)
{
	const struct file_error_case *c = &file_error_cases[_i];
	char *path = make_file(c->text, c->len);
	char *err_text = NULL;
	size_t err_len = 0;
	struct config cfg;
	char where[128];
	FILE *err = open_memstream(&err_text, &err_len);

	ck_assert_ptr_nonnull(err);
	config_defaults(&cfg);
	int errors = config_parse_file(&cfg, path, err);
	ck_assert_int_eq(fclose(err), 0);
	ck_assert_msg(errors == c->errors, "%s: %d errors, expected %d: %s", c->text, errors,
	              c->errors, err_text);
	ck_assert_msg(strstr(err_text, c->message) != NULL, "no %s in: %s", c->message, err_text);
	/* Each error on a line of its own, as FILE:LINE: what. */
	snprintf(where, sizeof where, "%s:", path);
	size_t lines = 0;
	for (const char *line = err_text; *line != '\0'; line = strchr(line, '\n') + 1) {
		ck_assert_msg(strncmp(line, where, strlen(where)) == 0, "%s", line);
		ck_assert_ptr_nonnull(strchr(line, '\n'));
		lines++;
	}
	ck_assert_uint_eq(lines, (size_t)c->errors);
	free(err_text);
	config_free(&cfg);

	/* Through config_load, a bad file is a file error. */
	const char *args[] = {"-c", path, NULL};
	struct run r;
	run_load(&r, args);
	ck_assert_int_eq(r.result, CONFIG_FILE_ERROR);
	ck_assert_msg(strstr(r.err, c->message) != NULL, "config_load: %s", r.err);
	run_free(&r);
	remove_file(path);
}
END_TEST

/* Defaults, then the file, then the command line. */
START_TEST(test_precedence)
{
	static const char text[] = "listen 127.0.0.1:80\nlisten 127.0.0.1:81\n"
	                           "header_timeout 5s\nroot /from-file\nuser fileuser\n";
	char *path = make_file(text, sizeof text - 1);
	const char *args[] = {"-c",   path, "--header-timeout", "7s", "-p", "82", "-p", "83",
	                      "/cli", NULL};
	const struct expect want[MAX_EXPECT] = {
	    {"file", path},
	    {"listen", "http://127.0.0.1:82/ http://127.0.0.1:83/"},
	    {"header_timeout_ms", "7000"},
	    {"root", "/cli"},
	    {"user", "fileuser"}, /* not on the command line: as the file has it */
	};
	struct run r;
	run_load(&r, args);
	assert_ok(&r, "precedence");
	assert_settings(&r.cfg, want, "precedence");
	run_free(&r);
	remove_file(path);
}
END_TEST

/* The file's listen lines stay when the command line has none. */
START_TEST(test_file_listen_kept)
{
	static const char text[] = "listen 127.0.0.1:80\nlisten [::1]:81\n";
	char *path = make_file(text, sizeof text - 1);
	const char *args[] = {"-c", path, "-r", "/x", NULL};
	struct run r;
	run_load(&r, args);
	assert_ok(&r, "file listen");
	ck_assert_uint_eq(r.cfg.listen_count, 2);
	run_free(&r);
	remove_file(path);
}
END_TEST

/* ------------------------------------------------- where values came from */

START_TEST(test_origin)
{
	static const char text[] = "# settings\nroot /srv\n\nlisten 127.0.0.1:80\n";
	char *path = make_file(text, sizeof text - 1);
	const char *args[] = {"-c", path, "--send-timeout", "3s", "-l", "[::1]:9", NULL};
	static const struct {
		const char *directive;
		bool set;
		const char *origin; /* "%s" is the file */
	} cases[] = {
	    {"root", true, "%s:2"},
	    {"listen", true, "command line"},
	    {"send_timeout", true, "command line"},
	    {"header_timeout", false, "default"},
	    {"user", false, "default"},
	    {"no_such_directive", false, "default"},
	};
	struct run r;
	run_load(&r, args);
	assert_ok(&r, "origin");
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char got[512], want[512];
		config_origin(&r.cfg, cases[i].directive, got, sizeof got);
		if (strcmp(cases[i].origin, "%s:2") == 0)
			snprintf(want, sizeof want, "%s:2", path);
		else
			snprintf(want, sizeof want, "%s", cases[i].origin);
		ck_assert_msg(strcmp(got, want) == 0, "%s: from \"%s\", expected \"%s\"",
		              cases[i].directive, got, want);
		ck_assert_msg(config_is_set(&r.cfg, cases[i].directive) == cases[i].set, "%s",
		              cases[i].directive);
	}
	run_free(&r);
	remove_file(path);
}
END_TEST

/* ------------------------------------------------ what a reload cannot apply */

struct restart_case {
	const char *args[8];
	const char *restart;
};

static const struct restart_case restart_cases[] = {
    {{NULL}, ""},
    {{"-r", "/elsewhere", "--header-timeout", "1s", "--max-connections", "5", NULL}, ""},
    {{"-l", "127.0.0.1:8080", NULL}, ""},
    {{"-p", "8081", NULL}, "listen"},
    {{"-l", "127.0.0.1:8080", "-l", "[::1]:8080", NULL}, "listen"},
    {{"-u", "www", NULL}, "user"},
    {{"-u", "www", "-p", "1", NULL}, "listen, user"},
};

START_TEST(test_restart_needed)
{
	const struct restart_case *c = &restart_cases[_i];
	struct config old;
	struct run r;
	char out[256];
	config_defaults(&old);
	run_load(&r, c->args);
	assert_ok(&r, c->restart);
	config_restart_needed(&old, &r.cfg, out, sizeof out);
	ck_assert_str_eq(out, c->restart);
	run_free(&r);
	config_free(&old);
}
END_TEST

START_TEST(test_restart_needed_small_buffer)
{
	static const char *const args[] = {"-u", "www", "-p", "1", NULL};
	struct config old;
	struct run r;
	char out[8];
	memset(out, 'Z', sizeof out);
	config_defaults(&old);
	run_load(&r, args);
	config_restart_needed(&old, &r.cfg, out, 5);
	ck_assert_uint_lt(strlen(out), 5);
	ck_assert_int_eq(out[5], 'Z');
	run_free(&r);
	config_free(&old);
}
END_TEST

/* ------------------------------------------------------ checks on the system */

/* config_check's report, and how many errors it found. */
static char *check_report(const struct config *cfg, int *errors)
{
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(err);
	*errors = config_check(cfg, err);
	ck_assert_int_eq(fclose(err), 0);
	return text;
}

START_TEST(test_check_root)
{
	char dir[] = "/tmp/check_config.dXXXXXX";
	char file[64], missing[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/file", dir);
	snprintf(missing, sizeof missing, "%s/missing", dir);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fclose(f), 0);

	const struct {
		const char *root;
		const char *message;
	} cases[] = {{file, "not a directory"}, {missing, "no such directory"}};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *args[] = {"-r", cases[i].root, NULL};
		struct run r;
		int errors;
		run_load(&r, args);
		assert_ok(&r, cases[i].root);
		char *report = check_report(&r.cfg, &errors);
		ck_assert_int_ge(errors, 1);
		/* Where the value came from, the value, and what is wrong with it. */
		ck_assert_msg(strncmp(report, "command line: ", 14) == 0, "%s", report);
		ck_assert_msg(strstr(report, cases[i].root) != NULL, "%s", report);
		ck_assert_msg(strstr(report, cases[i].message) != NULL, "%s", report);
		free(report);
		run_free(&r);
	}
	unlink(file);
	rmdir(dir);
}
END_TEST

START_TEST(test_check_log_directory)
{
	static const char text[] = "access_log /nonexistent-dir/access.log\n";
	char *path = make_file(text, sizeof text - 1);
	const char *args[] = {"-c", path, "-r", "/", NULL};
	char where[256];
	struct run r;
	int errors;
	run_load(&r, args);
	assert_ok(&r, "access_log");
	char *report = check_report(&r.cfg, &errors);
	ck_assert_int_ge(errors, 1);
	snprintf(where, sizeof where, "%s:1: access_log '/nonexistent-dir/access.log'", path);
	ck_assert_msg(strstr(report, where) != NULL, "%s", report);
	free(report);
	run_free(&r);
	remove_file(path);
}
END_TEST

/* ---------------------------------------------------------------- durations */

struct duration_case {
	const char *text;
	bool valid;
	int64_t ms;
};

static const struct duration_case duration_cases[] = {
    {"10", true, 10000},
    {"10s", true, 10000},
    {"500ms", true, 500},
    {"2m", true, 120000},
    {"1h", true, 3600000},
    {"0", true, 0},
    {"0ms", true, 0},
    {"007s", true, 7000},
    {"1ms", true, 1},
    {"8760h", true, INT64_C(31536000000)},
    {"525600m", true, INT64_C(31536000000)},
    {"31536000", true, INT64_C(31536000000)},
    {"31536000000ms", true, INT64_C(31536000000)},
    {"8761h", false, 0},
    {"525601m", false, 0},
    {"31536001", false, 0},
    {"31536000001ms", false, 0},
    {"99999999999999999999", false, 0},
    {"99999999999999999999ms", false, 0},
    {"9223372036854775808", false, 0},
    {"", false, 0},
    {"s", false, 0},
    {"ms", false, 0},
    {"10x", false, 0},
    {"10sec", false, 0},
    {"10mss", false, 0},
    {"10S", false, 0},
    {"-1", false, 0},
    {"+1", false, 0},
    {"1.5s", false, 0},
    {" 10", false, 0},
    {"10 ", false, 0},
    {"10 s", false, 0},
    {"1e3", false, 0},
    {"0x10", false, 0},
    {"1d", false, 0},
};

START_TEST(test_duration)
{
	const struct duration_case *c = &duration_cases[_i];
	int64_t ms = -42;
	bool ok = config_parse_duration(c->text, &ms);
	ck_assert_msg(ok == c->valid, "\"%s\": %s", c->text, ok ? "accepted" : "refused");
	if (c->valid)
		ck_assert_msg(ms == c->ms, "\"%s\": %lld ms, expected %lld", c->text, (long long)ms,
		              (long long)c->ms);
}
END_TEST

/* -------------------------------------------------------------------- suite */

/* Relative paths are taken from the start directory, once, so that -d (which
 * moves to "/") and a reload read the same files; under chroot the root is a
 * path inside it. */
START_TEST(test_relative_paths_become_absolute)
{
	char cwd[4096], want[4200];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	char *argv[] = {"switchboard", "-r", "docs", NULL};
	struct config cfg;
	FILE *null = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(null);
	ck_assert_int_eq(config_load(&cfg, 3, argv, null, null), CONFIG_OK);
	snprintf(want, sizeof want, "%s/docs", cwd);
	ck_assert_str_eq(cfg.root, want);
	ck_assert_str_eq(cfg.error_log, "stderr"); /* keywords stay as they are */
	ck_assert_str_eq(cfg.access_log, "off");
	config_free(&cfg);
	fclose(null);
}
END_TEST

/* A scalar that needs a restart (workers) is compared and kept as a number,
 * not as a string: a reload once crashed here. */
START_TEST(test_restart_needed_for_a_scalar)
{
	struct config running, next;
	config_defaults(&running);
	config_defaults(&next);
	next.workers = 4;
	char out[256];
	config_restart_needed(&running, &next, out, sizeof out);
	ck_assert_str_eq(out, "workers");
	config_keep_restart_values(&next, &running);
	ck_assert_uint_eq(next.workers, 1);
	config_restart_needed(&running, &next, out, sizeof out);
	ck_assert_str_eq(out, "");
	config_free(&running);
	config_free(&next);
}
END_TEST

/* ------------------------------------------------------------- site blocks */

static const char sites_text[] = "root /top\n"
                                 "listing on\n"
                                 "add_header X-Top t\n"
                                 "site a.example *.B.example {\n"
                                 "    root /a\n"
                                 "    add_header X-A a\n"
                                 "    add_header X-A2 a2\n"
                                 "}\n"
                                 "site c.example {\n"
                                 "    index c.html\n"
                                 "    listing off\n"
                                 "}\n"
                                 "charset utf-8\n";

/* The line number at the end of an origin ("FILE:5"). */
static int origin_line(const struct config *cfg, const char *directive)
{
	char where[256];
	config_origin(cfg, directive, where, sizeof where);
	const char *colon = strrchr(where, ':');
	return colon != NULL ? atoi(colon + 1) : 0;
}

/* Each site: the top level's values (set before or after its block), its own
 * over them, a list of its own replacing the inherited one. */
START_TEST(test_sites_inherit)
{
	char *path = make_file(sites_text, sizeof sites_text - 1);
	const char *args[] = {"-c", path, NULL};
	struct run r;
	run_load(&r, args);
	assert_ok(&r, "sites");
	ck_assert_uint_eq(config_site_count(&r.cfg), 2);
	ck_assert_str_eq(r.cfg.root, "/top");
	ck_assert_uint_eq(r.cfg.header_count, 1);

	const struct config_site *a = config_site(&r.cfg, 0);
	ck_assert_int_eq(a->line, 4);
	ck_assert_uint_eq(a->name_count, 2);
	ck_assert_str_eq(a->names[0], "a.example");
	ck_assert_str_eq(a->names[1], "*.b.example");
	const struct config *sa = config_site_settings(&r.cfg, 0);
	ck_assert_str_eq(sa->root, "/a");
	ck_assert(sa->listing);
	ck_assert_str_eq(sa->charset, "utf-8");
	ck_assert_str_eq(sa->index[0], "index.html");
	ck_assert_uint_eq(sa->header_count, 2);
	ck_assert_str_eq(sa->headers[0].line, "X-A: a\r\n");
	ck_assert_str_eq(sa->headers[1].line, "X-A2: a2\r\n");
	ck_assert_int_eq(origin_line(sa, "root"), 5);
	ck_assert_int_eq(origin_line(sa, "listing"), 2);
	ck_assert_int_eq(origin_line(sa, "charset"), 13);

	const struct config *sc = config_site_settings(&r.cfg, 1);
	ck_assert_str_eq(sc->root, "/top");
	ck_assert(!sc->listing);
	ck_assert_uint_eq(sc->index_count, 1);
	ck_assert_str_eq(sc->index[0], "c.html");
	ck_assert_uint_eq(sc->header_count, 1);
	ck_assert_str_eq(sc->headers[0].line, "X-Top: t\r\n");
	ck_assert_uint_eq(config_site_count(sc), 0);
	run_free(&r);
	remove_file(path);
}
END_TEST

/* The command line sets the top level: a site inherits it, unless its block
 * sets the value itself. */
START_TEST(test_sites_under_the_command_line)
{
	char *path = make_file(sites_text, sizeof sites_text - 1);
	const char *args[] = {"-c", path, "-r", "/cli", NULL};
	struct run r;
	run_load(&r, args);
	assert_ok(&r, "sites and -r");
	ck_assert_str_eq(r.cfg.root, "/cli");
	ck_assert_str_eq(config_site_settings(&r.cfg, 0)->root, "/a");
	ck_assert_str_eq(config_site_settings(&r.cfg, 1)->root, "/cli");
	run_free(&r);
	remove_file(path);
}
END_TEST

/* Without site blocks nothing is kept for them. */
START_TEST(test_no_sites)
{
	static const char text[] = "root /top\nlisting on\n";
	char *path = make_file(text, sizeof text - 1);
	const char *args[] = {"-c", path, NULL};
	struct run r;
	run_load(&r, args);
	assert_ok(&r, "no sites");
	ck_assert_ptr_null(r.cfg.sites);
	ck_assert_uint_eq(config_site_count(&r.cfg), 0);
	run_free(&r);
	remove_file(path);
}
END_TEST

/* A redirect loop inside one site is that site's error, at its line. */
START_TEST(test_site_redirect_loop)
{
	static const char text[] = "site a {\n"
	                           "  redirect /x /y\n"
	                           "  redirect /y /x\n"
	                           "}\n";
	char *path = make_file(text, sizeof text - 1);
	const char *args[] = {"-c", path, NULL};
	char where[256];
	struct run r;
	run_load(&r, args);
	ck_assert_int_eq(r.result, CONFIG_FILE_ERROR);
	snprintf(where, sizeof where, "%s:3: ", path);
	ck_assert_msg(strncmp(r.err, where, strlen(where)) == 0, "%s", r.err);
	run_free(&r);
	remove_file(path);
}
END_TEST

/* -t checks each site's root, and names where the bad one was given. */
START_TEST(test_check_site_root)
{
	static const char text[] = "root /\n"
	                           "site a {\n"
	                           "  root /nonexistent/site-a\n"
	                           "}\n"
	                           "site b {\n"
	                           "}\n";
	char *path = make_file(text, sizeof text - 1);
	const char *args[] = {"-c", path, NULL};
	char where[256];
	struct run r;
	int errors;
	run_load(&r, args);
	assert_ok(&r, "a site with a missing root");
	char *report = check_report(&r.cfg, &errors);
	snprintf(where, sizeof where, "%s:3: root '/nonexistent/site-a': no such directory\n",
	         path);
	ck_assert_msg(strstr(report, where) != NULL, "%s", report);
	free(report);
	run_free(&r);
	remove_file(path);
}
END_TEST

/* What -t says of the sites. */
START_TEST(test_describe_sites)
{
	char *path = make_file(sites_text, sizeof sites_text - 1);
	const char *args[] = {"-c", path, NULL};
	char *text = NULL, want[512];
	size_t len = 0;
	struct run r;
	run_load(&r, args);
	FILE *out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	config_describe_sites(&r.cfg, out);
	ck_assert_int_eq(fclose(out), 0);
	snprintf(want, sizeof want,
	         "default site: root /top\n"
	         "site a.example *.b.example (%s:4): root /a\n"
	         "site c.example (%s:9): root /top\n",
	         path, path);
	ck_assert_str_eq(text, want);
	free(text);
	run_free(&r);
	remove_file(path);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *defaults = tcase_create("defaults");
	TCase *cli = tcase_create("command_line");
	TCase *file = tcase_create("file");
	TCase *origin = tcase_create("origin_reload_check");
	TCase *duration = tcase_create("duration");

	tcase_add_test(defaults, test_defaults);
	tcase_add_test(defaults, test_default_listen_sockaddr);
	tcase_add_test(defaults, test_load_nothing_is_defaults);
	tcase_add_test(defaults, test_free_twice);
	suite_add_tcase(s, defaults);

	tcase_add_loop_test(cli, test_cli, 0, (int)ARRAY_LEN(cli_cases));
	tcase_add_test(cli, test_cli_listen_limit);
	tcase_add_loop_test(cli, test_cli_error, 0, (int)ARRAY_LEN(cli_error_cases));
	tcase_add_loop_test(cli, test_answers, 0, (int)ARRAY_LEN(answer_cases));
	tcase_add_test(cli, test_version_exactly);
	tcase_add_test(cli, test_help_names_every_option);
	tcase_add_test(cli, test_list_directives);
	suite_add_tcase(s, cli);

	tcase_add_loop_test(file, test_file, 0, (int)ARRAY_LEN(file_cases));
	tcase_add_loop_test(file, test_file_error, 0, (int)ARRAY_LEN(file_error_cases));
	tcase_add_test(file, test_precedence);
	tcase_add_test(file, test_file_listen_kept);
	tcase_add_test(file, test_sites_inherit);
	tcase_add_test(file, test_sites_under_the_command_line);
	tcase_add_test(file, test_no_sites);
	tcase_add_test(file, test_site_redirect_loop);
	tcase_add_test(file, test_check_site_root);
	tcase_add_test(file, test_describe_sites);
	suite_add_tcase(s, file);

	tcase_add_test(origin, test_origin);
	tcase_add_loop_test(origin, test_restart_needed, 0, (int)ARRAY_LEN(restart_cases));
	tcase_add_test(origin, test_restart_needed_small_buffer);
	tcase_add_test(origin, test_check_root);
	tcase_add_test(origin, test_check_log_directory);
	tcase_add_test(origin, test_relative_paths_become_absolute);
	tcase_add_test(origin, test_restart_needed_for_a_scalar);
	suite_add_tcase(s, origin);

	tcase_add_loop_test(duration, test_duration, 0, (int)ARRAY_LEN(duration_cases));
	suite_add_tcase(s, duration);
	return s;
}

int main(void)
{
	return check_run(config_suite());
}
