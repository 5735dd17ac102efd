# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""apply_update and apply_moves against botocore's Stubber: a stale ETag is read again and only our change
re-applied; a TXT record CloudFront does not see yet is waited for; what was changed is always reported."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

boto3 = pytest.importorskip("boto3")

from ansible_collections.aliasguard.cloudfront.tests.unit.plugins.module_utils.fakes import Clock  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._distribution_alias import (  # noqa: E402
    AliasError,
    AliasOutcome,
    AliasPlan,
    Handover,
    _explain,
    apply_handover,
    apply_moves,
    apply_plan,
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


# -- AssociateAlias: waiting for CloudFront to see a new TXT record -----------------------------------

TXT_REFUSAL = ("To move www.example.com, create a DNS TXT record _www.example.com with the value %s (the target "
               "distribution's domain name), then try again." % DOMAIN)
HOLDER = {"distribution_id": "E1HOLDER000001", "account_id": "111111111111", "masked": False}


def move_plan(*names):
    cfg = config([])
    return AliasPlan(DIST, "moved", [], [A(n) for n in names], [(A(n), HOLDER) for n in names], DOMAIN, cfg)


def txt_not_seen(stubber, alias="www.example.com"):
    stubber.add_client_error("associate_alias", service_error_code="InvalidArgument", service_message=TXT_REFUSAL,
                             http_status_code=400, expected_params={"TargetDistributionId": DIST, "Alias": alias})


def associated(stubber, alias="www.example.com"):
    stubber.add_response("associate_alias", {}, {"TargetDistributionId": DIST, "Alias": alias})


def test_move_asks_again_while_cloudfront_does_not_see_the_txt_record(client, stubber):
    txt_not_seen(stubber)
    txt_not_seen(stubber)
    associated(stubber)
    clock = Clock()

    moved = apply_moves(client, move_plan("www.example.com"), txt_wait_timeout=120, sleep=clock.sleep, clock=clock)

    assert moved == [{"alias": "www.example.com", "from": HOLDER}]
    assert clock.sleeps == [1.0, 2.0], "backoff between the attempts"


def test_move_gives_up_after_txt_wait_timeout_saying_how_long_it_waited(client, stubber):
    for unused in range(4):
        txt_not_seen(stubber)
    clock = Clock()

    with pytest.raises(AliasError) as caught:
        apply_moves(client, move_plan("www.example.com"), txt_wait_timeout=10, sleep=clock.sleep, clock=clock)

    message = str(caught.value)
    assert clock.sleeps == [1.0, 2.0, 4.0]     # the next wait (8 s) would end after the 10 s
    assert "TXT record _www.example.com with the value %s" % DOMAIN in message
    assert "after 4 attempts" in message and "txt_wait_timeout" in message
    assert caught.value.outcome.changed is False


def test_move_with_txt_wait_timeout_0_asks_once(client, stubber):
    txt_not_seen(stubber)
    clock = Clock()

    with pytest.raises(AliasError) as caught:
        apply_moves(client, move_plan("www.example.com"), txt_wait_timeout=0, sleep=clock.sleep, clock=clock)

    assert clock.sleeps == []
    assert "attempts" not in str(caught.value)


def test_other_refusals_of_a_move_are_not_asked_again(client, stubber):
    stubber.add_client_error("associate_alias", service_error_code="IllegalUpdate", http_status_code=400,
                             service_message="The alias is associated with an enabled distribution in another account")
    clock = Clock()

    with pytest.raises(AliasError, match="IllegalUpdate"):
        apply_moves(client, move_plan("www.example.com"), txt_wait_timeout=120, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []


def test_a_failed_second_move_reports_the_first_as_made(client, stubber):
    associated(stubber, "www.example.com")
    stubber.add_client_error("associate_alias", service_error_code="IllegalUpdate", http_status_code=400,
                             service_message="enabled in another account")

    with pytest.raises(AliasError) as caught:
        apply_moves(client, move_plan("www.example.com", "api.example.com"), sleep=lambda s: None)

    outcome = caught.value.outcome
    assert outcome.changed is True
    assert outcome.to_result()["aliases"] == ["www.example.com"]
    assert outcome.to_result()["added"] == ["www.example.com"]
    assert outcome.to_result()["moved"] == [{"alias": "www.example.com", "from": HOLDER}]
    assert "already moved before this failure: www.example.com" in str(caught.value)


def test_apply_plan_reports_what_the_update_made(client, stubber):
    first = config()
    wanted = updated(first, ["old.example.com", "new.example.com"])
    stubber.add_response("get_distribution_config", config_response(first, "ETAG-1"), {"Id": DIST})
    stubber.add_response("update_distribution", update_response(wanted, "ETAG-2"),
                         {"Id": DIST, "IfMatch": "ETAG-1", "DistributionConfig": wanted})

    outcome = apply_plan(client, plan_for(first, [A("new.example.com")]), [A("new.example.com")])

    assert outcome.to_result() == {"changed": True, "aliases": ["old.example.com", "new.example.com"],
                                   "added": ["new.example.com"], "removed": [], "moved": [],
                                   "precondition_retries": 0}
    assert outcome.describe() == "added: new.example.com"


def test_unchanged_outcome_reports_the_aliases_as_they_were():
    plan = plan_for(config(["old.example.com"]), [A("new.example.com")])
    result = AliasOutcome.unchanged(plan).to_result()
    assert result["changed"] is False and result["aliases"] == ["old.example.com"]
    assert result["added"] == [] and result["removed"] == [] and result["moved"] == []


def test_messages_name_the_apex_form_of_the_txt_record_when_the_zone_is_unknown(client, stubber):
    stubber.add_client_error("associate_alias", service_error_code="InvalidArgument", http_status_code=400,
                             service_message="create a DNS TXT record _.example.com", expected_params={
                                 "TargetDistributionId": DIST, "Alias": "example.com"})

    with pytest.raises(AliasError) as caught:
        apply_moves(client, move_plan("example.com"), sleep=lambda s: None)

    message = str(caught.value)
    assert "TXT record _example.com with the value %s" % DOMAIN in message
    assert "or _.example.com if example.com is the apex of its zone" in message


def test_a_wildcard_move_names_its_one_txt_record(client, stubber):
    stubber.add_client_error("associate_alias", service_error_code="InvalidArgument", http_status_code=400,
                             service_message="create a DNS TXT record _.example.com", expected_params={
                                 "TargetDistributionId": DIST, "Alias": "*.example.com"})

    with pytest.raises(AliasError) as caught:
        apply_moves(client, move_plan("*.example.com"), sleep=lambda s: None)

    assert "TXT record _.example.com with the value %s before" % DOMAIN in str(caught.value)
    assert "apex" not in str(caught.value)


# -- the dns_first hand-over -------------------------------------------------------------------------------------

OLD = "E1HOLDER000001"


def distribution_response(dist_id, status):
    return {"Distribution": {
        "Id": dist_id, "ARN": "arn:aws:cloudfront::111111111111:distribution/" + dist_id, "Status": status,
        "LastModifiedTime": "2024-01-01T00:00:00Z", "InProgressInvalidationBatches": 0,
        "DomainName": "d%s.cloudfront.net" % dist_id.lower()[1:], "DistributionConfig": config()}, "ETag": "E"}


def read(stubber, dist_id, cfg, etag):
    stubber.add_response("get_distribution_config", config_response(cfg, etag), {"Id": dist_id})


def write(stubber, dist_id, cfg, etag):
    stubber.add_response("update_distribution", update_response(cfg, etag + "-NEW"),
                         {"Id": dist_id, "IfMatch": etag, "DistributionConfig": cfg})


def status(stubber, dist_id, value):
    stubber.add_response("get_distribution", distribution_response(dist_id, value), {"Id": dist_id})


def cname_taken(stubber, dns_form=False):
    message = ("One or more aliases specified for the distribution includes an incorrectly configured DNS record"
               if dns_form else "One or more of the CNAMEs you provided are already associated with a different "
                                "resource.")
    stubber.add_client_error("update_distribution", service_error_code="CNAMEAlreadyExists", service_message=message,
                             http_status_code=409)


def test_a_handover_waits_for_the_holders_release_then_adds_at_once(client, stubber):
    holder_cfg, target_cfg = config(["www.example.com", "keep.example.com"]), config([])
    read(stubber, OLD, holder_cfg, "H1")                         # which of the aliases the holder has
    read(stubber, OLD, holder_cfg, "H1")
    write(stubber, OLD, updated(holder_cfg, ["keep.example.com"]), "H1")
    status(stubber, OLD, "InProgress")
    status(stubber, OLD, "InProgress")
    status(stubber, OLD, "Deployed")
    read(stubber, DIST, target_cfg, "T1")
    cname_taken(stubber)                                          # the release is a moment behind
    read(stubber, DIST, target_cfg, "T1")
    write(stubber, DIST, updated(target_cfg, ["www.example.com"]), "T1")
    clock = Clock()
    handover = Handover()

    outcome = apply_handover(client, plan_for(target_cfg, [A("www.example.com")]), [A("www.example.com")], [OLD],
                             conflict_wait=30, timeout=600, sleep=clock.sleep, clock=clock, handover=handover)

    assert [a.name for a in outcome.final] == ["www.example.com"]
    assert handover.to_result() == {"released_from": [{"distribution_id": OLD, "aliases": ["www.example.com"]}],
                                    "given_back": [], "conflict_retries": 1}
    assert clock.sleeps == [0.25, 0.375, 0.5], "polls for Deployed, then one retry of the add"


def test_a_handover_that_runs_out_of_time_gives_the_alias_back(client, stubber):
    holder_cfg, target_cfg = config(["www.example.com"]), config([])
    read(stubber, OLD, holder_cfg, "H1")
    read(stubber, OLD, holder_cfg, "H1")
    write(stubber, OLD, updated(holder_cfg, []), "H1")
    status(stubber, OLD, "Deployed")
    for unused in range(3):
        read(stubber, DIST, target_cfg, "T1")
        cname_taken(stubber, dns_form=True)                       # CloudFront's DNS check still sees the old record
    # Who holds it now (the one step-1 path: ListDomainConflicts, then this account's distributions, listed only
    # now that an answer must be checked against them): nobody.
    stubber.add_response("list_domain_conflicts", {"DomainConflicts": []})
    stubber.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 0}})
    read(stubber, OLD, updated(holder_cfg, []), "H2")             # given back: the holder takes it again
    write(stubber, OLD, holder_cfg, "H2")
    clock = Clock()
    handover = Handover()
    plan = plan_for(target_cfg, [A("www.example.com")])

    with pytest.raises(AliasError) as caught:
        apply_handover(client, plan, [A("www.example.com")], [OLD], conflict_wait=2, timeout=600,
                       sleep=clock.sleep, clock=clock, handover=handover)

    message = str(caught.value)
    assert "conflict_wait_timeout" in message and "after 2 more attempts over 2 seconds" in message
    assert clock.sleeps == [0.5, 0.75]  # the next wait would end after conflict_wait
    assert "Put back where they were, so they are served as before: www.example.com on %s" % OLD in message
    assert handover.to_result()["given_back"] == [{"distribution_id": OLD, "aliases": ["www.example.com"]}]
    assert caught.value.outcome.changed is False


