/* loop — the one select() loop: fd interest with callbacks, and deadlines.
 *
 * It knows nothing of HTTP. It refuses any fd >= FD_SETSIZE, because FD_SET on
 * such an fd writes outside the fd_set: the caller sheds that connection. */
#ifndef SWITCHBOARD_LOOP_H
#define SWITCHBOARD_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

/* The highest descriptor select() can watch, plus one: callers shed any fd at
 * or above it, and size their tables by it. */
#define LOOP_MAX_FD FD_SETSIZE

enum { LOOP_READ = 1u << 0, LOOP_WRITE = 1u << 1 };

struct loop;
typedef void (*loop_io_cb)(struct loop *loop, int fd, unsigned events, void *arg);

struct loop_timer;
typedef void (*loop_timer_cb)(struct loop *loop, struct loop_timer *timer);

/* Embedded in its owner; container_of-style recovery is the owner's business. */
struct loop_timer {
	int64_t when_ms; /* on the loop's monotonic clock */
	/* Its place in the loop's heap: never later than when_ms. A deadline
	 * moved later (a connection's, twice per request) keeps its place until
	 * that comes up, and only then moves: no heap work per request. */
	int64_t key_ms;
	size_t heap_slot; /* LOOP_TIMER_IDLE when not armed */
	loop_timer_cb cb;
};

#define LOOP_TIMER_IDLE SIZE_MAX

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watch fd for events (LOOP_READ | LOOP_WRITE, possibly 0 to register it quietly).
 * -1 with errno EBADF when fd is outside [0, FD_SETSIZE), EEXIST when watched. */
int loop_add(struct loop *loop, int fd, unsigned events, loop_io_cb cb, void *arg);
void loop_set_events(struct loop *loop, int fd, unsigned events);
void loop_remove(struct loop *loop, int fd);
/* Call fd's callback after those of every other fd ready in the same turn
 * (until it is removed). A listener marked so accepts only once the turn's
 * connections have been served: the slots and per-client counts that
 * finished connections give back are free before newcomers are counted. */
void loop_set_last(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb);
/* Arm (or re-arm) t to fire at when_ms. 0, or -1 when out of memory. */
int loop_timer_set(struct loop *loop, struct loop_timer *t, int64_t when_ms);
void loop_timer_cancel(struct loop *loop, struct loop_timer *t);

static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_slot != LOOP_TIMER_IDLE;
}

/* The start of struct loop, which is otherwise private to loop.c: the clock,
 * read on every request and every deadline, is read inline. */
struct loop_clock {
	int64_t now_ms;
};

/* Milliseconds on a monotonic clock, as of the current loop turn. */
static inline int64_t loop_now(const struct loop *loop)
{
	return ((const struct loop_clock *)(const void *)loop)->now_ms;
}

/* Called once per turn, after the callbacks of the turn and before select()
 * waits again: work that must not run inside a callback (admitting waiting
 * connections when slots were freed) is done here, never re-entrantly. */
typedef void (*loop_hook_cb)(struct loop *loop, void *arg);
void loop_set_before_wait(struct loop *loop, loop_hook_cb cb, void *arg);

/* Run until loop_stop(); -1 if select() fails for a reason other than EINTR. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

#endif
