#include "autoconfig.h"

#include "static.h"

#include "conditional.h"
#include "encoding.h"
#include "fallback.h"
#include "filecache.h"
#include "listing.h"
#include "metrics.h"
#include "mime.h"
#include "range.h"
#include "redirect.h"
#include "urlpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The longest decoded path plus "/" and an index file name. */
#define PATH_BUF_SIZE (HTTP_MAX_REQUEST_LINE + 2 + NAME_MAX + 1)

/* One release of the document root, as a request resolves paths under it. */
struct static_root {
	int fd;     /* O_PATH descriptor */
	char *real; /* its canonical path */
	dev_t dev;
	ino_t ino;
	unsigned refs; /* the site's while current, and each listing in flight */
};

struct static_roots {
	char *path; /* the configured root: opened again to see a new release */
	struct static_root *current;
	time_t checked; /* the second path was last opened */
};

static void root_unref(struct static_root *root)
{
	if (root == NULL || --root->refs > 0)
		return;
	close(root->fd);
	free(root->real);
	free(root);
}

/* Where the descriptor really is (the kernel's name for it), else where the
 * path leads now. */
static char *real_path_of(int fd, const char *path)
{
	char link[64], real[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof real - 1);
	if (n > 0 && real[0] == '/') {
		real[n] = '\0';
		return strdup(real);
	}
	return realpath(path, NULL);
}

/* The release path names now: a new root (which owns fd), or NULL with errno. */
static struct static_root *root_from_fd(int fd, const char *path)
{
	struct stat st;
	struct static_root *root = calloc(1, sizeof *root);
	if (root == NULL || fstat(fd, &st) < 0 || (root->real = real_path_of(fd, path)) == NULL) {
		int err = errno;
		free(root);
		close(fd);
		errno = err;
		return NULL;
	}
	root->fd = fd;
	root->dev = st.st_dev;
	root->ino = st.st_ino;
	root->refs = 1;
	return root;
}

/* The roots of path, whose release is the directory dir (not taken over). */
static struct static_roots *roots_new(const char *path, int dir)
{
	struct static_roots *roots = calloc(1, sizeof *roots);
	if (roots == NULL)
		return NULL;
	int fd = fcntl(dir, F_DUPFD_CLOEXEC, 0);
	roots->path = strdup(path);
	if (fd < 0 || roots->path == NULL || (roots->current = root_from_fd(fd, path)) == NULL) {
		int err = errno;
		if (fd >= 0 && roots->path == NULL)
			close(fd); /* root_from_fd was not called */
		free(roots->path);
		free(roots);
		errno = err;
		return NULL;
	}
	roots->checked = time(NULL);
	return roots;
}

int static_site_open(struct static_site *site, const char *root, char *err, size_t err_size)
{
	site->roots = NULL;
	site->root_real = NULL;
	site->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (site->root_fd < 0) {
		snprintf(err, err_size, "%s: %s", root,
		         errno == ENOTDIR ? "not a directory" : strerror(errno));
		return -1;
	}
	if ((site->root_real = realpath(root, NULL)) == NULL ||
	    (site->roots = roots_new(root, site->root_fd)) == NULL) {
		snprintf(err, err_size, "%s: %s", root, strerror(errno));
		static_site_close(site);
		return -1;
	}
	return 0;
}

void static_site_close(struct static_site *site)
{
	if (site->root_fd >= 0)
		close(site->root_fd);
	site->root_fd = -1;
	free(site->root_real);
	site->root_real = NULL;
	if (site->roots != NULL) {
		root_unref(site->roots->current);
		free(site->roots->path);
		free(site->roots);
		site->roots = NULL;
	}
}

/* Open the configured root again (at most once a second unless forced): has
 * it become another directory? Then it is the current release from now on,
 * and the cache, filled under the old one, is emptied. */
