#include "autoconfig.h"

#include "metrics_route.h"

#include "exchange.h"
#include "metrics.h"
#include "response.h"

static void answer_metrics(const struct exchange_ctx *ctx, const struct route *route,
                           const struct exchange_request *in, struct response *r)
{
	(void)ctx;
	const struct netmask_list *allow = route->arg;
	if (in->client == NULL ||
	    !netmask_list_contains(allow, (const struct sockaddr *)in->client)) {
		response_error(r, 403);
		return;
	}
	unsigned count;
	const struct metrics *slots = metrics_slots(&count);
	struct buf text = BUF_INIT;
	if (metrics_render(slots, count, &text) < 0) {
		buf_free(&text);
		response_error(r, 503);
		return;
	}
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	r->content_length = buf_len(&text);
	r->body = body_owned(text.data, buf_len(&text)); /* the buffer starts at data */
	r->extra[r->extra_count++] = "Cache-Control: no-store\r\n";
}

struct route metrics_route(const char *path, const struct netmask_list *allow, bool quiet)
{
	return (struct route){
	    .path = path,
	    .match = ROUTE_EXACT,
	    .methods = ROUTE_GET_HEAD,
	    .handler = answer_metrics,
	    .arg = allow,
	    .unlogged = quiet,
	    .same_origin_only = true, /* for monitoring systems, not for other sites' pages */
	};
}
