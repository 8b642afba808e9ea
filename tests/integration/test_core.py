"""HTTP behaviour of switchboard over raw sockets, every response parsed with h11.

Run as `$PYTHON tests/integration/test_core.py` with SWITCHBOARD set.
"""

import functools
import os
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (  # noqa: E402
    Client, Failure, Skip, build_request, exchange, expect, expect_eq, expect_in,
    expect_status, fetch, test,
)

MTIME = 1_600_000_000  # Sun, 13 Sep 2020 12:26:40 GMT
FILES = {
    "index.html": b"<!doctype html><title>root index</title>\n",
    "file.txt": b"plain text file\n",
    "style.css": b"body { color: black }\n",
    "image.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "data.json": b'{"switchboard": true}\n',
    "blob.unknownext": b"\x00\x01\x02 unknown type\n",
    "a b.txt": b"name with a space\n",
    "%41.txt": b"literal percent-four-one\n",
    "A.txt": b"capital A\n",
    "sub/index.html": b"<!doctype html><title>sub index</title>\n",
    "sub/page.txt": b"page in sub\n",
    "a b/index.html": b"<!doctype html><title>spaced dir</title>\n",
    "noindex/listed.txt": b"not listed\n",
    ".hidden": b"hidden file\n",
    "sub/.hidden": b"hidden in sub\n",
    ".well-known/thing.txt": b"well known\n",
    "unreadable.txt": b"mode 000\n",
}
ERROR_BODY_LIMIT = 4096


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-core-")
    for rel, data in FILES.items():
        root.write(rel, data, mtime=MTIME)
    os.chmod(root.path("unreadable.txt"), 0)
    root.symlink("file.txt", "link-inside")
    root.symlink("sub", "link-dir-inside")
    root.symlink("../secret.txt", "link-outside")
    root.symlink(root.secret_path, "link-absolute-outside")
    root.symlink("..", "link-dir-outside")
    os.mkfifo(root.path("fifo"))
    bind_unix_socket(root.path("unix.sock"))
    return root


