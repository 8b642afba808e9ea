"""HTTP features of switchboard: validators and conditional requests, byte
ranges, precompressed files, add_header, error_page, charset and directory
listings.

Each group runs its own server, configured by a file written next to a
temporary document root (`-c FILE`, `listen 127.0.0.1:0`). Where a client's
behaviour matters the real curl ($CURL) is used; exact checks go over raw
sockets, every response parsed by h11. Responses that harness.Client refuses
by design (a 304 without Content-Length, a chunked or close-delimited listing)
are read by the strict reader below, which checks the same things: CRLF-only
heads, a strict status line, h11 framing, and no stray bytes after a bodiless
response.

Run as `$PYTHON tests/integration/test_features.py` with SWITCHBOARD and CURL
set (make check does). Started as root, the server drops to nobody: every
temporary file and directory is world-readable.
"""

import functools
import gzip
import html.parser
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h11  # noqa: E402

import harness  # noqa: E402
from harness import Failure, Skip, expect, expect_eq, expect_status, fetch, test  # noqa: E402

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
EX_CONFIG = 78
FILE_BUDGET = 85.0  # the whole file, 100,000-entry listing included

MTIME = 1_600_000_000  # Sun, 13 Sep 2020 12:26:40 GMT
MTIME_NS = MTIME * 10**9 + 123_456_789
OLDER = MTIME - 86400
NEWER = MTIME + 86400

ETAG_RE = re.compile(r'^"[\x21\x23-\x7e\x80-\xff]*"$')  # strong: no W/ prefix
# A listing's links: relative, only unreserved characters and %XX escapes.
HREF_RE = re.compile(r"^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+/?$")


# ---------------------------------------------------------------- sites


def world_readable_file(path, data):
    with open(path, "wb") as out:
        out.write(data)
    os.chmod(path, 0o644)


class Site:
    """A document root and a server started on it from a config file."""

    def __init__(self, root, *lines, name="site"):
        self.root = root
        self.conf = os.path.join(root.base, f"{name}.conf")
        text = "\n".join(["listen 127.0.0.1:0", f"root {root.root}", *lines]) + "\n"
        world_readable_file(self.conf, text.encode())
        self._server = None
        harness.at_end(self._stop)
        self.server  # start it now

    @property
    def server(self):
        """The running server; a fresh one when it died (the death itself is
        reported by the end-of-file check), so one crash fails one test."""
        if self._server is None or not self._server.alive():
            if self._server is not None:
                self._server.stop()
            self._server = harness.Server(args=["-c", self.conf], listen=()).start()
        return self._server

    def _stop(self):
        if self._server is not None:
            self._server.stop()

    @property
    def port(self):
        return self.server.port

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"


def content_of(root, rel):
    with open(root.path(rel), "rb") as src:
        return src.read()


# ---------------------------------------------------------------- curl


class CurlResult:
    def __init__(self, code, head, body, stderr):
        self.code = code
        self.head = head
        self.body = body
        self.stderr = stderr
        self.headers = []
        for line in head.split("\r\n")[1:]:
            if line:
                name, _, value = line.partition(":")
                self.headers.append((name.strip().lower(), value.strip()))

    def header(self, name):
        values = [v for k, v in self.headers if k == name.lower()]
        if len(values) > 1:
            raise Failure(f"curl saw {name} {len(values)} times: {values!r}")
        return values[0] if values else None

    def __repr__(self):
        return f"<curl {self.code} {self.headers!r} body={harness.short(self.body, 60)}>"


