#include "autoconfig.h"

#include "exchange.h"

#include "cors.h"
#include "site.h"
#include "static.h"

#include <string.h>

/* ----------------------------------------------------------- the site */

/* The authority of an absolute-form target ("http://HOST:PORT/path"), or
 * NULL when the target is in origin form. */
static const char *target_authority(const char *target, size_t len, size_t *authority_len)
{
	static const char *const schemes[] = {"http://", "https://"};
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i]);
		if (len < n || strncasecmp(target, schemes[i], n) != 0)
			continue;
		size_t end = n;
		while (end < len && target[end] != '/' && target[end] != '?')
			end++;
		*authority_len = end - n;
		return target + n;
	}
	return NULL;
}

/* The site a request is for: named by the authority of an absolute-form
 * target, which wins over Host (RFC 9112 section 3.2.2), or by Host (which
 * the parser has checked); the default site when neither names one. */
static const struct site *site_for(const struct exchange_ctx *ctx,
                                   const struct exchange_request *in)
{
	const struct site_table *t = ctx->sites;
	if (t == NULL || t->count == 0)
		return NULL;
	if (site_table_single(t))
		return &t->sites[0];
	const struct http_request *req = in->req;
	const char *target = http_span_ptr(in->data, req->target);
	size_t len = 0;
	const char *host = target_authority(target, req->target.len, &len);
	if (host == NULL) {
		host = http_span_ptr(in->data, req->host);
		len = req->host.len;
	}
	return site_table_pick(t, host, len);
}

/* A request that could not be read is the default site's: its Host, if any,
 * cannot be trusted to choose. */
static const struct site *default_site(const struct exchange_ctx *ctx)
{
	return ctx->sites != NULL && ctx->sites->count > 0 ? &ctx->sites->sites[0] : NULL;
}

/* ----------------------------------------------------------- handlers */

static void handle_static(const struct exchange_ctx *ctx, const struct route *route,
                          const struct exchange_request *in, struct response *r)
{
	(void)route;
	const struct http_request *req = in->req;
	const char *data = in->data;
	time_t now = in->now;
	(void)ctx;
	if (in->site == NULL) { /* no document root yet: cannot happen once serving */
		response_error(r, 503);
		return;
	}
	static_plan(&in->site->files, req, data, now, r);
}

const struct route exchange_static_route = {
    .path = "/",
    .match = ROUTE_PREFIX,
    .methods = ROUTE_GET_HEAD,
    .handler = handle_static,
};

/* ----------------------------------------------------------- decisions */

/* A method no route answers: 501 when we do not know it at all, 405 (with the
 * methods the route does answer) when we do. */
static void refuse_method(const struct route *route, const struct http_request *req,
                          struct response *r)
{
	if (req->method == HTTP_METHOD_OTHER) {
		response_error(r, 501);
		return;
	}
	response_error(r, 405);
	char allow[64];
	size_t n = router_allow(route->methods, allow, sizeof allow);
	r->allow = response_keep(r, allow, n);
}

/* 401 with the realm's challenge, or 400 for credentials that are not Basic's
 * syntax; the site's configured headers as on every error. */
static void refuse_credentials(const struct exchange_request *in, const struct auth_rule *rule,
                               bool malformed, struct response *r)
{
	response_error(r, malformed ? 400 : 401);
	char line[AUTH_REALM_MAX + 64];
	size_t n = malformed ? 0 : auth_challenge_line(rule, line, sizeof line);
	const char *kept = n > 0 ? response_keep(r, line, n) : NULL;
	if (kept != NULL)
		r->extra[r->extra_count++] = kept;
	static_add_always_headers(&in->site->files, in->req, in->data, r);
}

/* Basic authentication under the site's rules, for the static files only:
 * health and metrics are never behind it. */
static bool needs_auth(const struct exchange_ctx *ctx, const struct route *route,
                       const struct exchange_request *in)
{
	return in->site != NULL && in->site->auth_rule_count > 0 && ctx->auth != NULL &&
	       route->handler == handle_static;
}

