"""The preflight playbook (``aliasguard.cloudfront.preflight``) against the sandbox.

Each situation is built with the sandbox's scenarios and plain boto3, as a user's
account would look before a deployment; the plan and templates are the fixtures in
fixtures/preflight/ (Terraform's JSON Output Format, CloudFormation YAML, a CDK cloud
assembly) with the sandbox's ids filled in. What the playbook reports is checked
against the sandbox itself, its report files are parsed (the JUnit XML with
xml.etree, as CI systems read it), and the request log proves that it sent no
mutating request, in or out of check mode.
"""

import json
import os
import re
import shlex
import shutil
import stat
import xml.etree.ElementTree as ET

import botocore.exceptions
from conftest import run_playbook
from sandbox.scenarios import cname, create_distribution, route53_change
from steps_helpers import certificate_arn

PLAYBOOK = "aliasguard.cloudfront.preflight"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "preflight")
ACCOUNT_1 = "111111111111"
ACCOUNT_2 = "222222222222"
READ_ONLY = ("List", "Get", "Describe")
CHECK_TASK = "Check every alias the deployment adds"


def run_preflight(sandbox, tmp_path=None, check=False, env=None, cwd=None, **extra):
    extra.setdefault("verify_nameservers", [sandbox.dns_server])
    if tmp_path is not None:
        extra.setdefault("report_dir", str(tmp_path / "reports"))
    mark = sandbox.log_mark()
    run = run_playbook(PLAYBOOK, extra, env=env or sandbox.aws_env(), check=check, cwd=cwd)
    return run, sandbox.requests_since(mark)


def assert_read_only(requests):
    assert requests, "the preflight sent no request at all"
    assert [r for r in requests if r["mutating"]] == []
    assert all(r["operation"].startswith(READ_ONLY) for r in requests), sorted(set(r["operation"] for r in requests))


def by_alias(checks, resource=None):
    return dict((c["alias"], c) for c in checks if resource is None or c["resource"] == resource)


def failure_message(run):
    return " ".join(r["result"].get("msg", "") for r in run.results if r["result"].get("failed"))


def reports(tmp_path):
    directory = tmp_path / "reports"
    document = json.loads((directory / "preflight.json").read_text())
    junit = ET.parse(str(directory / "preflight.junit.xml")).getroot()
    for name in ("preflight.json", "preflight.junit.xml"):
        assert stat.S_IMODE(os.stat(str(directory / name)).st_mode) == 0o644
    return document, junit


def junit_cases(root):
    """{(classname, name): (failure type or None, skipped?)} of every testcase."""
    [suite] = root.findall("testsuite")
    cases = {}
    for case in suite.findall("testcase"):
        failure = case.find("failure")
        cases[(case.get("classname"), case.get("name"))] = (
            failure.get("type") if failure is not None else None, case.find("skipped") is not None)
    return suite, cases


def fill(template_path, destination, **values):
    text = open(template_path, encoding="utf-8").read()
    for key, value in values.items():
        text = text.replace("@%s@" % key, value)
    assert re.search(r"@[A-Z_]+@", text) is None, "a placeholder was left unfilled"
    destination.write_text(text)
    return str(destination)


def answers_list_domain_conflicts(sandbox, through):
    """Whether the sandbox answers ListDomainConflicts, asked the way a user would (boto3)."""
    try:
        sandbox.aws("cloudfront").list_domain_conflicts(
            Domain="probe.example.com", DomainControlValidationResource={"DistributionId": through})
    except botocore.exceptions.ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"] not in (404, 405, 501)
    return True


def other_accounts_aliases(sandbox):
    items = sandbox.aws("cloudfront", ACCOUNT_2).list_distributions()["DistributionList"].get("Items") or []
    return dict((d["Id"], (d["Enabled"], (d.get("Aliases") or {}).get("Items"))) for d in items)


def seed_with_more(sandbox):
    """The runbook's situation, plus a name whose DNS is a CNAME to a third distribution that does not hold it."""
    s = sandbox.scenario("seed-409")
    cert_arn = certificate_arn(sandbox)
    third = create_distribution(sandbox.aws("cloudfront"), "seed-third", cert_arn=cert_arn, comment="third")
    route53_change(sandbox.aws("route53"), s["dns"]["zone_id"], [cname("legacy.example.com", third["domain_name"])])
    return s, cert_arn, third


# -- Terraform ---------------------------------------------------------------------------------


