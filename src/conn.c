#include "autoconfig.h"

#include "conn.h"

#include "accesslog.h"
#include "container.h"
#include "exchange.h"
#include "log.h"
#include "metrics.h"
#include "netmask.h"
#include "response.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
static void conn_defer(struct conn *c);

static int64_t now_ms(const struct conn *c)
{
	return loop_now(c->ctx->loop);
}

/* ------------------------------------------------------------ life cycle */

struct conn *conn_new(const struct conn_ctx *ctx, int fd, const struct sockaddr_storage *peer,
                      bool proxy_header, int64_t deferral_ms)
{
	struct conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	if (proxy_header) {
		c->proxy = malloc(sizeof *c->proxy);
		if (c->proxy == NULL) {
			free(c);
			return NULL;
		}
		proxy_parser_init(c->proxy);
	}
	c->ctx = ctx;
	c->fd = fd;
	c->deferral_ms = deferral_ms;
	c->peer = c->hop = *peer;
	c->state = CONN_WAITING;
	http_parser_init(&c->parser);
	loop_timer_init(&c->timer, conn_on_timeout);
	/* The header deadline runs from the connection's start, waiting included:
	 * a client that left while it waited does not keep its place for long. */
	if (loop_timer_set(ctx->loop, &c->timer, loop_now(ctx->loop) + ctx->header_timeout_ms) <
	    0) {
		free(c->proxy);
		free(c);
		return NULL;
	}
	/* TCP_NODELAY comes from the listener (listener.c). */
	return c;
}

static bool conn_read(struct conn *c);

