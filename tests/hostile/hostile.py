"""Shared helpers for switchboard's hostile-client tests.

The test scripts in this directory run as `$PYTHON tests/hostile/test_x.py`
with the same environment as the integration tests (SWITCHBOARD, SB_SRCDIR,
PYTHON, CURL) and build on tests/integration/harness.py (the Server context
manager, the strict h11 response reader and the PASS/FAIL runner). This
module adds what attacks need:

  - raising this process's descriptor limit (many sockets at once);
  - connecting from other loopback source addresses (127.0.0.2...), so that
    one test can play several clients (the server counts per address);
  - reading the server's CPU time, resident memory and descriptor count from
    /proc, and knowing whether it runs under a sanitizer;
  - a well-behaved client that keeps making requests in the background and
    records each one's latency, with percentiles;
  - `FIGURE name: value` lines for the measured figures.

Only loopback addresses are ever used, every loop is bounded, and every
server started goes through harness.Server, so the runner stops it.
"""

import math
import os
import resource
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import h11  # noqa: E402

import harness  # noqa: E402,F401  (re-exported for the tests)
from harness import Client, Failure, ResponseError, build_request, expect, short  # noqa: E402

expect_eq = harness.expect_eq  # re-exported for the tests

HOST = "127.0.0.1"
KIB = 1024
MIB = 1024 * KIB
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGESIZE") // KIB


# ---------------------------------------------------------------- figures


def figure(name, value):
    """One measured figure, in a line the README can quote."""
    print(f"FIGURE {name}: {value}", flush=True)


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def latency_figures(prefix, latencies):
    """Print p50/p99/max of latencies (seconds) in ms; return them in seconds."""
    p50, p99, top = percentile(latencies, 50), percentile(latencies, 99), max(latencies)
    figure(f"{prefix}_requests", len(latencies))
    figure(f"{prefix}_latency_ms_p50", f"{p50 * 1000:.1f}")
    figure(f"{prefix}_latency_ms_p99", f"{p99 * 1000:.1f}")
    figure(f"{prefix}_latency_ms_max", f"{top * 1000:.1f}")
    return p50, p99, top


# ---------------------------------------------------------------- this process


def raise_nofile():
    """Raise this process's soft descriptor limit to the hard limit; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return (1 << 20) if soft == resource.RLIM_INFINITY else soft


def need_nofile(count):
    """Skip the test unless this process can hold count descriptors."""
    have = raise_nofile()
    if have < count:
        raise harness.Skip(f"this process may open {have} descriptors, the test needs {count}")


def need_tool(name):
    """The tool's path; exit 77 (skip the whole file) when it is absent."""
    path = shutil.which(name)
    if path is None:
        print(f"SKIP: {name} is not installed")
        sys.exit(harness.SKIP_EXIT)
    return path


def source_addresses(count, first=2):
    """count loopback source addresses: 127.0.0.first, 127.0.0.first+1, ..."""
    return [f"127.0.0.{first + i}" for i in range(count)]


def connect_from(port, source, timeout=5.0, rcvbuf=None):
    """A TCP connection to the server from a given loopback source address."""
    return harness.connect(port, HOST, timeout, rcvbuf=rcvbuf, source=source)


def reset_close(sock):
    """Close with a RST (SO_LINGER on, 0 s), as a vanishing peer does."""
    try:
        harness.set_linger_reset(sock)
    except OSError:
        pass
    sock.close()


# ---------------------------------------------------------------- the server process


def read_proc(pid, name):
    with open(f"/proc/{pid}/{name}") as f:
        return f.read()


