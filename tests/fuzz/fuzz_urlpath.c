/* Fuzz target for urlpath_resolve and urlpath_encode.
 *
 * Input: one control byte (bit 0: URLPATH_ALLOW_HIDDEN; the rest picks a
 * smaller output buffer for a second call), then the request-target. Every
 * buffer is malloc'd at exactly its size, so any write or read past it is a
 * sanitizer report. On success the path must be normalised and inside the
 * root, and "/" + urlpath_encode(path) must resolve to the same path. Any broken
 * rule aborts. */
#include "urlpath.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_urlpath: %s\n", what);
	abort();
}

static void check(int ok, const char *what)
{
	if (!ok)
		fail(what);
}

static char *alloc(size_t n)
{
	char *p = malloc(n > 0 ? n : 1);
	if (p == NULL)
		fail("out of memory");
	return p;
}

static char *copy_of(const char *bytes, size_t len)
{
	char *p = alloc(len);
	if (len > 0)
		memcpy(p, bytes, len);
	return p;
}

struct result {
	int status;
	struct urlpath res;
	char *out; /* owns res.path */
};

static void resolve(const char *target, size_t len, unsigned flags, size_t out_size,
                    struct result *r)
{
	r->out = alloc(out_size);
	r->status = urlpath_resolve(target, len, flags, r->out, out_size, &r->res);
}

/* A segment of the path is [begin, end) with end at '/' or len. */
static void check_segment(const char *path, size_t begin, size_t end, unsigned flags)
{
	size_t n = end - begin;
	const char *seg = path + begin;

	check(n > 0, "empty segment");
	check(!(n == 1 && seg[0] == '.'), "\".\" segment");
	check(!(n == 2 && seg[0] == '.' && seg[1] == '.'), "\"..\" segment");
	if (seg[0] != '.' || (flags & URLPATH_ALLOW_HIDDEN))
		return;
	check(begin == 0 && n == 11 && memcmp(seg, ".well-known", 11) == 0, "hidden segment");
}

static void check_path(const struct urlpath *u, unsigned flags, size_t target_len)
{
	const char *path = u->path;
	size_t len = u->len, begin = 0;

	check(path != NULL, "no path on success");
	check(len <= target_len, "path longer than the target");
	check(strlen(path) == len, "len != strlen(path)");
	check(len == 0 || (path[0] != '/' && path[len - 1] != '/'), "path starts or ends with /");
	check(len > 0 || u->trailing_slash, "root without trailing_slash");
	while (begin < len) {
		const char *slash = memchr(path + begin, '/', len - begin);
		size_t end = slash ? (size_t)(slash - path) : len;
		check_segment(path, begin, end, flags);
		begin = end + 1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		check(c >= 0x20 && c != 0x7f, "control byte in path");
	}
}

/* The query is everything after the first '?' of the target, undecoded. */
static void check_query(const struct urlpath *u, const char *target, size_t len)
{
	const char *q = len > 0 ? memchr(target, '?', len) : NULL;

	if (q == NULL) {
		check(u->query == NULL && u->query_len == 0, "query without '?'");
		return;
	}
	check(u->query == q + 1, "query does not follow the first '?'");
	check(u->query_len == (size_t)(target + len - u->query), "query_len wrong");
}

static void check_trailing_slash(const struct urlpath *u, const char *target, size_t len)
{
	const char *q = len > 0 ? memchr(target, '?', len) : NULL;
	size_t path_end = q ? (size_t)(q - target) : len;

	if (path_end > 0 && target[path_end - 1] == '/')
		check(u->trailing_slash, "target ends with / but no trailing_slash");
}

/* "/" + encode(path) is an origin-form target for the same path. */
static void check_round_trip(const struct urlpath *u, unsigned flags)
{
	char none[1];
	size_t need = urlpath_encode(u->path, u->len, none, 0);
	check(need >= u->len && need <= 3 * u->len, "encoded length out of range");
	char *target = alloc(need + 2);
	target[0] = '/';
	check(urlpath_encode(u->path, u->len, target + 1, need + 1) == need, "encode length");
	check(strlen(target + 1) == need, "encoding truncated");

	char *exact = copy_of(target, need + 1);
	struct result again;
	resolve(exact, need + 1, flags, need + 2, &again);
	check(again.status == 0, "encoded path does not resolve");
	check(again.res.len == u->len && memcmp(again.res.path, u->path, u->len) == 0,
	      "encoded path resolves to another path");
	check(again.res.trailing_slash == (u->len == 0), "round trip changed trailing_slash");
	free(again.out);
	free(exact);
	free(target);
}

/* A truncated encoding is the longest run of whole %XX units that fits. */
static void check_truncated_encode(const struct urlpath *u, size_t out_size)
{
	char none[1];
	size_t need = urlpath_encode(u->path, u->len, none, 0);
	char *full = alloc(need + 1), *part = alloc(out_size);

	urlpath_encode(u->path, u->len, full, need + 1);
	check(urlpath_encode(u->path, u->len, part, out_size) == need, "truncated encode length");
	size_t n = strlen(part);
	check(n < out_size && memcmp(part, full, n) == 0, "truncated encoding not a prefix");
	check(n < 1 || part[n - 1] != '%', "dangling %");
	check(n < 2 || part[n - 2] != '%', "dangling %X");
	if (n < need)
		check(n + (full[n] == '%' ? 3 : 1) > out_size - 1, "truncated too early");
	free(full);
	free(part);
}

static void check_success(const struct result *r, unsigned flags, const char *target, size_t len,
                          uint8_t control)
{
	check_path(&r->res, flags, len);
	check_query(&r->res, target, len);
	check_trailing_slash(&r->res, target, len);
	check_round_trip(&r->res, flags);
	check_truncated_encode(&r->res, 1 + (size_t)(control >> 1) % (3 * r->res.len + 1));
}

/* A smaller buffer may only turn success into 400, never give another answer. */
static void check_small_buffer(const char *target, size_t len, unsigned flags, size_t out_size,
                               const struct result *full)
{
	struct result small;

	resolve(target, len, flags, out_size, &small);
	if (small.status == 0) {
		check(full->status == 0, "success only with a smaller buffer");
		check(small.res.len == full->res.len &&
		          memcmp(small.res.path, full->res.path, full->res.len + 1) == 0,
		      "smaller buffer gives another path");
	} else {
		check(small.status == full->status || small.status == 400,
		      "smaller buffer gives another status");
	}
	free(small.out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t control = data[0];
	unsigned flags = (control & 1) ? URLPATH_ALLOW_HIDDEN : 0;
	size_t len = size - 1;
	char *target = copy_of((const char *)data + 1, len);
	struct result full;

	resolve(target, len, flags, len + 1, &full);
	if (full.status == 0) {
		check_success(&full, flags, target, len, control);
	} else {
		check(full.status == 400 || full.status == 404, "unexpected status");
		check(full.res.path == NULL && full.res.len == 0, "res not cleared on failure");
	}
	check_small_buffer(target, len, flags, 1 + (size_t)(control >> 1) % (len + 1), &full);
	free(full.out);
	free(target);
	return 0;
}
