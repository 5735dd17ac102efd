"""The fleet audit: real ansible-playbook against the sandbox's fleet scenario.

The report must find every planted problem, cost close to the fewest requests the
inventory needs, and never change anything (the request log shows no mutating
request, in or out of --check).
"""

import json
import os

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


def _run_audit(sandbox, tmp_path, inventory, check, extra=None):
    report_dir = tmp_path / ("report-check" if check else "report")
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
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    with open(report_dir / "audit.json", encoding="utf-8") as fh:
        report = json.load(fh)
    return run, report, sandbox.requests_since(mark), report_dir


@pytest.fixture(scope="module")
def fleet(sandbox, tmp_path_factory):
    built = sandbox.scenario("fleet", distributions=60, aliases_per_distribution=3)
    legacy, txt = _plant_rfc2136(sandbox, "d0123456789abc.cloudfront.net")
    built["planted"]["dangling_cname"].append(legacy)
    built["planted"]["leftover_txt"].append(txt)
    tmp = tmp_path_factory.mktemp("audit")
    inventory = _inventory(sandbox, tmp / "accounts.yml")
    results = {}
    for check in (True, False):
        results[check] = _run_audit(sandbox, tmp, inventory, check)
    return {"scenario": built, "results": results, "tmp": tmp}


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
    # List calls only, each paginated once: no per-alias call except ListConflictingAliases.
    operations = set(r["operation"] for r in api)
    assert operations <= {"ListDistributions", "ListCertificates", "ListHostedZones", "ListResourceRecordSets",
                          "ListZones", "ListDnsRecords", "AXFR", "ListConflictingAliases"}, operations


def test_findings_have_the_documented_schema(fleet):
    report = fleet["results"][False][1]
    assert report["schema"] == "aliasguard.cloudfront/audit/1"
    kinds = {"dangling_cname", "dns_points_elsewhere", "alias_without_dns", "proxied_in_front",
             "overlapping_holders", "disabled_holder", "leftover_txt"}
    for finding in report["findings"]:
        assert {"kind", "severity", "name", "detail", "fix"} <= set(finding)
        assert finding["kind"] in kinds
        assert finding["severity"] in ("critical", "high", "medium", "low", "info")
        assert finding["fix"]
    assert {a["account_id"] for a in report["accounts"]} == {ACCOUNT_1, ACCOUNT_2}
    assert report["summary"]["findings"] == len(report["findings"])


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


def test_single_account_audit_asks_listconflictingaliases_only_for_names_outside(sandbox, fleet, tmp_path):
    """Audited alone, account 1's partner names point at account 2: only ListConflictingAliases can tell."""
    inventory = _inventory(sandbox, tmp_path / "one.yml", accounts=(ACCOUNT_1,))
    run, report, requests, unused = _run_audit(sandbox, tmp_path, inventory, check=True)
    lca = [r for r in requests if r["operation"] == "ListConflictingAliases"]
    partners = ["partner0.fleet-a.example", "partner1.fleet-a.example", "partner2.fleet-a.example"]
    # One question per partner name; none for names whose CloudFront target does not exist (NXDOMAIN).
    assert len(lca) == len(partners), [r["operation"] for r in requests]
    assert report["requests"]["total"] <= 1.10 * report["requests_lower_bound"]["total"], report["requests"]
    names = set((f["kind"], f["name"]) for f in report["findings"])
    for name in partners:
        # Held by a distribution of account 2 (ListConflictingAliases says so): not dangling.
        assert ("dangling_cname", name) not in names


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
