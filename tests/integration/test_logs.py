"""The logs under stress: the journal, a syslog daemon that does not read, a
full disk, and rotation after the drop of privileges.

Run as `$PYTHON tests/integration/test_logs.py` with SWITCHBOARD set.

  - journal: when JOURNAL_STREAM names the file that is stderr, every line
    starts with its sd-daemon priority (<3> error, <4> warning, <6> info) and
    carries neither the program's name nor the time; start-up errors and
    reload errors read the same; a journal that does not read does not stop
    the server, its lines are never cut or glued, and the lines it could not
    take are reported once it reads again;
  - syslog: in a private mount namespace, /dev/log is a datagram socket that
    is never read: every request is still answered at once, SIGTERM still
    stops the server, and the error output says that lines were dropped;
    without /dev/log, the server says so when it starts;
  - full disk: in a private mount namespace, the access log lies on a 64 KiB
    tmpfs that fills up: the loss is reported with its count, and once there
    is room again every line of the file is one whole Combined Log Format
    line (none cut, none glued to the next);
  - rotation: started as root, the server drops to nobody; after logrotate
    moved the logs away (and created new ones with the old owner, or not at
    all in a directory of the user's), SIGUSR1 opens the new files: new lines
    go there, none to the old ones, and no "Permission denied".

The namespace and rotation tests need root (CI runs as root); elsewhere they
print SKIP with the reason.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (  # noqa: E402
    DocRoot, Failure, Server, Skip, expect, expect_eq, expect_status, fetch, test,
)

IS_ROOT = os.geteuid() == 0
PAGE = b"switchboard log tests\n"
FILE_BUDGET = 120.0
CLF_RE = re.compile(
    r'^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] '
    r'"GET /page\.txt\?n=\d+ HTTP/1\.1" 200 \d+ "-" "-"$')
DROPPED_RE = re.compile(r"(\d+) log lines? dropped")
SYSLOG_REQUESTS = 300  # past what the daemon's queue holds (dgram_queue_length())
SYSLOG_TIME_LIMIT = 10.0


def tempdir(prefix, mode=0o755):
    path = tempfile.mkdtemp(prefix=f"switchboard-logs-{prefix}-")
    harness.at_end(lambda: shutil.rmtree(path, ignore_errors=True))
    os.chmod(path, mode)
    return path


_site = None


def site():
    global _site
    if _site is None:
        _site = DocRoot("switchboard-logs-site-")
        _site.write("page.txt", PAGE)
    return _site


def write_conf(directory, lines):
    path = os.path.join(directory, "switchboard.conf")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    os.chmod(path, 0o644)
    return path


def wait_for(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def get_page(port, n, timeout=5.0):
    reply = fetch(port, f"/page.txt?n={n}", timeout=timeout)
    expect_status(reply, 200, f"GET /page.txt?n={n}")


def dropped_total(text):
    return sum(int(n) for n in DROPPED_RE.findall(text))


# ---------------------------------------------------------------- private mount namespaces


def require_namespaces():
    """Root, and a private mount namespace we may make; else Skip."""
    if not IS_ROOT:
        raise Skip("needs root: the server must start as root inside a private mount "
                   "namespace (under unshare -r it would be a root that cannot drop "
                   "privileges)")
    if shutil.which("unshare") is None:
        raise Skip("unshare is not installed (Debian: util-linux)")
    done = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise Skip(f"unshare -m is not permitted here: {done.stderr.strip()}")


def in_namespace(server, script, *script_args):
    """Make server start as `sh -c script` in a private mount namespace, with
    script_args as $1..., then exec the server (same pid: unshare execs)."""
    server.argv = ["unshare", "-m", "--propagation", "private", "sh", "-ec",
                   script + '\nshift ' + str(len(script_args)) + '\nexec "$@"',
                   "switchboard-logs", *script_args, *server.argv]
    return server


# /dev seen through an overlay, so that /dev/log can be made or removed
# inside the namespace and nothing changes in the real /dev.
OVERLAY_DEV = """
mount -t overlay overlay -o "lowerdir=/dev,upperdir=$1/upper,workdir=$1/work" /dev
rm -f /dev/log
"""


def overlay_dirs():
    base = tempdir("dev")
    os.mkdir(os.path.join(base, "upper"))
    os.mkdir(os.path.join(base, "work"))
    return base


def start_or_skip(server):
    """Start, turning a failure of the namespace set-up into Skip."""
    try:
        return server.start()
    except harness.ServerError as exc:
        text = server.stderr_text()
        if "mount" in text or "overlay" in text:
            server.died = None  # not the server's fault
            raise Skip(f"cannot set up the mount namespace: {text.strip()[:300]}") from None
        raise


# ---------------------------------------------------------------- 1. the journal


def journal_run(extra_args, stderr_path, env_value=None, wait=None, timeout=10.0):
    """Start the server with stderr on stderr_path and JOURNAL_STREAM naming it
    (or env_value); returns the process (or its exit status with wait=True)."""
    out = open(stderr_path, "ab")
    st = os.fstat(out.fileno())
    env = dict(os.environ)
    env["JOURNAL_STREAM"] = env_value or f"{st.st_dev}:{st.st_ino}"
    try:
        proc = subprocess.Popen([harness.SWITCHBOARD, *extra_args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=out, env=env)
    finally:
        out.close()
    if wait:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Failure(f"{extra_args} did not exit within {timeout} s") from None
    harness.at_end(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
    return proc


def require_own_stderr():
    """The journal tests read every byte of stderr as the server's."""
    if os.environ.get("SB_WRAPPED"):
        raise Skip(f"under {os.environ['SB_WRAPPED']}, whose own messages share stderr")


