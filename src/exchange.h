/* exchange — one request in, one complete response plan out.
 *
 * The one place where a parsed request (or a request that could not be parsed)
 * becomes the answer: the site it is for (by its host), the limits on request
 * bodies, the router and its
 * handlers (static files; later endpoints add rows), 405/501 for methods, the
 * error page (a configured file, or our own short page), the keep-alive and
 * framing decision, and the access log's fields. It knows nothing of sockets
 * or select(): the connection hands it a request and sends the plan. */
#ifndef SWITCHBOARD_EXCHANGE_H
#define SWITCHBOARD_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "accesslog.h"
#include "auth.h"
#include "http_parser.h"
#include "response.h"
#include "router.h"

struct site;
struct site_table;

/* What the exchange needs of the running server: replaced by a reload. */
struct exchange_ctx {
	/* Per site: chosen from the request's host (site.h). NULL until the
	 * document roots are open. */
	const struct site_table *sites;

	/* The same for every site. */
	const struct router *router;
	uint64_t max_discard_body; /* request bodies up to this are read and dropped */
	bool keepalive;
	size_t max_keepalive_requests;
	bool stopping; /* graceful stop: every response closes its connection */
	bool draining; /* about to stop: the health route says so (503) */
	/* Basic authentication's shared state: the sites' rules (site.h) use
	 * its cache of verified credentials and its budget of verifications per
	 * turn, which change as requests are answered. NULL: none. */
	struct auth *auth;
};

/* A request as the connection received it. */
struct exchange_request {
	const struct http_request *req;        /* the parser's: complete unless error_status */
	const char *data;                      /* the request's bytes (spans point into them) */
	int error_status;                      /* the parser's fault (400, 414, ...); 0: none */
	unsigned long served;                  /* responses already sent on this connection */
	const struct sockaddr_storage *client; /* the client's address */
	time_t now;                            /* the wall clock, read once per request */
	const struct site *site; /* set by the exchange (from the host) for the handlers */
};

struct exchange_plan {
	struct response response;    /* head fields and the body source (owned) */
	bool close_after;            /* shut the connection down once it is sent */
	bool peer_closes;            /* the client said this is its last request */
	uint64_t discard;            /* request body bytes to read and drop */
	bool unlogged;               /* not written to the access log */
	bool fault;                  /* the request was refused as malformed or too large */
	struct accesslog_fields log; /* all but peer and time, which the connection adds */
	/* Not answered yet: checking the password must wait for a later turn of
	 * the loop (auth.h). The connection keeps the request and asks again. */
	bool deferred;
	char user[HTPASSWD_USER_MAX + 1]; /* the log's %u (log.user points here) */
};

/* The static files handler, the router's fallback. */
extern const struct route exchange_static_route;

/* Plan the answer to in (whose site it sets, from the host). The plan owns
 * what its body holds: the connection takes the body (body_take) and calls
 * exchange_plan_release() after. */
void exchange_answer(const struct exchange_ctx *ctx, struct exchange_request *in,
                     struct exchange_plan *plan);

void exchange_plan_release(struct exchange_plan *plan);

#endif
