"""The remediation playbook (``aliasguard.cloudfront.remediate``) against the sandbox.

Every test builds a situation, runs the real playbook, and then checks what a
user would check, with clients that share no code with the collection: boto3
for CloudFront and Route 53, the official Cloudflare SDK, and dnspython asking
the sandbox's authoritative DNS server and BIND directly.
"""

import json
import os
import subprocess
import sys

import cloudflare
import dns.message
import dns.query
import dns.rdatatype
import pytest

from conftest import ROOT, ansible_playbook_executable, collections_path, run_playbook
from sandbox.scenarios import (
    ACCOUNT_1,
    ACCOUNT_2,
    alias_record,
    certificate,
    cname,
    create_distribution,
    hosted_zone,
    route53_change,
)

PLAYBOOK = "aliasguard.cloudfront.remediate"
SCENARIOS = {
    # id: (scenario name, scenario options)
    "seed-409": ("seed-409", {}),
    "cross-account-disabled": ("cross-account", {"holder_disabled": True}),
    "wildcard": ("wildcard", {}),
    "apex": ("apex", {}),
    "cloudflare": ("cloudflare", {}),
    "rfc2136": ("rfc2136", {}),
}


# -- independent views of the sandbox -------------------------------------------------------------


def norm(name):
    return name.lower().rstrip(".").replace("\\052", "*")


def distributions(sandbox):
    """{id: {"aliases", "enabled", "domain_name", "account"}} for every distribution in both accounts."""
    found = {}
    for account in (ACCOUNT_1, ACCOUNT_2):
        paginator = sandbox.aws("cloudfront", account).get_paginator("list_distributions")
        for page in paginator.paginate():
            for item in page["DistributionList"].get("Items", []):
                found[item["Id"]] = {"aliases": sorted(norm(a) for a in item["Aliases"].get("Items", [])),
                                     "enabled": item["Enabled"], "domain_name": item["DomainName"],
                                     "account": account}
    return found


def aliases_of(sandbox, distribution_id, account=ACCOUNT_1):
    config = sandbox.aws("cloudfront", account).get_distribution_config(Id=distribution_id)["DistributionConfig"]
    return sorted(norm(a) for a in config.get("Aliases", {}).get("Items") or [])


def route53_records(sandbox, account=ACCOUNT_1):
    route53 = sandbox.aws("route53", account)
    records = []
    for zone in route53.list_hosted_zones()["HostedZones"]:
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone["Id"]):
            for rrset in page["ResourceRecordSets"]:
                if rrset["Type"] in ("SOA", "NS"):
                    continue
                records.append({
                    "zone": norm(zone["Name"]), "name": norm(rrset["Name"]), "type": rrset["Type"],
                    "ttl": rrset.get("TTL"),
                    "values": sorted(r["Value"].lower() for r in rrset.get("ResourceRecords", [])),
                    "alias": norm(rrset["AliasTarget"]["DNSName"]) if "AliasTarget" in rrset else None})
    return sorted(records, key=lambda r: (r["zone"], r["name"], r["type"]))


def cloudflare_sdk(sandbox):
    cf = sandbox.endpoints["cloudflare"]
    return cloudflare.Cloudflare(api_token=cf["api_token"], base_url=cf["base_url"], max_retries=5)


def cloudflare_records(sandbox):
    sdk = cloudflare_sdk(sandbox)
    records = []
    for zone in sdk.zones.list():
        for record in sdk.dns.records.list(zone_id=zone.id):
            records.append({"zone": zone.name, "name": norm(record.name), "type": record.type,
                            "content": norm(record.content), "proxied": record.proxied})
    return sorted(records, key=lambda r: (r["zone"], r["name"], r["type"], r["content"]))


def ask(server, name, rdtype):
    """Values of exactly this type at ``name``, asked of one authoritative server (no recursion)."""
    host, port = server.rsplit(":", 1)
    query = dns.message.make_query(name + ".", rdtype)
    query.flags = 0
    response = dns.query.tcp(query, host, port=int(port), timeout=5)
    wanted = dns.rdatatype.from_text(rdtype)
    values = []
    for rrset in response.answer:
        if norm(rrset.name.to_text()) == norm(name) and rrset.rdtype == wanted:
            for rdata in rrset:
                if wanted == dns.rdatatype.TXT:
                    values.append(b"".join(rdata.strings).decode())
                elif wanted == dns.rdatatype.CNAME:
                    values.append(norm(rdata.target.to_text()))
                else:
                    values.append(rdata.to_text())
    return sorted(values)


