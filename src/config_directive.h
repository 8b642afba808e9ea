/* config_directive — one row of the directive table, for the parts of the
 * configuration that read values (the file, the command line) and compare
 * them (a reload). Not for the rest of the server: it reads struct config. */
#ifndef SWITCHBOARD_CONFIG_DIRECTIVE_H
#define SWITCHBOARD_CONFIG_DIRECTIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "config_table.h"

/* Where a value came from, as kept in struct config's origin: a line of the
 * config file is a positive number. */
#define ORIGIN_DEFAULT 0
#define ORIGIN_COMMAND_LINE (-1)

/* How a directive's value is held in struct config, for a reload to compare
 * and keep it. */
enum directive_storage {
	STORE_TEXT,   /* char *, owned */
	STORE_SCALAR, /* a number, a flag or a choice of `size` bytes */
	STORE_LISTEN, /* the listen addresses and their count */
	STORE_LIST,   /* names, header rules, error pages: always reloadable */
};

struct directive;

/* Checks the values (count already checked) and stores them in cfg. Returns
 * 0, or -1 with what is wrong in msg. */
typedef int directive_setter(struct config *cfg, const struct directive *d, char **values,
                             int count, char *msg, size_t msg_size);

/* Empties the value and frees what it holds (NULL: nothing to free). */
typedef void directive_clearer(struct config *cfg, const struct directive *d);

struct directive {
	const char *name;
	directive_setter *set;
	directive_clearer *clear;
	enum directive_storage storage;
	size_t offset, size; /* of the field in struct config */
	const char *def;     /* the default, as it would be written in the file; NULL: none */
	bool reload;         /* a reload (SIGHUP) applies a new value */
	bool repeat;         /* may be given several times: the values add up */
	bool site;           /* may be given in a site block: each site has its own value */
	int least, most;     /* how many values it takes */
	size_t max;          /* counts: the largest value */
	/* Choices: the names of an enum's values, in its order, NULL-terminated. */
	const char *const *choices;
};

const struct directive *config_directive(enum directive_id id);

/* NULL when there is no directive of that name. */
const struct directive *config_directive_find(const char *name);

enum directive_id config_directive_id(const struct directive *d);

void *config_field(struct config *cfg, const struct directive *d);
const void *config_const_field(const struct config *cfg, const struct directive *d);

/* Applies a directive's values, given at origin (ORIGIN_DEFAULT,
 * ORIGIN_COMMAND_LINE or a line number), and remembers the origin. Returns 0,
 * or -1 with what is wrong in msg. */
int config_set_directive(struct config *cfg, const struct directive *d, char **values, int count,
                         int origin, char *msg, size_t msg_size);

/* *slot becomes a copy of value. Returns 0, or -1 (and *slot is kept) when
 * out of memory. */
int config_replace_string(char **slot, const char *value);

#endif
