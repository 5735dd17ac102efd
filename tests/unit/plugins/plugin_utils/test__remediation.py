# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The remediation role's decisions: input, the plan per verdict and strategy, batches, the summary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils._remediation import (
    RemediationInputError,
    batches,
    describe_step,
    plan_remediation,
    requests_from,
    summarise,
)

TARGET = {"id": "ETARGET0000001", "domain_name": "dnew.cloudfront.net", "status": "Deployed", "enabled": True,
          "aliases": []}
OLD = "dold.cloudfront.net"
DEFAULTS = {"target_distribution_id": TARGET["id"], "dns_provider": "route53", "dns_zone": "example.com",
            "strategy": "auto", "cloudflare_dns_only": False}


def holder(dist_id="EOLD0000000001", overlap="exact", in_account=True, alias="www.example.com"):
    found = {"alias": alias, "distribution_id": dist_id, "account_id": "111111111111" if in_account else "********2222",
             "masked": not in_account, "in_account": in_account, "overlap": overlap}
    if in_account:
        found.update(domain_name=OLD, status="Deployed", enabled=True, aliases=[alias])
    return found


def cname_to(domain, is_target=False):
    return {"type": "CNAME", "values": [domain], "chain": [], "final_name": domain, "error": None,
            "points_to": {"domain_name": domain, "is_target": is_target, "via": "CNAME"}}


def step1(verdict, holders=(), dns=None, alias="www.example.com", target=None):
    """One result of the step-1 loop (cloudfront_alias_conflict_info), for one alias."""
    return {"changed": False, "target": target or TARGET, "aliases": [{
        "alias": alias, "verdict": verdict, "holders": list(holders), "dns": dns,
        "txt_record_name": "_" + alias.lstrip("*.") if alias.startswith("*.") else "_" + alias}]}


def plan_for(verdict, holders=(), dns=None, alias="www.example.com", **request):
    req = dict(DEFAULTS, alias=alias)
    req.update(request)
    return plan_remediation([req], [step1(verdict, holders, dns, alias)])[0]


# -- input ----------------------------------------------------------------------------------------------


def test_one_alias_from_the_single_variables():
    assert requests_from("www.example.com", [], DEFAULTS) == [dict(DEFAULTS, alias="www.example.com",
                                                                   target_id=TARGET["id"],
                                                                   target_resource_type="distribution")]


def test_many_aliases_take_missing_keys_from_the_defaults_and_may_be_plain_names():
    requests = requests_from("", [
        {"alias": "www.example.com", "target_distribution_id": "EOTHER00000001", "dns_zone": ""},
        "shop.example.com",
        {"alias": "api.example.com", "strategy": "dns_first", "dns_provider": None},
    ], DEFAULTS)
    assert [(r["alias"], r["target_distribution_id"], r["dns_zone"], r["strategy"], r["dns_provider"])
            for r in requests] == [
        ("www.example.com", "EOTHER00000001", "example.com", "auto", "route53"),
        ("shop.example.com", TARGET["id"], "example.com", "auto", "route53"),
        ("api.example.com", TARGET["id"], "example.com", "dns_first", "route53"),
    ]


@pytest.mark.parametrize("given, meant", [("false", False), ("no", False), ("true", True), (True, True),
                                          (None, False), ("", False)])
def test_cloudflare_dns_only_from_the_command_line_means_what_it_says(given, meant):
    assert requests_from("www.example.com", [], dict(DEFAULTS, cloudflare_dns_only=given))[0][
        "cloudflare_dns_only"] is meant


@pytest.mark.parametrize("single, many, defaults, message", [
    ("www.example.com", [], dict(DEFAULTS, cloudflare_dns_only="maybe"), "cloudflare_dns_only must be true or false"),
    ("", [], DEFAULTS, "nothing to do"),
    ("www.example.com", [], dict(DEFAULTS, target_distribution_id=""), "target_distribution_id is missing"),
    ("www.example.com", [], dict(DEFAULTS, strategy="sideways"), "strategy 'sideways' is not one of auto, move, dns_first"),
    ("www.example.com", [], dict(DEFAULTS, dns_provider="godaddy"), "dns_provider 'godaddy'"),
    ("www..example.com", [], DEFAULTS, "www..example.com"),
    ("www.example.com", [], dict(DEFAULTS, dns_zone="exa mple.com"), "dns_zone"),
    ("", [{"alias": "www.example.com", "target": "E1"}], DEFAULTS, "unknown key(s) target"),
    ("", [{"target_distribution_id": "E1"}], DEFAULTS, "aliases[0] must be a mapping with at least 'alias'"),
    ("", [42], DEFAULTS, "aliases[0]"),
    ("WWW.example.com.", [{"alias": "www.example.com"}], DEFAULTS, "listed twice"),
    ("", [u"b\u00fccher.example.com", "xn--bcher-kva.example.com"], DEFAULTS, "listed twice"),
])
def test_bad_input_is_refused_with_a_message_naming_it(single, many, defaults, message):
    with pytest.raises(RemediationInputError) as caught:
        requests_from(single, many, defaults)
    assert message in str(caught.value)


def test_a_txt_record_name_is_given_per_alias_or_for_the_one_alias():
    single = requests_from("example.com", [], dict(DEFAULTS, txt_record_name="_AWS.example.com."))
    assert single[0]["txt_record_name"] == "_aws.example.com"
    many = requests_from("", [{"alias": "example.com", "txt_record_name": "_x.example.com"}, "www.example.com"],
                         dict(DEFAULTS, txt_record_name=""))
    assert [r.get("txt_record_name") for r in many] == ["_x.example.com", None]
    plan = plan_remediation(single, [step1("held_in_account", [holder()], alias="example.com")])[0]
    assert (plan["txt_record_name"], plan["txt_record_override"]) == ("_aws.example.com", True)
    assert "create TXT _aws.example.com" in describe_step(plan, "txt_create")


@pytest.mark.parametrize("single, many, defaults, message", [
    ("", ["www.example.com"], dict(DEFAULTS, txt_record_name="_x.example.com"), "give txt_record_name per alias"),
    ("www.example.com", [], dict(DEFAULTS, txt_record_name="_www.example.org"), "not inside dns_zone example.com"),
    ("www.example.com", [], dict(DEFAULTS, txt_record_name="_bad name.example.com"), "txt_record_name"),
])
def test_a_bad_txt_record_name_is_refused(single, many, defaults, message):
    with pytest.raises(RemediationInputError) as caught:
        requests_from(single, many, defaults)
    assert message in str(caught.value)


def test_step1_must_have_reported_every_alias():
    with pytest.raises(RemediationInputError, match="step 1 found nothing about shop.example.com"):
        plan_remediation([dict(DEFAULTS, alias="shop.example.com")], [step1("free")])


def test_failed_or_skipped_step1_results_are_ignored():
    results = [{"failed": True, "msg": "boom"}, {"skipped": True}, step1("free")]
    assert plan_remediation([dict(DEFAULTS, alias="www.example.com")], results)[0]["action"] == "add"


