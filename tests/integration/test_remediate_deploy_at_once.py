"""Several targets deploy at once: the role changes every target, then waits (issue 11 (b)).

CloudFront deploys each distribution on its own, so a run that sends every target's change before it waits for
the first one waits about one deployment, not one per target. AWS's order still holds: "After the target
distribution is fully deployed, update your DNS configuration" (CloudFront Developer Guide, "Move an alternate
domain name"), so no DNS record moves before every target is Deployed.

Real ansible-playbook runs against the session's ``slow_sandbox`` (distributions stay InProgress 3 s after each
change); what was sent, and in which order, comes from the sandbox's request log.
"""

import json
import threading

from conftest import SLOW_DEPLOY_SECONDS
from sandbox.scenarios import certificate, cname, create_distribution, hosted_zone, route53_change
from test_remediate import (
    ROLE,
    WAIT_DEPLOYED,
    Situation,
    aliases_of,
    ask,
    assert_nothing_changed,
    assert_ok,
    failure_of,
    mutating,
    route53_records,
    step,
    summary_of,
)

DEPLOY_SECONDS = SLOW_DEPLOY_SECONDS  # slow_sandbox's
CHANGES = (("cloudfront", "UpdateDistribution"), ("cloudfront", "AssociateAlias"))


def _three_targets(sandbox, tmp_path):
    """www held by OLD1 and shop by OLD2 (DNS at them), to be moved to NEW1 and NEW2; api free with no record,
    to be added to NEW3 and then given a CNAME (an add that step 2 repoints next). Every distribution Deployed."""
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    old1 = create_distribution(cf, "at-once-old1", aliases=["www.example.com"], cert_arn=cert)
    old2 = create_distribution(cf, "at-once-old2", aliases=["shop.example.com"], cert_arn=cert)
    targets = [create_distribution(cf, "at-once-new%d" % n, cert_arn=cert) for n in (1, 2, 3)]
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", old1["domain_name"]),
                                      cname("shop.example.com", old2["domain_name"])])
    wanted = {"www.example.com": targets[0], "shop.example.com": targets[1], "api.example.com": targets[2]}
    aliases = tmp_path / "aliases.yml"
    aliases.write_text(json.dumps({
        "aliases": [{"alias": alias, "target_distribution_id": dist["id"], "dns_provider": "route53",
                     "dns_zone": "example.com"} for alias, dist in wanted.items()],
        "verify_nameservers": [sandbox.dns_server], "verify_timeout": 20}))
    _until_deployed(sandbox, [old1["id"], old2["id"]] + [t["id"] for t in targets])
    situation = Situation(sandbox, "www.example.com", targets[0]["id"], targets[0]["domain_name"], "route53",
                          "example.com")
    return situation, wanted, ("-e", "@%s" % aliases)


def _until_deployed(sandbox, ids, timeout=30.0):
    import time

    cf = sandbox.aws("cloudfront")
    deadline = time.monotonic() + timeout
    while any(cf.get_distribution(Id=i)["Distribution"]["Status"] != "Deployed" for i in ids):
        assert time.monotonic() < deadline, "the situation's distributions never reached Deployed"
        time.sleep(0.2)


def _changes(requests):
    """Positions, in the request log, of the CloudFront changes that were accepted."""
    return [i for i, r in enumerate(requests) if (r["service"], r["operation"]) in CHANGES and r["status"] == 200]


def _reads(requests, start, end):
    return [r for r in requests[start:end] if r["operation"] == "GetDistribution"]


