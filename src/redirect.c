#include "autoconfig.h"

#include "redirect.h"

#include "urlpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A target: "/path" on this server (not "//", which would name a host), or an
 * absolute http(s) URL; visible ASCII only (no space, no control byte). */
static bool valid_target(const char *to)
{
	for (const char *p = to; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	if (to[0] == '/')
		return to[1] != '/';
	const char *rest = strncasecmp(to, "http://", 7) == 0    ? to + 7
	                   : strncasecmp(to, "https://", 8) == 0 ? to + 8
	                                                         : NULL;
	return rest != NULL && rest[0] != '\0' && rest[0] != '/';
}

static bool valid_from(const char *from)
{
	if (from[0] != '/' || strchr(from, '?') != NULL || strchr(from, '#') != NULL)
		return false;
	for (const char *p = from; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return false;
	/* Only a last "*", after a slash, makes a prefix. */
	const char *star = strchr(from, '*');
	return star == NULL || (star[1] == '\0' && star[-1] == '/');
}

int redirect_rule_parse(const char *from, const char *to, const char *status,
                        struct redirect_rule *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof *out);
	if (!valid_from(from)) {
		snprintf(
		    err, err_size,
		    "invalid redirect source '%s' (a path like /old.html, or /dir/* for all below)",
		    from);
		return -1;
	}
	if (!valid_target(to)) {
		snprintf(err, err_size,
		         "invalid redirect target '%s' (a path like /new.html, or an http(s) URL)",
		         to);
		return -1;
	}
	out->status = 301;
	if (status != NULL) {
		out->status = strcmp(status, "301") == 0   ? 301
		              : strcmp(status, "302") == 0 ? 302
		              : strcmp(status, "307") == 0 ? 307
		              : strcmp(status, "308") == 0 ? 308
		                                           : 0;
		if (out->status == 0) {
			snprintf(err, err_size,
			         "invalid redirect status '%s' (301, 302, 307 or 308)", status);
			return -1;
		}
	}
	size_t len = strlen(from);
	out->prefix = from[len - 1] == '*';
	if (out->prefix && to[strlen(to) - 1] != '/') {
		snprintf(err, err_size,
		         "redirect target '%s' must end with '/' for %s (the rest of the path "
		         "is appended)",
		         to, from);
		return -1;
	}
	out->from = strndup(from, out->prefix ? len - 1 : len);
	out->to = strdup(to);
	if (out->from == NULL || out->to == NULL) {
		redirect_rule_free(out);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	return 0;
}

void redirect_rule_free(struct redirect_rule *r)
{
	free(r->from);
	free(r->to);
	r->from = r->to = NULL;
}

/* Does "/" + up->path (with its trailing slash) match r? *rest: where the part
 * below a prefix begins in up->path. */
static bool rule_matches(const struct redirect_rule *r, const struct urlpath *up, size_t *rest)
{
	size_t n = strlen(r->from) - 1; /* without the leading "/" */
	const char *from = r->from + 1;
	if (!r->prefix) {
		size_t len = up->len + (up->trailing_slash && up->len > 0);
		return len == n && strncmp(up->path, from, up->len) == 0 &&
		       (n == up->len || from[n - 1] == '/');
	}
	/* "/docs/" covers "/docs/" itself and everything below it. */
	if (n <= up->len && strncmp(up->path, from, n) == 0) {
		*rest = n;
		return true;
	}
	if (n == up->len + 1 && up->trailing_slash && strncmp(up->path, from, up->len) == 0) {
		*rest = up->len;
		return true;
	}
	return false;
}

const struct redirect_rule *redirect_find(const struct redirect_rule *rules, size_t count,
                                          const struct urlpath *up)
{
	size_t rest;
	for (size_t i = 0; i < count; i++)
		if (rule_matches(&rules[i], up, &rest))
			return &rules[i];
	return NULL;
}

size_t redirect_location(const struct redirect_rule *r, const struct urlpath *up, char *out,
                         size_t size)
{
	size_t rest = 0;
	if (!rule_matches(r, up, &rest))
		return 0;
	size_t n = strlen(r->to);
	if (n >= size)
		return 0;
	memcpy(out, r->to, n);
	if (r->prefix && rest < up->len) {
		n += urlpath_encode(up->path + rest, up->len - rest, out + n, size - n);
		if (up->trailing_slash && n + 1 < size)
			out[n++] = '/';
	}
	if (up->query != NULL) {
		if (n + 1 + up->query_len >= size)
			return 0;
		out[n++] = strchr(r->to, '?') != NULL ? '&' : '?';
		memcpy(out + n, up->query, up->query_len);
		n += up->query_len;
	}
	if (n >= size)
		return 0;
	out[n] = '\0';
	return n;
}

/* Would a request for the local path `to` match rule r? */
static bool target_matches(const struct redirect_rule *r, const char *to)
{
	size_t len = strcspn(to, "?#");
	size_t n = strlen(r->from);
	return r->prefix ? len >= n && strncmp(to, r->from, n) == 0
	                 : len == n && strncmp(to, r->from, n) == 0;
}

int redirect_rules_check(const struct redirect_rule *rules, size_t count, char *err,
                         size_t err_size)
{
	for (size_t i = 0; i < count; i++) {
		if (rules[i].to[0] != '/')
			continue; /* another host: nothing to know of its rules */
		for (size_t j = 0; j < count; j++) {
			if (!target_matches(&rules[j], rules[i].to))
				continue;
			if (i == j)
				snprintf(err, err_size,
				         "redirect loop: %s%s goes to %s, which it redirects again",
				         rules[i].from, rules[i].prefix ? "*" : "", rules[i].to);
			else
				snprintf(
				    err, err_size,
				    "redirect loop: %s%s goes to %s, which the redirect of %s%s "
				    "sends on",
				    rules[i].from, rules[i].prefix ? "*" : "", rules[i].to,
				    rules[j].from, rules[j].prefix ? "*" : "");
			return -1;
		}
	}
	return 0;
}
