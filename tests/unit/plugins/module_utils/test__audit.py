# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's analysis on small, hand-made inventories: one finding kind at a time."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import (
    Evidence,
    compare,
    conflict_checks,
    find_problems,
    finding_id,
    findings_to_page,
    summary,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._report import (
    render_html,
    render_json,
    render_markdown,
)

A = "111111111111"
B = "222222222222"


def dist(dist_id, domain, aliases, enabled=True, cert=None):
    return {"id": dist_id, "domain_name": domain, "aliases": list(aliases), "enabled": enabled,
            "certificate_arn": cert}


def inventory(account, distributions, records=(), zone="example.com", certificates=()):
    return {"account_id": account, "label": account, "distributions": list(distributions),
            "certificates": list(certificates),
            "route53": [{"zone": zone, "record_sets": len(records), "records": list(records)}] if zone else []}


def cname(name, target, zone="example.com", provider="route53", account=A, proxied=False):
    return {"provider": provider, "zone": zone, "account": account, "name": name, "type": "CNAME",
            "values": [target], "proxied": proxied}


def kinds(findings):
    return sorted((f["kind"], f["name"]) for f in findings)


def test_consistent_estate_has_no_finding():
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"])],
                    [cname("www.example.com", "d1.cloudfront.net")])
    assert find_problems([inv], inv["route53"][0]["records"]) == []


def test_cname_to_a_distribution_that_does_not_exist_is_dangling_and_critical():
    records = [cname("old.example.com", "dgone.cloudfront.net")]
    inv = inventory(A, [], records)
    findings = find_problems([inv], records, cloudfront_exists={"dgone.cloudfront.net": False})
    assert kinds(findings) == [("dangling_cname", "old.example.com")]
    assert findings[0]["severity"] == "critical"
    assert "state=absent" in findings[0]["fix"] and "expected_current=dgone.cloudfront.net" in findings[0]["fix"]


def test_cname_to_a_distribution_that_does_not_hold_the_name_is_dangling_once_aws_says_nobody_does():
    records = [cname("old.example.com", "d1.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"])], records)
    # Another account may hold it (CloudFront serves a name by its holder, whatever distribution DNS led to).
    assert ("unverified", "old.example.com") in kinds(find_problems([inv], records))
    nobody = find_problems([inv], records, conflicts={"old.example.com": []})
    assert ("dangling_cname", "old.example.com") in kinds(nobody)
    assert "E1 (account %s) exists but does not hold it" % A in next(
        f["detail"] for f in nobody if f["kind"] == "dangling_cname")


def test_cname_to_an_audited_distribution_while_another_account_holds_the_name_is_the_409_waiting():
    records = [cname("old.example.com", "d1.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"])], records)
    findings = find_problems([inv], records, conflicts={
        "old.example.com": [{"Alias": "*.example.com", "DistributionId": "*******XYZ1234", "AccountId": "******222222"}]})
    assert ("dns_points_elsewhere", "old.example.com") in kinds(findings)
    assert "*******XYZ1234" in next(f["detail"] for f in findings if f["kind"] == "dns_points_elsewhere")


def test_cname_outside_the_fleet_held_by_nobody_is_dangling_once_listconflictingaliases_says_so():
    records = [cname("old.example.com", "dother.cloudfront.net")]
    inv = inventory(A, [], records)
    unknown = find_problems([inv], records)
    assert [(f["kind"], f["severity"]) for f in unknown] == [("unverified", "medium")]
    nobody = find_problems([inv], records, conflicts={"old.example.com": []})
    assert [(f["kind"], f["severity"]) for f in nobody] == [("dangling_cname", "critical")]
    assert "ListConflictingAliases, which does not see distribution tenants, found none" in nobody[0]["detail"]
    held = find_problems([inv], records, conflicts={
        "old.example.com": [{"Alias": "old.example.com", "DistributionId": "*****XYZ", "AccountId": "******2222"}]})
    assert held == []
    # A holder of a name that merely overlaps (under a wildcard asked about) does not serve this name.
    other = find_problems([inv], records, conflicts={
        "old.example.com": [{"Alias": "new.example.com", "DistributionId": "*****XYZ", "AccountId": "******2222"}]})
    assert kinds(other) == [("dangling_cname", "old.example.com")]


