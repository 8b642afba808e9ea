#include "autoconfig.h"

#include "config_diff.h"

#include "config_directive.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lists (STORE_LIST) are always reloadable: the table's tests hold it so, and
 * a list that is not compared counts as changed. */
static bool same_value(const struct config *a, const struct config *b, const struct directive *d)
{
	switch (d->storage) {
	case STORE_LISTEN:
		return a->listen_count == b->listen_count &&
		       memcmp(a->listen, b->listen, a->listen_count * sizeof a->listen[0]) == 0;
	case STORE_SCALAR:
		return memcmp(config_const_field(a, d), config_const_field(b, d), d->size) == 0;
	case STORE_TEXT: {
		const char *const *sa = config_const_field(a, d);
		const char *const *sb = config_const_field(b, d);
		if (*sa == NULL || *sb == NULL)
			return *sa == *sb;
		return strcmp(*sa, *sb) == 0;
	}
	case STORE_LIST:
		break;
	}
	return false;
}

/* next's value of d becomes running's (a text that cannot be copied for want
 * of memory stays as it was). */
static void keep_value(struct config *next, const struct config *running, const struct directive *d)
{
	switch (d->storage) {
	case STORE_LISTEN:
		next->listen_count = running->listen_count;
		memcpy(next->listen, running->listen, sizeof next->listen);
		break;
	case STORE_SCALAR:
		memcpy(config_field(next, d), config_const_field(running, d), d->size);
		break;
	case STORE_TEXT: {
		char **slot = config_field(next, d);
		const char *const *value = config_const_field(running, d);
		char *copy = *value != NULL ? strdup(*value) : NULL;
		if (*value == NULL || copy != NULL) {
			free(*slot);
			*slot = copy;
		}
		break;
	}
	case STORE_LIST:
		break;
	}
}

void config_keep_restart_values(struct config *next, const struct config *running)
{
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const struct directive *d = config_directive((enum directive_id)i);
		if (!d->reload)
			keep_value(next, running, d);
	}
}

void config_restart_needed(const struct config *old, const struct config *new_cfg, char *out,
                           size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < DIRECTIVE_COUNT && n < size; i++) {
		const struct directive *d = config_directive((enum directive_id)i);
		if (!d->reload && !same_value(old, new_cfg, d))
			n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", d->name);
	}
}
