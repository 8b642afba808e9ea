#include "autoconfig.h"

#include "conn.h"

#include "config.h"
#include "log.h"
#include "response.h"
#include "server.h"
#include "static.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

/* Room for the largest request head the parser accepts, and then some. */
#define CONN_IN_CAP (32 * 1024)
/* Linux moves at most this much per sendfile() call. */
#define SENDFILE_MAX ((size_t)0x7ffff000)

/* Reads land here first. Only when a request is incomplete, or more requests
 * are pipelined behind one that is still being sent, are the remaining bytes
 * copied into a buffer of the connection's own: most connections never need one. */
static char scratch_in[CONN_IN_CAP];

static void conn_on_io(struct loop *loop, int fd, unsigned events, void *arg);
static void conn_on_timeout(struct loop *loop, struct loop_timer *t);
static bool conn_process(struct conn *c, char *base, size_t have);

static const struct config *cfg_of(const struct conn *c)
{
	return c->srv->cfg;
}

static int64_t now_ms(const struct conn *c)
{
	return loop_now(c->srv->loop);
}

/* ------------------------------------------------------------ life cycle */

struct conn *conn_new(struct server *srv, int fd)
{
	struct conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->srv = srv;
	c->fd = fd;
	c->file_fd = -1;
	c->state = CONN_READING;
	http_parser_init(&c->parser);
	loop_timer_init(&c->timer, conn_on_timeout);
	if (loop_add(srv->loop, fd, LOOP_READ, conn_on_io, c) < 0 ||
	    loop_timer_set(srv->loop, &c->timer, loop_now(srv->loop) + srv->cfg->header_timeout_ms) <
		0) {
		loop_remove(srv->loop, fd);
		free(c);
		return NULL;
	}
	/* Responses are written whole (head and body coalesced with MSG_MORE), so
	 * Nagle's algorithm would only delay the last segment. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return c;
}

static void close_file(struct conn *c)
{
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	c->file_remaining = 0;
}

void conn_free(struct conn *c)
{
	struct server *srv = c->srv;
	loop_timer_cancel(srv->loop, &c->timer);
	loop_remove(srv->loop, c->fd);
	close(c->fd);
	close_file(c);
	free(c->in);
	buf_free(&c->out);
	server_conn_closed(srv, c);
	free(c);
}

/* Enter a state: the events it waits for, and its deadline. */
static bool conn_enter(struct conn *c, enum conn_state state, int64_t timeout_ms)
{
	c->state = state;
	loop_set_events(c->srv->loop, c->fd, state == CONN_WRITING ? LOOP_WRITE : LOOP_READ);
	if (loop_timer_set(c->srv->loop, &c->timer, now_ms(c) + timeout_ms) < 0) {
		conn_free(c);
		return false;
	}
	return true;
}

/* shutdown() before close(): the peer gets our last byte and a FIN, and whatever
 * it still sends is drained, so that close() does not answer it with a reset
 * that could destroy the response before the peer has read it. */
static bool conn_start_linger(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	free(c->in);
	c->in = NULL;
	c->in_len = 0;
	return conn_enter(c, CONN_LINGERING, cfg_of(c)->linger_timeout_ms);
}

void conn_shutdown_gracefully(struct conn *c)
{
	bool between_requests = c->state == CONN_IDLE ||
				(c->state == CONN_READING && c->in_len == 0 && c->requests == 0);
	if (between_requests)
		conn_free(c);
	else
		c->close_after = true;
}

/* ------------------------------------------------------------- responding */

static bool conn_finish_response(struct conn *c)
{
	close_file(c);
	c->requests++;
	if (c->close_after || c->srv->stopping)
		return conn_start_linger(c);
	http_parser_init(&c->parser);
	return conn_enter(c, CONN_IDLE, cfg_of(c)->keepalive_timeout_ms);
}

/* Send what the socket takes now: the buffered head, then the file. Returns
 * false when the connection was freed. */
static bool conn_write(struct conn *c)
{
	bool progress = false;
	while (buf_len(&c->out) > 0) {
		int flags = MSG_NOSIGNAL | (c->file_remaining > 0 ? MSG_MORE : 0);
		ssize_t n = send(c->fd, buf_head(&c->out), buf_len(&c->out), flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				goto would_block;
			conn_free(c); /* EPIPE, ECONNRESET: the peer is gone */
			return false;
		}
		buf_consume(&c->out, (size_t)n);
		progress = true;
	}
	while (c->file_remaining > 0) {
		size_t chunk = c->file_remaining < SENDFILE_MAX ? c->file_remaining : SENDFILE_MAX;
		ssize_t n = sendfile(c->fd, c->file_fd, &c->file_offset, chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				goto would_block;
		}
		if (n <= 0) {
			/* 0: the file shrank under us. The promised length cannot be
			 * sent, so the only honest end is to close. */
			if (n == 0)
				log_warn("file shrank while being sent; closing the connection");
			conn_free(c);
			return false;
		}
		c->file_remaining -= (uint64_t)n;
		progress = true;
	}
	buf_free(&c->out);
	return conn_finish_response(c);

would_block:
	/* send() took part of the bytes: wait until select() says there is room. The
	 * send deadline counts from the last byte the peer accepted. */
	if (c->state != CONN_WRITING || progress)
		return conn_enter(c, CONN_WRITING, cfg_of(c)->send_timeout_ms);
	return true;
}

static bool conn_send_response(struct conn *c, struct response *r)
{
	c->status = r->status;
	c->close_after = r->connection == RESPONSE_CLOSE;
	bool ok = response_write_head(&c->out, r, response_date_now()) == 0;
	if (r->body_fd >= 0 && !r->head_only && r->content_length > 0) {
		c->file_fd = r->body_fd;
		c->file_offset = r->body_offset;
		c->file_remaining = r->content_length;
	} else {
		if (r->body_fd >= 0)
			close(r->body_fd);
		if (r->error_page && !r->head_only && ok)
			ok = response_append_error_body(&c->out, r->status) == 0;
	}
	if (!ok) {
		log_error("out of memory writing a response");
		conn_free(c);
		return false;
	}
	return conn_write(c);
}

/* A request that cannot be trusted to frame the next one: answer and close. */
static bool conn_respond_error(struct conn *c, int status)
{
	struct response r;
	response_init(&r);
	response_error(&r, status);
	r.connection = RESPONSE_CLOSE;
	r.head_only = c->parser.req.method == HTTP_METHOD_HEAD;
	c->discard = 0;
	return conn_send_response(c, &r);
}

static enum response_connection connection_for(const struct conn *c,
					       const struct http_request *req, int status)
{
	bool keep = req->version_minor >= 1 ? !req->connection_close
					    : req->connection_keep_alive;
	/* A 400 means we did not understand the request: trust nothing after it. */
	if (!keep || status == 400 || c->srv->stopping)
		return RESPONSE_CLOSE;
	return req->version_minor >= 1 ? RESPONSE_KEEP_ALIVE : RESPONSE_KEEP_ALIVE_HTTP10;
}

static bool conn_respond(struct conn *c, const struct http_request *req, const char *data)
{
	if (req->has_content_length && req->content_length > cfg_of(c)->max_discard_body)
		return conn_respond_error(c, 413);
	c->discard = req->has_content_length ? req->content_length : 0;

	struct response r;
	response_init(&r);
	switch (req->method) {
	case HTTP_METHOD_GET:
	case HTTP_METHOD_HEAD:
		static_plan(&c->srv->site, req, data, &r);
		break;
	case HTTP_METHOD_OTHER:
		response_error(&r, 501);
		break;
	default:
		response_error(&r, 405);
		r.allow = "GET, HEAD";
		break;
	}
	r.head_only = req->method == HTTP_METHOD_HEAD;
	r.connection = connection_for(c, req, r.status);
	return conn_send_response(c, &r);
}

/* --------------------------------------------------------------- reading */

static bool conn_begin_request(struct conn *c)
{
	/* The header deadline runs from a request's first byte, and is not moved
	 * by later bytes: a client trickling its head cannot hold us. */
	return conn_enter(c, CONN_READING, cfg_of(c)->header_timeout_ms);
}

/* Keep the bytes after what was consumed for the next turn. */
static bool conn_keep_input(struct conn *c, const char *rest, size_t len)
{
	if (len == 0) {
		free(c->in);
		c->in = NULL;
		c->in_len = 0;
		return true;
	}
	if (c->in == NULL) {
		c->in = malloc(CONN_IN_CAP);
		if (c->in == NULL) {
			log_error("out of memory for a connection's input");
			conn_free(c);
			return false;
		}
	}
	memmove(c->in, rest, len);
	c->in_len = len;
	return true;
}

/* Parse and answer the requests in base[0..have), in order, for as long as
 * each response can be completed at once. Returns false when c was freed. */
static bool conn_process(struct conn *c, char *base, size_t have)
{
	size_t used = 0;
	while (c->state == CONN_READING || c->state == CONN_IDLE) {
		/* The rest of the previous request's body is not a request. */
		uint64_t drop = have - used < c->discard ? have - used : c->discard;
		used += (size_t)drop;
		c->discard -= drop;
		if (used == have)
			break;
		if (c->state == CONN_IDLE && !conn_begin_request(c))
			return false;
		enum http_parse_result res = http_parser_feed(&c->parser, base + used, have - used);
		if (res == HTTP_PARSE_NEED_MORE)
			break;
		if (res == HTTP_PARSE_ERROR) {
			used = have; /* nothing after a broken request is trusted */
			if (!conn_respond_error(c, c->parser.status))
				return false;
			break;
		}
		const char *request = base + used;
		used += c->parser.req.head_len;
		if (!conn_respond(c, &c->parser.req, request))
			return false;
	}
	if (c->state == CONN_LINGERING)
		return true;
	return conn_keep_input(c, base + used, have - used);
}

static void conn_read(struct conn *c)
{
	char *base = c->in != NULL ? c->in : scratch_in;
	size_t have = c->in_len;
	ssize_t n = recv(c->fd, base + have, CONN_IN_CAP - have, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		/* 0: the peer closed its side: no request can complete now. */
		conn_free(c);
		return;
	}
	conn_process(c, base, have + (size_t)n);
}

/* Lingering: read and drop whatever the peer still sends, until its FIN. */
static void conn_drain(struct conn *c)
{
	ssize_t n = recv(c->fd, scratch_in, sizeof scratch_in, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0)
		conn_free(c);
}

static void conn_on_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct conn *c = arg;
	(void)loop;
	(void)fd;
	switch (c->state) {
	case CONN_READING:
	case CONN_IDLE:
		if (events & LOOP_READ)
			conn_read(c);
		break;
	case CONN_WRITING:
		if (!(events & LOOP_WRITE) || !conn_write(c))
			break;
		/* Pipelined requests wait in c->in while a response is sent. */
		if (c->in != NULL && (c->state == CONN_IDLE || c->state == CONN_READING))
			conn_process(c, c->in, c->in_len);
		break;
	case CONN_LINGERING:
		conn_drain(c);
		break;
	}
}

static void conn_on_timeout(struct loop *loop, struct loop_timer *t)
{
	struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));
	(void)loop;
	if (c->state == CONN_READING && c->in_len > 0) {
		/* Part of a request arrived: say why we hang up (best effort). */
		struct buf out = BUF_INIT;
		struct response r;
		response_init(&r);
		response_error(&r, 408);
		r.connection = RESPONSE_CLOSE;
		if (response_write_head(&out, &r, response_date_now()) == 0 &&
		    response_append_error_body(&out, 408) == 0) {
			ssize_t ignored = send(c->fd, buf_head(&out), buf_len(&out),
					       MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)ignored;
		}
		buf_free(&out);
	}
	conn_free(c);
}