def test_a_resolver_that_cannot_see_cloudfront_makes_names_unverified_not_dangling():
    """The locked-down runner: no authoritative answer, and no audited certificate to ask AWS with."""
    records = [cname("old.example.com", "dother.cloudfront.net")]
    inv = inventory(A, [], records)
    evidence = Evidence(targets={"dother.cloudfront.net": {"exists": None, "detail": "127.0.0.1:53 refused it"}})
    findings = find_problems([inv], records, evidence=evidence)
    assert kinds(findings) == [("unverified", "old.example.com")]
    assert findings[0]["reasons"] == ["dns_unavailable", "no_certificate"]
    assert "127.0.0.1:53 refused it" in findings[0]["detail"] and findings[0]["target"] == "dother.cloudfront.net"
    counted = summary(findings)["unverified"]
    assert counted["names"] == 1
    assert counted["by_reason"]["dns_unavailable"] == 1 and counted["by_reason"]["no_certificate"] == 1


def test_aws_answering_nobody_holds_it_proves_dangling_without_dns():
    certs = [{"arn": "arn:cert", "names": ["*.example.com"]}]
    records = [cname("old.example.com", "dother.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", [], cert="arn:cert")], records, certificates=certs)
    evidence = Evidence(targets={"dother.cloudfront.net": {"exists": None, "detail": "no answer"}},
                        conflicts={"old.example.com": []}, apis={"old.example.com": "ListDomainConflicts"})
    findings = find_problems([inv], records, evidence=evidence)
    assert [(f["kind"], f["severity"]) for f in findings] == [("dangling_cname", "critical")]
    assert "ListDomainConflicts found none" in findings[0]["detail"]


def test_aws_refusing_or_nobody_asking_is_said():
    certs = [{"arn": "arn:cert", "names": ["*.example.com"]}]
    records = [cname("old.example.com", "dother.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", [], cert="arn:cert")], records, certificates=certs)
    targets = {"dother.cloudfront.net": {"exists": True, "detail": "NOERROR"}}
    refused = find_problems([inv], records, evidence=Evidence(
        targets=targets, conflict_errors={"old.example.com": "AccessDenied: no"}))
    assert refused[0]["kind"] == "unverified" and refused[0]["reasons"] == ["aws_error"]
    assert "AccessDenied: no" in refused[0]["detail"]
    not_asked = find_problems([inv], records, evidence=Evidence(targets=targets))
    assert not_asked[0]["reasons"] == ["not_asked"]
    assert "list-conflicting-aliases --distribution-id E1 --alias old.example.com" in not_asked[0]["fix"]


def test_dns_to_one_distribution_while_another_holds_the_name_is_the_409_waiting():
    records = [cname("www.example.com", "d2.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"]),
                        dist("E2", "d2.cloudfront.net", [])], records)
    findings = find_problems([inv], records)
    assert kinds(findings) == [("dns_points_elsewhere", "www.example.com")]
    assert findings[0]["fix"] == ("ansible-playbook aliasguard.cloudfront.remediate -e alias=www.example.com "
                                  "-e target_distribution_id=E1 -e dns_provider=route53 -e dns_zone=example.com")


def test_alias_in_an_audited_zone_without_a_record():
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com", "shop.example.org"])], [])
    # example.org was not audited: nothing can be said about it.
    assert kinds(find_problems([inv], [])) == []
    records = [cname("other.example.com", "elsewhere.example.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com", "shop.example.org"])], records)
    assert kinds(find_problems([inv], records)) == [("alias_without_dns", "www.example.com")]


