#include "autoconfig.h"

#include "static.h"

#include "conditional.h"
#include "mime.h"
#include "range.h"
#include "urlpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The longest decoded path plus "/" and an index file name. */
#define PATH_BUF_SIZE (HTTP_MAX_REQUEST_LINE + 2 + NAME_MAX + 1)

int static_site_open(struct static_site *site, const char *root, char *err, size_t err_size)
{
	site->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (site->root_fd < 0) {
		snprintf(err, err_size, "%s: %s", root,
			 errno == ENOTDIR ? "not a directory" : strerror(errno));
		return -1;
	}
	site->root_real = realpath(root, NULL);
	if (site->root_real == NULL) {
		snprintf(err, err_size, "%s: %s", root, strerror(errno));
		close(site->root_fd);
		site->root_fd = -1;
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
}

/* Without openat2 (kernels before 5.6, or a seccomp filter that refuses it):
 * open, then ask the kernel where the descriptor really is. */
static int open_checked_by_proc(const struct static_site *site, const char *path, int flags)
{
	int fd = openat(site->root_fd, path, flags);
	if (fd < 0 || site->symlinks == SYMLINKS_ALWAYS)
		return fd;
	char link[64], real[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof real - 1);
	if (n < 0) {
		close(fd);
		return -1;
	}
	real[n] = '\0';
	size_t root_len = strlen(site->root_real);
	if (root_len == 1) /* the root is "/" */
		root_len = 0;
	bool inside = strncmp(real, site->root_real, root_len) == 0 &&
		      (real[root_len] == '\0' || real[root_len] == '/');
	/* "never": no symlink on the way means the real path is the lexical one. */
	bool exact = inside && strcmp(real + root_len + (real[root_len] == '/'), path) == 0;
	if (!inside || (site->symlinks == SYMLINKS_NEVER && !exact && strcmp(path, ".") != 0)) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* Open path (relative, "" for the root) inside the root under the symlink policy. */
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
		int fd = (int)syscall(SYS_openat2, site->root_fd, path, &how, sizeof how);
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return fd;
		if (errno == ENOSYS)
			no_openat2 = true;
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

static void plan_redirect_to_directory(const struct urlpath *up, struct response *r)
{
	static char location[3 * PATH_BUF_SIZE + HTTP_MAX_REQUEST_LINE + 4];
	size_t n = 1;
	location[0] = '/';
	n += urlpath_encode(up->path, up->len, location + n, sizeof location - n);
	if (n + 2 + up->query_len >= sizeof location) { /* cannot happen: sized for the worst */
		response_error(r, 500);
		return;
	}
	location[n++] = '/';
	if (up->query != NULL) {
		location[n++] = '?';
		memcpy(location + n, up->query, up->query_len);
		n += up->query_len;
	}
	location[n] = '\0';
	response_error(r, 301);
	r->location = location;
}

/* Try each index name in the directory at path[0..len). */
static int open_index(const struct static_site *site, char *path, size_t len, const char **name)
{
	errno = ENOENT;
	for (size_t i = 0; i < site->index_count; i++) {
		const char *index = site->index_names[i];
		size_t need = len + 1 + strlen(index) + 1;
		if (need > PATH_BUF_SIZE)
			continue;
		size_t n = len;
		if (n > 0)
			path[n++] = '/';
		strcpy(path + n, index);
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

/* Preconditions and Range decide between 200, 206, 304, 412 and 416. */
static void plan_file(const struct static_site *site, const struct http_request *req,
		      const char *data, const char *name, int fd, const struct stat *st,
		      struct response *r)
{
	static char etag[ETAG_MAX];
	etag_format(st, etag);
	switch (conditional_evaluate(req, data, etag, st->st_mtime)) {
	case CONDITIONAL_PROCEED:
		break;
	case CONDITIONAL_NOT_MODIFIED:
		close(fd);
		r->status = 304;
		r->etag = etag;
		r->has_last_modified = true;
		r->last_modified = st->st_mtime;
		return;
	case CONDITIONAL_PRECONDITION_FAILED:
		close(fd);
		response_error(r, 412);
		return;
	}

	const char *type = mime_types_lookup(site->mime, name, strlen(name));
	r->status = 200;
	r->content_type = type != NULL ? type : site->default_type;
	r->content_length = (uint64_t)st->st_size;
	r->has_last_modified = true;
	r->last_modified = st->st_mtime;
	r->etag = etag;
	r->accept_ranges = true;
	r->body_fd = fd;
	r->body_offset = 0;
	if (req->range.len == 0 || !conditional_range_allowed(req, data, etag, st->st_mtime))
		return;

	struct byte_range br;
	switch (range_parse(http_span_ptr(data, req->range), req->range.len,
			    (uint64_t)st->st_size, &br)) {
	case RANGE_IGNORE:
		break;
	case RANGE_SATISFIABLE:
		r->status = 206;
		r->range = RESPONSE_RANGE_PARTIAL;
		r->range_first = br.first;
		r->complete_length = (uint64_t)st->st_size;
		r->content_length = br.length;
		r->body_offset = (off_t)br.first;
		break;
	case RANGE_UNSATISFIABLE:
		close(fd);
		response_error(r, 416);
		r->range = RESPONSE_RANGE_UNSATISFIED;
		r->complete_length = (uint64_t)st->st_size;
		r->accept_ranges = true;
		break;
	}
}

void static_plan(const struct static_site *site, const struct http_request *req, const char *data,
		 struct response *r)
{
	static char path[PATH_BUF_SIZE];
	struct urlpath up;
	int status = urlpath_resolve(http_span_ptr(data, req->target), req->target.len,
				     site->urlpath_flags, path, sizeof path, &up);
	if (status != 0) {
		response_error(r, status);
		return;
	}

	const char *name = path;
	struct stat st;
	int fd = open_in_root(site, path);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		if (!up.trailing_slash) {
			plan_redirect_to_directory(&up, r);
			return;
		}
		/* No index: 403 (listings are off). */
		fd = open_index(site, path, up.len, &name);
		if (fd < 0) {
			response_error(r, errno == ENOENT ? 403 : status_for_errno(errno));
			return;
		}
		if (fstat(fd, &st) < 0)
			goto fail;
	} else if (up.trailing_slash && up.len > 0) {
		/* "/file.txt/" names a directory that is not there. */
		close(fd);
		response_error(r, 404);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		/* FIFOs, sockets and devices: opened without blocking, never read. */
		close(fd);
		response_error(r, 403);
		return;
	}
	plan_file(site, req, data, name, fd, &st, r);
	return;
fail:
	status = status_for_errno(errno);
	if (fd >= 0)
		close(fd);
	response_error(r, status);
}