def test_every_target_is_changed_before_the_first_is_waited_for_and_dns_moves_after_all_are_deployed(
        slow_sandbox, tmp_path):
    situation, wanted, args = _three_targets(slow_sandbox, tmp_path)
    targets = [d["id"] for d in wanted.values()]

    checked, requests = situation.run(extra_vars={}, check=True, args=args)
    assert_ok(checked)
    assert mutating(requests) == []

    run, requests = situation.run(extra_vars={}, args=args)
    assert_ok(run)

    changes = _changes(requests)
    # The add (NEW3) and the two moves (NEW1, NEW2), in the order the role's steps send them.
    assert [requests[i]["operation"] for i in changes] == ["UpdateDistribution", "AssociateAlias", "AssociateAlias"]
    # Between the first change and the last, CloudFront was read only by the move task, once per target it was
    # about to change (its plan): no target's status was polled before every target had its change. A role that
    # waited after each change would have polled NEW3 here (it is InProgress for 3 s after its change).
    assert len(_reads(requests, changes[0], changes[-1])) == 2
    # Then one wait per target, each reading its target until Deployed (in check mode nothing changed, so nothing
    # was waited for) ...
    assert step(checked, WAIT_DEPLOYED)["skipped"] is True
    waited = step(run, WAIT_DEPLOYED)["results"]
    assert sorted((w["item"]["distribution_id"], w["deployed"], w["changed"]) for w in waited) == sorted(
        (t, True, False) for t in targets)
    assert len([r for r in mutating(requests) if r["service"] == "cloudfront"]) == 3  # the wait sent no change
    # ... and only then DNS: the first record change after the last CloudFront change is step 2's repoint, sent after
    # the wait's reads, and no sooner than the sandbox keeps the last changed target InProgress.
    repoint = next(i for i in range(changes[-1], len(requests))
                   if (requests[i]["service"], requests[i]["operation"]) == ("route53", "ChangeResourceRecordSets"))
    assert len(_reads(requests, changes[-1], repoint)) >= len(targets)
    assert requests[repoint]["t"] - requests[changes[-1]]["t"] >= DEPLOY_SECONDS - 0.5

    for alias, dist in wanted.items():
        assert aliases_of(slow_sandbox, dist["id"]) == [alias]
        assert ask(situation.nameserver, alias, "CNAME") == [dist["domain_name"]]
    assert [r for r in route53_records(slow_sandbox) if r["type"] == "TXT"] == []
    assert summary_of(run).count("VERIFIED") == 3

    again, requests = situation.run(extra_vars={}, args=args)
    assert_ok(again)
    assert_nothing_changed(again, requests)


class KeepsChanging(threading.Thread):
    """Someone else edits a distribution's Comment every half second (with its ETag, read again when the role's
    own change got in between), so that it stays InProgress for as long as this runs."""

    def __init__(self, sandbox, distribution_id):
        threading.Thread.__init__(self, daemon=True)
        self.cloudfront = sandbox.aws("cloudfront")
        self.distribution_id = distribution_id
        self.stopped = threading.Event()
        self.edits = 0

    def run(self):
        while not self.stopped.is_set():
            response = self.cloudfront.get_distribution_config(Id=self.distribution_id)
            config = response["DistributionConfig"]
            config["Comment"] = "edited by someone else, %d" % self.edits
            try:
                self.cloudfront.update_distribution(Id=self.distribution_id, IfMatch=response["ETag"],
                                                    DistributionConfig=config)
                self.edits += 1
            except self.cloudfront.exceptions.PreconditionFailed:
                continue
            self.stopped.wait(0.5)

    def stop(self):
        self.stopped.set()
        self.join(timeout=30)