def test_wildcard_record_counts_as_dns_for_names_below_it():
    records = [cname("*.example.com", "d1.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["*.example.com", "www.example.com"])], records)
    assert kinds(find_problems([inv], records)) == []


def test_proxied_cloudflare_record_in_front_of_cloudfront():
    records = [cname("www.example.com", "d1.cloudfront.net", provider="cloudflare", account=None, proxied=True)]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"])], zone=None)
    findings = find_problems([inv], records)
    assert kinds(findings) == [("proxied_in_front", "www.example.com")]
    assert "proxied=false" in findings[0]["fix"]


def test_overlapping_wildcard_and_specific_holders():
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["*.example.com"]),
                        dist("E2", "d2.cloudfront.net", ["www.example.com"])], zone=None)
    assert kinds(find_problems([inv], [])) == [("overlapping_holders", "www.example.com")]


def test_disabled_distribution_still_holding_names():
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["a.example.com", "b.example.com"], enabled=False)],
                    zone=None)
    findings = find_problems([inv], [])
    assert kinds(findings) == [("disabled_holder", "a.example.com")]
    assert findings[0]["names"] == ["a.example.com", "b.example.com"]


def test_leftover_txt_record_from_a_move():
    records = [{"provider": "route53", "zone": "example.com", "account": A, "name": "_www.example.com",
                "type": "TXT", "values": ["d1.cloudfront.net"]},
               cname("www.example.com", "d1.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"])], records)
    findings = find_problems([inv], records)
    assert kinds(findings) == [("leftover_txt", "_www.example.com")]
    assert "name=www.example.com" in findings[0]["fix"] and "challenge=true" in findings[0]["fix"]


def test_findings_are_sorted_by_severity():
    records = [cname("gone.example.com", "dgone.cloudfront.net"), cname("www.example.com", "d2.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"]), dist("E2", "d2.cloudfront.net", [])],
                    records)
    findings = find_problems([inv], records, cloudfront_exists={"dgone.cloudfront.net": False})
    assert [f["severity"] for f in findings] == ["critical", "high"]
    counts = summary(findings)
    assert counts["findings"] == 2 and counts["by_kind"]["dangling_cname"] == 1


def test_only_the_first_account_with_a_covering_certificate_asks():
    certs = [{"arn": "arn:cert", "names": ["*.example.com"]}]
    records = [cname("old.example.com", "dother.cloudfront.net")]
    first = inventory(A, [dist("E1", "d1.cloudfront.net", [], cert="arn:cert")], records, certificates=certs)
    second = inventory(B, [dist("E9", "d9.cloudfront.net", [], cert="arn:cert")], zone=None, certificates=certs)
    assert conflict_checks([first, second], [], A) == [
        {"alias": "old.example.com", "distribution_id": "E1", "target": "dother.cloudfront.net"}]
    assert conflict_checks([first, second], [], B) == []


def test_a_name_pointing_at_an_audited_distribution_that_does_not_hold_it_is_asked_without_a_dns_target():
    certs = [{"arn": "arn:cert", "names": ["*.example.com"]}]
    records = [cname("orphan.example.com", "d1.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"], cert="arn:cert")], records,
                    certificates=certs)
    assert conflict_checks([inv], [], A) == [{"alias": "orphan.example.com", "distribution_id": "E1"}]


def test_no_question_for_names_the_fleet_explains():
    certs = [{"arn": "arn:cert", "names": ["*.example.com"]}]
    records = [cname("www.example.com", "d1.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"], cert="arn:cert")], records,
                    certificates=certs)
    assert conflict_checks([inv], [], A) == []


def _report(findings):
    return {"schema": "aliasguard.cloudfront/audit/1", "generated": "2026-11-27T00:00:00+00:00",
            "accounts": [{"account_id": A, "label": "prod", "distributions": 1, "aliases": 1, "zones": 1,
                          "records": 1, "findings": len(findings)}],
            "dns_sources": [], "findings": findings, "summary": summary(findings),
            "requests": {"total": 4}, "requests_lower_bound": {"total": 4}}


