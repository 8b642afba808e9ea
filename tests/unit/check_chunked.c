/* Unit tests for chunked: valid bodies with extensions and trailers, every
 * malformed form the header names (each refused at its first faulty byte), the
 * limits, and the same answer for every split of the bytes and byte by byte. */
#include "autoconfig.h"

#include "chunked.h"

#include "check_run.h"

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* What follows the body on a keep-alive connection: never part of it. */
static const char next_request[] = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";

/* ------------------------------------------------------------------ helpers */

/* data, made printable for failure messages (truncated; one static buffer). */
static const char *show(const char *data, size_t len)
{
	static char out[300];
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

enum { DATA_CAP = 256 };

struct outcome {
	enum chunked_result result;
	int status;      /* after CHUNKED_ERROR */
	size_t consumed; /* over all calls */
	uint64_t body_bytes;
	uint64_t data_seen;
	char data[DATA_CAP]; /* the chunk data handed to the sink */
	size_t data_len;
	bool data_overflow;
};

static void collect(void *ctx, const char *data, size_t len)
{
	struct outcome *o = ctx;
	ck_assert_msg(len > 0, "the sink got an empty span");
	if (o->data_len + len > DATA_CAP) {
		o->data_overflow = true;
		return;
	}
	memcpy(o->data + o->data_len, data, len);
	o->data_len += len;
}

/* One call with bytes [from, to), from an exactly sized heap copy, so that a
 * read past the end is a sanitizer report. */
static enum chunked_result feed_range(struct chunked_decoder *d, struct outcome *o,
                                      const char *text, size_t from, size_t to)
{
	size_t n = to - from, consumed = 0;
	char *copy = malloc(n > 0 ? n : 1);
	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, text + from, n);
	enum chunked_result r = chunked_feed(d, copy, n, &consumed);
	free(copy);
	ck_assert_msg(consumed <= n, "consumed %zu of %zu bytes", consumed, n);
	if (r == CHUNKED_NEED_MORE)
		ck_assert_msg(consumed == n, "NEED_MORE after taking %zu of %zu bytes", consumed,
		              n);
	o->consumed += consumed;
	return r;
}

/* Feed text in the pieces that cuts (non-decreasing) make, then the rest;
 * stop at the first answer, as a caller does. */
static struct outcome decode_cuts(const char *text, size_t len, uint64_t max_body,
                                  const size_t *cuts, size_t ncuts)
{
	struct chunked_decoder d;
	struct outcome o;
	size_t from = 0;

	memset(&o, 0, sizeof o);
	chunked_init(&d, max_body);
	chunked_set_sink(&d, collect, &o);
	o.result = CHUNKED_NEED_MORE;
	for (size_t i = 0; i <= ncuts && o.result == CHUNKED_NEED_MORE; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		o.result = feed_range(&d, &o, text, from, to);
		from = to;
	}
	o.status = d.status;
	o.body_bytes = d.body_bytes;
	o.data_seen = chunked_data_seen(&d);
	return o;
}

static struct outcome decode_whole(const char *text, size_t len, uint64_t max_body)
{
	return decode_cuts(text, len, max_body, NULL, 0);
}

static struct outcome decode_split(const char *text, size_t len, uint64_t max_body, size_t cut)
{
	return decode_cuts(text, len, max_body, &cut, 1);
}

static struct outcome decode_byte_by_byte(const char *text, size_t len, uint64_t max_body)
{
	struct chunked_decoder d;
	struct outcome o;

	memset(&o, 0, sizeof o);
	chunked_init(&d, max_body);
	chunked_set_sink(&d, collect, &o);
	o.result = CHUNKED_NEED_MORE;
	for (size_t i = 0; i < len && o.result == CHUNKED_NEED_MORE; i++)
		o.result = feed_range(&d, &o, text, i, i + 1);
	o.status = d.status;
	o.body_bytes = d.body_bytes;
	o.data_seen = chunked_data_seen(&d);
	return o;
}

