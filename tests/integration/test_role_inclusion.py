"""cname_remediation included in a deployment: the no-op costs one read per target and nothing else; the DNS
provider's options reach the DNS tasks as one mapping (cname_remediation_dns, the dns action group)."""

import os

from conftest import run_playbook
from sandbox.scenarios import certificate, cname, create_distribution, hosted_zone, route53_change
from test_remediate import (
    ROLE,
    Situation,
    assert_alias_only_on_target,
    assert_dns_at_target,
    assert_ok,
    mutating,
    summary_of,
)

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = os.path.join(HERE, "playbooks", "include_remediation.yml")
READ_ONLY_TASKS = [ROLE + "Read the aliases to remediate",
                   ROLE + "Step 1: find who holds each alias and what its DNS says",
                   ROLE + "Decide, per alias, how it is fixed", ROLE + "Summary"]


def test_with_nothing_to_fix_only_step_1_reads_once_per_target_and_is_the_proof(sandbox):
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    site = create_distribution(cf, "site", aliases=["www.example.com", "shop.example.com"], cert_arn=cert)
    blog = create_distribution(cf, "blog", aliases=["blog.example.com"], cert_arn=cert)
    route53_change(route53, hosted_zone(route53, "example.com"), [
        cname("www.example.com", site["domain_name"]), cname("shop.example.com", site["domain_name"]),
        cname("blog.example.com", blog["domain_name"])])
    aliases = [{"alias": name, "target_distribution_id": target["id"], "dns_provider": "route53",
                "dns_zone": "example.com"}
               for name, target in (("www.example.com", site), ("shop.example.com", site), ("blog.example.com", blog))]

    mark = sandbox.log_mark()
    run = run_playbook(PLAYBOOK, {"inclusion_aliases": aliases, "inclusion_nameservers": [sandbox.dns_server]},
                       env=sandbox.aws_env())
    requests = sandbox.requests_since(mark)

    assert_ok(run)
    assert mutating(requests) == []
    assert [r["task"] for r in run.results if r["result"].get("changed")] == []
    # Step 1 once per target; no step that changes or proves anything ran (step 1's answers are the proof).
    assert len(run.task(READ_ONLY_TASKS[1])["results"]) == 2
    role_tasks = [r["task"] for r in run.results if r["task"].startswith(ROLE) and not r["result"].get("skipped")]
    assert [t for t in role_tasks if "Validating arguments" not in t] == READ_ONLY_TASKS, role_tasks
    # One read per target and nothing else: every alias is on its target, so step 1 asks nobody who holds it and
    # lists nothing (CloudFront lets one resource hold a name); the DNS reads went to the nameservers.
    assert [(r["service"], r["operation"]) for r in requests] == [("cloudfront", "GetDistribution")] * 2, requests
    summary = summary_of(run)
    assert summary.count("plan:    none (already on the target)") == 3
    assert summary.count("proof:   VERIFIED - every authoritative nameserver leads") == 3, summary


def test_the_dns_mapping_gives_the_provider_its_options_through_the_dns_action_group(sandbox):
    """No CLOUDFLARE_* variable is set: the token and the API's address reach dns_cname_repoint only through
    cname_remediation_dns (module_defaults group/aliasguard.cloudfront.dns), and never show in the output."""
    situation = Situation.build(sandbox, "cloudflare")
    cloudflare = sandbox.endpoints["cloudflare"]
    dns = {"provider": "cloudflare", "api_token": cloudflare["api_token"], "base_url": cloudflare["base_url"]}
    aliases = [{"alias": situation.alias, "target_distribution_id": situation.target_id, "dns_zone": situation.zone}]

    run = run_playbook(PLAYBOOK, {"inclusion_aliases": aliases, "inclusion_dns": dns,
                                  "inclusion_nameservers": [situation.nameserver]}, env=sandbox.aws_env())

    assert_ok(run)
    assert cloudflare["api_token"] not in run.stdout + run.stderr
    repoint = run.task(ROLE + "Step 2: repoint DNS at the target (only from the values step 1 saw)")["results"]
    assert [item["item"]["provider"] for item in repoint] == ["cloudflare"]
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)
    assert "VERIFIED" in summary_of(run)
