"""The health route (health_path): answered by the server itself, from memory,
for load balancers and monitors; its answers stay out of the access log
unless health_log is on.

Run as `$PYTHON tests/integration/test_health.py` with SWITCHBOARD set (make
check does).
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Client, build_request, expect, expect_eq, expect_status, fetch, test  # noqa: E402


def start(*lines):
    """A server with its config file and access log in a directory of their own
    (world-readable: started as root, the server serves as nobody)."""
    server = harness.configured_server(
        lines, "switchboard-health-",
        {"index.html": b"<p>home</p>\n", "healthz": b"a file of that name\n"}, access_log=True)
    return server, server.access_log


def log_lines(path, settle=0.3):
    time.sleep(settle)
    try:
        with open(path, "rb") as f:
            return f.read().decode("latin-1").splitlines()
    except FileNotFoundError:
        return []


@test
def health_answers_from_memory():
    server, log = start("health_path /healthz")
    reply = fetch(server.port, "/healthz")
    expect_status(reply, 200, "GET /healthz")
    expect_eq(reply.body, b"ok\n", "body")
    expect_eq(reply.header("cache-control"), "no-store", "Cache-Control")
    expect_eq(reply.header("content-type"), "text/plain; charset=utf-8", "Content-Type")
    head = fetch(server.port, "/healthz", method="HEAD")
    expect_status(head, 200, "HEAD /healthz")
    expect_eq(head.header("content-length"), "3", "HEAD Content-Length")
    probe = fetch(server.port, "/healthz?from=balancer")
    expect_status(probe, 200, "GET /healthz with a query")
    post = fetch(server.port, "/healthz", method="POST", headers=[("Content-Length", "0")])
    expect_status(post, 405, "POST /healthz")
    expect_eq(post.header("allow"), "GET, HEAD", "Allow")
    page = fetch(server.port, "/")
    expect_status(page, 200, "GET / beside the health route")
    # Health checks are not logged; everything else is.
    lines = log_lines(log)
    expect(not any("/healthz" in line and "POST" not in line for line in lines),
           f"health checks in the access log: {lines!r}")
    expect(any('"GET / HTTP/1.1" 200' in line for line in lines), f"GET / not logged: {lines!r}")


@test
def health_honours_connection_close():
    """Varnish's probes send Connection: close and read until the close."""
    server, _ = start("health_path /healthz")
    with Client(server.port) as client:
        client.send(build_request("/healthz", headers=[("Connection", "close")]))
        reply = client.read_response()
        expect_status(reply, 200, "GET /healthz, Connection: close")
        expect_eq(reply.header("connection"), "close", "Connection")
        how, _, _ = harness.wait_closed(client.sock, 3.0)
        expect_eq(how, "eof", "how the connection ended")


@test
def health_logged_when_asked():
    server, log = start("health_path /-/ready", "health_log on")
    expect_status(fetch(server.port, "/-/ready"), 200, "GET /-/ready")
    lines = log_lines(log)
    expect(any('"GET /-/ready HTTP/1.1" 200' in line for line in lines),
           f"health check not logged with health_log on: {lines!r}")


@test
def health_off_by_default():
    server, _ = start()
    reply = fetch(server.port, "/healthz")
    expect_status(reply, 200, "GET /healthz without health_path")
    expect_eq(reply.body, b"a file of that name\n", "the file, not the route")


@test
def health_path_follows_reload():
    server, _ = start("health_path /healthz")
    with open(server.conf) as f:
        text = f.read()
    with open(server.conf, "w") as f:
        f.write(text.replace("health_path /healthz", "health_path /status"))
    os.kill(server.pid, 1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if fetch(server.port, "/status").status == 200:
            break
        time.sleep(0.05)
    expect_eq(fetch(server.port, "/status").body, b"ok\n", "the new path after a reload")
    expect_eq(fetch(server.port, "/healthz").body, b"a file of that name\n",
              "the old path is a file again")


@test(timeout=30)
def drain_turns_health_503_and_keeps_serving():
    """SIGTERM with drain_delay: 503 from the health route at once, files
    still served on new and kept-alive connections, then the listeners close
    and the server exits."""
    server, _ = start("health_path /healthz", "drain_delay 2s")
    with Client(server.port) as kept:
        kept.send(build_request("/"))
        expect_status(kept.read_response(), 200, "before the stop")
        signalled = time.monotonic()
        server.stop_signal = signal.SIGTERM  # stopped on purpose
        os.kill(server.pid, signal.SIGTERM)
        deadline = signalled + 1.0
        status = None
        while time.monotonic() < deadline:
            status = fetch(server.port, "/healthz").status
            if status == 503:
                break
            time.sleep(0.02)
        expect_eq(status, 503, "health while draining")
        expect_status(fetch(server.port, "/"), 200, "a new connection while draining")
        kept.send(build_request("/"))
        reply = kept.read_response()
        expect_status(reply, 200, "a kept-alive connection while draining")
        expect(time.monotonic() - signalled < 1.8, "the checks took the whole drain")
    code = server.proc.wait(timeout=15)
    took = time.monotonic() - signalled
    expect_eq(code, 0, "exit status")
    expect(took >= 1.9, f"stopped after {took:.2f} s, before the 2 s drain")


@test(timeout=20)
def a_second_sigterm_stops_at_once():
    server, _ = start("health_path /healthz", "drain_delay 30s")
    server.stop_signal = signal.SIGTERM  # stopped on purpose
    os.kill(server.pid, signal.SIGTERM)
    time.sleep(0.3)
    expect_eq(fetch(server.port, "/healthz").status, 503, "health while draining")
    signalled = time.monotonic()
    os.kill(server.pid, signal.SIGTERM)
    code = server.proc.wait(timeout=10)
    expect_eq(code, 0, "exit status")
    expect(time.monotonic() - signalled < 5, "the second SIGTERM did not stop it at once")


if __name__ == "__main__":
    harness.main()
