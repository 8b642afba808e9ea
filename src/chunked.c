#include "autoconfig.h"

#include "chunked.h"

#include "httpchars.h"

#include <stdbool.h>
#include <string.h>

/* Where the decoder is in the body: each state names what the next byte may be. */
enum {
	S_SIZE_FIRST,      /* the first digit of a chunk-size */
	S_SIZE,            /* more digits, or what follows them */
	S_EXT_BWS,         /* whitespace before ";" */
	S_EXT_NAME_START,  /* after ";": whitespace, or the name's first byte */
	S_EXT_NAME,        /* more of the name, "=", ";" or the line end */
	S_EXT_NAME_BWS,    /* whitespace after a name: "=" or ";" follows */
	S_EXT_VALUE_START, /* after "=": whitespace, a token or a quoted-string */
	S_EXT_TOKEN,       /* more of a token value */
	S_EXT_QUOTED,      /* inside a quoted-string */
	S_EXT_QUOTED_PAIR, /* after a backslash in a quoted-string */
	S_EXT_QUOTED_END,  /* after the closing quote */
	S_SIZE_LF,         /* the LF of the size line */
	S_DATA,            /* chunk data: `remaining` bytes */
	S_DATA_CR,         /* the CRLF after the data */
	S_DATA_LF,
	S_TRAILER_START, /* a trailer field line, or the CR of the final empty line */
	S_TRAILER_NAME,
	S_TRAILER_VALUE,
	S_TRAILER_LF,
	S_END_LF, /* the LF of the final empty line */
	S_DONE,
	S_ERROR,
};

void chunked_init(struct chunked_decoder *d, uint64_t max_body)
{
	memset(d, 0, sizeof *d);
	d->state = S_SIZE_FIRST;
	d->max_body = max_body;
}

void chunked_set_sink(struct chunked_decoder *d, chunked_data_fn *fn, void *ctx)
{
	d->sink = fn;
	d->sink_ctx = ctx;
}

static enum chunked_result fail(struct chunked_decoder *d, int status)
{
	d->state = S_ERROR;
	d->status = status;
	return CHUNKED_ERROR;
}

/* The byte was fine: on to the state that names what may follow it. */
static enum chunked_result go(struct chunked_decoder *d, int state)
{
	d->state = state;
	return CHUNKED_NEED_MORE;
}

/* qdtext: a field-value byte but DQUOTE and backslash (RFC 9110 section 5.6.4). */
static bool is_qdtext(unsigned char c)
{
	return http_is_field_value_byte(c) && c != '"' && c != '\\';
}

/* One more digit of chunk-size. The value only grows with each digit, so once
 * it passes max_body no ending can bring it back: refuse it at once. */
static enum chunked_result size_digit(struct chunked_decoder *d, int digit)
{
	if (++d->size_digits > CHUNKED_MAX_SIZE_DIGITS)
		return fail(d, 400);
	d->size = d->size * 16 + (uint64_t)digit;
	if (d->size > d->max_body - d->body_bytes)
		return fail(d, 413);
	return go(d, S_SIZE);
}

/* The size line is complete: the chunk's data follows, or the trailers. */
static enum chunked_result end_size_line(struct chunked_decoder *d)
{
	d->body_bytes += d->size;
	d->remaining = d->size;
	d->size = 0;
	d->size_digits = 0;
	return go(d, d->remaining > 0 ? S_DATA : S_TRAILER_START);
}

/* Where a chunk-ext may end: whitespace (more must follow), ";" or CR. */
static enum chunked_result ext_boundary(struct chunked_decoder *d, unsigned char c)
{
	if (http_is_ows(c))
		return go(d, S_EXT_BWS);
	if (c == ';')
		return go(d, S_EXT_NAME_START);
	if (c == '\r')
		return go(d, S_SIZE_LF);
	return fail(d, 400);
}

/* A byte of the size line after the digits: the extensions and the CR. */
static enum chunked_result ext_byte(struct chunked_decoder *d, unsigned char c)
{
	switch (d->state) {
	case S_SIZE:
	case S_EXT_QUOTED_END:
		return ext_boundary(d, c);
	case S_EXT_BWS:
		return http_is_ows(c) ? go(d, S_EXT_BWS)
		       : c == ';'     ? go(d, S_EXT_NAME_START)
		                      : fail(d, 400);
	case S_EXT_NAME_START:
		return http_is_ows(c)     ? go(d, S_EXT_NAME_START)
		       : http_is_tchar(c) ? go(d, S_EXT_NAME)
		                          : fail(d, 400);
	case S_EXT_NAME:
		if (http_is_tchar(c))
			return go(d, S_EXT_NAME);
		return c == '='         ? go(d, S_EXT_VALUE_START)
		       : http_is_ows(c) ? go(d, S_EXT_NAME_BWS)
		                        : ext_boundary(d, c);
	case S_EXT_NAME_BWS:
		return http_is_ows(c) ? go(d, S_EXT_NAME_BWS)
		       : c == '='     ? go(d, S_EXT_VALUE_START)
		       : c == ';'     ? go(d, S_EXT_NAME_START)
		                      : fail(d, 400);
	case S_EXT_VALUE_START:
		return http_is_ows(c)     ? go(d, S_EXT_VALUE_START)
		       : c == '"'         ? go(d, S_EXT_QUOTED)
		       : http_is_tchar(c) ? go(d, S_EXT_TOKEN)
		                          : fail(d, 400);
	case S_EXT_TOKEN:
		return http_is_tchar(c) ? go(d, S_EXT_TOKEN) : ext_boundary(d, c);
	case S_EXT_QUOTED:
		return c == '"'       ? go(d, S_EXT_QUOTED_END)
		       : c == '\\'    ? go(d, S_EXT_QUOTED_PAIR)
		       : is_qdtext(c) ? go(d, S_EXT_QUOTED)
		                      : fail(d, 400);
	default: /* S_EXT_QUOTED_PAIR: HTAB, SP, VCHAR or obs-text */
		return http_is_field_value_byte(c) ? go(d, S_EXT_QUOTED) : fail(d, 400);
	}
}

