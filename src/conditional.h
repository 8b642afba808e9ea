/* conditional — validators and conditional requests (RFC 9110 sections 8.8, 13).
 *
 * The ETag is strong, made from the file's inode, size and modification time
 * in nanoseconds: it changes whenever the bytes could have. */
#ifndef SWITCHBOARD_CONDITIONAL_H
#define SWITCHBOARD_CONDITIONAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "http_parser.h"

#define ETAG_MAX 80

/* "\"ino-size-sec.nsec\"" in hexadecimal, quotes included. */
void etag_format(const struct stat *st, char out[ETAG_MAX]);

/* Does a field value (a list of entity-tags, or "*") match etag? Weak comparison
 * ignores the W/ prefix; strong comparison never matches a weak tag. */
bool etag_list_matches(const char *list, size_t len, const char *etag, bool weak);

enum conditional_result {
	CONDITIONAL_PROCEED,
	CONDITIONAL_NOT_MODIFIED,        /* 304 */
	CONDITIONAL_PRECONDITION_FAILED, /* 412 */
};

/* The preconditions of a GET or HEAD, in the order of RFC 9110 section 13.2.2:
 * If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since.
 * Dates that do not parse are ignored. */
enum conditional_result conditional_evaluate(const struct http_request *req, const char *data,
                                             const char *etag, time_t mtime);

/* If-Range (section 13.1.5): may the Range field be honoured? True when there is
 * no If-Range, when its entity-tag strongly matches, or its date equals mtime. */
bool conditional_range_allowed(const struct http_request *req, const char *data, const char *etag,
                               time_t mtime);

#endif
