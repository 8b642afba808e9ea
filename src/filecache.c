#include "autoconfig.h"

#include "filecache.h"

#include "hash.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUCKETS 1024

struct entry {
	struct cached_file file; /* first: the public part */
	char *key;
	size_t key_len;
	time_t checked; /* the last second the path was resolved to this file */
	time_t read_at; /* when the bytes were read */
	unsigned refs;  /* responses in flight, and 1 while in the table */
	bool in_table;
	struct entry *hash_next;
	struct entry *lru_prev, *lru_next; /* most recently used first */
};

struct filecache {
	struct entry *buckets[BUCKETS];
	struct entry *lru_head, *lru_tail;
	size_t bytes, max_bytes, max_file;
};

struct filecache *filecache_new(size_t max_bytes, size_t max_file)
{
	struct filecache *fc = calloc(1, sizeof *fc);
	if (fc != NULL) {
		fc->max_bytes = max_bytes;
		fc->max_file = max_file < max_bytes ? max_file : max_bytes;
	}
	return fc;
}

static size_t hash_key(const char *key, size_t len)
{
	return hash_fnv1a(HASH_FNV1A_INIT, key, len) % BUCKETS;
}

static void entry_unref(struct entry *e)
{
	if (--e->refs > 0)
		return;
	free((char *)e->file.bytes);
	free((char *)e->file.name);
	free((void *)e->file.head);
	free(e->key);
	free(e);
}

void filecache_release(const struct cached_file *file)
{
	if (file != NULL)
		entry_unref((struct entry *)file);
}

bool filecache_is_kept(const struct cached_file *file)
{
	return ((const struct entry *)file)->in_table;
}

void filecache_keep_head(const struct cached_file *file, struct response_prepared *head)
{
	struct entry *e = (struct entry *)file;
	free((void *)e->file.head);
	e->file.head = head;
}

const struct cached_file *filecache_hold(const struct cached_file *file)
{
	((struct entry *)file)->refs++;
	return file;
}