def test_report_renders_in_three_formats_and_escapes_script_endings():
    findings = [{"kind": "dangling_cname", "severity": "critical", "name": "x.example.com",
                 "detail": "</script><b>not markup</b>", "fix": "a | b"}]
    report = _report(findings)
    assert json.loads(render_json(report)) == report
    markdown = render_markdown(report)
    assert "a \\| b" in markdown and "| critical | dangling_cname | x.example.com |" in markdown
    html = render_html(report)
    assert "</script><b>" not in html
    assert html.count("</script>") == 2  # the data element and the code element, nothing else


# -- stable ids, comparison with a previous report, paging -------------------------------------------


def _estate():
    records = [cname("gone.example.com", "dgone.cloudfront.net"), cname("www.example.com", "d2.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"]), dist("E2", "d2.cloudfront.net", [])],
                    records)
    return inv, records


def test_finding_ids_are_stable_and_ignore_the_wording():
    inv, records = _estate()
    first = find_problems([inv], records, cloudfront_exists={"dgone.cloudfront.net": False})
    again = find_problems([inv], records, cloudfront_exists={"dgone.cloudfront.net": False})
    assert [f["id"] for f in first] == [f["id"] for f in again]
    assert len(set(f["id"] for f in first)) == len(first)
    reworded = dict(first[0], detail="something else", fix="another fix", severity="low")
    del reworded["id"]
    assert finding_id(reworded) == first[0]["id"]
    moved = dict(first[0], dns=dict(first[0]["dns"], values=["dnew.cloudfront.net"]))
    assert finding_id(moved) != first[0]["id"]


def test_comparison_marks_new_unchanged_and_resolved():
    inv, records = _estate()
    before = find_problems([inv], records, cloudfront_exists={"dgone.cloudfront.net": False})
    previous = {"schema": "aliasguard.cloudfront/audit/1", "generated": "2026-11-26T00:00:00+00:00",
                "findings": [dict((k, v) for k, v in f.items() if k != "id") for f in before]}  # ids recomputed
    # www.example.com was repointed; a new dangling record appeared.
    records = [cname("gone.example.com", "dgone.cloudfront.net"), cname("www.example.com", "d1.cloudfront.net"),
               cname("old.example.com", "dold.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"]), dist("E2", "d2.cloudfront.net", [])],
                    records)
    missing = {"dgone.cloudfront.net": False, "dold.cloudfront.net": False}
    now = find_problems([inv], records, cloudfront_exists=missing)
    marked, resolved, changes = compare(now, previous, "2026-11-27T00:00:00+00:00")
    status = dict((f["name"], f["status"]) for f in marked)
    assert status == {"gone.example.com": "unchanged", "old.example.com": "new"}
    assert [(f["name"], f["kind"], f["status"]) for f in resolved] == [
        ("www.example.com", "dns_points_elsewhere", "resolved")]
    assert changes == {"previous_generated": "2026-11-26T00:00:00+00:00", "new": 1, "unchanged": 1, "resolved": 1}
    first_seen = dict((f["name"], f["first_seen"]) for f in marked)
    assert first_seen == {"gone.example.com": "2026-11-26T00:00:00+00:00", "old.example.com": "2026-11-27T00:00:00+00:00"}
    assert [f["name"] for f in findings_to_page(marked, "new_critical")] == ["old.example.com"]


def test_a_finding_that_could_not_be_checked_this_time_is_not_resolved():
    records = [cname("gone.example.com", "dgone.cloudfront.net")]
    inv = inventory(A, [], records)
    before = find_problems([inv], records, cloudfront_exists={"dgone.cloudfront.net": False})
    previous = {"schema": "aliasguard.cloudfront/audit/1", "generated": "2026-11-26T00:00:00+00:00", "findings": before}
    blind = find_problems([inv], records, evidence=Evidence(
        targets={"dgone.cloudfront.net": {"exists": None, "detail": "REFUSED"}}))
    marked, resolved, changes = compare(blind, previous, "2026-11-27T00:00:00+00:00")
    assert resolved == []
    assert marked[0]["kind"] == "unverified" and marked[0]["status"] == "new"
    assert marked[0]["previously"] == [{"id": before[0]["id"], "kind": "dangling_cname", "severity": "critical"}]


