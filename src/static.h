/* static — the static-file responder: from a GET or HEAD request to a response
 * plan (status, header fields, and an open file to send the body from).
 *
 * It knows nothing of select() or sockets. Every path is resolved inside the
 * document root by the kernel (openat2 with RESOLVE_BENEATH), so neither "..",
 * nor a symlink, nor a race with a renamed directory can lead outside it.
 *
 * The root is a path that may be a symlink switched atomically to deploy a
 * new release: it is opened again at most once a second (and at once when a
 * request finds nothing), and when it names another directory, new requests
 * resolve under that one and the file cache is emptied. A request keeps the
 * release it started under for all it opens (its file, index, precompressed
 * sibling, listing and error page); open files keep serving after the old
 * release is deleted. */
#ifndef SWITCHBOARD_STATIC_H
#define SWITCHBOARD_STATIC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "http_parser.h"
#include "response.h"

struct mime_types;
struct filecache;
struct redirect_rule;
struct fallback_rule;

/* add_header NAME VALUE [SCOPE] [always]: SCOPE is "/prefix" or "*.ext";
 * none: every path. */
struct header_rule {
	char *scope; /* NULL: every path */
	char *line;  /* "Name: value\r\n", ready to send */
	bool always; /* every status, errors and redirects too; else 2xx and 304 */
};

/* error_page STATUS PATH: the body of STATUS responses, a file below the root. */
struct error_page {
	int status;
	char *path;
};

enum symlink_policy {
	SYMLINKS_NEVER,       /* no symlink anywhere in the path */
	SYMLINKS_INSIDE_ROOT, /* followed while they stay inside the root */
	SYMLINKS_ALWAYS,      /* followed anywhere (the root's owner vouches) */
};

struct static_roots; /* the root's path and the release it names now */

struct static_site {
	int root_fd;     /* O_PATH descriptor of the root as opened: >= 0 while open */
	char *root_real; /* its canonical path then (requests use roots) */
	const struct mime_types *mime;
	const char *default_type;
	unsigned urlpath_flags; /* URLPATH_ALLOW_HIDDEN */
	enum symlink_policy symlinks;
	const char *const *index_names; /* tried in order in a directory */
	size_t index_count;
	const char *charset;               /* appended to text types; NULL: none */
	bool precompressed;                /* serve FILE.br / FILE.gz to clients that accept them */
	bool listing;                      /* list directories that have no index file */
	struct filecache *cache;           /* small files in memory; NULL: off */
	const struct header_rule *headers; /* add_header rules */
	size_t header_count;
	const struct error_page *error_pages;
	size_t error_page_count;
	const struct redirect_rule *redirects; /* checked before any file */
	size_t redirect_count;
	struct static_roots *roots; /* owned: made by static_site_open */
	/* The page for paths that name nothing (fallback.h); NULL: none. */
	const struct fallback_rule *fallback;
};

/* Open root; 0, or -1 with "ROOT: reason" in err. Other fields keep their values. */
int static_site_open(struct static_site *site, const char *root, char *err, size_t err_size);
void static_site_close(struct static_site *site);

/* Plan the answer to GET/HEAD of req (data: the request's bytes) into r. The
 * plan owns its body (an open file, cached bytes or a listing) and every string
 * it points to: response_release() frees them. */
void static_plan(const struct static_site *site, const struct http_request *req, const char *data,
                 time_t now, struct response *r);

/* The add_header rules marked "always" that apply to the answer r to req,
 * planned elsewhere (a refused method, a request that could not be read). */
void static_add_always_headers(const struct static_site *site, const struct http_request *req,
                               const char *data, struct response *r);

/* An error response about to be sent: when an error_page is configured for its
 * status, its body becomes that file (status unchanged). */
void static_error_page(const struct static_site *site, struct response *r);

#endif
