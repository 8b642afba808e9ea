"""Basic authentication under attack: password guessing must not stall the
loop, and hostile credentials get a clean answer and an escaped log line.

- Burst: 20 connections send 200 requests with wrong passwords (10 each,
  keep-alive) for a path under auth_basic, whose users have bcrypt hashes
  (tens of milliseconds of CPU each, by design), while a normal client fetches a
  public file in a loop on fresh connections. At most one password is
  verified per turn of the loop, so the normal client waits for one
  verification at most, not for the burst. Figures: the normal client's
  p50/p99/max latency, the burst's duration and throughput. The assertion is
  generous (a noisy shared machine): every normal request succeeds, and the
  slowest takes less than half the burst's duration.
- A right password sent during the burst is verified in its turn (those who
  waited longest go first), and later requests are answered from the cache.
- Oversized credentials (over 1024 characters: 400; a field over the
  header limit: 431), malformed base64 and a missing colon: a complete 400,
  then the close; the server serves on.
- A user name with a colon (it ends the user), control bytes, a newline and
  quotes: one access log line per request, every byte escaped.

Run as `$PYTHON tests/hostile/test_auth_burst.py` with SWITCHBOARD set.
"""

import base64
import functools
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hostile  # noqa: E402
from hostile import Failure, expect, figure, harness  # noqa: E402
from harness import Client, build_request, expect_eq, expect_status, test  # noqa: E402

PUBLIC = b"a public page\n"
PRIVATE = b"a private page\n"
# "secret", bcrypt at cost 8: tens of milliseconds per verification, as a
# real deployment pays (yescrypt's default costs more still), yet the burst
# stays bounded in time on a busy machine.
USERS = ("alice:$2b$08$7lCWSnTAd2RGWQ4eojpMwuxpKe3XJU3RxdEtI4ENbxvXanNxoEfE.\n"
         "bob:$2b$08$fT1i23UgVlvuTa/kuZBhxulmqD0c3AOh9yELAaNfgqOEmH/xKTbbm\n")
BURST_CONNECTIONS = 20
BURST_PER_CONNECTION = 10


def basic(user, password):
    token = base64.b64encode(user + b":" + password).decode()
    return ("Authorization", f"Basic {token}")


@functools.lru_cache(maxsize=None)
def setup():
    root = harness.DocRoot("switchboard-auth-burst-")
    root.write("index.html", PUBLIC)
    root.write("private/page.html", PRIVATE)
    work = tempfile.mkdtemp(prefix="switchboard-auth-burst-conf-")
    harness.at_end(lambda: shutil.rmtree(work, ignore_errors=True))
    users = os.path.join(work, "users")
    with open(users, "w") as f:
        f.write(USERS)
    access = os.path.join(work, "access.log")
    conf = os.path.join(work, "switchboard.conf")
    with open(conf, "w") as f:
        f.write(f'auth_basic /private "Burst" "{users}"\naccess_log "{access}"\n')
    server = harness.Server(root.root, args=("-c", conf)).start()
    harness.at_end(server.stop)
    return server, access


def guesser(port, index, statuses, errors):
    """One connection, BURST_PER_CONNECTION wrong passwords, one after another."""
    try:
        with Client(port, timeout=30.0) as client:
            for n in range(BURST_PER_CONNECTION):
                header = basic(b"alice", f"guess-{index}-{n}".encode())
                reply = client.request(build_request("/private/page.html", headers=[header]))
                statuses.append(reply.status)
    except Exception as exc:  # recorded; the test decides
        errors.append(f"{type(exc).__name__}: {exc}")


