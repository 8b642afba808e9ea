"""Basic authentication (auth_basic PREFIX REALM USERFILE) against the running
server: the challenge, right and wrong passwords, unknown users, malformed
and oversized credentials, prefix boundaries, HEAD, the access log's %u, the
health route left open, a reload with a changed (and a broken) user file, and
weak user files refused by -t with both lines named. The real curl sends the
credentials once (curl -u).

Run as `$PYTHON tests/integration/test_auth.py` with SWITCHBOARD (and CURL)
set (make check does).
"""

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Skip, expect, expect_eq, expect_status, fetch, test  # noqa: E402

CURL = os.environ.get("CURL") or shutil.which("curl")

# "secret" for each, in the three kinds of hash taken.
ALICE = "alice:$2y$05$sdfc9YIoDIKjQD4heSr4kOnWGGiMEFrYFXlVFa8Fjr40s3WmF/nLe"
BOB = "bob:$y$j9T$Rs93k1cfZygwylO1JrRo./$nYaY3nk/7c/Am9Yx0tWEb9nTNzggDSLe4p.NFktKYvC"
CAROL = ("carol:$6$rounds=1000$3X2SApfC7qWZfxcU$xAfm3BxpgSCcqXmimFjPlDh/Gd7QGKMioh7Guq4DuUfwl"
         "C71ADxsrrLCijpJA9CNjiLW0hJsGadg7h0xSxppp0")
# "changed", bcrypt.
ALICE_CHANGED = "alice:$2b$04$1bUcVqstYaCLYDPr9yKeI.8tIDgXCm0bp5.apcwYJDxUPs8d392x2"
CHALLENGE = 'Basic realm="Team files", charset="UTF-8"'
# Users only the pipelining test names, so that none is in the cache yet.
PIPELINED = [f"{user}:{ALICE.split(':', 1)[1]}" for user in ("pipe1", "pipe2")]
USERS = "\n".join([ALICE, BOB, CAROL, *PIPELINED]) + "\n"
STATE = {}


def workdir():
    if "work" not in STATE:
        work = tempfile.mkdtemp(prefix="switchboard-auth-")
        os.chmod(work, 0o755)
        harness.at_end(lambda: shutil.rmtree(work, ignore_errors=True))
        STATE["work"] = work
    return STATE["work"]


def write(name, text):
    path = os.path.join(workdir(), name)
    with open(path, "w") as f:
        f.write(text)
    return path


def server():
    if "server" in STATE:
        return STATE["server"]
    root = harness.DocRoot("switchboard-auth-root-")
    root.write("index.html", b"<p>public</p>\n")
    root.write("private/a.html", b"<p>private</p>\n")
    root.write("private/inner/b.html", b"<p>inner</p>\n")
    root.write("privateer/c.html", b"<p>not private</p>\n")
    users = write("users", USERS)
    STATE["users"] = users
    STATE["access"] = os.path.join(workdir(), "access.log")
    conf = write("switchboard.conf",
                 f'auth_basic /private "Team files" "{users}"\n'
                 f'access_log "{STATE["access"]}"\n'
                 "health_path /healthz\n")
    STATE["conf"] = conf
    s = harness.Server(root.root, args=("-c", conf)).start()
    harness.at_end(s.stop)
    STATE["server"] = s
    return s


