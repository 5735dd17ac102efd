"""The product against the AWS and Cloudflare behaviours issue 9 added to the sandbox.

Real ansible-playbook runs, checked with boto3, HTTP and dnspython. The hand-over tests run on the session's
``slow_sandbox`` (``--deploy-seconds 3 --ttl-scale 0.01``) and sample the state while the run is in flight.
"""

import json
import threading
import time

import pytest

from conftest import SLOW_DEPLOY_SECONDS, run_playbook
from sandbox import cli
from sandbox.scenarios import (
    ACCOUNT_1,
    certificate,
    cname,
    create_distribution,
    hosted_zone,
    observed_error,
    route53_change,
)
from test_remediate import (
    HANDOVER,
    WAIT_DEPLOYED,
    Situation,
    aliases_of,
    ask,
    assert_alias_only_on_target,
    assert_dns_at_target,
    assert_nothing_changed,
    assert_ok,
    assert_txt_gone,
    distributions,
    failure_of,
    mutating,
    route53_records,
    step,
    summary_of,
)

DEPLOY_SECONDS = SLOW_DEPLOY_SECONDS  # slow_sandbox's
# How long after its old holder is Deployed an alias may stay unheld: one poll of the holder's status (the module
# polls every 0.25 s at first, growing), the add itself, and the sampler's own period - on a busy machine.
AFTER_DEPLOYED_SLACK = 3.0

ALIAS_MODULE = "aliasguard.cloudfront.cloudfront_distribution_alias"
REPOINT_MODULE = "aliasguard.cloudfront.dns_cname_repoint"


# -- a module run as a one-task playbook --------------------------------------------------------------------------


def run_module(tmp_path, sandbox, module, args, check=False, env=None):
    """One task of ``module`` with ``args``; returns (its result, the requests it sent)."""
    playbook = tmp_path / "task.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "the task", module: args, "register": "out", "ignore_errors": True}]}]))
    mark = sandbox.log_mark()
    environment = sandbox.aws_env()
    environment.update(env or {})
    run = run_playbook(str(playbook), env=environment, check=check)
    return run.task("the task"), sandbox.requests_since(mark)


# -- sampling the state while a run is in flight ------------------------------------------------------------------


class Sampler(threading.Thread):
    """Every ~0.1 s: who holds the alias, and the old holder's status (boto3, independent of the collection)."""

    def __init__(self, sandbox, alias, holder_id):
        threading.Thread.__init__(self, daemon=True)
        self.cloudfront = sandbox.aws("cloudfront")
        self.alias, self.holder_id = alias, holder_id
        self.samples = []  # (monotonic time, [ids holding the alias], holder's status)
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            started = time.monotonic()
            holders = []
            for item in self.cloudfront.list_distributions()["DistributionList"].get("Items", []):
                if self.alias in (item["Aliases"].get("Items") or []):
                    holders.append(item["Id"])
            status = self.cloudfront.get_distribution(Id=self.holder_id)["Distribution"]["Status"]
            self.samples.append((started, holders, status))
            self.stopped.wait(0.1)

    def stop(self):
        self.stopped.set()
        self.join(timeout=30)

    def unheld(self):
        """[(start, end)] of the runs of samples in which nobody held the alias."""
        gaps, start, last = [], None, None
        for t, holders, unused in self.samples:
            if not holders and start is None:
                start = t
            if holders and start is not None:
                gaps.append((start, t))
                start = None
            last = t
        if start is not None:
            gaps.append((start, last))
        return gaps

    def holder_deployed_again_at(self, after):
        """When the samples first show the old holder Deployed after ``after``."""
        return next((t for t, unused, status in self.samples if t > after and status == "Deployed"), None)


# -- never strand a name -----------------------------------------------------------------------------------------


