#include "autoconfig.h"

#include "container.h"
#include "loop.h"

#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Most tests arm their timers in the past, relative to the loop's clock: they
 * are all due on the first turn, so loop_run fires them in heap order at once
 * and nothing waits. A stop timer due after all of them ends the run; a guard
 * timer one real second ahead ends it if something never fires. */

enum { MANY = 1000, SPAN = 500000 };

struct probe {
	struct loop_timer timer;
	size_t id;
	int64_t due;      /* the deadline it was last armed for */
	bool armed;       /* what the test expects loop_timer_armed() to say */
	unsigned fired;   /* times its callback ran */
	int64_t fired_at; /* loop_now() then */
};

static struct probe probes[MANY];

/* The ids of the probes that fired, in order (a probe may fire more than once). */
static struct {
	size_t ids[4 * MANY];
	size_t n;
} log_;

static bool guard_fired;

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: a fixed seed makes every run the same sequence. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static size_t below(size_t n)
{
	return rnd() % n;
}

static void on_probe(struct loop *loop, struct loop_timer *t)
{
	struct probe *p = container_of(t, struct probe, timer);
	ck_assert_msg(!loop_timer_armed(t), "timer %zu still armed in its callback", p->id);
	ck_assert_msg(t->when_ms <= loop_now(loop), "timer %zu fired before its deadline", p->id);
	ck_assert_msg(t->when_ms == p->due, "timer %zu fired for %lld, armed last for %lld", p->id,
	              (long long)t->when_ms, (long long)p->due);
	ck_assert_uint_lt(log_.n, sizeof log_.ids / sizeof log_.ids[0]);
	log_.ids[log_.n++] = p->id;
	p->armed = false;
	p->fired++;
	p->fired_at = loop_now(loop);
}

static void on_stop(struct loop *loop, struct loop_timer *t)
{
	(void)t;
	loop_stop(loop);
}

static void on_guard(struct loop *loop, struct loop_timer *t)
{
	(void)t;
	guard_fired = true;
	loop_stop(loop);
}

static struct loop *new_loop(size_t n, uint64_t seed)
{
	struct loop *loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	for (size_t i = 0; i < n; i++) {
		probes[i] = (struct probe){.id = i};
		loop_timer_init(&probes[i].timer, on_probe);
	}
	log_.n = 0;
	guard_fired = false;
	rng_state = seed;
	return loop;
}

/* Deadlines well in the past: due at once, and far from the clock's origin. */
static int64_t past(const struct loop *loop)
{
	return loop_now(loop) - 10 * (int64_t)SPAN;
}

static void arm(struct loop *loop, struct probe *p, int64_t due)
{
	ck_assert_int_eq(loop_timer_set(loop, &p->timer, due), 0);
	p->due = due;
	p->armed = true;
}

static void cancel(struct loop *loop, struct probe *p)
{
	loop_timer_cancel(loop, &p->timer);
	p->armed = false;
	ck_assert_msg(!loop_timer_armed(&p->timer), "timer %zu armed after its cancel", p->id);
}

/* heap_slot is where loop.c keeps each armed timer in its binary min-heap,
 * ordered by key_ms (never later than the deadline, when_ms): the armed
 * timers fill slots 0..count-1, one each, and no key is before its parent's.
 * Checked from the timers alone, after any operation. */
static void check_heap(size_t n)
{
	/* Plain ifs: a ck_assert per timer per operation would be millions of
	 * Check calls. */
	static const struct probe *by_slot[MANY];
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (loop_timer_armed(&probes[i].timer) != probes[i].armed)
			ck_abort_msg("timer %zu: loop_timer_armed() is %d", i, !probes[i].armed);
		if (probes[i].armed)
			by_slot[count++] = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!probes[i].armed)
			continue;
		size_t slot = probes[i].timer.heap_slot;
		if (slot >= count)
			ck_abort_msg("timer %zu in slot %zu of %zu", i, slot, count);
		if (by_slot[slot] != NULL)
			ck_abort_msg("timers %zu and %zu share slot %zu", by_slot[slot]->id, i,
			             slot);
		if (probes[i].timer.key_ms > probes[i].timer.when_ms)
			ck_abort_msg("timer %zu placed after its deadline", i);
		by_slot[slot] = &probes[i];
	}
	for (size_t s = 1; s < count; s++)
		if (by_slot[(s - 1) / 2]->timer.key_ms > by_slot[s]->timer.key_ms)
			ck_abort_msg("slot %zu is placed before its parent", s);
}