static const char *result_name(enum chunked_result r)
{
	switch (r) {
	case CHUNKED_NEED_MORE:
		return "NEED_MORE";
	case CHUNKED_DONE:
		return "DONE";
	case CHUNKED_ERROR:
		return "ERROR";
	}
	return "(invalid result)";
}

static void assert_same_outcome(const struct outcome *got, const struct outcome *want,
                                const char *what)
{
	ck_assert_msg(got->result == want->result, "%s: %s, expected %s", what,
	              result_name(got->result), result_name(want->result));
	if (want->result == CHUNKED_ERROR)
		ck_assert_msg(got->status == want->status, "%s: status %d, expected %d", what,
		              got->status, want->status);
	ck_assert_msg(got->consumed == want->consumed, "%s: consumed %zu, expected %zu", what,
	              got->consumed, want->consumed);
	ck_assert_msg(got->body_bytes == want->body_bytes, "%s: body_bytes %llu, expected %llu",
	              what, (unsigned long long)got->body_bytes,
	              (unsigned long long)want->body_bytes);
	ck_assert_msg(got->data_len == want->data_len &&
	                  memcmp(got->data, want->data, want->data_len) == 0,
	              "%s: data \"%s\" differs", what, show(got->data, got->data_len));
}

/* The same outcome fed whole, split at every point, and byte by byte. */
static void assert_split_invariant(const char *text, size_t len, uint64_t max_body,
                                   const char *name)
{
	struct outcome whole = decode_whole(text, len, max_body);
	struct outcome o;
	char what[200];

	for (size_t cut = 0; cut <= len; cut++) {
		o = decode_split(text, len, max_body, cut);
		snprintf(what, sizeof what, "%s, split at %zu", name, cut);
		assert_same_outcome(&o, &whole, what);
	}
	o = decode_byte_by_byte(text, len, max_body);
	snprintf(what, sizeof what, "%s, byte by byte", name);
	assert_same_outcome(&o, &whole, what);
}

static char *concat(const char *a, size_t alen, const char *b, size_t blen)
{
	char *p = malloc(alen + blen + 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, a, alen);
	memcpy(p + alen, b, blen);
	p[alen + blen] = '\0';
	return p;
}

/* ------------------------------------------------------------- valid bodies */

struct valid_case {
	const char *name;
	const char *text;
	size_t len;
	const char *data; /* the chunk data, concatenated */
	size_t data_len;
};

#define VALID(name, text, data)                                                                    \
	{                                                                                          \
		name, text, sizeof(text) - 1, data, sizeof(data) - 1                               \
	}

static const struct valid_case valid_cases[] = {
    VALID("last chunk only", "0\r\n\r\n", ""),
    VALID("one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello"),
    VALID("three chunks", "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", "hello world"),
    VALID("hex sizes in both cases", "a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n",
          "0123456789abcdefghijk"),
    VALID("sizes with leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello"),
    VALID("sixteen digits", "0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n", "hello"),
    VALID("data holding CRLF, NUL and a last chunk",
          "c\r\n\r\n\0\r\n0\r\n\r\n\xff\xfe\r\n0\r\n\r\n", "\r\n\0\r\n0\r\n\r\n\xff\xfe"),
    VALID("extension names", "5;name\r\nhello\r\n0;last;x\r\n\r\n", "hello"),
    VALID("extension token values", "5;a=b;!#$%&'*+-.^_`|~09azAZ=c\r\nhello\r\n0\r\n\r\n", "hello"),
    VALID("extension quoted values",
          "5;a=\"x y\";b=\"\";c=\"\\\"\\\\\\q\";d=\"\t\x80\xff\"\r\nhello\r\n0\r\n\r\n", "hello"),
    VALID("BWS around ; and =", "5 ;a = b ;\tc\t=\t\"q\"\t; d\r\nhello\r\n0 ;e\r\n\r\n", "hello"),
    VALID("a name then BWS then the next extension", "5;a ;b\r\nhello\r\n0\r\n\r\n", "hello"),
    VALID("a quoted value then the next extension", "5;a=\"b\";c=\"d\" ;e\r\nhello\r\n0\r\n\r\n",
          "hello"),
    VALID("trailer fields", "0\r\nX-Sum: abc\r\nExpires: Thu, 01 Dec 1994 16:00:00 GMT\r\n\r\n",
          ""),
    VALID("trailer values: empty, OWS, obs-text",
          "3\r\nabc\r\n0\r\nX-A:\r\nX-B: \t v \t\r\nX-C:\x80\xff\r\n\r\n", "abc"),
    VALID("framing fields in trailers frame nothing",
          "0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", ""),
};

