#include "autoconfig.h"

#include "listing.h"

#include "accept.h"
#include "httpdate.h"
#include "json.h"
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
	bool is_dir; /* what a request reaches is a directory: sorts first */
};

/* Directory entries looked at per call, at most: a readdir each, and a stat
 * and an open for a symbolic link. A large directory is read over many
 * calls, so that no call holds the loop for long. */
#define READ_BATCH 2048

/* Entries [next, end) of the array: one batch, sorted as it was read. */
struct run {
	size_t next, end;
};

struct listing {
	DIR *dir;
	char *url_path; /* decoded, no slashes at the ends */
	listing_opener *open_in_root;
	const struct static_site *site;
	bool show_hidden;
	enum listing_format format;
	bool reading; /* the directory is not read to its end yet */
	char *names;  /* NUL-terminated names, one after another */
	size_t names_len, names_cap;
	struct entry *entries;
	size_t count, cap;
	/* The sorted runs, merged as the rows are written: the heap holds the
	 * runs not yet exhausted, the one with the least next entry on top. */
	struct run *runs;
	size_t run_count, run_cap;
	size_t *heap;
	size_t heap_len;
	size_t shown; /* rows written */
	bool truncated;
	bool head_done;
	bool done;
};

/* What a request for an entry would get: a file, a directory, or nothing
 * worth a link (a 4xx). */
enum entry_kind { ENTRY_UNUSABLE, ENTRY_FILE, ENTRY_DIR };

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

static int compare_names(const char *names, const struct entry *x, const struct entry *y)
{
	if (x->is_dir != y->is_dir)
		return x->is_dir ? -1 : 1;
	return strcmp(names + x->name, names + y->name);
}

static const char *sort_names; /* the arena, for qsort's comparison below */

static int compare_entries(const void *a, const void *b)
{
	return compare_names(sort_names, a, b);
}

static enum entry_kind kind_of_mode(mode_t mode)
{
	if (S_ISDIR(mode))
		return ENTRY_DIR;
	/* FIFOs, sockets and devices get 403. */
	return S_ISREG(mode) ? ENTRY_FILE : ENTRY_UNUSABLE;
}

/* Errors that say nothing about the entry but end the listing (503). */
static bool is_resource_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM;
}

/* Does the server's own resolver open url_path/name? That applies the
 * symlink policy exactly as a request would. 1 yes, 0 no, -1 on a resource
 * error (errno set). */
static int request_would_open(const struct listing *l, const char *name)
{
	char *path;
	int n = l->url_path[0] == '\0' ? asprintf(&path, "%s", name)
	                               : asprintf(&path, "%s/%s", l->url_path, name);
	if (n < 0) {
		errno = ENOMEM;
		return -1;
	}
	int fd = l->open_in_root(l->site, path);
	int err = errno;
	free(path);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	errno = err;
	return is_resource_error(err) ? -1 : 0;
}

/* A symbolic link is what it points to, if a request may follow it there:
 * dangling links, loops and links the policy refuses are unusable. Checked
 * with stat first, so that a link to a FIFO or a device is never opened. */
static int kind_of_link(const struct listing *l, const char *name, enum entry_kind *kind)
{
	struct stat st;
	*kind = ENTRY_UNUSABLE;
	if (fstatat(dirfd(l->dir), name, &st, 0) < 0)
		return is_resource_error(errno) ? -1 : 0;
	enum entry_kind target = kind_of_mode(st.st_mode);
	if (target == ENTRY_UNUSABLE || l->open_in_root == NULL) {
		*kind = target;
		return 0;
	}
	int opens = request_would_open(l, name);
	if (opens > 0)
		*kind = target;
	return opens < 0 ? -1 : 0;
}

/* d_type answers for most entries without a system call; links, and
 * everything on file systems that do not fill d_type, need a look. */