def test_fail_on_selects_the_findings_that_page():
    findings = [{"severity": "critical", "status": "unchanged"}, {"severity": "high", "status": "new"},
                {"severity": "critical", "status": "new"}, {"severity": "low"}]
    assert len(findings_to_page(findings, "critical")) == 2
    assert len(findings_to_page(findings, "high")) == 3
    assert findings_to_page(findings, "new_critical") == [{"severity": "critical", "status": "new"}]
    assert findings_to_page(findings, "never") == []
    # Without a previous report there is no status: every critical finding is new.
    assert len(findings_to_page([{"severity": "critical"}], "new_critical")) == 1
    with pytest.raises(ValueError, match="critical, high, new_critical, never"):
        findings_to_page(findings, "sometimes")


# -- distribution tenants and connection groups --------------------------------------------------------

def tenant(tenant_id, group_id, endpoint, domains, inactive=()):
    return {"id": tenant_id, "resource_type": "distribution-tenant", "name": tenant_id, "distribution_id": "EMULTI",
            "connection_group_id": group_id, "routing_endpoint": endpoint, "domain_name": endpoint, "enabled": True,
            "domains": list(domains),
            "domain_status": dict((d, "inactive" if d in inactive else "active") for d in domains)}


def group(group_id, endpoint):
    return {"id": group_id, "resource_type": "connection-group", "name": group_id, "routing_endpoint": endpoint,
            "domain_name": endpoint, "enabled": True}


def tenant_inventory(records):
    inv = inventory(A, [dist("EMULTI", "dmulti.cloudfront.net", [])], records)
    inv["tenants"] = [tenant("dt_one", "cg_one", "done.cloudfront.net", ["a.example.com", "b.example.com"]),
                      tenant("dt_two", "cg_two", "dtwo.cloudfront.net", ["c.example.com"], inactive=["c.example.com"])]
    inv["connection_groups"] = [group("cg_one", "done.cloudfront.net"), group("cg_two", "dtwo.cloudfront.net")]
    return inv


def test_a_tenant_domain_through_its_routing_endpoint_is_healthy_never_dangling():
    records = [cname("a.example.com", "done.cloudfront.net")]
    inv = tenant_inventory(records)
    # b and c have no record: a tenant's domain without DNS, like a distribution's alias; c is inactive too. Even
    # evidence that calls the endpoint missing cannot make a name a tenant serves dangling.
    found = find_problems([inv], records, cloudfront_exists={"done.cloudfront.net": False})
    assert kinds(found) == [("alias_without_dns", "b.example.com"), ("alias_without_dns", "c.example.com"),
                            ("tenant_domain_inactive", "c.example.com")]


def test_a_tenant_domain_whose_dns_leads_to_another_group_and_an_inactive_one_are_findings():
    records = [cname("a.example.com", "dtwo.cloudfront.net"), cname("b.example.com", "done.cloudfront.net"),
               cname("c.example.com", "dtwo.cloudfront.net")]
    found = find_problems([tenant_inventory(records)], records)
    assert kinds(found) == [("tenant_dns_other_group", "a.example.com"), ("tenant_domain_inactive", "c.example.com")]
    other = next(f for f in found if f["kind"] == "tenant_dns_other_group")
    assert other["severity"] == "medium" and other["distribution_id"] == "dt_one"
    assert "target=done.cloudfront.net" in other["fix"]


def test_dns_to_a_routing_endpoint_for_a_name_a_distribution_holds_points_elsewhere():
    records = [cname("www.example.com", "done.cloudfront.net")]
    inv = tenant_inventory(records)
    inv["distributions"].append(dist("E1", "d1.cloudfront.net", ["www.example.com"]))
    found = [f for f in find_problems([inv], records) if f["name"] == "www.example.com"]
    assert kinds(found) == [("dns_points_elsewhere", "www.example.com")]
