/* filecache — small files kept in memory, so that a request for one costs no
 * open, fstat or close.
 *
 * An entry is trusted for at most one second: after that the next request
 * resolves the path again (under the same rules as any request) and the entry
 * is kept only if the file is still the same one (device, inode, size and
 * modification time to the nanosecond). So a changed file is served stale for
 * at most about one second. Entries are shared by the responses sending them:
 * one replaced or evicted while a response is in flight lives until it is sent. */
#ifndef SWITCHBOARD_FILECACHE_H
#define SWITCHBOARD_FILECACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct cached_file {
	const char *name; /* the served file's path below the root (for its type) */
	struct stat st;
	const char *bytes; /* the whole file */
	size_t len;
};

struct filecache;

/* A cache of at most max_bytes of file contents; files larger than max_file
 * are not kept. NULL when out of memory. */
struct filecache *filecache_new(size_t max_bytes, size_t max_file);
void filecache_free(struct filecache *fc);

/* The entry for key (a request path below the root, "dir/" for a directory's
 * index) if it was validated within the last second; else NULL. The caller
 * holds a reference until filecache_release(). */
const struct cached_file *filecache_get(struct filecache *fc, const char *key, size_t key_len,
                                        time_t now);

/* After resolving key to the regular file fd (name, st): keep it, reading its
 * bytes unless the entry already holds this very file. Returns a held entry,
 * or NULL when the file is too large or cannot be read (serve it from fd). */
const struct cached_file *filecache_put(struct filecache *fc, const char *key, size_t key_len,
                                        const char *name, int fd, const struct stat *st,
                                        time_t now);

void filecache_release(const struct cached_file *entry);

#endif
