#include "autoconfig.h"

#include "server.h"

#include "accesslog.h"
#include "container.h"
#include "conn.h"
#include "daemon.h"
#include "health.h"
#include "metrics.h"
#include "metrics_route.h"
#include "readiness.h"
#include "service.h"
#include "signals.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

/* ---------------------------------------------------------- connections */

/* Connections waiting for a slot, at most: beyond, the kernel backlog waits. */
#define WAITING_ROOM 64

/* Refuse a connection with a short answer rather than silence; counted by
 * cause in the metrics, and said in the error log (rate-limited). */
static void log_refusal(struct server *srv, const struct sockaddr_storage *client, const char *why)
{
	char who[64];
	address_text(client, who, sizeof who);
	log_limited(&srv->shed_log, loop_now(srv->loop), LOG_LEVEL_WARN,
	            "connection from %s refused: %s (%" PRIu64 " over the limit per client, "
	            "%" PRIu64 " beyond select(); %" PRIu64 " evicted)",
	            who, why, metrics->refused[METRICS_REFUSED_PER_CLIENT],
	            metrics->refused[METRICS_REFUSED_FD_SETSIZE], metrics->evicted);
}

static void shed(struct server *srv, int fd, const struct sockaddr_storage *client,
                 enum metrics_refusal cause, const char *why)
{
	conn_send_closing_error(fd, 503);
	close(fd);
	metrics->refused[cause]++;
	log_refusal(srv, client, why);
}

static void pause_listeners(struct server *srv, bool pause)
{
	for (size_t i = 0; i < srv->listener_count; i++) {
		if (pause)
			listener_pause(&srv->listeners[i]);
		else
			listener_resume(&srv->listeners[i]);
	}
	srv->listeners_paused = pause;
}

static void link_active(struct server *srv, struct conn *c)
{
	c->prev = NULL;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->conn_count++;
}

static void link_waiting(struct server *srv, struct conn *c)
{
	c->next = NULL;
	c->prev = srv->waiting_tail;
	if (srv->waiting_tail != NULL)
		srv->waiting_tail->next = c;
	else
		srv->waiting_head = c;
	srv->waiting_tail = c;
	srv->waiting_count++;
}

static void unlink_conn(struct server *srv, struct conn *c)
{
	bool waiting = c->state == CONN_WAITING;
	struct conn **head = waiting ? &srv->waiting_head : &srv->conns;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else if (waiting)
		srv->waiting_tail = c->prev;
	if (waiting)
		srv->waiting_count--;
	else
		srv->conn_count--;
}

/* Give a slot to c: it starts being read. */
static void admit(struct server *srv, struct conn *c)
{
	link_active(srv, c);
	if (!conn_start(c))
		conn_free(c);
}

/* Slots freed: the waiting connections get them, oldest first. */
static void admit_waiting(struct server *srv)
{
	while (!srv->stopping && srv->waiting_head != NULL &&
	       srv->conn_count < srv->cfg->max_connections) {
		struct conn *c = srv->waiting_head;
		unlink_conn(srv, c);
		admit(srv, c);
	}
	if (srv->listeners_paused && !srv->stopping && srv->waiting_count < WAITING_ROOM)
		pause_listeners(srv, false);
}

/* How far a connection has come: the least advanced is evicted first. Lower is
 * less advanced; -1 is a connection in the middle of a response, never evicted. */
static long eviction_rank(const struct conn *c)
{
	switch (c->state) {
	case CONN_LINGERING:
		return 0;
	case CONN_IDLE:
		return 1;
	case CONN_READING:
		return 2 + (long)c->in_len;
	case CONN_WRITING: /* mid-response: never */
	case CONN_WAITING: /* holds no slot */
		break;
	}
	return -1;
}

/* Full: make room for a client holding `mine` slots by evicting the least
 * advanced connection of the address that holds the most, if that address
 * holds clearly more. Returns false when no one should make way. */
