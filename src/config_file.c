#include "autoconfig.h"

#include "config_file.h"

#include "config_directive.h"
#include "config_sites.h"
#include "vhost.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* ------------------------------------------------------------ words */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The quoted word at r (on its opening quote) is copied to w without its
 * quotes and escapes. Returns the first byte after it, or NULL with msg. */
static char *read_quoted(char *r, char **w, char *msg, size_t msg_size)
{
	r++;
	while (*r != '"') {
		if (*r == '\0' || *r == '\n') {
			snprintf(msg, msg_size, "unterminated quoted value");
			return NULL;
		}
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*(*w)++ = *r++;
	}
	r++;
	if (*r != '\0' && !is_space(*r)) {
		snprintf(msg, msg_size, "a quoted value must end at a space");
		return NULL;
	}
	return r;
}

int config_split_words(char *line, char **words, int max, char *msg, size_t msg_size)
{
	int n = 0;
	char *r = line;
	for (;;) {
		while (is_space(*r))
			r++;
		if (*r == '\0' || *r == '#')
			return n;
		if (n == max) {
			snprintf(msg, msg_size, "too many values on one line (at most %d)",
			         max - 1);
			return -1;
		}
		char *w = r;
		words[n++] = w;
		if (*r == '"') {
			r = read_quoted(r, &w, msg, msg_size);
			if (r == NULL)
				return -1;
		} else {
			while (*r != '\0' && !is_space(*r))
				*w++ = *r++;
		}
		bool end = *r == '\0';
		*w = '\0';
		if (end)
			return n;
		r++;
	}
}

/* ------------------------------------------------------------ misspellings */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return SIZE_MAX;
	size_t row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const char *closest_directive(const char *name)
{
	const char *best = NULL;
	size_t best_distance = 3; /* suggest only close misspellings */
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const char *candidate = config_directive((enum directive_id)i)->name;
		size_t dist = edit_distance(name, candidate);
		if (dist < best_distance) {
			best_distance = dist;
			best = candidate;
		}
	}
	return best;
}

/* ------------------------------------------------------------ lines */

static int unknown_directive(const char *name, char *msg, size_t msg_size)
{
	const char *guess = closest_directive(name);
	if (guess != NULL)
		snprintf(msg, msg_size, "unknown directive '%s'; did you mean '%s'?", name, guess);
	else
		snprintf(msg, msg_size, "unknown directive '%s'", name);
	return -1;
}

/* Where the reader is: at the top level, or inside a site block (whose
 * values are checked, as they are read, on a settings copy of its own). */
struct file_reader {
	struct config *cfg;
	struct config_site *block; /* the open site block; NULL at the top level */
	struct config block_values;
};

static int already_set(const struct directive *d, int line, char *msg, size_t msg_size)
{
	snprintf(msg, msg_size, "%s is already set at line %d", d->name, line);
	return -1;
}

static int out_of_memory(char *msg, size_t msg_size)
{
	snprintf(msg, msg_size, "out of memory");
	return -1;
}

/* A directive's line: checked and applied to the level it is in, and kept
 * (text) for the settings of each site. */
static int directive_line(struct file_reader *fr, const char *text, char **words, int n, int lineno,
                          char *msg, size_t msg_size)
{
	const struct directive *d = config_directive_find(words[0]);
	if (d == NULL)
		return unknown_directive(words[0], msg, msg_size);
	if (fr->block != NULL && !d->site) {
		snprintf(msg, msg_size,
		         "%s cannot be given in a site block: it applies to the whole server",
		         d->name);
		return -1;
	}
	struct config *level = fr->block != NULL ? &fr->block_values : fr->cfg;
	int previous = level->origin[config_directive_id(d)];
	if (!d->repeat && previous > 0)
		return already_set(d, previous, msg, msg_size);
	if (config_set_directive(level, d, words + 1, n - 1, lineno, msg, msg_size) < 0)
		return -1;
	struct config_lines *lines = fr->block != NULL ? &fr->block->lines : &fr->cfg->sites->top;
	return config_lines_add(lines, lineno, text) < 0 ? out_of_memory(msg, msg_size) : 0;
}

/* Each name of a site line: well formed, and given to no other site. */
static int site_names(struct file_reader *fr, char **names, int count, char *msg, size_t msg_size)
{
	for (int i = 0; i < count; i++) {
		char name[VHOST_NAME_MAX + 1];
		if (vhost_name_check(names[i], name, sizeof name, msg, msg_size) < 0)
			return -1;
		const struct config_site *other = config_sites_find_name(fr->cfg->sites, name);
		if (other != NULL) {
			snprintf(msg, msg_size, "site name '%s' is already given at line %d", name,
			         other->line);
			return -1;
		}
		if (config_site_add_name(fr->block, name) < 0)
			return out_of_memory(msg, msg_size);
	}
	return 0;
}

