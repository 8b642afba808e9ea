/* mime — media types by file name extension.
 *
 * Both tables are arrays sorted by lower-case extension and searched by binary
 * search, so a lookup costs O(log n) comparisons and never allocates. Loading
 * copies every string into a few large chunks (an arena) that live as long as
 * the table, so the table holds plain pointers and is freed in a few calls.
 *
 * Parsing policy for mime.types: a line is "type ext ext ...", separated by any
 * whitespace; '#' starts a comment anywhere on a line; lines of any length are
 * read with getline. A line whose first word is not a valid "type/subtype"
 * (RFC 9110 tokens) is skipped: its type will end up in a Content-Type header.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mime.h"

#include "httpchars.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mime_entry {
	const char *ext; /* lower-case */
	const char *type;
};

/* Kept sorted by ext in strcmp order: the lookup is a binary search. */
static const struct mime_entry builtin_types[] = {
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"bz2", "application/x-bzip2"},
    {"css", "text/css"},
    {"csv", "text/csv"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"ico", "image/vnd.microsoft.icon"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript"}, /* RFC 9239 */
    {"json", "application/json"},
    {"manifest", "application/manifest+json"},
    {"map", "application/json"}, /* source maps */
    {"md", "text/markdown"},
    {"mjs", "text/javascript"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpeg", "video/mpeg"},
    {"ogg", "audio/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xml", "application/xml"},
    {"xz", "application/x-xz"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
};

/* Strings copied at load time; chunks are never moved, so pointers stay valid. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

enum { ARENA_CHUNK_SIZE = 16 * 1024 };

struct mime_types {
	struct mime_entry *entries; /* from the file: sorted, one per extension */
	size_t count;
	struct arena_chunk *arena;
};

/* While loading: every (extension, type) pair in file order. */
struct pending_entry {
	const char *ext;
	const char *type;
	size_t order;
};

struct loader {
	struct mime_types *mt;
	struct pending_entry *pending;
	size_t count, capacity;
};

static const char WHITESPACE[] = " \t\r\n\v\f";

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* A NUL-terminated copy of s[0..n) that lives as long as mt. */
static char *arena_copy(struct mime_types *mt, const char *s, size_t n)
{
	struct arena_chunk *chunk = mt->arena;

	if (chunk == NULL || chunk->size - chunk->used <= n) {
		size_t size = n < ARENA_CHUNK_SIZE ? ARENA_CHUNK_SIZE : n + 1;
		chunk = malloc(sizeof(*chunk) + size);
		if (chunk == NULL)
			return NULL;
		chunk->next = mt->arena;
		chunk->used = 0;
		chunk->size = size;
		mt->arena = chunk;
	}
	char *copy = chunk->data + chunk->used;
	memcpy(copy, s, n);
	copy[n] = '\0';
	chunk->used += n + 1;
	return copy;
}

/* type "/" subtype, both non-empty runs of RFC 9110 tchar. */
static bool is_media_type(const char *s)
{
	size_t i = 0;

	while (http_is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || s[i] != '/')
		return false;
	size_t subtype = ++i;
	while (http_is_tchar((unsigned char)s[i]))
		i++;
	return i > subtype && s[i] == '\0';
}

static int add_pending(struct loader *ld, const char *ext, const char *type)
{
	if (ld->count == ld->capacity) {
		size_t capacity = ld->capacity ? ld->capacity * 2 : 256;
		struct pending_entry *grown =
		    reallocarray(ld->pending, capacity, sizeof(*ld->pending));
		if (grown == NULL)
			return ENOMEM;
		ld->pending = grown;
		ld->capacity = capacity;
	}
	ld->pending[ld->count] = (struct pending_entry){ext, type, ld->count};
	ld->count++;
	return 0;
}

static int add_extension(struct loader *ld, const char *token, const char *type)
{
	size_t n = strlen(token);
	char *ext = arena_copy(ld->mt, token, n);

	if (ext == NULL)
		return ENOMEM;
	for (size_t i = 0; i < n; i++)
		ext[i] = (char)ascii_lower((unsigned char)ext[i]);
	return add_pending(ld, ext, type);
}

/* One line of a mime.types file; modifies line. Returns 0 or an errno value. */
static int add_line(struct loader *ld, char *line)
{
	char *save = NULL, *comment = strchr(line, '#');
	const char *type = NULL;

	if (comment != NULL)
		*comment = '\0';
	const char *type_word = strtok_r(line, WHITESPACE, &save);
	if (type_word == NULL || !is_media_type(type_word))
		return 0;
	char *word;
	while ((word = strtok_r(NULL, WHITESPACE, &save)) != NULL) {
		/* One shared copy of the type per line, made only when needed. */
		if (type == NULL)
			type = arena_copy(ld->mt, type_word, strlen(type_word));
		if (type == NULL)
			return ENOMEM;
		int error = add_extension(ld, word, type);
		if (error != 0)
			return error;
	}
	return 0;
}

static int compare_pending(const void *a, const void *b)
{
	const struct pending_entry *x = a, *y = b;
	int by_ext = strcmp(x->ext, y->ext);

	if (by_ext != 0)
		return by_ext;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort, and keep only the last line's type for each extension. */
static int build_table(struct loader *ld)
{
	struct mime_types *mt = ld->mt;

	if (ld->count == 0)
		return 0;
	qsort(ld->pending, ld->count, sizeof(*ld->pending), compare_pending);
	mt->entries = calloc(ld->count, sizeof(*mt->entries));
	if (mt->entries == NULL)
		return ENOMEM;
	for (size_t i = 0; i < ld->count; i++) {
		const struct pending_entry *p = &ld->pending[i];
		bool overridden = i + 1 < ld->count && strcmp(p->ext, p[1].ext) == 0;
		if (!overridden)
			mt->entries[mt->count++] = (struct mime_entry){p->ext, p->type};
	}
	return 0;
}

static int read_lines(struct loader *ld, FILE *f)
{
	char *line = NULL;
	size_t capacity = 0;
	int error = 0;

	errno = 0; /* a read error should set it; EIO below if it does not */
	while (error == 0 && getline(&line, &capacity, f) != -1)
		error = add_line(ld, line);
	/* getline also stops without reaching the end when it runs out of memory. */
	if (error == 0 && (ferror(f) || !feof(f)))
		error = errno ? errno : EIO;
	free(line);
	return error;
}

/* Returns 0 or an errno value. */
static int load_file(struct mime_types *mt, const char *path)
{
	struct loader ld = {.mt = mt};
	FILE *f = fopen(path, "re");
	int error;

	if (f == NULL)
		return errno;
	error = read_lines(&ld, f);
	fclose(f);
	if (error == 0)
		error = build_table(&ld);
	free(ld.pending);
	return error;
}

static void report_error(char *err, size_t err_size, const char *path, int error)
{
	if (err != NULL && err_size > 0)
		snprintf(err, err_size, "%s: %s", path ? path : "(built-in)", strerror(error));
}

struct mime_types *mime_types_load(const char *path, char *err, size_t err_size)
{
	struct mime_types *mt = calloc(1, sizeof(*mt));
	int error = mt == NULL ? ENOMEM : 0;

	if (error == 0 && path != NULL)
		error = load_file(mt, path);
	if (error != 0) {
		mime_types_free(mt);
		report_error(err, err_size, path, error);
		return NULL;
	}
	return mt;
}

/* Order ext[0..len) (compared lower-cased) against a lower-case key, like strcmp. */
static int compare_extension(const char *ext, size_t len, const char *key)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char e = ascii_lower((unsigned char)ext[i]);
		unsigned char k = (unsigned char)key[i];
		if (k == '\0')
			return 1;
		if (e != k)
			return e < k ? -1 : 1;
	}
	return key[len] == '\0' ? 0 : -1;
}