static bool evict_for(struct server *srv, unsigned mine)
{
	struct client_key top;
	if (clients_top(&srv->clients, &top) <= mine + 1)
		return false;
	struct conn *victim = NULL;
	long victim_rank = -1;
	for (struct conn *c = srv->conns; c != NULL; c = c->next) {
		long rank = eviction_rank(c);
		if (rank >= 0 && client_key_equal(&c->client, &top) &&
		    (victim == NULL || rank < victim_rank)) {
			victim = c;
			victim_rank = rank;
		}
	}
	if (victim == NULL)
		return false;
	metrics->evicted++;
	conn_free(victim);
	return true;
}

/* A connection on a proxy_protocol listener from a host not in
 * proxy_trusted: closed unread, counted, said (rate-limited). */
static bool from_untrusted_proxy(struct server *srv, const struct listener *l, int fd,
                                 const struct sockaddr_storage *peer)
{
	/* A Unix-domain socket's peers are this host's processes, allowed in by
	 * the socket file's mode: trusted like the file says. */
	if (!l->addr.proxy_protocol || peer->ss_family == AF_UNIX ||
	    netmask_list_contains(&srv->proxy_trusted, (const struct sockaddr *)peer))
		return false;
	close(fd);
	metrics->proxy_errors[METRICS_PROXY_UNTRUSTED]++;
	log_limited(&srv->shed_log, loop_now(srv->loop), LOG_LEVEL_WARN,
	            "connection closed: a PROXY listener, and the peer is not in proxy_trusted "
	            "(%" PRIu64 " so far)",
	            metrics->proxy_errors[METRICS_PROXY_UNTRUSTED]);
	return true;
}

static bool on_accept(void *arg, const struct listener *l, int fd,
                      const struct sockaddr_storage *peer, socklen_t peer_len)
{
	struct server *srv = arg;
	const struct config *cfg = srv->cfg;
	(void)peer_len;
	metrics->accepted++;
	if (from_untrusted_proxy(srv, l, fd, peer))
		return true;
	if (fd >= LOOP_MAX_FD) {
		/* select() cannot watch it: FD_SET on it would corrupt memory. */
		shed(srv, fd, peer, METRICS_REFUSED_FD_SETSIZE, "descriptor beyond FD_SETSIZE");
		return true;
	}
	struct client_key key;
	client_key_from(peer, &key);
	unsigned mine = clients_count(&srv->clients, &key);
	if (mine >= cfg->max_connections_per_client) {
		shed(srv, fd, peer, METRICS_REFUSED_PER_CLIENT,
		     "the client's address is at its limit");
		return true;
	}
	struct conn *c =
	    clients_add(&srv->clients, &key) != 0
	        ? conn_new(&srv->conn_ctx, fd, peer, l->addr.proxy_protocol, l->deferral_ms)
	        : NULL;
	if (c == NULL) {
		if (clients_count(&srv->clients, &key) > mine)
			clients_remove(&srv->clients, &key);
		close(fd);
		return true;
	}
	c->client = key;
	/* Full: a newcomer takes the slot of a client that holds clearly more than
	 * it does; otherwise it waits its turn. */
	if (srv->conn_count < cfg->max_connections || evict_for(srv, mine)) {
		admit(srv, c);
		return true;
	}
	link_waiting(srv, c);
	if (srv->waiting_count >= WAITING_ROOM)
		pause_listeners(srv, true);
	return !srv->listeners_paused;
}

/* A connection ended: its slot is free from now on, and the waiting room is
 * served between turns (never from inside a connection's own callback). */
static void on_conn_closed(void *owner, struct conn *c)
{
	struct server *srv = owner;
	unlink_conn(srv, c);
	clients_remove(&srv->clients, &c->client);
}

/* A PROXY header or a trusted proxy's header field named another client: the
 * connection now counts for it, under the same per-client cap (the previous
 * client's count is given back). */
static bool on_client_known(void *owner, struct conn *c)
{
	struct server *srv = owner;
	struct client_key key;
	client_key_from(&c->peer, &key);
	if (clients_count(&srv->clients, &key) >= srv->cfg->max_connections_per_client) {
		metrics->refused[METRICS_REFUSED_PER_CLIENT]++;
		log_refusal(srv, &c->peer,
		            "the client's address (named by its proxy) is at its limit");
		return false; /* on_conn_closed gives back the proxy's count */
	}
	if (clients_add(&srv->clients, &key) == 0)
		return false;
	clients_remove(&srv->clients, &c->client);
	c->client = key;
	return true;
}

