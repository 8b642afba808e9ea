"""Slowloris: many connections that trickle a request head and never finish it.

500 connections, spread over 127.0.0.2..127.0.0.6 (100 each, under the
per-client cap of 256), each send one byte of an endless request head every
0.5-1 s. With `--header-timeout 2s` every one of them must be dropped at its
deadline: the deadline runs from the connection's start and later bytes do
not move it. Meanwhile a well-behaved client on 127.0.0.1 keeps making
requests; its latency is measured (p50/p99/max) and p99 must stay under
100 ms.

Run as `$PYTHON tests/hostile/test_slowloris.py` with SWITCHBOARD set.
"""

import functools
import heapq
import os
import random
import selectors
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hostile  # noqa: E402
from hostile import Failure, expect, figure, harness  # noqa: E402
from harness import Server, test  # noqa: E402

ATTACKERS = 500
SOURCES = hostile.source_addresses(5)  # 127.0.0.2 .. 127.0.0.6
HEADER_TIMEOUT = 2.0
GRACE = 2.0  # dropped within HEADER_TIMEOUT + GRACE of its start
TRICKLE = (0.5, 1.0)  # seconds between two bytes of one connection
P99_LIMIT = 0.100
SMALL = b"served to the well-behaved client during the attack\n"

# An endless request head: a request line, then fields, never the empty line.
HEAD = (b"GET /small.txt HTTP/1.1\r\nHost: slowloris.test\r\n"
        + b"".join(b"X-Slow-%d: %s\r\n" % (i, b"z" * 20) for i in range(200)))


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-slowloris-")
    root.write("small.txt", SMALL)
    return root


class Conn:
    __slots__ = ("sock", "started", "closed_at", "how", "received", "sent", "answered")

    def __init__(self, sock, started):
        self.sock, self.started = sock, started
        self.closed_at = None
        self.how = None
        self.received = bytearray()
        self.sent = 0
        self.answered = False  # the server sent something: stop trickling


class Trickler:
    """Opens the connections, then trickles bytes on each until the server
    closes it or the time limit passes; one thread, one selector."""

    def __init__(self, port, count, sources, limit, sustain=0.0):
        """sustain: for that many seconds, every dropped connection is replaced."""
        self.port, self.count, self.sources, self.limit = port, count, sources, limit
        self.sustain = sustain
        self.conns = []
        self.connect_errors = []
        self.all_connected = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._guarded, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _guarded(self):
        try:
            self._run()
        except BaseException as exc:  # reported by join()
            self.error = exc
            self.all_connected.set()
        finally:
            for c in self.conns:
                c.sock.close()

    def _open_one(self, source):
        try:
            sock = hostile.connect_from(self.port, source)
        except OSError as exc:
            self.connect_errors.append(repr(exc))
            return None
        c = Conn(sock, time.monotonic())
        sock.setblocking(False)
        self.conns.append(c)
        self._send_byte(c)
        return c

    def _open(self):
        for i in range(self.count):
            self._open_one(self.sources[i % len(self.sources)])
        self.all_connected.set()

    def _send_byte(self, c):
        try:
            c.sent += c.sock.send(HEAD[c.sent % len(HEAD):c.sent % len(HEAD) + 1])
        except BlockingIOError:
            pass
        except OSError as exc:  # reset or broken pipe: the server is gone from it
            self._closed(c, type(exc).__name__)

    def _closed(self, c, how):
        if c.closed_at is None:
            c.closed_at, c.how = time.monotonic(), how

    def _read(self, c):
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as exc:
            self._closed(c, type(exc).__name__)
            return
        if data:
            c.received += data
            c.answered = True
        else:
            self._closed(c, "eof")

    def _watch(self, sel, timers, c):
        sel.register(c.sock, selectors.EVENT_READ, c)
        heapq.heappush(timers, (c.started + random.uniform(*TRICKLE), id(c), c))

    def _run(self):
        sel = selectors.DefaultSelector()
        self._open()
        sustain_until = time.monotonic() + self.sustain
        deadline = sustain_until + self.limit
        timers = []
        for c in self.conns:
            self._watch(sel, timers, c)
        open_count = sum(1 for c in self.conns if c.closed_at is None)
        while open_count > 0 and time.monotonic() < deadline:
            wait = 0.05 if not timers else min(0.05, max(0.0, timers[0][0] - time.monotonic()))
            for key, _ in sel.select(wait):
                self._read(key.data)
            now = time.monotonic()
            while timers and timers[0][0] <= now:
                _, _, c = heapq.heappop(timers)
                if c.closed_at is None and not c.answered:
                    self._send_byte(c)
                if c.closed_at is None:
                    heapq.heappush(timers, (now + random.uniform(*TRICKLE), id(c), c))
            for i, c in enumerate(list(self.conns)):
                if c.closed_at is not None and c.sock.fileno() >= 0:
                    sel.unregister(c.sock)
                    c.sock.close()
                    if now < sustain_until:  # a fresh attacker takes its place
                        fresh = self._open_one(self.sources[i % len(self.sources)])
                        if fresh is not None:
                            self._watch(sel, timers, fresh)
            open_count = sum(1 for c in self.conns if c.closed_at is None)
        sel.close()

    def join(self, timeout):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise Failure(f"the attack did not end within {timeout} s")
        if self.error is not None:
            raise self.error


