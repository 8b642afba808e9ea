"""Silent connections and the kernel's deferral (defer_accept, TCP_DEFER_ACCEPT).

By default the kernel hands a TCP connection to the server only once its
client has sent something, or after 1 s (one SYN-ACK retransmission).

- Silent connections hold nothing of the server's meanwhile: 20 of them from
  one address (over its per-client cap of 10) take no descriptor, and a
  request from that address on a new connection is answered at once.
- After the deferral they are the server's like any other: it takes them
  (within its caps: 10 held, the rest answered 503) and closes each silent
  one at the header deadline, which counts the second it spent silent in
  the kernel: a silent client is closed header_timeout after it connected,
  as without the deferral.
- A client that sends part of a head is taken at once, and its header
  deadline counts from then.
- `--defer-accept 0`: a silent connection is taken at once and closed at the
  header deadline; a reload that sets `defer_accept 0` applies to the next
  connections.

Run as `$PYTHON tests/hostile/test_defer_accept.py` with SWITCHBOARD set.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hostile  # noqa: E402
from hostile import Failure, expect, figure, harness  # noqa: E402
from harness import Server, expect_eq, expect_status, test  # noqa: E402

SMALL = b"served while silent connections wait in the kernel\n"
HOG = "127.0.0.2"
CAP = 10
HEADER_TIMEOUT = 3.0
SLACK = 1.5  # a loaded machine's lateness in closing, and the SYN-ACK's round trip


def docroot():
    root = harness.DocRoot("switchboard-defer-")
    root.write("small.txt", SMALL)
    return root


def closed_after(sock, start, limit):
    """Seconds from start until the server closed sock (EOF or RST), reading
    whatever it sent first; Failure if still open at start + limit."""
    how, data, _ = harness.wait_closed(sock, start + limit - time.monotonic())
    if how == "timeout":
        raise Failure(f"still open {limit:.1f} s after connecting; got {data[:60]!r}")
    return time.monotonic() - start


@test(timeout=30)
def silent_connections_hold_nothing_until_the_deferral_ends():
    args = ("--max-connections-per-client", str(CAP), "--header-timeout", f"{HEADER_TIMEOUT:g}s")
    with Server(docroot().root, args=args) as server:
        hostile.one_request(server.port, "/small.txt", SMALL)
        base = hostile.settled_fd_count(server.pid)
        start = time.monotonic()
        silent = [hostile.connect_from(server.port, HOG) for _ in range(2 * CAP)]
        try:
            # Within the deferral: the server holds none of them, and the
            # same address, over its cap in connections, is served at once.
            took = hostile.one_request(server.port, "/small.txt", SMALL, source=HOG)
            figure("defer_request_beside_20_silent_ms", f"{took * 1000:.1f}")
            held = hostile.fd_count(server.pid) - base
            expect(time.monotonic() - start < 0.8,
                   "too slow to look within the deferral: the machine is overloaded")
            expect_eq(held, 0, "connections the server holds within the deferral")
            # After it, the server takes them: CAP held, the others 503 and closed.
            expect(hostile.wait_until(lambda: hostile.fd_count(server.pid) - base >= CAP,
                                      1.0 + SLACK),
                   f"the server holds {hostile.fd_count(server.pid) - base} of them after the "
                   "deferral")
            # 10 get their 503 as the deferral ends; the 10 held are closed at
            # the header deadline counted from when they connected.
            closes = sorted(closed_after(sock, start, HEADER_TIMEOUT + SLACK)
                            for sock in silent)
            figure("defer_silent_closed_first_s", f"{closes[0]:.2f}")
            figure("defer_silent_closed_last_s", f"{closes[-1]:.2f}")
            expect(closes[0] >= 0.9, f"a silent connection was closed after {closes[0]:.2f} s")
            expect(closes[CAP - 1] < HEADER_TIMEOUT - 0.5,
                   f"the {CAP} over the cap got their 503 only after {closes[CAP - 1]:.2f} s")
            expect(closes[CAP] >= HEADER_TIMEOUT - 0.1,
                   f"only {CAP} were answered 503, yet the {CAP + 1}th of 20 closed after "
                   f"{closes[CAP]:.2f} s (header timeout {HEADER_TIMEOUT:g} s)")
            # Not a second later: the time silent in the kernel counts.
            expect(closes[-1] <= HEADER_TIMEOUT + 0.8,
                   f"the last silent connection closed after {closes[-1]:.2f} s "
                   f"(header timeout {HEADER_TIMEOUT:g} s, counted from the connect)")
        finally:
            for sock in silent:
                sock.close()
        expect(hostile.wait_until(lambda: hostile.fd_count(server.pid) <= base, 3.0),
               "the silent connections' slots were not released")


@test(timeout=20)
def first_bytes_are_taken_at_once_and_timed_from_then():
    args = ("--header-timeout", f"{HEADER_TIMEOUT:g}s")
    with Server(docroot().root, args=args) as server:
        hostile.one_request(server.port, "/small.txt", SMALL)
        base = hostile.settled_fd_count(server.pid)
        sock = hostile.connect_from(server.port, HOG)
        with sock:
            time.sleep(0.5)
            sent = time.monotonic()
            sock.sendall(b"GET /small.txt HTTP/1.1\r\n")
            expect(hostile.wait_until(lambda: hostile.fd_count(server.pid) > base, 0.5),
                   "a connection that sent its first bytes was not taken within 0.5 s")
            how, data, _ = harness.wait_closed(sock, HEADER_TIMEOUT + SLACK)
            took = time.monotonic() - sent
            expect(data.startswith(b"HTTP/1.1 408 "), f"expected a 408, got {how} {data[:40]!r}")
            expect(HEADER_TIMEOUT - 0.1 <= took <= HEADER_TIMEOUT + SLACK,
                   f"the 408 came {took:.2f} s after the first bytes "
                   f"(header timeout {HEADER_TIMEOUT:g} s)")


def silent_taken_at_once(server):
    """A silent connection is held by the server within 0.5 s and closed at
    the header deadline."""
    base = hostile.settled_fd_count(server.pid)
    start = time.monotonic()
    with hostile.connect_from(server.port, HOG) as sock:
        expect(hostile.wait_until(lambda: hostile.fd_count(server.pid) > base, 0.5),
               "a silent connection was not taken at once")
        took = closed_after(sock, start, HEADER_TIMEOUT + SLACK)
        expect(took >= HEADER_TIMEOUT - 0.1, f"closed after {took:.2f} s")


@test(timeout=20)
def no_deferral_takes_silent_connections_at_once():
    args = ("--defer-accept", "0", "--header-timeout", f"{HEADER_TIMEOUT:g}s")
    with Server(docroot().root, args=args) as server:
        silent_taken_at_once(server)


@test(timeout=20)
def a_reload_turns_the_deferral_off():
    work = harness.work_dir("switchboard-defer-conf-")
    conf = harness.write_config(work, "switchboard.conf",
                                f"header_timeout {HEADER_TIMEOUT:g}s\n")
    with Server(docroot().root, args=("-c", conf)) as server:
        base = hostile.settled_fd_count(server.pid)
        with hostile.connect_from(server.port, HOG):
            time.sleep(0.4)
            expect_eq(hostile.fd_count(server.pid) - base, 0, "held with the default deferral")
        expect(hostile.wait_until(lambda: hostile.fd_count(server.pid) <= base, 3.0),
               "the first silent connection was not released")
        harness.write_config(work, "switchboard.conf",
                             f"header_timeout {HEADER_TIMEOUT:g}s\ndefer_accept 0\n")
        server.proc.send_signal(signal.SIGHUP)
        expect(hostile.wait_until(lambda: "configuration reloaded" in server.stderr_text(), 5),
               "no reload: " + server.stderr_text()[-300:])
        silent_taken_at_once(server)
        reply = harness.fetch(server.port, "/small.txt")
        expect_status(reply, 200, "after the reload")


if __name__ == "__main__":
    harness.main(90)
