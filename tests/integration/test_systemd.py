"""switchboard under a service manager: readiness, socket activation, the units.

Run as `$PYTHON tests/integration/test_systemd.py` with SWITCHBOARD set (and
SB_SRCDIR for the unit files in conf/).

  - readiness: the server is started with NOTIFY_SOCKET pointing at a datagram
    socket of ours and must say READY=1 once it listens, RELOADING=1 then
    READY=1 around SIGHUP, STOPPING=1 on SIGTERM;
  - socket activation: systemd-socket-activate binds the ports and starts the
    server on the first connection; the server must serve those sockets and
    bind none of its own;
  - the units: `systemd-analyze verify` finds nothing to say about them, and
    `systemd-analyze security --offline=true` rates switchboard.service 1.5 or
    lower and switchboard-activated.service 0.5 or lower; under strace, the
    server makes only system calls (and sockets) that the units allow.

A test whose tool is missing prints SKIP with the reason; the file then exits
77 (skipped) unless a test failed. (The strace checks are also skipped, without
that, in a sanitizer build, whose runtime makes system calls of its own.)
"""

import os
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
from harness import Failure, Skip, expect, expect_eq, expect_status, fetch  # noqa: E402

HOST = harness.HOST
PAGE = b"served by the service-manager tests\n"
NOTIFY_TIMEOUT = 5.0  # a start takes milliseconds; sanitizers and strace make it slower
CURL_TIMEOUT = 4
FILE_BUDGET = 55.0
SERVICE_MAX_EXPOSURE = 1.5
ACTIVATED_MAX_EXPOSURE = 0.5
INHERITED_RE = re.compile(r"inherited|from the service manager", re.IGNORECASE)
SKIP_EXIT = 77


def source_dir():
    if harness.SB_SRCDIR:
        return harness.SB_SRCDIR
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def unit_path(name):
    return os.path.join(source_dir(), "conf", name)


_missing = []  # tools (or abilities of tools) some test could not find


def missing_tool(reason):
    _missing.append(reason)
    return Skip(reason)


def need_tool(name):
    path = shutil.which(name)
    if path is None:
        raise missing_tool(f"{name} is not installed (Debian: apt-get install "
                           f"{'strace' if name == 'strace' else 'systemd'})")
    return path


# ---------------------------------------------------------------- clean-up

_cleanups = []
_processes = []


def at_end(func):
    _cleanups.append(func)
    return func


