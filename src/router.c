#include "autoconfig.h"

#include "router.h"

#include <string.h>

void router_init(struct router *rt, const struct route *fallback)
{
	memset(rt, 0, sizeof *rt);
	rt->fallback = *fallback;
}

int router_add(struct router *rt, const struct route *route)
{
	if (rt->count >= ROUTER_MAX_ROUTES)
		return -1;
	rt->routes[rt->count++] = *route;
	return 0;
}

/* The path of a request-target: up to the query. Routes are matched on the
 * bytes as received, before decoding: an endpoint has one spelling. */
static size_t path_length(const char *target, size_t len)
{
	const char *query = memchr(target, '?', len);
	return query != NULL ? (size_t)(query - target) : len;
}

static bool route_matches(const struct route *r, const char *path, size_t len)
{
	size_t n = strlen(r->path);
	if (r->match == ROUTE_EXACT)
		return n == len && memcmp(r->path, path, n) == 0;
	return n <= len && memcmp(r->path, path, n) == 0;
}

const struct route *router_find(const struct router *rt, const char *target, size_t len)
{
	if (rt->count == 0) /* the common case: static files only */
		return &rt->fallback;
	size_t path_len = path_length(target, len);
	for (size_t i = 0; i < rt->count; i++)
		if (route_matches(&rt->routes[i], target, path_len))
			return &rt->routes[i];
	return &rt->fallback;
}

size_t router_allow(unsigned methods, char *out, size_t size)
{
	static const struct {
		enum http_method method;
		const char *name;
	} known[] = {
	    {HTTP_METHOD_GET, "GET"},         {HTTP_METHOD_HEAD, "HEAD"},
	    {HTTP_METHOD_POST, "POST"},       {HTTP_METHOD_PUT, "PUT"},
	    {HTTP_METHOD_DELETE, "DELETE"},   {HTTP_METHOD_CONNECT, "CONNECT"},
	    {HTTP_METHOD_OPTIONS, "OPTIONS"}, {HTTP_METHOD_TRACE, "TRACE"},
	    {HTTP_METHOD_PATCH, "PATCH"},
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (!(methods & ROUTE_METHOD(known[i].method)))
			continue;
		size_t len = strlen(known[i].name);
		if (n + (n > 0 ? 2 : 0) + len + 1 > size)
			return 0;
		if (n > 0) {
			memcpy(out + n, ", ", 2);
			n += 2;
		}
		memcpy(out + n, known[i].name, len);
		n += len;
	}
	if (size > 0)
		out[n] = '\0';
	return n;
}