def test_a_target_not_deployed_in_time_stops_the_run_before_dns_and_names_it(slow_sandbox, tmp_path):
    """SHOP's target is kept InProgress by someone else's edits; deploy_timeout=1. Every target still gets its
    change, the wait finds SHOP's target not Deployed, and the run stops before any DNS record moves, naming the
    target and what was done to it; the rescue removes this run's TXT records, and the next run continues with DNS."""
    situation, wanted, args = _three_targets(slow_sandbox, tmp_path)
    shop = wanted["shop.example.com"]
    before = route53_records(slow_sandbox)

    editor = KeepsChanging(slow_sandbox, shop["id"])
    editor.start()
    try:
        run, unused = situation.run(extra_vars={"deploy_timeout": 1}, args=args)
    finally:
        editor.stop()
    assert editor.edits > 0
    assert run.returncode != 0

    # Every target got its change, and then every target was waited for.
    added = step(run, "Step 3: add free aliases to their target")["results"]
    assert [(a["item"]["distribution_id"], a["added"]) for a in added] == [
        (wanted["api.example.com"]["id"], ["api.example.com"])]
    moves = step(run, "Step 3: move aliases in one step (AssociateAlias)")["results"]
    assert sorted((m["item"]["distribution_id"], [x["alias"] for x in m["moved"]]) for m in moves) == sorted(
        (wanted[a]["id"], [a]) for a in ("www.example.com", "shop.example.com"))
    waited = step(run, WAIT_DEPLOYED)["results"]
    assert sorted(w["item"]["distribution_id"] for w in waited) == sorted(d["id"] for d in wanted.values())
    late = [w["item"]["distribution_id"] for w in waited if not w["deployed"]]
    assert shop["id"] in late
    message = step(run, "Step 3: stop before DNS moves if a target did not reach Deployed in time")["msg"]
    assert message in failure_of(run)
    assert ("%s did not reach Deployed within 1 seconds; the change itself was made (moved here: shop.example.com), "
            "DNS was not changed" % shop["id"]) in message
    for target in late:
        assert "%s did not reach Deployed within 1 seconds" % target in message
    # Step 2 never ran, no record moved, the TXT records this run created are gone again; every alias is on its
    # target (served by it whatever DNS says).
    assert not any(r["task"] == ROLE + "Step 2: repoint DNS at the target (only from the values step 1 saw)"
                   for r in run.results)
    assert route53_records(slow_sandbox) == before
    cleaned = step(run, "Remove the TXT records this run created")["results"][0]["records"]
    assert sorted((r["name"], r["applied"]) for r in cleaned) == [("_shop.example.com", True), ("_www.example.com", True)]
    for alias, dist in wanted.items():
        assert aliases_of(slow_sandbox, dist["id"]) == [alias]
    summary = summary_of(run)
    assert "left:    alias on the target %s; DNS not changed by this run" % shop["id"] in summary
    assert "it continues with repoint_dns, verify" in summary
    assert "STOPPED: %s" % message in summary

    # Run again: the aliases are on their targets, so it continues with DNS only.
    again, requests = situation.run(extra_vars={}, args=args)
    assert_ok(again)
    assert {(r["service"], r["operation"]) for r in mutating(requests)} == {("route53", "ChangeResourceRecordSets")}
    assert summary_of(again).count("changed: repoint_dns") == 3
    for alias, dist in wanted.items():
        assert ask(situation.nameserver, alias, "CNAME") == [dist["domain_name"]]


def test_without_wait_deployed_only_an_added_alias_that_dns_is_repointed_to_next_is_waited_for(slow_sandbox, tmp_path):
    """-e wait_deployed=false (a string, as the command line gives it): the moves' targets are not waited for (DNS
    follows the move at once, which AWS does not recommend); NEW3, whose added alias step 2 repoints next, still is -
    its edges would answer 403 for the name before they have the new configuration."""
    situation, wanted, args = _three_targets(slow_sandbox, tmp_path)

    run, unused = situation.run(extra_vars={}, args=args + ("-e", "wait_deployed=false"))
    assert_ok(run)
    waited = step(run, WAIT_DEPLOYED)["results"]
    assert [(w["item"]["distribution_id"], w["item"]["done"], w["deployed"]) for w in waited] == [
        (wanted["api.example.com"]["id"], "added: api.example.com", True)]
    for alias, dist in wanted.items():
        assert aliases_of(slow_sandbox, dist["id"]) == [alias]
        assert ask(situation.nameserver, alias, "CNAME") == [dist["domain_name"]]
