"""Virtual hosts: several sites in one server, chosen by the request's Host.

Three sites under one base directory (a secret file next to them): the
default site (the top level), "a.test www.a.test" and "*.b.test". Each test
asks with a Host (or an absolute-form target) and checks which site
answered, by a marker only that site's files hold:

  - exact names, any case, with a port; the default site for an unknown
    Host and for an HTTP/1.0 request without one; a wildcard at one and at
    two labels' depth, but not its own suffix; the absolute-form authority
    over the Host;
  - per-site listing, index, error_page and add_header (a block's list
    replaces the top level's; a site without one inherits it);
  - the real curl, with -H 'Host: ...' and with --resolve;
  - traversal from every site (dot segments, encoded, in absolute form, a
    symlink to a sibling site): nothing outside the site's own root, and
    above all no other site's file, is ever served;
  - the shared conformance suite's security tests against its fixture
    served as a named site ("127.0.0.1") while the default site serves
    another root (skipped without SB_SHARED);
  - -t names the sites; a reload that changes a site applies; a reload with
    a bad site block keeps every old site serving.

Run as `$PYTHON tests/integration/test_vhosts.py` with SWITCHBOARD and CURL
set (make check does).
"""

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (Failure, Skip, expect, expect_eq, expect_status, run_cli,  # noqa: E402
                     test)

CURL = os.environ.get("CURL") or shutil.which("curl")
SECRET = b"VHOSTS-SECRET-next-to-the-sites\n"
MARKERS = {"default": b"DEFAULT-SITE-3c1f", "a": b"SITE-A-77d2", "b": b"SITE-B-91e0"}


class Sites:
    """base/default, base/a, base/b, and base/secret.txt beside them."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="switchboard-vhosts-")
        harness.at_end(lambda: shutil.rmtree(self.base, ignore_errors=True))
        os.chmod(self.base, 0o755)
        self.write("secret.txt", SECRET)
        for name, marker in MARKERS.items():
            self.write(f"{name}/index.html", b"<p>" + marker + b" index</p>\n")
            self.write(f"{name}/{name}-only.txt", marker + b" only\n")
            self.write(f"{name}/dir/file.txt", marker + b" dir file\n")
        self.write("a/missing.html", b"<p>" + MARKERS["a"] + b" has no such page</p>\n")
        for name in MARKERS:
            self.write(f"{name}/.hidden/note.txt", MARKERS[name] + b" hidden\n")
            self.write(f"{name}/data.unknownext", MARKERS[name] + b" data\n")
        self.write("a/start.html", b"<p>" + MARKERS["a"] + b" start</p>\n")
        os.symlink("../../b/b-only.txt", self.path("a/dir/to-b.txt"))
        os.symlink("../b", self.path("a/b-root"))
        self.conf = self.path("switchboard.conf")
        self.write_conf(self.config_text())

    def path(self, rel):
        return os.path.join(self.base, rel)

    def write(self, rel, data):
        full = self.path(rel)
        os.makedirs(os.path.dirname(full), mode=0o755, exist_ok=True)
        with open(full, "wb") as out:
            out.write(data)
        os.chmod(full, 0o644)

    def write_conf(self, text):
        self.write("switchboard.conf", text.encode())

    def config_text(self, a_root="a", extra=""):
        return (f"root {self.path('default')}\n"
                "add_header X-Top top\n"
                f"site a.test www.a.test {{\n"
                f"    root {self.path(a_root)}\n"
                "    listing on\n"
                "    index start.html index.html\n"
                "    error_page 404 /missing.html\n"
                "    add_header X-Site a\n"
                "}\n"
                "site *.b.test {\n"
                f"    root {self.path('b')}\n"
                "    hidden_files allow\n"
                "    default_type text/x-site-b\n"
                "    charset utf-8\n"
                "}\n"
                "health_path /healthz\n"
                + extra)


@functools.lru_cache(maxsize=None)
def sites():
    return Sites()


@functools.lru_cache(maxsize=None)
def server():
    s = harness.Server(args=("-c", sites().conf)).start()
    harness.at_end(s.stop)
    return s


def ask(host, target="/", version="HTTP/1.1", port=None):
    """One request with the given Host (None: no Host at all)."""
    lines = [f"GET {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines.append("Connection: close")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return harness.exchange(port or server().port, data)


def site_of(reply):
    """Which site's file a reply holds (None: no marker)."""
    found = [name for name, marker in MARKERS.items() if marker in (reply.body or b"")]
    expect(len(found) <= 1, f"markers of several sites in one reply: {found}")
    return found[0] if found else None