def snapshot(sandbox, situation):
    """Everything a remediation could touch: distributions, Route 53, Cloudflare and the alias's DNS answers."""
    server = situation.nameserver
    names = [situation.alias, "_" + situation.alias, "_." + situation.alias]
    return {
        "distributions": distributions(sandbox),
        "route53": route53_records(sandbox),
        "cloudflare": cloudflare_records(sandbox),
        "dns": dict(("%s %s" % (n, t), ask(server, n, t)) for n in names for t in ("CNAME", "A", "AAAA", "TXT")),
    }


# -- one situation, and the playbook run against it -------------------------------------------------


class Situation:
    """A sandbox scenario (or a hand-built one) and how to run the remediation playbook on it."""

    def __init__(self, sandbox, alias, target_id, target_domain, provider, zone, info=None):
        self.sandbox = sandbox
        self.alias = alias
        self.target_id = target_id
        self.target_domain = target_domain
        self.provider = provider
        self.zone = zone
        self.info = info or {}

    @classmethod
    def build(cls, sandbox, name, **options):
        info = sandbox.scenario(name, **options)
        return cls(sandbox, info["alias"], info["target_distribution_id"], info["target_domain_name"],
                   info["dns"]["provider"], info["dns"]["zone"], info)

    @property
    def nameserver(self):
        if self.provider == "rfc2136":
            return "127.0.0.1:%d" % self.sandbox.endpoints["rfc2136"]["port"]
        return self.sandbox.dns_server

    def secrets(self):
        endpoints = self.sandbox.endpoints
        return [endpoints["cloudflare"]["api_token"], endpoints["rfc2136"]["tsig"]["secret"],
                endpoints["aws"]["accounts"][ACCOUNT_1]["secret_access_key"]]

    def extra_vars(self, **more):
        extra = {"alias": self.alias, "target_distribution_id": self.target_id, "dns_provider": self.provider,
                 "dns_zone": self.zone, "verify_nameservers": [self.nameserver], "verify_timeout": 20}
        extra.update(self.rfc2136_vars())
        extra.update(more)
        return extra

    def rfc2136_vars(self):
        rfc = self.sandbox.endpoints["rfc2136"]
        return {"rfc2136_server": rfc["host"], "rfc2136_port": rfc["port"], "rfc2136_key_name": rfc["tsig"]["name"],
                "rfc2136_key_secret": rfc["tsig"]["secret"], "rfc2136_key_algorithm": rfc["tsig"]["algorithm"]}

    def env(self):
        env = self.sandbox.aws_env(ACCOUNT_1)
        env["CLOUDFLARE_API_TOKEN"] = self.sandbox.endpoints["cloudflare"]["api_token"]
        env["CLOUDFLARE_BASE_URL"] = self.sandbox.endpoints["cloudflare"]["base_url"]
        return env

    def run(self, extra_vars=None, check=False, diff=False, args=()):
        """Run the playbook; return (run, every request it sent). Secrets never show in its output."""
        mark = self.sandbox.log_mark()
        run = run_playbook(PLAYBOOK, extra_vars if extra_vars is not None else self.extra_vars(),
                           env=self.env(), check=check, diff=diff, args=args)
        output = run.stdout + run.stderr
        for secret in self.secrets():
            assert secret not in output, "a secret appeared in the playbook output"
        return run, self.sandbox.requests_since(mark)


ROLE = "aliasguard.cloudfront.cname_remediation : "
HANDOVER = "Step 3: take the alias off in-account holders and add it to the target (dns_first)"
WAIT_DEPLOYED = "Step 3: wait until every target changed above is Deployed, before DNS moves"


def step(run, name):
    """The result of one of the role's tasks."""
    return run.task(ROLE + name)


def summary_of(run):
    name = "Summary" if any(r["task"] == ROLE + "Summary" for r in run.results) else "Summary of the stopped run"
    return "\n".join(step(run, name)["msg"])


