/* signals — turn asynchronous signals into bytes the loop can read.
 *
 * The handler only records the signal (one byte into a non-blocking pipe); the
 * work happens in the loop, where any function may be called safely. */
#ifndef SWITCHBOARD_SIGNALS_H
#define SWITCHBOARD_SIGNALS_H

/* Ignore SIGPIPE (a peer that resets must never kill us) and route SIGTERM,
 * SIGINT, SIGHUP, SIGUSR1 and SIGCHLD into a pipe, then let through any of
 * them that signals_block() held back. Returns the pipe's read end, or -1. */
int signals_init(void);

/* Hold the routed signals back (across a fork: the child's handlers are not
 * in place yet); signals_init() lets them through again. */
void signals_block(void);
void signals_unblock(void);

/* The next recorded signal number, or 0 when none is pending. */
int signals_next(int fd);

/* What a process does for each routed signal; NULL: ignore it. */
struct signal_actions {
	/* SIGTERM ("SIGTERM"); and SIGINT ("SIGINT") when interrupt is NULL. */
	void (*stop)(void *arg, const char *why);
	void (*interrupt)(void *arg, const char *why); /* SIGINT */
	void (*reload)(void *arg);                     /* SIGHUP */
	void (*reopen_logs)(void *arg);                /* SIGUSR1 */
	void (*child_exited)(void *arg);               /* SIGCHLD */
	void *arg;
};

/* Act on every signal recorded in the pipe fd. */
void signals_dispatch(int fd, const struct signal_actions *actions);

/* Restore default dispositions and close the pipe (e.g. in a child process). */
void signals_reset(void);

#endif
