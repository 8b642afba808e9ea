#include "autoconfig.h"

#include "fallback.h"

#include "log.h"

#include <stddef.h>
#include <string.h>

const char *const fallback_scope_names[] = {
    [FALLBACK_EXTENSIONLESS] = "extensionless",
    [FALLBACK_ALL] = "all",
    [FALLBACK_ALL + 1] = NULL,
};

/* Does the last segment of the path carry an extension (a '.')? */
static bool has_extension(const struct urlpath *up)
{
	if (up->trailing_slash) /* a directory's name, not a file's */
		return false;
	const char *slash = memrchr(up->path, '/', up->len);
	const char *name = slash != NULL ? slash + 1 : up->path;
	return memchr(name, '.', up->len - (size_t)(name - up->path)) != NULL;
}

bool fallback_applies(const struct fallback_rule *rule, const struct urlpath *up)
{
	if (rule == NULL || rule->path == NULL)
		return false;
	return rule->scope == FALLBACK_ALL || !has_extension(up);
}

/* One process serves one fallback file at a time: the last outcome is enough. */
static bool reported_missing;

void fallback_report(const struct fallback_rule *rule, bool served, int file_status,
                     int answer_status)
{
	if (served) {
		reported_missing = false;
		return;
	}
	if (reported_missing)
		return;
	reported_missing = true;
	log_error("fallback %s: cannot be served (a request for it gets %d): paths that name "
	          "nothing get %d until it can",
	          rule->path, file_status, answer_status);
}
