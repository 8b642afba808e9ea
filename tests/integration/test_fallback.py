"""A single-page application's fallback against the running server: the page
for paths that name nothing (with and without an extension, per scope), HEAD,
conditional requests and ranges answered with the page's own validators,
redirects first, refusals kept (hidden file, bad path, traversal, directory
without index), the health and metrics paths untouched, a missing fallback
file (404, logged once), and a reload that turns it off.

Run as `$PYTHON tests/integration/test_fallback.py` with SWITCHBOARD set
(make check does).
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import expect, expect_eq, expect_status, fetch, http_date, test  # noqa: E402

PAGE = b"<!DOCTYPE html>\n<title>app</title>\n<div id=app></div>\n"
MTIME = 1_600_000_000
STATE = {}


def work_dir():
    if "work" not in STATE:
        STATE["work"] = harness.work_dir("switchboard-fallback-conf-")
    return STATE["work"]


def write_conf(name, text):
    return harness.write_config(work_dir(), name, text)


def site():
    if "root" not in STATE:
        root = harness.DocRoot("switchboard-fallback-")
        root.write("index.html", PAGE, mtime=MTIME)
        root.write("app.js", b"console.log('app');\n")
        root.write("docs/readme.txt", b"read me\n")
        root.write("empty/.keep", b"")
        root.write(".env", b"SECRET=1\n")
        root.write("new.html", b"<p>new</p>\n")
        STATE["root"] = root
    return STATE["root"]


def start(name, conf_text):
    if name not in STATE:
        conf = write_conf(f"{name}.conf", conf_text)
        server = harness.Server(site().root, args=("-c", conf)).start()
        harness.at_end(server.stop)
        STATE[name] = server
    return STATE[name]


def extensionless():
    return start("extensionless", "fallback /index.html\n"
                                  "redirect /old /new.html\n"
                                  "health_path /healthz\n"
                                  "metrics_path /metrics\n"
                                  "add_header Cache-Control no-cache *.html\n")


def everything():
    return start("all", "fallback /index.html all\n")


def page_reply(port, target, method="GET", headers=()):
    return fetch(port, target, method=method, headers=list(headers))


# ---------------------------------------------------------------- the page


@test
def paths_without_extension_get_the_page():
    port = extensionless().port
    direct = fetch(port, "/index.html")
    expect_status(direct, 200, "GET /index.html")
    for target in ["/app/route", "/app/route/", "/settings?tab=a.b", "/v1.2/users/7",
                   "/docs/missing", "/app.js/route"]:
        reply = fetch(port, target)
        expect_status(reply, 200, f"GET {target}")
        expect_eq(reply.body, PAGE, f"GET {target}: the page")
        expect_eq(reply.media_type(), "text/html", f"GET {target}: its type")
        expect_eq(reply.header("etag"), direct.header("etag"), f"GET {target}: its ETag")
        expect_eq(reply.header("last-modified"), http_date(MTIME), f"{target}: Last-Modified")
        expect_eq(reply.header("cache-control"), "no-cache", f"{target}: its add_header rule")


@test
def paths_with_extension_stay_404():
    port = extensionless().port
    for target in ["/missing.png", "/assets/app.css", "/app/route.json", "/a%2Eb"]:
        reply = fetch(port, target)
        expect_status(reply, 404, f"GET {target}")
        expect(reply.body != PAGE, f"GET {target}: not the page")


@test
def scope_all_covers_them_too():
    port = everything().port
    for target in ["/missing.png", "/app/route", "/x/y.css?v=2"]:
        reply = fetch(port, target)
        expect_status(reply, 200, f"GET {target}")
        expect_eq(reply.body, PAGE, f"GET {target}: the page")


@test
def files_and_directories_are_served_as_before():
    port = extensionless().port
    expect_eq(fetch(port, "/app.js").body, b"console.log('app');\n", "a file")
    expect_eq(fetch(port, "/docs/readme.txt").body, b"read me\n", "a file below")
    expect_status(fetch(port, "/docs"), 301, "a directory without its slash")
    expect_status(fetch(port, "/"), 200, "the root and its index")


@test
def head_and_range():
    port = extensionless().port
    reply = fetch(port, "/app/route", method="HEAD")
    expect_status(reply, 200, "HEAD /app/route")
    expect_eq(reply.header("content-length"), str(len(PAGE)), "HEAD: the page's length")
    expect_eq(reply.body, b"", "HEAD: no body")
    reply = fetch(port, "/app/route", headers=[("Range", "bytes=0-14")])
    expect_status(reply, 206, "Range")
    expect_eq(reply.body, PAGE[:15], "Range: the page's first bytes")


@test
def conditional_requests_use_the_page_validators():
    port = extensionless().port
    etag = fetch(port, "/index.html").header("etag")
    for method in ["GET", "HEAD"]:
        reply = fetch(port, "/app/route", method=method, headers=[("If-None-Match", etag)])
        expect_status(reply, 304, f"{method} If-None-Match")
        expect_eq(reply.header("etag"), etag, f"{method} 304: the page's ETag")
        reply = fetch(port, "/app/route", method=method,
                      headers=[("If-Modified-Since", http_date(MTIME))])
        expect_status(reply, 304, f"{method} If-Modified-Since")
    reply = fetch(port, "/app/route", headers=[("If-None-Match", '"other"')])
    expect_status(reply, 200, "another ETag")
    reply = fetch(port, "/app/route", headers=[("If-Match", '"other"')])
    expect_status(reply, 412, "If-Match another ETag")


# ---------------------------------------------------------------- not the page


@test
def refusals_are_kept():
    port = extensionless().port
    cases = [("/.env", 404), ("/app/.git/config", 404), ("/%00", 400), ("/a%2Fb", 400),
             ("/../etc/passwd", 400), ("/empty/", 403)]
    for target, status in cases:
        reply = fetch(port, target)
        expect_status(reply, status, f"GET {target}")
        expect(reply.body != PAGE, f"GET {target}: not the page")


@test
def redirects_come_first():
    reply = fetch(extensionless().port, "/old")
    expect_status(reply, 301, "GET /old")
    expect_eq(reply.header("location"), "/new.html", "Location")


@test
def health_and_metrics_are_not_the_page():
    port = extensionless().port
    reply = fetch(port, "/healthz")
    expect_status(reply, 200, "GET /healthz")
    expect(reply.body != PAGE and reply.body.startswith(b"ok"), f"health: {reply.body!r}")
    reply = fetch(port, "/metrics")
    expect_status(reply, 200, "GET /metrics")
    expect(b"switchboard_" in reply.body, "metrics: the counters")
    expect_status(fetch(port, "/healthz", method="POST", headers=[("Content-Length", "0")]),
                  405, "POST /healthz")


@test
def other_methods_are_not_the_page():
    port = extensionless().port
    reply = fetch(port, "/app/route", method="POST", headers=[("Content-Length", "0")])
    expect_status(reply, 405, "POST /app/route")
    expect_status(fetch(port, "/app/route", method="DELETE"), 405, "DELETE /app/route")


# ---------------------------------------------------------------- the file itself


@test
def missing_fallback_file_is_404_logged_once():
    conf = write_conf("missing.conf", "fallback /gone.html all\n")
    server = harness.Server(site().root, args=("-c", conf)).start()
    harness.at_end(server.stop)
    for target in ["/app/route", "/other", "/x.png"]:
        reply = fetch(server.port, target)
        expect_status(reply, 404, f"GET {target} without the fallback file")
    expect_status(fetch(server.port, "/app.js"), 200, "files are still served")
    time.sleep(0.2)  # stderr is read by another thread
    lines = [line for line in server.stderr_text().splitlines() if "/gone.html" in line]
    expect_eq(len(lines), 1, f"logged once: {lines!r}")
    expect("error" in lines[0], f"an error line: {lines[0]!r}")


@test
def test_option_and_a_reload():
    conf = write_conf("reload.conf", "fallback /index.html\n")
    done = harness.run_cli(["-c", conf, "-t", site().root])
    expect_eq(done.returncode, 0, f"-t: {done.stderr}")
    expect_eq(done.stdout.splitlines(), [
        "configuration OK",
        "fallback: /index.html for paths without an extension that name nothing",
    ], "-t output")
    server = harness.Server(site().root, args=("-c", conf)).start()
    harness.at_end(server.stop)
    expect_status(fetch(server.port, "/app/route"), 200, "before the reload")
    write_conf("reload.conf", "fallback off\n")
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while fetch(server.port, "/app/route").status != 404:
        expect(time.monotonic() < deadline, "still the page 5 s after 'fallback off'")
        time.sleep(0.05)


@test
def bad_fallback_lines():
    for i, (value, message) in enumerate([
            ("index.html", "invalid path 'index.html' for fallback"),
            ("/", "invalid path '/' for fallback"),
            ("/.hidden.html", "invalid path '/.hidden.html' for fallback"),
            ("/index.html some", "invalid value 'some' for fallback")]):
        conf = write_conf(f"bad{i}.conf", f"\nfallback {value}\n")
        done = harness.run_cli(["-c", conf, "-t", site().root])
        expect_eq(done.returncode, 78, f"fallback {value}: exit status")
        expect(f"{conf}:2: {message}" in done.stderr, f"fallback {value}: {done.stderr!r}")


if __name__ == "__main__":
    harness.main()