def test_dns_first_leaves_a_name_unheld_only_while_cloudfront_releases_it(slow_sandbox):
    """dns_first takes the alias off its in-account holder and adds it to the target. CloudFront keeps a removed
    alias taken until the holder is Deployed again (Knowledge Center), so the name is unheld at least that long -
    and, this shows, no longer: while nobody holds it, the holder is still deploying, or was Deployed moments ago."""
    situation = Situation.build(slow_sandbox, "seed-409")
    holder = situation.info["holder"]["distribution_id"]
    sampler = Sampler(slow_sandbox, situation.alias, holder)
    sampler.start()
    try:
        run, requests = situation.run(situation.extra_vars(strategy="dns_first"))
    finally:
        sampler.stop()
    assert_ok(run)

    gaps = sampler.unheld()
    assert len(gaps) == 1, "the alias was unheld more than once: %s" % gaps
    start, end = gaps[0]
    deployed = sampler.holder_deployed_again_at(start)
    assert deployed is not None, "the samples never saw the holder Deployed after it gave the alias up"
    # Nobody held it only while the holder deployed its removal (the wait AWS forces), plus the add right after.
    for t, holders, status in sampler.samples:
        if start <= t < end:
            assert status == "InProgress" or t - deployed <= AFTER_DEPLOYED_SLACK, (t - start, status)
    assert end - start <= DEPLOY_SECONDS + AFTER_DEPLOYED_SLACK, "unheld for %.1f s" % (end - start)

    handed = step(run, HANDOVER)["results"][0]
    assert handed["released_from"] == [{"distribution_id": holder, "aliases": [situation.alias]}]
    assert handed["given_back"] == [] and handed["added"] == [situation.alias]
    assert [(r["service"], r["operation"]) for r in mutating(requests)] == [
        ("route53", "ChangeResourceRecordSets"), ("cloudfront", "UpdateDistribution"),
        ("cloudfront", "UpdateDistribution")]
    assert_alias_only_on_target(slow_sandbox, situation)
    assert_dns_at_target(slow_sandbox, situation)

    again, requests = situation.run(situation.extra_vars(strategy="dns_first"))
    assert_ok(again)
    assert_nothing_changed(again, requests)


def test_a_handover_that_cannot_finish_gives_the_name_and_dns_back(slow_sandbox):
    """The holder cannot deploy its removal within the deadline (deploy_timeout=1 against a 3 s deployment): the
    alias goes back on the holder, DNS back to what it was, and the run says so. Held before, held after."""
    situation = Situation.build(slow_sandbox, "seed-409")
    holder = situation.info["holder"]["distribution_id"]
    old_domain = situation.info["dns"]["value"]
    before = route53_records(slow_sandbox)

    run, requests = situation.run(situation.extra_vars(strategy="dns_first", deploy_timeout=1))
    assert run.returncode != 0

    message = failure_of(run)
    assert "was not Deployed within 1 seconds" in message and holder in message
    # CloudFront refuses the name to the holder while DNS points at the target: DNS goes back first, then the name.
    handed = step(run, HANDOVER)["results"][0]
    assert handed["released_from"] == [{"distribution_id": holder, "aliases": [situation.alias]}]
    given = step(run, "Give the aliases back to the holders a failed hand-over took them off")["results"]
    assert [(g["item"]["distribution_id"], g["added"]) for g in given] == [(holder, [situation.alias])]
    # Held by the holder again, DNS exactly as found (the CNAME and its TTL), nothing else touched.
    assert aliases_of(slow_sandbox, holder) == [situation.alias]
    assert aliases_of(slow_sandbox, situation.target_id) == []
    assert route53_records(slow_sandbox) == before
    assert ask(situation.nameserver, situation.alias, "CNAME") == [old_domain]
    restored = step(run, "Put DNS back as it was for the aliases a failed hand-over took off their holder")
    assert restored["results"][0]["records"][0]["applied"] is True
    summary = summary_of(run)
    assert "back on %s" % holder in summary and "DNS put back as found" in summary

    # Nothing stranded: the next run (with time to deploy) finishes the job.
    fixed, unused = situation.run(situation.extra_vars(strategy="dns_first"))
    assert_ok(fixed)
    assert_alias_only_on_target(slow_sandbox, situation)
    assert_dns_at_target(slow_sandbox, situation)


def test_the_add_waits_for_cloudfronts_dns_check_to_see_the_new_record(slow_sandbox, tmp_path):
    """CloudFront's DNS check may keep the replaced CNAME for its TTL (here 3000 s x 0.01 = 30 s): the add asks again
    (conflict_wait_timeout) until the check sees the new record, instead of failing with CNAMEAlreadyExists.
    wait_timeout bounds waiting for a deployment (and a handover, with release_from), not this: the rescue gives
    names back with the deploy timeout the run was given, which may be shorter than the cache."""
    slow_sandbox.reset()
    cf, route53 = slow_sandbox.aws("cloudfront"), slow_sandbox.aws("route53")
    cert = certificate(slow_sandbox.aws("acm"), "example.com", ["*.example.com"], key_algorithm="EC_prime256v1")
    other = create_distribution(cf, "cache-other", cert_arn=cert)
    target = create_distribution(cf, "cache-target", cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", other["domain_name"], ttl=3000)])
    assert observed_error(cf, target["id"], "www.example.com")["code"] == "CNAMEAlreadyExists"  # now cached
    route53_change(route53, zone_id, [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": "www.example.com", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": target["domain_name"]}]}}])

    result, requests = run_module(tmp_path, slow_sandbox, ALIAS_MODULE, {
        "distribution_id": target["id"], "aliases": ["www.example.com"], "conflict_wait_timeout": 3030,
        "wait_timeout": 1})

    assert not result.get("failed"), result.get("msg")
    assert result["added"] == ["www.example.com"]
    updates = [r["status"] for r in requests if r["operation"] == "UpdateDistribution"]
    assert updates[0] == 409 and updates[-1] == 200, updates
    assert aliases_of(slow_sandbox, target["id"]) == ["www.example.com"]


