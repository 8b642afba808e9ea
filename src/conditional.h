/* conditional — validators and conditional requests (RFC 9110 sections 8.8, 13).
 *
 * The ETag is strong and depends only on what a copy of the file keeps (never
 * on the inode or the device), so identical copies on several hosts agree:
 *  - a file of up to ETAG_HASH_MAX_FILE bytes: its size and a 64-bit hash of
 *    the very bytes served ("size-hash"), so that it changes whenever they do,
 *    even when a copy keeps the modification time;
 *  - a larger file: its size and modification time in nanoseconds
 *    ("size-sec.nsec"), which costs no read; a change that keeps both size and
 *    time is then not seen (the trade-off nginx makes for every file).
 * The two never collide: a hash tag's size is at most ETAG_HASH_MAX_FILE. */
#ifndef SWITCHBOARD_CONDITIONAL_H
#define SWITCHBOARD_CONDITIONAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "http_parser.h"

#define ETAG_MAX 80

/* Files up to this size are tagged by their content. */
#define ETAG_HASH_MAX_FILE ((uint64_t)256 * 1024)

/* "\"size-hash\"" in hexadecimal (the hash in 16 digits), quotes included. */
void etag_from_content(uint64_t size, uint64_t hash, char out[ETAG_MAX]);

/* "\"size-sec.nsec\"" in hexadecimal, quotes included: for larger files. */
void etag_from_stat(const struct stat *st, char out[ETAG_MAX]);

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

/* The same for a representation without validators (a directory listing):
 * "If-None-Match: *" gives 304, since it exists; "If-Match" other than "*"
 * gives 412, since no tag can match; the dates are ignored. */
enum conditional_result conditional_evaluate_untagged(const struct http_request *req,
                                                      const char *data);

/* If-Range (section 13.1.5): may the Range field be honoured? True when there is
 * no If-Range, when its entity-tag strongly matches, or its date equals mtime. */
bool conditional_range_allowed(const struct http_request *req, const char *data, const char *etag,
                               time_t mtime);

#endif
