"""CORS against the running server: preflights allowed and refused (origin,
method, headers), Access-Control-Allow-Origin and Vary on every status (200,
304, 404, 301, 405, 413), "*", the health and metrics routes, OPTIONS without
CORS, a reload that changes the origins, -t, and the conflict with add_header.
Raw sockets with a strict response reader, and the real curl.

Run as `$PYTHON tests/integration/test_cors.py` with SWITCHBOARD and CURL set
(make check does).
"""

import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Skip, expect, expect_eq, expect_status, fetch, test  # noqa: E402

CURL = os.environ.get("CURL") or shutil.which("curl")
EX_CONFIG = 78
APP = "https://app.example"
LOCAL = "http://127.0.0.1:9000"
EVIL = "https://evil.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
STATE = {}


def work_dir():
    if "work" not in STATE:
        STATE["work"] = harness.work_dir("switchboard-cors-conf-")
    return STATE["work"]


def write_conf(name, text):
    return harness.write_config(work_dir(), name, text)


def site():
    if "root" not in STATE:
        root = harness.DocRoot("switchboard-cors-")
        root.write("data.json", b'{"answer": 42}\n')
        root.write("dir/index.html", b"<p>dir</p>\n")
        STATE["root"] = root
    return STATE["root"]


def start(name, conf_text):
    """A server for the site, configured by conf_text (kept per name)."""
    if name not in STATE:
        conf = write_conf(f"{name}.conf", conf_text)
        server = harness.Server(site().root, args=("-c", conf)).start()
        harness.at_end(server.stop)
        STATE[name] = server
    return STATE[name]


def listed():
    return start("listed", f"cors_origins {APP}:443 {LOCAL}\n"
                           "cors_headers X-Token Content-Type\n"
                           "cors_expose_headers ETag\n"
                           "cors_max_age 90s\n"
                           "health_path /healthz\n"
                           "metrics_path /metrics\n")


def starred():
    return start("starred", "cors_origins *\nhealth_path /healthz\n")


def plain():
    return start("plain", "health_path /healthz\n")


def preflight(server, origin, method="GET", request_headers=None, target="/data.json"):
    headers = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if request_headers is not None:
        headers.append(("Access-Control-Request-Headers", request_headers))
    return fetch(server.port, target, method="OPTIONS", headers=headers)


def cors_fields(reply):
    return {name: value for name, value in reply.headers if name.startswith("access-control-")}


def vary(reply):
    """The Vary members, in order (one field only: the server merges them)."""
    value = reply.header("vary")
    return [] if value is None else [v.strip() for v in value.split(",")]


# ---------------------------------------------------------------- preflights


@test
def preflight_allowed():
    reply = preflight(listed(), APP, "GET", "x-token,content-type")
    expect_status(reply, 204, "allowed preflight")
    expect_eq(cors_fields(reply), {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "GET, HEAD",
        "access-control-allow-headers": "X-Token, Content-Type",
        "access-control-max-age": "90",
    }, "preflight fields")
    expect_eq(reply.header("vary"), PREFLIGHT_VARY, "Vary")
    expect_eq(reply.header("content-length"), None, "a 204 has no Content-Length")
    expect_eq(reply.body, b"", "a 204 has no body")


@test
def preflight_origin_spelling_and_default_port():
    reply = preflight(listed(), LOCAL, "HEAD")
    expect_status(reply, 204, "second origin")
    expect_eq(reply.header("access-control-allow-origin"), LOCAL, "ACAO")
    reply = preflight(listed(), APP.upper(), "GET")
    expect_status(reply, 204, "origin in upper case")
    expect_eq(reply.header("access-control-allow-origin"), APP, "the configured spelling")
    # Configured as https://app.example:443: a browser never writes the default
    # port, and the comparison is of the serialised origin.
    expect_status(preflight(listed(), APP + ":443", "GET"), 403, "the default port written")


