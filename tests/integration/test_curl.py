"""switchboard driven by the real curl binary ($CURL).

Run as `$PYTHON tests/integration/test_curl.py` with SWITCHBOARD and CURL set.
"""

import functools
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Skip, expect, expect_eq, test  # noqa: E402

KIB = 1024
MIB = 1024 * KIB
HUGE_SIZE = 5 * 1024 * MIB  # past 4 GiB: sendfile offsets and lengths must be 64-bit
SIZES = {"0b": 0, "1k": KIB, "64k": 64 * KIB, "1m": MIB, "20m": 20 * MIB}
SUB_INDEX = b"<!doctype html><title>sub</title>\n"


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-curl-")
    for name, size in SIZES.items():
        root.write(f"file-{name}.bin", harness.random_bytes(size))
    root.write("sub/index.html", SUB_INDEX)
    return root


def content(name):
    with open(docroot().path(name), "rb") as src:
        return src.read()


SERVER = harness.SharedServer(lambda: docroot().root)


def url(path="/"):
    return f"http://127.0.0.1:{SERVER.get().port}{path}"


def curl(*args, timeout=30):
    """Run curl quietly (no config file, no proxy); return the CompletedProcess."""
    argv = [harness.CURL, "-q", "--silent", "--show-error", "--noproxy", "*",
            "--max-time", str(timeout - 2), *args]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    if done.returncode != 0:
        raise harness.Failure(f"curl {' '.join(args)} exited {done.returncode}: "
                              f"{done.stderr.decode(errors='replace').strip()}")
    return done


def check_download(name):
    body = curl(url(f"/file-{name}.bin")).stdout
    want = content(f"file-{name}.bin")
    expect_eq(len(body), len(want), f"bytes downloaded for file-{name}.bin")
    expect_eq(harness.sha256(body), harness.sha256(want), f"sha256 of file-{name}.bin")


for _name in SIZES:
    harness.add_test(f"download_{_name}", functools.partial(check_download, _name))


def head_lines(text):
    return [line for line in text.decode("latin-1").split("\r\n") if line]


@test
def head_with_curl_i():
    lines = head_lines(curl("-I", url("/file-1k.bin")).stdout)
    expect(lines and re.match(r"HTTP/1\.1 200 ", lines[0]), f"status line {lines[:1]!r}")
    fields = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    expect_eq(fields.get("content-length"), str(KIB), "Content-Length of curl -I")
    expect_eq(fields.get("content-type"), "application/octet-stream", "Content-Type of .bin")


@test
def follow_directory_redirect():
    done = curl("-L", "-w", "\n%{http_code} %{num_redirects} %{url_effective}", url("/sub"))
    body, _, summary = done.stdout.rpartition(b"\n")
    expect_eq(body, SUB_INDEX, "body after following /sub")
    expect_eq(summary.decode(), f"200 1 {url('/sub/')}", "code, redirects and final URL")


@test
def http10_request():
    done = curl("--http1.0", "-w", "%{http_code} %{http_version}", "-o", "/dev/null",
                url("/file-64k.bin"))
    expect_eq(done.stdout.decode(), "200 1.1", "HTTP/1.0 request: code and response version")
    body = curl("--http1.0", url("/file-64k.bin")).stdout
    expect_eq(harness.sha256(body), harness.sha256(content("file-64k.bin")), "HTTP/1.0 body")


@test
def two_urls_reuse_connection():
    done = curl("-v", "-o", "/dev/null", "-o", "/dev/null", url("/file-1k.bin"), url("/file-64k.bin"))
    log = done.stderr.decode(errors="replace")
    expect(re.search(r"\bre-?using\b", log, re.IGNORECASE),
           f"curl opened a second connection: {log[-600:]!r}")


@test
def not_found_code():
    done = curl("-o", "/dev/null", "-w", "%{http_code}", url("/no-such-file"))
    expect_eq(done.stdout.decode(), "404", "curl http_code")


@test(timeout=40)
def slow_sparse_5gib():
    path = docroot().path("huge.bin")
    try:
        docroot().sparse("huge.bin", HUGE_SIZE)
    except OSError as exc:
        raise Skip(f"cannot make a {HUGE_SIZE}-byte sparse file: {exc}")
    try:
        reply = harness.fetch(SERVER.get().port, "/huge.bin", method="HEAD")
        expect_eq(reply.header("content-length"), str(HUGE_SIZE), "Content-Length of HEAD")
        done = curl("-o", "/dev/null", "-w", "%{http_code} %{size_download}", url("/huge.bin"),
                    timeout=32)
        expect_eq(done.stdout.decode(), f"200 {HUGE_SIZE}", "code and bytes downloaded")
    finally:
        os.unlink(path)


if __name__ == "__main__":
    harness.main()