def test_a_unicode_alias_matches_its_punycode_in_step1():
    plan = plan_remediation([dict(DEFAULTS, alias=u"B\u00fccher.example.com.")],
                            [step1("free", alias="xn--bcher-kva.example.com")])[0]
    assert plan["alias"] == "xn--bcher-kva.example.com"


def test_step1_results_are_matched_per_target():
    other = dict(TARGET, id="ESECOND0000001", domain_name="dsecond.cloudfront.net")
    request = dict(DEFAULTS, alias="www.example.com", target_distribution_id=other["id"])
    plan = plan_remediation([request], [step1("free"), step1("on_target", target=other)])[0]
    assert (plan["verdict"], plan["target_domain_name"]) == ("on_target", "dsecond.cloudfront.net")


# -- the plan, per verdict and strategy -----------------------------------------------------------------


def test_on_target_with_dns_at_the_target_only_verifies():
    plan = plan_for("on_target", dns=cname_to(TARGET["domain_name"], is_target=True))
    assert (plan["action"], plan["steps"]) == ("none", ["verify"])
    assert plan["reason"] == "already on the target"


def test_on_target_with_every_nameserver_leading_to_the_target_is_proven_by_step_1():
    dns = cname_to(TARGET["domain_name"], is_target=True)
    dns["points_to"]["every_nameserver"] = True
    plan = plan_for("on_target", dns=dns)
    # Nothing to change and step 1 already asked every authoritative nameserver: no step runs, not even step 4.
    assert (plan["action"], plan["steps"]) == ("none", [])
    assert batches([plan], "verify") == []
    assert plan["proof"]["verified"] and plan["proof"]["final_name"] == TARGET["domain_name"]
    lines = summarise([plan], {})
    assert "  changed: nothing" in lines
    assert any(line.startswith("  proof:   VERIFIED - every authoritative nameserver leads www.example.com to ")
               for line in lines), lines


def test_on_target_is_proven_again_when_a_nameserver_did_not_answer_alike():
    dns = cname_to(TARGET["domain_name"], is_target=True)
    dns["points_to"]["every_nameserver"] = False
    plan = plan_for("on_target", dns=dns)
    assert (plan["steps"], plan.get("proof")) == (["verify"], None)


def test_on_target_with_dns_elsewhere_repoints_dns_only():
    plan = plan_for("on_target", dns=cname_to(OLD))
    assert (plan["action"], plan["steps"]) == ("none", ["repoint_dns", "verify"])
    assert "repoint DNS" in plan["reason"] and OLD in plan["reason"]


def test_held_in_account_moves_with_associate_alias_then_repoints():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD))
    assert plan["action"] == "move"
    assert plan["steps"] == ["txt_create", "move_alias", "repoint_dns", "txt_remove", "verify"]
    assert plan["expected_current"] == sorted([OLD, TARGET["domain_name"]])
    assert plan["txt_record_name"] == "_www.example.com"
    assert "EOLD0000000001 in this account" in plan["reason"]


@pytest.mark.parametrize("provider", ["google", "rfc2136"])
def test_an_apex_at_a_provider_that_cannot_point_it_at_cloudfront_is_refused_before_any_change(provider):
    apex = {"type": "A", "values": ["192.0.2.1"], "chain": [], "final_name": "example.com", "error": None,
            "points_to": {}}
    plan = plan_for("held_in_account", [holder(alias="example.com")], apex, alias="example.com",
                    dns_provider=provider, txt_record_name="_example.com")
    assert (plan["action"], plan["steps"]) == ("blocked", [])
    assert "example.com is the apex of the zone example.com, and DNS provider %s cannot" % provider in plan["reason"]
    assert "Route 53" in plan["reason"]
    # Route 53 can (an alias record), and a name below the apex is no apex.
    assert plan_for("held_in_account", [holder(alias="example.com")], apex, alias="example.com",
                    dns_provider="route53", txt_record_name="_example.com")["action"] == "move"
    assert plan_for("held_in_account", [holder()], cname_to(OLD), dns_provider=provider)["action"] == "move"


def test_held_in_another_account_moves_and_says_it_needs_a_disabled_holder():
    plan = plan_for("held_other_account", [holder("*******000001", in_account=False)], cname_to(OLD))
    assert plan["action"] == "move"
    assert "only if that distribution is disabled" in plan["reason"]
    assert plan["holders"][0]["distribution_id"] == "*******000001"
    # Its domain name is unknown (another account), but what DNS says is allowed for the swap.
    assert OLD in plan["expected_current"]


def test_dns_pointing_elsewhere_follows_the_seed_order_without_touching_holders():
    plan = plan_for("dns_points_elsewhere", dns=cname_to(OLD))
    assert plan["action"] == "dns_first"
    assert plan["steps"] == ["repoint_dns", "add_alias_after_dns", "verify"]
    assert plan["remove_from"] == []
    assert "the runbook's order" in plan["reason"]


def test_a_free_alias_is_added_and_its_record_created():
    plan = plan_for("free", dns={"type": None, "values": [], "points_to": None, "error": None})
    assert (plan["action"], plan["steps"]) == ("add", ["add_alias", "repoint_dns", "verify"])
    assert plan["expected_current"] == [TARGET["domain_name"]]


def test_a_free_alias_whose_dns_already_leads_to_the_target_is_only_added():
    plan = plan_for("free", dns=cname_to(TARGET["domain_name"], is_target=True))
    assert plan["steps"] == ["add_alias", "verify"]


def test_strategy_dns_first_takes_the_alias_off_in_account_holders():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")
    assert plan["action"] == "dns_first"
    # Taking it off the holder is part of the add (one module call, nothing in the gap).
    assert plan["steps"] == ["repoint_dns", "add_alias_after_dns", "verify"]
    assert plan["remove_from"] == ["EOLD0000000001"]
    assert "take it off EOLD0000000001" in plan["reason"]


def test_strategy_dns_first_is_blocked_by_a_holder_in_another_account():
    plan = plan_for("held_other_account", [holder("*******000001", in_account=False)], cname_to(OLD),
                    strategy="dns_first")
    assert (plan["action"], plan["steps"]) == ("blocked", [])
    assert "only its owner can remove it" in plan["reason"]


@pytest.mark.parametrize("verdict", ["dns_points_elsewhere", "free"])
def test_strategy_move_uses_associate_alias_even_when_nobody_holds_it(verdict):
    plan = plan_for(verdict, dns=cname_to(OLD), strategy="move")
    assert plan["action"] == "move"
    assert plan["steps"] == ["txt_create", "move_alias", "repoint_dns", "txt_remove", "verify"]
    assert "nobody holds it" in plan["reason"]