def user_args():
    return ["--user", pwd.getpwuid(os.geteuid()).pw_name]


def wait_text(path, pattern, timeout=5.0):
    found = wait_for(lambda: re.search(pattern, read_text(path), re.M), timeout)
    expect(found, f"no line matching {pattern!r} in {path}: {read_text(path)[-600:]!r}")
    return found


@test(timeout=30)
def journal_lines_carry_priorities_and_no_name_or_time():
    require_own_stderr()
    base = tempdir("journal")
    stderr_path = os.path.join(base, "stderr")
    conf = write_conf(base, ["listen 127.0.0.1:0", f'root "{site().root}"'])
    proc = journal_run(["-c", conf, *user_args()], stderr_path)
    try:
        match = wait_text(stderr_path, r"http://127\.0\.0\.1:(\d+)/")
        port = int(match.group(1))
        get_page(port, 1)
        # A reload that fails: the configuration errors, then the failure.
        with open(conf, "a") as out:
            out.write("no_such_directive 1\n")
        proc.send_signal(signal.SIGHUP)
        wait_text(stderr_path, r"reload failed")
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    expect_eq(status, 0, "exit status after SIGTERM")
    lines = read_text(stderr_path).splitlines()
    expect(lines, "nothing on stderr")
    for line in lines:
        expect(re.match(r"<[3467]>", line), f"line without a priority prefix: {line!r}")
        expect(not line[3:].startswith("switchboard:"), f"the journal adds the name: {line!r}")
        expect(not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", line),
               f"the journal adds the time: {line!r}")
    text = "\n".join(lines)
    expect(re.search(r"^<6>switchboard \S+ serving ", text, re.M), f"start-up line: {text!r}")
    reload_error = re.search(r"^<3>error: " + re.escape(conf) + r":3: .*no_such_directive.*$",
                             text, re.M)
    expect(reload_error, f"no '<3>error: {conf}:3: ...' line for the reload: {text!r}")
    expect(re.search(r"^<3>error: reload failed", text, re.M), f"reload failure: {text!r}")
    expect(re.search(r"^<6>stopped$", text, re.M), f"no '<6>stopped' line: {text!r}")

    # The same file at a start: the same line, as an error.
    start_path = os.path.join(base, "start-stderr")
    status = journal_run(["-c", conf, *user_args()], start_path, wait=True)
    expect_eq(status, 78, f"exit status of a start with a bad file ({read_text(start_path)!r})")
    start_lines = read_text(start_path).splitlines()
    expect_eq(start_lines, [reload_error.group(0)],
              "a start-up configuration error reads as the same error in a reload")


@test
def journal_stream_of_another_file_is_ignored():
    base = tempdir("journal-other")
    stderr_path = os.path.join(base, "stderr")
    other = os.path.join(base, "other")
    open(other, "w").close()
    st = os.stat(other)
    conf = write_conf(base, ["no_such_directive 1"])
    status = journal_run(["-c", conf], stderr_path, env_value=f"{st.st_dev}:{st.st_ino}",
                         wait=True)
    expect_eq(status, 78, "exit status of a start with a bad file")
    text = read_text(stderr_path)
    expect(re.fullmatch(r"switchboard: error: " + re.escape(conf) + r":1: .*\n", text),
           f"stderr that is not the journal gets plain lines: {text!r}")