/* Run the loop until something stops it, at the latest when a timer due at
 * stop_at fires; true if that timer is what stopped it. */
static bool run_until(struct loop *loop, int64_t stop_at)
{
	struct loop_timer stop, guard;
	loop_timer_init(&stop, on_stop);
	loop_timer_init(&guard, on_guard);
	ck_assert_int_eq(loop_timer_set(loop, &stop, stop_at), 0);
	ck_assert_int_eq(loop_timer_set(loop, &guard, loop_now(loop) + 1000), 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_msg(!guard_fired, "the loop ran for a second without stopping");
	bool stopped_by_timer = !loop_timer_armed(&stop);
	loop_timer_cancel(loop, &stop);
	loop_timer_cancel(loop, &guard);
	return stopped_by_timer;
}

/* Run the loop until every timer due by `last` has fired. */
static void run_due(struct loop *loop, int64_t last)
{
	ck_assert_msg(run_until(loop, last + 1), "the loop stopped before the stop timer");
}

/* Every armed probe fired once, the others never, and in deadline order. */
static void check_fired(size_t n, const bool *expected)
{
	size_t want = 0;
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(probes[i].fired == (expected[i] ? 1u : 0u),
		              "timer %zu fired %u times", i, probes[i].fired);
		ck_assert_msg(!loop_timer_armed(&probes[i].timer), "timer %zu still armed", i);
		want += expected[i];
	}
	ck_assert_uint_eq(log_.n, want);
	for (size_t k = 1; k < log_.n; k++)
		ck_assert_msg(probes[log_.ids[k - 1]].due <= probes[log_.ids[k]].due,
		              "timer %zu (due %lld) fired after timer %zu (due %lld)",
		              log_.ids[k - 1], (long long)probes[log_.ids[k - 1]].due, log_.ids[k],
		              (long long)probes[log_.ids[k]].due);
}

/* Run until everything armed has fired, then check as above. */
static void run_and_check(struct loop *loop, size_t n)
{
	static bool expected[MANY];
	int64_t last = past(loop);
	for (size_t i = 0; i < n; i++) {
		expected[i] = probes[i].armed;
		if (probes[i].armed && probes[i].due > last)
			last = probes[i].due;
	}
	run_due(loop, last);
	check_fired(n, expected);
}

/* ------------------------------------------------------- arming orders */

enum order { RANDOM, ASCENDING, DESCENDING, ALL_EQUAL, ZIGZAG, FEW_VALUES, ORDERS };

static int64_t offset_for(enum order order, size_t i, size_t n)
{
	switch (order) {
	case RANDOM:
		return (int64_t)below(SPAN);
	case ASCENDING:
		return (int64_t)i;
	case DESCENDING:
		return (int64_t)(n - i);
	case ALL_EQUAL:
		return 7;
	case ZIGZAG:
		return (int64_t)(i % 2 ? n - i : i);
	case FEW_VALUES:
	default:
		return (int64_t)below(4);
	}
}

START_TEST(test_fire_in_deadline_order)
{
	struct loop *loop = new_loop(MANY, 0x9e3779b97f4a7c15ULL + (uint64_t)_i);
	int64_t base = past(loop);
	for (size_t i = 0; i < MANY; i++) {
		arm(loop, &probes[i], base + offset_for((enum order)_i, i, MANY));
		check_heap(i + 1);
	}
	run_and_check(loop, MANY);
	loop_free(loop);
}
END_TEST

/* ------------------------------------------------------------- cancel */

enum cancel_pick { CANCEL_RANDOM, CANCEL_ROOT, CANCEL_LAST_SLOT, CANCEL_PICKS };