# -- AWS's order for moves ---------------------------------------------------------------------------------------


def test_a_move_waits_for_the_target_to_be_deployed_before_dns_is_repointed(slow_sandbox):
    """CloudFront Developer Guide, "Move an alternate domain name": "After the target distribution is fully
    deployed, update your DNS configuration" - cname_remediation_wait_deployed is true by default."""
    situation = Situation.build(slow_sandbox, "seed-409")

    run, requests = situation.run()
    assert_ok(run)

    moved = step(run, "Step 3: move aliases in one step (AssociateAlias)")["results"][0]
    assert moved["moved"][0]["alias"] == situation.alias
    waited = step(run, WAIT_DEPLOYED)["results"]
    assert [(w["item"]["distribution_id"], w["deployed"]) for w in waited] == [(situation.target_id, True)]
    associate = next(r["t"] for r in requests if r["operation"] == "AssociateAlias")
    changes = [r["t"] for r in requests if r["operation"] == "ChangeResourceRecordSets" and r["t"] > associate]
    assert changes and changes[0] - associate >= DEPLOY_SECONDS - 0.5  # the repoint came after the deployment
    assert_alias_only_on_target(slow_sandbox, situation)
    assert_txt_gone(slow_sandbox, situation)


# -- masked holders in this account ------------------------------------------------------------------------------


def test_this_accounts_masked_holder_is_never_called_another_accounts(sandbox, tmp_path):
    """AWS masks every holder, ours too; the messages must still say the holder is in this account."""
    situation = Situation.build(sandbox, "seed-409")
    holder = situation.info["holder"]["distribution_id"]

    refused, unused = run_module(tmp_path, sandbox, ALIAS_MODULE, {
        "distribution_id": situation.target_id, "aliases": [situation.alias]})
    assert refused.get("failed")
    assert "another AWS account" not in refused["msg"]
    assert "held by distribution %s in this account (%s)" % (holder, ACCOUNT_1) in refused["msg"]

    found, unused = run_module(tmp_path, sandbox, "aliasguard.cloudfront.cloudfront_alias_conflict_info", {
        "target_distribution_id": situation.target_id, "aliases": [situation.alias],
        "nameservers": [sandbox.dns_server]})
    entry = found["aliases"][0]
    assert entry["verdict"] == "held_in_account"
    assert [(h["distribution_id"], h["account_id"], h["in_account"], h["masked"]) for h in entry["holders"]] == [
        (holder, ACCOUNT_1, True, True)]
    assert "in this account" in entry["next_step"] and "another AWS account" not in entry["next_step"]


# -- public zones only ------------------------------------------------------------------------------------------


