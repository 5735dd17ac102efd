# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filters the cname_remediation role decides with, as the role calls them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.aliasguard.cloudfront.plugins.filter.remediation import FilterModule

FILTERS = FilterModule().filters()
HERE = os.path.dirname(os.path.abspath(__file__))
FILTER_DIR = os.path.join(HERE, "..", "..", "..", "..", "plugins", "filter")

TARGET = {"id": "ETARGET0000001", "domain_name": "dnew.cloudfront.net"}
ROLE_DEFAULTS = {"target_distribution_id": TARGET["id"], "dns_provider": "route53", "dns_zone": "example.com",
                 "strategy": "auto", "cloudflare_dns_only": False}


def found(verdict, alias="www.example.com", holders=(), dns=None):
    return {"changed": False, "target": TARGET, "aliases": [{"alias": alias, "verdict": verdict, "holders": list(holders),
                                                             "dns": dns, "txt_record_name": "_" + alias}]}


def test_the_role_finds_every_filter_it_uses():
    assert sorted(FILTERS) == ["remediation_batches", "remediation_dns_options", "remediation_plan",
                               "remediation_report", "remediation_requests"]


@pytest.mark.parametrize("name", ["remediation_batches", "remediation_dns_options", "remediation_plan",
                                  "remediation_report", "remediation_requests"])
def test_every_filter_has_documentation_under_its_own_name(name):
    with open(os.path.join(FILTER_DIR, name + ".yml")) as handle:
        docs = yaml.safe_load(handle)
    assert docs["DOCUMENTATION"]["name"] == name
    assert docs["DOCUMENTATION"]["short_description"]
    assert name in docs["EXAMPLES"]


def test_requests_from_the_one_alias_variables():
    requests = FILTERS["remediation_requests"]("www.example.com", [], ROLE_DEFAULTS)
    # Every request names its target once more, whatever kind it is (a distribution here).
    assert requests == [dict(ROLE_DEFAULTS, alias="www.example.com", target_id=ROLE_DEFAULTS["target_distribution_id"],
                             target_resource_type="distribution")]


def test_requests_without_many_or_defaults():
    assert FILTERS["remediation_requests"]("www.example.com", None, {"target_distribution_id": "E1"}) == [
        {"alias": "www.example.com", "target_distribution_id": "E1", "cloudflare_dns_only": False,
         "target_id": "E1", "target_resource_type": "distribution"}]


def test_requests_for_a_tenant_target():
    [request] = FILTERS["remediation_requests"]("www.example.com", None, {"target_distribution_tenant_id": "dt_2x9GhoK0TZRso"})
    assert (request["target_id"], request["target_resource_type"]) == ("dt_2x9GhoK0TZRso", "distribution-tenant")


@pytest.mark.parametrize("single, many, defaults, message", [
    ("www.example.com", [], dict(ROLE_DEFAULTS, strategy="sideways"), "sideways"),
    ("", [], ROLE_DEFAULTS, "nothing to do"),
    ("www.example.com", [], {}, "target_distribution_id is missing"),
    ("", [{"alias": "a.example.com", "dns": "route53"}], ROLE_DEFAULTS, "unknown key(s) dns"),
])
def test_bad_requests_become_filter_errors_the_play_shows(single, many, defaults, message):
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS["remediation_requests"](single, many, defaults)
    assert message in str(caught.value)


def test_plan_then_batches_then_report():
    requests = FILTERS["remediation_requests"]("", ["www.example.com"], ROLE_DEFAULTS)
    plans = FILTERS["remediation_plan"](requests, [found("free")])
    assert [(p["alias"], p["action"]) for p in plans] == [("www.example.com", "add")]
    # DNS is repointed at the alias right after: the add waits for Deployed first.
    assert FILTERS["remediation_batches"](plans, "add_alias") == [
        {"distribution_id": TARGET["id"], "aliases": ["www.example.com"], "resource_type": "distribution",
         "wait": True}]
    assert FILTERS["remediation_batches"](plans, "move_alias") == []
    assert FILTERS["remediation_batches"](None, "verify") == []
    report = FILTERS["remediation_report"](plans, {"add_alias": {"results": [
        {"changed": True, "added": ["www.example.com"], "removed": []}]}})
    assert "  changed: add_alias" in report


def test_plan_errors_become_filter_errors():
    with pytest.raises(AnsibleFilterError, match="step 1 found nothing about www.example.com"):
        FILTERS["remediation_plan"]([dict(ROLE_DEFAULTS, alias="www.example.com")], None)


