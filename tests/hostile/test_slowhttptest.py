"""Debian's slowhttptest against the running server, one run per attack.

Each run opens 300 connections from 127.0.0.1 at 100 per second for at most
15 s (`-c 300 -r 100 -l 15`) against http://127.0.0.1:PORT/big.bin (1 MiB):

  -H  slow headers (slowloris): a follow-up header line every second;
  -B  slow body: a POST whose 8 KiB body trickles in;
  -X  slow read: a tiny advertised window, 32 bytes read per second, 3
      requests pipelined per connection;
  -R  range attack: `Range: bytes=0-,10-1,10-2,...` with 3000 ranges (a
      header section over 16 KiB: 431), and again with 500 (under the
      limit: several ranges are answered with the whole file, 200).

The server runs with its default limits (1000 connections, 256 per client
address) and short deadlines (`--header-timeout 5s --keepalive-timeout 5s
--send-timeout 10s`) so that each run ends within bounds. A normal client
on 127.0.0.2 (another client than the attacker) makes a request every 0.5 s
during each run: every one must succeed within 1 s. After each run the
server serves again, and it holds no more descriptors than before.

The tool's own summary (connections initialising, pending, connected,
closed, in error; whether its own probe found the service available; its
exit status) is printed as figures. For -H and -B the server must have
closed every attack connection before the 15 s are over: the tool then
ends with "No open connections left" rather than "Hit test time limit".

Exits 77 when slowhttptest is not installed (Debian: apt-get install
slowhttptest). Run as `$PYTHON tests/hostile/test_slowhttptest.py`.
"""

import csv
import functools
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hostile  # noqa: E402
from hostile import Failure, expect, figure, harness  # noqa: E402
from harness import test  # noqa: E402

TOOL = hostile.need_tool("slowhttptest")
SMALL = b"the normal client's page\n"
PROBE_SOURCE = "127.0.0.2"
DURATION = 15
COMMON = ("-c", "300", "-r", "100", "-l", str(DURATION), "-p", "3")
ATTACKS = {
    "slow_headers": ("-H", "-i", "1", "-x", "24"),
    "slow_body": ("-B", "-i", "1", "-s", "8192", "-x", "10"),
    "slow_read": ("-X", "-w", "512", "-y", "1024", "-n", "1", "-z", "32", "-k", "3"),
    "range": ("-R", "-a", "10", "-b", "3000"),
    "range_small": ("-R", "-a", "10", "-b", "500"),
}
SERVER_ARGS = ("--header-timeout", "5s", "--keepalive-timeout", "5s", "--send-timeout", "10s")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SUMMARY_KEYS = ("initializing", "pending", "connected", "error", "closed", "service available")


@functools.lru_cache(maxsize=None)
def docroot():
    root = harness.DocRoot("switchboard-slowhttptest-")
    root.write("small.txt", SMALL)
    root.write("big.bin", harness.random_bytes(hostile.MIB))
    return root


SERVER = harness.SharedServer(lambda: docroot().root, args=SERVER_ARGS)


def parse_summary(text):
    """The tool's last status block and its exit status line, as a dict."""
    text = ANSI_RE.sub("", text)
    summary = {}
    for key in SUMMARY_KEYS:
        found = re.findall(rf"^{key}:\s*(\S+)", text, re.MULTILINE)
        if found:
            summary[key] = found[-1]
    found = re.findall(r"^Exit status:\s*(.+)$", text, re.MULTILINE)
    if found:
        summary["exit status"] = found[-1].strip()
    return summary


def peak_connected(csv_path):
    """The most connections the tool held at once, from its CSV report."""
    try:
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return None
    values = [int(row["Connected"]) for row in rows if row.get("Connected", "").isdigit()]
    return max(values) if values else None