def scratch_dir(prefix):
    """A temporary directory others may enter: run as root, the server switches to an
    unprivileged user before it serves or notifies."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    at_end(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


_docroot = None


def docroot():
    global _docroot
    if _docroot is None:
        _docroot = os.path.join(scratch_dir("switchboard-systemd-"), "root")
        os.mkdir(_docroot)
        with open(os.path.join(_docroot, "page.txt"), "wb") as out:
            out.write(PAGE)
    return _docroot


# ---------------------------------------------------------------- the manager's side


class NotifyReceiver:
    """The service manager's notification socket: collects every datagram.

    abstract=True binds a name in the abstract namespace, given to the server
    as "@name"; otherwise a path in a fresh directory."""

    _serial = 0

    def __init__(self, abstract=False):
        NotifyReceiver._serial += 1
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"switchboard-test-{os.getpid()}-{NotifyReceiver._serial}"
            self.sock.bind("\0" + name)
            self.name = "@" + name
        else:
            self.name = os.path.join(scratch_dir("switchboard-notify-"), "notify")
            self.sock.bind(self.name)
            os.chmod(self.name, 0o666)  # sending takes write permission
        self.messages = []  # [(monotonic time received, {key: value}, raw text)]
        self._seen = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _receive(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        text = data.decode("utf-8", "replace")
        fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
        self.messages.append((time.monotonic(), fields, text))
        return True

    def wait_for(self, key, value="1", timeout=NOTIFY_TIMEOUT):
        """The first message not yet returned that sets key=value; earlier ones are skipped
        over (and stay in self.messages)."""
        deadline = time.monotonic() + timeout
        while True:
            while self._seen < len(self.messages):
                received, fields, text = self.messages[self._seen]
                self._seen += 1
                if fields.get(key) == value:
                    return fields
            if not self._receive(deadline - time.monotonic()):
                got = [text for _, _, text in self.messages]
                raise Failure(f"no {key}={value} on {self.name} within {timeout:g} s "
                              f"(received {got!r})")

    def texts(self):
        return [text for _, _, text in self.messages]


# ---------------------------------------------------------------- processes


class Process:
    """A process under test whose stderr is kept; `pid` is the server's own pid (which
    differs from the child's when a wrapper such as strace forks it)."""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.env = env
        self.proc = None
        self.stopped_by = None
        self._lines = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._drainer = None
        self._pid = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=self.env)
        _processes.append(self)
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        return self

    def _drain(self):
        for raw in iter(self.proc.stderr.readline, b""):
            with self._changed:
                self._lines.append(raw.decode("utf-8", "replace"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def pid(self):
        return self._pid if self._pid is not None else self.proc.pid

    def set_pid(self, pid):
        self._pid = pid

    def alive(self):
        return self.proc.poll() is None

    def stderr_text(self):
        with self._lock:
            return "".join(self._lines)

    def wait_line(self, pattern, timeout=NOTIFY_TIMEOUT, count=1):
        """The count-th stderr line matching the regex, waiting for it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [line for line in self._lines if regex.search(line)]
                if len(found) >= count:
                    return found[count - 1].rstrip("\n")
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._drainer.is_alive()):
                    raise Failure(f"no stderr line matching {pattern!r} within {timeout:g} s; "
                                  f"stderr: {''.join(self._lines)[-600:]!r}")
                self._changed.wait(min(left, 0.1))

    def port(self):
        """The first port of the start-up line ("... serving ROOT on http://...:PORT/")."""
        line = self.wait_line(harness.URL_RE.pattern)
        return int(harness.URL_RE.search(line).group(2))

    def send_signal(self, sig):
        os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Signal the server, wait for the child to end; returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.stopped_by = self.stopped_by or sig
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._drainer is not None:
            self._drainer.join(5)
        return self.proc.returncode

    def problems(self):
        found = []
        text = self.stderr_text()
        for marker in harness.SANITIZER_MARKERS:
            if marker in text:
                at = text.index(marker)
                found.append(f"{self.argv[0]}: stderr has {marker!r}: {text[at:at + 300]!r}")
        if self.proc is not None and self.stopped_by == signal.SIGTERM \
                and self.proc.returncode != 0:
            found.append(f"{' '.join(self.argv[:3])}...: exit status {self.proc.returncode} "
                         "after SIGTERM")
        return found


def child_env(**extra):
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    for key in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        env.pop(key, None)
    env.update(extra)
    return env


def start_server(notify=None, args=(), wrapper=(), binary=None):
    """The server on 127.0.0.1:0, told about notify (a NotifyReceiver) if given."""
    env = child_env(**({"NOTIFY_SOCKET": notify.name} if notify else {}))
    argv = [*wrapper, binary or harness.SWITCHBOARD, "--listen", f"{HOST}:0", "--root", docroot(), *args]
    return Process(argv, env).start()


def start_activated(ports, args=(), fdnames=None, notify=None, wrapper=(), binary=None):
    """systemd-socket-activate listening on 127.0.0.1:PORT for each port, which execs the
    server (same pid) at the first connection. Returns once the ports are bound."""
    tool = need_tool("systemd-socket-activate")
    argv = [*wrapper, tool]
    for port in ports:
        argv += ["-l", f"{HOST}:{port}"]
    if fdnames:
        argv.append(f"--fdname={fdnames}")
    # It passes the child only the variables it is told to.
    passed = {"NOTIFY_SOCKET": notify.name} if notify else {}
    for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if key in os.environ:
            passed[key] = os.environ[key]
    for key, value in passed.items():
        argv += ["-E", f"{key}={value}"]
    argv += [binary or harness.SWITCHBOARD, "--root", docroot(), *args]
    process = Process(argv, child_env()).start()
    process.wait_line(r"Listening on", count=len(ports))
    return process


def free_ports(count):
    """count distinct ports that were free a moment ago (held open together while chosen)."""
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probes.append(probe)
            probe.bind((HOST, 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def curl(port, target="/page.txt"):
    """GET with curl (the first connection, which starts an activated server)."""
    done = subprocess.run(
        [harness.CURL, "-sS", "-m", str(CURL_TIMEOUT), "-o", "-", "-w", "\n%{http_code}",
         f"http://{HOST}:{port}{target}"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=CURL_TIMEOUT + 5)
    body, _, code = done.stdout.rpartition(b"\n")
    if done.returncode != 0:
        raise Failure(f"curl http://{HOST}:{port}{target}: exit {done.returncode}: "
                      f"{done.stderr.decode(errors='replace').strip()}")
    return int(code), body


def expect_page_via_curl(port):
    code, body = curl(port)
    expect_eq(code, 200, f"status of GET /page.txt on port {port}")
    expect_eq(body, PAGE, f"body from port {port}")


# ---------------------------------------------------------------- /proc


def socket_inodes(pid):
    """{inode: fd} for the sockets process pid has open."""
    found = {}
    fd_dir = f"/proc/{pid}/fd"
    for name in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue
        match = re.fullmatch(r"socket:\[(\d+)\]", target)
        if match:
            found[int(match.group(1))] = int(name)
    return found


def listening_sockets(pid):
    """[(fd, port)] of the TCP sockets in LISTEN state that process pid holds."""
    inodes = socket_inodes(pid)
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], int(fields[9])
                    if state == "0A" and inode in inodes:
                        found.append((inodes[inode], int(local.rsplit(":", 1)[1], 16)))
        except FileNotFoundError:
            pass
    return sorted(found)


def wait_exec(process, timeout=NOTIFY_TIMEOUT):
    """Wait until process.pid runs the server binary (systemd-socket-activate execs it)."""
    want = os.path.realpath(harness.SWITCHBOARD)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.path.realpath(f"/proc/{process.pid}/exe") == want:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise Failure(f"pid {process.pid} never became {want}")
        time.sleep(0.02)


# ---------------------------------------------------------------- readiness


def clock_usec():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


@harness.test
def ready_after_listening():
    with NotifyReceiver() as rx, start_server(notify=rx) as server:
        ready = rx.wait_for("READY")
        # Looked at as soon as READY=1 arrives: a server that said it before listen() would
        # most often be caught here, and one that never listens always.
        listening = listening_sockets(server.pid)
        expect(listening, f"READY=1 came before any listening socket: {rx.texts()!r}")
        expect(ready.get("STATUS"), f"READY=1 without a STATUS= line: {rx.texts()!r}")
        port = server.port()
        expect(port in [p for _, p in listening],
               f"READY=1 while listening on {listening}, not the announced port {port}")
        expect_status(fetch(port, "/page.txt"), 200, "GET /page.txt after READY=1")
        starts = [t for t in rx.texts() if "READY=1" in t]
        expect_eq(len(starts), 1, "READY=1 messages at start")


@harness.test
def ready_on_abstract_socket():
    with NotifyReceiver(abstract=True) as rx, start_server(notify=rx) as server:
        rx.wait_for("READY")
        expect_status(fetch(server.port(), "/page.txt"), 200, "GET /page.txt")


@harness.test
def reload_notifies_reloading_then_ready():
    with NotifyReceiver() as rx, start_server(notify=rx) as server:
        rx.wait_for("READY")
        before = clock_usec()
        server.send_signal(signal.SIGHUP)
        reloading = rx.wait_for("RELOADING")
        after = clock_usec()
        stamp = reloading.get("MONOTONIC_USEC", "")
        expect(stamp.isdigit(), f"RELOADING=1 without MONOTONIC_USEC=: {rx.texts()!r}")
        expect(before <= int(stamp) <= after,
               f"MONOTONIC_USEC={stamp} is not CLOCK_MONOTONIC between the signal ({before}) "
               f"and its receipt ({after})")
        expect("READY" not in reloading, "READY=1 in the RELOADING=1 message itself")
        rx.wait_for("READY")  # a later message
        expect_status(fetch(server.port(), "/page.txt"), 200, "GET /page.txt after reload")


@harness.test
def stop_notifies_stopping():
    with NotifyReceiver() as rx, start_server(notify=rx) as server:
        rx.wait_for("READY")
        status = server.stop(signal.SIGTERM)
        rx.wait_for("STOPPING", timeout=1.0)  # sent before exiting, so already queued
        expect_eq(status, 0, "exit status after SIGTERM")


@harness.test
def unreachable_notify_socket_is_not_fatal():
    """A manager that went away must not take the server with it."""
    class Gone:
        name = os.path.join(scratch_dir("switchboard-gone-"), "no-such-socket")

    with start_server(notify=Gone()) as server:
        expect_status(fetch(server.port(), "/page.txt"), 200, "GET /page.txt")
        expect(server.alive(), "the server exited")


# ---------------------------------------------------------------- socket activation


@harness.test
def activation_serves_inherited_socket():
    port = free_ports(1)[0]
    with start_activated([port]) as server:
        expect_page_via_curl(port)
        wait_exec(server)
        listening = listening_sockets(server.pid)
        expect_eq(listening, [(3, port)],
                  "listening sockets (fd, port) of the server: only the one passed as fd 3")
        line = server.wait_line(rf":{port}/")
        expect(INHERITED_RE.search(line),
               f"the start-up line does not say the socket was inherited: {line!r}")
        expect_eq(server.stop(), 0, "exit status after SIGTERM")


@harness.test
def activation_ignores_listen_option():
    """Given sockets, the server binds nothing itself, whatever the command line says."""
    port, other = free_ports(2)
    with start_activated([port], args=["--listen", f"{HOST}:{other}"]) as server:
        expect_page_via_curl(port)
        wait_exec(server)
        expect_eq(listening_sockets(server.pid), [(3, port)],
                  f"listening sockets (fd, port) with --listen {HOST}:{other} also given")


@harness.test
def activation_passes_fd_names():
    ports = free_ports(2)
    with start_activated(ports, fdnames="web:admin") as server:
        expect_page_via_curl(ports[1])
        expect_page_via_curl(ports[0])
        wait_exec(server)
        expect_eq(listening_sockets(server.pid), [(3, ports[0]), (4, ports[1])],
                  "listening sockets (fd, port)")
        for port, name in zip(ports, ("web", "admin")):
            line = server.wait_line(rf":{port}/")
            expect(re.search(rf":{port}/[^ ]* *\(?[^:]*\b{name}\b", line),
                   f"the start-up line does not name port {port} {name!r}: {line!r}")


@harness.test
def activation_notifies_ready():
    port = free_ports(1)[0]
    with NotifyReceiver() as rx, start_activated([port], notify=rx) as server:
        expect_page_via_curl(port)
        ready = rx.wait_for("READY")
        expect(str(port) in ready.get("STATUS", ""),
               f"STATUS= does not name port {port}: {rx.texts()!r}")
        server.stop()
        rx.wait_for("STOPPING", timeout=1.0)


# ---------------------------------------------------------------- the units


def read_unit(name):
    """[(section, key, value)] of a unit file, in order."""
    entries, section = [], None
    with open(unit_path(name)) as text:
        for raw in text:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
            else:
                key, _, value = line.partition("=")
                entries.append((section, key.strip(), value.strip()))
    return entries


def unit_values(name, key):
    return [value for _, k, value in read_unit(name) if k == key]


def unit_value(name, key):
    values = unit_values(name, key)
    return values[-1] if values else None


UNITS = ("switchboard.service", "switchboard.socket", "switchboard-activated.service")


def run_analyze(*args, timeout=30):
    tool = need_tool("systemd-analyze")
    return subprocess.run([tool, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, errors="replace", timeout=timeout)


@harness.test
def units_are_consistent():
    activated = unit_value("switchboard.socket", "Service")
    expect_eq(activated, "switchboard-activated.service", "Service= of switchboard.socket")
    expect(os.path.exists(unit_path(activated)), f"conf/{activated} is missing")
    for service in ("switchboard.service", activated):
        expect_eq(unit_value(service, "Type"), "notify", f"Type= of {service}")
        expect(unit_value(service, "ExecReload"), f"{service} has no ExecReload=")
        start = unit_value(service, "ExecStart").split()
        expect_eq(start[0], "/usr/sbin/switchboard", f"ExecStart= of {service}")
    expect_eq(unit_value(activated, "PrivateNetwork"), "yes", f"PrivateNetwork= of {activated}")
    expect_eq(unit_value(activated, "CapabilityBoundingSet"), "",
              f"CapabilityBoundingSet= of {activated}")
    for unit in UNITS:  # the manual pages named must be the project's own
        for doc in " ".join(unit_values(unit, "Documentation")).split():
            match = re.fullmatch(r"man:([\w.-]+)\((\d)\)", doc)
            if match:
                page = os.path.join(source_dir(), "man", f"{match.group(1)}.{match.group(2)}")
                expect(os.path.exists(page), f"{unit}: {doc} but no {page}")


def verify_root():
    """A scratch root holding what the units name: the server where ExecStart= says,
    /bin/kill, and the system's own units (sysinit.target, ...) that every unit depends on.
    The units are checked there, as installed, not against this machine's /usr/sbin."""
    system_units = next((d for d in ("/usr/lib/systemd/system", "/lib/systemd/system")
                         if os.path.exists(os.path.join(d, "sysinit.target"))), None)
    kill = "/bin/kill" if os.path.exists("/bin/kill") else shutil.which("kill")
    if system_units is None or kill is None:
        raise Skip("no systemd unit directory or kill(1) on this machine to verify against")
    root = scratch_dir("switchboard-verify-")
    shutil.copytree(system_units, os.path.join(root, "usr/lib/systemd/system"), symlinks=True)
    os.makedirs(os.path.join(root, "usr/sbin"))
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "etc/systemd/system"))
    shutil.copy2(harness.SWITCHBOARD, os.path.join(root, "usr/sbin/switchboard"))
    shutil.copy2(kill, os.path.join(root, "bin/kill"))
    for unit in UNITS:
        shutil.copy2(unit_path(unit), os.path.join(root, "etc/systemd/system", unit))
    return root