static void close_block(struct file_reader *fr)
{
	config_free(&fr->block_values);
	fr->block = NULL;
}

/* "site NAME... {": a block opens (even when its names are wrong, so that
 * its lines and its '}' are read as a block's). */
static int open_block(struct file_reader *fr, char **words, int n, int lineno, char *msg,
                      size_t msg_size)
{
	if (fr->block != NULL) {
		snprintf(msg, msg_size,
		         "site blocks cannot be nested (the block of line %d is not closed)",
		         fr->block->line);
		close_block(fr);
	}
	fr->block = config_sites_open(fr->cfg->sites, lineno);
	if (fr->block == NULL)
		return out_of_memory(msg, msg_size);
	config_defaults(&fr->block_values);
	if (msg[0] != '\0')
		return -1;
	if (strcmp(words[n - 1], "{") != 0) {
		snprintf(msg, msg_size, "a site block starts with 'site NAME... {' on one line");
		return -1;
	}
	if (n < 3) {
		snprintf(msg, msg_size, "site needs at least one name before '{'");
		return -1;
	}
	return site_names(fr, words + 1, n - 2, msg, msg_size);
}

static int brace_line(struct file_reader *fr, char **words, int n, char *msg, size_t msg_size)
{
	if (strcmp(words[0], "{") == 0)
		snprintf(msg, msg_size, "'{' ends the site line: site NAME... {");
	else if (n > 1)
		snprintf(msg, msg_size, "'}' stands alone on its line");
	else if (fr->block == NULL)
		snprintf(msg, msg_size, "'}' closes no site block");
	else {
		close_block(fr);
		return 0;
	}
	return -1;
}

static int parse_line(struct file_reader *fr, char *line, size_t len, int lineno, char *msg,
                      size_t msg_size)
{
	char *words[CONFIG_MAX_VALUES + 1];
	if (strlen(line) != len) {
		snprintf(msg, msg_size, "NUL byte in the line");
		return -1;
	}
	char *text = strdup(line); /* the words are written over line */
	if (text == NULL)
		return out_of_memory(msg, msg_size);
	msg[0] = '\0';
	int n = config_split_words(line, words, CONFIG_MAX_VALUES + 1, msg, msg_size);
	int rc = n;
	if (n > 0 && strcmp(words[0], "site") == 0)
		rc = open_block(fr, words, n, lineno, msg, msg_size);
	else if (n > 0 && (strcmp(words[0], "}") == 0 || strcmp(words[0], "{") == 0))
		rc = brace_line(fr, words, n, msg, msg_size);
	else if (n > 0)
		rc = directive_line(fr, text, words, n, lineno, msg, msg_size);
	free(text);
	return rc;
}

/* The end of the file: a block still open is an error; a file without
 * blocks keeps no lines. */
static int finish_file(struct file_reader *fr, const char *path, FILE *err)
{
	int errors = 0;
	if (fr->block != NULL) {
		fprintf(err, "%s:%d: the site block is not closed ('}' missing)\n", path,
		        fr->block->line);
		close_block(fr);
		errors++;
	}
	if (fr->cfg->sites->count == 0) {
		config_sites_free(fr->cfg->sites);
		fr->cfg->sites = NULL;
	}
	return errors;
}

int config_parse_file(struct config *cfg, const char *path, FILE *err)
{
	/* Messages name the file: remember it when the caller did not. */
	if (cfg->file == NULL && config_replace_string(&cfg->file, path) < 0) {
		fprintf(err, "%s: out of memory\n", path);
		return 1;
	}
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		fprintf(err, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	struct file_reader fr = {.cfg = cfg};
	config_sites_free(cfg->sites);
	cfg->sites = calloc(1, sizeof *cfg->sites);
	if (cfg->sites == NULL) {
		fprintf(err, "%s: out of memory\n", path);
		fclose(f);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, errors = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char msg[512];
		if (parse_line(&fr, line, (size_t)len, ++lineno, msg, sizeof msg) < 0) {
			fprintf(err, "%s:%d: %s\n", path, lineno, msg);
			errors++;
		}
	}
	if (ferror(f)) {
		fprintf(err, "%s: %s\n", path, strerror(errno));
		errors++;
	}
	errors += finish_file(&fr, path, err);
	free(line);
	fclose(f);
	return errors;
}