/* Nothing to do when it fires: armed to wake select() at once. */
static void on_resume_timer(struct loop *loop, struct loop_timer *t)
{
	(void)loop;
	(void)t;
}

/* Basic authentication checks a bounded number of passwords per turn (auth.h):
 * a request past that budget was deferred. A new turn's budget goes first to
 * those that waited longest; while some still wait, select() does not sleep. */
static void resume_deferred(struct server *srv)
{
	/* A turn that spent none of its budget deferred nothing, and the one
	 * before it resumed every request that waited (or spent its budget). */
	if (srv->auth.budget == AUTH_CRYPT_PER_TURN)
		return;
	auth_turn_begin(&srv->auth);
	for (size_t tries = conn_deferred_count(); tries > 0 && srv->auth.budget > 0; tries--) {
		struct conn *c = conn_first_deferred(srv->conns);
		if (c == NULL)
			break;
		conn_resume(c);
	}
	if (conn_deferred_count() > 0)
		loop_timer_set(srv->loop, &srv->resume_timer, loop_now(srv->loop));
}

/* Between two turns of the loop: slots freed during the turn go to waiting
 * connections; a stopping server with nothing left to finish ends the loop. */
static void between_turns(struct loop *loop, void *arg)
{
	struct server *srv = arg;
	if (srv->stopping && srv->conn_count == 0 && srv->waiting_count == 0)
		loop_stop(loop);
	else
		admit_waiting(srv);
	resume_deferred(srv);
	/* The gauges, as of this turn: a few stores, no system call. */
	metrics->active = (int64_t)srv->conn_count;
	metrics->waiting = (int64_t)srv->waiting_count;
	metrics->draining = srv->exchange.draining || srv->stopping;
	metrics->log_lines_dropped = log_dropped_lines() + accesslog_dropped_lines();
}

/* The listener's own shedding (out of descriptors) answers like ours. */
static void shed_unaccounted(int fd)
{
	conn_send_closing_error(fd, 503);
	metrics->refused[METRICS_REFUSED_EMFILE]++;
}

/* ---------------------------------------------------------- the site */

int server_open_site(struct server *srv, char *err, size_t err_size)
{
	if (site_table_open(&srv->sites, srv->cfg, err, err_size) < 0)
		return -1;
	srv->exchange.sites = &srv->sites;
	return 0;
}

/* The default site's root as it resolved: what the start-up line, STATUS=
 * and the supervisor report. NULL before the roots are open. */
static const char *served_root(const struct server *srv)
{
	return srv->sites.count > 0 ? srv->sites.sites[0].files.root_real : NULL;
}

/* The endpoints the server answers itself, in front of the static files. */
static void build_routes(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	router_init(&srv->router, &exchange_static_route);
	if (strcmp(cfg->health_path, "off") != 0) {
		struct route health = health_route(cfg->health_path, !cfg->health_log);
		router_add(&srv->router, &health);
	}
	char err[128]; /* the networks were checked when the configuration was read */
	netmask_list_init(&srv->proxy_trusted);
	for (size_t i = 0; i < cfg->proxy_trusted.count; i++)
		netmask_list_add(&srv->proxy_trusted, cfg->proxy_trusted.items[i], err, sizeof err);
	if (strcmp(cfg->metrics_path, "off") != 0) {
		netmask_list_init(&srv->metrics_allow);
		for (size_t i = 0; i < cfg->metrics_allow.count; i++)
			netmask_list_add(&srv->metrics_allow, cfg->metrics_allow.items[i], err,
			                 sizeof err);
		struct route row = metrics_route(cfg->metrics_path, &srv->metrics_allow, true);
		router_add(&srv->router, &row);
	}
}

/* The listeners are shared with the workers, if any: setting the option
 * again in each is harmless. */
static void apply_defer_accept(struct server *srv)
{
	int64_t ms = srv->cfg->defer_accept_ms;
	int seconds = ms > (int64_t)INT_MAX * 1000 ? INT_MAX : (int)((ms + 999) / 1000);
	for (size_t i = 0; i < srv->listener_count; i++)
		listener_defer_accept(&srv->listeners[i], seconds);
}

