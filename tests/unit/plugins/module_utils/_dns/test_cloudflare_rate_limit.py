# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudflareClient.call and Cloudflare's rate limit: a 429 waits as long as Retry-After says, says so, and gives up
at once, saying when to try again, when that wait would pass the task's deadline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import io
import json

import pytest

from ansible.module_utils.six.moves.urllib.error import HTTPError

from ansible_collections.aliasguard.cloudfront.tests.unit.plugins.module_utils.fakes import Clock, JsonResponse  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import cloudflare as _cloudflare
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import DnsError

OK = {"success": True, "errors": [], "messages": [], "result": []}


class Answers:
    """Stands in for open_url: each call takes the next answer (a dict is a 200, an int a status)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, url, **kwargs):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, dict):
            return JsonResponse(answer)
        status, retry_after = answer
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = json.dumps({"success": False, "errors": [{"code": 971, "message": "Please wait"}], "result": None})
        raise HTTPError(url, status, "Too Many Requests", headers, io.BytesIO(body.encode()))


def client(monkeypatch, answers, max_wait=300):
    monkeypatch.setattr(_cloudflare, "open_url", answers)
    clock = Clock()
    warnings = []
    monkeypatch.setattr(_cloudflare.time, "time", clock)
    made = _cloudflare.CloudflareClient("token", "http://cloudflare.invalid/client/v4", max_wait=max_wait,
                                        warn=warnings.append)
    made.sleep, made.clock = clock.sleep, clock
    return made, clock, warnings


def test_a_long_retry_after_is_waited_out_and_said(monkeypatch):
    answers = Answers((429, "120"), (429, "90"), OK)
    cf, clock, warnings = client(monkeypatch, answers)

    assert cf.call("GET", "/zones") == OK
    assert clock.sleeps == [120.0, 90.0]  # no cap at 60 seconds: Cloudflare's window is five minutes
    assert len(warnings) == 2 and all("rate limit" in w and "GET /zones" in w for w in warnings)
    assert "waiting 120 seconds (Retry-After" in warnings[0]
    assert answers.calls == 3 and cf.requests == 3


def test_short_waits_are_not_announced(monkeypatch):
    cf, clock, warnings = client(monkeypatch, Answers((429, "1"), OK))
    cf.call("GET", "/zones")
    assert clock.sleeps == [1.0] and warnings == []


def test_a_wait_past_the_deadline_fails_at_once_saying_when_to_run_again(monkeypatch):
    answers = Answers((429, "240"))
    cf, clock, warnings = client(monkeypatch, answers, max_wait=60)

    with pytest.raises(DnsError) as caught:
        cf.call("PATCH", "/zones/z/dns_records/r", body={"content": "d1.cloudfront.net"})

    message = str(caught.value)
    assert caught.value.code == "Throttled" and clock.sleeps == [] and answers.calls == 1
    assert "asks to wait 240 seconds" in message and "60 seconds left of wait_timeout" in message
    assert "Run again after %s" % _cloudflare.time.strftime("%H:%M:%S UTC", _cloudflare.time.gmtime(1000240.0)) \
        in message


def test_the_deadline_counts_every_wait_of_the_task(monkeypatch):
    cf, clock, warnings = client(monkeypatch, Answers((429, "40"), OK, (429, "40")), max_wait=60)
    cf.call("GET", "/zones")
    with pytest.raises(DnsError, match="20 seconds left"):
        cf.call("GET", "/zones")
    assert clock.sleeps == [40.0]


def test_retry_after_as_an_http_date(monkeypatch):
    when = email.utils.formatdate(1000030.0, usegmt=True)
    cf, clock, warnings = client(monkeypatch, Answers((429, when), OK))
    cf.call("GET", "/zones")
    assert clock.sleeps == [30.0]


def test_server_errors_still_give_up_after_max_attempts(monkeypatch):
    answers = Answers(*[(502, None)] * _cloudflare.MAX_ATTEMPTS)
    cf, clock, warnings = client(monkeypatch, answers)
    with pytest.raises(DnsError) as caught:
        cf.call("GET", "/zones")
    assert caught.value.code == "ServerError" and answers.calls == _cloudflare.MAX_ATTEMPTS