class StalledJournal:
    """A journal stream (a stream socket named by JOURNAL_STREAM) that is
    read only when told to; its sending end is the server's stderr."""

    def __init__(self):
        self.ours, self.theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        harness.at_end(self.ours.close)
        harness.at_end(self.theirs.close)
        self.theirs.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        st = os.fstat(self.theirs.fileno())
        self.value = f"{st.st_dev}:{st.st_ino}"
        self.data = b""

    def read_until(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.data):
            left = deadline - time.monotonic()
            expect(left > 0, f"no {pattern!r} from the server: {self.data[-400:]!r}")
            self.ours.settimeout(left)
            try:
                chunk = self.ours.recv(65536)
            except socket.timeout:
                continue
            expect(chunk, f"stderr closed before {pattern!r}: {self.data[-400:]!r}")
            self.data += chunk
        return re.search(pattern, self.data)

    def drain(self):
        """Read everything until the server's end is closed (in a thread)."""
        import threading

        def run():
            self.ours.settimeout(15)
            try:
                while True:
                    chunk = self.ours.recv(65536)
                    if not chunk:
                        return
                    self.data += chunk
            except OSError:
                return
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread


@test(timeout=40)
def journal_that_does_not_read_never_stops_the_server():
    require_own_stderr()
    journal = StalledJournal()
    base = tempdir("journal-stalled")
    conf = write_conf(base, [f'root "{site().root}"'])
    port = harness.free_port()
    env = dict(os.environ, JOURNAL_STREAM=journal.value)
    proc = subprocess.Popen(
        [harness.SWITCHBOARD, "-c", conf, "--listen", f"127.0.0.1:{port}", *user_args()],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=journal.theirs.fileno(),
        env=env)
    harness.at_end(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
    journal.theirs.close()  # the server holds it now
    journal.read_until(rb"<6>switchboard \S+ serving ", 10)
    # No more reading: every reload says two or three lines.
    for _ in range(150):
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.004)
    time.sleep(0.2)
    expect(proc.poll() is None, f"the server exited with {proc.returncode}")
    began = time.monotonic()
    get_page(port, 1, timeout=3.0)
    took = time.monotonic() - began
    expect(took < 1.0, f"a request took {took:.2f} s while the journal did not read")
    reader = journal.drain()
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(3)
    except subprocess.TimeoutExpired:
        raise Failure("SIGTERM did not stop the server within 3 s") from None
    expect_eq(status, 0, "exit status after SIGTERM")
    reader.join(10)
    text = journal.data.decode("utf-8", "replace")
    lines = text.splitlines()
    for line in lines:
        expect(re.match(r"<[3467]>", line) and not re.search(r"<[3467]>", line[3:]),
               f"a cut or glued line: {line!r}")
    expect(text.endswith("\n"), f"the last line is cut: {text[-200:]!r}")
    expect(re.search(r"^<4>warning: error log: \d+ log lines? dropped: standard error not "
                     r"reading$", text, re.M),
           f"no report of the lines the journal did not take: {text[-800:]!r}")
    expect(re.search(r"^<6>stopped$", text, re.M), f"no '<6>stopped': {text[-400:]!r}")


# ---------------------------------------------------------------- 2. syslog that does not read


def dgram_queue_length():
    """How many datagrams a Unix socket queues before a sender must wait: 10
    by default, 512 on a host whose systemd sets net.unix.max_dgram_qlen."""
    try:
        with open("/proc/sys/net/unix/max_dgram_qlen") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 10


