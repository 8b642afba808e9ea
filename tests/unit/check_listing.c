/* Unit tests for listing: the page of a real temporary directory, its links
 * and its text, and which entries it offers; the same entries as JSON, its
 * strings (json.h) and the choice of format (accept.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "autoconfig.h"

#include "accept.h"
#include "json.h"
#include "listing.h"
#include "urlpath.h"

#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static char dir[] = "/tmp/check_listing.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/check_listing.XXXXXX");
}

static void path_of(const char *rel, char *path, size_t size)
{
	int n = snprintf(path, size, "%s/%s", dir, rel);
	ck_assert(n > 0 && (size_t)n < size);
}

/* A file of size bytes at rel (below the test directory). */
static void make_file(const char *rel, size_t size)
{
	char path[512];
	path_of(rel, path, sizeof path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void make_dir(const char *rel)
{
	char path[512];
	path_of(rel, path, sizeof path);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void make_link(const char *target, const char *rel)
{
	char path[512];
	path_of(rel, path, sizeof path);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* The whole listing of the directory rel ("" for the test directory
 * itself) in format, produced in small pieces. The caller frees it. */
static char *render_as(const char *rel, bool show_hidden, listing_opener *opener,
                       enum listing_format format)
{
	char path[512];
	path_of(rel, path, sizeof path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	struct listing *l = listing_open(fd, rel, show_hidden, opener, NULL);
	ck_assert_ptr_nonnull(l);
	listing_set_format(l, format);
	struct buf out = BUF_INIT;
	int rc;
	while ((rc = listing_next(l, &out, 64)) == 1)
		;
	ck_assert_int_eq(rc, 0);
	listing_free(l);
	char *page = strndup(buf_head(&out), buf_len(&out));
	ck_assert_ptr_nonnull(page);
	buf_free(&out);
	return page;
}

static char *render(const char *rel, bool show_hidden, listing_opener *opener)
{
	return render_as(rel, show_hidden, opener, LISTING_HTML);
}

/* The row of the link whose href is exactly href, or NULL. */
static const char *row_of(const char *page, const char *href)
{
	char needle[1024];
	snprintf(needle, sizeof needle, "<a href=\"%s\">", href);
	const char *at = strstr(page, needle);
	if (at == NULL)
		return NULL;
	while (at > page && strncmp(at, "<tr>", 4) != 0)
		at--;
	return at;
}

static size_t count_links(const char *page)
{
	size_t n = 0;
	for (const char *p = page; (p = strstr(p, "<a href=\"")) != NULL; p++)
		n++;
	return n;
}

/* Is href made only of unreserved characters, %XX escapes and '/'? */
static bool href_is_plain(const char *href, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)href[i];
		if (c == '%' && i + 2 < len && strchr("0123456789ABCDEF", href[i + 1]) &&
		    strchr("0123456789ABCDEF", href[i + 2])) {
			i += 2;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (c != '\0' && strchr("-._~/", c) != NULL)))
			return false;
	}
	return true;
}

/* What a client makes of an href: its bytes percent-decoded. */
static void percent_decode(const char *href, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned int byte;
		if (href[i] == '%' && sscanf(href + i + 1, "%2X", &byte) == 1) {
			out[n++] = (char)byte;
			i += 2;
		} else {
			out[n++] = href[i];
		}
	}
	out[n] = '\0';
}

START_TEST(test_links_are_relative)
{
	make_dir("sub");
	make_dir("sub/deeper");
	make_file("a.txt", 1);
	make_file("sub/b.txt", 1);
	char *root = render("", false, NULL);
	ck_assert_ptr_nonnull(row_of(root, "sub/"));
	ck_assert_ptr_nonnull(row_of(root, "a.txt"));
	ck_assert_ptr_null(strstr(root, "href=\"/"));
	ck_assert_ptr_null(strstr(root, "href=\"../\"")); /* no parent at the root */
	free(root);
	char *sub = render("sub", false, NULL);
	ck_assert_ptr_nonnull(row_of(sub, "../"));
	ck_assert_ptr_nonnull(row_of(sub, "deeper/"));
	ck_assert_ptr_nonnull(row_of(sub, "b.txt"));
	ck_assert_ptr_null(strstr(sub, "href=\"/"));
	free(sub);
	char *deeper = render("sub/deeper", false, NULL);
	ck_assert_ptr_nonnull(row_of(deeper, "../"));
	ck_assert_uint_eq(count_links(deeper), 1);
	free(deeper);
}
END_TEST

/* Names with every character that means something in a URL or in HTML. */
static const char *const odd_names[] = {
    "apos'.txt",  "quote\".txt",         "a&b.txt",     "lt<gt>.txt",   "hash#x.txt",
    "q?x=1.txt",  "pct%41.txt",          "50% off.txt", "colon:x",      "with space",
    "plus+semi;", "(paren)!*$,@",        "back\\slash", "\xc3\xbc.txt", "\xff\xfe",
    "~tilde-_.",  "javascript:alert(1)", "eq=amp&lt;",  "`tick`{}|^[]",
};

START_TEST(test_hrefs_hold_only_unreserved_bytes_and_escapes)
{
	for (size_t i = 0; i < ARRAY_LEN(odd_names); i++)
		make_file(odd_names[i], 1);
	char *page = render("", false, NULL);
	ck_assert_uint_eq(count_links(page), ARRAY_LEN(odd_names));
	size_t found = 0;
	for (const char *p = page; (p = strstr(p, "<a href=\"")) != NULL;) {
		p += strlen("<a href=\"");
		size_t len = strcspn(p, "\"");
		ck_assert_msg(href_is_plain(p, len), "href %.*s", (int)len, p);
		char decoded[1024];
		percent_decode(p, len, decoded);
		for (size_t i = 0; i < ARRAY_LEN(odd_names); i++)
			if (strcmp(decoded, odd_names[i]) == 0)
				found++;
		p += len;
	}
	ck_assert_uint_eq(found, ARRAY_LEN(odd_names));
	/* The one lftp cut short, and the one that would read as a scheme. */
	ck_assert_ptr_nonnull(row_of(page, "apos%27.txt"));
	ck_assert_ptr_nonnull(row_of(page, "javascript%3Aalert%281%29"));
	free(page);
}
END_TEST

START_TEST(test_text_is_html_escaped)
{
	make_file("apos'.txt", 1);
	make_file("quote\".txt", 1);
	make_file("a&b.txt", 1);
	make_file("lt<gt>.txt", 1);
	char *page = render("", false, NULL);
	ck_assert_ptr_nonnull(strstr(page, ">apos&#39;.txt</a>"));
	ck_assert_ptr_nonnull(strstr(page, ">quote&quot;.txt</a>"));
	ck_assert_ptr_nonnull(strstr(page, ">a&amp;b.txt</a>"));
	ck_assert_ptr_nonnull(strstr(page, ">lt&lt;gt&gt;.txt</a>"));
	ck_assert_ptr_null(strstr(page, "lt<gt>"));
	free(page);
}
END_TEST

/* Every byte a file name can hold, alone between 'x' and 'y': the listing
 * offers the name exactly when a request for its link is accepted. */
START_TEST(test_listed_exactly_when_a_request_can_name_it)
{
	size_t servable = 0;
	for (int c = 1; c < 256; c++) {
		if (c == '/')
			continue;
		char name[4] = {'x', (char)c, 'y', '\0'};
		make_file(name, 1);
	}
	char *page = render("", false, NULL);
	for (int c = 1; c < 256; c++) {
		if (c == '/')
			continue;
		char target[16], out[16], href[16];
		snprintf(target, sizeof target, "/x%%%02Xy", c);
		struct urlpath up;
		bool accepted =
		    urlpath_resolve(target, strlen(target), 0, out, sizeof out, &up) == 0;
		bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		                  (c >= '0' && c <= '9') || strchr("-._~", c) != NULL;
		if (unreserved)
			snprintf(href, sizeof href, "x%cy", c);
		else
			snprintf(href, sizeof href, "x%%%02Xy", c);
		bool listed = row_of(page, href) != NULL;
		ck_assert_msg(listed == accepted, "byte 0x%02X: listed %d, request accepted %d", c,
		              listed, accepted);
		servable += accepted;
	}
	/* Control bytes and DEL are refused, every other byte is served. */
	ck_assert_uint_eq(servable, 255 - 1 - 31 - 1);
	ck_assert_uint_eq(count_links(page), servable);
	char footer[64];
	snprintf(footer, sizeof footer, "<footer>%zu entries", servable);
	ck_assert_ptr_nonnull(strstr(page, footer));
	free(page);
}
END_TEST

START_TEST(test_no_raw_control_byte_in_the_page)
{
	make_file("tab\there", 1);
	make_file("nl\nhere", 1);
	make_file("one\x01here", 1);
	make_file("plain", 1);
	/* A caller could hand any path over: the heading must not echo it raw. */
	make_dir("d\tir\x7f");
	char *page = render("d\tir\x7f", false, NULL);
	for (const char *p = page; *p != '\0'; p++)
		ck_assert_msg(*p == '\n' || !((unsigned char)*p < 0x20 || *p == 0x7f),
		              "raw byte 0x%02X at offset %td", (unsigned char)*p, p - page);
	/* Shown as the matching control pictures, U+2409 and U+2421. */
	ck_assert_ptr_nonnull(strstr(page, "Index of /d\xe2\x90\x89ir\xe2\x90\xa1/"));
	free(page);
	page = render("", false, NULL);
	ck_assert_ptr_null(strstr(page, "here"));
	ck_assert_ptr_nonnull(row_of(page, "plain"));
	free(page);
}
END_TEST

/* Lists the size and type of what a link points to. */
START_TEST(test_symlinks_show_their_target)
{
	make_dir("real");
	make_file("real/inside.txt", 1);
	make_file("big.bin", 3000);
	make_link("real", "linked-dir");
	make_link("big.bin", "linked-file");
	char *page = render("", false, NULL);
	const char *row = row_of(page, "linked-dir/");
	ck_assert_msg(row != NULL, "no linked-dir/ link in %s", page);
	ck_assert_ptr_nonnull(strstr(row, ">linked-dir/</a></td><td class=\"size\">-</td>"));
	row = row_of(page, "linked-file");
	ck_assert_ptr_nonnull(row);
	ck_assert_ptr_nonnull(strstr(row, ">linked-file</a></td><td class=\"size\">2.9 KiB</td>"));
	/* Directories first, the linked one among them. */
	ck_assert(row_of(page, "linked-dir/") < row_of(page, "real/"));
	ck_assert(row_of(page, "real/") < row_of(page, "big.bin"));
	free(page);
}
END_TEST

START_TEST(test_unusable_entries_are_left_out)
{
	make_file("kept.txt", 1);
	make_link("nowhere", "dangling");
	make_link("loop-b", "loop-a");
	make_link("loop-a", "loop-b");
	char fifo[512];
	path_of("fifo", fifo, sizeof fifo);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	make_link("fifo", "to-fifo");
	make_link("/dev/null", "to-device");
	char *page = render("", false, NULL);
	ck_assert_msg(count_links(page) == 1 && row_of(page, "kept.txt") != NULL, "page: %s", page);
	ck_assert_ptr_nonnull(strstr(page, "<footer>1 entry "));
	free(page);
}
END_TEST

/* The opener stands for the server's symlink policy: it accepts only paths
 * below "sub/" whose name starts with "ok". */
static char opened[8][64];
static size_t opened_count;

static int policy_opener(const struct static_site *site, const char *path)
{
	(void)site;
	if (opened_count < ARRAY_LEN(opened))
		snprintf(opened[opened_count++], sizeof opened[0], "%s", path);
	if (strncmp(path, "sub/ok", 6) != 0) {
		errno = EXDEV;
		return -1;
	}
	char full[512];
	path_of(path, full, sizeof full);
	return open(full, O_RDONLY | O_CLOEXEC);
}

START_TEST(test_symlinks_the_policy_refuses_are_left_out)
{
	make_dir("sub");
	make_file("sub/target.txt", 5);
	make_link("target.txt", "sub/ok-link");
	make_link("target.txt", "sub/refused-link");
	make_file("sub/plain.txt", 1);
	opened_count = 0;
	char *page = render("sub", false, policy_opener);
	ck_assert_ptr_nonnull(row_of(page, "ok-link"));
	ck_assert_ptr_null(row_of(page, "refused-link"));
	ck_assert_ptr_nonnull(row_of(page, "plain.txt"));
	ck_assert_ptr_nonnull(row_of(page, "target.txt"));
	free(page);
	/* Asked about the links only, by their paths below the root. */
	ck_assert_uint_eq(opened_count, 2);
	bool ok = false, refused = false;
	for (size_t i = 0; i < opened_count; i++) {
		ok |= strcmp(opened[i], "sub/ok-link") == 0;
		refused |= strcmp(opened[i], "sub/refused-link") == 0;
	}
	ck_assert(ok && refused);
}
END_TEST

START_TEST(test_hidden_names)
{
	make_file(".hidden", 1);
	make_file("shown", 1);
	char *page = render("", false, NULL);
	ck_assert_ptr_null(row_of(page, ".hidden"));
	ck_assert_ptr_nonnull(row_of(page, "shown"));
	free(page);
	page = render("", true, NULL);
	ck_assert_ptr_nonnull(row_of(page, ".hidden"));
	ck_assert_ptr_null(strstr(page, "href=\".\""));
	ck_assert_ptr_null(strstr(page, "href=\"..\""));
	free(page);
}
END_TEST

/* ------------------------------------------------------------------ JSON */

static void set_mtime(const char *rel, time_t when)
{
	char path[512];
	path_of(rel, path, sizeof path);
	struct timespec times[2] = {{when, 0}, {when, 0}};
	ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* Byte for byte what nginx's "autoindex_format json" writes for the same
 * directory: directories first, CRLF before each element and the bracket. */
START_TEST(test_json_shape)
{
	make_dir("sub");
	make_file("b.txt", 12345);
	make_file("a.txt", 0);
	set_mtime("sub", 0);
	set_mtime("a.txt", 1700000000);
	set_mtime("b.txt", 784111777);
	char *json = render_as("", false, NULL, LISTING_JSON);
	ck_assert_str_eq(json, "[\r\n"
	                       "{ \"name\":\"sub\", \"type\":\"directory\", "
	                       "\"mtime\":\"Thu, 01 Jan 1970 00:00:00 GMT\" },\r\n"
	                       "{ \"name\":\"a.txt\", \"type\":\"file\", "
	                       "\"mtime\":\"Tue, 14 Nov 2023 22:13:20 GMT\", \"size\":0 },\r\n"
	                       "{ \"name\":\"b.txt\", \"type\":\"file\", "
	                       "\"mtime\":\"Sun, 06 Nov 1994 08:49:37 GMT\", \"size\":12345 }\r\n"
	                       "]");
	free(json);
}
END_TEST

START_TEST(test_json_empty_directory)
{
	make_file(".hidden", 1);
	char *json = render_as("", false, NULL, LISTING_JSON);
	ck_assert_str_eq(json, "[\r\n]");
	free(json);
	json = render_as("", true, NULL, LISTING_JSON);
	ck_assert_ptr_nonnull(strstr(json, "\"name\":\".hidden\""));
	free(json);
}
END_TEST

/* The rules of the page apply: the same entries, links as their targets. */
START_TEST(test_json_lists_what_the_page_lists)
{
	make_file("kept.txt", 3);
	make_link("nowhere", "dangling");
	make_dir("real");
	make_link("real", "to-dir");
	char fifo[512];
	path_of("fifo", fifo, sizeof fifo);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	char *json = render_as("", false, NULL, LISTING_JSON);
	ck_assert_msg(strstr(json, "\"name\":\"to-dir\", \"type\":\"directory\"") != NULL, "%s",
	              json);
	ck_assert_ptr_nonnull(strstr(json, "\"name\":\"kept.txt\", \"type\":\"file\""));
	ck_assert_ptr_null(strstr(json, "dangling"));
	ck_assert_ptr_null(strstr(json, "fifo"));
	ck_assert_ptr_null(strstr(json, "\"other\""));
	free(json);
}
END_TEST

START_TEST(test_json_names_are_escaped)
{
	make_file("quote\".txt", 1);
	make_file("back\\slash", 1);
	make_file("\xff\xfe.bin", 1);
	char *json = render_as("", false, NULL, LISTING_JSON);
	ck_assert_msg(strstr(json, "\"name\":\"quote\\\".txt\"") != NULL, "%s", json);
	ck_assert_ptr_nonnull(strstr(json, "\"name\":\"back\\\\slash\""));
	ck_assert_ptr_nonnull(strstr(json, "\"name\":\"\xef\xbf\xbd\xef\xbf\xbd.bin\""));
	free(json);
}
END_TEST

struct json_string_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *out;
};

#define FFFD "\xef\xbf\xbd"

static const struct json_string_case json_string_cases[] = {
    {"plain.txt", 0, "\"plain.txt\""},
    {"", 0, "\"\""},
    {"a\"b\\c/d", 0, "\"a\\\"b\\\\c/d\""},
    {"\n\r\t\b\f\x01\x1f", 0, "\"\\u000a\\u000d\\u0009\\u0008\\u000c\\u0001\\u001f\""},
    {"nul\0x", 5, "\"nul\\u0000x\""},
    {"del\x7f", 0, "\"del\x7f\""}, /* JSON needs no escape for DEL */
    /* Well-formed UTF-8 passes: 2, 3 and 4 bytes, the largest code point. */
    {"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", 0,
     "\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\""},
    /* Ill-formed: one U+FFFD per maximal ill-formed subsequence. */
    {"\xff", 0, "\"" FFFD "\""},
    {"latin1-\xe9t\xe9", 0, "\"latin1-" FFFD "t" FFFD "\""},
    {"cut\xc3", 0, "\"cut" FFFD "\""},
    {"cut\xe2\x82", 0, "\"cut" FFFD "\""},
    {"\xf0\x9f\x98x", 0, "\"" FFFD "x\""},
    {"\xc0\xaf", 0, "\"" FFFD FFFD "\""},                   /* overlong '/' */
    {"\xe0\x80\x80", 0, "\"" FFFD FFFD FFFD "\""},          /* overlong NUL */
    {"\xed\xa0\x80", 0, "\"" FFFD FFFD FFFD "\""},          /* a surrogate */
    {"\xf4\x90\x80\x80", 0, "\"" FFFD FFFD FFFD FFFD "\""}, /* past U+10FFFF */
    {"\x80\xbf", 0, "\"" FFFD FFFD "\""},                   /* lone continuations */
    {"\xf5\xc1", 0, "\"" FFFD FFFD "\""},
    {"\xe2\x82\"", 0, "\"" FFFD "\\\"\""}, /* a quote ends the sequence, still escaped */
};

START_TEST(test_json_string)
{
	const struct json_string_case *c = &json_string_cases[_i];
	size_t len = c->len != 0 ? c->len : strlen(c->in);
	struct buf out = BUF_INIT;
	ck_assert_int_eq(json_append_string(&out, c->in, len), 0);
	ck_assert_msg(buf_len(&out) == strlen(c->out) &&
	                  memcmp(buf_head(&out), c->out, buf_len(&out)) == 0,
	              "case %d: got %.*s", _i, (int)buf_len(&out), buf_head(&out));
	buf_free(&out);
}
END_TEST

struct format_case {
	const char *accept;
	const char *query; /* NULL: none */
	enum listing_format format;
};

static const struct format_case format_cases[] = {
    {"", NULL, LISTING_HTML},
    {"*/*", NULL, LISTING_HTML},
    {"application/json", NULL, LISTING_JSON},
    {"application/json;q=0.9, text/html", NULL, LISTING_HTML},
    {"text/html;q=0.5, application/json", NULL, LISTING_JSON},
    {"application/json, text/html", NULL, LISTING_HTML}, /* a tie: the page */
    {"application/*", NULL, LISTING_JSON},
    {"application/json, */*;q=0.1", NULL, LISTING_JSON},
    /* Browsers: text/html named, and "*" "/" "*" below it. */
    {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", NULL, LISTING_HTML},
    {"application/json;q=0", NULL, LISTING_HTML},
    {"image/png", NULL, LISTING_HTML}, /* neither: the page, never a 406 */
    {"", "format=json", LISTING_JSON},
    {"application/json", "format=html", LISTING_HTML},
    {"", "a=1&format=json&b", LISTING_JSON},
    {"", "format=xml", LISTING_HTML},
    {"", "format=jsonp", LISTING_HTML},
    {"", "xformat=json", LISTING_HTML},
    {"application/json", "format=JSON", LISTING_JSON}, /* unknown value: Accept decides */
};

START_TEST(test_format_wanted)
{
	const struct format_case *c = &format_cases[_i];
	enum listing_format got = listing_format_wanted(c->accept, strlen(c->accept), c->query,
	                                                c->query != NULL ? strlen(c->query) : 0);
	ck_assert_msg(got == c->format, "Accept: %s, query %s", c->accept,
	              c->query != NULL ? c->query : "(none)");
}
END_TEST

struct weight_case {
	const char *accept;
	int json; /* the weight of application/json */
};

static const struct weight_case weight_cases[] = {
    {"", 1000},
    {"application/json", 1000},
    {"APPLICATION/JSON", 1000},
    {"application/json;q=0.25", 250},
    {"application/json ; charset=utf-8 ; q=0.5", 500},
    {"application/json;q=0.5;ext=1", 500},
    {"text/html", 0},
    {"*/*;q=0.3", 300},
    {"application/*;q=0.4, */*;q=0.9", 400},                       /* the more specific range */
    {"*/*, application/json;q=0", 0},                              /* refused by name */
    {"application/json;q=0.2, application/*", 200},                /* the type itself wins */
    {"application/json;q=2, */*;q=0.1", 100},                      /* a bad q: passed over */
    {"text/plain;x=\"a,application/json;q=1,b\", */*;q=0.6", 600}, /* commas in quotes */
    {"application/jsonx, application/js", 0},
};

START_TEST(test_accept_weight)
{
	const struct weight_case *c = &weight_cases[_i];
	int got = accept_weight(c->accept, strlen(c->accept), "application/json");
	ck_assert_msg(got == c->json, "Accept: %s: %d, want %d", c->accept, got, c->json);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("listing");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_links_are_relative);
	tcase_add_test(tc, test_hrefs_hold_only_unreserved_bytes_and_escapes);
	tcase_add_test(tc, test_text_is_html_escaped);
	tcase_add_test(tc, test_listed_exactly_when_a_request_can_name_it);
	tcase_add_test(tc, test_no_raw_control_byte_in_the_page);
	tcase_add_test(tc, test_symlinks_show_their_target);
	tcase_add_test(tc, test_unusable_entries_are_left_out);
	tcase_add_test(tc, test_symlinks_the_policy_refuses_are_left_out);
	tcase_add_test(tc, test_hidden_names);
	tcase_add_test(tc, test_json_shape);
	tcase_add_test(tc, test_json_empty_directory);
	tcase_add_test(tc, test_json_lists_what_the_page_lists);
	tcase_add_test(tc, test_json_names_are_escaped);
	suite_add_tcase(s, tc);
	TCase *pure = tcase_create("json and accept");
	tcase_add_loop_test(pure, test_json_string, 0, (int)ARRAY_LEN(json_string_cases));
	tcase_add_loop_test(pure, test_format_wanted, 0, (int)ARRAY_LEN(format_cases));
	tcase_add_loop_test(pure, test_accept_weight, 0, (int)ARRAY_LEN(weight_cases));
	suite_add_tcase(s, pure);
	return check_run(s);
}
