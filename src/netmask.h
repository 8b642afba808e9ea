/* netmask — lists of trusted networks ("10.0.0.0/8", "::1", "fd00::/8"), and
 * whether an address is in one.
 *
 * Pure: no socket, no allocation (a list holds at most NETMASK_LIST_MAX
 * networks). An IPv4 address matches an IPv4 network whether it comes as
 * AF_INET or as an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack
 * socket reports for an IPv4 peer); an IPv6 network written in the mapped form
 * ("::ffff:10.0.0.0/104") matches both forms too.
 *
 * Strictness: the address as inet_pton reads it (no zone, no leading zeros in
 * IPv4); the prefix length 0 to 32 or 0 to 128, decimal without sign or
 * leading zero; no bit set past the prefix ("10.0.0.1/8" is refused: it is
 * likely a typo, and "10.0.0.0/8" says what it means). Without a prefix, the
 * address alone. */
#ifndef SWITCHBOARD_NETMASK_H
#define SWITCHBOARD_NETMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NETMASK_LIST_MAX 64

struct netmask {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* 4 bytes used for AF_INET; the bits past prefix are 0 */
	unsigned prefix;  /* bits that must match */
};

struct netmask_list {
	size_t count;
	struct netmask items[NETMASK_LIST_MAX];
};

/* "10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8" into out. Returns 0, or -1 with
 * a message in err. */
int netmask_parse(const char *text, struct netmask *out, char *err, size_t err_size);

void netmask_list_init(struct netmask_list *list);

/* Parse text and add it to the list. Returns 0, or -1 with a message in err
 * (a bad network, or a full list). */
int netmask_list_add(struct netmask_list *list, const char *text, char *err, size_t err_size);

/* Whether the AF_INET or AF_INET6 address sa lies in the network. Another
 * family is in none. */
bool netmask_contains(const struct netmask *net, const struct sockaddr *sa);

/* Whether sa lies in any network of the list. */
bool netmask_list_contains(const struct netmask_list *list, const struct sockaddr *sa);

/* Whether a connection's peer runs on this host: a Unix-domain socket's peer,
 * a loopback address (127.0.0.0/8, ::1, in either form), or the connection's
 * own local address (a process here that connected to one of this host's
 * addresses). local may be NULL (not known). */
bool netmask_same_host(const struct sockaddr *peer, const struct sockaddr *local);

#endif
