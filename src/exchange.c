#include "autoconfig.h"

#include "exchange.h"

#include "static.h"

#include <string.h>

/* ----------------------------------------------------------- handlers */

static void handle_static(const struct exchange_ctx *ctx, const struct route *route,
                          const struct exchange_request *in, struct response *r)
{
	(void)route;
	const struct http_request *req = in->req;
	const char *data = in->data;
	time_t now = in->now;
	if (ctx->site == NULL) { /* no document root yet: cannot happen once serving */
		response_error(r, 503);
		return;
	}
	static_plan(ctx->site, req, data, now, r);
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
 * syntax; the configured headers as on every error of the site. */
static void refuse_credentials(const struct exchange_ctx *ctx, const struct exchange_request *in,
                               const struct auth_rule *rule, bool malformed, struct response *r)
{
	response_error(r, malformed ? 400 : 401);
	char line[AUTH_REALM_MAX + 64];
	size_t n = malformed ? 0 : auth_challenge_line(rule, line, sizeof line);
	const char *kept = n > 0 ? response_keep(r, line, n) : NULL;
	if (kept != NULL)
		r->extra[r->extra_count++] = kept;
	if (ctx->site != NULL)
		static_add_always_headers(ctx->site, in->req, in->data, r);
}

/* Basic authentication, for the static files only: health and metrics are
 * never behind it. True when the request is answered (refused) or deferred. */
static bool stopped_by_auth(const struct exchange_ctx *ctx, const struct route *route,
                            const struct exchange_request *in, struct exchange_plan *plan)
{
	if (ctx->auth == NULL || route->handler != handle_static)
		return false;
	const struct http_request *req = in->req;
	struct auth_decision d;
	enum auth_verdict verdict = auth_decide(
	    ctx->auth, http_span_ptr(in->data, req->target), req->target.len,
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
		refuse_credentials(ctx, in, d.rule, verdict == AUTH_MALFORMED, &plan->response);
		return true;
	}
	return false;
}

static const struct route *dispatch(const struct exchange_ctx *ctx,
                                    const struct exchange_request *in, struct exchange_plan *plan)
{
	const struct http_request *req = in->req;
	struct response *r = &plan->response;
	const struct route *route =
	    router_find(ctx->router, http_span_ptr(in->data, req->target), req->target.len);
	if (!(route->methods & ROUTE_METHOD(req->method))) {
		refuse_method(route, req, r);
		if (ctx->site != NULL)
			static_add_always_headers(ctx->site, req, in->data, r);
	} else if (!stopped_by_auth(ctx, route, in, plan))
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
 * here), who will close, what is sent at all, and the log's fields.
 * understood: the request line was parsed, so the request can be named. */
static void finish(const struct exchange_ctx *ctx, const struct exchange_request *in,
                   struct exchange_plan *plan, bool understood)
{
	struct response *r = &plan->response;
	if (r->error_page && ctx->site != NULL && ctx->site->root_fd >= 0)
		static_error_page(ctx->site, r);
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
	if (ctx->site != NULL)
		static_add_always_headers(ctx->site, in->req, in->data, r);
	/* The request line is logged when it was understood before the fault. */
	finish(ctx, in, plan, in->req->request_line.len > 0);
}

void exchange_answer(const struct exchange_ctx *ctx, const struct exchange_request *in,
                     struct exchange_plan *plan)
{
	const struct http_request *req = in->req;
	response_init(&plan->response);
	plan->close_after = plan->peer_closes = plan->unlogged = plan->fault = false;
	plan->deferred = false;
	plan->discard = 0;
	plan->log = (struct accesslog_fields){.status = 0};
	if (in->error_status != 0) {
		answer_fault(ctx, in, plan, in->error_status);
		return;
	}
	if (req->has_content_length && req->content_length > ctx->max_discard_body) {
		answer_fault(ctx, in, plan, 413);
		return;
	}
	plan->discard = req->has_content_length ? req->content_length : 0;

	struct response *r = &plan->response;
	plan->unlogged = dispatch(ctx, in, plan)->unlogged;
	if (plan->deferred)
		return;
	r->head_only = req->method == HTTP_METHOD_HEAD;
	r->connection = connection_for(ctx, in, r->status);
	/* A body that ends with the connection cannot leave it open. */
	if (r->framing == FRAMING_CLOSE)
		r->connection = RESPONSE_CLOSE;
	finish(ctx, in, plan, true);
}

void exchange_plan_release(struct exchange_plan *plan)
{
	response_release(&plan->response);
}
