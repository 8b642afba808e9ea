/* chunked — an incremental decoder of the chunked transfer coding (RFC 9112
 * section 7.1) for request bodies.
 *
 * Bytes in; "need more", "done" or an error with its status code out. It knows
 * nothing of sockets and allocates nothing: the caller hands it each run of
 * body bytes as they arrive (only the new ones, unlike http_parser), and it
 * examines each byte once, keeping only a few counters between calls. It says
 * where the body ends (the bytes after it are the next request) and, if asked,
 * hands over the chunk data as spans of the bytes given (chunked_set_sink).
 *
 * Whatever way the bytes are split, the answer is the same: every byte is
 * judged when it arrives, so the first faulty byte decides, and the decoder
 * stops there.
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size   = 1*HEXDIG                 last-chunk = 1*"0" [ chunk-ext ] CRLF
 *   chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *   chunk-ext-val = token / quoted-string   trailer-section = *( field-line CRLF )
 *
 * Named strictness (the grammar above, read strictly):
 *  - chunk-size: hex digits only, at most CHUNKED_MAX_SIZE_DIGITS of them
 *    (leading zeros included); no sign, "0x", or whitespace before it, and
 *    whitespace after it only where an extension follows (BWS before ";").
 *    More digits is 400; the value cannot overflow.
 *  - Extensions are checked against the grammar and ignored; all the bytes of
 *    all extensions of one body count toward CHUNKED_MAX_EXT_BYTES (400).
 *  - Line endings: CRLF only, as in the request head: a bare LF or a bare CR
 *    is 400, at once. Chunk data must be followed by exactly CRLF.
 *  - Trailer fields: each a valid field-line (token name, colon right after it,
 *    field-value bytes), obs-fold refused (400); more than
 *    CHUNKED_MAX_TRAILER_FIELDS fields or CHUNKED_MAX_TRAILER_BYTES bytes (CRLFs
 *    included, the final empty line not) is 431. Trailers are validated and
 *    dropped, never merged into the head: a Content-Length or
 *    Transfer-Encoding among them frames nothing.
 *  - Size: the chunk sizes announced so far (body_bytes) may not pass the
 *    max_body given to chunked_init: 413, as soon as the chunk-size digit that
 *    passes it arrives, before its data is read.
 *
 * Design note, the server's use: a request body is never used (GET and HEAD
 * bodies are dropped), so a chunked body is decoded only to find its end. Its
 * bound is the same max_discard_body as for a Content-Length body: the caller
 * passes it as max_body (body_bytes reports the count, for the access log),
 * and on 413 (or any error) answers with that status and closes the
 * connection, because the rest of the body cannot be told from a next
 * request. To answer with that status, the server reads the body before it
 * responds; once a response has gone, an error can only close the connection. */
#ifndef SWITCHBOARD_CHUNKED_H
#define SWITCHBOARD_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#define CHUNKED_MAX_SIZE_DIGITS 16     /* 16 hex digits fill a uint64_t: more is 400 */
#define CHUNKED_MAX_EXT_BYTES 4096     /* all chunk extensions of a body: more is 400 */
#define CHUNKED_MAX_TRAILER_FIELDS 32  /* more is 431 */
#define CHUNKED_MAX_TRAILER_BYTES 8192 /* the trailer section, with CRLFs: more is 431 */

enum chunked_result {
	CHUNKED_NEED_MORE,
	CHUNKED_DONE,
	CHUNKED_ERROR,
};

/* Receives each run of chunk data, a span of the bytes given to chunked_feed. */
typedef void chunked_data_fn(void *ctx, const char *data, size_t len);

struct chunked_decoder {
	int state;
	int status;          /* the HTTP status to answer with, after CHUNKED_ERROR */
	uint64_t max_body;   /* the most body_bytes may reach */
	uint64_t body_bytes; /* the chunk sizes announced by complete size lines */
	uint64_t remaining;  /* data bytes still to come in the current chunk */
	uint64_t size;       /* the chunk-size read so far */
	unsigned size_digits;
	unsigned trailer_fields;
	size_t ext_bytes;
	size_t trailer_bytes;
	chunked_data_fn *sink;
	void *sink_ctx;
};

/* Ready for the first byte of a body whose chunks may announce up to max_body
 * bytes in all (UINT64_MAX: no bound). */
void chunked_init(struct chunked_decoder *d, uint64_t max_body);

/* Have the chunk data handed to fn (NULL: dropped, the default). */
void chunked_set_sink(struct chunked_decoder *d, chunked_data_fn *fn, void *ctx);

/* data/len: the next bytes of the body. *consumed: how many of them the
 * decoder took: all of them on NEED_MORE; on DONE, those up to and including
 * the body's last byte (the rest begins the next request); on ERROR, those up
 * to and including the faulty byte. After DONE or ERROR the answer stays the
 * same and nothing more is consumed; on ERROR d->status holds 400, 413 or 431. */
enum chunked_result chunked_feed(struct chunked_decoder *d, const char *data, size_t len,
                                 size_t *consumed);

/* The chunk data received so far (at most body_bytes). */
static inline uint64_t chunked_data_seen(const struct chunked_decoder *d)
{
	return d->body_bytes - d->remaining;
}

#endif