@test
def preflight_origin_refused():
    for origin in [EVIL, "null", APP + ".evil.example", "http://app.example",
                   "http://127.0.0.1:9001"]:
        reply = preflight(listed(), origin, "GET")
        expect_status(reply, 403, f"preflight from {origin}")
        expect_eq(cors_fields(reply), {}, f"{origin}: no CORS field at all")
        expect_eq(reply.header("vary"), PREFLIGHT_VARY, f"{origin}: Vary")


@test
def preflight_method_refused():
    for method in ["POST", "PUT", "DELETE", "get", "OPTIONS"]:
        reply = preflight(listed(), APP, method)
        expect_status(reply, 403, f"preflight for {method}")
        expect_eq(cors_fields(reply), {"access-control-allow-origin": APP},
                  f"{method}: the origin's field, no permission")


@test
def preflight_headers_refused():
    for asked in ["x-other", "x-token,authorization", "x-token;bad"]:
        reply = preflight(listed(), APP, "GET", asked)
        expect_status(reply, 403, f"preflight asking for {asked}")
        expect("access-control-allow-headers" not in cors_fields(reply), f"{asked}: fields")
    expect_status(preflight(listed(), APP, "GET", " X-TOKEN "), 204, "any case, spaces")
    expect_status(preflight(listed(), APP, "GET", ""), 204, "an empty list")


@test
def preflight_for_a_missing_path():
    """A preflight is answered before any file is looked up."""
    expect_status(preflight(listed(), APP, "GET", None, "/no/such/file"), 204, "missing path")


@test
def options_that_is_not_a_preflight():
    server = listed()
    reply = fetch(server.port, "/data.json", method="OPTIONS", headers=[("Origin", APP)])
    expect_status(reply, 405, "OPTIONS with Origin only")
    expect_eq(reply.header("allow"), "GET, HEAD", "Allow")
    expect_eq(reply.header("access-control-allow-origin"), APP, "ACAO on the 405")
    expect("access-control-allow-methods" not in cors_fields(reply), "not a preflight answer")
    reply = fetch(server.port, "/data.json", method="OPTIONS",
                  headers=[("Access-Control-Request-Method", "GET")])
    expect_status(reply, 405, "OPTIONS without Origin")
    expect_eq(cors_fields(reply), {}, "no origin: no CORS field")


@test
def options_405_without_cors():
    reply = preflight(plain(), APP, "GET")
    expect_status(reply, 405, "a preflight where CORS is off")
    expect_eq(cors_fields(reply), {}, "no CORS field")
    expect_eq(reply.header("vary"), None, "no Vary")
    reply = fetch(plain().port, "/data.json", headers=[("Origin", APP)])
    expect_status(reply, 200, "GET with Origin, CORS off")
    expect_eq(cors_fields(reply), {}, "CORS off: no field")
    expect_eq(reply.header("vary"), None, "CORS off: no Vary")


# ---------------------------------------------------------------- every answer


def statuses(server, origin):
    """Replies of every kind, each to a request from origin (None: no Origin)."""
    h = [("Origin", origin)] if origin else []
    port = server.port
    ok = fetch(port, "/data.json", headers=h)
    expect_status(ok, 200, "GET /data.json")
    not_modified = fetch(port, "/data.json", headers=h + [("If-None-Match", ok.header("etag"))])
    expect_status(not_modified, 304, "If-None-Match")
    missing = fetch(port, "/missing.json", headers=h)
    expect_status(missing, 404, "missing")
    moved = fetch(port, "/dir", headers=h)
    expect_status(moved, 301, "directory without its slash")
    refused = fetch(port, "/data.json", method="POST", headers=h + [("Content-Length", "0")])
    expect_status(refused, 405, "POST")
    too_large = harness.exchange(port, harness.build_request(
        "/data.json", "POST", headers=h + [("Content-Length", str(10 * 1024 * 1024))]), "POST")
    expect_status(too_large, 413, "a body too large to read")
    head = fetch(port, "/data.json", method="HEAD", headers=h)
    expect_status(head, 200, "HEAD")
    return {"200": ok, "304": not_modified, "404": missing, "301": moved, "405": refused,
            "413": too_large, "HEAD": head}


