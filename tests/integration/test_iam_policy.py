"""The committed least-privilege IAM policies (docs/iam/) are enough, are all used, and a missing action is named.

The sandbox enforces an identity policy on credentials made with ``sandbox.cli.iam_credentials``
(tests/sandbox/test_iam_enforcement.py shows it evaluates as IAM does). Three playbook runs:

- the runbook's remediation (seed-409) with credentials carrying exactly docs/iam/remediation-policy.json:
  converges (boto3 and dnspython say so), and calls exactly the actions docs/iam/actions.json records for it;
- the audit over both accounts, each with credentials carrying exactly docs/iam/audit-policy.json: succeeds,
  reads both accounts, calls exactly the recorded actions;
- the remediation with step 1's cloudfront:ListDistributions taken away: fails before any change, and the
  message names that permission.

The policies must equal the union of the actions recorded per case (nothing unused, nothing missing; a call
counts with the actions the generator gives it, the alternative it replaces included); when the collection's
calls change, ``make iam-policy`` regenerates all of docs/iam/.
"""

import json
import os
import sys

from conftest import ROOT, run_playbook
from sandbox import cli
from test_remediate import (
    ACCOUNT_1,
    ACCOUNT_2,
    PLAYBOOK,
    Situation,
    assert_alias_only_on_target,
    assert_dns_at_target,
    assert_ok,
    assert_txt_gone,
    failure_of,
    mutating,
)

DOCS = os.path.join(ROOT, "docs", "iam")
if os.path.join(ROOT, "scripts") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "scripts"))  # scripts/iam_policy.py: the generator's audit set-up


def committed(name):
    with open(os.path.join(DOCS, name), encoding="utf-8") as fh:
        return json.load(fh)


def policy_actions(name):
    (statement,) = committed(name)["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    return statement["Action"]


def actions_called(requests):
    """IAM actions of every AWS request, as the generator counts them (scripts/iam_policy.py)."""
    from iam_policy import iam_actions

    found = set()
    for r in requests:
        if r["service"] in ("cloudfront", "route53", "acm", "sts"):
            found.update(iam_actions(r["service"], r["operation"]))
    return sorted(found)


def restricted_env(sandbox, situation, policy, name):
    creds = cli.iam_credentials(sandbox.state_dir, ACCOUNT_1, name, policy)
    env = situation.env()
    env.update(AWS_ACCESS_KEY_ID=creds["access_key_id"], AWS_SECRET_ACCESS_KEY=creds["secret_access_key"])
    return env, creds


def run_remediation(sandbox, situation, env):
    mark = sandbox.log_mark()
    run = run_playbook(PLAYBOOK, situation.extra_vars(), env=env)
    return run, sandbox.requests_since(mark)


def test_the_policies_are_exactly_the_actions_recorded_per_case():
    recorded = committed("actions.json")
    for kind in ("remediation", "audit"):
        union = sorted({a for actions in recorded[kind].values() for a in actions})
        assert policy_actions("%s-policy.json" % kind) == union, "run make iam-policy"
        # Who holds a name is asked with ListDomainConflicts, or ListConflictingAliases where botocore (older than
        # 1.38.4), the endpoint or the credentials do not offer it: a policy made with one botocore works with both.
        assert {"cloudfront:ListDomainConflicts", "cloudfront:ListConflictingAliases"} <= set(union), kind


def test_the_generator_does_not_depend_on_the_installed_botocore():
    from iam_policy import iam_actions

    # Whichever of the two a run called, the actions are the same.
    assert sorted(iam_actions("cloudfront", "ListDomainConflicts")) == \
        sorted(iam_actions("cloudfront", "ListConflictingAliases")) == \
        ["cloudfront:ListConflictingAliases", "cloudfront:ListDomainConflicts"]


def test_the_runbook_remediation_succeeds_with_exactly_the_remediation_policy(sandbox):
    situation = Situation.build(sandbox, "seed-409")
    env, creds = restricted_env(sandbox, situation, committed("remediation-policy.json"), "remediation")

    run, requests = run_remediation(sandbox, situation, env)
    assert_ok(run)
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)
    aws = [r for r in requests if r["service"] in ("cloudfront", "route53", "acm", "sts")]
    assert aws and all(r.get("user") == creds["user_arn"] and "denied" not in r for r in aws)
    assert actions_called(requests) == committed("actions.json")["remediation"]["runbook move"], \
        "the remediation's calls changed: run make iam-policy"


def test_a_missing_permission_stops_the_run_before_any_change_and_is_named(sandbox):
    situation = Situation.build(sandbox, "seed-409")
    policy = committed("remediation-policy.json")
    # Step 1's index of the account's distributions: nothing can be planned without it. (A refused
    # ListDomainConflicts is not such a case: step 1 asks ListConflictingAliases instead, or, refused that
    # too, this account's own index, and says so in a warning.)
    policy["Statement"][0]["Action"].remove("cloudfront:ListDistributions")
    env, unused = restricted_env(sandbox, situation, policy, "no-listing")

    run, requests = run_remediation(sandbox, situation, env)
    assert run.returncode != 0
    assert mutating(requests) == []
    assert [r["denied"] for r in requests if "denied" in r] == ["cloudfront:ListDistributions"]
    message = failure_of(run)
    assert "lack permission for cloudfront:ListDistributions" in message
    assert "not allowed for these credentials; add it to their IAM policy" in message
    assert "docs/iam/remediation-policy.json" in message


def test_the_audit_succeeds_over_both_accounts_with_exactly_the_audit_policy(sandbox, tmp_path):
    from iam_policy import audit_inventory, audit_vars, build_audit_fleet

    build_audit_fleet(sandbox.state_dir)
    policy = committed("audit-policy.json")
    creds = {account: cli.iam_credentials(sandbox.state_dir, account, "auditor", policy)
             for account in (ACCOUNT_1, ACCOUNT_2)}
    inventory = audit_inventory(sandbox.endpoints, str(tmp_path / "accounts.yml"), credentials=creds)
    env = {"CLOUDFLARE_API_TOKEN": sandbox.endpoints["cloudflare"]["api_token"],
           "CLOUDFLARE_BASE_URL": sandbox.endpoints["cloudflare"]["base_url"]}
    mark = sandbox.log_mark()
    run = run_playbook("aliasguard.cloudfront.audit", audit_vars(sandbox.endpoints, str(tmp_path / "report")),
                       env=env, check=True, args=["-i", inventory])
    requests = sandbox.requests_since(mark)

    assert run.returncode == 0, failure_of(run) + run.stderr[-3000:]
    with open(tmp_path / "report" / "audit.json", encoding="utf-8") as fh:
        report = json.load(fh)
    assert sorted(a["account_id"] for a in report["accounts"]) == [ACCOUNT_1, ACCOUNT_2]
    assert report["findings"], "the fleet's planted problems were found"
    assert mutating(requests) == [] and [r for r in requests if "denied" in r] == []
    assert {r["user"] for r in requests if r["service"] == "cloudfront"} == {c["user_arn"] for c in creds.values()}
    assert actions_called(requests) == committed("actions.json")["audit"]["audit check mode"], \
        "the audit's calls changed: run make iam-policy"
