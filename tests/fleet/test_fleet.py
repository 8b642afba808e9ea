"""switchboard behind a real load balancer: three instances behind HAProxy
(PROXY protocol v2, health checks on the health route, retries with
redispatch), and one behind Varnish.

A checking client sends GET requests through HAProxy from a few threads,
keeping connections alive or not, compares every body by sha256 with the
release it must come from and classifies every failure (traffic.py). One
scenario at a time, each printing its figures:

  reference_config    haproxy -c accepts conf/haproxy-fleet.cfg, which holds
                      the settings this test runs with
  rolling_restart     SIGTERM, exit, start again, one instance after the other
                      (drain_delay: health says 503 first): 0 failed requests
  symlink_deploy      release v2 put in place by swapping each root's symlink,
                      v1 deleted after: 0 failed, 0 wrong bodies, each instance
                      serving v2 within 1 s of its swap
  reload_storm        SIGHUP to every instance every second for 10 s: 0 failed
  kill_one            kill -9 of one instance: only requests in flight on it
                      may fail; HAProxy marks it down within ~2-3 s
  per_client_cap      through HAProxy, one client address over
                      max_connections_per_client gets 503 while another is
                      served; both addresses, not HAProxy's, in the access log
  varnish_cache       Varnish in front of one instance: the probe marks it
                      healthy, revalidation by ETag gets 304 from the cache,
                      Vary: Accept-Encoding keeps br, gzip and identity apart

It needs haproxy, varnish, brotli and gzip (tools/install-deps), takes one to
two minutes, and runs under make check only with SB_FLEET_TEST=1; otherwise
it says SKIP and why. Everything is on loopback (127.0.0.1-127.0.0.13); every
process is stopped and the temporary directory removed at exit.

Run: SB_FLEET_TEST=1 SWITCHBOARD=src/switchboard python3 tests/fleet/test_fleet.py
(SB_FLEET_ONLY=kill_one,reload_storm runs only those scenarios.)
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

if os.environ.get("SB_FLEET_TEST") != "1":
    print("SKIP: starts HAProxy, Varnish and three servers for a minute or two: "
          "run with SB_FLEET_TEST=1 (.ci/run has a step for it)")
    sys.exit(77)

import harness  # noqa: E402
from harness import Failure, expect, test  # noqa: E402
import fleet as fleetlib  # noqa: E402
import varnish as varnishlib  # noqa: E402
from traffic import Figures, Traffic  # noqa: E402

SWAP_LIMIT = 1.0  # an instance serves the new release within 1 s of its swap
SWAP_SLACK = 0.3  # the request that showed it, on a busy shared machine
DOWN_LIMIT = 4.0  # inter 1s fall 2: two failed checks, one interval of phase


def report(line):
    print(f"  {line}", flush=True)


# ---------------------------------------------------------------- the fleet

_state = {"fleet": None, "error": None}


def the_fleet():
    """The fleet, started by the first scenario; later ones share it."""
    if _state["error"] is not None:
        raise Failure(f"the fleet did not start: {_state['error']}")
    if _state["fleet"] is None:
        try:
            _state["fleet"] = fleetlib.Fleet().start()
        except Exception as exc:
            _state["error"] = str(exc)
            raise
    return _state["fleet"]


def traffic_for(fleet):
    return Traffic(fleet.haproxy.port, fleet.releases)


def conclude(name, figures, problems, haproxy=None, log_from=0):
    """Print a scenario's figures and fail with every problem found."""
    report(f"{name}: {figures.summary()}")
    if figures.failed:
        report(f"{name}: first failures: {figures.examples()}")
        if haproxy is not None:
            for line in haproxy.error_lines(log_from):
                report(f"{name}: haproxy: {line[-200:]}")
    expect(not problems, "; ".join(problems) + f" ({figures.summary()})")


# ---------------------------------------------------------------- scenarios

# What the fleet's behaviour rests on, in conf/haproxy-fleet.cfg as in the
# configuration the test runs.
ESSENTIAL_SETTINGS = (
    "option httpchk GET /healthz",
    "http-check expect status 200",
    "check inter 1s fall 2 rise 1",
    "send-proxy-v2",
    "retries 3",
    "option redispatch 1",
    "retry-on conn-failure empty-response response-timeout",
)