static bool roots_refresh(const struct static_site *site, time_t now, bool force)
{
	struct static_roots *roots = site->roots;
	if (roots->path == NULL || (!force && roots->checked == now))
		return false;
	roots->checked = now;
	struct stat st;
	int fd = open(roots->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false; /* keep serving what was there */
	if (fstat(fd, &st) < 0 ||
	    (st.st_dev == roots->current->dev && st.st_ino == roots->current->ino)) {
		close(fd);
		return false;
	}
	struct static_root *next = root_from_fd(fd, roots->path);
	if (next == NULL)
		return false;
	root_unref(roots->current);
	roots->current = next;
	if (site->cache != NULL)
		filecache_flush(site->cache);
	return true;
}

/* Does the canonical path real lie in the root (root_real)? */
static bool path_is_inside(const char *real, const char *root_real, const char **rest)
{
	size_t root_len = strlen(root_real);
	if (root_len == 1) /* the root is "/" */
		root_len = 0;
	bool inside = strncmp(real, root_real, root_len) == 0 &&
	              (real[root_len] == '\0' || real[root_len] == '/');
	*rest = real + root_len + (real[root_len] == '/');
	return inside;
}

/* Without openat2 (kernels before 5.6, or a seccomp filter that refuses it),
 * or for an absolute symlink (which RESOLVE_BENEATH refuses wherever it
 * points): find the file with O_PATH (which opens no device), ask the kernel
 * where it really is, and only then open it for reading, through that very
 * descriptor. */
static int open_checked_by_proc(const struct static_site *site, const char *path, int flags)
{
	const struct static_root *root = site->roots->current;
	if (site->symlinks == SYMLINKS_ALWAYS)
		return openat(root->fd, path, flags);
	int found = openat(root->fd, path, O_PATH | O_CLOEXEC);
	if (found < 0)
		return -1;
	char link[64], real[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", found);
	ssize_t n = readlink(link, real, sizeof real - 1);
	int fd = -1;
	if (n >= 0) {
		real[n] = '\0';
		const char *rest;
		bool inside = path_is_inside(real, root->real, &rest);
		/* "never": no symlink on the way means the real path is the lexical one. */
		bool exact = inside && strcmp(rest, path) == 0;
		if (!inside ||
		    (site->symlinks == SYMLINKS_NEVER && !exact && strcmp(path, ".") != 0))
			errno = EXDEV;
		else
			fd = open(link, flags);
	}
	int err = errno;
	close(found);
	errno = err;
	return fd;
}

/* Open path (relative, "" for the root) inside the current release under the
 * symlink policy. */
static int open_in_root(const struct static_site *site, const char *path)
{
	static bool no_openat2;
	const int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	if (path[0] == '\0')
		path = ".";
	if (site->symlinks != SYMLINKS_ALWAYS && !no_openat2) {
		struct open_how how = {.flags = flags,
		                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
		if (site->symlinks == SYMLINKS_NEVER)
			how.resolve |= RESOLVE_NO_SYMLINKS;
		int fd =
		    (int)syscall(SYS_openat2, site->roots->current->fd, path, &how, sizeof how);
		if (fd >= 0)
			return fd;
		if (errno == ENOSYS)
			no_openat2 = true;
		/* An absolute symlink is refused wherever it points: see where. */
		bool maybe_absolute_link =
		    site->symlinks == SYMLINKS_INSIDE_ROOT && (errno == EXDEV || errno == ELOOP);
		if (errno != ENOSYS && errno != EPERM && !maybe_absolute_link)
			return -1;
	}
	return open_checked_by_proc(site, path, flags);
}

static int status_for_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return 404;
	case EACCES:
	case EPERM:
	case ELOOP: /* a symlink the policy refuses */
	case EXDEV: /* a path that would leave the root */
	case ENXIO: /* a socket */
	case ENODEV:
	case ETXTBSY:
		return 403;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case EAGAIN:
		return 503;
	default:
		return 500;
	}
}

/* The longest Location: every byte of the path percent-encoded, and the query. */
#define LOCATION_MAX (3 * PATH_BUF_SIZE + HTTP_MAX_REQUEST_LINE + 4)

/* Append "?query" when the request had one, and the final NUL. */
static size_t finish_location(const struct urlpath *up, char *location, size_t n)
{
	if (up->query != NULL) {
		location[n++] = '?';
		memcpy(location + n, up->query, up->query_len);
		n += up->query_len;
	}
	location[n] = '\0';
	return n;
}

/* A directory asked for without its slash: 301 to the same name with one.
 * The Location is relative ("name/"), so that it holds behind a proxy that
 * serves this server under a prefix of its own; a first segment with ':'
 * would read as a scheme, so it is written "./a:b/". */
static void plan_redirect_to_directory(const struct urlpath *up, struct response *r)
{
	char *location = malloc(LOCATION_MAX);
	if (location == NULL) {
		response_error(r, 503);
		return;
	}
	const char *slash = memrchr(up->path, '/', up->len);
	const char *name = slash != NULL ? slash + 1 : up->path;
	size_t name_len = up->len - (size_t)(name - up->path);
	size_t n = 2;
	location[0] = '.';
	location[1] = '/';
	n += urlpath_encode(name, name_len, location + n, LOCATION_MAX - n);
	if (memchr(location + 2, ':', n - 2) == NULL) {
		memmove(location, location + 2, n - 2);
		n -= 2;
	}
	location[n++] = '/';
	finish_location(up, location, n);
	response_error(r, 301);
	r->location = r->location_owned = location;
}

/* A configured redirect (redirect.h): its status and Location. */
static void plan_configured_redirect(const struct redirect_rule *rule, const struct urlpath *up,
                                     struct response *r)
{
	size_t size = strlen(rule->to) + LOCATION_MAX;
	char *location = malloc(size);
	if (location == NULL || redirect_location(rule, up, location, size) == 0) {
		free(location);
		response_error(r, location == NULL ? 503 : 500);
		return;
	}
	response_error(r, rule->status);
	r->location = r->location_owned = location;
}

/* A directory named by a last segment of "." or ".." ("/a/b/.."): relative
 * links from its page would resolve against the wrong base, so the client
 * is sent to the directory's own name first, as a path from the root. */
static void plan_redirect_to_normal_form(const struct urlpath *up, struct response *r)
{
	char *location = malloc(LOCATION_MAX);
	if (location == NULL) {
		response_error(r, 503);
		return;
	}
	size_t n = 1;
	location[0] = '/';
	n += urlpath_encode(up->path, up->len, location + n, LOCATION_MAX - n);
	if (up->len > 0)
		location[n++] = '/';
	finish_location(up, location, n);
	response_error(r, 301);
	r->location = r->location_owned = location;
}

/* Does the request-target's path end with a dot segment rather than a '/'?
 * (An absolute-form target without a path, "http://host", has none.) */
static bool ends_with_dot_segment(const struct http_request *req, const char *data)
{
	const char *target = http_span_ptr(data, req->target);
	const char *query = memchr(target, '?', req->target.len);
	const char *end = query != NULL ? query : target + req->target.len;
	if (target[0] != '/') {
		const char *authority = memmem(target, (size_t)(end - target), "://", 3);
		if (authority == NULL)
			return false;
		authority += 3;
		target = memchr(authority, '/', (size_t)(end - authority));
		if (target == NULL)
			return false;
	}
	return end[-1] != '/';
}

/* Try each index name in the directory at path[0..len). */
static int open_index(const struct static_site *site, char *path, size_t len, const char **name)
{
	errno = ENOENT;
	for (size_t i = 0; i < site->index_count; i++) {
		const char *index = site->index_names[i];
		size_t index_len = strlen(index);
		if (len + 1 + index_len + 1 > PATH_BUF_SIZE)
			continue;
		size_t n = len;
		if (n > 0)
			path[n++] = '/';
		memcpy(path + n, index, index_len + 1);
		int fd = open_in_root(site, path);
		if (fd >= 0) {
			*name = path;
			return fd;
		}
		if (errno != ENOENT)
			return -1;
	}
	path[len] = '\0';
	return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Text types carry the configured charset (RFC 9110 section 8.3.2); others, and
 * types that already have parameters, are left alone. */
static bool wants_charset(const char *type)
{
	static const char *const textual[] = {"application/javascript", "application/json",
	                                      "application/xml",        "application/x-javascript",
	                                      "image/svg+xml",          NULL};
	if (strchr(type, ';') != NULL)
		return false;
	if (strncasecmp(type, "text/", 5) == 0 || ends_with(type, "+xml") ||
	    ends_with(type, "+json"))
		return true;
	for (size_t i = 0; textual[i] != NULL; i++)
		if (strcasecmp(type, textual[i]) == 0)
			return true;
	return false;
}

/* The Content-Type for a file name; one with a charset is kept in the plan. */
static const char *content_type_for(const struct static_site *site, const char *name,
                                    struct response *r)
{
	const char *type = mime_types_lookup(site->mime, name, strlen(name));
	if (type == NULL)
		type = site->default_type;
	if (site->charset == NULL || !wants_charset(type))
		return type;
	char with_charset[256];
	int n = snprintf(with_charset, sizeof with_charset, "%s; charset=%s", type, site->charset);
	const char *kept = NULL;
	if (n > 0 && (size_t)n < sizeof with_charset)
		kept = response_keep(r, with_charset, (size_t)n);
	return kept != NULL ? kept : type;
}

/* The prepared head of the cached file mem, when there is one for the coding
 * r is served in: a sibling (FILE.zst) is served as itself and as a coding
 * of FILE, with another type and ETag; its one head is for the first. */
static const struct response_prepared *prepared_for(const struct cached_file *mem,
                                                    const struct response *r)
{
	return mem != NULL && mem->head != NULL &&
	               mem->head->content_encoding == r->content_encoding
	           ? mem->head
	           : NULL;
}

/* The 200 planned in r for the cached file mem: the head is made once per
 * entry (type, length, validators), and later plans copy it with only the
 * Date patched in. An entry read for one response only gets none. */
static void use_prepared_head(const struct cached_file *mem, struct response *r)
{
	if (mem->head == NULL && filecache_is_kept(mem))
		filecache_keep_head(mem, response_prepare(r));
	const struct response_prepared *head = prepared_for(mem, r);
	if (head == NULL)
		return;
	r->content_type = head->content_type; /* the same text, kept with the head */
	r->prepared = head;
	/* A HEAD or a 304 drops the body, and its reference, before the head is written. */
	r->prepared_owner = body_memory(filecache_hold(mem), mem->bytes, 0, 0);
}

/* Preconditions and Range decide between 200, 206, 304, 412 and 416. The plan
 * takes over body, the whole file: its bytes in memory (mem, which the ETag
 * then describes by their hash) or, for a large file, an open file. */
static void plan_file(const struct static_site *site, const struct http_request *req,
                      const char *data, const char *name, struct body body,
                      const struct cached_file *mem, const struct stat *st, struct response *r)
{
	_Static_assert(RESPONSE_ETAG_MAX >= ETAG_MAX, "a plan holds any ETag");
	/* Copied: a 304 or an error releases the body, and mem (st may be in it) with it. */
	const uint64_t size = (uint64_t)st->st_size;
	const time_t mtime = st->st_mtime;
	char *etag = r->etag_text;
	const struct response_prepared *ready = prepared_for(mem, r);
	if (ready != NULL) { /* marked with the coding already */
		memcpy(etag, ready->etag, sizeof ready->etag);
	} else {
		if (mem != NULL)
			etag_from_content(mem->len, mem->hash, etag);
		else
			etag_from_stat(st, etag);
		encoding_mark_etag(etag, RESPONSE_ETAG_MAX, r->content_encoding);
	}
	r->body = body;
	switch (conditional_evaluate(req, data, etag, mtime)) {
	case CONDITIONAL_PROCEED:
		break;
	case CONDITIONAL_NOT_MODIFIED:
		body_release(&r->body);
		r->status = 304;
		r->etag = etag;
		r->has_last_modified = true;
		r->last_modified = mtime;
		return;
	case CONDITIONAL_PRECONDITION_FAILED:
		response_error(r, 412);
		return;
	}

	r->status = 200;
	r->content_type = ready != NULL ? ready->content_type : content_type_for(site, name, r);
	r->content_length = size;
	r->has_last_modified = true;
	r->last_modified = mtime;
	r->etag = etag;
	r->accept_ranges = true;
	r->body.offset = 0;
	r->body.remaining = size;
	if (mem != NULL)
		use_prepared_head(mem, r);
	if (req->range.len == 0 || !conditional_range_allowed(req, data, etag, mtime))
		return;

	struct byte_range br;
	switch (range_parse(http_span_ptr(data, req->range), req->range.len, size, &br)) {
	case RANGE_IGNORE:
		break;
	case RANGE_SATISFIABLE:
		r->status = 206;
		r->range = RESPONSE_RANGE_PARTIAL;
		r->range_first = br.first;
		r->complete_length = size;
		r->content_length = br.length;
		r->body.offset = br.first;
		r->body.remaining = br.length;
		break;
	case RANGE_UNSATISFIABLE:
		response_error(r, 416);
		r->range = RESPONSE_RANGE_UNSATISFIED;
		r->complete_length = size;
		r->accept_ranges = true;
		break;
	}
}

/* Is the encoded file at least as new as the original? To the second: brotli
 * -k and pigz -k copy the modification time without its nanoseconds. */
static bool is_as_new(const struct stat *encoded, const struct stat *original)
{
	return encoded->st_mtim.tv_sec >= original->st_mtim.tv_sec;
}

/* FILE.br, FILE.zst or FILE.gz beside FILE: a regular file, and at least as
 * new as the original when there is one (an older one is stale). */
static int open_sibling(const struct static_site *site, const char *name, enum content_coding c,
                        const struct stat *original, struct stat *st)
{
	char encoded[PATH_BUF_SIZE + 8];
	snprintf(encoded, sizeof encoded, "%s%s", name, encoding_suffix(c));
	int fd = open_in_root(site, encoded);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) == 0 && S_ISREG(st->st_mode) &&
	    (original == NULL || is_as_new(st, original)))
		return fd;
	close(fd);
	return -1;
}

