"""Command-line behaviour of switchboard: options, errors, exit statuses.

Run as `$PYTHON tests/integration/test_cli.py` with SWITCHBOARD set.
"""

import functools
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (  # noqa: E402
    Server, Skip, expect, expect_eq, fetch, run_cli, test,
)

USAGE_EXIT = 64
PAGE = b"served by the command-line tests\n"


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-cli-")
    root.write("page.txt", PAGE)
    root.write("not-a-dir.txt", b"a file\n")
    return root


def expect_serves(port, host=harness.HOST):
    reply = fetch(port, "/page.txt", host=host)
    harness.expect_status(reply, 200, f"GET /page.txt on {host}:{port}")
    expect_eq(reply.body, PAGE, f"body from {host}:{port}")


def serve_and_check(*args, **server_options):
    """Start a server, check it serves page.txt on every announced address."""
    with Server(**{"root": docroot().root, **server_options}, args=args) as server:
        for host, port in server.addresses:
            expect_serves(port, host)
        return server


def configured_version():
    """VERSION from AC_INIT in configure.ac, when the source tree is at hand."""
    try:
        with open(os.path.join(harness.SB_SRCDIR, "configure.ac")) as src:
            match = re.search(r"AC_INIT\(\[switchboard\],\s*\[([^\]]+)\]", src.read())
    except OSError:
        return None
    return match.group(1) if match else None


# ---------------------------------------------------------------- help and version


def check_help(flag):
    done = run_cli([flag])
    expect_eq(done.returncode, 0, f"exit status of {flag}")
    for option in ("--root", "--listen", "--port"):
        expect(option in done.stdout, f"{flag} output does not mention {option}: {done.stdout!r}")


def check_version(flag):
    done = run_cli([flag])
    expect_eq(done.returncode, 0, f"exit status of {flag}")
    match = re.search(r"switchboard (\S+)", done.stdout)
    expect(match, f"{flag} printed {done.stdout!r}")
    want = configured_version()
    if want is not None:
        expect_eq(match.group(1), want, f"version printed by {flag}")


for _flag in ("--help", "-h"):
    harness.add_test(f"help_{_flag.strip('-')}", functools.partial(check_help, _flag))
for _flag in ("--version", "-V"):
    harness.add_test(f"version_{_flag.strip('-')}", functools.partial(check_version, _flag))


# ---------------------------------------------------------------- usage errors

USAGE_ERRORS = {
    "unknown_long_option": ["--no-such-option"],
    "unknown_short_option": ["-Z"],
    "port_not_numeric": ["-p", "80x"],
    "port_too_large": ["-p", "70000"],
    "listen_port_too_large": ["-l", "127.0.0.1:99999"],
    "listen_port_not_numeric": ["--listen", "127.0.0.1:http"],
    "listen_without_port": ["-l", "127.0.0.1"],
    "header_timeout_bad_unit": ["--header-timeout", "10x"],
    "keepalive_timeout_not_a_number": ["--keepalive-timeout", "abc"],
    "send_timeout_negative": ["--send-timeout", "-1s"],
    "max_connections_not_a_number": ["--max-connections", "many"],
    "option_missing_value": ["--root"],
}


def check_usage_error(args):
    done = run_cli(["--listen", f"{harness.HOST}:0", *args])
    expect_eq(done.returncode, USAGE_EXIT, f"exit status for {args}")
    expect(re.search(r"usage", done.stderr, re.IGNORECASE),
           f"no usage on stderr for {args}: {done.stderr!r}")


for _name, _args in USAGE_ERRORS.items():
    harness.add_test(f"usage_error_{_name}", functools.partial(check_usage_error, _args))


# ---------------------------------------------------------------- startup failures


def check_bad_root(make_args):
    path, args = make_args()
    done = run_cli(["--listen", f"{harness.HOST}:0", *args])
    expect(done.returncode != 0, f"started with root {path!r}")
    expect(path in done.stderr, f"message does not name {path!r}: {done.stderr!r}")


BAD_ROOTS = {
    "missing": lambda: (missing_dir(), ["--root", missing_dir()]),
    "missing_positional": lambda: (missing_dir(), [missing_dir()]),
    "not_a_directory": lambda: (docroot().path("not-a-dir.txt"),
                                ["--root", docroot().path("not-a-dir.txt")]),
}


def missing_dir():
    return os.path.join(docroot().base, "no-such-directory")


for _name, _make in BAD_ROOTS.items():
    harness.add_test(f"bad_root_{_name}", functools.partial(check_bad_root, _make))


@test
def port_in_use():
    with socket.socket() as taken:
        taken.bind((harness.HOST, 0))
        taken.listen()
        address = f"{harness.HOST}:{taken.getsockname()[1]}"
        done = run_cli(["--listen", address, "--root", docroot().root])
    expect(done.returncode != 0, f"started although {address} was taken")
    expect(address in done.stderr, f"message does not name {address}: {done.stderr!r}")


# ---------------------------------------------------------------- serving


@test
def positional_docroot():
    serve_and_check(positional_root=True)


@test
def short_root_option():
    with Server(None, args=["-r", docroot().root]) as server:
        expect_serves(server.port)


@test
def default_root_is_current_directory():
    serve_and_check(root=None, cwd=docroot().root)


def check_port_option(flag):
    port = harness.free_port()
    server = serve_and_check(flag, str(port), listen=())
    expect_eq(server.addresses, [(harness.HOST, port)], f"addresses announced with {flag}")


for _flag in ("-p", "--port"):
    harness.add_test(f"port_option_{_flag.strip('-')}", functools.partial(check_port_option, _flag))


@test
def two_listen_addresses():
    server = serve_and_check(listen=(f"{harness.HOST}:0", "127.0.0.2:0"))
    hosts = [host for host, _ in server.addresses]
    expect_eq(hosts, [harness.HOST, "127.0.0.2"], "announced hosts")


@test
def short_listen_option():
    with Server(docroot().root, args=["-l", f"{harness.HOST}:0"], listen=()) as server:
        expect_serves(server.port)


@test
def ipv6_loopback():
    if not harness.has_ipv6_loopback():
        raise Skip("no IPv6 loopback on this machine")
    server = serve_and_check(listen=("[::1]:0",))
    expect_eq(server.host, "::1", "announced host")


DURATIONS = ("500ms", "7", "7s", "2m", "1h")


@test
def valid_durations_accepted():
    for value in DURATIONS:
        serve_and_check("--header-timeout", value, "--keepalive-timeout", value,
                        "--send-timeout", value)


@test
def max_connections_accepted():
    serve_and_check("--max-connections", "10")


@test
def startup_line_names_version_and_root():
    with Server(docroot().root) as server:
        line = server.startup_line
    expect(harness.server_version() in line, f"version missing from {line!r}")
    roots = {docroot().root, os.path.realpath(docroot().root)}
    expect(any(root in line for root in roots), f"root missing from {line!r}")


@test
def listing_option_lists_a_directory_without_index():
    """What a newcomer sees first: the Quick start serves a clone that has no
    index.html, with --listing, so the browser shows its files, not 403."""
    with Server(root=docroot().root) as server:
        harness.expect_status(fetch(server.port, "/"), 403, "GET / without --listing")
    with Server(root=docroot().root, args=("--listing",)) as server:
        reply = fetch(server.port, "/")
        harness.expect_status(reply, 200, "GET / with --listing")
        expect(b'href="page.txt"' in reply.body, f"page.txt is not listed: {reply.body[:300]!r}")


if __name__ == "__main__":
    harness.main()
