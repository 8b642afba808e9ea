"""Hostile Host headers against a server with several sites.

The server has a default site and two site blocks ("a.test www.a.test" and
"*.b.test"), each root holding files marked as its own, and a secret next
to the roots. Every row is one request on a fresh connection, followed on
the same connection by a canary request for the default site when the
row's request was well framed:

  - oversized Host values (a 300-byte name, which no site has: the default
    site; a field over the 16 KiB head limit: 431 and close);
  - malformed Host values (a space, a slash, a path, "/..", a backslash, a
    bad port, a userinfo, an unclosed IPv6 literal, control bytes): 400 and
    close, never a site's file;
  - two Host fields, equal or naming two sites: 400 and close;
  - a Host naming one site and an absolute-form target naming another: the
    target's site answers (RFC 9112 section 3.2.2), and its dot segments
    stay inside that site;
  - Host values that are syntactically valid but name no site ("..", "%2e",
    an empty Host): the default site;
  - on one keep-alive connection, requests alternating between sites: each
    is answered by its own site (nothing sticks to the connection).

No response ever holds the secret, and none holds a file of a site other
than the one the row expects.

Run as `$PYTHON tests/hostile/test_host_header.py` with SWITCHBOARD set.
"""

import functools
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hostile import expect, expect_eq, figure, harness  # noqa: E402
from harness import Client, NoResponse, add_test, test  # noqa: E402

SECRET = b"HOST-HEADER-SECRET-beside-the-roots\n"
MARKERS = {"default": b"DEFAULT-4a1b", "a": b"SITE-A-5c2d", "b": b"SITE-B-6e3f"}
CANARY = b"GET /default-only.txt HTTP/1.1\r\nHost: canary.test\r\n\r\n"


@functools.lru_cache(maxsize=None)
def server():
    base = tempfile.mkdtemp(prefix="switchboard-host-header-")
    harness.at_end(lambda: shutil.rmtree(base, ignore_errors=True))
    os.chmod(base, 0o755)

    def write(rel, data):
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
        os.chmod(path, 0o644)

    write("secret.txt", SECRET)
    for name, marker in MARKERS.items():
        write(f"{name}/index.html", marker + b" index\n")
        write(f"{name}/{name}-only.txt", marker + b" only\n")
    conf = os.path.join(base, "switchboard.conf")
    write("switchboard.conf",
          (f"root {base}/default\n"
           f"site a.test www.a.test {{\n  root {base}/a\n}}\n"
           f"site *.b.test {{\n  root {base}/b\n}}\n").encode())
    s = harness.Server(args=("-c", conf)).start()
    harness.at_end(s.stop)
    return s


def site_of(body):
    found = [name for name, marker in MARKERS.items() if marker in (body or b"")]
    expect(len(found) <= 1, f"markers of several sites in one response: {found}")
    return found[0] if found else None


def request(target, *hosts, version="HTTP/1.1"):
    lines = [f"GET {target} {version}".encode("latin-1")]
    lines += [b"Host: " + (h if isinstance(h, bytes) else h.encode("latin-1")) for h in hosts]
    return b"\r\n".join(lines) + b"\r\n\r\n"


