/* Unit tests for config_file: the lexer (words, quotes, escapes, comments)
 * and the reader (FILE:LINE for every error, lines counted as written). */
#include "autoconfig.h"

#include "config.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_WORDS 5

/* ------------------------------------------------------------------ words */

struct words_case {
	const char *line;
	int count; /* -1: an error */
	const char *words[MAX_WORDS];
	const char *message; /* when count is -1 */
};

static const struct words_case words_cases[] = {
    {"", 0, {NULL}, NULL},
    {"\n", 0, {NULL}, NULL},
    {"   \t \r\n", 0, {NULL}, NULL},
    {"# a comment\n", 0, {NULL}, NULL},
    {"   # an indented comment", 0, {NULL}, NULL},
    {"root /srv\n", 2, {"root", "/srv"}, NULL},
    {"root /srv", 2, {"root", "/srv"}, NULL},
    {"root /srv\r\n", 2, {"root", "/srv"}, NULL},
    {"\troot\t\t/srv\t\n", 2, {"root", "/srv"}, NULL},
    {"root /srv # the root\n", 2, {"root", "/srv"}, NULL},
    {"root /srv#1\n", 2, {"root", "/srv#1"}, NULL},
    {"root #\n", 1, {"root"}, NULL},
    {"a b c d e\n", 5, {"a", "b", "c", "d", "e"}, NULL},
    {"root \"/my site\"\n", 2, {"root", "/my site"}, NULL},
    {"root \"/my site\"", 2, {"root", "/my site"}, NULL},
    {"root \"#srv\"\n", 2, {"root", "#srv"}, NULL},
    {"root \"\"\n", 2, {"root", ""}, NULL},
    {"root \"a\\\"b\"\n", 2, {"root", "a\"b"}, NULL},
    {"root \"a\\\\b\"\n", 2, {"root", "a\\b"}, NULL},
    {"root \"a\\db\"\n", 2, {"root", "a\\db"}, NULL},
    {"root a\\\"b\n", 2, {"root", "a\\\"b"}, NULL},
    {"\"quoted directive\" x\n", 2, {"quoted directive", "x"}, NULL},
    {"root \"a\" # comment\n", 2, {"root", "a"}, NULL},
    {"root \"a\"\t\"b\"\r\n", 3, {"root", "a", "b"}, NULL},
    {"root a\"b\"\n", 2, {"root", "a\"b\""}, NULL},
    {"root \"a b\n", -1, {NULL}, "unterminated quoted value"},
    {"root \"a b", -1, {NULL}, "unterminated quoted value"},
    {"root \"a\\\"\n", -1, {NULL}, "unterminated quoted value"},
    {"root \"a\"b\n", -1, {NULL}, "a quoted value must end at a space"},
    {"root \"a\"#b\n", -1, {NULL}, "a quoted value must end at a space"},
    {"a b c d e f\n", -1, {NULL}, "too many values on one line (at most 4)"},
};

START_TEST(test_words)
{
	const struct words_case *c = &words_cases[_i];
	char line[128], msg[128] = "";
	char *words[MAX_WORDS];
	snprintf(line, sizeof line, "%s", c->line);
	int n = config_split_words(line, words, MAX_WORDS, msg, sizeof msg);
	ck_assert_msg(n == c->count, "\"%s\": %d words, expected %d (%s)", c->line, n, c->count,
	              msg);
	for (int i = 0; i < n; i++)
		ck_assert_msg(strcmp(words[i], c->words[i]) == 0, "\"%s\": word %d is \"%s\"",
		              c->line, i, words[i]);
	if (n < 0)
		ck_assert_str_eq(msg, c->message);
}
END_TEST

/* ------------------------------------------------------------------ lines */

static char *make_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/check_config_file.XXXXXX");
	ck_assert_ptr_nonnull(path);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return path;
}

/* config_parse_file over text: the errors, and the report with the file's
 * name taken out of each line (so that it reads ":LINE: what\n..."). */