/* A request needs_auth() chose: true when it is answered (refused) or
 * deferred. */
static bool stopped_by_auth(const struct exchange_ctx *ctx, const struct exchange_request *in,
                            struct exchange_plan *plan)
{
	const struct http_request *req = in->req;
	struct auth_decision d;
	enum auth_verdict verdict = auth_decide(
	    ctx->auth, in->site->auth_rules, in->site->auth_rule_count,
	    http_span_ptr(in->data, req->target), req->target.len,
	    http_span_ptr(in->data, req->authorization), req->authorization.len, in->now, &d);
	memcpy(plan->user, d.user, d.user_len);
	plan->log.user = plan->user;
	plan->log.user_len = d.user_len;
	switch (verdict) {
	case AUTH_OPEN:
	case AUTH_GRANTED:
		return false;
	case AUTH_DEFERRED:
		plan->deferred = true;
		return true;
	case AUTH_CHALLENGE:
	case AUTH_MALFORMED:
		refuse_credentials(in, d.rule, verdict == AUTH_MALFORMED, &plan->response);
		return true;
	}
	return false;
}

/* The CORS policy for answers on route: the site's, none where it has CORS
 * off, nor on a route that keeps to its own origin (the metrics). */
static const struct cors_policy *cors_for(const struct exchange_request *in,
                                          const struct route *route)
{
	/* The site first: with CORS off (the common case) that is all it takes. */
	return in->site != NULL && in->site->cors != NULL && route != NULL &&
	               !route->same_origin_only
	           ? in->site->cors
	           : NULL;
}

/* The route of a request that could not be read whole: none before its
 * target was. */
static const struct route *route_of_fault(const struct exchange_ctx *ctx,
                                          const struct exchange_request *in)
{
	const struct http_request *req = in->req;
	if (req->target.len == 0 || ctx->router == NULL)
		return NULL;
	return router_find(ctx->router, http_span_ptr(in->data, req->target), req->target.len);
}

/* *cors_done: the answer is a preflight's, whose CORS fields are all set. */
static const struct route *dispatch(const struct exchange_ctx *ctx,
                                    const struct exchange_request *in, struct exchange_plan *plan,
                                    bool *cors_done)
{
	const struct http_request *req = in->req;
	struct response *r = &plan->response;
	const struct route *route =
	    router_find(ctx->router, http_span_ptr(in->data, req->target), req->target.len);
	const struct cors_policy *cors = cors_for(in, route);
	*cors_done = cors != NULL && cors_is_preflight(req);
	if (*cors_done) {
		/* Before the method rules: OPTIONS is answered here only. */
		cors_plan_preflight(cors, req, in->data, r);
		static_add_always_headers(&in->site->files, req, in->data, r);
	} else if (!(route->methods & ROUTE_METHOD(req->method))) {
		refuse_method(route, req, r);
		if (in->site != NULL)
			static_add_always_headers(&in->site->files, req, in->data, r);
	} else if (!needs_auth(ctx, route, in) || !stopped_by_auth(ctx, in, plan))
		route->handler(ctx, route, in, r);
	return route;
}

/* Does the client want the connection kept open (RFC 9112 section 9.3)?
 * A "close" anywhere in Connection wins over "keep-alive", in any version. */
static bool client_keeps_alive(const struct http_request *req)
{
	return !req->connection_close && (req->version_minor >= 1 || req->connection_keep_alive);
}

static enum response_connection connection_for(const struct exchange_ctx *ctx,
                                               const struct exchange_request *in, int status)
{
	const struct http_request *req = in->req;
	bool keep = client_keeps_alive(req) && ctx->keepalive &&
	            in->served + 1 < ctx->max_keepalive_requests;
	/* A 400 means we did not understand the request: trust nothing after it. */
	if (!keep || status == 400 || ctx->stopping)
		return RESPONSE_CLOSE;
	return req->version_minor >= 1 ? RESPONSE_KEEP_ALIVE : RESPONSE_KEEP_ALIVE_HTTP10;
}