def curl(*args, timeout=20):
    """Run the real curl; return the status code, the last head and the body."""
    scratch = tempfile.mkdtemp(prefix="switchboard-curl-out-")
    try:
        head_path = os.path.join(scratch, "head")
        body_path = os.path.join(scratch, "body")
        argv = [harness.CURL, "-q", "--silent", "--show-error", "--noproxy", "*",
                "--max-time", str(timeout - 2), "-D", head_path, "-o", body_path,
                "-w", "%{http_code}", *args]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)
        stderr = done.stderr.decode(errors="replace").strip()
        if done.returncode != 0:
            raise Failure(f"curl {' '.join(args)} exited {done.returncode}: {stderr}")
        with open(head_path, "rb") as f:
            heads = f.read().decode("latin-1")
        body = b""
        if os.path.exists(body_path):
            with open(body_path, "rb") as f:
                body = f.read()
        # The last head, should curl have seen several (it follows no redirects here).
        blocks = [b for b in heads.split("\r\n\r\n") if b.strip()]
        return CurlResult(int(done.stdout.decode() or 0), blocks[-1] if blocks else "",
                          body, stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------- strict reader


class Resp:
    def __init__(self, event, head, body, raw_body):
        self.status = event.status_code
        self.headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                        for k, v in event.headers]
        self.head = head  # the raw head bytes
        self.body = body  # the decoded body
        self.raw_body = raw_body  # the body bytes as sent (chunk framing included)
        self.closed = False

    def header_list(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    def header(self, name):
        values = self.header_list(name)
        if len(values) > 1:
            raise Failure(f"header {name} appears {len(values)} times: {values!r}")
        return values[0] if values else None

    def __repr__(self):
        return f"<{self.status} {self.headers!r} body={harness.short(self.body, 60)}>"


class Conn:
    """One connection; raw request bytes out, h11-parsed responses in.

    Unlike harness.Client it accepts any framing h11 accepts (a 304 without
    Content-Length, chunked, close-delimited); the caller checks which."""

    def __init__(self, port, timeout=5.0, rcvbuf=None):
        self.sock = harness.connect(port, timeout=timeout, rcvbuf=rcvbuf)
        self.timeout = timeout
        self.h11 = h11.Connection(h11.CLIENT)
        self.raw = bytearray()  # received bytes not yet accounted for
        self.received = 0
        self.eof = False
        self.recv_size = 65536
        self.pause = 0.0  # seconds to sleep after each recv (a slow reader)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def request(self, target, method="GET", headers=(), version="HTTP/1.1", host=True):
        self.sock.sendall(harness.build_request(target, method, version, headers, host=host))
        conn = self.h11
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        conn.send(h11.Request(method=method, target="/",
                              headers=[("Host", harness.HOST_HEADER)]))
        conn.send(h11.EndOfMessage())
        return self.read()

    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Failure(f"timed out waiting for the response; have {harness.short(self.raw)}")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(self.recv_size)
        except TimeoutError:
            raise Failure(f"timed out waiting for the response; have {harness.short(self.raw)}")
        except ConnectionResetError:
            raise Failure(f"connection reset; have {harness.short(self.raw)}")
        if not data:
            self.eof = True
        self.received += len(data)
        self.raw += data
        if self.pause:
            time.sleep(self.pause)
        return data

    def read(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        event = head = None
        body = bytearray()
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                if self.eof:
                    where = "inside a response" if self.raw else "before any response byte"
                    raise Failure(f"connection closed {where}: {harness.short(self.raw)}")
                raise Failure(f"malformed response: {exc}; bytes {harness.short(self.raw)}")
            if event is h11.NEED_DATA:
                if self.eof:
                    raise Failure(f"connection closed inside a response: "
                                  f"{harness.short(self.raw)}")
                self.h11.receive_data(self._recv(deadline))
                continue
            if isinstance(event, h11.InformationalResponse):
                raise Failure(f"unexpected interim response {event.status_code}")
            if isinstance(event, h11.Response):
                end = self.raw.find(b"\r\n\r\n")
                expect(end >= 0, f"no CRLF CRLF in the head {harness.short(self.raw)}")
                head = bytes(self.raw[:end + 4])
                del self.raw[:end + 4]
                check_head_bytes(head)
                start_event = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
        raw_body = bytes(self.raw)
        self.raw.clear()
        resp = Resp(start_event, head, bytes(body), raw_body)
        resp.closed = self.eof
        return resp

    def expect_quiet(self, seconds=0.3, what="response"):
        """Nothing more arrives: a bodiless response carried no stray bytes."""
        extra, _ = self.h11.trailing_data
        expect(not extra, f"{what}: bytes after the response: {harness.short(bytes(extra))}")
        ready, _, _ = select.select([self.sock], [], [], seconds)
        if ready:
            self.sock.settimeout(0.5)
            data = self.sock.recv(4096)
            expect(not data, f"{what}: bytes after the response: {harness.short(data)}")

    def read_until_eof(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.eof:
            self._recv(deadline)
        data = bytes(self.raw)
        self.raw.clear()
        return data


def check_head_bytes(head):
    lines = head[:-4].split(b"\r\n")
    for line in lines:
        expect(b"\n" not in line and b"\r" not in line,
               f"bare CR or LF in the response head {harness.short(head)}")
    expect(harness.STATUS_LINE_RE.match(lines[0]), f"bad status line {harness.short(lines[0])}")


def strict(port, target, method="GET", headers=(), version="HTTP/1.1", timeout=5.0):
    with Conn(port, timeout) as conn:
        return conn.request(target, method, headers, version)


def expect_no_header(resp, name, what):
    values = resp.header_list(name) if isinstance(resp, Resp) else [
        v for k, v in resp.headers if k == name.lower()]
    expect(not values, f"{what}: unexpected {name}: {values!r}")


# ================================================================ 1. validators

BASIC_FILES = {
    "v.txt": b"validators: " + bytes(range(48, 58)) * 100 + b"\n",
    "r.bin": bytes((i * 7 + 3) % 256 for i in range(KIB)),
    "small.txt": b"small file\n",
}


@functools.lru_cache(maxsize=None)
def basic():
    root = harness.DocRoot("switchboard-features-basic-")
    for rel, data in BASIC_FILES.items():
        root.write(rel, data)
        os.utime(root.path(rel), ns=(MTIME_NS, MTIME_NS))
    return Site(root, name="basic")


def basic_etag(rel="v.txt"):
    reply = fetch(basic().port, f"/{rel}")
    expect_status(reply, 200, f"GET /{rel}")
    return reply.header("etag")


def check_validators(reply, what, mtime=MTIME):
    lm = reply.header("last-modified")
    expect(lm is not None, f"{what}: no Last-Modified: {reply!r}")
    expect(harness.IMF_FIXDATE_RE.match(lm), f"{what}: Last-Modified {lm!r} is not IMF-fixdate")
    expect_eq(lm, harness.http_date(mtime), f"{what}: Last-Modified")
    etag = reply.header("etag")
    expect(etag is not None, f"{what}: no ETag: {reply!r}")
    expect(ETAG_RE.match(etag), f"{what}: ETag {etag!r} is not a strong entity-tag")
    return etag


@test
def validators_on_every_file_response():
    port = basic().port
    get = fetch(port, "/v.txt")
    expect_status(get, 200, "GET /v.txt")
    expect_eq(get.body, BASIC_FILES["v.txt"], "GET /v.txt body")
    etag = check_validators(get, "GET 200")
    head = fetch(port, "/v.txt", method="HEAD")
    expect_eq(check_validators(head, "HEAD 200"), etag, "HEAD ETag")
    part = fetch(port, "/v.txt", headers=[("Range", "bytes=0-9")])
    expect_status(part, 206, "GET with Range")
    expect_eq(check_validators(part, "GET 206"), etag, "206 ETag")
    not_modified = strict(port, "/v.txt", headers=[("If-None-Match", etag)])
    expect_status(not_modified, 304, "If-None-Match")
    expect_eq(check_validators(not_modified, "304"), etag, "304 ETag")
    expect_eq(basic_etag("r.bin") != etag, True, "different files have different ETags")


@test
def etag_changes_with_content_and_mtime():
    root = basic().root
    rel = "changing.txt"
    root.write(rel, b"A" * 100)
    path = root.path(rel)
    os.utime(path, ns=(MTIME_NS, MTIME_NS))
    if os.stat(path).st_mtime_ns != MTIME_NS:
        raise Skip("the file system does not keep nanosecond modification times")
    port = basic().port
    first = fetch(port, f"/{rel}")
    etag1 = check_validators(first, "first version")
    # Same size, same inode, new content, modification time 1 ns later.
    with open(path, "r+b") as f:
        f.write(b"B" * 100)
    os.utime(path, ns=(MTIME_NS + 1, MTIME_NS + 1))
    # Small files are kept in memory and checked against the disk at most once
    # a second (file_cache): the change must show within about a second.
    second = fetch_changed(port, f"/{rel}", lambda r: r.body == b"B" * 100)
    expect_eq(second.body, b"B" * 100, "body after the rewrite, within the cache's second")
    etag2 = check_validators(second, "second version")
    expect(etag2 != etag1, f"ETag {etag1} unchanged after content and mtime (+1 ns) changed")
    # Only the modification time moves (by 1 ns): a small file is tagged by
    # its bytes, which have not changed, so the tag stays (a copy on another
    # host, with another time stamp, has the same).
    os.utime(path, ns=(MTIME_NS + 2, MTIME_NS + 2))
    time.sleep(1.2)  # past the cache's second: the file was looked at again
    third = fetch(port, f"/{rel}")
    expect_eq(check_validators(third, "third version"), etag2, "ETag after a 1 ns utime alone")
    # The old tag no longer gives 304.
    reply = fetch(port, f"/{rel}", headers=[("If-None-Match", etag1)])
    expect_status(reply, 200, f"If-None-Match with the old ETag {etag1}")
    # A file too large to be hashed is tagged by size and time: 1 ns shows.
    big = "changing-big.bin"
    root.write(big, b"L" * (300 * 1024))
    os.utime(root.path(big), ns=(MTIME_NS, MTIME_NS))
    etag_big = check_validators(fetch(port, f"/{big}"), "large file")
    os.utime(root.path(big), ns=(MTIME_NS + 1, MTIME_NS + 1))
    moved = fetch_changed(port, f"/{big}", lambda r: r.header("etag") != etag_big)
    expect(check_validators(moved, "large file, 1 ns later") != etag_big,
           f"ETag {etag_big} of a large file unchanged after a 1 ns utime")


def fetch_changed(port, target, changed, window=2.5):
    """Fetch until changed(reply) holds, for at most the cache's staleness
    window (1 s) and some slack; returns the last reply."""
    deadline = time.monotonic() + window
    while True:
        reply = fetch(port, target)
        if changed(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.05)


@test
def if_none_match_with_curl():
    etag = basic_etag()
    res = curl("-H", f"If-None-Match: {etag}", basic().url("/v.txt"))
    expect_eq(res.code, 304, f"curl -H 'If-None-Match: {etag}': status ({res!r})")
    expect_eq(res.body, b"", "304 body")
    expect_eq(res.header("etag"), etag, "304 ETag")
    expect_no_header(res, "content-length", "304")


@test
def if_none_match_304_exact():
    etag = basic_etag()
    port = basic().port
    for value in (etag, f'"x", {etag}', f'"x",{etag} , "y"', "*", f"W/{etag}", f'W/"x", W/{etag}'):
        with Conn(port) as conn:
            reply = conn.request("/v.txt", headers=[("If-None-Match", value)])
            what = f"If-None-Match: {value}"
            expect_status(reply, 304, what)
            expect_eq(reply.header("etag"), etag, f"{what}: ETag")
            expect_no_header(reply, "content-length", what)
            expect_no_header(reply, "transfer-encoding", what)
            expect_eq(reply.raw_body, b"", f"{what}: body")
            conn.expect_quiet(0.1, what)
            # The connection goes on: the next response parses.
            after = conn.request("/small.txt")
            expect_status(after, 200, f"request after {what}")
            expect_eq(after.body, BASIC_FILES["small.txt"], f"body after {what}")
    for value in ('"x"', f"{etag[:-1]}x\"", '"x", "y"'):
        reply = fetch(port, "/v.txt", headers=[("If-None-Match", value)])
        expect_status(reply, 200, f"If-None-Match: {value}")


@test
def if_modified_since_with_curl():
    url = basic().url("/v.txt")
    lm = harness.http_date(MTIME)
    res = curl("-z", lm, url)
    expect_eq(res.code, 304, f"curl -z '{lm}' (If-Modified-Since equal to Last-Modified)")
    expect_eq(res.body, b"", "304 body")
    expect(res.header("etag") is not None, "304 without ETag")
    older = harness.http_date(OLDER)
    res = curl("-z", older, url)
    expect_eq(res.code, 200, f"curl -z '{older}' (older than the file)")
    expect_eq(res.body, BASIC_FILES["v.txt"], "body after curl -z older")


@test
def if_modified_since_exact():
    port = basic().port
    lm = harness.http_date(MTIME)
    reply = strict(port, "/v.txt", headers=[("If-Modified-Since", lm)])
    expect_status(reply, 304, f"If-Modified-Since: {lm}")
    expect_no_header(reply, "content-length", "304")
    newer = harness.http_date(NEWER)
    expect_status(strict(port, "/v.txt", headers=[("If-Modified-Since", newer)]), 304,
                  f"If-Modified-Since: {newer} (later than the file)")
    for value in (harness.http_date(OLDER), harness.http_date(MTIME - 1)):
        reply = fetch(port, "/v.txt", headers=[("If-Modified-Since", value)])
        expect_status(reply, 200, f"If-Modified-Since: {value} (older)")
        expect_eq(reply.body, BASIC_FILES["v.txt"], "body")
    for value in ("yesterday", "Sun, 32 Sep 2020 12:26:40 GMT", lm + " extra", "0"):
        reply = fetch(port, "/v.txt", headers=[("If-Modified-Since", value)])
        expect_status(reply, 200, f"If-Modified-Since: {value} (invalid)")
    # If-None-Match present and not matching: If-Modified-Since is ignored.
    reply = fetch(port, "/v.txt", headers=[("If-None-Match", '"other"'),
                                           ("If-Modified-Since", lm)])
    expect_status(reply, 200, "If-None-Match mismatch with If-Modified-Since equal")


@test
def if_match_and_if_unmodified_since():
    port = basic().port
    etag = basic_etag()
    for value in ('"nope"', f"W/{etag}", '"a", "b"'):
        reply = fetch(port, "/v.txt", headers=[("If-Match", value)])
        expect_status(reply, 412, f"If-Match: {value}")
    for value in (etag, f'"a", {etag}', "*"):
        reply = fetch(port, "/v.txt", headers=[("If-Match", value)])
        expect_status(reply, 200, f"If-Match: {value}")
    older = harness.http_date(MTIME - 1)
    res = curl("-H", f"If-Unmodified-Since: {older}", basic().url("/v.txt"))
    expect_eq(res.code, 412, f"curl -H 'If-Unmodified-Since: {older}'")
    reply = fetch(port, "/v.txt", headers=[("If-Unmodified-Since", older)])
    expect_status(reply, 412, f"If-Unmodified-Since: {older}")
    for value in (harness.http_date(MTIME), harness.http_date(NEWER)):
        reply = fetch(port, "/v.txt", headers=[("If-Unmodified-Since", value)])
        expect_status(reply, 200, f"If-Unmodified-Since: {value}")


# ================================================================ 2. ranges


def check_206(reply, first, last, size, body, what):
    expect_eq(reply.status if not isinstance(reply, CurlResult) else reply.code, 206,
              f"{what}: status")
    expect_eq(reply.header("content-range"), f"bytes {first}-{last}/{size}",
              f"{what}: Content-Range")
    expect_eq(reply.header("content-length"), str(last - first + 1), f"{what}: Content-Length")
    if body is not None:
        expect(reply.body == body, f"{what}: body {harness.short(reply.body)} is not bytes "
               f"{first}-{last}")


@test
def ranges_with_curl():
    data = BASIC_FILES["r.bin"]
    url = basic().url("/r.bin")
    for arg, first, last in (("0-99", 0, 99), ("100-", 100, 1023), ("-100", 924, 1023)):
        res = curl("-r", arg, url)
        check_206(res, first, last, len(data), data[first:last + 1], f"curl -r {arg}")
        reply = fetch(basic().port, "/r.bin", headers=[("Range", f"bytes={arg}")])
        check_206(reply, first, last, len(data), data[first:last + 1], f"Range: bytes={arg}")


@test
def ranges_unsatisfiable_invalid_and_multiple():
    port = basic().port
    data = BASIC_FILES["r.bin"]
    for value in ("bytes=5000-", "bytes=1024-", "bytes=1024-2000", "bytes=-0"):
        reply = fetch(port, "/r.bin", headers=[("Range", value)])
        expect_status(reply, 416, f"Range: {value}")
        expect_eq(reply.header("content-range"), "bytes */1024", f"Range: {value}: Content-Range")
    res = curl("-r", "5000-", basic().url("/r.bin"))
    expect_eq(res.code, 416, "curl -r 5000-")
    expect_eq(res.header("content-range"), "bytes */1024", "curl -r 5000-: Content-Range")
    for value in ("bytes=abc", "bytes=5-2", "bytes=0-1x", "items=0-9", "bytes 0-9", "bytes=",
                  "bytes=--5", "bytes=0-1,5-6", "bytes=0-0,-1", "bytes=0-99, 200-299"):
        reply = fetch(port, "/r.bin", headers=[("Range", value)])
        expect_status(reply, 200, f"Range: {value}")
        expect(reply.body == data, f"Range: {value}: not the whole file")
        expect_no_header(reply, "content-range", f"Range: {value}")


@test
def if_range():
    port = basic().port
    data = BASIC_FILES["r.bin"]
    etag = basic_etag("r.bin")
    old_etag = etag[:-1] + "0\"" if not etag.endswith('0"') else etag[:-1] + "1\""
    lm = harness.http_date(MTIME)
    cases = (
        (etag, 206, "the current ETag"),
        (old_etag, 200, "an old ETag"),
        (lm, 206, "the Last-Modified date"),
        (harness.http_date(MTIME - 1), 200, "an earlier date"),
        (harness.http_date(NEWER), 200, "a later date"),
        (f"W/{etag}", 200, "a weak tag"),
    )
    for value, status, what in cases:
        reply = fetch(port, "/r.bin", headers=[("Range", "bytes=0-99"), ("If-Range", value)])
        if status == 206:
            check_206(reply, 0, 99, len(data), data[:100], f"If-Range with {what} ({value})")
        else:
            expect_status(reply, 200, f"If-Range with {what} ({value})")
            expect(reply.body == data, f"If-Range with {what}: not the whole file")
    res = curl("-r", "0-99", "-H", f"If-Range: {etag}", basic().url("/r.bin"))
    check_206(res, 0, 99, len(data), data[:100], "curl -r 0-99 with If-Range: current ETag")


@test(timeout=30)
def range_beyond_4gib_on_sparse_file():
    root = basic().root
    size = 5 * GIB
    try:
        root.sparse("huge.bin", size)
    except OSError as exc:
        raise Skip(f"cannot make a {size}-byte sparse file: {exc}")
    try:
        port = basic().port
        first, last = 4 * GIB, 4 * GIB + 9
        reply = fetch(port, "/huge.bin", headers=[("Range", f"bytes={first}-{last}")])
        check_206(reply, first, last, size, bytes(10), f"Range: bytes={first}-{last}")
        reply = fetch(port, "/huge.bin", headers=[("Range", "bytes=-10")])
        check_206(reply, size - 10, size - 1, size, bytes(10), "Range: bytes=-10 on 5 GiB")
        res = curl("-r", f"{first}-{last}", basic().url("/huge.bin"))
        check_206(res, first, last, size, bytes(10), f"curl -r {first}-{last}")
    finally:
        os.unlink(root.path("huge.bin"))


@test
def head_with_range():
    port = basic().port
    with Conn(port) as conn:
        reply = conn.request("/r.bin", method="HEAD", headers=[("Range", "bytes=0-99")])
        check_206(reply, 0, 99, KIB, b"", "HEAD with Range")
        conn.expect_quiet(0.2, "HEAD with Range")
        after = conn.request("/small.txt")
        expect_eq(after.body, BASIC_FILES["small.txt"], "the response after HEAD with Range")


# ================================================================ 3. precompressed

CSS = b"".join(b".rule-%d { color: #%06x; margin: %dpx }\n" % (i, i * 2654435761 % 0xFFFFFF, i)
               for i in range(200))
PLAIN = b"no encoded variants beside me\n"
OLD = b"the .gz beside me is older than I am\n" * 20


def brotli_stored(data):
    """A valid brotli stream (RFC 7932) of uncompressed meta-blocks.

    Python's standard library has no brotli; this stream needs none, and any
    brotli decoder (curl's included) decodes it to data."""
    out = bytearray()
    acc = nbits = 0

    def bits(value, count):
        nonlocal acc, nbits
        acc |= value << nbits
        nbits += count
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8

    def align():
        if nbits % 8:
            bits(0, 8 - nbits % 8)

    bits(0, 1)  # WBITS = 16
    for start in range(0, len(data), 65536):
        block = data[start:start + 65536]
        bits(0, 1)  # ISLAST
        bits(0, 2)  # MNIBBLES = 4
        bits(len(block) - 1, 16)  # MLEN - 1
        bits(1, 1)  # ISUNCOMPRESSED
        align()
        out.extend(block)
    bits(1, 1)  # ISLAST
    bits(1, 1)  # ISLASTEMPTY
    align()
    return bytes(out)


@functools.lru_cache(maxsize=None)
def precompressed_root():
    root = harness.DocRoot("switchboard-features-precompressed-")
    variants = {
        "style.css": CSS,
        "style.css.gz": gzip.compress(CSS, mtime=0),
        "style.css.br": brotli_stored(CSS),
        "plain.txt": PLAIN,
        "old.txt": OLD,
        "old.txt.gz": gzip.compress(OLD, mtime=0),
    }
    for rel, data in variants.items():
        root.write(rel, data, mtime=MTIME)
    os.utime(root.path("old.txt.gz"), (MTIME - 60, MTIME - 60))
    os.utime(root.path("old.txt"), (MTIME, MTIME))
    return root


@functools.lru_cache(maxsize=None)
def precompressed_on():
    return Site(precompressed_root(), "precompressed on", name="precompressed-on")


@functools.lru_cache(maxsize=None)
def precompressed_off():
    return Site(precompressed_root(), "precompressed off", name="precompressed-off")


def get_encoded(site, target, accept, headers=(), method="GET"):
    extra = [] if accept is None else [("Accept-Encoding", accept)]
    return fetch(site.port, target, method=method, headers=extra + list(headers))


def expect_vary(reply, what):
    values = [v.strip().lower() for v in reply.header_list("vary")]
    expect_eq(values, ["accept-encoding"], f"{what}: Vary")


@test
def precompressed_selection():
    site = precompressed_on()
    root = precompressed_root()
    identity = get_encoded(site, "/style.css", None)
    expect_status(identity, 200, "GET /style.css")
    css_type = identity.header("content-type")
    expect(css_type and css_type.startswith("text/css"), f"Content-Type {css_type!r}")
    br = content_of(root, "style.css.br")
    gz = content_of(root, "style.css.gz")
    cases = (
        ("br", "br", br),
        ("gzip", "gzip", gz),
        ("x-gzip", "gzip", gz),
        ("br;q=0, gzip", "gzip", gz),
        ("gzip, br;q=0", "gzip", gz),
        ("gzip;q=0.5, br;q=0.4", "gzip", gz),
        ("gzip, br", ("br", "gzip"), None),
        ("gzip;q=0", None, CSS),
        ("br;q=0", None, CSS),
        ("*;q=0", None, CSS),
        ("identity", None, CSS),
        ("*", ("br", "gzip"), None),
        (None, None, CSS),
    )
    for accept, coding, body in cases:
        what = f"Accept-Encoding: {accept}" if accept is not None else "no Accept-Encoding"
        reply = get_encoded(site, "/style.css", accept)
        expect_status(reply, 200, what)
        got = reply.header("content-encoding")
        if isinstance(coding, tuple):  # a tie: either is right, with its own bytes
            expect(got in coding, f"{what}: Content-Encoding {got!r}, want one of {coding!r}")
            coding, body = got, {"br": br, "gzip": gz}[got]
        expect_eq(got, coding, f"{what}: Content-Encoding")
        expect(reply.body == body, f"{what}: body is not the "
               f"{coding or 'identity'} file: {harness.short(reply.body)}")
        expect_eq(reply.header("content-type"), css_type, f"{what}: Content-Type")
        expect_vary(reply, what)
    expect(get_encoded(site, "/style.css", "gzip").header("etag") != identity.header("etag"),
           "the gzip file has the same ETag as the identity file")


@test
def precompressed_with_curl_compressed():
    site = precompressed_on()
    res = curl("--compressed", site.url("/style.css"))
    expect_eq(res.code, 200, "curl --compressed")
    expect(res.header("content-encoding") in ("br", "gzip"),
           f"curl --compressed: Content-Encoding {res.header('content-encoding')!r}")
    expect(res.body == CSS, f"curl --compressed ({res.header('content-encoding')}) decoded "
           f"{harness.short(res.body)}, not style.css")
    res = curl("--compressed", "-H", "Accept-Encoding: gzip", site.url("/style.css"))
    expect_eq(res.header("content-encoding"), "gzip", "curl --compressed, gzip only")
    expect(res.body == CSS, "curl --compressed (gzip) did not decode to style.css")
    res = curl("--compressed", "-H", "Accept-Encoding: br", site.url("/style.css"))
    expect_eq(res.header("content-encoding"), "br", "curl --compressed, br only")
    expect(res.body == CSS, "curl --compressed (br) did not decode to style.css")
    res = curl("--compressed", site.url("/plain.txt"))
    expect_eq((res.header("content-encoding"), res.body), (None, PLAIN),
              "curl --compressed on a file without variants")


@test
def precompressed_stale_and_missing_variants():
    site = precompressed_on()
    reply = get_encoded(site, "/old.txt", "gzip, br")
    expect_status(reply, 200, "GET /old.txt")
    expect_eq(reply.header("content-encoding"), None, "old.txt.gz is older than old.txt: "
              "Content-Encoding")
    expect(reply.body == OLD, "old.txt: not the identity body")
    expect_vary(reply, "old.txt")
    reply = get_encoded(site, "/plain.txt", "gzip, br")
    expect_eq((reply.header("content-encoding"), reply.body), (None, PLAIN), "plain.txt")
    expect_vary(reply, "plain.txt")
    # The variant itself, asked for by name, is a plain file.
    reply = get_encoded(site, "/style.css.gz", "gzip")
    expect_eq(reply.header("content-encoding"), None, "GET /style.css.gz: Content-Encoding")


@test
def precompressed_range_and_conditional():
    site = precompressed_on()
    gz = content_of(precompressed_root(), "style.css.gz")
    reply = get_encoded(site, "/style.css", "gzip", [("Range", "bytes=0-9")])
    check_206(reply, 0, 9, len(gz), gz[:10], "Range on the gzip variant")
    expect_eq(reply.header("content-encoding"), "gzip", "206: Content-Encoding")
    expect_vary(reply, "206")
    reply = get_encoded(site, "/style.css", "gzip", [("Range", "bytes=-10")])
    check_206(reply, len(gz) - 10, len(gz) - 1, len(gz), gz[-10:], "suffix Range on gzip")
    head = get_encoded(site, "/style.css", "gzip", method="HEAD")
    expect_eq(head.header("content-length"), str(len(gz)), "HEAD gzip: Content-Length")
    etag = get_encoded(site, "/style.css", "gzip").header("etag")
    reply = strict(site.port, "/style.css", headers=[("Accept-Encoding", "gzip"),
                                                      ("If-None-Match", etag)])
    expect_status(reply, 304, "If-None-Match with the gzip variant's ETag")
    expect_vary(reply, "304")


@test
def precompressed_off_never_encodes():
    site = precompressed_off()
    for accept in ("br", "gzip", "gzip, br", "*"):
        reply = get_encoded(site, "/style.css", accept)
        expect_status(reply, 200, f"precompressed off, Accept-Encoding: {accept}")
        expect_eq(reply.header("content-encoding"), None, f"precompressed off, {accept}")
        expect(reply.body == CSS, f"precompressed off, {accept}: not the identity body")
        expect_no_header(reply, "vary", f"precompressed off, {accept}")


# ================================================================ 4. add_header

HEADER_FILES = {
    "assets/app.js": b"console.log('app');\n",
    "assets/site.css": b"body { margin: 0 }\n",
    "assets-old/app.js": b"// not under /assets/\n",
    "other.css": b"p { color: red }\n",
    "page.html": b"<!doctype html><title>page</title>\n",
}
ADD_HEADER_LINES = (
    'add_header Cache-Control "max-age=60" /assets/',
    "add_header X-Content-Type-Options nosniff",
    "add_header X-Css yes *.css",
)


@functools.lru_cache(maxsize=None)
def headers_site():
    root = harness.DocRoot("switchboard-features-headers-")
    for rel, data in HEADER_FILES.items():
        root.write(rel, data, mtime=MTIME)
    return Site(root, *ADD_HEADER_LINES, "listing on", name="headers")


def expect_added(reply, cache, css, what):
    expect_eq(reply.header_list("cache-control"), ["max-age=60"] if cache else [],
              f"{what}: Cache-Control")
    expect_eq(reply.header_list("x-content-type-options"), ["nosniff"],
              f"{what}: X-Content-Type-Options")
    expect_eq(reply.header_list("x-css"), ["yes"] if css else [], f"{what}: X-Css")


@test
def add_header_scopes():
    port = headers_site().port
    cases = (
        ("/assets/app.js", True, False),
        ("/assets/site.css", True, True),
        ("/assets-old/app.js", False, False),
        ("/other.css", False, True),
        ("/page.html", False, False),
    )
    for target, cache, css in cases:
        reply = fetch(port, target)
        expect_status(reply, 200, f"GET {target}")
        expect_added(reply, cache, css, f"GET {target}")
        expect_added(fetch(port, target, method="HEAD"), cache, css, f"HEAD {target}")
        part = fetch(port, target, headers=[("Range", "bytes=0-3")])
        expect_status(part, 206, f"GET {target} with Range")
        expect_added(part, cache, css, f"206 {target}")
        etag = reply.header("etag")
        with Conn(port) as conn:
            not_modified = conn.request(target, headers=[("If-None-Match", etag)])
            expect_status(not_modified, 304, f"GET {target} with If-None-Match")
            expect_added(not_modified, cache, css, f"304 {target}")
            conn.expect_quiet(0.05, f"304 {target}")


@test
def add_header_absent_on_errors():
    port = headers_site().port
    for target, status in (("/assets/missing.css", 404), ("/missing.css", 404),
                           ("/assets/../../x", 400)):
        reply = fetch(port, target)
        expect_status(reply, status, f"GET {target}")
        for name in ("cache-control", "x-content-type-options", "x-css"):
            expect_no_header(reply, name, f"{status} for {target}")
    reply = fetch(port, "/assets/site.css", headers=[("If-Match", '"nope"')])
    expect_status(reply, 412, "If-Match mismatch")
    expect_no_header(reply, "x-css", "412")
    reply = fetch(port, "/assets/site.css", headers=[("Range", "bytes=9999-")])
    expect_status(reply, 416, "unsatisfiable Range")
    expect_no_header(reply, "cache-control", "416")


@test
def add_header_on_listing():
    port = headers_site().port
    reply = strict(port, "/assets/")
    expect_status(reply, 200, "listing of /assets/")
    expect_added(reply, True, False, "listing of /assets/")
    reply = strict(port, "/")
    expect_added(reply, False, False, "listing of /")


def config_test(lines, name):
    """`switchboard -c FILE -t` on a file of raw byte lines; (status, stderr, path)."""
    root = headers_site().root
    path = os.path.join(root.base, f"{name}.conf")
    head = [b"listen 127.0.0.1:0", b"root " + os.fsencode(root.root)]
    world_readable_file(path, b"\n".join(head + list(lines)) + b"\n")
    done = harness.run_cli(["-c", path, "-t"])
    return done.returncode, done.stderr, path


@test
def add_header_config_checked():
    status, err, path = config_test([line.encode() for line in ADD_HEADER_LINES], "ok")
    expect_eq(status, 0, f"-t on a valid add_header config (stderr {err!r})")
    for field in ("Content-Length", "content-type", "ETag", "Transfer-Encoding", "Date"):
        status, err, path = config_test([b"add_header X-Fine yes", b"add_header %s 5" %
                                         field.encode()], f"managed-{field}")
        expect_eq(status, EX_CONFIG, f"-t with 'add_header {field} 5': exit status")
        expect(f"{path}:4:" in err, f"-t with 'add_header {field} 5': no '{path}:4:' in "
               f"{err!r}")


@test
def add_header_control_characters_rejected():
    failures = []
    for byte in (0x01, 0x08, 0x1B, 0x7F):
        for line in (b'add_header X-Bad "a%cb"' % byte, b"add_header X-Bad a%cb" % byte):
            status, err, path = config_test([line], f"control-{byte:02x}")
            if status != EX_CONFIG or f"{path}:3:" not in err:
                failures.append(f"{line!r}: -t exited {status}, stderr {err.strip()!r}")
    expect(not failures, "a control character in an add_header value is accepted (expected "
           "exit 78 and FILE:LINE): " + "; ".join(failures))


# ================================================================ 5. error_page

ERROR_PAGE = b"<!doctype html><title>lost</title><p>custom not-found page</p>\n"


@functools.lru_cache(maxsize=None)
def errors_root():
    root = harness.DocRoot("switchboard-features-errors-")
    root.write("errors/404.html", ERROR_PAGE, mtime=MTIME)
    root.write("present.txt", b"here\n", mtime=MTIME)
    root.write("noindex/file.txt", b"x\n", mtime=MTIME)
    return root


@functools.lru_cache(maxsize=None)
def errors_site():
    return Site(errors_root(), "error_page 404 /errors/404.html", name="errors")


@functools.lru_cache(maxsize=None)
def errors_missing_site():
    return Site(errors_root(), "error_page 404 /errors/absent.html", name="errors-missing")


@test
def error_page_served_for_404():
    port = errors_site().port
    for target in ("/nothing-here", "/errors/nope.html", "/a/b/c"):
        reply = fetch(port, target)
        expect_status(reply, 404, f"GET {target}")
        expect(reply.body == ERROR_PAGE, f"GET {target}: body {harness.short(reply.body)} "
               "is not /errors/404.html")
        expect_eq(reply.media_type(), "text/html", f"GET {target}: Content-Type")
    with Conn(port) as conn:
        head = conn.request("/nothing-here", method="HEAD")
        expect_status(head, 404, "HEAD /nothing-here")
        expect_eq(head.header("content-length"), str(len(ERROR_PAGE)), "HEAD 404: Content-Length")
        expect_eq(head.raw_body, b"", "HEAD 404 body")
        conn.expect_quiet(0.2, "HEAD 404")
        after = conn.request("/present.txt")
        expect_eq((after.status, after.body), (200, b"here\n"), "request after HEAD 404")
    # Other statuses keep the built-in page.
    reply = fetch(port, "/noindex/")
    expect_status(reply, 403, "GET /noindex/ (no index, no listing)")
    expect(b"403" in reply.body and ERROR_PAGE not in reply.body, "403 body")
    res = curl(errors_site().url("/nothing-here"))
    expect_eq((res.code, res.body), (404, ERROR_PAGE), "curl of a missing file")


@test
def error_page_missing_file_falls_back():
    port = errors_missing_site().port
    reply = fetch(port, "/nothing-here")
    expect_status(reply, 404, "GET /nothing-here with a missing error page")
    expect(b"404 Not Found" in reply.body, f"built-in 404 page expected, got {reply!r}")
    expect_eq(reply.media_type(), "text/html", "built-in 404: Content-Type")
    head = fetch(port, "/nothing-here", method="HEAD")
    expect_status(head, 404, "HEAD with a missing error page")


# ================================================================ 6. charset

CHARSET_FILES = {
    "a.html": ("text/html", True),
    "a.css": ("text/css", True),
    "a.txt": ("text/plain", True),
    "a.js": (("application/javascript", "text/javascript"), True),
    "a.json": ("application/json", True),
    "a.svg": ("image/svg+xml", True),
    "a.png": ("image/png", False),
    "a.bin": ("application/octet-stream", False),
    "a.unknownext": ("application/octet-stream", False),
}


@functools.lru_cache(maxsize=None)
def charset_site():
    root = harness.DocRoot("switchboard-features-charset-")
    for rel in CHARSET_FILES:
        root.write(rel, f"{rel}\n".encode(), mtime=MTIME)
    return Site(root, "charset utf-8", name="charset")


@test
def charset_on_text_types():
    port = charset_site().port
    for rel, (types, textual) in CHARSET_FILES.items():
        types = (types,) if isinstance(types, str) else types
        reply = fetch(port, f"/{rel}")
        expect_status(reply, 200, f"GET /{rel}")
        value = reply.header("content-type")
        want = [f"{t}; charset=utf-8" if textual else t for t in types]
        expect(value in want, f"/{rel}: Content-Type {value!r}, expected one of {want!r}")
    # Without the directive, no charset is added.
    value = fetch(basic().port, "/v.txt").header("content-type")
    expect_eq(value, "text/plain", "Content-Type of a .txt without charset")


# ================================================================ 7. listings

# (name, content); names are bytes: one is not valid UTF-8.
LISTED_FILES = [
    (b"with space.txt", b"space\n"),
    (b"a&b.txt", b"ampersand\n"),
    (b"lt<gt>.txt", b"angle brackets\n"),
    (b'quote".txt', b"double quote\n"),
    (b"apos'.txt", b"apostrophe\n"),
    (b"colon:name.txt", b"colon\n"),
    (b"javascript:alert(1)", b"looks like a scheme\n"),
    (b"hash#frag.txt", b"hash\n"),
    (b"question?x=1.txt", b"question mark\n"),
    (b"percent%41.txt", b"percent-four-one, literally\n"),
    (b"percentA.txt", b"the decoded twin of percent%41.txt\n"),
    (b"plus+semi;eq=.txt", b"sub-delims\n"),
    (b"back\\slash.txt", b"backslash\n"),
    ("ünïcödé.txt".encode(), b"utf-8 accents\n"),
    ("日本語.txt".encode(), b"utf-8 cjk\n"),
    (b"bad\xff\xfe.txt", b"invalid utf-8\n"),
    (b"Zeta.txt", b"capital Z sorts before a\n"),
    (b"alpha.txt", b"alpha\n"),
    (b"empty.txt", b""),
]
LISTED_DIRS = [b"sub", b"dir with space", b"B-dir", "ü-dir".encode(), b"a&b <dir>",
               b"empty", b"only-hidden"]
NESTED_FILES = [
    (b"sub/inner.txt", b"inner\n"),
    (b"sub/deeper/leaf.txt", b"leaf\n"),
    (b"dir with space/in#ner?/x.txt", b"nested special\n"),
    (b"a&b <dir>/'q'.txt", b"quotes in a special dir\n"),
    ("ü-dir/ö.txt".encode(), b"nested utf-8\n"),
]
HIDDEN = [(b".hidden.txt", b"hidden\n"), (b".hiddendir/h.txt", b"in a hidden dir\n"),
          (b"only-hidden/.dot", b"the only entry, hidden\n")]
INDEXED = [(b"with-index/index.html", b"<!doctype html><title>index</title>\n")]


def bytes_path(root, rel):
    return os.fsencode(root.root) + b"/" + rel


def make_tree(root, entries):
    for rel, data in entries:
        parts = rel.split(b"/")
        path = os.fsencode(root.root)
        for part in parts[:-1]:
            path += b"/" + part
            if not os.path.isdir(path):
                os.mkdir(path)
                os.chmod(path, 0o755)
        world_readable_file(path + b"/" + parts[-1], data)
        os.utime(path + b"/" + parts[-1], (MTIME, MTIME))


@functools.lru_cache(maxsize=None)
def listing_root():
    root = harness.DocRoot("switchboard-features-listing-")
    for name in LISTED_DIRS:
        os.mkdir(bytes_path(root, name))
        os.chmod(bytes_path(root, name), 0o755)
    make_tree(root, LISTED_FILES + NESTED_FILES + HIDDEN + INDEXED)
    return root


@functools.lru_cache(maxsize=None)
def listing_site():
    return Site(listing_root(), "listing on", name="listing")


@functools.lru_cache(maxsize=None)
def listing_hidden_site():
    return Site(listing_root(), "listing on", "hidden_files allow", name="listing-hidden")


@functools.lru_cache(maxsize=None)
def listing_off_site():
    return Site(listing_root(), "listing off", name="listing-off")


class Page(html.parser.HTMLParser):
    """The links of a listing page: [(href, text)], and the row count."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.rows = 0
        self._href = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows += 1
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None


def parse_page(body):
    page = Page()
    page.feed(body.decode("utf-8", "surrogateescape"))
    page.close()
    return page


def get_listing(port, target, version="HTTP/1.1", method="GET", headers=()):
    """A listing over HTTP/1.1: chunked, parsed by h11; returns the Resp."""
    with Conn(port) as conn:
        reply = conn.request(target, method, headers, version)
        expect_status(reply, 200, f"{method} {target}")
        return reply


def display_names(name):
    """What the link text may be for name: its UTF-8 text, or for bytes that
    are not UTF-8, the bytes themselves or U+FFFD in their place."""
    try:
        return {name.decode("utf-8")}
    except UnicodeDecodeError:
        return {name.decode("utf-8", "surrogateescape"), name.decode("utf-8", "replace")}


def listed_entries(dir_rel, show_hidden=False):
    """(dirs, files) directly in dir_rel of the listing root, as bytes names."""
    path = bytes_path(listing_root(), dir_rel) if dir_rel else os.fsencode(listing_root().root)
    dirs, files = [], []
    for entry in os.scandir(path):
        if entry.name.startswith(b".") and not show_hidden:
            continue
        (dirs if entry.is_dir(follow_symlinks=False) else files).append(entry.name)
    return sorted(dirs), sorted(files)


@test
def listing_http11_is_chunked():
    port = listing_site().port
    with Conn(port) as conn:
        reply = conn.request("/sub/")
        expect_status(reply, 200, "GET /sub/")
        expect_eq(reply.header("content-type"), "text/html; charset=utf-8", "listing Content-Type")
        expect_eq(reply.header("transfer-encoding"), "chunked", "listing Transfer-Encoding")
        expect_no_header(reply, "content-length", "chunked listing")
        expect(re.match(rb"^[0-9a-fA-F]+\r\n", reply.raw_body),
               f"the body does not start with a chunk size: {harness.short(reply.raw_body)}")
        expect(reply.raw_body.endswith(b"\r\n0\r\n\r\n"), "the body does not end with the "
               f"last chunk: {harness.short(reply.raw_body[-40:])}")
        expect(reply.body.rstrip().endswith(b"</html>"), "the page is not whole")
        expect(not reply.closed, "the connection closed after a chunked listing")
        after = conn.request("/sub/inner.txt")
        expect_eq((after.status, after.body), (200, b"inner\n"), "request after the listing")


@test
def listing_http10_closes():
    port = listing_site().port
    chunked = get_listing(port, "/sub/").body
    for headers in ((), (("Connection", "keep-alive"),)):
        with Conn(port) as conn:
            reply = conn.request("/sub/", headers=headers, version="HTTP/1.0")
            what = f"HTTP/1.0 GET /sub/ {list(headers)}"
            expect_status(reply, 200, what)
            expect_no_header(reply, "content-length", what)
            expect_no_header(reply, "transfer-encoding", what)
            expect("close" in reply.header("connection").lower(), f"{what}: Connection "
                   f"{reply.header('connection')!r}")
            expect(reply.closed, f"{what}: the connection stayed open")
            expect_eq(reply.body, chunked, f"{what}: page differs from the HTTP/1.1 one")


@test
def listing_head_has_no_body():
    port = listing_site().port
    with Conn(port) as conn:
        reply = conn.request("/sub/", method="HEAD")
        expect_status(reply, 200, "HEAD /sub/")
        expect_eq(reply.header("content-type"), "text/html; charset=utf-8", "HEAD Content-Type")
        expect_eq(reply.raw_body, b"", "HEAD listing body")
        conn.expect_quiet(0.2, "HEAD listing")
        after = conn.request("/sub/inner.txt")
        expect_eq((after.status, after.body), (200, b"inner\n"), "request after HEAD listing")
    with Conn(port) as conn:
        reply = conn.request("/sub/", method="HEAD", version="HTTP/1.0")
        expect_status(reply, 200, "HTTP/1.0 HEAD /sub/")
        expect_eq(reply.raw_body + conn.read_until_eof(), b"", "HTTP/1.0 HEAD listing body")


@test
def listing_sorted_and_escaped():
    port = listing_site().port
    reply = get_listing(port, "/")
    page = parse_page(reply.body)
    dirs, files = listed_entries(b"")
    want = [d + b"/" for d in dirs] + files
    got = [urllib.parse.unquote_to_bytes(href).split(b"/")[-2 if href.endswith("/") else -1]
           + (b"/" if href.endswith("/") else b"") for href, _ in page.links]
    expect_eq(got, want, "root listing order (directories first, then byte order)")
    expect_eq(page.rows, 1 + len(want), "rows (header + entries) at the root")
    expect(all(text != "../" for _, text in page.links), "a parent link at the root")
    raw = reply.body
    for bad in (b"lt<gt>", b'quote".txt', b"a&b.txt<", b"a&b <dir>"):
        expect(bad not in raw, f"unescaped {bad!r} in the page")
    for good in (b"lt&lt;gt&gt;.txt", b"quote&quot;.txt", b"a&amp;b.txt", b"apos&#39;.txt"):
        expect(good in raw, f"{good!r} not in the page")
    for href, _ in page.links:
        expect(HREF_RE.match(href), f"href {href!r} is not a relative percent-encoded name")


def check_listing_page(port, target, dir_rel, show_hidden, visited, what):
    """GET a listing, check its links against the directory, follow each."""
    reply = get_listing(port, target)
    page = parse_page(reply.body)
    dirs, files = listed_entries(dir_rel, show_hidden)
    expected = {d + b"/": "dir" for d in dirs}
    expected.update({f: "file" for f in files})
    prefix = b"/" + (dir_rel + b"/" if dir_rel else b"")
    seen = set()
    for href, text in page.links:
        link = urllib.parse.urljoin(target, href)  # relative to the page
        decoded = urllib.parse.unquote_to_bytes(link)
        if text == "../":
            parent = prefix.rstrip(b"/").rpartition(b"/")[0] + b"/"
            expect(dir_rel, f"{what}: parent link at the root")
            expect_eq(decoded, parent, f"{what}: parent link")
        else:
            expect(HREF_RE.match(href), f"{what}: href {href!r} not a percent-encoded name")
            expect(decoded.startswith(prefix), f"{what}: href {href!r} outside {prefix!r}")
            name = decoded[len(prefix):]
            expect(name in expected, f"{what}: unexpected entry {name!r} (href {href!r})")
            shown = {n + ("/" if name.endswith(b"/") else "")
                     for n in display_names(name.rstrip(b"/"))}
            expect(text in shown, f"{what}: link text {text!r} for {name!r}, want {shown!r}")
            seen.add(name)
        if link in visited:
            continue
        visited.add(link)
        index = os.fsencode(listing_root().root) + decoded + b"index.html"
        if link.endswith("/") and os.path.exists(index):
            got = fetch(port, link)
            expect_status(got, 200, f"{what}: GET {link}")
            with open(index, "rb") as src:
                expect(got.body == src.read(), f"{what}: GET {link} is not its index.html")
        elif link.endswith("/"):
            if text == "../":
                expect_status(get_listing(port, link), 200, f"{what}: parent {link}")
            else:
                check_listing_page(port, link, decoded[1:-1], show_hidden, visited,
                                   f"listing {link}")
        else:
            got = fetch(port, link)
            expect_status(got, 200, f"{what}: GET {link}")
            with open(os.fsencode(listing_root().root) + decoded, "rb") as src:
                expect(got.body == src.read(), f"{what}: GET {link}: wrong body")
    expect_eq(sorted(seen), sorted(expected), f"{what}: entries listed")
    expect_eq(any(t == "../" for _, t in page.links), bool(dir_rel), f"{what}: parent link")


@test
def listing_empty_directory():
    for target in ("/empty/", "/only-hidden/"):
        reply = get_listing(listing_site().port, target)
        page = parse_page(reply.body)
        expect_eq(page.links, [("../", "../")], f"GET {target}: links")
        expect_eq(page.rows, 2, f"GET {target}: rows (header + parent)")
        expect(b"0 entries" in reply.body, f"GET {target}: the footer does not say 0 entries")


@test(timeout=30)
def listing_every_link_works():
    visited = set()
    check_listing_page(listing_site().port, "/", b"", False, visited, "listing /")
    expect(len(visited) > len(LISTED_FILES) + len(LISTED_DIRS), f"followed {len(visited)} links")


@test
def listing_hidden_files():
    port = listing_site().port
    names = {urllib.parse.unquote(h) for h, _ in parse_page(get_listing(port, "/").body).links}
    expect(not any(n.startswith(".") for n in names), f"hidden names listed: {sorted(names)}")
    expect_status(fetch(port, "/.hidden.txt"), 404, "GET /.hidden.txt (hidden_files deny)")
    check_listing_page(listing_hidden_site().port, "/", b"", True, set(),
                       "listing / with hidden_files allow")
    names = {urllib.parse.unquote(h)
             for h, _ in parse_page(get_listing(listing_hidden_site().port, "/").body).links}
    expect({".hidden.txt", ".hiddendir/"} <= names, f"hidden names not listed: {sorted(names)}")


@test
def listing_off_and_index():
    for target in ("/", "/sub/", "/sub/deeper/"):
        reply = fetch(listing_off_site().port, target)
        expect_status(reply, 403, f"listing off: GET {target}")
    reply = fetch(listing_site().port, "/with-index/")
    expect_status(reply, 200, "GET /with-index/ (has index.html)")
    expect_eq(reply.body, INDEXED[0][1], "the index, not a listing")


BIG_COUNT = 100_000
RSS_LIMIT_KIB = 64 * 1024


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failure(f"no VmRSS in /proc/{pid}/status")


def big_docroot():
    """A DocRoot on tmpfs when there is one: 100,000 files take about 1.5 s to
    make there, against 10 s and more on some ext4 disks."""
    shm = "/dev/shm"
    try:
        fs = os.statvfs(shm)
        fast = os.access(shm, os.W_OK | os.X_OK) and fs.f_bavail * fs.f_frsize > 256 * MIB
    except OSError:
        fast = False
    saved = tempfile.tempdir
    if fast:
        tempfile.tempdir = shm
    try:
        return harness.DocRoot("switchboard-features-big-")
    finally:
        tempfile.tempdir = saved


@test(timeout=50)
def listing_100k_entries_slow_reader():
    root = big_docroot()
    small = root.write("small.txt", b"small and prompt\n")
    big = root.path("big")
    os.mkdir(big)
    os.chmod(big, 0o755)
    start = time.monotonic()
    old_umask = os.umask(0o022)
    dir_fd = os.open(big, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i in range(BIG_COUNT):
            os.close(os.open(f"f{i:06d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644,
                             dir_fd=dir_fd))
    finally:
        os.close(dir_fd)
        os.umask(old_umask)
    made = time.monotonic() - start
    try:
        site = Site(root, "listing on", name="big")
        port, pid = site.port, site.server.pid
        rss_before = vm_rss_kib(pid)
        result = {}
        fast = threading.Event()

        def download():
            try:
                with Conn(port, timeout=40, rcvbuf=4096) as conn:
                    conn.recv_size, conn.pause = 1024, 0.005
                    conn.sock.sendall(harness.build_request("/big/"))
                    conn.h11.send(h11.Request(method="GET", target="/",
                                              headers=[("Host", harness.HOST_HEADER)]))
                    conn.h11.send(h11.EndOfMessage())
                    result["conn"] = conn
                    orig_recv = conn._recv

                    def recv(deadline):
                        if fast.is_set():
                            conn.recv_size, conn.pause = 1 << 20, 0.0
                        return orig_recv(deadline)

                    conn._recv = recv
                    result["reply"] = conn.read(timeout=40)
            except BaseException as exc:  # reported by the main thread
                result["error"] = exc

        reader = threading.Thread(target=download, daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while "conn" not in result or result["conn"].received < 64 * KIB:
            expect(reader.is_alive() or "conn" in result, f"slow reader ended: {result!r}")
            expect(time.monotonic() < deadline, "the slow reader got under 64 KiB in 10 s")
            time.sleep(0.05)
        rss_peak, slowest = rss_before, 0.0
        for _ in range(5):
            slowest = max(slowest, harness.expect_served_promptly(port, "/small.txt", small, 1.0))
            rss_peak = max(rss_peak, vm_rss_kib(pid))
            time.sleep(0.2)
        received_slowly = result["conn"].received
        expect(reader.is_alive(), "the listing was complete before the checks ended: the "
               "reader was not slow")
        fast.set()
        reader.join(35)
        expect(not reader.is_alive(), "the listing did not complete within 35 s")
        if "error" in result:
            raise Failure(f"the 100,000-entry listing: {result['error']}")
        reply = result["reply"]
        expect_status(reply, 200, "GET /big/")
        expect_eq(reply.header("transfer-encoding"), "chunked", "big listing Transfer-Encoding")
        rows = reply.body.count(b'<tr><td><a href="f')
        expect_eq(rows, BIG_COUNT, "rows in the 100,000-entry listing")
        first = reply.body.find(b'href="f000000"')
        last = reply.body.find(b'href="f099999"')
        expect(0 < first < last, "entries f000000 .. f099999 out of order")
        expect(b"100000 entries" in reply.body, "the footer does not count 100000 entries")
        print(f"# listing_100k: {BIG_COUNT} files made in {made:.1f} s; page of "
              f"{len(reply.body)} bytes; slow phase read {received_slowly} bytes; small file "
              f"answered in <= {slowest * 1000:.0f} ms; server VmRSS {rss_before} KiB before, "
              f"{rss_peak} KiB peak during the slow download", flush=True)
        expect(rss_peak < RSS_LIMIT_KIB, f"server VmRSS {rss_peak} KiB during the slow "
               f"download (limit {RSS_LIMIT_KIB} KiB)")
    finally:
        shutil.rmtree(big, ignore_errors=True)


if __name__ == "__main__":
    harness.main(budget=FILE_BUDGET)