START_TEST(test_valid)
{
	const struct valid_case *c = &valid_cases[_i];
	struct outcome o = decode_whole(c->text, c->len, UINT64_MAX);

	ck_assert_msg(o.result == CHUNKED_DONE, "%s: %s (status %d)", c->name,
	              result_name(o.result), o.status);
	ck_assert_msg(o.consumed == c->len, "%s: consumed %zu of %zu", c->name, o.consumed, c->len);
	ck_assert_uint_eq(o.body_bytes, c->data_len);
	ck_assert_uint_eq(o.data_seen, c->data_len);
	ck_assert(!o.data_overflow);
	ck_assert_msg(o.data_len == c->data_len && memcmp(o.data, c->data, c->data_len) == 0,
	              "%s: data \"%s\"", c->name, show(o.data, o.data_len));
}
END_TEST

START_TEST(test_valid_every_split)
{
	const struct valid_case *c = &valid_cases[_i];
	assert_split_invariant(c->text, c->len, UINT64_MAX, c->name);
}
END_TEST

/* The body ends at its final CRLF: the next request is not taken, however the
 * bytes arrive. */
START_TEST(test_valid_then_next_request)
{
	const struct valid_case *c = &valid_cases[_i];
	size_t total = c->len + sizeof next_request - 1;
	char *text = concat(c->text, c->len, next_request, sizeof next_request - 1);
	struct outcome o = decode_whole(text, total, UINT64_MAX);

	ck_assert_msg(o.result == CHUNKED_DONE && o.consumed == c->len, "%s: %s, consumed %zu",
	              c->name, result_name(o.result), o.consumed);
	assert_split_invariant(text, total, UINT64_MAX, c->name);
	free(text);
}
END_TEST

/* A body not yet complete asks for more, whatever prefix it is. */
START_TEST(test_valid_prefixes_need_more)
{
	const struct valid_case *c = &valid_cases[_i];
	for (size_t n = 0; n < c->len; n++) {
		struct outcome o = decode_whole(c->text, n, UINT64_MAX);
		ck_assert_msg(o.result == CHUNKED_NEED_MORE && o.consumed == n,
		              "%s: the first %zu bytes give %s", c->name, n, result_name(o.result));
	}
}
END_TEST

/* After DONE or ERROR nothing more is taken and the answer stays. */
START_TEST(test_sticky)
{
	static const char good[] = "1\r\nx\r\n0\r\n\r\nGET";
	static const char bad[] = "1\r\nxy\r\n";
	struct chunked_decoder d;
	size_t consumed;

	chunked_init(&d, UINT64_MAX);
	ck_assert_int_eq(chunked_feed(&d, good, sizeof good - 1, &consumed), CHUNKED_DONE);
	ck_assert_uint_eq(consumed, sizeof good - 4);
	ck_assert_int_eq(chunked_feed(&d, "0\r\n\r\n", 5, &consumed), CHUNKED_DONE);
	ck_assert_uint_eq(consumed, 0);

	chunked_init(&d, UINT64_MAX);
	ck_assert_int_eq(chunked_feed(&d, bad, sizeof bad - 1, &consumed), CHUNKED_ERROR);
	ck_assert_uint_eq(consumed, 5); /* up to the "y" */
	ck_assert_int_eq(d.status, 400);
	ck_assert_int_eq(chunked_feed(&d, "\r\n0\r\n\r\n", 7, &consumed), CHUNKED_ERROR);
	ck_assert_uint_eq(consumed, 0);
	ck_assert_int_eq(d.status, 400);

	/* init starts over. */
	chunked_init(&d, UINT64_MAX);
	ck_assert_int_eq(chunked_feed(&d, good, sizeof good - 1, &consumed), CHUNKED_DONE);
}
END_TEST

