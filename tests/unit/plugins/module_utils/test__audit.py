# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's analysis on small, hand-made inventories: one finding kind at a time."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import (
    conflict_checks,
    find_problems,
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


def test_cname_to_a_distribution_that_does_not_hold_the_name_is_dangling():
    records = [cname("old.example.com", "d1.cloudfront.net")]
    inv = inventory(A, [dist("E1", "d1.cloudfront.net", ["www.example.com"])], records)
    assert ("dangling_cname", "old.example.com") in kinds(find_problems([inv], records))


def test_cname_outside_the_fleet_held_by_nobody_is_dangling_once_listconflictingaliases_says_so():
    records = [cname("old.example.com", "dother.cloudfront.net")]
    inv = inventory(A, [], records)
    unknown = find_problems([inv], records)
    assert [f["severity"] for f in unknown] == ["medium"]
    nobody = find_problems([inv], records, conflicts={"old.example.com": []})
    assert [(f["kind"], f["severity"]) for f in nobody] == [("dangling_cname", "critical")]
    held = find_problems([inv], records, conflicts={
        "old.example.com": [{"Alias": "old.example.com", "DistributionId": "*****XYZ", "AccountId": "******2222"}]})
    assert held == []


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
