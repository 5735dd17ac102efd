"""dns_cname_repoint against the sandbox: Route 53, Cloudflare and RFC 2136 (BIND).

Every test runs the module through real ansible-playbook, then looks at the
provider with an independent client (boto3, plain HTTP, dnspython at the
sandbox's authoritative DNS or at BIND) and at the sandbox's request log.
"""

import json
import os

import pytest

from repoint_helpers import (
    ACCOUNT,
    InProcess,
    Repoint,
    ask,
    bind_dns,
    cloudflare_records,
    cloudflare_zone,
    cname_change,
    lose_answers,
    mutating_summary,
    route53_change,
    route53_sets,
    route53_values,
    sandbox_dns,
    spy_cloudflare_requests,
    write_backup_file,
)
from sandbox import scenarios as sandbox_scenarios

CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
ELSEWHERE = "elsewhere.example.org"


@pytest.fixture
def repoint(sandbox):
    return Repoint(sandbox)


@pytest.fixture(autouse=True)
def faults_off(sandbox):
    sandbox.faults(off=True)
    yield
    sandbox.faults(off=True)


def assert_no_mutation(sandbox, mark):
    mutating = sandbox.mutating_since(mark)
    assert mutating == [], "expected no mutating request, got %s" % mutating_summary(mutating)


def operations(sandbox, mark, service, operation):
    return [e for e in sandbox.requests_since(mark) if e["service"] == service and e["operation"] == operation]


def new_distribution(sandbox, reference, **kwargs):
    return sandbox_scenarios.create_distribution(sandbox.aws("cloudfront", ACCOUNT), reference, **kwargs)


# ======================================================================================
# Route 53
# ======================================================================================

@pytest.fixture
def seed(sandbox):
    """www.example.com CNAME -> old distribution (Route 53); the new distribution is the target."""
    return sandbox.scenario("seed-409")


def r53_cname(sandbox, seed, name="www.example.com"):
    return route53_values(sandbox, seed["dns"]["zone_id"], name, "CNAME")


def test_route53_repoint_to_cloudfront_domain_name_points_the_cname_at_it(sandbox, repoint, seed):
    new, old = seed["target_domain_name"], seed["holder"]["domain_name"]

    run = repoint.run("route53", zone="example.com", name="www.example.com", target=new)

    assert run.returncode == 0, run.explain()
    assert run.result["changed"] is True
    entry = run.record("www.example.com")
    assert entry["action"] == "update"
    assert entry["before"][0]["values"] == [old]
    assert entry["after"][0]["values"] == [new]
    assert r53_cname(sandbox, seed) == [new]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [new])


def test_route53_repoint_to_distribution_id_points_the_cname_at_its_domain_name(sandbox, repoint, seed):
    new = seed["target_domain_name"]

    run = repoint.run("route53", zone="example.com", name="www.example.com", target=seed["target_distribution_id"])

    assert run.returncode == 0, run.explain()
    assert run.record("www.example.com")["after"][0]["values"] == [new]
    assert r53_cname(sandbox, seed) == [new]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [new])


def test_route53_zone_is_found_from_the_name_when_not_given(sandbox, repoint, seed):
    run = repoint.run("route53", name="www.example.com", target=seed["target_domain_name"])

    assert run.returncode == 0, run.explain()
    assert run.record("www.example.com")["zone"] == "example.com"
    assert r53_cname(sandbox, seed) == [seed["target_domain_name"]]


def test_route53_check_mode_reports_the_plan_and_sends_no_mutating_request(sandbox, repoint, seed):
    new, old = seed["target_domain_name"], seed["holder"]["domain_name"]
    mark = sandbox.log_mark()

    run = repoint.run("route53", check=True, zone="example.com", name="www.example.com", target=new)

    assert run.returncode == 0, run.explain()
    assert run.result["changed"] is True
    entry = run.record("www.example.com")
    assert entry["action"] == "update"
    assert [(s["type"], s["values"]) for s in entry["before"]] == [("CNAME", [old])]
    assert [(s["type"], s["values"]) for s in entry["after"]] == [("CNAME", [new])]
    assert_no_mutation(sandbox, mark)
    assert r53_cname(sandbox, seed) == [old]


def test_route53_diff_shows_the_zone_file_lines_before_and_after(sandbox, repoint, seed):
    new, old = seed["target_domain_name"], seed["holder"]["domain_name"]

    run = repoint.run("route53", check=True, diff=True, zone="example.com", name="www.example.com", target=new)

    assert run.returncode == 0, run.explain()
    diff = run.result["diff"]
    assert len(diff) == 1
    assert diff[0]["before"] == "www.example.com. 300 IN CNAME %s.\n" % old
    assert diff[0]["after"] == "www.example.com. 300 IN CNAME %s.\n" % new


def test_route53_second_run_reports_no_change_and_sends_no_mutating_request(sandbox, repoint, seed):
    options = dict(zone="example.com", name="www.example.com", target=seed["target_distribution_id"])
    first = repoint.run("route53", **options)
    assert first.result["changed"] is True, first.explain()
    mark = sandbox.log_mark()

    second = repoint.run("route53", **options)

    assert second.returncode == 0, second.explain()
    assert second.result["changed"] is False
    assert second.record("www.example.com")["action"] == "none"
    assert_no_mutation(sandbox, mark)


def test_route53_expected_current_refuses_a_record_that_holds_something_else(sandbox, repoint, seed):
    old = seed["holder"]["domain_name"]
    mark = sandbox.log_mark()

    run = repoint.run("route53", zone="example.com", name="www.example.com", target=seed["target_domain_name"],
                      expected_current=["d0ther0ld0ne.cloudfront.net"])

    assert run.failed, run.explain()
    assert old in run.msg and "expected_current" in run.msg
    assert_no_mutation(sandbox, mark)
    assert r53_cname(sandbox, seed) == [old]


def test_route53_expected_current_given_as_distribution_id_accepts_the_matching_record(sandbox, repoint, seed):
    run = repoint.run("route53", zone="example.com", name="www.example.com", target=seed["target_distribution_id"],
                      expected_current=[seed["holder"]["distribution_id"]])

    assert run.returncode == 0, run.explain()
    assert r53_cname(sandbox, seed) == [seed["target_domain_name"]]


def test_route53_record_changed_after_a_check_run_is_refused_by_expected_current(sandbox, repoint, seed):
    old, new = seed["holder"]["domain_name"], seed["target_domain_name"]
    options = dict(zone="example.com", name="www.example.com", target=new, expected_current=[old])
    planned = repoint.run("route53", check=True, **options)
    assert planned.record("www.example.com")["action"] == "update", planned.explain()
    # Someone else repoints the name between the operator's check run and the real run.
    route53_change(sandbox, seed["dns"]["zone_id"], [cname_change("DELETE", "www.example.com", old),
                                                     cname_change("CREATE", "www.example.com", ELSEWHERE)])
    mark = sandbox.log_mark()

    run = repoint.run("route53", **options)

    assert run.failed, run.explain()
    assert ELSEWHERE in run.msg
    assert_no_mutation(sandbox, mark)
    assert r53_cname(sandbox, seed) == [ELSEWHERE]


def test_route53_expected_current_creates_a_name_that_has_no_record_yet(sandbox, repoint, seed):
    run = repoint.run("route53", zone="example.com", name="new.example.com", target=seed["target_domain_name"],
                      expected_current=[seed["holder"]["domain_name"]])

    assert run.returncode == 0, run.explain()
    assert run.record("new.example.com")["action"] == "create"
    assert r53_cname(sandbox, seed, "new.example.com") == [seed["target_domain_name"]]


def test_route53_cname_beside_other_data_is_refused_before_any_change(sandbox, repoint, seed):
    zone_id = seed["dns"]["zone_id"]
    route53_change(sandbox, zone_id, [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "mail.example.com", "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mx.example.org"}]}}])
    mark = sandbox.log_mark()

    run = repoint.run("route53", zone="example.com", name="mail.example.com", target=seed["target_domain_name"])

    assert run.failed, run.explain()
    assert "also has MX records" in run.msg
    assert_no_mutation(sandbox, mark)
    assert [s["Type"] for s in route53_sets(sandbox, zone_id, "mail.example.com")] == ["MX"]


def test_route53_backup_writes_the_replaced_record_to_a_file(sandbox, repoint, seed, tmp_path):
    old = seed["holder"]["domain_name"]

    run = repoint.run("route53", zone="example.com", name="www.example.com", target=seed["target_domain_name"],
                      backup=True, backup_dir=str(tmp_path))

    assert run.returncode == 0, run.explain()
    path = run.result["backup_file"]
    assert os.path.dirname(path) == str(tmp_path)
    with open(path, encoding="utf-8") as handle:
        backup = json.load(handle)
    assert backup["provider"] == "route53"
    [saved] = backup["names"]
    assert saved["name"] == "www.example.com"
    assert [(s["type"], s["values"]) for s in saved["record_sets"]] == [("CNAME", [old])]