def expect_site(host, want, target="/", version="HTTP/1.1"):
    reply = ask(host, target, version)
    expect_status(reply, 200, f"Host {host!r} GET {target}")
    expect_eq(site_of(reply), want, f"the site answering Host {host!r} GET {target}")
    return reply


# ---------------------------------------------------------------- choosing the site


@test
def exact_names():
    expect_site("a.test", "a")
    expect_site("www.a.test", "a")


@test
def case_port_and_trailing_dot_ignored():
    expect_site("A.TEST", "a")
    expect_site(f"a.test:{server().port}", "a")
    expect_site("WWW.A.Test:8080", "a")
    expect_site("a.test.", "a")


@test
def unknown_host_gets_the_default_site():
    expect_site("unknown.test", "default")
    expect_site(f"127.0.0.1:{server().port}", "default")
    expect_site("xa.test", "default")
    expect_site("a.test.evil", "default")


@test
def absent_host_gets_the_default_site():
    expect_site(None, "default", version="HTTP/1.0")


@test
def empty_or_odd_host_gets_the_default_site():
    expect_site("", "default")
    expect_site("a%2etest", "default")


@test
def wildcard_any_depth_but_not_its_suffix():
    expect_site("x.b.test", "b")
    expect_site("deep.er.b.test:81", "b")
    expect_site("X.B.TEST", "b")
    expect_site("b.test", "default")


@test
def absolute_form_authority_wins_over_host():
    """RFC 9112 section 3.2.2: the target's authority names the site."""
    expect_site("b.test", "a", target="http://a.test/")
    expect_site("a.test", "b", target="http://x.b.test:8080/b-only.txt")
    expect_site("a.test", "default", target="http://nowhere.test/default-only.txt")


# ---------------------------------------------------------------- per-site settings


@test
def per_site_index():
    reply = expect_site("a.test", "a")
    expect(b"start" in reply.body, f"a.test's index is start.html: {reply!r}")
    reply = expect_site("x.b.test", "b")
    expect(b"index" in reply.body, f"b's index is index.html: {reply!r}")


@test
def per_site_listing():
    reply = expect_site("a.test", None, target="/dir/")
    expect(b"file.txt" in reply.body, f"a.test lists /dir/: {reply!r}")
    for host in ("x.b.test", "unknown.test"):
        reply = ask(host, "/dir/")
        expect(reply.status != 200, f"{host}: /dir/ listed though listing is off: {reply!r}")


@test
def per_site_error_page():
    reply = ask("a.test", "/nothing-here")
    expect_status(reply, 404, "a.test GET /nothing-here")
    expect(b"has no such page" in reply.body, f"a.test's error_page not used: {reply!r}")
    reply = ask("x.b.test", "/nothing-here")
    expect_status(reply, 404, "x.b.test GET /nothing-here")
    expect(site_of(reply) is None, f"b.test got another site's error page: {reply!r}")


@test
def per_site_add_header():
    reply = expect_site("a.test", "a")
    expect_eq(reply.header("x-site"), "a", "a.test's own add_header")
    expect_eq(reply.header("x-top"), None, "a.test's add_header replaces the top level's")
    reply = expect_site("x.b.test", "b")
    expect_eq(reply.header("x-top"), "top", "b inherits the top level's add_header")
    expect_eq(reply.header("x-site"), None, "b has no X-Site")
    reply = expect_site("unknown.test", "default")
    expect_eq(reply.header("x-top"), "top", "the default site's add_header")


