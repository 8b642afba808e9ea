/* Fuzz target for the chunked body decoder.
 *
 * Input: a control byte that picks max_body, two bytes that pick a split point,
 * then the body bytes. The same bytes are decoded whole, in two pieces at the
 * split point, and (when short) one byte at a time; every way must agree on the
 * result, the status, the bytes consumed, the counts and the chunk data handed
 * to the sink. Each call gets a fresh, exactly sized copy of its bytes, so a
 * read past them, or through a pointer kept from an earlier call, is a
 * sanitizer report. On DONE the data, encoded again as one chunk, must decode
 * to itself. Any broken rule aborts. */
#include "chunked.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	CONTROL_BYTES = 3,
	BYTEWISE_MAX = 1024, /* longer inputs are not fed one byte at a time */
};

struct outcome {
	enum chunked_result result;
	int status;
	size_t consumed;
	uint64_t body_bytes;
	uint64_t data_seen;
	char *data; /* the chunk data, as the sink got it */
	size_t data_len;
	size_t data_cap;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_chunked: %s\n", what);
	abort();
}

static void check(int ok, const char *what)
{
	if (!ok)
		fail(what);
}

static void collect(void *ctx, const char *data, size_t len)
{
	struct outcome *o = ctx;
	check(len > 0, "empty span to the sink");
	/* The data is a part of the input: it cannot be longer. */
	check(len <= o->data_cap - o->data_len, "more data than input");
	memcpy(o->data + o->data_len, data, len);
	o->data_len += len;
}

/* One call with bytes [from, to) in a buffer of exactly that size. */
static enum chunked_result feed(struct chunked_decoder *d, struct outcome *o, const char *bytes,
                                size_t from, size_t to)
{
	size_t n = to - from, consumed = 0;
	char *copy = malloc(n > 0 ? n : 1);
	if (copy == NULL)
		fail("out of memory");
	if (n > 0)
		memcpy(copy, bytes + from, n);
	enum chunked_result r = chunked_feed(d, copy, n, &consumed);
	free(copy);
	check(consumed <= n, "consumed more than given");
	check(r != CHUNKED_NEED_MORE || consumed == n, "NEED_MORE without taking every byte");
	o->consumed += consumed;
	return r;
}

static void start(struct chunked_decoder *d, struct outcome *o, uint64_t max_body, size_t len)
{
	memset(o, 0, sizeof *o);
	o->data = malloc(len > 0 ? len : 1);
	if (o->data == NULL)
		fail("out of memory");
	o->data_cap = len;
	chunked_init(d, max_body);
	chunked_set_sink(d, collect, o);
}

/* After DONE or ERROR, more bytes change nothing. */
static void finish(struct chunked_decoder *d, struct outcome *o, enum chunked_result r)
{
	o->result = r;
	o->status = d->status;
	o->body_bytes = d->body_bytes;
	o->data_seen = chunked_data_seen(d);
	if (r != CHUNKED_NEED_MORE) {
		size_t consumed = 1;
		check(chunked_feed(d, "0\r\n\r\n", 5, &consumed) == r, "answer not sticky");
		check(consumed == 0, "bytes taken after the answer");
		check(d->status == o->status, "status changed after the answer");
	}
}

/* cut == len: whole; otherwise in two pieces. */
static void decode_split(const char *bytes, size_t len, uint64_t max_body, size_t cut,
                         struct outcome *o)
{
	struct chunked_decoder d;
	start(&d, o, max_body, len);
	enum chunked_result r = feed(&d, o, bytes, 0, cut);
	if (r == CHUNKED_NEED_MORE && cut < len)
		r = feed(&d, o, bytes, cut, len);
	finish(&d, o, r);
}

static void decode_bytewise(const char *bytes, size_t len, uint64_t max_body, struct outcome *o)
{
	struct chunked_decoder d;
	enum chunked_result r = CHUNKED_NEED_MORE;
	start(&d, o, max_body, len);
	for (size_t i = 0; i < len && r == CHUNKED_NEED_MORE; i++)
		r = feed(&d, o, bytes, i, i + 1);
	finish(&d, o, r);
}