def test_route53_restore_from_a_backup_puts_the_old_record_back(sandbox, repoint, seed, tmp_path):
    old = seed["holder"]["domain_name"]
    changed = repoint.run("route53", zone="example.com", name="www.example.com", target=seed["target_domain_name"],
                          backup=True, backup_dir=str(tmp_path))
    assert r53_cname(sandbox, seed) == [seed["target_domain_name"]], changed.explain()

    run = repoint.run("route53", restore_from=changed.result["backup_file"])

    assert run.returncode == 0, run.explain()
    assert run.result["changed"] is True
    assert r53_cname(sandbox, seed) == [old]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [old])


def test_route53_restore_in_check_mode_reports_the_plan_and_changes_nothing(sandbox, repoint, seed, tmp_path):
    old, new = seed["holder"]["domain_name"], seed["target_domain_name"]
    changed = repoint.run("route53", zone="example.com", name="www.example.com", target=new, backup=True,
                          backup_dir=str(tmp_path))
    mark = sandbox.log_mark()

    run = repoint.run("route53", check=True, restore_from=changed.result["backup_file"])

    assert run.returncode == 0, run.explain()
    entry = run.record("www.example.com")
    assert entry["action"] == "update"
    assert [(s["type"], s["values"]) for s in entry["after"]] == [("CNAME", [old])]
    assert_no_mutation(sandbox, mark)
    assert r53_cname(sandbox, seed) == [new]


def test_route53_restore_is_idempotent(sandbox, repoint, seed, tmp_path):
    changed = repoint.run("route53", zone="example.com", name="www.example.com", target=seed["target_domain_name"],
                          backup=True, backup_dir=str(tmp_path))
    first = repoint.run("route53", restore_from=changed.result["backup_file"])
    assert first.result["changed"] is True, first.explain()
    mark = sandbox.log_mark()

    second = repoint.run("route53", restore_from=changed.result["backup_file"])

    assert second.returncode == 0, second.explain()
    assert second.result["changed"] is False
    assert_no_mutation(sandbox, mark)
    assert r53_cname(sandbox, seed) == [seed["holder"]["domain_name"]]


def test_route53_state_absent_removes_the_record(sandbox, repoint, seed):
    run = repoint.run("route53", zone="example.com", name="www.example.com", state="absent")

    assert run.returncode == 0, run.explain()
    assert run.record("www.example.com")["action"] == "delete"
    assert route53_sets(sandbox, seed["dns"]["zone_id"], "www.example.com") == []
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME")[1] == []


def test_route53_state_absent_is_idempotent(sandbox, repoint, seed):
    repoint.run("route53", zone="example.com", name="www.example.com", state="absent")
    mark = sandbox.log_mark()

    run = repoint.run("route53", zone="example.com", name="www.example.com", state="absent")

    assert run.returncode == 0, run.explain()
    assert run.result["changed"] is False
    assert_no_mutation(sandbox, mark)


# -- compare-and-swap between read and write -----------------------------------------------

def test_route53_change_batch_deletes_exactly_the_set_it_read_and_creates_the_new_one(sandbox, seed):
    module = InProcess(sandbox, "route53")
    [read] = route53_sets(sandbox, seed["dns"]["zone_id"], "www.example.com")

    plans = module.plan(zone="example.com", name="www.example.com", target=seed["target_domain_name"])

    assert module.provider.batch(plans[0].pending) == [
        {"Action": "DELETE", "ResourceRecordSet": read},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.example.com.", "Type": "CNAME", "TTL": 300,
                                                   "ResourceRecords": [{"Value": seed["target_domain_name"]}]}},
    ]


def test_route53_change_made_between_read_and_write_is_refused_and_nothing_changes(sandbox, seed):
    module = InProcess(sandbox, "route53")
    old = seed["holder"]["domain_name"]
    plans = module.plan(zone="example.com", name="www.example.com", target=seed["target_domain_name"])
    route53_change(sandbox, seed["dns"]["zone_id"], [cname_change("DELETE", "www.example.com", old),
                                                     cname_change("CREATE", "www.example.com", ELSEWHERE)])
    mark = sandbox.log_mark()

    with pytest.raises(module.ConcurrentChange) as refused:
        module.apply(plans)

    assert "nothing in it was changed" in str(refused.value)
    assert [(e["operation"], e["status"]) for e in sandbox.mutating_since(mark)] == [
        ("ChangeResourceRecordSets", 400)]
    assert r53_cname(sandbox, seed) == [ELSEWHERE]


# -- the apex ------------------------------------------------------------------------------

@pytest.fixture
def apex(sandbox):
    """example.com alias A/AAAA -> old distribution (Route 53)."""
    return sandbox.scenario("apex")


def alias_targets(sandbox, zone_id, name):
    return dict((s["Type"], (s["AliasTarget"]["HostedZoneId"], s["AliasTarget"]["DNSName"].rstrip(".")))
                for s in route53_sets(sandbox, zone_id, name) if s.get("AliasTarget"))


def test_route53_apex_becomes_alias_a_and_aaaa_records_to_cloudfront(sandbox, repoint, apex):
    new = apex["target_domain_name"]

    run = repoint.run("route53", zone="example.com", name="@", target=apex["target_distribution_id"])

    assert run.returncode == 0, run.explain()
    assert alias_targets(sandbox, apex["dns"]["zone_id"], "example.com") == {
        "A": (CLOUDFRONT_ZONE, new), "AAAA": (CLOUDFRONT_ZONE, new)}
    served = ask(sandbox_dns(sandbox), "example.com", "A")
    assert served[1] and served == ask(sandbox_dns(sandbox), new, "A")


def test_route53_apex_of_a_distribution_without_ipv6_gets_only_an_alias_a_record(sandbox, repoint, apex):
    ipv4_only = new_distribution(sandbox, "apex-v4-only", ipv6=False)

    run = repoint.run("route53", zone="example.com", name="@", target=ipv4_only["id"])

    assert run.returncode == 0, run.explain()
    assert alias_targets(sandbox, apex["dns"]["zone_id"], "example.com") == {
        "A": (CLOUDFRONT_ZONE, ipv4_only["domain_name"])}
    assert ask(sandbox_dns(sandbox), "example.com", "AAAA")[1] == []


def test_route53_apex_repoint_is_idempotent(sandbox, repoint, apex):
    options = dict(zone="example.com", name="@", target=apex["target_domain_name"])
    repoint.run("route53", **options)
    mark = sandbox.log_mark()

    run = repoint.run("route53", **options)

    assert run.returncode == 0, run.explain()
    assert run.result["changed"] is False
    assert_no_mutation(sandbox, mark)


# -- type changes ----------------------------------------------------------------------------

