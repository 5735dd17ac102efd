"""What the remediation can know before its first change, it refuses before its first change.

Each of these used to be found only after the move's TXT record had been created (two mutating
requests for a refusal). Now step 1 reports the target's certificate and what DNS could be read,
the plan refuses, and the request log shows no mutating request at all. Where only AWS can say no
(an enabled holder in another account), the summary says that the TXT record was created for the
try and removed again.
"""

from sandbox.scenarios import certificate, cname, create_distribution, hosted_zone, route53_change
from test_remediate import Situation, distributions, failure_of, mutating, snapshot, summary_of


def _held_in_account(sandbox, target_cert_names=None):
    """www.example.com held by OLD in account 1, DNS at OLD; NEW has a certificate for ``target_cert_names``
    (or CloudFront's default certificate when None)."""
    sandbox.reset()
    cf, route53, acm = sandbox.aws("cloudfront"), sandbox.aws("route53"), sandbox.aws("acm")
    old = create_distribution(cf, "refuse-old", aliases=["www.example.com"],
                              cert_arn=certificate(acm, "example.com", ["*.example.com"]))
    new_cert = certificate(acm, target_cert_names[0], target_cert_names[1:]) if target_cert_names else None
    new = create_distribution(cf, "refuse-new", cert_arn=new_cert)
    route53_change(route53, hosted_zone(route53, "example.com"), [cname("www.example.com", old["domain_name"])])
    return Situation(sandbox, "www.example.com", new["id"], new["domain_name"], "route53", "example.com",
                     {"holder": {"distribution_id": old["id"]}})


def _assert_refused_before_any_change(sandbox, situation, run, requests, before, words):
    assert run.returncode != 0
    assert words in failure_of(run), failure_of(run)
    assert mutating(requests) == []
    assert snapshot(sandbox, situation) == before
    assert "Nothing was changed" in summary_of(run)


def test_a_move_to_a_target_whose_certificate_does_not_cover_the_alias_changes_nothing(sandbox):
    situation = _held_in_account(sandbox, ["example.org"])
    before = snapshot(sandbox, situation)

    run, requests = situation.run()

    _assert_refused_before_any_change(sandbox, situation, run, requests, before,
                                      "covers example.org but not www.example.com")


def test_a_move_to_a_target_with_the_default_certificate_changes_nothing(sandbox):
    situation = _held_in_account(sandbox, None)
    before = snapshot(sandbox, situation)

    run, requests = situation.run()

    _assert_refused_before_any_change(sandbox, situation, run, requests, before,
                                      "default *.cloudfront.net certificate")


def test_unreachable_verify_nameservers_change_nothing(sandbox):
    situation = Situation.build(sandbox, "seed-409")
    before = snapshot(sandbox, situation)

    # Nothing listens on port 9 (discard) of the loopback: the nameserver never answers.
    run, requests = situation.run(situation.extra_vars(verify_nameservers=["127.0.0.1:9"]))

    _assert_refused_before_any_change(sandbox, situation, run, requests, before, "127.0.0.1:9")
    assert "verify_nameservers" in failure_of(run)


def test_a_negative_verify_timeout_is_refused_before_any_request(sandbox):
    situation = Situation.build(sandbox, "seed-409")

    run, requests = situation.run(situation.extra_vars(verify_timeout=-5))

    assert run.returncode != 0
    assert "verify_timeout must be 0 or more seconds" in failure_of(run)
    assert requests == []


def test_an_enabled_holder_in_another_account_says_the_txt_record_was_created_and_removed(sandbox):
    situation = Situation.build(sandbox, "cross-account", holder_disabled=False)

    run, requests = situation.run()

    assert run.returncode != 0
    summary = summary_of(run)
    assert ("Only the TXT record that AssociateAlias checks (_www.example.com) was created for the move and "
            "removed again when it stopped; nothing else was changed.") in summary
    assert [(r["operation"], r["status"]) for r in mutating(requests)] == [
        ("ChangeResourceRecordSets", 200), ("AssociateAlias", 400), ("ChangeResourceRecordSets", 200)]
    assert situation.alias in distributions(sandbox)[situation.info["holder"]["distribution_id"]]["aliases"]