/* What to serve for FILE (*fd, -1 when only its siblings exist): the first
 * coding the client prefers that is there. A sibling replaces *fd and *st;
 * CODING_IDENTITY means the original (or, without one, nothing acceptable). */
static enum content_coding open_precompressed(const struct static_site *site,
                                              const struct http_request *req, const char *data,
                                              const char *name, int *fd, struct stat *st)
{
	enum content_coding order[CODING_COUNT];
	size_t n = encoding_preferences(http_span_ptr(data, req->accept_encoding),
	                                req->accept_encoding.len, order);
	for (size_t i = 0; i < n; i++) {
		if (order[i] == CODING_IDENTITY) {
			if (*fd >= 0)
				break;
			continue;
		}
		struct stat est;
		int efd = open_sibling(site, name, order[i], *fd >= 0 ? st : NULL, &est);
		if (efd >= 0) {
			if (*fd >= 0)
				close(*fd);
			*fd = efd;
			*st = est;
			return order[i];
		}
	}
	return CODING_IDENTITY;
}

/* Is the request path ("/" + up->path, with its trailing slash) under prefix
 * (given without its leading "/")? */
static bool path_has_prefix(const struct urlpath *up, const char *prefix)
{
	size_t n = strlen(prefix);
	if (n <= up->len)
		return strncmp(up->path, prefix, n) == 0;
	/* "/dir/" covers the request "/dir/" itself. */
	return n == up->len + 1 && up->trailing_slash && prefix[n - 1] == '/' &&
	       strncmp(up->path, prefix, up->len) == 0;
}

