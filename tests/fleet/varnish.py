"""Varnish as a cache in front of one switchboard instance.

varnishd runs in the foreground (-F) with its working directory (-n) in the
fleet's temporary directory. Started as root it serves through its default
jail (the varnish and vcache users that Debian's package creates); otherwise
as the current user. http_gzip_support is off so that Varnish passes the
client's Accept-Encoding through and keeps one object per value, as the
server's Vary: Accept-Encoding asks.
"""

import os
import re
import signal
import subprocess
import time

import harness
from harness import Failure, expect, expect_eq
import fleet as fleetlib

TTL = 2.0  # short, so that the revalidation with the backend can be seen

VCL = """\
vcl 4.1;

# The health route, as a load balancer would check it: the backend starts
# sick (initial 0) and is healthy after 2 good answers of the last 3.
probe healthz {{
    .request = "GET /healthz HTTP/1.1"
               "Host: fleet.test"
               "Connection: close";
    .expected_response = 200;
    .interval = 1s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
    .initial = 0;
}}

backend {name} {{
    .host = "{host}";
    .port = "{port}";
    .probe = healthz;
}}

sub vcl_backend_response {{
    # Expire soon, but keep the object to revalidate it with its ETag.
    set beresp.ttl = {ttl}s;
    set beresp.grace = 0s;
    set beresp.keep = 1m;
}}
"""


class Varnish:
    def __init__(self, base, instance):
        self.dir = os.path.join(base, "varnish")
        os.mkdir(self.dir)
        os.chmod(self.dir, 0o755)
        self.workdir = os.path.join(self.dir, "n")
        self.vcl = os.path.join(self.dir, "fleet.vcl")
        self.log = os.path.join(self.dir, "varnishd.log")
        self.port = fleetlib.free_port("127.0.0.1")
        self.backend = instance.name
        with open(self.vcl, "w") as f:
            f.write(VCL.format(name=instance.name, host=instance.host,
                               port=instance.plain_port, ttl=f"{TTL:g}"))
        os.chmod(self.vcl, 0o644)
        self.proc = None
        self._log_file = None

    def start(self):
        argv = ["varnishd", "-F", "-n", self.workdir, "-a", f"127.0.0.1:{self.port}",
                "-f", self.vcl, "-s", "malloc,32m", "-p", "http_gzip_support=off"]
        self._log_file = open(self.log, "wb")
        # A session of its own: the manager and its cache child stop together.
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=fleetlib.die_with_parent)
        harness.at_end(self.stop)
        deadline = time.monotonic() + 20
        while not self._answers():
            if self.proc.poll() is not None:
                raise Failure(f"varnishd exited with {self.proc.returncode}: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise Failure(f"varnishd did not answer within 20 s: {self.log_tail()}")
            time.sleep(0.1)
        return self

    def _answers(self):
        try:
            with harness.Client(self.port, "127.0.0.1", 2) as client:
                client.get("/healthz")
            return True
        except (OSError, harness.ResponseError):
            return False

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log_file.close()

    def log_tail(self):
        with open(self.log, "rb") as f:
            return f.read().decode("latin-1")[-400:]

    def backend_health(self):
        """The Health column of varnishadm backend.list for our backend."""
        out = subprocess.run(["varnishadm", "-n", self.workdir, "backend.list"],
                             capture_output=True, text=True, timeout=10)
        for line in out.stdout.splitlines():
            fields = line.split()
            if fields and fields[0].endswith("." + self.backend):
                return fields[3] if len(fields) > 3 else line
        raise Failure(f"backend.list does not name {self.backend}: {out.stdout!r} {out.stderr!r}")

    def get(self, target, headers=()):
        with harness.Client(self.port, "127.0.0.1", 5) as client:
            return client.get(target, headers=headers)


def is_hit(reply):
    """X-Varnish holds two ids for a hit (this request's and the object's)."""
    ids = (reply.header("x-varnish") or "").split()
    return len(ids) == 2


def wait_healthy(cache, timeout=10.0):
    started = time.monotonic()
    health = cache.backend_health()
    while health != "healthy" and time.monotonic() - started < timeout:
        time.sleep(0.2)
        health = cache.backend_health()
    expect_eq(health, "healthy", "the backend's health after its probes")
    return time.monotonic() - started


def check(cache, instance, releases, version, report):
    """Everything Varnish must do with the instance behind it."""
    waited = wait_healthy(cache)
    report(f"varnish_cache: the probe on /healthz marked {instance.name} healthy "
           f"after {waited:.1f} s")
    path = "/" + fleetlib.PRECOMPRESSED
    identity = releases.encoded(version, "identity")
    first = cache.get(path)
    expect_eq(first.status, 200, "first GET through Varnish")
    expect(first.body == identity, "first GET: not the file's bytes")
    etag = first.header("etag")
    expect(etag is not None, "no ETag from the server through Varnish")
    conditional = cache.get(path, headers=[("If-None-Match", etag)])
    expect_eq(conditional.status, 304, f"GET with If-None-Match: {etag}")
    expect(is_hit(conditional), f"the 304 was not a cache hit: X-Varnish "
           f"{conditional.header('x-varnish')!r}, Age {conditional.header('age')!r}")
    report(f"varnish_cache: If-None-Match {etag} -> 304 from the cache "
           f"(X-Varnish {conditional.header('x-varnish')})")
    check_variants(cache, releases, version, path, report)
    check_backend_revalidation(cache, instance, identity, path, report)


def check_variants(cache, releases, version, path, report):
    """br, gzip and identity are three objects, each served to its own kind."""
    codings = ("br", "gzip", "identity")
    for round_number in (1, 2):
        for coding in codings:
            reply = cache.get(path, headers=[("Accept-Encoding", coding)])
            expect_eq(reply.status, 200, f"GET {path} with Accept-Encoding: {coding}")
            vary = (reply.header("vary") or "").lower()
            expect("accept-encoding" in vary, f"Vary is {reply.header('vary')!r}")
            served = reply.header("content-encoding") or "identity"
            expect_eq(served, coding, f"Content-Encoding for Accept-Encoding: {coding}")
            expect(reply.body == releases.encoded(version, coding),
                   f"Accept-Encoding: {coding}: not the {coding} file's bytes")
            if round_number == 2:
                expect(is_hit(reply), f"second GET with {coding} was not a cache hit")
    report(f"varnish_cache: {', '.join(codings)} each served its own bytes, "
           f"then each from the cache")


def check_backend_revalidation(cache, instance, identity, path, report):
    """After the TTL, Varnish asks the server with the ETag and gets 304."""
    log_from = len(instance.access_lines())
    time.sleep(TTL + 0.5)
    reply = cache.get(path)
    expect_eq(reply.status, 200, f"GET {path} after the TTL")
    expect(reply.body == identity, "after revalidation: not the file's bytes")
    time.sleep(0.3)
    pattern = re.compile(r'"GET ' + re.escape(path) + r' HTTP/1\.1" (\d{3}) ')
    statuses = [m.group(1) for line in instance.access_lines()[log_from:]
                for m in [pattern.search(line)] if m]
    report(f"varnish_cache: after the TTL the server answered Varnish {statuses}")
    expect("304" in statuses, f"Varnish did not revalidate with the server: {statuses}")