def _private_zone(route53, name):
    return route53.create_hosted_zone(
        Name=name, CallerReference="private-" + name, HostedZoneConfig={"PrivateZone": True, "Comment": "vpc"},
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"})["HostedZone"]["Id"].split("/")[-1]


def test_a_private_hosted_zone_is_refused_and_a_public_one_of_the_same_name_is_used(sandbox, tmp_path):
    sandbox.reset()
    route53 = sandbox.aws("route53")
    private = _private_zone(route53, "example.com")
    # A distribution of this account: the refusal must be about the zone, not about the target.
    target = create_distribution(sandbox.aws("cloudfront"), "private-zone-target")["domain_name"]

    refused, requests = run_module(tmp_path, sandbox, REPOINT_MODULE, {
        "provider": "route53", "zone": "example.com", "zone_id": private, "name": "www.example.com",
        "target": target})
    assert refused.get("failed")
    assert "private hosted zone" in refused["msg"] and "public" in refused["msg"] and private in refused["msg"]
    assert mutating(requests) == []

    alone, requests = run_module(tmp_path, sandbox, REPOINT_MODULE, {
        "provider": "route53", "zone": "example.com", "name": "www.example.com", "target": target})
    assert alone.get("failed") and "private hosted zone" in alone["msg"] and mutating(requests) == []

    public = hosted_zone(route53, "example.com")
    done, unused = run_module(tmp_path, sandbox, REPOINT_MODULE, {
        "provider": "route53", "zone": "example.com", "name": "www.example.com", "target": target})
    assert not done.get("failed"), done.get("msg")
    listed = {z: [r["Name"] for r in route53.list_resource_record_sets(HostedZoneId=z)["ResourceRecordSets"]
                  if r["Type"] == "CNAME"] for z in (private, public)}
    assert listed == {private: [], public: ["www.example.com."]}


# -- certificates of every key type ------------------------------------------------------------------------------


def test_the_inventory_lists_ecdsa_certificates(sandbox, tmp_path):
    """ACM lists RSA_1024/RSA_2048 certificates only unless asked (Filters.keyTypes); the seed's is ECDSA."""
    situation = Situation.build(sandbox, "seed-409")
    arn = sandbox.aws("cloudfront").get_distribution_config(Id=situation.target_id)[
        "DistributionConfig"]["ViewerCertificate"]["ACMCertificateArn"]
    assert sandbox.aws("acm").describe_certificate(CertificateArn=arn)["Certificate"]["KeyAlgorithm"] == "EC_prime256v1"

    inventory, unused = run_module(tmp_path, sandbox, "aliasguard.cloudfront.cloudfront_alias_inventory_info", {})
    assert not inventory.get("failed"), inventory.get("msg")
    listed = dict((c["arn"], c["names"]) for c in inventory["inventory"]["certificates"])
    assert listed.get(arn) == ["*.example.com", "example.com"]


# -- raised alias quotas -----------------------------------------------------------------------------------------


def _full_target(sandbox):
    sandbox.reset()
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    return create_distribution(sandbox.aws("cloudfront"), "full", cert_arn=cert,
                               aliases=["n%03d.example.com" % n for n in range(100)])


def test_more_than_100_aliases_where_the_accounts_quota_was_raised(sandbox, tmp_path):
    target = _full_target(sandbox)
    args = {"distribution_id": target["id"], "aliases": ["www.example.com"]}

    refused, requests = run_module(tmp_path, sandbox, ALIAS_MODULE, args)
    assert refused.get("failed") and "TooManyDistributionCNAMEs" in refused["msg"]
    assert "quota" in refused["msg"] and "increase" in refused["msg"]
    assert [r["status"] for r in requests if r["operation"] == "UpdateDistribution"] == [400]  # AWS answered

    cli.raise_alias_quota(sandbox.state_dir, ACCOUNT_1, 150)
    done, unused = run_module(tmp_path, sandbox, ALIAS_MODULE, args)
    assert not done.get("failed"), done.get("msg")
    assert len(aliases_of(sandbox, target["id"])) == 101

    # A quota the user gives is checked before any change is sent.
    limited, requests = run_module(tmp_path, sandbox, ALIAS_MODULE, dict(args, aliases=["api.example.com"],
                                                                         alias_quota=101))
    assert limited.get("failed") and "more than the quota of 101" in limited["msg"]
    assert mutating(requests) == []


def test_the_role_moves_an_alias_to_a_distribution_past_100_aliases(sandbox):
    target = _full_target(sandbox)
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    old = create_distribution(cf, "old", aliases=["www.example.com"],
                              cert_arn=certificate(sandbox.aws("acm"), "www.example.com"))
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", old["domain_name"])])
    cli.raise_alias_quota(sandbox.state_dir, ACCOUNT_1, 150)
    situation = Situation(sandbox, "www.example.com", target["id"], target["domain_name"], "route53", "example.com")

    run, unused = situation.run()
    assert_ok(run)
    assert "www.example.com" in aliases_of(sandbox, target["id"]) and len(aliases_of(sandbox, target["id"])) == 101

    # The role passes alias_quota through: with the old quota given, it stops before any change.
    situation.alias = "api.example.com"
    route53_change(route53, zone_id, [cname("api.example.com", old["domain_name"])])
    stopped, requests = situation.run(situation.extra_vars(alias_quota=101))
    assert stopped.returncode != 0 and "more than the quota of 101" in failure_of(stopped)
    assert mutating(requests) == []


# -- Cloudflare's rate limit -------------------------------------------------------------------------------------


def _cloudflare_repoint_args(sandbox, situation, **more):
    args = {"provider": "cloudflare", "zone": situation.zone, "name": situation.alias,
            "target": situation.target_domain, "api_token": sandbox.endpoints["cloudflare"]["api_token"],
            "base_url": sandbox.endpoints["cloudflare"]["base_url"]}
    args.update(more)
    return args


def test_a_cloudflare_rate_limit_is_waited_out_and_said(sandbox, tmp_path):
    """Cloudflare API "Rate limits": over the quota, 429 with Retry-After until the window refills. The module waits
    that long and warns that it waited."""
    situation = Situation.build(sandbox, "cloudflare")
    try:
        sandbox.faults(cloudflare_quota=2, cloudflare_window=10)
        result, requests = run_module(tmp_path, sandbox, REPOINT_MODULE, _cloudflare_repoint_args(
            sandbox, situation, wait_timeout=60))
    finally:
        sandbox.faults(off=True)
    assert not result.get("failed"), result.get("msg")
    assert any(r["status"] == 429 for r in requests)
    assert any("rate limit" in w and "Retry-After" in w for w in result.get("warnings", [])), result.get("warnings")
    assert ask(situation.nameserver, situation.alias, "CNAME") == [situation.target_domain]


def test_a_cloudflare_wait_longer_than_the_deadline_fails_at_once_saying_when_to_retry(sandbox, tmp_path):
    situation = Situation.build(sandbox, "cloudflare")
    try:
        sandbox.faults(cloudflare_quota=1, cloudflare_window=120)
        result, requests = run_module(tmp_path, sandbox, REPOINT_MODULE, _cloudflare_repoint_args(
            sandbox, situation, wait_timeout=10))
    finally:
        sandbox.faults(off=True)
    assert result.get("failed")
    assert "rate limit" in result["msg"] and "Run again after" in result["msg"] and "UTC" in result["msg"]
    # Failing at once: after Cloudflare's first 429 the module sent nothing more to it.
    cloudflare = [r for r in requests if r["service"] == "cloudflare"]
    limited = [i for i, r in enumerate(cloudflare) if r["status"] == 429]
    assert len(limited) == 1 and limited[0] == len(cloudflare) - 1, [(r["operation"], r["status"]) for r in cloudflare]
    assert [r for r in mutating(requests) if r["status"] == 200] == []
    assert ask(situation.nameserver, situation.alias, "CNAME") == [situation.info["dns"]["value"]]


# -- the TXT record name, when AWS Support asks for another -------------------------------------------------------


def test_dns_cname_repoint_writes_the_txt_record_name_it_is_given(sandbox, tmp_path):
    situation = Situation.build(sandbox, "apex")
    args = {"provider": "route53", "zone": "example.com", "name": "example.com", "challenge": True,
            "challenge_name": "_aws-move.example.com", "target": situation.target_domain}

    made, unused = run_module(tmp_path, sandbox, REPOINT_MODULE, args)
    assert not made.get("failed"), made.get("msg")
    assert made["records"][0]["name"] == "_aws-move.example.com"
    assert ask(situation.nameserver, "_aws-move.example.com", "TXT") == [situation.target_domain]
    assert ask(situation.nameserver, "_.example.com", "TXT") == []

    gone, unused = run_module(tmp_path, sandbox, REPOINT_MODULE, dict(args, state="absent"))
    assert not gone.get("failed") and ask(situation.nameserver, "_aws-move.example.com", "TXT") == []


def test_the_role_uses_the_txt_record_name_it_is_given_and_cleans_it_up(sandbox):
    """www.example.com's TXT record must be _www.example.com (the sandbox accepts only the documented name there):
    a user-given name is what the role writes, what the move's refusal names, and what the rescue removes."""
    situation = Situation.build(sandbox, "seed-409")

    run, unused = situation.run(situation.extra_vars(txt_record_name="_other.www.example.com", txt_wait_timeout=0))
    assert run.returncode != 0
    created = step(run, "Step 3: create the TXT records AssociateAlias checks")["results"][0]["records"]
    assert [r["name"] for r in created] == ["_other.www.example.com"]
    assert "TXT record _other.www.example.com with the value %s" % situation.target_domain in failure_of(run)
    cleaned = step(run, "Remove the TXT records this run created")["results"][0]["records"]
    assert [(r["name"], r["applied"]) for r in cleaned] == [("_other.www.example.com", True)]
    assert_txt_gone(sandbox, situation)
    assert ask(situation.nameserver, "_other.www.example.com", "TXT") == []
    assert situation.alias in distributions(sandbox)[situation.info["holder"]["distribution_id"]]["aliases"]


def test_a_txt_record_name_outside_the_zone_is_refused_before_any_request(sandbox):
    situation = Situation.build(sandbox, "seed-409")
    run, requests = situation.run(situation.extra_vars(txt_record_name="_www.example.org"))
    assert run.returncode != 0 and "not inside dns_zone example.com" in failure_of(run)
    assert requests == []


@pytest.fixture(autouse=True)
def _no_faults_left(sandbox):
    yield
    sandbox.faults(off=True)