/* add_header rules whose scope covers the request path (up; NULL when the
 * request has none) or the file's name, for r's status: 2xx and 304, and
 * every status for the rules marked "always". */
static void add_configured_headers(const struct static_site *site, const struct urlpath *up,
                                   const char *name, struct response *r)
{
	bool success = (r->status >= 200 && r->status < 300) || r->status == 304;
	for (size_t i = 0; i < site->header_count && r->extra_count < RESPONSE_MAX_EXTRA; i++) {
		const struct header_rule *rule = &site->headers[i];
		const char *scope = rule->scope;
		bool applies = scope == NULL;
		if (scope != NULL && up != NULL && scope[0] == '/')
			applies = path_has_prefix(up, scope + 1);
		else if (scope != NULL && up != NULL)
			applies = ends_with(name, scope + 1); /* "*.css" → ".css" */
		if (applies && (success || rule->always))
			r->extra[r->extra_count++] = rule->line;
	}
}

void static_add_always_headers(const struct static_site *site, const struct http_request *req,
                               const char *data, struct response *r)
{
	bool any_always = false;
	for (size_t i = 0; i < site->header_count; i++)
		any_always |= site->headers[i].always;
	if (!any_always)
		return; /* the path need not be resolved again */
	char path[PATH_BUF_SIZE];
	struct urlpath up;
	bool has_path = req->target.len > 0 &&
	                urlpath_resolve(http_span_ptr(data, req->target), req->target.len,
	                                site->urlpath_flags, path, sizeof path, &up) == 0;
	add_configured_headers(site, has_path ? &up : NULL, has_path ? path : "", r);
}

