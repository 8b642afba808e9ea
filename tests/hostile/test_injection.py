"""No header injection, no log injection.

CR and LF, raw or percent-encoded (%0d%0a, %0D%0A, %0a), in the path, the
query, Host, User-Agent and Referer, must never produce an extra response
header: no response ever carries Set-Cookie, a directory's 301 Location is
exactly the percent-encoded path (the query kept as it came, which cannot
hold a raw CR or LF), and a Location is never protocol-relative ("//host").

The server runs with `access_log FILE` from a configuration file. After the
run (the server stopped, so every line is written):

  - the log has exactly one line per response the clients received;
  - every line is printable ASCII and matches the strict Combined Log
    Format: `HOST - - [DD/Mon/YYYY:HH:MM:SS +0000] "REQUEST" STATUS BYTES
    "REFERER" "USER-AGENT"`, where the quoted fields contain only \\", \\\\
    and \\xHH escapes besides printable bytes;
  - line by line, the status is the one the client got, and for each
    request whose head was understood, the unescaped request, referer and
    user-agent fields are exactly the bytes that were sent: nothing lost,
    nothing added, nothing that could close the quote or start a line;
  - the error log (stderr) holds nothing taken from a request.

Run as `$PYTHON tests/hostile/test_injection.py` with SWITCHBOARD set.
"""

import functools
import os
import re
import shutil
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hostile import Failure, expect, expect_eq, figure, harness  # noqa: E402
from harness import Client, Server, test  # noqa: E402

SMALL = b"small file\n"
FORGED = b'127.0.0.9 - - [01/Jan/2030:00:00:00 +0000] "GET /forged HTTP/1.1" 200 1 "-" "-"'
QUOTED = rb'((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\]|\\x[0-9a-f]{2})*)'
CLF_RE = re.compile(
    rb'^(127\.0\.0\.1) - - \[(\d{2})/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/(\d{4}):'
    rb'(\d{2}):(\d{2}):(\d{2}) \+0000\] "' + QUOTED + rb'" ([1-5]\d\d) (\d+|-) "' + QUOTED
    + rb'" "' + QUOTED + rb'"$')
PERCENT_DIR = "d%0d%0aSet-Cookie:x=1"  # a real directory name with literal '%' characters


@functools.lru_cache(maxsize=None)
def site():
    root = harness.DocRoot("switchboard-injection-")
    root.write("small.txt", SMALL)
    root.write("dir/index.html", b"dir index\n")
    root.write(f"{PERCENT_DIR}/index.html", b"percent dir index\n")
    root.write("evil.test/dir/index.html", b"not an open redirect\n")
    logs = tempfile.mkdtemp(prefix="switchboard-injection-logs-")
    harness.at_end(lambda: shutil.rmtree(logs, ignore_errors=True))
    os.chmod(logs, 0o755)
    log = os.path.join(logs, "access.log")
    conf = os.path.join(logs, "switchboard.conf")
    with open(conf, "w") as f:
        f.write(f'access_log "{log}"\n')
    os.chmod(conf, 0o644)
    return root, conf, log


def unescape(field):
    """A log field back to the bytes it stands for ('-' is an absent field)."""
    out, i = bytearray(), 0
    while i < len(field):
        if field[i:i + 1] == b"\\":
            if field[i + 1:i + 2] == b"x":
                out.append(int(field[i + 2:i + 4], 16))
                i += 4
            else:
                out += field[i + 1:i + 2]
                i += 2
        else:
            out += field[i:i + 1]
            i += 1
    return bytes(out)


# Each case: raw request, expected status, and what the log must show:
# (request line, referer, user-agent) as sent, or None where the head was not
# understood (only the format and the status are checked then).
CASES = []


def case(name, raw, status, logged=True, location=None):
    CASES.append((name, raw, status, logged, location))


