/* router — which handler answers a request: a small table of exact paths and
 * path prefixes, tried in order, and a fallback for every other path.
 *
 * A route also says which methods it answers; the exchange turns any other
 * known method into 405 with an Allow field made from the same set, so the two
 * cannot disagree. Adding an endpoint is one row here and one handler. Pure:
 * it compares bytes and knows nothing of files or sockets. */
#ifndef SWITCHBOARD_ROUTER_H
#define SWITCHBOARD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http_parser.h"

struct response;
struct exchange_ctx;
struct exchange_request;
struct route;

/* Plan the answer to a request into r, which is initialised. */
typedef void (*route_handler)(const struct exchange_ctx *ctx, const struct route *route,
                              const struct exchange_request *in, struct response *r);

enum route_match {
	ROUTE_EXACT,  /* the request path is path */
	ROUTE_PREFIX, /* the request path starts with path */
};

#define ROUTE_METHOD(m) (1u << (m))
#define ROUTE_GET_HEAD (ROUTE_METHOD(HTTP_METHOD_GET) | ROUTE_METHOD(HTTP_METHOD_HEAD))

struct route {
	const char *path; /* compared with the request-target's path, before any '?' */
	enum route_match match;
	unsigned methods; /* ROUTE_METHOD() bits */
	route_handler handler;
	const void *arg; /* the handler's own data */
	bool unlogged;   /* its answers stay out of the access log (health probes) */
	/* Never shared with other origins: no CORS fields, no preflight (cors.h). */
	bool same_origin_only;
};

#define ROUTER_MAX_ROUTES 16

struct router {
	struct route routes[ROUTER_MAX_ROUTES];
	size_t count;
	struct route fallback; /* every path no row matches */
};

void router_init(struct router *rt, const struct route *fallback);

/* Append a row; -1 when the table is full. */
int router_add(struct router *rt, const struct route *route);

/* The route for a request-target (origin-form, as received). */
const struct route *router_find(const struct router *rt, const char *target, size_t len);

/* The Allow field value for a set of methods ("GET, HEAD"), into out; its
 * length (0 when it does not fit). */
size_t router_allow(unsigned methods, char *out, size_t size);

#endif