static void log_request(const struct exchange_request *in, struct accesslog_fields *f)
{
	const struct http_request *req = in->req;
	f->request_line = http_span_ptr(in->data, req->request_line);
	f->request_line_len = req->request_line.len;
	f->referer = http_span_ptr(in->data, req->referer);
	f->referer_len = req->referer.len;
	f->user_agent = http_span_ptr(in->data, req->user_agent);
	f->user_agent_len = req->user_agent.len;
}

/* What every plan goes through last: the configured error page (asked once,
 * here), the CORS fields of route's answers (NULL: none), who will close,
 * what is sent at all, and the log's fields.
 * understood: the request line was parsed, so the request can be named. */
static void finish(const struct exchange_ctx *ctx, const struct exchange_request *in,
                   const struct route *cors_route, struct exchange_plan *plan, bool understood)
{
	struct response *r = &plan->response;
	(void)ctx;
	if (r->error_page && in->site != NULL && in->site->files.root_fd >= 0)
		static_error_page(&in->site->files, r);
	const struct cors_policy *cors = cors_for(in, cors_route);
	if (cors != NULL)
		cors_add_fields(cors, in->req, in->data, r);
	plan->close_after = r->connection == RESPONSE_CLOSE;
	/* Only a request the server understood can say so; errors linger. */
	plan->peer_closes = understood && !r->error_page && !client_keeps_alive(in->req);
	/* HEAD gets the fields only; an empty file has no bytes to send. */
	if (r->head_only || (r->body.kind != BODY_GENERATED && r->content_length == 0))
		body_release(&r->body);
	plan->log.status = r->status;
	if (understood)
		log_request(in, &plan->log);
}

/* A request that cannot be trusted to frame the next one: answer and close. */
static void answer_fault(const struct exchange_ctx *ctx, const struct exchange_request *in,
                         struct exchange_plan *plan, int status)
{
	struct response *r = &plan->response;
	response_error(r, status);
	r->connection = RESPONSE_CLOSE;
	r->head_only = in->req->method == HTTP_METHOD_HEAD;
	plan->discard = 0;
	plan->fault = true;
	if (in->site != NULL)
		static_add_always_headers(&in->site->files, in->req, in->data, r);
	/* The request line is logged when it was understood before the fault. */
	finish(ctx, in, route_of_fault(ctx, in), plan, in->req->request_line.len > 0);
}

void exchange_answer(const struct exchange_ctx *ctx, struct exchange_request *in,
                     struct exchange_plan *plan)
{
	const struct http_request *req = in->req;
	response_init(&plan->response);
	plan->close_after = plan->peer_closes = plan->unlogged = plan->fault = false;
	plan->deferred = false;
	plan->discard = 0;
	plan->log = (struct accesslog_fields){.status = 0};
	if (in->error_status != 0) {
		in->site = default_site(ctx);
		answer_fault(ctx, in, plan, in->error_status);
		return;
	}
	in->site = site_for(ctx, in);
	if (req->has_content_length && req->content_length > ctx->max_discard_body) {
		answer_fault(ctx, in, plan, 413);
		return;
	}
	plan->discard = req->has_content_length ? req->content_length : 0;

	struct response *r = &plan->response;
	bool cors_done;
	const struct route *route = dispatch(ctx, in, plan, &cors_done);
	plan->unlogged = route->unlogged;
	if (plan->deferred)
		return;
	r->head_only = req->method == HTTP_METHOD_HEAD;
	r->connection = connection_for(ctx, in, r->status);
	/* A body that ends with the connection cannot leave it open. */
	if (r->framing == FRAMING_CLOSE)
		r->connection = RESPONSE_CLOSE;
	finish(ctx, in, cors_done ? NULL : route, plan, true);
}

void exchange_plan_release(struct exchange_plan *plan)
{
	response_release(&plan->response);
}
