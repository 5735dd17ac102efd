"""Step 1, cloudfront_alias_conflict_info, run by real ansible-playbook against the sandbox."""

import pytest
from sandbox.scenarios import create_distribution
from steps_helpers import (
    ACCOUNT_1,
    ACCOUNT_2,
    NonAuthoritativeForwarder,
    add_alias_with_boto3,
    certificate_arn,
    count,
    dns_values,
    find_holders,
    operations,
    route53_upsert,
)

ALL_SCENARIOS = ["seed-409", "cross-account", "wildcard", "apex", "cloudflare", "rfc2136"]


def the_only(result):
    assert not result.get("failed"), result.get("msg")
    assert len(result["aliases"]) == 1, result["aliases"]
    return result["aliases"][0]


def exact_holders(entry):
    return [h for h in entry["holders"] if h["overlap"] == "exact"]


# -- every scenario: the holder, the verdict, the next step ---------------------------------


def test_seed_409_finds_the_in_account_holder_and_its_dns(sandbox):
    s = sandbox.scenario("seed-409")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    assert entry["alias"] == "www.example.com"
    assert entry["verdict"] == "held_in_account"
    [holder] = exact_holders(entry)
    assert holder["distribution_id"] == s["holder"]["distribution_id"]
    assert holder["domain_name"] == s["holder"]["domain_name"]
    # AWS hides part of every holder's id, this account's too; the module reads the real one from this account.
    assert holder["in_account"] is True and holder["masked"] is True
    assert entry["dns"]["type"] == "CNAME"
    assert entry["dns"]["values"] == [s["holder"]["domain_name"]]
    assert entry["dns"]["points_to"]["distribution_id"] == s["holder"]["distribution_id"]
    assert entry["dns"]["points_to"]["is_target"] is False
    assert entry["txt_record_name"] == "_www.example.com"
    # The next step is the seed's fix, in words: move with AssociateAlias, the TXT record, repoint DNS.
    step = entry["next_step"]
    assert s["holder"]["distribution_id"] in step and s["target_distribution_id"] in step
    assert "AssociateAlias" in step and "_www.example.com" in step and s["target_domain_name"] in step


def test_cross_account_holder_is_reported_masked_and_not_movable(sandbox):
    s = sandbox.scenario("cross-account")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    assert entry["verdict"] == "held_other_account"
    [holder] = exact_holders(entry)
    assert holder["masked"] is True
    assert holder["in_account"] is False
    assert holder["distribution_id"].startswith("*")
    assert s["holder"]["distribution_id"].endswith(holder["distribution_id"].lstrip("*"))
    assert holder["account_id"].startswith("*") and ACCOUNT_2.endswith(holder["account_id"].lstrip("*"))
    assert "domain_name" not in holder  # nothing about another account's distribution is known
    # DNS (in account 1) still points at the other account's distribution.
    assert entry["dns"]["type"] == "CNAME"
    assert entry["dns"]["final_name"] == s["holder"]["domain_name"]
    assert entry["dns"]["points_to"]["in_account"] is False
    step = entry["next_step"]
    assert "another AWS account" in step and holder["distribution_id"] in step


def test_wildcard_holder_is_reported_as_overlap_and_dns_points_elsewhere(sandbox):
    s = sandbox.scenario("wildcard")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    assert entry["verdict"] == "dns_points_elsewhere"
    assert exact_holders(entry) == []
    [holder] = [h for h in entry["holders"] if h["alias"] == "*.example.com"]
    assert holder["overlap"] == "wildcard"
    assert holder["distribution_id"] == s["holder"]["distribution_id"]
    assert holder["in_account"] is True
    # www.example.com has no record of its own: the wildcard CNAME answers for it.
    assert entry["dns"]["type"] == "CNAME"
    assert entry["dns"]["points_to"]["distribution_id"] == s["holder"]["distribution_id"]
    step = entry["next_step"]
    assert s["holder"]["domain_name"] in step and s["target_domain_name"] in step
    assert "Repoint DNS" in step


