/* httpdate — HTTP dates (RFC 9110 section 5.6.7). */
#ifndef SWITCHBOARD_HTTPDATE_H
#define SWITCHBOARD_HTTPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define HTTPDATE_LEN 29

/* Format t (seconds since the epoch, UTC) as an IMF-fixdate into out (NUL-terminated). */
void httpdate_format(time_t t, char out[HTTPDATE_LEN + 1]);

/* Parse an HTTP-date: IMF-fixdate, and the obsolete RFC 850 and asctime forms a
 * recipient must accept. The input need not be NUL-terminated. Returns false for
 * anything else (including out-of-range fields and trailing garbage). */
bool httpdate_parse(const char *s, size_t len, time_t *out);

#endif
