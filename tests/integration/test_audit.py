"""The fleet audit: real ansible-playbook against the sandbox's fleet scenario.

The report must find every planted problem, cost close to the fewest requests the
inventory needs, never change anything (the request log shows no mutating
request, in or out of --check), say what it could not check when DNS for
``*.cloudfront.net`` is broken, and say what changed since a previous report.
"""

import json
import os
import stat

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import run_playbook

ACCOUNT_1, ACCOUNT_2 = "111111111111", "222222222222"


def _inventory(sandbox, path, accounts=(ACCOUNT_1, ACCOUNT_2)):
    lines = ["all:", "  children:", "    aws_accounts:", "      hosts:"]
    for index, account in enumerate(accounts):
        creds = sandbox.endpoints["aws"]["accounts"][account]
        lines += ["        account%d:" % (index + 1), "          aws:",
                  "            access_key: %s" % creds["access_key_id"],
                  "            secret_key: %s" % creds["secret_access_key"],
                  "            endpoint_url: %s" % sandbox.endpoints["aws"]["endpoint_url"]]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _plant_rfc2136(sandbox, dangling_target):
    """A dangling CNAME and a leftover TXT record in the RFC 2136 zone."""
    zone = sandbox.endpoints["rfc2136"]["zone"]
    update = sandbox.clients.rfc2136_update()
    update.add("legacy", 300, "CNAME", dangling_target + ".")
    update.add("_old", 300, "TXT", '"%s"' % dangling_target)
    sandbox.clients.rfc2136_send(update)
    return "legacy." + zone, "_old." + zone


def _bind_refuses_cloudfront(sandbox):
    """The broken DNS of these tests: BIND, authoritative only for its own zone, REFUSES *.cloudfront.net names.

    Given as verify_nameservers, it is a resolver that cannot answer for CloudFront - what a locked-down runner
    has - and, unlike leaving verify_nameservers out, it does not depend on whether this machine reaches the
    internet. Checked here, so that the setup is what the tests say it is.
    """
    rfc = sandbox.endpoints["rfc2136"]
    query = dns.message.make_query("d111111abcdef8.cloudfront.net.", "A")
    response = dns.query.udp(query, rfc["host"], port=rfc["port"], timeout=3)
    assert dns.rcode.to_text(response.rcode()) == "REFUSED"
    return "%s:%d" % (rfc["host"], rfc["port"])


def _run_audit(sandbox, tmp_path, inventory, check, extra=None, name=None, succeeds=True):
    report_dir = tmp_path / (name or ("report-check" if check else "report"))
    rfc = sandbox.endpoints["rfc2136"]
    extra_vars = {
        "report_dir": str(report_dir),
        "cloudflare_zones": ["fleet-d.example"],
        "rfc2136_zones": [rfc["zone"]],
        "rfc2136_server": rfc["host"], "rfc2136_port": rfc["port"],
        "rfc2136_key_name": rfc["tsig"]["name"], "rfc2136_key_secret": rfc["tsig"]["secret"],
        "verify_nameservers": [sandbox.dns_server],
    }
    extra_vars.update(extra or {})
    env = {"CLOUDFLARE_API_TOKEN": sandbox.endpoints["cloudflare"]["api_token"],
           "CLOUDFLARE_BASE_URL": sandbox.endpoints["cloudflare"]["base_url"]}
    mark = sandbox.log_mark()
    run = run_playbook("aliasguard.cloudfront.audit", extra_vars, env=env, check=check, args=["-i", inventory])
    assert (run.returncode == 0) == succeeds, run.stdout[-4000:] + run.stderr[-4000:]
    with open(report_dir / "audit.json", encoding="utf-8") as fh:
        report = json.load(fh)
    return run, report, sandbox.requests_since(mark), report_dir


@pytest.fixture(scope="module")
def fleet(sandbox, tmp_path_factory):
    # Three distribution tenants in two connection groups on top: their names are served through routing
    # endpoints (never dangling), and their planted problems have finding kinds of their own.
    built = sandbox.scenario("fleet", distributions=60, aliases_per_distribution=3, tenants=3)
    for kind, names in built["tenants"]["planted"].items():
        built["planted"].setdefault(kind, []).extend(names)
    built["scenario_dangling"] = list(built["planted"]["dangling_cname"])
    legacy, txt = _plant_rfc2136(sandbox, "d0123456789abc.cloudfront.net")
    built["legacy"] = legacy
    built["planted"]["dangling_cname"].append(legacy)
    built["planted"]["leftover_txt"].append(txt)
    tmp = tmp_path_factory.mktemp("audit")
    inventory = _inventory(sandbox, tmp / "accounts.yml")
    results = {}
    for check in (True, False):
        # The check run keeps the inventory files (keep_inventory), the other removes them (the default).
        results[check] = _run_audit(sandbox, tmp, inventory, check, extra={"keep_inventory": True} if check else None)
    return {"scenario": built, "results": results, "tmp": tmp, "inventory": inventory}