bool conn_start(struct conn *c)
{
	c->state = CONN_READING;
	if (loop_add(c->ctx->loop, c->fd, LOOP_READ, conn_on_io, c) != 0)
		return false;
	/* A client sends its request right after connecting, and by the time the
	 * connection is accepted it has mostly arrived: reading now saves a turn
	 * of select() per connection (when it has not, recv says so at once). */
	if (!conn_read(c) && c->deferral_ms > 0) {
		/* Nothing yet, from a listener that defers until the client
		 * sends: the kernel handed it over because its deferral ran out,
		 * so it has been silent that long already, and its header
		 * deadline counts from when it connected, as without deferral
		 * (armed since conn_new: moving it sooner allocates nothing). */
		(void)loop_timer_set(c->ctx->loop, &c->timer, c->timer.when_ms - c->deferral_ms);
	}
	return true;
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

/* Bytes of a generated body produced per turn: enough for one send. */
#define GENERATED_PIECE 16384

/* One access log line per response, also for one cut short. */
static void conn_log_response(struct conn *c)
{
	if (!c->response_open)
		return;
	c->response_open = false;
	accesslog_finish(&c->log_line, c->log_split,
	                 c->sent > c->head_len ? c->sent - c->head_len : 0);
}

static size_t deferred_conns;

void conn_free(struct conn *c)
{
	const struct conn_ctx *ctx = c->ctx;
	if (c->deferred)
		deferred_conns--;
	conn_log_response(c);
	buf_free(&c->log_line);
	loop_timer_cancel(ctx->loop, &c->timer);
	loop_remove(ctx->loop, c->fd);
	close(c->fd);
	body_release(&c->body);
	free(c->in);
	free(c->proxy);
	buf_free(&c->out);
	ctx->on_closed(ctx->owner, c);
	free(c);
}

/* Enter a state: the events it waits for, and its deadline. */
static bool conn_enter(struct conn *c, enum conn_state state, int64_t timeout_ms)
{
	c->state = state;
	loop_set_events(c->ctx->loop, c->fd, state == CONN_WRITING ? LOOP_WRITE : LOOP_READ);
	if (loop_timer_set(c->ctx->loop, &c->timer, now_ms(c) + timeout_ms) < 0) {
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
	return conn_enter(c, CONN_LINGERING, c->ctx->linger_timeout_ms);
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
	if (!c->peer_closes || c->in_len != 0 || c->discard != 0)
		return false;
	/* Answered in the turn of a read that emptied the socket: nothing came
	 * since but what a client that asked for the close must not send. */
	return c->read_drained || (ioctl(c->fd, FIONREAD, &pending) == 0 && pending == 0);
}

static bool conn_finish_response(struct conn *c)
{
	metrics_observe_duration(metrics, now_ms(c) - c->answered_ms);
	conn_log_response(c);
	body_release(&c->body);
	c->requests++;
	/* A graceful stop marks every busy connection close_after. */
	if (c->close_after) {
		if (conn_nothing_more_to_read(c)) {
			conn_free(c);
			return false;
		}
		return conn_start_linger(c);
	}
	http_parser_init(&c->parser);
	return conn_enter(c, CONN_IDLE, c->ctx->keepalive_timeout_ms);
}

/* Bytes sent but not yet acknowledged by the peer, or still to be sent: what
 * the kernel holds for this socket. -1 when it cannot say. */
static int send_queue_bytes(int fd)
{
	int queued;
	return ioctl(fd, SIOCOUTQ, &queued) == 0 ? queued : -1;
}

enum send_result {
	SEND_DONE,    /* everything of this kind was sent */
	SEND_BLOCKED, /* the socket took what it could: wait for select() */
	SEND_YIELD,   /* this turn's share was sent: let the others have theirs */
	SEND_GONE,    /* the connection was freed */
};

/* What one connection may send in one turn of the loop: a peer that reads as
 * fast as we write (a local client, a proxy on the same host) must not hold
 * the loop for a whole large file or listing. A few system calls per turn at
 * most; a turn costs one select(). */
#define TURN_FILE_BYTES ((uint64_t)2 * 1024 * 1024)
#define TURN_GENERATED_PIECES 4

/* SHORT_WRITE_IS_FULL: a send that took less than it was offered found the
 * socket's buffer full; asking again at once only earns EAGAIN (a fifth of
 * the sendfile calls of a large file did), so the rest waits for select().
 * Were the buffer not full after all, select() says so in the next turn. */

/* The buffered head and a body from memory go out together: one system call.
 * *progress is set when the socket took bytes. */
static enum send_result conn_send_buffered(struct conn *c, bool *progress)
{
	struct body *b = &c->body;
	while (buf_len(&c->out) > 0 || (body_in_memory(b) && b->remaining > 0)) {
		struct iovec iov[2];
		struct msghdr msg = {.msg_iov = iov};
		if (buf_len(&c->out) > 0)
			iov[msg.msg_iovlen++] =
			    (struct iovec){(void *)buf_head(&c->out), buf_len(&c->out)};
		if (body_in_memory(b) && b->remaining > 0)
			iov[msg.msg_iovlen++] =
			    (struct iovec){(void *)(b->bytes + b->offset), (size_t)b->remaining};
		bool file_follows = b->kind == BODY_FILE && b->remaining > 0;
		ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | (file_follows ? MSG_MORE : 0));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return SEND_BLOCKED;
			conn_free(c); /* EPIPE, ECONNRESET: the peer is gone */
			return SEND_GONE;
		}
		size_t offered = iov[0].iov_len + (msg.msg_iovlen > 1 ? iov[1].iov_len : 0);
		size_t head = buf_len(&c->out) < (size_t)n ? buf_len(&c->out) : (size_t)n;
		buf_consume(&c->out, head);
		b->offset += (size_t)n - head;
		b->remaining -= (size_t)n - head;
		c->sent += (uint64_t)n;
		metrics->response_bytes += (uint64_t)n;
		*progress = true;
		if ((size_t)n < offered)
			return SEND_BLOCKED; /* see SHORT_WRITE_IS_FULL */
	}
	return SEND_DONE;
}

/* Whether this connection's bodies from files go by sendfile(2). The peer's
 * host is asked once, at its first such body (one getsockname). */
static bool conn_uses_sendfile(struct conn *c)
{
	if (c->ctx->sendfile_local == c->ctx->sendfile_remote)
		return c->ctx->sendfile_local;
	if (c->peer_host == PEER_HOST_UNKNOWN) {
		/* The socket's own peer: a proxy that sent a PROXY header is
		 * the one reading the bytes, not the client it named. */
		const struct sockaddr_storage *peer =
		    c->hop_via.ss_family != AF_UNSPEC ? &c->hop_via : &c->hop;
		struct sockaddr_storage local;
		socklen_t len = sizeof local;
		bool known = getsockname(c->fd, (struct sockaddr *)&local, &len) == 0;
		c->peer_host = netmask_same_host((const struct sockaddr *)peer,
		                                 known ? (const struct sockaddr *)&local : NULL)
		                   ? PEER_HOST_THIS
		                   : PEER_HOST_OTHER;
	}
	return c->peer_host == PEER_HOST_THIS ? c->ctx->sendfile_local : c->ctx->sendfile_remote;
}

