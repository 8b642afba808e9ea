/* Unit tests for mime: the built-in table, lookups and mime.types parsing. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mime.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct lookup_case {
	const char *name;
	const char *type; /* NULL: no type */
};

static void assert_lookup(const struct mime_types *mt, const struct lookup_case *c)
{
	const char *type = mime_types_lookup(mt, c->name, strlen(c->name));

	if (c->type == NULL)
		ck_assert_msg(type == NULL, "%s: got %s, expected none", c->name, type);
	else
		ck_assert_msg(type != NULL && strcmp(type, c->type) == 0, "%s: got %s, expected %s",
		              c->name, type ? type : "none", c->type);
}

static struct mime_types *load_or_fail(const char *path)
{
	char err[256] = "";
	struct mime_types *mt = mime_types_load(path, err, sizeof(err));

	ck_assert_msg(mt != NULL, "loading %s: %s", path ? path : "(built-in)", err);
	return mt;
}

/* ---------------------------------------------------------- built-in table */

/* Every built-in entry is here: a mis-sorted table would fail some lookups. */
static const struct lookup_case builtin_cases[] = {
    {"a.avif", "image/avif"},
    {"a.bmp", "image/bmp"},
    {"a.bz2", "application/x-bzip2"},
    {"a.css", "text/css"},
    {"a.csv", "text/csv"},
    {"a.gif", "image/gif"},
    {"a.gz", "application/gzip"},
    {"a.htm", "text/html"},
    {"a.html", "text/html"},
    {"a.ico", "image/vnd.microsoft.icon"},
    {"a.jpeg", "image/jpeg"},
    {"a.jpg", "image/jpeg"},
    {"a.js", "text/javascript"},
    {"a.json", "application/json"},
    {"a.manifest", "application/manifest+json"},
    {"a.map", "application/json"},
    {"a.md", "text/markdown"},
    {"a.mjs", "text/javascript"},
    {"a.mp3", "audio/mpeg"},
    {"a.mp4", "video/mp4"},
    {"a.mpeg", "video/mpeg"},
    {"a.ogg", "audio/ogg"},
    {"a.otf", "font/otf"},
    {"a.pdf", "application/pdf"},
    {"a.png", "image/png"},
    {"a.svg", "image/svg+xml"},
    {"a.tar", "application/x-tar"},
    {"a.ttf", "font/ttf"},
    {"a.txt", "text/plain"},
    {"a.wasm", "application/wasm"},
    {"a.wav", "audio/wav"},
    {"a.webm", "video/webm"},
    {"a.webmanifest", "application/manifest+json"},
    {"a.webp", "image/webp"},
    {"a.woff", "font/woff"},
    {"a.woff2", "font/woff2"},
    {"a.xml", "application/xml"},
    {"a.xz", "application/x-xz"},
    {"a.zip", "application/zip"},
    {"a.zst", "application/zstd"},
};

START_TEST(test_builtin_table)
{
	struct mime_types *mt = load_or_fail(NULL);

	assert_lookup(mt, &builtin_cases[_i]);
	/* NULL stands for the built-in table alone. */
	assert_lookup(NULL, &builtin_cases[_i]);
	mime_types_free(mt);
}
END_TEST

static const struct lookup_case name_cases[] = {
    /* Case-insensitive extensions. */
    {"INDEX.HTML", "text/html"},
    {"photo.Png", "image/png"},
    {"font.WOFF2", "font/woff2"},
    /* Only the last segment, and only after its last '.'. */
    {"static/js/app.min.js", "text/javascript"},
    {"/srv/www/a.b/c.css", "text/css"},
    {"archive.tar.gz", "application/gzip"},
    {".config.json", "application/json"},
    {"a.b/c", NULL},
    {"a.css/", NULL},
    {"dir.d/README", NULL},
    /* No extension at all. */
    {"README", NULL},
    {"file.", NULL},
    {".bashrc", NULL},
    {"..bashrc", NULL},
    {"a/.hidden", NULL},
    {".", NULL},
    {"..", NULL},
    {"", NULL},
    {"/", NULL},
    /* Unknown, or only similar to a known one. */
    {"a.unknownext", NULL},
    {"a.htmlx", NULL},
    {"a.ht", NULL},
    {"a.woff3", NULL},
    {"a.h", NULL},
    {"a.zzzz", NULL},
    {"a.\xff", NULL},
};