static struct probe *armed_in_slot(size_t slot)
{
	for (size_t i = 0; i < MANY; i++)
		if (probes[i].armed && probes[i].timer.heap_slot == slot)
			return &probes[i];
	return NULL;
}

static size_t armed_count(void)
{
	size_t count = 0;
	for (size_t i = 0; i < MANY; i++)
		count += probes[i].armed;
	return count;
}

START_TEST(test_cancelled_never_fire)
{
	struct loop *loop = new_loop(MANY, 0x1234567ULL + (uint64_t)_i);
	int64_t base = past(loop);
	for (size_t i = 0; i < MANY; i++)
		arm(loop, &probes[i], base + (int64_t)below(SPAN));
	/* Cancel half, picked at random, or always the next to fire, or always
	 * the one at the end of the heap. */
	for (size_t k = 0; k < MANY / 2; k++) {
		struct probe *victim;
		if (_i == CANCEL_ROOT) {
			victim = armed_in_slot(0);
		} else if (_i == CANCEL_LAST_SLOT) {
			victim = armed_in_slot(armed_count() - 1);
		} else {
			do
				victim = &probes[below(MANY)];
			while (!victim->armed);
		}
		ck_assert_ptr_nonnull(victim);
		cancel(loop, victim);
		if (k % 50 == 0) {
			cancel(loop, victim); /* a second cancel changes nothing */
			check_heap(MANY);
		}
	}
	check_heap(MANY);
	run_and_check(loop, MANY);
	loop_free(loop);
}
END_TEST

START_TEST(test_cancel_idle_timer_is_harmless)
{
	struct loop *loop = new_loop(3, 7);
	int64_t base = past(loop);
	cancel(loop, &probes[0]); /* never armed */
	arm(loop, &probes[1], base + 2);
	arm(loop, &probes[2], base + 1);
	cancel(loop, &probes[0]);
	check_heap(3);
	run_and_check(loop, 3);
	cancel(loop, &probes[1]); /* already fired */
	check_heap(3);
	loop_free(loop);
}
END_TEST

/* ------------------------------------------------------------- re-arm */

/* A deadline moved later stays where it is in the heap (a connection moves
 * its deadline twice per request: no heap work for that), fires at its new
 * time and not at its old one, and still in order with a timer due between. */
START_TEST(test_deadline_moved_later_keeps_its_place)
{
	struct loop *loop = new_loop(3, 7);
	int64_t base = loop_now(loop);
	arm(loop, &probes[0], base + 20);
	arm(loop, &probes[1], base + 30);
	arm(loop, &probes[2], base + 40);
	size_t slot = probes[0].timer.heap_slot;
	arm(loop, &probes[0], base + 60);
	ck_assert_uint_eq(probes[0].timer.heap_slot, slot);
	check_heap(3);
	ck_assert(run_until(loop, base + 50));
	ck_assert_uint_eq(probes[0].fired, 0);
	ck_assert_uint_eq(log_.n, 2);
	ck_assert_uint_eq(log_.ids[0], 1);
	ck_assert_uint_eq(log_.ids[1], 2);
	run_due(loop, base + 60);
	ck_assert_uint_eq(probes[0].fired, 1);
	ck_assert_int_ge(loop_now(loop), base + 60);
	loop_free(loop);
}
END_TEST

START_TEST(test_rearmed_fire_once_at_new_time)
{
	struct loop *loop = new_loop(MANY, 0xdeadbeefULL);
	int64_t base = past(loop);
	for (size_t i = 0; i < MANY; i++)
		arm(loop, &probes[i], base + (int64_t)below(SPAN));
	/* Ten rounds over a random third of them: later, earlier or the same,
	 * by at most SPAN / 10 each time. */
	for (int round = 0; round < 10; round++) {
		for (size_t k = 0; k < MANY / 3; k++) {
			struct probe *p = &probes[below(MANY)];
			int64_t due = p->due;
			switch (below(3)) {
			case 0:
				due += (int64_t)below(SPAN / 10) + 1;
				break;
			case 1:
				due -= (int64_t)below(SPAN / 10) + 1;
				break;
			default:
				break;
			}
			arm(loop, p, due);
		}
		check_heap(MANY);
	}
	/* The next to fire pushed last, and the last pulled first. */
	struct probe *root = armed_in_slot(0), *leaf = armed_in_slot(MANY - 1);
	arm(loop, root, base + 3 * (int64_t)SPAN);
	arm(loop, leaf, base - 2 * (int64_t)SPAN);
	check_heap(MANY);
	run_and_check(loop, MANY);
	ck_assert_uint_eq(log_.ids[0], leaf->id);
	ck_assert_uint_eq(log_.ids[MANY - 1], root->id);
	loop_free(loop);
}
END_TEST

