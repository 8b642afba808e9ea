"""PROXY protocol listeners (listen ADDR proxy_protocol, proxy_trusted): the
real client's address from a v1 or v2 header, in the access log and under the
per-client cap; anything else on such a listener closed unanswered and
counted in the metrics.

Run as `$PYTHON tests/integration/test_proxy_protocol.py` with SWITCHBOARD set
(make check does).
"""

import ipaddress
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Client, build_request, expect, expect_eq, expect_status, fetch, test  # noqa: E402

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, dst="127.0.0.1", sport=40000, dport=80):
    family = "TCP6" if ":" in src else "TCP4"
    return f"PROXY {family} {src} {dst} {sport} {dport}\r\n".encode()


def v2(src=None, dst="127.0.0.1", sport=40000, dport=80, tlvs=b""):
    """A v2 PROXY header; src None: the LOCAL command."""
    if src is None:
        return V2_SIGNATURE + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    six = ":" in src
    a = ipaddress.ip_address(src).packed
    b = ipaddress.ip_address(dst if not six else "::1").packed
    block = a + b + struct.pack("!HH", sport, dport) + tlvs
    return V2_SIGNATURE + bytes([0x21, 0x21 if six else 0x11]) + struct.pack("!H", len(block)) + block


class Setup:
    def __init__(self, *lines):
        self.server = harness.configured_server(
            ["listen 127.0.0.1:0", "listen 127.0.0.1:0 proxy_protocol", "metrics_path /metrics",
             "header_timeout 1s", *lines],
            "switchboard-proxy-", {"index.html": b"<p>home</p>\n"}, listen=(), access_log=True)
        self.log = self.server.access_log
        self.plain = self.server.addresses[0][1]
        self.proxied = self.server.addresses[1][1]

    def log_lines(self, settle=0.3):
        time.sleep(settle)
        with open(self.log, "rb") as f:
            return f.read().decode("latin-1").splitlines()

    def metric(self, reason):
        # Connection: close, so that the server has let go of the connection
        # when the answer arrives: the plain listener's clients count under
        # 127.0.0.1 like a PROXY connection before its header, against the
        # same cap of 2.
        body = fetch(self.plain, "/metrics", headers=[("Connection", "close")]).body.decode()
        for line in body.splitlines():
            if line.startswith(f'switchboard_proxy_header_errors_total{{reason="{reason}"}}'):
                return float(line.rsplit(" ", 1)[1])
        raise harness.Failure(f"no proxy error counter for {reason}")

    def closed_unanswered(self, data, what, source=None):
        with Client(self.proxied, source=source) as client:
            if data:
                client.send(data)
            how, got, _ = harness.wait_closed(client.sock, 5.0)
        expect(how in ("eof", "reset"), f"{what}: not closed ({how})")
        expect_eq(got, b"", f"{what}: bytes sent back")


SETUP = {}


def setup():
    if "s" not in SETUP:
        SETUP["s"] = Setup("max_connections_per_client 2")
    return SETUP["s"]


def send_through(port, header, target="/", chunks=None):
    data = header + build_request(target)
    with Client(port, nodelay=True) as client:
        if chunks:
            for i in range(0, len(data), chunks):
                client.send(data[i:i + chunks])
                time.sleep(0.002)
        else:
            client.send(data)
        return client.read_response()


@test
def v1_and_v2_name_the_client():
    s = setup()
    expect_status(send_through(s.proxied, v1("192.0.2.11"), "/?v1"), 200, "v1 TCP4")
    expect_status(send_through(s.proxied, v1("2001:db8::12", "::1"), "/?v1six"), 200, "v1 TCP6")
    expect_status(send_through(s.proxied, v2("192.0.2.13", tlvs=b"\x04\x00\x03abc"), "/?v2"),
                  200, "v2 with a TLV")
    expect_status(send_through(s.proxied, v2("2001:db8::14"), "/?v2six"), 200, "v2 TCP6")
    expect_status(send_through(s.proxied, v2(None), "/?local"), 200, "v2 LOCAL")
    expect_status(send_through(s.proxied, v1("192.0.2.15"), "/?split", chunks=1), 200,
                  "a header sent a byte at a time")
    lines = s.log_lines()
    for client, query in [("192.0.2.11", "v1"), ("2001:db8::12", "v1six"), ("192.0.2.13", "v2"),
                          ("2001:db8::14", "v2six"), ("127.0.0.1", "local"),
                          ("192.0.2.15", "split")]:
        expect(any(line.startswith(client + " ") and f"/?{query} " in line for line in lines),
               f"no access log line for {client} /?{query}: {lines!r}")


