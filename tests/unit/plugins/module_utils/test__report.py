# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ownership map's data and the report's three renderings, on small hand-made estates."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import (
    Evidence,
    compare,
    find_problems,
    summary,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._ownership import ownership_map
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._report import (
    read_top_level,
    render_html,
    render_json,
    render_markdown,
    write_html,
    write_json,
)

A = "111111111111"


def dist(dist_id, domain, aliases, enabled=True):
    return {"id": dist_id, "domain_name": domain, "aliases": list(aliases), "enabled": enabled}


def cname(name, target, zone="example.com"):
    return {"provider": "route53", "zone": zone, "account": A, "name": name, "type": "CNAME", "values": [target]}


def estate():
    records = [cname("www.example.com", "d1.cloudfront.net"),        # healthy
               cname("shop.example.com", "d2.cloudfront.net"),       # drift: E1 holds it
               cname("gone.example.com", "dgone.cloudfront.net"),    # dangling: the target does not exist
               cname("blind.example.com", "dblind.cloudfront.net"),  # could not be checked
               {"provider": "route53", "zone": "example.com", "account": A, "name": "mail.example.com", "type": "A",
                "values": ["192.0.2.25"]}]                          # nothing to do with CloudFront
    inv = {"account_id": A, "label": "prod", "certificates": [],
           "distributions": [dist("E1", "d1.cloudfront.net", ["www.example.com", "shop.example.com", "api.example.com"]),
                             dist("E2", "d2.cloudfront.net", []),
                             dist("E3", "d3.cloudfront.net", ["old.example.org"], enabled=False)],
           "route53": [{"zone": "example.com", "record_sets": len(records), "records": records}]}
    evidence = Evidence(targets={"dgone.cloudfront.net": {"exists": False, "detail": "NXDOMAIN"},
                                 "dblind.cloudfront.net": {"exists": None, "detail": "REFUSED"}})
    findings = find_problems([inv], records, evidence=evidence)
    return inv, records, evidence, findings


def test_the_map_links_each_name_to_where_dns_sends_it_and_who_holds_it():
    inv, records, evidence, findings = estate()
    owned = ownership_map([inv], [], findings, evidence)
    zone = owned["zones"][0]
    rows = dict((r["name"], r) for r in zone["names"])
    assert sorted(rows) == ["api.example.com", "blind.example.com", "gone.example.com", "shop.example.com",
                            "www.example.com"]  # mail.example.com has nothing to do with CloudFront
    assert (rows["www.example.com"]["dns"], rows["www.example.com"]["holder"], rows["www.example.com"]["state"]) == (
        "E1", "E1", "ok")
    assert (rows["shop.example.com"]["dns"], rows["shop.example.com"]["holder"]) == ("E2", "E1")
    assert rows["shop.example.com"]["state"] == "dns_points_elsewhere"
    assert rows["gone.example.com"]["dns"] == "target:dgone.cloudfront.net"
    assert rows["gone.example.com"]["state"] == "dangling_cname"
    assert owned["nodes"]["target:dgone.cloudfront.net"]["exists"] is False
    assert rows["blind.example.com"]["state"] == "unverified"
    assert owned["nodes"]["target:dblind.cloudfront.net"]["exists"] is None
    assert (rows["api.example.com"]["dns"], rows["api.example.com"]["state"]) == (None, "alias_without_dns")
    assert (zone["healthy"], zone["problems"]) == (1, 4)
    # Every finding about a name of the zone is on its row, by id.
    on_rows = set(i for r in zone["names"] for i in r["findings"])
    assert on_rows == set(f["id"] for f in findings if f["name"] != "old.example.org")
    # A name held in a zone nobody audited is still drawn, without DNS.
    assert [(r["name"], r["holder"], r["state"]) for r in owned["unzoned"]] == [
        ("old.example.org", "E3", "disabled_holder")]
    assert owned["nodes"]["E3"] == {"kind": "distribution", "label": "E3", "account": A, "domain": "d3.cloudfront.net",
                                    "enabled": False}


def test_a_holder_only_aws_knows_is_an_outside_node():
    records = [cname("partner.example.com", "dpartner.cloudfront.net")]
    inv = {"account_id": A, "distributions": [], "certificates": [],
           "route53": [{"zone": "example.com", "record_sets": 1, "records": records}]}
    evidence = Evidence(targets={"dpartner.cloudfront.net": {"exists": True, "detail": "NOERROR"}},
                        conflicts={"partner.example.com": [{"Alias": "partner.example.com",
                                                            "DistributionId": "*******ABC1234",
                                                            "AccountId": "******222222"}]})
    findings = find_problems([inv], records, evidence=evidence)
    assert findings == []
    row = ownership_map([inv], [], findings, evidence)["zones"][0]["names"][0]
    assert row["holder"] == "outside:*******ABC1234/******222222" and row["state"] == "ok"


