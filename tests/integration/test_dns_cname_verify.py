"""Step 4, dns_cname_verify, run by real ansible-playbook against the sandbox's DNS and BIND."""

import threading
import time

import pytest
from steps_helpers import (
    NonAuthoritativeForwarder,
    dns_values,
    operations,
    rfc2136_replace_cname,
    rfc2136_server,
    route53_upsert,
    verify_aliases,
)


def the_only(result):
    assert len(result["aliases"]) == 1, result
    return result["aliases"][0]


def repoint_www_to_target(sandbox, s):
    route53_upsert(sandbox, s["dns"]["zone_id"], "www.example.com", "CNAME", [s["target_domain_name"]])


def test_correct_cname_is_verified_by_following_the_chain(sandbox):
    s = sandbox.scenario("seed-409")
    repoint_www_to_target(sandbox, s)
    assert dns_values(sandbox.dns_server, "www.example.com", "CNAME") == [s["target_domain_name"]]
    result = verify_aliases(sandbox, ["www.example.com"], target_distribution_id=s["target_distribution_id"])

    assert not result.get("failed"), result.get("msg")
    assert result["verified"] is True
    assert result["target_domain_name"] == s["target_domain_name"]
    entry = the_only(result)
    assert entry["outcome"] == "verified" and entry["method"] == "cname_chain"
    assert entry["final_name"] == s["target_domain_name"]
    assert entry["chain"][0] == {"name": "www.example.com", "cname": s["target_domain_name"]}
    assert entry["nameservers"] and all(a["cname"] == s["target_domain_name"] for a in entry["nameservers"])
    assert entry["attempts"] == 1


def test_cname_to_another_distribution_is_wrong_target_naming_what_was_seen(sandbox):
    s = sandbox.scenario("seed-409")
    result = verify_aliases(sandbox, ["www.example.com"], target_distribution_id=s["target_distribution_id"])

    assert result["failed"] is True
    assert result["verified"] is False
    entry = the_only(result)
    assert entry["outcome"] == "wrong_target"
    assert entry["final_name"] == s["holder"]["domain_name"]
    assert s["holder"]["domain_name"] in entry["detail"] and s["target_domain_name"] in entry["detail"]
    assert "www.example.com (wrong_target)" in result["msg"] and s["holder"]["domain_name"] in result["msg"]


def test_route53_apex_alias_is_proved_by_addresses(sandbox):
    s = sandbox.scenario("apex")
    for rtype in ("A", "AAAA"):
        route53_upsert(sandbox, s["dns"]["zone_id"], "example.com", rtype, alias_target=s["target_domain_name"])
    # route53_api=never: only the address comparison (the default reads the record, see below).
    result = verify_aliases(sandbox, ["example.com"], target_distribution_id=s["target_distribution_id"],
                            route53_api="never")

    assert not result.get("failed"), result.get("msg")
    entry = the_only(result)
    assert entry["outcome"] == "verified" and entry["method"] == "addresses"
    assert "weak evidence" in entry["detail"] and "route53_api is never" in entry["detail"]
    assert dns_values(sandbox.dns_server, "example.com", "CNAME") == []
    assert set(dns_values(sandbox.dns_server, "example.com", "A")) == set(
        dns_values(sandbox.dns_server, s["target_domain_name"], "A"))


def test_route53_apex_alias_to_the_old_distribution_is_wrong_target(sandbox):
    s = sandbox.scenario("apex")
    result = verify_aliases(sandbox, ["example.com"], target_distribution_id=s["target_distribution_id"],
                            route53_api="never")

    entry = the_only(result)
    assert result["failed"] is True
    assert entry["outcome"] == "wrong_target" and entry["method"] == "addresses"
    old_addresses = dns_values(sandbox.dns_server, s["holder"]["domain_name"], "A")
    assert old_addresses and old_addresses[0] in entry["detail"]


# -- a name without a CNAME: the Route 53 record decides, addresses only outside Route 53 -----------


