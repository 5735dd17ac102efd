"""The sandbox request log: one JSON line per API request that any part received.

The line format is part of the sandbox's public contract (SANDBOX.md)::

    {"t": <unix time>, "service": "...", "operation": "...", "account": "...",
     "status": <http status or rcode>, "mutating": true|false}

Extra keys may be added (never renamed): ``fault`` is true when the sandbox
injected the error itself.
"""

import json
import threading
import time


class RequestLog:
    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        # Line-buffered append: readers (tests, benchmarks) see every line as soon
        # as the response has been sent.
        self._fh = open(path, "a", buffering=1, encoding="utf-8")

    def record(self, service, operation, account, status, mutating, **extra):
        entry = {
            "t": round(time.time(), 6),
            "service": service,
            "operation": operation,
            "account": account or "",
            "status": status,
            "mutating": bool(mutating),
        }
        entry.update(extra)
        line = json.dumps(entry, sort_keys=False)
        with self._lock:
            self._fh.write(line + "\n")

    def truncate(self):
        with self._lock:
            self._fh.seek(0)
            self._fh.truncate()

    def close(self):
        with self._lock:
            self._fh.close()


def read_log(path, since=0):
    """Return the entries of a request log from line ``since`` on."""
    entries = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            if not line.endswith("\n"):
                break  # a line still being written (the sandbox appends while others read): not an entry yet
            if number >= since and line.strip():
                entries.append(json.loads(line))
    return entries