def test_a_handover_that_cannot_give_back_says_nobody_holds_the_name(client, stubber):
    holder_cfg, target_cfg = config(["www.example.com"]), config([])
    read(stubber, OLD, holder_cfg, "H1")
    read(stubber, OLD, holder_cfg, "H1")
    write(stubber, OLD, updated(holder_cfg, []), "H1")
    status(stubber, OLD, "InProgress")
    read(stubber, OLD, updated(holder_cfg, []), "H2")
    cname_taken(stubber, dns_form=True)                           # DNS points at the target now
    clock = Clock()
    handover = Handover()

    with pytest.raises(AliasError) as caught:
        apply_handover(client, plan_for(target_cfg, [A("www.example.com")]), [A("www.example.com")], [OLD],
                       timeout=0, sleep=clock.sleep, clock=clock, handover=handover)

    assert "was not Deployed within 0 seconds" in str(caught.value)
    assert "NOT PUT BACK YET - nobody holds these names now: put DNS back as it was" in str(caught.value)
    assert handover.to_result()["given_back"] == [] and handover.not_given_back


def test_a_masked_holder_of_this_account_is_named_with_its_real_id(client, stubber):
    # ListDomainConflicts hides the first half of every id, this account's too (its account id is in full).
    stubber.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "www.example.com", "ResourceType": "distribution", "ResourceId": "*******" + OLD[-7:],
         "AccountId": "111111111111"}]})
    # The hidden id is resolved against this account's distributions, listed for it.
    stubber.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 1, "Items": [{
            "Id": OLD, "ARN": "arn:aws:cloudfront::111111111111:distribution/" + OLD, "Status": "Deployed",
            "LastModifiedTime": "2024-01-01T00:00:00Z", "DomainName": "dholder.cloudfront.net",
            "Aliases": {"Quantity": 1, "Items": ["www.example.com"]}, "Origins": config()["Origins"],
            "DefaultCacheBehavior": config()["DefaultCacheBehavior"], "CacheBehaviors": {"Quantity": 0},
            "CustomErrorResponses": {"Quantity": 0}, "Comment": "", "PriceClass": "PriceClass_All", "Enabled": True,
            "ViewerCertificate": {}, "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
            "WebACLId": "", "HttpVersion": "http2", "IsIPV6Enabled": True, "Staging": False}]}})
    plan = AliasPlan(DIST, "present", [], [A("www.example.com")], [], DOMAIN, config([]), account_id="111111111111")

    error = _explain(botocore_error("CNAMEAlreadyExists", "an incorrectly configured DNS record"), client, plan,
                     [A("www.example.com")])

    assert "held by distribution %s in this account (111111111111)" % OLD in str(error)
    assert "another AWS account" not in str(error)


