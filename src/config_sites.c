#include "autoconfig.h"

#include "config_sites.h"

#include "config_directive.h"
#include "config_file.h"

#include <stdlib.h>
#include <string.h>

size_t config_site_count(const struct config *cfg)
{
	return cfg->sites != NULL ? cfg->sites->count : 0;
}

const struct config_site *config_site(const struct config *cfg, size_t i)
{
	return &cfg->sites->items[i];
}

const struct config *config_site_settings(const struct config *cfg, size_t i)
{
	return cfg->sites->items[i].cfg;
}

/* Room for one more of an array of `size`-byte items; NULL when out of memory. */
static void *grow(void **items, size_t *cap, size_t count, size_t size)
{
	if (count == *cap) {
		size_t more = *cap == 0 ? 8 : 2 * *cap;
		void *bigger = realloc(*items, more * size);
		if (bigger == NULL)
			return NULL;
		*items = bigger;
		*cap = more;
	}
	return (char *)*items + count * size;
}

int config_lines_add(struct config_lines *lines, int lineno, const char *text)
{
	struct config_line *line =
	    grow((void **)&lines->items, &lines->cap, lines->count, sizeof *line);
	if (line == NULL)
		return -1;
	line->lineno = lineno;
	line->text = strdup(text);
	if (line->text == NULL)
		return -1;
	lines->count++;
	return 0;
}

static void lines_free(struct config_lines *lines)
{
	for (size_t i = 0; i < lines->count; i++)
		free(lines->items[i].text);
	free(lines->items);
	memset(lines, 0, sizeof *lines);
}

struct config_site *config_sites_open(struct config_sites *sites, int line)
{
	struct config_site *site =
	    grow((void **)&sites->items, &sites->cap, sites->count, sizeof *site);
	if (site == NULL)
		return NULL;
	memset(site, 0, sizeof *site);
	site->line = line;
	sites->count++;
	return site;
}

int config_site_add_name(struct config_site *site, const char *name)
{
	char **names = realloc(site->names, (site->name_count + 1) * sizeof *names);
	if (names == NULL)
		return -1;
	site->names = names;
	names[site->name_count] = strdup(name);
	if (names[site->name_count] == NULL)
		return -1;
	site->name_count++;
	return 0;
}

const struct config_site *config_sites_find_name(const struct config_sites *sites, const char *name)
{
	for (size_t i = 0; i < sites->count; i++)
		for (size_t j = 0; j < sites->items[i].name_count; j++)
			if (strcmp(sites->items[i].names[j], name) == 0)
				return &sites->items[i];
	return NULL;
}

/* One line, read when the file was: its words are known to be a directive. */
static int replay_line(struct config *cfg, const struct config_line *line, bool *cleared, char *msg,
                       size_t msg_size)
{
	char *copy = strdup(line->text), *words[CONFIG_MAX_VALUES + 1];
	if (copy == NULL) {
		snprintf(msg, msg_size, "out of memory");
		return -1;
	}
	int n = config_split_words(copy, words, CONFIG_MAX_VALUES + 1, msg, msg_size);
	const struct directive *d = n > 0 ? config_directive_find(words[0]) : NULL;
	int rc = -1;
	if (d == NULL) {
		snprintf(msg, msg_size, "not a directive line");
	} else {
		enum directive_id id = config_directive_id(d);
		/* A layer of its own: its first value of a list replaces the list. */
		if (cleared != NULL && d->repeat && !cleared[id]) {
			d->clear(cfg, d);
			cfg->origin[id] = ORIGIN_DEFAULT;
			cleared[id] = true;
		}
		rc = config_set_directive(cfg, d, words + 1, n - 1, line->lineno, msg, msg_size);
	}
	free(copy);
	return rc;
}

int config_lines_replay(struct config *cfg, const struct config_lines *lines, bool own_layer,
                        FILE *err)
{
	bool cleared[DIRECTIVE_COUNT] = {false};
	int errors = 0;
	for (size_t i = 0; i < lines->count; i++) {
		char msg[512];
		if (replay_line(cfg, &lines->items[i], own_layer ? cleared : NULL, msg,
		                sizeof msg) < 0) {
			fprintf(err, "%s:%d: %s\n", cfg->file, lines->items[i].lineno, msg);
			errors++;
		}
	}
	return errors;
}

void config_sites_free(struct config_sites *sites)
{
	if (sites == NULL)
		return;
	for (size_t i = 0; i < sites->count; i++) {
		struct config_site *site = &sites->items[i];
		for (size_t j = 0; j < site->name_count; j++)
			free(site->names[j]);
		free(site->names);
		lines_free(&site->lines);
		if (site->cfg != NULL) {
			config_free(site->cfg);
			free(site->cfg);
		}
	}
	lines_free(&sites->top);
	free(sites->items);
	free(sites);
}