@harness.test(timeout=30)
def units_verify_clean():
    root = verify_root()
    # Manual pages are looked up on this machine, where they are not installed:
    # units_are_consistent checks that they exist in the source tree instead.
    done = run_analyze("verify", f"--root={root}", "--man=no", "--recursive-errors=no",
                       *UNITS)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0 and re.search(r"unrecognized option|Unknown command", output):
        raise missing_tool(f"this systemd-analyze cannot verify in a root: {output[:200]}")
    expect(done.returncode == 0 and not output,
           f"systemd-analyze verify: exit {done.returncode}: {output[:500]!r}")


def exposure(unit):
    done = run_analyze("security", "--offline=true", unit_path(unit))
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", done.stdout)
    if match is None:
        output = (done.stdout + done.stderr).strip()
        if re.search(r"unrecognized option|offline", output):
            raise missing_tool(f"this systemd-analyze cannot rate a unit offline: "
                               f"{output[-200:]}")
        raise Failure(f"systemd-analyze security {unit}: exit {done.returncode}: {output[-500:]!r}")
    return float(match.group(1)), done.stdout


def expect_exposure(unit, limit):
    level, report = exposure(unit)
    weak = [line.strip() for line in report.splitlines() if line.startswith("✗")]
    expect(level <= limit, f"{unit}: exposure {level} above {limit}; weak points: {weak!r}")