def test_a_terraform_plan_gets_every_outcome_its_fix_and_fails_the_play(sandbox, tmp_path):
    s, cert_arn, third = seed_with_more(sandbox)
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    plan = fill(os.path.join(FIXTURES, "terraform-plan-sandbox.json"), tmp_path / "plan.json",
                TARGET_ID=target, TARGET_DOMAIN=s["target_domain_name"], CERTIFICATE_ARN=cert_arn)

    run, requests = run_preflight(sandbox, tmp_path, terraform_plan=plan)

    assert_read_only(requests)
    assert run.returncode != 0, "the play must fail when an alias would be refused"
    assert "fail the preflight (fail_on=held)" in failure_message(run)
    result = run.task(CHECK_TASK)
    # `requests` by service as in every module, by operation beside it; both count exactly what the log saw.
    aws = [r for r in requests if r["service"] in ("cloudfront", "acm", "route53", "sts")]
    assert result["requests"] == {service: sum(1 for r in aws if r["service"] == service) for service in
                                  set(r["service"] for r in aws)}
    assert sum(result["requests_by_operation"].values()) == len(aws)
    site = by_alias(result["checks"], "aws_cloudfront_distribution.site")
    assert sorted(site) == ["fresh.example.com", "legacy.example.com", "www.example.com", "www.example.org"]

    # held: the runbook's 409, with the exact command that moves the name.
    www = site["www.example.com"]
    assert www["outcome"] == "held" and www["distribution_id"] == target
    assert www["holder"]["distribution_id"] == holder and www["holder"]["in_account"] is True
    # AWS masks every id it lists, ours too; the full id above was recovered from this account's own listing.
    assert www["holder"]["masked"] is True
    assert www["fix"] == ("Run: ansible-playbook aliasguard.cloudfront.remediate -e alias=www.example.com "
                          "-e target_distribution_id=%s -e dns_provider=route53 -e dns_zone=example.com (it moves the "
                          "alias with AssociateAlias, so the name is never unserved)." % target)
    # dns_points_elsewhere: nobody holds it, its CNAME leads straight to the third distribution.
    legacy = site["legacy.example.com"]
    assert legacy["outcome"] == "dns_points_elsewhere" and third["domain_name"] in legacy["reason"]
    assert "-e alias=legacy.example.com -e target_distribution_id=%s" % target in legacy["fix"]
    # certificate_does_not_cover: the distribution's certificate is for example.com.
    assert site["www.example.org"]["outcome"] == "certificate_does_not_cover"
    assert cert_arn in site["www.example.org"]["reason"]
    assert site["fresh.example.com"]["outcome"] == "ok"

    # A distribution the plan creates is asked about through one of the account's distributions that can.
    new = by_alias(result["checks"], "aws_cloudfront_distribution.next")
    assert new["next.example.com"]["outcome"] == "ok"
    assert new["next.example.com"]["asked"]["through"] in (target, holder, third["id"])
    assert new["www.example.com"]["outcome"] == "held" and "distribution_id" not in new["www.example.com"]
    assert "does not exist yet" in new["www.example.com"]["fix"]
    # unknown: the plan computes the aliases.
    [computed] = [c for c in result["checks"] if c["resource"] == "aws_cloudfront_distribution.computed"]
    assert computed["outcome"] == "unknown" and "known only after apply" in computed["reason"]
    # A tenant's domain is checked too.
    [tenant] = [c for c in result["checks"] if c["resource"] == "aws_cloudfront_distribution_tenant.customer"]
    assert (tenant["alias"], tenant["resource_type"], tenant["outcome"]) == ("tenant.example.com",
                                                                             "distribution-tenant", "ok")

    # The same in preflight.json and preflight.junit.xml.
    document, junit = reports(tmp_path)
    assert document["schema"] == "aliasguard.cloudfront/preflight/1"
    assert document["checks"] == result["checks"]
    assert document["summary"]["failing"] == 4 == result["failing"]
    suite, cases = junit_cases(junit)
    assert len(cases) == len(result["checks"]) == int(suite.get("tests"))
    assert int(suite.get("failures")) == 4 and int(suite.get("skipped")) == 1
    assert cases[("aws_cloudfront_distribution.site", "www.example.com")] == ("held", False)
    assert cases[("aws_cloudfront_distribution.site", "legacy.example.com")] == ("dns_points_elsewhere", False)
    assert cases[("aws_cloudfront_distribution.site", "www.example.org")] == ("certificate_does_not_cover", False)
    assert cases[("aws_cloudfront_distribution.site", "fresh.example.com")] == (None, False)
    assert cases[("aws_cloudfront_distribution.computed", "(aliases unknown)")] == (None, True)

    # ListDomainConflicts first; where the endpoint does not answer it, ListConflictingAliases.
    operations = [r["operation"] for r in requests]
    assert "ListDomainConflicts" in operations
    if answers_list_domain_conflicts(sandbox, target):
        assert "ListConflictingAliases" not in operations
        assert www["asked"]["api"] == "ListDomainConflicts"
    else:
        assert [r["status"] for r in requests if r["operation"] == "ListDomainConflicts"] == [404]  # asked once
        assert "ListConflictingAliases" in operations
        assert www["asked"]["api"] == "ListConflictingAliases"
        assert any("ListDomainConflicts was not answered" in w for w in document["warnings"])

    # The fix clears it: run the command it gives, then the name passes.
    fix = shlex.split(www["fix"][len("Run: "):www["fix"].index(" (it moves")])
    assert fix[:2] == ["ansible-playbook", "aliasguard.cloudfront.remediate"]
    fix_vars = dict(arg.split("=", 1) for arg in fix[3::2])
    fix_vars.update(verify_nameservers=[sandbox.dns_server], verify_timeout=20)
    fixed = run_playbook(fix[1], fix_vars, env=sandbox.aws_env())
    assert fixed.returncode == 0, failure_message(fixed)
    again, requests = run_preflight(sandbox, aliases=["www.example.com"], distribution_id=target)
    assert again.returncode == 0, failure_message(again)
    assert_read_only(requests)
    assert [c["outcome"] for c in again.task(CHECK_TASK)["checks"]] == ["ok"]


