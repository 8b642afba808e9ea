"""Running switchboard as a service: the config file, -t, SIGHUP reload, the
access log, SIGUSR1 log reopening, graceful SIGTERM, the privilege drop and
daemon mode with a pidfile.

Run as `$PYTHON tests/integration/test_daemon.py` with SWITCHBOARD set (and
SB_SRCDIR for the shipped configuration). Started as root, the server drops
to nobody/nogroup: every directory it serves, reads a config from on reload,
or creates a file in after the drop is made accessible to that user.
"""

import calendar
import functools
import grp
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (  # noqa: E402
    Client, DocRoot, Failure, Server, Skip, expect, expect_eq, expect_status, fetch, run_cli,
    test,
)

CONFIG_EXIT = 78  # EX_CONFIG
USAGE_EXIT = 64  # EX_USAGE
IS_ROOT = os.geteuid() == 0
PAGE = b"switchboard daemon tests: a page of text\n"
BIG_SIZE = 50 * 1024 * 1024
URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)/")

# The Combined Log Format, strictly (the fields are checked one by one).
CLF_RE = re.compile(
    r'^(\S+) - - \[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] '
    r'"((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$')


# ---------------------------------------------------------------- private helpers


def tempdir(prefix, mode=0o755):
    """A temporary directory removed at the end, with the given mode."""
    path = tempfile.mkdtemp(prefix=f"switchboard-daemon-{prefix}-")
    harness.at_end(lambda: shutil.rmtree(path, ignore_errors=True))
    os.chmod(path, mode)
    return path


def quoted(value):
    """A config-file value in double quotes (\\ and \" escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_conf(path, text):
    """Write a config file readable by the unprivileged user (reload re-reads it)."""
    tmp = path + ".writing"
    with open(tmp, "w") as out:
        out.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)  # a reload never sees half a file
    return path


def conf_in(directory, text, name="switchboard.conf"):
    return write_conf(os.path.join(directory, name), text)


def conf_server(conf, args=(), listen=()):
    """A server configured by a file (its listen directive, unless listen= says)."""
    return Server(listen=listen, args=["-c", conf, *args])


@functools.lru_cache(maxsize=None)
def site():
    """A docroot with a small page and, lazily, nothing else."""
    root = DocRoot("switchboard-daemon-site-")
    root.write("page.txt", PAGE)
    root.write("which.txt", b"A\n")
    return root


@functools.lru_cache(maxsize=None)
def big_site():
    """A docroot with a 50 MiB file of random bytes (and its digest)."""
    root = DocRoot("switchboard-daemon-big-")
    data = os.urandom(BIG_SIZE)
    root.write("big.bin", data)
    root.write("which.txt", b"A\n")
    return root, hashlib.sha256(data).hexdigest()


def other_site(marker=b"B\n"):
    root = DocRoot("switchboard-daemon-other-")
    root.write("which.txt", marker)
    return root


def wait_for(predicate, timeout, interval=0.02):
    """Poll until predicate() is truthy; return its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def signal_and_wait_log(server, sig, patterns, timeout=5.0):
    """Send sig, then wait for one of the patterns in stderr written after it.

    Returns the stderr text written since the signal was sent."""
    before = len(server.stderr_text())
    server.proc.send_signal(sig)

    def new_text():
        text = server.stderr_text()[before:]
        return text if any(re.search(p, text) for p in patterns) else None

    text = wait_for(new_text, timeout)
    if text is None:
        raise Failure(f"after signal {sig} no line matching {patterns!r} within {timeout} s; "
                      f"stderr since: {server.stderr_text()[before:][-600:]!r}")
    return text


def reload(server):
    """SIGHUP, then the log lines of the reload (success or failure)."""
    return signal_and_wait_log(server, signal.SIGHUP,
                               [r"configuration reloaded", r"reload failed"])


def expect_which(port, want, what):
    reply = fetch(port, "/which.txt")
    expect_status(reply, 200, f"{what}: GET /which.txt")
    expect_eq(reply.body, want, f"{what}: body of /which.txt")