def test_apex_alias_record_is_read_as_addresses_of_the_holder(sandbox):
    s = sandbox.scenario("apex")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    assert entry["alias"] == "example.com"
    assert entry["verdict"] == "held_in_account"
    [holder] = exact_holders(entry)
    assert holder["distribution_id"] == s["holder"]["distribution_id"]
    assert entry["dns"]["type"] == "A/AAAA"
    holder_addresses = set(dns_values(sandbox.dns_server, s["holder"]["domain_name"], "A")
                           + dns_values(sandbox.dns_server, s["holder"]["domain_name"], "AAAA"))
    assert holder_addresses and set(entry["dns"]["values"]) <= holder_addresses
    assert entry["dns"]["points_to"]["via"] == "addresses"
    assert entry["dns"]["points_to"]["distribution_id"] == s["holder"]["distribution_id"], (
        "target %s, holder %s: %r" % (s["target_distribution_id"], s["holder"]["distribution_id"], entry["dns"]))
    assert entry["dns"]["points_to"]["is_target"] is False


def test_apex_address_match_is_reported_as_a_guess_and_the_txt_record_is_in_the_zone(sandbox):
    s = sandbox.scenario("apex")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    points_to = entry["dns"]["points_to"]
    assert points_to["via"] == "addresses" and points_to["guess"] is True
    assert points_to["matching_distributions"] == [s["holder"]["distribution_id"]]
    assert entry["dns"]["zone"] == "example.com"
    # '_example.com' would lie outside the zone example.com: the record is '_.example.com'.
    assert entry["txt_record_name"] == "_.example.com"
    step = entry["next_step"]
    assert "TXT record _.example.com = %s" % s["target_domain_name"] in step
    assert "_example.com" not in step.replace("_.example.com", "")


def test_an_address_match_on_the_target_is_still_only_a_guess(sandbox):
    s = sandbox.scenario("apex")
    for rtype in ("A", "AAAA"):
        route53_upsert(sandbox, s["dns"]["zone_id"], "example.com", rtype, alias_target=s["target_domain_name"])
    add_alias_with_boto3(sandbox, s["target_distribution_id"], "shop.example.com")
    route53_upsert(sandbox, s["dns"]["zone_id"], "shop.example.com", "A", alias_target=s["target_domain_name"])
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], ["shop.example.com"]))

    assert entry["verdict"] == "on_target"
    assert entry["dns"]["points_to"]["is_target"] is True and entry["dns"]["points_to"]["guess"] is True
    step = entry["next_step"]
    assert "guess" in step and "shared" in step and "dns_cname_verify" in step
    assert not step.startswith("Nothing to do")


def test_a_direct_cname_is_no_guess(sandbox):
    s = sandbox.scenario("seed-409")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    assert entry["dns"]["points_to"]["via"] == "CNAME" and entry["dns"]["points_to"]["guess"] is False
    assert entry["dns"]["zone"] == "example.com"
    assert "guess" not in entry["next_step"]


def test_without_dns_the_apex_form_of_the_txt_record_is_named_too(sandbox):
    s = sandbox.scenario("apex")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]], dns_lookup=False))

    assert entry["dns"] is None
    assert entry["txt_record_name"] == "_example.com"
    assert "or _.example.com if example.com is the apex of its zone" in entry["next_step"]


def test_a_cache_given_as_nameserver_is_reported_as_a_dns_error(sandbox):
    s = sandbox.scenario("seed-409")
    with NonAuthoritativeForwarder(sandbox.dns_server) as cache:
        result = find_holders(sandbox, s["target_distribution_id"], [s["alias"]], nameservers=[cache.address])

    entry = the_only(result)
    assert cache.queries > 0
    assert entry["dns"]["error"] and "authoritative (AA) flag" in entry["dns"]["error"]
    assert entry["dns"]["type"] is None and entry["dns"]["points_to"] is None
    # CloudFront still tells who holds it.
    assert entry["verdict"] == "held_in_account"