static void check_same(const struct outcome *a, const struct outcome *b, const char *how)
{
	if (a->result != b->result || a->status != b->status || a->consumed != b->consumed ||
	    a->body_bytes != b->body_bytes || a->data_seen != b->data_seen ||
	    a->data_len != b->data_len || memcmp(a->data, b->data, a->data_len) != 0) {
		fprintf(stderr,
		        "whole: result %d status %d consumed %zu body %llu data %zu; %s: result "
		        "%d status %d consumed %zu body %llu data %zu\n",
		        a->result, a->status, a->consumed, (unsigned long long)a->body_bytes,
		        a->data_len, how, b->result, b->status, b->consumed,
		        (unsigned long long)b->body_bytes, b->data_len);
		fail("different outcomes");
	}
}

static void check_outcome(const char *bytes, size_t len, uint64_t max_body, const struct outcome *o)
{
	check(o->body_bytes <= max_body, "body_bytes past max_body");
	check(o->data_seen <= o->body_bytes, "more data than announced");
	check(o->data_seen == o->data_len, "data_seen is not what the sink got");
	switch (o->result) {
	case CHUNKED_NEED_MORE:
		check(o->consumed == len, "NEED_MORE with bytes left");
		break;
	case CHUNKED_ERROR:
		check(o->status == 400 || o->status == 413 || o->status == 431,
		      "unexpected error status");
		check(o->consumed >= 1, "ERROR before any byte");
		break;
	case CHUNKED_DONE:
		check(o->consumed >= 5, "DONE before the shortest body");
		/* "0" CRLF CRLF, or a trailer field's CRLF and the final CRLF. */
		check(memcmp(bytes + o->consumed - 4, "\r\n\r\n", 4) == 0, "DONE not at CRLF CRLF");
		check(o->data_seen == o->body_bytes, "DONE with data missing");
		break;
	default:
		fail("unknown result");
	}
}

/* The data of a finished body, as a single chunk: it must decode to itself. */
static void check_reencoded(const struct outcome *o)
{
	size_t len = o->data_len;
	char *body = malloc(len + 40);
	if (body == NULL)
		fail("out of memory");
	size_t n = len > 0 ? (size_t)snprintf(body, 40, "%zx\r\n", len) : 0;
	memcpy(body + n, o->data, len);
	n += len;
	if (len > 0) {
		memcpy(body + n, "\r\n", 2);
		n += 2;
	}
	memcpy(body + n, "0\r\n\r\n", 5);
	n += 5;

	struct outcome again;
	decode_split(body, n, UINT64_MAX, n, &again);
	check(again.result == CHUNKED_DONE && again.consumed == n, "re-encoded body not DONE");
	check(again.data_len == len && memcmp(again.data, o->data, len) == 0,
	      "re-encoded body gives other data");
	free(again.data);
	free(body);
}

/* Most inputs without a bound; some with a small one, to reach 413. */
static uint64_t pick_max_body(uint8_t control)
{
	return control < 0xc0 ? UINT64_MAX : (uint64_t)(control - 0xc0) * 5;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CONTROL_BYTES)
		return 0;
	uint64_t max_body = pick_max_body(data[0]);
	const char *bytes = (const char *)data + CONTROL_BYTES;
	size_t len = size - CONTROL_BYTES;
	size_t cut = ((size_t)data[1] << 8 | data[2]) % (len + 1);
	struct outcome whole, split, bytewise;

	decode_split(bytes, len, max_body, len, &whole);
	check_outcome(bytes, len, max_body, &whole);
	decode_split(bytes, len, max_body, cut, &split);
	check_same(&whole, &split, "split");
	if (len <= BYTEWISE_MAX) {
		decode_bytewise(bytes, len, max_body, &bytewise);
		check_same(&whole, &bytewise, "byte by byte");
		free(bytewise.data);
	}
	if (whole.result == CHUNKED_DONE)
		check_reencoded(&whole);
	free(whole.data);
	free(split.data);
	return 0;
}