@pytest.mark.parametrize("verdict, holders, strategy, message", [
    ("held_in_account", [holder()], "auto", "needs the TXT record _www.example.com"),
    ("dns_points_elsewhere", [], "auto", "DNS must be repointed first"),
])
def test_without_a_dns_provider_what_needs_dns_is_blocked(verdict, holders, strategy, message):
    plan = plan_for(verdict, holders, cname_to(OLD), strategy=strategy, dns_provider="")
    assert (plan["action"], plan["steps"]) == ("blocked", [])
    assert message in plan["reason"]


def test_without_a_dns_provider_a_free_alias_is_only_added():
    plan = plan_for("free", dns=None, dns_provider="")
    assert plan["steps"] == ["add_alias", "verify"]


def test_a_wildcard_holder_overlaps_and_is_left_alone():
    wildcard = holder("EWILD000000001", overlap="wildcard", alias="*.example.com")
    plan = plan_for("dns_points_elsewhere", [wildcard], cname_to(OLD))
    kept = dict((key, value) for key, value in wildcard.items() if key != "aliases")
    assert plan["holders"] == [] and plan["overlapping"] == [kept]
    assert plan["remove_from"] == []
    assert plan["action"] == "dns_first"


def test_a_plan_keeps_what_step_1_said_of_its_holders_but_their_own_lists_of_names():
    held = holder()
    held["aliases"] = ["other%d.example.com" % i for i in range(99)] + ["www.example.com"]
    wildcard = holder("EWILD000000001", overlap="wildcard", alias="*.example.com")
    plan = plan_for("held_in_account", [held, wildcard], cname_to(OLD))
    assert plan["holders"] == [dict((key, value) for key, value in held.items() if key != "aliases")]
    assert all("aliases" not in h for h in plan["holders"] + plan["overlapping"])
    assert plan["holders"][0]["domain_name"] == OLD and plan["holders"][0]["status"] == "Deployed"


def test_the_target_itself_is_never_a_holder():
    plan = plan_for("on_target", [holder(TARGET["id"])], cname_to(TARGET["domain_name"], is_target=True))
    assert plan["holders"] == []


def test_the_txt_record_at_a_zone_apex_is_underscore_dot():
    plan = plan_for("held_in_account", [holder(alias="example.com")], cname_to(OLD), alias="example.com")
    assert plan["txt_record_name"] == "_.example.com"


PROXIED = {"type": "A/AAAA", "values": ["104.16.64.10", "2606:4700::1"], "points_to": None, "error": None}


def test_a_proxied_cloudflare_record_is_blocked_before_anything_changes():
    plan = plan_for("held_in_account", [holder()], PROXIED, dns_provider="cloudflare")
    assert (plan["action"], plan["steps"]) == ("blocked", [])
    assert "proxied by Cloudflare" in plan["reason"] and "cloudflare_dns_only=true" in plan["reason"]


def test_a_proxied_cloudflare_record_is_made_dns_only_when_asked():
    plan = plan_for("held_in_account", [holder()], PROXIED, dns_provider="cloudflare", cloudflare_dns_only=True)
    assert plan["action"] == "move"
    record = batches([plan], "repoint_dns")[0]["records"][0]
    assert record["proxied"] is False
    # The provider holds a CNAME behind those addresses; no address is ever a guard (see the address tests below).
    assert not set(PROXIED["values"]) & set(record.get("expected_current") or [])
    assert "expected_current" not in record


def test_cloudflare_addresses_at_another_provider_are_not_a_proxy_question():
    plan = plan_for("held_in_account", [holder()], PROXIED, dns_provider="route53")
    assert plan["action"] == "move"


# -- batches ---------------------------------------------------------------------------------------------


def _three_plans():
    second = dict(TARGET, id="ESECOND0000001", domain_name="dsecond.cloudfront.net")
    requests = [dict(DEFAULTS, alias="www.example.com"), dict(DEFAULTS, alias="shop.example.com"),
                dict(DEFAULTS, alias="api.example.net", target_distribution_id=second["id"], dns_provider="cloudflare",
                     dns_zone="example.net")]
    found = [
        {"target": TARGET, "aliases": [
            step1("held_in_account", [holder()], cname_to(OLD))["aliases"][0],
            step1("held_in_account", [holder(alias="shop.example.com")], cname_to(OLD),
                  alias="shop.example.com")["aliases"][0]]},
        step1("held_in_account", [holder("EOLD0000000002", alias="api.example.net")], cname_to(OLD),
              alias="api.example.net", target=second),
    ]
    return plan_remediation(requests, found)


def test_alias_steps_go_per_distribution_and_dns_steps_per_provider():
    plans = _three_plans()
    # Each move carries step 1's holder of each alias (the module's expected_holders): it does not ask again.
    old = {"distribution_id": "EOLD0000000001", "account_id": "111111111111", "masked": False, "in_account": True,
           "enabled": True}
    assert batches(plans, "move_alias") == [
        {"distribution_id": TARGET["id"], "aliases": ["www.example.com", "shop.example.com"],
         "resource_type": "distribution", "expected_holders": {"www.example.com": old, "shop.example.com": old}},
        {"distribution_id": "ESECOND0000001", "aliases": ["api.example.net"], "resource_type": "distribution",
         "expected_holders": {"api.example.net": dict(old, distribution_id="EOLD0000000002")}}]
    dns = batches(plans, "repoint_dns")
    assert [(b["provider"], [r["name"] for r in b["records"]]) for b in dns] == [
        ("route53", ["www.example.com", "shop.example.com"]), ("cloudflare", ["api.example.net"])]
    assert dns[0]["records"][0] == {"name": "www.example.com", "target": TARGET["domain_name"], "zone": "example.com",
                                    "state": "present", "expected_current": sorted([OLD, TARGET["domain_name"]])}
    assert batches(plans, "add_alias") == []


def test_a_move_nobody_holds_passes_null_and_another_accounts_holder_as_step_1_saw_it():
    requests = [dict(DEFAULTS, alias="www.example.com", strategy="move"), dict(DEFAULTS, alias="shop.example.com")]
    found = [{"target": TARGET, "aliases": [
        step1("free", [], None)["aliases"][0],
        step1("held_other_account", [holder("*******ABCDEF1", in_account=False, alias="shop.example.com"),
                                     holder("EWILD000000001", overlap="wildcard", alias="*.example.com")],
              cname_to(OLD), alias="shop.example.com")["aliases"][0]]}]
    [batch] = batches(plan_remediation(requests, found), "move_alias")
    assert batch["expected_holders"] == {
        "www.example.com": None,
        "shop.example.com": {"distribution_id": "*******ABCDEF1", "account_id": "********2222", "masked": True,
                             "in_account": False}}


def test_txt_batches_create_and_remove_the_challenge_records():
    plans = _three_plans()
    create = batches(plans, "txt_create")[0]["records"][0]
    remove = batches(plans, "txt_remove")[0]["records"][0]
    assert create == {"name": "www.example.com", "target": TARGET["domain_name"], "zone": "example.com",
                      "challenge": True, "state": "present", "expected_current": [TARGET["domain_name"]]}
    assert dict(create, state="absent") == remove