def test_cloudflare_record_is_read_and_the_holder_found(sandbox):
    s = sandbox.scenario("cloudflare")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    assert entry["verdict"] == "held_in_account"
    [holder] = exact_holders(entry)
    assert holder["distribution_id"] == s["holder"]["distribution_id"]
    assert entry["dns"]["type"] == "CNAME"
    assert entry["dns"]["points_to"]["distribution_id"] == s["holder"]["distribution_id"]
    assert "AssociateAlias" in entry["next_step"]


def test_rfc2136_record_is_read_and_the_holder_found(sandbox):
    s = sandbox.scenario("rfc2136")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    assert entry["alias"] == s["alias"]
    assert entry["verdict"] == "held_in_account"
    [holder] = exact_holders(entry)
    assert holder["distribution_id"] == s["holder"]["distribution_id"]
    assert entry["dns"]["type"] == "CNAME"
    assert entry["dns"]["points_to"]["distribution_id"] == s["holder"]["distribution_id"]


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_check_mode_gives_the_same_answer_and_changes_nothing(sandbox, scenario):
    s = sandbox.scenario(scenario)
    normal = find_holders(sandbox, s["target_distribution_id"], [s["alias"]])
    mark = sandbox.log_mark()
    checked = find_holders(sandbox, s["target_distribution_id"], [s["alias"]], check=True)

    assert not checked.get("failed"), checked.get("msg")
    assert checked["changed"] is False
    assert checked["aliases"] == normal["aliases"]
    assert checked["target"] == normal["target"]
    entries = sandbox.requests_since(mark)
    assert entries, "the check-mode run asked AWS nothing"
    assert sandbox.mutating_since(mark) == []


# -- cost ------------------------------------------------------------------------------------


def test_the_listing_is_read_page_by_page_each_page_once_and_only_as_far_as_answers_need(sandbox):
    s = sandbox.scenario("seed-409")
    cloudfront = sandbox.aws("cloudfront")
    for number in range(120):
        create_distribution(cloudfront, "filler-%03d" % number)
    mark = sandbox.log_mark()
    result = find_holders(sandbox, s["target_distribution_id"], [s["alias"]])

    assert the_only(result)["verdict"] == "held_in_account"
    entries = sandbox.requests_since(mark)
    # The target first; DNS leads to the holder, which the first page of the listing (122 distributions: two pages
    # of 100) names, and that page shows it holding the alias exactly: it is the holder, asked no further. The
    # target's certificate read once, because the alias is not on the target yet. No tenant is met, so no tenant
    # is listed.
    ops = operations(entries)
    assert ops[0] == "GetDistribution"
    assert sorted(ops) == ["DescribeCertificate", "GetDistribution", "ListDistributions"]
    assert result["requests"] == {"cloudfront": 2, "acm": 1}

    # A DNS answer that is no distribution of this account needs the whole listing: the two pages, each once.
    elsewhere = create_distribution(sandbox.aws("cloudfront", ACCOUNT_2), "elsewhere")
    route53_upsert(sandbox, s["dns"]["zone_id"], "shop.example.com", "CNAME", [elsewhere["domain_name"]])
    mark = sandbox.log_mark()
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], ["shop.example.com"]))

    assert entry["verdict"] == "dns_points_elsewhere" and entry["dns"]["points_to"]["in_account"] is False
    ops = operations(sandbox.requests_since(mark))
    assert ops.count("ListDistributions") == 2 and ops.count("ListDomainConflicts") == 1


def test_list_domain_conflicts_reads_every_page_in_one_pass(sandbox):
    s = sandbox.scenario("seed-409")
    cloudfront = sandbox.aws("cloudfront")
    cert = certificate_arn(sandbox)
    names = ["h%03d.example.com" % n for n in range(120)]
    create_distribution(cloudfront, "many-1", aliases=names[:60], cert_arn=cert)
    create_distribution(cloudfront, "many-2", aliases=names[60:], cert_arn=cert)
    mark = sandbox.log_mark()
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], ["*.example.com"], dns_lookup=False))

    held = set(h["alias"] for h in entry["holders"])
    assert set(names) | {"www.example.com"} <= held
    assert all(h["overlap"] == "covered" for h in entry["holders"])
    entries = sandbox.requests_since(mark)
    assert count(entries, "ListDomainConflicts") == 2  # 121 conflicts: two pages of 100
    assert count(entries, "ListDistributions") == 1


