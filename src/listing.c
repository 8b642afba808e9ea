#include "autoconfig.h"

#include "listing.h"

#include "httpdate.h"
#include "urlpath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct entry {
	size_t name; /* offset into the name arena */
	bool is_dir; /* from d_type: sorts directories first */
};

struct listing {
	DIR *dir;
	char *url_path; /* decoded, no slashes at the ends */
	char *names;    /* NUL-terminated names, one after another */
	size_t names_len, names_cap;
	struct entry *entries;
	size_t count, cap;
	size_t next; /* the next entry to write */
	bool truncated;
	bool head_done;
	bool done;
};

static int push_name(struct listing *l, const char *name, bool is_dir)
{
	size_t len = strlen(name) + 1;
	if (l->names_len + len > l->names_cap) {
		size_t cap = l->names_cap ? l->names_cap * 2 : 4096;
		while (cap < l->names_len + len)
			cap *= 2;
		char *p = realloc(l->names, cap);
		if (p == NULL)
			return -1;
		l->names = p;
		l->names_cap = cap;
	}
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct entry *p = realloc(l->entries, cap * sizeof *p);
		if (p == NULL)
			return -1;
		l->entries = p;
		l->cap = cap;
	}
	memcpy(l->names + l->names_len, name, len);
	l->entries[l->count++] = (struct entry){l->names_len, is_dir};
	l->names_len += len;
	return 0;
}

static const char *sort_names; /* the arena, for the comparison below */

static int compare_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->is_dir != y->is_dir)
		return x->is_dir ? -1 : 1;
	return strcmp(sort_names + x->name, sort_names + y->name);
}

static int read_names(struct listing *l, bool show_hidden)
{
	struct dirent *d;
	errno = 0;
	while ((d = readdir(l->dir)) != NULL) {
		if (d->d_name[0] == '.' && (!show_hidden || d->d_name[1] == '\0' ||
		                            (d->d_name[1] == '.' && d->d_name[2] == '\0')))
			continue;
		if (l->count == LISTING_MAX_ENTRIES) {
			l->truncated = true;
			break;
		}
		if (push_name(l, d->d_name, d->d_type == DT_DIR) < 0)
			return -1;
	}
	if (errno != 0)
		return -1;
	sort_names = l->names;
	if (l->count > 1) /* an empty directory has no array at all */
		qsort(l->entries, l->count, sizeof *l->entries, compare_entries);
	return 0;
}

struct listing *listing_open(int dirfd, const char *url_path, bool show_hidden)
{
	struct listing *l = calloc(1, sizeof *l);
	if (l == NULL || (l->url_path = strdup(url_path)) == NULL) {
		free(l);
		close(dirfd);
		return NULL;
	}
	l->dir = fdopendir(dirfd);
	if (l->dir == NULL) {
		close(dirfd);
		listing_free(l);
		return NULL;
	}
	if (read_names(l, show_hidden) < 0) {
		int saved = errno;
		listing_free(l);
		errno = saved;
		return NULL;
	}
	return l;
}

void listing_free(struct listing *l)
{
	if (l == NULL)
		return;
	if (l->dir != NULL)
		closedir(l->dir);
	free(l->url_path);
	free(l->names);
	free(l->entries);
	free(l);
}

/* HTML-escape text (& < > " ') into out. */
static int listing_append_html(struct buf *out, const char *text, size_t len)
{
	int rc = 0;
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		const char *esc = NULL;
		switch (text[i]) {
		case '&':
			esc = "&amp;";
			break;
		case '<':
			esc = "&lt;";
			break;
		case '>':
			esc = "&gt;";
			break;
		case '"':
			esc = "&quot;";
			break;
		case '\'':
			esc = "&#39;";
			break;
		default:
			continue;
		}
		rc |= buf_append(out, text + run, i - run);
		rc |= buf_append_str(out, esc);
		run = i + 1;
	}
	rc |= buf_append(out, text + run, len - run);
	return rc < 0 ? -1 : 0;
}

/* An absolute link: every segment percent-encoded, then HTML-escaped for the
 * attribute (the encoding keeps '&' and '\''). Absolute, so that a name like
 * "a:b" cannot read as a scheme. */
static int append_href(struct buf *out, const char *dir, const char *name, bool is_dir)
{
	size_t dlen = strlen(dir), nlen = strlen(name);
	size_t need = 3 * (dlen + nlen) + 4;
	char *enc = malloc(need);
	if (enc == NULL)
		return -1;
	size_t n = 0;
	enc[n++] = '/';
	n += urlpath_encode(dir, dlen, enc + n, need - n);
	if (dlen > 0)
		enc[n++] = '/';
	n += urlpath_encode(name, nlen, enc + n, need - n);
	if (is_dir)
		enc[n++] = '/';
	int rc = listing_append_html(out, enc, n);
	free(enc);
	return rc;
}

