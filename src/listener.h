/* listener — listening sockets and the accept loop.
 *
 * Non-blocking sockets; on readable, accept until EAGAIN (up to a batch per
 * wake-up so that one busy listener cannot starve the connections). When the
 * process runs out of descriptors, a reserve descriptor is given up to accept
 * and shed one connection, so the client learns at once and the loop does not
 * spin on a listener it cannot serve. */
#ifndef SWITCHBOARD_LISTENER_H
#define SWITCHBOARD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "address.h"
#include "loop.h"

struct listener;

/* A connection accepted on l. Return false to stop accepting for this wake-up
 * (e.g. the server is full). */
typedef bool (*listener_accept_cb)(void *arg, const struct listener *l, int fd,
                                   const struct sockaddr_storage *peer, socklen_t peer_len);

struct listener {
	int fd;
	struct listen_addr addr; /* as bound: port 0 replaced by the real port */
	char name[64];           /* the service manager's name for it, or "" */
	listener_accept_cb on_accept;
	void *arg;
	/* Answer a connection about to be shed for want of descriptors (or NULL). */
	void (*shed)(int fd);
	struct loop *loop;
	bool watching;
	/* Passed by the service manager: its socket options are the .socket
	 * unit's (DeferAcceptSec=...), and stay as the unit set them. */
	bool adopted;
	/* TCP_DEFER_ACCEPT as the kernel applies it (rounded up to its SYN-ACK
	 * retransmissions), in ms; 0: connections are handed over at once. */
	int64_t deferral_ms;
	bool unlink_on_close; /* a Unix-domain socket file we made */
	/* Out of descriptors with no reserve left: look away for a moment
	 * instead of spinning on a listener that stays readable. */
	struct loop_timer backoff;
};

/* Create, bind and listen. Returns 0, or -1 with "ADDR: reason" in err. */
int listener_open(struct listener *l, const struct listen_addr *addr, char *err, size_t err_size);

/* Adopt an already listening socket (e.g. inherited from the service manager). */
int listener_adopt(struct listener *l, int fd, char *err, size_t err_size);

int listener_start(struct listener *l, struct loop *loop, listener_accept_cb cb, void *arg);
/* Stop or resume watching for new connections; the kernel backlog holds them meanwhile. */
void listener_pause(struct listener *l);
void listener_resume(struct listener *l);
void listener_close(struct listener *l);

/* Have the kernel complete a TCP connection to accept() only once the client
 * has sent something, or seconds have passed (rounded up to its SYN-ACK
 * retransmissions; 0: at once). Nothing for a Unix-domain socket, or for a
 * socket from the service manager. */
void listener_defer_accept(struct listener *l, int seconds);

/* Keep one descriptor in reserve for the day accept() fails with EMFILE. */
int listener_reserve_fd_init(void);

#endif