START_TEST(test_names)
{
	struct mime_types *mt = load_or_fail(NULL);

	assert_lookup(mt, &name_cases[_i]);
	mime_types_free(mt);
}
END_TEST

/* Only len bytes of the name are read. */
START_TEST(test_lookup_uses_length)
{
	struct mime_types *mt = load_or_fail(NULL);

	ck_assert_str_eq(mime_types_lookup(mt, "a.cssx", 5), "text/css");
	ck_assert_ptr_null(mime_types_lookup(mt, "index.html", 8));
	ck_assert_ptr_null(mime_types_lookup(mt, "a.css", 0));
	ck_assert_ptr_null(mime_types_lookup(mt, "a.c\0ss", 6));
	mime_types_free(mt);
}
END_TEST

/* ------------------------------------------------------------ file loading */

/* Write content to a fresh temporary file; its name goes to path. */
static void write_temp_file(const char *content, size_t len, char *path, size_t path_size)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, path_size, "%s/check_mime.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp %s", path);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

static struct mime_types *load_text(const char *content, size_t len)
{
	char path[4096];
	struct mime_types *mt;

	write_temp_file(content, len, path, sizeof(path));
	mt = load_or_fail(path);
	unlink(path);
	return mt;
}

static const char sample_file[] = "# A comment line\n"
                                  "   # an indented comment\n"
                                  "\n"
                                  "   \t  \n"
                                  "text/x-custom\t\tfoo bar\t# a trailing comment: baz\n"
                                  "application/x-first\tdup\n"
                                  "application/x-second\tdup\n"
                                  "image/x-override png\n"
                                  "TEXT/X-Upper  UpExt\n"
                                  "notatype   nope\n"
                                  "text/\tnosubtype\n"
                                  "text/x-bad\x01type badtype\n"
                                  "text/x-no-extensions\n"
                                  "\t text/x-leading \t lead \n"
                                  "text/x-crlf crlf\r\n"
                                  "text/x-last last"; /* no final newline */

static const struct lookup_case sample_cases[] = {
    {"a.foo", "text/x-custom"},
    {"a.bar", "text/x-custom"},
    {"a.baz", NULL},                   /* it was in a comment */
    {"a.dup", "application/x-second"}, /* later lines win */
    {"a.png", "image/x-override"},     /* the file wins over the built-in table */
    {"a.css", "text/css"},             /* not in the file: built-in */
    {"a.upext", "TEXT/X-Upper"},
    {"a.UPEXT", "TEXT/X-Upper"},
    {"a.nope", NULL},
    {"a.nosubtype", NULL},
    {"a.badtype", NULL},
    {"a.lead", "text/x-leading"},
    {"a.crlf", "text/x-crlf"},
    {"a.last", "text/x-last"},
    {"a.comment", NULL},
};

START_TEST(test_sample_file)
{
	struct mime_types *mt = load_text(sample_file, sizeof(sample_file) - 1);

	assert_lookup(mt, &sample_cases[_i]);
	mime_types_free(mt);
}
END_TEST

START_TEST(test_empty_file)
{
	struct mime_types *mt = load_text("", 0);
	static const struct lookup_case html = {"index.html", "text/html"};

	assert_lookup(mt, &html);
	mime_types_free(mt);
}
END_TEST

/* A single line far larger than any buffer: a huge extension and thousands of
 * short ones. */