/* --------------------------------------------- any mix of operations */

START_TEST(test_random_operations_keep_the_heap)
{
	enum { TIMERS = 300, OPERATIONS = 20000 };
	struct loop *loop = new_loop(TIMERS, 0xfeedfaceULL + (uint64_t)_i);
	int64_t base = past(loop);
	for (int op = 0; op < OPERATIONS; op++) {
		struct probe *p = &probes[below(TIMERS)];
		if (below(3) == 0)
			cancel(loop, p);
		else
			arm(loop, p, base + (int64_t)below(below(2) ? SPAN : 8));
		check_heap(TIMERS);
	}
	run_and_check(loop, TIMERS);
	loop_free(loop);
}
END_TEST

/* --------------------------------------- changes from inside a callback */

static struct probe *cancelled_by_first, *rearmed_by_first, *armed_by_first;

static void on_first(struct loop *loop, struct loop_timer *t)
{
	int64_t at = t->when_ms;
	on_probe(loop, t);
	cancel(loop, cancelled_by_first);
	arm(loop, rearmed_by_first, at + 10);
	arm(loop, armed_by_first, at + 5);
}

START_TEST(test_callback_cancels_and_arms_others_due_now)
{
	struct loop *loop = new_loop(4, 1);
	int64_t base = past(loop);
	probes[0].timer.cb = on_first;
	cancelled_by_first = &probes[1];
	rearmed_by_first = &probes[2];
	armed_by_first = &probes[3];
	arm(loop, &probes[0], base + 1);
	arm(loop, &probes[1], base + 2); /* due in the same turn, cancelled first */
	arm(loop, &probes[2], base + 3);
	run_due(loop, base + 11);
	ck_assert_uint_eq(log_.n, 3);
	ck_assert_uint_eq(log_.ids[0], 0);
	ck_assert_uint_eq(log_.ids[1], 3);
	ck_assert_uint_eq(log_.ids[2], 2);
	ck_assert_uint_eq(probes[1].fired, 0);
	loop_free(loop);
}
END_TEST

static void on_periodic(struct loop *loop, struct loop_timer *t)
{
	struct probe *p = container_of(t, struct probe, timer);
	on_probe(loop, t);
	if (p->fired < 5)
		arm(loop, p, t->when_ms + 1);
}

START_TEST(test_callback_rearms_itself)
{
	struct loop *loop = new_loop(1, 1);
	int64_t base = past(loop);
	probes[0].timer.cb = on_periodic;
	arm(loop, &probes[0], base);
	run_due(loop, base + 100);
	ck_assert_uint_eq(probes[0].fired, 5);
	ck_assert_uint_eq(log_.n, 5);
	ck_assert(!loop_timer_armed(&probes[0].timer));
	ck_assert_int_eq(probes[0].due, base + 4);
	loop_free(loop);
}
END_TEST

/* ----------------------------------------------------- real deadlines */

START_TEST(test_future_timer_waits_for_its_deadline)
{
	struct loop *loop = new_loop(1, 1);
	int64_t start = loop_now(loop);
	arm(loop, &probes[0], start + 60);
	run_due(loop, start + 10);
	ck_assert_int_ge(loop_now(loop), start + 11);
	ck_assert_uint_eq(probes[0].fired, 0);
	ck_assert(loop_timer_armed(&probes[0].timer));
	run_due(loop, start + 80);
	ck_assert_uint_eq(probes[0].fired, 1);
	ck_assert_int_ge(probes[0].fired_at, start + 60);
	loop_free(loop);
}
END_TEST