@pytest.mark.parametrize("check", [True, False], ids=["check", "no-check"])
def test_audit_finds_every_planted_problem(fleet, check):
    report = fleet["results"][check][1]
    found = set((f["kind"], f["name"]) for f in report["findings"])
    for kind, names in fleet["scenario"]["planted"].items():
        for name in names:
            assert (kind, name) in found, "planted %s %s not found; found %s" % (
                kind, name, sorted(n for k, n in found if k == kind))


def test_audit_reports_nothing_that_was_not_planted(fleet):
    report = fleet["results"][False][1]
    planted = set((kind, name) for kind, names in fleet["scenario"]["planted"].items() for name in names)
    unexpected = [f for f in report["findings"] if (f["kind"], f["name"]) not in planted]
    # A disabled holder is reported once, by its first alias; its other aliases are in the same finding.
    assert unexpected == [], unexpected


@pytest.mark.parametrize("check", [True, False], ids=["check", "no-check"])
def test_audit_never_changes_anything(fleet, check):
    requests = fleet["results"][check][2]
    assert requests, "the audit sent no request at all"
    assert [r for r in requests if r["mutating"]] == []


def test_audit_cost_is_within_ten_percent_of_the_lower_bound(fleet):
    report = fleet["results"][False][1]
    requests = fleet["results"][False][2]
    api = [r for r in requests if r["service"] in ("cloudfront", "route53", "acm", "cloudflare", "rfc2136", "sts")
           and r["operation"] != "QUERY"]
    assert report["requests"]["total"] == len(api), (report["requests"], len(api))
    assert report["requests"]["total"] <= 1.10 * report["requests_lower_bound"]["total"], report["requests"]
    # Every module reports `requests` in one shape, {service: count}; the audit's total is audit_requests_total.
    run = fleet["results"][False][0]
    written = run.task("Find what is inconsistent or dangerous, and write audit.json, audit.md and audit.html")
    assert written["requests"] == {} and written["audit_requests_total"] == report["requests"]["total"]
    assert written["audit_requests_lower_bound_total"] == report["requests_lower_bound"]["total"]
    inventories = [r["result"] for r in run.results if r["task"] == "List distributions, certificates and Route 53 records"]
    assert len(inventories) == 2
    for inventory in inventories:
        assert set(inventory["requests"]) <= {"cloudfront", "acm", "route53", "sts"}, inventory["requests"]
        assert sum(inventory["requests"].values()) == inventory["inventory"]["requests_total"]
        assert sum(inventory["inventory"]["requests_by_operation"].values()) == inventory["inventory"]["requests_total"]
    # One task reads every provider's zones (a loop over the registry's zone-listing providers).
    zones = dict((z["item"]["provider"], z) for z in run.task("Read the DNS zones of each provider")["results"])
    assert sorted(zones) == ["cloudflare", "rfc2136"], sorted(zones)
    for provider, z in zones.items():
        assert z["requests"] == {provider: z["requests_total"]}, (provider, z["requests"])
    # List calls only, each paginated once: no per-alias call except the questions about holders.
    operations = set(r["operation"] for r in api)
    assert operations <= {"ListDistributions", "ListCertificates", "ListHostedZones", "ListResourceRecordSets",
                          "ListZones", "ListDnsRecords", "AXFR", "ListConflictingAliases",
                          "ListDomainConflicts", "ListDistributionTenants", "ListConnectionGroups"}, operations
    # Tenants and connection groups: one page of each list per account (two accounts), inside the lower bound.
    assert [r["operation"] for r in api].count("ListDistributionTenants") == 2
    assert [r["operation"] for r in api].count("ListConnectionGroups") == 2
    # Asked about: the two names pointing at a distribution that does not hold them. The names whose target
    # CloudFront's nameservers (here the sandbox's) call NXDOMAIN are dangling without a question.
    answered = [r for r in api if r["operation"] in ("ListConflictingAliases", "ListDomainConflicts")
                and r["status"] == 200]
    assert len(answered) == 2, [(r["operation"], r["status"]) for r in api if r["operation"].startswith("List")]
    assert report["verification"]["holders"]["answered"] == 2