@harness.test(timeout=30)
def security_service():
    expect_exposure("switchboard.service", SERVICE_MAX_EXPOSURE)


@harness.test(timeout=30)
def security_activated_service():
    expect_exposure("switchboard-activated.service", ACTIVATED_MAX_EXPOSURE)


# ---------------------------------------------------------------- the filters, in practice


def syscall_groups():
    """{"@group": [members]} as this systemd-analyze knows them."""
    done = run_analyze("syscall-filter")
    groups, current = {}, None
    for line in done.stdout.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())
    if not groups:
        raise Skip(f"systemd-analyze syscall-filter listed no groups: {done.stderr[:200]}")
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for name in names:
        if name.startswith("@"):
            if name not in seen:
                seen.add(name)
                out |= expand(groups.get(name, ()), groups, seen)
        else:
            out.add(name)
    return out


def allowed_syscalls(unit):
    """The set SystemCallFilter= lines of unit allow: the allow list, less each ~ list."""
    groups = syscall_groups()
    allowed, denied = set(), set()
    for value in unit_values(unit, "SystemCallFilter"):
        if value.startswith("~"):
            denied |= expand(value[1:].split(), groups)
        else:
            allowed |= expand(value.split(), groups)
    expect(allowed, f"{unit} has no SystemCallFilter= allow list")
    return allowed - denied