/* A file's bytes read for send(): one buffer serves every connection, since
 * each piece is sent as soon as it is read. What the socket does not take is
 * read again next time (a short send is rare: the piece is much smaller than
 * a loopback socket's buffer). */
#define FILE_PIECE ((size_t)256 * 1024)
static char file_piece[FILE_PIECE];

/* Send up to want bytes of the file at b->offset: by sendfile(), or read into
 * file_piece and sent. *offered: how many the socket was offered. Returns
 * what send() or sendfile() returned; 0 when the file had no more bytes. */
static ssize_t send_file_bytes(struct conn *c, const struct body *b, size_t want, bool by_sendfile,
                               size_t *offered)
{
	off_t offset = (off_t)b->offset;
	if (by_sendfile) {
		*offered = want < SENDFILE_MAX ? want : SENDFILE_MAX;
		return sendfile(c->fd, b->fd, &offset, *offered);
	}
	ssize_t got = pread(b->fd, file_piece, want < FILE_PIECE ? want : FILE_PIECE, offset);
	if (got <= 0)
		return got;
	*offered = (size_t)got;
	return send(c->fd, file_piece, (size_t)got, MSG_NOSIGNAL);
}

/* A body from a file. By sendfile(), the socket takes the page cache's pages
 * and nothing is copied here: right for a peer across a network, whose bytes
 * the network card reads. A peer on this host copies every byte out of those
 * pages itself, which made it the bottleneck (bench/README): reading the
 * file here hands it bytes fresh in the cache, and it receives faster. */
static enum send_result conn_send_file(struct conn *c, bool *progress)
{
	struct body *b = &c->body;
	uint64_t this_turn = 0;
	bool by_sendfile = b->kind == BODY_FILE && conn_uses_sendfile(c);
	while (b->kind == BODY_FILE && b->remaining > 0) {
		if (this_turn >= TURN_FILE_BYTES)
			return SEND_YIELD;
		size_t want = b->remaining < SIZE_MAX ? (size_t)b->remaining : SIZE_MAX;
		size_t offered = 0;
		ssize_t n = send_file_bytes(c, b, want, by_sendfile, &offered);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return SEND_BLOCKED;
		}
		if (n <= 0) {
			/* 0: the file shrank under us. The promised length cannot be
			 * sent, so the only honest end is to close. */
			if (n == 0)
				log_warn("file shrank while being sent; closing the connection");
			conn_free(c);
			return SEND_GONE;
		}
		b->offset += (uint64_t)n;
		b->remaining -= (uint64_t)n;
		c->sent += (uint64_t)n;
		metrics->response_bytes += (uint64_t)n;
		this_turn += (uint64_t)n;
		*progress = true;
		if ((size_t)n < offered && b->remaining > 0)
			return SEND_BLOCKED; /* see SHORT_WRITE_IS_FULL */
	}
	return SEND_DONE;
}

/* send() took part of the bytes: wait until select() says there is room. The
 * send deadline counts from the last byte the peer accepted. */
static bool conn_wait_writable(struct conn *c, bool progress)
{
	c->read_drained = false; /* the response outlives this turn */
	if (c->state != CONN_WRITING || progress) {
		c->unacked = send_queue_bytes(c->fd);
		return conn_enter(c, CONN_WRITING, c->ctx->send_timeout_ms);
	}
	return true;
}

/* Send what the socket takes now: the buffered head, then the body, producing
 * a generated body a piece at a time. Returns false when the connection was
 * freed. */
static bool conn_write(struct conn *c)
{
	bool progress = false;
	for (int pieces = 0;; pieces++) {
		enum send_result res = conn_send_buffered(c, &progress);
		if (res == SEND_DONE)
			res = conn_send_file(c, &progress);
		if (res == SEND_GONE)
			return false;
		/* Waiting for writability after a yield costs no time: select()
		 * reports the socket writable at once, after the others' turns. */
		if (res == SEND_BLOCKED || res == SEND_YIELD)
			return conn_wait_writable(c, progress);
		if (c->body.kind != BODY_GENERATED)
			break;
		if (pieces == TURN_GENERATED_PIECES)
			return conn_wait_writable(c, progress);
		if (response_generate(&c->out, &c->body, c->chunked, GENERATED_PIECE) < 0) {
			log_error("out of memory writing a generated response");
			conn_free(c);
			return false;
		}
	}
	conn_return_out(c);
	return conn_finish_response(c);
}