/* What connections and the exchange take from the configuration. */
static void apply_settings(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	build_routes(srv);
	srv->exchange.router = &srv->router;
	srv->exchange.max_discard_body = cfg->max_discard_body;
	srv->exchange.keepalive = cfg->keepalive;
	srv->exchange.max_keepalive_requests = cfg->max_keepalive_requests;
	auth_reset(&srv->auth);
	srv->exchange.auth = &srv->auth;
	srv->conn_ctx.loop = srv->loop;
	srv->conn_ctx.exchange = &srv->exchange;
	srv->conn_ctx.header_timeout_ms = cfg->header_timeout_ms;
	srv->conn_ctx.keepalive_timeout_ms = cfg->keepalive_timeout_ms;
	srv->conn_ctx.send_timeout_ms = cfg->send_timeout_ms;
	srv->conn_ctx.linger_timeout_ms = cfg->linger_timeout_ms;
	srv->conn_ctx.log_via = cfg->access_log_proxy;
	srv->conn_ctx.sendfile_local = cfg->sendfile == SENDFILE_ON;
	srv->conn_ctx.sendfile_remote = cfg->sendfile != SENDFILE_OFF;
	srv->conn_ctx.forwarded_trusted =
	    cfg->real_client_header == REAL_CLIENT_OFF ? NULL : &srv->proxy_trusted;
	srv->conn_ctx.forwarded_syntax =
	    cfg->real_client_header == REAL_CLIENT_FORWARDED ? FORWARDED_RFC7239 : FORWARDED_XFF;
	srv->conn_ctx.on_closed = on_conn_closed;
	srv->conn_ctx.on_client_known = on_client_known;
	srv->conn_ctx.owner = srv;
	apply_defer_accept(srv);
}

static void close_site(struct server *srv)
{
	site_table_close(&srv->sites);
}

/* ---------------------------------------------------------- logs */

static int open_logs(const struct config *cfg, char *err, size_t err_size)
{
	log_set_level((enum log_level)cfg->log_level);
	if (log_open(cfg->error_log, err, err_size) < 0)
		return -1;
	return accesslog_open(cfg->access_log, err, err_size);
}

void server_reopen_logs(void)
{
	char err[512];
	if (log_reopen(err, sizeof err) < 0)
		log_error("reopening the error log: %s", err);
	if (accesslog_reopen(err, sizeof err) < 0)
		log_error("reopening the access log: %s", err);
	else
		log_info("log files reopened");
}

/* ---------------------------------------------------------- reload */

/* Lines a loader wrote to a memory stream, each as an error log line; the
 * first one is also the reason a reload reports. */
static void log_lines(char *text, char *reason, size_t reason_size)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (reason[0] == '\0')
			snprintf(reason, reason_size, "%s", line);
		log_error("%s", line);
	}
}

struct config *server_load_config(const struct server *srv, char *reason, size_t reason_size)
{
	char *text = NULL;
	size_t len = 0;
	reason[0] = '\0';
	FILE *err = open_memstream(&text, &len);
	struct config *next = calloc(1, sizeof *next);
	if (err == NULL || next == NULL) {
		snprintf(reason, reason_size, "out of memory");
		log_error("reload: %s", reason);
		if (err != NULL)
			fclose(err);
		free(text);
		free(next);
		return NULL;
	}
	enum config_result r = config_load(next, srv->argc, srv->argv, err, err);
	/* The running server is already inside its chroot, if any. */
	if (r == CONFIG_OK && config_check_site(next, srv->cfg->chroot != NULL, err) > 0)
		r = CONFIG_FILE_ERROR;
	fclose(err);
	if (r != CONFIG_OK) {
		log_lines(text, reason, reason_size);
		if (reason[0] == '\0')
			snprintf(reason, reason_size, "the configuration cannot be loaded");
		config_free(next);
		free(next);
		next = NULL;
	}
	free(text);
	return next;
}

/* Logs change only when they change: reopening a file is not free, and a
 * failure keeps the old log. */