/* Without a sink the data is dropped; the counts are kept all the same. */
START_TEST(test_counts_without_sink)
{
	static const char text[] = "5\r\nhel";
	struct chunked_decoder d;
	size_t consumed;

	chunked_init(&d, UINT64_MAX);
	ck_assert_int_eq(chunked_feed(&d, text, sizeof text - 1, &consumed), CHUNKED_NEED_MORE);
	ck_assert_uint_eq(consumed, sizeof text - 1);
	ck_assert_uint_eq(d.body_bytes, 5);
	ck_assert_uint_eq(chunked_data_seen(&d), 3);
	ck_assert_int_eq(chunked_feed(&d, "lo\r\n0\r\n\r\n", 9, &consumed), CHUNKED_DONE);
	ck_assert_uint_eq(chunked_data_seen(&d), 5);
}
END_TEST

/* ---------------------------------------------------------- malformed bodies */

/* good: bytes that are fine; bad: the rest, its first byte the faulty one. */
struct error_case {
	const char *name;
	const char *good;
	const char *bad;
	size_t bad_len;
	int status;
};

#define ERR(name, good, bad, status)                                                               \
	{                                                                                          \
		name, good, bad, sizeof(bad) - 1, status                                           \
	}

static const struct error_case error_cases[] = {
    /* chunk-size: 1*HEXDIG, nothing before it, at most 16 digits. */
    ERR("empty size line", "", "\r\n0\r\n\r\n", 400),
    ERR("a size that is not hex", "", "x\r\n", 400),
    ERR("a hex digit then a letter", "1", "g\r\n", 400),
    ERR("a plus sign", "", "+5\r\nhello\r\n0\r\n\r\n", 400),
    ERR("a minus sign", "", "-5\r\n", 400),
    ERR("0x", "0", "x5\r\nhello\r\n0\r\n\r\n", 400),
    ERR("SP before the size", "", " 5\r\nhello\r\n", 400),
    ERR("HTAB before the size", "", "\t5\r\nhello\r\n", 400),
    ERR("SP after the size", "5 ", "\r\nhello\r\n0\r\n\r\n", 400),
    ERR("HTAB after the size", "5\t", "\r\nhello\r\n0\r\n\r\n", 400),
    ERR("SP inside the size", "1 ", "0\r\n", 400),
    ERR("seventeen digits", "0000000000000000", "5\r\nhello\r\n0\r\n\r\n", 400),
    ERR("seventeen zeros in the last chunk", "0000000000000000", "0\r\n\r\n", 400),
    ERR("NUL in the size", "1", "\0\r\n", 400),
    ERR("a size line of the next chunk missing", "1\r\nx\r\n", "\r\n", 400),
    /* Line endings. */
    ERR("bare LF after the size", "5", "\nhello\r\n0\r\n\r\n", 400),
    ERR("bare CR after the size", "5\r", "hello\r\n0\r\n\r\n", 400),
    ERR("CR CR LF after the size", "5\r", "\r\nhello\r\n", 400),
    ERR("bare LF after an extension", "5;a=b", "\nhello\r\n", 400),
    ERR("bare LF after the data", "5\r\nhello", "\n0\r\n\r\n", 400),
    ERR("bare CR after the data", "5\r\nhello\r", "0\r\n\r\n", 400),
    ERR("bare LF after the last chunk", "0", "\n\r\n", 400),
    ERR("bare LF as the final line", "0\r\n", "\n", 400),
    ERR("bare CR as the final line", "0\r\n\r", "X", 400),
    ERR("bare LF after a trailer", "0\r\nX: a", "\n\r\n", 400),
    ERR("bare CR in a trailer", "0\r\nX: a\r", "b\r\n\r\n", 400),
    /* The data and its CRLF. */
    ERR("more data than the size", "3\r\nabc", "de\r\n0\r\n\r\n", 400),
    ERR("less data than the size", "5\r\nhel\r\n", "0\r\n\r\n", 400),
    ERR("no CRLF after the data", "3\r\nabc", "0\r\n\r\n", 400),
    ERR("LF CR after the data", "3\r\nabc", "\n\r0\r\n\r\n", 400),
    /* Chunk extensions. */
    ERR("; without a name", "5;", "\r\nhello\r\n", 400),
    ERR("= without a name", "5;", "=b\r\n", 400),
    ERR("= without a value", "5;a=", "\r\nhello\r\n", 400),
    ERR("a name with @", "5;a", "@b\r\n", 400),
    ERR("a name then a word", "5;a ", "b\r\n", 400),
    ERR("a token value then a word", "5;a=b ", "c\r\n", 400),
    ERR("SP after a name at the line end", "5;a ", "\r\nhello\r\n", 400),
    ERR("SP after a value at the line end", "5;a=b ", "\r\nhello\r\n", 400),
    ERR("SP after a quoted value at the line end", "5;a=\"b\" ", "\r\nhello\r\n", 400),
    ERR("a byte after the closing quote", "5;a=\"b\"", "c\r\n", 400),
    ERR("an unterminated quoted value", "5;a=\"b", "\r\nhello\r\n", 400),
    ERR("a control byte in a quoted value", "5;a=\"", "\x01\"\r\n", 400),
    ERR("DEL in a quoted value", "5;a=\"", "\x7f\"\r\n", 400),
    ERR("a control byte after a backslash", "5;a=\"\\", "\x01\"\r\n", 400),
    ERR("CR after a backslash", "5;a=\"\\", "\r\n", 400),
    ERR("a quote in a token value", "5;a=b", "\"\r\n", 400),
    ERR("obs-text in a token value", "5;a=", "\x80\r\n", 400),
    ERR("a comma between extensions", "5;a", ",b\r\n", 400),
    /* Trailer fields. */
    ERR("obs-fold in the trailers", "0\r\nX: a\r\n", " b\r\n\r\n", 400),
    ERR("obs-fold with HTAB", "0\r\nX: a\r\n", "\tb\r\n\r\n", 400),
    ERR("a first trailer line starting with SP", "0\r\n", " X: a\r\n\r\n", 400),
    ERR("SP before the colon", "0\r\nX", " : a\r\n\r\n", 400),
    ERR("an empty field name", "0\r\n", ":a\r\n\r\n", 400),
    ERR("a trailer line without a colon", "0\r\nXa", "\r\n\r\n", 400),
    ERR("a field name with /", "0\r\nX", "/Y: a\r\n\r\n", 400),
    ERR("a field name with a byte >= 0x80", "0\r\nX", "\xc3\xb6: a\r\n\r\n", 400),
    ERR("DEL in a trailer value", "0\r\nX: a", "\x7f\r\n\r\n", 400),
    ERR("NUL in a trailer value", "0\r\nX: a", "\0\r\n\r\n", 400),
    ERR("a data line after the last chunk", "0\r\nhello", "\r\n\r\n", 400),
    ERR("a chunk after the last chunk", "0\r\n5", "\r\nhello\r\n\r\n", 400),
};

