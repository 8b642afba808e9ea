/* hash — FNV-1a: 32 bits for the small in-memory tables (clients, the file
 * cache), 64 bits for the content of the files the ETag describes.
 *
 * Cheap and well spread for short keys. It has no secret seed: every table
 * that uses it bounds its chains or keys on what a client cannot choose freely,
 * and a content hash only tells versions of one file apart (it is no defence
 * against someone who writes files colliding on purpose into the root). */
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

#define HASH_FNV1A64_INIT 14695981039346656037u

static inline uint64_t hash_fnv1a64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211u;
	return h;
}

#endif
