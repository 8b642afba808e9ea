/* Unit tests for proxy_proto: valid version 1 and 2 headers, every malformed
 * form the header names (each refused at its first faulty byte, with its
 * reason), the length bounds, and the same answer for every split of the
 * bytes and byte by byte. */
#include "autoconfig.h"

#include "proxy_proto.h"

#include "check_run.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A string literal as bytes and their count: v2 headers hold NULs. */
#define BYTES(s) s, sizeof(s) - 1

/* The version 2 signature, then the version and command byte and so on. */
#define SIG "\r\n\r\n\0\r\nQUIT\n"
#define V4_ADDRS                                                                                   \
	"\xc0\x00\x02\x01"                                                                         \
	"\xc6\x33\x64\x02"                                                                         \
	"\xd4\x31"                                                                                 \
	"\x01\xbb"
#define V6_SRC                                                                                     \
	"\x20\x01\x0d\xb8"                                                                         \
	"\0\0\0\0"                                                                                 \
	"\0\0\0\0"                                                                                 \
	"\0\0\0\x01"
#define V6_DST                                                                                     \
	"\x20\x01\x0d\xb8"                                                                         \
	"\0\0\0\0"                                                                                 \
	"\0\0\0\0"                                                                                 \
	"\0\0\0\x02"
#define V6_ADDRS                                                                                   \
	V6_SRC V6_DST "\xd4\x31"                                                                   \
	              "\x01\xbb"

/* What follows the header on the connection: never part of it. */
static const char next_request[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

enum { MAX_INPUT = 2048 };

/* ------------------------------------------------------------------ helpers */

static const char *show(const char *data, size_t len)
{
	static char out[400];
	size_t o = 0;
	for (size_t i = 0; i < len && o + 8 < sizeof out; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (o + 8 >= sizeof out)
		o += (size_t)snprintf(out + o, sizeof out - o, "...");
	out[o] = '\0';
	return out;
}

struct outcome {
	enum proxy_status status;
	enum proxy_error error;
	const char *detail; /* after PROXY_ERROR */
	size_t consumed;    /* over all calls */
	struct proxy_result result;
};

/* Feed data in pieces ending at the given cut points (ascending), then the rest;
 * stop at the first answer other than NEED_MORE, as a server would. */
static struct outcome feed_cuts(const char *data, size_t len, const size_t *cuts, size_t ncuts)
{
	struct proxy_parser p;
	struct outcome o = {PROXY_NEED_MORE, PROXY_ERR_NONE, NULL, 0, {0}};
	size_t from = 0;

	proxy_parser_init(&p);
	for (size_t k = 0; k <= ncuts && o.status == PROXY_NEED_MORE; k++) {
		size_t to = k < ncuts ? cuts[k] : len;
		size_t took = 0;
		o.status = proxy_parser_feed(&p, data + from, to - from, &took);
		ck_assert_uint_le(took, to - from);
		if (o.status == PROXY_NEED_MORE)
			ck_assert_uint_eq(took, to - from);
		o.consumed += took;
		from = to;
	}
	o.error = p.error;
	o.detail = p.detail;
	if (o.status == PROXY_ERROR)
		ck_assert_ptr_nonnull(p.detail);
	o.result = p.result;
	return o;
}

static struct outcome feed_whole(const char *data, size_t len)
{
	return feed_cuts(data, len, NULL, 0);
}

static struct outcome feed_byte_by_byte(const char *data, size_t len)
{
	static size_t cuts[MAX_INPUT];
	ck_assert_uint_le(len, MAX_INPUT);
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	return feed_cuts(data, len, cuts, len > 0 ? len - 1 : 0);
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		       x->sin6_port == y->sin6_port;
	}
	return true;
}

static void assert_same_outcome(const struct outcome *got, const struct outcome *want,
                                const char *how, const char *input)
{
	ck_assert_msg(got->status == want->status && got->error == want->error &&
	                  got->consumed == want->consumed,
	              "%s \"%s\": status %d error %d consumed %zu, whole: %d %d %zu", how, input,
	              got->status, got->error, got->consumed, want->status, want->error,
	              want->consumed);
	if (want->status == PROXY_DONE) {
		ck_assert_msg(got->result.local == want->result.local, "%s: local differs", how);
		ck_assert_msg(same_address(&got->result.src, &want->result.src) &&
		                  same_address(&got->result.dst, &want->result.dst),
		              "%s \"%s\": addresses differ", how, input);
	}
}

/* Every two-piece split, and byte by byte, give what the whole gives. */
static void assert_split_invariant(const char *data, size_t len)
{
	struct outcome whole = feed_whole(data, len);
	const char *input = show(data, len);
	for (size_t cut = 0; cut <= len; cut++) {
		struct outcome two = feed_cuts(data, len, &cut, 1);
		assert_same_outcome(&two, &whole, "two pieces", input);
	}
	struct outcome bytes = feed_byte_by_byte(data, len);
	assert_same_outcome(&bytes, &whole, "byte by byte", input);
}

/* An address as "text port", for messages and comparisons. */
static const char *address_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		port = ntohs(sin6->sin6_port);
	} else {
		snprintf(out, size, "unspec");
		return out;
	}
	snprintf(out, size, "%s %u", host, port);
	return out;
}