static int kind_of_entry(const struct listing *l, const struct dirent *d, enum entry_kind *kind)
{
	struct stat st;
	switch (d->d_type) {
	case DT_REG:
		*kind = ENTRY_FILE;
		return 0;
	case DT_DIR:
		*kind = ENTRY_DIR;
		return 0;
	case DT_LNK:
		return kind_of_link(l, d->d_name, kind);
	case DT_UNKNOWN:
		*kind = ENTRY_UNUSABLE;
		if (fstatat(dirfd(l->dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return is_resource_error(errno) ? -1 : 0;
		if (S_ISLNK(st.st_mode))
			return kind_of_link(l, d->d_name, kind);
		*kind = kind_of_mode(st.st_mode);
		return 0;
	default:
		*kind = ENTRY_UNUSABLE;
		return 0;
	}
}

/* A name a request can ask for: not ".", "..", nor one with a byte the
 * request path would be refused for; hidden names only when they are served. */
static bool is_listable_name(const char *name, bool show_hidden)
{
	return urlpath_name_servable(name, strlen(name)) && (show_hidden || name[0] != '.');
}

/* ---------------------------------------------------------- the runs' merge */

static bool run_before(const struct listing *l, size_t a, size_t b)
{
	return compare_names(l->names, &l->entries[l->runs[a].next], &l->entries[l->runs[b].next]) <
	       0;
}

static void heap_sift_down(struct listing *l, size_t at)
{
	for (;;) {
		size_t least = at, left = 2 * at + 1, right = left + 1;
		if (left < l->heap_len && run_before(l, l->heap[left], l->heap[least]))
			least = left;
		if (right < l->heap_len && run_before(l, l->heap[right], l->heap[least]))
			least = right;
		if (least == at)
			return;
		size_t swap = l->heap[at];
		l->heap[at] = l->heap[least];
		l->heap[least] = swap;
		at = least;
	}
}

/* Every run read: heap them up for the merge. */
static int start_merge(struct listing *l)
{
	if (l->run_count == 0)
		return 0;
	l->heap = malloc(l->run_count * sizeof *l->heap);
	if (l->heap == NULL)
		return -1;
	for (size_t i = 0; i < l->run_count; i++)
		l->heap[i] = i;
	l->heap_len = l->run_count;
	for (size_t i = l->heap_len / 2; i-- > 0;)
		heap_sift_down(l, i);
	return 0;
}

/* The least entry not yet written, or NULL when all are. */
static const struct entry *next_in_order(struct listing *l)
{
	if (l->heap_len == 0)
		return NULL;
	struct run *r = &l->runs[l->heap[0]];
	const struct entry *e = &l->entries[r->next++];
	if (r->next == r->end)
		l->heap[0] = l->heap[--l->heap_len];
	heap_sift_down(l, 0);
	return e;
}

/* ---------------------------------------------------------- reading */

/* Entries [start, count) become a sorted run. */
static int close_run(struct listing *l, size_t start)
{
	if (l->count == start)
		return 0;
	if (l->run_count == l->run_cap) {
		size_t cap = l->run_cap ? l->run_cap * 2 : 16;
		struct run *p = realloc(l->runs, cap * sizeof *p);
		if (p == NULL)
			return -1;
		l->runs = p;
		l->run_cap = cap;
	}
	sort_names = l->names;
	qsort(l->entries + start, l->count - start, sizeof *l->entries, compare_entries);
	l->runs[l->run_count++] = (struct run){start, l->count};
	return 0;
}

/* Read up to READ_BATCH directory entries into one sorted run; at the end of
 * the directory (or of what is listed), start the merge. */
static int read_batch(struct listing *l)
{
	size_t start = l->count;
	for (int looked = 0; looked < READ_BATCH && l->reading; looked++) {
		errno = 0;
		const struct dirent *d = readdir(l->dir);
		if (d == NULL) {
			if (errno != 0)
				return -1;
			l->reading = false;
			break;
		}
		if (!is_listable_name(d->d_name, l->show_hidden))
			continue;
		enum entry_kind kind;
		if (kind_of_entry(l, d, &kind) < 0)
			return -1;
		if (kind == ENTRY_UNUSABLE)
			continue;
		if (l->count == LISTING_MAX_ENTRIES) {
			l->truncated = true;
			l->reading = false;
			break;
		}
		if (push_name(l, d->d_name, kind == ENTRY_DIR) < 0)
			return -1;
	}
	if (close_run(l, start) < 0)
		return -1;
	return l->reading ? 0 : start_merge(l);
}

struct listing *listing_open(int dirfd, const char *url_path, bool show_hidden,
                             listing_opener *open_in_root, const struct static_site *site)
{
	struct listing *l = calloc(1, sizeof *l);
	if (l == NULL || (l->url_path = strdup(url_path)) == NULL) {
		free(l);
		close(dirfd);
		return NULL;
	}
	l->open_in_root = open_in_root;
	l->site = site;
	l->show_hidden = show_hidden;
	l->reading = true;
	l->dir = fdopendir(dirfd);
	if (l->dir == NULL) {
		close(dirfd);
		listing_free(l);
		return NULL;
	}
	/* The first batch now: a directory that cannot be read is answered with
	 * an error status, and most directories are read whole here. */
	if (read_batch(l) < 0) {
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
	free(l->runs);
	free(l->heap);
	free(l);
}

/* What stands for byte c in HTML text, or NULL when c stands for itself.
 * A control byte becomes its picture (U+2400 + c, U+2421 for DEL; in UTF-8
 * E2 90 xx, written to picture), so that none reaches the page raw. */
static const char *html_escape_of(unsigned char c, char picture[4])
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		break;
	}
	if (c >= 0x20 && c != 0x7f)
		return NULL;
	picture[0] = '\xe2';
	picture[1] = '\x90';
	picture[2] = (char)(c == 0x7f ? 0xa1 : 0x80 + c);
	picture[3] = '\0';
	return picture;
}

/* HTML-escape text into out. */
static int listing_append_html(struct buf *out, const char *text, size_t len)
{
	int rc = 0;
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		char picture[4];
		const char *esc = html_escape_of((unsigned char)text[i], picture);
		if (esc == NULL)
			continue;
		rc |= buf_append(out, text + run, i - run);
		rc |= buf_append_str(out, esc);
		run = i + 1;
	}
	rc |= buf_append(out, text + run, len - run);
	return rc < 0 ? -1 : 0;
}

/* RFC 3986 unreserved characters: the only bytes a link holds as they are. */
static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* A link relative to the listing, "name" or "name/": it stays under whatever
 * prefix a reverse proxy put before the directory. Every byte but the
 * unreserved ones is %XX, stricter than urlpath_encode on purpose: such a link
 * needs no HTML escaping, never reads as a scheme ("a:b"), and survives
 * clients that take href values apart loosely (lftp stopped at "&#39;"). */
static int append_href(struct buf *out, const char *name, bool is_dir)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	size_t run = 0, len = strlen(name);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (is_unreserved(c))
			continue;
		char escape[3] = {'%', hex[c >> 4], hex[c & 0x0f]};
		rc |= buf_append(out, name + run, i - run);
		rc |= buf_append(out, escape, sizeof escape);
		run = i + 1;
	}
	rc |= buf_append(out, name + run, len - run);
	if (is_dir)
		rc |= buf_append_str(out, "/");
	return rc < 0 ? -1 : 0;
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
	if (l->url_path[0] != '\0')
		rc |= buf_append_str(out, "<tr><td><a href=\"../\">../</a></td><td class=\"size\">-"
		                          "</td><td class=\"date\"></td></tr>\n");
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

