/* fallback — a single-page application's fallback file: the page (usually
 * /index.html) served with 200 to GET and HEAD requests for paths that name
 * nothing, so that a client-side router can take over any of its routes.
 *
 * Only a path that is not found (no such file or directory) gets it: a
 * refused one (a hidden file, a bad path, a traversal, a symlink the policy
 * refuses) keeps its 4xx, a redirect rule still comes first, and the
 * server's own routes (health, metrics) never reach it. The fallback file is
 * served as a request for it would be: its own ETag and Last-Modified, its
 * conditional requests and ranges, HEAD without the body. */
#ifndef SWITCHBOARD_FALLBACK_H
#define SWITCHBOARD_FALLBACK_H

#include <stdbool.h>

#include "urlpath.h"

enum fallback_scope {
	/* Paths whose last segment has no '.', or that end with '/': "/app/route"
	 * but not "/missing.png", which stays 404 (a page served for a missing
	 * script or image only hides the mistake). */
	FALLBACK_EXTENSIONLESS,
	FALLBACK_ALL, /* every path that names nothing */
};

/* fallback PATH [extensionless | all] */
struct fallback_rule {
	char *path; /* "/index.html": a file below the root; NULL: off */
	enum fallback_scope scope;
};

/* The names of the scopes, in the order of their enum, then NULL. */
extern const char *const fallback_scope_names[];

/* Does the rule cover the request path up, found to name nothing? */
bool fallback_applies(const struct fallback_rule *rule, const struct urlpath *up);

/* What serving the fallback file came to: served (found, whatever its
 * preconditions said) or not, its own status, and the status the request
 * gets then. A file that cannot be served is logged once, when it goes
 * missing, not per request. */
void fallback_report(const struct fallback_rule *rule, bool served, int file_status,
                     int answer_status);

#endif