def failure_of(run):
    return " ".join(r["result"].get("msg", "") for r in run.results if r["result"].get("failed"))


def mutating(requests):
    return [r for r in requests if r["mutating"]]


def operations(requests):
    return [(r["service"], r["operation"]) for r in mutating(requests)]


def assert_ok(run):
    assert run.returncode == 0, "playbook failed:\n%s\n%s" % (failure_of(run), run.stderr[-3000:])


def assert_nothing_changed(run, requests):
    changed = [r["task"] for r in run.results if r["result"].get("changed")]
    assert changed == [], "tasks reported a change on a second run: %s" % changed
    assert mutating(requests) == []


def assert_alias_only_on_target(sandbox, situation, keep=()):
    """The alias is on the target and on no other distribution of either account (``keep``: other aliases
    that must still be where they were)."""
    dists = distributions(sandbox)
    holders = sorted(d for d, info in dists.items() if situation.alias in info["aliases"])
    assert holders == [situation.target_id]
    for dist_id, alias in keep:
        assert alias in dists[dist_id]["aliases"]


def assert_dns_at_target(sandbox, situation):
    server, alias, target = situation.nameserver, situation.alias, situation.target_domain
    if alias == situation.zone:
        # The apex: Route 53 alias records, served as the target's own addresses.
        assert ask(server, alias, "CNAME") == []
        assert ask(server, alias, "A") == ask(server, target, "A") != []
        assert ask(server, alias, "AAAA") == ask(server, target, "AAAA")
        at_apex = [r for r in route53_records(sandbox) if r["name"] == alias and r["type"] in ("A", "AAAA")]
        assert at_apex and all(r["alias"] == target for r in at_apex)
    else:
        assert ask(server, alias, "CNAME") == [target]
    if situation.provider == "cloudflare":
        records = [r for r in cloudflare_records(sandbox) if r["name"] == alias]
        assert [(r["type"], r["content"], r["proxied"]) for r in records] == [("CNAME", target, False)]


def assert_txt_gone(sandbox, situation):
    for name in ("_" + situation.alias, "_." + situation.alias.lstrip("*.")):
        assert ask(situation.nameserver, name, "TXT") == []
    assert [r for r in route53_records(sandbox) if r["type"] == "TXT"] == []
    assert [r for r in cloudflare_records(sandbox) if r["type"] == "TXT"] == []


def assert_409_gone(sandbox, situation):
    """The UpdateDistribution that failed with CNAMEAlreadyExists in the scenario now succeeds."""
    cf = sandbox.aws("cloudfront")
    response = cf.get_distribution_config(Id=situation.target_id)
    config = response["DistributionConfig"]
    items = list(config.get("Aliases", {}).get("Items") or [])
    if situation.alias not in [norm(a) for a in items]:
        items.append(situation.alias)
    config["Aliases"] = {"Quantity": len(items), "Items": items}
    updated = cf.update_distribution(Id=situation.target_id, IfMatch=response["ETag"], DistributionConfig=config)
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert situation.alias in aliases_of(sandbox, situation.target_id)


# -- what must stop the run, and what a stopped run leaves --------------------------------------------


def test_enabled_holder_in_another_account_stops_and_leaves_everything(sandbox):
    situation = Situation.build(sandbox, "cross-account", holder_disabled=False)
    before = snapshot(sandbox, situation)

    run, requests = situation.run()
    assert run.returncode != 0
    message = failure_of(run)
    assert "another AWS account" in message
    assert "owner must disable it, or remove the alias from it" in message
    assert situation.info["holder"]["distribution_id"][-6:] in message

    # Everything as it was: alias on the holder, DNS unchanged, the TXT record created for the try removed.
    assert snapshot(sandbox, situation) == before
    assert situation.alias in distributions(sandbox)[situation.info["holder"]["distribution_id"]]["aliases"]
    assert [r for r in mutating(requests) if r.get("account") == ACCOUNT_2] == []
    summary = summary_of(run)
    assert "STOPPED" in summary
    assert "alias still on" in summary and "DNS not changed by this run (as step 1 saw it" in summary