def test_many_aliases_in_one_call_share_one_distribution_list(sandbox):
    s = sandbox.scenario("seed-409")
    asked = ["www.example.com", "shop.example.com", "api.example.com", "img.example.com", "*.example.com"]
    mark = sandbox.log_mark()
    result = find_holders(sandbox, s["target_distribution_id"], asked)

    assert not result.get("failed"), result.get("msg")
    assert [e["alias"] for e in result["aliases"]] == asked
    verdicts = dict((e["alias"], e["verdict"]) for e in result["aliases"])
    assert verdicts["www.example.com"] == "held_in_account"
    assert verdicts["shop.example.com"] == "free"
    assert result["conflicts"] == 1
    entries = sandbox.requests_since(mark)
    # Five aliases to ask about: one page of the listing (the whole account) is read first, being cheaper than the
    # queries it may save, and it shows www.example.com held exactly by the old distribution: the other four are
    # asked about, once each.
    assert count(entries, "ListDistributions") == 1
    assert count(entries, "ListDomainConflicts") == len(asked) - 1
    # The target's certificate is read once for all the aliases it does not hold yet.
    assert count(entries, "DescribeCertificate") == 1
    assert count(entries, "GetDistribution") == 1
    assert len(entries) == 1 + 1 + (len(asked) - 1) + 1


def test_unicode_alias_is_accepted_and_normalised_to_punycode(sandbox):
    s = sandbox.scenario("seed-409")
    result = find_holders(sandbox, s["target_distribution_id"], ["B\u00fccher.Example.com."])
    entry = the_only(result)

    assert entry["alias"] == "xn--bcher-kva.example.com"
    assert entry["alias_unicode"] == "b\u00fccher.example.com"
    assert entry["verdict"] == "free"
    assert entry["txt_record_name"] == "_xn--bcher-kva.example.com"


def test_case_and_trailing_dot_variants_are_one_alias(sandbox):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    result = find_holders(sandbox, s["target_distribution_id"], ["www.example.com", "WWW.Example.COM."])

    entry = the_only(result)
    assert entry["verdict"] == "held_in_account"
    # One alias: its DNS names the old distribution from one listing page, which answers who holds it.
    entries = sandbox.requests_since(mark)
    assert count(entries, "ListDistributions") == 1 and count(entries, "ListDomainConflicts") == 0


# -- the other verdicts ----------------------------------------------------------------------


def test_free_alias_says_add_it(sandbox):
    s = sandbox.scenario("seed-409")
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], ["shop.example.com"]))

    assert entry["verdict"] == "free"
    assert entry["holders"] == []
    assert entry["dns"]["type"] is None and entry["dns"]["points_to"] is None
    assert "free" in entry["next_step"] and "state=present" in entry["next_step"]


def test_alias_already_on_target_is_on_target(sandbox):
    s = sandbox.scenario("seed-409")
    add_alias_with_boto3(sandbox, s["target_distribution_id"], "shop.example.com")
    result = find_holders(sandbox, s["target_distribution_id"], ["shop.example.com"])
    entry = the_only(result)

    assert entry["verdict"] == "on_target"
    [holder] = exact_holders(entry)
    assert holder["distribution_id"] == s["target_distribution_id"]
    assert entry["next_step"].startswith("Nothing to do")
    assert result["conflicts"] == 0
    assert "shop.example.com" in result["target"]["aliases"]


