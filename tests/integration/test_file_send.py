"""Bodies from files, by both of the kernel paths that can carry them.

A file too large for the file cache goes out by sendfile(2), or is read a
piece at a time and sent with send(2); `sendfile on | off | remote` chooses,
and the default (remote) reads and sends to a peer on this host. Each mode
must deliver the same bytes: whole files, ranges, to a reader so slow that
most sends are short, and a file that shrinks mid-response must end the
connection rather than hang it. strace, attached to the running server,
shows which path each mode takes; a peer in another network namespace (made
here, with a veth pair: root and iproute2 needed, else skipped) is another
host, and gets sendfile(2) under the default.

Run as `$PYTHON tests/integration/test_file_send.py` with SWITCHBOARD set.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Client, Skip, build_request, expect, expect_eq, expect_status, test  # noqa: E402

FILE_BUDGET = 120.0
MODES = ("on", "off", "remote")
# Larger than the file cache takes (256 KiB a file), odd-sized, and more
# than one of the read-and-send pieces (256 KiB) and turns (2 MiB).
BIG = harness.random_bytes(3 * 1024 * 1024 + 12345)
MEDIUM = harness.random_bytes(300 * 1024 + 1)
FILES = {"big.bin": BIG, "medium.bin": MEDIUM}

_servers = {}


def server(mode):
    """A server (one per mode, started on first use) with `sendfile mode`."""
    if mode not in _servers:
        _servers[mode] = harness.configured_server([f"sendfile {mode}"], files=FILES,
                                                   prefix=f"switchboard-sendfile-{mode}-")
    return _servers[mode]


def get(port, target, headers=(), **client_options):
    with Client(port, **client_options) as client:
        return client.request(build_request(target, headers=headers), "GET")


def whole_files(mode):
    port = server(mode).port
    for name, data in FILES.items():
        reply = get(port, "/" + name)
        expect_status(reply, 200, f"sendfile {mode}: GET /{name}")
        expect_eq(len(reply.body), len(data), f"sendfile {mode}: length of /{name}")
        expect(reply.body == data, f"sendfile {mode}: /{name} arrived with other bytes")


def ranges(mode):
    port = server(mode).port
    for first, last in ((0, 0), (1000, 2_100_000), (262_143, 262_144 + 5), (len(BIG) - 7, None)):
        spec = f"bytes={first}-" + ("" if last is None else str(last))
        reply = get(port, "/big.bin", headers=[("Range", spec)])
        expect_status(reply, 206, f"sendfile {mode}: Range {spec}")
        want = BIG[first:] if last is None else BIG[first:last + 1]
        expect(reply.body == want, f"sendfile {mode}: Range {spec}: other bytes")


def slow_reader(mode):
    """A small receive window: the server's sends are mostly short, and what a
    short send left behind must follow, once, in order."""
    reply = get(server(mode).port, "/big.bin", rcvbuf=16384, recv_size=8192, timeout=30)
    expect_status(reply, 200, f"sendfile {mode}: slow reader")
    expect(reply.body == BIG, f"sendfile {mode}: the slow reader got other bytes")


for _mode in MODES:
    harness.add_test(f"whole_files_sendfile_{_mode}", lambda m=_mode: whole_files(m))
    harness.add_test(f"ranges_sendfile_{_mode}", lambda m=_mode: ranges(m))
    harness.add_test(f"slow_reader_sendfile_{_mode}", lambda m=_mode: slow_reader(m), timeout=40)


def shrinking_file(mode):
    """The file is cut short while its response is under way: the promised
    Content-Length can no longer be met, so the server closes the connection
    (logging why) instead of waiting for bytes that will never come."""
    srv = server(mode)
    name = f"shrinks-{mode}.bin"
    size = 8 * 1024 * 1024
    srv.docroot.write(name, harness.random_bytes(size))
    with Client(srv.port, rcvbuf=16384, timeout=10) as client:
        client.send(build_request("/" + name))
        head = client.sock.recv(4096)  # the head and the first bytes: the file is open
        expect(head.startswith(b"HTTP/1.1 200"), f"sendfile {mode}: {head[:40]!r}")
        os.truncate(srv.docroot.path(name), 1024 * 1024)
        received = len(head)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            chunk = client.sock.recv(65536)
            if not chunk:
                break
            received += len(chunk)
        else:
            raise harness.Failure(f"sendfile {mode}: still open 10 s after the file shrank")
    expect(received < size, f"sendfile {mode}: {received} bytes of a file cut to 1 MiB")
    deadline = time.monotonic() + 5
    while "file shrank" not in srv.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    expect("file shrank" in srv.stderr_text(), f"sendfile {mode}: the close was not logged")


for _mode in MODES:
    harness.add_test(f"shrinking_file_sendfile_{_mode}", lambda m=_mode: shrinking_file(m))


# ---------------------------------------------------------------- which path


def need_root_tool(tool):
    if os.geteuid() != 0:
        raise Skip(f"needs root (strace attaches to the server; {tool})")
    if shutil.which(tool) is None:
        raise Skip(f"{tool} is not installed (tools/install-deps installs it)")


class Traced:
    """strace attached to a running process, counting sendfile and pread64
    calls; detached (SIGINT) on leaving, before the server is stopped."""

    def __init__(self, pid):
        self.log = os.path.join(harness.work_dir("switchboard-strace-"), "trace")
        self.proc = subprocess.Popen(
            ["strace", "-f", "-qq", "-e", "trace=sendfile,pread64", "-o", self.log,
             "-p", str(pid)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        harness.at_end(self._kill)
        # strace says nothing when attached under -qq; its status line in
        # /proc tells: the server's TracerPid becomes strace's pid.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if tracer_of(pid) == self.proc.pid:
                return
            if self.proc.poll() is not None:
                raise Skip(f"strace cannot attach: {self.proc.stderr.read().decode()[-200:]}")
            time.sleep(0.02)
        raise harness.Failure("strace did not attach within 5 s")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._kill()

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(10)

    def counts(self):
        text = open(self.log).read()
        return {call: len(re.findall(rf"\b{call}\(", text)) for call in ("sendfile", "pread64")}


def tracer_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


def path_taken(mode, fetch):
    """{'sendfile': n, 'pread64': n} while fetch() runs against mode's server."""
    srv = server(mode)
    with Traced(srv.proc.pid) as traced:
        fetch(srv)
    return traced.counts()