def req(target, *fields, version=b"HTTP/1.1"):
    lines = [b"GET " + target + b" " + version, b"Host: injection.test", *fields,
             b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


# The path.
case("path_crlf_encoded", req(b"/dir%0d%0aSet-Cookie:x=1"), 400)
case("path_crlf_encoded_upper", req(b"/dir%0D%0ASet-Cookie:x=1"), 400)
case("path_lf_encoded", req(b"/dir%0aSet-Cookie:x=1"), 400)
case("path_cr_encoded", req(b"/dir%0dSet-Cookie:x=1"), 400)
case("path_crlf_raw", b"GET /dir\r\nSet-Cookie: x=1 HTTP/1.1\r\nHost: i\r\n\r\n", 400, False)
case("path_cr_raw", b"GET /dir\rSet-Cookie: x=1 HTTP/1.1\r\nHost: i\r\n\r\n", 400, False)
case("path_lf_raw", b"GET /dir\nSet-Cookie: x=1 HTTP/1.1\r\nHost: i\r\n\r\n", 400, False)
case("path_percent_named_directory", req(b"/d%250d%250aSet-Cookie:x=1"), 301,
     location="/d%250d%250aSet-Cookie:x=1/")
# Resolved against the request's own URI: the same host, never evil.test
# (empty segments are compared folded: the server serves "//a" as "/a").
case("path_double_slash_no_open_redirect", req(b"//evil.test/dir"), 301,
     location="/evil.test/dir/")
case("path_absolute_form_no_open_redirect", req(b"http://evil.test/dir"), 301, location="/dir/")
case("path_quote_and_backslash", req(b'/small.txt?a="b"\\c'), 200)
# The query: kept as it came in the Location, but it cannot hold a raw CR/LF.
case("query_crlf_encoded", req(b"/dir?%0d%0aSet-Cookie:x=1"), 301,
     location="/dir/?%0d%0aSet-Cookie:x=1")
case("query_crlf_encoded_upper", req(b"/dir?%0D%0ASet-Cookie:x=1"), 301,
     location="/dir/?%0D%0ASet-Cookie:x=1")
case("query_forged_log_line_encoded", req(b"/small.txt?%0a" + FORGED.replace(b" ", b"%20")
                                          .replace(b'"', b"%22")), 200)
case("query_crlf_raw", b"GET /dir?a\r\nSet-Cookie: x=1 HTTP/1.1\r\nHost: i\r\n\r\n", 400, False)
# Host.
# Encoded CR/LF are valid in a reg-name, but the space and ':' after them are
# not: an invalid Host is 400 (RFC 9112 section 3.2).
case("host_crlf_encoded", req(b"/dir", version=b"HTTP/1.1").replace(
    b"Host: injection.test", b"Host: i%0d%0aSet-Cookie: x=1"), 400, False)
case("host_crlf_encoded_valid", req(b"/dir", version=b"HTTP/1.1").replace(
    b"Host: injection.test", b"Host: i%0d%0aSet-Cookie%3ax=1"), 301, location="/dir/")
case("host_cr_raw", b"GET /dir HTTP/1.1\r\nHost: i\rSet-Cookie: x=1\r\n\r\n", 400, False)
case("host_lf_raw", b"GET /dir HTTP/1.1\r\nHost: i\nSet-Cookie: x=1\r\n\r\n", 400, False)
# User-Agent.
case("ua_crlf_encoded", req(b"/small.txt", b"User-Agent: x%0d%0aSet-Cookie: x=1"), 200)
case("ua_cr_raw", req(b"/small.txt", b"User-Agent: x\rSet-Cookie: x=1"), 400, False)
case("ua_lf_raw", req(b"/small.txt", b"User-Agent: x\n" + FORGED), 400, False)
case("ua_quotes_forging_fields", req(b"/small.txt", b'User-Agent: x" 200 0 "-" "-\\'), 200)
case("ua_forged_line_after_quote", req(b"/small.txt", b'User-Agent: "\\x0a' + FORGED), 200)
case("ua_obs_text", req(b"/small.txt", b"User-Agent: caf\xe9 \xff\xfe"), 200)
case("ua_tab", req(b"/small.txt", b"User-Agent: a\tb"), 200)
case("ua_long", req(b"/small.txt", b"User-Agent: " + b"\\\"" * 4000), 200)
# Referer.
case("referer_crlf_encoded", req(b"/small.txt", b"Referer: http://r/%0d%0aSet-Cookie:x=1"), 200)
case("referer_cr_raw", req(b"/small.txt", b"Referer: http://r/\rSet-Cookie: x=1"), 400, False)
case("referer_quotes", req(b"/small.txt", b'Referer: http://r/" 404 - "' + FORGED), 200)
case("referer_obs_text", req(b"/small.txt", b"Referer: http://r/\x80\x9b[2J"), 200)
# An error after the request line was understood: logged with it.
case("error_after_request_line", req(b"/small.txt", b"Bad Field: x"), 400, False)


def field_of(raw, name):
    """The value of a field in raw request bytes, as the server trims it."""
    for line in raw.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.lower() == name:
            return value.strip(b" \t")
    return b""


RESPONSES = []  # (case name, status) for every response received


def run_case(name, raw, status, location):
    port = SERVER_STATE["server"].port
    with Client(port, timeout=5.0) as client:
        client.send(raw)
        reply = client.read_response()
    RESPONSES.append((name, reply.status))
    names = [k for k, _ in reply.headers]
    expect("set-cookie" not in names, f"{name}: a Set-Cookie header appeared: {reply.headers!r}")
    for key, value in reply.headers:
        expect("\r" not in value and "\n" not in value, f"{name}: CR/LF in {key}: {value!r}")
        expect(not key.startswith("x-") and "cookie" not in key, f"{name}: odd header {key}")
    expect(reply.status == status, f"{name}: expected {status}, got {reply.status}")
    got_location = reply.header("location")
    if got_location is not None:
        # A path, absolute or relative: no scheme, no authority of its own.
        parts = urllib.parse.urlsplit(got_location)
        expect(parts.scheme == "" and parts.netloc == "" and not got_location.startswith("//"),
               f"{name}: Location {got_location!r} is not a local path")
    if location is not None:
        # What a client requests next: the Location resolved against the
        # request's URI (RFC 9110 section 10.2.2), on the same host.
        target = raw.split(b" ", 2)[1].decode("latin-1")
        base = target if "://" in target else "http://injection.test" + target
        resolved = urllib.parse.urlsplit(urllib.parse.urljoin(base, got_location or ""))
        expect(resolved.netloc == urllib.parse.urlsplit(base).netloc,
               f"{name}: Location {got_location!r} leads to another host")
        path = re.sub("/+", "/", resolved.path)
        expect_eq(path + ("?" + resolved.query if resolved.query else ""), location,
                  f"{name}: where Location {got_location!r} leads")


SERVER_STATE = {}


@functools.lru_cache(maxsize=None)
def start():
    root, conf, log = site()
    server = Server(root.root, args=("-c", conf)).start()
    harness.at_end(server.stop)
    SERVER_STATE["server"] = server
    return server


for _name, _raw, _status, _logged, _location in CASES:
    harness.add_test(
        f"injection_{_name}",
        (lambda a: lambda: (start(), run_case(*a)))((_name, _raw, _status, _location)),
        timeout=10.0)


@test(timeout=30)
def injection_access_log_one_strict_line_per_response():
    server = start()
    _, _, log = site()
    server.stop()
    with open(log, "rb") as f:
        text = f.read()
    lines = text.split(b"\n")
    expect(lines[-1] == b"", "the access log does not end with a newline")
    lines = lines[:-1]
    figure("injection_requests", len(CASES))
    figure("injection_responses", len(RESPONSES))
    figure("injection_log_lines", len(lines))
    expect_eq(len(lines), len(RESPONSES), "access log lines vs responses received")
    by_name = {name: (raw, logged) for name, raw, _, logged, _ in CASES}
    for line, (name, status) in zip(lines, RESPONSES):
        expect(all(0x20 <= b < 0x7f for b in line), f"{name}: non-printable byte in {line!r}")
        m = CLF_RE.match(line)
        if m is None:
            raise Failure(f"{name}: not a strict Combined Log Format line: {line[:300]!r}")
        request, logged_status, referer, agent = m.group(8), m.group(9), m.group(11), m.group(12)
        expect_eq(int(logged_status), status, f"{name}: logged status")
        raw, logged = by_name[name]
        if logged:
            expect_eq(unescape(request), raw.split(b"\r\n", 1)[0], f"{name}: logged request")
            want_ref = field_of(raw, b"referer") or b"-"
            want_ua = field_of(raw, b"user-agent") or b"-"
            expect_eq(unescape(referer), want_ref, f"{name}: logged referer")
            expect_eq(unescape(agent), want_ua, f"{name}: logged user-agent")
    stderr = server.stderr_text()
    for needle in ("Set-Cookie", "forged", "injection.test"):
        expect(needle not in stderr, f"the error log holds request text {needle!r}: "
                                     f"{stderr[-300:]!r}")


if __name__ == "__main__":
    harness.main(budget=60.0)
