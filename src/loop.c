#include "autoconfig.h"

#include "loop.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/select.h>
#include <time.h>

/* Walk the ready sets a word at a time: at 1,000 watched fds most words are 0.
 * The union reads fd_set as the bit array of longs that glibc and musl define. */
_Static_assert(sizeof(fd_set) == FD_SETSIZE / 8, "fd_set is a plain bit array");
enum { WORD_BITS = 8 * sizeof(unsigned long), WORDS = FD_SETSIZE / WORD_BITS };
union fd_words {
	fd_set set;
	unsigned long word[WORDS];
};

struct loop_io {
	loop_io_cb cb;
	void *arg;
	unsigned events;
	bool used;
};

struct loop {
	struct loop_clock clock; /* first: loop_now() reads it (loop.h) */

	/* Master sets, updated as interest changes and copied for each select(). */
	union fd_words readers;
	union fd_words writers;
	union fd_words last; /* dispatched after the others (loop_set_last) */
	int maxfd;           /* highest registered fd, -1 when none */
	struct loop_io io[FD_SETSIZE];

	/* Binary min-heap of armed timers, ordered by when_ms. */
	struct loop_timer **heap;
	size_t heap_len;
	size_t heap_cap;

	bool stopped;

	loop_hook_cb before_wait;
	void *before_wait_arg;
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof *loop);
	if (loop == NULL)
		return NULL;
	FD_ZERO(&loop->readers.set);
	FD_ZERO(&loop->writers.set);
	FD_ZERO(&loop->last.set);
	loop->maxfd = -1;
	loop->clock.now_ms = monotonic_ms();
	return loop;
}

void loop_free(struct loop *loop)
{
	if (loop == NULL)
		return;
	free(loop->heap);
	free(loop);
}

static void apply_events(struct loop *loop, int fd, unsigned events)
{
	if (events & LOOP_READ)
		FD_SET(fd, &loop->readers.set);
	else
		FD_CLR(fd, &loop->readers.set);
	if (events & LOOP_WRITE)
		FD_SET(fd, &loop->writers.set);
	else
		FD_CLR(fd, &loop->writers.set);
	loop->io[fd].events = events;
}

int loop_add(struct loop *loop, int fd, unsigned events, loop_io_cb cb, void *arg)
{
	if (fd < 0 || fd >= FD_SETSIZE) {
		errno = EBADF;
		return -1;
	}
	if (loop->io[fd].used) {
		errno = EEXIST;
		return -1;
	}
	loop->io[fd] = (struct loop_io){.cb = cb, .arg = arg, .used = true};
	apply_events(loop, fd, events);
	if (fd > loop->maxfd)
		loop->maxfd = fd;
	return 0;
}

void loop_set_events(struct loop *loop, int fd, unsigned events)
{
	if (fd >= 0 && fd < FD_SETSIZE && loop->io[fd].used && loop->io[fd].events != events)
		apply_events(loop, fd, events);
}

void loop_remove(struct loop *loop, int fd)
{
	if (fd < 0 || fd >= FD_SETSIZE || !loop->io[fd].used)
		return;
	apply_events(loop, fd, 0);
	FD_CLR(fd, &loop->last.set);
	loop->io[fd] = (struct loop_io){0};
	while (loop->maxfd >= 0 && !loop->io[loop->maxfd].used)
		loop->maxfd--;
}

void loop_set_last(struct loop *loop, int fd)
{
	if (fd >= 0 && fd < FD_SETSIZE && loop->io[fd].used)
		FD_SET(fd, &loop->last.set);
}

/* ------------------------------------------------------------------ timers */

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb)
{
	t->when_ms = 0;
	t->heap_slot = LOOP_TIMER_IDLE;
	t->cb = cb;
}

static void heap_place(struct loop *loop, size_t slot, struct loop_timer *t)
{
	loop->heap[slot] = t;
	t->heap_slot = slot;
}

static void heap_sift_up(struct loop *loop, size_t slot)
{
	struct loop_timer *t = loop->heap[slot];
	while (slot > 0) {
		size_t parent = (slot - 1) / 2;
		if (loop->heap[parent]->key_ms <= t->key_ms)
			break;
		heap_place(loop, slot, loop->heap[parent]);
		slot = parent;
	}
	heap_place(loop, slot, t);
}

static void heap_sift_down(struct loop *loop, size_t slot)
{
	struct loop_timer *t = loop->heap[slot];
	for (;;) {
		size_t child = 2 * slot + 1;
		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    loop->heap[child + 1]->key_ms < loop->heap[child]->key_ms)
			child++;
		if (t->key_ms <= loop->heap[child]->key_ms)
			break;
		heap_place(loop, slot, loop->heap[child]);
		slot = child;
	}
	heap_place(loop, slot, t);
}

static int heap_grow(struct loop *loop)
{
	size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
	struct loop_timer **heap = realloc(loop->heap, cap * sizeof(struct loop_timer *));
	if (heap == NULL)
		return -1;
	loop->heap = heap;
	loop->heap_cap = cap;
	return 0;
}

