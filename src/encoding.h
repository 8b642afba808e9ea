/* encoding — which content codings a client accepts (Accept-Encoding, RFC 9110
 * section 12.5.3), for serving precompressed files. */
#ifndef SWITCHBOARD_ENCODING_H
#define SWITCHBOARD_ENCODING_H

#include <stddef.h>

enum content_coding { CODING_BR, CODING_GZIP, CODING_COUNT };

/* The codings switchboard can serve from FILE.br / FILE.gz, in the order the
 * client prefers them (higher q first; br before gzip on a tie), without those
 * it refuses (q=0, or absent when there is no "*"). Returns how many were
 * written to order (0 to CODING_COUNT). A malformed field accepts none. */
size_t encoding_preferences(const char *value, size_t len, enum content_coding order[CODING_COUNT]);

/* "br", "gzip": the Content-Encoding value; ".br", ".gz": the file suffix. */
const char *encoding_name(enum content_coding c);
const char *encoding_suffix(enum content_coding c);

#endif
