"""The metrics route (metrics_path): the server's counters in the Prometheus
text format, for the whole server also with workers, readable only from the
allowed networks; checked with Prometheus's own promtool when it is installed.

Run as `$PYTHON tests/integration/test_metrics.py` with SWITCHBOARD set (make
check does).
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Client, Skip, build_request, expect, expect_eq, expect_status, fetch, test  # noqa: E402


def start(*lines):
    return harness.configured_server(lines, "switchboard-metrics-",
                                     {"index.html": b"<p>home</p>\n"})


def samples(text):
    """{'name{labels}': value} for every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def scrape(port):
    reply = fetch(port, "/metrics")
    expect_status(reply, 200, "GET /metrics")
    return reply, samples(reply.body.decode())


@test
def metrics_count_what_happened():
    server = start("metrics_path /metrics")
    _, before = scrape(server.port)
    for _ in range(5):
        expect_status(fetch(server.port, "/"), 200, "GET /")
    expect_status(fetch(server.port, "/missing"), 404, "GET /missing")
    expect_status(fetch(server.port, "/", method="HEAD"), 200, "HEAD /")
    with Client(server.port) as client:
        client.send(b"GET / HTTP/1.1\r\nHost: a\r\nBad Field: x\r\n\r\n")
        expect_status(client.read_response(), 400, "a malformed request")
    reply, after = scrape(server.port)
    expect_eq(reply.header("content-type"), "text/plain; version=0.0.4; charset=utf-8",
              "Content-Type")

    def grew(key):
        return after.get(key, 0) - before.get(key, 0)

    # The first scrape itself is a GET 2xx too.
    expect_eq(grew('switchboard_requests_total{method="GET",code="2xx"}'), 6, "GET 2xx")
    expect_eq(grew('switchboard_requests_total{method="GET",code="4xx"}'), 2, "GET 4xx")
    expect_eq(grew('switchboard_requests_total{method="HEAD",code="2xx"}'), 1, "HEAD 2xx")
    expect_eq(grew('switchboard_request_faults_total{code="400"}'), 1, "faults 400")
    expect(grew("switchboard_connections_accepted_total") >= 9, "connections accepted")
    expect(grew("switchboard_response_bytes_total") > 5 * len(b"<p>home</p>\n"),
           "response bytes")
    expect_eq(after["switchboard_draining"], 0, "draining")
    lookups = grew('switchboard_file_cache_lookups_total{result="hit"}') + \
        grew('switchboard_file_cache_lookups_total{result="miss"}')
    expect(lookups >= 7, f"file cache lookups: {lookups}")
    # Every response between the scrapes (the first scrape's own included,
    # which ends after it was rendered) is in the duration histogram.
    expect_eq(grew("switchboard_request_duration_seconds_count"), 9, "durations counted")
    expect_eq(after['switchboard_request_duration_seconds_bucket{le="+Inf"}'],
              after["switchboard_request_duration_seconds_count"], "+Inf bucket is the count")


@test
def the_duration_histogram_measures():
    server = start("metrics_path /metrics", "file_cache 0")
    server.docroot.write("big.bin", os.urandom(8 << 20))
    _, before = scrape(server.port)
    # A reader that takes its time: the response cannot be over before it
    # has read, which it starts 0.6 s after asking.
    with Client(server.port, rcvbuf=16384) as client:
        client.send(build_request("/big.bin"))
        time.sleep(0.6)
        reply = client.read_response()
        expect_eq(len(reply.body), 8 << 20, "the whole body")
    _, after = scrape(server.port)

    def grew(key):
        return after.get(key, 0) - before.get(key, 0)

    bucket = 'switchboard_request_duration_seconds_bucket{le="%s"}'
    expect_eq(grew("switchboard_request_duration_seconds_count"), 2, "two responses")
    expect_eq(grew(bucket % "0.5"), 1, "only the scrape was over within 0.5 s")
    expect_eq(grew(bucket % "+Inf"), 2, "both in +Inf")
    expect(grew("switchboard_request_duration_seconds_sum") >= 0.6,
           f"the sum grew by {grew('switchboard_request_duration_seconds_sum')} s")


@test
def metrics_for_the_whole_server_with_workers():
    server = start("metrics_path /metrics", "workers 2")
    for _ in range(40):
        expect_status(fetch(server.port, "/"), 200, "GET /")
    # Whichever worker answers, it counts what both did.
    totals = set()
    for _ in range(6):
        _, now = scrape(server.port)
        totals.add(now['switchboard_requests_total{method="GET",code="2xx"}'])
    expect(min(totals) >= 40, f"GET 2xx across workers: {sorted(totals)}")


@test
def metrics_refused_outside_the_allowed_networks():
    server = start("metrics_path /metrics", "metrics_allow 127.0.0.2")
    with Client(server.port, source="127.0.0.1") as client:
        client.send(build_request("/metrics"))
        expect_status(client.read_response(), 403, "from 127.0.0.1")
    with Client(server.port, source="127.0.0.2") as client:
        client.send(build_request("/metrics"))
        expect_status(client.read_response(), 200, "from 127.0.0.2")


@test
def promtool_accepts_the_metrics():
    promtool = shutil.which("promtool")
    if promtool is None:
        raise Skip("promtool not installed (Debian package prometheus)")
    server = start("metrics_path /metrics")
    fetch(server.port, "/")
    reply, _ = scrape(server.port)
    done = subprocess.run([promtool, "check", "metrics"], input=reply.body,
                          capture_output=True, timeout=30)
    expect_eq(done.returncode, 0, "promtool check metrics: " + (done.stdout + done.stderr).decode())


if __name__ == "__main__":
    harness.main()
