/* Fuzz target for the PROXY protocol header parser.
 *
 * Input: two bytes that pick a split point, then the connection's first bytes.
 * They are parsed whole, in two pieces at the split point, and one byte at a
 * time; every way must agree on the status, the reason, the bytes consumed and
 * the addresses. Each call gets a fresh, exactly sized copy of its bytes, so a
 * read past them is a sanitizer report. Also: consumed never passes the bytes
 * given; NEED_MORE takes them all; DONE and ERROR stay and take nothing more;
 * a header is never longer than its bound; a TCP4 line, written again from the
 * addresses found, is the line read; a v2 header's address bytes are the
 * addresses found. Any broken rule aborts. */
#include "proxy_proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { CONTROL_BYTES = 2 };

struct outcome {
	enum proxy_status status;
	enum proxy_error error;
	size_t consumed;
	struct proxy_result result;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_proxy_proto: %s\n", what);
	abort();
}

static void check(int ok, const char *what)
{
	if (!ok)
		fail(what);
}

/* One call with bytes [from, to) in a buffer of exactly that size. */
static enum proxy_status feed(struct proxy_parser *p, const uint8_t *bytes, size_t from, size_t to,
                              size_t *consumed)
{
	size_t len = to - from;
	uint8_t *copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		fail("out of memory");
	if (len > 0)
		memcpy(copy, bytes + from, len);
	enum proxy_status st = proxy_parser_feed(p, copy, len, consumed);
	free(copy);
	check(*consumed <= len, "consumed more than given");
	if (st == PROXY_NEED_MORE)
		check(*consumed == len, "NEED_MORE left bytes");
	return st;
}

/* Parse in pieces of step bytes (0: whole). */
static struct outcome parse(const uint8_t *bytes, size_t len, size_t step, size_t split)
{
	struct proxy_parser p;
	struct outcome o;
	size_t from = 0, took;

	memset(&o, 0, sizeof o);
	proxy_parser_init(&p);
	o.status = PROXY_NEED_MORE;
	while (o.status == PROXY_NEED_MORE && from < len) {
		size_t to = step > 0 ? from + step : len;
		if (split > from && split < to)
			to = split;
		if (to > len)
			to = len;
		o.status = feed(&p, bytes, from, to, &took);
		o.consumed += took;
		from = to;
	}
	if (o.status != PROXY_NEED_MORE) {
		enum proxy_status again = feed(&p, bytes, 0, len, &took);
		check(again == o.status && took == 0, "DONE or ERROR did not stay");
	}
	check((o.status == PROXY_ERROR) == (p.error != PROXY_ERR_NONE), "error set without ERROR");
	if (o.status == PROXY_ERROR)
		check(p.detail != NULL && p.error >= PROXY_ERR_NO_HEADER &&
		          p.error <= PROXY_ERR_UNSUPPORTED,
		      "ERROR without a reason");
	o.error = p.error;
	o.result = p.result;
	return o;
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(a, b, sizeof(struct sockaddr_in)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(a, b, sizeof(struct sockaddr_in6)) == 0;
	return true;
}

static void check_same(const struct outcome *a, const struct outcome *b, const char *how)
{
	if (a->status != b->status || a->error != b->error || a->consumed != b->consumed) {
		fprintf(stderr, "%s: status %d error %d consumed %zu; whole: %d %d %zu\n", how,
		        a->status, a->error, a->consumed, b->status, b->error, b->consumed);
		fail("the split changed the answer");
	}
	if (a->status == PROXY_DONE)
		check(a->result.local == b->result.local &&
		          same_address(&a->result.src, &b->result.src) &&
		          same_address(&a->result.dst, &b->result.dst),
		      "the split changed the addresses");
}

/* "PROXY TCP4 a b p q\r\n" from the addresses found must be the line read. */
static void check_tcp4_line(const uint8_t *bytes, const struct outcome *o)
{
	const struct sockaddr_in *s = (const void *)&o->result.src;
	const struct sockaddr_in *d = (const void *)&o->result.dst;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], line[PROXY_V1_MAX_LEN + 1];

