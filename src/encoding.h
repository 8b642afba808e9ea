/* encoding — which content codings a client accepts (Accept-Encoding, RFC 9110
 * section 12.5.3), for serving precompressed files. */
#ifndef SWITCHBOARD_ENCODING_H
#define SWITCHBOARD_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

/* In the order switchboard prefers them when a client weighs them equally:
 * the smallest files first, the file as it is last. */
enum content_coding { CODING_BR, CODING_ZSTD, CODING_GZIP, CODING_IDENTITY, CODING_COUNT };

/* The codings the client accepts, in the order it prefers them: higher q
 * first; on a tie br, zstd, gzip, then identity. Left out are those it
 * refuses: q=0, or absent when no "*" speaks for them. identity is
 * acceptable unless "identity;q=0", or "*;q=0" without "identity", refuses
 * it; not named, it comes after every coding the client names. An empty, absent or malformed field
 * accepts identity alone. Returns how many were written to order (0 to CODING_COUNT). */
size_t encoding_preferences(const char *value, size_t len, enum content_coding order[CODING_COUNT]);

/* "br", "zstd", "gzip": the Content-Encoding value; NULL for identity. */
const char *encoding_name(enum content_coding c);

/* ".br", ".zst", ".gz": the file suffix of a sibling; "" for identity. */
const char *encoding_suffix(enum content_coding c);

/* Mark the entity-tag etag (quotes included, NUL-terminated, in cap bytes)
 * as the one of the coding named coding (a Content-Encoding value): "x"
 * becomes "x-br". A strong tag names one representation, and a sibling's
 * bytes are another representation of the file even when their size and
 * time happen to equal the original's. NULL (identity) leaves it. False when
 * it would not fit (etag unchanged). */
bool encoding_mark_etag(char *etag, size_t cap, const char *coding);

#endif
