"""Step 1 answers an alias from this account's listing when a distribution there holds it exactly.

CloudFront lets one resource hold a given name (Amazon CloudFront Developer Guide, "Requirements for using alternate
domain names", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements),
so the listing's exact holder is the holder: cloudfront_alias_conflict_info asks ListDomainConflicts only about the
other aliases. Run by real ansible-playbook against the sandbox; the request counts come from its request log.
"""

import collections

from sandbox.scenarios import certificate, create_distribution
from steps_helpers import ACCOUNT_1, ACCOUNT_2, certificate_arn, count, find_holders, operations, route53_upsert

IN_ACCOUNT = ["a%02d.example.com" % n for n in range(40)]


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def by_alias(result):
    return dict((entry["alias"], entry) for entry in ok(result)["aliases"])


def old_site_holding(sandbox, aliases, reference="old-site", account=ACCOUNT_1):
    return create_distribution(sandbox.aws("cloudfront", account), reference, aliases=aliases,
                               cert_arn=certificate_arn(sandbox, account=account))


def test_aliases_held_in_this_account_are_answered_by_its_listing_and_only_the_others_are_asked(sandbox):
    s = sandbox.scenario("cross-account")  # www.example.com: held in account 2, DNS (account 1) leads there
    target = s["target_distribution_id"]
    old = old_site_holding(sandbox, IN_ACCOUNT)
    for name in IN_ACCOUNT[:10]:  # the runbook's situation for some: DNS still at the old distribution
        route53_upsert(sandbox, s["dns"]["zone_id"], name, "CNAME", [old["domain_name"]])
    asked = IN_ACCOUNT + ["www.example.com", "free.example.com"]

    mark = sandbox.log_mark()
    result = find_holders(sandbox, target, asked)
    entries = by_alias(result)

    ops = collections.Counter(operations(sandbox.requests_since(mark)))
    # The account's one listing page answers the 40 aliases; ListDomainConflicts only for the one held in account 2
    # and the free one. DNS leading to account 2's distribution, no distribution of this account, is why the
    # tenants are listed (a routing endpoint?), as before.
    assert ops == {"GetDistribution": 1, "ListDistributions": 1, "ListDomainConflicts": 2, "DescribeCertificate": 1,
                   "ListDistributionTenants": 1, "ListConnectionGroups": 1}
    assert ok(result)["requests"] == {"cloudfront": 6, "acm": 1}
    for name in IN_ACCOUNT:
        entry = entries[name]
        assert entry["verdict"] == "held_in_account", entry
        [holder] = entry["holders"]
        assert (holder["distribution_id"], holder["account_id"], holder["in_account"], holder["overlap"]) == (
            old["id"], ACCOUNT_1, True, "exact")
        assert holder["domain_name"] == old["domain_name"] and sorted(holder["aliases"]) == IN_ACCOUNT
        assert "AssociateAlias" in entry["next_step"] and old["id"] in entry["next_step"]
        assert entry["target_certificate"]["covers"] is True and "warning" not in entry
    assert entries[IN_ACCOUNT[0]]["dns"]["points_to"]["distribution_id"] == old["id"]
    assert entries[IN_ACCOUNT[-1]]["dns"]["type"] is None
    assert entries["www.example.com"]["verdict"] == "held_other_account"
    [foreign] = entries["www.example.com"]["holders"]
    assert foreign["in_account"] is False and foreign["distribution_id"].startswith("*")
    assert entries["free.example.com"]["verdict"] == "free" and entries["free.example.com"]["holders"] == []


