#include "autoconfig.h"

#include "server.h"

#include "conn.h"
#include "mime.h"
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

/* ---------------------------------------------------------- connections */

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

/* select() cannot watch this descriptor: FD_SET on it would corrupt memory. */
static void shed_unwatchable(struct server *srv, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				   "Content-Length: 0\r\nConnection: close\r\n\r\n";
	ssize_t ignored = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)ignored;
	close(fd);
	srv->shed_fd_setsize++;
	log_limited(&srv->shed_log, loop_now(srv->loop), LOG_LEVEL_WARN,
		    "descriptor %d is beyond what select() can watch (%d): connection shed, "
		    "%lu so far",
		    fd, FD_SETSIZE, srv->shed_fd_setsize);
}

static bool on_accept(void *arg, int fd, const struct sockaddr_storage *peer, socklen_t peer_len)
{
	struct server *srv = arg;
	(void)peer;
	(void)peer_len;
	if (fd >= FD_SETSIZE) {
		shed_unwatchable(srv, fd);
		return true;
	}
	struct conn *c = conn_new(srv, fd);
	if (c == NULL) {
		close(fd);
		return true;
	}
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->conn_count++;
	if (srv->conn_count >= srv->cfg->max_connections) {
		pause_listeners(srv, true);
		return false;
	}
	return true;
}

void server_conn_closed(struct server *srv, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->conn_count--;
	if (srv->stopping) {
		if (srv->conn_count == 0)
			loop_stop(srv->loop);
	} else if (srv->listeners_paused && srv->conn_count < srv->cfg->max_connections) {
		pause_listeners(srv, false);
	}
}

/* ---------------------------------------------------------- stopping */

static void on_graceful_timeout(struct loop *loop, struct loop_timer *t)
{
	struct server *srv = (struct server *)((char *)t - offsetof(struct server, graceful_timer));
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
	srv->stopping = true;
	log_info("%s: stopping (%zu connection(s) open)", why, srv->conn_count);
	for (size_t i = 0; i < srv->listener_count; i++)
		listener_close(&srv->listeners[i]);
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

static void on_signal(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct server *srv = arg;
	(void)loop;
	(void)events;
	int signo;
	while ((signo = signals_next(fd)) != 0) {
		switch (signo) {
		case SIGTERM:
			server_stop(srv, "SIGTERM");
			break;
		case SIGINT:
			server_stop(srv, "SIGINT");
			break;
		default:
			log_info("signal %d ignored", signo);
			break;
		}
	}
}

/* ---------------------------------------------------------- set-up */

static int open_listeners(struct server *srv, char *err, size_t err_size)
{
	for (size_t i = 0; i < srv->cfg->listen_count; i++) {
		if (listener_open(&srv->listeners[i], &srv->cfg->listen[i], err, err_size) < 0)
			return -1;
		srv->listener_count++;
	}
	return 0;
}

int server_init(struct server *srv, const struct config *cfg, char *err, size_t err_size)
{
	memset(srv, 0, sizeof *srv);
	srv->cfg = cfg;
	srv->signal_fd = -1;
	srv->site.root_fd = -1;
	srv->shed_log = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000);
	loop_timer_init(&srv->graceful_timer, on_graceful_timeout);

	srv->loop = loop_new();
	if (srv->loop == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	/* The system's table when there is one; the built-in one otherwise. */
	const char *mime_path = cfg->mime_types_path;
	if (mime_path != NULL && access(mime_path, F_OK) != 0)
		mime_path = NULL;
	srv->mime = mime_types_load(mime_path, err, err_size);
	if (srv->mime == NULL)
		return -1;
	srv->index_names[0] = "index.html";
	srv->site.mime = srv->mime;
	srv->site.default_type = cfg->default_type;
	srv->site.symlinks = SYMLINKS_INSIDE_ROOT;
	srv->site.index_names = srv->index_names;
	srv->site.index_count = 1;
	if (static_site_open(&srv->site, cfg->root, err, err_size) < 0)
		return -1;
	if (listener_reserve_fd_init() < 0) {
		snprintf(err, err_size, "/dev/null: %s", strerror(errno));
		return -1;
	}
	return open_listeners(srv, err, err_size);
}

static void log_start(const struct server *srv)
{
	char line[CONFIG_MAX_LISTEN * 64];
	size_t n = 0;
	for (size_t i = 0; i < srv->listener_count && n < sizeof line; i++) {
		char url[96];
		listen_addr_url((const struct sockaddr *)&srv->listeners[i].addr.ss, url,
				sizeof url);
		n += (size_t)snprintf(line + n, sizeof line - n, " %s", url);
	}
	log_info("%s %s serving %s on%s", PACKAGE_NAME, PACKAGE_VERSION, srv->site.root_real, line);
}

int server_run(struct server *srv)
{
	srv->signal_fd = signals_init();
	if (srv->signal_fd < 0 || loop_add(srv->loop, srv->signal_fd, LOOP_READ, on_signal, srv) < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < srv->listener_count; i++) {
		if (listener_start(&srv->listeners[i], srv->loop, on_accept, srv) < 0) {
			log_error("cannot watch a listening socket: %s", strerror(errno));
			return 1;
		}
	}
	log_start(srv);
	if (loop_run(srv->loop) < 0) {
		log_error("select: %s", strerror(errno));
		return 1;
	}
	log_info("stopped");
	return 0;
}

void server_free(struct server *srv)
{
	while (srv->conns != NULL)
		conn_free(srv->conns);
	for (size_t i = 0; i < srv->listener_count; i++)
		listener_close(&srv->listeners[i]);
	if (srv->signal_fd >= 0)
		loop_remove(srv->loop, srv->signal_fd);
	signals_reset();
	static_site_close(&srv->site);
	mime_types_free(srv->mime);
	loop_free(srv->loop);
	srv->loop = NULL;
}