def loopback_fetch(srv):
    reply = get(srv.port, "/big.bin")
    expect(reply.body == BIG, "the traced GET got other bytes")


@test(timeout=30)
def loopback_peer_paths():
    need_root_tool("strace")
    on = path_taken("on", loopback_fetch)
    expect(on["sendfile"] > 0 and on["pread64"] == 0, f"sendfile on, a loopback peer: {on}")
    off = path_taken("off", loopback_fetch)
    expect(off["sendfile"] == 0 and off["pread64"] > 0, f"sendfile off: {off}")
    remote = path_taken("remote", loopback_fetch)
    expect(remote["sendfile"] == 0 and remote["pread64"] > 0,
           f"sendfile remote (the default), a loopback peer is on this host: {remote}")


# ---------------------------------------------------------------- another host


class Namespaces:
    """Two network namespaces joined by a veth pair: the server's
    (192.0.2.1) and the client's (192.0.2.2). Removed at the end."""

    SERVER_ADDR, CLIENT_ADDR = "192.0.2.1", "192.0.2.2"

    def __init__(self):
        tag = f"sb{os.getpid() % 100000}"
        self.server_ns, self.client_ns = f"{tag}-srv", f"{tag}-cli"
        harness.at_end(self.remove)
        for ns in (self.server_ns, self.client_ns):
            self._ip("netns", "add", ns)
        self._ip("link", "add", f"{tag}a", "netns", self.server_ns, "type", "veth", "peer",
                 "name", f"{tag}b", "netns", self.client_ns)
        for ns, dev, addr in ((self.server_ns, f"{tag}a", self.SERVER_ADDR),
                              (self.client_ns, f"{tag}b", self.CLIENT_ADDR)):
            self._ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            self._ip("-n", ns, "link", "set", dev, "up")
            self._ip("-n", ns, "link", "set", "lo", "up")

    @staticmethod
    def _ip(*args):
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise Skip(f"ip {' '.join(args)}: {done.stderr.strip()}")

    def remove(self):
        for ns in (self.server_ns, self.client_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


@test(timeout=40)
def other_host_gets_sendfile():
    need_root_tool("ip")
    need_root_tool("strace")
    if shutil.which(harness.CURL) is None:
        raise Skip("curl is not installed")
    nets = Namespaces()
    srv = harness.configured_server([], files=FILES, prefix="switchboard-netns-",
                                    listen=(f"{nets.SERVER_ADDR}:0",), start=False)
    srv.argv = ["ip", "netns", "exec", nets.server_ns, *srv.argv]
    srv.start()
    harness.at_end(srv.stop)
    out = os.path.join(srv.work, "fetched")

    def curl_from_other_namespace(s):
        subprocess.run(["ip", "netns", "exec", nets.client_ns, harness.CURL, "-q", "--silent",
                        "--show-error", "--fail", "--noproxy", "*", "-o", out,
                        f"http://{nets.SERVER_ADDR}:{s.port}/big.bin"], check=True, timeout=20)
        with open(out, "rb") as f:
            expect(f.read() == BIG, "curl from the other namespace got other bytes")

    with Traced(srv.proc.pid) as traced:
        curl_from_other_namespace(srv)
    counts = traced.counts()
    expect(counts["sendfile"] > 0 and counts["pread64"] == 0,
           f"sendfile remote (the default), a peer on another host: {counts}")


if __name__ == "__main__":
    harness.main(FILE_BUDGET)