def _repointed(name, before, provider="route53", applied=True):
    record = {"name": name, "zone": "example.com", "provider": provider, "action": "update", "before": before,
              "applied": applied}
    return _loop({"changed": applied, "records": [record]})


def test_the_handover_batch_names_the_holders_and_waits_for_the_replaced_records_ttl():
    plans = [plan_for("held_in_account", [holder("EOLDA000000001"), holder("EOLDB000000001")], cname_to(OLD),
                      strategy="dns_first")]
    repointed = _repointed("www.example.com", [{"name": "www.example.com", "type": "CNAME", "ttl": 900,
                                                "values": [OLD]}])
    assert batches(plans, "add_alias_after_dns", repointed=repointed) == [
        {"distribution_id": TARGET["id"], "aliases": ["www.example.com"], "resource_type": "distribution",
         "release_from": ["EOLDA000000001", "EOLDB000000001"], "conflict_wait": 900 + 30}]
    # Nothing repointed in this run: only the grace for CloudFront's release.
    assert batches(plans, "add_alias_after_dns")[0]["conflict_wait"] == 30


@pytest.mark.parametrize("before, wait", [
    ([{"name": "www.example.com", "type": "CNAME", "ttl": 1, "values": [OLD]}], 300 + 30),  # Cloudflare automatic
    ([{"name": "www.example.com", "type": "A", "ttl": None, "values": [],
       "alias_target": {"hosted_zone_id": "Z2FDTNDATAQYW2", "dns_name": OLD}}], 60 + 30),
])
def test_the_conflict_wait_follows_what_resolvers_may_cache(before, wait):
    plans = [plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")]
    assert batches(plans, "add_alias_after_dns", repointed=_repointed("www.example.com", before))[0][
        "conflict_wait"] == wait


def test_dns_goes_back_only_for_the_aliases_a_failed_handover_gave_back():
    plans = [plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")]
    repointed = _repointed("www.example.com", [{"name": "www.example.com", "type": "CNAME", "ttl": 600,
                                                "values": [OLD]}])
    given_back = _loop({"failed": True, "changed": True, "added": [],
                        "released_from": [{"distribution_id": "EOLD0000000001", "aliases": ["www.example.com"]}],
                        "given_back": [{"distribution_id": "EOLD0000000001", "aliases": ["www.example.com"]}]})
    assert batches(plans, "restore_dns", repointed=repointed, handed_over=given_back) == [
        {"provider": "route53", "records": [{"name": "www.example.com", "zone": "example.com", "state": "present",
                                             "target": OLD, "ttl": 600,
                                             "expected_current": [TARGET["domain_name"]]}]}]
    handed = _loop({"changed": True, "added": ["www.example.com"],
                    "released_from": [{"distribution_id": "EOLD0000000001", "aliases": ["www.example.com"]}],
                    "given_back": []})
    assert batches(plans, "restore_dns", repointed=repointed, handed_over=handed) == []


def test_an_alias_record_goes_back_as_an_alias_record_and_a_new_name_goes_away():
    plans = [plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")]
    given_back = _loop({"failed": True, "released_from": [{"distribution_id": "EOLD0000000001",
                                                           "aliases": ["www.example.com"]}],
                        "given_back": [{"distribution_id": "EOLD0000000001", "aliases": ["www.example.com"]}]})
    alias_before = [{"name": "www.example.com", "type": "A", "ttl": None, "values": [],
                     "alias_target": {"hosted_zone_id": "Z2FDTNDATAQYW2", "dns_name": OLD}}]
    restored = batches(plans, "restore_dns", repointed=_repointed("www.example.com", alias_before),
                       handed_over=given_back)[0]["records"][0]
    assert (restored["state"], restored["target"]) == ("present", OLD) and "ttl" not in restored
    gone = batches(plans, "restore_dns", repointed=_repointed("www.example.com", []), handed_over=given_back)
    assert gone[0]["records"][0]["state"] == "absent"


def test_a_txt_record_name_the_user_gives_is_the_one_written_and_removed():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD))
    plan.update(txt_record_name="_.example.com", txt_record_override=True)
    record = batches([plan], "txt_create")[0]["records"][0]
    assert record["challenge_name"] == "_.example.com"
    created = _loop({"changed": True, "records": [{"name": "_.example.com", "zone": "example.com", "provider": "route53",
                                                   "action": "create", "applied": True}]})
    assert batches([plan], "txt_remove", created)[0]["records"][0]["challenge_name"] == "_.example.com"


def test_an_unknown_step_is_an_error():
    with pytest.raises(RemediationInputError, match="unknown step 'sideways'"):
        batches([], "sideways")


# -- the summary ----------------------------------------------------------------------------------------------


def _loop(*results):
    return {"changed": any(r.get("changed") for r in results), "results": list(results)}


def test_the_summary_says_what_was_found_what_changed_and_the_proof():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD))
    registered = {
        "txt_create": _loop({"changed": True, "records": [{"name": "_www.example.com", "action": "create"}]}),
        "move_alias": _loop({"changed": True, "added": ["www.example.com"], "removed": []}),
        "repoint_dns": _loop({"changed": True, "records": [{"name": "www.example.com", "action": "update"}]}),
        "txt_remove": _loop({"changed": True, "records": [{"name": "_www.example.com", "action": "delete"}]}),
        "add_alias": {"skipped": True, "results": []},
        "verify": _loop({"changed": False, "aliases": [{"alias": "www.example.com", "verified": True,
                                                        "outcome": "verified", "detail": "every nameserver agrees"}]}),
    }
    assert summarise([plan], registered) == [
        "www.example.com -> ETARGET0000001 (dnew.cloudfront.net)",
        "  found:   held_in_account; held by EOLD0000000001; DNS -> dold.cloudfront.net",
        "  plan:    move (held by EOLD0000000001 in this account: move it in one step with AssociateAlias)",
        "  changed: txt_create, move_alias, repoint_dns, txt_remove",
        "  proof:   VERIFIED - every nameserver agrees",
    ]


def test_an_unchanged_run_says_nothing_changed():
    plan = plan_for("on_target", dns=cname_to(TARGET["domain_name"], is_target=True))
    lines = summarise([plan], {"repoint_dns": _loop({"changed": False, "records": [
        {"name": "www.example.com", "action": "none"}]})})
    assert "  changed: nothing" in lines
    assert "  proof:   not reached" in lines


def test_check_mode_prints_what_each_step_would_do():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD))
    lines = summarise([plan], {}, check_mode=True)
    assert lines[3:] == [
        "  would:   (check mode: nothing was changed)",
        "    1. create TXT _www.example.com = dnew.cloudfront.net at route53 zone example.com (AssociateAlias checks it)",
        "    2. move www.example.com from EOLD0000000001 to ETARGET0000001 in one step (AssociateAlias)",
        "    3. repoint www.example.com at route53 zone example.com: dold.cloudfront.net -> dnew.cloudfront.net "
        "(only if it still holds dnew.cloudfront.net, dold.cloudfront.net)",
        "    4. remove TXT _www.example.com",
        "    5. prove with DNS that www.example.com leads to dnew.cloudfront.net",
    ]


