/* vhost — which site a request is for: host names made comparable, and the
 * map from the names of the site blocks to their sites.
 *
 * Pure text work, no I/O. A name is compared in its canonical form: lower
 * case, no port, no trailing dot; an IPv6 literal keeps its brackets
 * ("[::1]"). A site's names are exact ("example.com") or wildcards
 * ("*.example.com": any name that ends in ".example.com", at any depth, but
 * not "example.com" itself). An exact name wins over every wildcard, and a
 * longer wildcard over a shorter one; a name no site has goes to the default
 * site. The text looked up is never used as a path. */
#ifndef SWITCHBOARD_VHOST_H
#define SWITCHBOARD_VHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest canonical name (a DNS name has at most 253 characters). */
#define VHOST_NAME_MAX 255

/* The canonical form of a request's host (a Host field value, or the
 * authority of an absolute-form target), with any ":port" dropped, written
 * to out (at least VHOST_NAME_MAX + 1 bytes). Returns its length, or 0 when
 * the text cannot be the name of a site (empty, too long, a byte no host name
 * has, an empty label, a port that is not digits). */
size_t vhost_canonical(const char *host, size_t len, char *out, size_t size);

/* A name written in a site block: the canonical form to out, or -1 with what
 * is wrong in msg. Unlike a request's host it has no port, and it may start
 * with "*." (a wildcard). */
int vhost_name_check(const char *name, char *out, size_t size, char *msg, size_t msg_size);

struct vhost_entry {
	char *name; /* canonical; a wildcard as its suffix (".example.com") */
	size_t len;
	size_t site;
};

/* The names of the site blocks. Empty (all zero) when there are none: every
 * request then goes to the default site at the cost of one comparison. */
struct vhost_map {
	struct vhost_entry *exact; /* open addressing, exact_slots long (a power of two) */
	size_t exact_slots;
	struct vhost_entry *wildcards; /* the longest suffix first */
	size_t wildcard_count;
};

/* Build the map of count names (canonical, as vhost_name_check gives them)
 * and the site each names. Returns 0, or -1 when out of memory. */
int vhost_map_build(struct vhost_map *map, const char *const *names, const size_t *sites,
                    size_t count);

void vhost_map_free(struct vhost_map *map);

/* The site of the canonical name (len bytes), or fallback when none has it. */
size_t vhost_map_find(const struct vhost_map *map, const char *name, size_t len, size_t fallback);

static inline bool vhost_map_empty(const struct vhost_map *map)
{
	return map->exact_slots == 0 && map->wildcard_count == 0;
}

#endif