def test_route53_apex_alias_is_proved_by_its_alias_target_and_dns_serving_it(sandbox):
    s = sandbox.scenario("apex")
    for rtype in ("A", "AAAA"):
        route53_upsert(sandbox, s["dns"]["zone_id"], "example.com", rtype, alias_target=s["target_domain_name"])
    mark = sandbox.log_mark()
    result = verify_aliases(sandbox, ["example.com"], target_distribution_id=s["target_distribution_id"])

    assert not result.get("failed"), result.get("msg")
    entry = the_only(result)
    assert entry["outcome"] == "verified" and entry["method"] == "route53_alias"
    assert entry["final_name"] == s["target_domain_name"]
    assert entry["route53"]["zone"] == "example.com" and entry["route53"]["zone_ids"] == [s["dns"]["zone_id"]]
    assert sorted((r["type"], r["alias_target"]["dns_name"]) for r in entry["route53"]["records"]) == [
        ("A", s["target_domain_name"]), ("AAAA", s["target_domain_name"])]
    assert "weak evidence" not in entry["detail"]
    # DNS was asked too: every nameserver serves the name.
    assert {a["type"] for a in entry["nameservers"]} == {"CNAME", "A", "AAAA"}
    assert all(a["values"] for a in entry["nameservers"] if a["type"] in ("A", "AAAA"))
    sent = operations(sandbox.requests_since(mark))
    assert "ListHostedZonesByName" in sent and "ListResourceRecordSets" in sent
    assert result["requests"].get("route53", 0) >= 2
    assert sandbox.mutating_since(mark) == []


def test_route53_apex_alias_to_the_old_distribution_is_wrong_target_naming_it(sandbox):
    s = sandbox.scenario("apex")
    result = verify_aliases(sandbox, ["example.com"], target_distribution_id=s["target_distribution_id"])

    entry = the_only(result)
    assert result["failed"] is True
    assert entry["outcome"] == "wrong_target" and entry["method"] == "route53_alias"
    assert entry["final_name"] == s["holder"]["domain_name"]
    assert s["holder"]["domain_name"] in entry["detail"] and s["target_domain_name"] in entry["detail"]
    assert "example.com (wrong_target)" in result["msg"]


def test_plain_a_records_with_the_targets_addresses_are_not_proof(sandbox):
    # The address comparison would call this verified; the record says it is no alias at all, and CloudFront's
    # addresses change under it.
    s = sandbox.scenario("apex")
    addresses = dns_values(sandbox.dns_server, s["target_domain_name"], "A")
    route53_upsert(sandbox, s["dns"]["zone_id"], "plain.example.com", "A", addresses)
    by_addresses = the_only(verify_aliases(sandbox, ["plain.example.com"], route53_api="never",
                                           target_distribution_id=s["target_distribution_id"]))
    result = verify_aliases(sandbox, ["plain.example.com"], target_distribution_id=s["target_distribution_id"])

    assert by_addresses["outcome"] == "verified" and "weak evidence" in by_addresses["detail"]
    entry = the_only(result)
    assert result["failed"] is True
    assert entry["outcome"] == "wrong_target" and entry["method"] == "route53_alias"
    assert "plain A records" in entry["detail"] and "alias" in entry["detail"]


def test_route53_wildcard_alias_record_answers_for_a_name_below_it(sandbox):
    s = sandbox.scenario("apex")
    route53_upsert(sandbox, s["dns"]["zone_id"], "*.shop.example.com", "A", alias_target=s["target_domain_name"])
    result = verify_aliases(sandbox, ["eu.shop.example.com"], target_distribution_id=s["target_distribution_id"])

    assert not result.get("failed"), result.get("msg")
    entry = the_only(result)
    assert entry["outcome"] == "verified" and entry["method"] == "route53_alias"
    assert [r["name"] for r in entry["route53"]["records"]] == ["*.shop.example.com"]


def test_name_outside_route53_falls_back_to_addresses_and_says_they_are_weak(sandbox):
    s = sandbox.scenario("rfc2136")
    bind = rfc2136_server(sandbox)
    update = sandbox.clients.rfc2136_update()
    update.delete("www", "CNAME")
    update.replace("www", 300, "A", *dns_values(sandbox.dns_server, s["target_domain_name"], "A"))
    sandbox.clients.rfc2136_send(update)
    assert dns_values(bind, s["alias"], "CNAME") == [] and dns_values(bind, s["alias"], "A")
    mark = sandbox.log_mark()
    # The sandbox's DNS passes the RFC 2136 zone's questions to BIND and answers for cloudfront.net too.
    result = verify_aliases(sandbox, [s["alias"]], target_distribution_id=s["target_distribution_id"])

    assert not result.get("failed"), result.get("msg")
    entry = the_only(result)
    assert entry["outcome"] == "verified" and entry["method"] == "addresses"
    assert "weak evidence" in entry["detail"]
    assert "in no public Route 53 hosted zone of this account" in entry["detail"]
    assert entry["route53"] is None
    assert "ListHostedZonesByName" in operations(sandbox.requests_since(mark))