@test
def a_bad_or_missing_header_is_closed_and_counted():
    s = setup()
    before = {r: s.metric(r) for r in ("no_header", "malformed", "unsupported", "truncated")}
    s.closed_unanswered(build_request("/"), "a plain request")
    s.closed_unanswered(b"PROXY TCP4 192.0.2.1 127.0.0.1 1 65536\r\n" + build_request("/"),
                        "port 65536")
    s.closed_unanswered(V2_SIGNATURE + bytes([0x21, 0x12]) + b"\x00\x0c" + b"\x00" * 12,
                        "v2 over DGRAM")
    s.closed_unanswered(b"PROXY TCP4 192.0.2.1", "a header cut short (deadline 1 s)")
    expect_eq(s.metric("no_header") - before["no_header"], 1, "no_header counted")
    expect_eq(s.metric("malformed") - before["malformed"], 1, "malformed counted")
    expect_eq(s.metric("unsupported") - before["unsupported"], 1, "unsupported counted")
    expect_eq(s.metric("truncated") - before["truncated"], 1, "truncated counted")


@test
def the_cap_counts_the_real_client():
    s = setup()
    held = []
    try:
        for _ in range(2):
            client = Client(s.proxied)
            held.append(client)
            # A whole request answered: the header has surely been read and the
            # connection counted for 192.0.2.50; it stays open (keep-alive).
            client.send(v1("192.0.2.50") + build_request("/"))
            expect_status(client.read_response(), 200, "a held connection from 192.0.2.50")
        # A third connection from the same real client: over its cap of 2.
        reply = send_through(s.proxied, v1("192.0.2.50"))
        expect_status(reply, 503, "a third connection from 192.0.2.50")
        # Another client through the same proxy is served.
        expect_status(send_through(s.proxied, v1("192.0.2.51")), 200, "192.0.2.51")
        # stderr is read by another thread: give it a moment to see the line.
        deadline = time.monotonic() + 5
        while ("connection from 192.0.2.50 refused" not in s.server.stderr_text()
               and time.monotonic() < deadline):
            time.sleep(0.05)
        expect("connection from 192.0.2.50 refused" in s.server.stderr_text(),
               f"the error log does not name the client: {s.server.stderr_text()[-600:]!r}")
    finally:
        for client in held:
            client.close()


@test
def only_trusted_proxies():
    s = Setup("proxy_trusted 127.0.0.2")
    before = s.metric("untrusted")
    s.closed_unanswered(v1("192.0.2.1") + build_request("/"), "from 127.0.0.1", source="127.0.0.1")
    expect_eq(s.metric("untrusted") - before, 1, "untrusted counted")
    with Client(s.proxied, source="127.0.0.2") as client:
        client.send(v1("192.0.2.1") + build_request("/"))
        expect_status(client.read_response(), 200, "from 127.0.0.2")



@test
def the_access_log_can_name_the_proxy():
    s = Setup("access_log_proxy on")
    expect_status(send_through(s.proxied, v1("192.0.2.77"), "/?via"), 200, "through the proxy")
    expect_status(fetch(s.plain, "/?direct"), 200, "directly")
    lines = s.log_lines()
    via = [line for line in lines if "/?via " in line]
    direct = [line for line in lines if "/?direct " in line]
    expect(len(via) == 1 and via[0].startswith("192.0.2.77 ") and via[0].endswith(' "127.0.0.1"'),
           f"the proxied line: {via!r}")
    expect(len(direct) == 1 and direct[0].endswith(' "-"'), f"the direct line: {direct!r}")


if __name__ == "__main__":
    harness.main()
