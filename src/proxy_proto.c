/* proxy_proto — the PROXY protocol header, one byte at a time (see the header
 * for the strictness rules). Each byte goes through step(), which decides from
 * the bytes before it only: that is what makes every split of the input give
 * the same answer. */
#include "autoconfig.h"

#include "proxy_proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

enum state {
	ST_START,
	ST_V1,       /* the text line, kept in buf until its LF */
	ST_V2_FIXED, /* the 16 fixed bytes */
	ST_V2_ADDR,  /* the address bytes of an INET, INET6 or UNIX block */
	ST_V2_TLV,   /* the TLVs after them */
	ST_V2_SKIP,  /* a block that is not looked at (LOCAL, UNSPEC) */
	ST_DONE,
	ST_ERROR,
};

static const char v1_prefix[] = "PROXY ";
enum { V1_PREFIX_LEN = sizeof v1_prefix - 1, V1_NAME_LEN = 5 /* "PROXY" */ };

static const uint8_t v2_signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                         0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
enum {
	V2_SIG_LEN = sizeof v2_signature,
	V2_VER_CMD = 12, /* offsets in the fixed part */
	V2_FAM = 13,
	V2_LEN_HI = 14,
	V2_LEN_LO = 15,
	V2_CMD_LOCAL = 0x0,
	V2_CMD_PROXY = 0x1,
	V2_AF_UNSPEC = 0x0,
	V2_AF_INET = 0x1,
	V2_AF_INET6 = 0x2,
	V2_AF_UNIX = 0x3,
	V2_TRANSPORT_UNSPEC = 0x0,
	V2_TRANSPORT_STREAM = 0x1,
	V2_TRANSPORT_DGRAM = 0x2,
	V2_INET_ADDR_LEN = 2 * 4 + 2 * 2,
	V2_INET6_ADDR_LEN = 2 * 16 + 2 * 2,
	V2_UNIX_ADDR_LEN = 2 * 108,
	TLV_HEAD_LEN = 3,
};

_Static_assert(PROXY_V2_FIXED_LEN + V2_INET6_ADDR_LEN <= PROXY_V1_MAX_LEN,
               "buf holds the fixed part and the IPv6 addresses");

void proxy_parser_init(struct proxy_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = ST_START;
	p->error = PROXY_ERR_NONE;
	p->result.src.ss_family = AF_UNSPEC;
	p->result.dst.ss_family = AF_UNSPEC;
}

const char *proxy_error_name(enum proxy_error e)
{
	switch (e) {
	case PROXY_ERR_NONE:
		return "none";
	case PROXY_ERR_NO_HEADER:
		return "no header";
	case PROXY_ERR_MALFORMED:
		return "malformed";
	case PROXY_ERR_OVERSIZED:
		return "oversized";
	case PROXY_ERR_UNSUPPORTED:
		return "unsupported";
	}
	return "?";
}

static enum proxy_status fail(struct proxy_parser *p, enum proxy_error e, const char *detail)
{
	p->state = ST_ERROR;
	p->error = e;
	p->detail = detail;
	return PROXY_ERROR;
}

static enum proxy_status done_local(struct proxy_parser *p)
{
	p->state = ST_DONE;
	p->result.local = true;
	return PROXY_DONE;
}

/* ---------------------------------------------------------------- version 1 */

/* The field that starts after the single space at line[*pos]; false when there
 * is no space there or the field is empty (two spaces, or a space at the end). */
static bool v1_next_field(const char *line, size_t n, size_t *pos, const char **field, size_t *flen)
{
	if (*pos >= n || line[*pos] != ' ')
		return false;
	size_t start = ++*pos;
	while (*pos < n && line[*pos] != ' ')
		++*pos;
	*field = line + start;
	*flen = *pos - start;
	return *flen > 0;
}

