/* buffer — a byte queue: append at the end, consume from the front.
 *
 * Used for response heads and small bodies waiting to be sent: send() takes
 * only part of what it is offered, so what is left stays queued here. */
#ifndef SWITCHBOARD_BUFFER_H
#define SWITCHBOARD_BUFFER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t start; /* first byte not yet consumed */
	size_t end;   /* one past the last byte */
	size_t cap;
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void buf_free(struct buf *b);

/* Make room for at least n more bytes at the end. 0, or -1 when out of memory. */
int buf_reserve(struct buf *b, size_t n);

int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An unsigned number in decimal: the hot path has no use for printf. */
int buf_append_u64(struct buf *b, uint64_t n);

/* Drop n bytes from the front; an emptied buffer starts again at offset 0. */
void buf_consume(struct buf *b, size_t n);

static inline size_t buf_len(const struct buf *b)
{
	return b->end - b->start;
}

static inline const char *buf_head(const struct buf *b)
{
	return b->data + b->start;
}

#endif