def test_a_wrong_zone_stops_before_any_change_and_the_corrected_run_finishes(sandbox):
    situation = Situation.build(sandbox, "seed-409")
    before = snapshot(sandbox, situation)

    run, requests = situation.run(situation.extra_vars(dns_zone="example.org"))
    assert run.returncode != 0
    assert "example.org" in failure_of(run)
    assert snapshot(sandbox, situation) == before
    assert mutating(requests) == []
    assert "Nothing was changed" in summary_of(run)

    fixed, unused = situation.run()
    assert_ok(fixed)
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)


def _held_alias_with_an_mx_beside_its_address(sandbox):
    """www is held by OLD; its DNS is an A record with an MX beside it, so it cannot become a CNAME."""
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    old = create_distribution(cf, "mx-old", aliases=["www.example.com"], cert_arn=cert)
    new = create_distribution(cf, "mx-new", cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.example.com", "Type": "A", "TTL": 300,
                                                   "ResourceRecords": [{"Value": "192.0.2.10"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.example.com", "Type": "MX", "TTL": 300,
                                                   "ResourceRecords": [{"Value": "10 mail.example.com"}]}}])
    return old, new, zone_id


def test_a_run_that_fails_after_the_move_leaves_dns_as_found_and_the_next_run_continues(sandbox):
    old, new, zone_id = _held_alias_with_an_mx_beside_its_address(sandbox)
    situation = Situation(sandbox, "www.example.com", new["id"], new["domain_name"], "route53", "example.com")

    run, requests = situation.run()
    assert run.returncode != 0
    assert "MX" in failure_of(run)
    # The alias moved (it is served by the target whatever DNS says), DNS is exactly as found, TXT cleaned up.
    assert aliases_of(sandbox, new["id"]) == ["www.example.com"]
    assert aliases_of(sandbox, old["id"]) == []
    assert ask(situation.nameserver, "www.example.com", "A") == ["192.0.2.10"]
    assert ask(situation.nameserver, "www.example.com", "CNAME") == []
    assert_txt_gone(sandbox, situation)
    summary = summary_of(run)
    assert "changed: txt_create, move_alias, txt_remove" in summary
    assert "left:    alias on the target %s; DNS not changed by this run (as step 1 saw it: 192.0.2.10)" % new["id"] in summary
    assert "it continues with repoint_dns, verify" in summary

    # Fix the cause (the MX goes elsewhere), run the same command again: it continues to the end.
    route53 = sandbox.aws("route53")
    route53_change(route53, zone_id, [{"Action": "DELETE", "ResourceRecordSet": {
        "Name": "www.example.com", "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mail.example.com"}]}}])
    again, requests = situation.run()
    assert_ok(again)
    assert operations(requests) == [("route53", "ChangeResourceRecordSets")]
    assert "changed: repoint_dns" in summary_of(again) and "VERIFIED" in summary_of(again)
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)

    third, requests = situation.run()
    assert_ok(third)
    assert_nothing_changed(third, requests)


def test_dns_first_never_repoints_dns_to_a_target_whose_certificate_does_not_cover_the_name(sandbox):
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    old = create_distribution(cf, "cert-old", cert_arn=certificate(sandbox.aws("acm"), "example.com", ["*.example.com"]))
    new = create_distribution(cf, "cert-new", cert_arn=certificate(sandbox.aws("acm"), "example.org"))
    route53_change(route53, hosted_zone(route53, "example.com"), [cname("www.example.com", old["domain_name"])])
    situation = Situation(sandbox, "www.example.com", new["id"], new["domain_name"], "route53", "example.com")
    before = snapshot(sandbox, situation)

    run, requests = situation.run()
    assert run.returncode != 0
    assert "covers example.org but not www.example.com" in failure_of(run)
    assert mutating(requests) == []
    assert snapshot(sandbox, situation) == before
    assert "Nothing was changed" in summary_of(run)


# -- TXT records: ours only, and served before AssociateAlias checks them --------------------------------------


def txt(name, value):
    return {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "TXT", "TTL": 300,
                                                      "ResourceRecords": [{"Value": '"%s"' % value}]}}


def order_of(requests, *operations_wanted):
    """Index in the request log of the first request of each (service, operation), in that order."""
    found, start = [], 0
    for wanted in operations_wanted:
        at = next(i for i in range(start, len(requests))
                  if (requests[i]["service"], requests[i]["operation"]) == wanted and requests[i]["status"] == 200)
        found.append(at)
        start = at + 1
    return found