int loop_timer_set(struct loop *loop, struct loop_timer *t, int64_t when_ms)
{
	if (loop_timer_armed(t)) {
		t->when_ms = when_ms;
		if (when_ms >= t->key_ms)
			return 0; /* later: see key_ms */
		t->key_ms = when_ms;
		heap_sift_up(loop, t->heap_slot);
		return 0;
	}
	if (loop->heap_len == loop->heap_cap && heap_grow(loop) < 0)
		return -1;
	t->when_ms = t->key_ms = when_ms;
	heap_place(loop, loop->heap_len++, t);
	heap_sift_up(loop, t->heap_slot);
	return 0;
}

void loop_timer_cancel(struct loop *loop, struct loop_timer *t)
{
	if (!loop_timer_armed(t))
		return;
	size_t slot = t->heap_slot;
	t->heap_slot = LOOP_TIMER_IDLE;
	struct loop_timer *last = loop->heap[--loop->heap_len];
	if (slot == loop->heap_len)
		return;
	heap_place(loop, slot, last);
	heap_sift_up(loop, slot);
	heap_sift_down(loop, last->heap_slot);
}

static void run_expired_timers(struct loop *loop)
{
	while (loop->heap_len > 0 && loop->heap[0]->key_ms <= loop->clock.now_ms &&
	       !loop->stopped) {
		struct loop_timer *t = loop->heap[0];
		/* Moved later since it was placed: to its place now, so that timers
		 * due in the same turn still fire in deadline order. */
		if (t->key_ms != t->when_ms) {
			t->key_ms = t->when_ms;
			heap_sift_down(loop, 0);
			continue;
		}
		loop_timer_cancel(loop, t);
		t->cb(loop, t);
	}
}

_Static_assert(offsetof(struct loop, clock) == 0, "loop_now() reads the clock at the start");

/* --------------------------------------------------------------- the loop */

static struct timeval *select_timeout(struct loop *loop, struct timeval *tv)
{
	if (loop->heap_len == 0)
		return NULL;
	/* The first place may belong to a deadline moved later: waking then
	 * costs one turn, once, and the timer takes its right place. */
	int64_t wait_ms = loop->heap[0]->key_ms - loop->clock.now_ms;
	if (wait_ms < 0)
		wait_ms = 0;
	tv->tv_sec = wait_ms / 1000;
	tv->tv_usec = (wait_ms % 1000) * 1000;
	return tv;
}

/* One pass over the ready words: the fds marked last, or all the others.
 * `last` is read as it is now, not as it was when select() returned: a fd
 * re-registered by a callback of the first pass may be called with the
 * readiness of its previous owner, as any re-registered fd can. Returns
 * whether any fd marked last was ready (read in the first pass, so that the
 * second is skipped in the common turn, with no listener ready). */
static bool dispatch_pass(struct loop *loop, const union fd_words *rd, const union fd_words *wr,
                          int nfds, bool last)
{
	bool last_ready = false;
	for (int word = 0; word * WORD_BITS < nfds; word++) {
		unsigned long any = rd->word[word] | wr->word[word];
		unsigned long mask_last = loop->last.word[word];
		last_ready |= (any & mask_last) != 0;
		unsigned long ready = any & (last ? mask_last : ~mask_last);
		while (ready != 0 && !loop->stopped) {
			int bit = __builtin_ctzl(ready);
			ready &= ready - 1;
			int fd = word * WORD_BITS + bit;
			unsigned long mask = 1UL << bit;
			unsigned events = ((rd->word[word] & mask) ? LOOP_READ : 0) |
			                  ((wr->word[word] & mask) ? LOOP_WRITE : 0);
			/* An earlier callback in this turn may have removed or
			 * re-registered fd: deliver only what is still wanted. */
			struct loop_io *io = &loop->io[fd];
			events &= io->used ? io->events : 0;
			if (events != 0)
				io->cb(loop, fd, events, io->arg);
		}
	}
	return last_ready;
}

int loop_run(struct loop *loop)
{
	loop->stopped = false;
	while (!loop->stopped) {
		if (loop->before_wait != NULL) {
			loop->before_wait(loop, loop->before_wait_arg);
			if (loop->stopped)
				break;
		}
		union fd_words rd = loop->readers, wr = loop->writers;
		struct timeval tv;
		int nfds = loop->maxfd + 1;
		int n = select(nfds, &rd.set, &wr.set, NULL, select_timeout(loop, &tv));
		loop->clock.now_ms = monotonic_ms();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n > 0 && dispatch_pass(loop, &rd, &wr, nfds, false))
			dispatch_pass(loop, &rd, &wr, nfds, true);
		run_expired_timers(loop);
	}
	return 0;
}

void loop_set_before_wait(struct loop *loop, loop_hook_cb cb, void *arg)
{
	loop->before_wait = cb;
	loop->before_wait_arg = arg;
}

void loop_stop(struct loop *loop)
{
	loop->stopped = true;
}
