#include "autoconfig.h"

#include "buffer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf)BUF_INIT;
}

int buf_reserve(struct buf *b, size_t n)
{
	if (b->cap - b->end >= n)
		return 0;
	/* Slide the unconsumed bytes to the front before growing. */
	if (b->start > 0) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
		if (b->cap - b->end >= n)
			return 0;
	}
	size_t want = b->end + n;
	if (want < b->end)
		return -1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (p == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_reserve(b, n) < 0)
		return -1;
	memcpy(b->data + b->end, p, n);
	b->end += n;
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (need < 0 || buf_reserve(b, (size_t)need + 1) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->end, (size_t)need + 1, fmt, ap);
	va_end(ap);
	b->end += (size_t)need;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= buf_len(b)) {
		b->start = b->end = 0;
		return;
	}
	b->start += n;
}

int buf_append_u64(struct buf *b, uint64_t n)
{
	char digits[20];
	size_t i = sizeof digits;
	do {
		digits[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	return buf_append(b, digits + i, sizeof digits - i);
}