static const char page_style[] =
    "<style>\n"
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;margin:2rem auto;"
    "max-width:60rem;padding:0 1rem;color:#1f2328;background:#fff}\n"
    "h1{font-size:1.4rem;font-weight:600;word-break:break-all}\n"
    "table{border-collapse:collapse;width:100%;font-size:.95rem}\n"
    "th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d8dee4}\n"
    "th{font-weight:600;background:#f6f8fa}\n"
    "td.size,th.size{text-align:right;font-variant-numeric:tabular-nums}\n"
    "td.date{white-space:nowrap;color:#59636e}\n"
    "a{color:#0969da;text-decoration:none;word-break:break-all}"
    "a:hover{text-decoration:underline}\n"
    "tr:hover td{background:#f6f8fa}\n"
    "footer{margin-top:1rem;color:#59636e;font-size:.85rem}\n"
    "</style>\n";

/* "/path/" for the title and the heading; "/" at the root. */
static int append_display_path(struct buf *out, const char *path)
{
	int rc = buf_append_str(out, "/");
	if (path[0] != '\0') {
		rc |= listing_append_html(out, path, strlen(path));
		rc |= buf_append_str(out, "/");
	}
	return rc;
}

static int write_head(struct listing *l, struct buf *out)
{
	int rc = buf_append_str(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	                             "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	                             "content=\"width=device-width, initial-scale=1\">\n"
	                             "<title>Index of ");
	rc |= append_display_path(out, l->url_path);
	rc |= buf_append_str(out, "</title>\n");
	rc |= buf_append_str(out, page_style);
	rc |= buf_append_str(out, "</head>\n<body>\n<h1>Index of ");
	rc |= append_display_path(out, l->url_path);
	return rc < 0 ? -1 : 0;
}

static int write_table_start(struct listing *l, struct buf *out)
{
	int rc =
	    buf_append_str(out, "</h1>\n<table>\n<thead><tr><th>Name</th>"
	                        "<th class=\"size\">Size</th><th>Modified (UTC)</th></tr></thead>\n"
	                        "<tbody>\n");
	if (l->url_path[0] != '\0') {
		/* The parent: the path without its last segment. */
		const char *slash = strrchr(l->url_path, '/');
		size_t parent_len = slash != NULL ? (size_t)(slash - l->url_path) : 0;
		char *parent = strndup(l->url_path, parent_len);
		if (parent == NULL)
			return -1;
		rc |= buf_append_str(out, "<tr><td><a href=\"");
		if (parent_len == 0)
			rc |= buf_append_str(out, "/");
		else
			rc |= append_href(out, "", parent, true);
		rc |= buf_append_str(out, "\">../</a></td><td class=\"size\">-</td>"
		                          "<td class=\"date\"></td></tr>\n");
		free(parent);
	}
	return rc < 0 ? -1 : 0;
}

static void human_size(uint64_t size, char *out, size_t n)
{
	static const char units[] = "KMGTPE";
	if (size < 1024) {
		snprintf(out, n, "%llu B", (unsigned long long)size);
		return;
	}
	double v = (double)size / 1024;
	int u = 0; /* KiB */
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, n, v < 10 ? "%.1f %ciB" : "%.0f %ciB", v, units[u]);
}

static int write_entry(struct listing *l, const struct entry *e, struct buf *out)
{
	const char *name = l->names + e->name;
	struct stat st;
	bool have_stat = fstatat(dirfd(l->dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	bool is_dir = have_stat ? S_ISDIR(st.st_mode) : e->is_dir;
	char size[32] = "-", date[32] = "";
	if (have_stat && !is_dir)
		human_size((uint64_t)st.st_size, size, sizeof size);
	if (have_stat) {
		struct tm tm;
		gmtime_r(&st.st_mtime, &tm);
		strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
	}
	int rc = buf_append_str(out, "<tr><td><a href=\"");
	rc |= append_href(out, l->url_path, name, is_dir);
	rc |= buf_append_str(out, "\">");
	rc |= listing_append_html(out, name, strlen(name));
	rc |= buf_printf(out,
	                 "%s</a></td><td class=\"size\">%s</td><td class=\"date\">%s</td></tr>\n",
	                 is_dir ? "/" : "", size, date);
	return rc < 0 ? -1 : 0;
}

static int write_tail(struct listing *l, struct buf *out)
{
	int rc = buf_append_str(out, "</tbody>\n</table>\n<footer>");
	rc |= buf_printf(out, "%zu %s%s", l->count, l->count == 1 ? "entry" : "entries",
	                 l->truncated ? " shown; the directory has more" : "");
	rc |= buf_append_str(out, " &middot; " PACKAGE_NAME "/" PACKAGE_VERSION
	                          "</footer>\n</body></html>\n");
	return rc < 0 ? -1 : 0;
}

int listing_next(struct listing *l, struct buf *out, size_t budget)
{
	if (l->done)
		return 0;
	size_t start = buf_len(out);
	if (!l->head_done) {
		if (write_head(l, out) < 0 || write_table_start(l, out) < 0)
			return -1;
		l->head_done = true;
	}
	while (l->next < l->count && buf_len(out) - start < budget)
		if (write_entry(l, &l->entries[l->next++], out) < 0)
			return -1;
	if (l->next < l->count)
		return 1;
	if (write_tail(l, out) < 0)
		return -1;
	l->done = true;
	return 0;
}
