"""What a real browser asks for and gets from precompressed siblings.

Headless Chromium first loads a page from a small logging server on
loopback, which records the Accept-Encoding of the navigation and of the
page's fetch() requests, over http to 127.0.0.1 and to localhost: whatever
this Chromium really advertises there. Then it loads the same page from
switchboard (`precompressed on`), whose siblings were made by the real
zstd, brotli and gzip and hold the same text as their originals; the page
fetches each file and writes into its DOM the Content-Encoding it got, the
decoded text's agreement with a copy that has no siblings, and the resource
timing entry's encoded and decoded sizes. The coding switchboard chose must
be the one its rules pick from what Chromium advertised (br, zstd, gzip on
equal q), every text must equal the original, and a coded body must have
come over the wire smaller than it was decoded.

Exit 77 (skipped) only when chromium or one of the tools is not installed.
Run as `$PYTHON tests/integration/test_browser_encodings.py` with SWITCHBOARD set.
"""

import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import expect, expect_eq, test  # noqa: E402

FILE_BUDGET = 150.0
BROWSER_SECONDS = 45
TOOLS = {"zstd": ".zst", "brotli": ".br", "gzip": ".gz"}
SUFFIX_CODING = {".br": "br", ".zst": "zstd", ".gz": "gzip"}
PREFERENCE = ["br", "zstd", "gzip"]  # switchboard's order among equal weights
TEXT = "".join(f"row {i:05d}: pack my box with five dozen liquor jugs\n" for i in range(4000))
# name: the siblings it has; None in the list stands for the original itself.
FILES = {
    "all.txt": [None, ".br", ".zst", ".gz"],
    "zst-gz.txt": [None, ".zst", ".gz"],
    "gz-only.txt": [None, ".gz"],
    "no-original.txt": [".zst"],
}