/* May the server read what it would serve (a directory: list it and look
 * inside)? Asked here, a row at a time, rather than when the listing opens,
 * so that the cost is spread like the rest of the page. */
static bool server_may_read(const struct listing *l, const char *name, bool is_dir)
{
	int need = is_dir ? R_OK | X_OK : R_OK;
	return faccessat(dirfd(l->dir), name, need, AT_EACCESS) == 0;
}

/* What a request for the entry reaches (a link's target): false when the
 * entry went away since the listing opened, or is nothing a request is
 * served, or the server may not read it; such an entry gets no row. */
static bool entry_shown(const struct listing *l, const char *name, struct stat *st, bool *is_dir)
{
	if (fstatat(dirfd(l->dir), name, st, 0) < 0)
		return false;
	enum entry_kind kind = kind_of_mode(st->st_mode);
	*is_dir = kind == ENTRY_DIR;
	return kind != ENTRY_UNUSABLE && server_may_read(l, name, *is_dir);
}

static int write_html_row(const char *name, const struct stat *st, bool is_dir, struct buf *out)
{
	char size[32] = "-", date[32] = "";
	if (!is_dir)
		human_size((uint64_t)st->st_size, size, sizeof size);
	struct tm tm;
	gmtime_r(&st->st_mtime, &tm);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
	int rc = buf_append_str(out, "<tr><td><a href=\"");
	rc |= append_href(out, name, is_dir);
	rc |= buf_append_str(out, "\">");
	rc |= listing_append_html(out, name, strlen(name));
	rc |= buf_printf(out,
	                 "%s</a></td><td class=\"size\">%s</td><td class=\"date\">%s</td></tr>\n",
	                 is_dir ? "/" : "", size, date);
	return rc < 0 ? -1 : 0;
}

