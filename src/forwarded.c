/* forwarded — the client behind trusted proxies (see the header for the rules).
 *
 * The fields are read left to right into the last FORWARDED_MAX_HOPS entries
 * (a quoted-string in Forwarded can only be read that way), then walked from
 * the right. */
#include "autoconfig.h"

#include "forwarded.h"

#include "httpchars.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* The longest node worth reading: "[" IPv6 with an IPv4 tail "]:" port. */
enum { NODE_MAX = INET6_ADDRSTRLEN + 8 };

struct hop {
	bool valid;
	struct sockaddr_storage addr;
};

/* The last FORWARDED_MAX_HOPS entries, oldest first from start. */
struct hops {
	struct hop ring[FORWARDED_MAX_HOPS];
	size_t start, count;
};

static void hops_push(struct hops *h, const struct hop *hop)
{
	size_t at = (h->start + h->count) % FORWARDED_MAX_HOPS;
	h->ring[at] = *hop;
	if (h->count < FORWARDED_MAX_HOPS)
		h->count++;
	else
		h->start = (h->start + 1) % FORWARDED_MAX_HOPS;
}

/* The i-th entry from the right (0: the rightmost). */
static const struct hop *hops_from_right(const struct hops *h, size_t i)
{
	return &h->ring[(h->start + h->count - 1 - i) % FORWARDED_MAX_HOPS];
}

static void push_invalid(struct hops *h)
{
	struct hop bad;
	memset(&bad, 0, sizeof bad);
	hops_push(h, &bad);
}

/* A bare IPv4 or IPv6 address of len bytes into ss (port 0). */
static bool parse_address(const char *s, size_t len, struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN];
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (len == 0 || len >= sizeof text)
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------ X-Forwarded-For */

static void trim_ows(const char **s, size_t *len)
{
	while (*len > 0 && http_is_ows((unsigned char)**s)) {
		++*s;
		--*len;
	}
	while (*len > 0 && http_is_ows((unsigned char)(*s)[*len - 1]))
		--*len;
}

static void read_xff_line(const char *s, size_t len, struct hops *h)
{
	size_t from = 0;
	if (len == 0)
		return;
	while (from <= len) {
		const char *comma = memchr(s + from, ',', len - from);
		size_t end = comma != NULL ? (size_t)(comma - s) : len;
		const char *entry = s + from;
		size_t entry_len = end - from;
		trim_ows(&entry, &entry_len);
		if (entry_len > 0) {
			struct hop hop;
			hop.valid = parse_address(entry, entry_len, &hop.addr);
			hops_push(h, &hop);
		}
		from = end + 1;
	}
}

/* ------------------------------------------------------ Forwarded (RFC 7239) */

struct cursor {
	const char *s;
	size_t len, pos;
};

static bool at_end(const struct cursor *c)
{
	return c->pos >= c->len;
}

static unsigned char peek(const struct cursor *c)
{
	return (unsigned char)c->s[c->pos];
}

static void skip_ows(struct cursor *c)
{
	while (!at_end(c) && http_is_ows(peek(c)))
		c->pos++;
}

/* What one element says about its "for" parameter. */
struct element {
	size_t pairs;
	size_t for_count;
	bool for_too_long;
	char node[NODE_MAX]; /* the value of for=, unquoted */
	size_t node_len;
};

/* Append a value byte to the node, when the pair is for=. */
static void node_byte(struct element *e, bool is_for, char ch)
{
	if (!is_for)
		return;
	if (e->node_len + 1 >= sizeof e->node)
		e->for_too_long = true;
	else
		e->node[e->node_len++] = ch;
}

/* A quoted-string (the opening quote at c->pos); false when it breaks the
 * grammar. */
static bool read_quoted(struct cursor *c, struct element *e, bool is_for)
{
	c->pos++;
	while (!at_end(c)) {
		unsigned char ch = peek(c);
		c->pos++;
		if (ch == '"')
			return true;
		if (ch == '\\') {
			if (at_end(c) || !http_is_field_value_byte(peek(c)))
				return false;
			ch = peek(c);
			c->pos++;
		} else if (!http_is_field_value_byte(ch)) {
			return false;
		}
		node_byte(e, is_for, (char)ch);
	}
	return false; /* unterminated */
}

/* token "=" ( token / quoted-string ); false when it breaks the grammar. */
static bool read_pair(struct cursor *c, struct element *e)
{
	size_t name = c->pos;
	while (!at_end(c) && http_is_tchar(peek(c)))
		c->pos++;
	size_t name_len = c->pos - name;
	if (name_len == 0 || at_end(c) || peek(c) != '=')
		return false;
	c->pos++;
	bool is_for = name_len == 3 && strncasecmp(c->s + name, "for", 3) == 0;
	if (is_for && e->for_count++ > 0)
		is_for = false; /* a second for= is the element's fault, not the grammar's */
	e->pairs++;
	if (!at_end(c) && peek(c) == '"')
		return read_quoted(c, e, is_for);
	size_t value = c->pos;
	while (!at_end(c) && http_is_tchar(peek(c)))
		node_byte(e, is_for, c->s[c->pos++]);
	return c->pos > value;
}