# The page fetches every file and the plain copy, then writes a JSON report.
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>encodings</title></head>
<body><pre id="report">pending</pre>
<script>
const names = %s;
async function probe(name) {
  const url = new URL(name, location.href).href;
  const response = await fetch(url, {cache: "no-store"});
  const text = await response.text();
  const timing = performance.getEntriesByName(url).pop() || {};
  return {name, status: response.status, coding: response.headers.get("content-encoding"),
          vary: response.headers.get("vary"), text,
          encoded: timing.encodedBodySize, decoded: timing.decodedBodySize};
}
(async () => {
  const reference = (await probe("reference.txt")).text;
  const results = [];
  for (const name of names) {
    const r = await probe(name);
    r.same = r.text === reference;
    r.length = r.text.length;
    delete r.text;
    results.push(r);
  }
  document.getElementById("report").textContent = JSON.stringify(results);
})().catch(e => { document.getElementById("report").textContent = "error: " + e; });
</script></body></html>
""" % json.dumps(list(FILES))


def missing_requirements():
    needs = ["chromium", *TOOLS]
    return [tool for tool in needs if shutil.which(tool) is None]


def browser_dump(url, home):
    """The DOM Chromium built from url, once its scripts have run (bounded)."""
    argv = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={home}/profile", "--virtual-time-budget=15000",
            "--dump-dom", url]
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/.config",
               XDG_CACHE_HOME=f"{home}/.cache")
    # Its own session, so that a timeout takes every Chromium process with it.
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=BROWSER_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise harness.Failure(f"chromium did not finish {url} in {BROWSER_SECONDS} s")
    return out.decode("utf-8", "replace")


def report_of(dom):
    found = re.search(r'<pre id="report">(.*?)</pre>', dom, re.S)
    expect(found is not None, f"no report in the DOM: {dom[:300]!r}")
    text = found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    expect(text.startswith("["), f"the page's report: {text[:300]!r}")
    return json.loads(text)


class Recorder(http.server.BaseHTTPRequestHandler):
    """Serves the page and empty files; keeps each request's Accept-Encoding."""
    seen = []

    def do_GET(self):
        Recorder.seen.append((self.path, self.headers.get("Accept-Encoding")))
        body = PAGE.encode() if self.path == "/" else b""
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if self.path == "/" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def tempdir():
    path = tempfile.mkdtemp(prefix="switchboard-browser-enc-")
    os.chmod(path, 0o755)
    harness.at_end(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


ADVERTISED = {}


def advertised(host):
    """What Chromium sends to http://host: {path: Accept-Encoding}, recorded."""
    if host not in ADVERTISED:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            Recorder.seen = []
            browser_dump(f"http://{host}:{server.server_address[1]}/", tempdir())
            ADVERTISED[host] = dict(Recorder.seen)
        finally:
            server.shutdown()
            server.server_close()
    return ADVERTISED[host]


def codings_in(field):
    """The codings an Accept-Encoding accepts (q > 0), with their weights."""
    weights = {}
    for element in (field or "").split(","):
        name, _, params = element.strip().partition(";")
        q = 1.0
        match = re.search(r"q=([0-9.]+)", params)
        if match:
            q = float(match.group(1))
        if name:
            weights[name.strip().lower()] = q
    return {name: q for name, q in weights.items() if q > 0}


def expected_coding(field, suffixes):
    """The sibling switchboard's rules pick; None for the original; 406."""
    weights = codings_in(field)
    available = [SUFFIX_CODING[s] for s in suffixes if s is not None]
    candidates = [(-weights[c], PREFERENCE.index(c), c) for c in available if c in weights]
    identity = weights.get("identity", 0.001)  # unnamed: after every coding named
    best = min(candidates, default=None)
    if best is not None and -best[0] >= identity:
        return best[2]
    return None if None in suffixes else 406


@test(timeout=60)
def chromium_advertises_on_loopback():
    for host in ("127.0.0.1", "localhost"):
        seen = advertised(host)
        expect("/" in seen, f"Chromium's navigation to {host} reached the recorder: {seen}")
        page = seen["/"]
        expect(page is not None, f"Chromium sent no Accept-Encoding to {host}")
        for name in FILES:
            expect_eq(seen.get(f"/{name}"), page, f"fetch() of {name} on {host} asks as the page")
        print(f"# Chromium over http to {host}: Accept-Encoding: {page}", flush=True)


def make_site():
    base = tempdir()
    root = os.path.join(base, "root")
    os.mkdir(root)
    os.chmod(root, 0o755)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(PAGE)
    with open(os.path.join(root, "reference.txt"), "w") as f:
        f.write(TEXT)
    for name, suffixes in FILES.items():
        path = os.path.join(root, name)
        with open(path, "w") as f:
            f.write(TEXT)
        for suffix in suffixes:
            if suffix is not None:
                tool = next(t for t, s in TOOLS.items() if s == suffix)
                subprocess.run([tool, "-k", path], check=True, timeout=30,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if None not in suffixes:
            os.unlink(path)
    for entry in os.listdir(root):
        os.chmod(os.path.join(root, entry), 0o644)
    conf = os.path.join(base, "site.conf")
    with open(conf, "w") as f:
        f.write(f"listen 127.0.0.1:0\nroot {root}\nprecompressed on\n")
    os.chmod(conf, 0o644)
    server = harness.Server(args=["-c", conf])
    server.start()
    harness.at_end(server.stop)
    return server


def check_switchboard(host):
    field = advertised(host)["/"]
    server = make_site()
    results = report_of(browser_dump(f"http://{host}:{server.port}/", tempdir()))
    expect_eq([r["name"] for r in results], list(FILES), "a result for every file")
    for r in results:
        want = expected_coding(field, FILES[r["name"]])
        what = f"{r['name']} from {host} (Chromium sends {field!r})"
        if want == 406:
            expect_eq(r["status"], 406, what)
            continue
        expect_eq(r["status"], 200, what)
        expect_eq(r["coding"], want, f"Content-Encoding of {what}")
        expect_eq(r["vary"], "Accept-Encoding", f"Vary of {what}")
        expect(r["same"], f"{what}: the decoded text is the original ({r['length']} chars)")
        expect_eq(r["decoded"], len(TEXT), f"decodedBodySize of {what}")
        if want is None:
            expect_eq(r["encoded"], len(TEXT), f"encodedBodySize of {what}, not coded")
        else:
            expect(0 < r["encoded"] < len(TEXT) // 4,
                   f"{what}: {r['encoded']} bytes on the wire for {len(TEXT)} decoded")
    chosen = {r["name"]: r["coding"] for r in results}
    print(f"# {host}: {chosen}", flush=True)


@test(timeout=60)
def switchboard_serves_chromium_on_127_0_0_1():
    check_switchboard("127.0.0.1")


@test(timeout=60)
def switchboard_serves_chromium_on_localhost():
    check_switchboard("localhost")


if __name__ == "__main__":
    missing = missing_requirements()
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed (tools/install-deps; apt-get install "
              "chromium)")
        sys.exit(harness.SKIP_EXIT)
    harness.main(FILE_BUDGET)
