/* metrics — what the server counts, and its rendering in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * Each process counts in a slot of its own, with plain increments (one
 * thread per process: no atomics needed). With workers the slots live in one
 * shared mapping made before the workers are forked, so that any worker can
 * render the whole server's figures by adding the slots up; a worker that is
 * replaced keeps counting in its predecessor's slot, so counters never go
 * back. Rendering is pure: slots in, text out. */
#ifndef SWITCHBOARD_METRICS_H
#define SWITCHBOARD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"

enum metrics_method { METRICS_GET, METRICS_HEAD, METRICS_OTHER_METHOD, METRICS_METHODS };

/* Why a connection was refused before it was read. */
enum metrics_refusal {
	METRICS_REFUSED_PER_CLIENT, /* the client's address was at its cap */
	METRICS_REFUSED_FD_SETSIZE, /* its descriptor was beyond select()'s reach */
	METRICS_REFUSED_EMFILE,     /* out of descriptors */
	METRICS_REFUSALS
};

enum metrics_cache { METRICS_CACHE_HIT, METRICS_CACHE_MISS, METRICS_CACHE_RESULTS };

/* Why a connection on a proxy_protocol listener was closed before a request. */
enum metrics_proxy_error {
	METRICS_PROXY_UNTRUSTED,   /* from an address not in proxy_trusted */
	METRICS_PROXY_NO_HEADER,   /* it did not begin with a PROXY header */
	METRICS_PROXY_MALFORMED,   /* a header that breaks the specification */
	METRICS_PROXY_OVERSIZED,   /* a header past its bound */
	METRICS_PROXY_UNSUPPORTED, /* another version, or a datagram flow */
	METRICS_PROXY_TRUNCATED,   /* the header did not complete before the deadline or EOF */
	METRICS_PROXY_ERRORS
};

/* The request faults counted by status: 400, 408, 413, 414, 431, 501, 505. */
#define METRICS_FAULT_STATUSES 7

/* Request durations, by the upper bounds (in milliseconds) of the
 * histogram's buckets: 1, 5, 10, 50, 100, 500, 1000, 5000, then the rest. */
#define METRICS_DURATION_BUCKETS 9

struct metrics {
	uint64_t requests[METRICS_METHODS][5]; /* by status class 1xx..5xx */
	uint64_t response_bytes;               /* head and body bytes sent */
	uint64_t accepted;
	uint64_t evicted;
	uint64_t refused[METRICS_REFUSALS];
	uint64_t faults[METRICS_FAULT_STATUSES];
	uint64_t cache[METRICS_CACHE_RESULTS];
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	uint64_t worker_restarts;
	uint64_t log_lines_dropped;
	uint64_t proxy_errors[METRICS_PROXY_ERRORS];
	uint64_t durations[METRICS_DURATION_BUCKETS]; /* per bucket, not cumulative */
	uint64_t duration_ms_sum;
	/* Gauges: this process's figures now. */
	int64_t active;
	int64_t waiting;
	bool draining;
	bool in_use; /* the slot belongs to a running process */
};

/* This process's slot: counted into directly on the hot path. */
extern struct metrics *metrics;

/* Room for slots processes (the supervisor and its workers), shared when more
 * than one; this process takes slot 0. -1 when the mapping cannot be made. */
int metrics_init(unsigned slots);

/* In a worker just forked: count in slot i (1..slots-1), from where the
 * process it replaces left off. */
void metrics_use_slot(unsigned i);

/* The slots, for rendering (count: how many). */
const struct metrics *metrics_slots(unsigned *count);

/* Count one answered request (status, method) and the bytes it sent. */
void metrics_count_response(struct metrics *m, int status, int method_class, uint64_t bytes);

/* Count one response's duration: from the loop turn in which its request was
 * complete to the one in which its last byte went to the kernel, in whole
 * milliseconds of the loop's clock (read once a turn, so no clock is read
 * for it). */
extern const int64_t metrics_duration_bounds_ms[METRICS_DURATION_BUCKETS - 1];

static inline void metrics_observe_duration(struct metrics *m, int64_t ms)
{
	size_t b = 0;
	while (b < METRICS_DURATION_BUCKETS - 1 && ms > metrics_duration_bounds_ms[b])
		b++;
	m->durations[b]++;
	m->duration_ms_sum += ms > 0 ? (uint64_t)ms : 0;
}

/* Count a request fault by its status (ignored when not one of the above). */
void metrics_count_fault(struct metrics *m, int status);

/* Append the exposition text for the sum of the slots. 0, or -1 when out of
 * memory. */
int metrics_render(const struct metrics *slots, unsigned count, struct buf *out);

#endif
