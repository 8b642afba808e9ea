/* http_parser — an incremental HTTP/1.x request-head parser.
 *
 * Bytes in; "need more", a request, or an error with its status code out. It
 * knows nothing of sockets: the caller hands it the bytes of the current request
 * received so far (always from the request's first byte; more each call), and it
 * examines each byte once. Fields are reported as offsets into those bytes, so
 * the caller may move the buffer between calls.
 *
 * Whatever way the bytes are split, the answer is the same: the one the
 * shortest failing prefix gives (bare CR, bare LF and the size limits are
 * judged in byte order; the syntax of a line when its end arrives).
 *
 * Named strictness (RFC 9112 leaves these to the recipient):
 *  - Line endings: CRLF only. A bare LF or a bare CR is 400, at once (a proxy
 *    that accepts bare LF could otherwise see a different message boundary).
 *  - Empty lines before the request-line are skipped (RFC 9112 section 2.2); they count
 *    toward the request-line limit.
 *  - obs-fold (a field line starting with SP or HTAB) is 400 (section 5.2).
 *  - Whitespace between a field name and its colon is 400 (section 5.1).
 *  - Request-target: visible ASCII only; raw bytes >= 0x80 are 400.
 *  - Content-Length: digits only; repeated fields must agree; a comma list is 400.
 *  - Transfer-Encoding (RFC 9112 sections 6.1, 6.3; RFC 9110 section 10.1.4):
 *    the fields form one list of codings (case-insensitive; OWS, empty list
 *    elements and parameters as in the list grammar), and
 *     - ending in "chunked", and nothing else: accepted; req->chunked says a
 *       chunked body follows the head (decode it with chunked.h);
 *     - ending in "chunked" after codings we do not know ("gzip, chunked"):
 *       501 (section 6.1: a server SHOULD answer 501 to a transfer coding it
 *       does not understand; the framing is sound, but the body is not read);
 *     - not ending in "chunked" ("gzip", "chunked, gzip"), "chunked" twice,
 *       or "chunked" with parameters: 400 (section 6.3: the body length cannot
 *       be determined; a sender MUST NOT apply chunked more than once);
 *     - a field without any coding, or a list that breaks the grammar: 400;
 *     - together with Content-Length: 400 (section 6.1 allows rejecting it;
 *       a defence against request smuggling);
 *     - in an HTTP/1.0 request: 400 (section 6.1: the framing MUST be treated
 *       as faulty, even with a Content-Length).
 *    These precede the 501: a faulty framing is answered as such.
 *    Every error here ends the connection, as every parser error does.
 *  - Connection: "close" in any Connection field, in any version, sets
 *    connection_close; "keep-alive" sets connection_keep_alive; both may be
 *    set, and then close wins (RFC 9112 section 9.3, 9.6).
 *  - HTTP/1.1 without exactly one Host field is 400 (section 3.2). */
#ifndef SWITCHBOARD_HTTP_PARSER_H
#define SWITCHBOARD_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_REQUEST_LINE 8192  /* bytes, without CRLF: longer is 414 */
#define HTTP_MAX_HEADER_BYTES 16384 /* the field section, with CRLFs: more is 431 */
#define HTTP_MAX_HEADER_FIELDS 100  /* more is 431 */
/* The most bytes a complete request head can take. */
#define HTTP_MAX_HEAD (HTTP_MAX_REQUEST_LINE + 2 + HTTP_MAX_HEADER_BYTES + 2)

enum http_method {
	HTTP_METHOD_OTHER, /* a well-formed token we do not know */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_CONNECT,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_PATCH,
};

/* A run of bytes in the request, by offset from its first byte; len 0 = absent. */
struct http_span {
	uint32_t off;
	uint32_t len;
};

/* The field lines of one name, in the order received, for fields that are
 * lists across lines and read from the right (X-Forwarded-For, Forwarded):
 * past HTTP_MAX_FIELD_LINES the earliest are dropped, and dropped says so. */
#define HTTP_MAX_FIELD_LINES 8
struct http_field_lines {
	struct http_span lines[HTTP_MAX_FIELD_LINES];
	uint8_t count;
	bool dropped;
};

struct http_request {
	enum http_method method;
	struct http_span method_name;
	struct http_span target;
	struct http_span request_line; /* without CRLF, for the access log */
	int version_minor;             /* HTTP/1.x; a minor above 1 is reported as 1 */

	/* Fields the server uses (the last value when repeated, Host excepted). */
	struct http_span host;
	struct http_span user_agent;
	struct http_span referer;
	struct http_span if_match;
	struct http_span if_unmodified_since;
	struct http_span if_modified_since;
	struct http_span if_none_match;
	struct http_span range;
	struct http_span if_range;
	struct http_span accept_encoding;
	struct http_span accept;
	struct http_span authorization;
	struct http_span origin;
	struct http_span access_control_request_method;
	struct http_span access_control_request_headers;
	struct http_field_lines x_forwarded_for;
	struct http_field_lines forwarded;

	bool connection_close;      /* "close" among the Connection options */
	bool connection_keep_alive; /* "keep-alive" among them */
	bool has_content_length;
	uint64_t content_length;
	bool has_transfer_encoding;
	bool chunked; /* on DONE: Transfer-Encoding ends in chunked, a chunked body follows */
	unsigned host_count;

	size_t head_len; /* bytes up to and including the empty line */
};

enum http_parse_result {
	HTTP_PARSE_NEED_MORE,
	HTTP_PARSE_DONE,
	HTTP_PARSE_ERROR,
};

struct http_parser {
	size_t pos;        /* bytes examined so far */
	size_t line_start; /* where the current line begins */
	size_t fields_start;
	size_t cr_checked; /* the current line has no bare CR before this */
	unsigned nfields;
	bool te_last_chunked; /* the last transfer coding so far is chunked */
	bool te_unknown;      /* a transfer coding other than chunked was seen */
	int state;
	int status; /* the HTTP status to answer with, after HTTP_PARSE_ERROR */
	struct http_request req;
};

void http_parser_init(struct http_parser *p);

/* data/len: all bytes of this request received so far. After DONE, the request
 * is in p->req and its head is p->req.head_len bytes; after ERROR, p->status. */
enum http_parse_result http_parser_feed(struct http_parser *p, const char *data, size_t len);

/* The bytes of a span inside data. */
static inline const char *http_span_ptr(const char *data, struct http_span s)
{
	return data + s.off;
}

/* Case-insensitive: does the span hold exactly this (lower-case) text? */
bool http_span_equals(const char *data, struct http_span s, const char *lower);

#endif
