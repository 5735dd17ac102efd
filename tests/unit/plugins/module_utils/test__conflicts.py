# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""find_conflicts against botocore's Stubber: the target is read first, an alias it holds is asked about no
further, and the account's listing is read only when an answer needs it (the Stubber refuses any other call)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

boto3 = pytest.importorskip("boto3")

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._conflicts import (  # noqa: E402
    TargetNotFound,
    find_conflicts,
    read_listing_while_worth_it,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias  # noqa: E402

TARGET = "E2TARGET000001"
OLD = "E1HOLDER000001"
ACCOUNT = "111111111111"


def distribution(dist_id, aliases, domain):
    config = {
        "CallerReference": "ref", "Comment": "", "Enabled": True,
        "Aliases": {"Quantity": len(aliases), "Items": list(aliases)} if aliases else {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https"},
        "ViewerCertificate": {"ACMCertificateArn": "arn:aws:acm:us-east-1:%s:certificate/c" % ACCOUNT},
    }
    return {"Id": dist_id, "ARN": "arn:aws:cloudfront::%s:distribution/%s" % (ACCOUNT, dist_id),
            "Status": "Deployed", "LastModifiedTime": "2024-01-01T00:00:00Z", "InProgressInvalidationBatches": 0,
            "DomainName": domain, "DistributionConfig": config}


def summary(dist):
    config = dist["DistributionConfig"]
    return dict({k: config[k] for k in ("Aliases", "Origins", "DefaultCacheBehavior", "Comment", "Enabled",
                                        "ViewerCertificate")},
                Id=dist["Id"], ARN=dist["ARN"], Status="Deployed", LastModifiedTime="2024-01-01T00:00:00Z",
                DomainName=dist["DomainName"], CacheBehaviors={"Quantity": 0}, CustomErrorResponses={"Quantity": 0},
                PriceClass="PriceClass_All", Restrictions={"GeoRestriction": {"RestrictionType": "none",
                                                                              "Quantity": 0}},
                WebACLId="", HttpVersion="http2", IsIPV6Enabled=True, Staging=False)


def test_aliases_the_target_holds_cost_one_get_distribution(client, stubber):
    target = distribution(TARGET, ["www.example.com", "*.shop.example.com"], "dtarget.cloudfront.net")
    stubber.add_response("get_distribution", {"Distribution": target, "ETag": "T1"}, {"Id": TARGET})

    index, found, results = find_conflicts(client, None, TARGET, [Alias.parse("WWW.example.com"),
                                                                  Alias.parse("*.shop.example.com")])

    assert found.id == TARGET and index.account_id == ACCOUNT and index.loaded is False
    assert [r["verdict"] for r in results] == ["on_target", "on_target"]
    assert [[(h["distribution_id"], h["overlap"]) for h in r["holders"]] for r in results] == [
        [(TARGET, "exact")], [(TARGET, "exact")]]


def test_an_alias_held_elsewhere_is_asked_about_and_its_hidden_holder_resolved_by_one_listing(client, stubber):
    target = distribution(TARGET, ["www.example.com"], "dtarget.cloudfront.net")
    old = distribution(OLD, ["shop.example.com"], "dold.cloudfront.net")
    stubber.add_response("get_distribution", {"Distribution": target, "ETag": "T1"}, {"Id": TARGET})
    stubber.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "shop.example.com", "ResourceType": "distribution", "ResourceId": "*******" + OLD[-7:],
         "AccountId": "******" + ACCOUNT[-6:]}]})
    stubber.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 2,
        "Items": [summary(target), summary(old)]}})

    index, unused, results = find_conflicts(client, None, TARGET, [Alias.parse("www.example.com"),
                                                                   Alias.parse("shop.example.com")])

    assert [r["verdict"] for r in results] == ["on_target", "held_in_account"]
    [holder] = results[1]["holders"]
    assert holder["distribution_id"] == OLD and holder["in_account"] is True and index.loaded is True


