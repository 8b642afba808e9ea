"""Directory listings that real mirroring clients can follow.

A document root of awkward names (spaces, quotes, '&', '<', '#', '?', '%',
UTF-8, a symbolically linked directory, a nested tree) is served with
`listing on` and mirrored with the real `wget --mirror --no-parent` and
`lftp -c 'mirror ...'`, directly and (wget) through a real nginx reverse
proxy that mounts the server under /files/. Each mirror is compared with
`diff -r` against the tree a client should end up with: every file the server
serves, byte for byte, and nothing else. Names the server refuses (control
bytes, a dangling link, a link out of the root, a FIFO, a hidden file, an
unreadable file or directory) are neither listed nor mirrored.

Run as `$PYTHON tests/integration/test_listing_clients.py` with SWITCHBOARD set
(make check does). Each client test SKIPs when its client is not installed
(Debian packages wget, lftp, nginx). Started as root, the
server drops to nobody: every file of the document root is world-readable.
"""

import functools
import html.parser
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Failure, Skip, expect, expect_eq, expect_status, fetch, test  # noqa: E402

FILE_BUDGET = 80.0
CLIENT_TIMEOUT = 30  # seconds for one mirror run
PREFIX = "/files/"

# Served at the top of the root: (name, content).
ODD_FILES = [
    (b"with space.txt", b"space\n"),
    (b"apos'.txt", b"apostrophe: lftp once cut the link here\n"),
    (b'quote".txt', b"double quote\n"),
    (b"a&b.txt", b"ampersand\n"),
    (b"lt<gt>.txt", b"angle brackets\n"),
    (b"hash#frag.txt", b"hash\n"),
    (b"question?x=1.txt", b"question mark\n"),
    # Not "%41": wget decodes such a name a second time when it saves it.
    (b"50% off.txt", b"percent\n"),
    (b"colon:name.txt", b"colon, which must not read as a scheme\n"),
    (b"plus+semi;eq=.txt", b"sub-delims\n"),
    ("ünïcödé.txt".encode(), b"utf-8 accents\n"),
    ("日本語.txt".encode(), b"utf-8 cjk\n"),
]
# A nested tree, also reached through the symbolic link "linked-dir".
TREE_FILES = [
    (b"tree/readme.txt", b"the tree\n"),
    (b"tree/empty.txt", b""),
    (b"tree/a/one.txt", b"one\n"),
    (b"tree/a/two words.txt", b"two\n"),
    (b"tree/a/b/three.txt", b"three\n"),
    (b"tree/a/b/c/deep.txt", b"deep\n"),
    (b"tree/d&e/f<g>.txt", b"special directory\n"),
]
LINKED_DIR = (b"tree", b"linked-dir")
# Names a request is refused for, so the listing must not offer them.
REFUSED_FILES = [b"tab\tname.txt", b"cr\rname.txt", b"lf\nname.txt", b"one\x01name.txt",
                 b"del\x7fname.txt", b".hidden.txt"]
REFUSED_LINKS = [(b"nowhere", b"dangling"), (b"../secret.txt", b"escape"),
                 (b"/etc/passwd", b"absolute")]
REFUSED_FIFO = b"fifo"
# Entries the server may not read: mode 000, so not even their owner can.
UNREADABLE_FILE = b"unreadable.txt"
UNREADABLE_DIR = b"locked-dir"


def random_file(size, seed):
    """Bytes that are the same on every run: a deterministic binary file."""
    out = bytearray()
    state = seed
    while len(out) < size:
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out += state.to_bytes(8, "little")
    return bytes(out[:size])


BINARY_FILES = [
    (b"tree/a/b/blob.bin", random_file(300 * 1024, 1)),
    (b"tree/a/big.bin", random_file(1024 * 1024 + 7, 2)),
]
SERVED = ODD_FILES + TREE_FILES + BINARY_FILES


def write_file(path, data):
    with open(path, "wb") as out:
        out.write(data)
    os.chmod(path, 0o644)


def make_dirs(top, rel):
    path = top
    for part in rel.split(b"/")[:-1]:
        path += b"/" + part
        if not os.path.isdir(path):
            os.mkdir(path)
            os.chmod(path, 0o755)


def put(top, rel, data):
    make_dirs(top, rel)
    write_file(top + b"/" + rel, data)


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-listing-clients-")
    top = os.fsencode(root.root)
    for rel, data in SERVED:
        put(top, rel, data)
    os.symlink(LINKED_DIR[0], top + b"/" + LINKED_DIR[1])
    for name in REFUSED_FILES:
        put(top, name, b"never listed\n")
    for target, name in REFUSED_LINKS:
        os.symlink(target, top + b"/" + name)
    os.mkfifo(top + b"/" + REFUSED_FIFO, 0o644)
    put(top, UNREADABLE_FILE, b"nobody may read this\n")
    os.chmod(top + b"/" + UNREADABLE_FILE, 0)
    os.mkdir(top + b"/" + UNREADABLE_DIR, 0)
    os.chmod(top + b"/" + UNREADABLE_DIR, 0)
    return root


