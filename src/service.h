/* service — talking to the service manager (systemd or anything that speaks its protocol).
 *
 * Two small protocols, both described in sd_notify(3) and sd_listen_fds(3):
 *
 *  - readiness and state notification: one datagram of "VAR=value" lines sent to the
 *    AF_UNIX socket named by $NOTIFY_SOCKET (an abstract address when it starts with '@');
 *  - socket activation: the manager binds the listening sockets itself and passes them as
 *    descriptors 3, 4, ... with $LISTEN_PID (our pid), $LISTEN_FDS (their number) and
 *    optionally $LISTEN_FDNAMES (colon-separated names, from FileDescriptorName=).
 *
 * When configure found libsystemd (HAVE_LIBSYSTEMD) its sd_notify() and
 * sd_listen_fds_with_names() do the work; otherwise the protocol is spoken directly. Both
 * builds behave alike, and outside a service manager every function is a cheap no-op.
 */
#ifndef SWITCHBOARD_SERVICE_H
#define SWITCHBOARD_SERVICE_H

#include <stddef.h>

/* The first descriptor passed by socket activation (SD_LISTEN_FDS_START). */
#define SERVICE_LISTEN_FDS_START 3

/* Number of sockets passed by the service manager (LISTEN_PID must equal getpid()), 0 when
 * none, -1 with a message in err when the variables are malformed. Fills fds[0..n) (starting
 * at SD_LISTEN_FDS_START = 3, set FD_CLOEXEC on each) and, when names != NULL, names[i] points
 * into a static copy of LISTEN_FDNAMES (or "unknown"). Unsets LISTEN_PID, LISTEN_FDS,
 * LISTEN_FDNAMES so children do not inherit them. max bounds n.
 *
 * Details:
 *  - 0 when LISTEN_PID or LISTEN_FDS is unset, or LISTEN_PID names another process (the
 *    variables were inherited from a parent that did not consume them);
 *  - -1 when LISTEN_PID or LISTEN_FDS is not a number, LISTEN_FDS is negative, a passed
 *    descriptor is not open, more than max sockets were passed (rather than silently
 *    ignoring some), or, when names are asked for, LISTEN_FDNAMES does not hold exactly one
 *    name per descriptor;
 *  - the names stay valid until the next call; a name may be empty ("a::b").
 * The variables are unset whatever the outcome, so a second call returns 0. The
 * descriptors are left as they are (blocking mode, not checked to be sockets): the caller
 * decides what it accepts. Not thread-safe (it edits the environment). */
int service_listen_fds(int *fds, const char **names, int max, char *err, size_t err_size);

/* Send a state string ("READY=1\nSTATUS=serving ...") to $NOTIFY_SOCKET; a no-op returning 0
 * when it is unset. Abstract addresses ('@' prefix) supported. Returns -1 on failure (the
 * caller logs; the server keeps running).
 *
 * errno says why a send failed (EINVAL: $NOTIFY_SOCKET is neither an absolute path nor an
 * '@' name; ENAMETOOLONG: it does not fit in an AF_UNIX address). Without libsystemd the send never
 * blocks: should the manager's queue be full, the message is dropped with EAGAIN rather than
 * stalling the event loop (libsystemd's own send would wait there, which only happens if the
 * manager has stopped reading). $NOTIFY_SOCKET is left set, since the server notifies for its whole
 * life. */
int service_notify(const char *state);
int service_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RELOADING=1 with MONOTONIC_USEC=<CLOCK_MONOTONIC in µs> (systemd >= 253 wants it). Send
 * READY=1 when the reload is over. */
int service_notify_reloading(void);

#endif
