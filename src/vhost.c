#include "autoconfig.h"

#include "vhost.h"

#include "hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ names */

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The bytes of a host name's labels (RFC 1123, with the '_' that real names
 * carry); anything else a Host may hold (%XX, sub-delims) names no site. */
static bool is_label_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool is_ip_literal_byte(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
}

/* A registered name or an IPv4 address, lower-cased to out: non-empty
 * labels separated by dots; one trailing dot (the root's) is dropped.
 * Returns its length, or 0. */
static size_t copy_reg_name(const char *s, size_t len, char *out, size_t size)
{
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > VHOST_NAME_MAX || len >= size)
		return 0;
	bool label_start = true;
	for (size_t i = 0; i < len; i++) {
		char c = ascii_lower(s[i]);
		if (c == '.' ? label_start : !is_label_byte(c))
			return 0;
		label_start = c == '.';
		out[i] = c;
	}
	if (label_start) /* "a.." came down to "a." */
		return 0;
	out[len] = '\0';
	return len;
}

/* "[...]" with the bytes of an IPv6 address inside, lower-cased to out. */
static size_t copy_ip_literal(const char *s, size_t len, char *out, size_t size)
{
	if (len < 3 || len > VHOST_NAME_MAX || len >= size || s[0] != '[' || s[len - 1] != ']')
		return 0;
	out[0] = '[';
	for (size_t i = 1; i + 1 < len; i++) {
		out[i] = ascii_lower(s[i]);
		if (!is_ip_literal_byte(out[i]))
			return 0;
	}
	out[len - 1] = ']';
	out[len] = '\0';
	return len;
}

/* What follows the host: nothing, or ":" and digits (possibly none, as
 * RFC 3986 allows). */
static bool is_port_or_nothing(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (s[0] != ':')
		return false;
	for (size_t i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

size_t vhost_canonical(const char *host, size_t len, char *out, size_t size)
{
	size_t host_len = len;
	if (len > 0 && host[0] == '[') {
		const char *close = memchr(host, ']', len);
		host_len = close != NULL ? (size_t)(close - host) + 1 : len;
	} else {
		const char *colon = memchr(host, ':', len);
		if (colon != NULL)
			host_len = (size_t)(colon - host);
	}
	if (!is_port_or_nothing(host + host_len, len - host_len))
		return 0;
	if (len > 0 && host[0] == '[')
		return copy_ip_literal(host, host_len, out, size);
	return copy_reg_name(host, host_len, out, size);
}

static int malformed(const char *name, const char *why, char *msg, size_t msg_size)
{
	snprintf(msg, msg_size, "malformed site name '%s': %s", name, why);
	return -1;
}

int vhost_name_check(const char *name, char *out, size_t size, char *msg, size_t msg_size)
{
	size_t len = strlen(name);
	bool wildcard = strncmp(name, "*.", 2) == 0;
	const char *rest = wildcard ? name + 2 : name;
	size_t rest_len = len - (size_t)(rest - name);
	if (size < 3)
		return malformed(name, "no room for it", msg, msg_size);
	if (strchr(rest, '*') != NULL)
		return malformed(name, "a wildcard is '*.' in front of a name (*.example.com)", msg,
		                 msg_size);
	if (name[0] == '[') {
		if (copy_ip_literal(name, len, out, size) == 0)
			return malformed(name, "an IPv6 address in brackets, without a port", msg,
			                 msg_size);
		return 0;
	}
	if (strchr(rest, ':') != NULL)
		return malformed(name, "a site name has no port (any port matches)", msg, msg_size);
	if (copy_reg_name(rest, rest_len, out + (wildcard ? 2 : 0), size - (wildcard ? 2 : 0)) == 0)
		return malformed(name,
		                 "letters, digits, '-' and '_' in labels between dots, at most 255 "
		                 "characters",
		                 msg, msg_size);
	if (wildcard)
		memcpy(out, "*.", 2);
	return 0;
}

/* ------------------------------------------------------------ the map */

static uint32_t name_hash(const char *name, size_t len)
{
	return hash_fnv1a(HASH_FNV1A_INIT, name, len);
}

static int by_longer_suffix(const void *a, const void *b)
{
	const struct vhost_entry *x = a, *y = b;
	return x->len < y->len ? 1 : x->len > y->len ? -1 : strcmp(x->name, y->name);
}

static int add_entry(struct vhost_entry *e, const char *name, size_t site)
{
	e->name = strdup(name);
	e->len = e->name != NULL ? strlen(name) : 0;
	e->site = site;
	return e->name != NULL ? 0 : -1;
}

static int add_exact(struct vhost_map *map, const char *name, size_t site)
{
	size_t mask = map->exact_slots - 1;
	size_t i = name_hash(name, strlen(name)) & mask;
	while (map->exact[i].name != NULL) {
		if (strcmp(map->exact[i].name, name) == 0) /* the first site keeps it */
			return 0;
		i = (i + 1) & mask;
	}
	return add_entry(&map->exact[i], name, site);
}

static size_t exact_slots_for(size_t count)
{
	size_t slots = 4;
	while (slots < 2 * count) /* at most half full: short probes */
		slots *= 2;
	return slots;
}

int vhost_map_build(struct vhost_map *map, const char *const *names, const size_t *sites,
                    size_t count)
{
	memset(map, 0, sizeof *map);
	size_t wildcards = 0;
	for (size_t i = 0; i < count; i++)
		wildcards += names[i][0] == '*';
	if (count > wildcards) {
		size_t slots = exact_slots_for(count - wildcards);
		map->exact = calloc(slots, sizeof *map->exact);
		if (map->exact == NULL)
			goto fail;
		map->exact_slots = slots;
	}
	if (wildcards > 0) {
		map->wildcards = calloc(wildcards, sizeof *map->wildcards);
		if (map->wildcards == NULL)
			goto fail;
	}
	for (size_t i = 0; i < count; i++) {
		if (names[i][0] != '*' ? add_exact(map, names[i], sites[i]) < 0
		                       : add_entry(&map->wildcards[map->wildcard_count++],
		                                   names[i] + 1, sites[i]) < 0)
			goto fail;
	}
	if (map->wildcard_count > 1) /* qsort wants a table, even of nothing */
		qsort(map->wildcards, map->wildcard_count, sizeof *map->wildcards,
		      by_longer_suffix);
	return 0;
fail:
	vhost_map_free(map);
	return -1;
}

void vhost_map_free(struct vhost_map *map)
{
	for (size_t i = 0; map->exact != NULL && i < map->exact_slots; i++)
		free(map->exact[i].name);
	for (size_t i = 0; map->wildcards != NULL && i < map->wildcard_count; i++)
		free(map->wildcards[i].name);
	free(map->exact);
	free(map->wildcards);
	memset(map, 0, sizeof *map);
}

size_t vhost_map_find(const struct vhost_map *map, const char *name, size_t len, size_t fallback)
{
	if (map->exact_slots > 0) {
		size_t mask = map->exact_slots - 1;
		for (size_t i = name_hash(name, len) & mask; map->exact[i].name != NULL;
		     i = (i + 1) & mask) {
			const struct vhost_entry *e = &map->exact[i];
			if (e->len == len && memcmp(e->name, name, len) == 0)
				return e->site;
		}
	}
	/* A suffix starts with its dot, and labels are never empty: what is
	 * before it is at least one label. */
	for (size_t i = 0; i < map->wildcard_count; i++) {
		const struct vhost_entry *e = &map->wildcards[i];
		if (len > e->len && memcmp(name + len - e->len, e->name, e->len) == 0)
			return e->site;
	}
	return fallback;
}