@test
def per_site_hidden_files_default_type_and_charset():
    reply = ask("x.b.test", "/.hidden/note.txt")
    expect_eq((reply.status, site_of(reply)), (200, "b"), "b allows hidden files")
    for host in ("a.test", "unknown.test"):
        expect_status(ask(host, "/.hidden/note.txt"), 404, f"{host} denies hidden files")
    reply = ask("x.b.test", "/data.unknownext")
    expect_eq(reply.header("content-type"), "text/x-site-b; charset=utf-8",
              "b's default_type and charset")
    reply = ask("a.test", "/data.unknownext")
    expect_eq((site_of(reply), reply.header("content-type")), ("a", "application/octet-stream"),
              "a keeps the default default_type, without a charset")


@test(timeout=30)
def every_worker_serves_every_site():
    s = harness.Server(args=("-c", sites().conf, "--workers", "2")).start()
    harness.at_end(s.stop)
    for _ in range(4):  # connections spread over the workers
        for host, want in (("a.test", "a"), ("x.b.test", "b"), ("other.test", "default")):
            reply = ask(host, f"/{want}-only.txt", port=s.port)
            expect_eq((reply.status, site_of(reply)), (200, want), f"workers: Host {host}")


@test
def health_and_methods_on_every_site():
    """The health path and a refused method are answered the same on every site."""
    for host in ("a.test", "x.b.test", "unknown.test"):
        reply = ask(host, "/healthz")
        expect_eq((reply.status, reply.body), (200, b"ok\n"), f"{host}: GET /healthz")
        data = f"DELETE / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        reply = harness.exchange(server().port, data, method="DELETE")
        expect_status(reply, 405, f"{host}: DELETE /")


# ---------------------------------------------------------------- curl


def curl(args):
    if CURL is None:
        raise Skip("curl not installed")
    done = subprocess.run([CURL, "-sS", "-o", "-", "-w", "\n%{http_code}"] + args,
                          capture_output=True, timeout=20)
    expect_eq(done.returncode, 0, f"curl {args}: {done.stderr!r}")
    body, _, code = done.stdout.rpartition(b"\n")
    return int(code), body


@test
def curl_with_host_header():
    port = server().port
    code, body = curl(["-H", "Host: www.a.test", f"http://127.0.0.1:{port}/a-only.txt"])
    expect_eq((code, MARKERS["a"] in body), (200, True), "curl -H 'Host: www.a.test'")
    code, body = curl(["-H", "Host: cdn.b.test", f"http://127.0.0.1:{port}/b-only.txt"])
    expect_eq((code, MARKERS["b"] in body), (200, True), "curl -H 'Host: cdn.b.test'")


@test
def curl_with_resolve():
    port = server().port
    for name, want in (("a.test", "a"), ("img.b.test", "b"), ("other.test", "default")):
        code, body = curl(["--resolve", f"{name}:{port}:127.0.0.1",
                           f"http://{name}:{port}/{want}-only.txt"])
        expect_eq((code, MARKERS[want] in body), (200, True), f"curl --resolve {name}")


# ---------------------------------------------------------------- traversal per site

TRAVERSALS = [
    "/../secret.txt", "/../../secret.txt", "/..", "/../", "/dir/../../secret.txt",
    "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt", "/dir/%2e%2e/%2e%2e/secret.txt", "//../secret.txt",
    "/..\\secret.txt", "/..%5csecret.txt", "/..;/secret.txt", "/dir/..%00/../secret.txt",
    "/../a/a-only.txt", "/../b/b-only.txt", "/../default/default-only.txt",
    "/%2e%2e/a/a-only.txt", "/..%2fb%2fb-only.txt", "/dir/../../b/b-only.txt",
    "/%2e%2e%2f%2e%2e%2fb/b-only.txt", "/../a/", "/../b/", "/../default/",
    "/dir/to-b.txt", "/b-root/b-only.txt", "/b-root/",
]


def expect_nothing_from_elsewhere(host, target, own, reply):
    body = reply.body or b""
    expect(SECRET not in body, f"Host {host!r} {target}: the secret leaked: {reply!r}")
    for name, marker in MARKERS.items():
        if name != own:
            expect(marker not in body,
                   f"Host {host!r} {target}: site {name}'s file served by site {own}: "
                   f"{reply!r}")