static bool v1_port(const char *s, size_t len, uint16_t *out)
{
	unsigned v = 0;
	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* An address of the family and its port into ss. */
static bool v1_address(int family, const char *s, size_t len, struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN];
	if (len >= sizeof text)
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		return inet_pton(AF_INET, text, &sin->sin_addr) == 1;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	return inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* "src dst sport dport" after "TCP4" or "TCP6", from line[pos] to line[n]. */
static enum proxy_status v1_tcp(struct proxy_parser *p, int family, const char *line, size_t n,
                                size_t pos)
{
	const char *field[4];
	size_t flen[4];
	uint16_t sport, dport;

	for (size_t i = 0; i < 4; i++)
		if (!v1_next_field(line, n, &pos, &field[i], &flen[i]))
			return fail(p, PROXY_ERR_MALFORMED,
			            "v1: not four fields after the protocol");
	if (pos != n)
		return fail(p, PROXY_ERR_MALFORMED, "v1: more than four fields after the protocol");
	if (!v1_address(family, field[0], flen[0], &p->result.src))
		return fail(p, PROXY_ERR_MALFORMED, "v1: bad source address");
	if (!v1_address(family, field[1], flen[1], &p->result.dst))
		return fail(p, PROXY_ERR_MALFORMED, "v1: bad destination address");
	if (!v1_port(field[2], flen[2], &sport))
		return fail(p, PROXY_ERR_MALFORMED, "v1: bad source port");
	if (!v1_port(field[3], flen[3], &dport))
		return fail(p, PROXY_ERR_MALFORMED, "v1: bad destination port");
	set_port(&p->result.src, sport);
	set_port(&p->result.dst, dport);
	p->state = ST_DONE;
	return PROXY_DONE;
}

/* The whole line, CRLF excluded: "PROXY " then the protocol and its fields. */
static enum proxy_status v1_line(struct proxy_parser *p, size_t n)
{
	const char *line = (const char *)p->buf;
	size_t pos = V1_PREFIX_LEN;
	while (pos < n && line[pos] != ' ')
		pos++;
	const char *proto = line + V1_PREFIX_LEN;
	size_t proto_len = pos - V1_PREFIX_LEN;

	if (proto_len == 4 && memcmp(proto, "TCP4", 4) == 0)
		return v1_tcp(p, AF_INET, line, n, pos);
	if (proto_len == 4 && memcmp(proto, "TCP6", 4) == 0)
		return v1_tcp(p, AF_INET6, line, n, pos);
	if (proto_len == 7 && memcmp(proto, "UNKNOWN", 7) == 0)
		return done_local(p); /* what follows is to be ignored */
	if (proto_len == 0)
		return fail(p, PROXY_ERR_MALFORMED, "v1: no protocol");
	return fail(p, PROXY_ERR_UNSUPPORTED, "v1: protocol other than TCP4, TCP6, UNKNOWN");
}

static enum proxy_status v1_byte(struct proxy_parser *p, uint8_t c)
{
	size_t i = p->seen;
	p->buf[i] = c;
	if (i < V1_PREFIX_LEN && c != (uint8_t)v1_prefix[i])
		return i < V1_NAME_LEN ? fail(p, PROXY_ERR_NO_HEADER, "does not begin with PROXY")
		                       : fail(p, PROXY_ERR_MALFORMED, "v1: no space after PROXY");
	if (i > 0 && p->buf[i - 1] == '\r' && c != '\n')
		return fail(p, PROXY_ERR_MALFORMED, "v1: CR without LF");
	if (c == '\n') {
		if (i == 0 || p->buf[i - 1] != '\r')
			return fail(p, PROXY_ERR_MALFORMED, "v1: LF without CR");
		return v1_line(p, i - 1);
	}
	if (c != '\r' && (c < 0x20 || c > 0x7e))
		return fail(p, PROXY_ERR_MALFORMED, "v1: byte other than printable US-ASCII");
	if (i + 1 >= PROXY_V1_MAX_LEN)
		return fail(p, PROXY_ERR_OVERSIZED, "v1: no CRLF within 107 bytes");
	return PROXY_NEED_MORE;
}

/* ---------------------------------------------------------------- version 2 */

static unsigned v2_command(const struct proxy_parser *p)
{
	return p->buf[V2_VER_CMD] & 0x0fu;
}

/* The address family and the transport, after the version and command are
 * known good. */
static enum proxy_status v2_family(struct proxy_parser *p)
{
	unsigned family = p->buf[V2_FAM] >> 4, transport = p->buf[V2_FAM] & 0x0fu;
	if (v2_command(p) == V2_CMD_LOCAL)
		return PROXY_NEED_MORE; /* the family is ignored */
	if (family > V2_AF_UNIX)
		return fail(p, PROXY_ERR_MALFORMED, "v2: unassigned address family");
	if (transport > V2_TRANSPORT_DGRAM)
		return fail(p, PROXY_ERR_MALFORMED, "v2: unassigned transport");
	if (transport == V2_TRANSPORT_DGRAM)
		return fail(p, PROXY_ERR_UNSUPPORTED, "v2: datagram transport");
	return PROXY_NEED_MORE;
}

/* How many address bytes the block must begin with: 0 when it is skipped. */
static size_t v2_address_length(const struct proxy_parser *p)
{
	if (v2_command(p) == V2_CMD_LOCAL)
		return 0;
	switch (p->buf[V2_FAM]) {
	case V2_AF_INET << 4 | V2_TRANSPORT_STREAM:
		return V2_INET_ADDR_LEN;
	case V2_AF_INET6 << 4 | V2_TRANSPORT_STREAM:
		return V2_INET6_ADDR_LEN;
	case V2_AF_UNIX << 4 | V2_TRANSPORT_STREAM:
		return V2_UNIX_ADDR_LEN;
	default:
		return 0; /* UNSPEC family or transport: opaque */
	}
}

static void v2_set_inet(struct sockaddr_storage *ss, const uint8_t *addr, const uint8_t *port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof *ss);
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, addr, 4);
	memcpy(&sin->sin_port, port, 2); /* both in network byte order already */
}