	inet_ntop(AF_INET, &s->sin_addr, src, sizeof src);
	inet_ntop(AF_INET, &d->sin_addr, dst, sizeof dst);
	int n = snprintf(line, sizeof line, "PROXY TCP4 %s %s %u %u\r\n", src, dst,
	                 (unsigned)ntohs(s->sin_port), (unsigned)ntohs(d->sin_port));
	check(n > 0 && (size_t)n == o->consumed && memcmp(line, bytes, o->consumed) == 0,
	      "the TCP4 line is not the addresses found");
}

/* The address bytes of a v2 header are the addresses found. */
static void check_v2_addresses(const uint8_t *bytes, const struct outcome *o)
{
	const uint8_t *a = bytes + PROXY_V2_FIXED_LEN;
	if (o->result.src.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&o->result.src;
		const struct sockaddr_in *d = (const void *)&o->result.dst;
		check(o->consumed >= PROXY_V2_FIXED_LEN + 12, "short v2 IPv4 header");
		check(memcmp(&s->sin_addr, a, 4) == 0 && memcmp(&d->sin_addr, a + 4, 4) == 0 &&
		          memcmp(&s->sin_port, a + 8, 2) == 0 &&
		          memcmp(&d->sin_port, a + 10, 2) == 0,
		      "v2 IPv4 addresses differ from the header");
	} else {
		const struct sockaddr_in6 *s = (const void *)&o->result.src;
		const struct sockaddr_in6 *d = (const void *)&o->result.dst;
		check(o->result.src.ss_family == AF_INET6, "v2 result of another family");
		check(o->consumed >= PROXY_V2_FIXED_LEN + 36, "short v2 IPv6 header");
		check(memcmp(&s->sin6_addr, a, 16) == 0 && memcmp(&d->sin6_addr, a + 16, 16) == 0 &&
		          memcmp(&s->sin6_port, a + 32, 2) == 0 &&
		          memcmp(&d->sin6_port, a + 34, 2) == 0,
		      "v2 IPv6 addresses differ from the header");
	}
}

static void check_done(const uint8_t *bytes, const struct outcome *o)
{
	bool v1 = bytes[0] == 'P';
	if (v1) {
		check(o->consumed <= PROXY_V1_MAX_LEN, "v1 header past 107 bytes");
		check(o->consumed >= 2 && memcmp(bytes + o->consumed - 2, "\r\n", 2) == 0,
		      "v1 header without CRLF");
	} else {
		check(o->consumed >= PROXY_V2_FIXED_LEN &&
		          o->consumed <= PROXY_V2_FIXED_LEN + PROXY_V2_MAX_BLOCK,
		      "v2 header length out of bounds");
		check(o->consumed == PROXY_V2_FIXED_LEN + ((size_t)bytes[14] << 8 | bytes[15]),
		      "v2 header not as long as it says");
	}
	if (o->result.local) {
		check(o->result.src.ss_family == AF_UNSPEC && o->result.dst.ss_family == AF_UNSPEC,
		      "local with addresses");
		return;
	}
	check(o->result.src.ss_family == o->result.dst.ss_family, "mixed families");
	if (!v1)
		check_v2_addresses(bytes, o);
	else if (o->result.src.ss_family == AF_INET)
		check_tcp4_line(bytes, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CONTROL_BYTES)
		return 0;
	const uint8_t *bytes = data + CONTROL_BYTES;
	size_t len = size - CONTROL_BYTES;
	size_t split = ((size_t)data[0] << 8 | data[1]) % (len + 1);

	struct outcome whole = parse(bytes, len, 0, 0);
	struct outcome two = parse(bytes, len, 0, split);
	struct outcome one = parse(bytes, len, 1, 0);
	check_same(&two, &whole, "two pieces");
	check_same(&one, &whole, "byte by byte");
	if (whole.status == PROXY_DONE)
		check_done(bytes, &whole);
	return 0;
}
