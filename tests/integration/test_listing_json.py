"""Directory listings as JSON (Accept: application/json, or ?format=json).

The listing is parsed with Python's json module and compared with what
os.scandir finds in the directory, under the listing's own rules: hidden
names, names a request cannot name (control bytes), dangling links and
FIFOs are left out; a symbolic link is listed as what it points to. Each
element has nginx's "autoindex_format json" fields in nginx's order: name,
type, mtime (an IMF-fixdate), size (files only). Names that are not UTF-8
come out with U+FFFD where the ill-formed bytes were, which is what Python's
own decoder makes of them. A directory of 5,000 entries is listed whole.

Run as `$PYTHON tests/integration/test_listing_json.py` with SWITCHBOARD set.
"""

import email.utils
import json
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import expect, expect_eq, expect_status, fetch, test  # noqa: E402

FILE_BUDGET = 60.0
BIG_COUNT = 5000
ODD_NAMES = [b'quote".txt', b"back\\slash.txt", b"both\\\"mixed", b"caf\xe9-latin1.txt",
             b"\xff\xfe.bin", b"cut\xe2\x82.txt", "ünïcödé 日本語.txt".encode(),
             b"apos'&<lt>.txt", b"lf\nname.txt", b"tab\tname.txt", b"del\x7fname.txt"]


def make_site():
    root = harness.DocRoot("switchboard-listing-json-")
    conf = os.path.join(root.base, "site.conf")
    with open(conf, "w") as f:
        f.write(f"listen {harness.HOST}:0\nroot {root.root}\nlisting on\n")
    os.chmod(conf, 0o644)
    broot = os.fsencode(root.root)
    for i, name in enumerate(ODD_NAMES):
        with open(os.path.join(broot, name), "wb") as f:
            f.write(b"x" * i)
    root.write("plain.txt", b"plain\n", mtime=1_700_000_000)
    root.write("sub/inner.txt", b"inner\n")
    root.write(".hidden", b"hidden\n")
    root.symlink("sub", "link-to-sub")
    root.symlink("plain.txt", "link-to-plain")
    root.symlink("nowhere", "dangling")
    os.mkfifo(root.path("fifo"))
    os.mkdir(root.path("big"))
    os.chmod(root.path("big"), 0o755)
    for i in range(BIG_COUNT):
        with open(os.path.join(root.path("big"), f"entry-{i:05d}.dat"), "wb") as f:
            f.write(b"y" * (i % 97))
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


def get(target, accept=None, method="GET", version="HTTP/1.1"):
    headers = [("Accept", accept)] if accept is not None else []
    return fetch(site()[1].port, target, method=method, headers=headers, version=version,
                 timeout=20)


def expected_listing(directory):
    """What the listing should hold, from os.scandir and the listing's rules."""
    rows = []
    with os.scandir(os.fsencode(directory)) as it:
        for entry in it:
            name = entry.name
            if name.startswith(b".") or any(c < 0x20 or c == 0x7f for c in name):
                continue
            try:
                st = os.stat(entry.path)  # a link: its target
            except OSError:
                continue  # dangling
            if stat.S_ISDIR(st.st_mode):
                kind = "directory"
            elif stat.S_ISREG(st.st_mode):
                kind = "file"
            else:
                continue  # a FIFO: never served, never listed
            row = {"name": name.decode("utf-8", "replace"), "type": kind,
                   "mtime": email.utils.formatdate(st.st_mtime, usegmt=True)}
            if kind == "file":
                row["size"] = st.st_size
            rows.append((kind != "directory", name, row))
    return [row for _, _, row in sorted(rows)]


def parse(reply, what):
    expect_status(reply, 200, what)
    expect_eq(reply.header("content-type"), "application/json", f"Content-Type of {what}")
    expect_eq(reply.header("vary"), "Accept", f"Vary of {what}")
    try:
        text = reply.body.decode("utf-8")  # strict: RFC 8259 says UTF-8
    except UnicodeDecodeError as e:
        raise harness.Failure(f"{what} is not UTF-8: {e}")
    return json.loads(text)


@test
def json_matches_scandir():
    root, _ = site()
    listing = parse(get("/", "application/json"), "GET / as JSON")
    expect(isinstance(listing, list), f"an array: {type(listing)}")
    want = expected_listing(root.root)
    expect_eq([r["name"] for r in listing], [r["name"] for r in want], "names, in order")
    expect_eq(listing, want, "every field of every element")
    for row in listing:
        expect_eq(list(row), ["name", "type", "mtime", "size"][:len(row)],
                  f"nginx's field order in {row}")
        expect(harness.IMF_FIXDATE_RE.match(row["mtime"]), f"an IMF-fixdate: {row['mtime']}")