def bind_unix_socket(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    harness.at_end(sock.close)


SERVER = harness.SharedServer(lambda: docroot().root)


def port():
    return SERVER.get().port


def get(target, **options):
    return fetch(port(), target, **options)


def expect_file(reply, rel, what):
    expect_status(reply, 200, what)
    expect(reply.body == FILES[rel], f"{what}: body is not {rel}: {reply!r}")


def expect_no_secret(reply, what):
    if reply.body and harness.DocRoot.SECRET in reply.body:
        raise Failure(f"{what}: the secret next to the root was served")


# ---------------------------------------------------------------- status codes
#
# Each case: raw request bytes, expected status, whether the connection must
# close (None: either, but a response without "Connection: close" must leave
# the connection usable: a follow-up request is then answered).

REQ = build_request
LONG = "a" * 9000
STATUS_CASES = {
    # versions and request lines
    "http10_get": (REQ("/file.txt", version="HTTP/1.0", host=False), 200, True),
    "http11_get": (REQ("/file.txt"), 200, None),
    "http12_answered_as_11": (REQ("/file.txt", version="HTTP/1.2"), 200, None),
    "http2_505": (REQ("/file.txt", version="HTTP/2.0"), 505, None),
    "http3_505": (REQ("/file.txt", version="HTTP/3.1"), 505, None),
    "http09_400": (b"GET /\r\n", 400, True),
    "request_line_double_space_400": (b"GET  /file.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400, True),
    "request_line_extra_word_400": (b"GET /file.txt HTTP/1.1 x\r\nHost: x\r\n\r\n", 400, True),
    "request_line_tabs_400": (b"GET\t/file.txt\tHTTP/1.1\r\nHost: x\r\n\r\n", 400, True),
    "version_lowercase_400": (REQ("/file.txt", version="http/1.1"), 400, True),
    "version_no_minor_400": (REQ("/file.txt", version="HTTP/1"), 400, True),
    "version_garbage_400": (REQ("/file.txt", version="HTTX/1.1"), 400, True),
    "target_not_a_path_400": (REQ("file.txt"), 400, None),
    # methods
    **{f"method_{m.lower()}_405": (REQ("/file.txt", method=m), 405, None)
       for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT")},
    "method_brew_501": (REQ("/file.txt", method="BREW"), 501, None),
    "method_lowercase_get_501": (REQ("/file.txt", method="get"), 501, None),
    # Host
    "http11_without_host_400": (REQ("/file.txt", host=False), 400, None),
    "two_host_lines_400": (REQ("/file.txt", headers=[("Host", "other")]), 400, None),
    "http10_without_host_200": (REQ("/file.txt", version="HTTP/1.0", host=False), 200, True),
    # files
    "missing_404": (REQ("/no-such-file"), 404, None),
    "missing_in_subdir_404": (REQ("/sub/no-such-file"), 404, None),
    "dir_without_index_403": (REQ("/noindex/"), 403, None),
    # limits
    "request_line_9k_414": (REQ("/" + LONG), 414, True),
    "request_line_7k_ok": (REQ("/" + "a" * 7000), 404, None),
    "header_field_17k_431": (REQ("/file.txt", headers=[("X-Big", "b" * 17000)]), 431, True),
    "header_section_12k_ok": (REQ("/file.txt", headers=[("X-Big", "b" * 12000)]), 200, None),
    "header_101_fields_431": (
        REQ("/file.txt", headers=[(f"X-F{i}", "v") for i in range(100)]), 431, True),
    "header_100_fields_ok": (
        REQ("/file.txt", headers=[(f"X-F{i}", "v") for i in range(99)]), 200, None),
    # message framing
    # A chunked request body is decoded and dropped (RFC 9112 section 7).
    "transfer_encoding_chunked_200": (
        REQ("/file.txt", headers=[("Transfer-Encoding", "chunked")], body=b"0\r\n\r\n"), 200, None),
    "transfer_encoding_unknown_coding_501": (
        REQ("/file.txt", headers=[("Transfer-Encoding", "gzip, chunked")], body=b"0\r\n\r\n"),
        501, True),
    "transfer_encoding_http10_400": (
        REQ("/file.txt", version="HTTP/1.0", headers=[("Transfer-Encoding", "chunked")]), 400, True),
    "transfer_encoding_and_length_400": (
        REQ("/file.txt", headers=[("Transfer-Encoding", "chunked"), ("Content-Length", "5")]),
        400, True),
    "content_length_differing_400": (
        REQ("/file.txt", headers=[("Content-Length", "1"), ("Content-Length", "2")], body=b"xy"),
        400, True),
    "content_length_list_differing_400": (
        REQ("/file.txt", headers=[("Content-Length", "1, 2")], body=b"xy"), 400, True),
    "content_length_not_numeric_400": (
        REQ("/file.txt", headers=[("Content-Length", "ten")]), 400, True),
    "content_length_negative_400": (
        REQ("/file.txt", headers=[("Content-Length", "-1")]), 400, True),
    "body_too_large_413": (
        REQ("/file.txt", headers=[("Content-Length", str(64 * 1024 + 1))]), 413, True),
    "body_1mib_413": (REQ("/file.txt", headers=[("Content-Length", str(1 << 20))]), 413, True),
    # hostile header syntax
    "space_before_colon_400": (b"GET /file.txt HTTP/1.1\r\nHost : x\r\n\r\n", 400, True),
    "tab_before_colon_400": (b"GET /file.txt HTTP/1.1\r\nHost: x\r\nX-A\t: 1\r\n\r\n", 400, True),
    "obs_fold_400": (b"GET /file.txt HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", 400, True),
    "obs_fold_tab_400": (b"GET /file.txt HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tfolded\r\n\r\n", 400, True),
    "header_without_colon_400": (b"GET /file.txt HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, True),
    "bare_lf_everywhere_400": (b"GET /file.txt HTTP/1.1\nHost: x\n\n", 400, True),
    "bare_lf_in_headers_400": (b"GET /file.txt HTTP/1.1\r\nHost: x\n\r\n", 400, True),
    "bare_lf_http10_400": (b"GET /file.txt HTTP/1.0\n\n", 400, True),
}


def check_status_case(data, status, must_close):
    with Client(port(), timeout=3) as client:
        reply = client.request(data, "GET")
        what = f"request {harness.short(data, 80)}"
        expect_status(reply, status, what)
        if status >= 400:
            check_error_body(reply, what)
        if reply.status == 405:
            expect_eq(reply.header("allow"), "GET, HEAD", "Allow header of 405")
        if reply.closed:
            return
        if must_close:
            silently = client.is_closed_by_peer(1.0)
            raise Failure(f"{what}: {status} response without 'Connection: close'; the server "
                          + ("then closed anyway" if silently else "left the connection open"))
        check_still_usable(client, f"{what}: {status} response without 'Connection: close'")


def check_still_usable(client, what):
    try:
        reply = client.get("/file.txt")
    except harness.ResponseError as exc:
        raise Failure(f"{what}, but a follow-up request failed: {exc}") from None
    expect_file(reply, "file.txt", f"{what}: follow-up request")


def check_error_body(reply, what):
    expect_eq(reply.media_type(), "text/html", f"{what}: error Content-Type")
    expect(0 < len(reply.body) <= ERROR_BODY_LIMIT,
           f"{what}: error body of {len(reply.body)} bytes (want a short HTML body)")


for _name, (_data, _status, _close) in STATUS_CASES.items():
    harness.add_test(f"status_{_name}", functools.partial(check_status_case, _data, _status, _close))


# ---------------------------------------------------------------- headers


def expect_date_now(reply):
    date = reply.header("date")
    expect(date is not None and harness.IMF_FIXDATE_RE.match(date), f"Date {date!r} not IMF-fixdate")
    skew = abs(harness.parse_http_date(date) - time.time())
    expect(skew < 10, f"Date {date!r} is {skew:.0f} s away from now")


def expect_common_headers(reply):
    expect_date_now(reply)
    expect_eq(reply.header("server"), f"switchboard/{harness.server_version()}", "Server header")
    expect(reply.header("content-type"), "Content-Type missing")


@test
def headers_on_200():
    reply = get("/file.txt")
    expect_file(reply, "file.txt", "GET /file.txt")
    expect_common_headers(reply)
    expect_eq(reply.header("content-length"), str(len(FILES["file.txt"])), "Content-Length")
    expect_eq(reply.header("last-modified"), harness.http_date(MTIME), "Last-Modified")


@test
def headers_on_404():
    reply = get("/no-such-file")
    expect_status(reply, 404)
    expect_common_headers(reply)
    check_error_body(reply, "GET /no-such-file")


CONTENT_TYPES = {
    "/index.html": "text/html",
    "/style.css": "text/css",
    "/image.png": "image/png",
    "/data.json": "application/json",
    "/file.txt": "text/plain",
    "/blob.unknownext": "application/octet-stream",
}


@test
def content_types():
    wrong = {}
    for target, media_type in CONTENT_TYPES.items():
        reply = get(target)
        expect_status(reply, 200, target)
        if reply.media_type() != media_type:
            wrong[target] = reply.header("content-type")
    expect(not wrong, f"wrong Content-Type: {wrong!r} (want {CONTENT_TYPES!r})")


HEAD_TARGETS = ("/file.txt", "/", "/image.png", "/no-such-file", "/sub", "/noindex/")


@test
def head_equals_get_without_body():
    for target in HEAD_TARGETS:
        head, full = head_then_get(target)
        expect_eq(head.status, full.status, f"HEAD {target} status")
        expect_eq(without_date(head.headers), without_date(full.headers), f"HEAD {target} headers")
        expect_eq(head.length, 0, f"HEAD {target} body length")


def head_then_get(target):
    """HEAD then GET, on the same connection when the HEAD left it open: a
    stray body after the HEAD response would then break the second parse."""
    with Client(port()) as client:
        head = client.get(target, method="HEAD")
        if not head.closed:
            return head, client.get(target)
    return head, get(target)


def without_date(headers):
    return [(k, v) for k, v in headers if k != "date"]


# ---------------------------------------------------------------- persistence


@test
def http11_keeps_connection():
    with Client(port()) as client:
        for rel in ("file.txt", "style.css", "file.txt"):
            reply = client.get("/" + rel)
            expect_file(reply, rel, f"GET /{rel} on a kept connection")
            expect(not reply.closed, "HTTP/1.1 connection closed without Connection: close")


@test
def http11_connection_close_honoured():
    with Client(port()) as client:
        reply = client.get("/file.txt", headers=[("Connection", "close")])
        expect_file(reply, "file.txt", "GET with Connection: close")
        expect(reply.closed, "connection not closed after Connection: close")


@test
def http10_closes_by_default():
    with Client(port()) as client:
        reply = client.get("/file.txt", version="HTTP/1.0")
        expect_file(reply, "file.txt", "HTTP/1.0 GET")
        expect(reply.closed, "HTTP/1.0 connection without keep-alive not closed")


@test
def http10_keep_alive():
    keep = [("Connection", "keep-alive")]
    with Client(port()) as client:
        for _ in range(2):
            reply = client.get("/file.txt", version="HTTP/1.0", headers=keep)
            expect_file(reply, "file.txt", "HTTP/1.0 keep-alive GET")
            expect("keep-alive" in reply.connection_tokens(),
                   f"response lacks Connection: keep-alive: {reply!r}")
        last = client.get("/file.txt", version="HTTP/1.0")
        expect(last.closed, "HTTP/1.0 request without keep-alive did not close")


PIPELINES = {
    "three": ["/file.txt", "/style.css", "/data.json"],
    "404_then_200": ["/no-such-file", "/file.txt", "/missing-too", "/A.txt"],
    "head_between_gets": ["/file.txt", ("HEAD", "/image.png"), "/style.css"],
}


def check_pipeline(items):
    requests = [item if isinstance(item, tuple) else ("GET", item) for item in items]
    data = b"".join(build_request(t, method=m) for m, t in requests)
    with Client(port()) as client:
        client.send(data)
        replies = client.read_responses([m for m, _ in requests])
    for (method, target), reply in zip(requests, replies):
        rel = target.lstrip("/")
        if rel in FILES:
            expect_status(reply, 200, f"pipelined {method} {target}")
            if method == "GET":
                expect(reply.body == FILES[rel], f"pipelined {target}: answered out of order")
        else:
            expect_status(reply, 404, f"pipelined {target}")


for _name, _items in PIPELINES.items():
    harness.add_test(f"pipeline_{_name}", functools.partial(check_pipeline, _items))


BODY_SIZES = {"small": 10, "64k_limit": 64 * 1024}


def check_body_discarded(size):
    body = b"x" * size
    first = build_request("/file.txt", headers=[("Content-Length", str(size))], body=body)
    with Client(port()) as client:
        client.send(first + build_request("/style.css"))
        one, two = client.read_responses(["GET", "GET"])
    expect_file(one, "file.txt", f"GET with a {size}-byte body")
    expect_file(two, "style.css", "request pipelined after the body")


for _name, _size in BODY_SIZES.items():
    harness.add_test(f"get_body_discarded_{_name}", functools.partial(check_body_discarded, _size))


# ---------------------------------------------------------------- targets

TARGETS_OK = {
    "absolute_form": ("http://switchboard.test/file.txt", "file.txt"),
    "absolute_form_uppercase_scheme": ("HTTP://switchboard.test/file.txt", "file.txt"),
    "query_ignored": ("/file.txt?x=1&y=../../secret", "file.txt"),
    "percent_space": ("/a%20b.txt", "a b.txt"),
    "percent_decoded_once": ("/%2541.txt", "%41.txt"),
    "percent_unreserved": ("/%41.txt", "A.txt"),
    "dot_segment_inside": ("/sub/../file.txt", "file.txt"),
    "single_dot_segment": ("/./file.txt", "file.txt"),
    "encoded_dots_inside": ("/sub/%2e%2e/file.txt", "file.txt"),
    "root_index": ("/", "index.html"),
    "dir_index": ("/sub/", "sub/index.html"),
    "well_known_served": ("/.well-known/thing.txt", ".well-known/thing.txt"),
    "symlink_inside": ("/link-inside", "file.txt"),
    "symlink_dir_inside": ("/link-dir-inside/page.txt", "sub/page.txt"),
}


def check_target_ok(target, rel):
    reply = get(target)
    expect_file(reply, rel, f"GET {target}")


for _name, (_target, _rel) in TARGETS_OK.items():
    harness.add_test(f"target_{_name}", functools.partial(check_target_ok, _target, _rel))


TARGETS_REFUSED = {
    "nul_400": ("/file.txt%00.html", {400}),
    "encoded_slash_400": ("/sub%2Fpage.txt", {400}),
    "encoded_slash_lower_400": ("/sub%2fpage.txt", {400}),
    "control_byte_400": ("/file%01.txt", {400}),
    "encoded_newline_400": ("/file%0a.txt", {400}),
    "encoded_del_400": ("/file%7f.txt", {400}),
    "hidden_404": ("/.hidden", {404}),
    "hidden_in_subdir_404": ("/sub/.hidden", {404}),
    "hidden_encoded_404": ("/%2ehidden", {404}),
    "unix_socket_403": ("/unix.sock", {403}),
    "symlink_outside_file": ("/link-outside", {403, 404}),
    "symlink_absolute_outside": ("/link-absolute-outside", {403, 404}),
    "symlink_dir_outside": ("/link-dir-outside/secret.txt", {403, 404}),
    "traversal_dotdot": ("/../secret.txt", {400}),
    "traversal_dotdot_deep": ("/sub/../../secret.txt", {400}),
    "traversal_dot_then_dotdot": ("/./../secret.txt", {400}),
    "traversal_encoded_dots": ("/%2e%2e/secret.txt", {400}),
    "traversal_encoded_dots_upper": ("/%2E%2E/secret.txt", {400}),
    "traversal_half_encoded": ("/.%2e/secret.txt", {400}),
    "traversal_encoded_slash": ("/..%2fsecret.txt", {400}),
    "traversal_encoded_slash_deep": ("/sub/..%2f..%2fsecret.txt", {400}),
    "traversal_absolute_form": ("http://switchboard.test/../secret.txt", {400}),
    "traversal_absolute_form_encoded": ("http://switchboard.test/%2e%2e/secret.txt", {400}),
    "traversal_relative_target": ("../secret.txt", {400}),
}


def check_target_refused(target, statuses):
    reply = get(target)
    expect_no_secret(reply, f"GET {target}")
    expect_in(reply.status, statuses, f"GET {target} status")
    check_error_body(reply, f"GET {target}")


for _name, (_target, _statuses) in TARGETS_REFUSED.items():
    harness.add_test(f"target_{_name}", functools.partial(check_target_refused, _target, _statuses))


@test
def unreadable_file_403():
    if SERVER.get().euid() == 0:
        raise Skip("the server runs as root: a mode-000 file is readable")
    reply = get("/unreadable.txt")
    expect_status(reply, 403, "GET of a mode-000 file")


@test(timeout=15)
def fifo_403_without_hanging():
    reply = fetch(port(), "/fifo", timeout=3)
    expect_status(reply, 403, "GET /fifo")
    harness.expect_served_promptly(port(), "/file.txt", FILES["file.txt"])


# target: (Location sent, where it leads). The Location is relative, so that
# it holds behind a proxy that mounts the server under a prefix.
REDIRECTS = {
    "/sub": ("sub/", "/sub/"),
    "/a%20b": ("a%20b/", "/a%20b/"),
    "/sub?x=1&y=2": ("sub/?x=1&y=2", "/sub/?x=1&y=2"),
    "/link-dir-inside": ("link-dir-inside/", "/link-dir-inside/"),
    "/noindex": ("noindex/", "/noindex/"),
    # A dot segment last: sent to the directory's own name.
    "/noindex/..": ("/", "/"),
    "/sub/a%20b/..": ("/sub/", "/sub/"),
    "/sub/.?q": ("/sub/?q", "/sub/?q"),
}


@test
def directory_redirects():
    for target, (location, leads_to) in REDIRECTS.items():
        reply = get(target)
        expect_status(reply, 301, f"GET {target}")
        expect_eq(reply.header("location"), location, f"Location for {target}")
        resolved = urllib.parse.urlsplit(urllib.parse.urljoin("http://h" + target, location))
        got = resolved.path + ("?" + resolved.query if resolved.query else "")
        expect_eq(got, leads_to, f"where the Location for {target} leads")


@test
def redirect_target_is_served():
    expect_file(get("/a%20b/"), "a b/index.html", "GET /a%20b/")


# ---------------------------------------------------------------- error bodies

XSS = "<script>alert(1)</script>"
ECHO_REQUESTS = {
    "raw_target": REQ("/" + XSS),
    "encoded_target": REQ("/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    "encoded_target_404": REQ("/%3Cscript%3Ealert(1)%3C"),
    "post_405": REQ("/" + XSS, method="POST"),
    "unknown_method_501": REQ("/" + XSS, method="BREW"),
    "absolute_form": REQ("http://switchboard.test/" + XSS),
}


def check_no_echo(data):
    reply = exchange(port(), data)
    expect(reply.status >= 400, f"expected an error, got {reply!r}")
    body = reply.body.lower()
    expect(XSS.encode() not in body and b"<script" not in body,
           f"error body echoes markup: {reply.body!r}")


for _name, _data in ECHO_REQUESTS.items():
    harness.add_test(f"error_body_no_echo_{_name}", functools.partial(check_no_echo, _data))


if __name__ == "__main__":
    harness.main()