def run_attack(name):
    server = SERVER.get()
    port = server.port
    hostile.one_request(port, "/small.txt", SMALL, source=PROBE_SOURCE)
    base_fds = hostile.settled_fd_count(server.pid)
    cpu_before = hostile.cpu_seconds(server.pid)
    work = tempfile.mkdtemp(prefix="switchboard-slowhttptest-out-")
    harness.at_end(lambda: subprocess.run(["rm", "-rf", work], check=False))
    argv = [TOOL, *ATTACKS[name], *COMMON, "-g", "-o", os.path.join(work, name),
            "-u", f"http://127.0.0.1:{port}/big.bin"]
    prober = hostile.Prober(port, "/small.txt", SMALL, source=PROBE_SOURCE, interval=0.5,
                            timeout=1.0).start()
    peak = {"fds": base_fds}
    sampling = threading.Event()

    def sample():
        while not sampling.wait(0.1):
            peak["last"] = hostile.fd_count(server.pid)
            peak["fds"] = max(peak["fds"], peak["last"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    with open(os.path.join(work, "output.txt"), "wb") as out:
        tool = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=work)
        try:
            tool.wait(DURATION + 20)
        except subprocess.TimeoutExpired:
            hostile.kill_quietly(tool)
            raise Failure(f"slowhttptest {name} did not end within {DURATION + 20} s")
        finally:
            hostile.kill_quietly(tool)
    ran = time.monotonic() - started
    sampling.set()
    sampler.join(2)
    prober.stop()
    with open(os.path.join(work, "output.txt"), "rb") as f:
        text = f.read().decode("utf-8", "replace")
    summary = parse_summary(text)
    for key, value in summary.items():
        figure(f"slowhttptest_{name}_{key.replace(' ', '_')}", value)
    figure(f"slowhttptest_{name}_peak_connected", peak_connected(os.path.join(work, f"{name}.csv")))
    figure(f"slowhttptest_{name}_server_fds_above_baseline_peak", peak["fds"] - base_fds)
    figure(f"slowhttptest_{name}_server_fds_above_baseline_when_tool_ended",
           peak.get("last", base_fds) - base_fds)
    figure(f"slowhttptest_{name}_run_s", f"{ran:.1f}")
    figure(f"slowhttptest_{name}_server_cpu_s", f"{hostile.cpu_seconds(server.pid) - cpu_before:.2f}")
    expect(tool.returncode == 0, f"slowhttptest exited with {tool.returncode}: {text[-500:]!r}")
    expect(set(SUMMARY_KEYS) <= set(summary), f"no status summary in the tool's output: "
                                              f"{ANSI_RE.sub('', text)[-500:]!r}")
    # During: a request every 0.5 s, each served within 1 s.
    prober.check(f"slowhttptest_{name}_normal_client", max_limit=1.0,
                 min_requests=int(ran / 0.5) - 2)
    # After: served, and every attack connection is gone from the server.
    hostile.one_request(port, "/small.txt", SMALL, source=PROBE_SOURCE, timeout=1.0)
    hostile.one_request(port, "/small.txt", SMALL, source="127.0.0.1", timeout=1.0)
    fds = hostile.settled_fd_count(server.pid, want=base_fds, timeout=8.0)
    expect(fds <= base_fds, f"server holds {fds} fds after the run, {base_fds} before")
    return summary


def expect_all_closed_by_server(summary, what):
    """The tool stopped early because the server had closed every connection
    (its last status block may lag behind; its exit status does not)."""
    status = summary.get("exit status")
    expect(status == "No open connections left",
           f"{what} connections were still open when the run ended (slowhttptest: "
           f"{status!r}, last status {summary!r})")


@test(timeout=50)
def slowhttptest_slow_headers():
    summary = run_attack("slow_headers")
    expect_all_closed_by_server(summary, "slow-header")


@test(timeout=50)
def slowhttptest_slow_body():
    summary = run_attack("slow_body")
    expect_all_closed_by_server(summary, "slow-body")


@test(timeout=50)
def slowhttptest_slow_read():
    run_attack("slow_read")


@test(timeout=50)
def slowhttptest_range():
    run_attack("range")


@test(timeout=50)
def slowhttptest_range_under_header_limit():
    run_attack("range_small")


if __name__ == "__main__":
    harness.main(budget=115.0)
