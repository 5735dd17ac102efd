# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""apply_update against botocore's Stubber: a stale ETag is read again and only our change re-applied."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.stub import Stubber  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._distribution_alias import (  # noqa: E402
    AliasError,
    AliasPlan,
    apply_update,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias  # noqa: E402

DIST = "E2TARGET000001"
DOMAIN = "d2target000001.cloudfront.net"


def A(text):
    return Alias.parse(text)


def config(aliases=("old.example.com",), comment="keep me"):
    aliases = list(aliases)
    return {
        "CallerReference": "ref-1",
        "Aliases": {"Quantity": len(aliases), "Items": aliases} if aliases else {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": "origin.example.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": "redirect-to-https"},
        "Comment": comment,
        "Enabled": True,
        "ViewerCertificate": {"ACMCertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/abc",
                              "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
    }


def updated(base, aliases):
    result = copy.deepcopy(base)
    result["Aliases"] = {"Quantity": len(aliases), "Items": list(aliases)} if aliases else {"Quantity": 0}
    return result


def config_response(cfg, etag):
    return {"DistributionConfig": copy.deepcopy(cfg), "ETag": etag}


def update_response(cfg, etag):
    return {"Distribution": {
        "Id": DIST, "ARN": "arn:aws:cloudfront::111111111111:distribution/" + DIST, "Status": "InProgress",
        "LastModifiedTime": "2024-01-01T00:00:00Z", "InProgressInvalidationBatches": 0, "DomainName": DOMAIN,
        "DistributionConfig": copy.deepcopy(cfg)}, "ETag": etag}


def precondition_failed(stubber):
    stubber.add_client_error("update_distribution", service_error_code="PreconditionFailed",
                             service_message="The request failed because it didn't meet the preconditions",
                             http_status_code=412)


def plan_for(cfg, aliases, state="present"):
    before = [A(a) for a in cfg["Aliases"].get("Items", [])]
    if state == "absent":
        after = [a for a in before if a not in aliases]
    else:
        after = before + [a for a in aliases if a not in before]
    return AliasPlan(DIST, state, before, after, [], DOMAIN, cfg)


@pytest.fixture
def client():
    return boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


@pytest.fixture
def stubber(client):
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def test_precondition_failed_reads_again_and_keeps_the_concurrent_edit(client, stubber):
    first = config()
    edited = config(comment="changed by someone else")
    stubber.add_response("get_distribution_config", config_response(first, "ETAG-1"), {"Id": DIST})
    precondition_failed(stubber)
    stubber.add_response("get_distribution_config", config_response(edited, "ETAG-2"), {"Id": DIST})
    # The retry sends the fresh config (with the other edit) and the fresh ETag.
    wanted = updated(edited, ["old.example.com", "new.example.com"])
    stubber.add_response("update_distribution", update_response(wanted, "ETAG-3"),
                         {"Id": DIST, "IfMatch": "ETAG-2", "DistributionConfig": wanted})
    sleeps = []

    final, retries = apply_update(client, plan_for(first, [A("new.example.com")]), [A("new.example.com")],
                                  "present", max_retries=5, sleep=sleeps.append)

    assert [a.name for a in final] == ["old.example.com", "new.example.com"]
    assert retries == 1
    assert len(sleeps) == 1


def test_fresh_read_that_already_has_the_change_sends_nothing_more(client, stubber):
    first = config()
    stubber.add_response("get_distribution_config", config_response(first, "ETAG-1"), {"Id": DIST})
    precondition_failed(stubber)
    # Someone else added the very alias in between: nothing left to do.
    stubber.add_response("get_distribution_config",
                         config_response(config(["old.example.com", "new.example.com"]), "ETAG-2"), {"Id": DIST})

    final, retries = apply_update(client, plan_for(first, [A("new.example.com")]), [A("new.example.com")],
                                  "present", sleep=lambda seconds: None)

    assert sorted(a.name for a in final) == ["new.example.com", "old.example.com"]
    assert retries == 1


def test_absent_retry_removes_only_our_alias_from_the_fresh_config(client, stubber):
    first = config(["old.example.com", "gone.example.com"])
    fresh = config(["old.example.com", "gone.example.com", "added-meanwhile.example.com"])
    stubber.add_response("get_distribution_config", config_response(first, "ETAG-1"), {"Id": DIST})
    precondition_failed(stubber)
    stubber.add_response("get_distribution_config", config_response(fresh, "ETAG-2"), {"Id": DIST})
    wanted = updated(fresh, ["old.example.com", "added-meanwhile.example.com"])
    stubber.add_response("update_distribution", update_response(wanted, "ETAG-3"),
                         {"Id": DIST, "IfMatch": "ETAG-2", "DistributionConfig": wanted})

    final, retries = apply_update(client, plan_for(first, [A("gone.example.com")], "absent"),
                                  [A("gone.example.com")], "absent", sleep=lambda seconds: None)

    assert [a.name for a in final] == ["old.example.com", "added-meanwhile.example.com"]
    assert retries == 1


def test_precondition_failed_every_time_gives_up_with_a_clear_message(client, stubber):
    first = config()
    for number in range(3):
        stubber.add_response("get_distribution_config", config_response(first, "ETAG-%d" % number), {"Id": DIST})
        precondition_failed(stubber)

    with pytest.raises(AliasError) as caught:
        apply_update(client, plan_for(first, [A("new.example.com")]), [A("new.example.com")], "present",
                     max_retries=2, sleep=lambda seconds: None)

    assert "kept changing" in str(caught.value) and DIST in str(caught.value)
