"""The remediation playbook in every scenario of the sandbox: converges, proves, is idempotent; check mode first.

Apart from tests/integration/test_remediate.py (whose helpers these use) so that CI's workers can run the two
files side by side: each is among the longest of the suite.
"""

import re

import pytest

from sandbox.scenarios import ACCOUNT_2
from test_remediate import (
    SCENARIOS,
    Situation,
    assert_409_gone,
    assert_alias_only_on_target,
    assert_dns_at_target,
    assert_nothing_changed,
    assert_ok,
    assert_txt_gone,
    mutating,
    snapshot,
    step,
    summary_of,
)


CONFLICT_QUERIES = ("ListDomainConflicts", "ListConflictingAliases")
# Who holds the alias, asked by step 1 only where this account's listing does not show a distribution holding it
# exactly: there the listing page that names where its DNS CNAME leads answers it too (one resource holds a name).
# The apex's DNS answers with addresses, which name no distribution, so no page is read before it is asked about.
STEP1_CONFLICT_QUERIES = {
    "seed-409": [],
    "cross-account-disabled": ["ListDomainConflicts"],
    "wildcard": ["ListDomainConflicts"],
    "apex": ["ListDomainConflicts"],
    "cloudflare": [],
    "rfc2136": [],
}


# -- every scenario ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_remediate_converges_proves_and_is_idempotent(slow_sandbox, scenario):
    """Every scenario, where deployments take 3 s and CloudFront's DNS check caches for TTL x 0.01 s."""
    sandbox = slow_sandbox
    name, options = SCENARIOS[scenario]
    situation = Situation.build(sandbox, name, **options)
    assert situation.info["error"]["code"] == "CNAMEAlreadyExists" and situation.info["error"]["status"] == 409
    holder = situation.info["holder"]

    run, requests = situation.run()
    assert_ok(run)

    # The alias is on the target only (the wildcard holder keeps its wildcard), DNS leads to the target,
    # the TXT record AssociateAlias needed is gone.
    keep = [(holder["distribution_id"], holder["alias"])] if "alias" in holder else []
    assert_alias_only_on_target(sandbox, situation, keep)
    assert_dns_at_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)
    # Another account is never touched.
    assert [r for r in mutating(requests) if r.get("account") == ACCOUNT_2] == []
    # Step 1 asked at most once who holds the alias; the move took its answer (expected_holders) and did not ask
    # again.
    assert [r["operation"] for r in requests if r["operation"] in CONFLICT_QUERIES] == STEP1_CONFLICT_QUERIES[scenario]

    summary = summary_of(run)
    assert situation.alias in summary and situation.target_id in summary
    assert "VERIFIED" in summary

    again, requests = situation.run()
    assert_ok(again)
    assert_nothing_changed(again, requests)
    assert "changed: nothing" in summary_of(again) and "VERIFIED" in summary_of(again)
    # The alias is on its target now: step 1 reads the target and asks nobody who holds the name. (Step 2 still
    # lists the account where step 1 saw only addresses - the apex - to check the target it would write.)
    assert [r["operation"] for r in requests if r["operation"] in CONFLICT_QUERIES] == []

    assert_409_gone(sandbox, situation)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_check_mode_prints_the_plan_and_sends_no_change(sandbox, scenario):
    name, options = SCENARIOS[scenario]
    situation = Situation.build(sandbox, name, **options)
    before = snapshot(sandbox, situation)

    run, requests = situation.run(check=True, diff=True)
    assert_ok(run)
    assert mutating(requests) == []
    assert snapshot(sandbox, situation) == before

    summary = summary_of(run)
    assert "check mode: nothing was changed" in summary
    assert "repoint %s" % situation.alias in summary
    assert situation.target_domain in summary
    if scenario == "wildcard":
        assert "add %s to %s" % (situation.alias, situation.target_id) in summary
    else:
        holder = situation.info["holder"]["distribution_id"]
        # Another account's id comes back partly hidden (leading '*', of no fixed width); its end is visible.
        shown = r"\*+[A-Z0-9]*%s" % re.escape(holder[-6:]) if situation.info["holder"]["account_id"] == ACCOUNT_2 else holder
        assert re.search(r"move %s from %s to %s" % (re.escape(situation.alias), shown, situation.target_id), summary)
        assert "create TXT _" in summary and "remove TXT _" in summary
    # --diff shows the DNS change before it is made.
    repoint = step(run, "Step 2: repoint DNS at the target (only from the values step 1 saw)")
    assert repoint["changed"] and repoint["results"][0]["diff"]