/* One element of the array, as nginx's "autoindex_format json" writes it
 * (its field names, order, spacing and dates), so that clients written for
 * one read the other: a directory has no size. */
static int write_json_row(const char *name, const struct stat *st, bool is_dir, bool first,
                          struct buf *out)
{
	char date[HTTPDATE_LEN + 1];
	httpdate_format(st->st_mtime, date);
	int rc = buf_append_str(out, first ? "\r\n{ \"name\":" : ",\r\n{ \"name\":");
	rc |= json_append_string(out, name, strlen(name));
	rc |= buf_printf(out, ", \"type\":\"%s\", \"mtime\":\"%s\"", is_dir ? "directory" : "file",
	                 date);
	if (!is_dir)
		rc |= buf_printf(out, ", \"size\":%llu", (unsigned long long)st->st_size);
	rc |= buf_append_str(out, " }");
	return rc < 0 ? -1 : 0;
}

static int write_entry(struct listing *l, const struct entry *e, struct buf *out)
{
	const char *name = l->names + e->name;
	struct stat st;
	bool is_dir;
	if (!entry_shown(l, name, &st, &is_dir))
		return 0;
	l->shown++;
	if (l->format == LISTING_JSON)
		return write_json_row(name, &st, is_dir, l->shown == 1, out);
	return write_html_row(name, &st, is_dir, out);
}

static int write_tail(struct listing *l, struct buf *out)
{
	int rc = buf_append_str(out, "</tbody>\n</table>\n<footer>");
	rc |= buf_printf(out, "%zu %s%s", l->shown, l->shown == 1 ? "entry" : "entries",
	                 l->truncated ? " shown; the directory has more" : "");
	rc |= buf_append_str(out, " &middot; " PACKAGE_NAME "/" PACKAGE_VERSION
	                          "</footer>\n</body></html>\n");
	return rc < 0 ? -1 : 0;
}

/* What comes before the rows: the page's head, or the array's "[". */
static int write_start(struct listing *l, struct buf *out)
{
	if (l->format == LISTING_JSON)
		return buf_append_str(out, "[");
	return write_head(l, out) < 0 || write_table_start(l, out) < 0 ? -1 : 0;
}

/* The array has nowhere to say it was cut short: the README says so. */
static int write_end(struct listing *l, struct buf *out)
{
	if (l->format == LISTING_JSON)
		return buf_append_str(out, "\r\n]");
	return write_tail(l, out);
}

void listing_set_format(struct listing *l, enum listing_format format)
{
	l->format = format;
}

/* Is the query's parameter "format" (the last one) json or html? */
static int format_in_query(const char *query, size_t len)
{
	int found = -1;
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && query[end] != '&')
			end++;
		size_t n = end - i;
		if (n == 11 && memcmp(query + i, "format=json", 11) == 0)
			found = LISTING_JSON;
		else if (n == 11 && memcmp(query + i, "format=html", 11) == 0)
			found = LISTING_HTML;
		i = end + 1;
	}
	return found;
}

enum listing_format listing_format_wanted(const char *accept, size_t accept_len, const char *query,
                                          size_t query_len)
{
	int asked = format_in_query(query, query_len);
	if (asked >= 0)
		return (enum listing_format)asked;
	int json = accept_weight(accept, accept_len, "application/json");
	int html = accept_weight(accept, accept_len, "text/html");
	return json > html ? LISTING_JSON : LISTING_HTML;
}

int listing_next(struct listing *l, struct buf *out, size_t budget)
{
	if (l->done)
		return 0;
	size_t start = buf_len(out);
	if (!l->head_done) {
		if (write_start(l, out) < 0)
			return -1;
		l->head_done = true;
	}
	if (l->reading) /* one batch per call: the rows wait for the last one */
		return read_batch(l) < 0 ? -1 : 1;
	const struct entry *e;
	while (buf_len(out) - start < budget && (e = next_in_order(l)) != NULL)
		if (write_entry(l, e, out) < 0)
			return -1;
	if (l->heap_len > 0)
		return 1;
	if (write_end(l, out) < 0)
		return -1;
	l->done = true;
	return 0;
}