@test
def allowed_origin_on_every_status():
    for kind, reply in statuses(listed(), APP).items():
        expect_eq(reply.header("access-control-allow-origin"), APP, f"{kind}: ACAO")
        expect_eq(reply.header("access-control-expose-headers"), "ETag", f"{kind}: expose")
        expect_eq(vary(reply), ["Origin"], f"{kind}: Vary")
        expect("access-control-allow-methods" not in cors_fields(reply), f"{kind}: no ACAM")


@test
def other_origins_get_no_field_but_vary():
    for origin in [EVIL, None]:
        for kind, reply in statuses(listed(), origin).items():
            expect_eq(cors_fields(reply), {}, f"{kind} from {origin}: no CORS field")
            expect_eq(vary(reply), ["Origin"], f"{kind} from {origin}: Vary")


@test
def any_origin():
    for origin in ["https://anyone.example", None]:
        for kind, reply in statuses(starred(), origin).items():
            expect_eq(reply.header("access-control-allow-origin"), "*", f"{kind}: ACAO")
            expect_eq(reply.header("vary"), None, f"{kind} from {origin}: nothing varies")
    reply = preflight(starred(), "https://anyone.example", "GET")
    expect_status(reply, 204, "preflight with *")
    expect_eq(reply.header("access-control-allow-origin"), "*", "ACAO *")
    expect_eq(vary(reply), ["Access-Control-Request-Method", "Access-Control-Request-Headers"],
              "a preflight still varies on what it asks")
    expect_status(preflight(starred(), "https://anyone.example", "GET", "x-token"), 403,
                  "no request header allowed")


@test
def health_takes_part_metrics_never():
    server = listed()
    reply = fetch(server.port, "/healthz", headers=[("Origin", APP)])
    expect_status(reply, 200, "GET /healthz")
    expect_eq(reply.header("access-control-allow-origin"), APP, "health: ACAO")
    expect_status(preflight(server, APP, "GET", None, "/healthz"), 204, "health preflight")
    reply = fetch(server.port, "/metrics", headers=[("Origin", APP)])
    expect_status(reply, 200, "GET /metrics from loopback")
    expect_eq(cors_fields(reply), {}, "metrics: no CORS field")
    expect_eq(reply.header("vary"), None, "metrics: no Vary")
    reply = preflight(server, APP, "GET", None, "/metrics")
    expect_status(reply, 405, "metrics preflight")
    expect_eq(cors_fields(reply), {}, "metrics preflight: no CORS field")


@test
def curl_sees_the_preflight():
    if CURL is None:
        raise Skip("curl not installed")
    url = f"http://127.0.0.1:{listed().port}/data.json"
    done = subprocess.run([CURL, "-sS", "-i", "-X", "OPTIONS", "-H", f"Origin: {APP}",
                           "-H", "Access-Control-Request-Method: GET",
                           "-H", "Access-Control-Request-Headers: X-Token", url],
                          capture_output=True, timeout=20)
    expect_eq(done.returncode, 0, f"curl: {done.stderr!r}")
    head = done.stdout.decode("latin-1")
    expect(head.startswith("HTTP/1.1 204 No Content\r\n"), f"status line: {head[:40]!r}")
    expect(f"\r\nAccess-Control-Allow-Origin: {APP}\r\n" in head, head)
    done = subprocess.run([CURL, "-sS", "-o", "/dev/null", "-D", "-", "-H", f"Origin: {APP}",
                           url], capture_output=True, timeout=20)
    head = done.stdout.decode("latin-1")
    expect("\r\nVary: Origin\r\n" in head and f"Allow-Origin: {APP}\r\n" in head, head)


# ---------------------------------------------------------------- configuration