static char *error_text(const struct error_case *c, size_t *len)
{
	size_t good = strlen(c->good);
	*len = good + c->bad_len;
	return concat(c->good, good, c->bad, c->bad_len);
}

START_TEST(test_error)
{
	const struct error_case *c = &error_cases[_i];
	size_t len;
	char *text = error_text(c, &len);
	struct outcome o = decode_whole(text, len, UINT64_MAX);
	size_t at = strlen(c->good) + 1;

	ck_assert_msg(o.result == CHUNKED_ERROR && o.status == c->status,
	              "%s: %s status %d, expected %d for \"%s\"", c->name, result_name(o.result),
	              o.status, c->status, show(text, len));
	ck_assert_msg(o.consumed == at, "%s: refused after %zu bytes, expected %zu", c->name,
	              o.consumed, at);
	/* The good part alone is fine so far. */
	o = decode_whole(text, strlen(c->good), UINT64_MAX);
	ck_assert_msg(o.result == CHUNKED_NEED_MORE, "%s: the good part gives %s", c->name,
	              result_name(o.result));
	free(text);
}
END_TEST

START_TEST(test_error_every_split)
{
	const struct error_case *c = &error_cases[_i];
	size_t len;
	char *text = error_text(c, &len);
	assert_split_invariant(text, len, UINT64_MAX, c->name);
	free(text);
}
END_TEST

