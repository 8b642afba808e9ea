/* response — a response plan, and its serialisation into bytes.
 *
 * A responder decides (status, fields, body source); this module writes the
 * status line and header fields into a buffer, and frames a generated body in
 * chunks. Pure: no sockets, and no files but the ones a plan's body holds. */
#ifndef SWITCHBOARD_RESPONSE_H
#define SWITCHBOARD_RESPONSE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "body.h"
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
/* Room in a plan for the short strings it makes (an ETag, a Content-Type with
 * its charset): a plan owns every string it points to or they are static. */
#define RESPONSE_TEXT_MAX 384
/* Room for an entity tag, quotes included (conditional.h's ETAG_MAX). */
#define RESPONSE_ETAG_MAX 80

/* The head of a response sent again and again (a cached file's 200), made
 * once: its status line and fixed fields up to Accept-Ranges, with the Date
 * value left to be patched in per response. What it was made for is kept
 * beside it, so that a plan it no longer describes is written field by field.
 * One allocation (free() releases it); the strings point into it. */
struct response_prepared {
	int status;
	uint64_t content_length;
	const char *content_type;     /* the plan's, copied here */
	const char *content_encoding; /* static strings: compared by address */
	bool vary_accept_encoding;
	bool vary_accept;
	const char *vary_cors; /* NULL when prepared: CORS adds to Vary after the plan */
	size_t date_at;        /* where the Date value begins in bytes */
	size_t len;
	char etag[RESPONSE_ETAG_MAX];
	char bytes[]; /* len bytes, then the content type's text */
};

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
	bool vary_accept; /* a generated listing: HTML or JSON by the request's Accept */
	size_t extra_count;
	const char *location; /* already encoded; NULL: none */
	const char *allow;    /* NULL: none */
	/* CORS (cors.h): whole "Name: value\r\n" lines the policy made; NULL: none. */
	const char *cors_origin; /* Access-Control-Allow-Origin */
	const char *cors_fields; /* a preflight's fields, or Access-Control-Expose-Headers */
	const char *vary_cors;   /* request fields the CORS answer depends on, for Vary */
	enum response_connection connection;
	bool head_only; /* HEAD: the same fields, no body */

	/* A head prepared for this very plan (NULL: none), and the reference
	 * (a body of no bytes) that keeps what it lives in alive until the plan
	 * is released, even when a HEAD or a 304 lets go of the body itself. */
	const struct response_prepared *prepared;
	struct body prepared_owner;

	/* The body, owned by the plan until a connection takes it; an error page
	 * of our own is written with the head instead (error_page). */
	struct body body;
	enum response_framing framing;

	char *location_owned; /* a Location made for this plan: freed with it */
	size_t text_used;

	/* Storage that only the counts above describe: response_init leaves it. */
	const char *extra[RESPONSE_MAX_EXTRA]; /* whole "Name: value\r\n" lines */
	char etag_text[RESPONSE_ETAG_MAX];
	char text[RESPONSE_TEXT_MAX];
};

void response_init(struct response *r);

/* Free what the plan owns (its body, its Location); r is then empty. */
void response_release(struct response *r);

/* A copy of s[0..len) kept in the plan, NUL-terminated; NULL when it has no
 * room left (the caller then falls back to a static string). */
const char *response_keep(struct response *r, const char *s, size_t len);

/* "Not Found" for 404; "Unknown" for codes we never send. */
const char *response_reason(int status);

/* The current time as an IMF-fixdate, formatted at most once per second. */
const char *response_date_now(void);

/* The same for a time the caller already read (now). */
const char *response_date(time_t now);

/* Append the status line and header fields (ending with the empty line): a
 * prepared head's bytes with date patched in when r has one that fits it. */
int response_write_head(struct buf *out, const struct response *r, const char *date);

/* A head prepared from the plan r (a 200 with its whole body), for
 * response_write_head to copy while r's fields stay what they are now; NULL
 * when out of memory or when r is not such a plan. */
struct response_prepared *response_prepare(const struct response *r);

/* Does the prepared head p describe the plan r exactly (all but the Date and
 * the fields that follow Accept-Ranges)? */
bool response_prepared_fits(const struct response_prepared *p, const struct response *r);

/* Plan an error response: its status, and the type and length of its small
 * HTML body, which never echoes anything of the request. Whatever body the
 * plan held is released. */
void response_error(struct response *r, int status);

/* Append the body that response_error() planned for status. */
int response_append_error_body(struct buf *out, int status);

/* Append what goes before the body source: the head, and for an error page
 * of our own (not a HEAD) its body as well. *head_len: the head's bytes. */
int response_write(struct buf *out, const struct response *r, const char *date, size_t *head_len);

/* The next piece of a generated body, framed as one chunk when chunked (the
 * last piece followed by the last chunk). Returns 1 while more is to come, 0
 * when the body is complete (it is then released), -1 when out of memory. */
int response_generate(struct buf *out, struct body *b, bool chunked, size_t budget);

/* A whole error response that closes the connection (head and body), for
 * the moments there is no request to answer: a refused connection, a timeout. */
int response_render_closing_error(struct buf *out, int status);

#endif