static const char *search(const struct mime_entry *entries, size_t count, const char *ext,
                          size_t len)
{
	size_t low = 0, high = count;

	while (low < high) {
		size_t mid = low + (high - low) / 2;
		int order = compare_extension(ext, len, entries[mid].ext);
		if (order == 0)
			return entries[mid].type;
		if (order < 0)
			high = mid;
		else
			low = mid + 1;
	}
	return NULL;
}

/* The extension of the last path segment, after its last '.'. Leading dots do not
 * count, so ".bashrc" has none while ".config.json" is "json". */
static bool find_extension(const char *name, size_t len, const char **ext, size_t *ext_len)
{
	const char *slash = memrchr(name, '/', len);
	const char *segment = slash ? slash + 1 : name;
	const char *end = name + len;

	while (segment < end && *segment == '.')
		segment++;
	const char *dot = memrchr(segment, '.', (size_t)(end - segment));
	if (dot == NULL || dot + 1 == end)
		return false;
	*ext = dot + 1;
	*ext_len = (size_t)(end - *ext);
	return true;
}

const char *mime_types_lookup(const struct mime_types *mt, const char *name, size_t len)
{
	const char *ext, *type = NULL;
	size_t ext_len;

	if (name == NULL || !find_extension(name, len, &ext, &ext_len))
		return NULL;
	if (mt != NULL)
		type = search(mt->entries, mt->count, ext, ext_len);
	if (type == NULL)
		type = search(builtin_types, sizeof(builtin_types) / sizeof(builtin_types[0]), ext,
		              ext_len);
	return type;
}

void mime_types_free(struct mime_types *mt)
{
	if (mt == NULL)
		return;
	while (mt->arena != NULL) {
		struct arena_chunk *next = mt->arena->next;
		free(mt->arena);
		mt->arena = next;
	}
	free(mt->entries);
	free(mt);
}
