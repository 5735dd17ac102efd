# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's filters: every account's questions decided at once are each account's own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aliasguard.cloudfront.plugins.filter.audit import FilterModule

FILTERS = FilterModule().filters()
A, B = "111111111111", "222222222222"
CERTS = [{"arn": "arn:cert", "names": ["*.example.com"]}]


def _inventory(account, dist_id, domain, records=()):
    return {"account_id": account, "label": account, "certificates": CERTS,
            "distributions": [{"id": dist_id, "domain_name": domain, "aliases": [], "enabled": True,
                               "certificate_arn": "arn:cert"}],
            "route53": [{"zone": "example.com", "record_sets": len(records), "records": list(records)}]}


def test_checks_by_account_are_what_each_account_would_ask_on_its_own():
    records = [{"provider": "route53", "zone": "example.com", "account": A, "name": name, "type": "CNAME",
                "values": [target], "proxied": False}
               for name, target in (("old.example.com", "dother.cloudfront.net"), ("x.example.com", "d9.cloudfront.net"))]
    inventories = [_inventory(A, "E1", "d1.cloudfront.net", records), _inventory(B, "E9", "d9.cloudfront.net")]
    zones = [{"zone": "example.org", "provider": "cloudflare", "records": []}]

    by_account = FILTERS["audit_conflict_checks_by_account"](inventories, zones)

    assert by_account == dict((a, FILTERS["audit_conflict_checks"](inventories, zones, a)) for a in (A, B))
    assert by_account[A] == [{"alias": "old.example.com", "distribution_id": "E1", "target": "dother.cloudfront.net"},
                             {"alias": "x.example.com", "distribution_id": "E1"}]
    assert by_account[B] == []