static int parse_text(const char *text, size_t len, struct config *cfg, char *report, size_t size)
{
	char *path = make_file(text, len), *err_text = NULL;
	size_t err_len = 0, n = 0;
	FILE *err = open_memstream(&err_text, &err_len);
	ck_assert_ptr_nonnull(err);
	config_defaults(cfg);
	int errors = config_parse_file(cfg, path, err);
	ck_assert_int_eq(fclose(err), 0);
	report[0] = '\0';
	for (char *line = err_text; *line != '\0'; line = strchr(line, '\n') + 1) {
		ck_assert_msg(strncmp(line, path, strlen(path)) == 0, "%s", line);
		ck_assert_ptr_nonnull(strchr(line, '\n'));
		n += (size_t)snprintf(report + n, size - n, "%.*s",
		                      (int)(strchr(line, '\n') + 1 - line - strlen(path)),
		                      line + strlen(path));
	}
	free(err_text);
	unlink(path);
	free(path);
	return errors;
}

struct lines_case {
	const char *name;
	const char *text;
	size_t len;
	const char *report;
};

#define LINES(name, text, report)                                                                  \
	{                                                                                          \
		name, text, sizeof(text) - 1, report                                               \
	}

static const struct lines_case lines_cases[] = {
    LINES("blank lines and comments count", "# one\n\n   \nbogus x\n# five\nroot\n",
          ":4: unknown directive 'bogus'\n:6: root takes one value\n"),
    LINES("CRLF lines count once", "root /a\r\n\r\nroot /b\r\n",
          ":3: root is already set at line 1\n"),
    LINES("the last line has no newline", "root /a\nkeepalive maybe",
          ":2: invalid value 'maybe' for keepalive (on or off)\n"),
    LINES("a quoted value cannot span lines", "root \"/a\nb\"\n",
          ":1: unterminated quoted value\n:2: unknown directive 'b\"'\n"),
    LINES("a misspelling gets a guess", "\n\nlisting on\nlistng off\nindx a\n",
          ":4: unknown directive 'listng'; did you mean 'listing'?\n"
          ":5: unknown directive 'indx'; did you mean 'index'?\n"),
    LINES("no guess when nothing is close", "completely_unknown 1\n",
          ":1: unknown directive 'completely_unknown'\n"),
    LINES("a NUL byte", "root /a\0b\nuser x\nuser y\n",
          ":1: NUL byte in the line\n:3: user is already set at line 2\n"),
    LINES("repeatable directives may repeat",
          "listen 1\nlisten 2\nadd_header X-A a\nadd_header X-B b\n", ""),
    LINES("sixteen values, not seventeen",
          "index 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
          "index 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
          ":1: index takes 1 to 8 values\n:2: too many values on one line (at most 16)\n"),
    /* Site blocks. */
    LINES("site blocks, well formed",
          "root /d\nsite a.com *.b.org {\n  root /a # c\n  add_header X-A a\n}\nlisting on\n"
          "site [::1] c.com. {\n}\n",
          ""),
    LINES("a nested block", "site a.com {\nroot /a\nsite b.com {\n}\n}\n",
          ":3: site blocks cannot be nested (the block of line 1 is not closed)\n"
          ":5: '}' closes no site block\n"),
    LINES("an unclosed block", "root /d\nsite a.com {\nlisting on\n",
          ":2: the site block is not closed ('}' missing)\n"),
    LINES("a stray brace", "root /d\n}\n", ":2: '}' closes no site block\n"),
    LINES("a brace with more on its line", "site a {\n} x\n",
          ":2: '}' stands alone on its line\n:1: the site block is not closed ('}' missing)\n"),
    LINES("the opening brace on a line of its own", "site a.com\n{\n}\n",
          ":1: a site block starts with 'site NAME... {' on one line\n"
          ":2: '{' ends the site line: site NAME... {\n"),
    LINES("a site without a name", "site {\n}\n", ":1: site needs at least one name before '{'\n"),
    LINES("directives of the whole server in a block", "site a.com {\nuser www\nlisten 1\n}\n",
          ":2: user cannot be given in a site block: it applies to the whole server\n"
          ":3: listen cannot be given in a site block: it applies to the whole server\n"),
    LINES("a name given to two sites", "site a.com b.com {\n}\nsite B.COM {\n}\n",
          ":3: site name 'b.com' is already given at line 1\n"),
    LINES("a name given twice to one site", "\nsite a.com A.com. {\n}\n",
          ":2: site name 'a.com' is already given at line 2\n"),
    LINES("a name with a port", "site a.com:80 {\n}\n",
          ":1: malformed site name 'a.com:80': a site name has no port (any port matches)\n"),
    LINES("a wildcard in the middle", "site a.*.com {\n}\n",
          ":1: malformed site name 'a.*.com': a wildcard is '*.' in front of a name "
          "(*.example.com)\n"),
    LINES("a directive twice in one block", "site a {\nlisting on\nlisting off\n}\n",
          ":3: listing is already set at line 2\n"),
    LINES("a bad value in a block", "site a {\nlisting maybe\n}\n",
          ":2: invalid value 'maybe' for listing (on or off)\n"),
    LINES("a block does not hide the top level's repeats",
          "root /a\nsite x {\nroot /b\n}\nroot /c\n", ":5: root is already set at line 1\n"),
    LINES("the same directive in two blocks", "site x {\nroot /b\n}\nsite y {\nroot /c\n}\n", ""),
};

