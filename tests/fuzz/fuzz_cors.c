/* Fuzz target for the CORS decisions.
 *
 * Input: a request head. When the parser takes it whole, it is answered
 * under two policies (a list of origins with two allowed request headers,
 * and "*" with none) as the exchange would: a preflight by
 * cors_plan_preflight, anything else by cors_add_fields; then the head is
 * written. The rules:
 *  - a preflight gets 204 exactly when its origin is allowed (compared
 *    without regard to case), its method is GET or HEAD (with regard to
 *    case), and every name in Access-Control-Request-Headers is allowed,
 *    as a plain rewrite of the rule below decides; else 403;
 *  - Access-Control-Allow-Origin is sent exactly to an allowed origin, and
 *    names the configured spelling, never the request's bytes;
 *  - the head is well formed: a status line, then "Name: value" lines of
 *    visible ASCII and spaces, each ending in CRLF, then an empty line.
 * Any broken rule aborts.
 *
 * Responses here never hold a body: body_release is a stand-in, so that the
 * target links the parser, cors.c and response.c only. */
#include "body.h"
#include "buffer.h"
#include "cors.h"
#include "http_parser.h"
#include "httpchars.h"
#include "response.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void body_release(struct body *b)
{
	if (b->kind != BODY_NONE)
		abort(); /* no plan here holds a body */
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_cors: %s\n", what);
		abort();
	}
}

static const char *const origins[] = {"https://app.example", "http://127.0.0.1:8080"};
static const char *const headers[] = {"X-Token", "Content-Type"};
static const char *const star[] = {"*"};

/* The rule, written plainly: is name[0..len) one of the allowed headers? */
static bool plain_header_allowed(bool any, const char *name, size_t len)
{
	if (any)
		return true;
	for (size_t i = 0; i < 2; i++)
		if (strlen(headers[i]) == len && strncasecmp(headers[i], name, len) == 0)
			return true;
	return false;
}

/* Elements split at commas, trimmed of SP and HTAB; an empty one is
 * skipped; one that is not a token refuses the list. */
static bool plain_list_allowed(bool any_header, bool no_header, const char *list, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && list[i] != ',')
			continue;
		size_t a = start, b = i;
		while (a < b && (list[a] == ' ' || list[a] == '\t'))
			a++;
		while (b > a && (list[b - 1] == ' ' || list[b - 1] == '\t'))
			b--;
		start = i + 1;
		if (a == b)
			continue;
		for (size_t k = a; k < b; k++)
			if (!http_is_tchar((unsigned char)list[k]))
				return false;
		if (no_header || !plain_header_allowed(any_header, list + a, b - a))
			return false;
	}
	return true;
}

static int plain_origin(bool any, const char *origin, size_t len)
{
	if (any)
		return 0;
	for (size_t i = 0; i < 2; i++)
		if (strlen(origins[i]) == len && strncasecmp(origins[i], origin, len) == 0)
			return (int)i;
	return -1;
}

static bool span_is(const char *data, struct http_span s, const char *text)
{
	return s.len == strlen(text) && memcmp(data + s.off, text, s.len) == 0;
}

static void check_head(const struct response *r)
{
	struct buf out = BUF_INIT;
	check(response_write_head(&out, r, "Sat, 05 Dec 2026 06:00:00 GMT") == 0, "head written");
	const char *p = buf_head(&out), *end = p + buf_len(&out);
	const char *line_end = memchr(p, '\n', (size_t)(end - p));
	check(line_end != NULL && line_end > p && line_end[-1] == '\r', "a status line");
	for (p = line_end + 1; p < end; p = line_end + 1) {
		line_end = memchr(p, '\n', (size_t)(end - p));
		check(line_end != NULL && line_end > p && line_end[-1] == '\r',
		      "lines end in CRLF");
		if (line_end - p == 1) {
			check(line_end + 1 == end, "nothing after the empty line");
			break;
		}
		const char *colon = memchr(p, ':', (size_t)(line_end - p));
		check(colon != NULL && colon > p, "a field name");
		for (const char *q = p; q < colon; q++)
			check(http_is_tchar((unsigned char)*q), "the name is a token");
		for (const char *q = colon + 1; q < line_end - 1; q++)
			check(*q == ' ' || (*q > 0x20 && *q < 0x7f), "the value is visible ASCII");
	}
	buf_free(&out);
}

static void answer(const struct cors_policy *p, bool any_origin, bool any_header, bool no_header,
                   const struct http_request *req, const char *data)
{
	struct response r;
	response_init(&r);
	int origin = req->origin.len > 0 || any_origin
	                 ? plain_origin(any_origin, data + req->origin.off, req->origin.len)
	                 : -1;
	if (cors_is_preflight(req)) {
		cors_plan_preflight(p, req, data, &r);
		bool method = span_is(data, req->access_control_request_method, "GET") ||
		              span_is(data, req->access_control_request_method, "HEAD");
		bool list = plain_list_allowed(any_header, no_header,
		                               data + req->access_control_request_headers.off,
		                               req->access_control_request_headers.len);
		check(r.status == (origin >= 0 && method && list ? 204 : 403), "preflight status");
		check((r.cors_fields != NULL) == (r.status == 204), "permission only with 204");
	} else {
		cors_add_fields(p, req, data, &r);
	}
	check((r.cors_origin != NULL) == (origin >= 0), "ACAO exactly for an allowed origin");
	if (origin >= 0)
		check(r.cors_origin == p->origin_lines[origin], "the configured spelling");
	check_head(&r);
	response_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cors_policy listed, starred;
	static bool built;
	if (!built) {
		struct cors_settings s = {.origins = origins,
		                          .origin_count = 2,
		                          .headers = headers,
		                          .header_count = 2,
		                          .max_age_seconds = 600};
		check(cors_policy_build(&listed, &s), "list policy");
		s = (struct cors_settings){
		    .origins = star, .origin_count = 1, .max_age_seconds = 5};
		check(cors_policy_build(&starred, &s), "star policy");
		built = true;
	}
	/* The parser keeps offsets into the bytes: a copy that ends where they do. */
	char *copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	static struct http_parser parser;
	http_parser_init(&parser);
	if (http_parser_feed(&parser, copy, size) == HTTP_PARSE_DONE) {
		answer(&listed, false, false, false, &parser.req, copy);
		answer(&starred, true, false, true, &parser.req, copy);
	}
	free(copy);
	return 0;
}