def test_a_binary_plan_is_refused_before_any_request(sandbox, tmp_path):
    (tmp_path / "tfplan").write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00")
    run, requests = run_preflight(sandbox, terraform_plan="tfplan", cwd=str(tmp_path))
    assert run.returncode != 0
    message = run.task(CHECK_TASK)["msg"]
    assert "%s is a binary plan file" % (tmp_path / "tfplan") in message   # the caller's relative path, resolved
    assert "terraform show -json" in message
    assert requests == []


# -- CloudFormation and CDK, in check mode --------------------------------------------------------


def test_a_template_in_check_mode_reports_another_accounts_holder_masked(sandbox, tmp_path):
    s = sandbox.scenario("cross-account")
    cert_arn = certificate_arn(sandbox)
    before = other_accounts_aliases(sandbox)

    run, requests = run_preflight(sandbox, tmp_path, check=True,
                                  cloudformation_template=os.path.join(FIXTURES, "site-stack.template"),
                                  parameters={"CertificateArn": cert_arn},
                                  distribution_ids={"Site": s["target_distribution_id"]})

    assert_read_only(requests)
    assert run.returncode != 0
    checks = run.task(CHECK_TASK)["checks"]
    site = by_alias(checks, "site-stack.template/Site")
    www = site["www.example.com"]
    assert (www["action"], www["distribution_id"], www["outcome"]) == ("update", s["target_distribution_id"], "held")
    holder = www["holder"]
    assert holder["masked"] is True and holder["in_account"] is False
    assert holder["distribution_id"].startswith("*")
    assert s["holder"]["distribution_id"].endswith(holder["distribution_id"].lstrip("*"))
    assert holder["account_id"].startswith("*") and ACCOUNT_2.endswith(holder["account_id"].lstrip("*"))
    assert www["fix"].startswith("The owner of account %s must remove www.example.com from distribution %s"
                                 % (holder["account_id"], holder["distribution_id"]))
    assert "Default of parameter DomainName" in " ".join(www["notes"])
    assert site["static.example.com"]["outcome"] == "ok"
    # Values known only when the stack is deployed are unknown, with why; so is an SSM parameter.
    unknown = [c for c in checks if c["outcome"] == "unknown"]
    assert any("Fn::GetAtt" in c["reason"] for c in unknown)
    assert any("SSM Parameter Store" in c["reason"] for c in unknown)
    # The report is the preflight's output: written in check mode too.
    document, junit = reports(tmp_path)
    assert document["checks"] == checks
    # Another account is only ever read, and not even that: its distribution is as it was.
    assert other_accounts_aliases(sandbox) == before
    assert [r for r in requests if r["account"] == ACCOUNT_2] == []