static void lru_unlink(struct filecache *fc, struct entry *e)
{
	if (e->lru_prev != NULL)
		e->lru_prev->lru_next = e->lru_next;
	else
		fc->lru_head = e->lru_next;
	if (e->lru_next != NULL)
		e->lru_next->lru_prev = e->lru_prev;
	else
		fc->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(struct filecache *fc, struct entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = fc->lru_head;
	if (fc->lru_head != NULL)
		fc->lru_head->lru_prev = e;
	fc->lru_head = e;
	if (fc->lru_tail == NULL)
		fc->lru_tail = e;
}

static void remove_entry(struct filecache *fc, struct entry *e)
{
	struct entry **p = &fc->buckets[hash_key(e->key, e->key_len)];
	while (*p != e)
		p = &(*p)->hash_next;
	*p = e->hash_next;
	lru_unlink(fc, e);
	fc->bytes -= e->file.len;
	e->in_table = false;
	entry_unref(e);
}

void filecache_flush(struct filecache *fc)
{
	while (fc->lru_head != NULL)
		remove_entry(fc, fc->lru_head);
}

void filecache_free(struct filecache *fc)
{
	if (fc == NULL)
		return;
	filecache_flush(fc);
	free(fc);
}

static struct entry *find(struct filecache *fc, const char *key, size_t len)
{
	for (struct entry *e = fc->buckets[hash_key(key, len)]; e != NULL; e = e->hash_next)
		if (e->key_len == len && memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

const struct cached_file *filecache_get(struct filecache *fc, const char *key, size_t key_len,
                                        time_t now)
{
	struct entry *e = find(fc, key, key_len);
	if (e == NULL || e->checked != now)
		return NULL;
	if (fc->lru_head != e) {
		lru_unlink(fc, e);
		lru_push_front(fc, e);
	}
	e->refs++;
	return &e->file;
}

/* The same version of the same file: any write, truncation, chmod or utime
 * moves the change time, which no one can set back. */
static bool same_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Up to cap bytes from the start of fd, until the end of the file. */
static int read_upto(int fd, char *bytes, size_t cap, size_t *got)
{
	*got = 0;
	while (*got < cap) {
		ssize_t n = pread(fd, bytes + *got, cap - *got, (off_t)*got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* An entry outside the table, owned by its one holder. */
static struct entry *detached_entry(const char *name, char *bytes, size_t len,
                                    const struct stat *st)
{
	struct entry *e = calloc(1, sizeof *e);
	char *copy = strdup(name);
	if (e == NULL || copy == NULL) {
		free(e);
		free(copy);
		free(bytes);
		errno = ENOMEM;
		return NULL;
	}
	e->file.name = copy;
	e->file.bytes = bytes;
	e->file.len = len;
	e->file.st = *st;
	e->file.st.st_size = (off_t)len; /* what was read is what is described */
	e->file.hash = hash_fnv1a64(HASH_FNV1A64_INIT, bytes, len);
	e->refs = 1;
	return e;
}

/* Tries at reading a file that moves under the read before serving the last. */
#define READ_TRIES 3

/* The whole file, read between two fstat() calls; *settled: nothing moved
 * across the read and the last change is old enough for the bytes to be kept. */
static struct entry *read_entry(int fd, const char *name, size_t max_file, time_t now,
                                bool *settled)
{
	for (int attempt = 1;; attempt++) {
		struct stat before, after;
		if (fstat(fd, &before) < 0)
			return NULL;
		if (!S_ISREG(before.st_mode) || before.st_size < 0 ||
		    (uint64_t)before.st_size > max_file) {
			errno = EFBIG;
			return NULL;
		}
		size_t size = (size_t)before.st_size, got;
		char *bytes = malloc(size + 1); /* one more: a file that grew shows it */
		if (bytes == NULL)
			return NULL;
		if (read_upto(fd, bytes, size + 1, &got) < 0 || fstat(fd, &after) < 0) {
			free(bytes);
			return NULL;
		}
		bool still = got == size && same_version(&before, &after);
		if (still || attempt == READ_TRIES) {
			/* A change within the last second or two may still be going on
			 * (time stamps move by clock ticks, not by writes). */
			*settled = still && size > 0 && after.st_ctim.tv_sec + 2 <= now;
			return detached_entry(name, bytes, got, &after);
		}
		free(bytes);
	}
}

const struct cached_file *filecache_snapshot(int fd, const char *name, size_t max_file, time_t now)
{
	bool settled;
	struct entry *e = read_entry(fd, name, max_file, now, &settled);
	return e != NULL ? &e->file : NULL;
}

/* Is the fresh read the very version the entry holds? */
static bool same_content(const struct entry *e, const struct entry *fresh)
{
	return same_version(&e->file.st, &fresh->file.st) && e->file.len == fresh->file.len &&
	       strcmp(e->file.name, fresh->file.name) == 0 &&
	       memcmp(e->file.bytes, fresh->file.bytes, e->file.len) == 0;
}

static void insert_entry(struct filecache *fc, struct entry *e, time_t now)
{
	/* Room for it: the least recently used go first. remove_entry unlinks
	 * the tail before it may free it, so lru_tail is always a live entry. */
	while (fc->bytes + e->file.len > fc->max_bytes && fc->lru_tail != NULL)
		remove_entry(fc, fc->lru_tail); // NOLINT(clang-analyzer-unix.Malloc)
	size_t b = hash_key(e->key, e->key_len);
	e->hash_next = fc->buckets[b];
	fc->buckets[b] = e;
	lru_push_front(fc, e);
	fc->bytes += e->file.len;
	e->checked = e->read_at = now;
	e->in_table = true;
	e->refs = 2; /* the table's, and the caller's */
}

const struct cached_file *filecache_put(struct filecache *fc, const char *key, size_t key_len,
                                        const char *name, int fd, const struct stat *st, time_t now)
{
	struct entry *e = find(fc, key, key_len);
	if (e != NULL && same_version(&e->file.st, st) && strcmp(e->file.name, name) == 0 &&
	    now - e->read_at < FILECACHE_TRUST_SECONDS) {
		e->checked = now; /* still the same file: no need to read it again */
		e->refs++;
		return &e->file;
	}
	bool settled = false;
	struct entry *fresh = NULL;
	if (st->st_size >= 0 && (uint64_t)st->st_size <= fc->max_file)
		fresh = read_entry(fd, name, fc->max_file, now, &settled);
	if (e != NULL && fresh != NULL && settled && same_content(e, fresh)) {
		e->checked = e->read_at = now; /* read again, found the same */
		e->refs++;
		entry_unref(fresh);
		return &e->file;
	}
	if (e != NULL)
		remove_entry(fc, e);
	if (fresh == NULL || !settled)
		return fresh != NULL ? &fresh->file : NULL;
	fresh->key = strndup(key, key_len);
	if (fresh->key == NULL)
		return &fresh->file; /* served once, not kept */
	fresh->key_len = key_len;
	insert_entry(fc, fresh, now);
	return &fresh->file;
}
