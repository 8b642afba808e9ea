"""Descriptor exhaustion: the server runs out of file descriptors.

The server runs under `prlimit --nofile=64:64` (util-linux; exit 77 without
it). 300 clients connect at once from 127.0.0.2..127.0.0.5 (75 each, under
the per-client cap) and send nothing:

  - every client is either held (it has a slot: a request on it is then
    answered) or refused with a complete 503 and a clean close; none hangs;
  - while saturated, with new clients arriving at 50 per second for 11 s,
    the server never busy-loops: its CPU time (/proc/PID/stat utime+stime)
    stays below 0.3 s per second, over the first 3 s and over the whole
    window, and each newcomer gets a 503 or a clean close;
  - a held client that asks for a file while no descriptor is left gets an
    answer (503: the file cannot be opened), not a hang;
  - the condition is logged, rate-limited: the shedding message at most
    once per 10 s (over the 11 s window: once, then once more with the
    count of the suppressed ones), plus the start-up warning about the low
    limit;
  - once the load drops, it serves normally again.

Run as `$PYTHON tests/hostile/test_fd_exhaustion.py` with SWITCHBOARD set.
"""

import functools
import math
import os
import select
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hostile  # noqa: E402
from hostile import Failure, expect, figure, harness  # noqa: E402
from harness import Client, Server, build_request, expect_status, test, wait_closed  # noqa: E402

PRLIMIT = hostile.need_tool("prlimit")  # util-linux; exit 77 without it
NOFILE = 64
VALGRIND_RESERVED_FDS = 12
CLIENTS = 300
SOURCES = hostile.source_addresses(4)  # 127.0.0.2 .. 127.0.0.5
NEWCOMER = "127.0.0.6"
CPU_LIMIT = 0.3  # CPU seconds per wall-clock second while saturated
SHED_NEEDLES = ("shedding", "refused")  # the repeated, rate-limited messages
SMALL = b"served once descriptors are free again\n"


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-fdexhaust-")
    root.write("small.txt", SMALL)
    return root