def test_a_cdk_cloud_assembly_is_read_whole(sandbox, tmp_path):
    s = sandbox.scenario("seed-409")
    cert_arn = certificate_arn(sandbox)
    assembly = tmp_path / "cdk.out"
    shutil.copytree(os.path.join(FIXTURES, "cdk.out"), str(assembly))
    for path in assembly.rglob("*.template.json"):
        path.write_text(path.read_text().replace("arn:aws:acm:us-east-1:111111111111:certificate/@CERTIFICATE_ID@",
                                                 cert_arn))

    run, requests = run_preflight(sandbox, tmp_path, cloudformation_template=str(assembly),
                                  distribution_ids={"WebStack/SiteDistribution3FF9535D": s["target_distribution_id"]},
                                  fail_on="any")

    assert_read_only(requests)
    checks = run.task(CHECK_TASK)["checks"]
    outcomes = dict(((c["resource"], c["alias"]), c["outcome"]) for c in checks)
    assert outcomes == {
        ("WebStack/SiteDistribution3FF9535D", "cdk.example.com"): "ok",
        # The certificate's *.example.com covers one label only.
        ("WebStack/SiteDistribution3FF9535D", "assets.cdk.example.com"): "certificate_does_not_cover",
        ("WebStack/PreviewDistributionB7C0A1D4", "(DistributionConfig.Aliases[0] unknown)"): "unknown",
        ("Prod-WebStack/SiteDistribution3FF9535D", "prod.example.com"): "ok",
        ("Prod-WebStack/SiteDistribution3FF9535D", "assets.prod.example.com"): "certificate_does_not_cover",
        ("Prod-WebStack/PreviewDistributionB7C0A1D4", "(DistributionConfig.Aliases[0] unknown)"): "unknown",
    }
    site = [c for c in checks if c["resource"] == "WebStack/SiteDistribution3FF9535D"]
    assert all(c["action"] == "update" and c["distribution_id"] == s["target_distribution_id"] for c in site)
    assert all("AWS::AccountId" in c["reason"] for c in checks if c["outcome"] == "unknown")
    # fail_on=any: the unknown aliases fail the play too, and are failures in the JUnit XML.
    assert run.returncode != 0 and "fail_on=any" in failure_message(run)
    unused, junit = reports(tmp_path)
    suite, cases = junit_cases(junit)
    assert int(suite.get("failures")) == 4 and int(suite.get("skipped")) == 0
    assert sorted(kind for kind, unused in cases.values() if kind) == [
        "certificate_does_not_cover", "certificate_does_not_cover", "unknown", "unknown"]


# -- A plain list ----------------------------------------------------------------------------------


def test_fail_on_never_reports_and_passes_and_a_new_distribution_asks_through_whatever_certificate_covers(
        sandbox, tmp_path):
    s = sandbox.scenario("seed-409")
    # An ECDSA certificate (ACM lists those only when asked for every key type) on a distribution of its own.
    ecdsa = sandbox.aws("acm").request_certificate(DomainName="shop.example.net",
                                                   KeyAlgorithm="EC_prime256v1")["CertificateArn"]
    shop = create_distribution(sandbox.aws("cloudfront"), "ecdsa", cert_arn=ecdsa, aliases=["shop.example.net"])

    run, requests = run_preflight(sandbox, tmp_path, fail_on="never",
                                  aliases=["www.example.com", "shop.example.net", "www.example.net"])

    assert_read_only(requests)
    assert run.returncode == 0, failure_message(run)
    www, held, net = run.task(CHECK_TASK)["checks"]
    assert www["outcome"] == "held" and www["holder"]["distribution_id"] == s["holder"]["distribution_id"]
    assert held["asked"]["through"] == shop["id"]
    assert held["outcome"] == "held" and held["holder"]["distribution_id"] == shop["id"]
    # No distribution of the account has a certificate for www.example.net: CloudFront cannot be asked.
    assert net["outcome"] == "unknown" and "no distribution in account %s" % ACCOUNT_1 in net["reason"]
    assert net["asked"]["through"] is None
    summary = run.task("Summary, one line per alias")["msg"]
    assert summary[0].startswith("note www.example.com (aliases, create): held - ")
    unused, junit = reports(tmp_path)
    suite, cases = junit_cases(junit)
    assert int(suite.get("failures")) == 0 and int(suite.get("skipped")) == 1


def test_a_name_a_distribution_tenant_holds_is_held_not_ok(sandbox):
    """ListConflictingAliases calls a tenant's name free; ListDomainConflicts, asked first, does not."""
    s = sandbox.scenario("tenant")
    run, requests = run_preflight(sandbox, aliases=[s["alias"]], distribution_id=s["target_distribution_id"],
                                  fail_on="never")
    assert run.returncode == 0, failure_message(run)
    assert_read_only(requests)
    [check] = run.task(CHECK_TASK)["checks"]
    assert check["outcome"] == "held", check
    assert check["asked"]["api"] == "ListDomainConflicts"
    assert "ListConflictingAliases" not in [r["operation"] for r in requests]