def traced_calls(trace_file, binary):
    """(syscall names, socket() families) from an strace -f log, from the execve of binary."""
    names, families, started = set(), set(), False
    call = re.compile(r"^\d+\s+([a-z0-9_]+)\((.*)")
    with open(trace_file, errors="replace") as lines:
        for line in lines:
            match = call.match(line)
            if not match:
                continue  # "<... resumed>", signals, exits
            name, args = match.groups()
            if name == "execve":  # systemd allows the exec itself
                path = args.split('"')[1] if args.startswith('"') else ""
                started = started or (os.path.basename(path) == binary and "= 0" in line)
                continue
            if not started:
                continue
            names.add(name)
            if name in ("socket", "socketpair"):
                families.add(args.split(",", 1)[0].strip())
    expect(started, f"no execve of {binary} in the trace")
    return names, families


def sanitized_binary():
    with open(harness.SWITCHBOARD, "rb") as binary:
        data = binary.read()
    return b"__asan_init" in data or b"__ubsan_handle" in data


def others_can_run(path):
    """Can a user who is neither owner nor in the group execute path (every
    directory on the way searchable, the file executable by others)?"""
    path = os.path.realpath(path)
    parts = [path] + [os.path.dirname(path)]
    while parts[-1] != os.path.dirname(parts[-1]):
        parts.append(os.path.dirname(parts[-1]))
    return all(os.stat(part).st_mode & 0o001 for part in parts)


