"""Step 4, dns_cname_verify, run by real ansible-playbook against the sandbox's DNS and BIND."""

import threading
import time

import pytest
from steps_helpers import (
    dns_values,
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
    result = verify_aliases(sandbox, ["example.com"], target_distribution_id=s["target_distribution_id"])

    assert not result.get("failed"), result.get("msg")
    entry = the_only(result)
    assert entry["outcome"] == "verified" and entry["method"] == "addresses"
    assert dns_values(sandbox.dns_server, "example.com", "CNAME") == []
    assert set(dns_values(sandbox.dns_server, "example.com", "A")) == set(
        dns_values(sandbox.dns_server, s["target_domain_name"], "A"))


def test_route53_apex_alias_to_the_old_distribution_is_wrong_target(sandbox):
    s = sandbox.scenario("apex")
    result = verify_aliases(sandbox, ["example.com"], target_distribution_id=s["target_distribution_id"])

    entry = the_only(result)
    assert result["failed"] is True
    assert entry["outcome"] == "wrong_target" and entry["method"] == "addresses"
    old_addresses = dns_values(sandbox.dns_server, s["holder"]["domain_name"], "A")
    assert old_addresses and old_addresses[0] in entry["detail"]


def test_cloudflare_proxied_record_is_unverifiable_with_the_reason(sandbox):
    s = sandbox.scenario("cloudflare", proxied=True)
    started = time.monotonic()
    result = verify_aliases(sandbox, ["www.example.com"], target_distribution_id=s["target_distribution_id"],
                            verify_timeout=60)

    entry = the_only(result)
    assert result["failed"] is True and result["verified"] is False
    assert entry["outcome"] == "unverifiable" and entry["method"] == "proxied"
    assert "proxied" in entry["detail"] and "Cloudflare" in entry["detail"]
    assert "unverifiable" in result["msg"]
    # Waiting cannot make a proxied record provable: one attempt, no minute of retries.
    assert entry["attempts"] == 1
    assert time.monotonic() - started < 30


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