@test(timeout=45)
def syslog_that_does_not_read_never_stops_the_server():
    require_namespaces()
    dev = overlay_dirs()
    sock_path = os.path.join(tempdir("syslog"), "log")
    daemon = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    harness.at_end(daemon.close)
    daemon.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    daemon.bind(sock_path)  # and never read
    os.chmod(sock_path, 0o666)
    base = tempdir("syslog-conf")
    conf = write_conf(base, ["access_log syslog", "error_log stderr"])
    server = in_namespace(Server(site().root, args=["-c", conf]),
                          OVERLAY_DEV + 'touch /dev/log\nmount --bind "$2" /dev/log', dev,
                          sock_path)
    start_or_skip(server)
    queued = dgram_queue_length()
    requests = SYSLOG_REQUESTS + queued
    start = time.monotonic()
    slowest = 0.0
    for n in range(requests):
        began = time.monotonic()
        get_page(server.port, n, timeout=3.0)
        slowest = max(slowest, time.monotonic() - began)
    took = time.monotonic() - start
    expect(took < SYSLOG_TIME_LIMIT,
           f"{requests} requests took {took:.1f} s (slowest {slowest:.2f} s)")
    began = time.monotonic()
    server.stop(signal.SIGTERM, timeout=5.0)
    stopping = time.monotonic() - began
    expect(stopping < 3.0, f"SIGTERM took {stopping:.1f} s to stop the server")
    text = server.stderr_text()
    expect_eq(server.proc.returncode, 0, f"exit status after SIGTERM; stderr {text[-400:]!r}")
    expect(re.search(r"access log: \d+ log lines? dropped: syslog not reading", text),
           f"the error output does not report the dropped lines: {text[-800:]!r}")
    # Whatever was not reported at once is reported when the log closes.
    expect(dropped_total(text) >= requests - queued - 20,
           f"dropped lines reported: {dropped_total(text)} of {requests} lines "
           f"(the daemon's queue holds {queued}): {text[-800:]!r}")


@test(timeout=30)
def syslog_without_dev_log_is_told_at_start():
    require_namespaces()
    dev = overlay_dirs()
    base = tempdir("nosyslog-conf")
    conf = write_conf(base, ["access_log syslog", "error_log stderr"])
    server = in_namespace(Server(site().root, args=["-c", conf]), OVERLAY_DEV, dev)
    start_or_skip(server)
    get_page(server.port, 1)
    server.stop()
    text = server.stderr_text()
    expect(re.search(r"warning: access log: syslog: no daemon listens at /dev/log", text),
           f"no warning about the missing /dev/log: {text!r}")
    expect(re.search(r"access log: 1 log line dropped: no syslog daemon", text),
           f"the line lost for want of a daemon is not reported: {text!r}")


# ---------------------------------------------------------------- 3. a full disk


def fill(path):
    """Write to path until the file system is full; return the bytes written."""
    written = 0
    chunk = b"f" * 512
    with open(path, "wb", buffering=0) as out:
        while True:
            try:
                n = out.write(chunk)
            except OSError:
                return written
            if not n:
                return written
            written += n


@test(timeout=60)
def full_disk_loses_whole_lines_and_says_so():
    require_namespaces()
    logdir = tempdir("tmpfs")
    access = os.path.join(logdir, "access.log")
    base = tempdir("tmpfs-conf")
    conf = write_conf(base, [f'access_log "{access}"', "error_log stderr"])
    server = in_namespace(Server(site().root, args=["-c", conf]),
                          'mount -t tmpfs -o size=64k,mode=0755 tmpfs "$1"', logdir)
    start_or_skip(server)
    # The server's view of the tmpfs (our own view is the empty directory).
    inside = f"/proc/{server.pid}/root{logdir}"
    port = server.port
    requests = 0

    def request():
        nonlocal requests
        requests += 1
        get_page(port, requests)

    request()  # the log's first page is in use
    expect(wait_for(lambda: read_text(f"{inside}/access.log").count("\n") == 1, 3),
           f"first line not in the log: {read_text(f'{inside}/access.log')!r}")
    filler = f"{inside}/filler"
    expect(fill(filler) > 0, "could not fill the tmpfs")
    for _ in range(80):  # more than the rest of the log's page holds
        request()
    expect(wait_for(lambda: DROPPED_RE.search(server.stderr_text()), 3),
           f"no report of dropped lines: {server.stderr_text()[-600:]!r}")
    os.unlink(filler)
    after = requests
    for _ in range(20):
        request()
    expect(wait_for(lambda: read_text(f"{inside}/access.log").count(f"?n={requests} "), 3),
           f"the last request is not in the log once there was room")
    lines = read_text(f"{inside}/access.log").splitlines()
    server.stop()
    text = server.stderr_text()
    bad = [line for line in lines if not CLF_RE.match(line)]
    expect(not bad, f"{len(bad)} broken line(s) in the access log, e.g. {bad[:2]!r}")
    numbers = [int(re.search(r"\?n=(\d+) ", line).group(1)) for line in lines]
    expect_eq(numbers, sorted(set(numbers)), "requests in the log, in order, each once")
    expect(set(range(after + 1, requests + 1)) <= set(numbers),
           f"requests made once there was room are missing: {numbers[-25:]!r}")
    expect(re.search(r"access log " + re.escape(access) + r": \d+ log lines? dropped: "
                     r"No space left on device", text),
           f"the report does not name the log and the reason: {text[-600:]!r}")
    expect_eq(dropped_total(text) + len(lines), requests,
              f"reported dropped lines + lines in the log ({len(lines)}) vs requests")