def test_the_txt_record_is_in_sync_and_served_before_associate_alias_checks_it(sandbox):
    situation = Situation.build(sandbox, "seed-409")

    run, requests = situation.run()
    assert_ok(run)
    created = step(run, "Step 3: create the TXT records AssociateAlias checks")["results"][0]
    assert [r["action"] for r in created["records"]] == ["create"]
    assert created["wait"]["provider_in_sync"] is True
    assert [(n["name"], n["served"]) for n in created["wait"]["names"]] == [("_" + situation.alias, True)]
    # The TXT change, Route 53 reporting it in sync, and only then the move.
    order_of(requests, ("route53", "ChangeResourceRecordSets"), ("route53", "GetChange"),
             ("cloudfront", "AssociateAlias"))
    assert_alias_only_on_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)


def test_a_txt_record_naming_another_distribution_is_neither_written_over_nor_removed(sandbox):
    """Someone else's move is in progress: its TXT record names another distribution. The run stops, untouched."""
    situation = Situation.build(sandbox, "seed-409")
    route53_change(sandbox.aws("route53"), situation.info["dns"]["zone_id"],
                   [txt("_" + situation.alias, "d0ther0000000.cloudfront.net")])
    before = snapshot(sandbox, situation)

    run, requests = situation.run()
    assert run.returncode != 0
    assert "d0ther0000000.cloudfront.net" in failure_of(run) and "expected_current" in failure_of(run)
    assert mutating(requests) == []
    assert snapshot(sandbox, situation) == before
    assert ask(situation.nameserver, "_" + situation.alias, "TXT") == ["d0ther0000000.cloudfront.net"]
    assert "Nothing was changed" in summary_of(run)


def test_a_stopped_run_removes_no_txt_record_it_did_not_create(sandbox):
    """www's TXT record was made by hand (an operator's move to the same target); shop is blocked, so the run
    stops before its TXT step: the clean-up must leave the operator's record alone."""
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    old = create_distribution(cf, "txt-old", aliases=["www.example.com"], cert_arn=cert)
    new = create_distribution(cf, "txt-new", cert_arn=cert)
    vendor = create_distribution(sandbox.aws("cloudfront", ACCOUNT_2), "txt-vendor", aliases=["shop.example.com"],
                                 cert_arn=certificate(sandbox.aws("acm", ACCOUNT_2), "shop.example.com"))
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", old["domain_name"]),
                                      txt("_www.example.com", new["domain_name"])])
    situation = Situation(sandbox, "www.example.com", new["id"], new["domain_name"], "route53", "example.com")
    before = snapshot(sandbox, situation)

    run, requests = situation.run(situation.extra_vars(aliases=[
        {"alias": "shop.example.com", "strategy": "dns_first"}]))
    assert run.returncode != 0
    assert "only its owner can remove it" in failure_of(run) and vendor["id"][-6:] in failure_of(run)
    assert mutating(requests) == []
    assert snapshot(sandbox, situation) == before
    assert ask(situation.nameserver, "_www.example.com", "TXT") == [new["domain_name"]]
    assert step(run, "Remove the TXT records this run created")["results"] == []


# -- names that answer with addresses, and waiting for what the next step needs ----------------------------------