def basic(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return ("Authorization", f"Basic {token}")


def get(target, *headers, method="GET"):
    return fetch(server().port, target, method=method, headers=headers)


def expect_challenge(reply, what):
    expect_status(reply, 401, what)
    expect_eq(reply.header("WWW-Authenticate"), CHALLENGE, f"{what}: WWW-Authenticate")


def access_lines():
    with open(STATE["access"], errors="replace") as f:
        return f.read().splitlines()


def logged(target_marker, timeout=3.0):
    """The access log line of the request whose target holds the marker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in access_lines() if target_marker in line]
        if lines:
            return lines[-1]
        time.sleep(0.02)
    raise harness.Failure(f"no access log line with {target_marker!r}")


@test
def no_credentials_challenged():
    expect_challenge(get("/private/a.html"), "GET /private/a.html without credentials")
    expect_challenge(get("/private"), "GET /private without credentials")
    expect_challenge(get("/private/inner/b.html"), "GET /private/inner/b.html")


@test
def right_passwords_served():
    for user in ("alice", "bob", "carol"):
        reply = get("/private/a.html", basic(user, "secret"))
        expect_status(reply, 200, f"GET /private/a.html as {user}")
        expect_eq(reply.body, b"<p>private</p>\n", f"body for {user}")
        # Again, from the cache: the same answer.
        expect_status(get("/private/inner/b.html", basic(user, "secret")), 200,
                      f"GET /private/inner/b.html as {user}, again")


@test
def wrong_password_and_unknown_user_challenged():
    expect_challenge(get("/private/a.html", basic("alice", "secreT")), "a wrong password")
    expect_challenge(get("/private/a.html", basic("alice", "")), "an empty password")
    expect_challenge(get("/private/a.html", basic("mallory", "secret")), "an unknown user")
    # A right password is not answered from an earlier user's success.
    get("/private/a.html", basic("alice", "secret"))
    expect_challenge(get("/private/a.html", basic("bob", "secreT")), "bob, wrong password")


@test
def other_scheme_challenged_malformed_refused():
    expect_challenge(get("/private/a.html", ("Authorization", "Bearer abc")), "Bearer")
    for value in ("Basic", "Basic !!!!", "Basic YWxpY2U=", "Basic YWxpY2U6c2VjcmV0=",
                  "Basic " + "QUFB" * 400):
        reply = get("/private/a.html", ("Authorization", value))
        expect_status(reply, 400, f"Authorization: {value[:40]}")
        expect(reply.header("WWW-Authenticate") is None, "no challenge on a 400")
    # The server is still there, and serves.
    expect_status(get("/private/a.html", basic("alice", "secret")), 200, "after the 400s")


@test
def case_insensitive_scheme():
    token = base64.b64encode(b"alice:secret").decode()
    expect_status(get("/private/a.html", ("Authorization", f"bAsIc {token}")), 200, "bAsIc")


@test
def prefix_boundaries():
    expect_status(get("/privateer/c.html"), 200, "/privateer is not under /private")
    expect_status(get("/index.html"), 200, "a public file")
    for target in ("/%70rivate/a.html", "/x/../private/a.html", "//private/a.html",
                   "/private/a.html?q=1", "/./private/a.html"):
        expect_challenge(get(target), f"{target} is under /private")


@test
def head_challenged_and_served():
    reply = get("/private/a.html", method="HEAD")
    expect_challenge(reply, "HEAD without credentials")
    expect_eq(reply.body, b"", "HEAD: no body")
    reply = get("/private/a.html", basic("alice", "secret"), method="HEAD")
    expect_status(reply, 200, "HEAD with credentials")
    expect_eq(reply.header("Content-Length"), "15", "HEAD: the file's length")


def auth_value(user, password):
    return basic(user, password)[1]


@test
def pipelined_verifications_wait_their_turn():
    """One password is verified per turn of the loop: of four requests in one
    packet, the second and third wait for later turns (the third with a
    chunked body already read), and all are answered, in order."""
    wrong, right = auth_value("bob", "wrong"), auth_value("pipe1", "secret")
    other = auth_value("pipe2", "secret")
    data = (f"GET /private/a.html HTTP/1.1\r\nHost: t\r\nAuthorization: {wrong}\r\n\r\n"
            f"GET /private/a.html HTTP/1.1\r\nHost: t\r\nAuthorization: {right}\r\n"
            "Content-Length: 5\r\n\r\nhello"
            f"GET /private/inner/b.html HTTP/1.1\r\nHost: t\r\nAuthorization: {other}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            "GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n").encode()
    with harness.Client(server().port) as client:
        client.send(data)
        replies = client.read_responses(["GET"] * 4)
    expect_eq([r.status for r in replies], [401, 200, 200, 200], "statuses, in order")
    expect_eq([r.body for r in replies[1:]],
              [b"<p>private</p>\n", b"<p>inner</p>\n", b"<p>public</p>\n"], "bodies")


@test
def health_never_behind_auth():
    expect_status(get("/healthz"), 200, "the health route")


@test
def access_log_user_field():
    get("/private/a.html?log=granted", basic("alice", "secret"))
    get("/private/a.html?log=wrong", basic("bob", "nope"))
    get("/private/a.html?log=none")
    get("/index.html?log=public", basic("carol", "secret"))
    get("/private/a.html?log=odd", basic("eve \"x\"\x01", "pw"))
    expect(re.match(r'^127\.0\.0\.1 - alice \[', logged("log=granted")), logged("log=granted"))
    expect(re.match(r'^127\.0\.0\.1 - bob \[', logged("log=wrong")), logged("log=wrong"))
    expect(re.match(r'^127\.0\.0\.1 - - \[', logged("log=none")), logged("log=none"))
    # A public path asks for no user: none is logged.
    expect(re.match(r'^127\.0\.0\.1 - - \[', logged("log=public")), logged("log=public"))
    odd = logged("log=odd")
    expect(odd.startswith('127.0.0.1 - eve\\x20\\"x\\"\\x01 ['), f"escaped user: {odd!r}")
    # Passwords are never written.
    text = "\n".join(access_lines()) + server().stderr_text()
    expect("secret" not in text and "nope" not in text, "a password in a log")


@test
def curl_sends_credentials():
    if CURL is None:
        raise Skip("curl not installed")
    url = f"http://127.0.0.1:{server().port}/private/a.html"
    done = subprocess.run([CURL, "-sS", "-u", "carol:secret", "-o", "-", "-w", "\n%{http_code}",
                           url], capture_output=True, timeout=20)
    expect_eq(done.returncode, 0, f"curl: {done.stderr!r}")
    expect_eq(done.stdout, b"<p>private</p>\n\n200", "curl -u carol:secret")
    done = subprocess.run([CURL, "-sS", "-u", "carol:wrong", "-o", "/dev/null", "-w",
                           "%{http_code}", url], capture_output=True, timeout=20)
    expect_eq(done.stdout, b"401", "curl -u carol:wrong")


def reload_and_wait(marker):
    s = server()
    before = s.stderr_text().count(marker)
    os.kill(s.pid, signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and s.stderr_text().count(marker) == before:
        time.sleep(0.02)
    expect(s.stderr_text().count(marker) > before, f"no {marker!r} after SIGHUP")


@test
def reload_applies_a_changed_user_file():
    s = server()
    expect_status(get("/private/a.html", basic("alice", "secret")), 200, "before the reload")
    write("users", "\n".join([ALICE_CHANGED, BOB]) + "\n")
    try:
        reload_and_wait("configuration reloaded")
        # The cache was emptied: the old password no longer opens the door.
        expect_challenge(get("/private/a.html", basic("alice", "secret")), "old password")
        expect_status(get("/private/a.html", basic("alice", "changed")), 200, "new password")
        expect_challenge(get("/private/a.html", basic("carol", "secret")), "a removed user")
        # A broken file: refused, and the file before it keeps serving.
        write("users", "\n".join([ALICE, "dave:plaintext"]) + "\n")
        reload_and_wait("reload failed")
        expect(re.search(re.escape(STATE["conf"]) + r":1: auth_basic: " +
                         re.escape(STATE["users"]) + r":2: user 'dave': plaintext password "
                         r"refused", s.stderr_text()), s.stderr_text()[-600:])
        expect_status(get("/private/a.html", basic("alice", "changed")), 200,
                      "still the previous file")
    finally:
        write("users", USERS)
        reload_and_wait("configuration reloaded")


WEAK = [
    ("plaintext", "dave:hunter2", "plaintext password refused"),
    ("MD5", "dave:$apr1$eD45PqbO$FjXKpOTtbs2NsTF8vG.km1", "MD5 hash refused"),
    ("SHA1", "dave:{SHA}EfatjsUqKYSrqv18O1FlA3hcIHI=", "SHA1 hash refused"),
    ("DES", "dave:oSr.FUzo.4esk", "DES crypt hash refused"),
]


@test
def weak_user_files_refused_by_check():
    root = harness.DocRoot("switchboard-auth-check-")
    for kind, entry, message in WEAK:
        users = write(f"weak-{kind}", f"# team\n{ALICE}\n{entry}\n")
        conf = write(f"weak-{kind}.conf", f'root "{root.root}"\n\n'
                     f'auth_basic /private "Team" "{users}"\n')
        done = harness.run_cli(["-t", "-c", conf])
        expect_eq(done.returncode, 78, f"-t with a {kind} entry: {done.stderr!r}")
        want = f"{conf}:3: auth_basic: {users}:3: user 'dave': {message}"
        expect(want in done.stderr, f"-t with a {kind} entry: {done.stderr!r}")
        # A start refuses it the same way.
        done = harness.run_cli(["-c", conf, "-l", "127.0.0.1:0"])
        expect_eq(done.returncode, 78, f"start with a {kind} entry: {done.stderr!r}")
        expect(want in done.stderr, f"start with a {kind} entry: {done.stderr!r}")
    good = write("good.conf", f'root "{root.root}"\nauth_basic /private "Team" '
                 f'"{write("good", ALICE + chr(10))}"\n')
    done = harness.run_cli(["-t", "-c", good])
    expect_eq((done.returncode, done.stdout.strip()), (0, "configuration OK"),
              f"-t with strong hashes: {done.stderr!r}")


if __name__ == "__main__":
    harness.main()