START_TEST(test_lines)
{
	const struct lines_case *c = &lines_cases[_i];
	struct config cfg;
	char report[1024];
	int lines = 0;
	int errors = parse_text(c->text, c->len, &cfg, report, sizeof report);
	ck_assert_msg(strcmp(report, c->report) == 0, "%s:\n%s\nexpected:\n%s", c->name, report,
	              c->report);
	for (const char *p = c->report; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(errors, lines);
	config_free(&cfg);
}
END_TEST

/* The origin of a value is the line it is on, blank lines and comments
 * included, in a file that also has errors. */
START_TEST(test_value_lines)
{
	static const char text[] = "# site\n\nbogus\nroot \"/my site\" # here\n\n\nuser www\r\n";
	struct config cfg;
	char report[256], where[64];
	ck_assert_int_eq(parse_text(text, sizeof text - 1, &cfg, report, sizeof report), 1);
	ck_assert_str_eq(cfg.root, "/my site");
	ck_assert_str_eq(cfg.user, "www");
	config_origin(&cfg, "root", where, sizeof where);
	ck_assert_msg(strlen(where) > 2 && strcmp(where + strlen(where) - 2, ":4") == 0, "%s",
	              where);
	config_origin(&cfg, "user", where, sizeof where);
	ck_assert_msg(strcmp(where + strlen(where) - 2, ":7") == 0, "%s", where);
	config_free(&cfg);
}
END_TEST

START_TEST(test_missing_file)
{
	struct config cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(err);
	config_defaults(&cfg);
	ck_assert_int_eq(config_parse_file(&cfg, "/nonexistent/sb.conf", err), 1);
	ck_assert_int_eq(fclose(err), 0);
	ck_assert_str_eq(text, "/nonexistent/sb.conf: No such file or directory\n");
	ck_assert_str_eq(cfg.file, "/nonexistent/sb.conf");
	free(text);
	config_free(&cfg);
}
END_TEST

static Suite *config_file_suite(void)
{
	Suite *s = suite_create("config_file");
	TCase *words = tcase_create("words");
	TCase *lines = tcase_create("lines");
	tcase_add_loop_test(words, test_words, 0, (int)ARRAY_LEN(words_cases));
	suite_add_tcase(s, words);
	tcase_add_loop_test(lines, test_lines, 0, (int)ARRAY_LEN(lines_cases));
	tcase_add_test(lines, test_value_lines);
	tcase_add_test(lines, test_missing_file);
	suite_add_tcase(s, lines);
	return s;
}

int main(void)
{
	return check_run(config_file_suite());
}