def run_burst(port):
    """The burst, in threads; returns (seconds, statuses, errors)."""
    statuses, errors = [], []
    threads = [threading.Thread(target=guesser, args=(port, i, statuses, errors), daemon=True)
               for i in range(BURST_CONNECTIONS)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return time.monotonic() - start, statuses, errors


@test(timeout=40)
def burst_of_wrong_passwords_does_not_stall_the_loop():
    server, _ = setup()
    prober = hostile.Prober(server.port, "/index.html", PUBLIC, interval=0.01,
                            timeout=30.0).start()
    time.sleep(0.2)
    took, statuses, errors = run_burst(server.port)
    prober.stop()
    total = BURST_CONNECTIONS * BURST_PER_CONNECTION
    figure("auth_burst_requests", len(statuses))
    figure("auth_burst_seconds", f"{took:.2f}")
    figure("auth_burst_requests_per_second", f"{len(statuses) / took:.1f}")
    expect(not errors, f"burst connections failed: {errors[:3]!r}")
    expect_eq(sorted(set(statuses)), [401], "every wrong password's status")
    expect_eq(len(statuses), total, "burst requests answered")
    # Generous: the loop turned all along, so no normal request waited for
    # the burst to end (one verification per turn, not twenty).
    _, _, slowest = prober.check("auth_burst_normal", max_limit=took / 2, min_requests=5)
    expect(slowest < took / 2, "checked above")


@test(timeout=40)
def right_password_during_a_burst_is_served():
    server, _ = setup()
    results = {}

    def legitimate():
        start = time.monotonic()
        with Client(server.port, timeout=30.0) as client:
            header = basic(b"bob", b"secret")
            first = client.request(build_request("/private/page.html", headers=[header]))
            results["first"] = (first.status, first.body, time.monotonic() - start)
            cached_start = time.monotonic()
            for _ in range(5):
                again = client.request(build_request("/private/page.html", headers=[header]))
                expect_status(again, 200, "bob again")
            results["cached"] = (time.monotonic() - cached_start) / 5

    burst = threading.Thread(target=run_burst, args=(server.port,), daemon=True)
    burst.start()
    time.sleep(0.3)  # the burst has its requests waiting
    legitimate()
    burst.join(60)
    status, body, took = results["first"]
    figure("auth_burst_first_right_password_ms", f"{took * 1000:.1f}")
    figure("auth_burst_cached_right_password_ms", f"{results['cached'] * 1000:.1f}")
    expect_eq((status, body), (200, PRIVATE), "bob's first request during the burst")
    expect(took < 20.0, f"bob waited {took:.1f} s")


def closing_400(port, headers, what, status=400):
    """A complete error response, then the close; the server serves on."""
    sock = harness.connect(port, timeout=5.0)
    try:
        sock.sendall(build_request("/private/page.html", headers=headers))
        how, data, _ = harness.wait_closed(sock, 5.0)
    finally:
        sock.close()
    expect(how != "timeout", f"{what}: the connection was not closed ({how})")
    responses = hostile.parse_closing_responses(data)
    expect_eq([r[0] for r in responses], [status], f"{what}: responses")
    hostile.one_request(port, "/index.html", PUBLIC)


@test
def hostile_credentials_get_a_clean_answer():
    server, _ = setup()
    port = server.port
    closing_400(port, [("Authorization", "Basic " + "QUFB" * 257)], "1028 characters")
    closing_400(port, [("Authorization", "Basic " + "QUFB" * 4100)], "16 KiB field", 431)
    closing_400(port, [("Authorization", "Basic YWxpY2U6c2VjcmV0=")], "bad padding")
    closing_400(port, [("Authorization", "Basic YWxp Y2U6")], "space inside")
    closing_400(port, [("Authorization", "Basic YWxpY2U=")], "no colon")
    closing_400(port, [("Authorization", "Basic YQA6cHc=")], "NUL in the user")
    closing_400(port, [("Authorization", "Basic " + "\u00e9".encode().decode("latin-1"))],
                "raw bytes above 0x7f")


@test
def hostile_user_names_escaped_in_the_log():
    server, access = setup()
    names = [b"ev:il", b"\x1b[2J", b"x\ny - forged [01/Jan/2000:00:00:00 +0000]", b'q"u o\\te']
    for i, name in enumerate(names):
        with Client(server.port, timeout=30.0) as client:
            reply = client.request(build_request(f"/private/page.html?name={i}",
                                                 headers=[basic(name, b"pw")]))
            expect_status(reply, 401, f"user {name!r}")
    # The user ends at the first colon.
    want = ["ev", "\\x1b[2J", "x\\x0ay\\x20-\\x20forged\\x20[01/Jan/2000", 'q\\"u\\x20o\\\\te']
    if not hostile.wait_until(lambda: open(access).read().count("?name=") == len(names), 5):
        raise Failure(f"access log: {open(access).read()[-800:]!r}")
    lines = [line for line in open(access).read().splitlines() if "?name=" in line]
    expect_eq(len(lines), len(names), "one line per request")
    for i, line in enumerate(lines):
        expect(line.startswith(f"127.0.0.1 - {want[i]} ["), f"user {names[i]!r}: {line!r}")
        expect(f"?name={i} " in line, f"line order: {line!r}")


if __name__ == "__main__":
    harness.main()