static int switch_logs(const struct config *old, const struct config *next, char *err,
                       size_t err_size)
{
	log_set_level((enum log_level)next->log_level);
	if (strcmp(old->error_log, next->error_log) != 0 &&
	    log_open(next->error_log, err, err_size) < 0)
		return -1;
	if (strcmp(old->access_log, next->access_log) != 0 &&
	    accesslog_open(next->access_log, err, err_size) < 0)
		return -1;
	return 0;
}

void server_adopt_config(struct server *srv, struct config *next)
{
	char err[512];
	if (switch_logs(srv->cfg, next, err, sizeof err) < 0)
		log_error("reload: %s (the previous log stays in use)", err);

	char restart[256];
	config_restart_needed(srv->cfg, next, restart, sizeof restart);
	if (restart[0] != '\0')
		log_warn("reload: changed %s: applied only by a restart", restart);
	config_keep_restart_values(next, srv->cfg);

	config_free(srv->cfg);
	free(srv->cfg);
	srv->cfg = next;
	apply_settings(srv);
}

/* The outcome of a reload, for the supervisor (a worker) or for the service
 * manager (a server on its own). */
static void report_reload(const struct server *srv, const char *failure)
{
	if (srv->report_fd >= 0) {
		if (failure != NULL)
			readiness_send(srv->report_fd, READINESS_RELOAD_FAILED, failure);
		else
			readiness_send(srv->report_fd, READINESS_RELOADED, served_root(srv));
		return;
	}
	/* Counted once per server: by the supervisor when there are workers. */
	if (failure != NULL)
		metrics->reloads_failed++;
	else
		metrics->reloads_ok++;
	server_notify_status(srv, served_root(srv), failure);
}

static void server_reload(struct server *srv)
{
	service_notify_reloading();
	log_info("SIGHUP: reloading the configuration");
	char reason[512];
	struct config *next = server_load_config(srv, reason, sizeof reason);
	struct site_table sites;
	if (next != NULL && site_table_open(&sites, next, reason, sizeof reason) < 0) {
		log_error("reload: %s", reason);
		config_free(next);
		free(next);
		next = NULL;
	}
	if (next == NULL) {
		log_error("reload failed: still serving with the previous configuration");
		report_reload(srv, reason);
		return;
	}
	close_site(srv);
	srv->sites = sites;
	server_adopt_config(srv, next);
	admit_waiting(srv); /* max_connections may have grown */
	log_info("configuration reloaded: serving %s", served_root(srv));
	report_reload(srv, NULL);
}

/* ---------------------------------------------------------- stopping */

static void on_graceful_timeout(struct loop *loop, struct loop_timer *t)
{
	struct server *srv = container_of(t, struct server, graceful_timer);
	(void)loop;
	log_warn("graceful stop: %zu connection(s) still busy after %lld ms, closing them",
	         srv->conn_count, (long long)srv->cfg->graceful_timeout_ms);
	while (srv->conns != NULL)
		conn_free(srv->conns);
}

static void server_stop(struct server *srv, const char *why)
{
	if (srv->stopping)
		return;
	service_notify("STOPPING=1");
	loop_timer_cancel(srv->loop, &srv->drain_timer);
	srv->stopping = true;
	srv->exchange.stopping = true;
	log_info("%s: stopping (%zu connection(s) open)", why, srv->conn_count);
	for (size_t i = 0; i < srv->listener_count; i++)
		listener_close(&srv->listeners[i]);
	while (srv->waiting_head != NULL)
		conn_free(srv->waiting_head);
	/* Idle connections go now; busy ones finish their response, then close. */
	struct conn *next;
	for (struct conn *c = srv->conns; c != NULL; c = next) {
		next = c->next;
		conn_shutdown_gracefully(c);
	}
	if (srv->conn_count == 0) {
		loop_stop(srv->loop);
		return;
	}
	loop_timer_set(srv->loop, &srv->graceful_timer,
	               loop_now(srv->loop) + srv->cfg->graceful_timeout_ms);
}

static void on_drain_over(struct loop *loop, struct loop_timer *t)
{
	struct server *srv = container_of(t, struct server, drain_timer);
	(void)loop;
	server_stop(srv, "drain_delay over");
}