def test_aliases_on_the_target_whose_dns_leads_there_cost_one_get_distribution(sandbox):
    """CloudFront lets one resource hold a name, and an exact alias wins over any wildcard elsewhere ("Requirements
    for using alternate domain names", Amazon CloudFront Developer Guide,
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements):
    for aliases the target holds, step 1 reads the target and nothing else from AWS - not the account's listing,
    not a conflict query - even with a wildcard covering them on another distribution."""
    s = sandbox.scenario("wildcard")
    target = s["target_distribution_id"]
    # The zone's wildcard CNAME leads every other name to the wildcard's holder: these two lead to the target.
    for name in ("shop.example.com", "api.example.com"):
        route53_upsert(sandbox, s["dns"]["zone_id"], name, "CNAME", [s["target_domain_name"]])
    add_alias_with_boto3(sandbox, target, "shop.example.com")
    add_alias_with_boto3(sandbox, target, "api.example.com")
    mark = sandbox.log_mark()
    result = find_holders(sandbox, target, ["shop.example.com", "api.example.com"])

    assert not result.get("failed"), result.get("msg")
    assert operations(sandbox.requests_since(mark)) == ["GetDistribution"]
    assert result["requests"] == {"cloudfront": 1}
    assert result["account_id"] == ACCOUNT_1
    shop, api = result["aliases"]
    assert shop["verdict"] == api["verdict"] == "on_target" and result["conflicts"] == 0
    assert [h["distribution_id"] for h in shop["holders"]] == [target]
    assert shop["dns"]["points_to"]["is_target"] is True and shop["dns"]["points_to"]["distribution_id"] == target
    assert shop["next_step"].startswith("Nothing to do") and api["next_step"].startswith("Nothing to do")
    assert api["dns"]["points_to"]["every_nameserver"] is True


def test_only_the_aliases_the_target_does_not_hold_are_asked_about(sandbox):
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    add_alias_with_boto3(sandbox, target, "shop.example.com")
    mark = sandbox.log_mark()
    result = find_holders(sandbox, target, ["shop.example.com", s["alias"]])

    verdicts = [e["verdict"] for e in result["aliases"]]
    assert verdicts == ["on_target", "held_in_account"], result
    entries = sandbox.requests_since(mark)
    # The alias's DNS leads to the old distribution, named from the account's listing (read once), which shows it
    # holding the alias: no conflict query at all.
    assert count(entries, "ListDomainConflicts") == 0
    assert count(entries, "ListDistributions") == 1
    [holder] = exact_holders(result["aliases"][1])
    assert holder["distribution_id"] == s["holder"]["distribution_id"] and holder["in_account"] is True


# -- refusals before any request ---------------------------------------------------------------


@pytest.mark.parametrize("target,aliases,expected", [
    (None, [], "aliases is empty"),
    (None, ["www.*.example.com"], "'*' may only be the whole first label"),
    (None, ["www..example.com"], "empty label"),
    ("e2-not-an-id", ["www.example.com"], "does not look like a CloudFront distribution id"),
], ids=["empty-aliases", "inner-wildcard", "empty-label", "malformed-id"])
def test_bad_input_fails_before_any_request(sandbox, target, aliases, expected):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    result = find_holders(sandbox, target or s["target_distribution_id"], aliases)

    assert result["failed"] is True
    assert expected in result["msg"]
    assert sandbox.requests_since(mark) == []


def test_nonexistent_distribution_fails_after_reading_only(sandbox):
    sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    result = find_holders(sandbox, "E0000000000000", ["www.example.com"])

    assert result["failed"] is True
    assert "E0000000000000" in result["msg"] and "not found" in result["msg"]
    # The listing after GetDistribution's NoSuchDistribution says which account the credentials reached.
    assert ACCOUNT_1 in result["msg"]
    ops = operations(sandbox.requests_since(mark))
    assert ops[0] == "GetDistribution" and set(ops) == {"GetDistribution", "ListDistributions"}


