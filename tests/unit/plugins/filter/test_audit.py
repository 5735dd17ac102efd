# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's filters: every account's questions decided at once are each account's own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aliasguard.cloudfront.plugins.filter.audit import FilterModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
    inventory_summary,
    write_inventory_file,
)

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


def test_inventories_in_their_short_form_are_read_from_their_files(tmp_path):
    """What cloudfront_alias_inventory_info returns with inventory_file: the filter reads the file on the controller."""
    records = [{"provider": "route53", "zone": "example.com", "account": A, "name": "old.example.com", "type": "CNAME",
                "values": ["dother.cloudfront.net"], "proxied": False}]
    inventories = [_inventory(A, "E1", "d1.cloudfront.net", records), _inventory(B, "E9", "d9.cloudfront.net")]
    short = []
    for inventory in inventories:
        path = str(tmp_path / ("%s.json" % inventory["account_id"]))
        write_inventory_file(path, inventory)
        short.append(inventory_summary(inventory, path))
    assert "distributions" not in short[0] and short[0]["counts"]["records"] == 1

    assert FILTERS["audit_conflict_checks_by_account"](short, []) == \
        FILTERS["audit_conflict_checks_by_account"](inventories, [])
    assert FILTERS["audit_conflict_checks"](short, [], A) == [
        {"alias": "old.example.com", "distribution_id": "E1", "target": "dother.cloudfront.net"}]


def test_a_missing_inventory_file_is_a_filter_error_that_says_what_to_do(tmp_path):
    missing = {"account_id": A, "label": A, "file": str(tmp_path / "gone.json"), "counts": {}}
    with pytest.raises(AnsibleFilterError, match="gone.json cannot be read .*run cloudfront_alias_inventory_info"):
        FILTERS["audit_conflict_checks_by_account"]([missing], [])


def test_the_schema_of_a_report_is_read_without_loading_it_and_anything_else_has_none(tmp_path):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._report import render_json

    report = {"schema": "aliasguard.cloudfront/audit/1", "findings": [], "ownership": {"zones": [{"z": 1}]}}
    written = tmp_path / "audit.json"
    written.write_text(render_json(report))
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps(report))
    other = tmp_path / "other.json"
    other.write_text('{"schema": 7}')
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    schema = FILTERS["audit_report_schema"]
    assert schema(str(written)) == schema(str(compact)) == "aliasguard.cloudfront/audit/1"
    assert schema(str(other)) == schema(str(broken)) == schema(str(tmp_path / "missing.json")) == ""
