#!/usr/bin/env python3
"""Send a fixed number of HTTP/1.1 GET requests, one after the other, on one
keep-alive connection, and read every response whole.

    kaclient.py PORT PATH COUNT [--close] [--host 127.0.0.1] [--timeout 30]

Used by bench/run to drive a server under callgrind and strace, where a load
generator would be pointless: what matters there is that the work is the same
every time. Each request is sent only after the previous response has been
read (no pipelining), so every request costs the server one read and one reply,
as with a real browser-like client. With --close, every request goes on a new
connection and asks the server to close it (Connection: close).

Exits 0 when every response was a 200 with the announced body; otherwise 1,
with the reason on stderr. Prints "requests=N bytes=B" on success.
"""

import argparse
import socket
import sys


class ProtocolError(Exception):
    pass


def read_response(sock, buf):
    """Read one response from sock; buf holds bytes already received.
    Returns (status, body_length, leftover bytes)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ProtocolError("connection closed before a response head")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ProtocolError("bad status line: %r" % lines[0][:80])
    status = int(parts[1])
    length = None
    closing = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection" and b"close" in value.lower():
            closing = True
    if length is None:
        raise ProtocolError("response without Content-Length")
    while len(rest) < length:
        chunk = sock.recv(max(65536, length - len(rest)))
        if not chunk:
            raise ProtocolError("connection closed inside a body")
        rest += chunk
    return status, length, rest[length:], closing


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("count", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds any one socket operation may take")
    ap.add_argument("--close", action="store_true",
                    help="a new connection for each request, with Connection: close")
    args = ap.parse_args()

    request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: kaclient\r\n"
               "Accept: */*\r\n%s\r\n" % (args.path, args.host, args.port,
                                           "Connection: close\r\n" if args.close else "")
               ).encode()
    total = 0
    try:
        if args.close:
            for i in range(args.count):
                with socket.create_connection((args.host, args.port),
                                              timeout=args.timeout) as sock:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    sock.sendall(request)
                    status, length, rest, _ = read_response(sock, b"")
                    if status != 200:
                        raise ProtocolError("request %d: status %d" % (i + 1, status))
                    # Wait for the server's end of the connection, as a browser would.
                    while sock.recv(65536):
                        pass
                    total += length
        else:
            with socket.create_connection((args.host, args.port), timeout=args.timeout) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buf = b""
                for i in range(args.count):
                    sock.sendall(request)
                    status, length, buf, closing = read_response(sock, buf)
                    if status != 200:
                        raise ProtocolError("request %d: status %d" % (i + 1, status))
                    if closing and i + 1 < args.count:
                        raise ProtocolError("request %d: the server closed the connection"
                                            % (i + 1))
                    total += length
    except (OSError, ProtocolError, ValueError) as e:
        print("kaclient: %s" % e, file=sys.stderr)
        return 1
    print("requests=%d bytes=%d" % (args.count, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
