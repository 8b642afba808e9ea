"""The supervisor of --workers N, and the operational edges of any server:
what the service manager is told (STATUS= before and after a reload, READY=1
only once every worker serves), the supervisor's own configuration and logs
across SIGHUP and SIGUSR1 (what a respawned worker runs with), a graceful stop
that refuses new connections at once, a start-up that fails when the workers
cannot serve (-d included), workers that do not outlive a killed supervisor,
and a pidfile that a second instance cannot take over.

Run as `$PYTHON tests/integration/test_supervisor.py` with SWITCHBOARD set.
Started as root, the server drops to nobody: every file it reads or creates
after the drop is made accessible to that user.
"""

import errno
import os
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
from harness import DocRoot, Failure, Server, expect, expect_eq, test  # noqa: E402

HOST = harness.HOST
WORKERS = 2
NOTIFY_TIMEOUT = 5.0
URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)/")


# ---------------------------------------------------------------- helpers


def tempdir(prefix, mode=0o755):
    path = tempfile.mkdtemp(prefix=f"switchboard-supervisor-{prefix}-")
    harness.at_end(lambda: shutil.rmtree(path, ignore_errors=True))
    os.chmod(path, mode)
    return path


def write_conf(path, lines):
    tmp = path + ".writing"
    with open(tmp, "w") as out:
        out.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)  # a reload never sees half a file
    return path


def site(label):
    root = DocRoot(f"switchboard-supervisor-{label}-")
    root.write("who.txt", label.encode())
    return root


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def children(pid):
    """The pids whose parent is pid (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def wait_workers(pid, count=WORKERS, timeout=5):
    found = wait_for(lambda: (lambda now: len(now) == count and now)(children(pid)), timeout)
    expect(found, f"{count} workers under {pid}: {children(pid)}")
    return found


def refused(port):
    """True when a connection to port is refused (nothing listens there)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(2)
    try:
        sock.connect((HOST, port))
    except ConnectionRefusedError:
        return True
    except OSError as e:
        return e.errno == errno.ECONNREFUSED
    finally:
        sock.close()
    return False


