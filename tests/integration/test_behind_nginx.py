"""Behind the real nginx (Debian's package) as an HTTP reverse proxy that
sends X-Forwarded-For: with real_client_header x-forwarded-for the access log
and the per-client cap see the clients, not nginx, and an address a client
writes into the field itself is not believed.

Skipped (exit 77) when nginx is not installed. Everything on loopback: the
clients connect from 127.0.0.5 and 127.0.0.6 to nginx on 127.0.0.1.

Run as `$PYTHON tests/integration/test_behind_nginx.py` with SWITCHBOARD set
(make check does).
"""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Client, build_request, expect, expect_status, test  # noqa: E402

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream switchboard {{
        server 127.0.0.1:{upstream};
        keepalive 4;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://switchboard;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


class Setup:
    def __init__(self):
        self.server = harness.configured_server(
            ["real_client_header x-forwarded-for", "proxy_trusted 127.0.0.1",
             "max_connections_per_client 2"],
            "switchboard-nginx-", {"index.html": b"<p>home</p>\n"}, access_log=True)
        self.work, self.log = self.server.work, self.server.access_log
        self.port = harness.free_port()
        nginx_conf = os.path.join(self.work, "nginx.conf")
        with open(nginx_conf, "w") as f:
            f.write(NGINX_CONF.format(work=self.work, upstream=self.server.port, port=self.port))
        self.nginx = subprocess.Popen([NGINX, "-p", self.work, "-c", nginx_conf],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        harness.at_end(self.stop_nginx)
        self.wait_nginx()

    def stop_nginx(self):
        if self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()

    def wait_nginx(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                raise harness.Failure(f"nginx exited: {self.nginx.stderr.read()!r}")
            try:
                harness.connect(self.port).close()
                return
            except OSError:
                time.sleep(0.05)
        raise harness.Failure("nginx did not start listening within 10 s")

    def get(self, target, source, headers=()):
        with Client(self.port, source=source) as client:
            client.send(build_request(target, headers=list(headers) + [("Connection", "close")]))
            return client.read_response()

    def log_line(self, target, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log, "rb") as f:
                found = [line for line in f.read().decode("latin-1").splitlines()
                         if f" {target} HTTP/1.1" in line]
            if found or time.monotonic() > deadline:
                expect(len(found) == 1, f"one access log line for {target}: {found!r}")
                return found[0]
            time.sleep(0.02)


SETUP = {}


def setup():
    if "s" not in SETUP:
        SETUP["s"] = Setup()
    return SETUP["s"]


@test
def the_log_names_the_client_not_nginx():
    s = setup()
    expect_status(s.get("/?five", "127.0.0.5"), 200, "from 127.0.0.5 through nginx")
    expect_status(s.get("/?six", "127.0.0.6"), 200, "from 127.0.0.6 through nginx")
    for target, client in (("/?five", "127.0.0.5"), ("/?six", "127.0.0.6")):
        line = s.log_line(target)
        expect(line.startswith(client + " "), f"{target}: {line!r}")


@test
def a_forged_field_is_not_believed():
    s = setup()
    # nginx appends the address it got the request from: the client's own
    # entry stays to its left, and 127.0.0.5 is not a trusted proxy.
    reply = s.get("/?forged", "127.0.0.5", [("X-Forwarded-For", "203.0.113.66")])
    expect_status(reply, 200, "a forged X-Forwarded-For")
    line = s.log_line("/?forged")
    expect(line.startswith("127.0.0.5 "), f"the forged address was believed: {line!r}")


@test
def the_cap_counts_each_client_behind_nginx():
    s = setup()
    # Six clients' worth of requests, one at a time, through nginx's kept
    # connections: each request counts for its own client (cap 2), never
    # for nginx as one.
    for i in range(6):
        source = f"127.0.0.{10 + i}"
        expect_status(s.get(f"/?many{i}", source), 200, f"client {source}")
        expect(s.log_line(f"/?many{i}").startswith(source + " "), f"client {source} logged")


if __name__ == "__main__":
    if NGINX is None:
        print("SKIP: nginx is not installed (apt-get install nginx)")
        sys.exit(77)
    harness.main()