def test_without_aws_credentials_the_addresses_are_compared_and_the_reason_given(sandbox):
    s = sandbox.scenario("apex")
    for rtype in ("A", "AAAA"):
        route53_upsert(sandbox, s["dns"]["zone_id"], "example.com", rtype, alias_target=s["target_domain_name"])
    mark = sandbox.log_mark()
    result = verify_aliases(sandbox, ["example.com"], env={"AWS_EC2_METADATA_DISABLED": "true"},
                            target_domain_name=s["target_domain_name"])

    assert not result.get("failed"), result.get("msg")
    entry = the_only(result)
    assert entry["outcome"] == "verified" and entry["method"] == "addresses"
    assert "weak evidence" in entry["detail"] and "Route 53 could not be asked" in entry["detail"]
    assert "credentials" in entry["detail"]
    assert result["requests"] == {} and sandbox.requests_since(mark) == []


def test_route53_api_never_sends_no_route53_request(sandbox):
    s = sandbox.scenario("apex")
    mark = sandbox.log_mark()
    result = verify_aliases(sandbox, ["example.com"], route53_api="never", fail_on_unverified=False,
                            target_distribution_id=s["target_distribution_id"])

    assert the_only(result)["method"] == "addresses"
    assert operations(sandbox.requests_since(mark)) == ["GetDistribution"]


# -- nameservers that do not answer authoritatively -----------------------------------------------------


def test_a_cache_given_as_nameserver_is_a_dns_error_not_a_proof(sandbox):
    s = sandbox.scenario("seed-409")
    repoint_www_to_target(sandbox, s)
    with NonAuthoritativeForwarder(sandbox.dns_server) as cache:
        result = verify_aliases(sandbox, ["www.example.com"], nameservers=[cache.address],
                                target_distribution_id=s["target_distribution_id"])

    assert cache.queries > 0
    entry = the_only(result)
    assert result["failed"] is True
    assert entry["outcome"] == "dns_error"
    assert cache.address in entry["detail"] and "authoritative (AA) flag" in entry["detail"]
    assert "check nameservers" in entry["detail"]


def test_a_refusing_nameserver_is_a_dns_error_not_no_record(sandbox):
    s = sandbox.scenario("seed-409")
    # BIND serves only the RFC 2136 zone: for example.com it refuses.
    result = verify_aliases(sandbox, ["nothing.example.com"], nameservers=[rfc2136_server(sandbox)],
                            target_distribution_id=s["target_distribution_id"])

    entry = the_only(result)
    assert entry["outcome"] == "dns_error"
    assert "no CNAME, A or AAAA record" not in entry["detail"]
    assert "not authoritative" in entry["detail"]


def test_cloudflare_proxied_record_is_unverifiable_with_the_reason(sandbox):
    s = sandbox.scenario("cloudflare", proxied=True)
    result = verify_aliases(sandbox, ["www.example.com"], target_distribution_id=s["target_distribution_id"],
                            verify_timeout=60)

    entry = the_only(result)
    assert result["failed"] is True and result["verified"] is False
    assert entry["outcome"] == "unverifiable" and entry["method"] == "proxied"
    assert "proxied" in entry["detail"] and "Cloudflare" in entry["detail"]
    assert "unverifiable" in result["msg"]
    # Waiting cannot make a proxied record provable: one attempt, no minute of retries.
    assert entry["attempts"] == 1


def test_name_without_any_record_is_no_record(sandbox):
    s = sandbox.scenario("seed-409")
    result = verify_aliases(sandbox, ["nothing.example.com"], target_distribution_id=s["target_distribution_id"])

    entry = the_only(result)
    assert result["failed"] is True
    assert entry["outcome"] == "no_record"
    assert "no CNAME, A or AAAA record" in entry["detail"]


def test_fail_on_unverified_false_only_reports(sandbox):
    s = sandbox.scenario("seed-409")
    result = verify_aliases(sandbox, ["www.example.com"], target_distribution_id=s["target_distribution_id"],
                            fail_on_unverified=False)

    assert not result.get("failed")
    assert result["verified"] is False
    assert the_only(result)["outcome"] == "wrong_target"