/* Begin the access log line while the request's bytes are still at hand. */
static void conn_log_begin(struct conn *c, const struct accesslog_fields *planned, time_t now)
{
	struct accesslog_fields f = *planned;
	f.peer = &c->peer;
	f.when = now;
	f.via = c->ctx->log_via ? &c->via : NULL;

	c->response_open = accesslog_begin(&c->log_line, &f, &c->log_split) == 0;
}

static int method_class(enum http_method method)
{
	return method == HTTP_METHOD_GET    ? METRICS_GET
	       : method == HTTP_METHOD_HEAD ? METRICS_HEAD
	                                    : METRICS_OTHER_METHOD;
}

/* Take the plan's decisions and its body, queue the head and start sending. */
static bool conn_send_plan(struct conn *c, struct exchange_plan *plan, time_t now)
{
	const struct response *r = &plan->response;
	metrics_count_response(metrics, r->status, method_class(c->parser.req.method), 0);
	if (plan->fault)
		metrics_count_fault(metrics, r->status);
	c->answered_ms = now_ms(c);
	c->close_after = plan->close_after;
	c->peer_closes = plan->peer_closes;
	c->discard = plan->discard;
	c->sent = 0;
	conn_borrow_out(c);
	if (accesslog_enabled() && !plan->unlogged)
		conn_log_begin(c, &plan->log, now);
	size_t head_len = 0;
	bool ok = response_write(&c->out, r, response_date(now), &head_len) == 0;
	c->head_len = head_len;
	c->chunked = r->framing == FRAMING_CHUNKED;
	c->body = body_take(&plan->response.body);
	exchange_plan_release(plan);
	if (!ok) {
		log_error("out of memory writing a response");
		conn_free(c);
		return false;
	}
	return conn_write(c);
}

/* The request's client, when a trusted proxy named it in a header field
 * (real_client_header): c->peer and c->via become those of this request, and
 * the connection counts for that client from now on. Returns 503 when that
 * client is at its limit of connections, else 0. */
static int conn_take_forwarded_client(struct conn *c, const char *data)
{
	const struct conn_ctx *ctx = c->ctx;
	const struct http_field_lines *lines = ctx->forwarded_syntax == FORWARDED_XFF
	                                           ? &c->parser.req.x_forwarded_for
	                                           : &c->parser.req.forwarded;
	struct forwarded_field fields[HTTP_MAX_FIELD_LINES];
	for (unsigned i = 0; i < lines->count; i++) {
		fields[i].value = http_span_ptr(data, lines->lines[i]);
		fields[i].len = lines->lines[i].len;
	}
	struct sockaddr_storage client;
	bool named =
	    forwarded_client(ctx->forwarded_syntax, fields, lines->count, ctx->forwarded_trusted,
	                     (const struct sockaddr *)&c->hop, sizeof c->hop, &client);
	c->peer = named ? client : c->hop;
	c->via = named ? c->hop : c->hop_via;
	struct client_key key;
	client_key_from(&c->peer, &key);
	if (client_key_equal(&key, &c->client))
		return 0;
	return ctx->on_client_known(ctx->owner, c) ? 0 : 503;
}

/* ------------------------------------------------------------- deferring */

static uint64_t next_ticket;

/* The request waits, unwatched, for a later turn: its bytes are kept by
 * conn_process, and parsed again when the connection is resumed. Its header
 * deadline still runs. */
static void conn_defer(struct conn *c)
{
	c->deferred = true;
	c->deferred_ticket = ++next_ticket;
	deferred_conns++;
	loop_set_events(c->ctx->loop, c->fd, 0);
}

size_t conn_deferred_count(void)
{
	return deferred_conns;
}

struct conn *conn_first_deferred(struct conn *head)
{
	struct conn *first = NULL;
	for (struct conn *c = head; c != NULL; c = c->next)
		if (c->deferred && (first == NULL || c->deferred_ticket < first->deferred_ticket))
			first = c;
	return first;
}