# ---------------------------------------------------------------- 4. rotation after the drop


def run_user():
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        raise Skip("no user nobody here") from None
    return user


class RotatedServer:
    """A server started as root, dropping to nobody, with both logs in logdir."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.access = os.path.join(logdir, "access.log")
        self.error = os.path.join(logdir, "error.log")
        self.port = harness.free_port()
        conf = write_conf(tempdir("rotate-conf"), [
            f"listen 127.0.0.1:{self.port}", f'root "{site().root}"',
            f'access_log "{self.access}"', f'error_log "{self.error}"', "user nobody"])
        self.server = Server(listen=(), args=["-c", conf])

    def start(self):
        s = self.server
        s.proc = subprocess.Popen(s.argv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        Server.started.append(s)
        import threading
        s._drainer = threading.Thread(target=s._drain, daemon=True)
        s._drainer.start()
        wait_text(self.error, r"serving .* on http://", 10)
        return self


def rotate(rs, create):
    """Move both logs to .1 as logrotate does, creating new ones when asked
    (with the old files' owner and mode, as logrotate's "create" does)."""
    for path in (rs.access, rs.error):
        os.rename(path, path + ".1")
        if create:
            st = os.stat(path + ".1")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.fchown(fd, st.st_uid, st.st_gid)
            os.fchmod(fd, st.st_mode & 0o777)
            os.close(fd)


def check_rotation(logdir, create):
    user = run_user()
    rs = RotatedServer(logdir).start()
    try:
        get_page(rs.port, 1)
        expect(wait_for(lambda: "?n=1 " in read_text(rs.access), 3), "first line not logged")
        owners = {path: os.stat(path).st_uid for path in (rs.access, rs.error)}
        rotate(rs, create)
        rs.server.proc.send_signal(signal.SIGUSR1)
        both = lambda: read_text(rs.error + ".1") + read_text(rs.error)  # noqa: E731
        said = wait_for(lambda: re.search(r"log files reopened|reopening .*", both()), 5)
        expect(said, f"nothing said about SIGUSR1 in the error logs: {both()[-400:]!r}")
        expect("reopening" not in said.group(0), f"SIGUSR1: {said.group(0)!r}")
        get_page(rs.port, 2)
        expect(wait_for(lambda: "?n=2 " in read_text(rs.access), 3),
               f"the request after SIGUSR1 is not in the new {rs.access}: "
               f"{read_text(rs.access)!r}; error log {read_text(rs.error)!r} "
               f"{read_text(rs.error + '.1')[-300:]!r}")
    finally:
        rs.server.stop()
    old_access = read_text(rs.access + ".1")
    expect("?n=2 " not in old_access, f"the moved access log still gets lines: {old_access!r}")
    expect_eq(read_text(rs.access).count("\n"), 1, f"lines in the new access log")
    errors = read_text(rs.error + ".1") + read_text(rs.error)
    expect("Permission denied" not in errors, f"the error logs say: {errors[-600:]!r}")
    expect("reopened" in read_text(rs.error), f"the new error log: {read_text(rs.error)!r}")
    expect("stopped" not in read_text(rs.error + ".1"),
           f"the moved error log still gets lines: {read_text(rs.error + '.1')[-300:]!r}")
    for path, uid in owners.items():
        expect_eq(uid, user.pw_uid, f"owner of {path} made by the server as root")


@test(timeout=30)
def rotation_with_logrotate_create_after_the_drop():
    if not IS_ROOT:
        raise Skip("needs root: nothing to drop otherwise")
    check_rotation(tempdir("rotate-create"), create=True)


@test(timeout=30)
def rotation_in_a_directory_of_the_user_after_the_drop():
    if not IS_ROOT:
        raise Skip("needs root: nothing to drop otherwise")
    user = run_user()
    logdir = tempdir("rotate-dir")
    os.chown(logdir, user.pw_uid, user.pw_gid)
    check_rotation(logdir, create=False)


if __name__ == "__main__":
    harness.main(FILE_BUDGET)