def test_names_served_through_a_routing_endpoint_are_never_dangling_and_tenants_are_on_the_map(fleet):
    report = fleet["results"][False][1]
    tenants = fleet["scenario"]["tenants"]
    served = set(tenants["served"])
    assert served  # the tenants' correctly pointed, active domains
    assert [f for f in report["findings"] if f["name"] in served] == []
    other_group = [f for f in report["findings"] if f["kind"] == "tenant_dns_other_group"]
    assert sorted(f["name"] for f in other_group) == sorted(tenants["planted"]["tenant_dns_other_group"])
    assert all(f["severity"] == "medium" and "routing endpoint" in f["detail"] for f in other_group)
    [inactive] = [f for f in report["findings"] if f["kind"] == "tenant_domain_inactive"]
    assert inactive["name"] == tenants["planted"]["tenant_domain_inactive"][0]
    nodes = report["ownership"]["nodes"]
    assert {t["id"] for t in tenants["tenants"]} <= {i for i, n in nodes.items() if n["kind"] == "tenant"}
    groups = {i for i, n in nodes.items() if n["kind"] == "connection_group"}
    assert {g["id"] for g in tenants["connection_groups"]} == groups
    rows = [r for z in report["ownership"]["zones"] for r in z["names"] if r["name"] in served]
    assert len(rows) == len(served) and all(r["agrees"] and r["state"] == "ok" and r["dns"] in groups for r in rows)


def test_findings_have_the_documented_schema(fleet):
    report = fleet["results"][False][1]
    assert report["schema"] == "aliasguard.cloudfront/audit/1"
    kinds = {"dangling_cname", "dns_points_elsewhere", "alias_without_dns", "proxied_in_front",
             "overlapping_holders", "disabled_holder", "leftover_txt", "unverified", "tenant_domain_inactive",
             "tenant_dns_other_group"}
    for finding in report["findings"]:
        assert {"id", "kind", "severity", "name", "detail", "fix"} <= set(finding)
        assert finding["kind"] in kinds
        assert finding["severity"] in ("critical", "high", "medium", "low", "info")
        assert finding["fix"]
    assert len(set(f["id"] for f in report["findings"])) == len(report["findings"])
    assert {a["account_id"] for a in report["accounts"]} == {ACCOUNT_1, ACCOUNT_2}
    assert report["summary"]["findings"] == len(report["findings"])
    # With working DNS everything was checked.
    assert report["summary"]["unverified"]["names"] == 0
    assert {"nodes", "zones", "unzoned"} <= set(report["ownership"])


def test_finding_ids_survive_a_rerun(fleet):
    ids = [sorted(f["id"] for f in fleet["results"][check][1]["findings"]) for check in (True, False)]
    assert ids[0] == ids[1]


def test_report_files_are_world_readable_and_written_whole(fleet):
    report_dir = fleet["results"][False][3]
    assert sorted(os.listdir(report_dir)) == ["audit.html", "audit.json", "audit.md"]  # no temporary file left
    for name in os.listdir(report_dir):
        assert stat.S_IMODE(os.stat(report_dir / name).st_mode) == 0o644


def test_inventories_go_through_the_documented_files_and_only_their_short_form_through_ansible(fleet):
    """Each account host and each DNS provider writes what it read to DIR/audit-inventory/ (playbooks/audit.yml), the
    later steps read the files, Ansible's variables hold their paths and counts; removed unless keep_inventory."""
    run, report, unused, report_dir = fleet["results"][True]
    kept = report_dir / "audit-inventory"
    assert sorted(os.listdir(kept)) == ["account-account1.json", "account-account2.json", "dns-cloudflare.json",
                                        "dns-rfc2136.json"]
    for name in os.listdir(kept):
        assert stat.S_IMODE(os.stat(kept / name).st_mode) == 0o600
    listed = [r["result"]["inventory"] for r in run.results
              if r["task"] == "List distributions, certificates and Route 53 records"]
    assert sorted(i["file"] for i in listed) == [str(kept / "account-account1.json"), str(kept / "account-account2.json")]
    for short in listed:
        assert "distributions" not in short and "route53" not in short
        whole = json.loads((kept / os.path.basename(short["file"])).read_text())
        assert whole["account_id"] == short["account_id"]
        assert short["counts"]["distributions"] == len(whole["distributions"])
        account = next(a for a in report["accounts"] if a["account_id"] == short["account_id"])
        assert (account["distributions"], account["aliases"]) == (short["counts"]["distributions"],
                                                                  short["counts"]["aliases"])
    zones = [z for r in run.task("Read the DNS zones of each provider")["results"] for z in r["zones"]]
    assert zones and all("records" not in z and z["file"].startswith(str(kept)) for z in zones)
    # The findings are in the files; fail_on=never asks for none back into the play.
    assert run.task("Find what is inconsistent or dangerous, and write audit.json, audit.md and audit.html")[
        "findings"] == []
    # Without keep_inventory the files and their directory are gone once the report is written.
    assert not (fleet["results"][False][3] / "audit-inventory").exists()