def outcome(sock, timeout):
    """'held' (nothing within timeout), '503', 'closed' (clean, no bytes), or a failure text."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    if not poller.poll(timeout * 1000):
        return "held"
    how, data, _ = wait_closed(sock, 2.0)
    if how == "timeout":
        return f"bytes but no close: {data[:80]!r}"
    try:
        statuses = [s for s, _, _ in hostile.parse_closing_responses(data)]
    except Failure as exc:
        return f"bad response: {exc}"
    if statuses == [503]:
        return "503"
    if statuses == [] and how == "eof":
        return "closed"
    return f"got {statuses} then {how}"


class Newcomers:
    """New clients at a steady rate, each left open; what each one got is
    read afterwards (a refused one has its 503 and FIN waiting)."""

    def __init__(self, port, rate, seconds):
        self.port, self.rate, self.seconds = port, rate, seconds
        self.socks = []
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < self.seconds:
            pause = start + n / self.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            n += 1
            try:
                self.socks.append(hostile.connect_from(self.port, NEWCOMER, timeout=2.0))
            except OSError as exc:
                self.errors.append(f"connect: {exc!r}")

    def results(self):
        found = list(self.errors)
        for sock in self.socks:
            found.append(outcome(sock, 2.0))
            sock.close()
        return found


@test(timeout=80)
def fd_exhaustion_sheds_cleanly_without_spinning_then_recovers():
    hostile.need_nofile(CLIENTS + 200)
    server = hostile.with_prlimit(
        # The clients send nothing: without the deferral of silent
        # connections (defer_accept) the server takes each as it connects, and
        # runs out of descriptors (test_defer_accept covers the deferral).
        Server(docroot().root, args=("--header-timeout", "30s", "--keepalive-timeout", "30s",
                                     "--defer-accept", "0")),
        NOFILE)
    with server:
        started = time.monotonic()
        limits = hostile.nofile_limit(server.pid)
        expect(limits == (NOFILE, NOFILE), f"server's RLIMIT_NOFILE is {limits}, want {NOFILE}")
        hostile.one_request(server.port, "/small.txt", SMALL)
        base = hostile.settled_fd_count(server.pid)

        socks = [hostile.connect_from(server.port, SOURCES[i % len(SOURCES)])
                 for i in range(CLIENTS)]
        time.sleep(1.0)
        results = [outcome(sock, 0.0) for sock in socks]
        held = [s for s, r in zip(socks, results) if r == "held"]
        counts = {r: results.count(r) for r in set(results)}
        figure("fd_exhaustion_nofile_limit", NOFILE)
        figure("fd_exhaustion_clients", CLIENTS)
        figure("fd_exhaustion_server_fds_baseline", base)
        figure("fd_exhaustion_held", len(held))
        figure("fd_exhaustion_refused_503", counts.get("503", 0))
        figure("fd_exhaustion_refused_clean_close", counts.get("closed", 0))
        bad = {r: n for r, n in counts.items() if r not in ("held", "503", "closed")}
        expect(not bad, f"refused clients got neither a 503 nor a clean close: {bad}")
        in_use = hostile.fd_count(server.pid)
        figure("fd_exhaustion_server_fds_in_use", in_use)
        # valgrind keeps a few descriptors below the limit for itself.
        reserved = VALGRIND_RESERVED_FDS if hostile.under_valgrind(server.pid) else 0
        expect(len(held) >= NOFILE - base - 2 - reserved,
               f"only {len(held)} clients held with {NOFILE - base} descriptors free")
        expect(len(held) + counts.get("503", 0) + counts.get("closed", 0) == CLIENTS,
               f"outcomes {counts}")

        # Saturated: newcomers keep arriving for 11 s; the server must not spin.
        arrivals = Newcomers(server.port, 50.0, 11.0)
        cpu0, wall0 = hostile.cpu_seconds(server.pid), time.monotonic()
        arrivals.thread.start()
        time.sleep(3.0)
        cpu3 = hostile.cpu_seconds(server.pid) - cpu0
        wall3 = time.monotonic() - wall0
        arrivals.thread.join(20)
        cpu = hostile.cpu_seconds(server.pid) - cpu0
        wall = time.monotonic() - wall0
        figure("fd_exhaustion_saturated_cpu_s_first_3s", f"{cpu3:.2f}")
        figure("fd_exhaustion_saturated_window_s", f"{wall:.1f}")
        figure("fd_exhaustion_saturated_cpu_s", f"{cpu:.2f}")
        figure("fd_exhaustion_saturated_cpu_per_s", f"{cpu / wall:.3f}")
        expect(cpu3 / wall3 < CPU_LIMIT,
               f"server used {cpu3:.2f} CPU s in the first {wall3:.1f} s while saturated")
        newcomer_results = arrivals.results()
        newcomer_counts = {r: newcomer_results.count(r) for r in set(newcomer_results)}
        figure("fd_exhaustion_newcomers", len(newcomer_results))
        figure("fd_exhaustion_newcomers_per_s", f"{len(newcomer_results) / wall:.0f}")
        figure("fd_exhaustion_newcomers_outcomes", newcomer_counts)
        expect(cpu / wall < CPU_LIMIT,
               f"server used {cpu:.2f} CPU s in {wall:.1f} s while saturated (busy loop?)")
        bad = {r: n for r, n in newcomer_counts.items() if r not in ("503", "closed")}
        expect(not bad, f"newcomers while saturated got: {bad}")

        # A held client asks for a file while no descriptor is free: answered.
        asker = Client.adopt(held[0], timeout=3.0)
        asker.send(build_request("/small.txt"))
        reply = asker.read_response()
        figure("fd_exhaustion_request_while_saturated_status", reply.status)
        expect(reply.status in (200, 503),
               f"a held client's request while saturated got {reply.status}")

        # The condition is logged, a bounded number of times.
        elapsed = time.monotonic() - started
        for line in server.stderr_text().splitlines():
            print(f"# logged: {line}")
        lines = hostile.stderr_lines(server, *SHED_NEEDLES)
        figure("fd_exhaustion_shedding_log_lines", len(lines))
        figure("fd_exhaustion_log_window_s", f"{elapsed:.1f}")
        allowed = math.ceil(elapsed / 10.0) + 1  # once per 10 s
        expect(lines, "the descriptor shortage was never logged")
        expect(len(lines) <= allowed,
               f"{len(lines)} log lines about shedding in {elapsed:.0f} s (at most {allowed}): "
               f"{lines[:4]}")

        # Load drops: everything is released, and it serves normally.
        for sock in socks:
            sock.close()
        end = hostile.settled_fd_count(server.pid, want=base, timeout=5.0)
        expect(end <= base, f"server holds {end} fds after the load dropped, {base} before")
        for i in range(20):
            hostile.one_request(server.port, "/small.txt", SMALL,
                                source=SOURCES[i % len(SOURCES)], timeout=2.0)
        expect_status(harness.fetch(server.port, "/small.txt"), 200, "after the load dropped")


if __name__ == "__main__":
    harness.main(budget=110.0)
