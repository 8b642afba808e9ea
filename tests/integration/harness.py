"""Shared helpers for switchboard's integration tests.

The test scripts run as `$PYTHON tests/integration/test_x.py` from the build
directory and import this module after putting their own directory on
sys.path. Everything here uses the standard library plus h11.

Contents:
  - environment (SWITCHBOARD, PYTHON, CURL, SB_SRCDIR, SB_SHARED);
  - DocRoot: a temporary document root with a secret file next to it;
  - Server: starts the built server on a free loopback port, drains its
    stderr, stops it and remembers how it ended;
  - raw-socket helpers and a strict response reader built on h11;
  - a small test runner (decorator-registered tests, a timeout per test,
    "PASS name" / "FAIL name: reason" lines, and "N passed, N failed").
"""

import email.utils
import hashlib
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import h11

SKIP_EXIT = 77

SWITCHBOARD = os.environ.get("SWITCHBOARD", "")
PYTHON = os.environ.get("PYTHON") or sys.executable
CURL = os.environ.get("CURL") or shutil.which("curl") or "curl"
SB_SRCDIR = os.environ.get("SB_SRCDIR", "")
SB_SHARED = os.environ.get("SB_SHARED", "")

HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 5.0
START_TIMEOUT = 10.0
HOST_HEADER = "switchboard.test"

URL_RE = re.compile(r"http://(\[[^\]]*\]|[0-9.]+):(\d+)/")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer", "==ERROR")
IMF_FIXDATE_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
STATUS_LINE_RE = re.compile(rb"^HTTP/1\.1 [1-5][0-9]{2} [\t\x20-\x7e\x80-\xff]*$")


# ---------------------------------------------------------------- failures


class Failure(AssertionError):
    """A test expectation that did not hold."""


class Skip(Exception):
    """The test cannot run here (reason in the message)."""


class ResponseError(Failure):
    """The server's bytes are not a correct HTTP/1.1 response."""


class NoResponse(ResponseError):
    """The connection ended or timed out before a complete response."""


def expect(condition, message):
    if not condition:
        raise Failure(message)


def expect_eq(got, want, what):
    if got != want:
        raise Failure(f"{what}: expected {want!r}, got {got!r}")


def expect_in(got, allowed, what):
    if got not in allowed:
        raise Failure(f"{what}: expected one of {sorted(allowed)!r}, got {got!r}")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def short(data, limit=120):
    """A bytes value shortened for a one-line message."""
    text = repr(bytes(data[:limit]))
    return text if len(data) <= limit else f"{text}... ({len(data)} bytes)"


def http_date(timestamp):
    return email.utils.formatdate(timestamp, usegmt=True)


def parse_http_date(value):
    return email.utils.parsedate_to_datetime(value).timestamp()


# ---------------------------------------------------------------- environment


def require_binary():
    """Exit 77 when not run by `make check`; fail when the binary is missing."""
    if not SWITCHBOARD:
        print("SKIP: SWITCHBOARD is not set (run through make check)")
        sys.exit(SKIP_EXIT)
    if not os.access(SWITCHBOARD, os.X_OK):
        print(f"FAIL setup: {SWITCHBOARD} is not an executable")
        print("0 passed, 1 failed")
        sys.exit(1)


_version = None


def server_version():
    """The VERSION in the server's `--version` output ("switchboard VERSION")."""
    global _version
    if _version is None:
        out = subprocess.run([SWITCHBOARD, "--version"], capture_output=True, timeout=10)
        match = re.search(rb"switchboard (\S+)", out.stdout)
        if not match:
            raise Failure(f"--version printed {short(out.stdout)}")
        _version = match.group(1).decode()
    return _version


