"""Real deploys under load: what switchboard serves while its files change.

- A release switch: the root is a symlink swapped atomically to another
  release (`ln -s releases/vN tmp && mv -T tmp current`), the old release
  deleted right after. Every response must be one complete version of its
  file, never a 404, and a request sent a second after a switch must get the
  new release.
- Files changed in place under load: same-size writes, copies that keep the
  modification time (cp -p, touch -d), truncate-then-write, a write through a
  mapping. Within 1.5 s the new bytes are served; an empty file is not served
  once it has been written; and no two responses with the same ETag ever
  carry different bodies.

Every request is checked by a small keep-alive client of its own (a few
threads, loopback only); each test is bounded to a few seconds.
Run as `$PYTHON tests/integration/test_deploy.py` with SWITCHBOARD set.
"""

import mmap
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Failure, expect, test  # noqa: E402

KIB = 1024
FILE_BUDGET = 60.0
THREADS = 4
# The server looks at its root and its cached files once a second (by the
# wall clock's second, as time() reads it, which may lag by a clock tick).
SWITCH_BOUND = 1.0 + 0.05
CHANGE_BOUND = 1.5


# ---------------------------------------------------------------- client


class Response:
    __slots__ = ("target", "sent", "status", "etag", "body")

    def __init__(self, target, sent, status, etag, body):
        self.target, self.sent, self.status, self.etag, self.body = (
            target, sent, status, etag, body)


