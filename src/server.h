/* server — what ties the pieces together: listeners, the connection table and
 * its limits, signals, and the graceful stop. */
#ifndef SWITCHBOARD_SERVER_H
#define SWITCHBOARD_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "static.h"

struct conn;
struct mime_types;

struct server {
	struct loop *loop;
	const struct config *cfg;
	struct static_site site;
	struct mime_types *mime;
	const char *index_names[1];

	struct listener listeners[CONFIG_MAX_LISTEN];
	size_t listener_count;
	bool listeners_paused; /* at max_connections: the kernel backlog holds the rest */

	struct conn *conns; /* every live connection */
	size_t conn_count;

	int signal_fd;
	bool stopping;
	struct loop_timer graceful_timer;

	unsigned long shed_fd_setsize; /* connections refused: fd >= FD_SETSIZE */
	struct log_ratelimit shed_log;
};

/* Open the document root, the MIME table and the listening sockets.
 * Returns 0, or -1 with the reason in err. */
int server_init(struct server *srv, const struct config *cfg, char *err, size_t err_size);

/* Serve until SIGTERM/SIGINT; returns the process exit status. */
int server_run(struct server *srv);

void server_free(struct server *srv);

/* Called by a connection as it is freed. */
void server_conn_closed(struct server *srv, struct conn *c);

#endif
