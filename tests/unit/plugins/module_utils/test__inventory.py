# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""list_certificates asks ACM for every key type: without Includes.keyTypes ACM lists RSA_1024/RSA_2048 only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.stub import Stubber  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (  # noqa: E402
    KEY_TYPES,
    Cost,
    all_key_types,
    list_certificates,
)


def test_every_key_type_is_asked_for_and_an_ecdsa_certificate_is_listed():
    acm = boto3.client("acm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    wanted = all_key_types(acm)
    assert set(KEY_TYPES) <= set(wanted)
    with Stubber(acm) as stub:
        stub.add_response("list_certificates", {"CertificateSummaryList": [{
            "CertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/ec", "DomainName": "example.com",
            "SubjectAlternativeNameSummaries": ["example.com", "*.example.com"], "KeyAlgorithm": "EC_prime256v1"}]},
            {"Includes": {"keyTypes": wanted}, "MaxItems": 1000})
        listed = list_certificates(acm, Cost())
        stub.assert_no_pending_responses()
    assert listed == [{"arn": "arn:aws:acm:us-east-1:111111111111:certificate/ec",
                       "names": ["*.example.com", "example.com"]}]


def test_an_inventory_file_holds_the_whole_inventory_and_the_short_form_its_path_counts_and_cost(tmp_path):
    import os
    import stat

    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
        inventory_summary,
        is_inventory_summary,
        load_inventory,
        write_inventory_file,
    )
    inventory = {"account_id": "111111111111", "label": "prod", "certificates": [{"arn": "a", "names": ["x"]}],
                 "distributions": [{"id": "E1", "aliases": ["a.example.com", "b.example.com"]}], "tenants": [],
                 "connection_groups": [], "route53": [{"zone": "example.com", "records": [{"name": "a"}] * 3}],
                 "requests_by_operation": {"ListDistributions": 1}, "requests": {"ListDistributions": 1},
                 "requests_total": 1, "requests_lower_bound": {"ListDistributions": 1}, "requests_lower_bound_total": 1}
    path = str(tmp_path / "new" / "prod.json")  # its directory is created

    write_inventory_file(path, inventory)
    short = inventory_summary(inventory, path)

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(str(tmp_path / "new")) == ["prod.json"]  # no temporary file left behind
    assert short == {"account_id": "111111111111", "label": "prod", "file": path,
                     "counts": {"distributions": 1, "aliases": 2, "tenants": 0, "connection_groups": 0,
                                "certificates": 1, "zones": 1, "records": 3},
                     "requests_by_operation": {"ListDistributions": 1}, "requests": {"ListDistributions": 1},
                     "requests_total": 1, "requests_lower_bound": {"ListDistributions": 1},
                     "requests_lower_bound_total": 1}
    assert is_inventory_summary(short) and not is_inventory_summary(inventory)
    assert load_inventory(short) == inventory
    assert load_inventory(inventory) is inventory


@pytest.mark.parametrize("content, words", [
    (None, "cannot be read"),
    ("{not json", "is not JSON"),
    ('{"account_id": "1"}', "is not an inventory of cloudfront_alias_inventory_info"),
], ids=["missing", "not-json", "not-an-inventory"])
def test_an_inventory_file_that_cannot_be_used_says_why(tmp_path, content, words):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
        InventoryFileError,
        load_inventory,
    )
    path = tmp_path / "account.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InventoryFileError, match=words):
        load_inventory({"account_id": "1", "file": str(path)})


def test_an_inventory_file_that_cannot_be_written_says_what_to_do(tmp_path):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
        InventoryFileError,
        write_inventory_file,
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(InventoryFileError, match="give a path in a directory this user can create and write to"):
        write_inventory_file(str(blocker / "prod.json"), {"account_id": "1", "distributions": []})


def test_zones_in_their_short_form_are_read_from_their_file_each_file_once(tmp_path):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
        InventoryFileError,
        load_zones,
        write_inventory_file,
        zone_summaries,
    )
    record = {"provider": "cloudflare", "zone": "example.org", "name": "www.example.org", "type": "CNAME",
              "values": ["d1.cloudfront.net"], "proxied": False}
    zones = [{"provider": "cloudflare", "zone": "example.org", "record_sets": 4, "records": [record]},
             {"provider": "cloudflare", "zone": "example.net", "record_sets": 0, "records": []}]
    path = str(tmp_path / "dns-cloudflare.json")
    write_inventory_file(path, zones, option="zones_file")
    short = zone_summaries(zones, path)
    assert short[0] == {"provider": "cloudflare", "zone": "example.org", "record_sets": 4, "counts": {"records": 1},
                        "file": path}
    inline = {"provider": "rfc2136", "zone": "example.com", "record_sets": 0, "records": []}

    assert load_zones(short + [inline]) == zones + [inline]

    with pytest.raises(InventoryFileError, match="has no zone example.dev of cloudflare"):
        load_zones([dict(short[0], zone="example.dev")])
