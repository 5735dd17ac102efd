"""The interfaces users of community.dns and amazon.aws expect (issue 12), end to end through ansible-playbook.

- dns_cname_repoint takes ``record`` for ``name``, ``zone_name`` for ``zone`` and ``hosted_zone_id`` for ``zone_id``.
- The Cloudflare token comes from ``CLOUDFLARE_TOKEN`` when ``CLOUDFLARE_API_TOKEN`` is not set.
- ``aws_config`` reaches botocore: with every AWS request throttled, ``retries: {total_max_attempts: 2}`` makes
  exactly two requests (the default is ten), as the sandbox's request log shows, and the message counts them.

The tasks are written as a user writes them (the option names in the playbook), checked with independent clients.
"""

import os

import pytest
import yaml

from conftest import run_playbook
from repoint_helpers import ACCOUNT, ask, cloudflare_records, route53_values, sandbox_dns


def repoint_playbook(directory, options):
    """A playbook of one dns_cname_repoint task with exactly these options, as a user would type them."""
    path = os.path.join(str(directory), "repoint.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump([{"name": "Interfaces users expect", "hosts": "localhost", "gather_facts": False,
                         "tasks": [{"name": "Repoint", "aliasguard.cloudfront.dns_cname_repoint": options}]}],
                       handle, sort_keys=False)
    return path


@pytest.fixture(autouse=True)
def faults_off(sandbox):
    sandbox.faults(off=True)
    yield
    sandbox.faults(off=True)


def test_route53_with_record_zone_name_hosted_zone_id_and_aws_config(sandbox, tmp_path):
    seed = sandbox.scenario("seed-409")
    options = {"provider": "route53", "record": "www.example.com", "zone_name": "example.com",
               "hosted_zone_id": seed["dns"]["zone_id"], "target": seed["target_distribution_id"],
               "aws_config": {"connect_timeout": 5, "read_timeout": 30, "retries": {"total_max_attempts": 2}}}
    playbook = repoint_playbook(tmp_path, options)

    # Every AWS request throttled: aws_config's two attempts, not the default ten, and nothing written.
    mark = sandbox.log_mark()
    sandbox.faults(throttle=1.0, seed=3)
    try:
        throttled = run_playbook(playbook, env=sandbox.aws_env(ACCOUNT))
    finally:
        sandbox.faults(off=True)
    sent = sandbox.requests_since(mark)
    result = throttled.task("Repoint")
    assert result.get("failed") is True, result
    assert "after 2 attempts" in result["msg"], result["msg"]
    assert len(sent) == 2, sent
    assert all(entry.get("fault") and entry["status"] == 400 and not entry["mutating"] for entry in sent), sent
    assert len({(entry["service"], entry["operation"]) for entry in sent}) == 1, sent  # one call, tried twice
    assert route53_values(sandbox, seed["dns"]["zone_id"], "www.example.com", "CNAME") == \
        [seed["holder"]["domain_name"]]

    # The same task without faults does the work.
    run = run_playbook(playbook, env=sandbox.aws_env(ACCOUNT))
    result = run.task("Repoint")
    assert run.returncode == 0, result
    assert result["changed"] is True
    assert [(r["name"], r["zone"]) for r in result["records"]] == [("www.example.com", "example.com")]
    new = seed["target_domain_name"]
    assert route53_values(sandbox, seed["dns"]["zone_id"], "www.example.com", "CNAME") == [new]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [new])


def test_cloudflare_token_from_cloudflare_token_with_record_and_zone_name(sandbox, tmp_path):
    scenario = sandbox.scenario("cloudflare")
    token = sandbox.endpoints["cloudflare"]["api_token"]
    env = dict(sandbox.aws_env(ACCOUNT), CLOUDFLARE_TOKEN=token,
               CLOUDFLARE_BASE_URL=sandbox.endpoints["cloudflare"]["base_url"])
    playbook = repoint_playbook(tmp_path, {
        "provider": "cloudflare", "records": [{"record": "www.example.com", "zone_name": "example.com"}],
        "target": scenario["target_distribution_id"]})

    run = run_playbook(playbook, env=env)

    result = run.task("Repoint")
    assert run.returncode == 0, result
    assert result["changed"] is True
    new = scenario["target_domain_name"]
    records = cloudflare_records(sandbox, scenario["dns"]["zone_id"], "www.example.com")
    assert [(r["type"], r["content"]) for r in records] == [("CNAME", new)]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [new])
    assert token not in run.stdout + run.stderr
