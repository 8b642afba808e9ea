/* server — what ties the pieces together: listeners, the connection table and
 * its limits, the sites being served, signals (stop, reload, reopen logs) and
 * the service manager's notifications. */
#ifndef SWITCHBOARD_SERVER_H
#define SWITCHBOARD_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "clients.h"
#include "config.h"
#include "conn.h"
#include "exchange.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "netmask.h"
#include "router.h"
#include "site.h"

struct server {
	struct loop *loop;
	struct config *cfg; /* owned: replaced whole by a reload */
	int argc;           /* the command line, read again by a reload */
	char **argv;

	struct site_table sites; /* the default site and one per site block */

	/* What connections and the exchange see of the server: set from cfg at
	 * start and by every reload. */
	struct router router;
	struct netmask_list metrics_allow; /* who may read the metrics route */
	struct netmask_list proxy_trusted; /* who may send a PROXY header */
	struct exchange_ctx exchange;
	struct conn_ctx conn_ctx;
	struct auth auth;               /* Basic authentication: the exchange's */
	struct loop_timer resume_timer; /* deferred requests: select() must not sleep */

	struct listener listeners[CONFIG_MAX_LISTEN];
	size_t listener_count;
	bool inherited_listeners; /* from the service manager (socket activation) */

	struct conn *conns; /* every connection holding a slot */
	size_t conn_count;
	/* Accepted while full, waiting (unwatched, oldest first) for a slot. When
	 * the room is full too, the listeners are paused: the backlog holds the rest. */
	struct conn *waiting_head, *waiting_tail;
	size_t waiting_count;
	bool listeners_paused;
	struct clients clients; /* live connections per client address */

	int signal_fd;
	int report_fd; /* a worker's channel to its supervisor (readiness.h); -1: none */
	bool stopping;
	struct loop_timer graceful_timer;
	struct loop_timer drain_timer; /* drain_delay: when the listeners close */

	struct log_ratelimit shed_log;
};

/* Take cfg (heap-allocated; the server frees it), open the listening sockets
 * (or adopt the service manager's) and the logs. Returns 0, or -1 with err. */
int server_init(struct server *srv, struct config *cfg, int argc, char **argv, char *err,
                size_t err_size);

/* Open the document roots (every site's) and the MIME table: after chroot
 * and the privilege drop, so the roots are opened as the user that serves
 * them. */
int server_open_site(struct server *srv, char *err, size_t err_size);

/* Serve until SIGTERM/SIGINT; returns the process exit status. */
int server_run(struct server *srv);

void server_free(struct server *srv);

/* What a reload is made of, shared with the supervisor, which reloads its own
 * configuration before its workers do theirs. */

/* Read the configuration again (the same command line) and check it, as a
 * reload does: NULL when it is broken, its errors logged and the first one in
 * reason. */
struct config *server_load_config(const struct server *srv, char *reason, size_t reason_size);

/* Replace the configuration with next (taken): logs that changed are opened,
 * settings a reload cannot apply are kept and named in a warning. */
void server_adopt_config(struct server *srv, struct config *next);

/* SIGUSR1: reopen the error and access logs (after rotation). */
void server_reopen_logs(void);

/* The listening addresses as " URL (name) URL ...": what the start-up line and
 * STATUS= show. Returns the length written. */
#define SERVER_LISTEN_TEXT_MAX (CONFIG_MAX_LISTEN * 64)
size_t server_listen_text(const struct server *srv, char *out, size_t size);

/* READY=1 with "STATUS=serving ROOT on ADDRS", or after a failed reload
 * "STATUS=reload failed (REASON); serving ROOT on ADDRS". */
void server_notify_status(const struct server *srv, const char *root, const char *failure);

/* The start-up line ("... serving ROOT on ADDRS" and extra), READY=1, and the
 * word to the waiting parent of -d: the server serves from now on. */
void server_announce(const struct server *srv, const char *root, const char *extra);

#endif
