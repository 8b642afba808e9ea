"""select()'s limit: more connections than FD_SETSIZE (1024) descriptors.

The server runs under `prlimit --nofile=4096:4096` (exit 77 without
prlimit), so that accept() can hand it descriptors above 1023, which
select() cannot watch. 1,200 clients connect at once, round-robin from
127.0.0.2..127.0.0.7 (200 each, under the per-client cap of 256; the
addresses hold equal shares, so no newcomer evicts anyone):

  - the first 1,000 (max_connections) get slots: a request sent on each of
    them is answered 200 with the right body;
  - the others wait in the waiting room while their descriptor is below
    1024, and are served once slots free; those whose descriptor is 1024 or
    more get a complete 503 and are closed at once; none hangs and none
    gets anything else;
  - nothing is corrupted: the server keeps serving (a file with the right
    sha256), does not crash, and (in the sanitizer build) reports nothing.

Run as `$PYTHON tests/hostile/test_fd_setsize.py` with SWITCHBOARD set.
"""

import functools
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hostile  # noqa: E402
from hostile import Failure, expect, figure, harness  # noqa: E402
from harness import Client, Server, build_request, test, wait_closed  # noqa: E402

CLIENTS = 1200
SLOTS = 1000  # the server's default and maximum max_connections
SOURCES = hostile.source_addresses(6)  # 127.0.0.2 .. 127.0.0.7
PRLIMIT = hostile.need_tool("prlimit")  # util-linux; exit 77 without it
NOFILE = 4096
SMALL = b"one of a thousand and two hundred\n"


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-fdsetsize-")
    root.write("small.txt", SMALL)
    data = harness.random_bytes(4 * hostile.MIB)
    root.write("big.bin", data)
    return root, harness.sha256(data)


def readable(sock, timeout=0.0):
    """poll(), not select(): this process's descriptors go beyond 1023 too."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def refused_cleanly(sock):
    """The connection got exactly one complete 503 and was closed."""
    how, data, _ = wait_closed(sock, 2.0)
    if how == "timeout":
        raise Failure(f"bytes but no close: {data[:80]!r}")
    statuses = [s for s, _, _ in hostile.parse_closing_responses(data)]
    if statuses != [503]:
        raise Failure(f"a refused connection got {statuses} then {how}")


def serve_all(socks, what):
    """Send a request on each socket, then read and check each response."""
    for sock in socks:
        sock.sendall(build_request("/small.txt", headers=[("Connection", "close")]))
    for i, sock in enumerate(socks):
        with Client.adopt(sock, timeout=10.0) as client:
            reply = client.read_response()
            if reply.status != 200 or reply.body != SMALL:
                raise Failure(f"{what} {i}: status {reply.status}, body {reply.body[:40]!r}")


@test(timeout=90)
def fd_setsize_1200_connections_first_1000_served_rest_wait_or_503():
    hostile.need_nofile(CLIENTS + 300)
    root, sha = docroot()
    # The connections are opened silent and in order: no deferral, so that the
    # server sees each as it connects (test_defer_accept covers the deferral).
    server = hostile.with_prlimit(
        Server(root.root, args=("--header-timeout", "30s", "--keepalive-timeout", "30s",
                                "--defer-accept", "0")),
        NOFILE)
    with server:
        limits = hostile.nofile_limit(server.pid)
        expect(limits[0] > 1024, f"server's open file limit is {limits}: cannot pass 1024")
        hostile.one_request(server.port, "/small.txt", SMALL)
        base = hostile.settled_fd_count(server.pid)
        start = time.monotonic()
        socks = [hostile.connect_from(server.port, SOURCES[i % len(SOURCES)], timeout=10.0)
                 for i in range(CLIENTS)]
        connect_s = time.monotonic() - start
        hostile.wait_until(lambda: hostile.fd_count(server.pid) >= base + SLOTS, 10.0)
        time.sleep(1.0)
        peak_fds = hostile.fd_count(server.pid)

        first, rest = socks[:SLOTS], socks[SLOTS:]
        early = [i for i, s in enumerate(first) if readable(s)]
        expect(not early, f"{len(early)} of the first {SLOTS} connections were answered or "
                          f"closed before asking anything (first: #{early[:5]})")
        refused = [s for s in rest if readable(s, 0.2)]
        waiting = [s for s in rest if s not in refused]
        for sock in refused:
            refused_cleanly(sock)

        # The first 1,000 are served; their slots free; the waiting ones follow.
        t0 = time.monotonic()
        serve_all(first, "slot holder")
        first_s = time.monotonic() - t0
        serve_all(waiting, "waiting connection")
        # The server is intact: it still serves, byte for byte.
        with Client(server.port, timeout=10.0) as client:
            client.send(build_request("/big.bin"))
            reply = client.read_response(keep_body=False)
        expect(reply.status == 200 and reply.sha256 == sha, "GET /big.bin afterwards: "
               f"status {reply.status}, sha256 {'ok' if reply.sha256 == sha else 'WRONG'}")
        for sock in socks:
            sock.close()
        end = hostile.settled_fd_count(server.pid, want=base, timeout=5.0)
        shed_lines = hostile.stderr_lines(server, "FD_SETSIZE", "beyond select")

    figure("fd_setsize_clients", CLIENTS)
    figure("fd_setsize_source_addresses", len(SOURCES))
    figure("fd_setsize_connect_s", f"{connect_s:.2f}")
    figure("fd_setsize_server_fds_baseline", base)
    figure("fd_setsize_server_fds_peak", peak_fds)
    figure("fd_setsize_served_in_slots", SLOTS)
    figure("fd_setsize_first_1000_served_s", f"{first_s:.2f}")
    figure("fd_setsize_waited_then_served", len(waiting))
    figure("fd_setsize_refused_503", len(refused))
    figure("fd_setsize_log_lines", len(shed_lines))
    expect(refused, "no connection got a descriptor beyond FD_SETSIZE: the limit was not "
                    "exercised")
    expect(peak_fds < 1024 + 8, f"server held {peak_fds} descriptors at the peak")
    expect(end <= base, f"server holds {end} fds at the end, {base} before")
    expect(len(shed_lines) <= 2, f"{len(shed_lines)} log lines about shedding: {shed_lines[:3]}")


if __name__ == "__main__":
    harness.main(budget=110.0)