/* ------------------------------------------------------ fd registration */

static void on_io_unexpected(struct loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	(void)arg;
	ck_abort_msg("callback for fd %d (events %u), which is not wanted", fd, events);
}

START_TEST(test_add_refuses_fds_select_cannot_watch)
{
	struct loop *loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	const int bad[] = {-1, -2, INT_MIN, LOOP_MAX_FD, LOOP_MAX_FD + 1, INT_MAX};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		ck_assert_int_eq(loop_add(loop, bad[i], LOOP_READ, on_io_unexpected, NULL), -1);
		ck_assert_msg(errno == EBADF, "loop_add(%d): errno %d, not EBADF", bad[i], errno);
		/* Out of range for these too: they must not touch the tables. */
		loop_set_events(loop, bad[i], LOOP_READ | LOOP_WRITE);
		loop_remove(loop, bad[i]);
	}
	/* The highest fd select() can watch is accepted (never run with it). */
	ck_assert_int_eq(loop_add(loop, LOOP_MAX_FD - 1, 0, on_io_unexpected, NULL), 0);
	loop_remove(loop, LOOP_MAX_FD - 1);
	loop_free(loop);
}
END_TEST

START_TEST(test_add_refuses_watched_fd)
{
	struct loop *loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(loop_add(loop, p[0], LOOP_READ, on_io_unexpected, NULL), 0);
	errno = 0;
	ck_assert_int_eq(loop_add(loop, p[0], LOOP_WRITE, on_io_unexpected, NULL), -1);
	ck_assert_int_eq(errno, EEXIST);
	loop_remove(loop, p[0]);
	ck_assert_int_eq(loop_add(loop, p[0], LOOP_READ, on_io_unexpected, NULL), 0);
	loop_remove(loop, p[0]);
	close(p[0]);
	close(p[1]);
	loop_free(loop);
}
END_TEST

static unsigned io_calls, io_events;

static void on_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	ck_assert_ptr_eq(arg, &io_calls);
	ck_assert_int_ge(fd, 0);
	io_calls++;
	io_events = events;
	loop_stop(loop);
}

START_TEST(test_events_are_delivered_only_while_wanted)
{
	struct loop *loop = new_loop(0, 1);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(loop_add(loop, p[0], LOOP_READ, on_readable, &io_calls), 0);
	ck_assert(!run_until(loop, loop_now(loop) + 500));
	ck_assert_uint_eq(io_calls, 1);
	ck_assert_uint_eq(io_events, LOOP_READ);
	/* Still readable, but no longer wanted, then no longer watched. */
	loop_set_events(loop, p[0], 0);
	run_due(loop, loop_now(loop) + 20);
	loop_set_events(loop, p[0], LOOP_READ);
	loop_remove(loop, p[0]);
	run_due(loop, loop_now(loop) + 20);
	ck_assert_uint_eq(io_calls, 1);
	close(p[0]);
	close(p[1]);
	loop_free(loop);
}
END_TEST

/* Two pipes, each with a byte to read: their read ends are ready at once. */
struct pipe_pair {
	int a[2], b[2];
	int low, high; /* the read ends, by number */
};

static void pipe_pair_open(struct pipe_pair *p)
{
	ck_assert_int_eq(pipe(p->a), 0);
	ck_assert_int_eq(pipe(p->b), 0);
	ck_assert_int_eq(write(p->a[1], "x", 1), 1);
	ck_assert_int_eq(write(p->b[1], "x", 1), 1);
	p->low = p->a[0] < p->b[0] ? p->a[0] : p->b[0];
	p->high = p->a[0] < p->b[0] ? p->b[0] : p->a[0];
}

static void pipe_pair_close(struct pipe_pair *p)
{
	close(p->a[0]);
	close(p->a[1]);
	close(p->b[0]);
	close(p->b[1]);
}

/* Two fds ready in the same turn: the callback of the first (the lower fd)
 * stops watching the second, whose readiness select() already reported. */
static int second_fd;
static unsigned first_calls;

