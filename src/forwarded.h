/* forwarded — the real client behind trusted proxies, from X-Forwarded-For or
 * Forwarded (RFC 7239) header fields.
 *
 * Each proxy appends the address it got the request from, so the list reads
 * client, proxy1, proxy2, ... and the connection's peer is the last proxy.
 * Anyone can write the start of the list; only the entries appended by proxies
 * we trust can be believed. So the walk goes from the right: the peer first,
 * then each entry leftwards, and the client is the first address that is not
 * in the trusted list. Should every address be trusted, the leftmost one is
 * the client.
 *
 * A peer on a Unix-domain socket (a proxy on this host, let in by the
 * socket file's mode) is trusted as a proxy.
 *
 * The walk stops, keeping the last address it believed (the peer when it is
 * the first), at:
 *  - an untrusted peer: the header fields are not looked at;
 *  - an entry that is not an address: in X-Forwarded-For, anything but a bare
 *    IPv4 or IPv6 address as inet_pton reads it (a port, brackets or a zone
 *    are not in any standard); in Forwarded, an element without "for=", with
 *    it twice, or whose node is "unknown" or an obfuscated identifier
 *    ("_hidden"), or malformed;
 *  - in Forwarded, a field line that breaks the grammar (an unterminated
 *    quoted-string, a pair without "="): the whole line counts as one invalid
 *    entry, since where its elements begin can no longer be told.
 *
 * Forwarded nodes: IPv4 "192.0.2.1", quoted with a port "192.0.2.1:8080", an
 * IPv6 address in brackets, quoted: "[2001:db8::1]" or "[2001:db8::1]:8080"
 * (the port, when numeric, is kept in the result; an obfuscated port is
 * dropped). Parameter names are case-insensitive; whitespace is allowed
 * around "," and ";". Empty list elements are skipped in both fields.
 *
 * Several field lines of the same name are one list, in the order received
 * (RFC 9110 section 5.3). Only the last FORWARDED_MAX_HOPS entries are looked
 * at: a walk that gets past them all stops at the last of them. Pure: no
 * socket, no allocation. */
#ifndef SWITCHBOARD_FORWARDED_H
#define SWITCHBOARD_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "netmask.h"

#define FORWARDED_MAX_HOPS 32

enum forwarded_syntax {
	FORWARDED_XFF,     /* X-Forwarded-For: a comma-separated list of addresses */
	FORWARDED_RFC7239, /* Forwarded: elements of pairs, the address in "for=" */
};

/* One field line's value, as the request parser hands it (not NUL-terminated). */
struct forwarded_field {
	const char *value;
	size_t len;
};

/* The client of a request that came from peer (peer_len bytes) with the given
 * field lines, into client. Returns true when the client came from the header
 * fields, false when it is the peer. */
bool forwarded_client(enum forwarded_syntax syntax, const struct forwarded_field *fields,
                      size_t nfields, const struct netmask_list *trusted,
                      const struct sockaddr *peer, socklen_t peer_len,
                      struct sockaddr_storage *client);

#endif
