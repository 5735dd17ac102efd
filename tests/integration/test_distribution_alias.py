"""Step 3, cloudfront_distribution_alias, run by real ansible-playbook against the sandbox.

The final state is read back with plain boto3; the request log shows what was sent.
"""


import pytest
from sandbox.scenarios import create_distribution
from steps_helpers import (
    ACCOUNT_1,
    ACCOUNT_2,
    BeforeGetDistributionProxy,
    ConcurrentEditProxy,
    FailAfterChangeProxy,
    add_alias_with_boto3,
    aliases_of,
    change_aliases,
    count,
    create_txt_challenge,
    distribution_config,
    route53_upsert,
    set_comment,
    successful_mutations,
    when_logged,
    without_aliases,
)


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


# -- present, absent, moved ------------------------------------------------------------------


def test_present_adds_the_alias_and_changes_nothing_else(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    before, unused = distribution_config(sandbox, target)
    mark = sandbox.log_mark()
    result = ok(change_aliases(sandbox, target, ["Shop.Example.com."]))

    after, unused = distribution_config(sandbox, target)
    assert after["Aliases"] == {"Quantity": 1, "Items": ["shop.example.com"]}
    assert without_aliases(after) == without_aliases(before)
    assert result["changed"] is True
    assert result["added"] == ["shop.example.com"] and result["removed"] == []
    assert result["aliases"] == ["shop.example.com"]
    assert result["domain_name"] == s["target_domain_name"]
    assert [e["operation"] for e in sandbox.mutating_since(mark)] == ["UpdateDistribution"]


def test_absent_removes_only_that_alias(sandbox):
    s = sandbox.scenario("seed-409")
    holder = s["holder"]["distribution_id"]
    add_alias_with_boto3(sandbox, holder, "old.example.com")
    before, unused = distribution_config(sandbox, holder)
    result = ok(change_aliases(sandbox, holder, ["www.example.com"], state="absent"))

    after, unused = distribution_config(sandbox, holder)
    assert after["Aliases"]["Items"] == ["old.example.com"]
    assert without_aliases(after) == without_aliases(before)
    assert result["changed"] is True and result["removed"] == ["www.example.com"]
    assert result["aliases"] == ["old.example.com"]


def test_moved_takes_the_alias_from_its_holder_with_associate_alias(sandbox):
    s = sandbox.scenario("seed-409")
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
    mark = sandbox.log_mark()
    result = ok(change_aliases(sandbox, target, ["www.example.com"], state="moved"))

    assert aliases_of(sandbox, target) == ["www.example.com"]
    assert aliases_of(sandbox, holder) == []
    assert result["changed"] is True
    [moved] = result["moved"]
    assert moved["alias"] == "www.example.com"
    assert moved["from"] == {"distribution_id": holder, "account_id": ACCOUNT_1, "masked": False, "in_account": True,
                             "resource_type": "distribution", "enabled": True}
    # Between standard distributions AssociateAlias is the call, and the result says why.
    assert moved["operation"] == "AssociateAlias" and "needs no ETag" in moved["why"]
    # One step, no UpdateDistribution on either side.
    assert [e["operation"] for e in sandbox.mutating_since(mark)] == ["AssociateAlias"]


def test_a_move_given_the_holder_step_1_found_does_not_ask_again(sandbox):
    """expected_holders (what the cname_remediation role passes): check mode reports the move, the move sends
    AssociateAlias after one GetDistribution, and a second run sees the alias on the target - no conflict query
    and no listing in any of the three."""
    s = sandbox.scenario("seed-409")
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
    # As step 1 reports it (cloudfront_alias_conflict_info's holders[] entry, extra keys and all).
    step1 = {"alias": "www.example.com", "distribution_id": holder, "account_id": ACCOUNT_1, "masked": True,
             "in_account": True, "overlap": "exact", "resource_type": "distribution", "enabled": True,
             "domain_name": s["holder"]["domain_name"], "status": "Deployed", "aliases": ["www.example.com"]}
    expected = {"WWW.example.com.": step1}
    conflict_queries = ("ListDomainConflicts", "ListConflictingAliases", "ListDistributions")

    mark = sandbox.log_mark()
    checked = ok(change_aliases(sandbox, target, ["www.example.com"], state="moved", check=True,
                                expected_holders=expected))
    assert checked["changed"] is True and aliases_of(sandbox, holder) == ["www.example.com"]
    assert checked["moved"][0]["operation"] == "AssociateAlias"
    assert sandbox.mutating_since(mark) == []

    mark = sandbox.log_mark()
    result = ok(change_aliases(sandbox, target, ["www.example.com"], state="moved", expected_holders=expected))
    entries = sandbox.requests_since(mark)
    assert [e["operation"] for e in entries if e["operation"] in conflict_queries] == []
    assert [e["operation"] for e in sandbox.mutating_since(mark)] == ["AssociateAlias"]
    assert aliases_of(sandbox, target) == ["www.example.com"] and aliases_of(sandbox, holder) == []
    [moved] = result["moved"]
    assert moved == checked["moved"][0]
    assert moved["from"] == {"distribution_id": holder, "account_id": ACCOUNT_1, "masked": True, "in_account": True,
                             "resource_type": "distribution", "enabled": True}

    mark = sandbox.log_mark()
    again = ok(change_aliases(sandbox, target, ["www.example.com"], state="moved", expected_holders=expected))
    assert again["changed"] is False and again["moved"] == []
    assert sandbox.mutating_since(mark) == []
    assert [e["operation"] for e in sandbox.requests_since(mark) if e["operation"] in conflict_queries] == []


def test_a_holder_that_changed_since_step_1_is_named_as_it_is_now(sandbox):
    """Step 1 saw the alias on a distribution of this account; by the move it is on an enabled distribution of
    another account. AssociateAlias refuses (IllegalUpdate), and the message names the holder of now, not the one
    it was given, and says that it changed."""
    s = sandbox.scenario("cross-account")
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    gone = create_distribution(sandbox.aws("cloudfront"), "moved-away")["id"]
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
    expected = {"www.example.com": {"distribution_id": gone, "in_account": True, "resource_type": "distribution"}}
    mark = sandbox.log_mark()
    result = change_aliases(sandbox, target, ["www.example.com"], state="moved", expected_holders=expected,
                            txt_wait_timeout=0)

    assert result["failed"] is True
    msg = result["msg"]
    assert "IllegalUpdate" in msg and "*******" + holder[-7:] in msg and "another AWS account" in msg
    assert "Step 1 found distribution %s in this account" % gone in msg and "changed since" in msg
    assert result["changed"] is False and result["moved"] == []
    assert successful_mutations(sandbox.requests_since(mark)) == []
    assert aliases_of(sandbox, target) == []
    assert aliases_of(sandbox, holder, account=ACCOUNT_2) == ["www.example.com"]


@pytest.mark.parametrize("options,expected", [
    ({"alias_state": "present", "expected_holders": {"www.example.com": None}}, "needs state=moved"),
    ({"alias_state": "moved", "expected_holders": {"www.example.com": {"distribution_id": "E1"}}},
     "at least distribution_id and in_account"),
    ({"alias_state": "moved", "expected_holders": {"shop.example.com": None}}, "not one of the aliases"),
], ids=["not-a-move", "no-in-account", "another-alias"])
def test_bad_expected_holders_fail_before_any_request(sandbox, options, expected):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    result = change_aliases(sandbox, s["target_distribution_id"], ["www.example.com"], **options)

    assert result["failed"] is True and expected in result["msg"]
    assert sandbox.requests_since(mark) == []


# -- idempotency, check mode, diff --------------------------------------------------------------


def test_second_present_run_reports_no_change_and_sends_no_mutating_request(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    ok(change_aliases(sandbox, target, ["shop.example.com", "api.example.com"]))
    mark = sandbox.log_mark()
    # Another order, another case: the same set of aliases.
    again = ok(change_aliases(sandbox, target, ["API.example.com", "shop.example.com"]))

    assert again["changed"] is False
    assert sorted(again["aliases"]) == ["api.example.com", "shop.example.com"]
    assert sandbox.mutating_since(mark) == []


def test_second_moved_run_reports_no_change_and_sends_no_mutating_request(sandbox):
    s = sandbox.scenario("seed-409")
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
    ok(change_aliases(sandbox, s["target_distribution_id"], ["www.example.com"], state="moved"))
    mark = sandbox.log_mark()
    again = ok(change_aliases(sandbox, s["target_distribution_id"], ["www.example.com"], state="moved"))

    assert again["changed"] is False and again["moved"] == []
    assert sandbox.mutating_since(mark) == []


def test_second_absent_run_reports_no_change_and_sends_no_mutating_request(sandbox):
    s = sandbox.scenario("seed-409")
    holder = s["holder"]["distribution_id"]
    ok(change_aliases(sandbox, holder, ["www.example.com"], state="absent"))
    mark = sandbox.log_mark()
    again = ok(change_aliases(sandbox, holder, ["WWW.example.com."], state="absent"))

    assert again["changed"] is False and again["removed"] == []
    assert sandbox.mutating_since(mark) == []


def test_check_mode_reports_the_plan_and_sends_no_mutating_request(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    mark = sandbox.log_mark()
    result = ok(change_aliases(sandbox, target, ["shop.example.com"], check=True))

    assert result["changed"] is True
    assert result["added"] == ["shop.example.com"]
    assert result["aliases"] == ["shop.example.com"]
    assert aliases_of(sandbox, target) == []
    assert sandbox.requests_since(mark), "check mode read nothing"
    assert sandbox.mutating_since(mark) == []


def test_check_mode_of_a_move_names_the_holder_and_moves_nothing(sandbox):
    s = sandbox.scenario("seed-409")
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
    mark = sandbox.log_mark()
    result = ok(change_aliases(sandbox, s["target_distribution_id"], ["www.example.com"], state="moved",
                               check=True))

    assert result["changed"] is True
    assert result["moved"][0]["from"]["distribution_id"] == s["holder"]["distribution_id"]
    assert aliases_of(sandbox, s["holder"]["distribution_id"]) == ["www.example.com"]
    assert sandbox.mutating_since(mark) == []


def test_diff_shows_the_alias_lists_before_and_after(sandbox):
    s = sandbox.scenario("seed-409")
    holder = s["holder"]["distribution_id"]
    result = ok(change_aliases(sandbox, holder, ["shop.example.com", "api.example.com"], diff=True))

    assert result["diff"] == {"before": {"aliases": ["www.example.com"]},
                              "after": {"aliases": ["api.example.com", "shop.example.com", "www.example.com"]}}


# -- a concurrent edit ---------------------------------------------------------------------------


def test_stale_etag_is_read_again_and_the_concurrent_edit_is_kept(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]

    def someone_else_edits():
        set_comment(sandbox, target, "edited by someone else")

    mark = sandbox.log_mark()
    with ConcurrentEditProxy(sandbox.endpoints["aws"]["endpoint_url"], target, someone_else_edits) as proxy:
        result = ok(change_aliases(sandbox, target, ["shop.example.com"], endpoint_url=proxy.url))

    assert proxy.edits == 1
    assert result["precondition_retries"] == 1
    config, unused = distribution_config(sandbox, target)
    assert config["Comment"] == "edited by someone else"
    assert config["Aliases"]["Items"] == ["shop.example.com"]
    updates = [(e["account"], e["status"]) for e in sandbox.requests_since(mark)
               if e["operation"] == "UpdateDistribution"]
    # The other edit (200), the module's stale If-Match (412), the module again after a fresh read (200).
    assert updates == [(ACCOUNT_1, 200), (ACCOUNT_1, 412), (ACCOUNT_1, 200)]


# -- refusals before any update ---------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["www.example.org", "a.b.example.com"])
def test_alias_outside_the_certificate_is_refused_before_any_update(sandbox, alias):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    result = change_aliases(sandbox, s["target_distribution_id"], [alias])

    assert result["failed"] is True
    assert "certificate" in result["msg"] and "but not %s" % alias in result["msg"]
    assert "*.example.com" in result["msg"]
    assert sandbox.mutating_since(mark) == []
    assert aliases_of(sandbox, s["target_distribution_id"]) == []


def test_default_certificate_is_refused_before_any_update(sandbox):
    sandbox.scenario("seed-409")
    bare = create_distribution(sandbox.aws("cloudfront"), "no-certificate")
    mark = sandbox.log_mark()
    result = change_aliases(sandbox, bare["id"], ["shop.example.com"])

    assert result["failed"] is True
    assert "default *.cloudfront.net certificate" in result["msg"]
    assert "ACM certificate" in result["msg"]
    assert sandbox.mutating_since(mark) == []


def test_more_aliases_than_a_given_quota_are_refused_before_any_update(sandbox):
    # The module no longer assumes CloudFront's default of 100 (an account's quota can be raised): only a quota the
    # user gives is checked before calling AWS; without one, CloudFront answers (test_documented_aws_behaviour.py).
    s = sandbox.scenario("seed-409")
    names = ["q%03d.example.com" % n for n in range(101)]
    mark = sandbox.log_mark()
    result = change_aliases(sandbox, s["target_distribution_id"], names, alias_quota=100)

    assert result["failed"] is True
    assert "101 aliases" in result["msg"] and "quota of 100" in result["msg"]
    assert sandbox.mutating_since(mark) == []


def test_malformed_distribution_id_fails_before_any_request(sandbox):
    sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    result = change_aliases(sandbox, "not-an-id", ["shop.example.com"])

    assert result["failed"] is True
    assert "does not look like a CloudFront distribution id" in result["msg"]
    assert sandbox.requests_since(mark) == []


# -- AWS refusals, explained --------------------------------------------------------------------------


def test_cname_already_exists_for_dns_says_repoint_and_names_the_holder(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    result = change_aliases(sandbox, target, ["www.example.com"])

    assert result["failed"] is True
    msg = result["msg"]
    assert "CNAMEAlreadyExists" in msg and "DNS" in msg
    assert "Repoint the DNS record to %s" % s["target_domain_name"] in msg
    assert s["holder"]["distribution_id"] in msg
    assert result["changed"] is False
    assert aliases_of(sandbox, target) == []


def test_cname_already_exists_for_dns_names_a_holder_in_another_account(sandbox):
    s = sandbox.scenario("cross-account")
    holder = s["holder"]["distribution_id"]
    result = change_aliases(sandbox, s["target_distribution_id"], ["www.example.com"])

    assert result["failed"] is True
    msg = result["msg"]
    assert "Repoint the DNS record to %s" % s["target_domain_name"] in msg
    assert "*******" + holder[-7:] in msg and "another AWS account" in msg  # AWS shows the last 7 characters


def test_cname_already_exists_for_a_holder_names_it_and_says_move(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    # DNS already points at the target: only the holder stands in the way now.
    route53_upsert(sandbox, s["dns"]["zone_id"], "www.example.com", "CNAME", [s["target_domain_name"]])
    sandbox.wait_out_dns_check_cache()
    result = change_aliases(sandbox, target, ["www.example.com"])

    assert result["failed"] is True
    msg = result["msg"]
    assert "already held by distribution %s in this account (%s)" % (s["holder"]["distribution_id"], ACCOUNT_1) in msg
    assert "CNAMEAlreadyExists" in msg and "state=moved" in msg
    assert "_www.example.com = %s" % s["target_domain_name"] in msg
    assert aliases_of(sandbox, target) == []


def test_move_from_an_enabled_distribution_of_another_account_is_explained(sandbox):
    s = sandbox.scenario("cross-account")
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
    result = change_aliases(sandbox, target, ["www.example.com"], state="moved")

    assert result["failed"] is True
    msg = result["msg"]
    assert "IllegalUpdate" in msg and "another AWS account" in msg and "disable" in msg
    masked = "*******" + holder[-7:]  # AWS shows the last 7 characters
    assert masked in msg
    assert result["changed"] is False and result["moved"] == []
    assert aliases_of(sandbox, target) == []
    assert aliases_of(sandbox, holder, account=ACCOUNT_2) == ["www.example.com"]


def test_move_from_a_disabled_distribution_of_another_account_succeeds(sandbox):
    s = sandbox.scenario("cross-account", holder_disabled=True)
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
    result = ok(change_aliases(sandbox, target, ["www.example.com"], state="moved"))

    assert result["changed"] is True
    assert result["moved"][0]["from"]["masked"] is True
    assert aliases_of(sandbox, target) == ["www.example.com"]
    assert aliases_of(sandbox, holder, account=ACCOUNT_2) == []


def test_move_without_the_txt_record_says_which_record_to_create(sandbox):
    s = sandbox.scenario("seed-409")
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    mark = sandbox.log_mark()
    # txt_wait_timeout=0: ask once (the default waits two minutes for the record to become visible).
    result = change_aliases(sandbox, target, ["www.example.com"], state="moved", txt_wait_timeout=0)

    assert result["failed"] is True
    assert "TXT record _www.example.com with the value %s" % s["target_domain_name"] in result["msg"]
    assert result["changed"] is False
    assert successful_mutations(sandbox.requests_since(mark)) == []
    assert aliases_of(sandbox, holder) == ["www.example.com"]
    assert aliases_of(sandbox, target) == []


# -- waiting ---------------------------------------------------------------------------------------------


def test_wait_returns_once_the_distribution_is_deployed(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    mark = sandbox.log_mark()
    result = ok(change_aliases(sandbox, target, ["shop.example.com"], wait_deployed=True, wait_timeout=60))

    assert result["deployed"] is True
    entries = sandbox.requests_since(mark)
    update_at = [i for i, e in enumerate(entries) if e["operation"] == "UpdateDistribution"][0]
    assert count(entries[update_at:], "GetDistribution") >= 1
    status = sandbox.aws("cloudfront").get_distribution(Id=target)["Distribution"]["Status"]
    assert status == "Deployed"


# -- the TXT record AssociateAlias needs ---------------------------------------------------------------


def test_move_waits_for_a_txt_record_cloudfront_does_not_see_yet(sandbox):
    s = sandbox.scenario("seed-409")
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    mark = sandbox.log_mark()

    def create_the_record():
        create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])

    # The record appears two seconds after CloudFront first refused the move for want of it.
    creator = when_logged(sandbox, mark, "AssociateAlias", create_the_record, delay=2, status=400)
    result = ok(change_aliases(sandbox, target, ["www.example.com"], state="moved"))
    creator.join(10)

    assert creator.done.is_set()
    assert result["changed"] is True and result["aliases"] == ["www.example.com"]
    assert aliases_of(sandbox, target) == ["www.example.com"] and aliases_of(sandbox, holder) == []
    attempts = [e["status"] for e in sandbox.requests_since(mark) if e["operation"] == "AssociateAlias"]
    assert len(attempts) > 1, attempts
    assert attempts[-1] == 200 and all(status == 400 for status in attempts[:-1])


def test_move_gives_up_after_txt_wait_timeout_and_says_so(sandbox):
    s = sandbox.scenario("seed-409")
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    mark = sandbox.log_mark()
    result = change_aliases(sandbox, target, ["www.example.com"], state="moved", txt_wait_timeout=2)

    assert result["failed"] is True and result["changed"] is False
    attempts = count(sandbox.requests_since(mark), "AssociateAlias")
    assert attempts >= 2
    assert "TXT record _www.example.com with the value %s" % s["target_domain_name"] in result["msg"]
    assert "after %d attempts" % attempts in result["msg"] and "txt_wait_timeout" in result["msg"]
    assert aliases_of(sandbox, holder) == ["www.example.com"] and aliases_of(sandbox, target) == []


def test_apex_move_messages_name_the_txt_record_inside_the_zone(sandbox):
    s = sandbox.scenario("apex")
    result = change_aliases(sandbox, s["target_distribution_id"], ["example.com"], state="moved", txt_wait_timeout=0)

    assert result["failed"] is True
    assert "TXT record _example.com with the value %s" % s["target_domain_name"] in result["msg"]
    assert "or _.example.com if example.com is the apex of its zone" in result["msg"]


def test_apex_move_with_the_txt_record_inside_the_zone_succeeds(sandbox):
    s = sandbox.scenario("apex")
    target = s["target_distribution_id"]
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "example.com", s["target_domain_name"], name="_.example.com")
    result = ok(change_aliases(sandbox, target, ["example.com"], state="moved", txt_wait_timeout=0))

    assert result["changed"] is True and aliases_of(sandbox, target) == ["example.com"]


def test_negative_txt_wait_timeout_fails_before_any_request(sandbox):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    result = change_aliases(sandbox, s["target_distribution_id"], ["www.example.com"], state="moved",
                            txt_wait_timeout=-1)

    assert result["failed"] is True and "txt_wait_timeout must be zero or more" in result["msg"]
    assert sandbox.requests_since(mark) == []


# -- a failure after the change was made ------------------------------------------------------------------


@pytest.mark.parametrize("state", ["present", "absent", "moved"])
def test_failure_while_waiting_still_reports_the_change_that_was_made(sandbox, state):
    s = sandbox.scenario("seed-409")
    target, holder = s["target_distribution_id"], s["holder"]["distribution_id"]
    if state == "moved":
        create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
        changed_id, alias, expected = target, "www.example.com", ["www.example.com"]
    elif state == "absent":
        changed_id, alias, expected = holder, "www.example.com", []
    else:
        changed_id, alias, expected = target, "shop.example.com", ["shop.example.com"]
    # Once the change has gone through, GetDistribution (the wait's poll) is refused.
    with FailAfterChangeProxy(sandbox.endpoints["aws"]["endpoint_url"], changed_id) as proxy:
        result = change_aliases(sandbox, changed_id, [alias], state=state, endpoint_url=proxy.url,
                                wait_deployed=True, wait_timeout=60)

    assert proxy.changed and proxy.refused >= 1
    assert result["failed"] is True
    assert aliases_of(sandbox, changed_id) == expected
    # What the result says is what is there.
    assert result["changed"] is True
    assert sorted(result["aliases"]) == expected
    if state == "absent":
        assert result["removed"] == [alias] and result["added"] == []
    else:
        assert result["added"] == [alias] and result["removed"] == []
    if state == "moved":
        assert [(m["alias"], m["from"]["distribution_id"], m["from"]["in_account"], m["operation"])
                for m in result["moved"]] == [(alias, holder, True, "AssociateAlias")]
    else:
        assert result["moved"] == []
    msg = result["msg"]
    assert msg.startswith("The change itself was made")
    assert alias in msg and "waiting for %s to reach Deployed failed" % changed_id in msg
    assert "AccessDenied" in msg


def test_wait_timeout_after_a_change_says_the_change_was_made(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    result = change_aliases(sandbox, target, ["shop.example.com"], wait_deployed=True, wait_timeout=0)

    assert result["failed"] is True
    assert "did not reach Deployed within 0 seconds" in result["msg"]
    assert "the change itself was made (added: shop.example.com)" in result["msg"]
    assert result["changed"] is True and result["aliases"] == ["shop.example.com"]
    assert aliases_of(sandbox, target) == ["shop.example.com"]


def test_wait_timeout_without_a_change_does_not_claim_one(sandbox):
    s = sandbox.scenario("seed-409")
    holder = s["holder"]["distribution_id"]

    def someone_else_edits():
        set_comment(sandbox, holder, "edited by someone else")   # InProgress again, for half a second

    # The second GetDistribution is the wait's first poll (the first reads the domain name).
    with BeforeGetDistributionProxy(sandbox.endpoints["aws"]["endpoint_url"], holder, 2, someone_else_edits) as proxy:
        result = change_aliases(sandbox, holder, ["www.example.com"], endpoint_url=proxy.url,
                                wait_deployed=True, wait_timeout=0)

    assert proxy.seen == 2
    assert result["failed"] is True
    assert "did not reach Deployed within 0 seconds" in result["msg"]
    assert "change itself was made" not in result["msg"]
    assert "no alias change was needed" in result["msg"]
    assert result["changed"] is False and result["aliases"] == ["www.example.com"]
