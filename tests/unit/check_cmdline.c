/* Unit tests for cmdline: each option sets the directive it names, over the
 * config file; --list-directives is the table; usage errors; paths. */
#include "autoconfig.h"

#include "config.h"
#include "config_directive.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 8

struct load {
	struct config cfg;
	enum config_result result;
	char *out, *err;
	size_t out_len, err_len;
};

/* config_load over "switchboard" and args (NULL-terminated). */
static void load(struct load *l, const char *const *args)
{
	char *argv[MAX_ARGS + 2] = {"switchboard"};
	int argc = 1;
	for (; args[argc - 1] != NULL; argc++) {
		ck_assert_int_le(argc, MAX_ARGS);
		argv[argc] = (char *)args[argc - 1];
	}
	memset(l, 0, sizeof *l);
	FILE *out = open_memstream(&l->out, &l->out_len);
	FILE *err = open_memstream(&l->err, &l->err_len);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(err);
	l->result = config_load(&l->cfg, argc, argv, out, err);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(fclose(err), 0);
}

static void unload(struct load *l)
{
	config_free(&l->cfg);
	free(l->out);
	free(l->err);
}

static char *make_file(const char *text)
{
	char *path = strdup("/tmp/check_cmdline.XXXXXX");
	ck_assert_ptr_nonnull(path);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(close(fd), 0);
	return path;
}

/* ------------------------------------------------------------ options */

struct option_case {
	const char *args[4];
	enum directive_id directive; /* the one directive it sets */
};

static const struct option_case option_cases[] = {
    {{"-r", "/srv"}, DIRECTIVE_ROOT},
    {{"--root", "/srv"}, DIRECTIVE_ROOT},
    {{"/srv"}, DIRECTIVE_ROOT},
    {{"-l", "[::1]:1"}, DIRECTIVE_LISTEN},
    {{"--listen=*:2"}, DIRECTIVE_LISTEN},
    {{"-p", "3"}, DIRECTIVE_LISTEN},
    {{"--port", "0"}, DIRECTIVE_LISTEN},
    {{"-u", "www"}, DIRECTIVE_USER},
    {{"--user", "www"}, DIRECTIVE_USER},
    {{"--workers", "2"}, DIRECTIVE_WORKERS},
    {{"--max-connections", "10"}, DIRECTIVE_MAX_CONNECTIONS},
    {{"--max-connections-per-client", "4"}, DIRECTIVE_MAX_CONNECTIONS_PER_CLIENT},
    {{"--header-timeout", "1s"}, DIRECTIVE_HEADER_TIMEOUT},
    {{"--keepalive-timeout", "1s"}, DIRECTIVE_KEEPALIVE_TIMEOUT},
    {{"--send-timeout", "1s"}, DIRECTIVE_SEND_TIMEOUT},
};

START_TEST(test_option_sets_its_directive)
{
	const struct option_case *c = &option_cases[_i];
	struct load l;
	load(&l, c->args);
	ck_assert_msg(l.result == CONFIG_OK, "%s: %s", c->args[0], l.err);
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const char *name = config_directive((enum directive_id)i)->name;
		char where[64];
		config_origin(&l.cfg, name, where, sizeof where);
		ck_assert_msg(strcmp(where, i == (int)c->directive ? "command line" : "default") ==
		                  0,
		              "%s: %s from %s", c->args[0], name, where);
	}
	unload(&l);
}
END_TEST

/* The file first, then the options over it; the rest of the file stays. */
START_TEST(test_options_over_the_file)
{
	char *path = make_file("workers 2\nuser fileuser\nlisten 127.0.0.1:1\n");
	const char *const args[] = {"-c", path, "--workers", "3", "-p", "4", NULL};
	struct load l;
	char where[512], want[512];
	load(&l, args);
	ck_assert_msg(l.result == CONFIG_OK, "%s", l.err);
	ck_assert_uint_eq(l.cfg.workers, 3);
	ck_assert_str_eq(l.cfg.user, "fileuser");
	ck_assert_uint_eq(l.cfg.listen_count, 1); /* the file's address replaced */
	config_origin(&l.cfg, "workers", where, sizeof where);
	ck_assert_str_eq(where, "command line");
	config_origin(&l.cfg, "user", where, sizeof where);
	snprintf(want, sizeof want, "%s:2", path);
	ck_assert_str_eq(where, want);
	unload(&l);
	unlink(path);
	free(path);
}
END_TEST

/* The parser starts afresh each time: a reload reads the same command line. */
START_TEST(test_load_twice)
{
	const char *const args[] = {"-u", "www", "--send-timeout", "2s", "/srv", NULL};
	for (int i = 0; i < 2; i++) {
		struct load l;
		load(&l, args);
		ck_assert_msg(l.result == CONFIG_OK, "%d: %s", i, l.err);
		ck_assert_str_eq(l.cfg.user, "www");
		ck_assert_int_eq(l.cfg.send_timeout_ms, 2000);
		ck_assert_str_eq(l.cfg.root, "/srv");
		unload(&l);
	}
}
END_TEST