def check_answer(c):
    """Whatever the server sent before closing: nothing, or one complete 408."""
    if not c.received:
        return None
    responses = hostile.parse_closing_responses(bytes(c.received))
    statuses = [status for status, _, _ in responses]
    if statuses != [408]:
        raise Failure(f"a trickling connection got {statuses!r}, expected nothing or one 408")
    return 408


def run_attack(name, sustain):
    """The attack against a fresh server, then its figures and assertions."""
    hostile.need_nofile(ATTACKERS + 200)
    args = ("--header-timeout", f"{HEADER_TIMEOUT:g}s")
    with Server(docroot().root, args=args) as server:
        hostile.one_request(server.port, "/small.txt", SMALL)  # warm up
        base_fds = hostile.settled_fd_count(server.pid)
        cpu_before = hostile.cpu_seconds(server.pid)
        limit = HEADER_TIMEOUT + GRACE + 6.0  # the trickler gives up after this
        begun = time.monotonic()
        attack = Trickler(server.port, ATTACKERS, SOURCES, limit, sustain).start()
        expect(attack.all_connected.wait(20), "the attackers could not connect within 20 s")
        prober = hostile.Prober(server.port, "/small.txt", SMALL, source="127.0.0.1",
                                interval=0.02, timeout=2.0).start()
        peak_fds = base_fds
        while attack.thread.is_alive():
            peak_fds = max(peak_fds, hostile.fd_count(server.pid))
            time.sleep(0.05)
        prober.stop()
        attack.join(5)
        duration = time.monotonic() - begun
        cpu = hostile.cpu_seconds(server.pid) - cpu_before
        end_fds = hostile.settled_fd_count(server.pid, want=base_fds, timeout=3)

    conns = attack.conns
    expect(not attack.connect_errors,
           f"{len(attack.connect_errors)} attack connections failed: {attack.connect_errors[:3]}")
    lifetimes = sorted(c.closed_at - c.started for c in conns if c.closed_at is not None)
    still_open = [c for c in conns if c.closed_at is None]
    answers = [check_answer(c) for c in conns]
    figure(f"{name}_connections", len(conns))
    figure(f"{name}_source_addresses", len(SOURCES))
    figure(f"{name}_server_fds_above_baseline_peak", peak_fds - base_fds)
    figure(f"{name}_bytes_trickled", sum(c.sent for c in conns))
    figure(f"{name}_header_timeout_s", f"{HEADER_TIMEOUT:g}")
    figure(f"{name}_attack_duration_s", f"{duration:.1f}")
    if lifetimes:
        figure(f"{name}_dropped_after_s_min", f"{lifetimes[0]:.2f}")
        figure(f"{name}_dropped_after_s_median", f"{hostile.percentile(lifetimes, 50):.2f}")
        figure(f"{name}_dropped_after_s_max", f"{lifetimes[-1]:.2f}")
    figure(f"{name}_got_408", answers.count(408))
    figure(f"{name}_closed_without_bytes", answers.count(None))
    figure(f"{name}_server_cpu_s", f"{cpu:.2f}")
    expect(len(conns) >= ATTACKERS, f"only {len(conns)} of {ATTACKERS} attackers connected")
    expect(not still_open, f"{len(still_open)} trickling connections were still open "
                           f"{limit:.0f} s after the attack began")
    late = [t for t in lifetimes if t > HEADER_TIMEOUT + GRACE]
    expect(not late, f"{len(late)} connections outlived header_timeout + {GRACE:g} s "
                     f"(the latest after {lifetimes[-1]:.2f} s)")
    early = [t for t in lifetimes if t < HEADER_TIMEOUT - 0.05]
    expect(not early, f"{len(early)} connections were dropped before the header timeout "
                      f"(the first after {lifetimes[0]:.2f} s)")
    expect(end_fds <= base_fds, f"server holds {end_fds} fds after the attack, {base_fds} before")
    prober.check(f"{name}_normal_client", p99_limit=P99_LIMIT, min_requests=20)


@test(timeout=40)
def slowloris_500_trickling_connections_dropped_at_header_deadline():
    """One wave: 500 connections, every one dropped at its deadline."""
    run_attack("slowloris", sustain=0.0)


@test(timeout=50)
def slowloris_sustained_8s_every_dropped_attacker_replaced():
    """500 trickling connections at all times for 8 s: each dropped one is
    replaced at once, so drops and new attackers never stop."""
    run_attack("slowloris_sustained", sustain=8.0)


if __name__ == "__main__":
    harness.main(budget=110.0)