def connection_refused(port):
    try:
        with socket.create_connection((harness.HOST, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


class Download(threading.Thread):
    """A GET of a large file read at a bounded, slow-ish pace in a thread."""

    def __init__(self, port, target, pause=0.002, chunk=32768):
        super().__init__(daemon=True)
        self.target = target
        self.client = Client(port, timeout=40.0, recv_size=chunk, recv_pause=pause)
        self.reply = None
        self.error = None
        self.finished_at = None

    def run(self):
        try:
            self.reply = self.client.get(self.target, keep_body=False)
        except BaseException as exc:  # reported by check()
            self.error = exc
        finally:
            self.finished_at = time.monotonic()
            self.client.close()

    def wait_progress(self, nbytes, timeout=10.0):
        if not wait_for(lambda: self.client.received >= nbytes or not self.is_alive(), timeout):
            raise Failure(f"download of {self.target} did not reach {nbytes} bytes in {timeout} s")
        expect(self.is_alive(), f"download of {self.target} ended early: "
               f"{self.error!r} / {self.reply!r}")

    def check(self, size, digest, timeout=30.0):
        self.join(timeout)
        expect(not self.is_alive(), f"download of {self.target} still running after {timeout} s "
               f"({self.client.received} bytes received)")
        if self.error is not None:
            raise Failure(f"download of {self.target} failed after {self.client.received} bytes: "
                          f"{self.error}")
        expect_status(self.reply, 200, f"download of {self.target}")
        expect_eq(self.reply.length, size, f"bytes of {self.target} downloaded")
        expect(self.reply.sha256 == digest, f"download of {self.target}: content differs")


def status_ids(pid):
    """(uids, gids, groups) from /proc/PID/status."""
    uids = gids = groups = None
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key == "Uid":
                uids = [int(v) for v in value.split()]
            elif key == "Gid":
                gids = [int(v) for v in value.split()]
            elif key == "Groups":
                groups = [int(v) for v in value.split()]
    return uids, gids, groups


def proc_field(pid, key):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name == key:
                return value.strip()
    return None


def process_gone(pid):
    """True when pid has exited (gone, or a zombie not yet reaped by its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def ancestors_of_self():
    """The pids of this process and of every ancestor up to 1."""
    pids = []
    pid = os.getpid()
    while pid > 0 and pid not in pids:
        pids.append(pid)
        try:
            pid = int(proc_field(pid, "PPid") or 0)
        except OSError:
            break
    return pids


def require_root():
    if not IS_ROOT:
        raise Skip("not running as root: no privileges to drop")


def unprivileged_ids():
    """nobody's uid and nogroup's gid (the defaults), or Skip."""
    try:
        return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    except KeyError as exc:
        raise Skip(f"no user nobody / group nogroup here: {exc}") from None


def read_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("latin-1").splitlines()
    except FileNotFoundError:
        return []


def wait_log_lines(path, count, timeout=3.0):
    """The lines of path once it has at least count of them (or what it has at the end)."""
    wait_for(lambda: len(read_lines(path)) >= count, timeout)
    time.sleep(0.05)  # a line too many would show now
    return read_lines(path)


# ---------------------------------------------------------------- 1. config file


@test
def config_file_comments_and_quoted_values():
    base = tempdir("conf")
    root = os.path.join(base, 'site #1 "q"')
    os.mkdir(root)
    os.chmod(root, 0o755)
    for name, data in (("start page.html", b"<p>start page</p>\n"), ("data.zzqq", PAGE)):
        with open(os.path.join(root, name), "wb") as out:
            out.write(data)
        os.chmod(os.path.join(root, name), 0o644)
    conf = conf_in(base, "\n".join([
        "# switchboard test configuration",
        "   # an indented comment",
        "",
        "listen 127.0.0.1:0   # a trailing comment",
        f"root {quoted(root)}",
        'index "start page.html" index.html',
        "default_type text/x-from-file # the type of unknown extensions",
        "\tkeepalive_timeout\t20s",
        "",
    ]))
    with conf_server(conf) as server:
        reply = fetch(server.port, "/")
        expect_status(reply, 200, "GET / (index \"start page.html\" from a quoted value)")
        expect_eq(reply.body, b"<p>start page</p>\n", "body of /")
        reply = fetch(server.port, "/data.zzqq")
        expect_status(reply, 200, "GET /data.zzqq from a root with '#' and '\"' in its name")
        expect_eq(reply.body, PAGE, "body of /data.zzqq")
        expect_eq(reply.media_type(), "text/x-from-file", "Content-Type from default_type")


@test
def command_line_overrides_file():
    a, b = site(), other_site()
    base = tempdir("precedence")
    file_port = harness.free_port()
    conf = conf_in(base, f"listen 127.0.0.1:{file_port}\nroot {quoted(a.root)}\n"
                         "default_type text/x-from-file\n")
    server = Server(root=b.root, args=["-c", conf])  # --listen 127.0.0.1:0 ... --root B
    with server:
        expect_eq(len(server.addresses), 1, f"addresses announced in {server.startup_line!r}")
        expect(server.port != file_port,
               f"the file's listen 127.0.0.1:{file_port} was used, not --listen 127.0.0.1:0")
        expect(connection_refused(file_port),
               f"something listens on the file's port {file_port}: "
               "--listen should have replaced the file's listen")
        expect_which(server.port, b"B\n", "--root B over the file's root A")
        expect_status(fetch(server.port, "/page.txt"), 404, "GET /page.txt (only in root A)")


@test
def file_overrides_defaults():
    a = site()
    base = tempdir("defaults")
    conf = conf_in(base, f"listen 127.0.0.1:0\nroot {quoted(a.root)}\n"
                         "default_type text/x-from-file\n")
    a.write("unknown.zzqq", b"x\n")
    with conf_server(conf) as server:
        reply = fetch(server.port, "/unknown.zzqq")
        expect_status(reply, 200, "GET /unknown.zzqq")
        expect_eq(reply.media_type(), "text/x-from-file", "default_type set by the file")
        expect_eq(fetch(server.port, "/page.txt").body, PAGE, "root set by the file")


# ---------------------------------------------------------------- 2. -t


@test
def test_mode_good_config_touches_nothing():
    base = tempdir("t-good", 0o777)
    confdir = tempdir("t-good-conf")
    with socket.socket() as taken:
        taken.bind((harness.HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        conf = conf_in(confdir, "\n".join([
            f"listen 127.0.0.1:{port}",
            f"root {quoted(site().root)}",
            f"access_log {quoted(os.path.join(base, 'access.log'))}",
            f"error_log {quoted(os.path.join(base, 'error.log'))}",
            f"pidfile {quoted(os.path.join(base, 'switchboard.pid'))}",
            "keepalive off",
            "",
        ]))
        done = run_cli(["-t", "-c", conf], cwd=base)
    expect_eq(done.returncode, 0, f"exit status of -t (stderr {done.stderr!r})")
    expect_eq(done.stdout.strip(), "configuration OK", "stdout of -t")
    expect_eq(sorted(os.listdir(base)), [], "files created by -t in the log directory")
    expect_eq(sorted(os.listdir(confdir)), ["switchboard.conf"], "files next to the config")


BAD_CONFIGS = {
    # name: (lines, [(line number, regex of the message)])
    "unknown_directive": (
        ["listen 127.0.0.1:0", "lisen 127.0.0.1:0"],
        [(2, r"unknown directive 'lisen'; did you mean 'listen'\?")]),
    "invalid_port": (
        ["listen 127.0.0.1:80x"],
        [(1, r"invalid port '80x'")]),
    "bad_duration": (
        ["listen 127.0.0.1:0", "# comment", "keepalive_timeout 10x"],
        [(3, r"invalid duration '10x'")]),
    "bad_on_off": (
        ["keepalive yes"],
        [(1, r"'yes'.*keepalive.*on or off")]),
    "duplicate_root": (
        ["root /tmp", "listen 127.0.0.1:0", "root /tmp"],
        [(3, r"root is already set at line 1")]),
    "unterminated_quote": (
        ["listen 127.0.0.1:0", 'root "/tmp'],
        [(2, r"unterminated")]),
    "nonexistent_root": (
        ["listen 127.0.0.1:0", "", "root /nonexistent"],
        [(3, r"root '/nonexistent': no such directory")]),
    "several_errors": (
        ["lisen 127.0.0.1:0", "listen 127.0.0.1:80x", "keepalive maybe", "# fine",
         "header_timeout 5parsecs", 'index "never closed'],
        [(1, r"did you mean 'listen'"), (2, r"invalid port '80x'"), (3, r"'maybe'"),
         (5, r"invalid duration '5parsecs'"), (6, r"unterminated")]),
}


def check_bad_config(lines, wanted):
    base = tempdir("t-bad")
    conf = conf_in(base, "\n".join(lines) + "\n", "bad.conf")
    done = run_cli(["-t", "-c", conf], cwd=base)
    expect_eq(done.returncode, CONFIG_EXIT, f"exit status of -t (stderr {done.stderr!r})")
    expect("configuration OK" not in done.stdout, f"-t said OK: {done.stdout!r}")
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    for lineno, pattern in wanted:
        prefix = f"{conf}:{lineno}: "
        expect(any(line.startswith(prefix) and re.search(pattern, line[len(prefix):])
                   for line in errors),
               f"no stderr line '{prefix}' matching {pattern!r}; stderr: {done.stderr!r}")
    for line in errors:
        match = re.match(re.escape(conf) + r":(\d+): ", line)
        expect(match, f"stderr line not of the form FILE:LINE: message: {line!r}")
        expect(int(match.group(1)) in {n for n, _ in wanted},
               f"error reported for an unexpected line: {line!r}")
    # The same file makes a real start fail the same way, before binding anything.
    done = run_cli(["-c", conf, "--listen", "127.0.0.1:0"], timeout=10, cwd=base)
    expect_eq(done.returncode, CONFIG_EXIT, f"exit status of a start (stderr {done.stderr!r})")


for _name, (_lines, _wanted) in BAD_CONFIGS.items():
    harness.add_test(f"test_mode_{_name}", functools.partial(check_bad_config, _lines, _wanted))


@test
def command_line_errors_exit_64():
    base = tempdir("cli")
    conf = conf_in(base, f"listen 127.0.0.1:0\nroot {quoted(site().root)}\n")
    for args in (["-t", "-c", conf, "--listen", "127.0.0.1:80x"],
                 ["-t", "-c", conf, "--keepalive-timeout", "soon"],
                 ["-t", "-c", conf, "--no-such-option"],
                 ["-t", "-c", conf, site().root, "extra-argument"],
                 ["-t", "-c"]):
        done = run_cli(args, cwd=base)
        expect_eq(done.returncode, USAGE_EXIT, f"exit status of {args} (stderr {done.stderr!r})")
        expect("configuration OK" not in done.stdout, f"{args}: said OK")


# ---------------------------------------------------------------- 3. SIGHUP reload


@test(timeout=40)
def reload_new_root_during_download():
    old, digest = big_site()
    new = other_site()
    base = tempdir("reload-root")
    conf = conf_in(base, f"listen 127.0.0.1:0\nroot {quoted(old.root)}\n")
    with conf_server(conf) as server:
        expect_which(server.port, b"A\n", "before the reload")
        download = Download(server.port, "/big.bin")
        download.start()
        try:
            download.wait_progress(1 << 20)
            conf_in(base, f"listen 127.0.0.1:0\nroot {quoted(new.root)}\n")
            text = reload(server)
            expect("configuration reloaded" in text, f"reload did not succeed: {text!r}")
            expect_which(server.port, b"B\n", "after the reload")
            expect_status(fetch(server.port, "/big.bin"), 404,
                          "GET /big.bin after the reload (not in the new root)")
            expect(download.is_alive(),
                   "test invalid: the download ended before the reload was checked")
        finally:
            download.check(BIG_SIZE, digest)
        expect(server.alive(), "server died")


@test
def reload_syntax_error_keeps_old_config():
    a = site()
    base = tempdir("reload-syntax")
    good = f"listen 127.0.0.1:0\nroot {quoted(a.root)}\n"
    conf = conf_in(base, good)
    with conf_server(conf) as server:
        expect_which(server.port, b"A\n", "before the reload")
        conf_in(base, f"listen 127.0.0.1:0\n# a comment\nroot {quoted(other_site().root)}\n"
                      "keepalive_timeout 5parsecs\n")
        text = reload(server)
        expect("reload failed" in text, f"a broken config was accepted: {text!r}")
        expect(re.search(re.escape(conf) + r":4: .*5parsecs", text),
               f"no '{conf}:4: ...' message about the bad duration in {text!r}")
        expect(server.alive(), "server died on a broken reload")
        expect_which(server.port, b"A\n", "after a failed reload")
        # Fixed again, the next reload works.
        conf_in(base, good)
        expect("configuration reloaded" in reload(server), "reload of the fixed config failed")
        expect_which(server.port, b"A\n", "after the fixed reload")


@test
def reload_missing_root_keeps_old_config():
    a = site()
    base = tempdir("reload-noroot")
    missing = os.path.join(base, "no-such-root")
    conf = conf_in(base, f"listen 127.0.0.1:0\nroot {quoted(a.root)}\n")
    with conf_server(conf) as server:
        conf_in(base, f"listen 127.0.0.1:0\n\nroot {quoted(missing)}\n")
        text = reload(server)
        expect("reload failed" in text, f"a missing root was accepted: {text!r}")
        expect(server.alive(), "server died on a reload with a missing root")
        expect_which(server.port, b"A\n", "after a failed reload")
        expect(re.search(re.escape(f"{conf}:3: ") + r".*" + re.escape(missing), text),
               f"the error does not say '{conf}:3: ... {missing} ...' (FILE:LINE of root): "
               f"{text!r}")


@test
def reload_listen_change_needs_restart():
    a = site()
    base = tempdir("reload-listen")
    conf = conf_in(base, f"listen 127.0.0.1:0\nroot {quoted(a.root)}\n")
    with conf_server(conf) as server:
        new_port = harness.free_port()
        conf_in(base, f"listen 127.0.0.1:{new_port}\nroot {quoted(a.root)}\n")
        text = reload(server)
        expect(re.search(r"listen.*restart", text),
               f"no log line saying the listen change needs a restart: {text!r}")
        expect(server.alive(), "server died")
        expect_which(server.port, b"A\n", "on the old address after the reload")
        expect(connection_refused(new_port), f"the new port {new_port} was bound by a reload")


@test(timeout=25)
def reload_timeouts_apply_to_new_connections():
    a = site()
    base = tempdir("reload-timeouts")
    head = f"listen 127.0.0.1:0\nroot {quoted(a.root)}\n"
    conf = conf_in(base, head + "keepalive_timeout 30s\nheader_timeout 30s\n")
    with conf_server(conf) as server:
        with Client(server.port) as before:
            expect_status(before.get("/page.txt"), 200, "GET before the reload")
            expect(not before.is_closed_by_peer(1.5),
                   "idle connection closed within 1.5 s with keepalive_timeout 30s")
        conf_in(base, head + "keepalive_timeout 1s\nheader_timeout 1s\n")
        text = reload(server)
        expect("configuration reloaded" in text, f"reload failed: {text!r}")
        idle = Client(server.port)
        slow = harness.connect(server.port)
        try:
            expect_status(idle.get("/page.txt"), 200, "GET after the reload")
            start = time.monotonic()
            slow.sendall(b"GET /page.txt HTTP/1.1\r\n")  # and no more of the head
            results = {}

            def watch(name, sock):
                results[name] = harness.wait_closed(sock, 5.0)

            watchers = [threading.Thread(target=watch, args=(n, s), daemon=True)
                        for n, s in (("keepalive", idle.sock), ("header", slow))]
            for w in watchers:
                w.start()
            for w in watchers:
                w.join(8)
            for name, limit in (("keepalive", 2.5), ("header", 2.5)):
                how, data, took = results.get(name, ("timeout", b"", time.monotonic() - start))
                expect(how != "timeout",
                       f"{name}_timeout 1s after reload: connection still open after 5 s")
                expect(0.5 <= took <= limit,
                       f"{name}_timeout 1s after reload: closed after {took:.2f} s "
                       f"(expected about 1 s)")
                if name == "keepalive":
                    expect(not data, f"bytes sent on an idle connection: {data[:100]!r}")
        finally:
            idle.close()
            slow.close()


# ---------------------------------------------------------------- 4. access log


def parse_log_line(line):
    match = CLF_RE.match(line)
    if not match:
        raise Failure(f"access log line does not match the Combined Log Format: {line!r}")
    return match.groups()


def check_timestamp(stamp, what):
    when = calendar.timegm(time.strptime(stamp, "%d/%b/%Y:%H:%M:%S +0000"))
    expect(abs(when - time.time()) < 30, f"{what}: timestamp [{stamp}] is not now (UTC)")


def bodiless_exchange(port, data, timeout=5.0):
    """Send data on a fresh connection, read one response head (no body expected).

    For 304: harness' strict reader wants a Content-Length on every response,
    which RFC 9110 lets a 304 omit. Returns (status, head bytes)."""
    buf = b""
    deadline = time.monotonic() + timeout
    with harness.connect(port, timeout=timeout) as sock:
        sock.sendall(data)
        while b"\r\n\r\n" not in buf:
            remaining = deadline - time.monotonic()
            expect(remaining > 0, f"no complete response head within {timeout} s: {buf!r}")
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(4096)
            except socket.timeout:
                continue
            expect(chunk, f"connection closed inside the response head: {buf!r}")
            buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
    expect(match, f"bad status line: {head[:100]!r}")
    expect(not rest, f"bytes after a bodiless response head: {rest[:100]!r}")
    return int(match.group(1)), head


def log_server(access_log, root):
    base = tempdir("alog-conf")
    conf = conf_in(base, f"listen 127.0.0.1:0\nroot {quoted(root)}\n"
                         f"access_log {quoted(access_log)}\n")
    return conf_server(conf)


FORGED = '127.0.0.1 - - [01/Jan/2000:00:00:00 +0000] "GET /forged HTTP/1.1" 200 1 "-" "-"'
TRICKS = [
    # A bare CR, a bare LF, a CRLF making a bogus field line, an obs-fold, a
    # request line carrying a CR, an encoded CRLF: none may make a second line.
    b"GET /page.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: x\r" + FORGED.encode() + b"\r\n\r\n",
    b"GET /page.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: x\n" + FORGED.encode() + b"\r\n\r\n",
    b"GET /page.txt HTTP/1.1\r\nHost: x\r\nReferer: x\r\n" + FORGED.encode() + b"\r\n\r\n",
    b"GET /page.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: x\r\n " + FORGED.encode() + b"\r\n\r\n",
    b"GET /page.txt\r" + FORGED.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /x%0d%0a127.0.0.1%20-%20- HTTP/1.1\r\nHost: x\r\n\r\n",
    b'GET /quote"in"target HTTP/1.1\r\nHost: x\r\n\r\n',
]


@test
def access_log_combined_format():
    logdir = tempdir("alog", 0o777)
    path = os.path.join(logdir, "access.log")
    a = site()
    agent = 'q"uote\\back\\slash'
    referer = "http://referer.example/from?x=1&y=2"
    with log_server(path, a.root) as server:
        port = server.port
        expected = []  # (request line, status, bytes, referer, agent)
        r = fetch(port, "/page.txt")
        expect_status(r, 200, "GET /page.txt")
        etag = r.header("etag")
        expected.append(("GET /page.txt HTTP/1.1", "200", str(len(PAGE)), "-", "-"))
        r = fetch(port, "/missing.txt")
        expect_status(r, 404, "GET /missing.txt")
        expected.append(("GET /missing.txt HTTP/1.1", "404", str(r.length) if r.length else "-",
                         "-", "-"))
        expect(etag is not None, "no ETag on /page.txt")
        status, head = bodiless_exchange(port, harness.build_request(
            "/page.txt", headers=[("If-None-Match", etag)]))
        expect_eq(status, 304, f"status of a GET with If-None-Match (head {head!r})")
        expected.append(("GET /page.txt HTTP/1.1", "304", "-", "-", "-"))
        r = fetch(port, "/page.txt", headers=[("Range", "bytes=3-12")])
        expect_status(r, 206, "GET with Range: bytes=3-12")
        expected.append(("GET /page.txt HTTP/1.1", "206", "10", "-", "-"))
        r = fetch(port, "/page.txt", method="HEAD")
        expect_status(r, 200, "HEAD /page.txt")
        expected.append(("HEAD /page.txt HTTP/1.1", "200", "-", "-", "-"))
        r = fetch(port, "/page.txt?from=ref",
                  headers=[("Referer", referer), ("User-Agent", agent)])
        expect_status(r, 200, "GET with a quote and backslashes in User-Agent")
        expected.append(("GET /page.txt?from=ref HTTP/1.1", "200", str(len(PAGE)), referer,
                         'q\\"uote\\\\back\\\\slash'))
        responses = len(expected)
        for raw in TRICKS:
            harness.exchange(port, raw)
            responses += 1
        lines = wait_log_lines(path, responses)
    expect_eq(len(lines), responses, f"access log lines for {responses} responses: {lines!r}")
    for line in lines:
        fields = parse_log_line(line)
        expect_eq(fields[0], "127.0.0.1", f"client of {line!r}")
        check_timestamp(fields[1], line)  # a forged line would carry the year 2000
    for line, (request, status, nbytes, ref, ua) in zip(lines, expected):
        _, _, got_request, got_status, got_bytes, got_ref, got_ua = parse_log_line(line)
        expect_eq(got_request, request, f"request line field of {line!r}")
        expect_eq(got_status, status, f"status field of {line!r}")
        expect_eq(got_bytes, nbytes, f"bytes field of {line!r}")
        expect_eq(got_ref, ref, f"referer field of {line!r}")
        expect_eq(got_ua, ua, f"user-agent field of {line!r}")
    quote_line = lines[len(expected) + len(TRICKS) - 1]
    expect('"GET /quote\\"in\\"target HTTP/1.1"' in quote_line,
           f"the quote in a request target is not escaped: {quote_line!r}")


@test
def access_log_escapes_obs_text_and_refuses_control_bytes():
    # Bytes >= 0x80 (obs-text) are valid in a field value and must be escaped
    # in the log; a control byte such as 0x01 is not valid (RFC 9110 section 5.5):
    # the request is refused with 400 and the agent is not logged.
    logdir = tempdir("alog-ctl", 0o777)
    path = os.path.join(logdir, "access.log")
    with log_server(path, site().root) as server:
        raw = (b'GET /page.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: hi\xff"\\byte\r\n'
               b'Connection: close\r\n\r\n')
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(raw)
            first = recv_all(sock)
        bad = (b'GET /page.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: ctl\x01\r\n\r\n')
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(bad)
            second = recv_all(sock)
        lines = wait_log_lines(path, 2)
    expect(first.startswith(b"HTTP/1.1 200 "), f"obs-text in User-Agent: {first[:40]!r}")
    expect(second.startswith(b"HTTP/1.1 400 "), f"0x01 in User-Agent: {second[:40]!r}")
    expect_eq(len(lines), 2, f"access log lines for 2 responses: {lines!r}")
    fields = parse_log_line(lines[0])
    expect_eq(fields[6], 'hi\\xff\\"\\\\byte', f"user-agent field of {lines[0]!r}")
    expect_eq(parse_log_line(lines[1])[6], "-", f"user-agent of the refused request")


def recv_all(sock):
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


# ---------------------------------------------------------------- 5. SIGUSR1


@test
def sigusr1_reopens_access_log():
    logdir = tempdir("usr1", 0o777)
    path = os.path.join(logdir, "access.log")
    moved = path + ".1"
    with log_server(path, site().root) as server:
        expect_status(fetch(server.port, "/page.txt?n=1"), 200, "first GET")
        expect_eq(len(wait_log_lines(path, 1)), 1, "lines after the first request")
        os.rename(path, moved)
        text = signal_and_wait_log(server, signal.SIGUSR1,
                                   [r"reopened", r"reopening the access log"])
        expect("reopening the access log" not in text, f"reopen failed: {text!r}")
        expect_status(fetch(server.port, "/page.txt?n=2"), 200, "GET after SIGUSR1")
        new_lines = wait_log_lines(path, 1)
        old_lines = read_lines(moved)
    expect_eq(len(new_lines), 1, f"lines in the reopened {path}: {new_lines!r}")
    expect('"GET /page.txt?n=2 HTTP/1.1"' in new_lines[0], f"new file's line: {new_lines[0]!r}")
    expect_eq(len(old_lines), 1, f"lines in the moved file: {old_lines!r}")
    expect('"GET /page.txt?n=1 HTTP/1.1"' in old_lines[0], f"moved file's line: {old_lines!r}")


# ---------------------------------------------------------------- 6. SIGTERM


@test(timeout=30)
def sigterm_lets_download_finish():
    big, digest = big_site()
    server = Server(big.root).start()
    try:
        download = Download(server.port, "/big.bin")
        download.start()
        download.wait_progress(1 << 20)
        server.stop_signal = signal.SIGTERM
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        expect(download.is_alive(), "test invalid: the download ended within 0.3 s of SIGTERM")
        expect(server.alive(), "server exited with a download in flight")
        download.check(BIG_SIZE, digest)
        try:
            status = server.proc.wait(5)
        except subprocess.TimeoutExpired:
            raise Failure("server still running 5 s after the download completed") from None
        expect_eq(status, 0, "exit status after SIGTERM")
    finally:
        server.stop()


@test
def sigterm_with_idle_connections_exits_promptly():
    # No deferral: the silent connection below is then the server's to close.
    server = Server(site().root, args=("--defer-accept", "0")).start()
    clients = []
    try:
        for _ in range(3):
            client = Client(server.port)
            clients.append(client)
            expect_status(client.get("/page.txt"), 200, "GET on a keep-alive connection")
        silent = harness.connect(server.port)  # connected, never sent a byte
        clients.append(Client.adopt(silent))
        time.sleep(0.1)
        start = time.monotonic()
        server.stop_signal = signal.SIGTERM
        server.proc.send_signal(signal.SIGTERM)
        try:
            status = server.proc.wait(5)
        except subprocess.TimeoutExpired:
            raise Failure("server still running 5 s after SIGTERM with only idle "
                          "connections") from None
        took = time.monotonic() - start
        expect_eq(status, 0, "exit status after SIGTERM")
        expect(took < 2.0, f"exit took {took:.2f} s with only idle connections")
        for client in clients:
            expect(client.is_closed_by_peer(1.0), "an idle connection was left open")
    finally:
        for client in clients:
            client.close()
        server.stop()


# ---------------------------------------------------------------- 7. privileges


@test
def privileges_dropped_to_nobody():
    require_root()
    uid, gid = unprivileged_ids()
    root = DocRoot("switchboard-daemon-priv-")
    root.write("page.txt", PAGE)
    root.write("root-only.txt", b"only root may read this\n")
    os.chown(root.path("root-only.txt"), 0, 0)
    os.chmod(root.path("root-only.txt"), 0o600)
    with Server(root.root) as server:
        uids, gids, groups = status_ids(server.pid)
        expect_eq(uids, [uid] * 4, f"Uid line of /proc/{server.pid}/status (nobody = {uid})")
        expect_eq(gids, [gid] * 4, f"Gid line of /proc/{server.pid}/status (nogroup = {gid})")
        expect_eq(groups, [gid], f"Groups line of /proc/{server.pid}/status")
        expect_status(fetch(server.port, "/page.txt"), 200, "GET /page.txt")
        reply = fetch(server.port, "/root-only.txt")
        expect_status(reply, 403, "GET of a 0600 root-owned file")
        expect(b"only root" not in (reply.body or b""), "root-only bytes were served")


def check_stays_root(make_args):
    require_root()
    args = make_args()
    with Server(site().root, args=args) as server:
        uids, _, _ = status_ids(server.pid)
        expect_eq(uids, [0] * 4, f"Uid line with {args}")
        expect_status(fetch(server.port, "/page.txt"), 200, "GET /page.txt")
        text = server.stderr_text()
    expect(re.search(r"warn.*\broot\b", text, re.IGNORECASE),
           f"no warning mentioning root with {args}: {text!r}")


def user_root_conf():
    return ["-c", conf_in(tempdir("user-root"), "user root\n")]


harness.add_test("user_root_option_keeps_root_and_warns",
                 functools.partial(check_stays_root, lambda: ["-u", "root"]))
harness.add_test("user_root_directive_keeps_root_and_warns",
                 functools.partial(check_stays_root, user_root_conf))


@test
def unknown_user_is_a_config_error():
    require_root()
    base = tempdir("user-unknown")
    name = "sb-no-such-user-x9"
    expect_eq(_user_exists(name), False, f"user {name} exists here")
    conf = conf_in(base, f"listen 127.0.0.1:0\nuser {name}\nroot {quoted(site().root)}\n")
    done = run_cli(["-t", "-c", conf], cwd=base)
    expect_eq(done.returncode, CONFIG_EXIT, f"exit status of -t (stderr {done.stderr!r})")
    expect(re.search(re.escape(f"{conf}:2: ") + r".*" + re.escape(name), done.stderr),
           f"no '{conf}:2: ...{name}...' on stderr: {done.stderr!r}")
    done = run_cli(["-c", conf], cwd=base, timeout=10)
    expect_eq(done.returncode, CONFIG_EXIT, f"exit status of a start (stderr {done.stderr!r})")


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


# ---------------------------------------------------------------- 8. daemon mode


@test(timeout=30)
def daemon_mode_with_pidfile():
    base = tempdir("daemon", 0o777)  # nobody removes the pidfile at exit
    pidfile = os.path.join(base, "switchboard.pid")
    errlog = os.path.join(base, "error.log")
    conf = conf_in(base, "\n".join([
        "listen 127.0.0.1:0",
        f"root {quoted(site().root)}",
        f"pidfile {quoted(pidfile)}",
        f"error_log {quoted(errlog)}",
        "",
    ]))
    daemon = {}

    def kill_daemon():
        pid = daemon.get("pid")
        if pid and not process_gone(pid):
            try:
                if os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(harness.SWITCHBOARD):
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    harness.at_end(kill_daemon)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([harness.SWITCHBOARD, "-d", "-c", conf], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
        try:
            status = proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Failure("switchboard -d did not return within 15 s") from None
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    try:
        with open(pidfile) as f:
            content = f.read()
        daemon["pid"] = int(content)
    except (OSError, ValueError):
        content = None
    expect_eq(status, 0, f"exit status of switchboard -d (stderr {stderr!r}, "
                         f"log {''.join(read_lines(errlog)[-5:])!r})")
    # It returned: the server must answer now, with no retry.
    log = "\n".join(read_lines(errlog))
    match = URL_RE.search(log)
    expect(match, f"no start-up line with a URL in {errlog}: {log!r}")
    port = int(match.group(1))
    expect_status(fetch(port, "/page.txt"), 200, "GET right after switchboard -d returned")
    expect(content is not None and re.fullmatch(r"\d+\n", content),
           f"pidfile content {content!r}")
    pid = daemon["pid"]
    expect(pid != proc.pid, "the pidfile holds the pid of the process that was started")
    expect(not process_gone(pid), f"pid {pid} from the pidfile is not running")
    # Under a wrapper (tools/valgrind-check) the process is the wrapper's.
    if not os.environ.get("SB_WRAPPED"):
        expect_eq(os.path.realpath(f"/proc/{pid}/exe"), os.path.realpath(harness.SWITCHBOARD),
                  f"executable of pid {pid}")
    ppid = int(proc_field(pid, "PPid"))
    expect(ppid == 1 or ppid in ancestors_of_self(),
           f"the daemon's parent is {ppid}: neither 1 nor a subreaper above the test")
    expect(f"[{pid}]" in log, f"the error log's lines are not from pid {pid}: {log!r}")
    leftovers = sorted(set(os.listdir(base)) - {"switchboard.conf", "error.log",
                                                "switchboard.pid"})
    expect_eq(leftovers, [], f"stray files next to the pidfile in {base}")
    os.kill(pid, signal.SIGTERM)
    expect(wait_for(lambda: process_gone(pid), 5), f"daemon {pid} still running 5 s after SIGTERM")
    expect(wait_for(lambda: not os.path.exists(pidfile), 1),
           f"pidfile {pidfile} still there after the daemon exited "
           f"(directory mode {oct(os.stat(base).st_mode & 0o777)}); "
           f"log: {read_lines(errlog)[-3:]!r}")
    expect(re.search(r"\bstopped\b", "\n".join(read_lines(errlog))),
           f"the error log does not say it stopped: {read_lines(errlog)[-3:]!r}")
    expect_eq(sorted(os.listdir(base)), ["error.log", "switchboard.conf"],
              f"files left in {base}")


# ---------------------------------------------------------------- 9. directives


def list_directives():
    done = run_cli(["--list-directives"])
    expect_eq(done.returncode, 0, "exit status of --list-directives")
    table = {}
    for line in done.stdout.splitlines():
        # A default of several values has single spaces between them.
        match = re.fullmatch(r"([a-z_]+)\t(\S+(?: \S+)*)\t(reload|restart)\t(?:site|server)",
                             line)
        expect(match, f"--list-directives line not "
                      f"'name<TAB>default<TAB>reload|restart<TAB>site|server': {line!r}")
        name, default, when = match.groups()
        expect(name not in table, f"{name} listed twice")
        table[name] = (default, when)
    return table


@test
def list_directives_names_defaults_and_reload():
    table = list_directives()
    want = {
        "listen": ("127.0.0.1:8080", "restart"), "root": (".", "reload"),
        "user": ("nobody", "restart"), "group": ("nogroup", "restart"),
        "pidfile": ("-", "restart"), "access_log": ("off", "reload"),
        "error_log": ("stderr", "reload"), "header_timeout": ("10s", "reload"),
        "keepalive_timeout": ("15s", "reload"),
    }
    for name, value in want.items():
        expect(name in table, f"{name} missing from --list-directives")
        expect_eq(table[name], value, f"--list-directives entry for {name}")
    # Every default of --help's options agrees with the table.
    help_text = run_cli(["--help"]).stdout
    blocks = re.split(r"\n(?=\s*-)", help_text)
    checked = 0
    for block in blocks:
        option = re.search(r"--([a-z-]+)", block)
        default = re.search(r"\(default ([^,;)\s]+)", block)
        if option and default and option.group(1).replace("-", "_") in table:
            name = option.group(1).replace("-", "_")
            expect_eq(table[name][0], default.group(1), f"default of {name} (--help vs table)")
            checked += 1
    expect(checked >= 5, f"only {checked} defaults found in --help: {help_text!r}")


@test
def list_directives_defaults_parse():
    """Each listed directive, set to its listed default in a file, passes -t."""
    table = list_directives()
    base = tempdir("defaults-parse")
    lines = []
    for name, (default, _) in table.items():
        if default == "-":
            continue
        if name in ("user", "group") and not IS_ROOT:
            continue  # only root may name a user
        if name == "mime_types" and not os.access(default, os.R_OK):
            continue
        lines.append(f"{name} " + " ".join(quoted(value) for value in default.split(" ")))
    conf = conf_in(base, "\n".join(lines) + "\n")
    done = run_cli(["-t", "-c", conf], cwd=base)
    expect_eq((done.returncode, done.stdout.strip()), (0, "configuration OK"),
              f"-t on the defaults written out (stderr {done.stderr!r}); file: {lines!r}")


@test
def shipped_config_is_valid():
    if not harness.SB_SRCDIR:
        raise Skip("SB_SRCDIR is not set")
    path = os.path.join(harness.SB_SRCDIR, "conf", "switchboard.conf")
    if not os.path.isfile(path):
        raise Skip(f"{path} is not present")
    cwd = tempdir("shipped")
    done = run_cli(["-t", "-c", os.path.abspath(path)], cwd=cwd)
    expect_eq(done.returncode, 0, f"exit status of -t on {path} (stderr {done.stderr!r})")
    expect_eq(done.stdout.strip(), "configuration OK", f"stdout of -t on {path}")


if __name__ == "__main__":
    harness.main(budget=85.0)