/* -------------------------------------------------------------- valid cases */

struct valid_case {
	const char *data;
	size_t len;
	const char *src; /* "address port", or NULL for local */
	const char *dst;
};

static const struct valid_case valid_cases[] = {
    {BYTES("PROXY TCP4 192.0.2.1 198.51.100.2 54321 443\r\n"), "192.0.2.1 54321",
     "198.51.100.2 443"},
    {BYTES("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"), "255.255.255.255 65535",
     "255.255.255.255 65535"},
    {BYTES("PROXY TCP4 0.0.0.0 10.0.0.1 0 1\r\n"), "0.0.0.0 0", "10.0.0.1 1"},
    {BYTES("PROXY TCP6 2001:db8::1 2001:db8::2 54321 443\r\n"), "2001:db8::1 54321",
     "2001:db8::2 443"},
    {BYTES("PROXY TCP6 ::ffff:192.0.2.1 ::1 1024 80\r\n"), "::ffff:192.0.2.1 1024", "::1 80"},
    {BYTES("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
           "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF 65535 65535\r\n"),
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535"},
    {BYTES("PROXY UNKNOWN\r\n"), NULL, NULL},
    {BYTES("PROXY UNKNOWN 2001:db8::1 2001:db8::2 54321 443\r\n"), NULL, NULL},
    {BYTES("PROXY UNKNOWN whatever follows is ignored\r\n"), NULL, NULL},
    /* v2 PROXY over TCP */
    {BYTES(SIG "\x21\x11\x00\x0c" V4_ADDRS), "192.0.2.1 54321", "198.51.100.2 443"},
    {BYTES(SIG "\x21\x21\x00\x24" V6_ADDRS), "2001:db8::1 54321", "2001:db8::2 443"},
    /* with TLVs: ALPN "h2", an empty NOOP, a unique ID */
    {BYTES(SIG "\x21\x11\x00\x1b" V4_ADDRS "\x01\x00\x02"
               "h2"
               "\x04\x00\x00"
               "\x05\x00\x04"
               "abcd"),
     "192.0.2.1 54321", "198.51.100.2 443"},
    {BYTES(SIG "\x21\x21\x00\x2b" V6_ADDRS "\x02\x00\x04"
               "host"),
     "2001:db8::1 54321", "2001:db8::2 443"},
    /* a TLV whose value is 0x0100 bytes long is read with both length bytes */
    {BYTES(SIG "\x21\x11\x01\x0f" V4_ADDRS "\xe0\x01\x00"
               "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
               "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
               "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
               "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
     "192.0.2.1 54321", "198.51.100.2 443"},
    /* v2 PROXY with an UNSPEC family or transport: the socket's addresses */
    {BYTES(SIG "\x21\x00\x00\x00"), NULL, NULL},
    {BYTES(SIG "\x21\x00\x00\x05"
               "\x01\x02\x03\x04\x05"),
     NULL, NULL},
    {BYTES(SIG "\x21\x10\x00\x0c" V4_ADDRS), NULL, NULL},
    /* v2 LOCAL: the family and the block are ignored, whatever they hold */
    {BYTES(SIG "\x20\x00\x00\x00"), NULL, NULL},
    {BYTES(SIG "\x20\x11\x00\x0c" V4_ADDRS), NULL, NULL},
    {BYTES(SIG "\x20\xff\x00\x03"
               "\x04\x00\x09"),
     NULL, NULL},
};

static void assert_valid(const struct valid_case *c, const struct outcome *o)
{
	char got[80], want[80];
	const char *input = show(c->data, c->len);
	ck_assert_msg(o->status == PROXY_DONE, "\"%s\": status %d error %d", input, o->status,
	              o->error);
	ck_assert_uint_eq(o->consumed, c->len);
	ck_assert_int_eq(o->error, PROXY_ERR_NONE);
	if (c->src == NULL) {
		ck_assert_msg(o->result.local, "\"%s\": not local", input);
		ck_assert_int_eq(o->result.src.ss_family, AF_UNSPEC);
		ck_assert_int_eq(o->result.dst.ss_family, AF_UNSPEC);
		return;
	}
	ck_assert_msg(!o->result.local, "\"%s\": local", input);
	ck_assert_str_eq(address_text(&o->result.src, got, sizeof got), c->src);
	ck_assert_str_eq(address_text(&o->result.dst, want, sizeof want), c->dst);
}

START_TEST(test_valid)
{
	const struct valid_case *c = &valid_cases[_i];
	struct outcome o = feed_whole(c->data, c->len);
	assert_valid(c, &o);
}
END_TEST

START_TEST(test_valid_every_split)
{
	const struct valid_case *c = &valid_cases[_i];
	assert_split_invariant(c->data, c->len);
}
END_TEST

/* The request after the header, in the same buffer, is left as it is. */
START_TEST(test_valid_then_request)
{
	const struct valid_case *c = &valid_cases[_i];
	static char buf[MAX_INPUT];
	size_t len = c->len + strlen(next_request);
	ck_assert_uint_le(len, sizeof buf);
	memcpy(buf, c->data, c->len);
	memcpy(buf + c->len, next_request, strlen(next_request));

	struct outcome o = feed_whole(buf, len);
	assert_valid(c, &o);
	ck_assert_mem_eq(buf + o.consumed, next_request, strlen(next_request));
	assert_split_invariant(buf, len);
}
END_TEST

START_TEST(test_valid_prefixes_need_more)
{
	const struct valid_case *c = &valid_cases[_i];
	for (size_t n = 0; n < c->len; n++) {
		struct outcome o = feed_whole(c->data, n);
		ck_assert_msg(o.status == PROXY_NEED_MORE, "prefix %zu of \"%s\": status %d", n,
		              show(c->data, c->len), o.status);
		ck_assert_uint_eq(o.consumed, n);
	}
}
END_TEST

/* DONE and ERROR stay, and take nothing more. */
START_TEST(test_sticky)
{
	static const char v1[] = "PROXY UNKNOWN\r\nGET";
	struct proxy_parser p;
	size_t took = 99;

	proxy_parser_init(&p);
	ck_assert_int_eq(proxy_parser_feed(&p, v1, strlen(v1), &took), PROXY_DONE);
	ck_assert_uint_eq(took, strlen("PROXY UNKNOWN\r\n"));
	ck_assert_int_eq(proxy_parser_feed(&p, "GET", 3, &took), PROXY_DONE);
	ck_assert_uint_eq(took, 0);

	proxy_parser_init(&p);
	ck_assert_int_eq(proxy_parser_feed(&p, "GET", 3, &took), PROXY_ERROR);
	ck_assert_uint_eq(took, 1);
	ck_assert_int_eq(proxy_parser_feed(&p, "PROXY", 5, &took), PROXY_ERROR);
	ck_assert_uint_eq(took, 0);
	ck_assert_int_eq(p.error, PROXY_ERR_NO_HEADER);
}
END_TEST

START_TEST(test_error_names)
{
	ck_assert_str_eq(proxy_error_name(PROXY_ERR_MALFORMED), "malformed");
	ck_assert_str_eq(proxy_error_name(PROXY_ERR_OVERSIZED), "oversized");
	ck_assert_str_eq(proxy_error_name(PROXY_ERR_UNSUPPORTED), "unsupported");
	ck_assert_str_eq(proxy_error_name(PROXY_ERR_NO_HEADER), "no header");
}
END_TEST

/* -------------------------------------------------------------- error cases */

struct error_case {
	const char *data;
	size_t len;
	enum proxy_error error;
	size_t at;       /* the bytes taken: up to and including the faulty one */
	const char *why; /* when set: a part of the detail, the rule broken */
};

/* A line refused as a whole, at its LF: all of it is taken. */
#define AT_LF 0

#define V1_TCP4(rest) "PROXY TCP4 " rest
static const struct error_case error_cases[] = {
    /* no header at all */
    {BYTES("GET / HTTP/1.1\r\n"), PROXY_ERR_NO_HEADER, 1, "begin"},
    {BYTES("POST / HTTP/1.1\r\n"), PROXY_ERR_NO_HEADER, 2, "begin"},
    {BYTES("proxy TCP4"), PROXY_ERR_NO_HEADER, 1, "begin"},
    {BYTES("\x16\x03\x01"), PROXY_ERR_NO_HEADER, 1, "begin"}, /* a TLS ClientHello */
    {BYTES("\r\n\r\n\0\r\nQUIT\x0b"), PROXY_ERR_NO_HEADER, 12, "v2 signature"},
    {BYTES("\r\nGET"), PROXY_ERR_NO_HEADER, 3, "v2 signature"},
    /* version 1: framing */
    {BYTES("PROXY\r\n"), PROXY_ERR_MALFORMED, 6, "no space after PROXY"},
    {BYTES("PROXYTCP4"), PROXY_ERR_MALFORMED, 6, "no space after PROXY"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 54321 443\n")), PROXY_ERR_MALFORMED, 44,
     "LF without CR"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 54321 443\r\r\n")), PROXY_ERR_MALFORMED, 45,
     "CR without LF"},
    {BYTES(V1_TCP4("192.0.2.1\r198.51.100.2 54321 443\r\n")), PROXY_ERR_MALFORMED, 22,
     "CR without LF"},
    {BYTES("PROXY UNKNOWN\n"), PROXY_ERR_MALFORMED, 14, "LF without CR"},
    {BYTES("PROXY UNKNOWN\r"
           "X\r\n"),
     PROXY_ERR_MALFORMED, 15, "CR without LF"},
    {BYTES(V1_TCP4("192.0.2.1\t198.51.100.2 54321 443\r\n")), PROXY_ERR_MALFORMED, 21, "printable"},
    {BYTES("PROXY UNKNOWN \x80\r\n"), PROXY_ERR_MALFORMED, 15, "printable"},
    {BYTES("PROXY UNKNOWN \0\r\n"), PROXY_ERR_MALFORMED, 15, "printable"},
    /* version 1: fields */
    {BYTES("PROXY \r\n"), PROXY_ERR_MALFORMED, AT_LF, "no protocol"},
    {BYTES("PROXY  TCP4 192.0.2.1 198.51.100.2 54321 443\r\n"), PROXY_ERR_MALFORMED, AT_LF,
     "no protocol"},
    {BYTES(V1_TCP4(" 192.0.2.1 198.51.100.2 54321 443\r\n")), PROXY_ERR_MALFORMED, AT_LF, "field"},
    {BYTES(V1_TCP4("192.0.2.1  198.51.100.2 54321 443\r\n")), PROXY_ERR_MALFORMED, AT_LF, "field"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 54321 443 \r\n")), PROXY_ERR_MALFORMED, AT_LF, "field"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 54321\r\n")), PROXY_ERR_MALFORMED, AT_LF, "field"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 54321 443 1\r\n")), PROXY_ERR_MALFORMED, AT_LF, "field"},
    {BYTES("PROXY TCP4\r\n"), PROXY_ERR_MALFORMED, AT_LF, "field"},
    {BYTES("PROXY TCP5 192.0.2.1 198.51.100.2 54321 443\r\n"), PROXY_ERR_UNSUPPORTED, AT_LF,
     "protocol other"},
    {BYTES("PROXY UDP4 192.0.2.1 198.51.100.2 54321 443\r\n"), PROXY_ERR_UNSUPPORTED, AT_LF,
     "protocol other"},
    {BYTES("PROXY tcp4 192.0.2.1 198.51.100.2 54321 443\r\n"), PROXY_ERR_UNSUPPORTED, AT_LF,
     "protocol other"},
    {BYTES("PROXY UNKNOWNX\r\n"), PROXY_ERR_UNSUPPORTED, AT_LF, "protocol other"},
    /* version 1: addresses */
    {BYTES(V1_TCP4("192.0.2.256 198.51.100.2 54321 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source address"},
    {BYTES(V1_TCP4("192.0.2.01 198.51.100.2 54321 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source address"},
    {BYTES(V1_TCP4("192.0.2 198.51.100.2 54321 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source address"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.x 54321 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "destination address"},
    {BYTES(V1_TCP4("2001:db8::1 198.51.100.2 54321 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source address"},
    {BYTES("PROXY TCP6 192.0.2.1 2001:db8::2 54321 443\r\n"), PROXY_ERR_MALFORMED, AT_LF,
     "source address"},
    {BYTES("PROXY TCP6 fe80::1%eth0 2001:db8::2 54321 443\r\n"), PROXY_ERR_MALFORMED, AT_LF,
     "source address"},
    {BYTES("PROXY TCP6 2001:db8:::1 2001:db8::2 54321 443\r\n"), PROXY_ERR_MALFORMED, AT_LF,
     "source address"},
    /* version 1: ports */
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 65536 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source port"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 54321 65536\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "destination port"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 99999 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source port"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 123456 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source port"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 +80 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source port"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 -1 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source port"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 080 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source port"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 8a 443\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "source port"},
    {BYTES(V1_TCP4("192.0.2.1 198.51.100.2 80 0x1bb\r\n")), PROXY_ERR_MALFORMED, AT_LF,
     "destination port"},
    /* version 2: version, command, family, transport */
    {BYTES(SIG "\x11\x11\x00\x0c" V4_ADDRS), PROXY_ERR_UNSUPPORTED, 13, "version"},
    {BYTES(SIG "\x31\x11\x00\x0c" V4_ADDRS), PROXY_ERR_UNSUPPORTED, 13, "version"},
    {BYTES(SIG "\x01\x11\x00\x0c" V4_ADDRS), PROXY_ERR_UNSUPPORTED, 13, "version"},
    {BYTES(SIG "\x22\x11\x00\x0c" V4_ADDRS), PROXY_ERR_MALFORMED, 13, "command"},
    {BYTES(SIG "\x2f\x11\x00\x0c" V4_ADDRS), PROXY_ERR_MALFORMED, 13, "command"},
    {BYTES(SIG "\x21\x41\x00\x0c" V4_ADDRS), PROXY_ERR_MALFORMED, 14, "address family"},
    {BYTES(SIG "\x21\xf1\x00\x0c" V4_ADDRS), PROXY_ERR_MALFORMED, 14, "address family"},
    {BYTES(SIG "\x21\x13\x00\x0c" V4_ADDRS), PROXY_ERR_MALFORMED, 14, "unassigned transport"},
    {BYTES(SIG "\x21\x12\x00\x0c" V4_ADDRS), PROXY_ERR_UNSUPPORTED, 14, "datagram"},
    {BYTES(SIG "\x21\x22\x00\x24" V6_ADDRS), PROXY_ERR_UNSUPPORTED, 14, "datagram"},
    {BYTES(SIG "\x21\x32\x00\x00"), PROXY_ERR_UNSUPPORTED, 14, "datagram"},
    /* version 2: lengths */
    {BYTES(SIG "\x21\x11\x00\x0b" V4_ADDRS), PROXY_ERR_MALFORMED, 16, "shorter than its addresses"},
    {BYTES(SIG "\x21\x11\x00\x00"), PROXY_ERR_MALFORMED, 16, "shorter than its addresses"},
    {BYTES(SIG "\x21\x21\x00\x0c" V4_ADDRS), PROXY_ERR_MALFORMED, 16, "shorter than its addresses"},
    {BYTES(SIG "\x21\x21\x00\x23" V6_ADDRS), PROXY_ERR_MALFORMED, 16, "shorter than its addresses"},
    {BYTES(SIG "\x21\x31\x00\xd7"), PROXY_ERR_MALFORMED, 16, "shorter than its addresses"},
    {BYTES(SIG "\x21\x11\x06\x01" V4_ADDRS), PROXY_ERR_OVERSIZED, 16, "longer than"},
    {BYTES(SIG "\x21\x11\xff\xff" V4_ADDRS), PROXY_ERR_OVERSIZED, 16, "longer than"},
    {BYTES(SIG "\x20\x00\xff\xff"), PROXY_ERR_OVERSIZED, 16, "longer than"},
    /* version 2: TLVs that do not fit the block */
    {BYTES(SIG "\x21\x11\x00\x0d" V4_ADDRS "\x04"), PROXY_ERR_MALFORMED, 29, "TLV head"},
    {BYTES(SIG "\x21\x11\x00\x0e" V4_ADDRS "\x04\x00"), PROXY_ERR_MALFORMED, 29, "TLV head"},
    {BYTES(SIG "\x21\x11\x00\x10" V4_ADDRS "\x01\x00\x02"
               "h"),
     PROXY_ERR_MALFORMED, 31, "TLV value"},
    {BYTES(SIG "\x21\x11\x00\x0f" V4_ADDRS "\x01\xff\xff"), PROXY_ERR_MALFORMED, 31, "TLV value"},
    {BYTES(SIG "\x21\x11\x00\x13" V4_ADDRS "\x04\x00\x00"
               "\x01\x00\x02"
               "h2"),
     PROXY_ERR_MALFORMED, 34, "TLV value"},
    {BYTES(SIG "\x21\x11\x00\x13" V4_ADDRS "\x01\x00\x02"
               "h2"
               "\x04\x00"),
     PROXY_ERR_MALFORMED, 34, "TLV head"},
    {BYTES(SIG "\x21\x21\x00\x26" V6_ADDRS "\x01\x00"), PROXY_ERR_MALFORMED, 53, "TLV head"},
};

START_TEST(test_error)
{
	const struct error_case *c = &error_cases[_i];
	size_t at = c->at == AT_LF ? c->len : c->at;
	struct outcome o = feed_whole(c->data, c->len);
	ck_assert_msg(o.status == PROXY_ERROR && o.error == c->error && o.consumed == at,
	              "\"%s\": status %d error %d at %zu, expected error %d at %zu",
	              show(c->data, c->len), o.status, o.error, o.consumed, c->error, at);
	if (c->why != NULL)
		ck_assert_msg(strstr(o.detail, c->why) != NULL, "\"%s\": \"%s\", expected \"%s\"",
		              show(c->data, c->len), o.detail, c->why);
}
END_TEST

START_TEST(test_error_every_split)
{
	const struct error_case *c = &error_cases[_i];
	assert_split_invariant(c->data, c->len);
}
END_TEST

/* -------------------------------------------------- built at run time */

/* A v1 line of exactly len bytes: "PROXY UNKNOWN " padded with 'f', CRLF. */
static size_t v1_unknown_of_length(char *buf, size_t len)
{
	static const char head[] = "PROXY UNKNOWN ";
	memcpy(buf, head, strlen(head));
	memset(buf + strlen(head), 'f', len - strlen(head) - 2);
	memcpy(buf + len - 2, "\r\n", 2);
	return len;
}

START_TEST(test_v1_length_bound)
{
	char buf[PROXY_V1_MAX_LEN + 10];
	size_t len = v1_unknown_of_length(buf, PROXY_V1_MAX_LEN);
	struct outcome o = feed_whole(buf, len);
	ck_assert_int_eq(o.status, PROXY_DONE);
	ck_assert_uint_eq(o.consumed, PROXY_V1_MAX_LEN);
	assert_split_invariant(buf, len);

	len = v1_unknown_of_length(buf, PROXY_V1_MAX_LEN + 1);
	o = feed_whole(buf, len);
	ck_assert_int_eq(o.status, PROXY_ERROR);
	ck_assert_int_eq(o.error, PROXY_ERR_OVERSIZED);
	ck_assert_uint_eq(o.consumed, PROXY_V1_MAX_LEN);
	assert_split_invariant(buf, len);

	/* A line that never ends is refused at its 107th byte. */
	memset(buf, 'f', sizeof buf);
	memcpy(buf, "PROXY ", 6);
	o = feed_whole(buf, sizeof buf);
	ck_assert_int_eq(o.error, PROXY_ERR_OVERSIZED);
	ck_assert_uint_eq(o.consumed, PROXY_V1_MAX_LEN);
}
END_TEST

/* A v2 PROXY TCP4 header whose block is block_len bytes: the addresses, then
 * one NOOP TLV that fills the rest. */
static size_t v2_padded(char *buf, size_t block_len)
{
	static const char head[] = SIG "\x21\x11";
	static const char addrs[] = V4_ADDRS;
	size_t pad = block_len - (sizeof addrs - 1) - 3;
	size_t n = 0;
	memcpy(buf, head, sizeof head - 1);
	n += sizeof head - 1;
	buf[n++] = (char)(block_len >> 8);
	buf[n++] = (char)(block_len & 0xff);
	memcpy(buf + n, addrs, sizeof addrs - 1);
	n += sizeof addrs - 1;
	buf[n++] = 0x04;
	buf[n++] = (char)(pad >> 8);
	buf[n++] = (char)(pad & 0xff);
	memset(buf + n, 0xaa, pad);
	return n + pad;
}

START_TEST(test_v2_length_bound)
{
	static char buf[MAX_INPUT];
	size_t len = v2_padded(buf, PROXY_V2_MAX_BLOCK);
	ck_assert_uint_eq(len, PROXY_V2_FIXED_LEN + PROXY_V2_MAX_BLOCK);
	struct outcome o = feed_whole(buf, len);
	ck_assert_int_eq(o.status, PROXY_DONE);
	ck_assert_uint_eq(o.consumed, len);
	ck_assert(!o.result.local);
	assert_split_invariant(buf, len);

	len = v2_padded(buf, PROXY_V2_MAX_BLOCK + 1);
	o = feed_whole(buf, len);
	ck_assert_int_eq(o.status, PROXY_ERROR);
	ck_assert_int_eq(o.error, PROXY_ERR_OVERSIZED);
	ck_assert_uint_eq(o.consumed, PROXY_V2_FIXED_LEN);
}
END_TEST

/* AF_UNIX over STREAM: the 216 address bytes and TLVs are checked, then the
 * socket's addresses are used. */
START_TEST(test_v2_unix)
{
	static const char head[] = SIG "\x21\x31\x00\xdb";
	char buf[PROXY_V2_FIXED_LEN + 216 + 3 + 16];
	size_t n = sizeof head - 1;
	memcpy(buf, head, n);
	memset(buf + n, 0, 216);
	memcpy(buf + n, "/run/haproxy.sock", 17);
	n += 216;
	memcpy(buf + n, "\x04\x00\x00", 3);
	n += 3;
	struct outcome o = feed_whole(buf, n);
	ck_assert_int_eq(o.status, PROXY_DONE);
	ck_assert_uint_eq(o.consumed, n);
	ck_assert(o.result.local);
	assert_split_invariant(buf, n);

	/* the same with a TLV that overruns the block */
	buf[n - 1] = 0x01;
	o = feed_whole(buf, n);
	ck_assert_int_eq(o.status, PROXY_ERROR);
	ck_assert_int_eq(o.error, PROXY_ERR_MALFORMED);
	ck_assert_uint_eq(o.consumed, n);
	assert_split_invariant(buf, n);
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *proxy_proto_suite(void)
{
	Suite *s = suite_create("proxy_proto");
	TCase *valid = tcase_create("valid");
	TCase *errors = tcase_create("errors");
	TCase *bounds = tcase_create("bounds");

	tcase_add_loop_test(valid, test_valid, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_every_split, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_then_request, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(valid, test_valid_prefixes_need_more, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_test(valid, test_sticky);
	tcase_add_test(valid, test_error_names);
	suite_add_tcase(s, valid);

	tcase_add_loop_test(errors, test_error, 0, (int)ARRAY_LEN(error_cases));
	tcase_add_loop_test(errors, test_error_every_split, 0, (int)ARRAY_LEN(error_cases));
	suite_add_tcase(s, errors);

	tcase_set_timeout(bounds, 60);
	tcase_add_test(bounds, test_v1_length_bound);
	tcase_add_test(bounds, test_v2_length_bound);
	tcase_add_test(bounds, test_v2_unix);
	suite_add_tcase(s, bounds);
	return s;
}

int main(void)
{
	return check_run(proxy_proto_suite());
}