/* SIGTERM with a drain_delay: say so first (the health route answers 503,
 * STATUS= says draining) and go on accepting and serving for that long, so
 * that a load balancer takes this server out of rotation before its
 * listeners close. A second SIGTERM, or SIGINT (Ctrl-C), stops at once. */
static void server_drain(struct server *srv, const char *why)
{
	if (srv->stopping)
		return;
	if (srv->exchange.draining || srv->cfg->drain_delay_ms <= 0) {
		server_stop(srv, why);
		return;
	}
	srv->exchange.draining = true;
	log_info("%s: draining for %lld ms (health answers 503), then stopping", why,
	         (long long)srv->cfg->drain_delay_ms);
	service_notifyf("STATUS=draining: stopping in %lld ms",
	                (long long)srv->cfg->drain_delay_ms);
	loop_timer_set(srv->loop, &srv->drain_timer,
	               loop_now(srv->loop) + srv->cfg->drain_delay_ms);
}

/* SIGTERM drains first (drain_delay); SIGINT, from a terminal, stops at once. */
static void on_stop_signal(void *arg, const char *why)
{
	server_drain(arg, why);
}

static void on_interrupt_signal(void *arg, const char *why)
{
	server_stop(arg, why);
}

static void on_reload_signal(void *arg)
{
	struct server *srv = arg;
	if (!srv->stopping)
		server_reload(srv);
}

static void on_reopen_signal(void *arg)
{
	(void)arg;
	server_reopen_logs();
}

static void on_signal(struct loop *loop, int fd, unsigned events, void *arg)
{
	const struct signal_actions actions = {
	    .stop = on_stop_signal,
	    .interrupt = on_interrupt_signal,
	    .reload = on_reload_signal,
	    .reopen_logs = on_reopen_signal,
	    .arg = arg,
	};
	(void)loop;
	(void)events;
	signals_dispatch(fd, &actions);
}

/* ---------------------------------------------------------- set-up */

/* Sockets from the service manager replace the listen directives. */
static int adopt_listeners(struct server *srv, char *err, size_t err_size)
{
	int fds[CONFIG_MAX_LISTEN];
	const char *names[CONFIG_MAX_LISTEN];
	int n = service_listen_fds(fds, names, CONFIG_MAX_LISTEN, err, err_size);
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (listener_adopt(&srv->listeners[i], fds[i], err, err_size) < 0)
			return -1;
		snprintf(srv->listeners[i].name, sizeof srv->listeners[i].name, "%s", names[i]);
		/* FileDescriptorName=proxy_protocol in the .socket unit: what the
		 * listen option says for a socket of our own. */
		srv->listeners[i].addr.proxy_protocol = strcmp(names[i], "proxy_protocol") == 0;
		srv->listener_count++;
	}
	srv->inherited_listeners = true;
	return n;
}

static int open_listeners(struct server *srv, char *err, size_t err_size)
{
	int inherited = adopt_listeners(srv, err, err_size);
	if (inherited != 0)
		return inherited < 0 ? -1 : 0;
	const struct config *cfg = srv->cfg;
	gid_t group = (gid_t)-1;
	if (cfg->unix_socket_group != NULL) {
		const struct group *gr = getgrnam(cfg->unix_socket_group);
		if (gr == NULL) {
			snprintf(err, err_size, "unix_socket_group '%s': no such group",
			         cfg->unix_socket_group);
			return -1;
		}
		group = gr->gr_gid;
	}
	for (size_t i = 0; i < cfg->listen_count; i++) {
		struct listen_addr addr = cfg->listen[i];
		addr.unix_mode = (mode_t)cfg->unix_socket_mode;
		addr.unix_group = group;
		if (listener_open(&srv->listeners[i], &addr, err, err_size) < 0)
			return -1;
		srv->listener_count++;
	}
	return 0;
}