/* A byte of the size line: digits, then extensions; the CR ends it. */
static enum chunked_result size_line_byte(struct chunked_decoder *d, unsigned char c)
{
	int digit = http_hex_value(c);
	if (d->state == S_SIZE_FIRST)
		return digit >= 0 ? size_digit(d, digit) : fail(d, 400);
	if (d->state == S_SIZE && digit >= 0)
		return size_digit(d, digit);
	enum chunked_result r = ext_byte(d, c);
	/* The CR is the line's end, not part of an extension. */
	if (r == CHUNKED_NEED_MORE && d->state != S_SIZE_LF &&
	    ++d->ext_bytes > CHUNKED_MAX_EXT_BYTES)
		return fail(d, 400);
	return r;
}

/* A byte of a trailer field line: name ":" value, each byte checked, then CRLF.
 * The line's syntax is judged before its size (a tie is 400). */
static enum chunked_result trailer_byte(struct chunked_decoder *d, unsigned char c)
{
	enum chunked_result r;
	switch (d->state) {
	case S_TRAILER_START:
		if (c == '\r') /* the final empty line does not count */
			return go(d, S_END_LF);
		/* Whitespace here is obs-fold, or a line that starts with it. */
		if (!http_is_tchar(c))
			return fail(d, 400);
		if (++d->trailer_fields > CHUNKED_MAX_TRAILER_FIELDS)
			return fail(d, 431);
		r = go(d, S_TRAILER_NAME);
		break;
	case S_TRAILER_NAME:
		r = http_is_tchar(c) ? go(d, S_TRAILER_NAME)
		    : c == ':'       ? go(d, S_TRAILER_VALUE)
		                     : fail(d, 400);
		break;
	case S_TRAILER_VALUE:
		r = c == '\r'                     ? go(d, S_TRAILER_LF)
		    : http_is_field_value_byte(c) ? go(d, S_TRAILER_VALUE)
		                                  : fail(d, 400);
		break;
	default: /* S_TRAILER_LF */
		r = c == '\n' ? go(d, S_TRAILER_START) : fail(d, 400);
		break;
	}
	if (r == CHUNKED_NEED_MORE && ++d->trailer_bytes > CHUNKED_MAX_TRAILER_BYTES)
		return fail(d, 431);
	return r;
}

/* Any byte but chunk data. */
static enum chunked_result step(struct chunked_decoder *d, unsigned char c)
{
	switch (d->state) {
	case S_SIZE_LF:
		return c == '\n' ? end_size_line(d) : fail(d, 400);
	case S_DATA_CR:
		return c == '\r' ? go(d, S_DATA_LF) : fail(d, 400);
	case S_DATA_LF:
		return c == '\n' ? go(d, S_SIZE_FIRST) : fail(d, 400);
	case S_TRAILER_START:
	case S_TRAILER_NAME:
	case S_TRAILER_VALUE:
	case S_TRAILER_LF:
		return trailer_byte(d, c);
	case S_END_LF:
		if (c != '\n')
			return fail(d, 400);
		d->state = S_DONE;
		return CHUNKED_DONE;
	default:
		return size_line_byte(d, c);
	}
}

/* As much of the current chunk's data as is here; returns the bytes taken. */
static size_t take_data(struct chunked_decoder *d, const char *data, size_t len)
{
	size_t n = d->remaining < len ? (size_t)d->remaining : len;
	if (d->sink != NULL)
		d->sink(d->sink_ctx, data, n);
	d->remaining -= n;
	if (d->remaining == 0)
		d->state = S_DATA_CR;
	return n;
}

enum chunked_result chunked_feed(struct chunked_decoder *d, const char *data, size_t len,
                                 size_t *consumed)
{
	*consumed = 0;
	if (d->state == S_DONE)
		return CHUNKED_DONE;
	if (d->state == S_ERROR)
		return CHUNKED_ERROR;

	enum chunked_result r = CHUNKED_NEED_MORE;
	size_t i = 0;
	while (i < len && r == CHUNKED_NEED_MORE) {
		if (d->state == S_DATA)
			i += take_data(d, data + i, len - i);
		else
			r = step(d, (unsigned char)data[i++]);
	}
	*consumed = i;
	return r;
}