bool conn_resume(struct conn *c)
{
	c->deferred = false;
	deferred_conns--;
	http_parser_init(&c->parser);
	loop_set_events(c->ctx->loop, c->fd, LOOP_READ);
	/* conn_process kept the request's bytes in c->in when it deferred it. */
	return c->in == NULL || conn_process(c, c->in, c->in_len);
}

/* Answer the request the parser holds (data: its bytes), or its fault. */
static bool conn_answer(struct conn *c, const char *data, int error_status)
{
	if (error_status == 0 && c->ctx->forwarded_trusted != NULL)
		error_status = conn_take_forwarded_client(c, data);
	struct exchange_request in = {
	    .req = &c->parser.req,
	    .data = data,
	    .error_status = error_status,
	    .served = c->requests,
	    .client = &c->peer,
	    .now = time(NULL),
	};
	struct exchange_plan plan;
	exchange_answer(c->ctx->exchange, &in, &plan);
	if (plan.deferred) {
		exchange_plan_release(&plan);
		conn_defer(c);
		return true;
	}
	return conn_send_plan(c, &plan, in.now);
}

/* --------------------------------------------------------------- reading */

static bool conn_begin_request(struct conn *c)
{
	/* The header deadline runs from a request's first byte, and is not moved
	 * by later bytes: a client trickling its head cannot hold us. */
	return conn_enter(c, CONN_READING, c->ctx->header_timeout_ms);
}

/* Keep for the next turn: the head of a request whose body is still being
 * read (head_len bytes at head; 0: none), then the bytes not yet consumed. */