static void v2_set_inet6(struct sockaddr_storage *ss, const uint8_t *addr, const uint8_t *port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof *ss);
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, addr, 16);
	memcpy(&sin6->sin6_port, port, 2);
}

/* The block is complete: the result from the addresses kept in buf. */
static enum proxy_status v2_finish(struct proxy_parser *p)
{
	const uint8_t *a = p->buf + PROXY_V2_FIXED_LEN;
	if (p->addr_len == V2_INET_ADDR_LEN) {
		v2_set_inet(&p->result.src, a, a + 8);
		v2_set_inet(&p->result.dst, a + 4, a + 10);
	} else if (p->addr_len == V2_INET6_ADDR_LEN) {
		v2_set_inet6(&p->result.src, a, a + 32);
		v2_set_inet6(&p->result.dst, a + 16, a + 34);
	} else {
		return done_local(p); /* LOCAL, UNSPEC, UNIX */
	}
	p->state = ST_DONE;
	return PROXY_DONE;
}

/* The length field is in: check it against the bound and the family. */
static enum proxy_status v2_block_start(struct proxy_parser *p)
{
	p->block_len = (size_t)p->buf[V2_LEN_HI] << 8 | p->buf[V2_LEN_LO];
	if (p->block_len > PROXY_V2_MAX_BLOCK)
		return fail(p, PROXY_ERR_OVERSIZED, "v2: block longer than 1536 bytes");
	p->addr_len = v2_address_length(p);
	if (p->block_len < p->addr_len)
		return fail(p, PROXY_ERR_MALFORMED, "v2: block shorter than its addresses");
	if (p->block_len == 0)
		return v2_finish(p);
	p->state = p->addr_len > 0 ? ST_V2_ADDR : ST_V2_SKIP;
	return PROXY_NEED_MORE;
}

