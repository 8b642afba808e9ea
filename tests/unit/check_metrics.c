/* Unit tests for metrics: counting, the sum over the processes' slots, the
 * Prometheus text format, and the route that serves it (403 outside the
 * allowed networks). */
#include "autoconfig.h"

#include "exchange.h"
#include "metrics.h"
#include "metrics_route.h"

#include "check_run.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(const struct metrics *slots, unsigned count)
{
	struct buf out = BUF_INIT;
	ck_assert_int_eq(metrics_render(slots, count, &out), 0);
	ck_assert_int_eq(buf_append(&out, "", 1), 0);
	return out.data;
}

static void assert_line(const char *text, const char *line)
{
	char want[256];
	snprintf(want, sizeof want, "\n%s\n", line);
	ck_assert_msg(strstr(text, want) != NULL, "no line '%s' in:\n%s", line, text);
}

START_TEST(test_counting)
{
	struct metrics m;
	memset(&m, 0, sizeof m);
	metrics_count_response(&m, 200, METRICS_GET, 10);
	metrics_count_response(&m, 206, METRICS_GET, 5);
	metrics_count_response(&m, 404, METRICS_HEAD, 0);
	metrics_count_response(&m, 501, METRICS_OTHER_METHOD, 0);
	metrics_count_response(&m, 99, METRICS_GET, 0); /* no class: not counted */
	metrics_count_fault(&m, 431);
	metrics_count_fault(&m, 404); /* not a fault status */
	ck_assert_uint_eq(m.requests[METRICS_GET][1], 2);
	ck_assert_uint_eq(m.requests[METRICS_HEAD][3], 1);
	ck_assert_uint_eq(m.requests[METRICS_OTHER_METHOD][4], 1);
	ck_assert_uint_eq(m.response_bytes, 15);
	uint64_t faults = 0;
	for (int i = 0; i < METRICS_FAULT_STATUSES; i++)
		faults += m.faults[i];
	ck_assert_uint_eq(faults, 1);
}
END_TEST

START_TEST(test_render_sums_slots)
{
	struct metrics slots[3];
	memset(slots, 0, sizeof slots);
	slots[0].in_use = slots[1].in_use = true;
	slots[0].requests[METRICS_GET][1] = 5;
	slots[1].requests[METRICS_GET][1] = 7;
	slots[2].requests[METRICS_GET][1] = 100; /* a slot no process uses now still counts */
	slots[0].active = 3;
	slots[2].active = 50; /* but its gauges do not */
	slots[1].accepted = 9;
	slots[1].refused[METRICS_REFUSED_PER_CLIENT] = 2;
	slots[0].reloads_failed = 1;
	slots[1].draining = true;
	metrics_count_fault(&slots[0], 400);
	char *text = render(slots, 3);
	assert_line(text, "# TYPE switchboard_requests_total counter");
	assert_line(text, "switchboard_requests_total{method=\"GET\",code=\"2xx\"} 112");
	assert_line(text, "switchboard_requests_total{method=\"HEAD\",code=\"5xx\"} 0");
	assert_line(text, "switchboard_connections_active 3");
	assert_line(text, "switchboard_connections_accepted_total 9");
	assert_line(text, "switchboard_connections_refused_total{cause=\"per_client\"} 2");
	assert_line(text, "switchboard_request_faults_total{code=\"400\"} 1");
	assert_line(text, "switchboard_reloads_total{result=\"failed\"} 1");
	assert_line(text, "switchboard_draining 1");
	/* Every sample line belongs to a family declared before it. */
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		ck_assert_msg(strncmp(line, "switchboard_", 12) == 0, "%s", line);
		ck_assert_msg(strchr(line, ' ') != NULL, "%s", line);
	}
	free(text);
}
END_TEST

static void plan_for(const struct route *row, const char *client_ip, struct exchange_plan *plan)
{
	static struct http_parser parser;
	static const char text[] = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
	struct router router;
	router_init(&router, row);
	struct exchange_ctx ctx = {
	    .router = &router, .keepalive = true, .max_keepalive_requests = 9};
	struct sockaddr_storage peer;
	memset(&peer, 0, sizeof peer);
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer;
	sin->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, client_ip, &sin->sin_addr), 1);
	http_parser_init(&parser);
	ck_assert_int_eq(http_parser_feed(&parser, text, sizeof text - 1), HTTP_PARSE_DONE);
	struct exchange_request in = {.req = &parser.req, .data = text, .client = &peer};
	exchange_answer(&ctx, &in, plan);
}

/* Each duration goes to the first bucket whose bound it does not pass; the
 * rendered buckets are cumulative, the sum in seconds. */
START_TEST(test_duration_histogram)
{
	struct metrics slots[2];
	memset(slots, 0, sizeof slots);
	const int64_t durations[] = {0, 1, 2, 5, 5000, 5001, 12345};
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++)
		metrics_observe_duration(&slots[i % 2], durations[i]);
	char *text = render(slots, 2);
	const char *want[] = {
	    "switchboard_request_duration_seconds_bucket{le=\"0.001\"} 2\n",
	    "switchboard_request_duration_seconds_bucket{le=\"0.005\"} 4\n",
	    "switchboard_request_duration_seconds_bucket{le=\"1\"} 4\n",
	    "switchboard_request_duration_seconds_bucket{le=\"5\"} 5\n",
	    "switchboard_request_duration_seconds_bucket{le=\"+Inf\"} 7\n",
	    "switchboard_request_duration_seconds_sum 22.354\n",
	    "switchboard_request_duration_seconds_count 7\n",
	    "# TYPE switchboard_request_duration_seconds histogram\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(text, want[i]) != NULL, "missing %s in:\n%s", want[i], text);
	free(text);
}
END_TEST

START_TEST(test_route_allows_networks)
{
	struct netmask_list allow;
	char err[128];
	netmask_list_init(&allow);
	ck_assert_int_eq(netmask_list_add(&allow, "10.0.0.0/8", err, sizeof err), 0);
	ck_assert_int_eq(metrics_init(1), 0);
	struct route row = metrics_route("/metrics", &allow, true);
	struct exchange_plan plan;

	plan_for(&row, "10.1.2.3", &plan);
	ck_assert_int_eq(plan.response.status, 200);
	ck_assert_int_eq(plan.response.body.kind, BODY_OWNED);
	ck_assert_uint_eq(plan.response.content_length, plan.response.body.remaining);
	ck_assert(strncmp(plan.response.body.bytes, "# HELP ", 7) == 0);
	ck_assert_str_eq(plan.response.content_type, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert(plan.unlogged);
	exchange_plan_release(&plan); /* frees the owned text (valgrind and ASan check it) */

	plan_for(&row, "192.0.2.1", &plan);
	ck_assert_int_eq(plan.response.status, 403);
	exchange_plan_release(&plan);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	tcase_add_test(tc, test_counting);
	tcase_add_test(tc, test_render_sums_slots);
	tcase_add_test(tc, test_duration_histogram);
	tcase_add_test(tc, test_route_allows_networks);
	suite_add_tcase(s, tc);
	return check_run(s);
}
