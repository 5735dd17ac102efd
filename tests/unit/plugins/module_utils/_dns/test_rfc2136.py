# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The RFC 2136 provider against a fake dns.query (no server): declarations, the checks made before any packet,
reading a zone by transfer, and listing it for the audit.

A new provider's author whose protocol is DNS: copy this file, with your server's answers in the fake.
(The real BIND is exercised by tests/integration.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

dns = pytest.importorskip("dns")
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.query  # noqa: E402
import dns.rrset  # noqa: E402
import dns.zone  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import (  # noqa: E402
    build_provider,
    check_provider_options,
    list_zones,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import DnsError, Zone  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.rfc2136 import Rfc2136Provider  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import Cost  # noqa: E402

SECRET = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"  # base64
ZONE_TEXT = """
@ 300 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
@ 300 IN NS ns1.example.com.
www 60 IN CNAME d111111abcdef8.cloudfront.net.
_www 60 IN TXT "d111111abcdef8.cloudfront.net"
mail 300 IN MX 10 mx.example.com.
"""


def zone_rrsets():
    zone = dns.zone.from_text(ZONE_TEXT, origin="example.com.", relativize=False)
    return [dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))
            for name, rdataset in zone.iterate_rdatasets()]


@pytest.fixture
def transfers(monkeypatch):
    """dns.query.xfr and dns.query.inbound_xfr answer with ZONE_TEXT; the list records each one asked."""
    asked = []

    def xfr(where, origin, **kwargs):
        asked.append((where, str(origin), kwargs.get("keyname")))
        message = dns.message.Message()
        message.answer = zone_rrsets()
        yield message

    def inbound_xfr(where, zone, query=None, port=53, lifetime=None, **kwargs):
        asked.append((where, str(zone.origin), query.keyname.to_text() if query.keyring else None))
        for rrset in zone_rrsets():
            zone.replace_rdataset(rrset.name, dns.rdataset.from_rdata_list(rrset.ttl, list(rrset)))

    monkeypatch.setattr(dns.query, "xfr", xfr)
    monkeypatch.setattr(dns.query, "inbound_xfr", inbound_xfr)
    return asked


def settings(**given):
    return check_provider_options(dict({"provider": "rfc2136", "server": "192.0.2.53", "key_name": "aliasguard",
                                        "key_secret": SECRET}, **given), environ={})


def test_the_declarations_the_registry_and_the_planner_read():
    assert Rfc2136Provider.name == "rfc2136" and not Rfc2136Provider.can_proxy and not Rfc2136Provider.needs_aws
    assert Rfc2136Provider.apex_mode is None and Rfc2136Provider.default_ttl == 300
    assert Rfc2136Provider.required == ("server",)
    assert Rfc2136Provider.defaults == {"port": 53, "key_algorithm": "hmac-sha256"}


@pytest.mark.parametrize("port", [0, 65536])
def test_a_port_out_of_range_is_refused_before_any_packet(transfers, port):
    with pytest.raises(DnsError) as caught:
        settings(port=port)
    assert "1-65535" in str(caught.value) and transfers == []


def test_a_key_name_without_its_secret_is_refused_before_any_packet(transfers):
    with pytest.raises(DnsError) as caught:
        build_provider(settings(key_secret=None))
    assert "go together" in str(caught.value) and transfers == []


def test_read_takes_the_zone_by_one_signed_transfer(transfers):
    provider = build_provider(settings())
    found = provider.read(Zone("example.com"), ["www.example.com", "_www.example.com", "none.example.com"])
    [cname] = found["www.example.com"]
    assert (cname.type, cname.ttl, list(cname.values)) == ("CNAME", 60, ["d111111abcdef8.cloudfront.net"])
    assert [r.type for r in found["_www.example.com"]] == ["TXT"] and found["none.example.com"] == []
    assert transfers == [("192.0.2.53", "example.com.", "aliasguard")]
    assert provider.requests == {"rfc2136": 1}


def test_list_zones_returns_the_audited_records_of_one_transfer_per_zone(transfers):
    cost = Cost()
    zones, sent = list_zones(settings(), ["example.com"], cost)
    [zone] = zones
    assert zone["provider"] == "rfc2136" and zone["zone"] == "example.com"
    assert sorted((r["name"], r["type"]) for r in zone["records"]) == [("_www.example.com", "TXT"),
                                                                       ("www.example.com", "CNAME")]
    assert sent == 1 and cost.lower_bound == {"AXFR": 1}