def run_cli(args, timeout=10, cwd=None):
    """Run the server with args, expecting it to exit by itself."""
    return subprocess.run(
        [SWITCHBOARD, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        cwd=cwd,
    )


def has_ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_port(host=HOST):
    """A port that was free a moment ago (racy, but fine on loopback)."""
    with socket.socket(family_of(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


# ---------------------------------------------------------------- cleanup

_cleanups = []


def at_end(func):
    """Run func when the test file ends (in reverse order of registration)."""
    _cleanups.append(func)
    return func


def _run_cleanups():
    while _cleanups:
        func = _cleanups.pop()
        try:
            func()
        except Exception as exc:  # cleanup must not hide the results
            print(f"# cleanup error: {exc!r}")


# ---------------------------------------------------------------- document root


class DocRoot:
    """A temporary directory: base/root is served, base/ holds a secret.

    The secret file lies next to the root, where only a traversal or an
    escaping symlink could reach it; tests check its bytes never appear.
    Everything is readable by all users: started as root, the server drops
    to an unprivileged user before it opens the root.
    """

    SECRET = b"SWITCHBOARD-SECRET-7f3a9c1e-must-never-be-served\n"
    DIR_MODE = 0o755
    FILE_MODE = 0o644

    def __init__(self, prefix="switchboard-test-"):
        self.base = tempfile.mkdtemp(prefix=prefix)
        at_end(self.remove)
        os.chmod(self.base, self.DIR_MODE)
        self.root = os.path.join(self.base, "root")
        self._mkdir(self.root)
        self.secret_path = os.path.join(self.base, "secret.txt")
        self._write(self.secret_path, self.SECRET)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, data, mtime=None):
        self._make_parents(rel)
        self._write(self.path(rel), data)
        if mtime is not None:
            os.utime(self.path(rel), (mtime, mtime))
        return data

    def sparse(self, rel, size):
        """A file of size bytes that takes no space (OSError if refused)."""
        self._make_parents(rel)
        self._write(self.path(rel), b"")
        os.truncate(self.path(rel), size)

    def _make_parents(self, rel):
        path = self.root
        for part in rel.split("/")[:-1]:
            path = os.path.join(path, part)
            if not os.path.isdir(path):
                self._mkdir(path)

    def _mkdir(self, path):
        os.mkdir(path)
        os.chmod(path, self.DIR_MODE)

    def _write(self, path, data):
        with open(path, "wb") as out:
            out.write(data)
        os.chmod(path, self.FILE_MODE)

    def symlink(self, target, rel):
        os.symlink(target, self.path(rel))

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)


def random_bytes(size):
    return os.urandom(size)


# ---------------------------------------------------------------- server


class ServerError(Failure):
    pass


class Server:
    """The server under test, as a child process.

    Started with `--listen 127.0.0.1:0` (unless listen= says otherwise); the
    bound addresses come from the startup line on stderr. A thread keeps
    draining stderr into memory. Every Server is remembered so the runner can
    check, at the end, for sanitizer reports and unexpected exits.
    """

    started = []

    def __init__(self, root=None, args=(), listen=(f"{HOST}:0",), positional_root=False,
                 cwd=None):
        self.argv = [SWITCHBOARD]
        for address in listen:
            self.argv += ["--listen", address]
        self.argv += list(args)
        if root is not None:
            self.argv += [root] if positional_root else ["--root", root]
        self.cwd = cwd
        self.proc = None
        self.addresses = []  # [(host, port)] in the order of the startup line
        self.startup_line = None
        self.died = None  # exit status when it ended before being stopped
        self.stop_signal = None
        self._lines = []
        self._lock = threading.Lock()
        self._announced = threading.Event()
        self._drainer = None

    # -- life cycle

    def start(self, timeout=START_TIMEOUT):
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, cwd=self.cwd)
        Server.started.append(self)
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        if not self._announced.wait(timeout) or not self.addresses:
            status = self._exit_status_soon()
            if status is None:
                self.stop(signal.SIGKILL)
                reason = f"no startup line with a URL within {timeout:.0f} s"
            else:
                self.died = status
                reason = f"exited with status {status} before announcing an address"
            raise ServerError(f"{reason}; stderr: {self.stderr_text()[-500:]!r}")
        return self

    def _exit_status_soon(self, grace=2.0):
        """The exit status if the process ends within grace seconds, else None."""
        try:
            return self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            return None

    def _drain(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace")
            with self._lock:
                self._lines.append(line)
            if not self.addresses:
                self._parse_startup(line)
        self._announced.set()

    def _parse_startup(self, line):
        found = URL_RE.findall(line)
        if found:
            self.addresses = [(host.strip("[]"), int(port)) for host, port in found]
            self.startup_line = line.rstrip("\n")
            self._announced.set()

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signal the server, wait for it, return its exit status.

        Past the timeout it is killed (the status is then -SIGKILL)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            if self.stop_signal is None:
                self.stop_signal = sig
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif self.stop_signal is None and self.died is None:
            self.died = self.proc.returncode
        if self._drainer is not None:
            self._drainer.join(5)
        self.proc.stderr.close()
        return self.proc.returncode

    def __enter__(self):
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- observation

    @property
    def port(self):
        return self.addresses[0][1]

    @property
    def host(self):
        return self.addresses[0][0]

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self):
        with self._lock:
            return "".join(self._lines)

    def euid(self):
        """The effective user id the server runs as (it may drop root)."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("Uid:"):
                    return int(line.split()[2])
        raise Failure(f"no Uid line in /proc/{self.pid}/status")

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def wait_fd_count(self, predicate, timeout):
        """Poll the fd count until predicate(count) holds; return the last count."""
        deadline = time.monotonic() + timeout
        count = self.fd_count()
        while not predicate(count) and time.monotonic() < deadline:
            time.sleep(0.05)
            count = self.fd_count()
        return count

    # -- end-of-file checks

    def problems(self):
        """What is wrong with this server's run, as a list of strings."""
        found = []
        text = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                at = text.index(marker)
                found.append(f"pid {self.pid}: stderr has {marker!r}: {text[at:at + 300]!r}")
        if self.died is not None:
            found.append(f"pid {self.pid} exited by itself with status {self.died}")
        elif self.stop_signal == signal.SIGTERM and self.proc.returncode != 0:
            found.append(f"pid {self.pid} exited with {self.proc.returncode} after SIGTERM")
        return found


