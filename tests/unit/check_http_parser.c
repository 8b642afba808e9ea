/* Unit tests for http_parser: valid heads and every span they report, feeding
 * in steps, pipelining, the documented error statuses, the size limits, and a
 * fixed-seed stream of random request fragments that checks only invariants. */
#include "autoconfig.h"

#include "http_parser.h"

#include "check_run.h"

#include <check.h>
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A second request, to follow the one under test as a pipelining client would. */
static const char next_request[] = "GET /next HTTP/1.1\r\nHost: b\r\n\r\n";

/* ------------------------------------------------------------------ helpers */

/* data, made printable for failure messages (truncated; one static buffer). */
static const char *show(const char *data, size_t len)
{
	static char out[400];
	size_t o = 0;
	for (size_t i = 0; i < len && o + 8 < sizeof out; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\r')
			o += (size_t)snprintf(out + o, sizeof out - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(out + o, sizeof out - o, "\\n");
		else if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (o + 8 >= sizeof out)
		o += (size_t)snprintf(out + o, sizeof out - o, "...");
	out[o] = '\0';
	return out;
}

static char *copy_bytes(const char *data, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(p);
	if (len > 0)
		memcpy(p, data, len);
	return p;
}

static char *concat(const char *a, size_t alen, const char *b, size_t blen)
{
	char *p = malloc(alen + blen);
	ck_assert_ptr_nonnull(p);
	memcpy(p, a, alen);
	memcpy(p + alen, b, blen);
	return p;
}

struct outcome {
	enum http_parse_result result;
	int status; /* after HTTP_PARSE_ERROR */
	struct http_request req;
};

/* Feed data as a client sending it in pieces would arrive: first the prefixes
 * cuts[0], cuts[1], ... (non-decreasing), then all len bytes. Every feed gets
 * its own heap copy of exactly that many bytes, so that the parser may not keep
 * a pointer between calls and a read past the end is caught by a sanitizer. */
static struct outcome parse_in_steps(const char *data, size_t len, const size_t *cuts, size_t ncuts)
{
	struct http_parser p;
	struct outcome o;
	http_parser_init(&p);
	o.result = HTTP_PARSE_NEED_MORE;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t n = i < ncuts ? cuts[i] : len;
		char *copy = copy_bytes(data, n);
		o.result = http_parser_feed(&p, copy, n);
		free(copy);
	}
	o.status = p.status;
	o.req = p.req;
	return o;
}

static struct outcome parse_whole(const char *data, size_t len)
{
	return parse_in_steps(data, len, NULL, 0);
}

static struct outcome parse_split(const char *data, size_t len, size_t cut)
{
	return parse_in_steps(data, len, &cut, 1);
}

/* len = 1, 2, 3, ... n over one buffer. */
static struct outcome parse_byte_by_byte(const char *data, size_t len)
{
	struct http_parser p;
	struct outcome o;
	char *copy = copy_bytes(data, len);
	http_parser_init(&p);
	o.result = HTTP_PARSE_NEED_MORE;
	for (size_t n = 1; n <= len; n++)
		o.result = http_parser_feed(&p, copy, n);
	free(copy);
	o.status = p.status;
	o.req = p.req;
	return o;
}

static const char *result_name(enum http_parse_result r)
{
	switch (r) {
	case HTTP_PARSE_NEED_MORE:
		return "NEED_MORE";
	case HTTP_PARSE_DONE:
		return "DONE";
	case HTTP_PARSE_ERROR:
		return "ERROR";
	}
	return "(invalid result)";
}

/* Every span of struct http_request, by name. */
static const struct {
	const char *name;
	size_t offset;
} request_spans[] = {
#define SPAN(name)                                                                                 \
	{                                                                                          \
#name, offsetof(struct http_request, name)                                         \
	}
    SPAN(method_name),
    SPAN(target),
    SPAN(request_line),
    SPAN(host),
    SPAN(user_agent),
    SPAN(referer),
    SPAN(if_match),
    SPAN(if_unmodified_since),
    SPAN(if_modified_since),
    SPAN(if_none_match),
    SPAN(range),
    SPAN(if_range),
    SPAN(accept_encoding),
    SPAN(accept),
    SPAN(authorization),
    SPAN(origin),
    SPAN(access_control_request_method),
    SPAN(access_control_request_headers),
#undef SPAN
};

static struct http_span span_at(const struct http_request *req, size_t offset)
{
	struct http_span s;
	memcpy(&s, (const char *)req + offset, sizeof s);
	return s;
}

static void assert_same_lines(const struct http_field_lines *got,
                              const struct http_field_lines *want, const char *what,
                              const char *name)
{
	ck_assert_msg(got->count == want->count && got->dropped == want->dropped,
	              "%s: %s has %u lines (dropped %d), expected %u (%d)", what, name,
	              (unsigned)got->count, got->dropped, (unsigned)want->count, want->dropped);
	for (unsigned i = 0; i < got->count; i++)
		ck_assert_msg(got->lines[i].off == want->lines[i].off &&
		                  got->lines[i].len == want->lines[i].len,
		              "%s: %s line %u differs", what, name, i);
}

static void assert_same_request(const struct http_request *got, const struct http_request *want,
                                const char *what)
{
	for (size_t i = 0; i < ARRAY_LEN(request_spans); i++) {
		struct http_span g = span_at(got, request_spans[i].offset);
		struct http_span w = span_at(want, request_spans[i].offset);
		ck_assert_msg(g.off == w.off && g.len == w.len,
		              "%s: %s is {%u,%u}, expected {%u,%u}", what, request_spans[i].name,
		              (unsigned)g.off, (unsigned)g.len, (unsigned)w.off, (unsigned)w.len);
	}
	ck_assert_msg(got->method == want->method, "%s: method", what);
	ck_assert_msg(got->version_minor == want->version_minor, "%s: version_minor", what);
	ck_assert_msg(got->connection_close == want->connection_close, "%s: connection_close",
	              what);
	ck_assert_msg(got->connection_keep_alive == want->connection_keep_alive,
	              "%s: connection_keep_alive", what);
	ck_assert_msg(got->has_content_length == want->has_content_length, "%s: has_content_length",
	              what);
	ck_assert_msg(got->content_length == want->content_length, "%s: content_length", what);
	ck_assert_msg(got->has_transfer_encoding == want->has_transfer_encoding,
	              "%s: has_transfer_encoding", what);
	ck_assert_msg(got->chunked == want->chunked, "%s: chunked", what);
	ck_assert_msg(got->host_count == want->host_count, "%s: host_count", what);
	assert_same_lines(&got->x_forwarded_for, &want->x_forwarded_for, what, "x_forwarded_for");
	assert_same_lines(&got->forwarded, &want->forwarded, what, "forwarded");
	ck_assert_msg(got->head_len == want->head_len, "%s: head_len %zu, expected %zu", what,
	              got->head_len, want->head_len);
}

static void assert_same_outcome(const struct outcome *got, const struct outcome *want,
                                const char *what)
{
	ck_assert_msg(got->result == want->result, "%s: %s, expected %s", what,
	              result_name(got->result), result_name(want->result));
	if (want->result == HTTP_PARSE_ERROR)
		ck_assert_msg(got->status == want->status, "%s: status %d, expected %d", what,
		              got->status, want->status);
	if (want->result == HTTP_PARSE_DONE)
		assert_same_request(&got->req, &want->req, what);
}

/* What every successful parse promises, whatever the input. */
static void assert_done_invariants(const struct outcome *o, const char *data, size_t len)
{
	const struct http_request *req = &o->req;
	ck_assert_msg(req->head_len >= 4 && req->head_len <= len, "head_len %zu of %zu bytes",
	              req->head_len, len);
	ck_assert_msg(memcmp(data + req->head_len - 4, "\r\n\r\n", 4) == 0,
	              "the head does not end with an empty line: %s", show(data, len));
	for (size_t i = 0; i < ARRAY_LEN(request_spans); i++) {
		struct http_span s = span_at(req, request_spans[i].offset);
		ck_assert_msg((size_t)s.off + s.len <= req->head_len &&
		                  (s.len == 0 || s.off < req->head_len),
		              "%s {%u,%u} outside the head of %zu bytes", request_spans[i].name,
		              (unsigned)s.off, (unsigned)s.len, req->head_len);
	}
	ck_assert_uint_gt(req->method_name.len, 0);
	ck_assert_uint_gt(req->target.len, 0);
	ck_assert_uint_gt(req->request_line.len, 0);
	ck_assert_msg(req->version_minor == 0 || req->version_minor == 1, "version_minor %d",
	              req->version_minor);
}

static bool is_error_status(int status)
{
	return status == 400 || status == 414 || status == 431 || status == 501 || status == 505;
}

static void assert_span_text(const char *data, struct http_span s, const char *want,
                             const char *what, const char *name)
{
	size_t n = want != NULL ? strlen(want) : 0;
	ck_assert_msg(s.len == n &&
	                  memcmp(http_span_ptr(data, s), want != NULL ? want : "", n) == 0,
	              "%s: %s is \"%s\", expected \"%s\"", what, name,
	              show(http_span_ptr(data, s), s.len), want != NULL ? want : "(absent)");
}

/* A valid head: `leading` empty lines, a request-line of line_len bytes, and
 * nfields (>= 2) fields, Host first, the last padded so that the field section
 * (its CRLFs included) is section_len bytes, or as short as it can be when 0. */
static char *make_head(size_t leading, size_t line_len, size_t nfields, size_t section_len,
                       size_t *len)
{
	static const char host[] = "Host: a\r\n";
	static const char filler[] = "X-F: v\r\n";
	static const char pad_name[] = "X-Pad: ";
	size_t fixed =
	    (sizeof host - 1) + (nfields - 2) * (sizeof filler - 1) + (sizeof pad_name - 1) + 2;
	size_t pad = section_len > fixed ? section_len - fixed : 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_ge(line_len, 14);
	ck_assert_uint_ge(nfields, 2);
	ck_assert(section_len == 0 || section_len >= fixed);
	for (size_t i = 0; i < leading; i++)
		fputs("\r\n", f);
	fputs("GET /", f);
	for (size_t i = 0; i < line_len - 14; i++)
		fputc('a', f);
	fputs(" HTTP/1.1\r\n", f);
	fputs(host, f);
	for (size_t i = 0; i < nfields - 2; i++)
		fputs(filler, f);
	fputs(pad_name, f);
	for (size_t i = 0; i < pad; i++)
		fputc('p', f);
	fputs("\r\n\r\n", f);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

/* ------------------------------------------------------------ valid requests */

struct valid_case {
	const char *name;
	const char *text;
	enum http_method method;
	int version_minor;
	size_t line_off; /* where the request-line starts, after empty lines */
	const char *method_name;
	const char *target;
	const char *request_line;
	/* Field values as reported; NULL: absent (or empty). */
	const char *host;
	const char *user_agent;
	const char *referer;
	const char *if_match;
	const char *if_unmodified_since;
	const char *if_modified_since;
	const char *if_none_match;
	const char *range;
	const char *if_range;
	const char *accept_encoding;
	const char *accept;
	const char *authorization;
	const char *origin;
	const char *access_control_request_method;
	const char *access_control_request_headers;
	bool close;
	bool keep_alive;
	bool has_content_length;
	uint64_t content_length;
	bool chunked; /* Transfer-Encoding: a chunked body follows */
};

static const struct valid_case valid_cases[] = {
    {
        .name = "minimal GET",
        .text = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
        .host = "example.com",
    },
    {
        .name = "HEAD in HTTP/1.0 without fields",
        .text = "HEAD /index.html HTTP/1.0\r\n\r\n",
        .method = HTTP_METHOD_HEAD,
        .version_minor = 0,
        .method_name = "HEAD",
        .target = "/index.html",
        .request_line = "HEAD /index.html HTTP/1.0",
    },
    {
        .name = "HTTP/1.0 keep-alive",
        .text = "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 0,
        .method_name = "GET",
        .target = "/a",
        .request_line = "GET /a HTTP/1.0",
        .host = "h",
        .keep_alive = true,
    },
    {
        .name = "absolute-form target",
        .text = "GET http://example.com:8080/a/b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "http://example.com:8080/a/b?x=1",
        .request_line = "GET http://example.com:8080/a/b?x=1 HTTP/1.1",
        .host = "example.com:8080",
    },
    {
        .name = "query string",
        .text = "GET /search?q=a+b&lang=en%20GB HTTP/1.1\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/search?q=a+b&lang=en%20GB",
        .request_line = "GET /search?q=a+b&lang=en%20GB HTTP/1.1",
        .host = "h",
    },
    {
        .name = "every visible ASCII byte is allowed in the target",
        .text = "GET /!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~ HTTP/1.1\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
        .request_line = "GET /!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~ HTTP/1.1",
        .host = "h",
    },
    {
        .name = "many header fields",
        .text = "GET /index.html HTTP/1.1\r\n"
                "Host: www.example.org:8080\r\n"
                "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
                "Accept: text/html,application/xhtml+xml;q=0.9\r\n"
                "Accept-Language: en-GB, en;q=0.8\r\n"
                "Accept-Encoding: gzip, deflate, br\r\n"
                "Referer: https://example.net/from?x=1\r\n"
                "If-Match: \"xyz\"\r\n"
                "If-Unmodified-Since: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
                "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                "If-None-Match: \"abc\", W/\"def\"\r\n"
                "Range: bytes=0-99,200-\r\n"
                "If-Range: \"abc\"\r\n"
                "Cookie: a=b; c=d\r\n"
                "X-Empty:\r\n"
                "\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/index.html",
        .request_line = "GET /index.html HTTP/1.1",
        .host = "www.example.org:8080",
        .accept = "text/html,application/xhtml+xml;q=0.9",
        .user_agent = "Mozilla/5.0 (X11; Linux x86_64)",
        .referer = "https://example.net/from?x=1",
        .if_match = "\"xyz\"",
        .if_unmodified_since = "Mon, 07 Nov 1994 08:49:37 GMT",
        .if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT",
        .if_none_match = "\"abc\", W/\"def\"",
        .range = "bytes=0-99,200-",
        .if_range = "\"abc\"",
        .accept_encoding = "gzip, deflate, br",
    },
    {
        .name = "the fields of CORS, authentication and content negotiation",
        .text = "OPTIONS /api HTTP/1.1\r\n"
                "Host: example.com\r\n"
                "Origin: https://app.example.net\r\n"
                "ACCESS-CONTROL-REQUEST-METHOD: GET\r\n"
                "access-control-request-headers: x-one, x-two\r\n"
                "Authorization: Basic dXNlcjpwYXNz\r\n"
                "Accept: application/json\r\n"
                "\r\n",
        .method = HTTP_METHOD_OPTIONS,
        .version_minor = 1,
        .method_name = "OPTIONS",
        .target = "/api",
        .request_line = "OPTIONS /api HTTP/1.1",
        .host = "example.com",
        .origin = "https://app.example.net",
        .access_control_request_method = "GET",
        .access_control_request_headers = "x-one, x-two",
        .authorization = "Basic dXNlcjpwYXNz",
        .accept = "application/json",
    },
    {
        .name = "field names in any case, OWS around values",
        .text = "GET / HTTP/1.1\r\n"
                "hOST:\t  example.com \t\r\n"
                "USER-AGENT:   curl/8.5.0   \r\n"
                "range:bytes=5-\r\n"
                "if-MATCH: *\r\n"
                "IF-UNMODIFIED-SINCE: x\r\n"
                "accept-ENCODING: gzip ,\t br\r\n"
                "\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
        .host = "example.com",
        .user_agent = "curl/8.5.0",
        .range = "bytes=5-",
        .if_match = "*",
        .if_unmodified_since = "x",
        .accept_encoding = "gzip ,\t br",
    },
    {
        .name = "repeated fields: the last value",
        .text = "GET / HTTP/1.1\r\n"
                "User-Agent: one\r\n"
                "Host: h\r\n"
                "Range: bytes=0-1\r\n"
                "User-Agent: two\r\n"
                "Range: bytes=2-3\r\n"
                "\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
        .host = "h",
        .user_agent = "two",
        .range = "bytes=2-3",
    },
    {
        .name = "repeated identical Content-Length",
        .text = "POST /upload HTTP/1.1\r\n"
                "Host: h\r\n"
                "Content-Length: 5\r\n"
                "Content-Length: 5\r\n"
                "\r\n",
        .method = HTTP_METHOD_POST,
        .version_minor = 1,
        .method_name = "POST",
        .target = "/upload",
        .request_line = "POST /upload HTTP/1.1",
        .host = "h",
        .has_content_length = true,
        .content_length = 5,
    },
    {
        .name = "Content-Length 0",
        .text = "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        .method = HTTP_METHOD_PUT,
        .version_minor = 1,
        .method_name = "PUT",
        .target = "/f",
        .request_line = "PUT /f HTTP/1.1",
        .host = "h",
        .has_content_length = true,
        .content_length = 0,
    },
    {
        .name = "Content-Length with 18 digits, leading zeros and OWS",
        .text = "POST / HTTP/1.1\r\nHost: h\r\ncontent-length:  000999999999999999 \r\n\r\n",
        .method = HTTP_METHOD_POST,
        .version_minor = 1,
        .method_name = "POST",
        .target = "/",
        .request_line = "POST / HTTP/1.1",
        .host = "h",
        .has_content_length = true,
        .content_length = UINT64_C(999999999999999),
    },
    {
        .name = "Content-Length at the 18-digit maximum",
        .text = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999999999999\r\n\r\n",
        .method = HTTP_METHOD_POST,
        .version_minor = 1,
        .method_name = "POST",
        .target = "/",
        .request_line = "POST / HTTP/1.1",
        .host = "h",
        .has_content_length = true,
        .content_length = UINT64_C(999999999999999999),
    },
    {
        .name = "Connection: keep-alive, Upgrade",
        .text = "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
        .host = "h",
        .keep_alive = true,
    },
    {
        .name = "Connection: CLOSE",
        .text = "GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
        .host = "h",
        .close = true,
    },
    {
        .name = "Connection list without spaces, and over two fields",
        .text = "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo,close,,bar\r\n"
                "Connection:\tTE ,\tkeep-alive\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
        .host = "h",
        .close = true,
        .keep_alive = true,
    },
    {
        .name = "Connection options that only look like close and keep-alive",
        .text = "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, xclose, keep-alive2, "
                "keep alive\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
        .host = "h",
    },
    {
        .name = "HTTP/1.0 Connection: keep-alive, close: both, and close wins",
        .text = "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 0,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.0",
        .close = true,
        .keep_alive = true,
    },
    {
        .name = "HTTP/1.0 keep-alive and close in two Connection fields",
        .text = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: h\r\nconnection: Close\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 0,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.0",
        .host = "h",
        .close = true,
        .keep_alive = true,
    },
    {
        .name = "Transfer-Encoding: chunked on a GET",
        .text = "GET /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/t",
        .request_line = "GET /t HTTP/1.1",
        .host = "h",
        .chunked = true,
    },
    {
        .name = "Transfer-Encoding in any case, OWS and empty list elements",
        .text = "POST / HTTP/1.1\r\ntransfer-ENCODING: \t, ,CHUNKED\t,\t\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_POST,
        .version_minor = 1,
        .method_name = "POST",
        .target = "/",
        .request_line = "POST / HTTP/1.1",
        .host = "h",
        .chunked = true,
    },
    {
        .name = "empty lines before the request-line",
        .text = "\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .line_off = 4,
        .method_name = "GET",
        .target = "/x",
        .request_line = "GET /x HTTP/1.1",
        .host = "h",
    },
    {
        .name = "obs-text in a field value",
        .text = "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: caf\xc3\xa9 \x80\xff\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
        .host = "h",
        .user_agent = "caf\xc3\xa9 \x80\xff",
    },
    {
        .name = "HTTP/1.2 is reported as minor 1",
        .text = "GET / HTTP/1.2\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.2",
        .host = "h",
    },
    {
        .name = "HTTP/1.9 is reported as minor 1",
        .text = "HEAD / HTTP/1.9\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_HEAD,
        .version_minor = 1,
        .method_name = "HEAD",
        .target = "/",
        .request_line = "HEAD / HTTP/1.9",
        .host = "h",
    },
    {
        .name = "unknown method",
        .text = "PURGE /cache HTTP/1.1\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_OTHER,
        .version_minor = 1,
        .method_name = "PURGE",
        .target = "/cache",
        .request_line = "PURGE /cache HTTP/1.1",
        .host = "h",
    },
    {
        .name = "OPTIONS asterisk-form",
        .text = "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        .method = HTTP_METHOD_OPTIONS,
        .version_minor = 1,
        .method_name = "OPTIONS",
        .target = "*",
        .request_line = "OPTIONS * HTTP/1.1",
        .host = "h",
    },
    {
        .name = "CONNECT authority-form",
        .text = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        .method = HTTP_METHOD_CONNECT,
        .version_minor = 1,
        .method_name = "CONNECT",
        .target = "example.com:443",
        .request_line = "CONNECT example.com:443 HTTP/1.1",
        .host = "example.com:443",
    },
    {
        .name = "an empty Host field is one Host field",
        .text = "GET / HTTP/1.1\r\nHost:\r\n\r\n",
        .method = HTTP_METHOD_GET,
        .version_minor = 1,
        .method_name = "GET",
        .target = "/",
        .request_line = "GET / HTTP/1.1",
    },
    {
        .name = "IPv6 literal Host, every tchar in a field name, blank values",
        .text = "DELETE /r HTTP/1.1\r\n"
                "Host: [::1]:8080\r\n"
                "X-!#$%&'*+-.^_`|~09azAZ: v\r\n"
                "X-Blank:   \t \r\n"
                "Referer:\r\n"
                "\r\n",
        .method = HTTP_METHOD_DELETE,
        .version_minor = 1,
        .method_name = "DELETE",
        .target = "/r",
        .request_line = "DELETE /r HTTP/1.1",
        .host = "[::1]:8080",
    },
};

static void check_valid_case(const struct valid_case *c, const char *data, const struct outcome *o,
                             const char *what)
{
	static const struct {
		const char *name;
		size_t req_offset;
		size_t case_offset;
	} fields[] = {
#define FIELD(name) {#name, offsetof(struct http_request, name), offsetof(struct valid_case, name)}
	    FIELD(host),
	    FIELD(user_agent),
	    FIELD(referer),
	    FIELD(if_match),
	    FIELD(if_unmodified_since),
	    FIELD(if_modified_since),
	    FIELD(if_none_match),
	    FIELD(range),
	    FIELD(if_range),
	    FIELD(accept_encoding),
	    FIELD(accept),
	    FIELD(authorization),
	    FIELD(origin),
	    FIELD(access_control_request_method),
	    FIELD(access_control_request_headers),
#undef FIELD
	};
	const struct http_request *req = &o->req;

	ck_assert_msg(o->result == HTTP_PARSE_DONE, "%s: %s (status %d)", what,
	              result_name(o->result), o->status);
	ck_assert_msg(req->head_len == strlen(c->text), "%s: head_len %zu, expected %zu", what,
	              req->head_len, strlen(c->text));
	ck_assert_msg(req->method == c->method, "%s: method %d, expected %d", what,
	              (int)req->method, (int)c->method);
	ck_assert_msg(req->version_minor == c->version_minor, "%s: version_minor %d", what,
	              req->version_minor);
	assert_span_text(data, req->method_name, c->method_name, what, "method_name");
	assert_span_text(data, req->target, c->target, what, "target");
	assert_span_text(data, req->request_line, c->request_line, what, "request_line");
	ck_assert_uint_eq(req->request_line.off, c->line_off);
	ck_assert_uint_eq(req->method_name.off, c->line_off);
	ck_assert_uint_eq(req->target.off, c->line_off + strlen(c->method_name) + 1);
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		const char *want;
		memcpy(&want, (const char *)c + fields[i].case_offset, sizeof want);
		assert_span_text(data, span_at(req, fields[i].req_offset), want, what,
		                 fields[i].name);
	}
	ck_assert_msg(req->connection_close == c->close, "%s: connection_close", what);
	ck_assert_msg(req->connection_keep_alive == c->keep_alive, "%s: connection_keep_alive",
	              what);
	ck_assert_msg(req->has_content_length == c->has_content_length, "%s: has_content_length",
	              what);
	if (c->has_content_length)
		ck_assert_msg(req->content_length == c->content_length, "%s: content_length %llu",
		              what, (unsigned long long)req->content_length);
	ck_assert_msg(req->has_transfer_encoding == c->chunked, "%s: has_transfer_encoding", what);
	ck_assert_msg(req->chunked == c->chunked, "%s: chunked", what);
	assert_done_invariants(o, data, strlen(c->text));
}

/* List fields read from the right keep every line, in order, and the latest
 * ones when there are too many; other fields on the way change nothing. */
START_TEST(test_field_lines)
{
	char text[1024] = "GET / HTTP/1.1\r\nHost: h\r\nForwarded: for=192.0.2.1\r\n";
	size_t lines = HTTP_MAX_FIELD_LINES + 2;
	for (size_t i = 0; i < lines; i++) {
		char line[64];
		snprintf(line, sizeof line, "X-Forwarded-For: 10.0.0.%zu\r\nAccept: */*\r\n", i);
		strcat(text, line);
	}
	strcat(text, "forwarded: for=\"[2001:db8::1]\"\r\n\r\n");
	struct outcome o = parse_whole(text, strlen(text));
	ck_assert_int_eq(o.result, HTTP_PARSE_DONE);
	ck_assert_uint_eq(o.req.x_forwarded_for.count, HTTP_MAX_FIELD_LINES);
	ck_assert(o.req.x_forwarded_for.dropped);
	for (size_t i = 0; i < HTTP_MAX_FIELD_LINES; i++) {
		char want[32];
		snprintf(want, sizeof want, "10.0.0.%zu", i + lines - HTTP_MAX_FIELD_LINES);
		assert_span_text(text, o.req.x_forwarded_for.lines[i], want, "x-forwarded-for",
		                 "line");
	}
	ck_assert_uint_eq(o.req.forwarded.count, 2);
	ck_assert(!o.req.forwarded.dropped);
	assert_span_text(text, o.req.forwarded.lines[0], "for=192.0.2.1", "forwarded", "first");
	assert_span_text(text, o.req.forwarded.lines[1], "for=\"[2001:db8::1]\"", "forwarded",
	                 "second");
	struct outcome bytes = parse_byte_by_byte(text, strlen(text));
	assert_same_outcome(&bytes, &o, "field lines, byte by byte");
}
END_TEST

START_TEST(test_valid_whole)
{
	const struct valid_case *c = &valid_cases[_i];
	struct outcome o = parse_whole(c->text, strlen(c->text));
	check_valid_case(c, c->text, &o, c->name);
}
END_TEST

START_TEST(test_valid_every_split)
{
	const struct valid_case *c = &valid_cases[_i];
	size_t len = strlen(c->text);
	struct outcome whole = parse_whole(c->text, len);
	for (size_t cut = 0; cut <= len; cut++) {
		char what[160];
		struct outcome o = parse_split(c->text, len, cut);
		snprintf(what, sizeof what, "%s, split at %zu", c->name, cut);
		assert_same_outcome(&o, &whole, what);
	}
}
END_TEST

START_TEST(test_valid_byte_by_byte)
{
	const struct valid_case *c = &valid_cases[_i];
	size_t len = strlen(c->text);
	struct outcome whole = parse_whole(c->text, len);
	struct outcome o = parse_byte_by_byte(c->text, len);
	assert_same_outcome(&o, &whole, c->name);
}
END_TEST

/* The head ends at its empty line, whatever follows; and however it arrives. */
START_TEST(test_valid_pipelined)
{
	const struct valid_case *c = &valid_cases[_i];
	size_t len = strlen(c->text);
	size_t total = len + sizeof next_request - 1;
	char *data = concat(c->text, len, next_request, sizeof next_request - 1);
	struct outcome alone = parse_whole(c->text, len);
	struct outcome o = parse_whole(data, total);

	check_valid_case(c, data, &o, c->name);
	assert_same_outcome(&o, &alone, c->name);
	o = parse_byte_by_byte(data, total);
	assert_same_outcome(&o, &alone, c->name);
	for (size_t cut = 0; cut <= total; cut++) {
		char what[160];
		snprintf(what, sizeof what, "%s + next, split at %zu", c->name, cut);
		o = parse_split(data, total, cut);
		assert_same_outcome(&o, &alone, what);
	}
	free(data);
}
END_TEST

/* After DONE, more bytes change nothing. */
START_TEST(test_done_is_sticky)
{
	const struct valid_case *c = &valid_cases[_i];
	size_t len = strlen(c->text);
	size_t total = len + sizeof next_request - 1;
	char *data = concat(c->text, len, next_request, sizeof next_request - 1);
	struct http_parser p;

	http_parser_init(&p);
	ck_assert_int_eq(http_parser_feed(&p, data, len), HTTP_PARSE_DONE);
	struct outcome first = {HTTP_PARSE_DONE, p.status, p.req};
	ck_assert_int_eq(http_parser_feed(&p, data, len), HTTP_PARSE_DONE);
	ck_assert_int_eq(http_parser_feed(&p, data, total), HTTP_PARSE_DONE);
	struct outcome again = {HTTP_PARSE_DONE, p.status, p.req};
	assert_same_outcome(&again, &first, c->name);
	free(data);
}
END_TEST

struct method_case {
	const char *name;
	enum http_method method;
};

static const struct method_case method_cases[] = {
    {"GET", HTTP_METHOD_GET},         {"HEAD", HTTP_METHOD_HEAD},
    {"POST", HTTP_METHOD_POST},       {"PUT", HTTP_METHOD_PUT},
    {"DELETE", HTTP_METHOD_DELETE},   {"CONNECT", HTTP_METHOD_CONNECT},
    {"OPTIONS", HTTP_METHOD_OPTIONS}, {"TRACE", HTTP_METHOD_TRACE},
    {"PATCH", HTTP_METHOD_PATCH},     {"get", HTTP_METHOD_OTHER},
    {"Get", HTTP_METHOD_OTHER},       {"GE", HTTP_METHOD_OTHER},
    {"GETS", HTTP_METHOD_OTHER},      {"PROPFIND", HTTP_METHOD_OTHER},
    {"M-SEARCH", HTTP_METHOD_OTHER},  {"!#$%&'*+-.^_`|~", HTTP_METHOD_OTHER},
};

START_TEST(test_methods)
{
	const struct method_case *c = &method_cases[_i];
	char text[128];
	int n = snprintf(text, sizeof text, "%s /m HTTP/1.1\r\nHost: h\r\n\r\n", c->name);
	struct outcome o = parse_whole(text, (size_t)n);

	ck_assert_msg(o.result == HTTP_PARSE_DONE, "%s: %s", c->name, result_name(o.result));
	ck_assert_msg(o.req.method == c->method, "%s: method %d, expected %d", c->name,
	              (int)o.req.method, (int)c->method);
	assert_span_text(text, o.req.method_name, c->name, c->name, "method_name");
}
END_TEST

/* ------------------------------------------------------------------- errors */

struct error_case {
	const char *name;
	const char *text;
	size_t len;
	int status;
};

#define ERR(name, text, status)                                                                    \
	{                                                                                          \
		name, text, sizeof(text) - 1, status                                               \
	}
#define LINE11 "GET / HTTP/1.1\r\n"
#define HOST "Host: a\r\n"
#define END "\r\n"

static const struct error_case error_cases[] = {
    /* Line endings: CRLF only. */
    ERR("bare LF ends the request-line", "GET / HTTP/1.1\n" HOST END, 400),
    ERR("bare LF ends a field line", LINE11 "Host: a\n" END, 400),
    ERR("bare LF as the final empty line", LINE11 HOST "\n", 400),
    ERR("bare LF before the request-line", "\nGET / HTTP/1.1\r\n" HOST END, 400),
    ERR("bare LF only", "GET / HTTP/1.1\n\n", 400),
    ERR("bare LF inside a field value", LINE11 "X-A: a\nb\r\n" HOST END, 400),
    ERR("bare CR in the method", "G\rET / HTTP/1.1\r\n" HOST END, 400),
    ERR("bare CR in the target", "GET /\r HTTP/1.1\r\n" HOST END, 400),
    ERR("CR CR LF after the version", "GET / HTTP/1.1\r\r\n" HOST END, 400),
    ERR("bare CR in a field name", LINE11 "Ho\rst: a\r\n" END, 400),
    ERR("bare CR in a field value", LINE11 "Host: a\rb\r\n" END, 400),
    ERR("CR CR LF as the final line", LINE11 HOST "\r\r\n", 400),
    ERR("CR CR LF before the request-line", "\r\r\nGET / HTTP/1.1\r\n" HOST END, 400),
    /* NUL. */
    ERR("NUL in the method", "G\0ET / HTTP/1.1\r\n" HOST END, 400),
    ERR("NUL in the target", "GET /a\0b HTTP/1.1\r\n" HOST END, 400),
    ERR("NUL in the version", "GET / HTTP/\0.1\r\n" HOST END, 400),
    ERR("NUL in a field name", LINE11 "Ho\0st: a\r\n" END, 400),
    ERR("NUL in a field value", LINE11 "Host: a\0b\r\n" END, 400),
    ERR("NUL line before the request-line", "\0\r\nGET / HTTP/1.1\r\n" HOST END, 400),
    /* The request-line: method SP target SP version, one SP each. */
    ERR("HTTP/0.9 request", "GET /\r\n\r\n", 400),
    ERR("two spaces after the method", "GET  / HTTP/1.1\r\n" HOST END, 400),
    ERR("two spaces before the version", "GET /  HTTP/1.1\r\n" HOST END, 400),
    ERR("space after the version", "GET / HTTP/1.1 \r\n" HOST END, 400),
    ERR("space before the method", " GET / HTTP/1.1\r\n" HOST END, 400),
    ERR("tab after the method", "GET\t/ HTTP/1.1\r\n" HOST END, 400),
    ERR("tab before the version", "GET /\tHTTP/1.1\r\n" HOST END, 400),
    ERR("no version", "GET / \r\n" HOST END, 400),
    ERR("no target", "GET HTTP/1.1\r\n" HOST END, 400),
    ERR("lower-case http", "GET / http/1.1\r\n" HOST END, 400),
    ERR("HTTP/1.10", "GET / HTTP/1.10\r\n" HOST END, 400),
    ERR("HTTP/1", "GET / HTTP/1\r\n" HOST END, 400),
    ERR("HTTP/1.x", "GET / HTTP/1.x\r\n" HOST END, 400),
    ERR("HTTP/11", "GET / HTTP/11\r\n" HOST END, 400),
    ERR("HTTPS/1.1", "GET / HTTPS/1.1\r\n" HOST END, 400),
    ERR("HTTP/x.1", "GET / HTTP/x.1\r\n" HOST END, 400),
    ERR("HTTP/2.0", "GET / HTTP/2.0\r\n" HOST END, 505),
    ERR("HTTP/0.9 as a version", "GET / HTTP/0.9\r\n" HOST END, 505),
    ERR("HTTP/3.0", "GET / HTTP/3.0\r\n" HOST END, 505),
    ERR("HTTP/9.9", "GET / HTTP/9.9\r\n" HOST END, 505),
    ERR("@ in the method", "GE@T / HTTP/1.1\r\n" HOST END, 400),
    ERR("parenthesis in the method", "GE(T / HTTP/1.1\r\n" HOST END, 400),
    ERR("non-ASCII method", "G\xc9T / HTTP/1.1\r\n" HOST END, 400),
    ERR("raw space in the target", "GET /a b HTTP/1.1\r\n" HOST END, 400),
    ERR("control byte in the target",
        "GET /a\x01"
        "b HTTP/1.1\r\n" HOST END,
        400),
    ERR("tab in the target", "GET /a\tb HTTP/1.1\r\n" HOST END, 400),
    ERR("DEL in the target",
        "GET /a\x7f"
        "b HTTP/1.1\r\n" HOST END,
        400),
    ERR("byte >= 0x80 in the target", "GET /caf\xc3\xa9 HTTP/1.1\r\n" HOST END, 400),
    /* Host. */
    ERR("HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400),
    ERR("HEAD in HTTP/1.1 without Host", "HEAD / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
    ERR("HTTP/1.2 without Host", "GET / HTTP/1.2\r\n\r\n", 400),
    ERR("two Host fields", LINE11 HOST "Host: b\r\n" END, 400),
    ERR("two identical Host fields", LINE11 HOST "host: a\r\n" END, 400),
    ERR("two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\n" HOST HOST END, 400),
    /* Transfer-Encoding. */
    ERR("an unknown coding before chunked", LINE11 HOST "transfer-encoding: gzip, chunked\r\n" END,
        501),
    ERR("unknown codings before chunked, over two fields",
        LINE11 HOST "Transfer-Encoding: x-a, identity\r\nTransfer-Encoding: chunked\r\n" END, 501),
    ERR("an unknown coding with parameters",
        LINE11 HOST "Transfer-Encoding: gzip;level=1 ; x = \"a\\\"b,c\", chunked\r\n" END, 501),
    ERR("a coding after chunked", LINE11 HOST "Transfer-Encoding: chunked, gzip\r\n" END, 400),
    ERR("a coding after chunked, in a second field",
        LINE11 HOST "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n" END, 400),
    ERR("chunked twice", LINE11 HOST "Transfer-Encoding: chunked, chunked\r\n" END, 400),
    ERR("chunked twice, in two fields",
        LINE11 HOST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n" END, 400),
    ERR("only an unknown coding", LINE11 HOST "Transfer-Encoding: gzip\r\n" END, 400),
    ERR("only identity", LINE11 HOST "Transfer-Encoding: identity\r\n" END, 400),
    ERR("chunked with a parameter", LINE11 HOST "Transfer-Encoding: chunked;q=1\r\n" END, 400),
    ERR("an empty Transfer-Encoding", LINE11 HOST "Transfer-Encoding:\r\n" END, 400),
    ERR("a Transfer-Encoding of commas", LINE11 HOST "Transfer-Encoding: , ,\r\n" END, 400),
    ERR("an empty Transfer-Encoding after chunked",
        LINE11 HOST "Transfer-Encoding: chunked\r\nTransfer-Encoding: \r\n" END, 400),
    ERR("two codings without a comma", LINE11 HOST "Transfer-Encoding: gzip chunked\r\n" END, 400),
    ERR("a quoted coding", LINE11 HOST "Transfer-Encoding: \"chunked\"\r\n" END, 400),
    ERR("a coding with a slash", LINE11 HOST "Transfer-Encoding: chunked/1.1\r\n" END, 400),
    ERR("a parameter without a value", LINE11 HOST "Transfer-Encoding: gzip;level, chunked\r\n" END,
        400),
    ERR("a parameter without a name", LINE11 HOST "Transfer-Encoding: gzip;=1, chunked\r\n" END,
        400),
    ERR("a ; without a parameter", LINE11 HOST "Transfer-Encoding: gzip;, chunked\r\n" END, 400),
    ERR("an unterminated quoted parameter",
        LINE11 HOST "Transfer-Encoding: gzip;a=\"b, chunked\r\n" END, 400),
    ERR("a quoted parameter ending in a backslash",
        LINE11 HOST "Transfer-Encoding: gzip;a=\"b\\\"\r\n" END, 400),
    ERR("a vertical tab after chunked", LINE11 HOST "Transfer-Encoding: chunked\x0b\r\n" END, 400),
    ERR("Transfer-Encoding in HTTP/1.0 before the 501",
        "GET / HTTP/1.0\r\nTransfer-Encoding: gzip, chunked\r\n" END, 400),
    ERR("an unknown coding with Content-Length",
        LINE11 HOST "Transfer-Encoding: gzip, chunked\r\nContent-Length: 0\r\n" END, 400),
    ERR("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n" END,
        400),
    ERR("Transfer-Encoding and Content-Length",
        LINE11 HOST "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n" END, 400),
    ERR("Content-Length and Transfer-Encoding",
        LINE11 HOST "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n" END, 400),
    /* Content-Length. */
    ERR("Content-Length abc", LINE11 HOST "Content-Length: abc\r\n" END, 400),
    ERR("Content-Length -1", LINE11 HOST "Content-Length: -1\r\n" END, 400),
    ERR("Content-Length +5", LINE11 HOST "Content-Length: +5\r\n" END, 400),
    ERR("Content-Length 1 2", LINE11 HOST "Content-Length: 1 2\r\n" END, 400),
    ERR("Content-Length 5, 5", LINE11 HOST "Content-Length: 5, 5\r\n" END, 400),
    ERR("Content-Length 5,5", LINE11 HOST "Content-Length: 5,5\r\n" END, 400),
    ERR("empty Content-Length", LINE11 HOST "Content-Length:\r\n" END, 400),
    ERR("blank Content-Length", LINE11 HOST "Content-Length:  \t \r\n" END, 400),
    ERR("Content-Length of 19 digits", LINE11 HOST "Content-Length: 1000000000000000000\r\n" END,
        400),
    ERR("Content-Length of 25 digits",
        LINE11 HOST "Content-Length: 1000000000000000000000000\r\n" END, 400),
    ERR("Content-Length 0x10", LINE11 HOST "Content-Length: 0x10\r\n" END, 400),
    ERR("Content-Length 5.0", LINE11 HOST "Content-Length: 5.0\r\n" END, 400),
    ERR("Content-Length 5;", LINE11 HOST "Content-Length: 5;\r\n" END, 400),
    ERR("differing Content-Length fields",
        LINE11 HOST "Content-Length: 5\r\nContent-Length: 6\r\n" END, 400),
    /* Field lines. */
    ERR("space before the colon", LINE11 "Host : a\r\n" END, 400),
    ERR("tab before the colon", LINE11 "Host\t: a\r\n" END, 400),
    ERR("obs-fold with SP", LINE11 HOST "X-A: one\r\n two\r\n" END, 400),
    ERR("obs-fold with HTAB", LINE11 HOST "X-A: one\r\n\ttwo\r\n" END, 400),
    ERR("first field line starts with SP", LINE11 " Host: a\r\n" END, 400),
    ERR("@ in a field name", LINE11 HOST "X@Y: z\r\n" END, 400),
    ERR("parenthesis in a field name", LINE11 HOST "X(Y): z\r\n" END, 400),
    ERR("slash in a field name", LINE11 HOST "X/Y: z\r\n" END, 400),
    ERR("non-ASCII field name", LINE11 HOST "H\xc3\xb6st: z\r\n" END, 400),
    ERR("empty field name", LINE11 HOST ":x\r\n" END, 400),
    ERR("field line without a colon", LINE11 HOST "Hosta\r\n" END, 400),
    ERR("field line with words and no colon", LINE11 HOST "X A B\r\n" END, 400),
    ERR("DEL in a field value", LINE11 "Host: a\x7f\r\n" END, 400),
    ERR("control byte in a field value", LINE11 "Host: a\x01\r\n" END, 400),
    ERR("escape in a field value", LINE11 HOST "User-Agent: \x1b[31m\r\n" END, 400),
    ERR("form feed in a field value", LINE11 HOST "X-A: a\fb\r\n" END, 400),
};

START_TEST(test_error_whole)
{
	const struct error_case *c = &error_cases[_i];
	struct outcome o = parse_whole(c->text, c->len);

	ck_assert_msg(o.result == HTTP_PARSE_ERROR && o.status == c->status,
	              "%s: %s status %d, expected %d for \"%s\"", c->name, result_name(o.result),
	              o.status, c->status, show(c->text, c->len));
}
END_TEST

START_TEST(test_error_in_steps)
{
	const struct error_case *c = &error_cases[_i];
	struct outcome want = {HTTP_PARSE_ERROR, c->status, {0}};
	struct outcome o = parse_byte_by_byte(c->text, c->len);

	assert_same_outcome(&o, &want, c->name);
	for (size_t cut = 0; cut <= c->len; cut++) {
		char what[160];
		snprintf(what, sizeof what, "%s, split at %zu", c->name, cut);
		o = parse_split(c->text, c->len, cut);
		assert_same_outcome(&o, &want, what);
	}
}
END_TEST

/* After ERROR, the same or more bytes give the same error. */
START_TEST(test_error_is_sticky)
{
	const struct error_case *c = &error_cases[_i];
	size_t total = c->len + sizeof next_request - 1;
	char *data = concat(c->text, c->len, next_request, sizeof next_request - 1);
	struct http_parser p;

	http_parser_init(&p);
	ck_assert_int_eq(http_parser_feed(&p, data, c->len), HTTP_PARSE_ERROR);
	ck_assert_int_eq(http_parser_feed(&p, data, c->len), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.status, c->status);
	ck_assert_int_eq(http_parser_feed(&p, data, total), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.status, c->status);
	free(data);
}
END_TEST

/* The header: "A bare LF or a bare CR is 400, at once". A CR followed by any
 * byte but LF is a bare CR as soon as that byte arrives. */
static const char *const bare_cr_prefixes[] = {
    "GET / HTTP/1.1\rX",
    "GET /\rX",
    "GET / HTTP/1.1\r\nHost: a\rX",
    "GET / HTTP/1.1\r\nHost: a\r\n\rX",
};

START_TEST(test_bare_cr_rejected_at_once)
{
	const char *text = bare_cr_prefixes[_i];
	struct outcome o = parse_whole(text, strlen(text));

	ck_assert_msg(o.result == HTTP_PARSE_ERROR && o.status == 400,
	              "\"%s\": %s (status %d), expected ERROR 400 without waiting for LF",
	              show(text, strlen(text)), result_name(o.result), o.status);
}
END_TEST

START_TEST(test_init_resets)
{
	static const char bad[] = "GET / HTTP/2.0\r\n\r\n";
	static const char good[] = "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n";
	struct http_parser p;

	http_parser_init(&p);
	ck_assert_int_eq(http_parser_feed(&p, bad, sizeof bad - 1), HTTP_PARSE_ERROR);
	http_parser_init(&p);
	ck_assert_int_eq(http_parser_feed(&p, good, sizeof good - 1), HTTP_PARSE_DONE);
	ck_assert_uint_eq(p.req.head_len, sizeof good - 1);
	ck_assert_uint_eq(p.req.host_count, 1);
}
END_TEST

/* ------------------------------------------------------------------- limits */

struct limit_case {
	const char *name;
	size_t leading, line_len, nfields, section_len;
	int status; /* 0: accepted */
};

static const struct limit_case limit_cases[] = {
    {"request-line of the maximum length", 0, HTTP_MAX_REQUEST_LINE, 2, 0, 0},
    {"request-line one byte too long", 0, HTTP_MAX_REQUEST_LINE + 1, 2, 0, 414},
    {"request-line far too long", 0, 3 * HTTP_MAX_REQUEST_LINE, 2, 0, 414},
    {"empty lines count toward the request-line", 1, HTTP_MAX_REQUEST_LINE - 2, 2, 0, 0},
    {"empty lines count toward the request-line, over", 1, HTTP_MAX_REQUEST_LINE - 1, 2, 0, 414},
    {"field section of the maximum size", 0, 14, 2, HTTP_MAX_HEADER_BYTES, 0},
    {"field section one byte too large", 0, 14, 2, HTTP_MAX_HEADER_BYTES + 1, 431},
    {"field section far too large", 0, 14, 2, 3 * HTTP_MAX_HEADER_BYTES, 431},
    {"the maximum number of fields", 0, 14, HTTP_MAX_HEADER_FIELDS, 0, 0},
    {"one field too many", 0, 14, HTTP_MAX_HEADER_FIELDS + 1, 0, 431},
    {"many fields too many", 0, 14, 10 * HTTP_MAX_HEADER_FIELDS, 0, 431},
    {"the largest head", 0, HTTP_MAX_REQUEST_LINE, 2, HTTP_MAX_HEADER_BYTES, 0},
};

START_TEST(test_limit_whole)
{
	const struct limit_case *c = &limit_cases[_i];
	size_t len;
	char *text = make_head(c->leading, c->line_len, c->nfields, c->section_len, &len);
	struct outcome o = parse_whole(text, len);

	if (c->status == 0) {
		ck_assert_msg(o.result == HTTP_PARSE_DONE, "%s: %s (status %d)", c->name,
		              result_name(o.result), o.status);
		ck_assert_uint_eq(o.req.head_len, len);
		ck_assert_uint_eq(o.req.request_line.len, c->line_len);
		assert_done_invariants(&o, text, len);
	} else {
		ck_assert_msg(o.result == HTTP_PARSE_ERROR && o.status == c->status,
		              "%s: %s status %d, expected %d", c->name, result_name(o.result),
		              o.status, c->status);
	}
	free(text);
}
END_TEST

START_TEST(test_limit_byte_by_byte)
{
	const struct limit_case *c = &limit_cases[_i];
	size_t len;
	char *text = make_head(c->leading, c->line_len, c->nfields, c->section_len, &len);
	struct outcome whole = parse_whole(text, len);
	struct outcome o = parse_byte_by_byte(text, len);

	assert_same_outcome(&o, &whole, c->name);
	free(text);
}
END_TEST

START_TEST(test_largest_head_is_max_head)
{
	size_t len;
	char *text = make_head(0, HTTP_MAX_REQUEST_LINE, 2, HTTP_MAX_HEADER_BYTES, &len);
	struct outcome o = parse_whole(text, len);

	ck_assert_uint_eq(len, HTTP_MAX_HEAD);
	ck_assert_int_eq(o.result, HTTP_PARSE_DONE);
	ck_assert_uint_eq(o.req.head_len, HTTP_MAX_HEAD);
	free(text);
}
END_TEST

/* A line over a limit is refused before its end arrives: the caller must never
 * have to buffer more than a head can be. */
struct incomplete_case {
	const char *name;
	size_t line_len, section_len;
	size_t fed; /* bytes fed: a prefix of the head */
	enum http_parse_result result;
	int status;
};

/* Offsets in a head with a 14-byte request-line ("GET / HTTP/1.1"). */
#define FIELDS_AT 16

static const struct incomplete_case incomplete_cases[] = {
    {"9000 bytes of request-line, no CRLF", 10000, 0, 9000, HTTP_PARSE_ERROR, 414},
    {"request-line of the limit plus two bytes, no CRLF", 10000, 0, HTTP_MAX_REQUEST_LINE + 2,
     HTTP_PARSE_ERROR, 414},
    {"request-line over the limit by one, then CR", HTTP_MAX_REQUEST_LINE + 1, 0,
     HTTP_MAX_REQUEST_LINE + 2, HTTP_PARSE_ERROR, 414},
    {"request-line at the limit, then CR", HTTP_MAX_REQUEST_LINE, 0, HTTP_MAX_REQUEST_LINE + 1,
     HTTP_PARSE_NEED_MORE, 0},
    {"request-line at the limit, no CR", HTTP_MAX_REQUEST_LINE, 0, HTTP_MAX_REQUEST_LINE,
     HTTP_PARSE_NEED_MORE, 0},
    {"20000 bytes of field section, no CRLF", 14, 30000, FIELDS_AT + 20000, HTTP_PARSE_ERROR, 431},
    {"field section over the limit by two, no CRLF", 14, 30000,
     FIELDS_AT + HTTP_MAX_HEADER_BYTES + 2, HTTP_PARSE_ERROR, 431},
    {"field section at the limit, then CR", 14, HTTP_MAX_HEADER_BYTES,
     FIELDS_AT + HTTP_MAX_HEADER_BYTES + 1, HTTP_PARSE_NEED_MORE, 0},
    {"field section at the limit", 14, HTTP_MAX_HEADER_BYTES, FIELDS_AT + HTTP_MAX_HEADER_BYTES,
     HTTP_PARSE_NEED_MORE, 0},
};

START_TEST(test_limit_incomplete)
{
	const struct incomplete_case *c = &incomplete_cases[_i];
	size_t len;
	char *text = make_head(0, c->line_len, 2, c->section_len, &len);
	struct outcome o;

	ck_assert_uint_lt(c->fed, len);
	o = parse_whole(text, c->fed);
	ck_assert_msg(o.result == c->result && o.status == c->status, "%s: %s status %d", c->name,
	              result_name(o.result), o.status);
	/* Fed in two steps, the answer is the same. */
	o = parse_split(text, c->fed, c->fed / 2);
	ck_assert_msg(o.result == c->result && o.status == c->status, "%s in two steps: %s %d",
	              c->name, result_name(o.result), o.status);
	/* An accepted prefix goes on to a complete head. */
	if (c->result == HTTP_PARSE_NEED_MORE) {
		o = parse_split(text, len, c->fed);
		ck_assert_msg(o.result == HTTP_PARSE_DONE, "%s, completed: %s status %d", c->name,
		              result_name(o.result), o.status);
	}
	free(text);
}
END_TEST

/* -------------------------------------------------------- http_span_equals */

struct equals_case {
	const char *data;
	struct http_span span;
	const char *lower;
	bool equal;
};

static const struct equals_case equals_cases[] = {
    {"Keep-Alive", {0, 10}, "keep-alive", true},
    {"KEEP-ALIVE", {0, 10}, "keep-alive", true},
    {"keep-alive", {0, 10}, "keep-alive", true},
    {"Keep-Alive", {0, 9}, "keep-alive", false},
    {"keep-alive", {0, 10}, "keep-aliv", false},
    {"keep-alive", {0, 10}, "keep-alivee", false},
    {"xCLOSEx", {1, 5}, "close", true},
    {"xCLOSEx", {1, 5}, "closex", false},
    {"xCLOSEx", {0, 5}, "close", false},
    {"xCLOSEx", {1, 6}, "close", false},
    {"", {0, 0}, "", true},
    {"abc", {1, 0}, "", true},
    {"abc", {0, 0}, "a", false},
    {"abc", {0, 3}, "", false},
    {"A[B", {0, 3}, "a{b", false}, /* '[' | 0x20 is '{' */
    {"@", {0, 1}, "`", false},
    {"Z9-_", {0, 4}, "z9-_", true},
};

START_TEST(test_span_equals)
{
	const struct equals_case *c = &equals_cases[_i];
	ck_assert_msg(http_span_equals(c->data, c->span, c->lower) == c->equal,
	              "\"%s\" {%u,%u} vs \"%s\": expected %s", c->data, (unsigned)c->span.off,
	              (unsigned)c->span.len, c->lower, c->equal ? "equal" : "different");
}
END_TEST

START_TEST(test_span_ptr)
{
	static const char data[] = "GET /x HTTP/1.1";
	struct http_span s = {4, 2};
	ck_assert_ptr_eq(http_span_ptr(data, s), data + 4);
	ck_assert_mem_eq(http_span_ptr(data, s), "/x", s.len);
}
END_TEST

/* ------------------------------------------------- random request fragments */

struct fragment {
	const char *bytes;
	size_t len;
};

#define FRAG(s)                                                                                    \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}

static const struct fragment fragments[] = {
    FRAG("GET"),
    FRAG("HEAD"),
    FRAG("POST"),
    FRAG("get"),
    FRAG(" "),
    FRAG("  "),
    FRAG("\t"),
    FRAG("/"),
    FRAG("/a?b=c"),
    FRAG("http://h/x"),
    FRAG("*"),
    FRAG("\r\n"),
    FRAG("\r\n"),
    FRAG("\r\n\r\n"),
    FRAG("\r"),
    FRAG("\n"),
    FRAG("HTTP/1.1"),
    FRAG("HTTP/1.0"),
    FRAG("HTTP/1.2"),
    FRAG("HTTP/2.0"),
    FRAG("HTTP/1."),
    FRAG("Host: a"),
    FRAG("Host: a\r\n"),
    FRAG("host:"),
    FRAG(":"),
    FRAG(","),
    FRAG("x"),
    FRAG("@"),
    FRAG("\0"),
    FRAG("\x80"),
    FRAG("\xff"),
    FRAG("\x7f"),
    FRAG("Content-Length: 5"),
    FRAG("Content-Length: 6\r\n"),
    FRAG("Content-Length: -1"),
    FRAG("Transfer-Encoding: chunked\r\n"),
    FRAG("Connection: close, keep-alive\r\n"),
    FRAG("User-Agent: t\r\n"),
    FRAG("Range: bytes=0-1\r\n"),
    FRAG("If-None-Match: \"e\"\r\n"),
};

static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static void append_bytes(char *text, size_t cap, size_t *len, const char *bytes, size_t n)
{
	if (*len + n > cap)
		n = cap - *len;
	memcpy(text + *len, bytes, n);
	*len += n;
}

/* Whole field lines, most of them valid. */
static const struct fragment field_lines[] = {
    FRAG("Host: a\r\n"),           FRAG("Host: a\r\n"),
    FRAG("User-Agent: t\r\n"),     FRAG("Accept: */*\r\n"),
    FRAG("Range: bytes=0-1\r\n"),  FRAG("Connection: close, keep-alive\r\n"),
    FRAG("Content-Length: 5\r\n"), FRAG("X-Empty:\r\n"),
    FRAG("X-Obs: \x80\xff\r\n"),
};

/* A request: a request-line and field lines, some of them spoiled by a
 * random fragment; or else fragments alone. */
static size_t random_request(uint32_t *rng, char *text, size_t cap)
{
	static const char start[] = "GET / HTTP/1.1\r\n";
	static char long_run[3 * HTTP_MAX_REQUEST_LINE / 2];
	bool structured = next_random(rng) % 2 == 0;
	size_t count = next_random(rng) % 12;
	size_t len = 0;

	memset(long_run, 'a', sizeof long_run);
	if (structured)
		append_bytes(text, cap, &len, start, sizeof start - 1);
	for (size_t i = 0; i < count; i++) {
		uint32_t r = next_random(rng);
		const struct fragment *f = &fragments[(r >> 8) % ARRAY_LEN(fragments)];
		if (r % 200 == 0) /* rarely, enough to cross a limit */
			append_bytes(text, cap, &len, long_run, sizeof long_run);
		else if (!structured || r % 8 == 0)
			append_bytes(text, cap, &len, f->bytes, f->len);
		if (structured) {
			f = &field_lines[(r >> 16) % ARRAY_LEN(field_lines)];
			append_bytes(text, cap, &len, f->bytes, f->len);
		}
	}
	if (structured || next_random(rng) % 4 == 0)
		append_bytes(text, cap, &len, "\r\n", 2);
	return len;
}

static void sort_sizes(size_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			size_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void assert_outcome_invariants(const struct outcome *o, const char *data, size_t len)
{
	switch (o->result) {
	case HTTP_PARSE_NEED_MORE:
		break;
	case HTTP_PARSE_DONE:
		assert_done_invariants(o, data, len);
		break;
	case HTTP_PARSE_ERROR:
		ck_assert_msg(is_error_status(o->status), "status %d for \"%s\"", o->status,
		              show(data, len));
		break;
	default:
		ck_abort_msg("result %d for \"%s\"", (int)o->result, show(data, len));
	}
}

/* Feeding in steps reaches the same answer as feeding at once. Only the size
 * limits may tell earlier, from a prefix, what a later byte tells otherwise
 * (say 414 for a long line that a bare LF ends with 400). */
static void assert_consistent(const struct outcome *steps, const struct outcome *whole,
                              const char *data, size_t len)
{
	ck_assert_msg(steps->result == whole->result, "%s in steps, %s at once, for \"%s\"",
	              result_name(steps->result), result_name(whole->result), show(data, len));
	if (whole->result == HTTP_PARSE_DONE)
		assert_same_request(&steps->req, &whole->req, show(data, len));
	if (whole->result == HTTP_PARSE_ERROR && steps->status != whole->status) {
		bool limit = steps->status == 414 || steps->status == 431 || whole->status == 414 ||
		             whole->status == 431;
		ck_assert_msg(limit, "status %d in steps, %d at once, for \"%s\"", steps->status,
		              whole->status, show(data, len));
	}
}

START_TEST(test_random_fragments)
{
	enum { ROUNDS = 4000, MAX_CUTS = 4 };
	static char text[4 * HTTP_MAX_HEAD];
	uint32_t rng = 0x5eed1234u;
	unsigned done = 0, errors = 0;

	for (int round = 0; round < ROUNDS; round++) {
		size_t len = random_request(&rng, text, sizeof text);
		size_t cuts[MAX_CUTS];
		size_t ncuts = next_random(&rng) % (MAX_CUTS + 1);
		for (size_t i = 0; i < ncuts; i++)
			cuts[i] = len == 0 ? 0 : next_random(&rng) % (len + 1);
		sort_sizes(cuts, ncuts); /* prefixes only grow */
		struct outcome whole = parse_whole(text, len);
		struct outcome steps = parse_in_steps(text, len, cuts, ncuts);
		assert_outcome_invariants(&whole, text, len);
		assert_outcome_invariants(&steps, text, len);
		assert_consistent(&steps, &whole, text, len);
		done += whole.result == HTTP_PARSE_DONE;
		errors += whole.result == HTTP_PARSE_ERROR;
	}
	/* The generator must reach all three answers, not only the refusals. */
	ck_assert_uint_gt(done, ROUNDS / 20);
	ck_assert_uint_gt(errors, ROUNDS / 4);
	ck_assert_uint_lt(done + errors, ROUNDS);
}
END_TEST

/* -------------------------------------------------------------------- suite */

/* Found by fuzzing (tests/fuzz/crashers): the status of a faulty request must
 * not depend on where the reads split it. The first fault in byte order wins. */
static char *repeat_into(char *w, char c, size_t n)
{
	memset(w, c, n);
	return w + n;
}

static size_t build_fuzz_case(int which, char *buf)
{
	char *w = buf;
	switch (which) {
	case 0: /* a bare LF after the request line is already too long: 414 */
		w = stpcpy(w, "GET /");
		w = repeat_into(w, 'a', 8200);
		w = stpcpy(w, " HTTP/1.1\n");
		break;
	case 1: /* a bare LF after the field section is already too large: 431 */
		w = stpcpy(w, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
		w = repeat_into(w, 'b', 16400);
		w = stpcpy(w, "\n");
		break;
	case 2: /* a bare CR early in a line that later grows too long: 400 */
		w = stpcpy(w, "GET /a\rX");
		w = repeat_into(w, 'a', 8200);
		w = stpcpy(w, " HTTP/1.1\r\nHost: h\r\n\r\n");
		break;
	default: /* a bare CR after the line is already too long: 414 */
		w = stpcpy(w, "GET /");
		w = repeat_into(w, 'a', 12000);
		w = stpcpy(w, "\rX");
		break;
	}
	return (size_t)(w - buf);
}

START_TEST(test_fault_order_does_not_depend_on_splits)
{
	static const int expected[] = {414, 431, 400, 414};
	static char buf[20000];
	size_t len = build_fuzz_case(_i, buf);
	for (size_t split = 1; split <= len; split += split < 64 ? 1 : 97) {
		struct http_parser p;
		http_parser_init(&p);
		enum http_parse_result r = http_parser_feed(&p, buf, split);
		if (r == HTTP_PARSE_NEED_MORE)
			r = http_parser_feed(&p, buf, len);
		ck_assert_int_eq(r, HTTP_PARSE_ERROR);
		ck_assert_msg(p.status == expected[_i], "case %d split at %zu: %d, expected %d", _i,
		              split, p.status, expected[_i]);
	}
}
END_TEST

/* Host = uri-host [ ":" port ]: an invalid value is 400 (RFC 9112 section 3.2). */
START_TEST(test_host_values)
{
	static const struct {
		const char *host;
		bool valid;
	} cases[] = {
	    {"example.com", true},
	    {"example.com:8080", true},
	    {"[::1]:80", true},
	    {"127.0.0.1", true},
	    {"", true},
	    {"ex%41mple", true},
	    {"a:", true},
	    {"a b", false},
	    {"x@y", false},
	    {"[::1", false},
	    {"h/p", false},
	    {"a:8x", false},
	    {"%4", false},
	    {"[::1]x", false},
	    {"h?q", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char request[256];
		int n = snprintf(request, sizeof request, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		                 cases[i].host);
		struct http_parser p;
		http_parser_init(&p);
		enum http_parse_result r = http_parser_feed(&p, request, (size_t)n);
		ck_assert_msg(r == (cases[i].valid ? HTTP_PARSE_DONE : HTTP_PARSE_ERROR),
		              "Host '%s': result %d", cases[i].host, r);
		if (!cases[i].valid)
			ck_assert_int_eq(p.status, 400);
	}
}
END_TEST

/* An error answer uses what was read before the fault: the method (the answer
 * to HEAD has no body), the request-line and the fields before the faulty
 * line (for the access log). */
START_TEST(test_error_keeps_what_came_before)
{
	static const char bad_version[] = "HEAD /a HTTP/2.0\r\nHost: h\r\n\r\n";
	static const char bad_target[] = "HEAD /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char bad_field[] = "GET /x HTTP/1.1\r\nUser-Agent: u\r\nHost: a b\r\n\r\n";
	struct outcome o = parse_whole(bad_version, sizeof bad_version - 1);

	ck_assert_int_eq(o.result, HTTP_PARSE_ERROR);
	ck_assert_int_eq(o.status, 505);
	ck_assert_int_eq(o.req.method, HTTP_METHOD_HEAD);
	assert_span_text(bad_version, o.req.target, "/a", "bad version", "target");
	o = parse_byte_by_byte(bad_target, sizeof bad_target - 1);
	ck_assert_int_eq(o.status, 400);
	ck_assert_int_eq(o.req.method, HTTP_METHOD_HEAD);
	o = parse_whole(bad_field, sizeof bad_field - 1);
	ck_assert_int_eq(o.status, 400);
	assert_span_text(bad_field, o.req.request_line, "GET /x HTTP/1.1", "bad field",
	                 "request_line");
	assert_span_text(bad_field, o.req.user_agent, "u", "bad field", "user_agent");
}
END_TEST

/* More Host values: IP-literals, escapes, ports, and the OWS around a value,
 * which is not part of it. */
START_TEST(test_host_values_edges)
{
	static const struct {
		const char *host;
		bool valid;
	} cases[] = {
	    {"[::1]:8080", true},
	    {"[v1.fe80::a+en1]", true},
	    {"[::1]:", true},
	    {"[::1]]", false},
	    {"[::1%25eth0]", false},
	    {"[::1]:8x", false},
	    {"%41%42", true},
	    {"a%4", false},
	    {"a%zz", false},
	    {"a%", false},
	    {"%", false},
	    {":80", true},
	    {"a:80:90", false},
	    {"a:+80", false},
	    {"ex ample", false},
	    {"a \t", true},
	    {"a:8 ", true},
	    {"\xc3\xa9", false},
	    {"a]", false},
	    {"a[", false},
	    {"~._-!$&'()*+,;=", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char request[256];
		int n = snprintf(request, sizeof request, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		                 cases[i].host);
		struct outcome o = parse_whole(request, (size_t)n);
		ck_assert_msg(o.result == (cases[i].valid ? HTTP_PARSE_DONE : HTTP_PARSE_ERROR),
		              "Host '%s': %s", show(cases[i].host, strlen(cases[i].host)),
		              result_name(o.result));
		if (!cases[i].valid)
			ck_assert_int_eq(o.status, 400);
	}
}
END_TEST

/* The fields the parser acts on are found by name in any letter case; a name
 * that differs from one of them in a single byte, or in length, is another
 * field, only validated. */
enum field_effect { EFFECT_SPAN, EFFECT_HOST, EFFECT_CLOSE, EFFECT_LENGTH, EFFECT_CHUNKED };

static const struct field_probe {
	const char *name; /* in lower case */
	const char *value;
	enum field_effect effect;
	size_t span; /* EFFECT_SPAN: the member of struct http_request it sets */
} field_probes[] = {
#define PROBE(name, value, effect)                                                                 \
	{                                                                                          \
		name, value, effect, 0                                                             \
	}
#define SPAN_PROBE(name, member)                                                                   \
	{                                                                                          \
		name, "v", EFFECT_SPAN, offsetof(struct http_request, member)                      \
	}
    PROBE("host", "h", EFFECT_HOST),
    PROBE("connection", "close", EFFECT_CLOSE),
    PROBE("content-length", "5", EFFECT_LENGTH),
    PROBE("transfer-encoding", "chunked", EFFECT_CHUNKED),
    SPAN_PROBE("user-agent", user_agent),
    SPAN_PROBE("referer", referer),
    SPAN_PROBE("if-match", if_match),
    SPAN_PROBE("if-unmodified-since", if_unmodified_since),
    SPAN_PROBE("if-modified-since", if_modified_since),
    SPAN_PROBE("if-none-match", if_none_match),
    SPAN_PROBE("range", range),
    SPAN_PROBE("if-range", if_range),
    SPAN_PROBE("accept-encoding", accept_encoding),
#undef PROBE
#undef SPAN_PROBE
};

/* Parse a head with the field `name: value`; did the parser act on it? The
 * head must be accepted either way. */
static bool field_taken(const struct field_probe *f, const char *name)
{
	char text[256];
	/* Host is probed in HTTP/1.0, which needs none; the others next to one. */
	int n = snprintf(text, sizeof text, "%s\r\n%s: %s\r\n\r\n",
	                 f->effect == EFFECT_HOST ? "GET / HTTP/1.0" : "GET / HTTP/1.1\r\nHost: h",
	                 name, f->value);
	ck_assert(n > 0 && (size_t)n < sizeof text);
	struct outcome o = parse_whole(text, (size_t)n);
	ck_assert_msg(o.result == HTTP_PARSE_DONE, "\"%s\": %s (status %d)", show(text, (size_t)n),
	              result_name(o.result), o.status);
	switch (f->effect) {
	case EFFECT_SPAN:
		return span_at(&o.req, f->span).len > 0;
	case EFFECT_HOST:
		return o.req.host_count > 0;
	case EFFECT_CLOSE:
		return o.req.connection_close;
	case EFFECT_LENGTH:
		return o.req.has_content_length;
	case EFFECT_CHUNKED:
		return o.req.chunked;
	}
	return false;
}

START_TEST(test_known_field_names)
{
	const struct field_probe *f = &field_probes[_i];
	size_t len = strlen(f->name);
	char name[64];

	ck_assert_uint_lt(len + 2, sizeof name);
	ck_assert_msg(field_taken(f, f->name), "%s not taken", f->name);
	for (size_t k = 0; k <= len; k++) { /* upper case, then a mix */
		for (size_t i = 0; i < len; i++)
			name[i] = (char)(i < k || i % 2 == 1 ? toupper(f->name[i]) : f->name[i]);
		name[len] = '\0';
		ck_assert_msg(field_taken(f, name), "%s not taken", name);
	}
	for (size_t k = 0; k < len; k++) { /* one byte changed */
		char c = f->name[k];
		strcpy(name, f->name);
		name[k] = c == '-' ? '_' : c == 'z' ? 'a' : (char)(c + 1);
		ck_assert_msg(!field_taken(f, name), "%s taken as %s", name, f->name);
		name[k] = (char)toupper(name[k]);
		ck_assert_msg(!field_taken(f, name), "%s taken as %s", name, f->name);
	}
	snprintf(name, sizeof name, "%ss", f->name); /* longer */
	ck_assert_msg(!field_taken(f, name), "%s taken as %s", name, f->name);
	ck_assert_msg(!field_taken(f, f->name + 1), "%s taken as %s", f->name + 1, f->name);
	snprintf(name, sizeof name, "%.*s", (int)len - 1, f->name); /* shorter */
	ck_assert_msg(!field_taken(f, name), "%s taken as %s", name, f->name);
}
END_TEST

static Suite *http_parser_suite(void)
{
	Suite *s = suite_create("http_parser");
	TCase *valid = tcase_create("valid");
	TCase *errors = tcase_create("errors");
	TCase *limits = tcase_create("limits");
	TCase *spans = tcase_create("spans");
	TCase *random = tcase_create("random");

	tcase_add_test(valid, test_field_lines);
	tcase_add_loop_test(valid, test_valid_whole, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_every_split, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_byte_by_byte, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_pipelined, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_done_is_sticky, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_methods, 0, (int)ARRAY_LEN(method_cases));
	tcase_add_test(valid, test_init_resets);
	suite_add_tcase(s, valid);

	tcase_add_loop_test(errors, test_error_whole, 0, (int)ARRAY_LEN(error_cases));
	tcase_add_loop_test(errors, test_error_in_steps, 0, (int)ARRAY_LEN(error_cases));
	tcase_add_loop_test(errors, test_error_is_sticky, 0, (int)ARRAY_LEN(error_cases));
	tcase_add_loop_test(errors, test_bare_cr_rejected_at_once, 0,
	                    (int)ARRAY_LEN(bare_cr_prefixes));
	suite_add_tcase(s, errors);

	tcase_set_timeout(limits, 60);
	tcase_add_loop_test(limits, test_limit_whole, 0, (int)ARRAY_LEN(limit_cases));
	tcase_add_loop_test(limits, test_limit_byte_by_byte, 0, (int)ARRAY_LEN(limit_cases));
	tcase_add_test(limits, test_largest_head_is_max_head);
	tcase_add_loop_test(limits, test_fault_order_does_not_depend_on_splits, 0, 4);
	tcase_add_test(limits, test_host_values);
	tcase_add_test(limits, test_host_values_edges);
	tcase_add_test(errors, test_error_keeps_what_came_before);
	tcase_add_loop_test(limits, test_known_field_names, 0, (int)ARRAY_LEN(field_probes));
	tcase_add_loop_test(limits, test_limit_incomplete, 0, (int)ARRAY_LEN(incomplete_cases));
	suite_add_tcase(s, limits);

	tcase_add_loop_test(spans, test_span_equals, 0, (int)ARRAY_LEN(equals_cases));
	tcase_add_test(spans, test_span_ptr);
	suite_add_tcase(s, spans);

	tcase_set_timeout(random, 60);
	tcase_add_test(random, test_random_fragments);
	suite_add_tcase(s, random);
	return s;
}

int main(void)
{
	return check_run(http_parser_suite());
}
