"""Precompressed siblings made by the standard tools are served.

`brotli -k` and `pigz -k` keep the original and give the compressed copy the
original's modification time, rounded to the second (the nanoseconds are
lost); GNU `gzip -k` keeps the nanoseconds. switchboard compares the times to the second, so such
a sibling counts as fresh; one older by a second or more is stale and the
original is served instead. The real tools are run; a missing one skips.

Run as `$PYTHON tests/integration/test_precompressed.py` with SWITCHBOARD set.
"""

import gzip
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Skip, expect, expect_eq, expect_status, fetch, test  # noqa: E402

FILE_BUDGET = 30.0
# A time with nanoseconds, as a freshly written file has.
MTIME_NS = 1_700_000_000 * 10**9 + 987_654_321
ORIGINAL = b"body { color: #123456; margin: 0 auto; }\n" * 200


def brotli_decompress(data):
    """Through the brotli tool itself (the standard library has no brotli)."""
    done = subprocess.run(["brotli", "-d", "-c"], input=data, capture_output=True,
                          check=True, timeout=10)
    return done.stdout


def compressed_site(tool, suffix, rounds):
    if shutil.which(tool) is None:
        raise Skip(f"{tool} is not installed (tools/install-deps installs it)")
    root = harness.DocRoot(f"switchboard-precompressed-{tool}-")
    conf = os.path.join(root.base, "site.conf")
    with open(conf, "w") as f:
        f.write(f"listen {harness.HOST}:0\nroot {root.root}\nprecompressed on\n")
    os.chmod(conf, 0o644)
    root.write("a.css", ORIGINAL)
    os.utime(root.path("a.css"), ns=(MTIME_NS, MTIME_NS))
    subprocess.run([tool, "-k", root.path("a.css")], check=True, timeout=30)
    sibling = root.path("a.css" + suffix)
    os.chmod(sibling, 0o644)
    if rounds:
        expect(os.stat(sibling).st_mtime_ns < MTIME_NS,
               f"{tool} -k kept the nanoseconds: nothing to test")
    server = harness.Server(args=["-c", conf])
    server.start()
    harness.at_end(server.stop)
    return root, server


def check_served_compressed(tool, suffix, coding, decompress, rounds=True):
    root, server = compressed_site(tool, suffix, rounds)
    reply = fetch(server.port, "/a.css", headers=[("Accept-Encoding", coding)])
    expect_status(reply, 200, f"GET /a.css, Accept-Encoding: {coding}")
    expect_eq(reply.header("content-encoding"), coding,
              f"Content-Encoding of a sibling made by {tool} -k")
    expect_eq(decompress(reply.body), ORIGINAL, f"{tool} sibling decompressed")
    # Older by a second or more: stale, the original is served.
    os.utime(root.path("a.css" + suffix), ns=(MTIME_NS - 10**9, MTIME_NS - 10**9))
    stale = fetch(server.port, "/a.css", headers=[("Accept-Encoding", coding)])
    expect_status(stale, 200, "GET /a.css with a stale sibling")
    expect_eq(stale.header("content-encoding"), None, "Content-Encoding of a stale sibling")
    expect_eq(stale.body, ORIGINAL, "the original, when the sibling is stale")


@test
def brotli_keep_is_served():
    check_served_compressed("brotli", ".br", "br", brotli_decompress)


@test
def gzip_keep_is_served():
    check_served_compressed("gzip", ".gz", "gzip", gzip.decompress, rounds=False)


@test
def pigz_keep_is_served():
    check_served_compressed("pigz", ".gz", "gzip", gzip.decompress)


if __name__ == "__main__":
    harness.main(FILE_BUDGET)