START_TEST(test_long_line)
{
	const size_t huge = 100000, shorts = 20000;
	size_t cap = huge + shorts * 8 + 64, len = 0;
	char *text = malloc(cap);
	char *name = malloc(huge + 3);
	struct mime_types *mt;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(name);
	len += (size_t)snprintf(text, cap, "text/x-long ");
	memset(text + len, 'q', huge);
	len += huge;
	for (size_t i = 0; i < shorts; i++)
		len += (size_t)snprintf(text + len, cap - len, " e%zu", i);
	text[len++] = '\n';
	mt = load_text(text, len);

	ck_assert_str_eq(mime_types_lookup(mt, "x.e0", 4), "text/x-long");
	ck_assert_str_eq(mime_types_lookup(mt, "x.e19999", 8), "text/x-long");
	name[0] = 'x';
	name[1] = '.';
	memset(name + 2, 'Q', huge);
	ck_assert_str_eq(mime_types_lookup(mt, name, huge + 2), "text/x-long");
	ck_assert_ptr_null(mime_types_lookup(mt, name, huge + 1));
	mime_types_free(mt);
	free(name);
	free(text);
}
END_TEST

START_TEST(test_missing_file)
{
	const char *path = "/nonexistent-switchboard-dir/mime.types";
	char err[256] = "";

	ck_assert_ptr_null(mime_types_load(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, path) == err, "message: %s", err);
	ck_assert_msg(strstr(err, ": ") != NULL && strlen(err) > strlen(path) + 2, "message: %s",
	              err);
}
END_TEST

/* The message is cut to err_size, and err may be absent. */
START_TEST(test_error_buffer_sizes)
{
	const char *path = "/nonexistent-switchboard-dir/mime.types";
	char err[8];

	memset(err, '#', sizeof(err));
	ck_assert_ptr_null(mime_types_load(path, err, 5));
	ck_assert_str_eq(err, "/non");
	ck_assert_int_eq(err[5], '#');
	ck_assert_ptr_null(mime_types_load(path, NULL, 0));
	ck_assert_ptr_null(mime_types_load(path, err, 0));
}
END_TEST

/* A directory opens but cannot be read: still an error naming the path. */
START_TEST(test_directory_is_an_error)
{
	char err[256] = "";

	ck_assert_ptr_null(mime_types_load("/", err, sizeof(err)));
	ck_assert_msg(strncmp(err, "/: ", 3) == 0, "message: %s", err);
}
END_TEST

static const struct lookup_case system_cases[] = {
    {"index.html", "text/html"},    {"a.png", "image/png"},       {"a.css", "text/css"},
    {"a.json", "application/json"}, {"a.pdf", "application/pdf"}, {"a.JPG", "image/jpeg"},
};

/* The system's file, when there is one, loads and knows the common types. */
START_TEST(test_system_file)
{
	const char *path = "/etc/mime.types";
	struct mime_types *mt;

	if (access(path, R_OK) != 0)
		return;
	mt = load_or_fail(path);
	for (size_t i = 0; i < ARRAY_LEN(system_cases); i++)
		assert_lookup(mt, &system_cases[i]);
	mime_types_free(mt);
}
END_TEST

START_TEST(test_free_null)
{
	mime_types_free(NULL);
}
END_TEST

static Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *lookup = tcase_create("lookup");
	TCase *load = tcase_create("load");

	tcase_add_loop_test(lookup, test_builtin_table, 0, (int)ARRAY_LEN(builtin_cases));
	tcase_add_loop_test(lookup, test_names, 0, (int)ARRAY_LEN(name_cases));
	tcase_add_test(lookup, test_lookup_uses_length);
	suite_add_tcase(s, lookup);

	tcase_add_loop_test(load, test_sample_file, 0, (int)ARRAY_LEN(sample_cases));
	tcase_add_test(load, test_empty_file);
	tcase_add_test(load, test_long_line);
	tcase_add_test(load, test_missing_file);
	tcase_add_test(load, test_error_buffer_sizes);
	tcase_add_test(load, test_directory_is_an_error);
	tcase_add_test(load, test_system_file);
	tcase_add_test(load, test_free_null);
	suite_add_tcase(s, load);
	return s;
}

int main(void)
{
	return check_run(mime_suite());
}
