/* netmask — trusted networks and matching addresses against them. */
#include "autoconfig.h"

#include "netmask.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* The longest text an address part may have: an IPv6 address with an IPv4
 * tail, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255". */
enum { ADDR_TEXT_MAX = INET6_ADDRSTRLEN };

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* "0" or 1 to 3 digits without a leading zero, at most max. */
static bool parse_prefix(const char *s, unsigned max, unsigned *out)
{
	size_t len = strlen(s);
	unsigned v = 0;
	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Whether the first bits of a and b agree. */
static bool prefix_matches(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	size_t whole = bits / 8;
	unsigned rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return ((a[whole] ^ b[whole]) & mask) == 0;
}

/* Whether any bit past the first bits of addr (len bytes) is set. */
static bool host_bits_set(const uint8_t *addr, size_t len, unsigned bits)
{
	for (size_t i = 0; i < len; i++) {
		unsigned first = (unsigned)i * 8;
		uint8_t keep = first + 8 <= bits ? 0xff
		               : first >= bits   ? 0
		                                 : (uint8_t)(0xffu << (8 - (bits - first)));
		if (addr[i] & (uint8_t)~keep)
			return true;
	}
	return false;
}

int netmask_parse(const char *text, struct netmask *out, char *err, size_t err_size)
{
	char addr[ADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t addr_len = slash != NULL ? (size_t)(slash - text) : strlen(text);

	memset(out, 0, sizeof *out);
	if (addr_len == 0 || addr_len >= sizeof addr) {
		snprintf(err, err_size, "\"%s\" is not an IP address or network", text);
		return -1;
	}
	memcpy(addr, text, addr_len);
	addr[addr_len] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = 128;
	} else {
		snprintf(err, err_size, "\"%s\" is not an IP address or network", text);
		return -1;
	}
	if (slash != NULL && !parse_prefix(slash + 1, out->prefix, &out->prefix)) {
		snprintf(err, err_size, "\"%s\": the prefix length must be 0 to %u", text,
		         out->family == AF_INET ? 32u : 128u);
		return -1;
	}
	if (host_bits_set(out->addr, out->family == AF_INET ? 4 : 16, out->prefix)) {
		snprintf(err, err_size, "\"%s\": bits set past the prefix length", text);
		return -1;
	}
	return 0;
}

void netmask_list_init(struct netmask_list *list)
{
	list->count = 0;
}

int netmask_list_add(struct netmask_list *list, const char *text, char *err, size_t err_size)
{
	if (list->count >= NETMASK_LIST_MAX) {
		snprintf(err, err_size, "more than %d networks", NETMASK_LIST_MAX);
		return -1;
	}
	if (netmask_parse(text, &list->items[list->count], err, err_size) != 0)
		return -1;
	list->count++;
	return 0;
}

/* sa as a 16-byte IPv6 address (an IPv4 one mapped), and, when it is an IPv4
 * address in either form, as 4 bytes. */
struct both_forms {
	bool valid, has_v4;
	uint8_t v6[16];
	uint8_t v4[4];
};

static struct both_forms address_forms(const struct sockaddr *sa)
{
	struct both_forms f = {false, false, {0}, {0}};
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		memcpy(f.v4, &sin->sin_addr, 4);
		memcpy(f.v6, v4_mapped_prefix, 12);
		memcpy(f.v6 + 12, f.v4, 4);
		f.valid = f.has_v4 = true;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		memcpy(f.v6, &sin6->sin6_addr, 16);
		f.valid = true;
		if (memcmp(f.v6, v4_mapped_prefix, 12) == 0) {
			memcpy(f.v4, f.v6 + 12, 4);
			f.has_v4 = true;
		}
	}
	return f;
}

static bool forms_match(const struct netmask *net, const struct both_forms *f)
{
	if (net->family == AF_INET)
		return f->has_v4 && prefix_matches(net->addr, f->v4, net->prefix);
	return prefix_matches(net->addr, f->v6, net->prefix);
}

bool netmask_contains(const struct netmask *net, const struct sockaddr *sa)
{
	struct both_forms f = address_forms(sa);
	return f.valid && forms_match(net, &f);
}

bool netmask_list_contains(const struct netmask_list *list, const struct sockaddr *sa)
{
	struct both_forms f = address_forms(sa);
	if (!f.valid)
		return false;
	for (size_t i = 0; i < list->count; i++)
		if (forms_match(&list->items[i], &f))
			return true;
	return false;
}

bool netmask_same_host(const struct sockaddr *peer, const struct sockaddr *local)
{
	if (peer->sa_family == AF_UNIX)
		return true;
	struct both_forms p = address_forms(peer);
	if (!p.valid)
		return false;
	if ((p.has_v4 && p.v4[0] == 127) || memcmp(p.v6, &in6addr_loopback, 16) == 0)
		return true;
	if (local == NULL)
		return false;
	struct both_forms l = address_forms(local);
	return l.valid && memcmp(p.v6, l.v6, 16) == 0;
}
