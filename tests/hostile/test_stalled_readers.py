"""Stalled readers: clients that ask for a large file and stop reading.

20 clients (from 127.0.0.2..127.0.0.5) with a tiny receive buffer
(SO_RCVBUF 2 KiB, set before connecting) request a 50 MiB file: ten never
read a byte, ten read the first MiB and then stop. With `--send-timeout 2s`
the server must drop each one once it has accepted no byte for 2 s: not
before (the server's descriptors for them, socket and file, are all still
there 2 s after the stall began) and not much later (all gone within
send timeout + 3 s). Draining such a client afterwards ends in EOF or a
reset with fewer bytes than the file: the response was cut, nothing hangs.

Meanwhile a normal client on 127.0.0.1 requests a small file every 0.1 s
(each within 1 s) and downloads the whole 50 MiB file at full speed with
the right sha256.

The converse: the README drops "a client that accepts no bytes of a
response for the send timeout". A slow reader that keeps accepting bytes
(64 KiB per second, read 6.4 KiB every 0.1 s through a 4 KiB receive
buffer) must therefore still be held by the server after four send
timeouts (its socket and file descriptors are still open).

Run as `$PYTHON tests/hostile/test_stalled_readers.py` with SWITCHBOARD set.
"""

import functools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hostile  # noqa: E402
from hostile import MIB, Failure, expect, figure, harness  # noqa: E402
from harness import Client, Server, build_request, test, wait_closed  # noqa: E402

SIZE = 50 * MIB
STALLERS = 20
SEND_TIMEOUT = 2.0
GRACE = 3.0
SOURCES = hostile.source_addresses(4)
SMALL = b"small file for the client that reads\n"


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-stalled-")
    root.write("small.txt", SMALL)
    data = harness.random_bytes(SIZE)
    root.write("big.bin", data)
    return root, harness.sha256(data)


def read_exactly(sock, count, timeout=10.0):
    got = bytearray()
    deadline = time.monotonic() + timeout
    while len(got) < count:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(min(65536, count - len(got)))
        if not chunk:
            raise Failure(f"connection closed after {len(got)} of {count} bytes")
        got += chunk
    return bytes(got)


def full_download(port, sha):
    start = time.monotonic()
    with Client(port, timeout=20) as client:
        client.send(build_request("/big.bin"))
        reply = client.read_response(keep_body=False)
    took = time.monotonic() - start
    if reply.status != 200 or reply.length != SIZE or reply.sha256 != sha:
        raise Failure(f"normal download: status {reply.status}, {reply.length} bytes, "
                      f"sha256 {'ok' if reply.sha256 == sha else 'wrong'}")
    return took


