/* cors — Cross-Origin Resource Sharing, the Fetch standard's CORS protocol,
 * as pure decisions: which origins a policy allows, whether a request is a
 * preflight and what it is answered, and which fields every other answer
 * carries. No sockets, no files: the exchange asks, and the response writes
 * the fields.
 *
 * The policy (cors_origins, cors_headers, cors_expose_headers, cors_max_age):
 *  - an allowed origin gets Access-Control-Allow-Origin naming it (never the
 *    bytes it sent: the configured copy), and Access-Control-Expose-Headers
 *    when configured, on every answer: files, redirects and errors alike;
 *  - "*" allows every origin: Access-Control-Allow-Origin: * goes on every
 *    answer, to requests with an Origin or without, and nothing varies;
 *  - with a list of origins the answer depends on Origin: every answer says
 *    "Vary: Origin", also to requests without one or from an origin that is
 *    not allowed, so that no cache hands one origin's answer to another;
 *  - an origin that is not allowed gets no CORS field at all;
 *  - a preflight (OPTIONS with Origin and Access-Control-Request-Method) from
 *    an allowed origin, for GET or HEAD, with request headers that are all
 *    allowed, is answered 204 with Access-Control-Allow-Methods (GET, HEAD),
 *    Access-Control-Allow-Headers (when configured) and Access-Control-Max-Age;
 *    any other preflight is refused with 403 and none of those three (an
 *    allowed origin still gets its Access-Control-Allow-Origin, like every
 *    answer it gets). Both vary on the two request fields as well.
 * No credentials mode: the server has no cookies nor authentication that a
 * cross-origin page could borrow, so Access-Control-Allow-Credentials is
 * never sent and "*" keeps its meaning.
 *
 * Origins are compared as a browser serialises them: scheme and host in any
 * case, the port exactly; the configured value is normalised (lower case, a
 * default port dropped) once, when it is read. */
#ifndef SWITCHBOARD_CORS_H
#define SWITCHBOARD_CORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parser.h"
#include "response.h"

#define CORS_MAX_ORIGINS 16
#define CORS_MAX_HEADERS 16
/* The longest origin accepted in the configuration, without its NUL. */
#define CORS_ORIGIN_MAX 200
/* The longest header name accepted in the configuration. */
#define CORS_HEADER_NAME_MAX 64

/* The configured values, as the configuration holds them (already checked
 * with the functions below). */
struct cors_settings {
	const char *const *origins; /* normalised origins, or the one value "*" */
	size_t origin_count;        /* 0: CORS is off */
	const char *const *headers; /* allowed request header names, or "*" */
	size_t header_count;
	const char *const *expose; /* response header names a page may read, or "*" */
	size_t expose_count;
	int64_t max_age_seconds; /* how long a browser may keep a preflight's answer */
};

/* Room for one Access-Control-Allow-Origin line; for the longest list of
 * names, ", " between them; for a block of field lines: up to three field
 * names with ": " and CRLF (48 bytes each at most), a max-age (24 digits at
 * most) and the longest list (cors.c asserts that the preflight's fit). */
#define CORS_LINE_MAX (sizeof "Access-Control-Allow-Origin: \r\n" + CORS_ORIGIN_MAX)
#define CORS_LIST_MAX ((size_t)CORS_MAX_HEADERS * (CORS_HEADER_NAME_MAX + 2))
#define CORS_FIELDS_MAX ((size_t)3 * 48 + CORS_LIST_MAX + 24)

/* The policy in the form the answers use: every field line made once. Holds
 * no pointer into the settings; needs no freeing. */
struct cors_policy {
	bool any_origin; /* "*" */
	size_t origin_count;
	char origins[CORS_MAX_ORIGINS][CORS_ORIGIN_MAX + 1];
	char origin_lines[CORS_MAX_ORIGINS][CORS_LINE_MAX]; /* Access-Control-Allow-Origin */
	bool any_header;                                    /* cors_headers * */
	size_t header_count;
	char headers[CORS_MAX_HEADERS][CORS_HEADER_NAME_MAX + 1];
	char preflight_fields[CORS_FIELDS_MAX]; /* Allow-Methods, Allow-Headers, Max-Age */
	char expose_field[CORS_FIELDS_MAX];     /* Access-Control-Expose-Headers; "": none */
};

/* The policy for settings; false when they allow no origin (CORS off). */
bool cors_policy_build(struct cors_policy *p, const struct cors_settings *s);

/* An origin as configured ("https://app.example:8443", or "*") in the form
 * it is compared in: scheme and host in lower case, the scheme's default
 * port dropped. Returns 0, or -1 with what is wrong in err. */
int cors_origin_normalize(const char *text, char *out, size_t out_size, char *err, size_t err_size);

/* A header name for cors_headers or cors_expose_headers: a token (or "*")
 * that fits. Returns 0, or -1 with what is wrong in err. */
int cors_header_name_check(const char *name, char *err, size_t err_size);

/* Is req a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method? */
bool cors_is_preflight(const struct http_request *req);

/* The allowed origin that origin[0..len) is (its index), or -1. */
int cors_find_origin(const struct cors_policy *p, const char *origin, size_t len);

/* Does the list in Access-Control-Request-Headers name only allowed headers?
 * (An empty list does; a malformed one does not.) */
bool cors_headers_allowed(const struct cors_policy *p, const char *list, size_t len);

/* Plan the answer to the preflight req (data: its bytes) into r: 204 with the
 * preflight's fields, or 403. */
void cors_plan_preflight(const struct cors_policy *p, const struct http_request *req,
                         const char *data, struct response *r);

/* The fields of any other answer r to req: Access-Control-Allow-Origin (and
 * Expose-Headers) for an allowed origin, and Vary when the answer depends on
 * the Origin. */
void cors_add_fields(const struct cors_policy *p, const struct http_request *req, const char *data,
                     struct response *r);

#endif