/* One element, up to its ',' or the end of the line. */
static bool read_element(struct cursor *c, struct element *e)
{
	memset(e, 0, sizeof *e);
	for (;;) {
		skip_ows(c);
		if (at_end(c) || peek(c) == ',')
			return true;
		if (peek(c) != ';' && !read_pair(c, e))
			return false;
		skip_ows(c);
		if (at_end(c) || peek(c) == ',')
			return true;
		if (peek(c) != ';')
			return false;
		c->pos++;
	}
}

/* "1234" (0 to 65535) or an obfuscated port ("_x"), which gives 0. */
static bool parse_node_port(const char *s, size_t len, unsigned *port)
{
	unsigned v = 0;
	*port = 0;
	if (len > 1 && s[0] == '_')
		return true;
	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*port = v;
	return v <= 65535;
}

static void set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* node = nodename [ ":" node-port ], nodename = IPv4 / "[" IPv6 "]". "unknown"
 * and obfuscated names are not addresses. */
static bool parse_node(const char *s, size_t len, struct sockaddr_storage *ss)
{
	const char *name = s, *rest;
	size_t name_len;
	unsigned port;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (close == NULL)
			return false;
		name = s + 1;
		name_len = (size_t)(close - name);
		rest = close + 1;
		if (!parse_address(name, name_len, ss) || ss->ss_family != AF_INET6)
			return false;
	} else {
		const char *colon = memchr(s, ':', len);
		name_len = colon != NULL ? (size_t)(colon - s) : len;
		rest = s + name_len;
		if (!parse_address(name, name_len, ss) || ss->ss_family != AF_INET)
			return false;
	}
	size_t rest_len = len - (size_t)(rest - s);
	if (rest_len == 0)
		return true;
	if (rest[0] != ':' || !parse_node_port(rest + 1, rest_len - 1, &port))
		return false;
	set_port(ss, port);
	return true;
}

static struct hop element_hop(const struct element *e)
{
	struct hop hop;
	memset(&hop, 0, sizeof hop);
	if (e->for_count == 1 && !e->for_too_long)
		hop.valid = parse_node(e->node, e->node_len, &hop.addr);
	return hop;
}

/* Read one Forwarded line; with h NULL, only check its grammar. */
static bool read_forwarded_line(const char *s, size_t len, struct hops *h)
{
	struct cursor c = {s, len, 0};
	struct element e;
	for (;;) {
		if (!read_element(&c, &e))
			return false;
		if (h != NULL && e.pairs > 0) {
			struct hop hop = element_hop(&e);
			hops_push(h, &hop);
		}
		if (at_end(&c))
			return true;
		c.pos++; /* the ',' */
	}
}

/* ---------------------------------------------------------------- the walk */

static void read_fields(enum forwarded_syntax syntax, const struct forwarded_field *fields,
                        size_t nfields, struct hops *h)
{
	for (size_t i = 0; i < nfields; i++) {
		const char *s = fields[i].value;
		size_t len = fields[i].len;
		if (syntax == FORWARDED_XFF)
			read_xff_line(s, len, h);
		else if (read_forwarded_line(s, len, NULL))
			read_forwarded_line(s, len, h);
		else
			push_invalid(h);
	}
}

bool forwarded_client(enum forwarded_syntax syntax, const struct forwarded_field *fields,
                      size_t nfields, const struct netmask_list *trusted,
                      const struct sockaddr *peer, socklen_t peer_len,
                      struct sockaddr_storage *client)
{
	struct hops h = {.start = 0, .count = 0};
	const struct sockaddr_storage *from_header = NULL;

	memset(client, 0, sizeof *client);
	memcpy(client, peer, peer_len < sizeof *client ? peer_len : sizeof *client);
	/* A Unix-domain peer is a process on this host, let in by the socket
	 * file's mode: as trusted as the file says. */
	if (peer->sa_family != AF_UNIX && !netmask_list_contains(trusted, peer))
		return false;
	read_fields(syntax, fields, nfields, &h);
	for (size_t i = 0; i < h.count; i++) {
		const struct hop *hop = hops_from_right(&h, i);
		if (!hop->valid)
			break;
		from_header = &hop->addr;
		if (!netmask_list_contains(trusted, (const struct sockaddr *)&hop->addr))
			break;
	}
	if (from_header == NULL)
		return false;
	*client = *from_header;
	return true;
}