@test(timeout=40)
def traversal_never_leaves_the_site():
    for host, own in (("a.test", "a"), ("x.b.test", "b"), ("unknown.test", "default"),
                      (None, "default")):
        for target in TRAVERSALS:
            try:
                reply = ask(host, target, "HTTP/1.0" if host is None else "HTTP/1.1")
            except harness.NoResponse:
                continue  # refused and closed: nothing served
            expect_nothing_from_elsewhere(host, target, own, reply)
            if target.endswith(".txt"):  # no such file inside any root
                expect(reply.status != 200, f"Host {host!r} {target}: {reply!r}")


@test(timeout=20)
def absolute_form_traversal_never_leaves_the_site():
    for authority, own in (("a.test", "a"), ("x.b.test", "b"), ("nowhere.test", "default")):
        for path in ("/../secret.txt", "/%2e%2e/b/b-only.txt", "/../a/a-only.txt",
                     "/dir/..%2f..%2fdefault/default-only.txt"):
            target = f"http://{authority}{path}"
            try:
                reply = ask("a.test", target)
            except harness.NoResponse:
                continue
            expect_nothing_from_elsewhere(authority, target, own, reply)


@test(timeout=60)
def conformance_security_on_a_named_site():
    """The shared conformance suite's security tests (traversal plain, encoded,
    in absolute form, with backslashes and NUL; symlinks out; secrets) against
    its fixture served as a named site ("127.0.0.1", the Host the suite sends)
    while the default site serves another root."""
    suite_dir = os.path.join(harness.SB_SHARED, "conformance")
    if not harness.SB_SHARED or not os.path.isfile(os.path.join(suite_dir, "suite.py")):
        raise Skip(f"no conformance suite in SB_SHARED ({harness.SB_SHARED!r})")
    work = tempfile.mkdtemp(prefix="switchboard-vhosts-conformance-")
    harness.at_end(lambda: shutil.rmtree(work, ignore_errors=True))
    os.chmod(work, 0o755)
    docroot = os.path.join(work, "docroot")
    made = subprocess.run([harness.PYTHON, os.path.join(suite_dir, "make_docroot.py"), docroot],
                          capture_output=True, text=True, timeout=60)
    expect_eq(made.returncode, 0, f"make_docroot.py: {made.stderr!r}")
    os.makedirs(os.path.join(work, "default"), mode=0o755)
    with open(os.path.join(work, "default", "index.html"), "wb") as out:
        out.write(MARKERS["default"] + b"\n")
    conf = os.path.join(work, "sites.conf")
    with open(conf, "w") as out:
        out.write(f"root {work}/default\n"
                  "header_timeout 5s\nkeepalive_timeout 5s\n"
                  f"site 127.0.0.1 localhost {{\n  root {docroot}\n}}\n")
    os.chmod(os.path.join(work, "default"), 0o755)  # started as root, it serves as nobody
    os.chmod(os.path.join(work, "default", "index.html"), 0o644)
    s = harness.Server(args=("-c", conf)).start()
    harness.at_end(s.stop)
    done = subprocess.run([harness.PYTHON, os.path.join(suite_dir, "suite.py"), "--base-url",
                           f"http://127.0.0.1:{s.port}", "--docroot", docroot,
                           "--idle-timeout", "10", "--only", "security_"],
                          capture_output=True, text=True, timeout=50)
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    expect(done.returncode == 0 and not failed,
           f"security tests on a named site: {failed or done.stdout[-600:]!r}")
    expect(re.search(r"^([1-9]\d*) passed, 0 failed", done.stdout, re.M),
           f"no security test passed: {done.stdout[-300:]!r}")
    # And the named site was the one the suite talked to.
    reply = ask(f"127.0.0.1:{s.port}", "/plain.txt", port=s.port)
    expect_status(reply, 200, "the fixture through the named site")
    expect(site_of(ask("other.test", "/", port=s.port)) == "default",
           "the default site serves its own root")


# ---------------------------------------------------------------- -t and reload


