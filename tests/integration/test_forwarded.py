"""real_client_header (X-Forwarded-For, Forwarded) behind trusted HTTP proxies:
the client named by the proxies in proxy_trusted is the one the access log
writes and the per-client cap counts; from anyone else the field is ignored.

Run as `$PYTHON tests/integration/test_forwarded.py` with SWITCHBOARD set
(make check does).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Client, build_request, expect, expect_eq, expect_status, test  # noqa: E402


class Setup:
    def __init__(self, *lines):
        self.server = harness.configured_server(
            lines, "switchboard-forwarded-", {"index.html": b"<p>home</p>\n"}, access_log=True)
        self.log = self.server.access_log
        self.port = self.server.port

    def get(self, target, headers=(), source=None):
        with Client(self.port, source=source) as client:
            client.send(build_request(target, headers=headers))
            return client.read_response()

    def log_line(self, target, timeout=5.0):
        """The access log line of the request for target (written once its
        response has been sent: wait for it)."""
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log, "rb") as f:
                lines = f.read().decode("latin-1").splitlines()
            found = [line for line in lines if f" {target} HTTP/1.1" in line]
            if found or time.monotonic() > deadline:
                expect_eq(len(found), 1, f"access log lines for {target}")
                return found[0]
            time.sleep(0.02)


def expect_client(s, target, client, what):
    line = s.log_line(target)
    expect(line.startswith(client + " "), f"{what}: the log names {line.split(' ')[0]!r}, "
           f"expected {client!r}: {line!r}")


@test
def off_by_default():
    s = Setup()
    expect_status(s.get("/?off", [("X-Forwarded-For", "192.0.2.1")]), 200, "a request")
    expect_client(s, "/?off", "127.0.0.1", "real_client_header off")


@test
def x_forwarded_for_from_a_trusted_proxy():
    s = Setup("real_client_header x-forwarded-for", "proxy_trusted 127.0.0.0/8",
              "access_log_proxy on")
    expect_status(s.get("/?one", [("X-Forwarded-For", "192.0.2.1")]), 200, "one hop")
    expect_client(s, "/?one", "192.0.2.1", "one hop")
    expect(s.log_line("/?one").endswith(' "127.0.0.1"'), "the proxy is logged too")
    # Read from the right: trusted proxies (127.0.0.0/8) are skipped, and the
    # first untrusted address is the client, whatever the client wrote before.
    expect_status(s.get("/?chain", [("X-Forwarded-For", "203.0.113.9, 198.51.100.2"),
                                    ("X-Forwarded-For", "127.0.0.7")]), 200, "a chain")
    expect_client(s, "/?chain", "198.51.100.2", "a chain over two field lines")
    # An entry that is no address ends the walk at the last address believed.
    expect_status(s.get("/?junk", [("X-Forwarded-For", "198.51.100.3, not-an-ip")]), 200,
                  "junk")
    expect_client(s, "/?junk", "127.0.0.1", "an invalid rightmost entry")
    expect_status(s.get("/?six", [("X-Forwarded-For", "2001:db8::5")]), 200, "IPv6")
    expect_client(s, "/?six", "2001:db8::5", "an IPv6 client")
    expect_status(s.get("/?none"), 200, "no field")
    expect_client(s, "/?none", "127.0.0.1", "no field")
    expect(s.log_line("/?none").endswith(' "-"'), "no proxy when no field named the client")


@test
def ignored_from_an_untrusted_peer():
    s = Setup("real_client_header x-forwarded-for", "proxy_trusted 127.0.0.2")
    expect_status(s.get("/?untrusted", [("X-Forwarded-For", "192.0.2.1")], source="127.0.0.1"),
                  200, "from 127.0.0.1")
    expect_client(s, "/?untrusted", "127.0.0.1", "an untrusted peer")
    expect_status(s.get("/?trusted", [("X-Forwarded-For", "192.0.2.1")], source="127.0.0.2"),
                  200, "from 127.0.0.2")
    expect_client(s, "/?trusted", "192.0.2.1", "a trusted peer")


@test
def forwarded_rfc7239():
    s = Setup("real_client_header forwarded")
    expect_status(s.get("/?rfc", [("Forwarded", 'for="[2001:db8::1]:4711";proto=http')]), 200,
                  "Forwarded")
    expect_client(s, "/?rfc", "2001:db8::1", "Forwarded with IPv6 and a port")
    expect_status(s.get("/?hidden", [("Forwarded", "for=_hidden")]), 200, "obfuscated")
    expect_client(s, "/?hidden", "127.0.0.1", "an obfuscated node")
    # The other syntax is not read.
    expect_status(s.get("/?xff", [("X-Forwarded-For", "192.0.2.1")]), 200, "X-Forwarded-For")
    expect_client(s, "/?xff", "127.0.0.1", "X-Forwarded-For while Forwarded is configured")


@test
def each_request_of_a_kept_connection_has_its_client():
    s = Setup("real_client_header x-forwarded-for")
    with Client(s.port) as client:
        for i, addr in enumerate(["192.0.2.21", "192.0.2.22", None]):
            headers = [("X-Forwarded-For", addr)] if addr else []
            client.send(build_request(f"/?keep{i}", headers=headers))
            expect_status(client.read_response(), 200, f"request {i}")
    expect_client(s, "/?keep0", "192.0.2.21", "the first request")
    expect_client(s, "/?keep1", "192.0.2.22", "the second request")
    expect_client(s, "/?keep2", "127.0.0.1", "the third, without the field")


@test
def the_cap_counts_the_named_client():
    s = Setup("real_client_header x-forwarded-for", "max_connections_per_client 2")
    held = []
    try:
        for i in range(2):
            client = Client(s.port)
            held.append(client)
            client.send(build_request(f"/?held{i}", headers=[("X-Forwarded-For", "192.0.2.50")]))
            expect_status(client.read_response(), 200, f"held connection {i} for 192.0.2.50")
        reply = s.get("/?third", [("X-Forwarded-For", "192.0.2.50")])
        expect_status(reply, 503, "a third connection for 192.0.2.50")
        expect("close" in reply.connection_tokens(), "the refusal closes the connection")
        # The proxy itself (127.0.0.1) holds no count now, and other clients
        # behind it are served.
        expect_status(s.get("/?other", [("X-Forwarded-For", "192.0.2.51")]), 200, "192.0.2.51")
        expect_status(s.get("/?direct"), 200, "the proxy's own request")
        expect_client(s, "/?third", "192.0.2.50", "the refused request")
        deadline = time.monotonic() + 5
        while ("192.0.2.50" not in s.server.stderr_text() and time.monotonic() < deadline):
            time.sleep(0.05)
        expect("192.0.2.50" in s.server.stderr_text(),
               f"the error log does not name the client: {s.server.stderr_text()[-600:]!r}")
    finally:
        for client in held:
            client.close()


if __name__ == "__main__":
    harness.main()
