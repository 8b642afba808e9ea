#include "autoconfig.h"

#include "config_file.h"

#include "config_directive.h"

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

static int parse_line(struct config *cfg, char *line, size_t len, int lineno, char *msg,
                      size_t msg_size)
{
	char *words[CONFIG_MAX_VALUES + 1];
	if (strlen(line) != len) {
		snprintf(msg, msg_size, "NUL byte in the line");
		return -1;
	}
	int n = config_split_words(line, words, CONFIG_MAX_VALUES + 1, msg, msg_size);
	if (n <= 0)
		return n;
	const struct directive *d = config_directive_find(words[0]);
	if (d == NULL)
		return unknown_directive(words[0], msg, msg_size);
	int previous = cfg->origin[config_directive_id(d)];
	if (!d->repeat && previous > 0) {
		snprintf(msg, msg_size, "%s is already set at line %d", d->name, previous);
		return -1;
	}
	return config_set_directive(cfg, d, words + 1, n - 1, lineno, msg, msg_size);
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
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, errors = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char msg[512];
		if (parse_line(cfg, line, (size_t)len, ++lineno, msg, sizeof msg) < 0) {
			fprintf(err, "%s:%d: %s\n", path, lineno, msg);
			errors++;
		}
	}
	if (ferror(f)) {
		fprintf(err, "%s: %s\n", path, strerror(errno));
		errors++;
	}
	free(line);
	fclose(f);
	return errors;
}