@test
def test_option_names_the_sites():
    done = run_cli(["-c", sites().conf, "-t"])
    expect_eq(done.returncode, 0, f"-t: {done.stderr!r}")
    out = done.stdout
    expect(f"default site: root {sites().path('default')}" in out, f"-t output: {out!r}")
    expect(re.search(r"^site a\.test www\.a\.test \(.*switchboard\.conf:3\): root .*/a$", out,
                     re.M), f"-t output: {out!r}")
    expect(re.search(r"^site \*\.b\.test \(.*:10\): root .*/b$", out, re.M),
           f"-t output: {out!r}")
    expect(out.endswith("configuration OK\n"), f"-t output: {out!r}")


@test
def test_option_reports_a_bad_block():
    bad = sites().path("bad.conf")
    with open(bad, "w") as f:
        f.write("root /\nsite a.test {\n  user www\n}\n}\nsite A.test {\n")
    done = run_cli(["-c", bad, "-t"])
    expect_eq(done.returncode, 78, f"-t of a bad file: {done.stderr!r}")
    for want in (f"{bad}:3: user cannot be given in a site block",
                 f"{bad}:5: '}}' closes no site block",
                 f"{bad}:6: site name 'a.test' is already given at line 2",
                 f"{bad}:6: the site block is not closed"):
        expect(want in done.stderr, f"no {want!r} in {done.stderr!r}")


@test
def list_directives_says_which_are_per_site():
    done = run_cli(["--list-directives"])
    table = dict(line.split("\t")[0::3] for line in done.stdout.splitlines())
    for name in ("root", "index", "listing", "add_header", "error_page", "redirect",
                 "charset", "hidden_files", "follow_symlinks", "default_type",
                 "precompressed"):
        expect_eq(table.get(name), "site", f"--list-directives: {name}")
    for name in ("listen", "user", "workers", "access_log", "mime_types"):
        expect_eq(table.get(name), "server", f"--list-directives: {name}")


def reload(s):
    """SIGHUP, then the log line that says how it went."""
    before = len(s.stderr_text())
    os.kill(s.pid, signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = s.stderr_text()[before:]
        if "configuration reloaded" in text or "reload failed" in text:
            return text
        time.sleep(0.02)
    raise Failure(f"no reload line within 5 s: {s.stderr_text()[before:]!r}")


@test(timeout=30)
def reload_changes_a_site_and_a_bad_block_changes_nothing():
    tree = Sites()  # a server of its own: the reloads change its configuration
    s = harness.Server(args=("-c", tree.conf)).start()
    harness.at_end(s.stop)
    tree.write("a2/index.html", b"<p>" + MARKERS["a"] + b" release two</p>\n")

    tree.write_conf(tree.config_text(a_root="a2"))
    expect("configuration reloaded" in reload(s), "the reload of a changed site failed")
    reply = ask("a.test", "/", port=s.port)
    expect(b"release two" in reply.body, f"a.test after the reload: {reply!r}")

    tree.write_conf(tree.config_text(a_root="a", extra="site c.test {\n  root /x\n"))
    text = reload(s)
    expect("reload failed" in text, f"a bad site block was accepted: {text!r}")
    expect(re.search(r"switchboard\.conf:\d+: the site block is not closed", text),
           f"the reload's error names the line: {text!r}")
    reply = ask("a.test", "/", port=s.port)
    expect(b"release two" in reply.body, f"a.test after a failed reload: {reply!r}")
    reply = ask("x.b.test", "/b-only.txt", port=s.port)
    expect_eq(site_of(reply), "b", "b after a failed reload")
    reply = ask("c.test", "/default-only.txt", port=s.port)
    expect_eq(site_of(reply), "default", "c.test is not a site after a failed reload")

    # A site whose root is missing fails the whole reload: all sites or none.
    tree.write_conf(tree.config_text(a_root="a", extra="site c.test {\n  root /nonexistent\n}\n"))
    text = reload(s)
    expect("reload failed" in text, f"a site with a missing root was accepted: {text!r}")
    reply = ask("a.test", "/", port=s.port)
    expect(b"release two" in reply.body, f"a.test after a failed reload: {reply!r}")


if __name__ == "__main__":
    harness.main(budget=150.0)
