"""Seeded fault injection shared by every part of the sandbox."""

import random
import threading


class FaultPolicy:
    """Decides, request by request, whether to inject a fault.

    ``throttle`` and ``server_errors`` are probabilities in [0, 1]. The same seed
    gives the same sequence of decisions for the same sequence of requests.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.configure(throttle=0.0, server_errors=0.0, seed=0)

    def configure(self, throttle=0.0, server_errors=0.0, seed=0):
        for name, value in (("throttle", throttle), ("server_errors", server_errors)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError("%s must be a probability between 0 and 1, got %r" % (name, value))
        with self._lock:
            self.throttle = float(throttle)
            self.server_errors = float(server_errors)
            self.seed = int(seed)
            self._random = random.Random(self.seed)

    def off(self):
        self.configure(0.0, 0.0, self.seed)

    def settings(self):
        with self._lock:
            return {"throttle": self.throttle, "server_errors": self.server_errors, "seed": self.seed}

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
