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

const int64_t metrics_duration_bounds_ms[METRICS_DURATION_BUCKETS - 1] = {1,   5,   10,   50,
                                                                          100, 500, 1000, 5000};

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
		for (size_t i = 0; i < METRICS_DURATION_BUCKETS; i++)
			sum->durations[i] += m->durations[i];
		sum->duration_ms_sum += m->duration_ms_sum;
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

/* A counter family with one label: one sample per value of the label. */
struct labelled {
	const char *name, *help, *label;
	const char *const *values; /* the label's values, one per count */
	const uint64_t *counts;
	size_t n;
};

static int render_labelled(struct buf *out, const struct labelled *f)
{
	int rc = family(out, f->name, "counter", f->help);
	for (size_t i = 0; i < f->n; i++) {
		char labels[64];
		snprintf(labels, sizeof labels, "%s=\"%s\"", f->label, f->values[i]);
		rc |= sample(out, f->name, labels, f->counts[i]);
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
	const struct labelled refused = {"switchboard_connections_refused_total",
	                                 "Connections refused with 503 before a request, by cause.",
	                                 "cause",
	                                 causes,
	                                 m->refused,
	                                 METRICS_REFUSALS};
	return rc | render_labelled(out, &refused);
}

static int render_faults_and_cache(const struct metrics *m, struct buf *out)
{
	static const char *const codes[METRICS_FAULT_STATUSES] = {"400", "408", "413", "414",
	                                                          "431", "501", "505"};
	static const char *const results[METRICS_CACHE_RESULTS] = {"hit", "miss"};
	const struct labelled faults = {
	    "switchboard_request_faults_total",
	    "Requests refused as malformed, too large or unsupported, by status.",
	    "code",
	    codes,
	    m->faults,
	    METRICS_FAULT_STATUSES};
	const struct labelled cache = {"switchboard_file_cache_lookups_total",
	                               "Lookups in the small-file cache, by result.",
	                               "result",
	                               results,
	                               m->cache,
	                               METRICS_CACHE_RESULTS};
	return render_labelled(out, &faults) | render_labelled(out, &cache);
}

static int render_service(const struct metrics *m, struct buf *out)
{
	static const char *const results[] = {"ok", "failed"};
	static const char *const reasons[METRICS_PROXY_ERRORS] = {
	    "untrusted", "no_header", "malformed", "oversized", "unsupported", "truncated"};
	const uint64_t reloads[] = {m->reloads_ok, m->reloads_failed};
	const struct labelled reload = {"switchboard_reloads_total",
	                                "Configuration reloads, by result.",
	                                "result",
	                                results,
	                                reloads,
	                                2};
	const struct labelled proxy = {
	    "switchboard_proxy_header_errors_total",
	    "Connections on proxy_protocol listeners closed before a request, by reason.",
	    "reason",
	    reasons,
	    m->proxy_errors,
	    METRICS_PROXY_ERRORS};
	int rc = render_labelled(out, &reload);
	rc |= one(out, "switchboard_worker_restarts_total", "counter",
	          "Worker processes started again after one ended.", m->worker_restarts);
	rc |= one(out, "switchboard_log_lines_dropped_total", "counter",
	          "Log lines that could not be written and were dropped.", m->log_lines_dropped);
	rc |= render_labelled(out, &proxy);
	rc |= one(out, "switchboard_draining", "gauge",
	          "1 while a graceful stop is under way, else 0.", m->draining ? 1 : 0);
	return rc;
}

/* The histogram's buckets are cumulative: each counts every duration up to
 * its bound. */
static int render_durations(const struct metrics *m, struct buf *out)
{
	const char *name = "switchboard_request_duration_seconds";
	int rc = family(out, name, "histogram",
	                "From a request's arrival to its response's last byte sent, in "
	                "milliseconds of the event loop's clock.");
	uint64_t cumulative = 0;
	for (size_t b = 0; b < METRICS_DURATION_BUCKETS; b++) {
		char labels[32];
		cumulative += m->durations[b];
		if (b < METRICS_DURATION_BUCKETS - 1)
			snprintf(labels, sizeof labels, "le=\"%g\"",
			         (double)metrics_duration_bounds_ms[b] / 1000.0);
		else
			snprintf(labels, sizeof labels, "le=\"+Inf\"");
		rc |=
		    sample(out, "switchboard_request_duration_seconds_bucket", labels, cumulative);
	}
	rc |= buf_printf(out, "%s_sum %" PRIu64 ".%03u\n", name, m->duration_ms_sum / 1000,
	                 (unsigned)(m->duration_ms_sum % 1000));
	return rc | sample(out, "switchboard_request_duration_seconds_count", "", cumulative);
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
	rc |= render_durations(&sum, out);
	return rc < 0 ? -1 : 0;
}