int server_init(struct server *srv, struct config *cfg, int argc, char **argv, char *err,
                size_t err_size)
{
	memset(srv, 0, sizeof *srv);
	srv->cfg = cfg;
	srv->argc = argc;
	srv->argv = argv;
	srv->signal_fd = -1;
	srv->report_fd = -1;
	srv->shed_log = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000);
	clients_init(&srv->clients);
	loop_timer_init(&srv->graceful_timer, on_graceful_timeout);
	loop_timer_init(&srv->drain_timer, on_drain_over);
	loop_timer_init(&srv->resume_timer, on_resume_timer);
	auth_cache_init(&srv->auth.cache);

	srv->loop = loop_new();
	if (srv->loop == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	loop_set_before_wait(srv->loop, between_turns, srv);
	apply_settings(srv);
	/* One slot per process: the supervisor's and each worker's. */
	if (metrics_init(cfg->workers > 1 ? (unsigned)cfg->workers + 1 : 1) < 0) {
		snprintf(err, err_size, "shared memory for the metrics: %s", strerror(errno));
		return -1;
	}
	if (listener_reserve_fd_init() < 0) {
		snprintf(err, err_size, "/dev/null: %s", strerror(errno));
		return -1;
	}
	if (open_listeners(srv, err, err_size) < 0)
		return -1;
	apply_defer_accept(srv);
	return open_logs(cfg, err, err_size);
}

size_t server_listen_text(const struct server *srv, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < srv->listener_count && n < size; i++) {
		char url[96];
		const struct listener *l = &srv->listeners[i];
		listen_addr_url((const struct sockaddr *)&l->addr.ss, url, sizeof url);
		n += (size_t)snprintf(out + n, size - n, " %s", url);
		if (l->name[0] != '\0' && strcmp(l->name, "unknown") != 0 && n < size)
			n += (size_t)snprintf(out + n, size - n, " (%s)", l->name);
	}
	return n < size ? n : size - 1;
}

void server_notify_status(const struct server *srv, const char *root, const char *failure)
{
	char line[SERVER_LISTEN_TEXT_MAX];
	server_listen_text(srv, line, sizeof line);
	if (failure != NULL)
		service_notifyf("READY=1\nSTATUS=reload failed (%s); serving %s on%s", failure,
		                root, line);
	else
		service_notifyf("READY=1\nSTATUS=serving %s on%s", root, line);
}

void server_announce(const struct server *srv, const char *root, const char *extra)
{
	char line[SERVER_LISTEN_TEXT_MAX];
	server_listen_text(srv, line, sizeof line);
	log_info("%s %s serving %s on%s%s%s", PACKAGE_NAME, PACKAGE_VERSION, root, line,
	         srv->inherited_listeners ? " (sockets from the service manager)" : "", extra);
	server_notify_status(srv, root, NULL);
	daemon_ready();
}

int server_run(struct server *srv)
{
	srv->signal_fd = signals_init();
	if (srv->signal_fd < 0 ||
	    loop_add(srv->loop, srv->signal_fd, LOOP_READ, on_signal, srv) < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < srv->listener_count; i++) {
		srv->listeners[i].shed = shed_unaccounted;
		if (listener_start(&srv->listeners[i], srv->loop, on_accept, srv) < 0) {
			log_error("cannot watch a listening socket: %s", strerror(errno));
			return 1;
		}
	}
	/* A worker reports to its supervisor, which speaks for all of them. */
	if (srv->report_fd >= 0) {
		readiness_send(srv->report_fd, READINESS_SERVING, served_root(srv));
		daemon_ready(); /* under -d: off the terminal, as the supervisor */
	} else
		server_announce(srv, served_root(srv), "");
	if (loop_run(srv->loop) < 0) {
		log_error("select: %s", strerror(errno));
		return 1;
	}
	log_info("stopped");
	return 0;
}

void server_free(struct server *srv)
{
	while (srv->waiting_head != NULL)
		conn_free(srv->waiting_head);
	while (srv->conns != NULL)
		conn_free(srv->conns);
	for (size_t i = 0; i < srv->listener_count; i++)
		listener_close(&srv->listeners[i]);
	if (srv->signal_fd >= 0 && srv->loop != NULL)
		loop_remove(srv->loop, srv->signal_fd);
	signals_reset();
	close_site(srv);
	loop_free(srv->loop);
	srv->loop = NULL;
	accesslog_close();
	if (srv->cfg != NULL) {
		config_free(srv->cfg);
		free(srv->cfg);
		srv->cfg = NULL;
	}
}
