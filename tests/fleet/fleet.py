"""The fleet under test: releases of content, switchboard instances, HAProxy.

Everything lives in one temporary directory (world-readable: started as
root, switchboard serves as nobody) that is removed at exit; every process
started here is stopped at exit, killed if it does not stop.

Layout of the directory:
  releases/v1, releases/v2   two versions of the same site (different bytes)
  sbN/current                a symlink to a release: instance N's root
  sbN/switchboard.conf       instance N's configuration
  sbN/access.log             instance N's access log
  haproxy/haproxy.cfg        the balancer's configuration (see
                             conf/haproxy-fleet.cfg for the commented one)
  haproxy/stats.sock         its admin socket (show stat)
"""

import ctypes
import gzip
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import harness
from harness import Failure

# One loopback address per instance: HAProxy's checks and the access logs
# then name each instance by its address.
INSTANCE_HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
BALANCER_HOST = "127.0.0.1"
DRAIN_DELAY = 3.0
GRACEFUL_TIMEOUT = 10.0
# max_connections_per_client on every instance. HAProxy's health checks count
# as its own address's (127.0.0.1), as do the direct probes and Varnish.
CLIENT_CAP = 8
CHECK_INTER = 1.0  # HAProxy: inter 1s fall 2 rise 1

# Paths of a release, and how big each file is: a page, a small file that
# stays in the server's file cache, and one above the cache's 256 KiB limit.
SITE = {"index.html": 600, "small.txt": 3000, "big.bin": 300 * 1024}
PRECOMPRESSED = "style.css"  # with style.css.br and style.css.gz next to it


def sha256(data):
    return hashlib.sha256(data).hexdigest()


PR_SET_PDEATHSIG = 1


