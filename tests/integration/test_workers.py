"""Several worker processes (--workers N / workers N), each one thread and one
select() loop on listening sockets shared from a supervising process: all
serve, a worker that dies is replaced, reload and stop reach every worker.

Run as `$PYTHON tests/integration/test_workers.py` with SWITCHBOARD set.
"""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import expect, expect_eq, test  # noqa: E402

WORKERS = 3
BIG = 30 * 1024 * 1024


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


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def site(label):
    root = harness.DocRoot(f"switchboard-workers-{label}-")
    root.write("who.txt", label.encode())
    return root


def start(root, *extra):
    server = harness.Server(root.root, args=["--workers", str(WORKERS), *extra]).start()
    expect(wait_for(lambda: len(children(server.pid)) == WORKERS, 5),
           f"{WORKERS} workers under the supervisor: {children(server.pid)}")
    return server


@test(timeout=30)
def workers_all_serve_and_a_dead_one_is_replaced():
    root = site("a")
    with start(root) as server:
        for _ in range(30):
            expect_eq(harness.fetch(server.port, "/who.txt").body, b"a", "body")
        before = children(server.pid)
        os.kill(before[0], signal.SIGKILL)
        replaced = wait_for(lambda: (lambda now: len(now) == WORKERS and before[0] not in now
                                     and now)(children(server.pid)), 5)
        expect(replaced, f"the killed worker {before[0]} was replaced: {children(server.pid)}")
        for _ in range(10):
            expect_eq(harness.fetch(server.port, "/who.txt").body, b"a", "body after")
        expect("was killed by signal 9" in server.stderr_text(),
               "the supervisor logs the worker's death")


@test(timeout=30)
def reload_reaches_every_worker():
    old, new = site("old"), site("new")
    conf = os.path.join(old.root, "..", "workers.conf")
    with open(conf, "w") as f:
        f.write(f"root {old.root}\n")
    os.chmod(conf, 0o644)
    with harness.Server(None, args=["-c", conf, "--workers", str(WORKERS)]) as server:
        expect_eq(harness.fetch(server.port, "/who.txt").body, b"old", "before the reload")
        with open(conf, "w") as f:
            f.write(f"root {new.root}\n")
        os.kill(server.pid, signal.SIGHUP)
        expect(wait_for(lambda: server.stderr_text().count("configuration reloaded") >= WORKERS,
                        5), f"every worker reloaded:\n{server.stderr_text()}")
        # New connections land on any worker: all must serve the new root.
        bodies = {harness.fetch(server.port, "/who.txt").body for _ in range(40)}
        expect_eq(bodies, {b"new"}, f"bodies after the reload ({server.stderr_text()})")


@test(timeout=40)
def sigterm_stops_all_workers_after_the_download():
    root = site("dl")
    root.write("big.bin", harness.random_bytes(BIG))
    server = start(root)
    workers = children(server.pid)
    got = {}

    def download():
        with harness.Client(server.port, timeout=20, rcvbuf=65536, recv_size=16384,
                            recv_pause=0.0005) as client:
            got["reply"] = client.request(harness.build_request("/big.bin"))

    thread = threading.Thread(target=download)
    thread.start()
    time.sleep(0.3)
    status = server.stop(signal.SIGTERM, timeout=25)
    thread.join(20)
    expect_eq(status, 0, "exit status after SIGTERM")
    expect("reply" in got, "the download in flight completed")
    expect_eq(got["reply"].length, BIG, "bytes of the download")
    expect(all(not os.path.exists(f"/proc/{w}") for w in workers), "every worker exited")


if __name__ == "__main__":
    harness.main()
