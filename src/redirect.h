/* redirect — configured redirects: `redirect FROM TO [STATUS]`.
 *
 * FROM is a path, matched against the request's path once it is decoded and
 * normalised (the same path a file would be looked up by): "/old.html" for
 * exactly that path, "/docs/" then "*" for everything below /docs/ (the rest is
 * appended to TO). TO is a path on this server ("/new.html") or an absolute
 * http(s) URL. The request's query is kept.
 *
 * No open redirect from request bytes: the part of a Location that comes from
 * the request is the normalised path, percent-encoded again (no empty
 * segment, so never a "//host"), appended to a TO the configuration fixed.
 * Pure: no files, no sockets. */
#ifndef SWITCHBOARD_REDIRECT_H
#define SWITCHBOARD_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>

struct urlpath;

struct redirect_rule {
	char *from; /* a prefix "/docs/" (written with a last "*"); else the exact path */
	bool prefix;
	char *to;
	int status; /* 301, 302, 307 or 308 */
};

/* From the directive's values (status NULL: 301). 0, or -1 with err. */
int redirect_rule_parse(const char *from, const char *to, const char *status,
                        struct redirect_rule *out, char *err, size_t err_size);
void redirect_rule_free(struct redirect_rule *r);

/* The first rule that matches the normalised path (up), or NULL. */
const struct redirect_rule *redirect_find(const struct redirect_rule *rules, size_t count,
                                          const struct urlpath *up);

/* The Location for up under r, into out (NUL-terminated); its length, or 0
 * when it does not fit. */
size_t redirect_location(const struct redirect_rule *r, const struct urlpath *up, char *out,
                         size_t size);

/* A rule whose local target another rule (or itself) redirects again: a loop
 * that every client would follow forever. -1 with err naming it, or 0. */
int redirect_rules_check(const struct redirect_rule *rules, size_t count, char *err,
                         size_t err_size);

#endif
