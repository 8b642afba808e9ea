"""zstd, brotli and gzip siblings made by the real tools, fetched by curl.

Every sibling is made from the same original by its own tool (`zstd -k`,
`brotli -k`, `gzip -k`), fetched with curl under each Accept-Encoding, and
decompressed by that tool again: the bytes must be the original's. Then the
choice by q-values, a sibling whose original is missing (served to a
client that accepts its coding, 406 to the others), and ranges, ETags and
conditional requests on a sibling. A missing tool skips the file.

Run as `$PYTHON tests/integration/test_zstd.py` with SWITCHBOARD and CURL set.
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Skip, expect, expect_eq, expect_status, fetch, test  # noqa: E402

FILE_BUDGET = 60.0
TOOLS = {"zstd": ".zst", "brotli": ".br", "gzip": ".gz"}
CODING_OF = {".zst": "zstd", ".br": "br", ".gz": "gzip"}
# Text that compresses well, and differently in each tool.
ORIGINAL = b"".join(b"line %05d: the quick brown fox jumps over the lazy dog\n" % i
                    for i in range(3000))
ONLY_ZST = b"this file exists only as app.js.zst\n" * 100


def require_tools():
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise Skip(f"{', '.join(missing)} not installed (tools/install-deps installs them)")


def compress(tool, path):
    subprocess.run([tool, "-k", path], check=True, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(path + TOOLS[tool], 0o644)


def decompress(coding, data):
    tool = {"zstd": "zstd", "br": "brotli", "gzip": "gzip"}[coding]
    done = subprocess.run([tool, "-d", "-c"], input=data, capture_output=True, check=True,
                          timeout=10)
    return done.stdout


def make_site():
    require_tools()
    root = harness.DocRoot("switchboard-zstd-")
    conf = os.path.join(root.base, "site.conf")
    with open(conf, "w") as f:
        f.write(f"listen {harness.HOST}:0\nroot {root.root}\nprecompressed on\n")
    os.chmod(conf, 0o644)
    root.write("page.txt", ORIGINAL)
    for tool in TOOLS:
        compress(tool, root.path("page.txt"))
    # Only the .zst of app.js: its original is gone.
    root.write("app.js", ONLY_ZST)
    compress("zstd", root.path("app.js"))
    os.unlink(root.path("app.js"))
    root.write("plain.txt", b"no siblings\n")
    server = harness.Server(args=["-c", conf])
    server.start()
    harness.at_end(server.stop)
    return root, server


SITE = None


def site():
    global SITE
    if SITE is None:
        SITE = make_site()
    return SITE


def curl(*args):
    """curl's head and body for a URL on the server (no decoding: no --compressed)."""
    root, server = site()
    dump = [] if "-I" in args else ["--dump-header", "-"]  # -I writes the head itself
    argv = [harness.CURL, "-q", "--silent", "--show-error", "--noproxy", "*", "--max-time",
            "10", *dump, *args]
    argv = [a.replace("URL/", f"http://{harness.HOST}:{server.port}/") for a in argv]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=15)
    expect(done.returncode == 0, f"curl {args} exited {done.returncode}: {done.stderr!r}")
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    return int(lines[0].split()[1]), fields, body


def field(fields, name):
    values = fields.get(name, [])
    expect(len(values) <= 1, f"{name} appears {len(values)} times")
    return values[0] if values else None


def get(path, accept=None, extra=()):
    args = [*extra]
    if accept is not None:
        args += ["-H", f"Accept-Encoding: {accept}"]
    return curl(*args, f"URL/{path.lstrip('/')}")


