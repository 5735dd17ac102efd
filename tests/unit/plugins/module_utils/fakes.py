# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Stand-ins the unit tests share: a clock whose sleeps take no time, and what open_url returns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


class Clock:
    """Call it for the time; ``sleep`` moves the time on at once and remembers how long it was asked to."""

    def __init__(self, now=1000000.0):
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class JsonResponse:
    """A 200 answer of open_url whose body is ``payload`` as JSON."""

    def __init__(self, payload):
        self._body = json.dumps(payload).encode()
        self.headers = {"Content-Type": "application/json"}

    def read(self):
        return self._body

    def getcode(self):
        return 200
