/* listing — an HTML index of a directory without an index file.
 *
 * The names are read and sorted when the listing opens (directories first,
 * then byte order); the page is then produced a piece at a time, as the
 * connection can send it, so a directory of 100,000 entries neither holds the
 * loop for long nor turns into one huge buffer. Names are percent-encoded in
 * links and HTML-escaped in text. */
#ifndef SWITCHBOARD_LISTING_H
#define SWITCHBOARD_LISTING_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

/* Entries listed at most; a larger directory's page says it was cut short. */
#define LISTING_MAX_ENTRIES 200000

struct listing;

/* Take over dirfd (an open directory). url_path is the decoded request path
 * relative to the root, without slashes at either end ("" for the root).
 * Names starting with '.' are left out unless show_hidden. NULL on failure
 * (errno set; dirfd closed). */
struct listing *listing_open(int dirfd, const char *url_path, bool show_hidden);

/* Append roughly budget bytes (at least one entry) of the page to out.
 * Returns 1 while more is to come, 0 when the page is complete, -1 when out of
 * memory. */
int listing_next(struct listing *l, struct buf *out, size_t budget);

void listing_free(struct listing *l);

#endif
