"""A deployment role that includes cname_remediation unconditionally (tests/integration/roles/example_site).

With nothing in the way the remediation is a read-only no-op: no mutating request and nothing changed.
With the runbook's situation it remediates first, then the deployment goes through without a 409.
"""

import os

from conftest import run_playbook
from sandbox.scenarios import alias_record, cname, certificate, create_distribution, hosted_zone, route53_change
from test_remediate import (
    ROLE,
    Situation,
    assert_alias_only_on_target,
    assert_dns_at_target,
    assert_ok,
    assert_txt_gone,
    mutating,
    operations,
    summary_of,
)

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = os.path.join(HERE, "playbooks", "deploy_example_site.yml")
DEPLOY_TASKS = ["example_site : Deploy: the distribution serves the site's names", "example_site : Deploy: publish the site"]


def deploy(sandbox, situation, aliases):
    env = situation.env()
    env["ANSIBLE_ROLES_PATH"] = os.path.join(HERE, "roles")
    extra = {"example_site_distribution_id": situation.target_id, "example_site_aliases": aliases,
             "example_site_dns_provider": situation.provider, "example_site_dns_zone": situation.zone,
             "example_site_nameservers": [sandbox.dns_server]}
    mark = sandbox.log_mark()
    run = run_playbook(PLAYBOOK, extra, env=env)
    return run, sandbox.requests_since(mark)


def _site_already_in_place(sandbox):
    """The site's distribution holds www and shop, and DNS already points both at it."""
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    site = create_distribution(cf, "example-site", aliases=["www.example.com", "shop.example.com"], cert_arn=cert)
    create_distribution(cf, "someone-else", aliases=["blog.example.com"], cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", site["domain_name"]),
                                      cname("shop.example.com", site["domain_name"])])
    return Situation(sandbox, "www.example.com", site["id"], site["domain_name"], "route53", "example.com")


def test_with_no_conflict_the_included_remediation_is_a_fast_no_op(sandbox):
    situation = _site_already_in_place(sandbox)

    run, requests = deploy(sandbox, situation, ["www.example.com", "shop.example.com"])
    assert_ok(run)
    assert [r["task"] for r in run.results if r["result"].get("changed")] == []
    assert mutating(requests) == []
    # Read-only and small: one listing of the distributions, one conflict query per name, the proofs.
    aws = [r for r in requests if r["service"] in ("cloudfront", "route53", "acm")]
    assert len(aws) <= 12, [r["operation"] for r in aws]
    summary = summary_of(run)
    assert summary.count("plan:    none (already on the target)") == 2
    assert summary.count("VERIFIED") == 2
    # The deployment itself ran after the remediation role, and had nothing to change either.
    tasks = [r["task"] for r in run.results]
    assert tasks.index(ROLE + "Summary") < tasks.index(DEPLOY_TASKS[0]) < tasks.index(DEPLOY_TASKS[1])


def test_an_apex_behind_alias_records_is_checked_at_the_provider_and_still_a_no_op(sandbox):
    """DNS answers for the apex with addresses, which cannot name a distribution: step 2 reads the alias record
    through Route 53, finds it already leads to the site, and changes nothing."""
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    site = create_distribution(cf, "apex-site", aliases=["example.com", "www.example.com"], cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [alias_record("example.com", "A", site["domain_name"]),
                                      alias_record("example.com", "AAAA", site["domain_name"]),
                                      cname("www.example.com", site["domain_name"])])
    situation = Situation(sandbox, "example.com", site["id"], site["domain_name"], "route53", "example.com")

    run, requests = deploy(sandbox, situation, ["example.com", "www.example.com"])
    assert_ok(run)
    assert [r["task"] for r in run.results if r["result"].get("changed")] == []
    assert mutating(requests) == []
    repoint = run.task(ROLE + "Step 2: repoint DNS at the target (only from the values step 1 saw)")["results"]
    assert [(r["name"], r["action"]) for item in repoint for r in item["records"]] == [("example.com", "none")]
    summary = summary_of(run)
    assert summary.count("VERIFIED") == 2
    assert "changed: repoint_dns" not in summary


def test_with_the_seed_situation_it_remediates_first_then_deploys(sandbox):
    situation = Situation.build(sandbox, "seed-409")
    assert situation.info["error"]["code"] == "CNAMEAlreadyExists"

    run, requests = deploy(sandbox, situation, [situation.alias])
    assert_ok(run)
    tasks = [r["task"] for r in run.results]
    assert tasks.index(ROLE + "Step 3: move aliases in one step (AssociateAlias)") < tasks.index(DEPLOY_TASKS[0])
    assert run.task(ROLE + "Step 3: move aliases in one step (AssociateAlias)")["changed"]
    # The alias was already moved, so the deployment's own alias step had nothing left to do: no 409.
    assert not run.task(DEPLOY_TASKS[0])["changed"]
    assert run.task(DEPLOY_TASKS[1])["msg"] == "Deployed %s on %s" % (situation.alias, situation.target_id)
    assert ("cloudfront", "AssociateAlias") in operations(requests)
    assert [r for r in requests if r["status"] == 409] == []
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)

    # Deploying again is the no-op case.
    again, requests = deploy(sandbox, situation, [situation.alias])
    assert_ok(again)
    assert [r["task"] for r in again.results if r["result"].get("changed")] == []
    assert mutating(requests) == []