def test_route53_plain_a_record_becomes_a_cname_in_one_change(sandbox, repoint, seed):
    zone_id = seed["dns"]["zone_id"]
    route53_change(sandbox, zone_id, [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "app.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}]}}])
    mark = sandbox.log_mark()

    run = repoint.run("route53", zone="example.com", name="app.example.com", target=seed["target_domain_name"])

    assert run.returncode == 0, run.explain()
    assert [s["Type"] for s in route53_sets(sandbox, zone_id, "app.example.com")] == ["CNAME"]
    assert route53_values(sandbox, zone_id, "app.example.com", "CNAME") == [seed["target_domain_name"]]
    assert len(operations(sandbox, mark, "route53", "ChangeResourceRecordSets")) == 1


def test_route53_restore_turns_the_cname_back_into_the_plain_a_record_in_one_change(sandbox, repoint, seed,
                                                                                    tmp_path):
    zone_id = seed["dns"]["zone_id"]
    route53_change(sandbox, zone_id, [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "app.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}]}}])
    changed = repoint.run("route53", zone="example.com", name="app.example.com", target=seed["target_domain_name"],
                          backup=True, backup_dir=str(tmp_path))
    assert changed.returncode == 0, changed.explain()
    mark = sandbox.log_mark()

    run = repoint.run("route53", restore_from=changed.result["backup_file"])

    assert run.returncode == 0, run.explain()
    sets = route53_sets(sandbox, zone_id, "app.example.com")
    assert [(s["Type"], s["TTL"], s["ResourceRecords"]) for s in sets] == [("A", 60, [{"Value": "192.0.2.10"}])]
    assert len(operations(sandbox, mark, "route53", "ChangeResourceRecordSets")) == 1
    assert ask(sandbox_dns(sandbox), "app.example.com", "A") == ("NOERROR", ["192.0.2.10"])


def test_route53_alias_a_record_becomes_a_cname_and_back_in_one_change_each(sandbox, repoint, seed, tmp_path):
    zone_id = seed["dns"]["zone_id"]
    old = seed["holder"]["domain_name"]
    route53_change(sandbox, zone_id, [sandbox_scenarios.alias_record("cdn.example.com", "A", old)])
    mark = sandbox.log_mark()

    changed = repoint.run("route53", zone="example.com", name="cdn.example.com", target=seed["target_domain_name"],
                          backup=True, backup_dir=str(tmp_path))

    assert changed.returncode == 0, changed.explain()
    assert [s["Type"] for s in route53_sets(sandbox, zone_id, "cdn.example.com")] == ["CNAME"]
    assert len(operations(sandbox, mark, "route53", "ChangeResourceRecordSets")) == 1
    mark = sandbox.log_mark()

    restored = repoint.run("route53", restore_from=changed.result["backup_file"])

    assert restored.returncode == 0, restored.explain()
    assert alias_targets(sandbox, zone_id, "cdn.example.com") == {"A": (CLOUDFRONT_ZONE, old)}
    assert [s["Type"] for s in route53_sets(sandbox, zone_id, "cdn.example.com")] == ["A"]
    assert len(operations(sandbox, mark, "route53", "ChangeResourceRecordSets")) == 1


# -- the AssociateAlias TXT record ----------------------------------------------------------

def test_route53_challenge_creates_the_underscore_txt_record_with_the_target_domain(sandbox, repoint, seed):
    new = seed["target_domain_name"]

    run = repoint.run("route53", zone="example.com", name="www.example.com", challenge=True,
                      target=seed["target_distribution_id"])

    assert run.returncode == 0, run.explain()
    assert run.record("_www.example.com")["action"] == "create"
    assert route53_values(sandbox, seed["dns"]["zone_id"], "_www.example.com", "TXT") == ['"%s"' % new]
    assert ask(sandbox_dns(sandbox), "_www.example.com", "TXT") == ("NOERROR", [new])
    assert r53_cname(sandbox, seed) == [seed["holder"]["domain_name"]]


def test_route53_challenge_with_state_absent_removes_the_txt_record(sandbox, repoint, seed):
    options = dict(zone="example.com", name="www.example.com", challenge=True)
    repoint.run("route53", target=seed["target_domain_name"], **options)

    run = repoint.run("route53", state="absent", **options)

    assert run.returncode == 0, run.explain()
    assert run.record("_www.example.com")["action"] == "delete"
    assert route53_sets(sandbox, seed["dns"]["zone_id"], "_www.example.com") == []
    assert r53_cname(sandbox, seed) == [seed["holder"]["domain_name"]]


def test_route53_challenge_for_the_apex_uses_underscore_dot_zone(sandbox, repoint, apex):
    new = apex["target_domain_name"]

    run = repoint.run("route53", zone="example.com", name="@", challenge=True, target=new)

    assert run.returncode == 0, run.explain()
    assert run.records[0]["name"] == "_.example.com"
    assert route53_values(sandbox, apex["dns"]["zone_id"], "_.example.com", "TXT") == ['"%s"' % new]
    assert ask(sandbox_dns(sandbox), "_.example.com", "TXT") == ("NOERROR", [new])


# -- many names ------------------------------------------------------------------------------

def test_route53_many_names_are_sent_as_one_change_batch_per_zone(sandbox, repoint, seed):
    new = seed["target_domain_name"]
    sandbox_scenarios.hosted_zone(sandbox.aws("route53", ACCOUNT), "example.org")
    names = ["www.example.com", "a.example.com", "b.example.com", "c.example.com", "d.example.com",
             "e.example.com", "www.example.org", "a.example.org"]
    mark = sandbox.log_mark()

    run = repoint.run("route53", target=seed["target_distribution_id"],
                      records=[{"name": n, "zone": n.split(".", 1)[1]} for n in names])

    assert run.returncode == 0, run.explain()
    assert sorted(r["name"] for r in run.records) == sorted(names)
    changes = operations(sandbox, mark, "route53", "ChangeResourceRecordSets")
    assert len(changes) == 2, mutating_summary(sandbox.requests_since(mark))
    for name in names:
        assert ask(sandbox_dns(sandbox), name, "CNAME") == ("NOERROR", [new]), name


def test_route53_records_take_per_name_options_over_the_defaults(sandbox, repoint, seed):
    zone_id = seed["dns"]["zone_id"]

    run = repoint.run("route53", zone="example.com", target=seed["target_domain_name"], ttl=120,
                      records=[{"name": "www.example.com"},
                               {"name": "api.example.com", "target": ELSEWHERE, "ttl": 60,
                                "allow_any_target": True}])

    assert run.returncode == 0, run.explain()
    sets = dict((s["Name"], s) for s in route53_sets(sandbox, zone_id, "www.example.com")
                + route53_sets(sandbox, zone_id, "api.example.com"))
    assert sets["www.example.com."]["TTL"] == 120
    assert sets["www.example.com."]["ResourceRecords"] == [{"Value": seed["target_domain_name"]}]
    assert sets["api.example.com."]["TTL"] == 60
    assert sets["api.example.com."]["ResourceRecords"] == [{"Value": ELSEWHERE}]


# -- waiting ---------------------------------------------------------------------------------

def test_route53_wait_returns_once_the_change_is_in_sync_and_served(sandbox, repoint, seed):
    new = seed["target_domain_name"]
    mark = sandbox.log_mark()

    run = repoint.run("route53", zone="example.com", name="www.example.com", target=new, wait=True,
                      wait_timeout=60, nameservers=[sandbox.dns_server])

    assert run.returncode == 0, run.explain()
    wait = run.result["wait"]
    assert wait["provider_in_sync"] is True
    [served] = wait["names"]
    assert served["name"] == "www.example.com" and served["served"] is True
    assert operations(sandbox, mark, "route53", "GetChange")
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [new])


# -- names as users type them -----------------------------------------------------------------

def test_route53_wildcard_name_is_repointed_and_then_left_alone(sandbox, repoint):
    wildcard = sandbox.scenario("wildcard")
    new = wildcard["target_domain_name"]
    options = dict(zone="example.com", name="*.example.com", target=new)
    first = repoint.run("route53", **options)
    assert first.returncode == 0, first.explain()
    assert route53_values(sandbox, wildcard["dns"]["zone_id"], "*.example.com", "CNAME") == [new]
    mark = sandbox.log_mark()

    second = repoint.run("route53", **options)

    assert second.result["changed"] is False, second.explain()
    assert_no_mutation(sandbox, mark)


def test_route53_unicode_mixed_case_and_trailing_dot_name_the_same_record_every_run(sandbox, repoint, seed):
    options = dict(zone="Example.COM.", name="B\u00fccher.Example.com.",
                   target=seed["target_domain_name"].upper())
    first = repoint.run("route53", **options)
    assert first.returncode == 0, first.explain()
    assert first.records[0]["name"] == "xn--bcher-kva.example.com"
    assert route53_values(sandbox, seed["dns"]["zone_id"], "xn--bcher-kva.example.com", "CNAME") == [
        seed["target_domain_name"]]
    mark = sandbox.log_mark()

    second = repoint.run("route53", **options)

    assert second.result["changed"] is False, second.explain()
    assert_no_mutation(sandbox, mark)


# -- bad input: a clear message, nothing sent that changes anything -----------------------

@pytest.mark.parametrize("options, message", [
    (dict(zone="example.org", name="www.example.org"), "no Route 53 hosted zone named example.org"),
    (dict(zone="example.com", name="www.example.org"), "not inside the zone example.com"),
    (dict(zone="example.com", name="www..example.com"), "empty label"),
    (dict(zone="example.com", name="www.exa mple.com"), "must be 1-63 letters"),
    (dict(zone="example.com", name="www.example.com", target="E0000000NOSUCH"),
     "distribution E0000000NOSUCH was not found"),
    (dict(zone="example.com", name="www.example.com", target=None), "state=present needs a target"),
], ids=["zone-not-found", "name-outside-zone", "empty-label", "invalid-label", "unknown-distribution-id",
        "missing-target"])
def test_route53_bad_input_fails_clearly_and_changes_nothing(sandbox, repoint, seed, options, message):
    options = dict(options)
    if "target" not in options:
        options["target"] = seed["target_domain_name"]
    if options["target"] is None:
        del options["target"]
    mark = sandbox.log_mark()

    run = repoint.run("route53", **options)

    assert run.failed, run.explain()
    assert message in run.msg
    assert "Traceback" not in run.msg
    assert_no_mutation(sandbox, mark)
    assert r53_cname(sandbox, seed) == [seed["holder"]["domain_name"]]


# -- faults ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["throttle", "server_errors"])
def test_route53_repoint_succeeds_through_injected_faults(sandbox, repoint, seed, kind):
    mark = sandbox.log_mark()
    try:
        sandbox.faults(seed=7, **{kind: 0.3})
        run = repoint.run("route53", zone="example.com", name="www.example.com",
                          target=seed["target_distribution_id"])
    finally:
        sandbox.faults(off=True)

    assert run.returncode == 0, run.explain()
    faults = [e for e in sandbox.requests_since(mark) if e.get("fault")]
    assert faults, "the seed injected no fault; the test proves nothing"
    assert r53_cname(sandbox, seed) == [seed["target_domain_name"]]


# -- what a run reports it changed ------------------------------------------------------------

def test_route53_every_record_says_whether_its_change_was_applied(sandbox, repoint, seed):
    options = dict(zone="example.com", target=seed["target_domain_name"],
                   records=[{"name": "www.example.com"}, {"name": "new.example.com"}])
    planned = repoint.run("route53", check=True, **options)
    assert planned.result["changed"] is True, planned.explain()
    assert [r["applied"] for r in planned.records] == [False, False]

    run = repoint.run("route53", **options)

    assert run.returncode == 0, run.explain()
    assert run.result["changed"] is True
    assert [(r["name"], r["applied"]) for r in run.records] == [("www.example.com", True), ("new.example.com", True)]
    again = repoint.run("route53", **options)
    assert again.result["changed"] is False, again.explain()
    assert [r["applied"] for r in again.records] == [False, False]


def test_route53_batch_refused_for_another_reason_says_changed_false_and_quotes_route53(
        sandbox, repoint, seed, tmp_path):
    # A hand-edited backup whose address Route 53 refuses: no re-read can ever fix that.
    backup = write_backup_file(tmp_path, "route53", [{"zone": "example.com", "name": "www.example.com", "record_sets": [
        {"name": "www.example.com", "type": "A", "ttl": 60, "values": ["192.0.2.300"]}]}])
    mark = sandbox.log_mark()

    run = repoint.run("route53", restore_from=backup)

    assert run.failed, run.explain()
    assert run.result["changed"] is False
    assert run.record("www.example.com")["applied"] is False
    assert "192.0.2.300" in run.msg and "nothing in it was changed" in run.msg
    assert "Running again will not help" in run.msg
    assert "changed since" not in run.msg and "run again" not in run.msg
    assert [e["operation"] for e in sandbox.mutating_since(mark)] == ["ChangeResourceRecordSets"]
    assert r53_cname(sandbox, seed) == [seed["holder"]["domain_name"]]


def test_route53_run_over_two_zones_that_half_succeeds_says_changed_and_which_names_were_applied(
        sandbox, repoint, seed, tmp_path):
    org = sandbox_scenarios.hosted_zone(sandbox.aws("route53", ACCOUNT), "example.org")
    backup = write_backup_file(tmp_path, "route53", [
        {"zone": "example.com", "name": "www.example.com", "record_sets": [
            {"name": "www.example.com", "type": "CNAME", "ttl": 300, "values": [ELSEWHERE]}]},
        {"zone": "example.org", "name": "app.example.org", "record_sets": [
            {"name": "app.example.org", "type": "A", "ttl": 60, "values": ["192.0.2.300"]}]},
    ])

    run = repoint.run("route53", restore_from=backup)

    assert run.failed, run.explain()
    assert "example.org" in run.msg
    assert run.result["changed"] is True
    assert run.record("www.example.com")["applied"] is True
    assert run.record("app.example.org")["applied"] is False
    assert r53_cname(sandbox, seed) == [ELSEWHERE]
    assert route53_sets(sandbox, org, "app.example.org") == []


def test_route53_records_the_batch_deletes_are_gone_is_a_concurrent_change_worth_running_again(sandbox, seed):
    module = InProcess(sandbox, "route53")
    plans = module.plan(zone="example.com", name="www.example.com", target=seed["target_domain_name"])
    route53_change(sandbox, seed["dns"]["zone_id"], [cname_change("DELETE", "www.example.com",
                                                                  seed["holder"]["domain_name"])])

    with pytest.raises(module.ConcurrentChange) as refused:
        module.apply(plans)

    assert "www.example.com" in str(refused.value) and "run again" in str(refused.value)
    assert "not found" in str(refused.value)
    assert plans[0].changes[0].applied is False
    assert route53_sets(sandbox, seed["dns"]["zone_id"], "www.example.com") == []


@pytest.mark.parametrize("records, owner", [
    ([{"name": "example.com", "challenge": True}, {"name": "*.example.com", "challenge": True}], "_.example.com"),
    ([{"name": "www.example.com"}, {"name": "WWW.example.com.", "target": ELSEWHERE, "allow_any_target": True}],
     "www.example.com"),
], ids=["apex-and-wildcard-challenge", "same-name-twice"])
def test_route53_two_requests_for_the_same_record_are_refused_before_any_change(
        sandbox, repoint, seed, records, owner):
    mark = sandbox.log_mark()

    run = repoint.run("route53", zone="example.com", target=seed["target_domain_name"], records=records)

    assert run.failed, run.explain()
    assert owner in run.msg and "records[0]" in run.msg and "records[1]" in run.msg
    assert "one at a time" in run.msg
    assert run.result["changed"] is False
    assert_no_mutation(sandbox, mark)
    assert route53_sets(sandbox, seed["dns"]["zone_id"], "_.example.com") == []
    assert r53_cname(sandbox, seed) == [seed["holder"]["domain_name"]]


# -- messages, never tracebacks ---------------------------------------------------------------

def assert_clear_failure(run):
    assert run.failed, run.explain()
    assert "Traceback" not in run.msg and "MODULE FAILURE" not in run.msg, run.explain()
    assert "Traceback" not in run.result.get("module_stderr", ""), run.explain()


def test_route53_challenge_given_the_underscore_name_explains_that_name_is_the_alias(sandbox, repoint, seed):
    mark = sandbox.log_mark()

    run = repoint.run("route53", zone="example.com", name="_www.example.com", challenge=True,
                      target=seed["target_domain_name"])

    assert_clear_failure(run)
    assert "challenge: true" in run.msg and "give the alias it belongs to (www.example.com)" in run.msg
    assert_no_mutation(sandbox, mark)
    assert route53_sets(sandbox, seed["dns"]["zone_id"], "__www.example.com") == []


@pytest.mark.parametrize("many", [False, True], ids=["one-name-read-by-name", "many-names-read-by-listing"])
def test_route53_neighbours_with_names_that_are_not_host_names_do_not_stop_a_repoint(sandbox, repoint, seed, many):
    zone_id = seed["dns"]["zone_id"]
    for odd in ("www-.example.com", "www\\100b.example.com"):
        route53_change(sandbox, zone_id, [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": odd, "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"odd"'}]}}])
    names = ["www.example.com"] + (["n%d.example.com" % i for i in range(6)] if many else [])

    run = repoint.run("route53", zone="example.com", target=seed["target_domain_name"],
                      records=[{"name": n} for n in names])

    assert run.returncode == 0, run.explain()
    assert r53_cname(sandbox, seed) == [seed["target_domain_name"]]
    assert len(route53_sets(sandbox, zone_id, "www-.example.com")) == 1


def test_route53_backup_dir_that_cannot_be_written_fails_before_any_change(sandbox, repoint, seed, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("in the way")
    mark = sandbox.log_mark()

    run = repoint.run("route53", zone="example.com", name="www.example.com", target=seed["target_domain_name"],
                      backup=True, backup_dir=str(not_a_directory))

    assert_clear_failure(run)
    assert "backup" in run.msg and str(not_a_directory) in run.msg and "backup_dir" in run.msg
    assert "nothing was changed" in run.msg
    assert run.result["changed"] is False
    assert_no_mutation(sandbox, mark)
    assert r53_cname(sandbox, seed) == [seed["holder"]["domain_name"]]


@pytest.mark.parametrize("item, says", [
    ({"name": "www.example.com", "record_sets": []}, "names[0] has no 'zone'"),
    ({"zone": "example.com", "name": "www.example.com", "record_sets": [{"name": "www.example.com", "values": []}]},
     "names[0] has no 'type'"),
    ({"zone": "example.com", "name": "www..example.com", "record_sets": []}, "names[0] cannot be read"),
], ids=["no-zone", "record-set-without-type", "bad-name"])
def test_route53_damaged_backup_file_fails_with_a_message_and_changes_nothing(
        sandbox, repoint, seed, tmp_path, item, says):
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps({"format": "aliasguard.cloudfront/dns-backup/1", "provider": "route53",
                                "names": [dict(item, types=["CNAME"])]}))
    mark = sandbox.log_mark()

    run = repoint.run("route53", restore_from=str(path))

    assert_clear_failure(run)
    assert "is damaged" in run.msg and says in run.msg and "Nothing was changed" in run.msg
    assert_no_mutation(sandbox, mark)
    assert r53_cname(sandbox, seed) == [seed["holder"]["domain_name"]]


# ======================================================================================
# Cloudflare
# ======================================================================================

@pytest.fixture
def cf(sandbox):
    """www.example.com CNAME -> old distribution at Cloudflare, DNS only."""
    return sandbox.scenario("cloudflare")


@pytest.fixture
def cf_proxied(sandbox):
    """The same record, proxied (orange cloud)."""
    return sandbox.scenario("cloudflare", proxied=True)


def cf_state(sandbox, scenario, name="www.example.com"):
    """[(type, content, proxied)] at the name, as the Cloudflare API lists it."""
    return sorted((r["type"], r["content"], r["proxied"])
                  for r in cloudflare_records(sandbox, scenario["dns"]["zone_id"], name))


def assert_token_hidden(repoint, run):
    token = repoint.cloudflare_token
    assert token not in run.stdout
    assert token not in run.stderr
    assert token not in json.dumps(run.result)


def test_cloudflare_repoint_with_api_token_and_base_url_points_the_cname_at_the_target(sandbox, repoint, cf):
    new = cf["target_domain_name"]

    run = repoint.run("cloudflare", zone="example.com", name="www.example.com", target=new)

    assert run.returncode == 0, run.explain()
    assert run.record("www.example.com")["action"] == "update"
    assert cf_state(sandbox, cf) == [("CNAME", new, False)]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [new])


def test_cloudflare_repoint_with_token_and_url_from_the_environment_and_a_distribution_id(sandbox, repoint, cf):
    new = cf["target_domain_name"]

    run = repoint.run("cloudflare", cloudflare_via_env=True, zone="example.com", name="www.example.com",
                      target=cf["target_distribution_id"])

    assert run.returncode == 0, run.explain()
    assert cf_state(sandbox, cf) == [("CNAME", new, False)]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [new])


def test_cloudflare_check_mode_reports_the_plan_and_sends_no_mutating_request(sandbox, repoint, cf):
    old, new = cf["holder"]["domain_name"], cf["target_domain_name"]
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", check=True, diff=True, zone="example.com", name="www.example.com", target=new)

    assert run.returncode == 0, run.explain()
    assert run.result["changed"] is True
    entry = run.record("www.example.com")
    assert entry["action"] == "update"
    assert [(s["type"], s["values"]) for s in entry["before"]] == [("CNAME", [old])]
    assert [(s["type"], s["values"]) for s in entry["after"]] == [("CNAME", [new])]
    assert run.result["diff"][0]["after"] == "www.example.com. 1 IN CNAME %s.\n" % new
    assert_no_mutation(sandbox, mark)
    assert cf_state(sandbox, cf) == [("CNAME", old, False)]


def test_cloudflare_second_run_reports_no_change_and_sends_no_mutating_request(sandbox, repoint, cf):
    options = dict(zone="example.com", name="www.example.com", target=cf["target_domain_name"])
    first = repoint.run("cloudflare", **options)
    assert first.result["changed"] is True, first.explain()
    mark = sandbox.log_mark()

    second = repoint.run("cloudflare", **options)

    assert second.returncode == 0, second.explain()
    assert second.result["changed"] is False
    assert_no_mutation(sandbox, mark)


def test_cloudflare_proxied_record_is_refused_without_proxied_and_the_message_explains(sandbox, repoint,
                                                                                       cf_proxied):
    old = cf_proxied["holder"]["domain_name"]
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", zone="example.com", name="www.example.com",
                      target=cf_proxied["target_domain_name"])

    assert run.failed, run.explain()
    assert "proxied by Cloudflare" in run.msg
    assert "proxied: false" in run.msg and "CloudFront" in run.msg
    assert_no_mutation(sandbox, mark)
    assert cf_state(sandbox, cf_proxied) == [("CNAME", old, True)]


def test_cloudflare_proxied_false_turns_the_record_dns_only(sandbox, repoint, cf_proxied):
    new = cf_proxied["target_domain_name"]

    run = repoint.run("cloudflare", zone="example.com", name="www.example.com", target=new, proxied=False)

    assert run.returncode == 0, run.explain()
    assert run.record("www.example.com")["before"][0]["proxied"] is True
    assert run.record("www.example.com")["after"][0]["proxied"] is False
    assert cf_state(sandbox, cf_proxied) == [("CNAME", new, False)]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [new])


def test_cloudflare_api_token_is_never_printed(sandbox, repoint, cf):
    run = repoint.run("cloudflare", diff=True, zone="example.com", name="www.example.com",
                      target=cf["target_domain_name"])

    assert run.returncode == 0, run.explain()
    assert_token_hidden(repoint, run)


def test_cloudflare_api_token_is_never_printed_even_at_vvv(sandbox, repoint, cf):
    run = repoint.run("cloudflare", args=("-vvv",), env={"ANSIBLE_VERBOSE_TO_STDERR": "1"}, zone="example.com",
                      name="www.example.com", target=cf["target_domain_name"])

    assert run.returncode == 0, run.explain()
    assert "dns_cname_repoint" in run.stderr  # -vvv really talked
    assert_token_hidden(repoint, run)


def test_cloudflare_apex_becomes_a_flattened_cname(sandbox, repoint, cf):
    new = cf["target_domain_name"]

    run = repoint.run("cloudflare", zone="example.com", name="@", target=new)

    assert run.returncode == 0, run.explain()
    assert run.record("example.com")["action"] == "create"
    assert cf_state(sandbox, cf, "example.com") == [("CNAME", new, False)]
    served = ask(sandbox_dns(sandbox), "example.com", "A")
    assert served[1] and served == ask(sandbox_dns(sandbox), new, "A")


def test_cloudflare_wait_for_a_flattened_apex_sees_the_target_addresses(sandbox, repoint, cf):
    run = repoint.run("cloudflare", zone="example.com", name="@", target=cf["target_domain_name"], wait=True,
                      wait_timeout=20, nameservers=[sandbox.dns_server])

    assert run.returncode == 0, run.explain()
    [served] = run.result["wait"]["names"]
    assert served["name"] == "example.com" and served["served"] is True


def test_cloudflare_wait_for_a_record_kept_proxied_on_purpose_does_not_time_out(sandbox, repoint, cf_proxied):
    run = repoint.run("cloudflare", zone="example.com", name="www.example.com", proxied=True, wait=True,
                      wait_timeout=20, nameservers=[sandbox.dns_server], target=cf_proxied["target_domain_name"])

    assert run.returncode == 0, run.explain()
    [served] = run.result["wait"]["names"]
    assert served["served"] is True and "proxied" in served["note"]
    assert cf_state(sandbox, cf_proxied) == [("CNAME", cf_proxied["target_domain_name"], True)]


def test_cloudflare_plain_a_record_becomes_a_cname(sandbox, repoint, cf):
    sandbox.clients.cloudflare("POST", "/zones/%s/dns_records" % cf["dns"]["zone_id"], {
        "type": "A", "name": "app.example.com", "content": "192.0.2.10", "ttl": 60, "proxied": False})

    run = repoint.run("cloudflare", zone="example.com", name="app.example.com", target=cf["target_domain_name"])

    assert run.returncode == 0, run.explain()
    assert cf_state(sandbox, cf, "app.example.com") == [("CNAME", cf["target_domain_name"], False)]
    assert ask(sandbox_dns(sandbox), "app.example.com", "CNAME") == ("NOERROR", [cf["target_domain_name"]])


def test_cloudflare_expected_current_refuses_a_record_that_holds_something_else(sandbox, repoint, cf):
    old = cf["holder"]["domain_name"]
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", zone="example.com", name="www.example.com", target=cf["target_domain_name"],
                      expected_current=[ELSEWHERE])

    assert run.failed, run.explain()
    assert old in run.msg
    assert_no_mutation(sandbox, mark)
    assert cf_state(sandbox, cf) == [("CNAME", old, False)]