void static_error_page(const struct static_site *site, struct response *r)
{
	for (size_t i = 0; i < site->error_page_count; i++) {
		if (site->error_pages[i].status != r->status)
			continue;
		const char *path = site->error_pages[i].path + 1; /* below the root */
		struct stat st;
		int fd = open_in_root(site, path);
		if (fd < 0)
			return;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return;
		}
		body_release(&r->body);
		r->body = body_file(fd, 0, (uint64_t)st.st_size);
		r->content_length = (uint64_t)st.st_size;
		r->content_type = content_type_for(site, path, r);
		r->error_page = false;
		return;
	}
}

/* A listing in flight: it opens its entries (to apply the symlink policy)
 * while it is sent, under the release of its request even if the root has
 * moved on since. */
struct listing_state {
	struct static_site site;   /* the site's rules, roots below */
	struct static_roots roots; /* no path: never refreshed; the request's root */
	struct listing *listing;
};

static int listing_generate(void *state, struct buf *out, size_t budget)
{
	struct listing_state *ls = state;
	return listing_next(ls->listing, out, budget);
}

static void listing_release(void *state)
{
	struct listing_state *ls = state;
	listing_free(ls->listing);
	root_unref(ls->roots.current);
	free(ls);
}

static const struct body_generator listing_body = {listing_generate, listing_release};

