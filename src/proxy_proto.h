/* proxy_proto — an incremental parser of the PROXY protocol header, versions 1
 * (text) and 2 (binary), that a load balancer such as HAProxy sends before the
 * first byte of the client's data to say whom the connection is really from.
 *
 * Bytes in; "need more", "done" (with the addresses) or an error (with a reason
 * to count) out. It knows nothing of sockets and allocates nothing. Every byte
 * is judged when it arrives, from the bytes before it only, so however the
 * input is split the answer is the same, and the parser stops at the first
 * faulty byte. On DONE it has taken exactly the header's bytes: what follows
 * in the same buffer (the HTTP request) is left for the caller.
 *
 * A listener that expects the header never guesses: the connection must begin
 * with "PROXY" (version 1) or with the 12-byte version 2 signature, decided by
 * the first byte; anything else is PROXY_ERR_NO_HEADER. Taking a header only
 * from trusted senders, and a deadline for a header that never completes, are
 * the caller's.
 *
 * Named strictness, version 1 ("PROXY TCP4 src dst sport dport\r\n"):
 *  - At most PROXY_V1_MAX_LEN (107) bytes, CRLF included: more is OVERSIZED.
 *  - Printable US-ASCII only; the line ends in CRLF, never a bare CR or LF.
 *  - Exactly one space between fields, none at the ends; exactly four fields
 *    after TCP4 or TCP6.
 *  - Addresses as inet_pton reads them for the family named (no leading zeros
 *    in IPv4 octets, no zone in IPv6), TCP4 with IPv4, TCP6 with IPv6.
 *  - Ports: 1 to 5 decimal digits, no sign, no leading zero ("0" itself is
 *    allowed), at most 65535.
 *  - "PROXY UNKNOWN" then CRLF, or a space and anything printable before the
 *    CRLF (the specification has the receiver ignore it): the socket's own
 *    addresses are used (local).
 *  - Another protocol name is UNSUPPORTED.
 *
 * Named strictness, version 2 (16 fixed bytes, then an address block):
 *  - The version nibble must be 2 (else UNSUPPORTED); the command LOCAL (0) or
 *    PROXY (1), any other is MALFORMED.
 *  - The block length may not pass PROXY_V2_MAX_BLOCK (1,536 bytes): more is
 *    OVERSIZED. HAProxy sends 12 or 36 address bytes and at most a few hundred
 *    bytes of TLVs (ALPN, SNI, a unique ID of up to 128 bytes, TLS details);
 *    the bound keeps the bytes a sender may make us read before the request
 *    within a few TCP segments. The block is skipped as it streams past, never
 *    buffered: only the 36 address bytes are kept.
 *  - LOCAL (a health check from the balancer itself): the family byte and the
 *    block are ignored, as the specification says; result: local.
 *  - PROXY: the family must be UNSPEC (0), INET (1), INET6 (2) or UNIX (3) and
 *    the transport UNSPEC (0), STREAM (1) or DGRAM (2): anything else is
 *    MALFORMED. DGRAM is UNSUPPORTED (an HTTP connection does not relay a
 *    datagram flow). INET and INET6 over STREAM give the addresses and ports
 *    of the block; the block must hold at least 12 or 36 bytes (MALFORMED).
 *  - AF_UNIX over STREAM (the balancer's client came over a local socket):
 *    the socket's own addresses are used (local), the fallback to UNSPEC the
 *    specification asks of a receiver that does not implement a family; the
 *    block must hold the 216 address bytes. A UNIX path says nothing that a
 *    log or an access rule of an HTTP server could use.
 *  - UNSPEC family or transport: the block is opaque, skipped; result: local.
 *  - TLVs after INET, INET6 and UNIX addresses: each needs its 3-byte head and
 *    its whole value inside the block, else MALFORMED; their contents are not
 *    interpreted (a CRC32C TLV is not verified: the specification makes that
 *    the receiver's choice). */
#ifndef SWITCHBOARD_PROXY_PROTO_H
#define SWITCHBOARD_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_V1_MAX_LEN 107    /* "PROXY UNKNOWN" with two full IPv6 addresses */
#define PROXY_V2_FIXED_LEN 16   /* signature, version and command, family, length */
#define PROXY_V2_MAX_BLOCK 1536 /* address block and TLVs: more is OVERSIZED */

enum proxy_status {
	PROXY_NEED_MORE,
	PROXY_DONE,
	PROXY_ERROR,
};

/* Why a header was refused: one counter each. */
enum proxy_error {
	PROXY_ERR_NONE,
	PROXY_ERR_NO_HEADER,   /* the connection does not begin with a PROXY header */
	PROXY_ERR_MALFORMED,   /* a header that breaks the specification */
	PROXY_ERR_OVERSIZED,   /* a v1 line or a v2 block past its bound */
	PROXY_ERR_UNSUPPORTED, /* well formed, but not for us: another version, DGRAM */
};

/* Whom the connection is from. local: use the connection's own addresses (v2
 * LOCAL, a v2 UNSPEC or UNIX family, v1 UNKNOWN); src and dst are then
 * AF_UNSPEC. Otherwise src and dst are sockaddr_in or sockaddr_in6, with the
 * ports, for the client and the address it connected to. */
struct proxy_result {
	bool local;
	struct sockaddr_storage src, dst;
};

struct proxy_parser {
	int state;
	enum proxy_error error;
	const char *detail;            /* after PROXY_ERROR: which rule was broken */
	size_t seen;                   /* header bytes taken so far */
	size_t block_len;              /* v2: the length field */
	size_t addr_len;               /* v2: the address bytes kept (12 or 36) or checked (216) */
	size_t tlv_left;               /* v2: value bytes still to skip in the current TLV */
	unsigned tlv_head;             /* v2: bytes seen of the current TLV's 3-byte head */
	uint8_t buf[PROXY_V1_MAX_LEN]; /* v1: the line; v2: fixed part and addresses */
	struct proxy_result result;    /* valid after PROXY_DONE */
};

/* Ready for the first byte of a connection. */
void proxy_parser_init(struct proxy_parser *p);

/* data/len: the next bytes of the connection. *consumed: how many of them the
 * parser took: all of them on NEED_MORE; on DONE, those up to and including
 * the header's last byte; on ERROR, those up to and including the faulty byte.
 * After DONE or ERROR the answer stays the same and nothing more is taken. */
enum proxy_status proxy_parser_feed(struct proxy_parser *p, const void *data, size_t len,
                                    size_t *consumed);

/* A short name for an error, for a log line or a counter ("malformed", ...). */
const char *proxy_error_name(enum proxy_error e);

#endif