def test_check_mode_with_nothing_to_do():
    plan = plan_for("held_other_account", [holder("*******000001", in_account=False)], cname_to(OLD),
                    strategy="dns_first")
    assert summarise([plan], {}, check_mode=True)[-1] == "  would:   nothing (check mode)"


@pytest.mark.parametrize("step, words", [
    ("add_alias_after_dns", "take www.example.com off EOLD0000000001, wait until EOLD0000000001 is Deployed "
                            "(CloudFront keeps a removed alias taken until then), then add it to ETARGET0000001 at "
                            "once (UpdateDistribution, asking again while CloudFront still answers "
                            "CNAMEAlreadyExists); if it cannot be added, give it back to EOLD0000000001 and put DNS "
                            "back as it was"),
    ("add_alias", "add www.example.com to ETARGET0000001 (UpdateDistribution)"),
])
def test_each_step_is_described_in_words(step, words):
    plan = plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")
    assert describe_step(plan, step) == words


def test_a_run_stopped_after_the_move_says_where_it_left_things_and_how_it_continues():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD))
    registered = {
        "txt_create": _loop({"changed": True, "records": [{"name": "_www.example.com", "action": "create"}]}),
        "move_alias": _loop({"changed": True, "added": ["www.example.com"], "removed": []}),
        "repoint_dns": _loop({"changed": False, "failed": True, "msg": "www.example.com holds 192.0.2.1"}),
        "txt_remove": _loop({"changed": True, "records": [{"name": "_www.example.com", "action": "delete"}]}),
    }
    lines = summarise([plan], registered, failed=True, error="www.example.com holds 192.0.2.1")
    assert "  changed: txt_create, move_alias, txt_remove" in lines
    assert "  left:    alias on the target ETARGET0000001; DNS not changed by this run (as step 1 saw it: dold.cloudfront.net)" in lines
    assert "  next:    fix the cause, run the same command again; it continues with repoint_dns, verify" in lines
    assert "STOPPED: www.example.com holds 192.0.2.1" in lines
    assert lines[-1].startswith("DNS was only repointed after its alias was on the target")


def test_a_stopped_run_that_left_a_txt_record_says_so():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD))
    registered = {"txt_create": _loop({"changed": True, "records": [{"name": "_www.example.com", "action": "create"}]})}
    lines = summarise([plan], registered, failed=True, error="boom")
    assert ("  left:    alias still on EOLD0000000001; DNS not changed by this run (as step 1 saw it: dold.cloudfront.net); TXT _www.example.com is "
            "still there (remove it, or run again)") in lines
    assert "  next:    fix the cause, run the same command again; it continues with move_alias, repoint_dns, " \
           "verify" in lines


def test_a_failed_handover_says_the_alias_went_back_and_dns_too():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")
    back = [{"distribution_id": "EOLD0000000001", "aliases": ["www.example.com"]}]
    registered = {
        "repoint_dns": _loop({"changed": True, "records": [{"name": "www.example.com", "action": "update"}]}),
        "add_alias_after_dns": _loop({"failed": True, "changed": True, "added": [], "released_from": back,
                                      "given_back": back}),
        "restore_dns": _loop({"changed": True, "records": [{"name": "www.example.com", "action": "update",
                                                            "applied": True}]}),
    }
    lines = summarise([plan], registered, failed=True, error="boom")
    assert "  changed: repoint_dns, restore_dns" in lines
    assert ("  left:    alias back on EOLD0000000001 (the handover to the target could not finish, so it was given "
            "back); DNS put back as found (dold.cloudfront.net)") in lines
    assert "  next:    fix the cause, run the same command again; it continues with repoint_dns, add_alias_after_dns, " \
           "verify" in lines


def test_a_handover_that_could_not_give_the_alias_back_says_so_loudly():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")
    registered = {"add_alias_after_dns": _loop({"failed": True, "changed": True, "given_back": [], "released_from": [
        {"distribution_id": "EOLD0000000001", "aliases": ["www.example.com"]}]})}
    lines = summarise([plan], registered, failed=True, error="boom")
    assert any("ON NO DISTRIBUTION: it was taken off EOLD0000000001 and could not be given back" in line
               for line in lines)


def test_a_run_stopped_before_any_change_says_nothing_was_changed():
    plan = plan_for("held_other_account", [holder("*******000001", in_account=False)], cname_to(OLD),
                    strategy="dns_first")
    lines = summarise([plan], {}, failed=True, error=plan["reason"])
    assert "  left:    alias still on *******000001; DNS not changed by this run (as step 1 saw it: dold.cloudfront.net)" in lines
    assert lines[-1] == "Nothing was changed. Fix the cause above and run the same command again."
    assert summarise([], {}, failed=True, error="step 1 failed")[-1].startswith("Nothing was changed")


def test_the_summary_names_a_wildcard_that_keeps_covering_the_alias():
    wildcard = holder("EWILD000000001", overlap="wildcard", alias="*.example.com")
    lines = summarise([plan_for("dns_points_elsewhere", [wildcard], cname_to(OLD))], {})
    assert lines[1] == ("  found:   dns_points_elsewhere; held by nobody else; *.example.com on EWILD000000001 covers it "
                        "(kept); DNS -> dold.cloudfront.net")


def test_an_unreadable_dns_record_is_reported_as_such():
    dns = {"type": None, "values": [], "points_to": None, "error": "127.0.0.1 did not answer"}
    lines = summarise([plan_for("free", dns=dns)], {})
    assert lines[1].endswith("DNS -> unreadable: 127.0.0.1 did not answer")


def test_the_rescue_clean_up_counts_as_removing_the_txt_record():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD))
    txt = {"name": "_www.example.com"}
    created = _loop({"changed": True, "records": [dict(txt, action="create")]})
    # The TXT record was removed by the rescue ...
    lines = summarise([plan], {"txt_create": created, "txt_cleanup": _loop(
        {"changed": True, "records": [dict(txt, action="delete")]})}, failed=True, error="boom")
    assert "  changed: txt_create, txt_remove" in lines
    assert not any("is still there" in line for line in lines)
    # ... or already by the main block (the rescue then finds nothing to do, and must not hide that).
    lines = summarise([plan], {"txt_create": created, "txt_remove": _loop(
        {"changed": True, "records": [dict(txt, action="delete")]}), "txt_cleanup": _loop(
        {"changed": False, "records": [dict(txt, action="none")]})}, failed=True, error="boom")
    assert not any("is still there" in line for line in lines)


# -- one list of providers ------------------------------------------------------------------------------------