/* ------------------------------------------------------------ answers */

/* One line per row of the table, in its order. */
START_TEST(test_list_directives_is_the_table)
{
	static const char *const args[] = {"--list-directives", NULL};
	struct load l;
	load(&l, args);
	ck_assert_int_eq(l.result, CONFIG_EXIT_SUCCESS);
	const char *line = l.out;
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const struct directive *d = config_directive((enum directive_id)i);
		char want[256];
		snprintf(want, sizeof want, "%s\t%s\t%s\t%s\n", d->name, d->def ? d->def : "-",
		         d->reload ? "reload" : "restart", d->site ? "site" : "server");
		ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "line %d: %.*s", i,
		              (int)strcspn(line, "\n"), line);
		line += strlen(want);
	}
	ck_assert_str_eq(line, "");
	unload(&l);
}
END_TEST

/* The help names the connection limit the table enforces. */
START_TEST(test_help_names_the_limit)
{
	static const char *const args[] = {"--help", NULL};
	struct load l;
	char want[64];
	load(&l, args);
	ck_assert_int_eq(l.result, CONFIG_EXIT_SUCCESS);
	snprintf(want, sizeof want, "(default 1000, at most %zu)",
	         config_directive(DIRECTIVE_MAX_CONNECTIONS)->max);
	ck_assert_msg(strstr(l.out, want) != NULL, "%s", l.out);
	unload(&l);
}
END_TEST

/* ------------------------------------------------------------ errors */

struct usage_case {
	const char *args[4];
	const char *first_line; /* of err, followed by the usage */
};

static const struct usage_case usage_cases[] = {
    {{"--workers", "65"}, "switchboard: invalid value '65' for workers (1 to 64)\n"},
    {{"-p", "65536"}, "switchboard: invalid port '65536' (0 to 65535)\n"},
    {{"-l", "::1:80"},
     "switchboard: invalid listen address '::1:80' (IPv6 addresses go in brackets: "
     "[::1]:8080)\n"},
    {{"-u", ""}, "switchboard: user needs a non-empty value\n"},
    {{"--header-timeout", "0"},
     "switchboard: invalid duration '0' for header_timeout (a positive number with ms, s, m "
     "or h)\n"},
    {{"a", "b"}, "switchboard: unexpected argument 'b'\n"},
};

START_TEST(test_usage_error)
{
	const struct usage_case *c = &usage_cases[_i];
	struct load l;
	load(&l, c->args);
	ck_assert_int_eq(l.result, CONFIG_USAGE_ERROR);
	size_t n = strlen(c->first_line);
	ck_assert_msg(strncmp(l.err, c->first_line, n) == 0, "%s", l.err);
	ck_assert_msg(strncmp(l.err + n, "Usage: switchboard", 18) == 0, "%s", l.err);
	ck_assert_uint_eq(l.out_len, 0);
	unload(&l);
}
END_TEST

/* ------------------------------------------------------------ paths */

/* Relative paths are taken from the start directory; under chroot the root
 * is a path inside it; log keywords stay as they are. */
START_TEST(test_paths)
{
	char *path = make_file("chroot jail\npidfile run/sb.pid\naccess_log syslog\n"
	                       "error_log logs/err\n");
	const char *const args[] = {"-c", path, "-r", "www", NULL};
	char cwd[4096], want[4200];
	struct load l;
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	load(&l, args);
	ck_assert_msg(l.result == CONFIG_OK, "%s", l.err);
	ck_assert_str_eq(l.cfg.root, "/www");
	snprintf(want, sizeof want, "%s/jail", cwd);
	ck_assert_str_eq(l.cfg.chroot, want);
	snprintf(want, sizeof want, "%s/run/sb.pid", cwd);
	ck_assert_str_eq(l.cfg.pidfile, want);
	snprintf(want, sizeof want, "%s/logs/err", cwd);
	ck_assert_str_eq(l.cfg.error_log, want);
	ck_assert_str_eq(l.cfg.access_log, "syslog");
	ck_assert_str_eq(l.cfg.file, path); /* already absolute */
	unload(&l);
	unlink(path);
	free(path);
}
END_TEST

static Suite *cmdline_suite(void)
{
	Suite *s = suite_create("cmdline");
	TCase *options = tcase_create("options");
	TCase *answers = tcase_create("answers");
	TCase *errors = tcase_create("errors");
	tcase_add_loop_test(options, test_option_sets_its_directive, 0,
	                    (int)ARRAY_LEN(option_cases));
	tcase_add_test(options, test_options_over_the_file);
	tcase_add_test(options, test_load_twice);
	tcase_add_test(options, test_paths);
	suite_add_tcase(s, options);
	tcase_add_test(answers, test_list_directives_is_the_table);
	tcase_add_test(answers, test_help_names_the_limit);
	suite_add_tcase(s, answers);
	tcase_add_loop_test(errors, test_usage_error, 0, (int)ARRAY_LEN(usage_cases));
	suite_add_tcase(s, errors);
	return s;
}

int main(void)
{
	return check_run(cmdline_suite());
}