static void on_first_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	(void)events;
	(void)arg;
	first_calls++;
	loop_set_events(loop, fd, 0);
	if (first_calls == 1)
		loop_set_events(loop, second_fd, 0);
	else
		loop_remove(loop, second_fd);
}

START_TEST(test_callback_unwatches_fd_ready_in_the_same_turn)
{
	struct loop *loop = new_loop(0, 1);
	struct pipe_pair p;
	pipe_pair_open(&p);
	second_fd = p.high;
	/* Round 0: the second is left registered with no events; round 1: removed. */
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(loop_add(loop, p.low, LOOP_READ, on_first_readable, NULL), 0);
		ck_assert_int_eq(loop_add(loop, second_fd, LOOP_READ, on_io_unexpected, NULL), 0);
		ck_assert(run_until(loop, loop_now(loop) + 20));
		ck_assert_uint_eq(first_calls, (unsigned)round + 1);
		loop_remove(loop, p.low);
		loop_remove(loop, second_fd);
	}
	pipe_pair_close(&p);
	loop_free(loop);
}
END_TEST

/* Two fds ready in the same turn, the lower one marked last in some rounds:
 * its callback then runs after the higher one's, else in the ready set's order. */
static int order[2];
static unsigned order_len;

static void on_record_order(struct loop *loop, int fd, unsigned events, void *arg)
{
	(void)events;
	(void)arg;
	if (order_len < 2)
		order[order_len++] = fd;
	loop_set_events(loop, fd, 0);
	if (order_len == 2)
		loop_stop(loop);
}

START_TEST(test_fd_marked_last_is_dispatched_after_the_others)
{
	struct loop *loop = new_loop(0, 1);
	struct pipe_pair p;
	pipe_pair_open(&p);
	/* Unmarked; marked; registered again after removal, which forgets the mark. */
	static const bool marked[] = {false, true, false};
	for (size_t round = 0; round < sizeof marked / sizeof marked[0]; round++) {
		order_len = 0;
		ck_assert_int_eq(loop_add(loop, p.low, LOOP_READ, on_record_order, NULL), 0);
		ck_assert_int_eq(loop_add(loop, p.high, LOOP_READ, on_record_order, NULL), 0);
		if (marked[round])
			loop_set_last(loop, p.low);
		ck_assert(!run_until(loop, loop_now(loop) + 500));
		ck_assert_uint_eq(order_len, 2);
		ck_assert_int_eq(order[0], (marked[round] ? p.high : p.low));
		ck_assert_int_eq(order[1], (marked[round] ? p.low : p.high));
		loop_remove(loop, p.low);
		loop_remove(loop, p.high);
	}
	pipe_pair_close(&p);
	loop_free(loop);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *timers = tcase_create("timers");
	tcase_set_timeout(timers, 60);
	tcase_add_loop_test(timers, test_fire_in_deadline_order, 0, ORDERS);
	tcase_add_loop_test(timers, test_cancelled_never_fire, 0, CANCEL_PICKS);
	tcase_add_test(timers, test_cancel_idle_timer_is_harmless);
	tcase_add_test(timers, test_rearmed_fire_once_at_new_time);
	tcase_add_test(timers, test_deadline_moved_later_keeps_its_place);
	tcase_add_loop_test(timers, test_random_operations_keep_the_heap, 0, 3);
	tcase_add_test(timers, test_callback_cancels_and_arms_others_due_now);
	tcase_add_test(timers, test_callback_rearms_itself);
	tcase_add_test(timers, test_future_timer_waits_for_its_deadline);
	suite_add_tcase(s, timers);
	TCase *fds = tcase_create("fds");
	tcase_set_timeout(fds, 10);
	tcase_add_test(fds, test_add_refuses_fds_select_cannot_watch);
	tcase_add_test(fds, test_add_refuses_watched_fd);
	tcase_add_test(fds, test_events_are_delivered_only_while_wanted);
	tcase_add_test(fds, test_callback_unwatches_fd_ready_in_the_same_turn);
	tcase_add_test(fds, test_fd_marked_last_is_dispatched_after_the_others);
	suite_add_tcase(s, fds);
	return check_run(s);
}