class NotifyReceiver:
    """The service manager's notification socket: collects every datagram."""

    def __init__(self):
        self.path = os.path.join(tempdir("notify"), "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.messages = []
        self._seen = 0

    def close(self):
        self.sock.close()

    def _receive(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        text = data.decode("utf-8", "replace")
        self.messages.append(dict(line.split("=", 1) for line in text.split("\n")
                                  if "=" in line))
        return True

    def next_with(self, key, value="1", timeout=NOTIFY_TIMEOUT):
        """The next message not yet returned that sets key=value."""
        deadline = time.monotonic() + timeout
        while True:
            while self._seen < len(self.messages):
                fields = self.messages[self._seen]
                self._seen += 1
                if fields.get(key) == value:
                    return fields
            if not self._receive(deadline - time.monotonic()):
                raise Failure(f"no {key}={value} within {timeout:g} s: {self.messages!r}")

    def quiet_for(self, seconds):
        """Every message that arrives within seconds."""
        deadline = time.monotonic() + seconds
        while self._receive(deadline - time.monotonic()):
            pass
        new = self.messages[self._seen:]
        self._seen = len(self.messages)
        return new


def notified_server(rx, args):
    """A Server with NOTIFY_SOCKET pointing at rx."""
    saved = os.environ.get("NOTIFY_SOCKET")
    os.environ["NOTIFY_SOCKET"] = rx.path
    try:
        return Server(listen=(f"{HOST}:0",), args=args).start()
    finally:
        if saved is None:
            del os.environ["NOTIFY_SOCKET"]
        else:
            os.environ["NOTIFY_SOCKET"] = saved


def check_status_across_reloads(workers):
    """READY=1 and STATUS= at start, after a good reload and after a broken one."""
    old, new = site("old"), site("new")
    conf = os.path.join(tempdir("conf"), "switchboard.conf")
    write_conf(conf, [f'root "{old.root}"'])
    rx = NotifyReceiver()
    try:
        server = notified_server(rx, ["-c", conf, "--workers", str(workers)])
        with server:
            started = rx.next_with("READY")["STATUS"]
            address = f"http://{HOST}:{server.port}/"
            expect_eq(started, f"serving {os.path.realpath(old.root)} on {address}",
                      "STATUS= at start")

            write_conf(conf, [f'root "{new.root}"'])
            os.kill(server.pid, signal.SIGHUP)
            rx.next_with("RELOADING")
            reloaded = rx.next_with("READY")["STATUS"]
            expect_eq(reloaded, f"serving {os.path.realpath(new.root)} on {address}",
                      "STATUS= after a reload")
            for _ in range(6):
                expect_eq(harness.fetch(server.port, "/who.txt").body, b"new", "reloaded root")

            write_conf(conf, [f'root "{new.root}"', "no_such_directive on"])
            os.kill(server.pid, signal.SIGHUP)
            rx.next_with("RELOADING")
            failed = rx.next_with("READY")["STATUS"]
            expect(failed.startswith("reload failed (") and "no_such_directive" in failed,
                   f"STATUS= after a broken reload says why: {failed!r}")
            expect(failed.endswith(f"serving {os.path.realpath(new.root)} on {address}"),
                   f"STATUS= after a broken reload keeps the addresses: {failed!r}")
            expect_eq(harness.fetch(server.port, "/who.txt").body, b"new", "root kept")
            starts = [line for line in server.stderr_text().splitlines()
                      if URL_RE.search(line) and "serving" in line]
            expect_eq(len(starts), 1, f"start-up lines in {server.stderr_text()!r}")
    finally:
        rx.close()


# ---------------------------------------------------------------- tests


@test(timeout=20)
def status_after_reload_keeps_the_addresses():
    check_status_across_reloads(1)


@test(timeout=25)
def workers_status_ready_and_reload_results():
    check_status_across_reloads(WORKERS)


@test(timeout=20)
def workers_ready_only_when_all_serve():
    """READY=1 comes once, after every worker said it serves."""
    root = site("ready")
    rx = NotifyReceiver()
    try:
        with notified_server(rx, ["--root", root.root, "--workers", "3"]) as server:
            ready = rx.next_with("READY")
            expect_eq(ready.get("STATUS"), f"serving {os.path.realpath(root.root)} on "
                      f"http://{HOST}:{server.port}/", "STATUS= at start")
            extra = [m for m in rx.quiet_for(0.5) if m.get("READY") == "1"]
            expect_eq(extra, [], "READY=1 more than once at start")
    finally:
        rx.close()


@test(timeout=30)
def respawned_worker_runs_the_current_configuration():
    """After SIGHUP a worker that dies is replaced by one with the new root and
    headers; the supervisor logs to the new error_log."""
    old, new = site("before"), site("after")
    logdir = tempdir("logs", 0o777)
    conf = os.path.join(tempdir("conf"), "switchboard.conf")
    new_log = os.path.join(logdir, "new.log")
    write_conf(conf, [f'root "{old.root}"', "add_header X-Version one"])
    with Server(args=["-c", conf, "--workers", str(WORKERS)]) as server:
        wait_workers(server.pid)
        write_conf(conf, [f'root "{new.root}"', "add_header X-Version two",
                          f'error_log "{new_log}"'])
        os.kill(server.pid, signal.SIGHUP)
        expect(wait_for(lambda: "every worker reloaded" in read_text(new_log), 5),
               f"the supervisor's new error log: {read_text(new_log)!r} "
               f"{server.stderr_text()[-400:]!r}")
        for victim in wait_workers(server.pid):
            os.kill(victim, signal.SIGKILL)
            wait_for(lambda: victim not in children(server.pid)
                     and len(children(server.pid)) == WORKERS, 5)
        wait_workers(server.pid)
        expect(wait_for(lambda: "was killed by signal 9" in read_text(new_log), 3),
               f"the supervisor logs to the new error log: {read_text(new_log)!r}")
        seen = set()
        for _ in range(20):
            reply = harness.fetch(server.port, "/who.txt")
            seen.add((reply.body, reply.header("X-Version")))
        expect_eq(seen, {(b"after", "two")}, "what respawned workers serve")


@test(timeout=30)
def sigusr1_reopens_the_supervisors_logs():
    """Rotated logs: the supervisor and the workers it starts afterwards write
    to the new files."""
    root = site("rotate")
    logdir = tempdir("rotate", 0o777)
    access, error = os.path.join(logdir, "access.log"), os.path.join(logdir, "error.log")
    conf = os.path.join(tempdir("conf"), "switchboard.conf")
    port = harness.free_port()
    write_conf(conf, [f"listen {HOST}:{port}", f'root "{root.root}"',
                      f'access_log "{access}"', f'error_log "{error}"'])
    server = Server(listen=(), args=["-c", conf, "--workers", str(WORKERS)])
    server.proc = subprocess.Popen(server.argv, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        expect(wait_for(lambda: URL_RE.search(read_text(error)), 5),
               f"no start-up line in {error}: {read_text(error)!r}")
        workers = wait_workers(server.proc.pid)
        for path in (access, error):
            os.rename(path, path + ".1")
        server.proc.send_signal(signal.SIGUSR1)
        expect(wait_for(lambda: read_text(error).count("log files reopened") >= WORKERS + 1,
                        5), f"every process reopened: {read_text(error)!r}")
        for victim in workers:
            os.kill(victim, signal.SIGKILL)
            wait_for(lambda: victim not in children(server.proc.pid)
                     and len(children(server.proc.pid)) == WORKERS, 5)
        wait_workers(server.proc.pid)
        for n in range(10):
            harness.fetch(port, f"/who.txt?n={n}")
        expect(wait_for(lambda: read_text(access).count("/who.txt?n=") == 10, 3),
               f"requests in the new access log: {read_text(access)!r}")
        expect("/who.txt?n=" not in read_text(access + ".1"), "the rotated access log")
        expect("was killed by signal 9" in read_text(error),
               f"the supervisor's lines in the new error log: {read_text(error)!r}")
        expect("was killed" not in read_text(error + ".1"), "the rotated error log")
    finally:
        server.proc.send_signal(signal.SIGTERM)
        status = server.proc.wait(10)
    expect_eq(status, 0, "exit status")


@test(timeout=30)
def reloaded_graceful_timeout_bounds_the_stop():
    """graceful_timeout from 60 s to 1 s by a reload: a worker that does not
    stop (SIGSTOP) is killed 1 s + 5 s after SIGTERM, not 65 s."""
    root = site("timeout")
    port = harness.free_port()
    conf = os.path.join(tempdir("conf"), "switchboard.conf")
    lines = [f"listen {HOST}:{port}", f'root "{root.root}"', "graceful_timeout 60s"]
    write_conf(conf, lines)
    proc = subprocess.Popen([harness.SWITCHBOARD, "-c", conf, "--workers", str(WORKERS)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    workers = []
    try:
        workers = wait_workers(proc.pid)
        expect(wait_for(lambda: not refused(port), 5), "the workers serve")
        write_conf(conf, lines[:-1] + ["graceful_timeout 1s"])
        os.kill(proc.pid, signal.SIGHUP)
        time.sleep(1)  # the reload is done long before: it takes milliseconds
        os.kill(workers[0], signal.SIGSTOP)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            raise Failure("the supervisor still waits 15 s after SIGTERM: the reloaded "
                          "graceful_timeout is not applied")
        took = time.monotonic() - started
        expect(5 <= took < 9, f"stopped after {took:.1f} s (1 s graceful + 5 s grace)")
        expect("did not stop in time" in proc.stderr.read(), "the kill is logged")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        for w in workers:
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass


@test(timeout=30)
def graceful_stop_refuses_new_connections_at_once():
    """While the workers finish a download, nothing listens any more."""
    root = site("drain")
    root.write("big.bin", harness.random_bytes(8 * 1024 * 1024))
    server = Server(root.root, args=["--workers", str(WORKERS)]).start()
    wait_workers(server.pid)
    slow = harness.connect(server.port, rcvbuf=4096)
    try:
        slow.sendall(harness.build_request("/big.bin"))
        expect(slow.recv(1024), "the download began")
        os.kill(server.pid, signal.SIGTERM)
        time.sleep(0.3)
        expect(server.alive(), "the supervisor waits for the download")
        expect(refused(server.port), "a new connection during the graceful stop is refused")
    finally:
        slow.close()
    expect_eq(server.stop(signal.SIGTERM, timeout=15), 0, "exit status")


@test(timeout=30)
def workers_that_cannot_serve_fail_the_start():
    """A root that only root can reach, served as nobody: every worker fails. The
    server exits 1 instead of crash-looping, and -d returns non-zero."""
    if os.geteuid() != 0:
        raise harness.Skip("needs root (the workers must drop to a user who cannot read)")
    root = site("private")
    os.chmod(root.base, 0o700)
    rx = NotifyReceiver()
    harness.at_end(rx.close)
    for daemon in ([], ["-d"]):
        argv = [harness.SWITCHBOARD, "--listen", f"{HOST}:0", "--root", root.root,
                "--workers", str(WORKERS), *daemon]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=15, env={**os.environ, "NOTIFY_SOCKET": rx.path})
        said = [m for m in rx.quiet_for(0.2) if m.get("READY") == "1"]
        expect_eq(said, [], "READY=1 from workers that never served")
        err = done.stderr.decode(errors="replace")
        expect_eq(done.returncode, 1, f"exit status of {' '.join(argv[5:])}: {err!r}")
        expect("Permission denied" in err and "cannot start" in err,
               f"the reason is given: {err!r}")
        expect(not URL_RE.search(err), f"no start-up line: {err!r}")


@test(timeout=30)
def daemon_with_workers_returns_once_they_serve():
    """-d --workers N: the parent exits 0 once every worker serves, and no
    process keeps the terminal (here: the pipes) open."""
    root = site("daemon")
    piddir = tempdir("daemon", 0o777)
    pidfile = os.path.join(piddir, "switchboard.pid")
    port = harness.free_port()
    conf = os.path.join(tempdir("conf"), "switchboard.conf")
    write_conf(conf, [f"listen {HOST}:{port}", f'root "{root.root}"', f'pidfile "{pidfile}"'])
    try:
        done = subprocess.run([harness.SWITCHBOARD, "-c", conf, "-d", "--workers",
                               str(WORKERS)], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=10)
        expect_eq(done.returncode, 0, f"exit status of -d: {done.stderr!r}")
        expect(URL_RE.search(done.stderr.decode(errors="replace")),
               f"the start-up line before detaching: {done.stderr!r}")
        expect_eq(harness.fetch(port, "/who.txt").body, b"daemon", "served")
    finally:
        pid = int(read_text(pidfile).strip() or 0)
        if pid > 0:
            os.kill(pid, signal.SIGTERM)
    expect(wait_for(lambda: refused(port) and not os.path.exists(pidfile), 5),
           "the daemon stopped and removed its pidfile")


@test(timeout=20)
def workers_die_with_a_killed_supervisor():
    """kill -9 of the supervisor: the workers stop too and the port is free.
    (Started without the harness's stderr pipe, which orphans would hold.)"""
    root = site("orphans")
    port = harness.free_port()
    proc = subprocess.Popen([harness.SWITCHBOARD, "--listen", f"{HOST}:{port}", "--root",
                             root.root, "--workers", str(WORKERS)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    workers = []
    try:
        workers = wait_workers(proc.pid)
        expect(wait_for(lambda: not refused(port), 5), "the workers serve")
        proc.kill()
        proc.wait(5)
        gone = wait_for(lambda: all(not os.path.exists(f"/proc/{w}") for w in workers), 2)
        expect(gone, f"workers {workers} outlived their supervisor")
        expect(wait_for(lambda: refused(port), 1), "the port is free")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        for w in workers:
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass


@test(timeout=20)
def pidfile_is_locked_against_a_second_instance():
    root = site("pid")
    piddir = tempdir("pid", 0o777)
    pidfile = os.path.join(piddir, "switchboard.pid")
    conf = os.path.join(tempdir("conf"), "switchboard.conf")
    write_conf(conf, [f'root "{root.root}"', f'pidfile "{pidfile}"'])
    first = Server(args=["-c", conf]).start()
    try:
        expect(wait_for(lambda: read_text(pidfile).strip() == str(first.pid), 2),
               f"the pidfile holds the first pid: {read_text(pidfile)!r}")
        argv = [harness.SWITCHBOARD, "--listen", f"{HOST}:0", "-c", conf]
        second = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=10)
        err = second.stderr.decode(errors="replace")
        expect_eq(second.returncode, 1, f"exit status of the second instance: {err!r}")
        expect(f"locked by another running instance (pid {first.pid})" in err,
               f"the second instance says why: {err!r}")
        expect_eq(read_text(pidfile).strip(), str(first.pid), "the pidfile after the second")
    finally:
        expect_eq(first.stop(), 0, "exit status of the first")
    expect(not os.path.exists(pidfile), "the first instance removed its pidfile")


if __name__ == "__main__":
    harness.main()