/* ------------------------------------------------------------------- limits */

/* "1" + extensions of ext_bytes bytes (";" and a name) in each of nchunks
 * chunks, then the last chunk; trailers: nfields lines, the last padded so
 * that the trailer section is trailer_bytes long (as short as can be when 0). */
static char *make_body(size_t ext_bytes, size_t nchunks, size_t nfields, size_t trailer_bytes,
                       size_t *len)
{
	static const char filler[] = "X-F: v\r\n";
	static const char pad_name[] = "X-Pad: ";
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	ck_assert_ptr_nonnull(f);
	for (size_t c = 0; c < nchunks; c++) {
		fputc('1', f);
		if (ext_bytes > 0) {
			fputc(';', f);
			for (size_t i = 1; i < ext_bytes; i++)
				fputc('e', f);
		}
		fputs("\r\nx\r\n", f);
	}
	fputs("0\r\n", f);
	if (nfields > 0) {
		size_t fixed = (nfields - 1) * (sizeof filler - 1) + (sizeof pad_name - 1) + 2;
		ck_assert(trailer_bytes == 0 || trailer_bytes >= fixed);
		for (size_t i = 0; i + 1 < nfields; i++)
			fputs(filler, f);
		fputs(pad_name, f);
		for (size_t i = fixed; i < trailer_bytes; i++)
			fputc('p', f);
		fputs("\r\n", f);
	}
	fputs("\r\n", f);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

struct limit_case {
	const char *name;
	size_t ext_bytes, nchunks, nfields, trailer_bytes;
	int status; /* 0: accepted */
};

static const struct limit_case limit_cases[] = {
    {"extensions of the maximum size", CHUNKED_MAX_EXT_BYTES, 1, 0, 0, 0},
    {"extensions one byte too large", CHUNKED_MAX_EXT_BYTES + 1, 1, 0, 0, 400},
    {"extensions of the maximum size over four chunks", CHUNKED_MAX_EXT_BYTES / 4, 4, 0, 0, 0},
    {"extensions too large over five chunks", CHUNKED_MAX_EXT_BYTES / 4, 5, 0, 0, 400},
    {"the maximum number of trailer fields", 0, 1, CHUNKED_MAX_TRAILER_FIELDS, 0, 0},
    {"one trailer field too many", 0, 1, CHUNKED_MAX_TRAILER_FIELDS + 1, 0, 431},
    {"a trailer section of the maximum size", 0, 1, 2, CHUNKED_MAX_TRAILER_BYTES, 0},
    {"a trailer section one byte too large", 0, 1, 2, CHUNKED_MAX_TRAILER_BYTES + 1, 431},
    {"a trailer section far too large", 0, 1, 2, 4 * CHUNKED_MAX_TRAILER_BYTES, 431},
};

START_TEST(test_limit)
{
	const struct limit_case *c = &limit_cases[_i];
	size_t len;
	char *text = make_body(c->ext_bytes, c->nchunks, c->nfields, c->trailer_bytes, &len);
	struct outcome whole = decode_whole(text, len, UINT64_MAX);

	if (c->status == 0)
		ck_assert_msg(whole.result == CHUNKED_DONE && whole.consumed == len,
		              "%s: %s status %d", c->name, result_name(whole.result), whole.status);
	else
		ck_assert_msg(whole.result == CHUNKED_ERROR && whole.status == c->status,
		              "%s: %s status %d, expected %d", c->name, result_name(whole.result),
		              whole.status, c->status);
	struct outcome o = decode_byte_by_byte(text, len, UINT64_MAX);
	assert_same_outcome(&o, &whole, c->name);
	o = decode_split(text, len, UINT64_MAX, len / 2);
	assert_same_outcome(&o, &whole, c->name);
	free(text);
}
END_TEST

/* The announced sizes may not pass max_body: 413 at the digit that passes it,
 * before the data is read. */
struct size_case {
	const char *name;
	const char *text;
	uint64_t max_body;
	enum chunked_result result;
	int status;
	size_t consumed;
	uint64_t body_bytes;
};

static const struct size_case size_cases[] = {
    {"a body of max_body bytes", "a\r\n0123456789\r\n0\r\n\r\n", 10, CHUNKED_DONE, 0, 20, 10},
    {"a chunk of max_body + 1", "b\r\n0123456789a\r\n0\r\n\r\n", 10, CHUNKED_ERROR, 413, 1, 0},
    {"two chunks over max_body", "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 10, CHUNKED_ERROR, 413,
     11, 5},
    {"refused at the digit that passes", "0FFFFFFF", 100, CHUNKED_ERROR, 413, 3, 0},
    {"max_body 0 takes an empty body", "0\r\n\r\n", 0, CHUNKED_DONE, 0, 5, 0},
    {"max_body 0 refuses a chunk", "1\r\nx\r\n0\r\n\r\n", 0, CHUNKED_ERROR, 413, 1, 0},
    {"the largest size without a bound", "ffffffffffffffff\r\n", UINT64_MAX, CHUNKED_NEED_MORE, 0,
     18, UINT64_MAX},
    {"sizes that pass UINT64_MAX", "2\r\nxx\r\nffffffffffffffff\r\n", UINT64_MAX, CHUNKED_ERROR,
     413, 23, 2},
    {"17 significant digits", "10000000000000000\r\n", UINT64_MAX, CHUNKED_ERROR, 400, 17, 0},
};

START_TEST(test_size)
{
	const struct size_case *c = &size_cases[_i];
	size_t len = strlen(c->text);
	struct outcome o = decode_whole(c->text, len, c->max_body);

	ck_assert_msg(o.result == c->result && o.status == c->status,
	              "%s: %s status %d, expected %s %d", c->name, result_name(o.result), o.status,
	              result_name(c->result), c->status);
	ck_assert_msg(o.consumed == c->consumed, "%s: consumed %zu, expected %zu", c->name,
	              o.consumed, c->consumed);
	ck_assert_msg(o.body_bytes == c->body_bytes, "%s: body_bytes %llu", c->name,
	              (unsigned long long)o.body_bytes);
	assert_split_invariant(c->text, len, c->max_body, c->name);
}
END_TEST

/* ------------------------------------------------- random bodies, spoiled */

static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static void append(char *text, size_t cap, size_t *len, const char *bytes, size_t n)
{
	if (*len + n > cap)
		n = cap - *len;
	memcpy(text + *len, bytes, n);
	*len += n;
}

/* A valid body of a few chunks with extensions and trailers. */
static size_t random_body(uint32_t *rng, char *text, size_t cap)
{
	static const char *const exts[] = {"", ";a", ";a=b", " ; a = \"q\\\"\"", ";x;y=z"};
	static const char *const trailers[] = {"X: y\r\n", "Sum: 12\r\n", "E:\r\n"};
	size_t len = 0, nchunks = next_random(rng) % 4;
	char line[64];

	for (size_t c = 0; c < nchunks; c++) {
		size_t size = 1 + next_random(rng) % 20;
		const char *ext = exts[next_random(rng) % ARRAY_LEN(exts)];
		int n = snprintf(line, sizeof line, "%zx%s\r\n", size, ext);
		append(text, cap, &len, line, (size_t)n);
		for (size_t i = 0; i < size; i++) {
			char b = (char)next_random(rng);
			append(text, cap, &len, &b, 1);
		}
		append(text, cap, &len, "\r\n", 2);
	}
	append(text, cap, &len, "0\r\n", 3);
	for (size_t t = next_random(rng) % 3; t > 0; t--) {
		const char *tr = trailers[next_random(rng) % ARRAY_LEN(trailers)];
		append(text, cap, &len, tr, strlen(tr));
	}
	append(text, cap, &len, "\r\n", 2);
	return len;
}

START_TEST(test_random_bodies)
{
	enum { ROUNDS = 3000 };
	static char text[512];
	uint32_t rng = 0xc0ffee11u;
	unsigned done = 0, errors = 0;

	for (int round = 0; round < ROUNDS; round++) {
		size_t len = random_body(&rng, text, sizeof text);
		struct outcome whole = decode_whole(text, len, UINT64_MAX);
		ck_assert_msg(whole.result == CHUNKED_DONE && whole.consumed == len,
		              "a valid body gives %s: \"%s\"", result_name(whole.result),
		              show(text, len));
		/* Spoil one byte, most rounds; the answer may change but not with
		 * the splits. */
		if (round % 4 != 0)
			text[next_random(&rng) % len] = (char)next_random(&rng);
		whole = decode_whole(text, len, UINT64_MAX);
		size_t cuts[3];
		for (size_t i = 0; i < ARRAY_LEN(cuts); i++)
			cuts[i] = next_random(&rng) % (len + 1);
		for (size_t i = 1; i < ARRAY_LEN(cuts); i++)
			for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
				size_t t = cuts[j];
				cuts[j] = cuts[j - 1];
				cuts[j - 1] = t;
			}
		struct outcome steps = decode_cuts(text, len, UINT64_MAX, cuts, ARRAY_LEN(cuts));
		assert_same_outcome(&steps, &whole, show(text, len));
		if (whole.result == CHUNKED_ERROR)
			ck_assert_int_eq(whole.status, 400);
		done += whole.result == CHUNKED_DONE;
		errors += whole.result == CHUNKED_ERROR;
	}
	ck_assert_uint_gt(done, ROUNDS / 4);
	ck_assert_uint_gt(errors, ROUNDS / 4);
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *chunked_suite(void)
{
	Suite *s = suite_create("chunked");
	TCase *valid = tcase_create("valid");
	TCase *errors = tcase_create("errors");
	TCase *limits = tcase_create("limits");
	TCase *random = tcase_create("random");

	tcase_add_loop_test(valid, test_valid, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_every_split, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_then_next_request, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_prefixes_need_more, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_test(valid, test_sticky);
	tcase_add_test(valid, test_counts_without_sink);
	suite_add_tcase(s, valid);

	tcase_add_loop_test(errors, test_error, 0, (int)ARRAY_LEN(error_cases));
	tcase_add_loop_test(errors, test_error_every_split, 0, (int)ARRAY_LEN(error_cases));
	suite_add_tcase(s, errors);

	tcase_set_timeout(limits, 60);
	tcase_add_loop_test(limits, test_limit, 0, (int)ARRAY_LEN(limit_cases));
	tcase_add_loop_test(limits, test_size, 0, (int)ARRAY_LEN(size_cases));
	suite_add_tcase(s, limits);

	tcase_set_timeout(random, 60);
	tcase_add_test(random, test_random_bodies);
	suite_add_tcase(s, random);
	return s;
}

int main(void)
{
	return check_run(chunked_suite());
}