class SharedServer:
    """One server for many tests of a file, started on first use.

    A test that finds it dead gets a fresh one (the death is reported by
    the end-of-file check)."""

    def __init__(self, root_factory, args=()):
        self._root_factory = root_factory
        self._args = args
        self._server = None
        at_end(self.close)

    def get(self):
        if self._server is None or not self._server.alive():
            if self._server is not None:
                self._server.stop()
            self._server = Server(self._root_factory(), args=self._args).start()
        return self._server

    def close(self):
        if self._server is not None:
            self._server.stop()


# ---------------------------------------------------------------- raw sockets


def work_dir(prefix, mode=0o755):
    """A temporary directory for config files and logs, removed at the end;
    world-readable, since a server started as root serves as nobody."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, mode)
    at_end(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def write_config(directory, name, text):
    """A config file (world-readable, as the server may read it as nobody)."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def configured_server(lines, prefix="switchboard-test-", files=None, listen=(f"{HOST}:0",),
                      access_log=False, start=True):
    """A server with a document root holding files ({path: bytes}) and a
    config file of lines, stopped at the end. The server has .docroot,
    .work (the config's directory), .conf and, with access_log,
    .access_log (a file in .work, written first in the config)."""
    root = DocRoot(prefix)
    for rel, data in (files or {}).items():
        root.write(rel, data)
    work = work_dir(prefix + "conf-")
    conf = os.path.join(work, "switchboard.conf")
    log = os.path.join(work, "access.log") if access_log else None
    with open(conf, "w") as f:
        if log:
            f.write(f"access_log {log}\n")
        f.write("".join(line + "\n" for line in lines))
    server = Server(root.root, args=("-c", conf), listen=listen)
    server.docroot, server.work, server.conf, server.access_log = root, work, conf, log
    if start:
        server.start()
        at_end(server.stop)
    return server