def test_the_role_accepts_exactly_the_providers_the_modules_know():
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import PROVIDERS

    for provider in PROVIDERS:
        request = requests_from("www.example.com", [], dict(DEFAULTS, dns_provider=provider))[0]
        assert request["dns_provider"] == provider
    with pytest.raises(RemediationInputError) as caught:
        requests_from("www.example.com", [], dict(DEFAULTS, dns_provider="godaddy"))
    assert str(caught.value).endswith("is not one of %s (or empty: DNS not managed here)" % ", ".join(PROVIDERS))


# -- names seen as addresses: never proof, never a guard ------------------------------------------------------

NEW_ADDRESSES = ["192.0.2.1", "2001:db8::1"]


def addresses(points_to=None, is_target=False):
    """What step 1 reports for a name that answers with addresses (apex alias, flattened or proxied record)."""
    seen = None
    if points_to:
        seen = {"domain_name": points_to, "is_target": is_target, "via": "addresses"}
    return {"type": "A/AAAA", "values": list(NEW_ADDRESSES), "chain": [], "final_name": None, "error": None,
            "points_to": seen}


def test_addresses_that_look_like_the_target_are_still_repointed_through_the_provider():
    plan = plan_for("on_target", dns=addresses(TARGET["domain_name"], is_target=True))
    assert (plan["action"], plan["steps"]) == ("none", ["repoint_dns", "verify"])
    assert "cannot show which distribution" in plan["reason"]
    plan = plan_for("free", dns=addresses(TARGET["domain_name"], is_target=True))
    assert plan["steps"] == ["add_alias", "repoint_dns", "verify"]


def test_a_cname_at_the_target_is_still_only_verified():
    assert plan_for("free", dns=cname_to(TARGET["domain_name"], is_target=True))["steps"] == ["add_alias", "verify"]


@pytest.mark.parametrize("verdict, holders, dns", [
    # An apex alias record to a distribution step 1 does not know (nobody holds the alias).
    ("free", [], addresses()),
    # The addresses matched the target, but nothing else is known: a list of the target alone would refuse any
    # record that needs the change.
    ("free", [], addresses(TARGET["domain_name"], is_target=True)),
    # A holder is known, but the addresses matched nothing (plain A records to a server, a proxied record).
    ("held_in_account", [holder()], addresses()),
    ("held_other_account", [holder("*******000001", in_account=False)], addresses(TARGET["domain_name"], True)),
])
def test_addresses_step_1_could_not_tie_to_a_known_distribution_leave_the_guard_to_the_provider(
        verdict, holders, dns):
    plan = plan_for(verdict, holders, dns)
    assert plan["expected_current"] is None
    record = batches([plan], "repoint_dns")[0]["records"][0]
    assert "expected_current" not in record
    assert ("only if it still holds what the provider reads when it writes"
            in describe_step(plan, "repoint_dns"))


@pytest.mark.parametrize("points_to, is_target", [(OLD, False), (TARGET["domain_name"], True)])
def test_addresses_tied_to_a_known_holder_guard_with_the_holders_and_the_targets_names_only(points_to, is_target):
    plan = plan_for("held_in_account", [holder()], addresses(points_to, is_target))
    assert plan["expected_current"] == sorted([OLD, TARGET["domain_name"]])
    record = batches([plan], "repoint_dns")[0]["records"][0]
    assert record["expected_current"] == sorted([OLD, TARGET["domain_name"]])
    assert not set(NEW_ADDRESSES) & set(record["expected_current"])


def test_a_wildcard_holder_the_addresses_matched_counts_as_known():
    wildcard = holder("EWILD000000001", overlap="wildcard", alias="*.example.com")
    wildcard["domain_name"] = "dwild.cloudfront.net"
    plan = plan_for("free", [wildcard], addresses("dwild.cloudfront.net"))
    assert plan["expected_current"] == sorted(["dwild.cloudfront.net", TARGET["domain_name"]])


# -- waiting where the next step depends on it ------------------------------------------------------------------


def test_an_added_alias_waits_for_deployed_only_when_dns_is_repointed_to_it_next():
    repointed = plan_for("free", dns=cname_to(OLD), alias="www.example.com")
    already = plan_for("free", dns=cname_to(TARGET["domain_name"], is_target=True), alias="shop.example.com")
    assert batches([already], "add_alias") == [
        {"distribution_id": TARGET["id"], "aliases": ["shop.example.com"], "resource_type": "distribution",
         "wait": False}]
    assert batches([already, repointed], "add_alias") == [
        {"distribution_id": TARGET["id"], "aliases": ["shop.example.com", "www.example.com"],
         "resource_type": "distribution", "wait": True}]
    assert describe_step(repointed, "repoint_dns").endswith(", once ETARGET0000001 is Deployed with the alias")


def test_the_targets_changed_before_dns_are_waited_for_once_all_of_them_are_changed():
    """One wait batch per target, after every add and move: a move's target and an add's wait with wait_deployed
    (the role's default), an add whose alias DNS is repointed to next waits always; dns_first waits in its own call."""
    moved = plan_for("held_in_account", [holder()], cname_to(OLD))
    repointed = plan_for("free", dns=cname_to(OLD), alias="shop.example.com")
    already = plan_for("free", dns=cname_to(TARGET["domain_name"], is_target=True), alias="api.example.com")
    elsewhere = dict(plan_for("held_in_account", [holder(alias="img.example.com")], cname_to(OLD),
                              alias="img.example.com"), target_distribution_id="EOTHER00000001")
    dns_first = plan_for("dns_points_elsewhere", dns=cname_to(OLD), alias="cdn.example.com")
    assert [p["steps"][:2] for p in (moved, repointed, already, elsewhere)] == [
        ["txt_create", "move_alias"], ["add_alias", "repoint_dns"], ["add_alias", "verify"], ["txt_create", "move_alias"]]
    plans = [moved, repointed, already, elsewhere, dns_first]

    assert batches(plans, "deployed") == [
        {"distribution_id": TARGET["id"], "resource_type": "distribution",
         "aliases": ["www.example.com", "shop.example.com", "api.example.com"], "moved": ["www.example.com"],
         "added": ["shop.example.com", "api.example.com"],
         "done": "moved here: www.example.com; added: shop.example.com, api.example.com"},
        {"distribution_id": "EOTHER00000001", "resource_type": "distribution", "aliases": ["img.example.com"],
         "moved": ["img.example.com"], "added": [], "done": "moved here: img.example.com"}]
    assert batches(plans, "deployed", wait_deployed=False) == [
        {"distribution_id": TARGET["id"], "resource_type": "distribution", "aliases": ["shop.example.com"],
         "moved": [], "added": ["shop.example.com"], "done": "added: shop.example.com"}]
    assert batches([dns_first], "deployed") == []


