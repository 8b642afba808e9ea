/* listing — an HTML index of a directory without an index file, or the
 * same entries as JSON, in the shape of nginx's "autoindex_format json": an
 * array of {"name", "type" ("file" or "directory"), "mtime" (an IMF-fixdate),
 * "size" (files only)}, names escaped as json.h says.
 *
 * The directory is read a bounded batch at a time (the first batch when the
 * listing opens, the others one per listing_next call), each batch sorted on
 * its own (directories first, then byte order); the rows are then written in
 * order by merging the sorted batches, a piece at a time, as the connection
 * can send them. No call does more than a batch or a piece of work, so a
 * directory of 200,000 entries neither holds the loop for long nor turns into
 * one huge buffer.
 *
 * A listing links only to what a request would be served, so that a mirroring
 * client can follow every link it finds:
 *   - the links are relative ("name", "sub/", "../"), so the page works where
 *     a reverse proxy mounts the server under a prefix;
 *   - a link holds only unreserved characters (RFC 3986) and %XX escapes, so
 *     it needs no HTML escaping and no client can misread it;
 *   - left out are names a request cannot name (urlpath_name_servable),
 *     FIFOs, sockets and devices, entries the server may not read, and
 *     symbolic links that dangle or that the symlink policy refuses; a
 *     symbolic link is shown as what it points to.
 * The names shown as text are HTML-escaped. */
#ifndef SWITCHBOARD_LISTING_H
#define SWITCHBOARD_LISTING_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

/* Entries listed at most; a larger directory's page says it was cut short. */
#define LISTING_MAX_ENTRIES 200000

struct listing;
struct static_site;

/* How a request opens a path below the document root, symlink policy and all:
 * an open descriptor, or -1 with errno set. path is relative to the root. */
typedef int listing_opener(const struct static_site *site, const char *path);

/* Take over dirfd (an open directory). url_path is the decoded request path
 * relative to the root, without slashes at either end ("" for the root).
 * Names starting with '.' are left out unless show_hidden. A symbolic link is
 * listed only when open_in_root(site, "url_path/name") opens it; with no
 * open_in_root (NULL), links are followed wherever they lead. NULL on failure
 * (errno set; dirfd closed). */
struct listing *listing_open(int dirfd, const char *url_path, bool show_hidden,
                             listing_opener *open_in_root, const struct static_site *site);

enum listing_format { LISTING_HTML, LISTING_JSON };

/* The format a request asks for: "format=json" or "format=html" in its query
 * (query[0..query_len), raw), else JSON when its Accept field weighs
 * application/json more than text/html, else HTML (also when it accepts
 * neither: a listing is never refused). */
enum listing_format listing_format_wanted(const char *accept, size_t accept_len, const char *query,
                                          size_t query_len);

/* Write l in format (HTML unless told): before the first listing_next. */
void listing_set_format(struct listing *l, enum listing_format format);

/* The next piece of the page, appended to out: while the directory is still
 * being read, one more batch of it is read and nothing but the page's head may
 * be appended; then roughly budget bytes of rows (at least one). Returns 1
 * while more is to come, 0 when the page is complete, -1 when out of memory
 * or when the directory cannot be read any further (errno set). */
int listing_next(struct listing *l, struct buf *out, size_t budget);

void listing_free(struct listing *l);

#endif