def cpu_seconds(pid):
    """User + system CPU time of pid so far, in seconds (from /proc/PID/stat)."""
    stat = read_proc(pid, "stat")
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kib(pid):
    """Resident set size of pid (VmRSS), in KiB."""
    for line in read_proc(pid, "status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise Failure(f"no VmRSS in /proc/{pid}/status")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def nofile_limit(pid):
    """(soft, hard) RLIMIT_NOFILE of pid, from /proc/PID/limits."""
    for line in read_proc(pid, "limits").splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise Failure(f"no 'Max open files' in /proc/{pid}/limits")


def under_valgrind(pid):
    """True when the server runs under valgrind (its preload is mapped)."""
    return "vgpreload_" in read_proc(pid, "maps")


def sanitized(pid):
    """True when the server runs with a sanitizer runtime or under valgrind.

    Memory figures mean little there: freed memory sits in a quarantine."""
    maps = read_proc(pid, "maps")
    return under_valgrind(pid) or any(
        lib in maps for lib in ("libasan", "libtsan", "libmsan", "libhwasan"))


def settled_fd_count(pid, want=None, timeout=5.0, interval=0.05):
    """The fd count once it equals want (or stops changing for 0.3 s when want is None)."""
    deadline = time.monotonic() + timeout
    last, stable_since = fd_count(pid), time.monotonic()
    while time.monotonic() < deadline:
        if want is not None and last <= want:
            return last
        time.sleep(interval)
        now = fd_count(pid)
        if now != last:
            last, stable_since = now, time.monotonic()
        elif want is None and time.monotonic() - stable_since >= 0.3:
            return last
    return last


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def with_prlimit(server, nofile):
    """Make server (not yet started) run under `prlimit --nofile=N:N`.

    prlimit sets the limit on itself and execs the server: same pid. The
    file exits 77 when prlimit is absent; the test is skipped when this
    user may not set a hard limit that high."""
    tool = need_tool("prlimit")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if os.geteuid() != 0 and hard != resource.RLIM_INFINITY and hard < nofile:
        raise harness.Skip(f"not root, and the hard descriptor limit {hard} is below {nofile}")
    server.argv = [tool, f"--nofile={nofile}:{nofile}", "--", *server.argv]
    return server


def stderr_lines(server, *needles):
    """Lines of the server's stderr that contain any of the needles."""
    return [line for line in server.stderr_text().splitlines()
            if any(needle in line for needle in needles)]


# ---------------------------------------------------------------- raw responses


def parse_closing_responses(data, method="GET"):
    """Strictly parse everything a server sent on a connection it then closed.

    Returns [(status, {lower-case name: [values]}, body)]; raises ResponseError
    when the bytes are not a sequence of complete, well-framed responses (a
    response cut short, bytes after a response that said close, a bare LF)."""
    head = data.split(b"\r\n\r\n", 1)[0]
    if b"\n" in head.replace(b"\r\n", b"") or b"\r" in head.replace(b"\r\n", b""):
        raise ResponseError(f"bare LF or CR in the first response head: {short(data)}")
    conn = h11.Connection(h11.CLIENT)
    responses = []
    conn.receive_data(data)
    conn.receive_data(b"")
    while True:
        if not conn.trailing_data[0]:
            return responses  # closed after the last complete response
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        if conn.our_state is h11.IDLE:
            conn.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
            conn.send(h11.EndOfMessage())
        status, headers, body = None, {}, bytearray()
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise ResponseError(f"malformed or incomplete response: {exc}; "
                                    f"bytes: {short(data)}") from None
            if isinstance(event, h11.Response):
                status = event.status_code
                for name, value in event.headers:
                    headers.setdefault(name.decode("latin-1").lower(), []).append(
                        value.decode("latin-1"))
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                responses.append((status, headers, bytes(body)))
                break
            elif isinstance(event, h11.ConnectionClosed):
                return responses
            elif event is h11.NEED_DATA:
                raise ResponseError(f"response cut short: {short(data)}")
            else:
                raise ResponseError(f"unexpected event {event!r}")
        if conn.their_state is h11.MUST_CLOSE or conn.their_state is h11.CLOSED:
            try:
                rest = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise ResponseError(f"bytes after a closing response: {exc}") from None
            if not isinstance(rest, h11.ConnectionClosed):
                raise ResponseError(f"bytes after a closing response: {short(data)}")
            return responses


# ---------------------------------------------------------------- a normal client


def one_request(port, target, body, source=HOST, timeout=2.0):
    """GET target on a fresh connection from source; check status and body.

    Returns the seconds it took (connect to last byte)."""
    start = time.monotonic()
    with Client(port, timeout=timeout, source=source) as client:
        reply = client.request(build_request(target, headers=[("Connection", "close")]))
    took = time.monotonic() - start
    if reply.status != 200:
        raise Failure(f"GET {target} from {source}: status {reply.status}")
    if reply.body != body:
        raise Failure(f"GET {target} from {source}: wrong body ({reply.length} bytes)")
    return took


class Prober:
    """A well-behaved client making requests in the background until stopped.

    Every request is a fresh connection from `source`; each latency (connect
    to last byte) and each failure is recorded with its time."""

    def __init__(self, port, target, body, source=HOST, interval=0.02, timeout=2.0):
        self.port, self.target, self.body = port, target, body
        self.source, self.interval, self.timeout = source, interval, timeout
        self.latencies = []
        self.failures = []  # (seconds since start, reason)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = None

    def start(self):
        self.started = time.monotonic()
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            begun = time.monotonic()
            try:
                self.latencies.append(
                    one_request(self.port, self.target, self.body, self.source, self.timeout))
            except Exception as exc:  # recorded; the test decides
                self.failures.append((begun - self.started, f"{type(exc).__name__}: {exc}"))
            left = self.interval - (time.monotonic() - begun)
            if left > 0:
                self._stop.wait(left)

    def stop(self):
        self._stop.set()
        self._thread.join(self.timeout + 5)
        return self

    def check(self, prefix, p99_limit=None, max_limit=None, min_requests=1):
        """Figures, then the assertions: no failure, enough requests, limits."""
        expect(not self.failures,
               f"{len(self.failures)} of {len(self.failures) + len(self.latencies)} "
               f"normal requests failed; first: {self.failures[:3]!r}")
        expect(len(self.latencies) >= min_requests,
               f"only {len(self.latencies)} normal requests completed (want {min_requests})")
        p50, p99, top = latency_figures(prefix, self.latencies)
        if p99_limit is not None:
            expect(p99 < p99_limit, f"p99 latency {p99 * 1000:.1f} ms >= {p99_limit * 1000:.0f} ms "
                                    f"(p50 {p50 * 1000:.1f} ms, max {top * 1000:.1f} ms)")
        if max_limit is not None:
            expect(top < max_limit, f"slowest request took {top * 1000:.1f} ms "
                                    f"(limit {max_limit * 1000:.0f} ms)")
        return p50, p99, top


def kill_quietly(proc):
    """End a helper process this test started (by its own handle)."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