def botocore_error(code, message):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError

    return AwsError("UpdateDistribution failed: %s: %s" % (code, message), code=code)


def test_a_tenant_update_sends_back_its_customizations_and_parameters_as_read(client, stubber):
    """Only the domains change: the tenant's certificate, web ACL, geo restrictions and parameters go back as
    GetDistributionTenant gave them, whether CloudFront would keep or clear a field left out."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._distribution_alias import update_tenant_domains
    customizations = {
        "Certificate": {"Arn": "arn:aws:acm:us-east-1:111111111111:certificate/tenant"},
        "WebAcl": {"Action": "override", "Arn": "arn:aws:wafv2:us-east-1:111111111111:global/webacl/t/1"},
        "GeoRestrictions": {"RestrictionType": "whitelist", "Locations": ["JP"]},
    }
    parameters = [{"Name": "tenantName", "Value": "shop"}]
    tenant = {
        "Id": "dt_1", "DistributionId": DIST, "Name": "shop", "Arn": "arn:aws:cloudfront::111111111111:distribution-tenant/dt_1",
        "Domains": [{"Domain": "shop.example.com", "Status": "active"}], "Customizations": customizations,
        "Parameters": parameters, "ConnectionGroupId": "cg_1", "Enabled": True, "Status": "Deployed",
    }
    stubber.add_response("get_distribution_tenant", {"DistributionTenant": copy.deepcopy(tenant), "ETag": "E1"},
                         {"Identifier": "dt_1"})
    stubber.add_response("update_distribution_tenant", {"DistributionTenant": copy.deepcopy(tenant), "ETag": "E2"}, {
        "Id": "dt_1", "IfMatch": "E1", "DistributionId": DIST, "ConnectionGroupId": "cg_1", "Enabled": True,
        "Domains": [{"Domain": "shop.example.com"}, {"Domain": "www.example.com"}],
        "Customizations": customizations, "Parameters": parameters,
    })

    domains, retries = update_tenant_domains(client, "dt_1", [A("www.example.com")], "present")

    assert [a.name for a in domains] == ["shop.example.com", "www.example.com"]
    assert retries == 0


# -- a move given the holder step 1 found (expected_holders) ---------------------------------------------------

OLD_HOLDER = {"distribution_id": OLD, "account_id": "111111111111", "masked": True, "in_account": True,
              "resource_type": "distribution", "enabled": True}


def test_a_move_given_step_1s_holder_is_planned_from_the_target_alone(client, stubber):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._distribution_alias import plan_aliases

    # The Stubber refuses any call not stubbed here: no ListDomainConflicts, no ListDistributions.
    stubber.add_response("get_distribution", update_response(config([]), "T1"), {"Id": DIST})
    plan = plan_aliases(client, None, DIST, [A("www.example.com")], "moved", check_certificate=False,
                        expected_holders={"www.example.com": dict(OLD_HOLDER, account_id="******111111")})

    assert plan.moves == [(A("www.example.com"), OLD_HOLDER)]  # this account's id, as the look-up reports it
    assert plan.via["www.example.com"]["operation"] == "AssociateAlias"
    assert plan.given == {"www.example.com"}


def test_a_move_of_an_alias_already_on_the_target_is_no_move_whatever_holder_is_given(client, stubber):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._distribution_alias import plan_aliases

    stubber.add_response("get_distribution", update_response(config(["www.example.com"]), "T1"), {"Id": DIST})
    plan = plan_aliases(client, None, DIST, [A("www.example.com")], "moved", check_certificate=False,
                        expected_holders={"www.example.com": OLD_HOLDER})

    assert plan.changed is False and plan.moves == []


def test_a_refused_move_of_a_given_holder_names_the_holder_of_now_and_says_it_changed(client, stubber):
    stubber.add_client_error("associate_alias", service_error_code="IllegalUpdate", http_status_code=400,
                             service_message="The source distribution is enabled and in another account")
    # Asked again, on the refusal only: another account's distribution holds it now.
    stubber.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "www.example.com", "ResourceType": "distribution", "ResourceId": "*******NOWHERE",
         "AccountId": "******222222"}]})
    stubber.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 0}})
    plan = AliasPlan(DIST, "moved", [], [A("www.example.com")], [(A("www.example.com"), OLD_HOLDER)], DOMAIN,
                     config([]), account_id="111111111111")
    plan.via["www.example.com"] = {"operation": "AssociateAlias", "why": "test"}
    plan.given.add("www.example.com")

    with pytest.raises(AliasError) as caught:
        apply_moves(client, plan)

    message = str(caught.value)
    assert "AWS will not move www.example.com from distribution *******NOWHERE in account ******222222" in message
    assert ("Step 1 found distribution %s in this account (111111111111) holding www.example.com; distribution "
            "*******NOWHERE in another AWS account (******222222) holds it now: it changed since" % OLD) in message
    assert caught.value.done == [] and caught.value.outcome.changed is False


@pytest.mark.parametrize("given,expected", [
    ({"shop.example.com": None}, "not one of the aliases"),
    ({"www.example.com": {"distribution_id": OLD}}, "at least distribution_id and in_account"),
    ({"www.example.com": "E1OLD"}, "at least distribution_id and in_account"),
    ({"www.example.com": dict(OLD_HOLDER, resource_type="bucket")}, "resource_type must be distribution"),
    ({"www.example.com": dict(OLD_HOLDER, in_account="perhaps")}, "expected_holders[www.example.com]"),
])
def test_expected_holders_are_checked_before_anything_is_asked(given, expected):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._distribution_alias import (
        InvalidHolders,
        expected_holders_from,
    )

    with pytest.raises(InvalidHolders, match=re_escape(expected)):
        expected_holders_from(given, [A("www.example.com")])


def test_expected_holders_keep_what_the_move_needs_and_null_for_nobody():
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._distribution_alias import (
        expected_holders_from,
    )

    step1 = dict(OLD_HOLDER, alias="www.example.com", overlap="exact", domain_name="d1.cloudfront.net", status="x")
    assert expected_holders_from({"WWW.Example.com.": step1, "api.example.com": None},
                                 [A("www.example.com"), A("api.example.com")]) == {
        "www.example.com": OLD_HOLDER, "api.example.com": None}


def re_escape(text):
    import re

    return re.escape(text)
