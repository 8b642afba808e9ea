/* hash — FNV-1a, for the small in-memory tables (clients, the file cache).
 *
 * Cheap and well spread for short keys. It has no secret seed: every table
 * that uses it bounds its chains or keys on what a client cannot choose freely. */
#ifndef SWITCHBOARD_HASH_H
#define SWITCHBOARD_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_INIT 2166136261u

static inline uint32_t hash_fnv1a(uint32_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