/* A generated index of the directory dir (which the listing takes over). A
 * listing has no validator: only "If-None-Match: *" and If-Match apply. It
 * is HTML or JSON by the request's Accept (hence the Vary) or its query. */
static void plan_listing(const struct static_site *site, const struct http_request *req,
                         const char *data, const struct urlpath *up, int dir, struct response *r)
{
	enum listing_format format =
	    listing_format_wanted(http_span_ptr(data, req->accept), req->accept.len, up->query,
	                          up->query != NULL ? up->query_len : 0);
	r->vary_accept = true;
	switch (conditional_evaluate_untagged(req, data)) {
	case CONDITIONAL_PROCEED:
		break;
	case CONDITIONAL_NOT_MODIFIED:
		close(dir);
		r->status = 304;
		return;
	case CONDITIONAL_PRECONDITION_FAILED:
		close(dir);
		response_error(r, 412);
		return;
	}
	struct listing_state *ls = malloc(sizeof *ls);
	if (ls == NULL) {
		close(dir);
		response_error(r, 503);
		return;
	}
	ls->site = *site;
	ls->site.cache = NULL;
	ls->site.roots = &ls->roots;
	ls->roots = (struct static_roots){.current = site->roots->current};
	ls->roots.current->refs++;
	ls->listing = listing_open(dir, up->path, (site->urlpath_flags & URLPATH_ALLOW_HIDDEN) != 0,
	                           open_in_root, &ls->site);
	if (ls->listing == NULL) {
		int err = errno;
		listing_release(ls);
		response_error(r, status_for_errno(err));
		return;
	}
	listing_set_format(ls->listing, format);
	r->status = 200;
	r->content_type = format == LISTING_JSON ? "application/json" : "text/html; charset=utf-8";
	r->body = body_generated(&listing_body, ls);
	r->framing = req->version_minor >= 1 ? FRAMING_CHUNKED : FRAMING_CLOSE;
}

/* One request being planned: what the steps of static_plan share. */
struct lookup {
	const struct static_site *site;
	const struct http_request *req;
	const char *data;
	time_t now;
	struct urlpath up;
	char path[PATH_BUF_SIZE]; /* the decoded path; an index name may be appended */
	/* The cache's key: the request path, "dir/" for a directory's index. */
	char key[PATH_BUF_SIZE + 1];
	size_t key_len;
	bool use_cache;
	const char *name;           /* what the add_header suffixes are matched against */
	bool missing;               /* something was not found: the root may have moved on */
	enum content_coding coding; /* of the file served: a sibling's, or identity */
};

/* A file the cache holds, validated within its bound: planned from memory. */
static bool plan_from_cache(struct lookup *lk, struct response *r)
{
	const struct urlpath *up = &lk->up;
	lk->use_cache = lk->site->cache != NULL && !lk->site->precompressed;
	if (!lk->use_cache)
		return false;
	memcpy(lk->key, up->path, up->len);
	lk->key_len = up->len;
	if (up->trailing_slash && up->len > 0)
		lk->key[lk->key_len++] = '/';
	const struct cached_file *hit =
	    filecache_get(lk->site->cache, lk->key, lk->key_len, lk->now);
	metrics->cache[hit != NULL ? METRICS_CACHE_HIT : METRICS_CACHE_MISS]++;
	if (hit == NULL)
		return false;
	lk->name = hit->name;
	plan_file(lk->site, lk->req, lk->data, hit->name, body_memory(hit, hit->bytes, 0, hit->len),
	          hit, &hit->st, r);
	return true;
}

static bool is_missing(int err)
{
	return err == ENOENT || err == ENOTDIR;
}

/* The directory dir (open, stat'ed) asked for with its slash: its index file
 * (fd returned, *st and *name updated), or else its listing, a redirect or an
 * error planned into r (-1 returned). dir is closed or handed on either way. */
