"""The module base (plugins/module_utils/_module.py) as a user sees it, end to end through ansible-playbook.

Every result carries ``resource_actions`` - the ``service:Operation`` of every AWS call sent, which is what an
IAM policy must allow - in check mode and on failure too; a failure carries ``error_code`` and AWS's
``response_metadata``. Checked against the sandbox's own request log, not against the module's counters.
"""

import os

import pytest
import yaml

from conftest import run_playbook
from repoint_helpers import ACCOUNT


def playbook(directory, options):
    path = os.path.join(str(directory), "repoint.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump([{"name": "Module base", "hosts": "localhost", "gather_facts": False,
                         "tasks": [{"name": "Repoint", "aliasguard.cloudfront.dns_cname_repoint": options}]}],
                       handle, sort_keys=False)
    return path


def actions_of(entries):
    return sorted(set("%s:%s" % (entry["service"], entry["operation"]) for entry in entries))


@pytest.fixture(autouse=True)
def faults_off(sandbox):
    sandbox.faults(off=True)
    yield
    sandbox.faults(off=True)


@pytest.fixture
def seed(sandbox):
    return sandbox.scenario("seed-409", distributions=20)


def test_check_mode_reports_the_iam_actions_the_sandbox_saw_and_sends_no_write(sandbox, seed, tmp_path):
    options = {"provider": "route53", "name": "www.example.com", "zone": "example.com",
               "target": seed["target_distribution_id"]}
    mark = sandbox.log_mark()
    run = run_playbook(playbook(tmp_path, options), env=sandbox.aws_env(ACCOUNT), check=True)
    sent = sandbox.requests_since(mark)
    result = run.task("Repoint")
    assert result.get("changed") is True and not result.get("failed"), result
    assert sent and not [entry for entry in sent if entry["mutating"]], sent
    assert result["resource_actions"] == actions_of(sent)
    assert "route53:ListResourceRecordSets" in result["resource_actions"]
    assert sum(result["requests"].values()) == len(sent), (result["requests"], sent)


def test_a_failure_carries_the_error_code_aws_response_metadata_and_the_actions_tried(sandbox, seed, tmp_path):
    options = {"provider": "route53", "name": "www.example.com", "zone": "example.com",
               "target": seed["target_distribution_id"], "aws_config": {"retries": {"total_max_attempts": 2}}}
    mark = sandbox.log_mark()
    sandbox.faults(throttle=1.0, seed=5)
    try:
        run = run_playbook(playbook(tmp_path, options), env=sandbox.aws_env(ACCOUNT))
    finally:
        sandbox.faults(off=True)
    sent = sandbox.requests_since(mark)
    result = run.task("Repoint")
    assert result.get("failed") is True, result
    assert result["error_code"] == "Throttling", result
    assert result["response_metadata"]["http_status_code"] == 400, result
    assert result["resource_actions"] == actions_of(sent) and len(result["resource_actions"]) == 1, (result, sent)