def test_an_apex_alias_record_to_a_distribution_step_1_cannot_name_is_repointed(sandbox):
    """Nobody holds example.com, but its Route 53 alias records lead to a third distribution: step 1 sees only
    addresses. The alias is added, Deployed, and only then DNS is repointed (guarded by what Route 53 holds)."""
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    third = create_distribution(cf, "apex-third", cert_arn=cert)
    new = create_distribution(cf, "apex-target", cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [alias_record("example.com", "A", third["domain_name"]),
                                      alias_record("example.com", "AAAA", third["domain_name"])])
    situation = Situation(sandbox, "example.com", new["id"], new["domain_name"], "route53", "example.com")

    run, requests = situation.run()
    assert_ok(run)
    added = step(run, "Step 3: add free aliases to their target")["results"]
    assert [(a["item"]["wait"], a["added"]) for a in added] == [(True, ["example.com"])]
    waited = step(run, WAIT_DEPLOYED)["results"]
    assert [(w["item"]["distribution_id"], w["item"]["added"], w["deployed"]) for w in waited] == [
        (new["id"], ["example.com"], True)]
    # UpdateDistribution, then GetDistribution until Deployed, then the DNS change.
    update, deployed, change = order_of(requests, ("cloudfront", "UpdateDistribution"),
                                        ("cloudfront", "GetDistribution"), ("route53", "ChangeResourceRecordSets"))
    assert deployed < change
    repoint = step(run, "Step 2: repoint DNS at the target (only from the values step 1 saw)")["results"][0]
    assert "expected_current" not in repoint["item"]["records"][0]
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)
    assert "VERIFIED" in summary_of(run)
    assert third["domain_name"] not in [r["alias"] for r in route53_records(sandbox)]

    again, requests = situation.run()
    assert_ok(again)
    assert_nothing_changed(again, requests)


def test_addresses_that_match_the_target_do_not_count_as_dns_at_the_target(sandbox):
    """example.com is on the target, but its apex holds plain A/AAAA records copied from the target's current
    addresses. They look right to DNS, yet they are not a record that follows the distribution: step 2 reads the
    record at Route 53 and makes it an alias record; the next run changes nothing."""
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    new = create_distribution(cf, "apex-copied", aliases=["example.com"], cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    situation = Situation(sandbox, "example.com", new["id"], new["domain_name"], "route53", "example.com")
    copied = []
    for rtype in ("A", "AAAA"):
        values = ask(situation.nameserver, new["domain_name"], rtype)
        if values:
            copied.append({"Action": "CREATE", "ResourceRecordSet": {
                "Name": "example.com", "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": v} for v in values]}})
    route53_change(route53, zone_id, copied)

    run, requests = situation.run()
    assert_ok(run)
    found = step(run, "Step 1: find who holds each alias and what its DNS says")["results"][0]["aliases"][0]
    assert found["dns"]["points_to"]["via"] == "addresses" and found["dns"]["points_to"]["is_target"]
    assert operations(requests) == [("route53", "ChangeResourceRecordSets")]
    assert_dns_at_target(sandbox, situation)
    assert "changed: repoint_dns" in summary_of(run) and "VERIFIED" in summary_of(run)

    again, requests = situation.run()
    assert_ok(again)
    assert_nothing_changed(again, requests)
    assert "changed: nothing" in summary_of(again)


def test_dns_first_waits_until_the_new_record_is_served_before_adding_the_alias(sandbox):
    situation = Situation.build(sandbox, "seed-409")

    run, requests = situation.run(situation.extra_vars(strategy="dns_first"))
    assert_ok(run)
    repoint = step(run, "Step 2: repoint DNS at the target (only from the values step 1 saw)")["results"][0]
    assert repoint["item"]["wait"] is True
    assert repoint["wait"]["provider_in_sync"] is True
    assert [(n["name"], n["served"]) for n in repoint["wait"]["names"]] == [(situation.alias, True)]
    order_of(requests, ("route53", "ChangeResourceRecordSets"), ("route53", "GetChange"),
             ("cloudfront", "UpdateDistribution"))
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)


# -- many aliases, strategies, throttling ----------------------------------------------------------------


def _three_aliases_for_two_targets(sandbox):
    """www and shop held by OLD (DNS -> OLD), both wanted on NEW1; api free but DNS -> GONE, wanted on NEW2."""
    sandbox.reset()
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    old = create_distribution(cf, "many-old", aliases=["www.example.com", "shop.example.com"], cert_arn=cert)
    gone = create_distribution(cf, "many-gone", cert_arn=cert)
    new1 = create_distribution(cf, "many-new1", cert_arn=cert)
    new2 = create_distribution(cf, "many-new2", cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", old["domain_name"]),
                                      cname("shop.example.com", old["domain_name"]),
                                      cname("api.example.com", gone["domain_name"])])
    return old, new1, new2


