"""The lessons of the Python Socket Programming HOWTO, as server behaviour.

1. send() may send only part: slow readers get every byte, others are served.
2. recv() may return only part: requests split anywhere are served.
3. recv() == 0 means the peer is gone: aborted connections leave no fds behind,
   and count against no one once read.
4. TCP has no message boundaries: pipelined and glued requests are answered.
5. shutdown before close: a client still sending reads the whole error response.
6. a dead peer must never hang you: every wait has a deadline.
7. select() multiplexes: many idle connections, and a connection limit that queues.
8. SIGTERM stops the server cleanly, letting a download in flight finish.

Run as `$PYTHON tests/integration/test_lessons.py` with SWITCHBOARD set.
"""

import functools
import os
import resource
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (  # noqa: E402
    Client, Failure, Server, Skip, build_request, connect, expect, expect_eq,
    expect_served_promptly, expect_status, test, wait_closed,
)

MIB = 1024 * 1024
SMALL = b"a small file, served while others wait\n"
FILES = {"small.txt": SMALL, "one.txt": b"one\n", "two.txt": b"two\n", "three.txt": b"three\n"}
TIMEOUT_ARGS = ("--header-timeout", "1s", "--keepalive-timeout", "1s", "--send-timeout", "2s")


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-lessons-")
    for rel, data in FILES.items():
        root.write(rel, data)
    root.write("big.bin", harness.random_bytes(20 * MIB))
    return root


@functools.lru_cache(maxsize=None)
def big_sha256():
    with open(docroot().path("big.bin"), "rb") as src:
        return harness.sha256(src.read())


SHARED = harness.SharedServer(lambda: docroot().root)


def fresh_server(*args):
    """A server of the test's own, warmed up by one request; stop it with `with`."""
    server = Server(docroot().root, args=args).start()
    try:
        expect_served_promptly(server.port, "/small.txt", SMALL, limit=2.0)
    except BaseException:
        server.stop()
        raise
    return server


def settled_fd_count(server, timeout=3.0):
    """The server's fd count once it stops changing (sampled every 100 ms)."""
    deadline = time.monotonic() + timeout
    last = server.fd_count()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = server.fd_count()
        if now == last:
            return now
        last = now
    return last


def served_promptly(port):
    return expect_served_promptly(port, "/small.txt", SMALL, limit=1.0)