static int open_directory(struct lookup *lk, int dir, const char **name, struct stat *st,
                          struct response *r)
{
	int fd = open_index(lk->site, lk->path, lk->up.len, name);
	if (fd < 0) {
		int err = errno;
		lk->missing = is_missing(err);
		if (err == ENOENT && lk->site->listing) {
			lk->name = "";
			plan_listing(lk->site, lk->req, lk->data, &lk->up, dir, r);
			return -1;
		}
		close(dir);
		/* No index, no listing: 403. */
		response_error(r, err == ENOENT ? 403 : status_for_errno(err));
		return -1;
	}
	close(dir);
	if (fstat(fd, st) < 0) {
		int err = errno;
		close(fd);
		response_error(r, status_for_errno(err));
		return -1;
	}
	return fd;
}

/* FILE is missing: a sibling the client accepts stands in for it (fd
 * returned, *st set). Else 406 when there is a sibling, since the file
 * exists in codings this client refused (and the Vary tells caches so); 404
 * when there is none. */
static int open_sibling_only(struct lookup *lk, const char *name, struct stat *st,
                             struct response *r)
{
	int fd = -1;
	lk->coding = open_precompressed(lk->site, lk->req, lk->data, name, &fd, st);
	if (fd >= 0) {
		lk->missing = false;
		return fd;
	}
	bool any = false;
	for (int c = 0; c < CODING_IDENTITY && !any; c++) {
		struct stat est;
		int efd = open_sibling(lk->site, name, (enum content_coding)c, NULL, &est);
		any = efd >= 0;
		if (any)
			close(efd);
	}
	response_error(r, any ? 406 : 404);
	r->vary_accept_encoding = any;
	lk->missing = !any;
	return -1;
}

/* Open what the path names: a regular file to serve (fd returned, *st and
 * *name set), or else the answer is planned into r (-1 returned). */
static int open_target(struct lookup *lk, const char **name, struct stat *st, struct response *r)
{
	*name = lk->path;
	int fd = open_in_root(lk->site, lk->path);
	if (fd < 0 || fstat(fd, st) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		lk->missing = is_missing(err);
		if (err == ENOENT && lk->site->precompressed && !lk->up.trailing_slash)
			return open_sibling_only(lk, lk->path, st, r);
		response_error(r, status_for_errno(err));
		return -1;
	}
	if (S_ISDIR(st->st_mode)) {
		if (lk->up.trailing_slash)
			return open_directory(lk, fd, name, st, r);
		close(fd);
		plan_redirect_to_directory(&lk->up, r);
		return -1;
	}
	if (lk->up.trailing_slash && lk->up.len > 0) {
		/* "/file.txt/" names a directory that is not there. */
		close(fd);
		response_error(r, 404);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		/* FIFOs, sockets and devices: opened without blocking, never read. */
		close(fd);
		response_error(r, 403);
		return -1;
	}
	return fd;
}

/* Keep the file served under its own name ("a.css.br" for a.css's brotli
 * sibling), so that each coding has its entry and clients that prefer
 * different ones do not evict each other's. */
static const struct cached_file *put_served_file(struct lookup *lk, int fd, const char *name,
                                                 const struct stat *st)
{
	char served[PATH_BUF_SIZE + 8];
	int n = snprintf(served, sizeof served, "%s%s", name, encoding_suffix(lk->coding));
	if (n < 0 || (size_t)n >= sizeof served)
		return NULL;
	return filecache_put(lk->site->cache, served, (size_t)n, served, fd, st, lk->now);
}

/* The bytes of a small file, read once for this response or kept in the
 * cache, so that the ETag (their hash) describes exactly what is sent. With
 * precompression the cache is keyed by the file served: a hit still costs
 * the open, but not the read nor the hash. */
static const struct cached_file *small_file_bytes(struct lookup *lk, int fd, const char *name,
                                                  const struct stat *st)
{
	struct filecache *cache = lk->site->cache;
	const struct cached_file *mem = NULL;
	if (lk->use_cache)
		mem = filecache_put(cache, lk->key, lk->key_len, name, fd, st, lk->now);
	else if (cache != NULL)
		mem = put_served_file(lk, fd, name, st);
	if (mem == NULL)
		mem = filecache_snapshot(fd, name, ETAG_HASH_MAX_FILE, lk->now);
	return mem;
}

/* A regular file: its precompressed sibling when one fits, its bytes in
 * memory when it is small, then the status its preconditions and range
 * decide. */