def test_a_target_that_is_not_there_is_named_with_the_account_the_listing_shows(client, stubber):
    stubber.add_client_error("get_distribution", service_error_code="NoSuchDistribution", http_status_code=404,
                             expected_params={"Id": TARGET})
    other = distribution(OLD, [], "dold.cloudfront.net")
    stubber.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 1, "Items": [summary(other)]}})

    with pytest.raises(TargetNotFound, match="Distribution %s was not found in account %s \\(1 distributions there\\)"
                                             % (TARGET, ACCOUNT)):
        find_conflicts(client, None, TARGET, [Alias.parse("www.example.com")])


# -- which aliases the account's listing answers, and how many of its pages are read for that -------------------

def page(dists, marker="", next_marker=None):
    listing = {"Marker": marker, "MaxItems": 100, "IsTruncated": bool(next_marker), "Quantity": len(dists),
               "Items": [summary(d) for d in dists]}
    if next_marker:
        listing["NextMarker"] = next_marker
    return {"DistributionList": listing}


def page_params(marker=None):
    return dict({"MaxItems": "100"}, **({"Marker": marker} if marker else {}))


def nobody(stubber, name):
    stubber.add_response("list_domain_conflicts", {"DomainConflicts": []}, {
        "Domain": name, "DomainControlValidationResource": {"DistributionId": TARGET}, "MaxItems": 100})


def test_one_alias_alone_reads_no_listing_page_for_who_holds_it(client, stubber):
    target = distribution(TARGET, [], "dtarget.cloudfront.net")
    stubber.add_response("get_distribution", {"Distribution": target, "ETag": "T1"}, {"Id": TARGET})
    nobody(stubber, "shop.example.com")

    index, unused, results = find_conflicts(client, None, TARGET, [Alias.parse("shop.example.com")])

    # A page would cost as much as the one query it could save: the query is sent, the listing not read (nobody
    # holds the name, so no hidden id needs it either).
    assert [r["verdict"] for r in results] == ["free"] and results[0]["holders"] == []
    assert index.loaded is False


def test_pages_are_read_while_the_next_costs_less_than_the_queries_left_each_answering_its_holders(
        client, stubber):
    target = distribution(TARGET, [], "dtarget.cloudfront.net")
    first = distribution("E1HOLDER000001", ["a.example.com", "b.example.com"], "dfirst.cloudfront.net")
    second = distribution("E1HOLDER000002", ["c.example.com"], "dsecond.cloudfront.net")
    third = distribution("E1HOLDER000003", [], "dthird.cloudfront.net")
    stubber.add_response("get_distribution", {"Distribution": target, "ETag": "T1"}, {"Id": TARGET})
    # Four aliases: page 1 (1 < 4) answers a and b; two are left, and page 2 would cost as much as half of them
    # (2 < 2 is false): c and d are asked about. c's holder, ours, is resolved by reading on from the marker
    # (page 2), never page 1 again; page 3 is never read. (c comes first: the first alias runs alone, so the
    # Stubber's answers are taken in this order.)
    stubber.add_response("list_distributions", page([target, first], next_marker="p2"), page_params())
    stubber.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "c.example.com", "ResourceType": "distribution", "ResourceId": "*******" + second["Id"][-7:],
         "AccountId": "******" + ACCOUNT[-6:]}]})
    stubber.add_response("list_distributions", page([second], marker="p2", next_marker="p3"), page_params("p2"))
    nobody(stubber, "d.example.com")
    asked = [Alias.parse(n) for n in ("c.example.com", "a.example.com", "b.example.com", "d.example.com")]

    index, unused, results = find_conflicts(client, None, TARGET, asked)

    assert [r["verdict"] for r in results] == ["held_in_account", "held_in_account", "held_in_account", "free"]
    assert [[(h["distribution_id"], h["overlap"], h["in_account"], h["masked"]) for h in r["holders"]]
            for r in results] == [
        [(second["Id"], "exact", True, True)], [(first["Id"], "exact", True, True)],
        [(first["Id"], "exact", True, True)], []]
    assert index.pages_read == 2 and index.complete is False
    assert third["Id"] not in [d.id for d in index.read_so_far()]