def _report(findings, owned=None, resolved=None, changes=None):
    counts = summary(findings)
    if changes:
        counts["changes"] = changes
    report = {"schema": "aliasguard.cloudfront/audit/1", "generated": "2026-11-27T00:00:00+00:00",
              "accounts": [{"account_id": A, "label": "prod", "distributions": 3, "aliases": 4, "zones": 1,
                            "records": 5, "findings": len(findings)}],
              "dns_sources": [], "findings": findings, "summary": counts,
              "requests": {"total": 4}, "requests_lower_bound": {"total": 4}}
    if owned is not None:
        report["ownership"] = owned
    if resolved is not None:
        report["resolved"] = resolved
    return report


def test_markdown_says_what_could_not_be_checked_what_changed_and_who_owns_what():
    inv, records, evidence, findings = estate()
    previous = {"schema": "aliasguard.cloudfront/audit/1", "generated": "2026-11-26T00:00:00+00:00",
                "findings": [f for f in findings if f["name"] != "gone.example.com"] + [
                    {"kind": "leftover_txt", "severity": "low", "name": "_x.example.com", "detail": "d", "fix": "f"}]}
    marked, resolved, changes = compare(findings, previous, "2026-11-27T00:00:00+00:00")
    markdown = render_markdown(_report(marked, ownership_map([inv], [], marked, evidence), resolved, changes))
    assert "**1 names could not be checked**" in markdown
    assert "no authoritative DNS answer" in markdown
    assert "Compared with the report of 2026-11-26T00:00:00+00:00: 1 new, 1 resolved" in markdown
    assert "| status | severity | kind | name | detail | fix |" in markdown
    assert "| new | critical | dangling_cname | gone.example.com |" in markdown
    assert "## Resolved since 2026-11-26T00:00:00+00:00" in markdown
    assert "| resolved | low | leftover_txt | _x.example.com |" in markdown
    assert "| example.com | route53 | %s | 5 | 1 | 4 |" % A in markdown


def test_html_carries_everything_inline_and_loads_nothing():
    inv, records, evidence, findings = estate()
    html = render_html(_report(findings, ownership_map([inv], [], findings, evidence)))
    data = json.loads(re.search(r'<script id="report-data" type="application/json">(.*?)</script>', html, re.S)
                      .group(1).replace("<\\/", "</"))
    assert data["ownership"]["zones"][0]["zone"] == "example.com"
    assert data["summary"]["unverified"]["names"] == 1
    # Nothing that a browser would fetch: no http(s) anywhere, no src, no external stylesheet or import.
    assert not re.search(r"https?://", html)
    assert not re.search(r"\bsrc\s*=|<link\b|@import|url\((?!#)", html)


def test_the_streamed_json_and_html_are_the_rendered_ones_to_the_byte():
    """The report module writes audit.json and audit.html piece by piece (a large fleet's report is tens of MB of
    text); what it writes must be exactly what render_json and render_html return, '</' in a value escaped too."""
    import io

    inv, records, evidence, findings = estate()
    findings[0]["detail"] += " </script><script>alert(1)</script> \u00e9"
    report = _report(findings, ownership_map([inv], [], findings, evidence))
    for write, render in ((write_json, render_json), (write_html, render_html)):
        out = io.StringIO()
        write(report, out)
        assert out.getvalue() == render(report)
    assert "<\\/script><script>alert(1)<\\/script>" in render_html(report)


def test_top_level_keys_are_read_line_by_line_as_they_were_written():
    """What the report module reads of a previous report (schema, generated, findings) and of the one on disk for a
    diff (generated, summary), without loading the ownership map: the same values as loading it whole."""
    import io

    inv, records, evidence, findings = estate()
    report = _report(findings, ownership_map([inv], [], findings, evidence))
    report["resolved"] = []
    keys = ("schema", "generated", "findings", "summary", "resolved", "nowhere")
    read = read_top_level(io.StringIO(render_json(report)), keys)
    assert read == dict((k, report[k]) for k in keys if k in report)
    assert read["findings"] and "nowhere" not in read
    # Written otherwise (one line): nothing is found, and the caller reads the file whole.
    assert read_top_level(io.StringIO(json.dumps(report)), keys) == {}
