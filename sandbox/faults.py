"""Seeded fault injection shared by every part of the sandbox, Cloudflare's rate limit, and network latency."""

import math
import random
import threading
import time

# Cloudflare's documented global limit: 1,200 requests per five minutes per user.
CLOUDFLARE_DEFAULT_WINDOW = 300.0
# A latency above a minute is a mistake (a value in seconds given as milliseconds), not a network.
MAX_LATENCY_MS = 60000.0


class FaultPolicy:
    """Decides, request by request, whether to inject a fault.

    ``throttle`` and ``server_errors`` are probabilities in [0, 1]. The same seed
    gives the same sequence of decisions for the same sequence of requests.

    ``cloudflare_quota`` (with ``cloudflare_window`` seconds) is Cloudflare's rate
    limit: at most that many API requests in a window, then 429 with
    ``Retry-After`` until the window is over (``cloudflare_admit``).

    ``latency_ms`` is the network between a client and the APIs: every AWS, Cloudflare and Cloud DNS API
    request waits that long before it is handled (``delay_api``), in its own thread, so concurrent requests
    wait side by side. ``dns_latency_ms`` does the same for the answers of the sandbox's DNS server
    (``dns_delay``). Both are 0 (no wait) unless set.
    """

    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self.configure(throttle=0.0, server_errors=0.0, seed=0)

    def configure(self, throttle=0.0, server_errors=0.0, seed=0, cloudflare_quota=None, cloudflare_window=None,
                  latency_ms=0.0, dns_latency_ms=0.0):
        for name, value in (("throttle", throttle), ("server_errors", server_errors)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError("%s must be a probability between 0 and 1, got %r" % (name, value))
        quota, window = _rate_limit(cloudflare_quota, cloudflare_window)
        latency, dns_latency = _latency("latency_ms", latency_ms), _latency("dns_latency_ms", dns_latency_ms)
        with self._lock:
            self.latency_ms = latency
            self.dns_latency_ms = dns_latency
            self.throttle = float(throttle)
            self.server_errors = float(server_errors)
            self.seed = int(seed)
            self._random = random.Random(self.seed)
            self.cloudflare_quota = quota
            self.cloudflare_window = window
            self._window_start = None
            self._window_count = 0

    def off(self):
        self.configure(0.0, 0.0, self.seed)

    def settings(self):
        with self._lock:
            settings = {"throttle": self.throttle, "server_errors": self.server_errors, "seed": self.seed}
            if self.cloudflare_quota is not None:
                settings.update(cloudflare_quota=self.cloudflare_quota, cloudflare_window=self.cloudflare_window)
            if self.latency_ms:
                settings["latency_ms"] = self.latency_ms
            if self.dns_latency_ms:
                settings["dns_latency_ms"] = self.dns_latency_ms
            return settings

    def delay_api(self):
        """Wait the API latency (in the calling request's thread)."""
        latency = self.latency_ms
        if latency:
            time.sleep(latency / 1000.0)

    def dns_delay(self):
        """Seconds a DNS answer waits before it is sent (0.0: none)."""
        return self.dns_latency_ms / 1000.0

    def decide(self):
        """Return None, "throttle" or "server_error" for the next request."""
        with self._lock:
            if not self.throttle and not self.server_errors:
                return None
            roll = self._random.random()
            if roll < self.throttle:
                return "throttle"
            if roll < self.throttle + self.server_errors:
                return "server_error"
            return None

    def cloudflare_admit(self):
        """None when the next Cloudflare request is within the quota (it is counted), else the whole
        seconds until the window refills (the request is refused and not counted)."""
        with self._lock:
            if self.cloudflare_quota is None:
                return None
            now = self._clock()
            if self._window_start is None or now >= self._window_start + self.cloudflare_window:
                self._window_start, self._window_count = now, 0
            if self._window_count < self.cloudflare_quota:
                self._window_count += 1
                return None
            # "The number of seconds, rounded up, until more capacity is available."
            return max(1, int(math.ceil(self._window_start + self.cloudflare_window - now)))


def _rate_limit(quota, window):
    if quota is None:
        if window is not None:
            raise ValueError("cloudflare_window needs cloudflare_quota (the requests allowed per window)")
        return None, None
    quota = int(quota)
    window = CLOUDFLARE_DEFAULT_WINDOW if window is None else float(window)
    if quota < 0:
        raise ValueError("cloudflare_quota must be zero or more requests, got %r" % quota)
    if window <= 0:
        raise ValueError("cloudflare_window must be a positive number of seconds, got %r" % window)
    return quota, window


def _latency(name, value):
    try:
        value = float(value or 0.0)
    except (TypeError, ValueError):
        raise ValueError("%s must be a number of milliseconds, got %r" % (name, value))
    if not 0.0 <= value <= MAX_LATENCY_MS:
        raise ValueError("%s must be between 0 and %d milliseconds, got %r" % (name, MAX_LATENCY_MS, value))
    return value