def test_missing_credentials_fail_clearly_without_a_request(sandbox):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    # No AWS variable at all; the endpoint is given so that any request would reach the log.
    result = find_holders(sandbox, s["target_distribution_id"], [s["alias"]], env={},
                          endpoint_url=sandbox.endpoints["aws"]["endpoint_url"])

    assert result["failed"] is True
    assert result["msg"].startswith("No AWS credentials found")
    assert "access_key" in result["msg"] and "AWS_PROFILE" in result["msg"]
    assert sandbox.requests_since(mark) == []


def test_unknown_access_key_fails_with_a_clear_message(sandbox):
    s = sandbox.scenario("seed-409")
    env = sandbox.aws_env()
    env.update(AWS_ACCESS_KEY_ID="AKIA9999NOTAKEY00000", AWS_SECRET_ACCESS_KEY="not-a-secret-at-all")
    mark = sandbox.log_mark()
    result = find_holders(sandbox, s["target_distribution_id"], [s["alias"]], env=env)

    assert result["failed"] is True
    assert result["error_code"] == "InvalidClientTokenId"
    assert "rejected the access key" in result["msg"]
    assert "not-a-secret-at-all" not in str(result)
    entries = sandbox.requests_since(mark)
    assert operations(entries) == ["GetDistribution"] and entries[0]["status"] == 403


def test_alias_outside_the_target_certificate_still_reports_this_accounts_holder(sandbox):
    s = sandbox.scenario("seed-409")
    org_cert = sandbox.aws("acm").request_certificate(DomainName="example.org")["CertificateArn"]
    other = create_distribution(sandbox.aws("cloudfront"), "org-site", aliases=["example.org"], cert_arn=org_cert)
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], ["example.org"]))

    # AWS refuses ListDomainConflicts (the target's certificate does not cover the name),
    # so only this account could be checked, and the result says so.
    assert "ListDomainConflicts could not be asked" in entry["warning"]
    assert "InvalidArgument" in entry["warning"]
    assert entry["verdict"] == "held_in_account"
    [holder] = exact_holders(entry)
    assert holder["distribution_id"] == other["id"]


def test_cname_chain_to_another_distribution_is_not_a_dns_conflict(sandbox):
    s = sandbox.scenario("seed-409")
    # shop -> edge -> the old distribution: CloudFront only refuses a direct CNAME to *.cloudfront.net,
    # so the alias can be added, but DNS does not reach the target yet and the next step says so.
    route53_upsert(sandbox, s["dns"]["zone_id"], "edge.example.com", "CNAME", [s["holder"]["domain_name"]])
    route53_upsert(sandbox, s["dns"]["zone_id"], "shop.example.com", "CNAME", ["edge.example.com"])
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], ["shop.example.com"]))

    assert entry["dns"]["type"] == "CNAME"
    assert [hop["name"] for hop in entry["dns"]["chain"]] == [
        "shop.example.com", "edge.example.com", s["holder"]["domain_name"]]
    assert entry["dns"]["points_to"]["distribution_id"] == s["holder"]["distribution_id"]
    assert entry["verdict"] == "free"
    assert "still points at %s" % s["holder"]["domain_name"] in entry["next_step"]
    assert s["target_domain_name"] in entry["next_step"]
    add_alias_with_boto3(sandbox, s["target_distribution_id"], "shop.example.com")  # and CloudFront agrees


# -- distribution tenants (CloudFront SaaS Manager) ------------------------------------------