@test(timeout=60)
def stalled_readers_dropped_after_send_timeout_others_unaffected():
    root, sha = docroot()
    args = ("--send-timeout", f"{SEND_TIMEOUT:g}s")
    with Server(root.root, args=args) as server:
        hostile.one_request(server.port, "/small.txt", SMALL)
        base = hostile.settled_fd_count(server.pid)
        stallers, first_bytes, stalled_at = [], [], []
        for i in range(STALLERS):
            sock = hostile.connect_from(server.port, SOURCES[i % len(SOURCES)], rcvbuf=2048)
            sock.sendall(build_request("/big.bin"))
            stallers.append(sock)
        for i, sock in enumerate(stallers):
            got = read_exactly(sock, MIB) if i % 2 else b""
            first_bytes.append(got)
            stalled_at.append(time.monotonic())  # from here on, it reads nothing
        held_fds = hostile.fd_count(server.pid) - base
        figure("stalled_server_fds_per_stalled_client", f"{held_fds / STALLERS:.1f}")
        expect(held_fds >= 2 * STALLERS, f"server holds {held_fds} fds for {STALLERS} stalled "
                                         f"downloads (expected socket + file each)")

        prober = hostile.Prober(server.port, "/small.txt", SMALL, interval=0.1,
                                timeout=1.0).start()
        # A normal client downloads the whole file while the others stall.
        download_s = full_download(server.port, sha)

        # Sample the server's descriptors: when did the first and last go?
        # (The prober may hold one more at any moment; a stalled download
        # holds two, its socket and its file, and frees both together.)
        first_drop = all_gone = None
        limit = stalled_at[-1] + SEND_TIMEOUT + GRACE + 2
        while time.monotonic() < limit:
            now, count = time.monotonic(), hostile.fd_count(server.pid)
            if first_drop is None and count <= base + held_fds - 1:
                first_drop = now
            if count <= base + 1:
                all_gone = now
                break
            time.sleep(0.02)
        prober.stop()

        drained = []
        for sock, got in zip(stallers, first_bytes):
            how, rest, _ = wait_closed(sock, 10.0)
            total = len(got) + len(rest)
            drained.append(len(rest))
            expect(how in ("eof", "reset"), f"a stalled client was never closed ({how} after "
                                            f"draining {total} bytes)")
            expect((got + rest).startswith(b"HTTP/1.1 200 OK\r\n"),
                   f"a stalled client's bytes begin {(got + rest)[:40]!r}")
            expect(total < SIZE, f"a stalled client received the whole file ({total} bytes): "
                                 f"not cut")
            sock.close()
        end_fds = hostile.settled_fd_count(server.pid, want=base, timeout=3)
        # The other clients, after: served.
        hostile.one_request(server.port, "/small.txt", SMALL)

    figure("stalled_clients", STALLERS)
    figure("stalled_file_mib", SIZE // MIB)
    figure("stalled_send_timeout_s", f"{SEND_TIMEOUT:g}")
    if first_drop is not None:
        figure("stalled_first_dropped_after_stall_s", f"{first_drop - stalled_at[0]:.2f}")
    if all_gone is not None:
        figure("stalled_all_dropped_after_last_stall_s", f"{all_gone - stalled_at[-1]:.2f}")
    figure("stalled_bytes_left_in_kernel_buffers_kib_median",
           hostile.percentile(drained, 50) // 1024)
    figure("stalled_normal_50mib_download_s", f"{download_s:.2f}")
    expect(all_gone is not None, f"stalled clients still held {SEND_TIMEOUT + GRACE:g} s "
                                 f"after they stalled ({hostile.fd_count(server.pid) - base} fds)"
           if server.alive() else "server died")
    expect(first_drop is None or first_drop - stalled_at[0] >= SEND_TIMEOUT - 0.1,
           f"a stalled client was dropped {first_drop - stalled_at[0]:.2f} s after it stalled "
           f"(send timeout {SEND_TIMEOUT:g} s)")
    expect(all_gone - stalled_at[-1] <= SEND_TIMEOUT + GRACE,
           f"last stalled client dropped {all_gone - stalled_at[-1]:.2f} s after it stalled")
    expect(end_fds <= base, f"server holds {end_fds} fds at the end, {base} before")
    prober.check("stalled_normal_client", max_limit=1.0, min_requests=10)


@test(timeout=40)
def slow_reader_that_keeps_accepting_bytes_is_not_dropped():
    root, _ = docroot()
    rate = 64 * 1024  # bytes per second, read every 0.1 s
    watch = 4 * SEND_TIMEOUT
    args = ("--send-timeout", f"{SEND_TIMEOUT:g}s")
    with Server(root.root, args=args) as server:
        hostile.one_request(server.port, "/small.txt", SMALL)
        base = hostile.settled_fd_count(server.pid)
        sock = hostile.connect_from(server.port, SOURCES[0], rcvbuf=4096)
        sock.sendall(build_request("/big.bin"))
        sock.setblocking(False)
        start = time.monotonic()
        received, dropped_at, tick = 0, None, 0
        while time.monotonic() - start < watch:
            tick += 1
            pause = start + tick * 0.1 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            want = rate // 10
            try:
                while want > 0:
                    chunk = sock.recv(want)
                    if not chunk:
                        break
                    received += len(chunk)
                    want -= len(chunk)
            except BlockingIOError:
                pass
            if dropped_at is None and hostile.fd_count(server.pid) < base + 2:
                dropped_at = time.monotonic() - start
        sock.close()
    elapsed = time.monotonic() - start
    figure("slow_reader_rate_kib_per_s", rate // 1024)
    figure("slow_reader_received_kib", received // 1024)
    figure("slow_reader_dropped_after_s", "never" if dropped_at is None else f"{dropped_at:.1f}")
    expect(received >= rate * elapsed * 0.5,
           f"the reader only got {received} bytes in {elapsed:.1f} s: the test did not read")
    expect(dropped_at is None,
           f"a reader accepting {rate // 1024} KiB/s ({received // 1024} KiB in {elapsed:.1f} s) "
           f"was dropped {dropped_at:.1f} s after its request (send timeout {SEND_TIMEOUT:g} s)"
           if dropped_at is not None else "")


if __name__ == "__main__":
    harness.main(budget=110.0)
