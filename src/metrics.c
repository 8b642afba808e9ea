#include "autoconfig.h"

#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* Before metrics_init (unit tests, -t): a slot of the process's own. */
static struct metrics own_slot;
struct metrics *metrics = &own_slot;

static struct metrics *slots = &own_slot;
static unsigned slot_count = 1;

int metrics_init(unsigned count)
{
	if (count <= 1) {
		memset(&own_slot, 0, sizeof own_slot);
		slots = metrics = &own_slot;
		slot_count = 1;
		metrics->in_use = true;
		return 0;
	}
	/* Anonymous and shared: inherited by every worker forked after this. */
	void *map = mmap(NULL, count * sizeof(struct metrics), PROT_READ | PROT_WRITE,
	                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -1;
	slots = metrics = map;
	slot_count = count;
	metrics->in_use = true;
	return 0;
}

void metrics_use_slot(unsigned i)
{
	if (i >= slot_count)
		return;
	metrics = &slots[i];
	/* Gauges describe the process now: its predecessor's are void. */
	metrics->active = metrics->waiting = 0;
	metrics->draining = false;
	metrics->in_use = true;
}

const struct metrics *metrics_slots(unsigned *count)
{
	*count = slot_count;
	return slots;
}

void metrics_count_response(struct metrics *m, int status, int method_class, uint64_t bytes)
{
	int class = status / 100 - 1;
	if (class >= 0 && class < 5 && method_class >= 0 && method_class < METRICS_METHODS)
		m->requests[method_class][class]++;
	m->response_bytes += bytes;
}

static const int fault_statuses[METRICS_FAULT_STATUSES] = {400, 408, 413, 414, 431, 501, 505};

void metrics_count_fault(struct metrics *m, int status)
{
	for (size_t i = 0; i < METRICS_FAULT_STATUSES; i++)
		if (fault_statuses[i] == status)
			m->faults[i]++;
}

/* ------------------------------------------------------------ rendering */

static void add_up(const struct metrics *in, unsigned count, struct metrics *sum)
{
	memset(sum, 0, sizeof *sum);
	for (unsigned s = 0; s < count; s++) {
		const struct metrics *m = &in[s];
		for (size_t i = 0; i < METRICS_METHODS; i++)
			for (size_t c = 0; c < 5; c++)
				sum->requests[i][c] += m->requests[i][c];
		for (size_t i = 0; i < METRICS_REFUSALS; i++)
			sum->refused[i] += m->refused[i];
		for (size_t i = 0; i < METRICS_FAULT_STATUSES; i++)
			sum->faults[i] += m->faults[i];
		for (size_t i = 0; i < METRICS_CACHE_RESULTS; i++)
			sum->cache[i] += m->cache[i];
		sum->response_bytes += m->response_bytes;
		sum->accepted += m->accepted;
		sum->evicted += m->evicted;
		sum->reloads_ok += m->reloads_ok;
		sum->reloads_failed += m->reloads_failed;
		sum->worker_restarts += m->worker_restarts;
		sum->log_lines_dropped += m->log_lines_dropped;
		for (size_t i = 0; i < METRICS_PROXY_ERRORS; i++)
			sum->proxy_errors[i] += m->proxy_errors[i];
		if (m->in_use) {
			sum->active += m->active;
			sum->waiting += m->waiting;
			sum->draining |= m->draining;
		}
	}
}

static int family(struct buf *out, const char *name, const char *type, const char *help)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int sample(struct buf *out, const char *name, const char *labels, uint64_t value)
{
	return buf_printf(out, "%s%s%s%s %" PRIu64 "\n", name, labels[0] ? "{" : "", labels,
	                  labels[0] ? "}" : "", value);
}

static int one(struct buf *out, const char *name, const char *type, const char *help,
               uint64_t value)
{
	return family(out, name, type, help) | sample(out, name, "", value);
}

static int render_requests(const struct metrics *m, struct buf *out)
{
	static const char *const methods[METRICS_METHODS] = {"GET", "HEAD", "other"};
	const char *name = "switchboard_requests_total";
	int rc = family(out, name, "counter", "Requests answered, by method and status class.");
	for (size_t i = 0; i < METRICS_METHODS; i++)
		for (size_t c = 0; c < 5; c++) {
			char labels[64];
			snprintf(labels, sizeof labels, "method=\"%s\",code=\"%zuxx\"", methods[i],
			         c + 1);
			rc |= sample(out, name, labels, m->requests[i][c]);
		}
	return rc;
}

static int render_connections(const struct metrics *m, struct buf *out)
{
	static const char *const causes[METRICS_REFUSALS] = {"per_client", "fd_setsize", "emfile"};
	int rc = one(out, "switchboard_connections_accepted_total", "counter",
	             "Connections accepted.", m->accepted);
	rc |= one(out, "switchboard_connections_active", "gauge", "Connections holding a slot now.",
	          (uint64_t)(m->active > 0 ? m->active : 0));
	rc |= one(out, "switchboard_connections_waiting", "gauge",
	          "Connections accepted while full, waiting for a slot now.",
	          (uint64_t)(m->waiting > 0 ? m->waiting : 0));
	rc |= one(out, "switchboard_connections_evicted_total", "counter",
	          "Connections closed to make room for another client.", m->evicted);
	const char *name = "switchboard_connections_refused_total";
	rc |= family(out, name, "counter",
	             "Connections refused with 503 before a request, by cause.");
	for (size_t i = 0; i < METRICS_REFUSALS; i++) {
		char labels[48];
		snprintf(labels, sizeof labels, "cause=\"%s\"", causes[i]);
		rc |= sample(out, name, labels, m->refused[i]);
	}
	return rc;
}

static int render_faults_and_cache(const struct metrics *m, struct buf *out)
{
	static const char *const results[METRICS_CACHE_RESULTS] = {"hit", "miss"};
	const char *name = "switchboard_request_faults_total";
	int rc = family(out, name, "counter",
	                "Requests refused as malformed, too large or unsupported, by status.");
	for (size_t i = 0; i < METRICS_FAULT_STATUSES; i++) {
		char labels[32];
		snprintf(labels, sizeof labels, "code=\"%d\"", fault_statuses[i]);
		rc |= sample(out, name, labels, m->faults[i]);
	}
	name = "switchboard_file_cache_lookups_total";
	rc |= family(out, name, "counter", "Lookups in the small-file cache, by result.");
	for (size_t i = 0; i < METRICS_CACHE_RESULTS; i++) {
		char labels[32];
		snprintf(labels, sizeof labels, "result=\"%s\"", results[i]);
		rc |= sample(out, name, labels, m->cache[i]);
	}
	return rc;
}

static int render_service(const struct metrics *m, struct buf *out)
{
	const char *name = "switchboard_reloads_total";
	int rc = family(out, name, "counter", "Configuration reloads, by result.");
	rc |= sample(out, name, "result=\"ok\"", m->reloads_ok);
	rc |= sample(out, name, "result=\"failed\"", m->reloads_failed);
	rc |= one(out, "switchboard_worker_restarts_total", "counter",
	          "Worker processes started again after one ended.", m->worker_restarts);
	rc |= one(out, "switchboard_log_lines_dropped_total", "counter",
	          "Log lines that could not be written and were dropped.", m->log_lines_dropped);
	static const char *const reasons[METRICS_PROXY_ERRORS] = {
	    "untrusted", "no_header", "malformed", "oversized", "unsupported", "truncated"};
	name = "switchboard_proxy_header_errors_total";
	rc |= family(out, name, "counter",
	             "Connections on proxy_protocol listeners closed before a request, by reason.");
	for (size_t i = 0; i < METRICS_PROXY_ERRORS; i++) {
		char labels[48];
		snprintf(labels, sizeof labels, "reason=\"%s\"", reasons[i]);
		rc |= sample(out, name, labels, m->proxy_errors[i]);
	}
	rc |= one(out, "switchboard_draining", "gauge",
	          "1 while a graceful stop is under way, else 0.", m->draining ? 1 : 0);
	return rc;
}

int metrics_render(const struct metrics *in, unsigned count, struct buf *out)
{
	struct metrics sum;
	add_up(in, count, &sum);
	int rc = render_requests(&sum, out);
	rc |= one(out, "switchboard_response_bytes_total", "counter",
	          "Bytes sent in responses, heads and bodies.", sum.response_bytes);
	rc |= render_connections(&sum, out);
	rc |= render_faults_and_cache(&sum, out);
	rc |= render_service(&sum, out);
	return rc < 0 ? -1 : 0;
}