def die_with_parent():
    """In a child before exec: be killed if the test process dies, even by
    SIGKILL, so that no balancer or cache outlives it."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


# ---------------------------------------------------------------- content


class Releases:
    """Release directories v1, v2 with different bytes under the same paths.

    digests[path][sha256] is the version whose file has those bytes."""

    def __init__(self, base):
        self.dir = os.path.join(base, "releases")
        os.mkdir(self.dir)
        os.chmod(self.dir, 0o755)
        self.digests = {"/" + name: {} for name in SITE}
        self.digests["/"] = self.digests["/index.html"]
        self.files = {}  # (version, name) -> bytes

    def make(self, version):
        path = self.path(version)
        os.mkdir(path)
        os.chmod(path, 0o755)
        for name, size in SITE.items():
            data = self._content(version, name, size)
            self._write(path, name, data)
            self.digests["/" + name][sha256(data)] = version
        self._make_precompressed(version, path)
        return path

    def path(self, version):
        return os.path.join(self.dir, version)

    def remove(self, version):
        shutil.rmtree(self.path(version))

    def _content(self, version, name, size):
        head = f"release {version}, {name}\n".encode()
        return head + os.urandom(size - len(head))

    def _make_precompressed(self, version, path):
        """A stylesheet and its br and gz forms, made with the real tools."""
        rule = f"/* release {version} */\nbody {{ color: #333; }}\n".encode()
        data = rule * 200
        self._write(path, PRECOMPRESSED, data)
        target = os.path.join(path, PRECOMPRESSED)
        subprocess.run(["brotli", "-k", "-f", "-q", "5", target], check=True, timeout=30)
        subprocess.run(["gzip", "-k", "-f", "-9", "-n", target], check=True, timeout=30)
        for suffix in (".br", ".gz"):
            os.chmod(target + suffix, 0o644)
        # The encoded files must be at least as new as the file they stand for.
        now = time.time()
        for suffix in ("", ".br", ".gz"):
            os.utime(target + suffix, (now, now))

    def encoded(self, version, coding):
        """The bytes of the stylesheet in one coding (identity, br, gzip)."""
        suffix = {"identity": "", "br": ".br", "gzip": ".gz"}[coding]
        with open(os.path.join(self.path(version), PRECOMPRESSED + suffix), "rb") as f:
            data = f.read()
        if coding == "gzip":
            gzip.decompress(data)  # it must be real gzip
        return data

    def _write(self, path, name, data):
        target = os.path.join(path, name)
        with open(target, "wb") as out:
            out.write(data)
        os.chmod(target, 0o644)
        self.files[(os.path.basename(path), name)] = data

    def version_of(self, path, body):
        """The release whose file at path has these bytes, or None."""
        return self.digests.get(path, {}).get(sha256(body))


# ---------------------------------------------------------------- instances


def free_port(host):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Instance:
    """One switchboard: a listener for the balancer (PROXY protocol) and a
    plain one for direct probes and for Varnish."""

    def __init__(self, base, number, host, first_release):
        self.name = f"sb{number}"
        self.host = host
        self.dir = os.path.join(base, self.name)
        os.mkdir(self.dir)
        os.chmod(self.dir, 0o755)
        self.root = os.path.join(self.dir, "current")
        os.symlink(first_release, self.root)
        self.access_log = os.path.join(self.dir, "access.log")
        self.conf = os.path.join(self.dir, "switchboard.conf")
        self.balanced_port = free_port(host)
        self.plain_port = free_port(host)
        self._write_config()
        self.server = None
        self.runs = []  # every start, for the error log of each

    def save_stderr(self):
        """Each run's standard error in sbN/stderr.N (kept with SB_FLEET_KEEP=1)."""
        for number, run in enumerate(self.runs, 1):
            with open(os.path.join(self.dir, f"stderr.{number}"), "w") as f:
                f.write(run.stderr_text())

    def _write_config(self):
        lines = [
            f"listen {self.host}:{self.balanced_port} proxy_protocol",
            "proxy_trusted 127.0.0.1",  # where HAProxy connects from
            f"listen {self.host}:{self.plain_port}",
            f"root {self.root}",
            "health_path /healthz",
            "metrics_path /metrics",
            "metrics_allow 127.0.0.1",
            f"access_log {self.access_log}",
            f"max_connections_per_client {CLIENT_CAP}",
            f"graceful_timeout {GRACEFUL_TIMEOUT:g}s",
            f"add_header X-Instance {self.name}",
            f"drain_delay {DRAIN_DELAY:g}s",
        ]
        # The first serves Varnish its br and gzip files; the others keep the
        # default file cache, which precompressed turns off.
        if self.name == "sb1":
            lines.append("precompressed on")
        with open(self.conf, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        os.chmod(self.conf, 0o644)

    def start(self):
        self.server = harness.Server(None, args=("-c", self.conf), listen=())
        self.runs.append(self.server)
        self.server.start()
        return self

    def stop(self, sig=signal.SIGTERM):
        """Signal it and wait for its exit; returns (status, seconds)."""
        started = time.monotonic()
        status = self.server.stop(sig, timeout=DRAIN_DELAY + GRACEFUL_TIMEOUT + 5)
        return status, time.monotonic() - started

    def alive(self):
        return self.server is not None and self.server.alive()

    def signal(self, sig):
        self.server.proc.send_signal(sig)

    def get(self, target, headers=(), timeout=5.0):
        """One request straight to the plain listener."""
        with harness.Client(self.plain_port, self.host, timeout) as client:
            return client.get(target, headers=headers)

    def metric(self, name, labels=""):
        """A sample of the server's own counters (None when absent)."""
        reply = self.get("/metrics")
        if reply.status != 200:
            raise Failure(f"{self.name}: GET /metrics answered {reply.status}")
        body = reply.body.decode()
        wanted = name + (f"{{{labels}}}" if labels else "")
        for line in body.splitlines():
            if line.startswith(wanted + " "):
                return float(line.split()[-1])
        return None

    def access_lines(self):
        try:
            with open(self.access_log, "rb") as f:
                return f.read().decode("latin-1").splitlines()
        except FileNotFoundError:
            return []


# ---------------------------------------------------------------- HAProxy

HAPROXY_CONFIG = """\
# Written by tests/fleet/fleet.py; conf/haproxy-fleet.cfg explains each line.
global
    maxconn 512
    stats socket {stats} mode 600 level admin
    log stderr format short local0 info

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 1s
    timeout client 15s
    timeout server 15s
    timeout http-request 5s
    timeout http-keep-alive 5s
    timeout check 1s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend www
    bind {bind}
    default_backend fleet

backend fleet
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 1 send-proxy-v2
{servers}

# One instance alone, for the per-client cap: the balanced backend spreads a
# client's connections over the fleet. Without reuse, each client connection
# has a server connection of its own for as long as it lasts.
frontend capped
    bind {bind_capped}
    default_backend one

backend one
    http-reuse never
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 1 send-proxy-v2
{first_server}
"""


class HAProxy:
    def __init__(self, base, instances):
        self.dir = os.path.join(base, "haproxy")
        os.mkdir(self.dir)
        self.port = free_port(BALANCER_HOST)
        self.capped_port = free_port(BALANCER_HOST)
        self.stats = os.path.join(self.dir, "stats.sock")
        self.config = os.path.join(self.dir, "haproxy.cfg")
        self.log = os.path.join(self.dir, "haproxy.log")
        servers = [f"    server {i.name} {i.host}:{i.balanced_port}" for i in instances]
        with open(self.config, "w") as f:
            f.write(HAPROXY_CONFIG.format(
                stats=self.stats, bind=f"{BALANCER_HOST}:{self.port}",
                bind_capped=f"{BALANCER_HOST}:{self.capped_port}",
                servers="\n".join(servers), first_server=servers[0]))
        self.proc = None
        self._log_file = None

    def start(self):
        check = subprocess.run(["haproxy", "-c", "-q", "-f", self.config], capture_output=True,
                               text=True, timeout=20)
        if check.returncode != 0:
            raise Failure(f"haproxy -c refused the configuration: {check.stderr.strip()[-600:]}")
        self._log_file = open(self.log, "wb")
        # -db: stay in the foreground, no daemon; as the current user.
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.stats) or not self._listening():
            if self.proc.poll() is not None:
                raise Failure(f"haproxy exited with {self.proc.returncode}: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise Failure("haproxy did not start listening within 10 s")
            time.sleep(0.05)
        return self

    def _listening(self):
        try:
            socket.create_connection((BALANCER_HOST, self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def command(self, line):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(self.stats)
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def status(self, server, backend="fleet"):
        """HAProxy's view of a server: UP, DOWN, MAINT, "UP 1/2"..."""
        lines = self.command("show stat").splitlines()
        fields = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(fields, line.split(",")))
            if row.get("pxname") == backend and row.get("svname") == server:
                return row.get("status", "")
        raise Failure(f"haproxy has no server {backend}/{server}")

    def wait_status(self, server, wanted, timeout, backends=("fleet",)):
        """Seconds until every backend shows server as wanted (Failure past timeout)."""
        started = time.monotonic()
        while True:
            states = [self.status(server, b) for b in backends]
            if all(s == wanted for s in states):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise Failure(f"haproxy shows {server} as {states}, not {wanted}, "
                              f"after {timeout:g} s")
            time.sleep(0.05)

    def log_tail(self, count=10):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("latin-1").splitlines()[-count:]
        except FileNotFoundError:
            return []

    def error_lines(self, since_line=0, count=8):
        """HAProxy's log lines, after the first since_line, for requests that
        did not end cleanly (termination state other than ----)."""
        try:
            with open(self.log, "rb") as f:
                lines = f.read().decode("latin-1").splitlines()[since_line:]
        except FileNotFoundError:
            return []
        bad = [line for line in lines if ' HTTP/1.' in line and " ---- " not in line]
        return bad[-count:]

    def log_length(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().count(b"\n")
        except FileNotFoundError:
            return 0


# ---------------------------------------------------------------- the whole


class Fleet:
    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="switchboard-fleet-")
        os.chmod(self.base, 0o755)
        if os.environ.get("SB_FLEET_KEEP") == "1":
            print(f"# SB_FLEET_KEEP=1: {self.base} is kept", flush=True)
        else:
            harness.at_end(self.remove)
        self.releases = Releases(self.base)
        self.version = "v1"
        first = self.releases.make("v1")
        self.instances = [Instance(self.base, n + 1, host, first)
                          for n, host in enumerate(INSTANCE_HOSTS)]
        self.haproxy = HAProxy(self.base, self.instances)
        harness.at_end(self.stop)
        self._lock = threading.Lock()

    def start(self):
        for instance in self.instances:
            instance.start()
        self.haproxy.start()
        self.wait_all_up(timeout=10)
        return self

    def wait_all_up(self, timeout):
        for instance in self.instances:
            backends = ("fleet", "one") if instance is self.instances[0] else ("fleet",)
            self.haproxy.wait_status(instance.name, "UP", timeout, backends)

    def stop(self):
        self.haproxy.stop()
        for instance in self.instances:
            if instance.alive():
                instance.stop()
            instance.save_stderr()

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)
