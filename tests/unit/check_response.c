/* Unit tests for response: reason phrases, the serialised head byte for byte
 * for several plans, error plans and their pages, and the Date value. */
#include "autoconfig.h"

#include "response.h"

#include "check_run.h"

#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Any well-formed date: the head copies it as given. */
#define DATE "Tue, 15 Nov 1994 08:12:31 GMT"
/* The status line and the fields every response starts with. */
#define HEAD_START(status_line)                                                                    \
	"HTTP/1.1 " status_line "\r\n"                                                             \
	"Server: " PACKAGE_NAME "/" PACKAGE_VERSION "\r\n"                                         \
	"Date: " DATE "\r\n"

/* 784111777 is the RFC 9110 example date. */
#define LAST_MODIFIED_TIME 784111777
#define LAST_MODIFIED_TEXT "Sun, 06 Nov 1994 08:49:37 GMT"
#define IMF_FIXDATE_LEN (sizeof LAST_MODIFIED_TEXT - 1)

/* ------------------------------------------------------------------ helpers */

/* text, made printable for failure messages (truncated; one static buffer). */
static const char *show(const char *text, size_t len)
{
	static char out[1200];
	size_t o = 0;
	for (size_t i = 0; i < len && o + 8 < sizeof out; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\r')
			o += (size_t)snprintf(out + o, sizeof out - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(out + o, sizeof out - o, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static void assert_bytes(const struct buf *b, const char *want, const char *what)
{
	size_t n = strlen(want);
	char got[1200];
	snprintf(got, sizeof got, "%s", show(buf_head(b), buf_len(b)));
	ck_assert_msg(buf_len(b) == n && memcmp(buf_head(b), want, n) == 0,
	              "%s:\n got  \"%s\"\n want \"%s\"", what, got, show(want, n));
}

static bool contains(const char *haystack, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(haystack + i, needle, n) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------- init, reasons */

START_TEST(test_init)
{
	struct response r;
	memset(&r, 0x5a, sizeof r);
	response_init(&r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_null(r.content_type);
	ck_assert_uint_eq(r.content_length, 0);
	ck_assert(!r.has_last_modified);
	ck_assert_ptr_null(r.etag);
	ck_assert(!r.accept_ranges);
	ck_assert_int_eq(r.range, RESPONSE_RANGE_NONE);
	ck_assert(!r.error_page);
	ck_assert_ptr_null(r.location);
	ck_assert_ptr_null(r.allow);
	ck_assert_int_eq(r.connection, RESPONSE_KEEP_ALIVE);
	ck_assert(!r.head_only);
	ck_assert_int_eq(r.body.kind, BODY_NONE);
	ck_assert_uint_eq(r.body.offset, 0);
}
END_TEST

struct reason_case {
	int status;
	const char *reason;
};

static const struct reason_case reason_cases[] = {
    {200, "OK"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {416, "Range Not Satisfiable"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
    {0, "Unknown"},
    {-1, "Unknown"},
    {100, "Unknown"},
    {299, "Unknown"},
    {402, "Unknown"},
    {999, "Unknown"},
};

START_TEST(test_reason)
{
	const struct reason_case *c = &reason_cases[_i];
	ck_assert_str_eq(response_reason(c->status), c->reason);
}
END_TEST

/* ----------------------------------------------------------- heads, exactly */

struct head_case {
	const char *name;
	struct response plan;
	const char *head;
};

static const struct head_case head_cases[] = {
    {
        "a file",
        {
            .status = 200,
            .content_type = "text/plain; charset=utf-8",
            .content_length = 5,
            .has_last_modified = true,
            .last_modified = LAST_MODIFIED_TIME,
            .etag = "\"5-2ebc8f81\"",
            .accept_ranges = true,
        },
        HEAD_START("200 OK") "Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Length: 5\r\n"
                             "Last-Modified: " LAST_MODIFIED_TEXT "\r\n"
                             "ETag: \"5-2ebc8f81\"\r\n"
                             "Accept-Ranges: bytes\r\n"
                             "\r\n",
    },
    {
        "the least: an empty 200",
        {.status = 200},
        HEAD_START("200 OK") "Content-Length: 0\r\n"
                             "\r\n",
    },
    {
        "a range",
        {
            .status = 206,
            .content_type = "image/png",
            .content_length = 100,
            .range = RESPONSE_RANGE_PARTIAL,
            .range_first = 200,
            .complete_length = 1000,
            .accept_ranges = true,
        },
        HEAD_START("206 Partial Content") "Content-Type: image/png\r\n"
                                          "Content-Length: 100\r\n"
                                          "Accept-Ranges: bytes\r\n"
                                          "Content-Range: bytes 200-299/1000\r\n"
                                          "\r\n",
    },
    {
        "a range of one byte",
        {
            .status = 206,
            .content_length = 1,
            .range = RESPONSE_RANGE_PARTIAL,
            .range_first = 0,
            .complete_length = 1,
        },
        HEAD_START("206 Partial Content") "Content-Length: 1\r\n"
                                          "Content-Range: bytes 0-0/1\r\n"
                                          "\r\n",
    },
    {
        "a range at the end of the largest file",
        {
            .status = 206,
            .content_length = 10,
            .range = RESPONSE_RANGE_PARTIAL,
            .range_first = UINT64_MAX - 10,
            .complete_length = UINT64_MAX,
        },
        HEAD_START("206 Partial Content") "Content-Length: 10\r\n"
                                          "Content-Range: bytes "
                                          "18446744073709551605-18446744073709551614/"
                                          "18446744073709551615\r\n"
                                          "\r\n",
    },
    {
        "an unsatisfiable range",
        {
            .status = 416,
            .content_type = "text/html; charset=utf-8",
            .content_length = 120,
            .range = RESPONSE_RANGE_UNSATISFIED,
            .complete_length = 1000,
            .accept_ranges = true,
        },
        HEAD_START("416 Range Not Satisfiable") "Content-Type: text/html; charset=utf-8\r\n"
                                                "Content-Length: 120\r\n"
                                                "Accept-Ranges: bytes\r\n"
                                                "Content-Range: bytes */1000\r\n"
                                                "\r\n",
    },
    {
        "not modified: no Content-Length",
        {
            .status = 304,
            .has_last_modified = true,
            .last_modified = LAST_MODIFIED_TIME,
            .etag = "W/\"x\"",
        },
        HEAD_START("304 Not Modified") "Last-Modified: " LAST_MODIFIED_TEXT "\r\n"
                                       "ETag: W/\"x\"\r\n"
                                       "\r\n",
    },
    {
        "not modified, with a length planned",
        {.status = 304, .content_length = 1234},
        HEAD_START("304 Not Modified") "\r\n",
    },
    {
        "a redirect, closing",
        {
            .status = 301,
            .content_type = "text/html; charset=utf-8",
            .content_length = 7,
            .location = "/dir/?q=1",
            .connection = RESPONSE_CLOSE,
        },
        HEAD_START("301 Moved Permanently") "Content-Type: text/html; charset=utf-8\r\n"
                                            "Content-Length: 7\r\n"
                                            "Location: /dir/?q=1\r\n"
                                            "Connection: close\r\n"
                                            "\r\n",
    },
    {
        "method not allowed, HTTP/1.0 keep-alive",
        {
            .status = 405,
            .content_length = 3,
            .allow = "GET, HEAD",
            .connection = RESPONSE_KEEP_ALIVE_HTTP10,
        },
        HEAD_START("405 Method Not Allowed") "Content-Length: 3\r\n"
                                             "Allow: GET, HEAD\r\n"
                                             "Connection: keep-alive\r\n"
                                             "\r\n",
    },
    {
        "every field at once",
        {
            .status = 200,
            .content_type = "a/b",
            .content_length = 1,
            .has_last_modified = true,
            .last_modified = 0,
            .etag = "\"e\"",
            .accept_ranges = true,
            .location = "/l",
            .allow = "GET",
            .connection = RESPONSE_CLOSE,
        },
        HEAD_START("200 OK") "Content-Type: a/b\r\n"
                             "Content-Length: 1\r\n"
                             "Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                             "ETag: \"e\"\r\n"
                             "Accept-Ranges: bytes\r\n"
                             "Location: /l\r\n"
                             "Allow: GET\r\n"
                             "Connection: close\r\n"
                             "\r\n",
    },
    {
        "the largest length",
        {.status = 200, .content_length = UINT64_MAX},
        HEAD_START("200 OK") "Content-Length: 18446744073709551615\r\n"
                             "\r\n",
    },
    {
        "a status without a reason of its own",
        {.status = 299, .content_length = 0},
        HEAD_START("299 Unknown") "Content-Length: 0\r\n"
                                  "\r\n",
    },
};

START_TEST(test_write_head)
{
	const struct head_case *c = &head_cases[_i];
	struct buf b = BUF_INIT;
	ck_assert_int_eq(response_write_head(&b, &c->plan, DATE), 0);
	assert_bytes(&b, c->head, c->name);
	buf_free(&b);
}
END_TEST

/* HEAD gets the same fields as GET; the body source is not part of the head. */
START_TEST(test_write_head_ignores_body_source)
{
	const struct head_case *c = &head_cases[_i];
	struct response plan = c->plan;
	struct buf b = BUF_INIT;
	plan.head_only = true;
	plan.body = body_file(3, 4096, 1);
	ck_assert_int_eq(response_write_head(&b, &plan, DATE), 0);
	assert_bytes(&b, c->head, c->name);
	buf_free(&b);
}
END_TEST

/* The head goes after what is already queued, which stays as it was. */
START_TEST(test_write_head_appends)
{
	const struct head_case *c = &head_cases[0];
	struct buf b = BUF_INIT;
	char want[1024];
	ck_assert_int_eq(buf_append_str(&b, "xxearlier response"), 0);
	buf_consume(&b, 2);
	ck_assert_int_eq(response_write_head(&b, &c->plan, DATE), 0);
	snprintf(want, sizeof want, "earlier response%s", c->head);
	assert_bytes(&b, want, "after other bytes");
	buf_free(&b);
}
END_TEST

/* --------------------------------------------------------------- error plans */

static const int error_statuses[] = {301, 400, 403, 404, 405, 408, 412, 413,
                                     414, 416, 431, 500, 501, 503, 505, 599};

static char *error_body(int status, size_t *len)
{
	struct buf b = BUF_INIT;
	char *copy;
	ck_assert_int_eq(response_append_error_body(&b, status), 0);
	*len = buf_len(&b);
	copy = malloc(*len + 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf_head(&b), *len);
	copy[*len] = '\0';
	buf_free(&b);
	return copy;
}

START_TEST(test_error_plan)
{
	int status = error_statuses[_i];
	const char *reason = response_reason(status);
	struct response r;
	size_t len, again_len;
	char title[128], heading[128];

	response_init(&r);
	/* Left over from a plan for a file. */
	r.has_last_modified = true;
	r.last_modified = LAST_MODIFIED_TIME;
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	r.body = body_file(fds[0], 0, 123456);
	r.content_length = 123456;
	r.content_type = "image/png";
	response_error(&r, status);

	ck_assert_int_eq(r.status, status);
	ck_assert_str_eq(r.content_type, "text/html; charset=utf-8");
	ck_assert(!r.has_last_modified);
	ck_assert_int_eq(r.body.kind, BODY_NONE);
	/* The file the plan held is closed, not leaked. */
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), -1);
	close(fds[1]);
	ck_assert(r.error_page);

	char *body = error_body(status, &len);
	char *again = error_body(status, &again_len);
	ck_assert_uint_eq(r.content_length, len);
	ck_assert_uint_eq(again_len, len);
	ck_assert_mem_eq(body, again, len);
	ck_assert_msg(strncmp(body, "<!DOCTYPE html>\n", 16) == 0, "%d: %s", status, body);
	ck_assert_int_eq(body[len - 1], '\n');
	snprintf(title, sizeof title, "<title>%d %s</title>", status, reason);
	snprintf(heading, sizeof heading, "<h1>%d %s</h1>", status, reason);
	ck_assert_msg(contains(body, len, title), "%d: no %s in %s", status, title, body);
	ck_assert_msg(contains(body, len, heading), "%d: no %s in %s", status, heading, body);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(body[i] == '\n' || (body[i] >= 0x20 && body[i] < 0x7f),
		              "%d: byte %zu is 0x%02x", status, i, (unsigned char)body[i]);
	free(body);
	free(again);
}
END_TEST

/* The page is fixed text around the status: nothing else can get into it. */
START_TEST(test_error_page_text)
{
	static const struct {
		int status;
		const char *page;
	} pages[] = {
	    {404, "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
	          "<body><h1>404 Not Found</h1></body></html>\n"},
	    {431, "<!DOCTYPE html>\n<html><head><title>431 Request Header Fields Too Large"
	          "</title></head>\n<body><h1>431 Request Header Fields Too Large</h1></body>"
	          "</html>\n"},
	};
	for (size_t i = 0; i < ARRAY_LEN(pages); i++) {
		size_t len;
		char *body = error_body(pages[i].status, &len);
		ck_assert_str_eq(body, pages[i].page);
		ck_assert_uint_eq(len, strlen(pages[i].page));
		free(body);
	}
}
END_TEST

/* Head and page together: a complete response whose length field is right. */
START_TEST(test_error_response_whole)
{
	int status = error_statuses[_i];
	struct response r;
	struct buf b = BUF_INIT;
	char field[64];

	response_init(&r);
	response_error(&r, status);
	r.connection = RESPONSE_CLOSE;
	ck_assert_int_eq(response_write_head(&b, &r, DATE), 0);
	size_t head_len = buf_len(&b);
	ck_assert_int_eq(response_append_error_body(&b, status), 0);

	const char *all = buf_head(&b);
	ck_assert_msg(contains(all, head_len, "\r\n\r\n"), "no end of head");
	ck_assert_mem_eq(all + head_len - 4, "\r\n\r\n", 4);
	ck_assert_uint_eq(buf_len(&b) - head_len, r.content_length);
	snprintf(field, sizeof field, "\r\nContent-Length: %llu\r\n",
	         (unsigned long long)r.content_length);
	ck_assert_msg(contains(all, head_len, field), "%d: no %s", status, field);
	ck_assert(contains(all, head_len, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
	ck_assert(contains(all, head_len, "\r\nConnection: close\r\n"));
	buf_free(&b);
}
END_TEST

START_TEST(test_error_body_appends)
{
	struct buf b = BUF_INIT;
	size_t len;
	char *body = error_body(400, &len);
	ck_assert_int_eq(buf_append_str(&b, "head\r\n\r\n"), 0);
	ck_assert_int_eq(response_append_error_body(&b, 400), 0);
	ck_assert_uint_eq(buf_len(&b), 8 + len);
	ck_assert_mem_eq(buf_head(&b), "head\r\n\r\n", 8);
	ck_assert_mem_eq(buf_head(&b) + 8, body, len);
	free(body);
	buf_free(&b);
}
END_TEST

/* ---------------------------------------------------------------- the date */

static int name_index(const char *const *names, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (strncmp(names[i], name, 3) == 0)
			return (int)i;
	return -1;
}

/* An IMF-fixdate, read without the module under test: its time, or -1. */
static time_t read_imf_fixdate(const char *s)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	/* a: a letter of the day, b: of the month, 0: a digit; the rest as is. */
	static const char shape[] = "aaa, 00 bbb 0000 00:00:00 GMT";
	struct tm tm, check;

	if (strlen(s) != sizeof shape - 1)
		return -1;
	for (size_t i = 0; i < sizeof shape - 1; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';
		if ((shape[i] == '0') != digit)
			return -1;
		if (strchr("ab0", shape[i]) == NULL && s[i] != shape[i])
			return -1;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_mon = name_index(months, ARRAY_LEN(months), s + 8);
	int wday = name_index(days, ARRAY_LEN(days), s);
	if (tm.tm_mon < 0 || wday < 0)
		return -1;
	tm.tm_mday = (s[5] - '0') * 10 + (s[6] - '0');
	tm.tm_year =
	    (s[12] - '0') * 1000 + (s[13] - '0') * 100 + (s[14] - '0') * 10 + (s[15] - '0') - 1900;
	tm.tm_hour = (s[17] - '0') * 10 + (s[18] - '0');
	tm.tm_min = (s[20] - '0') * 10 + (s[21] - '0');
	tm.tm_sec = (s[23] - '0') * 10 + (s[24] - '0');
	time_t t = timegm(&tm);
	/* Normalisation would hide a day 32 or a wrong weekday. */
	if (gmtime_r(&t, &check) == NULL || check.tm_mday != tm.tm_mday || check.tm_wday != wday)
		return -1;
	return t;
}

START_TEST(test_date_now)
{
	time_t before = time(NULL);
	const char *date = response_date_now();
	time_t after = time(NULL);

	ck_assert_ptr_nonnull(date);
	ck_assert_uint_eq(strlen(date), IMF_FIXDATE_LEN);
	time_t t = read_imf_fixdate(date);
	ck_assert_msg(t != -1, "not an IMF-fixdate: \"%s\"", date);
	ck_assert_msg(t >= before && t <= after, "\"%s\" is not the time now", date);
}
END_TEST

/* Formatted at most once a second: within one second, the same text. */
START_TEST(test_date_now_cached)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		time_t before = time(NULL);
		char first[IMF_FIXDATE_LEN + 1];
		snprintf(first, sizeof first, "%s", response_date_now());
		const char *second = response_date_now();
		if (time(NULL) != before)
			continue; /* a second went by in between: try again */
		ck_assert_str_eq(second, first);
		return;
	}
	ck_abort_msg("the clock kept moving");
}
END_TEST

/* ------------------------------------------------------------ prepared heads */

#define OTHER_DATE "Wed, 31 Dec 2036 23:59:59 GMT"

/* The plan a cached file's 200 has, with what varies per response too. */
static struct response cached_file_plan(void)
{
	static const char *const extra[] = {"X-One: 1\r\n", "Cache-Control: no-cache\r\n"};
	struct response r;
	response_init(&r);
	r.status = 200;
	r.content_type = "text/css; charset=utf-8";
	r.content_length = 1234;
	r.has_last_modified = true;
	r.last_modified = LAST_MODIFIED_TIME;
	r.etag = "\"4d2-0123456789abcdef\"";
	r.accept_ranges = true;
	r.content_encoding = "br";
	r.vary_accept_encoding = true;
	r.extra_count = ARRAY_LEN(extra);
	r.extra[0] = extra[0];
	r.extra[1] = extra[1];
	return r;
}

/* What the plan's head is field by field, for date. */
static void head_field_by_field(const struct response *r, const char *date, struct buf *out)
{
	struct response plain = *r;
	plain.prepared = NULL;
	ck_assert_int_eq(response_write_head(out, &plain, date), 0);
}

static void assert_same_head(const struct response *r, const char *date, const char *what)
{
	struct buf want = BUF_INIT, got = BUF_INIT;
	head_field_by_field(r, date, &want);
	ck_assert_int_eq(response_write_head(&got, r, date), 0);
	char text[1200];
	snprintf(text, sizeof text, "%s", show(buf_head(&want), buf_len(&want)));
	ck_assert_msg(buf_len(&got) == buf_len(&want) &&
	                  memcmp(buf_head(&got), buf_head(&want), buf_len(&got)) == 0,
	              "%s:\n got  \"%s\"\n want \"%s\"", what, show(buf_head(&got), buf_len(&got)),
	              text);
	buf_free(&want);
	buf_free(&got);
}

/* The prepared head gives the very bytes of the field-by-field one, whatever
 * the date, the connection and the add_header lines of each response. */
START_TEST(test_prepared_head_is_the_same_head)
{
	static const enum response_connection connections[] = {
	    RESPONSE_KEEP_ALIVE, RESPONSE_KEEP_ALIVE_HTTP10, RESPONSE_CLOSE};
	struct response r = cached_file_plan();
	struct response_prepared *p = response_prepare(&r);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->etag, r.etag);
	ck_assert_str_eq(p->content_type, r.content_type);
	r.content_type = p->content_type; /* as the responder then plans it */
	r.prepared = p;
	ck_assert(response_prepared_fits(p, &r));
	for (size_t i = 0; i < ARRAY_LEN(connections); i++) {
		r.connection = connections[i];
		assert_same_head(&r, DATE, "a prepared head");
		assert_same_head(&r, OTHER_DATE, "a prepared head, another second");
		r.extra_count = 0;
		assert_same_head(&r, DATE, "a prepared head without add_header lines");
	}
	/* It really is the copy: its bytes, with the date patched in. */
	struct buf b = BUF_INIT;
	ck_assert_int_eq(response_write_head(&b, &r, OTHER_DATE), 0);
	ck_assert_mem_eq(buf_head(&b), p->bytes, p->date_at);
	ck_assert_mem_eq(buf_head(&b) + p->date_at, OTHER_DATE, IMF_FIXDATE_LEN);
	buf_free(&b);
	free(p);
}
END_TEST

/* A plan changed after its head was prepared (a 206, a 304, an error, another
 * type or length) is written field by field: the prepared bytes would lie. */
START_TEST(test_prepared_head_unfit_plan)
{
	struct response base = cached_file_plan();
	struct response_prepared *p = response_prepare(&base);
	ck_assert_ptr_nonnull(p);
	base.content_type = p->content_type;
	base.prepared = p;
	struct response r = base;
	r.status = 206;
	r.range = RESPONSE_RANGE_PARTIAL;
	r.range_first = 0;
	r.complete_length = 1234;
	r.content_length = 10;
	ck_assert(!response_prepared_fits(p, &r));
	assert_same_head(&r, DATE, "a range");
	r = base;
	r.status = 304;
	ck_assert(!response_prepared_fits(p, &r));
	r = base;
	r.content_type = "text/plain";
	ck_assert(!response_prepared_fits(p, &r));
	r = base;
	r.content_length = 1233;
	ck_assert(!response_prepared_fits(p, &r));
	r = base;
	r.content_encoding = NULL;
	ck_assert(!response_prepared_fits(p, &r));
	/* CORS adds to Vary after the plan: the field-by-field head names it. */
	r = base;
	r.vary_cors = "Origin";
	ck_assert(!response_prepared_fits(p, &r));
	assert_same_head(&r, DATE, "a CORS answer");
	struct buf v = BUF_INIT;
	ck_assert_int_eq(response_write_head(&v, &r, DATE), 0);
	ck_assert(contains(buf_head(&v), buf_len(&v), "Vary: Accept-Encoding, Origin\r\n"));
	buf_free(&v);
	r = base;
	r.vary_accept = true;
	ck_assert(!response_prepared_fits(p, &r));
	r = base;
	response_error(&r, 412);
	ck_assert(!response_prepared_fits(p, &r));
	struct buf b = BUF_INIT;
	ck_assert_int_eq(response_write_head(&b, &r, DATE), 0);
	ck_assert(contains(buf_head(&b), buf_len(&b), "412 Precondition Failed"));
	buf_free(&b);
	free(p);
}
END_TEST

/* Only a whole 200 with a validator has a head worth keeping. */
START_TEST(test_prepare_only_whole_200)
{
	struct response r = cached_file_plan();
	r.status = 304;
	ck_assert_ptr_null(response_prepare(&r));
	r = cached_file_plan();
	r.status = 206;
	r.range = RESPONSE_RANGE_PARTIAL;
	ck_assert_ptr_null(response_prepare(&r));
	r = cached_file_plan();
	r.framing = FRAMING_CHUNKED;
	ck_assert_ptr_null(response_prepare(&r));
	r = cached_file_plan();
	r.etag = NULL;
	ck_assert_ptr_null(response_prepare(&r));
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *response_suite(void)
{
	Suite *s = suite_create("response");
	TCase *head = tcase_create("head");
	TCase *errors = tcase_create("errors");
	TCase *date = tcase_create("date");

	tcase_add_test(head, test_init);
	tcase_add_loop_test(head, test_reason, 0, (int)ARRAY_LEN(reason_cases));
	tcase_add_loop_test(head, test_write_head, 0, (int)ARRAY_LEN(head_cases));
	tcase_add_loop_test(head, test_write_head_ignores_body_source, 0,
	                    (int)ARRAY_LEN(head_cases));
	tcase_add_test(head, test_write_head_appends);
	suite_add_tcase(s, head);

	tcase_add_loop_test(errors, test_error_plan, 0, (int)ARRAY_LEN(error_statuses));
	tcase_add_test(errors, test_error_page_text);
	tcase_add_loop_test(errors, test_error_response_whole, 0, (int)ARRAY_LEN(error_statuses));
	tcase_add_test(errors, test_error_body_appends);
	suite_add_tcase(s, errors);

	tcase_add_test(date, test_date_now);
	tcase_add_test(date, test_date_now_cached);
	suite_add_tcase(s, date);
	TCase *prepared = tcase_create("prepared");
	tcase_add_test(prepared, test_prepared_head_is_the_same_head);
	tcase_add_test(prepared, test_prepared_head_unfit_plan);
	tcase_add_test(prepared, test_prepare_only_whole_200);
	suite_add_tcase(s, prepared);
	return s;
}

int main(void)
{
	return check_run(response_suite());
}
