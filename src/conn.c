#include "autoconfig.h"

#include "conn.h"

#include "accesslog.h"
#include "container.h"
#include "config.h"
#include "filecache.h"
#include "listing.h"
#include "log.h"
#include "response.h"
#include "server.h"
#include "static.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Room for the largest request head the parser accepts, and then some. */
#define CONN_IN_CAP ((size_t)32 * 1024)
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

struct conn *conn_new(struct server *srv, int fd, const struct sockaddr_storage *peer)
{
	struct conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->srv = srv;
	c->fd = fd;
	c->peer = *peer;
	c->file_fd = -1;
	c->state = CONN_WAITING;
	http_parser_init(&c->parser);
	loop_timer_init(&c->timer, conn_on_timeout);
	/* The header deadline runs from the connection's start, waiting included:
	 * a client that left while it waited does not keep its place for long. */
	if (loop_timer_set(srv->loop, &c->timer,
	                   loop_now(srv->loop) + srv->cfg->header_timeout_ms) < 0) {
		free(c);
		return NULL;
	}
	/* Responses are written whole (head and body coalesced with MSG_MORE), so
	 * Nagle's algorithm would only delay the last segment. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return c;
}

bool conn_start(struct conn *c)
{
	c->state = CONN_READING;
	return loop_add(c->srv->loop, c->fd, LOOP_READ, conn_on_io, c) == 0;
}

void conn_send_closing_error(int fd, int status)
{
	struct buf out = BUF_INIT;
	if (response_render_closing_error(&out, status) == 0) {
		ssize_t ignored =
		    send(fd, buf_head(&out), buf_len(&out), MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)ignored;
	}
	buf_free(&out);
}

/* The body source of the response in flight, whichever it is. */
static void close_file(struct conn *c)
{
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	c->file_remaining = 0;
	listing_free(c->listing);
	c->listing = NULL;
	filecache_release(c->mem);
	c->mem = NULL;
	c->mem_remaining = 0;
}

/* One output buffer lent to whichever connection is responding: a response
 * sent at once gives it back, so the common case allocates nothing. Only a
 * connection whose peer is slow keeps a buffer of its own meanwhile. */
static struct buf spare_out = BUF_INIT;
#define SPARE_OUT_MAX ((size_t)64 * 1024)

static void conn_borrow_out(struct conn *c)
{
	if (c->out.data == NULL && spare_out.data != NULL) {
		c->out = spare_out;
		spare_out = (struct buf)BUF_INIT;
	}
}

static void conn_return_out(struct conn *c)
{
	if (spare_out.data == NULL && c->out.cap <= SPARE_OUT_MAX) {
		c->out.start = c->out.end = 0;
		spare_out = c->out;
		c->out = (struct buf)BUF_INIT;
	} else {
		buf_free(&c->out);
	}
}

/* Bytes of a generated page produced per turn: enough for one send. */
#define LISTING_CHUNK 16384

/* The next piece of a listing into the output buffer, framed as one chunk for
 * HTTP/1.1 (a fixed-width size, filled in once the piece is known), ending with
 * the last chunk. False when out of memory. */
static bool conn_fill_listing(struct conn *c)
{
	size_t size_at = c->out.end;
	if (c->chunked && buf_append(&c->out, "00000000\r\n", 10) < 0)
		return false;
	size_t body_at = c->out.end;
	int more = listing_next(c->listing, &c->out, LISTING_CHUNK);
	if (more < 0)
		return false;
	if (c->chunked) {
		size_t n = c->out.end - body_at;
		char size[9];
		snprintf(size, sizeof size, "%08zx", n);
		memcpy(c->out.data + size_at, size, 8);
		if (n == 0) /* no empty chunk: that would end the body */
			c->out.end = size_at;
		else if (buf_append(&c->out, "\r\n", 2) < 0)
			return false;
		if (!more && buf_append(&c->out, "0\r\n\r\n", 5) < 0)
			return false;
	}
	if (!more) {
		listing_free(c->listing);
		c->listing = NULL;
	}
	return true;
}

/* One access log line per response, also for one cut short. */
static void conn_log_response(struct conn *c)
{
	if (!c->response_open)
		return;
	c->response_open = false;
	accesslog_finish(&c->log_line, c->log_split,
	                 c->sent > c->head_len ? c->sent - c->head_len : 0);
}

void conn_free(struct conn *c)
{
	struct server *srv = c->srv;
	conn_log_response(c);
	buf_free(&c->log_line);
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

/* Lingering protects a response from the reset that closing on unread
 * bytes sends. A client that asked for the close itself, with nothing of it
 * left unread here or in the kernel, has nothing to lose: close at once. */
static bool conn_nothing_more_to_read(const struct conn *c)
{
	int pending;
	return c->peer_closes && c->in_len == 0 && c->discard == 0 &&
	       ioctl(c->fd, FIONREAD, &pending) == 0 && pending == 0;
}

static bool conn_finish_response(struct conn *c)
{
	conn_log_response(c);
	close_file(c);
	c->requests++;
	if (c->close_after || c->srv->stopping) {
		if (conn_nothing_more_to_read(c)) {
			conn_free(c);
			return false;
		}
		return conn_start_linger(c);
	}
	http_parser_init(&c->parser);
	return conn_enter(c, CONN_IDLE, cfg_of(c)->keepalive_timeout_ms);
}

/* Bytes sent but not yet acknowledged by the peer, or still to be sent: what
 * the kernel holds for this socket. -1 when it cannot say. */
static int send_queue_bytes(int fd)
{
	int queued;
	return ioctl(fd, SIOCOUTQ, &queued) == 0 ? queued : -1;
}

/* Send what the socket takes now: the buffered head, then the file. Returns
 * false when the connection was freed. */
static bool conn_write(struct conn *c)
{
	bool progress = false;
more:
	/* The head and a body from memory go out together: one system call. */
	while (buf_len(&c->out) > 0 || c->mem_remaining > 0) {
		struct iovec iov[2];
		struct msghdr msg = {.msg_iov = iov};
		if (buf_len(&c->out) > 0)
			iov[msg.msg_iovlen++] =
			    (struct iovec){(void *)buf_head(&c->out), buf_len(&c->out)};
		if (c->mem_remaining > 0)
			iov[msg.msg_iovlen++] = (struct iovec){
			    (void *)(c->mem->bytes + c->mem_offset), c->mem_remaining};
		int flags = MSG_NOSIGNAL | (c->file_remaining > 0 ? MSG_MORE : 0);
		ssize_t n = sendmsg(c->fd, &msg, flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				goto would_block;
			conn_free(c); /* EPIPE, ECONNRESET: the peer is gone */
			return false;
		}
		size_t head = buf_len(&c->out) < (size_t)n ? buf_len(&c->out) : (size_t)n;
		buf_consume(&c->out, head);
		c->mem_offset += (size_t)n - head;
		c->mem_remaining -= (size_t)n - head;
		c->sent += (uint64_t)n;
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
		c->sent += (uint64_t)n;
		progress = true;
	}
	if (c->listing != NULL) {
		if (!conn_fill_listing(c)) {
			log_error("out of memory writing a directory listing");
			conn_free(c);
			return false;
		}
		goto more;
	}
	conn_return_out(c);
	return conn_finish_response(c);

would_block:
	/* send() took part of the bytes: wait until select() says there is room. The
	 * send deadline counts from the last byte the peer accepted. */
	if (c->state != CONN_WRITING || progress) {
		c->unacked = send_queue_bytes(c->fd);
		return conn_enter(c, CONN_WRITING, cfg_of(c)->send_timeout_ms);
	}
	return true;
}

/* Begin the access log line while the request's bytes are still at hand. */
static void conn_log_begin(struct conn *c, const struct response *r, const struct http_request *req,
                           const char *data)
{
	struct accesslog_fields f = {.peer = &c->peer, .when = time(NULL), .status = r->status};
	if (req != NULL) {
		f.request_line = http_span_ptr(data, req->request_line);
		f.request_line_len = req->request_line.len;
		f.referer = http_span_ptr(data, req->referer);
		f.referer_len = req->referer.len;
		f.user_agent = http_span_ptr(data, req->user_agent);
		f.user_agent_len = req->user_agent.len;
	}
	c->response_open = accesslog_begin(&c->log_line, &f, &c->log_split) == 0;
}

/* req and data: the request answered, or NULL when its head was not understood. */
static bool conn_send_response(struct conn *c, struct response *r, const struct http_request *req,
                               const char *data)
{
	if (r->error_page && c->srv->site.root_fd >= 0)
		static_error_page(&c->srv->site, r);
	c->close_after = r->connection == RESPONSE_CLOSE;
	/* Only a request the server understood can say so; errors linger. */
	c->peer_closes =
	    req != NULL && !r->error_page &&
	    (req->version_minor >= 1 ? req->connection_close : !req->connection_keep_alive);
	c->sent = 0;
	conn_borrow_out(c);
	if (accesslog_enabled())
		conn_log_begin(c, r, req, data);
	bool ok = response_write_head(&c->out, r, response_date_now()) == 0;
	c->head_len = buf_len(&c->out);
	c->chunked = r->framing == FRAMING_CHUNKED;
	if (r->listing != NULL && !r->head_only) {
		c->listing = r->listing;
	} else if (r->listing != NULL) {
		listing_free(r->listing);
	}
	if (r->body_mem != NULL && !r->head_only && r->content_length > 0) {
		c->mem = r->body_mem;
		c->mem_offset = (size_t)r->body_offset;
		c->mem_remaining = (size_t)r->content_length;
	} else {
		filecache_release(r->body_mem);
	}
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
static bool conn_respond_error(struct conn *c, int status, const char *data)
{
	struct response r;
	response_init(&r);
	response_error(&r, status);
	r.connection = RESPONSE_CLOSE;
	r.head_only = c->parser.req.method == HTTP_METHOD_HEAD;
	c->discard = 0;
	/* The request line is logged when it was understood before the error. */
	const struct http_request *req = c->parser.req.request_line.len > 0 ? &c->parser.req : NULL;
	return conn_send_response(c, &r, req, data);
}

static enum response_connection connection_for(const struct conn *c, const struct http_request *req,
                                               int status)
{
	const struct config *cfg = cfg_of(c);
	bool keep = req->version_minor >= 1 ? !req->connection_close : req->connection_keep_alive;
	keep = keep && cfg->keepalive && c->requests + 1 < cfg->max_keepalive_requests;
	/* A 400 means we did not understand the request: trust nothing after it. */
	if (!keep || status == 400 || c->srv->stopping)
		return RESPONSE_CLOSE;
	return req->version_minor >= 1 ? RESPONSE_KEEP_ALIVE : RESPONSE_KEEP_ALIVE_HTTP10;
}

static bool conn_respond(struct conn *c, const struct http_request *req, const char *data)
{
	if (req->has_content_length && req->content_length > cfg_of(c)->max_discard_body)
		return conn_respond_error(c, 413, data);
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
	/* A body that ends with the connection cannot leave it open. */
	if (r.framing == FRAMING_CLOSE)
		r.connection = RESPONSE_CLOSE;
	return conn_send_response(c, &r, req, data);
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
			if (!conn_respond_error(c, c->parser.status, base + used))
				return false;
			used = have; /* nothing after a broken request is trusted */
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
	case CONN_WAITING: /* not watched: cannot happen */
		break;
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

/* select() reports room only once much of a large send queue has drained:
 * a slow reader may still be taking bytes. Only one that took none since
 * the deadline was set is dropped. True when the peer took some: the deadline
 * is set again (or, out of memory, the connection is already freed). */
static bool conn_peer_is_reading(struct conn *c)
{
	int queued = send_queue_bytes(c->fd);
	if (queued < 0 || c->unacked < 0 || queued >= c->unacked)
		return false;
	c->unacked = queued;
	conn_enter(c, CONN_WRITING, cfg_of(c)->send_timeout_ms);
	return true;
}

/* Waited in the waiting room past its deadline: say why, without the reset
 * that closing on its unread request would send first. */
static void conn_refuse_waiting(struct conn *c)
{
	/* Bounded: a few reads of what is already queued, no more. */
	int reads = 0;
	while (reads++ < 4 && recv(c->fd, scratch_in, sizeof scratch_in, MSG_DONTWAIT) > 0) {
	}
	conn_send_closing_error(c->fd, 503);
	shutdown(c->fd, SHUT_WR);
}

static void conn_on_timeout(struct loop *loop, struct loop_timer *t)
{
	struct conn *c = container_of(t, struct conn, timer);
	(void)loop;
	if (c->state == CONN_WRITING && conn_peer_is_reading(c))
		return;
	if (c->state == CONN_WAITING)
		conn_refuse_waiting(c);
	/* Part of a request arrived: say why we hang up (best effort). */
	if (c->state == CONN_READING && c->in_len > 0)
		conn_send_closing_error(c->fd, 408);
	conn_free(c);
}