def strace_wrapper(trace_file):
    """(strace's argv up to the program, the program to run under it)."""
    if sanitized_binary():
        raise Skip("a sanitizer build: its runtime makes system calls of its own (and "
                   "LeakSanitizer cannot run under strace); checked in the plain build")
    tool = need_tool("strace")
    probe = subprocess.run([tool, "-qq", "-o", os.devnull, "true"], capture_output=True,
                           timeout=10)
    if probe.returncode != 0:
        raise missing_tool(f"strace cannot trace here: "
                           f"{probe.stderr.decode(errors='replace')[:200]}")
    wrapper = [tool, "-f", "-qq", "-s", "4096", "-e", "signal=none", "-o", trace_file]
    # As the units run it: never as root (which would switch users, calls they filter out).
    if os.geteuid() != 0:
        return wrapper, harness.SWITCHBOARD
    binary = harness.SWITCHBOARD
    if not others_can_run(binary):  # a build under /root (0700), say: nobody runs a copy
        binary = os.path.join(scratch_dir("switchboard-bin-"), os.path.basename(binary))
        shutil.copy2(harness.SWITCHBOARD, binary)
        os.chmod(binary, 0o755)
    return wrapper + ["-u", "nobody"], binary


def traced_pid(wrapper_pid, program, timeout=NOTIFY_TIMEOUT):
    """The child of strace that runs program (strace also forks short-lived probes)."""
    want = os.path.realpath(program)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{wrapper_pid}/task/{wrapper_pid}/children") as f:
                children = [int(pid) for pid in f.read().split()]
        except OSError:
            children = []
        for pid in children:
            try:
                if os.path.realpath(f"/proc/{pid}/exe") == want:
                    return pid
            except OSError:
                pass
        time.sleep(0.02)
    raise Failure(f"strace started no {want}")