@test
def reload_changes_the_origins():
    root = site()
    conf = write_conf("reload.conf", f"cors_origins {APP}\n")
    server = harness.Server(root.root, args=("-c", conf)).start()
    harness.at_end(server.stop)
    expect_status(preflight(server, APP), 204, "before the reload")
    write_conf("reload.conf", f"cors_origins {LOCAL}\n")
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while preflight(server, LOCAL).status != 204:
        expect(time.monotonic() < deadline, "the new origin is not allowed 5 s after SIGHUP")
        time.sleep(0.05)
    expect_status(preflight(server, APP), 403, "the old origin after the reload")
    write_conf("reload.conf", "health_path /healthz\n")
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while preflight(server, LOCAL).status != 405:
        expect(time.monotonic() < deadline, "CORS still on 5 s after it was removed")
        time.sleep(0.05)


@test
def test_option_shows_the_policy():
    conf = write_conf("shown.conf", f"root {site().root}\ncors_origins HTTPS://App.Example:443\n"
                                    "cors_headers X-Token\ncors_max_age 2m\n")
    done = harness.run_cli(["-c", conf, "-t"])
    expect_eq(done.returncode, 0, f"-t: {done.stderr}")
    expect_eq(done.stdout.splitlines(), [
        "configuration OK",
        "cors: origins https://app.example; request headers X-Token; preflights kept 120 s",
    ], "-t output")


@test
def configuration_errors():
    # The first line of each file is its root: the errors are on line 3.
    cases = [
        (f"add_header Access-Control-Allow-Origin \"*\" always\ncors_origins {APP}\n",
         "cors_origins: add_header sets 'Access-Control-Allow-Origin' already"),
        (f"cors_origins {APP}\nadd_header access-control-max-age 5\n",
         "header 'access-control-max-age' is set by switchboard itself with cors_origins"),
        ("\ncors_origins https://app.example/\n",
         "cors_origins: invalid origin 'https://app.example/'"),
        ("\ncors_origins * https://app.example\n", "cors_origins: '*' stands alone"),
        ("\ncors_headers X-Token:\n", "cors_headers: invalid header name 'X-Token:'"),
    ]
    for i, (text, message) in enumerate(cases):
        conf = write_conf(f"bad{i}.conf", f"root {site().root}\n" + text)
        done = harness.run_cli(["-c", conf, "-t"])
        expect_eq(done.returncode, EX_CONFIG, f"{text!r}: exit status")
        expect(f"{conf}:3: {message}" in done.stderr, f"{text!r}: {done.stderr!r}")
    # Without cors_origins, add_header may set the field as before.
    conf = write_conf("compat.conf", f"root {site().root}\n"
                                     "add_header Access-Control-Allow-Origin \"*\" always\n")
    done = harness.run_cli(["-c", conf, "-t"])
    expect_eq((done.returncode, done.stdout.strip()), (0, "configuration OK"), done.stderr)


@test
def cors_per_site():
    """A site block's cors_origins is that site's alone; the top level's
    is every other site's (inherited unless the block sets its own)."""
    server = harness.configured_server(
        [f"cors_origins {APP}", "site api.example {", f"cors_origins {LOCAL}", "}",
         "site www.example {", "}"],
        "switchboard-cors-sites-", {"data.json": b'{"answer": 42}\n'})

    def get(host, origin):
        with harness.Client(server.port) as client:
            client.send(f"GET /data.json HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\n\r\n"
                        .encode())
            return client.read_response()

    for host, allowed, refused in (("api.example", LOCAL, APP), ("www.example", APP, LOCAL),
                                   ("unknown.example", APP, LOCAL)):
        reply = get(host, allowed)
        expect_status(reply, 200, f"{host} from {allowed}")
        expect_eq(reply.header("access-control-allow-origin"), allowed, f"{host}: allowed")
        reply = get(host, refused)
        expect_eq(reply.header("access-control-allow-origin"), None, f"{host}: {refused}")


if __name__ == "__main__":
    harness.main()