def test_an_answer_from_the_listing_equals_the_one_list_domain_conflicts_gives(sandbox):
    """The same aliases, asked together (the listing answers) and one at a time without DNS (no page is worth
    reading for one alias, and no DNS answer reads one: ListDomainConflicts answers), give the same entries - with a
    wildcard of this account over them, which both report."""
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    old = old_site_holding(sandbox, IN_ACCOUNT[:3])
    wildcard = old_site_holding(sandbox, ["*.example.com"], reference="wildcard-site")
    asked = IN_ACCOUNT[:3] + ["www.example.com"]

    mark = sandbox.log_mark()
    together = by_alias(find_holders(sandbox, target, asked, dns_lookup=False))
    assert count(sandbox.requests_since(mark), "ListDomainConflicts") == 0

    for name in asked:
        mark = sandbox.log_mark()
        alone = by_alias(find_holders(sandbox, target, [name], dns_lookup=False))
        assert count(sandbox.requests_since(mark), "ListDomainConflicts") == 1
        assert together[name] == alone[name]
    holders = [(h["distribution_id"], h["overlap"], h["masked"], h["in_account"]) for h in together["a00.example.com"]
               ["holders"]]
    assert holders == [(old["id"], "exact", True, True), (wildcard["id"], "wildcard", True, True)]
    assert together["www.example.com"]["holders"][0]["distribution_id"] == s["holder"]["distribution_id"]


def test_another_accounts_wildcard_is_only_in_the_conflict_query_and_changes_no_verdict_or_next_step(sandbox):
    """A wildcard held in another account over a name this account holds exactly: only ListDomainConflicts shows it.
    The exact name wins over it (CloudFront routes a name to the most specific alternate domain name), so the
    listing's answer gives the same verdict, next step and certificate check, and lists this account's holder
    alone."""
    s = sandbox.scenario("seed-409")
    target = s["target_distribution_id"]
    old = old_site_holding(sandbox, IN_ACCOUNT[:2])
    other_cert = certificate(sandbox.aws("acm", ACCOUNT_2), "example.com", ["*.example.com"])
    create_distribution(sandbox.aws("cloudfront", ACCOUNT_2), "vendor-wildcard", aliases=["*.example.com"],
                        cert_arn=other_cert)

    together = by_alias(find_holders(sandbox, target, IN_ACCOUNT[:2], dns_lookup=False))
    alone = by_alias(find_holders(sandbox, target, IN_ACCOUNT[:1], dns_lookup=False))

    name = IN_ACCOUNT[0]
    listed, asked = together[name], alone[name]
    assert [h["overlap"] for h in asked["holders"]] == ["exact", "wildcard"]
    assert asked["holders"][1]["in_account"] is False
    assert listed["holders"] == asked["holders"][:1] and listed["holders"][0]["distribution_id"] == old["id"]
    for key in ("verdict", "next_step", "txt_record_name", "target_certificate"):
        assert listed[key] == asked[key], key
    assert "warning" not in listed and "warning" not in asked


def test_one_free_alias_whose_dns_leads_nowhere_reads_no_listing(sandbox):
    s = sandbox.scenario("seed-409")
    mark = sandbox.log_mark()
    entry = by_alias(find_holders(sandbox, s["target_distribution_id"], ["shop.example.com"]))["shop.example.com"]

    assert entry["verdict"] == "free"
    # Nobody holds it, so no hidden id needs the listing, and a page would cost what the one query costs.
    assert sorted(operations(sandbox.requests_since(mark))) == [
        "DescribeCertificate", "GetDistribution", "ListDomainConflicts"]


def test_listing_pages_are_read_only_while_the_next_costs_less_than_the_queries_left(sandbox):
    s = sandbox.scenario("seed-409")
    cloudfront = sandbox.aws("cloudfront")
    for number in range(120):  # 122 distributions: two pages of 100
        create_distribution(cloudfront, "filler-%03d" % number)
    free = ["free%d.example.com" % n for n in range(3)]  # no DNS record: only the paging rule reads pages

    mark = sandbox.log_mark()
    ok(find_holders(sandbox, s["target_distribution_id"], free[:2]))
    entries = sandbox.requests_since(mark)
    # Two aliases: page 1 (1 < 2) is read; it answers neither, and page 2 would cost as much as the two queries.
    assert count(entries, "ListDistributions") == 1 and count(entries, "ListDomainConflicts") == 2

    mark = sandbox.log_mark()
    ok(find_holders(sandbox, s["target_distribution_id"], free))
    entries = sandbox.requests_since(mark)
    # Three: pages 1 and 2 (2 < 3), the whole listing; still three queries, fewer than twice the best (three).
    assert count(entries, "ListDistributions") == 2 and count(entries, "ListDomainConflicts") == 3
