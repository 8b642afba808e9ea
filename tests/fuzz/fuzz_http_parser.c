/* Fuzz target for the incremental request-head parser.
 *
 * Input: two bytes that seed the choice of split points, then the request bytes.
 * The same bytes are parsed whole, in pseudo-random steps and (when short) one
 * byte at a time; every way must agree on the result, the status and every
 * field of the request (on ERROR too: the error answer uses them). Each call
 * gets a fresh, exactly sized copy of the bytes received so far, so a read past
 * len, or through a pointer kept from an earlier call, is a sanitizer report.
 * After DONE the bytes that follow the head are parsed as the next, pipelined
 * request. Any broken rule aborts. */
#include "http_parser.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	SEED_BYTES = 2,
	BYTEWISE_MAX = 1024, /* longer inputs are not fed one byte at a time */
	MAX_PIPELINED = 8,
};

struct outcome {
	enum http_parse_result result;
	int status;
	struct http_request req;
	size_t fed; /* the len of the call that gave the result */
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_http_parser: %s\n", what);
	abort();
}

static void check(int ok, const char *what)
{
	if (!ok)
		fail(what);
}

/* xorshift32: cheap, deterministic split points from the seed. */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* One call with the first len bytes, copied into a buffer of exactly len bytes. */
static enum http_parse_result feed(struct http_parser *p, const char *bytes, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		fail("out of memory");
	if (len > 0)
		memcpy(copy, bytes, len);
	enum http_parse_result r = http_parser_feed(p, copy, len);
	free(copy);
	return r;
}

static void record(struct outcome *o, const struct http_parser *p, enum http_parse_result r,
                   size_t len)
{
	o->result = r;
	o->status = r == HTTP_PARSE_ERROR ? p->status : 0;
	o->req = p->req;
	o->fed = len;
}

/* After DONE or ERROR the parser must keep its answer for any later call. */
static void check_sticky(struct http_parser *p, const char *bytes, size_t len,
                         const struct outcome *o)
{
	if (o->result == HTTP_PARSE_NEED_MORE)
		return;
	check(feed(p, bytes, len) == o->result, "result not sticky after DONE or ERROR");
	if (o->result == HTTP_PARSE_ERROR)
		check(p->status == o->status, "status changed after ERROR");
	else
		check(p->req.head_len == o->req.head_len, "head_len changed after DONE");
}

static void parse_whole(const char *bytes, size_t len, struct outcome *o)
{
	struct http_parser p;
	http_parser_init(&p);
	record(o, &p, feed(&p, bytes, len), len);
	check_sticky(&p, bytes, len, o);
}

/* The next step: mostly short, sometimes up to a few KiB. */
static size_t next_step(uint32_t *rng)
{
	uint32_t r = next_random(rng);
	static const uint32_t scale[] = {1, 4, 16, 64, 512, 4096};
	return 1 + (r >> 8) % scale[r % (sizeof scale / sizeof scale[0])];
}

/* Feed growing prefixes until the parser answers or all bytes are in. */
static void parse_in_steps(const char *bytes, size_t len, uint32_t seed, int bytewise,
                           struct outcome *o)
{
	struct http_parser p;
	uint32_t rng = seed | 1u;
	size_t fed = 0;
	enum http_parse_result r = HTTP_PARSE_NEED_MORE;

	http_parser_init(&p);
	while (fed < len && r == HTTP_PARSE_NEED_MORE) {
		size_t step = bytewise ? 1 : next_step(&rng);
		fed = step < len - fed ? fed + step : len;
		r = feed(&p, bytes, fed);
	}
	if (len == 0)
		r = feed(&p, bytes, 0);
	record(o, &p, r, fed);
	check_sticky(&p, bytes, len, o);
}

static int same_span(struct http_span a, struct http_span b)
{
	return a.off == b.off && a.len == b.len;
}