def test_cloudflare_change_made_between_read_and_write_is_refused_and_nothing_changes(sandbox, cf):
    module = InProcess(sandbox, "cloudflare")
    plans = module.plan(zone="example.com", name="www.example.com", target=cf["target_domain_name"])
    sandbox.clients.cloudflare("PATCH", "/zones/%s/dns_records/%s" % (cf["dns"]["zone_id"], cf["dns"]["record_id"]),
                               {"content": ELSEWHERE})
    mark = sandbox.log_mark()

    with pytest.raises(module.ConcurrentChange) as refused:
        module.apply(plans)

    assert ELSEWHERE in str(refused.value)
    assert_no_mutation(sandbox, mark)
    assert cf_state(sandbox, cf) == [("CNAME", ELSEWHERE, False)]


def test_cloudflare_backup_and_restore_put_the_proxied_record_back(sandbox, repoint, cf_proxied, tmp_path):
    old = cf_proxied["holder"]["domain_name"]
    changed = repoint.run("cloudflare", zone="example.com", name="www.example.com", proxied=False,
                          target=cf_proxied["target_domain_name"], backup=True, backup_dir=str(tmp_path))
    assert cf_state(sandbox, cf_proxied) == [("CNAME", cf_proxied["target_domain_name"], False)], changed.explain()

    run = repoint.run("cloudflare", restore_from=changed.result["backup_file"])

    assert run.returncode == 0, run.explain()
    assert cf_state(sandbox, cf_proxied) == [("CNAME", old, True)]