def settings_of(text):
    """The configuration without comments, one directive per line, spaces squeezed."""
    lines = (line.split("#", 1)[0].split() for line in text.splitlines())
    return "\n".join(" ".join(words) for words in lines if words)


@test(timeout=30)
def reference_config():
    srcdir = harness.SB_SRCDIR or os.path.join(HERE, "..", "..")
    path = os.path.join(srcdir, "conf", "haproxy-fleet.cfg")
    checked = subprocess.run(["haproxy", "-c", "-f", path], capture_output=True, text=True,
                             timeout=20)
    expect(checked.returncode == 0,
           f"haproxy -c refused {path}: {(checked.stdout + checked.stderr).strip()[-600:]}")
    with open(path) as f:
        reference = settings_of(f.read())
    tested = settings_of(fleetlib.HAPROXY_CONFIG)
    for setting in ESSENTIAL_SETTINGS:
        expect(setting in reference, f"conf/haproxy-fleet.cfg lacks {setting!r}")
        expect(setting in tested, f"the test's configuration lacks {setting!r}")
    report(f"reference_config: haproxy -c accepts it; {len(ESSENTIAL_SETTINGS)} settings "
           f"shared with the test's configuration")


def restart_one(fleet, instance):
    """SIGTERM one instance, watch HAProxy take it out, start it again.

    Returns (seconds to DOWN in HAProxy or None, seconds to exit, seconds
    until UP again after the start)."""
    started = time.monotonic()
    stopping = threading.Thread(target=instance.stop, daemon=True)
    stopping.start()
    down_at = None
    while stopping.is_alive():
        if down_at is None and fleet.haproxy.status(instance.name) == "DOWN":
            down_at = time.monotonic() - started
        time.sleep(0.05)
    exited_at = time.monotonic() - started
    instance.start()
    up_after = fleet.haproxy.wait_status(instance.name, "UP", 10)
    return down_at, exited_at, up_after


@test(timeout=150)
def rolling_restart():
    fleet = the_fleet()
    log_from = fleet.haproxy.log_length()
    problems = []
    with traffic_for(fleet) as traffic:
        time.sleep(1)
        for instance in fleet.instances:
            down, exited, up = restart_one(fleet, instance)
            shown = "never" if down is None else f"{down:.1f} s"
            report(f"rolling_restart: {instance.name} DOWN in haproxy after {shown}, "
                   f"exited after {exited:.1f} s, UP {up:.1f} s after its start")
            if down is None:
                problems.append(f"{instance.name} exited before HAProxy saw its health fail")
            time.sleep(1)
    figures = Figures(traffic.snapshot())
    if figures.failed:
        problems.append(f"{figures.failed} failed requests")
    conclude("rolling_restart", figures, problems, fleet.haproxy, log_from)


def swap_release(instance, release):
    """ln -s RELEASE tmp && mv -T tmp current, in the instance's directory."""
    temporary = os.path.join(instance.dir, "current.tmp")
    subprocess.run(["ln", "-s", release, temporary], check=True, timeout=10)
    subprocess.run(["mv", "-T", temporary, instance.root], check=True, timeout=10)