def test_timeout_waits_until_dns_is_fixed(sandbox):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    fixed = threading.Event()

    def fix_dns_two_seconds_after_the_module_starts():
        # The module reads the target first (GetDistribution); from then on it is checking DNS.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(e["operation"] == "GetDistribution" for e in sandbox.requests_since(mark)):
                break
            time.sleep(0.05)
        time.sleep(2)
        repoint_www_to_target(sandbox, s)
        fixed.set()

    fixer = threading.Thread(target=fix_dns_two_seconds_after_the_module_starts, daemon=True)
    fixer.start()
    result = verify_aliases(sandbox, ["www.example.com"], target_distribution_id=s["target_distribution_id"],
                            verify_timeout=60)
    fixer.join(10)

    assert fixed.is_set()
    assert not result.get("failed"), result.get("msg")
    entry = the_only(result)
    assert entry["outcome"] == "verified"
    assert entry["attempts"] > 1
    assert entry["elapsed"] >= 2


def test_target_domain_name_needs_no_aws_at_all(sandbox):
    s = sandbox.scenario("seed-409")
    repoint_www_to_target(sandbox, s)
    mark = sandbox.log_mark()
    result = verify_aliases(sandbox, ["www.example.com"], env={}, target_domain_name=s["target_domain_name"])

    assert not result.get("failed"), result.get("msg")
    assert the_only(result)["outcome"] == "verified"
    assert result["requests"] == {}
    assert sandbox.requests_since(mark) == []


def test_target_domain_name_sends_no_aws_request_even_with_credentials(sandbox):
    s = sandbox.scenario("seed-409")
    repoint_www_to_target(sandbox, s)
    mark = sandbox.log_mark()
    result = verify_aliases(sandbox, ["www.example.com"], target_domain_name=s["target_domain_name"].upper() + ".")

    assert not result.get("failed"), result.get("msg")
    assert result["target_domain_name"] == s["target_domain_name"]
    assert sandbox.requests_since(mark) == []


@pytest.mark.parametrize("check", [False, True], ids=["normal", "check-mode"])
def test_verification_never_changes_anything(sandbox, check):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    result = verify_aliases(sandbox, ["www.example.com", "nothing.example.com"], check=check,
                            target_distribution_id=s["target_distribution_id"], fail_on_unverified=False)

    assert result["changed"] is False
    assert [e["operation"] for e in sandbox.requests_since(mark)] == ["GetDistribution"]
    assert sandbox.mutating_since(mark) == []
    assert dns_values(sandbox.dns_server, "www.example.com", "CNAME") == [s["holder"]["domain_name"]]


def test_rfc2136_zone_is_verified_through_bind_directly(sandbox):
    s = sandbox.scenario("rfc2136")
    bind = rfc2136_server(sandbox)
    rfc2136_replace_cname(sandbox, "www", s["target_domain_name"])
    assert dns_values(bind, s["alias"], "CNAME") == [s["target_domain_name"]]
    result = verify_aliases(sandbox, [s["alias"]], nameservers=[bind],
                            target_distribution_id=s["target_distribution_id"])

    assert not result.get("failed"), result.get("msg")
    entry = the_only(result)
    assert entry["outcome"] == "verified" and entry["final_name"] == s["target_domain_name"]
    assert [a["server"] for a in entry["nameservers"]] == [bind]


@pytest.mark.parametrize("options,expected", [
    ({"alias_names": [], "target_domain_name": "d111111abcdef8.cloudfront.net"}, "aliases is empty"),
    ({"alias_names": ["www.*.example.com"], "target_domain_name": "d111111abcdef8.cloudfront.net"},
     "'*' may only be the whole first label"),
    ({"alias_names": ["www.example.com"]}, "one of the following is required"),
    ({"alias_names": ["www.example.com"], "target_distribution_id": "e-bad-id"},
     "does not look like a CloudFront distribution id"),
    ({"alias_names": ["www.example.com"], "target_domain_name": "d1.cloudfront.net", "verify_timeout": -1},
     "timeout must be zero or more"),
], ids=["empty-aliases", "inner-wildcard", "no-target", "malformed-id", "negative-timeout"])
def test_bad_input_fails_before_any_request(sandbox, options, expected):
    sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    aliases = options.pop("alias_names")
    result = verify_aliases(sandbox, aliases, **options)

    assert result["failed"] is True
    assert expected in result["msg"]
    assert sandbox.requests_since(mark) == []
