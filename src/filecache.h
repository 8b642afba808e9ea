/* filecache — small files kept in memory, so that a request for one costs no
 * open, fstat or close, and their content hash (the ETag) is computed once.
 *
 * An entry is trusted for at most one second: after that the next request
 * resolves the path again (under the same rules as any request) and the entry
 * is kept only if the file is still the same one (device, inode, size, and
 * modification and change times to the nanosecond) and its bytes were read
 * less than FILECACHE_TRUST_SECONDS ago; else they are read again. Bytes are
 * read between two fstat() calls and kept only when nothing moved across the
 * read and the file's change time is at least a second old: a file being
 * written (in place, truncated then written, by mmap) is served as read at
 * that moment but never kept, so a transient state is not stretched. An empty
 * file is not kept either. Entries are shared by the responses sending them:
 * one replaced or evicted while a response is in flight lives until it is
 * sent. */
#ifndef SWITCHBOARD_FILECACHE_H
#define SWITCHBOARD_FILECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Bytes read again after this long even if no metadata changed: a write
 * through a mapping that is already dirty moves no time stamp. */
#define FILECACHE_TRUST_SECONDS 2

struct response_prepared;

struct cached_file {
	const char *name;  /* the served file's path below the root (for its type) */
	struct stat st;    /* as it was across the read (st_size == len) */
	const char *bytes; /* the whole file */
	size_t len;
	uint64_t hash; /* hash_fnv1a64 of the bytes: the ETag's */
	/* The response head the responder made for this version of the file
	 * (NULL until then): replaced or evicted with the entry, so it never
	 * outlives the bytes it describes. */
	const struct response_prepared *head;
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
 * bytes unless the entry already holds this very file. Returns a held entry
 * (not kept in the table when the file was changing: see above), or NULL when
 * the file is too large or cannot be read (serve it from fd). */
const struct cached_file *filecache_put(struct filecache *fc, const char *key, size_t key_len,
                                        const char *name, int fd, const struct stat *st,
                                        time_t now);

/* The whole of the regular file fd (at most max_file bytes) read once, with
 * its hash, for one response: not kept. NULL with errno set on failure
 * (EFBIG: larger than max_file). */
const struct cached_file *filecache_snapshot(int fd, const char *name, size_t max_file, time_t now);

/* Is entry one the table keeps (not a read for one response only)? */
bool filecache_is_kept(const struct cached_file *entry);

/* Keep head (from malloc, taken over) with entry until the entry is freed;
 * a head it had already is freed first. */
void filecache_keep_head(const struct cached_file *entry, struct response_prepared *head);

/* One more reference to an entry already held: released with filecache_release. */
const struct cached_file *filecache_hold(const struct cached_file *entry);

/* Forget every entry (the document root changed); holders keep theirs. */
void filecache_flush(struct filecache *fc);

void filecache_release(const struct cached_file *entry);

#endif