def test_a_tenant_holder_is_seen_resolved_and_its_move_is_update_domain_association(sandbox):
    s = sandbox.scenario("tenant")
    mark = sandbox.log_mark()
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], [s["alias"]]))

    # ListConflictingAliases would have called the name free; the tenant listings (and ListDomainConflicts) see the
    # tenant.
    assert entry["verdict"] == "held_in_account"
    [holder] = exact_holders(entry)
    tenant = s["holder"]
    assert holder["resource_type"] == "distribution-tenant"
    # AWS hides the first half of the tenant id; the module resolved it against this account's tenants.
    assert holder["masked"] is True and holder["in_account"] is True
    assert holder["distribution_id"] == holder["distribution_tenant_id"] == tenant["distribution_tenant_id"]
    assert holder["routing_endpoint"] == tenant["routing_endpoint"]
    assert holder["connection_group_id"] == tenant["connection_group_id"]
    assert holder["multi_tenant_distribution_id"] == tenant["multi_tenant_distribution_id"]
    # DNS is a CNAME to the routing endpoint: recognised as leading to that group's tenants.
    points_to = entry["dns"]["points_to"]
    assert points_to["resource_type"] == "connection-group"
    assert points_to["connection_group_id"] == tenant["connection_group_id"]
    assert tenant["distribution_tenant_id"] in points_to["distribution_tenant_ids"]
    assert points_to["is_target"] is False
    step = entry["next_step"]
    assert "distribution tenant %s" % tenant["distribution_tenant_id"] in step
    assert "UpdateDomainAssociation" in step and "AssociateAlias" not in step
    assert "_www.example.com = %s" % s["target_domain_name"] in step
    # DNS leads to a routing endpoint, which only the tenant listings can name; they show this account's tenant
    # holding the name exactly, so it is the holder: no conflict query.
    ops = operations(sandbox.requests_since(mark))
    assert "ListDomainConflicts" not in ops and "ListConflictingAliases" not in ops
    assert ops.count("ListDistributionTenants") == 1 and ops.count("ListConnectionGroups") == 1


def test_a_tenant_target_sees_the_standard_holder_and_its_own_routing_endpoint(sandbox):
    s = sandbox.scenario("tenant-target")
    result = find_holders(sandbox, None, [s["alias"]], target_distribution_tenant_id=s["target_distribution_tenant_id"])
    entry = the_only(result)

    assert result["target"]["resource_type"] == "distribution-tenant"
    assert result["target"]["id"] == s["target_distribution_tenant_id"]
    assert result["target"]["routing_endpoint"] == s["target_routing_endpoint"]
    assert result["target"]["aliases"] == s["target_domains"]
    assert entry["verdict"] == "held_in_account"
    [holder] = exact_holders(entry)
    assert holder["resource_type"] == "distribution"
    assert holder["distribution_id"] == s["holder"]["distribution_id"]
    assert entry["dns"]["points_to"]["distribution_id"] == s["holder"]["distribution_id"]
    step = entry["next_step"]
    assert "UpdateDomainAssociation" in step and s["target_distribution_tenant_id"] in step
    # The TXT record's value is the tenant's routing endpoint, as "Migrate to a multi-tenant distribution" says.
    assert "_www.example.com = %s" % s["target_routing_endpoint"] in step
    assert entry["target_certificate"]["covers"] is True


def test_a_tenant_in_another_account_is_masked_and_its_owner_must_act(sandbox):
    from sandbox.scenarios import certificate, create_multi_tenant_distribution, create_tenant
    s = sandbox.scenario("seed-409")
    other_cf = sandbox.aws("cloudfront", ACCOUNT_2)
    cert = certificate(sandbox.aws("acm", ACCOUNT_2), "shop.example.com")
    saas = create_multi_tenant_distribution(other_cf, "vendor-saas", cert_arn=cert)
    held = create_tenant(other_cf, saas["id"], "vendor-shop", ["shop.example.com"])
    entry = the_only(find_holders(sandbox, s["target_distribution_id"], ["shop.example.com"]))

    assert entry["verdict"] == "held_other_account"
    [holder] = exact_holders(entry)
    assert holder["resource_type"] == "distribution-tenant"
    assert holder["in_account"] is False and holder["masked"] is True
    assert holder["distribution_id"].startswith("*") and held["id"].endswith(holder["distribution_id"].lstrip("*"))
    assert ACCOUNT_2.endswith(holder["account_id"].lstrip("*")) and holder["account_id"] != ACCOUNT_2
    assert "routing_endpoint" not in holder  # nothing about another account's tenant is known
    step = entry["next_step"]
    assert "distribution tenant %s in another AWS account" % holder["distribution_id"] in step
    assert "UpdateDistributionTenant" in step and "UpdateDomainAssociation" in step