def connect(port, host=HOST, timeout=DEFAULT_TIMEOUT, rcvbuf=None, nodelay=False, source=None):
    """A connected TCP socket; source is a local address to connect from."""
    sock = socket.socket(family_of(host), socket.SOCK_STREAM)
    try:
        if source is not None:
            sock.bind((source, 0))
        if rcvbuf is not None:  # before connect, so the window is small from the start
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if nodelay:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(timeout)
        sock.connect((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def set_linger_reset(sock):
    """Make close() send a RST instead of a FIN (SO_LINGER on, 0 s)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def build_request(target="/", method="GET", version="HTTP/1.1", headers=(), host=True,
                  body=b""):
    """Request bytes; host=True adds a Host header first (for any version)."""
    lines = [f"{method} {target} {version}"]
    if host:
        lines.append(f"Host: {HOST_HEADER}")
    lines += [f"{name}: {value}" for name, value in headers]
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body


def wait_closed(sock, timeout):
    """Read until the peer closes. Returns (how, data, seconds).

    how is "eof", "reset" or "timeout"; data is everything read."""
    start = time.monotonic()
    deadline = start + timeout
    data = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout", bytes(data), time.monotonic() - start
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return "reset", bytes(data), time.monotonic() - start
        if not chunk:
            return "eof", bytes(data), time.monotonic() - start
        data += chunk


def readable_within(sock, timeout):
    ready, _, _ = select.select([sock], [], [], timeout)
    return bool(ready)


# ---------------------------------------------------------------- responses


class Reply:
    """One response, checked for framing, with its body (or just its hash)."""

    def __init__(self, event, body, length, digest):
        self.status = event.status_code
        self.reason = event.reason.decode("latin-1")
        self.http_version = event.http_version.decode()
        self.headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                        for k, v in event.headers]
        self.body = body
        self.length = length
        self.sha256 = digest
        self.closed = False  # the server closed the connection after it
        self.reset = False  # ... with a RST rather than a FIN
        self.elapsed = 0.0

    def header_list(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def header(self, name):
        """The value of a header that must appear at most once (None if absent)."""
        values = self.header_list(name)
        if len(values) > 1:
            raise ResponseError(f"header {name} appears {len(values)} times: {values!r}")
        return values[0] if values else None

    def connection_tokens(self):
        return {t.strip().lower() for v in self.header_list("connection") for t in v.split(",")}

    def media_type(self):
        value = self.header("content-type")
        return None if value is None else value.split(";")[0].strip().lower()

    def __repr__(self):
        return f"<{self.status} {self.reason} {self.headers!r} body={short(self.body or b'', 60)}>"


class Client:
    """One connection to the server, with strictly parsed responses.

    Request bytes are sent raw (send()); h11 in the client role is told about
    a matching request (only the method matters: HEAD has no body) so it can
    frame each response. Several pipelined responses are read in order.
    """

    def __init__(self, port, host=HOST, timeout=DEFAULT_TIMEOUT, recv_size=262144,
                 recv_pause=0.0, **connect_options):
        self._setup(connect(port, host, timeout, **connect_options), timeout)
        self.recv_size = recv_size  # small sizes and a pause make a slow reader
        self.recv_pause = recv_pause

    @classmethod
    def adopt(cls, sock, timeout=DEFAULT_TIMEOUT):
        """A Client for a socket that is already connected."""
        client = cls.__new__(cls)
        client._setup(sock, timeout)
        return client

    def _setup(self, sock, timeout):
        self.sock = sock
        self.timeout = timeout
        self.recv_size = 262144
        self.recv_pause = 0.0
        self.received = 0  # bytes read so far (readable from another thread)
        self._h11 = h11.Connection(h11.CLIENT)
        self._stream = bytearray()  # received bytes whose head is not yet checked
        self._head = None  # the head of the response being read
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def request(self, data, method="GET", **options):
        """Send raw request bytes and read the one response to them."""
        self.send(data)
        return self.read_response(method, target=_target_of(data), **options)

    def get(self, target, method="GET", headers=(), version="HTTP/1.1", **options):
        data = build_request(target, method, version, headers)
        return self.request(data, method, **options)

    def read_responses(self, methods, **options):
        return [self.read_response(m, **options) for m in methods]

    def read_response(self, method="GET", target="/", timeout=None, keep_body=True):
        """Read and check one response to a request made with `method`."""
        start = time.monotonic()
        deadline = start + (self.timeout if timeout is None else timeout)
        self._announce(method, target)
        head, body, length, digest = self._collect(deadline, keep_body)
        reply = Reply(head, body, length, digest)
        _check_framing(reply, method)
        if "close" in reply.connection_tokens():
            self._expect_close(reply, deadline)
        reply.elapsed = time.monotonic() - start
        return reply

    def _announce(self, method, target):
        """Tell h11 what was asked (its output is not sent: the raw bytes were)."""
        conn = self._h11
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        if conn.our_state is not h11.IDLE:
            raise ResponseError(f"cannot read another response in state {conn.states}")
        headers = [("Host", HOST_HEADER)]
        try:
            request = h11.Request(method=method, target=target, headers=headers)
        except h11.LocalProtocolError:  # a target made invalid on purpose
            request = h11.Request(method=method, target="/", headers=headers)
        conn.send(request)
        conn.send(h11.EndOfMessage())

    def _collect(self, deadline, keep_body):
        head = self._head = None
        body = bytearray() if keep_body else None
        length = 0
        hasher = hashlib.sha256()
        while True:
            event = self._next_event(deadline)
            if isinstance(event, h11.InformationalResponse):
                raise ResponseError(f"unexpected interim response {event.status_code}")
            if isinstance(event, h11.Response):
                head = self._head = event
                self._check_head_bytes()
            elif isinstance(event, h11.Data):
                del self._stream[:len(event.data)]
                length += len(event.data)
                hasher.update(event.data)
                if keep_body:
                    body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return head, (bytes(body) if keep_body else None), length, hasher.hexdigest()

    def _next_event(self, deadline):
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                if self.eof:
                    raise NoResponse(self._ended_early("closed")) from None
                raise ResponseError(f"malformed response: {exc}; bytes: {short(self._stream)}")
            if event is not h11.NEED_DATA:
                return event
            self._h11.receive_data(self._recv(deadline))

    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.eof:
            raise NoResponse(self._ended_early("timed out"))
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(self.recv_size)
        except socket.timeout:
            raise NoResponse(self._ended_early("timed out")) from None
        except ConnectionResetError:
            raise NoResponse(self._ended_early("reset")) from None
        if not data:
            self.eof = True
        self.received += len(data)
        self._stream += data
        if self.recv_pause:
            time.sleep(self.recv_pause)
        return data

    def _ended_early(self, how):
        if self._head is not None:
            return f"connection {how} inside the body of {self._head.status_code} response"
        if not self._stream:
            return f"connection {how} before any response byte"
        return f"connection {how} inside a response head: {short(self._stream)}"

    def _check_head_bytes(self):
        """The head uses CRLF only and a strict status line; then drop it.

        self._stream holds the raw bytes not yet accounted for: this head
        first, then whatever body bytes arrived with it."""
        pos = 0
        lines = []
        while True:
            end = self._stream.find(b"\n", pos)
            if end < 0:
                raise ResponseError(f"response head without a blank line: {short(self._stream)}")
            if end == 0 or self._stream[end - 1] != 0x0D:
                raise ResponseError(f"bare LF in the response head: {short(self._stream)}")
            line = bytes(self._stream[pos:end - 1])
            pos = end + 1
            if not line:
                break
            lines.append(line)
        if not STATUS_LINE_RE.match(lines[0]):
            raise ResponseError(f"bad status line {short(lines[0])}")
        del self._stream[:pos]

    def _expect_close(self, reply, deadline):
        """After a response that says close, the server must close, sending nothing more."""
        extra, closed = self._h11.trailing_data
        extra = bytes(extra)
        how = "eof" if closed else None
        if how is None:
            how, more, _ = wait_closed(self.sock, max(0.5, deadline - time.monotonic()))
            extra += more
        self.eof = True
        if extra:
            raise ResponseError(f"bytes after a 'Connection: close' response: {short(extra)}")
        if how == "timeout":
            raise ResponseError("response said 'Connection: close' but the connection stayed open")
        reply.closed = True
        reply.reset = how == "reset"

    def is_closed_by_peer(self, timeout=1.0):
        """True when the server closes (EOF/RST) within timeout without sending."""
        how, data, _ = wait_closed(self.sock, timeout)
        if data:
            raise ResponseError(f"unexpected bytes: {short(data)}")
        return how != "timeout"


def _target_of(data):
    """The request-target in raw request bytes, or "/" when there is none."""
    parts = data.split(b"\r\n", 1)[0].split(b" ")
    return parts[1].decode("latin-1") if len(parts) == 3 and parts[1] else "/"


def _check_framing(reply, method):
    """RFC 9112 section 6.3: exactly one way to know where the body ends."""
    if reply.http_version != "1.1":
        raise ResponseError(f"status line says HTTP/{reply.http_version}, want HTTP/1.1")
    bodiless = method == "HEAD" or reply.status in (204, 304)
    lengths = reply.header_list("content-length")
    codings = reply.header_list("transfer-encoding")
    if codings and lengths:
        raise ResponseError("response has both Transfer-Encoding and Content-Length")
    if codings:
        if [c.lower() for c in codings] != ["chunked"]:
            raise ResponseError(f"unexpected Transfer-Encoding {codings!r}")
    elif len(lengths) > 1:
        raise ResponseError(f"expected one Content-Length, got {lengths!r}")
    elif not lengths:
        # Allowed only where the RFC allows it: a 304, a 204 (which must not
        # have one: section 8.6 of RFC 9110), or a body delimited by closing
        # the connection.
        closes = "close" in [v.lower() for v in reply.header_list("connection")]
        if reply.status not in (204, 304) and not (closes and not bodiless):
            raise ResponseError("no Content-Length, no chunked coding, and no close")
    elif not bodiless and int(lengths[0]) != reply.length:
        raise ResponseError(f"Content-Length {lengths[0]} but body of {reply.length} bytes")
    if bodiless and reply.length:
        raise ResponseError(f"{method} {reply.status} response carried a body")


def fetch(port, target="/", method="GET", headers=(), version="HTTP/1.1", host=HOST,
          timeout=DEFAULT_TIMEOUT, keep_body=True):
    """One request on a fresh connection; the connection is closed after."""
    with Client(port, host, timeout) as client:
        data = build_request(target, method, version, headers)
        return client.request(data, method, keep_body=keep_body)


def exchange(port, data, method="GET", timeout=DEFAULT_TIMEOUT):
    """Send raw bytes on a fresh connection and read one strict response."""
    with Client(port, timeout=timeout) as client:
        return client.request(data, method)


def expect_status(reply, status, what=""):
    if reply.status != status:
        raise Failure(f"{what + ': ' if what else ''}expected status {status}, got {reply!r}")


def expect_served_promptly(port, target, body, limit=1.0):
    """A normal client gets target's exact body within limit seconds."""
    start = time.monotonic()
    reply = fetch(port, target, timeout=limit + 2)
    took = time.monotonic() - start
    expect_status(reply, 200, f"GET {target}")
    expect(reply.body == body, f"GET {target}: wrong body")
    expect(took <= limit, f"GET {target} took {took:.2f} s (limit {limit} s)")
    return took


# ---------------------------------------------------------------- runner

_tests = []


class _Timeout(BaseException):
    """Raised by the alarm handler; BaseException so tests cannot swallow it."""


def test(func=None, *, timeout=20.0):
    """Register a test function: @test or @test(timeout=30)."""
    def register(f):
        add_test(f.__name__, f, timeout)
        return f
    return register(func) if func is not None else register


def add_test(name, func, timeout=20.0):
    if any(existing == name for existing, _, _ in _tests):
        raise ValueError(f"duplicate test name {name}")
    _tests.append((name, func, timeout))


def _on_alarm(signum, frame):
    raise _Timeout()


def _run_one(func, timeout):
    """Returns (outcome, reason) with outcome in PASS, FAIL, SKIP."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        func()
        return "PASS", ""
    except Skip as exc:
        return "SKIP", str(exc)
    except _Timeout:
        return "FAIL", f"did not finish within {timeout:g} s"
    except Failure as exc:
        return "FAIL", str(exc)
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return "FAIL", f"{type(exc).__name__}: {exc} (at line {where.lineno} in {where.name})"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _servers_check():
    problems = [p for server in Server.started for p in server.problems()]
    expect(not problems, "; ".join(problems))


FILE_BUDGET = 60.0  # seconds for a whole test file, whatever the server does


def main(budget=FILE_BUDGET):
    """Run every registered test, then the end-of-file checks; exit 0/1.

    Each test gets its own timeout, clipped to what is left of the file's
    budget; once the budget is spent the remaining tests fail unrun."""
    require_binary()
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    deadline = time.monotonic() + budget
    # SB_ONLY=REGEX runs just the tests whose names match (for chasing one).
    only = re.compile(os.environ.get("SB_ONLY", ""))
    try:
        for name, func, timeout in _tests:
            if not only.search(name):
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                outcome = ("FAIL", f"not run: the file's {budget:g} s budget is spent")
            else:
                outcome = _run_one(func, min(timeout, left))
            counts[_report(name, *outcome)] += 1
    finally:
        _run_cleanups()
        _kill_leftover_servers()
    counts[_report("servers_clean_at_end", *_run_one(_servers_check, 30))] += 1
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed", flush=True)
    sys.exit(1 if counts["FAIL"] else 0)


def _kill_leftover_servers():
    """Servers a timed-out test could not stop."""
    for server in Server.started:
        if server.alive():
            server.stop(signal.SIGKILL)


def _report(name, outcome, reason):
    reason = " ".join(reason.split())[:600]
    print(f"{outcome} {name}" + (f": {reason}" if reason else ""), flush=True)
    return outcome
