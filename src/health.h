/* health — the health route: answered from memory, for load balancers and
 * service managers that ask whether this server should get traffic.
 *
 * 200 "ok" while serving; 503 "draining" once a graceful stop has begun, so
 * that a balancer takes the server out of rotation before it closes its
 * listeners. GET and HEAD only; never cached by an intermediary. */
#ifndef SWITCHBOARD_HEALTH_H
#define SWITCHBOARD_HEALTH_H

#include "router.h"

/* The row for path; quiet: its answers stay out of the access log. */
struct route health_route(const char *path, bool quiet);

#endif