@test
def odd_names_survive():
    listing = parse(get("/?format=json"), "?format=json")
    names = {r["name"] for r in listing}
    for name in (b'quote".txt', b"back\\slash.txt", b"both\\\"mixed",
                 "ünïcödé 日本語.txt".encode(), b"apos'&<lt>.txt"):
        expect(name.decode() in names, f"{name!r} listed as itself")
    expect("caf\ufffd-latin1.txt" in names, f"Latin-1 byte as U+FFFD: {sorted(names)}")
    expect("\ufffd\ufffd.bin" in names, "two ill-formed bytes, two U+FFFD")
    expect("cut\ufffd.txt" in names, "a truncated sequence, one U+FFFD")
    for refused in ("lf\nname.txt", "tab\tname.txt", "del\x7fname.txt", ".hidden", "dangling",
                    "fifo"):
        expect(refused not in names, f"{refused!r} is not listed")
    types = {r["name"]: r["type"] for r in listing}
    expect_eq(types.get("link-to-sub"), "directory", "a link to a directory")
    expect_eq(types.get("link-to-plain"), "file", "a link to a file")
    plain = next(r for r in listing if r["name"] == "plain.txt")
    expect_eq(plain, {"name": "plain.txt", "type": "file",
                      "mtime": "Tue, 14 Nov 2023 22:13:20 GMT", "size": 6}, "plain.txt")
    sub = next(r for r in listing if r["name"] == "sub")
    expect("size" not in sub, f"a directory has no size: {sub}")


@test
def nginx_layout_byte_for_byte():
    reply = get("/sub/?format=json")
    expect_status(reply, 200, "/sub/ as JSON")
    st = os.stat(site()[0].path("sub/inner.txt"))
    date = email.utils.formatdate(st.st_mtime, usegmt=True)
    want = f'[\r\n{{ "name":"inner.txt", "type":"file", "mtime":"{date}", "size":6 }}\r\n]'
    expect_eq(reply.body, want.encode(), "the body, as nginx writes it")


@test
def five_thousand_entries():
    root, _ = site()
    reply = get("/big/", "application/json")
    listing = parse(reply, "/big/ as JSON")
    expect_eq(len(listing), BIG_COUNT, "entries listed")
    expect_eq(listing, expected_listing(root.path("big")), "the whole directory, in order")
    expect_eq(reply.header("transfer-encoding"), "chunked", "streamed in chunks")


@test
def accept_chooses():
    cases = [
        ("application/json", "application/json"),
        ("text/html", "text/html"),
        ("*/*", "text/html"),
        (None, "text/html"),
        ("text/html;q=0.5, application/json", "application/json"),
        ("application/json;q=0.5, text/html", "text/html"),
        ("application/json, */*;q=0.1", "application/json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("image/png", "text/html"),
    ]
    for accept, want in cases:
        reply = get("/sub/", accept)
        expect_status(reply, 200, f"Accept: {accept}")
        expect_eq(reply.media_type(), want, f"the type for Accept: {accept}")
        expect_eq(reply.header("vary"), "Accept", f"Vary for Accept: {accept}")
    reply = get("/sub/?format=html", "application/json")
    expect_eq(reply.media_type(), "text/html", "?format=html overrides Accept")
    reply = get("/sub/?format=json", "text/html")
    expect_eq(reply.media_type(), "application/json", "?format=json overrides Accept")


@test
def head_gives_the_fields_only():
    reply = get("/sub/", "application/json", method="HEAD")
    expect_status(reply, 200, "HEAD as JSON")
    expect_eq(reply.header("content-type"), "application/json", "HEAD's Content-Type")
    expect_eq(reply.header("vary"), "Accept", "HEAD's Vary")
    expect_eq(reply.body, b"", "HEAD has no body")


@test
def http10_gets_the_whole_array():
    reply = get("/sub/?format=json", version="HTTP/1.0")
    expect_status(reply, 200, "HTTP/1.0")
    expect_eq(len(json.loads(reply.body)), 1, "one entry in /sub/")


@test
def conditionals_as_for_the_page():
    reply = fetch(site()[1].port, "/sub/?format=json", headers=[("If-None-Match", "*")])
    expect_status(reply, 304, "If-None-Match: * on a listing")
    expect_eq(reply.header("vary"), "Accept", "the 304's Vary")
    reply = fetch(site()[1].port, "/sub/?format=json", headers=[("If-Match", '"x"')])
    expect_status(reply, 412, "If-Match on a listing, which has no tag")


if __name__ == "__main__":
    harness.main(FILE_BUDGET)