def test_cloudflare_state_absent_removes_the_record(sandbox, repoint, cf):
    run = repoint.run("cloudflare", zone="example.com", name="www.example.com", state="absent")

    assert run.returncode == 0, run.explain()
    assert cf_state(sandbox, cf) == []
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME")[1] == []


def test_cloudflare_state_absent_is_idempotent(sandbox, repoint, cf):
    repoint.run("cloudflare", zone="example.com", name="www.example.com", state="absent")
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", zone="example.com", name="www.example.com", state="absent")

    assert run.returncode == 0, run.explain()
    assert run.result["changed"] is False
    assert_no_mutation(sandbox, mark)


def test_cloudflare_challenge_creates_and_removes_the_underscore_txt_record(sandbox, repoint, cf):
    new = cf["target_domain_name"]
    options = dict(zone="example.com", name="www.example.com", challenge=True)

    created = repoint.run("cloudflare", target=new, **options)

    assert created.returncode == 0, created.explain()
    assert [(t, c) for t, c, unused in cf_state(sandbox, cf, "_www.example.com")] == [("TXT", new)]
    assert ask(sandbox_dns(sandbox), "_www.example.com", "TXT") == ("NOERROR", [new])

    removed = repoint.run("cloudflare", state="absent", **options)

    assert removed.returncode == 0, removed.explain()
    assert cf_state(sandbox, cf, "_www.example.com") == []
    assert cf_state(sandbox, cf) == [("CNAME", cf["holder"]["domain_name"], False)]


