/* json — JSON text (RFC 8259) for the bytes of file names.
 *
 * A file name is any bytes but '/' and NUL; a JSON text is UTF-8. A name
 * that is valid UTF-8 is written as it is, with '"', '\' and the control
 * bytes escaped ("\u000a" for a newline). A byte that cannot begin or
 * continue a UTF-8 sequence (a Latin-1 name, a truncated sequence, an
 * overlong form, a surrogate) cannot be said in JSON: each maximal ill-formed
 * subsequence becomes one U+FFFD REPLACEMENT CHARACTER, as the Unicode
 * Standard (section 3.9) recommends and as Python's and the browsers'
 * decoders do, so that the text stays valid for every parser. */
#ifndef SWITCHBOARD_JSON_H
#define SWITCHBOARD_JSON_H

#include <stddef.h>

#include "buffer.h"

/* Append s[0..len) as a JSON string, quotes included. 0, or -1 when out of
 * memory. */
int json_append_string(struct buf *out, const char *s, size_t len);

#endif