def test_dns_points_elsewhere_fix_is_a_ready_remediate_command(fleet):
    report = fleet["results"][False][1]
    finding = next(f for f in report["findings"] if f["kind"] == "dns_points_elsewhere")
    assert finding["fix"].startswith("ansible-playbook aliasguard.cloudfront.remediate -e alias=%s" % finding["name"])
    assert "-e target_distribution_id=" in finding["fix"] and "-e dns_provider=route53" in finding["fix"]


def test_markdown_and_html_are_written(fleet):
    report_dir = fleet["results"][False][3]
    markdown = (report_dir / "audit.md").read_text()
    assert "| severity | kind | name | detail | fix |" in markdown
    assert "gone0.fleet-a.example" in markdown
    html = (report_dir / "audit.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "application/json" in html
    # Self-contained: nothing is loaded from anywhere else.
    assert "src=" not in html and "href=\"http" not in html


def _by_kind(report, kind):
    return sorted(f["name"] for f in report["findings"] if f["kind"] == kind)


def test_single_account_audit_without_dns_for_cloudfront_asks_aws_and_finds_only_the_planted(sandbox, fleet, tmp_path):
    """The issue's run: account 1 alone, no resolver that can answer *.cloudfront.net names.

    Its partner names point at account 2's distributions; the others' targets do not exist. DNS cannot tell
    them apart, AWS can: every one of them is asked about once (account 1 has certificates covering them).
    """
    inventory = _inventory(sandbox, tmp_path / "one.yml", accounts=(ACCOUNT_1,))
    run, report, requests, unused = _run_audit(
        sandbox, tmp_path, inventory, check=True, extra={"verify_nameservers": [_bind_refuses_cloudfront(sandbox)]})
    partners = ["partner0.fleet-a.example", "partner1.fleet-a.example", "partner2.fleet-a.example"]
    planted = fleet["scenario"]["scenario_dangling"]
    answered = [r for r in requests if r["operation"] in ("ListConflictingAliases", "ListDomainConflicts")
                and r["status"] == 200]
    assert len(answered) == len(partners) + len(planted), [(r["operation"], r["status"]) for r in requests]
    assert report["requests"]["total"] <= 1.10 * report["requests_lower_bound"]["total"], report["requests"]
    # Held by a distribution of account 2 (AWS says so): neither dangling nor unverified. The planted ones: proved.
    assert _by_kind(report, "dangling_cname") == sorted(planted)
    assert _by_kind(report, "unverified") == [fleet["scenario"]["legacy"]]  # no certificate covers its zone
    assert [r for r in requests if r["mutating"]] == []


@pytest.fixture(scope="module")
def blind(sandbox, fleet):
    """Both accounts again, with DNS for *.cloudfront.net broken, compared with the run that could see, and
    fail_on=critical: the play must fail, after writing the report."""
    previous = str(fleet["results"][False][3] / "audit.json")
    mark = sandbox.log_mark()
    run, report, requests, report_dir = _run_audit(
        sandbox, fleet["tmp"], fleet["inventory"], check=True, name="blind", succeeds=False,
        extra={"verify_nameservers": [_bind_refuses_cloudfront(sandbox)], "previous_report": previous,
               "fail_on": "critical"})
    return {"run": run, "report": report, "requests": sandbox.requests_since(mark), "dir": report_dir}


def test_without_dns_for_cloudfront_only_the_planted_are_dangling_and_the_rest_unverified(fleet, blind):
    report = blind["report"]
    # Proved through AWS (ListConflictingAliases answered that nobody holds them), not through DNS.
    assert _by_kind(report, "dangling_cname") == sorted(fleet["scenario"]["scenario_dangling"])
    assert len(fleet["scenario"]["scenario_dangling"]) == 7
    legacy = fleet["scenario"]["legacy"]
    assert _by_kind(report, "unverified") == [legacy]
    finding = next(f for f in report["findings"] if f["kind"] == "unverified")
    assert finding["reasons"] == ["dns_unavailable", "no_certificate"]
    assert "refused" in finding["detail"] and "d0123456789abc.cloudfront.net" in finding["detail"]
    assert finding["severity"] == "medium"
    # The summary and both human outputs say how many names could not be checked, and why.
    unverified = report["summary"]["unverified"]
    assert unverified["names"] == 1
    assert unverified["by_reason"]["dns_unavailable"] == 1 and unverified["by_reason"]["no_certificate"] == 1
    assert report["verification"]["cloudfront_dns"]["unknown"] >= 1
    assert report["verification"]["cloudfront_dns"]["missing"] == 0
    assert "**1 names could not be checked**" in (blind["dir"] / "audit.md").read_text()
    # The rest is what the audit that could see found.
    seeing = fleet["results"][False][1]
    assert sorted((f["kind"], f["name"]) for f in report["findings"] if f["name"] != legacy) == sorted(
        (f["kind"], f["name"]) for f in seeing["findings"] if f["name"] != legacy)


def test_compared_with_the_run_that_could_see_a_name_it_cannot_check_is_not_resolved(fleet, blind):
    report = blind["report"]
    legacy = fleet["scenario"]["legacy"]
    assert [(f["kind"], f["status"]) for f in report["findings"] if f["name"] == legacy] == [("unverified", "new")]
    assert set(f["status"] for f in report["findings"] if f["name"] != legacy) == {"unchanged"}
    assert report["resolved"] == []
    unverified = next(f for f in report["findings"] if f["name"] == legacy)
    assert [p["kind"] for p in unverified["previously"]] == ["dangling_cname"]
    assert report["summary"]["changes"]["new"] == 1 and report["summary"]["changes"]["resolved"] == 0


def test_fail_on_critical_fails_the_play_after_the_report_is_written(blind):
    failed = [r for r in blind["run"].results if r["result"].get("failed")]
    assert [r["task"] for r in failed] == ["Fail when a finding should page someone (fail_on=critical)"]
    assert "7 finding(s) match fail_on=critical" in failed[0]["result"]["msg"]
    assert sorted(os.listdir(blind["dir"])) == ["audit.html", "audit.json", "audit.md"]
    assert [r for r in blind["requests"] if r["mutating"]] == []


@pytest.mark.parametrize("extra, words", [
    ({"fail_on": "sometimes"}, "fail_on must be one of critical, high, new_critical, never"),
    ({"previous_report": "/nonexistent/audit.json"}, "previous_report, when given, must be the audit.json"),
], ids=["fail_on", "previous_report"])
def test_bad_options_are_refused_before_any_request(sandbox, tmp_path, extra, words):
    mark = sandbox.log_mark()
    extra_vars = dict({"report_dir": str(tmp_path / "bad")}, **extra)
    run = run_playbook("aliasguard.cloudfront.audit", extra_vars, env=sandbox.aws_env(ACCOUNT_1), check=True)
    assert run.returncode != 0
    failed = [r["result"] for r in run.results if r["result"].get("failed")]
    assert failed and words in failed[0]["msg"]
    assert sandbox.requests_since(mark) == []
    assert not (tmp_path / "bad").exists()


def test_report_module_writes_nothing_in_check_mode_and_reports_what_it_writes(tmp_path):
    report_dir = tmp_path / "module"
    run = run_playbook(os.path.join(os.path.dirname(__file__), "playbooks", "audit_report_files.yml"),
                       {"report_dir": str(report_dir)}, diff=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    check = run.task("Report in check mode")
    assert check["changed"] is True and check["files"]["json"] == str(report_dir / "audit.json")
    assert check["diff"][0]["after_header"] == str(report_dir / "audit.json")
    assert run.task("Nothing was written in check mode")["stat"]["exists"] is False
    written = run.task("Report")
    assert written["changed"] is True
    assert sorted(os.listdir(report_dir)) == ["audit.html", "audit.json", "audit.md"]
    for name in os.listdir(report_dir):
        assert stat.S_IMODE(os.stat(report_dir / name).st_mode) == 0o644
    # The report carries the time it was generated, so a later run rewrites it (and says so).
    assert run.task("Report again")["changed"] is True


def test_audit_without_inventory_audits_the_environment_account(sandbox, fleet, tmp_path):
    report_dir = tmp_path / "env"
    env = sandbox.aws_env(ACCOUNT_1)
    env.update({"CLOUDFLARE_API_TOKEN": sandbox.endpoints["cloudflare"]["api_token"],
                "CLOUDFLARE_BASE_URL": sandbox.endpoints["cloudflare"]["base_url"]})
    extra_vars = {"report_dir": str(report_dir), "verify_nameservers": [sandbox.dns_server]}
    run = run_playbook("aliasguard.cloudfront.audit", extra_vars, env=env, check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    report = json.loads((report_dir / "audit.json").read_text())
    assert [a["account_id"] for a in report["accounts"]] == [ACCOUNT_1]
    assert any(f["kind"] == "dangling_cname" for f in report["findings"])


def test_audit_fails_clearly_without_credentials(sandbox, tmp_path):
    mark = sandbox.log_mark()
    run = run_playbook("aliasguard.cloudfront.audit", {"report_dir": str(tmp_path / "none")},
                       env={"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                            "AWS_EC2_METADATA_DISABLED": "true"})
    assert run.returncode != 0
    failed = [r["result"] for r in run.results if r["result"].get("failed")]
    assert failed and "No AWS credentials found" in failed[0]["msg"]
    assert sandbox.requests_since(mark) == []


def _distribution_holding(sandbox, name):
    for page in sandbox.aws("cloudfront", ACCOUNT_1).get_paginator("list_distributions").paginate():
        for item in page["DistributionList"].get("Items", []):
            if name in (item["Aliases"].get("Items") or []):
                return item
    raise AssertionError("no distribution of account 1 holds %s" % name)


def test_after_a_remediation_the_next_audit_reports_the_fixed_finding_as_resolved(sandbox, fleet, tmp_path):
    """Runs last in this file: it changes the fleet (the remediation does; the audits do not)."""
    before = fleet["results"][False][1]
    name = fleet["scenario"]["planted"]["dns_points_elsewhere"][0]
    zone = name.split(".", 1)[1]
    holder = _distribution_holding(sandbox, name)
    fixed = [f for f in before["findings"] if f["name"] == name]
    assert [f["kind"] for f in fixed] == ["dns_points_elsewhere"]

    remediate = run_playbook("aliasguard.cloudfront.remediate", {
        "alias": name, "target_distribution_id": holder["Id"], "dns_provider": "route53", "dns_zone": zone,
        "verify_nameservers": [sandbox.dns_server]}, env=sandbox.aws_env(ACCOUNT_1))
    assert remediate.returncode == 0, remediate.stdout[-3000:] + remediate.stderr[-3000:]
    # DNS now sends the name to its holder (asked of the sandbox's authoritative server, not of the collection).
    answer = dns.query.udp(dns.message.make_query(name + ".", "CNAME"), "127.0.0.1",
                           port=sandbox.endpoints["dns"]["port"], timeout=3)
    assert [r.target.to_text().rstrip(".") for rrset in answer.answer for r in rrset
            if rrset.rdtype == dns.rdatatype.CNAME] == [holder["DomainName"]]

    run, report, requests, unused = _run_audit(
        sandbox, tmp_path, fleet["inventory"], check=True, name="after",
        extra={"previous_report": str(fleet["results"][False][3] / "audit.json"), "fail_on": "new_critical"})
    assert [(f["id"], f["name"], f["status"]) for f in report["resolved"]] == [(fixed[0]["id"], name, "resolved")]
    assert name not in [f["name"] for f in report["findings"] if f["kind"] == "dns_points_elsewhere"]
    assert set(f["status"] for f in report["findings"]) == {"unchanged"}
    assert report["summary"]["changes"] == {"previous_generated": before["generated"], "new": 0, "resolved": 1,
                                            "unchanged": len(before["findings"]) - 1}
    assert report["schema"] == "aliasguard.cloudfront/audit/1"
    # Every field of the earlier report is still there: fields are only added.
    assert set(before) <= set(report)
    markdown = (tmp_path / "after" / "audit.md").read_text()
    assert "| resolved | high | dns_points_elsewhere | %s |" % name in markdown
    html = (tmp_path / "after" / "audit.html").read_text()
    assert '"status": "resolved"' in html
    assert [r for r in requests if r["mutating"]] == []