# (name, request bytes, status, site that answers or None, the connection stays open)
OVERSIZED = "x" * 63 + "." + "y" * 63 + "." + "z" * 63 + "." + "w" * 63 + ".a.test"
ROWS = [
    ("a site", request("/a-only.txt", "a.test"), 200, "a", True),
    ("a wildcard site", request("/b-only.txt", "q.b.test"), 200, "b", True),
    ("a 300-byte name", request("/default-only.txt", OVERSIZED), 200, "default", True),
    ("a Host beyond the head limit", request("/", "a.test" + "x" * 17000), 431, None, False),
    ("a space", request("/a-only.txt", "a.test x"), 400, None, False),
    ("a path", request("/a-only.txt", "a.test/a-only.txt"), 400, None, False),
    ("a path with dot segments", request("/secret.txt", "a.test/.."), 400, None, False),
    ("a Host that is '/..'", request("/secret.txt", "/.."), 400, None, False),
    ("a Host that is '../b'", request("/b-only.txt", "../b"), 400, None, False),
    ("a backslash", request("/a-only.txt", "a.test\\..\\b"), 400, None, False),
    ("a bad port", request("/a-only.txt", "a.test:8o"), 400, None, False),
    ("two ports", request("/a-only.txt", "a.test:80:80"), 400, None, False),
    ("a userinfo", request("/a-only.txt", "user@a.test"), 400, None, False),
    ("an unclosed IPv6 literal", request("/a-only.txt", "[::1"), 400, None, False),
    ("a NUL byte", request("/a-only.txt", b"a.test\x00.b.test"), 400, None, False),
    ("a tab inside", request("/a-only.txt", b"a.\ttest"), 400, None, False),
    ("a non-ASCII byte", request("/a-only.txt", b"a.t\xe9st"), 400, None, False),
    ("two equal Hosts", request("/a-only.txt", "a.test", "a.test"), 400, None, False),
    ("two Hosts naming two sites", request("/a-only.txt", "a.test", "x.b.test"), 400, None,
     False),
    ("Host names a, the target names b", request("http://x.b.test/b-only.txt", "a.test"), 200,
     "b", True),
    ("Host names b, the target names a with a port",
     request("http://A.TEST:81/a-only.txt", "x.b.test"), 200, "a", True),
    ("Host names a, the target names no site", request("http://elsewhere.test/", "a.test"), 200,
     "default", True),
    ("the target's dot segments stay in its site",
     request("http://a.test/../b/b-only.txt", "x.b.test"), 400, None, False),
    ("an absolute-form target with a userinfo",
     request("http://a.test@x.b.test/b-only.txt", "a.test"), 400, None, False),
    ("'..' is a valid Host naming no site", request("/default-only.txt", ".."), 200, "default",
     True),
    ("an escaped dot names no site", request("/default-only.txt", "a%2etest"), 200, "default",
     True),
    ("an empty Host", request("/default-only.txt", ""), 200, "default", True),
    ("no Host in HTTP/1.0", request("/default-only.txt", version="HTTP/1.0"), 200, "default",
     False),
]


def run_row(data, status, site, stays_open):
    with Client(server().port) as client:
        client.send(data + (CANARY if stays_open else b""))
        try:
            reply = client.read_response("GET", target="/")
        except NoResponse as exc:
            raise harness.Failure(f"no response: {exc}") from None
        expect(SECRET not in (reply.body or b""), f"the secret leaked: {reply!r}")
        expect_eq(reply.status, status, "status")
        expect_eq(site_of(reply.body), site, f"the site that answered: {reply!r}")
        if not stays_open:
            expect(reply.closed or client.is_closed_by_peer(2.0),
                   f"the connection stays open after {reply!r}")
            return
        canary = client.read_response("GET", target="/default-only.txt")
        expect_eq((canary.status, site_of(canary.body)), (200, "default"),
                  "the canary after it (the default site)")


def make_row_test(data, status, site, stays_open):
    return lambda: run_row(data, status, site, stays_open)


for row_name, row_data, row_status, row_site, row_open in ROWS:
    add_test("host: " + row_name, make_row_test(row_data, row_status, row_site, row_open))


@test
def sites_alternate_on_one_connection():
    """Each request of a keep-alive connection is answered by its own Host's site."""
    order = ["a.test", "x.b.test", "unknown.test", "www.a.test", "y.b.test", "a.test"] * 5
    want = {"a.test": "a", "www.a.test": "a", "x.b.test": "b", "y.b.test": "b",
            "unknown.test": "default"}
    with Client(server().port) as client:
        client.send(b"".join(request("/", host) for host in order))
        for host in order:
            reply = client.read_response("GET", target="/")
            expect_eq((reply.status, site_of(reply.body)), (200, want[host]), f"Host {host}")
    figure("host_header_alternating_requests", len(order))


if __name__ == "__main__":
    harness.main()
