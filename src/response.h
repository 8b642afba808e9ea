/* response — a response plan, and its serialisation into bytes.
 *
 * The responder decides (status, fields, body source); this module writes the
 * status line and header fields into a buffer. Pure: no sockets, no files. */
#ifndef SWITCHBOARD_RESPONSE_H
#define SWITCHBOARD_RESPONSE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buffer.h"

enum response_connection {
	RESPONSE_KEEP_ALIVE,        /* HTTP/1.1 default: no Connection field */
	RESPONSE_KEEP_ALIVE_HTTP10, /* say "Connection: keep-alive" */
	RESPONSE_CLOSE,             /* say "Connection: close" */
};

enum response_range {
	RESPONSE_RANGE_NONE,
	RESPONSE_RANGE_PARTIAL,     /* 206: Content-Range: bytes first-last/complete */
	RESPONSE_RANGE_UNSATISFIED, /* 416: Content-Range with "*" and the complete length */
};

#define RESPONSE_MAX_EXTRA 32

struct listing;
struct cached_file;

/* How the end of the body is known (RFC 9112 section 6.3). */
enum response_framing {
	FRAMING_LENGTH,  /* Content-Length */
	FRAMING_CHUNKED, /* a generated body, for an HTTP/1.1 client */
	FRAMING_CLOSE,   /* a generated body, for an HTTP/1.0 client: ends with the connection */
};

struct response {
	int status;
	const char *content_type; /* NULL: no Content-Type */
	uint64_t content_length;  /* of the body sent: the range for a 206 */
	bool has_last_modified;
	time_t last_modified;
	const char *etag; /* NULL: none */
	bool accept_ranges;
	enum response_range range;
	uint64_t range_first;
	uint64_t complete_length;
	bool error_page;              /* the body is the page response_error() planned */
	const char *content_encoding; /* "br", "gzip"; NULL: none */
	bool vary_accept_encoding;
	const char *extra[RESPONSE_MAX_EXTRA]; /* whole "Name: value\r\n" lines */
	size_t extra_count;
	const char *location; /* already encoded; NULL: none */
	const char *allow;    /* NULL: none */
	enum response_connection connection;
	bool head_only; /* HEAD: the same fields, no body */

	/* Body source: a file range, a generated listing, or an error page. */
	int body_fd; /* -1: none */
	off_t body_offset;
	const struct cached_file *body_mem; /* held; the body is its bytes from body_offset */
	struct listing *listing;            /* owned by the plan until the connection takes it */
	enum response_framing framing;
};

void response_init(struct response *r);

/* "Not Found" for 404; "Unknown" for codes we never send. */
const char *response_reason(int status);

/* The current time as an IMF-fixdate, formatted at most once per second. */
const char *response_date_now(void);

/* Append the status line and header fields (ending with the empty line). */
int response_write_head(struct buf *out, const struct response *r, const char *date);

/* Plan an error response: its status, and the type and length of its small
 * HTML body, which never echoes anything of the request. */
void response_error(struct response *r, int status);

/* Append the body that response_error() planned for status. */
int response_append_error_body(struct buf *out, int status);

/* A whole error response that closes the connection (head and body), for
 * the moments there is no request to answer: a refused connection, a timeout. */
int response_render_closing_error(struct buf *out, int status);

#endif