def test_a_dns_first_repoint_waits_until_it_is_served_a_repoint_after_a_move_does_not():
    dns_first = plan_for("dns_points_elsewhere", dns=cname_to(OLD), alias="api.example.com")
    moved = plan_for("held_in_account", [holder()], cname_to(OLD))
    assert [b["wait"] for b in batches([moved], "repoint_dns")] == [False]
    assert [b["wait"] for b in batches([moved, dns_first], "repoint_dns")] == [True]
    assert describe_step(dns_first, "repoint_dns").endswith("and wait until every authoritative nameserver serves it")
    # The other steps' batches keep their shape.
    expected = [{"distribution_id": TARGET["id"], "aliases": ["www.example.com"], "resource_type": "distribution",
                 "expected_holders": {"www.example.com": {"distribution_id": "EOLD0000000001",
                                                          "account_id": "111111111111", "masked": False,
                                                          "in_account": True, "enabled": True}}}]
    assert batches([moved], "move_alias") == expected


# -- TXT records: only ours, only what this run created ----------------------------------------------------------


def _txt_created(*records, **result):
    """The registered txt_create loop, one route53 call with these record results."""
    entry = {"changed": any(r.get("action") != "none" for r in records),
             "records": [dict({"zone": "example.com", "provider": "route53"}, **r) for r in records]}
    entry.update(result)
    return _loop(entry)


def _names(groups):
    return [r["name"] for g in groups for r in g["records"]]


def test_the_clean_up_removes_only_the_txt_records_this_run_created():
    www = plan_for("held_in_account", [holder()], cname_to(OLD))
    shop = plan_for("held_in_account", [holder(alias="shop.example.com")], cname_to(OLD), alias="shop.example.com")
    registered = _txt_created({"name": "_www.example.com", "action": "create"},
                              {"name": "_shop.example.com", "action": "none"})   # it was there before this run
    groups = batches([www, shop], "txt_remove", registered)
    assert _names(groups) == ["www.example.com"]
    assert groups[0]["records"][0]["expected_current"] == [TARGET["domain_name"]]
    # Nothing created (the run stopped before the TXT step, or it was skipped): nothing removed.
    assert batches([www, shop], "txt_remove", {}) == []
    assert batches([www, shop], "txt_remove", {"skipped": True, "results": []}) == []


@pytest.mark.parametrize("record, result, removed", [
    ({"action": "create", "applied": True}, {}, True),
    ({"action": "create", "applied": False}, {}, False),                  # refused or failed: nothing written
    ({"action": "create"}, {"failed": True, "msg": "InvalidChangeBatch"}, False),
    ({"action": "create"}, {"failed": True, "msg": "not served in time", "wait": {}}, True),   # written, then waited
    ({"action": "update"}, {}, True),
])
def test_what_the_txt_step_created_is_read_from_its_results(record, result, removed):
    plan = plan_for("held_in_account", [holder()], cname_to(OLD))
    registered = _txt_created(dict(record, name="_www.example.com"), **result)
    assert bool(batches([plan], "txt_remove", registered)) is removed


def test_the_clean_up_matches_the_txt_record_in_the_zone_the_module_wrote_to():
    apex = plan_for("held_in_account", [holder(alias="example.com")], cname_to(OLD), alias="example.com")
    www = plan_for("held_in_account", [holder()], cname_to(OLD))
    registered = _txt_created({"name": "_.example.com", "action": "create"})
    assert _names(batches([apex, www], "txt_remove", registered)) == ["example.com"]
    # Another provider's record of the same name is not this plan's.
    other = _txt_created({"name": "_www.example.com", "action": "create", "provider": "cloudflare"})
    assert batches([www], "txt_remove", other) == []


def test_created_by_only_restricts_the_txt_removal():
    with pytest.raises(RemediationInputError, match="created_by only restricts txt_remove"):
        batches([], "repoint_dns", {})


# -- what the summary reports as done --------------------------------------------------------------------------


def test_a_refused_dns_write_is_not_reported_as_dns_at_the_target():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")
    refused = _loop({"changed": True, "failed": True, "msg": "www.example.com changed meanwhile",
                     "records": [{"name": "www.example.com", "zone": "example.com", "action": "update",
                                  "applied": False}]})
    lines = summarise([plan], {"repoint_dns": refused}, failed=True, error="www.example.com changed meanwhile")
    assert "  changed: nothing" in lines
    assert "  left:    alias still on EOLD0000000001; DNS not changed by this run (as step 1 saw it: dold.cloudfront.net)" in lines
    assert lines[-1].startswith("Nothing was changed")
    # Without the flag, a call that failed before it could wait wrote nothing either.
    unflagged = _loop({"changed": True, "failed": True, "msg": "InvalidChangeBatch",
                       "records": [{"name": "www.example.com", "zone": "example.com", "action": "update"}]})
    assert "  changed: nothing" in summarise([plan], {"repoint_dns": unflagged}, failed=True, error="x")


def test_an_applied_dns_write_is_reported():
    plan = plan_for("held_in_account", [holder()], cname_to(OLD), strategy="dns_first")
    applied = _loop({"changed": True, "records": [
        {"name": "www.example.com", "zone": "example.com", "action": "update", "applied": True}]})
    lines = summarise([plan], {"repoint_dns": applied}, failed=True, error="boom")
    assert "  changed: repoint_dns" in lines
    assert "  left:    alias still on EOLD0000000001; DNS points at the target (dnew.cloudfront.net)" in lines


def test_the_apex_txt_record_counts_for_the_apex_alias():
    plan = plan_for("held_in_account", [holder(alias="example.com")], cname_to(OLD), alias="example.com")
    lines = summarise([plan], {"txt_create": _txt_created({"name": "_.example.com", "action": "create"})},
                      failed=True, error="boom")
    assert "  changed: txt_create" in lines
    assert any("TXT _.example.com is still there" in line for line in lines)


def test_two_moves_that_need_the_same_txt_record_are_not_planned_together():
    from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils._remediation import _block_shared_txt_records

    plans = [{"alias": "example.com", "action": "move", "steps": ["txt_create"], "dns_provider": "route53",
              "txt_record_name": "_.example.com", "reason": ""},
             {"alias": "*.example.com", "action": "move", "steps": ["txt_create"], "dns_provider": "route53",
              "txt_record_name": "_.example.com", "reason": ""}]
    _block_shared_txt_records(plans)
    assert [p["action"] for p in plans] == ["move", "blocked"]
    assert plans[1]["steps"] == [] and "second run" in plans[1]["reason"]


# -- what a stopped run left, and refusals before the first change ----------------------------------------------


def _with(result, **entry):
    result["aliases"][0].update(entry)
    return result


def test_a_txt_record_left_by_a_stopped_move_is_removed_on_the_next_run():
    found = _with(step1("on_target", dns=cname_to(TARGET["domain_name"], is_target=True)),
                  txt_record={"name": "_www.example.com", "values": [TARGET["domain_name"]], "error": None})
    [plan] = plan_remediation([dict(DEFAULTS, alias="www.example.com")], [found])
    assert plan["action"] == "none" and plan["steps"] == ["txt_remove", "verify"]
    assert "left by an earlier run" in plan["reason"]
    [batch] = batches([plan], "txt_remove")
    # Removed only while it still names the target (dns_cname_repoint's compare-and-swap).
    assert batch["records"] == [{"name": "www.example.com", "target": TARGET["domain_name"], "zone": "example.com",
                                 "challenge": True, "state": "absent", "expected_current": [TARGET["domain_name"]]}]