class Background:
    """Run func in a thread; join() re-raises what it raised."""

    def __init__(self, func):
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(func,), daemon=True)
        self.thread.start()

    def _run(self, func):
        try:
            self.result = func()
        except BaseException as exc:  # reported by join()
            self.error = exc

    def alive(self):
        return self.thread.is_alive()

    def join(self, timeout):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise Failure(f"background work still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.result


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(interval)
    return predicate()


def read_big(client):
    """Read the response to GET /big.bin on client and check every byte."""
    reply = client.read_response(keep_body=False)
    expect_status(reply, 200, "GET /big.bin")
    expect_eq(reply.length, 20 * MIB, "bytes of /big.bin")
    expect_eq(reply.sha256, big_sha256(), "sha256 of /big.bin")
    return reply


def download_big(port, timeout=25, **client_options):
    with Client(port, timeout=timeout, **client_options) as client:
        client.send(build_request("/big.bin"))
        return read_big(client)


# ---------------------------------------------------------------- 1. send() sends part


@test(timeout=40)
def lesson1_slow_reader_gets_every_byte_while_others_are_served():
    port = SHARED.get().port
    reader = Background(lambda: download_big(port, timeout=18, rcvbuf=4096, recv_size=4096,
                                             recv_pause=0.001))
    served_during = 0
    while reader.alive():
        served_promptly(port)
        served_during += 1
        time.sleep(0.2)
    reader.join(1)
    expect(served_during >= 3, f"only {served_during} requests overlapped the slow download")


# ---------------------------------------------------------------- 2. recv() returns part


@test
def lesson2_request_one_byte_at_a_time():
    data = build_request("/small.txt", headers=[("User-Agent", "byte-by-byte")])
    with Client(SHARED.get().port, nodelay=True) as client:
        for i in range(len(data)):
            client.send(data[i:i + 1])
            time.sleep(0.003)
        reply = client.read_response()
    expect_status(reply, 200, "request sent one byte at a time")
    expect_eq(reply.body, SMALL, "body")


@test(timeout=30)
def lesson2_request_split_at_every_offset():
    data = build_request("/small.txt")
    port = SHARED.get().port
    for cut in range(1, len(data)):
        with Client(port, nodelay=True) as client:
            client.send(data[:cut])
            time.sleep(0.005)
            client.send(data[cut:])
            reply = client.read_response()
        expect_status(reply, 200, f"request split after byte {cut} ({data[:cut]!r})")
        expect_eq(reply.body, SMALL, f"body for split after byte {cut}")



def chunked_then_get():
    """A request with a chunked body (extensions, a trailer), and one after it."""
    head = (b"GET /one.txt HTTP/1.1\r\nHost: lessons.test\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    body = b"4;x=y\r\nabcd\r\n10\r\n" + b"q" * 16 + b"\r\n0\r\nX-T: 1\r\n\r\n"
    return head + body + build_request("/two.txt"), len(head)


@test(timeout=60)
def lesson2_chunked_body_split_at_every_offset():
    """The body's end, and so the next request, is found however it arrives."""
    data, head_len = chunked_then_get()
    port = SHARED.get().port
    for cut in range(head_len - 2, len(data)):
        with Client(port, nodelay=True) as client:
            client.send(data[:cut])
            time.sleep(0.003)
            client.send(data[cut:])
            replies = client.read_responses(["GET", "GET"])
        expect_eq([r.status for r in replies], [200, 200], f"statuses, split after byte {cut}")
        expect_eq([r.body for r in replies], [FILES["one.txt"], FILES["two.txt"]],
                  f"bodies, split after byte {cut}")


@test(timeout=30)
def lesson2_chunked_body_one_byte_at_a_time():
    data, _ = chunked_then_get()
    with Client(SHARED.get().port, nodelay=True) as client:
        for i in range(len(data)):
            client.send(data[i:i + 1])
            time.sleep(0.002)
        replies = client.read_responses(["GET", "GET"])
    expect_eq([r.body for r in replies], [FILES["one.txt"], FILES["two.txt"]], "bodies")

# ---------------------------------------------------------------- 3. recv() == 0


ABORT_CYCLES = 2000


def abort_half_requests(port, cycles):
    half = build_request("/small.txt")
    half = half[:len(half) // 2]
    for i in range(cycles):
        sock = connect(port)
        try:
            sock.sendall(half)
            if i % 2:
                harness.set_linger_reset(sock)
        finally:
            sock.close()


@test(timeout=45)
def lesson3_aborted_connections_release_their_fds():
    with fresh_server() as server:
        baseline = settled_fd_count(server)
        abort_half_requests(server.port, ABORT_CYCLES)
        count = server.wait_fd_count(lambda n: n <= baseline, timeout=5)
        expect(count <= baseline,
               f"{count} fds open after {ABORT_CYCLES} aborted connections (baseline {baseline})")
        served_promptly(server.port)


@test(timeout=60)
def lesson3_a_backlog_of_aborted_connections_refuses_no_one():
    """The client aborted them all before the server took one: the server
    learns each is gone only by reading it, and the client's next connection,
    queued behind them, is served, not refused for the per-client limit."""
    with fresh_server() as server:
        os.kill(server.pid, signal.SIGSTOP)
        try:
            abort_half_requests(server.port, ABORT_CYCLES)
            client = Client(server.port, timeout=30)
            client.send(build_request("/small.txt"))
        finally:
            os.kill(server.pid, signal.SIGCONT)
        with client:
            reply = client.read_responses(["GET"])[0]
        expect_status(reply, 200, "the request queued behind the aborted connections")
        expect_eq(reply.body, SMALL, "its body")
        expect("refused" not in server.stderr_text(),
               f"the server refused a connection: {server.stderr_text()[-300:]!r}")


# ---------------------------------------------------------------- 4. no message boundaries

NAMES = ("one.txt", "two.txt", "three.txt")


def check_pipelined(count):
    data = b"".join(build_request("/" + name) for name in NAMES[:count])
    with Client(SHARED.get().port) as client:
        client.send(data)
        replies = client.read_responses(["GET"] * count)
    for name, reply in zip(NAMES, replies):
        expect_status(reply, 200, f"pipelined /{name}")
        expect_eq(reply.body, FILES[name], "pipelined responses in order")


def check_glued(cut_from_end_of_first):
    """The stream req1+req2 sent in two segments: the cut lies near req1's end."""
    first, second = build_request("/one.txt"), build_request("/two.txt")
    data = first + second
    cut = len(first) + cut_from_end_of_first
    with Client(SHARED.get().port, nodelay=True) as client:
        client.send(data[:cut])
        time.sleep(0.1)
        client.send(data[cut:])
        replies = client.read_responses(["GET", "GET"])
    expect_eq([r.body for r in replies], [FILES["one.txt"], FILES["two.txt"]],
              f"bodies for a stream cut at byte {cut}")


harness.add_test("lesson4_two_pipelined_in_one_send", functools.partial(check_pipelined, 2))
harness.add_test("lesson4_three_pipelined_in_one_send", functools.partial(check_pipelined, 3))
GLUE_CUTS = {
    "second_starts_in_first_segment": 10,  # segment 1 = req1 + the start of req2
    "first_ends_in_second_segment": -2,  # segment 2 = the last CRLF of req1 + req2
    "first_terminator_split": -3,
}
for _name, _cut in GLUE_CUTS.items():
    harness.add_test(f"lesson4_glued_{_name}", functools.partial(check_glued, _cut))


# ---------------------------------------------------------------- 5. shutdown before close


def keep_sending(sock, data, chunk=65536):
    """Send data in chunks; returns (bytes sent, the error that stopped it or None)."""
    sent = 0
    try:
        while sent < len(data):
            sent += sock.send(data[sent:sent + chunk])
    except (OSError, socket.timeout) as exc:
        return sent, exc
    return sent, None


@test(timeout=30)
def lesson5_client_still_sending_reads_the_whole_error():
    """The server must drain the body it refused: closing with unread bytes
    makes its kernel answer with a RST, which breaks the client's sending
    and can destroy the response before the client reads it."""
    body = b"b" * MIB
    head = build_request("/small.txt", headers=[("X-Bad ", "space before colon"),
                                                 ("Content-Length", str(len(body)))])
    with Client(SHARED.get().port, timeout=10) as client:
        client.send(head + body[:65536])
        sent, error = Background(lambda: keep_sending(client.sock, body[65536:])).join(15)
        if error is None:
            client.sock.shutdown(socket.SHUT_WR)
        reply = client.read_response()
    expect_status(reply, 400, "request with an invalid header and a 1 MiB body")
    expect(reply.closed, "connection not closed after the 400")
    expect(error is None, f"sending the body failed after {65536 + sent} bytes: {error!r}")
    expect(not reply.reset, "connection reset after the 400")


# ---------------------------------------------------------------- 6. dead peers

TIMEOUTS = harness.SharedServer(lambda: docroot().root, args=TIMEOUT_ARGS)


def expect_quiet_close(how, data, seconds, low, high, what):
    """Closed (EOF or RST) between low and high seconds, with nothing or a 408."""
    expect(how != "timeout", f"{what}: still open after {seconds:.1f} s")
    expect(not data or data.startswith(b"HTTP/1.1 408 "),
           f"{what}: unexpected bytes before the close: {harness.short(data)}")
    expect(low <= seconds <= high, f"{what}: closed after {seconds:.2f} s, want {low}-{high} s")


@test
def lesson6_idle_connection_closed():
    port = TIMEOUTS.get().port
    with connect(port) as idle:
        started = time.monotonic()
        served_promptly(port)
        how, data, _ = wait_closed(idle, 6)
        expect_quiet_close(how, data, time.monotonic() - started, 0.8, 3.0,
                           "idle connection (header timeout 1 s)")


@test
def lesson6_idle_keepalive_connection_closed():
    port = TIMEOUTS.get().port
    with Client(port) as client:
        expect_status(client.get("/small.txt"), 200, "first request")
        started = time.monotonic()
        served_promptly(port)
        how, data, _ = wait_closed(client.sock, 6)
        expect_quiet_close(how, data, time.monotonic() - started, 0.8, 3.0,
                           "idle kept-alive connection (keep-alive timeout 1 s)")


def trickle(sock, data, interval, limit):
    """Send one byte per interval until the peer closes.

    Returns (how, bytes received, when) with how as for wait_closed."""
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return "reset", b"", time.monotonic()
        if harness.readable_within(sock, interval):
            how, received, _ = wait_closed(sock, 1.0)
            return how, received, time.monotonic()
        if time.monotonic() > limit:
            break
    return "timeout", b"", time.monotonic()


@test
def lesson6_trickling_client_closed_at_header_deadline():
    port = TIMEOUTS.get().port
    data = build_request("/small.txt", headers=[("X-Padding", "p" * 100)])
    with connect(port, nodelay=True) as sock:
        started = time.monotonic()
        served_promptly(port)
        how, got, ended = trickle(sock, data, 0.3, limit=started + 6)
    expect_quiet_close(how, got, ended - started, 0.8, 2.5,
                       "client sending a header byte every 300 ms")
    served_promptly(port)


@test(timeout=30)
def lesson6_reader_that_never_reads_is_dropped():
    with fresh_server(*TIMEOUT_ARGS) as server:
        baseline = settled_fd_count(server)
        with connect(server.port, rcvbuf=4096) as stuck:
            stuck.sendall(build_request("/big.bin"))
            started = time.monotonic()
            time.sleep(0.5)
            expect(server.fd_count() > baseline, "the stuck connection is not open on the server")
            served_promptly(server.port)
            count = server.wait_fd_count(lambda n: n <= baseline, timeout=8)
            dropped_after = time.monotonic() - started
            expect(count <= baseline, f"stuck reader still connected after {dropped_after:.1f} s")
            expect(1.5 <= dropped_after <= 7.0,
                   f"stuck reader dropped after {dropped_after:.1f} s (send timeout 2 s)")
            how, data, _ = wait_closed(stuck, 10)
        expect(how != "timeout", "client side saw no close after the server dropped it")
        expect(len(data) < 20 * MIB, "the whole file was delivered to a client that never read")
        served_promptly(server.port)


# ---------------------------------------------------------------- 7. select() multiplexes


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return max(soft, target)


class Connections:
    """Many open sockets, all closed on exit; sources cycle through local addresses."""

    def __init__(self, port, count, sources=(None,)):
        self.socks = []
        try:
            for i in range(count):
                self.socks.append(connect(port, source=sources[i % len(sources)]))
        except BaseException:
            self.close()
            raise

    def close(self):
        for sock in self.socks:
            sock.close()

    def __enter__(self):
        return self.socks

    def __exit__(self, *exc):
        self.close()


IDLE_COUNT = 900
# Many clients rather than one: a per-client connection limit is fair policy.
IDLE_SOURCES = tuple(f"127.0.0.{n}" for n in range(2, 12))


@test(timeout=30)
def lesson7_many_idle_connections_do_not_block_others():
    if raise_fd_limit(4096) < IDLE_COUNT + 100:
        raise Skip("the fd limit is too low for 900 connections")
    with fresh_server("--header-timeout", "60s") as server:
        baseline = settled_fd_count(server)
        with Connections(server.port, IDLE_COUNT, IDLE_SOURCES) as idle:
            count = server.wait_fd_count(lambda n: n >= baseline + IDLE_COUNT, timeout=10)
            expect(count >= baseline + IDLE_COUNT,
                   f"server holds {count - baseline} of {IDLE_COUNT} idle connections")
            served_promptly(server.port)
            last = Client.adopt(idle[-1])  # the highest-numbered connection on the server
            reply = last.request(build_request("/small.txt"))
            expect_eq(reply.body, SMALL, "request on the last of the idle connections")


LIMIT = 5


WAITING_ROOM = 64


@test(timeout=30)
def lesson7_connection_limit_queues_extra_connections():
    # The connections send nothing at first: without the deferral of silent
    # connections (defer_accept), the server takes each as it connects.
    with fresh_server("--max-connections", str(LIMIT), "--header-timeout", "60s",
                      "--defer-accept", "0") as server:
        baseline = settled_fd_count(server)
        with Connections(server.port, 2 * LIMIT) as conns:
            server.wait_fd_count(lambda n: n >= baseline + LIMIT, timeout=3)
            time.sleep(0.3)  # time to accept more than the limit, were it ignored
            count = server.fd_count()
            # Connections beyond the limit wait in a bounded waiting room (64) or
            # the kernel backlog: never more descriptors than that.
            expect(LIMIT <= count - baseline <= LIMIT + WAITING_ROOM,
                   f"descriptors held with --max-connections 5: {count - baseline}")
            waiting = Client.adopt(conns[LIMIT], timeout=5)
            waiting.send(build_request("/small.txt"))
            if harness.readable_within(waiting.sock, 0.5):
                how, data, _ = wait_closed(waiting.sock, 0.5)
                raise Failure("the sixth connection, sent a request while 5 were open, was not "
                              f"left waiting: got {harness.short(data)} then {how}")
            conns[0].close()
            expect_eq(waiting.read_response(timeout=2).body, SMALL, "sixth connection, slot freed")
            for sock in conns[1:LIMIT + 1]:
                sock.close()
            for i, sock in enumerate(conns[LIMIT + 1:], LIMIT + 2):
                reply = Client.adopt(sock, timeout=3).request(build_request("/small.txt"))
                expect_eq(reply.body, SMALL, f"connection {i} after slots freed")


# ---------------------------------------------------------------- 8. SIGTERM


@test
def lesson8_sigterm_exits_zero():
    server = fresh_server()
    status = server.stop(signal.SIGTERM, timeout=5)
    expect_eq(status, 0, "exit status after SIGTERM")


@test(timeout=40)
def lesson8_sigterm_lets_a_download_finish():
    server = fresh_server()
    try:
        with Client(server.port, timeout=25, rcvbuf=65536, recv_size=16384,
                    recv_pause=0.001) as client:
            client.send(build_request("/big.bin"))
            download = Background(lambda: read_big(client))
            wait_until(lambda: client.received >= MIB or not download.alive(), timeout=5)
            expect(download.alive(), "the download ended before SIGTERM could be sent")
            status = server.stop(signal.SIGTERM, timeout=25)
            download.join(10)
    finally:
        server.stop()
    expect_eq(status, 0, "exit status after SIGTERM with a download in flight")


if __name__ == "__main__":
    harness.main()
