/* Fuzz target for the choice of a site by host (vhost).
 *
 * Input: a host as a client could send it (a Host value or an absolute-form
 * authority). The rules:
 *  - a canonical name is at most VHOST_NAME_MAX bytes, NUL-terminated at its
 *    length, and either non-empty dot-separated labels of [a-z0-9_-] or an
 *    IPv6 literal "[...]" of hex digits, ':' and '.': never a '/', a '%', a
 *    "..", an upper-case letter or a port;
 *  - it is its own canonical form, and the input in upper case has the same;
 *  - a buffer too small for it gives 0, never an overflow;
 *  - the map's answer for it is the one a direct scan of the names gives:
 *    the exact name, else the longest wildcard suffix, else the default.
 * Any broken rule aborts. */
#include "vhost.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
    "example.com", "www.example.com", "*.example.com", "*.a.example.com",
    "*.org",       "[::1]",           "10.0.0.1",      "a",
};
static const size_t sites[] = {1, 2, 3, 4, 5, 6, 7, 8};
#define NAME_COUNT (sizeof names / sizeof names[0])

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_vhost: %s\n", what);
	abort();
}

static bool is_label_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void check_form(const char *name, size_t len)
{
	if (len > VHOST_NAME_MAX || strlen(name) != len)
		fail("length");
	if (name[0] == '[') {
		if (name[len - 1] != ']' || len < 3)
			fail("an IPv6 literal without its brackets");
		for (size_t i = 1; i + 1 < len; i++)
			if (strchr("0123456789abcdef:.", name[i]) == NULL)
				fail("a byte no IPv6 literal has");
		return;
	}
	if (name[0] == '.' || name[len - 1] == '.' || strstr(name, "..") != NULL)
		fail("an empty label");
	for (size_t i = 0; i < len; i++)
		if (name[i] != '.' && !is_label_byte(name[i]))
			fail("a byte no host name has");
}

/* What the map must answer, by a direct scan. */
static size_t expected_site(const char *name, size_t len)
{
	size_t best = 0, best_len = 0;
	for (size_t i = 0; i < NAME_COUNT; i++) {
		if (names[i][0] != '*') {
			if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
				return sites[i];
			continue;
		}
		const char *suffix = names[i] + 1;
		size_t n = strlen(suffix);
		if (len > n && memcmp(name + len - n, suffix, n) == 0 && n > best_len) {
			best = sites[i];
			best_len = n;
		}
	}
	return best;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vhost_map map;
	static bool built;
	if (!built && vhost_map_build(&map, names, sites, NAME_COUNT) < 0)
		fail("out of memory");
	built = true;

	char *host = malloc(size + 1), *upper = malloc(size + 1);
	if (host == NULL || upper == NULL)
		fail("out of memory");
	memcpy(host, data, size);
	for (size_t i = 0; i < size; i++)
		upper[i] = host[i] >= 'a' && host[i] <= 'z' ? (char)(host[i] - 32) : host[i];

	char out[VHOST_NAME_MAX + 1], again[VHOST_NAME_MAX + 1];
	size_t len = vhost_canonical(host, size, out, sizeof out);
	if (len > 0) {
		check_form(out, len);
		if (vhost_canonical(out, len, again, sizeof again) != len ||
		    strcmp(out, again) != 0)
			fail("not its own canonical form");
		/* Exactly sized buffers: one byte short must refuse. */
		char *tight = malloc(len + 1);
		if (tight == NULL)
			fail("out of memory");
		if (vhost_canonical(host, size, tight, len + 1) != len || strcmp(tight, out) != 0)
			fail("an exact buffer gives another answer");
		if (vhost_canonical(host, size, tight, len) != 0)
			fail("a short buffer gave a name");
		free(tight);
		if (vhost_map_find(&map, out, len, 0) != expected_site(out, len))
			fail("the map and the scan disagree");
	}
	size_t upper_len = vhost_canonical(upper, size, again, sizeof again);
	if (upper_len != len || (len > 0 && strcmp(again, out) != 0))
		fail("case changes the canonical form");
	free(host);
	free(upper);
	return 0;
}
