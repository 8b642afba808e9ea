/* urlpath — from an HTTP request-target to a safe path below the document root.
 *
 * Pure string work, no file system: percent-decoding (exactly once), dot-segment
 * removal, and the policies that keep every result inside the root. */
#ifndef SWITCHBOARD_URLPATH_H
#define SWITCHBOARD_URLPATH_H

#include <stdbool.h>
#include <stddef.h>

enum urlpath_flags {
	/* Serve path segments that start with '.'; without it they are 404,
	 * except a first segment ".well-known" (RFC 8615). */
	URLPATH_ALLOW_HIDDEN = 1 << 0,
};

struct urlpath {
	/* Decoded, normalised path relative to the root: no leading '/', no empty,
	 * "." or ".." segments, segments joined by single '/'; "" is the root itself.
	 * NUL-terminated; points into the caller's output buffer. */
	const char *path;
	size_t len;
	/* The target's path ended with '/' (true for the root "/"), or its last
	 * segment was "." or ".." (also when %-encoded): those name a directory
	 * too, so "/sub/." and "/sub/.." count. Always true when len == 0. */
	bool trailing_slash;
	/* The raw query after '?', not decoded (NULL when the target had none);
	 * points into the caller's target. */
	const char *query;
	size_t query_len;
};

/* Map a request-target (origin-form "/a/b?q", or absolute-form
 * "http://host/a/b?q" / "https://...", scheme case-insensitive) to a path.
 * `out` receives the decoded path; out_size >= target_len + 1 always suffices.
 * Returns 0 on success, or the HTTP status to answer with:
 *   400  not origin- or absolute-form, a bad %-escape, a decoded NUL, '/' (%2F),
 *        control byte or DEL, or ".." that would climb above the root;
 *   404  a hidden segment that the flags do not allow.
 * out needs room for the longest intermediate path (at most target_len + 1);
 * res is cleared on failure. */
int urlpath_resolve(const char *target, size_t target_len, unsigned flags, char *out,
                    size_t out_size, struct urlpath *res);

/* Can a request name a directory entry called name[0..len)? False for "", "."
 * and "..", and for a name holding a byte that urlpath_resolve refuses however
 * it is encoded (NUL, '/', control bytes and DEL): a listing leaves such names
 * out rather than link to a certain 400. Says nothing of hidden names. */
bool urlpath_name_servable(const char *name, size_t len);

/* Percent-encode a decoded path for use in a Location header or an href: every
 * byte except unreserved characters (RFC 3986), '/' and the sub-delims that are
 * safe in a path segment is written as %XX. Writes at most out_size bytes
 * including a NUL and returns the length the full encoding needs (excluding NUL),
 * like snprintf. */
size_t urlpath_encode(const char *path, size_t len, char *out, size_t out_size);

#endif