class KeepAliveClient:
    """GET after GET on one connection (a new one when the server closes)."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.buf = b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buf = b""

    def _recv(self):
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionError("closed by the server")
        self.buf += data

    def _head(self):
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        return status, fields

    def get(self, target):
        for attempt in range(3):
            if self.sock is None:
                self.sock = socket.create_connection((harness.HOST, self.port), timeout=10)
            sent = time.time()
            try:
                self.sock.sendall(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
                status, fields = self._head()
                length = int(fields.get("content-length", "0"))
                while len(self.buf) < length:
                    self._recv()
            except (ConnectionError, BrokenPipeError) as e:
                # A keep-alive connection the server closed before this request.
                self.close()
                if attempt == 2:
                    raise Failure(f"GET {target}: {e}")
                continue
            body, self.buf = self.buf[:length], self.buf[length:]
            if fields.get("connection", "").lower() == "close":
                self.close()
            return Response(target, sent, status, fields.get("etag"), body)
        raise AssertionError("unreachable")


class Load:
    """THREADS clients requesting targets in turn until stopped."""

    def __init__(self, port, targets, threads=THREADS):
        self.port = port
        self.targets = targets
        self.responses = []
        self.errors = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(threads)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(15)

    def _run(self, index):
        client = KeepAliveClient(self.port)
        got = []
        i = index
        try:
            while not self.stopping.is_set():
                got.append(client.get(self.targets[i % len(self.targets)]))
                i += 1
        except Exception as e:  # reported by the test, not lost in a thread
            self.errors.append(repr(e))
        finally:
            client.close()
            with self.lock:
                self.responses.extend(got)


def check_etags_describe_bodies(responses):
    """The same strong ETag never labels two different bodies."""
    seen = {}
    for r in responses:
        if r.etag is None or r.status != 200:
            continue
        first = seen.setdefault((r.target, r.etag), r.body)
        if first != r.body:
            raise Failure(f"{r.target}: ETag {r.etag} labels two different bodies "
                          f"({harness.short(first, 40)!r} and {harness.short(r.body, 40)!r})")


def readable_tree(path):
    os.chmod(path, 0o755)
    for parent, dirs, files in os.walk(path):
        for d in dirs:
            os.chmod(os.path.join(parent, d), 0o755)
        for f in files:
            os.chmod(os.path.join(parent, f), 0o644)


def start_server(root):
    server = harness.Server(root=root)
    server.start()
    harness.at_end(server.stop)
    return server


# ---------------------------------------------------------------- release switch

RELEASES = 6  # v0 first, then five switches
SMALL = 3 * KIB
LARGE = 600 * KIB  # larger than the file cache keeps: sent from the file


def release_files(n):
    """Files of the same names and sizes in every release, different bytes."""
    def fill(tag, size):
        unit = f"release {n} {tag} ".encode()
        return (unit * (size // len(unit) + 1))[:size]
    return {
        "a.txt": fill("a", SMALL),
        "dir/index.html": fill("index", SMALL),
        "big.bin": fill("big", LARGE),
    }


def make_release(base, n):
    path = os.path.join(base, "releases", f"v{n}")
    for rel, data in release_files(n).items():
        full = os.path.join(path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    readable_tree(path)
    return path


def switch_to(base, n):
    """ln -s releases/vN tmp && mv -T tmp current: atomic."""
    tmp = os.path.join(base, "current.tmp")
    os.symlink(os.path.join("releases", f"v{n}"), tmp)
    os.rename(tmp, os.path.join(base, "current"))


TARGETS = {"/a.txt": "a.txt", "/dir/": "dir/index.html", "/big.bin": "big.bin"}


def version_of(target, body, versions):
    for n, files in enumerate(versions):
        if body == files[TARGETS[target]]:
            return n
    return None


@test(timeout=40)
def release_switch_under_load():
    base = tempfile.mkdtemp(prefix="switchboard-deploy-")
    harness.at_end(lambda: shutil.rmtree(base, ignore_errors=True))
    os.chmod(base, 0o755)
    versions = [release_files(n) for n in range(RELEASES)]
    make_release(base, 0)
    switch_to(base, 0)
    server = start_server(os.path.join(base, "current"))
    switches = []  # (time the switch was done, version)
    with Load(server.port, list(TARGETS)) as load:
        time.sleep(0.6)
        for n in range(1, RELEASES):
            make_release(base, n)
            switch_to(base, n)
            switches.append((time.time(), n))
            # The old release goes at once: its open files keep serving.
            shutil.rmtree(os.path.join(base, "releases", f"v{n - 1}"))
            time.sleep(0.5 if n % 2 else 1.3)
        time.sleep(1.2)
    expect(not load.errors, f"client errors: {load.errors[:3]}")
    responses = load.responses
    expect(len(responses) > 200, f"only {len(responses)} responses")
    problems = []
    for r in responses:
        if r.status != 200:
            problems.append(f"{r.target} sent at {r.sent:.3f}: status {r.status}")
            continue
        v = version_of(r.target, r.body, versions)
        if v is None:
            problems.append(f"{r.target}: a body of no release ({len(r.body)} bytes, "
                            f"{harness.short(r.body, 40)!r})")
            continue
        # The newest release switched to at least SWITCH_BOUND before the request.
        due = max((n for t, n in switches if r.sent >= t + SWITCH_BOUND), default=0)
        if v < due:
            late = r.sent - next(t for t, n in switches if n == due)
            problems.append(f"{r.target}: release {v} served {late:.2f} s after "
                            f"the switch to {due}")
    check_etags_describe_bodies(responses)
    expect(not problems, f"{len(problems)} of {len(responses)} responses wrong: "
           + "; ".join(problems[:5]))
    served = {version_of(r.target, r.body, versions) for r in responses}
    expect(RELEASES - 1 in served, f"the last release never served (saw {sorted(served)})")


# ---------------------------------------------------------------- files changed in place

CHANGE_SIZE = 64 * KIB  # written in pieces: a reader can see it half done


def version_bytes(name, n, size=CHANGE_SIZE):
    unit = f"{name} version {n} ".encode()
    return (unit * (size // len(unit) + 1))[:size]


def write_in_place(path, data):
    """Same size, same inode, piece by piece."""
    with open(path, "r+b") as f:
        for i in range(0, len(data), 4 * KIB):
            f.write(data[i:i + 4 * KIB])
            f.flush()


def copy_keeping_mtime(path, data, tool):
    """New bytes of the same size, the old modification time kept."""
    old = os.stat(path)
    if tool == "cp":
        staging = path + ".new"
        with open(staging, "wb") as f:
            f.write(data)
        os.utime(staging, ns=(old.st_atime_ns, old.st_mtime_ns))
        subprocess.run(["cp", "-p", staging, path], check=True)
        os.unlink(staging)
    else:  # touch -d: write in place, then put the time back
        write_in_place(path, data)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(old.st_mtime))
        subprocess.run(["touch", "-d", stamp + " UTC", path], check=True,
                       env={**os.environ, "TZ": "UTC"})
    os.chmod(path, 0o644)


def truncate_then_write(path, data):
    with open(path, "wb") as f:  # empty for a moment
        f.write(data)


def write_through_mapping(path, data):
    with open(path, "r+b") as f, mmap.mmap(f.fileno(), len(data)) as m:
        m[:] = data
        m.flush()


CHANGES = {
    "inplace.txt": write_in_place,
    "cp.txt": lambda p, d: copy_keeping_mtime(p, d, "cp"),
    "touch.txt": lambda p, d: copy_keeping_mtime(p, d, "touch"),
    "truncate.txt": truncate_then_write,
    "mmap.txt": write_through_mapping,
}


@test(timeout=40)
def files_changed_in_place_under_load():
    root = harness.DocRoot("switchboard-deploy-files-")
    for name in CHANGES:
        root.write(name, version_bytes(name, 0))
        # Settled long ago, as a deployed file is: the cache keeps it.
        os.utime(root.path(name), (int(time.time()) - 3600,) * 2)
    time.sleep(2.1)  # the change times too are a couple of seconds old
    server = start_server(root.root)
    rounds = 3
    done = {name: [] for name in CHANGES}  # (write began, write ended, version)
    targets = [f"/{name}" for name in CHANGES]
    with Load(server.port, targets) as load:
        time.sleep(1.2)  # every file read and kept
        for n in range(1, rounds + 1):
            for name, change in CHANGES.items():
                began = time.time()
                change(root.path(name), version_bytes(name, n))
                done[name].append((began, time.time(), n))
            time.sleep(2.5 if n < rounds else CHANGE_BOUND + 0.7)
    expect(not load.errors, f"client errors: {load.errors[:3]}")
    responses = load.responses
    expect(len(responses) > 200, f"only {len(responses)} responses")
    check_etags_describe_bodies(responses)
    problems = []
    for r in responses:
        name = r.target[1:]
        if r.status != 200:
            problems.append(f"{name}: status {r.status}")
            continue
        # During a write (a request is read a little after it is sent),
        # anything may be seen; ETags still describe the bytes (above).
        if any(began - 0.2 <= r.sent <= ended + 0.05 for began, ended, _ in done[name]):
            continue
        # Else: the last version written, once CHANGE_BOUND has passed.
        due = max((n for _, ended, n in done[name] if r.sent >= ended + CHANGE_BOUND),
                  default=0)
        newest = max((n for began, _, n in done[name] if r.sent >= began), default=0)
        if newest == due and r.body != version_bytes(name, due):
            ended = next(e for _, e, n in done[name] if n == due)
            what = "empty" if not r.body else f"{harness.short(r.body, 30)!r}"
            problems.append(f"{name}: {what} {r.sent - ended:.2f} s after version {due} "
                            f"was written")
        # Outside a write the file is never empty: no empty copy is kept.
        if not r.body:
            problems.append(f"{name}: empty at {r.sent:.2f}, outside any write")
    expect(not problems, f"{len(problems)} of {len(responses)} responses wrong: "
           + "; ".join(problems[:6]))


if __name__ == "__main__":
    harness.main(FILE_BUDGET)