static int same_request(const struct http_request *a, const struct http_request *b)
{
	return a->method == b->method && same_span(a->method_name, b->method_name) &&
	       same_span(a->target, b->target) && same_span(a->request_line, b->request_line) &&
	       a->version_minor == b->version_minor && same_span(a->host, b->host) &&
	       same_span(a->user_agent, b->user_agent) && same_span(a->referer, b->referer) &&
	       same_span(a->if_match, b->if_match) &&
	       same_span(a->if_unmodified_since, b->if_unmodified_since) &&
	       same_span(a->if_modified_since, b->if_modified_since) &&
	       same_span(a->if_none_match, b->if_none_match) && same_span(a->range, b->range) &&
	       same_span(a->if_range, b->if_range) &&
	       same_span(a->accept_encoding, b->accept_encoding) &&
	       a->connection_close == b->connection_close &&
	       a->connection_keep_alive == b->connection_keep_alive &&
	       a->has_content_length == b->has_content_length &&
	       a->content_length == b->content_length &&
	       a->has_transfer_encoding == b->has_transfer_encoding && a->chunked == b->chunked &&
	       a->host_count == b->host_count && a->head_len == b->head_len;
}

static void check_same(const struct outcome *a, const struct outcome *b, const char *how)
{
	if (a->result != b->result) {
		fprintf(stderr, "result %d whole, %d %s\n", a->result, b->result, how);
		fail("different results");
	}
	if (a->result == HTTP_PARSE_ERROR && a->status != b->status) {
		fprintf(stderr, "status %d whole, %d %s\n", a->status, b->status, how);
		fail("different status");
	}
	/* An error answer uses what was read before the fault (the method, the
	 * request-line, fields for the log): that too must not depend on splits. */
	if (a->result != HTTP_PARSE_NEED_MORE && !same_request(&a->req, &b->req)) {
		fprintf(stderr, "request fields differ %s\n", how);
		fail("different request");
	}
}

static void check_status(int status)
{
	check(status == 400 || status == 414 || status == 431 || status == 501 || status == 505,
	      "unexpected error status");
}

static void check_span(struct http_span s, size_t head_len)
{
	check((size_t)s.off + s.len <= head_len, "span ends past the head");
	check(s.len == 0 || s.off < head_len, "span starts past the head");
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* A field value: no OWS at either end, only field-vchar, SP and HTAB inside. */
static void check_value(const char *bytes, struct http_span s, size_t head_len)
{
	check_span(s, head_len);
	if (s.len == 0)
		return;
	check(!is_ows(bytes[s.off]) && !is_ows(bytes[s.off + s.len - 1]),
	      "field value with OWS at an end");
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)bytes[s.off + i];
		check(c == '\t' || (c >= 0x20 && c != 0x7f), "bad byte in field value");
	}
}

static void check_method(const char *bytes, const struct http_request *req)
{
	static const char *const names[] = {
	    [HTTP_METHOD_GET] = "GET",         [HTTP_METHOD_HEAD] = "HEAD",
	    [HTTP_METHOD_POST] = "POST",       [HTTP_METHOD_PUT] = "PUT",
	    [HTTP_METHOD_DELETE] = "DELETE",   [HTTP_METHOD_CONNECT] = "CONNECT",
	    [HTTP_METHOD_OPTIONS] = "OPTIONS", [HTTP_METHOD_TRACE] = "TRACE",
	    [HTTP_METHOD_PATCH] = "PATCH",
	};
	const char *name = bytes + req->method_name.off;
	size_t len = req->method_name.len;

	check(len > 0, "empty method");
	for (size_t m = HTTP_METHOD_GET; m < sizeof names / sizeof names[0]; m++)
		if (strlen(names[m]) == len && memcmp(names[m], name, len) == 0) {
			check(req->method == (enum http_method)m, "method misclassified");
			return;
		}
	check(req->method == HTTP_METHOD_OTHER, "unknown method classified as known");
}

