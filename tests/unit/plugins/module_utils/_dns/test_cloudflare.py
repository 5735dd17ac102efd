# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Cloudflare provider against a fake open_url that answers like API v4: declarations, zone lookup, reading
record sets (proxied included), and listing a whole zone for the audit.

A new provider's author whose API is HTTP: copy this file, with your API's answers in ``FakeApi``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json

import pytest

from ansible.module_utils.six.moves.urllib.parse import parse_qs, urlparse

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import (
    build_provider,
    check_provider_options,
    list_zones,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import cloudflare as _cloudflare
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import DnsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import Cost

BASE = "http://cloudflare.invalid/client/v4"
RECORDS = [
    {"id": "r1", "type": "CNAME", "name": "www.example.com", "content": "d111111abcdef8.cloudfront.net",
     "proxied": False, "ttl": 1},
    {"id": "r2", "type": "CNAME", "name": "shop.example.com", "content": "d222222abcdef8.cloudfront.net",
     "proxied": True, "ttl": 1},
    {"id": "r3", "type": "MX", "name": "example.com", "content": "mail.example.com", "proxied": False, "ttl": 300},
]


class FakeApi:
    """Stands in for open_url: GET /zones?name= and GET /zones/{id}/dns_records[?name=], in Cloudflare's envelope."""

    def __init__(self):
        self.sent = []

    def __call__(self, url, method="GET", headers=None, **kwargs):
        parsed = urlparse(url)
        query = dict((k, v[0]) for k, v in parse_qs(parsed.query).items())
        path = parsed.path[len(urlparse(BASE).path):]
        self.sent.append((method, path, query, headers["Authorization"]))
        if path == "/zones":
            result = [{"id": "z1", "name": "example.com"}] if query.get("name") == "example.com" else []
        elif path == "/zones/z1/dns_records":
            result = [r for r in RECORDS if "name" not in query or r["name"] == query["name"]]
        else:
            raise AssertionError("unexpected request %s %s" % (method, path))
        body = {"success": True, "errors": [], "messages": [], "result": result,
                "result_info": {"page": 1, "per_page": 5000, "total_pages": 1, "count": len(result)}}
        return _Response(body)


class _Response:
    def __init__(self, body):
        self._body = io.BytesIO(json.dumps(body).encode())

    def read(self):
        return self._body.read()

    def getcode(self):
        return 200


@pytest.fixture
def api(monkeypatch):
    fake = FakeApi()
    monkeypatch.setattr(_cloudflare, "open_url", fake)
    return fake


def settings(**given):
    return check_provider_options(dict({"provider": "cloudflare", "api_token": "t0ken", "base_url": BASE}, **given),
                                  environ={})


def test_the_declarations_the_registry_and_the_planner_read():
    cls = _cloudflare.CloudflareProvider
    assert cls.name == "cloudflare" and cls.can_proxy and not cls.needs_aws
    assert cls.default_ttl == 1  # Cloudflare's "automatic"
    assert cls.apex_mode == "flatten"
    assert cls.required == ("api_token",)
    assert cls.option_env["api_token"] == ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN"]


def test_the_default_base_url_is_cloudflare_s_and_a_bad_one_is_refused_before_any_request(api):
    assert check_provider_options({"provider": "cloudflare", "api_token": "t"}, environ={})["base_url"] == \
        _cloudflare.DEFAULT_BASE_URL
    with pytest.raises(DnsError) as caught:
        settings(base_url="ftp://example.com")
    assert caught.value.code == "BadOption" and api.sent == []


def test_find_zone_and_read_with_the_token_as_bearer(api):
    provider = build_provider(settings())
    zone = provider.find_zone("example.com")
    found = provider.read(zone, ["www.example.com"])
    [record_set] = found["www.example.com"]
    assert (record_set.type, list(record_set.values), record_set.proxied) == \
        ("CNAME", ["d111111abcdef8.cloudfront.net"], False)
    assert all(header == "Bearer t0ken" for unused, unused2, unused3, header in api.sent)
    assert provider.requests == {"cloudflare": len(api.sent)}


def test_a_zone_the_token_cannot_see_is_named(api):
    with pytest.raises(DnsError) as caught:
        build_provider(settings()).find_zone("example.org")
    assert caught.value.code == "NoSuchZone" and "example.org" in str(caught.value)


def test_list_zones_returns_the_audited_records_with_proxied_and_counts_the_requests(api):
    cost = Cost()
    zones, sent = list_zones(settings(), ["example.com"], cost)
    [zone] = zones
    assert (zone["provider"], zone["zone"], zone["record_sets"]) == ("cloudflare", "example.com", 3)
    proxied = [(r["name"], r["proxied"]) for r in zone["records"]]
    assert proxied == [("www.example.com", False), ("shop.example.com", True)]
    assert sent == len(api.sent) == 2