def exercise(port, rx, server):
    """What a service does in a day: requests, a reload, a stop."""
    expect_status(fetch(port, "/page.txt"), 200, "GET /page.txt")
    expect_status(fetch(port, "/page.txt", method="HEAD"), 200, "HEAD /page.txt")
    expect_status(fetch(port, "/missing"), 404, "GET /missing")
    server.send_signal(signal.SIGHUP)
    rx.wait_for("RELOADING")
    rx.wait_for("READY")
    expect_status(fetch(port, "/page.txt"), 200, "GET /page.txt after reload")
    expect_eq(server.stop(), 0, "exit status after SIGTERM")


def expect_within_unit(unit, names, families):
    forbidden = sorted(names - allowed_syscalls(unit))
    expect(not forbidden, f"system calls that {unit} filters out (they would fail with "
                          f"EPERM): {forbidden}")
    allowed_families = set(" ".join(unit_values(unit, "RestrictAddressFamilies")).split())
    stray = sorted(families - allowed_families)
    expect(not stray, f"socket families that {unit} refuses: {stray}")


@harness.test(timeout=30)
def syscalls_allowed_by_service_unit():
    trace = os.path.join(scratch_dir("switchboard-strace-"), "trace")
    wrapper, binary = strace_wrapper(trace)
    allowed_syscalls("switchboard.service")  # skip early when systemd-analyze is missing
    with NotifyReceiver() as rx, \
            start_server(notify=rx, wrapper=wrapper, binary=binary) as server:
        server.set_pid(traced_pid(server.proc.pid, binary))
        rx.wait_for("READY")
        exercise(server.port(), rx, server)
    names, families = traced_calls(trace, os.path.basename(binary))
    expect_within_unit("switchboard.service", names, families)


@harness.test(timeout=30)
def syscalls_allowed_by_activated_unit():
    trace = os.path.join(scratch_dir("switchboard-strace-"), "trace")
    wrapper, binary = strace_wrapper(trace)
    allowed_syscalls("switchboard-activated.service")
    port = free_ports(1)[0]
    with NotifyReceiver() as rx, \
            start_activated([port], notify=rx, wrapper=wrapper, binary=binary) as server:
        server.set_pid(traced_pid(server.proc.pid, shutil.which("systemd-socket-activate")))
        expect_page_via_curl(port)
        rx.wait_for("READY")
        exercise(port, rx, server)
    names, families = traced_calls(trace, os.path.basename(binary))
    expect_within_unit("switchboard-activated.service", names, families)


# ---------------------------------------------------------------- runner


def processes_clean():
    problems = [p for process in _processes for p in process.problems()]
    expect(not problems, "; ".join(problems))


def main():
    harness.require_binary()
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    deadline = time.monotonic() + FILE_BUDGET
    try:
        for name, func, timeout in harness._tests:
            left = deadline - time.monotonic()
            if left <= 0:
                outcome = ("FAIL", f"not run: the file's {FILE_BUDGET:g} s budget is spent")
            else:
                outcome = harness._run_one(func, min(timeout, left))
            counts[harness._report(name, *outcome)] += 1
    finally:
        for process in _processes:
            if process.proc is not None and process.alive():
                process.stop(signal.SIGKILL)
        while _cleanups:
            _cleanups.pop()()
    counts[harness._report("processes_clean_at_end", *harness._run_one(processes_clean, 30))] += 1
    if _missing and not counts["FAIL"]:
        print(f"# skipped for want of a tool, so the file counts as skipped: "
              f"{'; '.join(sorted(set(_missing)))}", flush=True)
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed", flush=True)
    if counts["FAIL"]:
        sys.exit(1)
    sys.exit(SKIP_EXIT if _missing else 0)


if __name__ == "__main__":
    main()