def seconds_until_serving(fleet, instance, version, timeout):
    """Poll the instance directly until its files are the given release."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            reply = instance.get("/small.txt")
            if reply.status == 200 and fleet.releases.version_of("/small.txt",
                                                                 reply.body) == version:
                return time.monotonic() - started
        except (OSError, harness.ResponseError):
            pass
        time.sleep(0.05)
    return None


def late_answers(records, instance, swapped_at, old):
    """Requests sent after swap + limit that the instance answered from the old release."""
    limit = swapped_at + SWAP_LIMIT + SWAP_SLACK
    return [r for r in records if r.instance == instance.name and r.version == old
            and r.started > limit]


def repair_root(fleet, instance, version):
    """After a failed deploy, make the instance serve the release (a reload
    opens the root again), so that the next scenarios start clean."""
    if seconds_until_serving(fleet, instance, version, 0.5) is not None:
        return
    instance.signal(signal.SIGHUP)
    if seconds_until_serving(fleet, instance, version, 3) is None:
        instance.stop()
        instance.start()
        fleet.haproxy.wait_status(instance.name, "UP", 10)


@test(timeout=90)
def symlink_deploy():
    fleet = the_fleet()
    old, new = fleet.version, "v2"
    release = fleet.releases.make(new)
    log_from = fleet.haproxy.log_length()
    problems = []
    swaps = {}
    try:
        with traffic_for(fleet) as traffic:
            time.sleep(1)
            for instance in fleet.instances:
                swap_release(instance, release)
                swaps[instance.name] = time.monotonic()
                lag = seconds_until_serving(fleet, instance, new, 3)
                shown = "not within 3 s" if lag is None else f"after {lag:.2f} s"
                report(f"symlink_deploy: {instance.name} serves {new} {shown} (direct probe)")
                if lag is None or lag > SWAP_LIMIT + SWAP_SLACK:
                    problems.append(f"{instance.name} served {new} {shown} of its swap")
            time.sleep(SWAP_LIMIT + 0.5)
            fleet.releases.remove(old)
            report(f"symlink_deploy: {old} deleted")
            time.sleep(2)
    finally:
        fleet.version = new
        for instance in fleet.instances:
            repair_root(fleet, instance, new)
    records = traffic.snapshot()
    figures = Figures(records)
    if len(problems) == len(fleet.instances) and all("not within" in p for p in problems):
        problems.insert(0, "no instance followed its swapped root symlink")
    for instance in fleet.instances:
        late = late_answers(records, instance, swaps[instance.name], old)
        if late:
            problems.append(f"{instance.name} answered {len(late)} requests from {old} more "
                            f"than {SWAP_LIMIT:g} s after its swap")
    if figures.failed:
        problems.append(f"{figures.failed} failed requests "
                        f"({figures.by_class.get('wrong body', 0)} wrong bodies)")
    conclude("symlink_deploy", figures, problems, haproxy=fleet.haproxy, log_from=log_from)


@test(timeout=60)
def reload_storm():
    fleet = the_fleet()
    rounds = 10
    log_from = fleet.haproxy.log_length()
    before = {i.name: i.metric("switchboard_reloads_total", 'result="ok"') or 0
              for i in fleet.instances}
    with traffic_for(fleet) as traffic:
        time.sleep(0.5)
        for _ in range(rounds):
            for instance in fleet.instances:
                instance.signal(signal.SIGHUP)
            time.sleep(1)
    figures = Figures(traffic.snapshot())
    problems = []
    for instance in fleet.instances:
        done = (instance.metric("switchboard_reloads_total", 'result="ok"') or 0) \
            - before[instance.name]
        report(f"reload_storm: {instance.name} reloaded {done:.0f} times of {rounds}")
        if done < rounds:
            problems.append(f"{instance.name} counted {done:.0f} reloads of {rounds}")
    if figures.failed:
        problems.append(f"{figures.failed} failed requests")
    conclude("reload_storm", figures, problems, haproxy=fleet.haproxy, log_from=log_from)


@test(timeout=60)
def kill_one():
    fleet = the_fleet()
    victim = fleet.instances[1]
    log_from = fleet.haproxy.log_length()
    problems = []
    with traffic_for(fleet) as traffic:
        time.sleep(1.5)
        killed_at = time.monotonic()
        victim.stop(signal.SIGKILL)
        down = fleet.haproxy.wait_status(victim.name, "DOWN", DOWN_LIMIT + 5)
        report(f"kill_one: {victim.name} killed; DOWN in haproxy after {down:.1f} s")
        if down > DOWN_LIMIT:
            problems.append(f"HAProxy took {down:.1f} s to mark {victim.name} down "
                            f"(limit {DOWN_LIMIT:g} s)")
        time.sleep(2)
    figures = Figures(traffic.snapshot())
    # Only a request already sent before the kill can have been lost with it.
    after = [r for r in figures.failures if r.started > killed_at + 0.05]
    report(f"kill_one: {figures.failed} failed, {len(after)} of them sent after the kill")
    if after:
        problems.append(f"{len(after)} requests sent after the kill failed")
    if figures.failed > len(traffic.sources):
        problems.append(f"{figures.failed} failed requests, more than the "
                        f"{len(traffic.sources)} that can be in flight")
    victim.start()
    fleet.haproxy.wait_status(victim.name, "UP", 10)
    conclude("kill_one", figures, problems, haproxy=fleet.haproxy, log_from=log_from)


CAPPED_SOURCE = "127.0.0.5"
OTHER_SOURCE = "127.0.0.6"


def hold_connections(port, source, count):
    """count connections from source, each with one answered GET, all kept open."""
    clients, statuses = [], []
    for _ in range(count):
        try:
            client = harness.Client(port, "127.0.0.1", 5, source=source)
        except OSError as exc:
            statuses.append(f"connect: {exc}")
            continue
        clients.append(client)
        try:
            statuses.append(client.get("/small.txt").status)
        except (OSError, harness.ResponseError) as exc:
            statuses.append(f"error: {exc}")
    return clients, statuses


@test(timeout=60)
def per_client_cap():
    fleet = the_fleet()
    first = fleet.instances[0]
    log_from = len(first.access_lines())
    port = fleet.haproxy.capped_port
    clients, statuses = hold_connections(port, CAPPED_SOURCE, fleetlib.CLIENT_CAP + 2)
    try:
        other = harness.Client(port, "127.0.0.1", 5, source=OTHER_SOURCE)
        clients.append(other)
        other_status = other.get("/small.txt").status
    finally:
        for client in clients:
            client.close()
    report(f"per_client_cap: {CAPPED_SOURCE} with {len(statuses)} connections got "
           f"{statuses}; {OTHER_SOURCE} got {other_status}")
    time.sleep(0.5)
    hosts = [line.split(" ", 1)[0] for line in first.access_lines()[log_from:]]
    counted = {h: hosts.count(h) for h in sorted(set(hosts))}
    report(f"per_client_cap: {first.name}'s access log names {counted}")
    problems = []
    if statuses[:fleetlib.CLIENT_CAP] != [200] * fleetlib.CLIENT_CAP:
        problems.append(f"the first {fleetlib.CLIENT_CAP} connections were not all served")
    if 503 not in statuses[fleetlib.CLIENT_CAP:]:
        problems.append(f"{CAPPED_SOURCE} over the cap got no 503")
    if other_status != 200:
        problems.append(f"{OTHER_SOURCE} got {other_status}, not 200")
    for source in (CAPPED_SOURCE, OTHER_SOURCE):
        if source not in counted:
            problems.append(f"{source} is not in the access log")
    if fleetlib.BALANCER_HOST in counted:
        problems.append(f"the access log names HAProxy's {fleetlib.BALANCER_HOST}")
    expect(not problems, "; ".join(problems))


@test(timeout=60)
def varnish_cache():
    fleet = the_fleet()
    if shutil.which("varnishd") is None:
        raise Failure("varnishd is not installed (tools/install-deps installs varnish)")
    cache = varnishlib.Varnish(fleet.base, fleet.instances[0]).start()
    try:
        varnishlib.check(cache, fleet.instances[0], fleet.releases, fleet.version, report)
    finally:
        cache.stop()


def stop_on_signal(signum, frame):
    """SIGTERM (a CI timeout) ends the run through the cleanups."""
    raise SystemExit(f"stopped by signal {signum}")


def main():
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    if shutil.which("haproxy") is None:
        print("FAIL setup: haproxy is not installed (tools/install-deps installs it)")
        print("0 passed, 1 failed")
        sys.exit(1)
    only = os.environ.get("SB_FLEET_ONLY")
    if only:  # a comma-separated list of scenarios, to run a few of them
        wanted = set(only.split(","))
        harness._tests[:] = [t for t in harness._tests if t[0] in wanted]
    harness.main(budget=420)


if __name__ == "__main__":
    main()
