/* body — where the bytes of a response body come from: a range of an open
 * file, a range of a file held in memory, or a generator that produces the
 * body a piece at a time (a directory listing).
 *
 * A body has one owner at a time: the plan that chose it, then the connection
 * that sends it. Whoever owns it last calls body_release(), the one place that
 * closes the file, lets go of the cached bytes or frees the generator. A zeroed
 * struct body is BODY_NONE and safe to release. */
#ifndef SWITCHBOARD_BODY_H
#define SWITCHBOARD_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"

struct cached_file;

enum body_kind {
	BODY_NONE,      /* nothing, or bytes already in the head's buffer */
	BODY_FILE,      /* fd, from offset, remaining bytes: sent with sendfile() */
	BODY_MEMORY,    /* mem->bytes, from offset, remaining bytes */
	BODY_STATIC,    /* bytes with static storage (a fixed answer), from offset */
	BODY_OWNED,     /* bytes allocated for this response (malloc), freed with it */
	BODY_GENERATED, /* gen->next() until it says the body is complete */
};

/* A body produced a piece at a time. next() appends roughly budget bytes to out
 * and returns 1 while more is to come, 0 when the body is complete, -1 when out
 * of memory; release() frees the state. */
struct body_generator {
	int (*next)(void *state, struct buf *out, size_t budget);
	void (*release)(void *state);
};

struct body {
	enum body_kind kind;
	int fd;                        /* BODY_FILE */
	const struct cached_file *mem; /* BODY_MEMORY: a held reference */
	const char *bytes;             /* MEMORY, STATIC, OWNED: the whole body's bytes */
	const struct body_generator *gen;
	void *gen_state;    /* BODY_GENERATED */
	uint64_t offset;    /* FILE and bytes in memory: the first byte to send */
	uint64_t remaining; /* FILE and bytes in memory: bytes still to send */
};

static inline struct body body_file(int fd, uint64_t offset, uint64_t length)
{
	return (struct body){.kind = BODY_FILE, .fd = fd, .offset = offset, .remaining = length};
}

/* mem_bytes: mem->bytes (given here so that this header needs no filecache.h). */
static inline struct body body_memory(const struct cached_file *mem, const char *mem_bytes,
                                      uint64_t offset, uint64_t length)
{
	return (struct body){.kind = BODY_MEMORY,
	                     .mem = mem,
	                     .bytes = mem_bytes,
	                     .offset = offset,
	                     .remaining = length};
}

static inline struct body body_static(const char *bytes, uint64_t length)
{
	return (struct body){.kind = BODY_STATIC, .bytes = bytes, .remaining = length};
}

/* bytes: from malloc(); the body frees them. */
static inline struct body body_owned(char *bytes, uint64_t length)
{
	return (struct body){.kind = BODY_OWNED, .bytes = bytes, .remaining = length};
}

/* Bytes in memory (cached, static or owned), sent with the head in one call. */
static inline bool body_in_memory(const struct body *b)
{
	return b->kind == BODY_MEMORY || b->kind == BODY_STATIC || b->kind == BODY_OWNED;
}

static inline struct body body_generated(const struct body_generator *gen, void *state)
{
	return (struct body){.kind = BODY_GENERATED, .gen = gen, .gen_state = state};
}

/* Close, let go of or free what the body holds; it becomes BODY_NONE. */
void body_release(struct body *b);

/* Hand the body over: *from becomes BODY_NONE, the result owns what it held. */
static inline struct body body_take(struct body *from)
{
	struct body b = *from;
	*from = (struct body){.kind = BODY_NONE};
	return b;
}

#endif