def test_cloudflare_many_names_need_one_record_listing_per_zone(sandbox, repoint, cf):
    new = cf["target_domain_name"]
    cloudflare_zone(sandbox, "example.org")
    # Several names in each zone: one listing per zone (a single name is read by name, see below).
    names = ["www.example.com"] + ["%s.%s" % (label, zone) for zone in ("example.com", "example.org")
                                   for label in ("a", "b", "c", "d", "e", "f")]
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", target=new, records=[{"name": n, "zone": n.split(".", 1)[1]} for n in names])

    assert run.returncode == 0, run.explain()
    # Per zone: the listing the plan reads, the re-read right before the write, the read-back after it.
    assert len(operations(sandbox, mark, "cloudflare", "ListDnsRecords")) == 2 * 3
    assert len(operations(sandbox, mark, "cloudflare", "BatchDnsRecords")) == 2
    for name in names:
        assert ask(sandbox_dns(sandbox), name, "CNAME") == ("NOERROR", [new]), name


def test_cloudflare_a_few_names_in_one_zone_need_one_listing(sandbox, repoint, cf):
    new = cf["target_domain_name"]
    names = ["www.example.com", "a.example.com", "b.example.com"]
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", zone="example.com", target=new, records=[{"name": n} for n in names])

    assert run.returncode == 0, run.explain()
    # The plan's listing, the re-read right before the one batch, the read-back after it.
    assert len(operations(sandbox, mark, "cloudflare", "ListDnsRecords")) == 3
    assert len(operations(sandbox, mark, "cloudflare", "BatchDnsRecords")) == 1
    for name in names:
        assert ask(sandbox_dns(sandbox), name, "CNAME") == ("NOERROR", [new]), name


@pytest.mark.parametrize("count", [1, 2, 6])
def test_cloudflare_reads_one_name_by_exact_name_and_more_with_one_listing(sandbox, cf, monkeypatch, count):
    module = InProcess(sandbox, "cloudflare")
    names = ["www.example.com"] + ["n%d.example.com" % i for i in range(count - 1)]
    sent = spy_cloudflare_requests(monkeypatch)

    plans = module.plan_records([{"name": n, "zone": "example.com", "target": cf["target_domain_name"]}
                                 for n in names])

    listings = [url for method, url in sent if method == "GET" and "/dns_records?" in url]
    if count == 1:
        assert len(listings) == 1
        assert sorted(listings) == sorted(url for url in listings if "name=" in url)
        assert sorted(url.split("name=")[1].split("&")[0] for url in listings) == sorted(names)
    else:
        assert len(listings) == 1 and "name=" not in listings[0]
    www = [e for e in plans[0].entries if e["name"] == "www.example.com"][0]
    assert www["before"][0]["values"] == [cf["holder"]["domain_name"]]


def cf_add(sandbox, scenario, rtype, name, content, ttl=60):
    return sandbox.clients.cloudflare("POST", "/zones/%s/dns_records" % scenario["dns"]["zone_id"], {
        "type": rtype, "name": name, "content": content, "ttl": ttl})


def test_cloudflare_a_records_becoming_a_cname_change_in_place_never_leaving_the_name_empty(sandbox, repoint, cf):
    ids = set(cf_add(sandbox, cf, "A", "app.example.com", address)["id"] for address in ("192.0.2.10", "192.0.2.11"))
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", zone="example.com", name="app.example.com", target=cf["target_domain_name"])

    assert run.returncode == 0, run.explain()
    assert cf_state(sandbox, cf, "app.example.com") == [("CNAME", cf["target_domain_name"], False)]
    writes = [e["operation"] for e in sandbox.mutating_since(mark)]
    # One transaction: the extra A record is deleted and the other overwritten in place (PUT), never empty.
    assert writes == ["BatchDnsRecords"], writes
    assert run.record("app.example.com")["read_back"] == "as written"
    [cname] = cloudflare_records(sandbox, cf["dns"]["zone_id"], "app.example.com")
    assert cname["id"] in ids


def test_cloudflare_type_change_refused_by_cloudflare_changes_nothing_and_says_what_is_live(sandbox, cf):
    cf_add(sandbox, cf, "A", "app.example.com", "192.0.2.10")
    cf_add(sandbox, cf, "A", "app.example.com", "192.0.2.11")
    module = InProcess(sandbox, "cloudflare")
    plans = module.plan(zone="example.com", name="app.example.com", target=cf["target_domain_name"])
    # Someone adds a TXT record at the name after the read: Cloudflare now refuses a CNAME there.
    cf_add(sandbox, cf, "TXT", "app.example.com", "hello")

    with pytest.raises(module._provider.DnsError) as refused:
        module.apply(plans)

    message = str(refused.value)
    assert cf_state(sandbox, cf, "app.example.com") == [
        ("A", "192.0.2.10", False), ("A", "192.0.2.11", False), ("TXT", "hello", False)]
    assert "app.example.com now holds: A 192.0.2.10, A 192.0.2.11, TXT hello." in message
    assert "one transaction, so nothing of it was made" in message
    assert plans[0].changes[0].applied is False and plans[0].changes[0].left_changed is False


def test_cloudflare_restore_that_fails_halfway_leaves_the_record_as_it_was_and_says_so(
        sandbox, repoint, cf, tmp_path):
    old = cf["holder"]["domain_name"]
    # The A record can take the CNAME's place; the AAAA value is one Cloudflare refuses.
    record_sets = [
        {"name": "www.example.com", "type": "A", "ttl": 60, "values": ["192.0.2.10"], "proxied": False},
        {"name": "www.example.com", "type": "AAAA", "ttl": 60, "values": ["2001:db8::1:2:3:4:5:6:7"], "proxied": False},
    ]
    backup = write_backup_file(tmp_path, "cloudflare", [
        {"zone": "example.com", "name": "www.example.com", "record_sets": record_sets}])

    run = repoint.run("cloudflare", restore_from=backup)

    assert run.failed, run.explain()
    assert run.result["changed"] is False
    assert run.record("www.example.com")["applied"] is False
    assert "www.example.com now holds: CNAME %s." % old in run.msg
    assert cf_state(sandbox, cf) == [("CNAME", old, False)]


@pytest.mark.parametrize("made", [True, False], ids=["created-then-502", "502-before-creating"])
def test_cloudflare_create_answered_with_a_server_error_is_read_back_before_it_is_sent_again(sandbox, cf, monkeypatch,
                                                                                             made):
    new = cf["target_domain_name"]
    module = InProcess(sandbox, "cloudflare")
    plans = module.plan(zone="example.com", name="new.example.com", target=new)
    lose_answers(monkeypatch, "POST", made=made)
    sent = spy_cloudflare_requests(monkeypatch)
    mark = sandbox.log_mark()

    module.apply(plans)

    assert cf_state(sandbox, cf, "new.example.com") == [("CNAME", new, False)]
    assert len([e for e in sandbox.requests_since(mark) if e["operation"] == "BatchDnsRecords"]) == 1
    methods = [method for method, url in sent]
    # Re-read, batch; a batch whose answer was lost is followed by a read of the name, and sent again only if
    # it was not made; then the read-back.
    assert methods == (["GET", "POST", "GET", "GET"] if made else ["GET", "POST", "GET", "POST", "GET"]), sent
    assert sent[1][1].endswith("/dns_records/batch") and "name=new.example.com" in sent[2][1]
    assert plans[0].changes[0].applied is True


def test_cloudflare_create_that_keeps_failing_says_it_was_not_created(sandbox, cf, monkeypatch):
    module = InProcess(sandbox, "cloudflare")
    module.provider.client.sleep = lambda seconds: None
    plans = module.plan(zone="example.com", name="new.example.com", target=cf["target_domain_name"])
    lose_answers(monkeypatch, "POST", times=99, made=False)

    with pytest.raises(module._provider.DnsError) as refused:
        module.apply(plans)

    assert "502" in str(refused.value) and "each was read back and had not been made" in str(refused.value)
    assert "new.example.com now holds: no record at all." in str(refused.value)
    assert cf_state(sandbox, cf, "new.example.com") == []