static enum proxy_status v2_fixed_byte(struct proxy_parser *p, uint8_t c)
{
	size_t i = p->seen;
	p->buf[i] = c;
	if (i < V2_SIG_LEN)
		return c == v2_signature[i]
		           ? PROXY_NEED_MORE
		           : fail(p, PROXY_ERR_NO_HEADER, "does not begin with the v2 signature");
	if (i == V2_VER_CMD) {
		if (c >> 4 != 2)
			return fail(p, PROXY_ERR_UNSUPPORTED, "v2: version other than 2");
		if (v2_command(p) > V2_CMD_PROXY)
			return fail(p, PROXY_ERR_MALFORMED,
			            "v2: command other than LOCAL or PROXY");
	}
	if (i == V2_FAM)
		return v2_family(p);
	if (i == V2_LEN_LO)
		return v2_block_start(p);
	return PROXY_NEED_MORE;
}

/* A byte of the TLVs; remaining: the block's bytes from this one on. While a
 * head is being read, tlv_left holds the part of its length seen so far. */
static enum proxy_status v2_tlv_byte(struct proxy_parser *p, uint8_t c, size_t remaining)
{
	if (p->tlv_head == 0 && p->tlv_left > 0) {
		p->tlv_left--;
		return PROXY_NEED_MORE;
	}
	switch (p->tlv_head++) {
	case 0: /* the type */
		if (remaining < TLV_HEAD_LEN)
			return fail(p, PROXY_ERR_MALFORMED, "v2: TLV head past the block");
		return PROXY_NEED_MORE;
	case 1: /* the length, high byte */
		p->tlv_left = (size_t)c << 8;
		return PROXY_NEED_MORE;
	default:
		p->tlv_head = 0;
		p->tlv_left |= c;
		if (p->tlv_left > remaining - 1)
			return fail(p, PROXY_ERR_MALFORMED, "v2: TLV value past the block");
		return PROXY_NEED_MORE;
	}
}

static enum proxy_status v2_block_byte(struct proxy_parser *p, uint8_t c)
{
	size_t at = p->seen - PROXY_V2_FIXED_LEN; /* this byte's offset in the block */
	enum proxy_status st = PROXY_NEED_MORE;

	if (p->state == ST_V2_ADDR) {
		if (p->addr_len <= V2_INET6_ADDR_LEN)
			p->buf[p->seen] = c;
		if (at + 1 == p->addr_len)
			p->state = ST_V2_TLV;
	} else if (p->state == ST_V2_TLV) {
		st = v2_tlv_byte(p, c, p->block_len - at);
	}
	if (st == PROXY_NEED_MORE && at + 1 == p->block_len)
		return v2_finish(p);
	return st;
}

/* ------------------------------------------------------------------ feeding */

static enum proxy_status step(struct proxy_parser *p, uint8_t c)
{
	enum proxy_status st;
	if (p->state == ST_START) {
		if (c == (uint8_t)v1_prefix[0])
			p->state = ST_V1;
		else if (c == v2_signature[0])
			p->state = ST_V2_FIXED;
		else
			return fail(p, PROXY_ERR_NO_HEADER, "does not begin with a PROXY header");
	}
	switch (p->state) {
	case ST_V1:
		st = v1_byte(p, c);
		break;
	case ST_V2_FIXED:
		st = v2_fixed_byte(p, c);
		break;
	default:
		st = v2_block_byte(p, c);
		break;
	}
	p->seen++;
	return st;
}

enum proxy_status proxy_parser_feed(struct proxy_parser *p, const void *data, size_t len,
                                    size_t *consumed)
{
	const uint8_t *bytes = data;
	enum proxy_status st = p->state == ST_DONE    ? PROXY_DONE
	                       : p->state == ST_ERROR ? PROXY_ERROR
	                                              : PROXY_NEED_MORE;
	size_t i = 0;
	while (st == PROXY_NEED_MORE && i < len)
		st = step(p, bytes[i++]);
	*consumed = i;
	return st;
}
