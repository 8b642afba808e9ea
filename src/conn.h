/* conn — one client connection as a state machine.
 *
 *   READING ──request──▶ WRITING ──done, keep-alive──▶ IDLE ──first byte──▶ READING
 *      │                    │
 *      └──error──▶ WRITING ─┴──done, close──▶ LINGERING ──EOF or deadline──▶ freed
 *
 * Every state has a deadline. A connection owns its buffers and its open file,
 * and frees them in one place (conn_free). */
#ifndef SWITCHBOARD_CONN_H
#define SWITCHBOARD_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "body.h"
#include "buffer.h"
#include "chunked.h"
#include "clients.h"
#include "forwarded.h"
#include "http_parser.h"
#include "loop.h"
#include "proxy_proto.h"

struct conn;
struct exchange_ctx;

/* What a connection needs of whoever accepted it: lent for the connection's
 * life, and updated in place by a reload. The connection never calls back
 * into its owner but through on_closed. */
struct conn_ctx {
	struct loop *loop;
	const struct exchange_ctx *exchange; /* answers each request */
	int64_t header_timeout_ms;
	int64_t keepalive_timeout_ms;
	int64_t send_timeout_ms;
	int64_t linger_timeout_ms;
	bool log_via; /* the access log names the proxy of each connection too */
	/* Whether sendfile(2) carries bodies from files to peers on this host,
	 * and to peers on other hosts; otherwise a file is read and sent a piece
	 * at a time (see conn_send_file). */
	bool sendfile_local;
	bool sendfile_remote;
	/* real_client_header: the request header field that names the client
	 * behind trusted HTTP proxies (NULL trusted: none is read). */
	const struct netmask_list *forwarded_trusted;
	enum forwarded_syntax forwarded_syntax;
	/* Told as a connection ends (its socket closed, its memory not yet freed):
	 * the owner unlinks it and counts it. It must not start or free another
	 * connection from here: that waits for the loop's next turn. */
	void (*on_closed)(void *owner, struct conn *c);
	/* Told when a PROXY header or a forwarded header field has named another
	 * client (c->peer now holds it; c->via the proxy): the owner counts the
	 * connection under that client. False: the client may not have another
	 * connection (answered with 503 and closed). */
	bool (*on_client_known)(void *owner, struct conn *c);
	void *owner;
};

enum conn_state {
	CONN_WAITING,   /* accepted while full: waits, unwatched, for a slot */
	CONN_READING,   /* a request head is arriving: header deadline */
	CONN_WRITING,   /* the socket would block mid-response: send deadline */
	CONN_IDLE,      /* between requests: keep-alive deadline */
	CONN_LINGERING, /* sent our last byte and shut down: draining the peer */
};

struct conn {
	const struct conn_ctx *ctx;
	int fd;
	enum conn_state state;
	struct loop_timer timer;
	struct conn *prev, *next; /* the owner's list of connections */
	struct client_key client; /* the peer's address, as counted per client */

	/* Received bytes not yet consumed (NULL when none: a connection between
	 * requests holds no input buffer). */
	char *in;
	size_t in_len;
	struct http_parser parser;
	uint64_t discard; /* bytes of a request body still to be dropped */
	/* A chunked request body is read (and dropped) before the answer, so that
	 * a malformed or oversized one can still be answered with its status:
	 * meanwhile the request's head is kept at the start of in. */
	bool body_pending;
	struct chunked_decoder body_decoder;
	/* The exchange deferred its answer (a password check waits its turn): the
	 * request stays at the start of in, unwatched, until conn_resume. Those
	 * deferred first (the lower ticket) are resumed first. body_read: its
	 * chunked body was already read, only the head is kept. */
	bool deferred;
	bool body_read;
	uint64_t deferred_ticket;

	/* The response in flight: head bytes, then its body. */
	struct buf out;
	struct body body;
	bool chunked;     /* a generated body goes out in chunks */
	bool close_after; /* shut down once this response is sent */
	bool peer_closes; /* the client asked for the close: it sends nothing more */
	int unacked;      /* bytes in the socket's send queue when the send deadline was set */
	/* The last read took less than it could: the socket was empty then, and
	 * the response is being sent in that same turn. */
	bool read_drained;
	int64_t deferral_ms; /* see conn_new */
	/* Where the peer runs, found at the first body from a file. */
	enum { PEER_HOST_UNKNOWN, PEER_HOST_THIS, PEER_HOST_OTHER } peer_host;
	unsigned long requests;
	int64_t answered_ms; /* the loop's clock when the response in flight was planned */

	/* A PROXY protocol header still to be read (NULL: none expected, or read). */
	struct proxy_parser *proxy;
	/* The proxy the request came through (AF_UNSPEC: it came directly). */
	struct sockaddr_storage via;
	/* Where requests come from before any forwarded header field: the
	 * socket's peer, or the client its PROXY header named; and the proxy
	 * that sent that header (AF_UNSPEC: none). */
	struct sockaddr_storage hop;
	struct sockaddr_storage hop_via;

	/* For the access log: the client of the current request, the line so
	 * far, and what was sent. */
	struct sockaddr_storage peer;
	struct buf log_line;
	size_t log_split;
	bool response_open; /* a response has begun and is not yet logged */
	uint64_t head_len;
	uint64_t sent;
};

/* Take over an accepted, non-blocking socket, in CONN_WAITING: not yet watched.
 * proxy_header: it begins with a PROXY protocol header (v1 or v2) that names
 * the real client, read under the header deadline. deferral_ms: how long the
 * listener's TCP_DEFER_ACCEPT holds a connection that sends nothing (0: none).
 * NULL when out of memory (the caller still owns fd then). */
struct conn *conn_new(const struct conn_ctx *ctx, int fd, const struct sockaddr_storage *peer,
                      bool proxy_header, int64_t deferral_ms);

/* Give it a slot: watch it (its header deadline runs from conn_new), and
 * read what it has sent already: it may be answered, or even freed, before
 * this returns. False when the loop refused it (the caller frees it). */
bool conn_start(struct conn *c);

/* Best effort, on a socket we are about to close: a whole error response. */
void conn_send_closing_error(int fd, int status);

/* Free everything the connection holds and tell the owner (on_closed). */
void conn_free(struct conn *c);

/* Connections whose request is deferred, and the one deferred first (NULL:
 * none) among the list linked by next from head. */
size_t conn_deferred_count(void);
struct conn *conn_first_deferred(struct conn *head);

/* Ask the exchange again for the deferred request (it may be deferred once
 * more). Returns false when c was freed. */
bool conn_resume(struct conn *c);

/* Graceful stop: close at once when between requests; otherwise finish the
 * current response and then close. */
void conn_shutdown_gracefully(struct conn *c);

#endif
