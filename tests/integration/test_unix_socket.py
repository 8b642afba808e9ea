"""Unix-domain socket listeners (listen unix:PATH, unix_socket_mode,
unix_socket_group), for a proxy on the same host: served with the real curl
(--unix-socket), the socket file's mode, a stale socket file replaced, any
other file left alone, PROXY headers over the socket, the file removed at stop.

Run as `$PYTHON tests/integration/test_unix_socket.py` with SWITCHBOARD and
CURL set (make check does).
"""

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Skip, expect, expect_eq, test  # noqa: E402

CURL = os.environ.get("CURL") or shutil.which("curl")


def setup(*lines):
    root = harness.DocRoot("switchboard-unix-")
    root.write("index.html", b"<p>over a unix socket</p>\n")
    work = tempfile.mkdtemp(prefix="switchboard-unix-")
    # Writable by the user the server runs as (nobody, when started as root),
    # as a RuntimeDirectory is: so that it can remove its socket at the stop.
    os.chmod(work, 0o777)
    harness.at_end(lambda: shutil.rmtree(work, ignore_errors=True))
    path = os.path.join(work, "http.sock")
    conf = os.path.join(work, "switchboard.conf")
    with open(conf, "w") as f:
        f.write("listen 127.0.0.1:0\n")
        f.write("".join(line.replace("SOCK", path) + "\n" for line in lines))
    return root, conf, path


def curl_unix(path, target="/"):
    if CURL is None:
        raise Skip("curl not installed")
    done = subprocess.run([CURL, "-sS", "--unix-socket", path, f"http://localhost{target}"],
                          capture_output=True, timeout=20)
    expect_eq(done.returncode, 0, f"curl --unix-socket: {done.stderr!r}")
    return done.stdout


@test
def served_over_a_unix_socket():
    root, conf, path = setup("listen unix:SOCK", "unix_socket_mode 0660")
    server = harness.Server(root.root, args=("-c", conf), listen=()).start()
    harness.at_end(server.stop)
    expect(stat.S_ISSOCK(os.lstat(path).st_mode), "no socket file")
    expect_eq(oct(stat.S_IMODE(os.lstat(path).st_mode)), oct(0o660), "the socket file's mode")
    expect_eq(curl_unix(path), b"<p>over a unix socket</p>\n", "the body")
    expect(f"unix:{path}" in (server.startup_line or ""), f"start-up line: {server.startup_line}")
    server.stop()
    expect(not os.path.exists(path), "the socket file is left after the stop")


@test
def a_stale_socket_is_replaced_and_other_files_are_not():
    root, conf, path = setup("listen unix:SOCK")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()  # a socket file with no listener: what a crash leaves
    server = harness.Server(root.root, args=("-c", conf), listen=()).start()
    harness.at_end(server.stop)
    expect_eq(curl_unix(path), b"<p>over a unix socket</p>\n", "served after replacing it")
    server.stop()
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "w") as f:
        f.write("not a socket\n")
    done = harness.run_cli(["-c", conf, "--listen", "unix:" + path, root.root])
    expect_eq(done.returncode, 1, f"exit status with a regular file there: {done.stderr}")
    expect("not a socket" in done.stderr, f"the error says why: {done.stderr!r}")
    with open(path) as f:
        expect_eq(f.read(), "not a socket\n", "the file was left alone")


@test
def proxy_headers_over_the_socket():
    root, conf, path = setup("listen unix:SOCK proxy_protocol", "proxy_trusted 192.0.2.1")
    server = harness.Server(root.root, args=("-c", conf), listen=()).start()
    harness.at_end(server.stop)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(path)
    sock.sendall(b"PROXY TCP4 198.51.100.7 127.0.0.1 4000 80\r\n"
                 b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    expect(data.startswith(b"HTTP/1.1 200 "), f"a local peer may send a PROXY header: {data[:80]!r}")


if __name__ == "__main__":
    harness.main()