@pytest.mark.parametrize("values", [[], ["dsomeoneelse.cloudfront.net"]], ids=["none", "another-target"])
def test_a_txt_record_that_is_not_a_stopped_runs_own_is_left_alone(values):
    found = _with(step1("on_target", dns=cname_to(TARGET["domain_name"], is_target=True)),
                  txt_record={"name": "_www.example.com", "values": values, "error": None})
    [plan] = plan_remediation([dict(DEFAULTS, alias="www.example.com")], [found])
    assert plan["steps"] == ["verify"]


@pytest.mark.parametrize("verdict,holders", [("held_in_account", [holder()]), ("free", []),
                                             ("dns_points_elsewhere", [])])
def test_a_target_certificate_that_does_not_cover_the_alias_stops_the_run_before_any_change(verdict, holders):
    detail = "the certificate of ETARGET0000001 (arn:cert) covers example.com but not www.example.com"
    found = _with(step1(verdict, holders, cname_to(OLD)), target_certificate={"covers": False, "detail": detail})
    [plan] = plan_remediation([dict(DEFAULTS, alias="www.example.com")], [found])
    assert plan["action"] == "blocked" and plan["steps"] == []
    assert detail in plan["reason"]


def test_a_certificate_that_cannot_be_read_here_is_left_to_cloudfront():
    found = _with(step1("held_in_account", [holder()], cname_to(OLD)),
                  target_certificate={"covers": None, "detail": "could not be read"})
    [plan] = plan_remediation([dict(DEFAULTS, alias="www.example.com")], [found])
    assert plan["action"] == "move"


def test_dns_that_cannot_be_read_stops_the_run_before_any_change():
    dns = {"type": None, "values": [], "points_to": None, "error": "127.0.0.1:9 did not answer"}
    [plan] = plan_remediation([dict(DEFAULTS, alias="www.example.com")],
                              [step1("held_in_account", [holder()], dns)])
    assert plan["action"] == "blocked" and "127.0.0.1:9 did not answer" in plan["reason"]
    assert "verify_nameservers" in plan["reason"]


def test_dns_that_cannot_be_read_does_not_stop_an_add_without_dns_or_proof():
    dns = {"type": None, "values": [], "points_to": None, "error": "no answer"}
    [plan] = plan_remediation([dict(DEFAULTS, alias="www.example.com", dns_provider=None, verify=False)],
                              [step1("free", dns=dns)])
    assert plan["action"] == "add"


@pytest.mark.parametrize("timeout,message", [(-1, "0 or more"), ("soon", "whole number")])
def test_a_bad_verify_timeout_is_refused_before_anything(timeout, message):
    with pytest.raises(RemediationInputError, match=message):
        requests_from("www.example.com", [], dict(DEFAULTS, verify_timeout=timeout))


def test_a_move_aws_refused_says_only_the_txt_record_was_created_and_removed():
    plan = plan_for("held_other_account", [holder(in_account=False)], cname_to(OLD))
    txt = {"name": "_www.example.com"}
    lines = summarise([plan], {"txt_create": _loop({"changed": True, "records": [dict(txt, action="create")]}),
                               "txt_cleanup": _loop({"changed": True, "records": [dict(txt, action="delete")]})},
                      failed=True, error="IllegalUpdate")
    assert lines[-1].startswith("Only the TXT record that AssociateAlias checks (_www.example.com) was created for "
                                "the move and removed again")


# -- distribution tenants as targets and holders ------------------------------------------------------

TENANT_TARGET = {"id": "dt_2x9GhoK0TZRsohWzv1b9It8J1AB", "resource_type": "distribution-tenant",
                 "domain_name": "d111111abcdef8.cloudfront.net", "status": "Deployed", "enabled": True,
                 "aliases": ["placeholder.example.com"]}


def tenant_plan(verdict, holders=(), dns=None, alias="www.example.com", **request):
    req = dict(DEFAULTS, alias=alias, target_distribution_tenant_id=TENANT_TARGET["id"])
    req.pop("target_distribution_id")
    req.update(request)
    [checked] = requests_from("", [req], {})
    return plan_remediation([checked], [step1(verdict, holders, dns, alias, target=TENANT_TARGET)])[0]


def test_an_item_naming_a_tenant_replaces_the_default_distribution_and_both_at_once_are_refused():
    [request] = requests_from("", [{"alias": "www.example.com", "target_distribution_tenant_id": "dt_abc"}], DEFAULTS)
    assert (request["target_id"], request["target_resource_type"]) == ("dt_abc", "distribution-tenant")
    assert "target_distribution_id" not in request
    with pytest.raises(RemediationInputError, match="not both"):
        requests_from("", [{"alias": "www.example.com", "target_distribution_id": "EX00000000001",
                            "target_distribution_tenant_id": "dt_abc"}], {})


def test_a_tenant_target_moves_with_update_domain_association_and_its_routing_endpoint():
    plan = tenant_plan("held_in_account", [holder()], cname_to(OLD))
    assert plan["action"] == "move" and "UpdateDomainAssociation" in plan["reason"]
    assert batches([plan], "move_alias") == [{"distribution_id": TENANT_TARGET["id"], "aliases": ["www.example.com"],
                                              "resource_type": "distribution-tenant",
                                              "move_with": "domain_association",
                                              "expected_holders": {"www.example.com": {
                                                  "distribution_id": "EOLD0000000001", "account_id": "111111111111",
                                                  "masked": False, "in_account": True, "enabled": True}}}]
    assert "create TXT _www.example.com = d111111abcdef8.cloudfront.net" in "\n".join(summarise([plan], {}, True))


def test_a_tenant_target_held_in_another_account_repoints_first_then_takes_over():
    plan = tenant_plan("held_other_account", [holder("*******OTHER01", in_account=False)], cname_to(OLD))
    assert plan["action"] == "dns_first" and plan.get("takeover") is True
    assert plan["steps"] == ["repoint_dns", "add_alias_after_dns", "verify"]
    assert "OnDomainTakeover=allow" in plan["reason"]
    [batch] = batches([plan], "add_alias_after_dns")
    assert (batch["state"], batch["move_with"], batch["release_from"]) == ("moved", "takeover", [])


def test_the_provider_names_known_without_the_registry_are_registered_ones():
    """KNOWN_PROVIDERS spares every inclusion the registry's import; a name in it must be registered (module_utils/_dns
    REGISTERED). A provider registered since is still accepted, through the registry (``is_provider``)."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import PROVIDERS
    from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils._remediation import (
        KNOWN_PROVIDERS,
        is_provider,
    )

    assert set(KNOWN_PROVIDERS) <= set(PROVIDERS)
    assert all(is_provider(name) for name in PROVIDERS) and not is_provider("godaddy")