static void check_request_line(const char *bytes, const struct http_request *req)
{
	struct http_span line = req->request_line, target = req->target;

	check(line.len > 0 && (size_t)line.off + line.len + 2 <= req->head_len,
	      "request line outside the head");
	check(line.len <= HTTP_MAX_REQUEST_LINE, "request line over the limit");
	check(req->method_name.off == line.off, "method does not start the request line");
	check(target.len > 0 && target.off > line.off &&
	          target.off + target.len < line.off + line.len,
	      "target outside the request line");
	for (uint32_t i = 0; i < target.len; i++) {
		unsigned char c = (unsigned char)bytes[target.off + i];
		check(c > 0x20 && c < 0x7f, "bad byte in target");
	}
	check(memcmp(bytes + line.off + line.len - 8, "HTTP/1.", 7) == 0, "version not HTTP/1.x");
	check(req->version_minor == 0 || req->version_minor == 1, "bad version_minor");
}

static void check_done(const char *bytes, size_t len, const struct http_request *req)
{
	size_t head = req->head_len;

	check(head >= 4 && head <= len, "head_len out of range");
	check(head <= HTTP_MAX_HEAD, "head longer than HTTP_MAX_HEAD");
	check(memcmp(bytes + head - 4, "\r\n\r\n", 4) == 0, "head does not end with CRLFCRLF");
	check_method(bytes, req);
	check_request_line(bytes, req);
	const struct http_span values[] = {
	    req->host,
	    req->user_agent,
	    req->referer,
	    req->if_match,
	    req->if_unmodified_since,
	    req->if_modified_since,
	    req->if_none_match,
	    req->range,
	    req->if_range,
	    req->accept_encoding,
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		check_value(bytes, values[i], head);
	check(req->host_count <= 1, "DONE with several Host fields");
	check(req->version_minor == 0 || req->host_count == 1, "HTTP/1.1 DONE without Host");
	check(req->has_transfer_encoding == req->chunked,
	      "DONE with Transfer-Encoding not chunked");
	check(!req->chunked || (!req->has_content_length && req->version_minor == 1),
	      "DONE with chunked and Content-Length, or in HTTP/1.0");
	check(req->has_content_length || req->content_length == 0, "stray content_length");
	check(req->content_length < 1000000000000000000ull, "content_length over 18 digits");
}

static void check_outcome(const char *bytes, size_t len, const struct outcome *o)
{
	if (o->result == HTTP_PARSE_ERROR)
		check_status(o->status);
	else if (o->result == HTTP_PARSE_DONE)
		check_done(bytes, len, &o->req);
	else
		check(o->result == HTTP_PARSE_NEED_MORE, "unknown result");
}

/* Returns the head length after DONE, 0 otherwise. */
static size_t check_request(const char *bytes, size_t len, uint32_t seed)
{
	struct outcome whole, steps, bytewise;

	parse_whole(bytes, len, &whole);
	check_outcome(bytes, len, &whole);
	parse_in_steps(bytes, len, seed, 0, &steps);
	check_same(&whole, &steps, "in steps");
	if (len <= BYTEWISE_MAX) {
		parse_in_steps(bytes, len, seed, 1, &bytewise);
		check_same(&whole, &bytewise, "byte by byte");
		/* Fed byte by byte, the answer comes with the byte that decides it. */
		if (whole.result == HTTP_PARSE_DONE)
			check(bytewise.fed == whole.req.head_len, "DONE not at head_len");
	}
	return whole.result == HTTP_PARSE_DONE ? whole.req.head_len : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < SEED_BYTES)
		return 0;
	uint32_t seed = (uint32_t)data[0] << 8 | data[1];
	const char *bytes = (const char *)data + SEED_BYTES;
	size_t len = size - SEED_BYTES;

	for (int n = 0; n < MAX_PIPELINED; n++) {
		size_t head = check_request(bytes, len, seed);
		if (head == 0)
			break;
		bytes += head;
		len -= head;
		seed = seed * 2654435761u + 1;
	}
	return 0;
}
