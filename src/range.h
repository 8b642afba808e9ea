/* range — the Range request header field for bytes (RFC 9110 section 14).
 *
 * Policy: one range is served as 206. A request for several ranges is answered
 * with the whole representation and 200, which RFC 9110 section 14.2 permits: it
 * needs no multipart body, and many small or overlapping ranges cannot be used
 * to multiply the work of a response. */
#ifndef SWITCHBOARD_RANGE_H
#define SWITCHBOARD_RANGE_H

#include <stddef.h>
#include <stdint.h>

enum range_result {
	RANGE_IGNORE,        /* absent, another unit, invalid, or several ranges: 200 */
	RANGE_SATISFIABLE,   /* one range inside the representation: 206 */
	RANGE_UNSATISFIABLE, /* one range wholly outside it: 416 */
};

struct byte_range {
	uint64_t first;
	uint64_t length; /* at least 1 */
};

/* Evaluate a Range field value against a representation of size bytes. */
enum range_result range_parse(const char *value, size_t len, uint64_t size, struct byte_range *out);

#endif