@functools.lru_cache(maxsize=None)
def expected_tree():
    """What a mirror must hold: the served files, the linked directory as a
    copy of its target."""
    base = os.fsencode(tempfile.mkdtemp(prefix="switchboard-listing-expected-"))
    harness.at_end(lambda: shutil.rmtree(base, ignore_errors=True))
    target, link = LINKED_DIR
    for rel, data in SERVED:
        put(base, rel, data)
        if rel.startswith(target + b"/"):
            put(base, link + rel[len(target):], data)
    return base


@functools.lru_cache(maxsize=None)
def server(symlinks="inside-root"):
    root = docroot()
    conf = os.path.join(root.base, f"switchboard-{symlinks}.conf")
    write_file(conf, f"listen 127.0.0.1:0\nroot {root.root}\nlisting on\n"
               f"follow_symlinks {symlinks}\n".encode())
    srv = harness.Server(args=["-c", conf], listen=()).start()
    harness.at_end(srv.stop)
    return srv


def scratch(what):
    path = tempfile.mkdtemp(prefix=f"switchboard-{what}-")
    os.chmod(path, 0o755)
    harness.at_end(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def tool(name):
    """The path of a client, or Skip with the package to install."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        raise Skip(f"{name} is not installed (apt-get install {name})")
    return found


def run_client(argv, cwd, what, env_extra=None):
    env = dict(os.environ, LC_ALL="C.UTF-8", HOME=cwd, **(env_extra or {}))
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"{what} did not finish within {CLIENT_TIMEOUT} s") from None
    if done.returncode != 0:
        raise Failure(f"{what} exited {done.returncode}: "
                      f"{done.stderr.decode('utf-8', 'replace')[-600:]!r}")
    return done


def drop_listing_pages(mirror):
    """wget keeps each listing it read as DIR/index.html: not part of the tree."""
    for dirpath, _, files in os.walk(mirror):
        if "index.html" in files:
            page = os.path.join(dirpath, "index.html")
            with open(page, "rb") as src:
                head = src.read(4096)
            expect(b"<title>Index of " in head, f"{page} is not a listing page")
            os.unlink(page)


def count_files(top):
    return sum(len(files) for _, _, files in os.walk(top))


def expect_same_tree(mirror, what):
    """diff -r against the expected tree, and never the secret."""
    done = subprocess.run(["diff", "-r", expected_tree(), os.fsencode(mirror)],
                          capture_output=True, timeout=30)
    report = done.stdout.decode("utf-8", "replace")
    expect(done.returncode == 0, f"{what}: the mirror differs from the served tree "
           f"({count_files(mirror)} files mirrored, {count_files(expected_tree())} expected): "
           f"{report[:900]!r}")
    for dirpath, _, files in os.walk(mirror):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as src:
                expect(harness.DocRoot.SECRET not in src.read(), f"{what}: the secret leaked")


# ---------------------------------------------------------------- the page itself


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


def hrefs_of(body):
    parser = Links()
    parser.feed(body.decode("utf-8", "surrogateescape"))
    parser.close()
    return parser.hrefs


@test
def root_listing_offers_exactly_what_is_served():
    reply = fetch(server().port, "/")
    expect_status(reply, 200, "GET /")
    hrefs = hrefs_of(reply.body)
    for href in hrefs:
        expect(not href.startswith("/") and "//" not in href and ":" not in href,
               f"href {href!r} is not a relative path")
    names = sorted(urllib.parse.unquote_to_bytes(h) for h in hrefs)
    want = sorted({rel.split(b"/")[0] + (b"/" if b"/" in rel else b"") for rel, _ in SERVED}
                  | {LINKED_DIR[1] + b"/"})
    expect_eq(names, want, "names the root listing links to")


@test
def refused_names_are_refused():
    """What the listing leaves out, a request is indeed refused."""
    port = server().port
    refused = REFUSED_FILES + [link for _, link in REFUSED_LINKS]
    for name in refused + [REFUSED_FIFO, UNREADABLE_FILE, UNREADABLE_DIR + b"/"]:
        target = "/" + urllib.parse.quote_from_bytes(name, safe="/")
        reply = fetch(port, target)
        expect(400 <= reply.status < 500, f"GET {target}: {reply.status}, expected a 4xx")


@test
def links_follow_the_symlink_policy():
    """With follow_symlinks never, no link is listed, as none is served."""
    port = server("never").port
    reply = fetch(port, "/")
    expect_status(reply, 200, "GET / (follow_symlinks never)")
    names = {urllib.parse.unquote_to_bytes(h).rstrip(b"/").rpartition(b"/")[2]
             for h in hrefs_of(reply.body)}
    expect(LINKED_DIR[1] not in names, "the linked directory is listed, yet refused")
    expect(LINKED_DIR[0] in names, f"the real directory is not listed: {sorted(names)}")
    expect_status(fetch(port, "/" + LINKED_DIR[1].decode() + "/"), 403,
                  "GET the linked directory (follow_symlinks never)")


@test
def nested_links_resolve():
    """Each link of a nested listing, resolved against the page's URL."""
    port = server().port
    base = f"http://127.0.0.1:{port}/linked-dir/a/"
    reply = fetch(port, "/linked-dir/a/")
    expect_status(reply, 200, "GET /linked-dir/a/")
    for href in hrefs_of(reply.body):
        url = urllib.parse.urljoin(base, href)
        path = urllib.parse.urlsplit(url).path
        got = fetch(port, path)
        expect_status(got, 200, f"GET {path} (href {href!r} on /linked-dir/a/)")


# ---------------------------------------------------------------- wget and lftp


def wget_mirror(url, out, cut_dirs=0):
    argv = [tool("wget"), "--mirror", "--no-parent", "--no-host-directories",
            f"--cut-dirs={cut_dirs}", "--execute", "robots=off", "--tries=1",
            "--timeout=10", "--no-verbose", url]
    done = run_client(argv, out, f"wget --mirror {url}")
    drop_listing_pages(out)
    return done


@test(timeout=40)
def wget_mirror_gets_the_whole_tree():
    out = scratch("wget")
    wget_mirror(f"http://127.0.0.1:{server().port}/", out)
    expect_same_tree(out, "wget --mirror")
    print(f"# wget mirrored {count_files(out)} files", flush=True)


@test(timeout=40)
def lftp_mirror_gets_the_whole_tree():
    out = scratch("lftp")
    url = f"http://127.0.0.1:{server().port}/"
    script = ("set cmd:interactive no; set net:max-retries 1; set net:timeout 10; "
              f"set net:reconnect-interval-base 1; mirror {url} mirror")
    run_client([tool("lftp"), "-c", script], out, f"lftp mirror {url}")
    expect_same_tree(os.path.join(out, "mirror"), "lftp mirror")
    print(f"# lftp mirrored {count_files(os.path.join(out, 'mirror'))} files", flush=True)


# ---------------------------------------------------------------- behind nginx


class Nginx:
    """A real nginx on a free loopback port, proxying PREFIX to the server,
    run as the current user with everything in its own temporary directory."""

    def __init__(self, backend_port):
        self.dir = scratch("nginx")
        self.port = harness.free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as out:
            out.write(self.config(backend_port))
        # -e: the error log from the very start, before the config is read.
        argv = [tool("nginx"), "-p", self.dir, "-c", conf, "-e",
                os.path.join(self.dir, "error.log")]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        harness.at_end(self.stop)
        self.wait_listening()

    def config(self, backend_port):
        d = self.dir
        return f"""daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        location {PREFIX} {{
            proxy_pass http://127.0.0.1:{backend_port}/;
        }}
    }}
}}
"""

    def wait_listening(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"nginx exited {self.proc.returncode}: {self.log()[-600:]!r}")
            try:
                harness.connect(self.port, timeout=1.0).close()
                return
            except OSError:
                time.sleep(0.05)
        raise Failure(f"nginx did not listen within {timeout:g} s: {self.log()[-600:]!r}")

    def log(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as src:
                return src.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()


@functools.lru_cache(maxsize=None)
def nginx():
    return Nginx(server().port)


@test(timeout=40)
def wget_mirror_through_nginx_prefix():
    proxy = nginx()
    out = scratch("wget-nginx")
    # With its slash: the mirror needs no directory redirect.
    wget_mirror(f"http://127.0.0.1:{proxy.port}{PREFIX}", out, cut_dirs=1)
    expect_same_tree(out, f"wget --mirror through nginx under {PREFIX}")
    print(f"# wget mirrored {count_files(out)} files through nginx under {PREFIX}", flush=True)


@test
def directory_redirect_through_nginx_prefix():
    """NEEDS a relative Location in the directory redirect (src/static.c):
    "/files/tree" must lead to "/files/tree/", not out of the prefix."""
    proxy = nginx()
    request = f"{PREFIX}tree"
    reply = fetch(proxy.port, request)
    expect_status(reply, 301, f"GET {request} through nginx")
    location = reply.header("location")
    landed = urllib.parse.urljoin(f"http://127.0.0.1:{proxy.port}{request}", location)
    expect_eq(urllib.parse.urlsplit(landed).path, f"{PREFIX}tree/",
              f"where Location {location!r} leads from {request} (the directory redirect "
              "must send a relative Location, such as 'tree/', to stay under the prefix)")


if __name__ == "__main__":
    harness.main(FILE_BUDGET)
