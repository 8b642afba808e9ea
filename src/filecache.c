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
	time_t checked;
	unsigned refs; /* responses in flight, and 1 while in the table */
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
	free(e->key);
	free(e);
}

void filecache_release(const struct cached_file *file)
{
	if (file != NULL)
		entry_unref((struct entry *)file);
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

void filecache_free(struct filecache *fc)
{
	if (fc == NULL)
		return;
	while (fc->lru_head != NULL)
		remove_entry(fc, fc->lru_head);
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

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static char *read_whole(int fd, size_t len)
{
	char *bytes = malloc(len ? len : 1);
	size_t got = 0;
	while (bytes != NULL && got < len) {
		ssize_t n = pread(fd, bytes + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* an error, or the file shrank: do not keep it */
			free(bytes);
			return NULL;
		}
		got += (size_t)n;
	}
	return bytes;
}

static struct entry *new_entry(const char *key, size_t key_len, const char *name, int fd,
                               const struct stat *st)
{
	struct entry *e = calloc(1, sizeof *e);
	if (e == NULL)
		return NULL;
	e->key = strndup(key, key_len);
	e->file.name = strdup(name);
	e->file.len = (size_t)st->st_size;
	e->file.bytes = e->key && e->file.name ? read_whole(fd, e->file.len) : NULL;
	if (e->file.bytes == NULL) {
		free(e->key);
		free((char *)e->file.name);
		free(e);
		return NULL;
	}
	e->key_len = key_len;
	e->file.st = *st;
	return e;
}

const struct cached_file *filecache_put(struct filecache *fc, const char *key, size_t key_len,
                                        const char *name, int fd, const struct stat *st, time_t now)
{
	struct entry *e = find(fc, key, key_len);
	if (e != NULL && same_file(&e->file.st, st) && strcmp(e->file.name, name) == 0) {
		e->checked = now; /* still the same file: no need to read it again */
		e->refs++;
		return &e->file;
	}
	if (e != NULL)
		remove_entry(fc, e);
	if (st->st_size < 0 || (uint64_t)st->st_size > fc->max_file)
		return NULL;
	e = new_entry(key, key_len, name, fd, st);
	if (e == NULL)
		return NULL;
	/* Room for it: the least recently used go first. remove_entry unlinks
	 * the tail before it may free it, so lru_tail is always a live entry. */
	while (fc->bytes + e->file.len > fc->max_bytes && fc->lru_tail != NULL)
		remove_entry(fc, fc->lru_tail); // NOLINT(clang-analyzer-unix.Malloc)
	size_t b = hash_key(key, key_len);
	e->hash_next = fc->buckets[b];
	fc->buckets[b] = e;
	lru_push_front(fc, e);
	fc->bytes += e->file.len;
	e->checked = now;
	e->in_table = true;
	e->refs = 2; /* the table's, and the caller's */
	return &e->file;
}