def test_many_aliases_in_one_run_with_a_task_count_that_does_not_grow(sandbox, tmp_path):
    single = Situation.build(sandbox, "seed-409")
    one, unused = single.run()
    assert_ok(one)

    old, new1, new2 = _three_aliases_for_two_targets(sandbox)
    wanted = {"www.example.com": new1, "shop.example.com": new1, "api.example.com": new2}
    many = tmp_path / "many.yml"
    many.write_text(json.dumps({
        "aliases": [{"alias": alias, "target_distribution_id": dist["id"], "dns_provider": "route53",
                     "dns_zone": "example.com"} for alias, dist in wanted.items()],
        "verify_nameservers": [sandbox.dns_server], "verify_timeout": 20}))
    situation = Situation(sandbox, "www.example.com", new1["id"], new1["domain_name"], "route53", "example.com")

    run, requests = situation.run(extra_vars={}, args=("-e", "@%s" % many))
    assert_ok(run)
    # The same tasks as for one alias; loops go per distribution or per provider, not per alias.
    assert [r["task"] for r in run.results] == [r["task"] for r in one.results]
    assert len(step(run, "Step 1: find who holds each alias and what its DNS says")["results"]) == 2
    moves = step(run, "Step 3: move aliases in one step (AssociateAlias)")["results"]
    assert [(m["item"]["distribution_id"], sorted(m["item"]["aliases"])) for m in moves] == [
        (new1["id"], ["shop.example.com", "www.example.com"])]
    assert len(step(run, "Step 2: repoint DNS at the target (only from the values step 1 saw)")["results"]) == 1
    assert len([op for op in operations(requests) if op == ("route53", "ChangeResourceRecordSets")]) == 3
    # Who holds each alias was found once, by step 1, and the move took its answers (expected_holders): www and shop
    # from the account's listing, which shows OLD holding them; api, which nobody holds, with ListDomainConflicts.
    assert len([r for r in requests if r["operation"] == "ListDomainConflicts"]) == 1

    for alias, dist in wanted.items():
        each = Situation(sandbox, alias, dist["id"], dist["domain_name"], "route53", "example.com")
        assert_alias_only_on_target(sandbox, each)
        assert_dns_at_target(sandbox, each)
    assert_txt_gone(sandbox, situation)
    assert aliases_of(sandbox, old["id"]) == []
    summary = summary_of(run)
    assert summary.count("VERIFIED") == 3

    again, requests = situation.run(extra_vars={}, args=("-e", "@%s" % many))
    assert_ok(again)
    assert_nothing_changed(again, requests)
    # Every alias on its target, DNS proven by step 1: one GetDistribution per target and nothing else.
    assert sorted((r["service"], r["operation"]) for r in requests) == [("cloudfront", "GetDistribution")] * 2


def test_strategy_dns_first_repoints_dns_then_takes_the_alias_off_the_holder_then_adds_it(sandbox):
    situation = Situation.build(sandbox, "seed-409")
    holder = situation.info["holder"]["distribution_id"]

    run, requests = situation.run(situation.extra_vars(strategy="dns_first"))
    assert_ok(run)
    assert operations(requests) == [("route53", "ChangeResourceRecordSets"),
                                    ("cloudfront", "UpdateDistribution"),
                                    ("cloudfront", "UpdateDistribution")]
    handed = step(run, HANDOVER)["results"]
    assert [(r["item"]["distribution_id"], r["released_from"], r["added"]) for r in handed] == [
        (situation.target_id, [{"distribution_id": holder, "aliases": [situation.alias]}], [situation.alias])]
    assert aliases_of(sandbox, holder) == []
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)

    again, requests = situation.run(situation.extra_vars(strategy="dns_first"))
    assert_ok(again)
    assert_nothing_changed(again, requests)


def test_strategy_move_uses_associate_alias_where_auto_would_go_dns_first(sandbox):
    situation = Situation.build(sandbox, "wildcard")
    wildcard_holder = situation.info["holder"]["distribution_id"]

    run, requests = situation.run(situation.extra_vars(strategy="move"))
    assert_ok(run)
    assert operations(requests) == [("route53", "ChangeResourceRecordSets"),   # the TXT record
                                    ("cloudfront", "AssociateAlias"),
                                    ("route53", "ChangeResourceRecordSets"),   # DNS to the target
                                    ("route53", "ChangeResourceRecordSets")]   # the TXT record removed
    assert_alias_only_on_target(sandbox, situation, keep=[(wildcard_holder, "*.example.com")])
    assert_dns_at_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)