static bool conn_keep_input(struct conn *c, const char *head, size_t head_len, const char *rest,
                            size_t len)
{
	if (head_len + len == 0) {
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
	/* Both move towards the start: the head first, then what follows it. */
	memmove(c->in, head, head_len);
	memmove(c->in + head_len, rest, len);
	c->in_len = head_len + len;
	return true;
}

enum body_step {
	BODY_STEP_MORE,     /* all bytes taken; the body goes on */
	BODY_STEP_ANSWERED, /* the body ended (or was refused) and the request answered */
	BODY_STEP_GONE,     /* the connection was freed */
};

/* Feed bytes to the chunked body in progress; at its end, answer the request
 * whose head is at head (a refused body: with the decoder's status, and
 * nothing after it is trusted). *used advances past what was taken. */
static enum body_step conn_read_chunked(struct conn *c, const char *head, const char *bytes,
                                        size_t len, size_t *used)
{
	size_t consumed = 0;
	enum chunked_result res = chunked_feed(&c->body_decoder, bytes, len, &consumed);
	*used += consumed;
	if (res == CHUNKED_NEED_MORE)
		return BODY_STEP_MORE;
	c->body_pending = false;
	bool refused = res == CHUNKED_ERROR;
	if (!conn_answer(c, head, refused ? c->body_decoder.status : 0))
		return BODY_STEP_GONE;
	if (refused)
		*used += len - consumed;
	return BODY_STEP_ANSWERED;
}

static const enum metrics_proxy_error proxy_reasons[] = {
    [PROXY_ERR_NONE] = METRICS_PROXY_MALFORMED,
    [PROXY_ERR_NO_HEADER] = METRICS_PROXY_NO_HEADER,
    [PROXY_ERR_MALFORMED] = METRICS_PROXY_MALFORMED,
    [PROXY_ERR_OVERSIZED] = METRICS_PROXY_OVERSIZED,
    [PROXY_ERR_UNSUPPORTED] = METRICS_PROXY_UNSUPPORTED,
};

/* The PROXY header that must come first: the bytes of it in base[0..have)
 * are taken (*used advances). Returns false when the connection was closed
 * (a bad header is counted and closed without an answer: the peer is a
 * proxy that does not speak the protocol, not a client). */
static bool conn_read_proxy_header(struct conn *c, const char *base, size_t have, size_t *used)
{
	size_t consumed = 0;
	enum proxy_status st = proxy_parser_feed(c->proxy, base, have, &consumed);
	*used += consumed;
	if (st == PROXY_NEED_MORE)
		return true;
	if (st == PROXY_ERROR) {
		metrics->proxy_errors[proxy_reasons[c->proxy->error]]++;
		log_debug("closing a connection: PROXY header %s (%s)",
		          proxy_error_name(c->proxy->error), c->proxy->detail);
		conn_free(c);
		return false;
	}
	/* LOCAL (the proxy's own health check) keeps the socket's addresses. */
	bool relayed = !c->proxy->result.local;
	if (relayed) {
		c->via = c->hop_via = c->peer;
		c->peer = c->hop = c->proxy->result.src;
	}
	free(c->proxy);
	c->proxy = NULL;
	if (relayed && !c->ctx->on_client_known(c->ctx->owner, c)) {
		conn_send_closing_error(c->fd, 503);
		conn_free(c);
		return false;
	}
	return true;
}

/* Parse and answer the requests in base[0..have), in order, for as long as
 * each response can be completed at once. A request whose chunked body is
 * still arriving has its head at base[0..) on entry. Returns false when c was
 * freed. */
static bool conn_process(struct conn *c, char *base, size_t have)
{
	size_t head_at = 0;
	size_t used = c->body_pending ? c->parser.req.head_len : 0;
	if (c->proxy != NULL && !conn_read_proxy_header(c, base, have, &used))
		return false;
	if (c->proxy != NULL) /* all bytes so far were header: none are kept */
		return conn_keep_input(c, base, 0, base, 0);
	while (c->state == CONN_READING || c->state == CONN_IDLE) {
		/* The rest of the previous request's body is not a request. */
		uint64_t drop = have - used < c->discard ? have - used : c->discard;
		used += (size_t)drop;
		c->discard -= drop;
		if (used == have)
			break;
		if (c->state == CONN_IDLE && !conn_begin_request(c))
			return false;
		if (c->body_pending) {
			enum body_step step =
			    conn_read_chunked(c, base + head_at, base + used, have - used, &used);
			if (step == BODY_STEP_GONE)
				return false;
			if (step == BODY_STEP_MORE)
				break;
			if (c->deferred) { /* the body is read: keep the head only */
				c->body_read = true;
				break;
			}
			continue;
		}
		enum http_parse_result res = http_parser_feed(&c->parser, base + used, have - used);
		if (res == HTTP_PARSE_NEED_MORE)
			break;
		if (res == HTTP_PARSE_ERROR) {
			if (!conn_answer(c, base + used, c->parser.status))
				return false;
			used = have; /* nothing after a broken request is trusted */
			break;
		}
		head_at = used;
		used += c->parser.req.head_len;
		if (c->parser.req.chunked && !c->body_read) {
			c->body_pending = true;
			chunked_init(&c->body_decoder, c->ctx->exchange->max_discard_body);
			continue;
		}
		if (!conn_answer(c, base + head_at, 0))
			return false;
		if (c->deferred) {
			/* Kept: the whole request from its head, or only the head
			 * of one whose chunked body was read (then what follows). */
			if (!c->body_read)
				used = head_at;
			break;
		}
		c->body_read = false;
	}
	if (c->state == CONN_LINGERING)
		return true;
	size_t held = c->body_pending || c->body_read ? c->parser.req.head_len : 0;
	return conn_keep_input(c, base + head_at, held, base + used, have - used);
}

/* False when there was nothing to read: the connection is as it was. True
 * when it read, or reached the end (the connection may have been freed). */
static bool conn_read(struct conn *c)
{
	char *base = c->in != NULL ? c->in : scratch_in;
	size_t have = c->in_len;
	ssize_t n = recv(c->fd, base + have, CONN_IN_CAP - have, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return false;
	c->read_drained = n > 0 && (size_t)n < CONN_IN_CAP - have;
	if (n <= 0) {
		/* 0: the peer closed its side: no request can complete now. */
		if (c->proxy != NULL)
			metrics->proxy_errors[METRICS_PROXY_TRUNCATED]++;
		conn_free(c);
		return true;
	}
	conn_process(c, base, have + (size_t)n);
	return true;
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
	conn_enter(c, CONN_WRITING, c->ctx->send_timeout_ms);
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
	if (c->proxy != NULL) /* a proxy that sent no complete header: no answer */
		metrics->proxy_errors[METRICS_PROXY_TRUNCATED]++;
	else if (c->state == CONN_WAITING)
		conn_refuse_waiting(c);
	/* Part of a request arrived: say why we hang up (best effort). */
	if (c->state == CONN_READING && c->in_len > 0) {
		conn_send_closing_error(c->fd, 408);
		metrics_count_fault(metrics, 408);
	}
	conn_free(c);
}