def test_an_answer_from_the_listing_is_the_answer_list_domain_conflicts_gives(client, stubber):
    """The same alias, held by a distribution of ours, with a wildcard of ours over it: once answered by the
    listing (two aliases to ask about: a page is worth reading), once by ListDomainConflicts (one alias alone)."""
    target = distribution(TARGET, [], "dtarget.cloudfront.net")
    old = distribution(OLD, ["www.example.com"], "dold.cloudfront.net")
    wildcard = distribution("E1WILDCARD0001", ["*.example.com"], "dwild.cloudfront.net")
    stubber.add_response("get_distribution", {"Distribution": target, "ETag": "T1"}, {"Id": TARGET})
    stubber.add_response("list_distributions", page([target, old, wildcard]), page_params())
    nobody(stubber, "shop.example.com")  # under the wildcard: only the query can say it is not held elsewhere
    from_listing = find_conflicts(
        client, None, TARGET, [Alias.parse("www.example.com"), Alias.parse("shop.example.com")])[2][0]

    masked = dict((d["Id"], "*******" + d["Id"][-7:]) for d in (old, wildcard))
    stubber.add_response("get_distribution", {"Distribution": target, "ETag": "T1"}, {"Id": TARGET})
    stubber.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "www.example.com", "ResourceType": "distribution", "ResourceId": masked[OLD],
         "AccountId": "******" + ACCOUNT[-6:]},
        {"Domain": "*.example.com", "ResourceType": "distribution", "ResourceId": masked[wildcard["Id"]],
         "AccountId": "******" + ACCOUNT[-6:]}]})
    stubber.add_response("list_distributions", page([target, old, wildcard]), page_params())
    [asked] = find_conflicts(client, None, TARGET, [Alias.parse("www.example.com")])[2]

    assert from_listing == asked
    assert [(h["distribution_id"], h["overlap"]) for h in asked["holders"]] == [
        (OLD, "exact"), (wildcard["Id"], "wildcard")]


class PagedListing:
    """Just what read_listing_while_worth_it asks of a LazyDistributionIndex: pages of names held exactly."""

    def __init__(self, pages):
        self.pages = pages
        self.pages_read = 0

    @property
    def complete(self):
        return self.pages_read == len(self.pages)

    def read_page(self):
        assert not self.complete, "a page past the end was read"
        self.pages_read += 1
        return True

    def known_holder(self, alias):
        return next((n for n, held in enumerate(self.pages[:self.pages_read]) if alias.name in held), None)


def test_the_paging_rule_sends_fewer_than_twice_the_requests_of_the_best_choice_in_hindsight():
    """Over many accounts and sets of aliases: pages read plus aliases left to ask, against the fewest any
    strategy that reads the listing in its order could send (min over j of j pages + the aliases they leave)."""
    import random

    chance = random.Random(11)
    for unused in range(2000):
        pages_count = chance.randint(1, 30)
        aliases = [Alias.parse("a%d.example.com" % n) for n in range(chance.randint(1, 60))]
        on_page = dict((a.name, chance.choice([None] + list(range(pages_count)))) for a in aliases)
        pages = [set(name for name, n in on_page.items() if n == page) for page in range(pages_count)]
        listing = PagedListing(pages)

        left = read_listing_while_worth_it(listing, aliases)

        sent = listing.pages_read + len(left)
        best = min(j + sum(1 for n in on_page.values() if n is None or n >= j) for j in range(pages_count + 1))
        assert sent < 2 * best, (pages, sent, best)
        assert [a.name for a in left] == [a.name for a in aliases if listing.known_holder(a) is None]
        if len(aliases) == 1:
            assert listing.pages_read == 0