static void plan_regular_file(struct lookup *lk, int fd, const char *name, struct stat *st,
                              struct response *r)
{
	if (lk->site->precompressed) {
		r->vary_accept_encoding = true;
		if (lk->coding == CODING_IDENTITY) /* else a sibling stands in for a missing file */
			lk->coding = open_precompressed(lk->site, lk->req, lk->data, name, &fd, st);
		r->content_encoding = encoding_name(lk->coding);
	}
	lk->name = name;
	const struct cached_file *mem = NULL;
	if ((uint64_t)st->st_size <= ETAG_HASH_MAX_FILE) {
		mem = small_file_bytes(lk, fd, name, st);
		/* EFBIG: it grew past the limit since fstat: a large file now. */
		if (mem == NULL && (errno != EFBIG || fstat(fd, st) < 0)) {
			int err = errno;
			close(fd);
			response_error(r, status_for_errno(err));
			return;
		}
	}
	if (mem != NULL) {
		close(fd);
		plan_file(lk->site, lk->req, lk->data, name,
		          body_memory(mem, mem->bytes, 0, mem->len), mem, &mem->st, r);
		return;
	}
	plan_file(lk->site, lk->req, lk->data, name, body_file(fd, 0, (uint64_t)st->st_size), NULL,
	          st, r);
}

/* The whole plan under the current release. */
static void plan_in_root(struct lookup *lk, struct response *r)
{
	if (plan_from_cache(lk, r))
		return;
	const char *name;
	struct stat st;
	int fd = open_target(lk, &name, &st, r);
	if (fd >= 0)
		plan_regular_file(lk, fd, name, &st, r);
}

/* The fallback file (fallback.h) in place of r, the 404 of a path that names
 * nothing: planned as a request for that file would be, add_header rules
 * included. When it cannot be served the path stays a 404 (a 5xx stays). */
static void plan_fallback(struct lookup *lk, struct response *r)
{
	const char *path = lk->site->fallback->path + 1; /* below the root */
	response_release(r);
	response_init(r);
	lk->missing = false;
	lk->key_len = 0;
	snprintf(lk->path, sizeof lk->path, "%s", path);
	lk->up = (struct urlpath){.path = lk->path, .len = strlen(lk->path)};
	lk->name = lk->path;
	plan_in_root(lk, r);
	/* The file was found: its preconditions and range may still refuse it. */
	int file_status = r->status;
	bool served =
	    file_status < 300 || file_status == 304 || file_status == 412 || file_status == 416;
	if (!served && file_status < 500) { /* a directory, unreadable, gone */
		response_release(r);
		response_init(r);
		response_error(r, 404);
	}
	fallback_report(lk->site->fallback, served, file_status, r->status);
}

void static_plan(const struct static_site *site, const struct http_request *req, const char *data,
                 time_t now, struct response *r)
{
	/* Field by field: an initializer would zero the two path buffers (16 KiB)
	 * for every request. */
	struct lookup lk;
	lk.site = site;
	lk.req = req;
	lk.data = data;
	lk.now = now;
	lk.key_len = 0;
	lk.use_cache = false;
	lk.missing = false;
	lk.coding = CODING_IDENTITY;
	int status = urlpath_resolve(http_span_ptr(data, req->target), req->target.len,
	                             site->urlpath_flags, lk.path, sizeof lk.path, &lk.up);
	if (status != 0) {
		response_error(r, status);
		add_configured_headers(site, NULL, "", r);
		return;
	}
	lk.name = lk.path;
	const struct redirect_rule *rule =
	    redirect_find(site->redirects, site->redirect_count, &lk.up);
	if (rule != NULL) {
		plan_configured_redirect(rule, &lk.up, r);
	} else if (lk.up.trailing_slash && ends_with_dot_segment(req, data)) {
		plan_redirect_to_normal_form(&lk.up, r);
	} else {
		roots_refresh(site, now, false);
		plan_in_root(&lk, r);
		/* Not found: perhaps the release it was looked for in is gone. */
		if (lk.missing && roots_refresh(site, now, true)) {
			response_release(r);
			response_init(r);
			lk.missing = false;
			lk.coding = CODING_IDENTITY;
			lk.name = lk.path;
			plan_in_root(&lk, r);
		}
		if (lk.missing && r->status == 404 && fallback_applies(site->fallback, &lk.up))
			plan_fallback(&lk, r);
	}
	add_configured_headers(site, &lk.up, lk.name, r);
}