def test_cloudflare_wrong_token_fails_with_a_clear_message_and_changes_nothing(sandbox, repoint, cf):
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", zone="example.com", name="www.example.com", target=cf["target_domain_name"],
                      api_token="not-the-token-0123456789")

    assert run.failed, run.explain()
    assert "HTTP 403" in run.msg and "API token" in run.msg
    assert "not-the-token-0123456789" not in run.stdout + run.stderr
    assert_no_mutation(sandbox, mark)
    assert cf_state(sandbox, cf) == [("CNAME", cf["holder"]["domain_name"], False)]


@pytest.mark.parametrize("options, message", [
    (dict(zone="example.org", name="www.example.org"), "no Cloudflare zone named example.org"),
    (dict(zone="example.com", name="www.example.org"), "not inside the zone example.com"),
    (dict(zone="example.com", name="www.example.com", target="E0000000NOSUCH"),
     "distribution E0000000NOSUCH was not found"),
], ids=["zone-not-found", "name-outside-zone", "unknown-distribution-id"])
def test_cloudflare_bad_input_fails_clearly_and_changes_nothing(sandbox, repoint, cf, options, message):
    options = dict(options)
    options.setdefault("target", cf["target_domain_name"])
    mark = sandbox.log_mark()

    run = repoint.run("cloudflare", **options)

    assert run.failed, run.explain()
    assert message in run.msg
    assert_no_mutation(sandbox, mark)
    assert cf_state(sandbox, cf) == [("CNAME", cf["holder"]["domain_name"], False)]


def test_cloudflare_repoint_succeeds_while_throttled_and_honours_retry_after(sandbox, repoint, cf):
    mark = sandbox.log_mark()
    try:
        sandbox.faults(throttle=0.3, seed=4)
        run = repoint.run("cloudflare", zone="example.com", name="www.example.com", target=cf["target_domain_name"])
    finally:
        sandbox.faults(off=True)

    assert run.returncode == 0, run.explain()
    entries = [e for e in sandbox.requests_since(mark) if e["service"] == "cloudflare"]
    throttled = [i for i, e in enumerate(entries) if e["status"] == 429]
    assert throttled, "the seed injected no 429; the test proves nothing"
    for index in throttled:
        if index + 1 < len(entries):
            # The sandbox says Retry-After: 1; the next request must come no sooner.
            assert entries[index + 1]["t"] - entries[index]["t"] >= 0.95
    assert cf_state(sandbox, cf) == [("CNAME", cf["target_domain_name"], False)]


def test_cloudflare_repoint_succeeds_through_server_errors(sandbox, repoint, cf):
    mark = sandbox.log_mark()
    try:
        sandbox.faults(server_errors=0.3, seed=4)
        run = repoint.run("cloudflare", zone="example.com", name="www.example.com", target=cf["target_domain_name"])
    finally:
        sandbox.faults(off=True)

    assert run.returncode == 0, run.explain()
    assert [e for e in sandbox.requests_since(mark) if e["service"] == "cloudflare" and e["status"] >= 500]
    assert cf_state(sandbox, cf) == [("CNAME", cf["target_domain_name"], False)]


# ======================================================================================
# RFC 2136 (BIND)
# ======================================================================================

@pytest.fixture
def rfc(sandbox):
    """www.example.net CNAME -> old distribution on BIND."""
    return sandbox.scenario("rfc2136")


def bind_cname(sandbox, name="www.example.net"):
    return ask(bind_dns(sandbox), name, "CNAME")[1]


def rfc_update(sandbox, *operations_):
    update = sandbox.clients.rfc2136_update()
    for operation in operations_:
        getattr(update, operation[0])(*operation[1:])
    sandbox.clients.rfc2136_send(update)


def test_rfc2136_repoint_to_cloudfront_domain_name_points_the_cname_at_it(sandbox, repoint, rfc):
    new = rfc["target_domain_name"]

    run = repoint.run("rfc2136", zone="example.net", name="www.example.net", target=new)

    assert run.returncode == 0, run.explain()
    assert run.record("www.example.net")["action"] == "update"
    assert bind_cname(sandbox) == [new]


def test_rfc2136_repoint_to_distribution_id_points_the_cname_at_its_domain_name(sandbox, repoint, rfc):
    run = repoint.run("rfc2136", zone="example.net", name="www.example.net", target=rfc["target_distribution_id"])

    assert run.returncode == 0, run.explain()
    assert bind_cname(sandbox) == [rfc["target_domain_name"]]


def test_rfc2136_check_mode_reports_the_plan_and_sends_no_update(sandbox, repoint, rfc):
    old, new = rfc["holder"]["domain_name"], rfc["target_domain_name"]
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", check=True, diff=True, zone="example.net", name="www.example.net", target=new)

    assert run.returncode == 0, run.explain()
    entry = run.record("www.example.net")
    assert entry["action"] == "update"
    assert [(s["type"], s["values"]) for s in entry["before"]] == [("CNAME", [old])]
    assert [(s["type"], s["values"]) for s in entry["after"]] == [("CNAME", [new])]
    assert run.result["diff"][0]["before"] == "www.example.net. 300 IN CNAME %s.\n" % old
    assert run.result["diff"][0]["after"] == "www.example.net. 300 IN CNAME %s.\n" % new
    assert_no_mutation(sandbox, mark)
    assert bind_cname(sandbox) == [old]


def test_rfc2136_second_run_reports_no_change_and_sends_no_update(sandbox, repoint, rfc):
    options = dict(zone="example.net", name="www.example.net", target=rfc["target_domain_name"])
    first = repoint.run("rfc2136", **options)
    assert first.result["changed"] is True, first.explain()
    mark = sandbox.log_mark()

    second = repoint.run("rfc2136", **options)

    assert second.returncode == 0, second.explain()
    assert second.result["changed"] is False
    assert_no_mutation(sandbox, mark)


def test_rfc2136_apex_is_refused_with_a_clear_message_before_any_update(sandbox, repoint, rfc):
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", zone="example.net", name="@", target=rfc["target_domain_name"])

    assert run.failed, run.explain()
    assert "apex" in run.msg and "RFC 2136" in run.msg
    assert_no_mutation(sandbox, mark)


@pytest.mark.parametrize("key", [
    dict(key_secret="d3JvbmctYnV0LXZhbGlkLWJhc2U2NC1zZWNyZXQ="),
    dict(key_name="no-such-key."),
], ids=["wrong-secret", "unknown-key-name"])
def test_rfc2136_wrong_tsig_key_fails_with_a_clear_message_and_changes_nothing(sandbox, repoint, rfc, key):
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", zone="example.net", name="www.example.net", target=rfc["target_domain_name"],
                      **key)

    assert run.failed, run.explain()
    assert "TSIG key" in run.msg
    assert_no_mutation(sandbox, mark)
    assert bind_cname(sandbox) == [rfc["holder"]["domain_name"]]


def test_rfc2136_key_secret_is_never_printed_or_returned(sandbox, repoint, rfc):
    run = repoint.run("rfc2136", diff=True, zone="example.net", name="www.example.net",
                      target=rfc["target_domain_name"])

    assert run.returncode == 0, run.explain()
    for text in (run.stdout, run.stderr, json.dumps(run.result)):
        assert repoint.tsig_secret not in text


def test_rfc2136_expected_current_refuses_a_record_that_holds_something_else(sandbox, repoint, rfc):
    old = rfc["holder"]["domain_name"]
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", zone="example.net", name="www.example.net", target=rfc["target_domain_name"],
                      expected_current=[ELSEWHERE])

    assert run.failed, run.explain()
    assert old in run.msg
    assert_no_mutation(sandbox, mark)
    assert bind_cname(sandbox) == [old]


def test_rfc2136_change_made_between_read_and_write_is_refused_and_nothing_changes(sandbox, rfc):
    module = InProcess(sandbox, "rfc2136")
    plans = module.plan(zone="example.net", name="www.example.net", target=rfc["target_domain_name"])
    rfc_update(sandbox, ("replace", "www", 300, "CNAME", ELSEWHERE + "."))
    mark = sandbox.log_mark()

    with pytest.raises(module.ConcurrentChange):
        module.apply(plans)

    assert [(e["operation"], e["rcode"]) for e in sandbox.mutating_since(mark)] == [("UPDATE", "NXRRSET")]
    assert bind_cname(sandbox) == [ELSEWHERE]


def test_rfc2136_plain_a_record_becomes_a_cname_in_one_update(sandbox, repoint, rfc):
    rfc_update(sandbox, ("add", "app", 60, "A", "192.0.2.10"))
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", zone="example.net", name="app.example.net", target=rfc["target_domain_name"])

    assert run.returncode == 0, run.explain()
    assert bind_cname(sandbox, "app.example.net") == [rfc["target_domain_name"]]
    assert ask(bind_dns(sandbox), "app.example.net", "A")[1] == []
    assert len(operations(sandbox, mark, "rfc2136", "UPDATE")) == 1


def test_rfc2136_restore_puts_the_old_record_back(sandbox, repoint, rfc, tmp_path):
    old = rfc["holder"]["domain_name"]
    changed = repoint.run("rfc2136", zone="example.net", name="www.example.net", target=rfc["target_domain_name"],
                          backup=True, backup_dir=str(tmp_path))
    assert bind_cname(sandbox) == [rfc["target_domain_name"]], changed.explain()

    run = repoint.run("rfc2136", restore_from=changed.result["backup_file"])

    assert run.returncode == 0, run.explain()
    assert bind_cname(sandbox) == [old]


