"""A checking client: a few threads of GET requests through the balancer.

Half the threads keep their connection alive between requests, half open a
new one for each. Every answer is recorded with the instance that gave it
(its X-Instance field), the release its body belongs to (by sha256), and,
when something went wrong, one class of failure:

  connect     the balancer refused or did not accept the connection
  reset       the connection was reset or closed before a whole response
  5xx         a 5xx status (the balancer's own, or an instance's)
  404         a file that should exist was not found
  wrong body  a 200 whose bytes are no release's file at that path
  other       any other status, a malformed response, a timeout

Each thread stops after a bounded number of requests, and all stop when
asked; a request waits at most REQUEST_TIMEOUT.
"""

import collections
import random
import threading
import time

import harness

REQUEST_TIMEOUT = 5.0
MAX_REQUESTS_PER_THREAD = 20000
PAUSE = 0.01  # between two requests of a thread: the machine is shared
PATHS = ("/", "/index.html", "/small.txt", "/big.bin")

Record = collections.namedtuple(
    "Record", "started ended thread path status instance version failure detail")


class Traffic:
    def __init__(self, port, releases, host="127.0.0.1", threads=4, sources=None):
        self.port = port
        self.host = host
        self.releases = releases
        self.sources = sources or [f"127.0.0.{10 + n}" for n in range(threads)]
        self.records = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []

    # -- life cycle

    def start(self):
        for number, source in enumerate(self.sources):
            keepalive = number % 2 == 0
            thread = threading.Thread(target=self._run, args=(number, source, keepalive),
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT + 2)
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- one thread

    def _run(self, number, source, keepalive):
        rng = random.Random(number)
        client = None
        for _ in range(MAX_REQUESTS_PER_THREAD):
            if self._stop.is_set():
                break
            path = rng.choice(PATHS)
            client = self._one(number, source, client, path)
            if not keepalive and client is not None:
                client.close()
                client = None
            time.sleep(PAUSE)
        if client is not None:
            client.close()

    def _one(self, number, source, client, path):
        """One request; returns the connection to reuse, or None."""
        started = time.monotonic()

        def record(status=None, instance=None, version=None, failure=None, detail=""):
            self._add(Record(started, time.monotonic(), number, path, status, instance,
                             version, failure, detail))

        if client is None:
            try:
                client = harness.Client(self.port, self.host, REQUEST_TIMEOUT, source=source)
            except OSError as exc:
                record(failure="connect", detail=repr(exc))
                return None
        try:
            reply = client.get(path)
        except harness.NoResponse as exc:
            record(failure="reset", detail=str(exc))
            client.close()
            return None
        except (ConnectionResetError, BrokenPipeError) as exc:
            record(failure="reset", detail=repr(exc))
            client.close()
            return None
        except (harness.ResponseError, OSError) as exc:
            record(failure="other", detail=str(exc))
            client.close()
            return None
        instance = reply.header_list("x-instance")
        instance = instance[0] if instance else None
        failure, version = self._judge(path, reply)
        record(reply.status, instance, version, failure,
               "" if failure is None else f"{reply.status} {path} from {instance}")
        if reply.closed:
            client.close()
            return None
        return client

    def _judge(self, path, reply):
        if reply.status >= 500:
            return "5xx", None
        if reply.status == 404:
            return "404", None
        if reply.status != 200:
            return "other", None
        version = self.releases.version_of(path, reply.body)
        return ("wrong body" if version is None else None), version

    def _add(self, record):
        with self._lock:
            self.records.append(record)

    # -- figures

    def snapshot(self):
        with self._lock:
            return list(self.records)


class Figures:
    """What a scenario's traffic came to."""

    def __init__(self, records):
        self.records = records
        self.total = len(records)
        self.failures = [r for r in records if r.failure is not None]
        self.by_class = collections.Counter(r.failure for r in self.failures)
        self.by_instance = collections.Counter(r.instance for r in records if r.instance)
        self.by_version = collections.Counter(r.version for r in records if r.version)

    @property
    def failed(self):
        return len(self.failures)

    def summary(self):
        classes = ", ".join(f"{name} {count}" for name, count in sorted(self.by_class.items()))
        spread = " ".join(f"{name}={count}" for name, count in sorted(self.by_instance.items()))
        versions = " ".join(f"{name}={count}" for name, count in sorted(self.by_version.items()))
        return (f"{self.total} requests, {self.failed} failed"
                + (f" ({classes})" if classes else "")
                + f"; served by {spread or 'nobody'}; releases {versions or 'none'}")

    def examples(self, count=3):
        return "; ".join(f"{r.failure}: {r.detail}"[:160] for r in self.failures[:count])
