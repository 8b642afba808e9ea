/* metrics_route — the route that serves the metrics (metrics.h) to a
 * monitoring system, in the Prometheus text exposition format, to clients in
 * the allowed networks only (others get 403). GET and HEAD; never cached. */
#ifndef SWITCHBOARD_METRICS_ROUTE_H
#define SWITCHBOARD_METRICS_ROUTE_H

#include "netmask.h"
#include "router.h"

/* The row for path; allow: who may read (kept by the caller while the row is
 * in use). The answers stay out of the access log when quiet. */
struct route metrics_route(const char *path, const struct netmask_list *allow, bool quiet);

#endif