def test_rfc2136_many_names_are_sent_as_one_update_per_zone(sandbox, repoint, rfc):
    new = rfc["target_domain_name"]
    names = ["www.example.net", "a.example.net", "b.example.net", "c.example.net"]
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", zone="example.net", target=new, records=[{"name": n} for n in names])

    assert run.returncode == 0, run.explain()
    assert len(operations(sandbox, mark, "rfc2136", "UPDATE")) == 1
    for name in names:
        assert bind_cname(sandbox, name) == [new], name


def test_rfc2136_state_absent_removes_the_record_and_is_idempotent(sandbox, repoint, rfc):
    options = dict(zone="example.net", name="www.example.net", state="absent")
    run = repoint.run("rfc2136", **options)
    assert run.returncode == 0, run.explain()
    assert bind_cname(sandbox) == []
    mark = sandbox.log_mark()

    again = repoint.run("rfc2136", **options)

    assert again.returncode == 0, again.explain()
    assert again.result["changed"] is False
    assert_no_mutation(sandbox, mark)


def test_rfc2136_challenge_creates_and_removes_the_underscore_txt_record(sandbox, repoint, rfc):
    new = rfc["target_domain_name"]
    options = dict(zone="example.net", name="www.example.net", challenge=True)

    created = repoint.run("rfc2136", target=new, **options)

    assert created.returncode == 0, created.explain()
    assert ask(bind_dns(sandbox), "_www.example.net", "TXT") == ("NOERROR", [new])

    removed = repoint.run("rfc2136", state="absent", **options)

    assert removed.returncode == 0, removed.explain()
    assert ask(bind_dns(sandbox), "_www.example.net", "TXT")[1] == []
    assert bind_cname(sandbox) == [rfc["holder"]["domain_name"]]


def test_rfc2136_wait_returns_once_bind_serves_the_new_value(sandbox, repoint, rfc):
    new = rfc["target_domain_name"]

    run = repoint.run("rfc2136", zone="example.net", name="www.example.net", target=new, wait=True,
                      wait_timeout=30, nameservers=["%s:%d" % bind_dns(sandbox)])

    assert run.returncode == 0, run.explain()
    [served] = run.result["wait"]["names"]
    assert served["served"] is True


def test_rfc2136_repoint_succeeds_through_servfail_on_reads_and_on_the_update(sandbox, repoint, rfc):
    mark = sandbox.log_mark()
    try:
        sandbox.faults(server_errors=0.3, seed=1)
        # allow_any_target: no AWS request (the target check) shifts the seeded faults off BIND's requests.
        run = repoint.run("rfc2136", zone="example.net", name="www.example.net", target=rfc["target_domain_name"],
                          allow_any_target=True)
    finally:
        sandbox.faults(off=True)

    assert run.returncode == 0, run.explain()
    faults = set(e["operation"] for e in sandbox.requests_since(mark) if e.get("fault"))
    assert faults == {"QUERY", "UPDATE"}, "the seed must fail a read and the update; it failed %s" % faults
    assert bind_cname(sandbox) == [rfc["target_domain_name"]]


@pytest.mark.parametrize("options, message", [
    (dict(zone="example.com", name="www.example.com"), "not authoritative for the zone example.com"),
    (dict(zone="example.net", name="www.example.org"), "not inside the zone example.net"),
    (dict(zone="example.net", name="-www.example.net"), "must be 1-63 letters"),
    (dict(zone="example.net", name="www.example.net", target=None), "state=present needs a target"),
], ids=["zone-not-found", "name-outside-zone", "invalid-name", "missing-target"])
def test_rfc2136_bad_input_fails_clearly_and_changes_nothing(sandbox, repoint, rfc, options, message):
    options = dict(options)
    options.setdefault("target", rfc["target_domain_name"])
    if options["target"] is None:
        del options["target"]
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", **options)

    assert run.failed, run.explain()
    assert message in run.msg
    assert_no_mutation(sandbox, mark)
    assert bind_cname(sandbox) == [rfc["holder"]["domain_name"]]


# -- reading the zone's own data (AXFR) ----------------------------------------------------------

def test_rfc2136_name_with_an_https_record_beside_its_a_record_is_refused_before_any_update(sandbox, repoint, rfc):
    # BIND would drop the CNAME silently after deleting the A record, leaving neither.
    rfc_update(sandbox, ("add", "web", 60, "A", "192.0.2.10"), ("add", "web", 60, "HTTPS", '1 . alpn="h2"'))
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", zone="example.net", name="web.example.net", target=rfc["target_domain_name"])

    assert run.failed, run.explain()
    assert "also has HTTPS records" in run.msg
    assert_no_mutation(sandbox, mark)
    assert ask(bind_dns(sandbox), "web.example.net", "A")[1] == ["192.0.2.10"]
    assert len(ask(bind_dns(sandbox), "web.example.net", "HTTPS")[1]) == 1


def test_rfc2136_name_covered_by_a_wildcard_cname_gets_a_cname_of_its_own(sandbox, repoint, rfc):
    old, new = rfc["holder"]["domain_name"], rfc["target_domain_name"]
    rfc_update(sandbox, ("add", "*", 300, "CNAME", old + "."))
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", zone="example.net", name="shop.example.net", target=new)

    assert run.returncode == 0, run.explain()
    assert run.record("shop.example.net")["action"] == "create"
    assert run.record("shop.example.net")["before"] == []
    assert bind_cname(sandbox, "shop.example.net") == [new]
    assert bind_cname(sandbox, "*.example.net") == [old]
    assert len(operations(sandbox, mark, "rfc2136", "AXFR")) == 1
    assert len(operations(sandbox, mark, "rfc2136", "UPDATE")) == 1
    again = repoint.run("rfc2136", zone="example.net", name="shop.example.net", target=new)
    assert again.result["changed"] is False, again.explain()


def test_rfc2136_many_names_are_read_with_one_zone_transfer(sandbox, repoint, rfc):
    names = ["www.example.net", "a.example.net", "b.example.net", "c.example.net", "d.example.net",
             "e.example.net", "f.example.net"]
    mark = sandbox.log_mark()

    run = repoint.run("rfc2136", check=True, zone="example.net", target=rfc["target_domain_name"],
                      records=[{"name": n} for n in names])

    assert run.returncode == 0, run.explain()
    assert len(operations(sandbox, mark, "rfc2136", "AXFR")) == 1
    assert [e["operation"] for e in sandbox.requests_since(mark) if e["service"] == "rfc2136"] == ["QUERY", "AXFR"]
    assert run.record("www.example.net")["before"][0]["values"] == [rfc["holder"]["domain_name"]]


def test_rfc2136_without_transfer_rights_reads_by_queries_and_warns_about_wildcards(sandbox, repoint, rfc):
    old = rfc["holder"]["domain_name"]
    rfc_update(sandbox, ("add", "*", 300, "CNAME", old + "."))
    mark = sandbox.log_mark()

    # No TSIG key: BIND refuses the zone transfer (the check run needs no update rights).
    run = repoint.run("rfc2136", check=True, zone="example.net", name="www.example.net",
                      target=rfc["target_domain_name"], key_name=None, key_secret=None)

    assert run.returncode == 0, run.explain()
    assert [(e["operation"], e["rcode"]) for e in operations(sandbox, mark, "rfc2136", "AXFR")] == [("AXFR", "REFUSED")]
    warnings = " ".join(run.result.get("warnings", []))
    assert "refused a zone transfer (AXFR) of example.net" in warnings
    assert "wildcard" in warnings and "allow-transfer" in warnings
    assert run.record("www.example.net")["before"][0]["values"] == [old]
    assert_no_mutation(sandbox, mark)


def test_rfc2136_update_the_server_partly_ignores_is_put_back_and_the_message_says_what_is_live(sandbox, rfc):
    rfc_update(sandbox, ("add", "app", 60, "A", "192.0.2.10"))
    module = InProcess(sandbox, "rfc2136")
    plans = module.plan(zone="example.net", name="app.example.net", target=rfc["target_domain_name"])
    # Added after the read: BIND then drops the new CNAME without an error, after deleting the A record.
    rfc_update(sandbox, ("add", "app", 60, "HTTPS", '1 . alpn="h2"'))

    with pytest.raises(module._provider.DnsError) as ignored:
        module.apply(plans)

    message = str(ignored.value)
    assert "app.example.net CNAME is not there afterwards" in message
    assert "has been put back" in message
    assert "app.example.net now holds:" in message and "A 192.0.2.10" in message and "HTTPS" in message
    assert ask(bind_dns(sandbox), "app.example.net", "A")[1] == ["192.0.2.10"]
    assert len(ask(bind_dns(sandbox), "app.example.net", "HTTPS")[1]) == 1
    assert bind_cname(sandbox, "app.example.net") == []
    assert plans[0].changes[0].applied is False and plans[0].changes[0].left_changed is False
