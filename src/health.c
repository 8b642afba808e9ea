#include "autoconfig.h"

#include "health.h"

#include "exchange.h"
#include "response.h"

static void answer_health(const struct exchange_ctx *ctx, const struct route *route,
                          const struct exchange_request *in, struct response *r)
{
	static const char serving[] = "ok\n";
	static const char draining[] = "draining\n";
	(void)route;
	(void)in;
	bool leaving = ctx->draining || ctx->stopping;
	const char *text = leaving ? draining : serving;
	size_t len = leaving ? sizeof draining - 1 : sizeof serving - 1;
	r->status = leaving ? 503 : 200;
	r->content_type = "text/plain; charset=utf-8";
	r->content_length = len;
	r->body = body_static(text, len);
	r->extra[r->extra_count++] = "Cache-Control: no-store\r\n";
}

struct route health_route(const char *path, bool quiet)
{
	return (struct route){
	    .path = path,
	    .match = ROUTE_EXACT,
	    .methods = ROUTE_GET_HEAD,
	    .handler = answer_health,
	    .unlogged = quiet,
	};
}