@test
def each_coding_decompresses_to_the_original():
    for coding in ("zstd", "br", "gzip"):
        status, fields, body = get("page.txt", coding)
        expect_eq(status, 200, f"status for Accept-Encoding: {coding}")
        expect_eq(field(fields, "content-encoding"), coding, f"Content-Encoding for {coding}")
        expect_eq(field(fields, "vary"), "Accept-Encoding", f"Vary for {coding}")
        expect_eq(field(fields, "content-type").split(";")[0], "text/plain",
                  f"Content-Type of the {coding} sibling: the original's")
        expect(len(body) < len(ORIGINAL) // 4, f"{coding} body is compressed ({len(body)} bytes)")
        expect_eq(decompress(coding, body), ORIGINAL, f"{coding} body decompressed by its tool")


@test
def curl_compressed_gets_the_original_text():
    root, server = site()
    done = subprocess.run([harness.CURL, "-q", "--silent", "--noproxy", "*", "--max-time", "10",
                           "--compressed", f"http://{harness.HOST}:{server.port}/page.txt"],
                          capture_output=True, timeout=15, check=True)
    expect_eq(done.stdout, ORIGINAL, "curl --compressed, decoded by curl")


@test
def q_values_choose():
    cases = [
        ("gzip, zstd, br", "br"),  # equal q: br, zstd, gzip
        ("gzip, zstd", "zstd"),
        ("br;q=0.5, zstd;q=0.9, gzip;q=0.8, identity;q=0.1", "zstd"),
        ("br;q=0.5, zstd;q=0.9", "zstd"),  # identity unnamed comes last
        ("br;q=0, zstd;q=0, gzip", "gzip"),
        ("*", "br"),
        ("*;q=0.5, gzip", "gzip"),
        ("zstd;q=0.5, identity", None),  # identity weighs more: the original
        ("br;q=0, zstd;q=0, gzip;q=0", None),
        ("deflate", None),
        ("", None),
        (None, None),  # no field: the original
    ]
    for accept, want in cases:
        status, fields, body = get("page.txt", accept)
        expect_eq(status, 200, f"status for Accept-Encoding: {accept!r}")
        expect_eq(field(fields, "content-encoding"), want, f"coding for {accept!r}")
        expect_eq(field(fields, "vary"), "Accept-Encoding", f"Vary for {accept!r}")
        decoded = body if want is None else decompress(want, body)
        expect_eq(decoded, ORIGINAL, f"body for {accept!r}")


@test
def a_sibling_without_its_original():
    status, fields, body = get("app.js", "gzip, zstd")
    expect_eq(status, 200, "app.js with only app.js.zst, zstd accepted")
    expect_eq(field(fields, "content-encoding"), "zstd", "Content-Encoding")
    expect_eq(field(fields, "content-type").split(";")[0], "text/javascript",
              "the type of the original's name")
    expect_eq(decompress("zstd", body), ONLY_ZST, "decompressed")
    for accept in ("gzip, br", "zstd;q=0, gzip", "identity", None):
        status, fields, _ = get("app.js", accept)
        expect_eq(status, 406, f"app.js, only a .zst, Accept-Encoding: {accept!r}")
        expect_eq(field(fields, "vary"), "Accept-Encoding", f"Vary of the 406 ({accept!r})")
        expect_eq(field(fields, "content-encoding"), None, "no Content-Encoding on a 406")
    status, fields, _ = get("nothing.js", "zstd")
    expect_eq(status, 404, "no file, no sibling")
    expect_eq(field(fields, "vary"), None, "no Vary on a plain 404")


@test
def a_stale_sibling_is_not_served():
    root, _ = site()
    root.write("stale.txt", ORIGINAL)
    compress("zstd", root.path("stale.txt"))
    older = os.stat(root.path("stale.txt")).st_mtime - 5
    os.utime(root.path("stale.txt.zst"), (older, older))
    status, fields, body = get("stale.txt", "zstd")
    expect_eq((status, field(fields, "content-encoding")), (200, None), "stale .zst")
    expect_eq(body, ORIGINAL, "the original instead of a stale sibling")


@test
def etags_differ_per_coding():
    tags = {}
    for accept in ("zstd", "br", "gzip", None):
        _, fields, _ = get("page.txt", accept)
        tags[accept] = field(fields, "etag")
    expect_eq(len(set(tags.values())), 4, f"four representations, four ETags: {tags}")
    expect(tags["zstd"].endswith('-zstd"'), f"the zstd tag names its coding: {tags['zstd']}")
    # The same bytes asked for by their own name are another representation.
    _, fields, _ = get("page.txt.zst", None)
    expect(field(fields, "etag") != tags["zstd"], "page.txt.zst served as itself: its own tag")


@test
def conditional_requests_on_a_sibling():
    _, fields, _ = get("page.txt", "zstd")
    etag = field(fields, "etag")
    status, fields, body = get("page.txt", "zstd", ["-H", f"If-None-Match: {etag}"])
    expect_eq(status, 304, "If-None-Match with the zstd tag, zstd accepted")
    expect_eq(field(fields, "etag"), etag, "the 304's tag")
    expect_eq(field(fields, "vary"), "Accept-Encoding", "the 304's Vary")
    status, _, body = get("page.txt", "br", ["-H", f"If-None-Match: {etag}"])
    expect_eq(status, 200, "the zstd tag does not match the br representation")
    expect_eq(decompress("br", body), ORIGINAL, "the br body")
    status, fields, body = get("page.txt", "zstd", ["-H", 'If-Match: "nope"'])
    expect_eq(status, 412, "If-Match with another tag")
    expect_eq(field(fields, "content-encoding"), None, "the 412's page is not zstd")
    expect(body.startswith(b"<!DOCTYPE html>"), f"the 412's page: {body[:40]!r}")


@test
def ranges_on_a_sibling():
    root, _ = site()
    with open(root.path("page.txt.zst"), "rb") as f:
        encoded = f.read()
    status, fields, body = get("page.txt", "zstd", ["-H", "Range: bytes=10-109"])
    expect_eq(status, 206, "a range of the zstd representation")
    expect_eq(field(fields, "content-range"), f"bytes 10-109/{len(encoded)}", "Content-Range")
    expect_eq(body, encoded[10:110], "the range is of the encoded bytes")
    expect_eq(field(fields, "content-encoding"), "zstd", "the 206's Content-Encoding")
    status, fields, _ = get("page.txt", "zstd", ["-H", f"Range: bytes={len(encoded)}-"])
    expect_eq(status, 416, "a range past the end of the zstd representation")
    expect_eq(field(fields, "content-range"), f"bytes */{len(encoded)}", "the 416's length")
    expect_eq(field(fields, "content-encoding"), None, "the 416's page is not zstd")
    # Resumed with If-Range: the rest of the same representation.
    _, fields, _ = get("page.txt", "zstd")
    etag = field(fields, "etag")
    status, _, rest = get("page.txt", "zstd",
                          ["-H", f"Range: bytes={len(encoded) - 50}-", "-H", f"If-Range: {etag}"])
    expect_eq((status, rest), (206, encoded[-50:]), "If-Range with the zstd tag")
    status, _, whole = get("page.txt", "br", ["-H", "Range: bytes=0-9", "-H", f"If-Range: {etag}"])
    expect_eq(status, 200, "If-Range with the zstd tag, br chosen: the whole br file")
    expect_eq(decompress("br", whole), ORIGINAL, "the whole br body")


@test
def head_of_a_sibling():
    status, fields, body = get("page.txt", "zstd", ["-I"])
    expect_eq((status, body.strip()), (200, b""), "HEAD")
    expect_eq(field(fields, "content-encoding"), "zstd", "HEAD's Content-Encoding")
    expect_eq(int(field(fields, "content-length")), os.path.getsize(site()[0].path("page.txt.zst")),
              "HEAD's Content-Length: the sibling's")


@test
def a_file_without_siblings_still_varies():
    reply = fetch(site()[1].port, "/plain.txt", headers=[("Accept-Encoding", "zstd")])
    expect_status(reply, 200, "plain.txt")
    expect_eq(reply.header("content-encoding"), None, "no sibling, no coding")
    expect_eq(reply.body, b"no siblings\n", "plain.txt's bytes")


if __name__ == "__main__":
    harness.main(FILE_BUDGET)