def test_an_unknown_step_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="unknown step"):
        FILTERS["remediation_batches"]([], "txt")


def test_report_in_check_mode_and_after_a_failure():
    plans = FILTERS["remediation_plan"]([dict(ROLE_DEFAULTS, alias="www.example.com")], [found("free")])
    check = FILTERS["remediation_report"](plans, None, True)
    assert "    1. add www.example.com to ETARGET0000001 (UpdateDistribution)" in check
    stopped = FILTERS["remediation_report"](plans, {}, False, True, "the certificate does not cover it")
    assert "STOPPED: the certificate does not cover it" in stopped
    assert stopped[-1].startswith("Nothing was changed")
    assert FILTERS["remediation_report"](None, None, False, True)[0] == "STOPPED: a step failed"


def test_the_rescue_removes_only_the_txt_records_the_txt_step_created():
    holder = {"alias": "www.example.com", "distribution_id": "EOLD0000000001", "in_account": True, "overlap": "exact",
              "domain_name": "dold.cloudfront.net"}
    plans = FILTERS["remediation_plan"]([dict(ROLE_DEFAULTS, alias="www.example.com")],
                                        [found("held_in_account", holders=[holder])])
    created = {"results": [{"changed": True, "item": {"provider": "route53"}, "records": [
        {"name": "_www.example.com", "zone": "example.com", "provider": "route53", "action": "create",
         "applied": True}]}]}
    # As the rescue calls it: the registered txt_create loop as the second argument.
    assert FILTERS["remediation_batches"](plans, "txt_remove", created) == [{"provider": "route53", "records": [
        {"name": "www.example.com", "target": TARGET["domain_name"], "zone": "example.com", "challenge": True,
         "state": "absent", "expected_current": [TARGET["domain_name"]]}]}]
    assert FILTERS["remediation_batches"](plans, "txt_remove", {}) == []
    with pytest.raises(AnsibleFilterError, match="created_by"):
        FILTERS["remediation_batches"](plans, "move_alias", created)


OMITTED = "__omit_place_holder__0123abcd"  # what ansible-core 2.16 passes for a value left out with omit


def test_dns_options_from_the_older_variables_give_each_provider_only_its_own():
    options = FILTERS["remediation_dns_options"]({}, "cf-token", "https://cf.example/client/v4", {
        "server": "ns1.example.net", "port": 53, "key_name": OMITTED, "key_algorithm": "hmac-sha256"})
    assert options == {"route53": {},
                       "cloudflare": {"api_token": "cf-token", "base_url": "https://cf.example/client/v4"},
                       "rfc2136": {"server": "ns1.example.net", "port": 53, "key_algorithm": "hmac-sha256"},
                       "google": {}}


def test_the_dns_mapping_wins_for_its_provider_and_leaves_the_others_alone():
    options = FILTERS["remediation_dns_options"]({"provider": "cloudflare", "api_token": "new-token"}, "old-token",
                                                 "https://api.cloudflare.com/client/v4", {"server": OMITTED})
    assert options == {"route53": {}, "rfc2136": {}, "google": {},
                       "cloudflare": {"api_token": "new-token", "base_url": "https://api.cloudflare.com/client/v4"}}


@pytest.mark.parametrize("dns, words", [
    ({"api_token": "t"}, "needs provider: route53 | cloudflare | rfc2136"),
    ({"provider": "bind", "server": "ns1"}, "unknown provider 'bind'"),
])
def test_a_dns_mapping_that_does_not_say_whose_options_it_holds_is_refused(dns, words):
    with pytest.raises(AnsibleFilterError, match=words.replace("|", "\\|")):
        FILTERS["remediation_dns_options"](dns)


def test_every_registered_provider_gets_its_mapping(monkeypatch):
    """A provider added by the recipe (its file, fragment and registry line) reaches the role with no role change."""
    from ansible_collections.aliasguard.cloudfront.plugins.filter import remediation
    from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils import _remediation

    def registry():
        return ("route53", "cloudflare", "rfc2136", "google", "newdns")

    monkeypatch.setattr(_remediation, "registered_providers", registry)
    monkeypatch.setattr(remediation, "registered_providers", registry)
    options = FILTERS["remediation_dns_options"]({"provider": "newdns", "api_key": "k", "zone_view": OMITTED})
    assert options["newdns"] == {"api_key": "k"}
    assert options["route53"] == {} and options["rfc2136"] == {}
