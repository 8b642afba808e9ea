"""Configured redirects (redirect FROM TO [STATUS]) against the running server,
followed by the real curl: the status, where the Location leads, the query
kept, a prefix rule's rest appended, and no request that leads elsewhere.

Run as `$PYTHON tests/integration/test_redirects.py` with SWITCHBOARD and CURL
set (make check does).
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Skip, expect, expect_eq, expect_status, fetch, test  # noqa: E402

CURL = os.environ.get("CURL") or shutil.which("curl")
STATE = {}


def server():
    if "server" in STATE:
        return STATE["server"]
    s = harness.configured_server(
        ["redirect /old.html /new.html", "redirect /docs/* /v2/ 308",
         "redirect /away https://elsewhere.example/landing?from=sb 302", "redirect /go/* /"],
        "switchboard-redirects-",
        {"new.html": b"<p>new</p>\n", "v2/guide/intro.html": b"<p>intro v2</p>\n"})
    STATE["server"] = s
    return s


def curl_follow(path):
    if CURL is None:
        raise Skip("curl not installed")
    url = f"http://127.0.0.1:{server().port}{path}"
    done = subprocess.run([CURL, "-sS", "-L", "--max-redirs", "5", "-o", "-", "-w",
                           "\n%{http_code} %{url_effective}", url],
                          capture_output=True, timeout=20)
    expect_eq(done.returncode, 0, f"curl -L {path}: {done.stderr!r}")
    body, _, tail = done.stdout.rpartition(b"\n")
    code, effective = tail.decode().split(" ", 1)
    return int(code), effective, body


@test
def exact_redirect_followed():
    reply = fetch(server().port, "/old.html?x=1")
    expect_status(reply, 301, "GET /old.html")
    expect_eq(reply.header("location"), "/new.html?x=1", "Location keeps the query")
    code, effective, body = curl_follow("/old.html?x=1")
    expect_eq((code, body), (200, b"<p>new</p>\n"), "curl -L lands on the new page")
    expect(effective.endswith("/new.html?x=1"), f"effective URL {effective}")


@test
def prefix_redirect_appends_the_rest():
    reply = fetch(server().port, "/docs/guide/intro.html")
    expect_status(reply, 308, "GET /docs/guide/intro.html")
    expect_eq(reply.header("location"), "/v2/guide/intro.html", "Location")
    code, _, body = curl_follow("/docs/guide/intro.html")
    expect_eq((code, body), (200, b"<p>intro v2</p>\n"), "curl -L lands on v2")


@test
def absolute_target_and_status():
    reply = fetch(server().port, "/away?q=1")
    expect_status(reply, 302, "GET /away")
    expect_eq(reply.header("location"), "https://elsewhere.example/landing?from=sb&q=1",
              "Location joins the queries")


@test
def no_open_redirect_from_the_request():
    for target in ["/go//evil.example/x", "/go/%2F%2Fevil.example", "/go/..%2F/evil.example"]:
        reply = fetch(server().port, target)
        location = reply.header("location") or ""
        expect(not location.startswith("//") and "://" not in location,
               f"{target}: Location {location!r} leads to another host")


@test
def head_and_other_paths():
    expect_status(fetch(server().port, "/old.html", method="HEAD"), 301, "HEAD /old.html")
    expect_status(fetch(server().port, "/new.html"), 200, "GET /new.html is a file")
    expect_status(fetch(server().port, "/old.htmlx"), 404, "GET /old.htmlx")


if __name__ == "__main__":
    harness.main()