def test_throttled_control_planes_still_converge(sandbox):
    situation = Situation.build(sandbox, "seed-409")
    try:
        sandbox.faults(throttle=0.3, seed=11)
        run, requests = situation.run()
        # Throttling really happened, and was retried.
        assert any(r["status"] in (400, 429, 503) for r in requests)
        assert_ok(run)
        again, requests = situation.run()
        assert_ok(again)
        assert_nothing_changed(again, requests)
    finally:
        sandbox.faults(off=True)
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)


# -- input --------------------------------------------------------------------------------------------------


ARGUMENT_SPEC = "Validating arguments against arg spec 'main'"
READ_INPUT = "Read the aliases to remediate"


@pytest.mark.parametrize("bad, refused_by, message", [
    ({"strategy": "sideways"}, ARGUMENT_SPEC, "sideways"),
    ({"dns_provider": "godaddy"}, READ_INPUT, "godaddy"),  # any registered provider: checked by the filter
    ({"verify_timeout": "soon"}, ARGUMENT_SPEC, "soon"),
    ({"target_distribution_id": ""}, READ_INPUT, "target_distribution_id is missing"),
    ({"alias": "", "aliases": [{"alias": "www.example.com", "target": "E2ABCDEF012345"}]}, READ_INPUT, "unknown key"),
    ({"alias": "www..example.com"}, READ_INPUT, "www..example.com"),
])
def test_bad_input_is_refused_before_any_request(sandbox, bad, refused_by, message):
    situation = Situation.build(sandbox, "seed-409")
    before = snapshot(sandbox, situation)

    run, requests = situation.run(situation.extra_vars(**bad))
    assert run.returncode != 0
    failed = [r["task"] for r in run.results if r["result"].get("failed")]
    assert len(failed) == 1 and failed[0].startswith(ROLE + refused_by)
    assert message in failure_of(run)
    assert requests == []
    assert snapshot(sandbox, situation) == before


@pytest.mark.parametrize("scenario", ["cloudflare", "rfc2136"])
def test_secrets_never_appear_in_the_output_even_verbose(sandbox, scenario):
    """What a person sees: the default screen output, with -vvv and --diff, on success and on failure."""
    name, options = SCENARIOS[scenario]
    situation = Situation.build(sandbox, name, **options)
    environment = dict(os.environ)
    environment.update(situation.env())
    for key in ("ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_STDOUT_CALLBACK"):
        environment.pop(key, None)
    environment.update({"ANSIBLE_COLLECTIONS_PATH": collections_path(), "ANSIBLE_NOCOLOR": "1",
                        "ANSIBLE_PYTHON_INTERPRETER": sys.executable})
    command = ansible_playbook_executable() + [PLAYBOOK, "-vvv", "--diff"]

    def run(extra):
        completed = subprocess.run(command + ["-e", json.dumps(extra)], capture_output=True, text=True,
                                   env=environment, cwd=ROOT, timeout=600, check=False)
        output = completed.stdout + completed.stderr
        for secret in situation.secrets():
            assert secret not in output, "a secret appeared in the playbook output"
        return completed

    # A failing run (a wrong zone) prints its errors, still without secrets; then the right one.
    assert run(situation.extra_vars(dns_zone="example.org")).returncode != 0
    assert run(situation.extra_vars()).returncode == 0
    assert_dns_at_target(sandbox, situation)


def test_a_proxied_cloudflare_record_stops_before_any_change_unless_dns_only_is_asked(sandbox):
    situation = Situation.build(sandbox, "cloudflare", proxied=True)
    before = snapshot(sandbox, situation)

    # As typed on a command line: the string 'false' must mean false.
    run, requests = situation.run(args=("-e", "cloudflare_dns_only=false"))
    assert run.returncode != 0
    assert "proxied by Cloudflare" in failure_of(run) and "cloudflare_dns_only=true" in failure_of(run)
    assert mutating(requests) == []
    assert snapshot(sandbox, situation) == before

    run, requests = situation.run(situation.extra_vars(cloudflare_dns_only=True))
    assert_ok(run)
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)   # a DNS-only CNAME to the target
    assert_txt_gone(sandbox, situation)
