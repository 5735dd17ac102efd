# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The distribution index, ListConflictingAliases and masked ids, against botocore's Stubber."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime

import pytest

boto3 = pytest.importorskip("boto3")

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (  # noqa: E402
    Distribution,
    DistributionIndex,
    LazyDistributionIndex,
    conflicts_for,
    with_aliases,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias  # noqa: E402

OUR_ACCOUNT = "111111111111"
TARGET = "ETARGET0000001"


def A(text):
    return Alias.parse(text)


def summary(dist_id, aliases=(), account=OUR_ACCOUNT, enabled=True, partition="aws"):
    """A DistributionSummary as ListDistributions returns it (every required member)."""
    aliases = list(aliases)
    alias_element = {"Quantity": len(aliases)}
    if aliases:
        alias_element["Items"] = aliases
    return {
        "Id": dist_id,
        "ARN": "arn:%s:cloudfront::%s:distribution/%s" % (partition, account, dist_id),
        "Status": "Deployed",
        "LastModifiedTime": datetime.datetime(2024, 1, 1),
        "DomainName": "d%s.cloudfront.net" % dist_id.lower(),
        "Aliases": alias_element,
        "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": "origin.example.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": "redirect-to-https"},
        "CacheBehaviors": {"Quantity": 0},
        "CustomErrorResponses": {"Quantity": 0},
        "Comment": "dist %s" % dist_id,
        "PriceClass": "PriceClass_All",
        "Enabled": enabled,
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "",
        "HttpVersion": "http2",
        "IsIPV6Enabled": True,
        "Staging": False,
    }


def distribution_page(summaries, marker="", next_marker=None):
    page = {"Marker": marker, "MaxItems": 100, "IsTruncated": bool(next_marker), "Quantity": len(summaries)}
    if summaries:
        page["Items"] = summaries
    if next_marker:
        page["NextMarker"] = next_marker
    return {"DistributionList": page}


def conflicts_page(entries, next_marker=None):
    page = {"MaxItems": 100, "Quantity": len(entries)}
    if entries:
        page["Items"] = entries
    if next_marker:
        page["NextMarker"] = next_marker
    return {"ConflictingAliasesList": page}


def index_of(*summaries):
    return DistributionIndex([Distribution.from_summary(s) for s in summaries])


def conflict_params(alias, marker=None):
    params = {"DistributionId": TARGET, "Alias": alias, "MaxItems": 100}
    if marker:
        params["Marker"] = marker
    return params


def by_id(holders):
    return dict((h.distribution_id, h) for h in holders)


# -- DistributionIndex -------------------------------------------------------------


def test_load_follows_every_page_and_reads_the_account_from_the_arn(client, stubber):
    stubber.add_response("list_distributions",
                         distribution_page([summary("E1AAAAAAAAAAA1", ["www.example.com"]),
                                            summary("E1AAAAAAAAAAA2", ["API.Example.com"])],
                                           next_marker="page-2"),
                         {"MaxItems": "100"})
    stubber.add_response("list_distributions",
                         distribution_page([summary("E1AAAAAAAAAAA3", [])], marker="page-2"),
                         {"MaxItems": "100", "Marker": "page-2"})

    index = DistributionIndex.load(client)

    assert [d.id for d in index.distributions] == ["E1AAAAAAAAAAA1", "E1AAAAAAAAAAA2", "E1AAAAAAAAAAA3"]
    assert index.account_id == OUR_ACCOUNT
    assert all(d.account_id == OUR_ACCOUNT for d in index.distributions)
    assert index.get("E1AAAAAAAAAAA2").aliases == (A("api.example.com"),)
    assert index.get("E1AAAAAAAAAAA3").aliases == ()
    assert index.get("ENOTTHERE00000") is None
    assert index.by_domain["de1aaaaaaaaaaa1.cloudfront.net"].id == "E1AAAAAAAAAAA1"


def test_load_of_an_empty_account(client, stubber):
    stubber.add_response("list_distributions", distribution_page([]), {"MaxItems": "100"})
    index = DistributionIndex.load(client)
    assert index.distributions == []
    assert index.account_id is None


def stub_three_pages(stubber):
    """Three ListDistributions pages: E1 (www) | E2 (*.example.com) | E3 (shop), each expected once, in order."""
    stubber.add_response("list_distributions", distribution_page([summary("E1AAAAAAAAAAA1", ["www.example.com"])],
                                                                 next_marker="page-2"), {"MaxItems": "100"})
    stubber.add_response("list_distributions", distribution_page([summary("E1AAAAAAAAAAA2", ["*.example.com"])],
                                                                 marker="page-2", next_marker="page-3"),
                         {"MaxItems": "100", "Marker": "page-2"})
    stubber.add_response("list_distributions", distribution_page([summary("E1AAAAAAAAAAA3", ["shop.example.com"])],
                                                                 marker="page-3"),
                         {"MaxItems": "100", "Marker": "page-3"})


def test_lazy_index_reads_pages_only_until_a_one_name_question_is_answered(client, stubber):
    stub_three_pages(stubber)
    index = LazyDistributionIndex(client, OUR_ACCOUNT)

    assert index.loaded is False and index.known_holder(A("www.example.com")) is None  # no request for that
    assert index.with_domain("DE1AAAAAAAAAAA1.cloudfront.net.").id == "E1AAAAAAAAAAA1"
    assert index.pages_read == 1 and index.complete is False
    assert index.known_holder(A("www.example.com")).id == "E1AAAAAAAAAAA1"
    assert index.known_holder(A("shop.example.com")) is None
    # The one distribution that can hold shop.example.com, by its visible end: the pages go on from the marker.
    assert index.by_masked_id("*******AAAAAA3", A("shop.example.com")).id == "E1AAAAAAAAAAA3"
    assert index.pages_read == 3 and index.complete is True
    # Every page was read: nothing more is asked (the Stubber would refuse a fourth request).
    assert index.read_page() is False
    assert index.get("ENOTTHERE00000") is None and index.with_domain("dnothere.cloudfront.net") is None
    assert [d.id for d in index.distributions] == ["E1AAAAAAAAAAA1", "E1AAAAAAAAAAA2", "E1AAAAAAAAAAA3"]


def test_lazy_index_whole_account_questions_go_on_from_where_the_pages_stopped(client, stubber):
    stub_three_pages(stubber)
    index = LazyDistributionIndex(client, OUR_ACCOUNT)

    assert index.read_page() is True and index.pages_read == 1
    # Only the pages read so far, no request: the wildcard's page is not read yet.
    assert [(d.id, held.name) for d, held in index.known_overlapping(A("www.example.com"))] == [
        ("E1AAAAAAAAAAA1", "www.example.com")]
    # The whole account: pages two and three, once each.
    assert sorted((d.id, held.name) for d, held in index.overlapping(A("www.example.com"))) == [
        ("E1AAAAAAAAAAA1", "www.example.com"), ("E1AAAAAAAAAAA2", "*.example.com")]
    assert index.pages_read == 3 and index.account_id == OUR_ACCOUNT


def test_lazy_index_page_failure_is_an_aws_error_naming_the_call(client, stubber):
    stubber.add_client_error("list_distributions", service_error_code="AccessDenied", http_status_code=403,
                             expected_params={"MaxItems": "100"})

    with pytest.raises(AwsError) as caught:
        LazyDistributionIndex(client, OUR_ACCOUNT).with_domain("dx.cloudfront.net")
    assert "ListDistributions" in str(caught.value) and caught.value.code == "AccessDenied"


def test_account_id_from_other_partitions():
    dist = Distribution.from_summary(summary("E1AAAAAAAAAAA1", partition="aws-cn", account="123456789012"))
    assert dist.account_id == "123456789012"


def test_load_failure_is_an_aws_error_naming_the_call(client, stubber):
    stubber.add_client_error("list_distributions", service_error_code="AccessDenied",
                             service_message="User is not authorized", http_status_code=403)
    with pytest.raises(AwsError) as exc:
        DistributionIndex.load(client)
    assert exc.value.code == "AccessDenied"
    assert "ListDistributions" in str(exc.value)


def test_index_holders_and_overlapping():
    index = index_of(summary("E1AAAAAAAAAAA1", ["www.example.com"]),
                     summary("E1AAAAAAAAAAA2", ["*.example.com", "example.com"]),
                     summary("E1AAAAAAAAAAA3", ["www.example.org"]))
    assert [d.id for d in index.holders(A("www.example.com"))] == ["E1AAAAAAAAAAA1"]
    assert sorted((d.id, held.name) for d, held in index.overlapping(A("www.example.com"))) == [
        ("E1AAAAAAAAAAA1", "www.example.com"), ("E1AAAAAAAAAAA2", "*.example.com")]
    assert [(d.id, held.name) for d, held in index.overlapping(A("example.com"))] == [
        ("E1AAAAAAAAAAA2", "example.com")]


# -- conflicts_for -------------------------------------------------------------


def test_conflicts_for_follows_every_page(client, stubber):
    index = index_of(summary(TARGET))
    stubber.add_response("list_conflicting_aliases",
                         conflicts_page([{"Alias": "www.example.com", "DistributionId": "*******FOREIGN1",
                                          "AccountId": "********2222"}], next_marker="m-2"),
                         conflict_params("www.example.com"))
    stubber.add_response("list_conflicting_aliases",
                         conflicts_page([{"Alias": "*.example.com", "DistributionId": "*******FOREIGN2",
                                          "AccountId": "********3333"}], next_marker="m-3"),
                         conflict_params("www.example.com", "m-2"))
    stubber.add_response("list_conflicting_aliases",
                         conflicts_page([{"Alias": "*.www.example.com", "DistributionId": "*******FOREIGN3",
                                          "AccountId": "********4444"}]),
                         conflict_params("www.example.com", "m-3"))

    holders, warning = conflicts_for(client, index, TARGET, A("WWW.Example.com."))

    assert warning is None
    assert sorted(h.distribution_id for h in holders) == ["*******FOREIGN1", "*******FOREIGN2", "*******FOREIGN3"]
    assert all(h.masked and not h.in_account and h.distribution is None for h in holders)
    # the exact holder comes first
    assert holders[0].alias == A("www.example.com")
    assert holders[0].overlap == "exact"
    assert by_id(holders)["*******FOREIGN2"].overlap == "wildcard"


def test_masked_entry_of_ours_is_resolved_to_the_real_id(client, stubber):
    index = index_of(summary(TARGET),
                     summary("E1AAAAAAABC1234", ["www.example.com"]),
                     summary("E2BBBBBBBXYZ999", ["api.example.com"]))
    stubber.add_response("list_conflicting_aliases",
                         conflicts_page([{"Alias": "www.example.com", "DistributionId": "*******ABC1234",
                                          "AccountId": "********1111"}]),
                         conflict_params("www.example.com"))

    holders, warning = conflicts_for(client, index, TARGET, A("www.example.com"))

    assert warning is None
    assert len(holders) == 1
    holder = holders[0]
    assert holder.distribution_id == "E1AAAAAAABC1234"
    assert holder.in_account is True
    assert holder.masked is True
    assert holder.account_id == OUR_ACCOUNT
    assert holder.distribution is index.get("E1AAAAAAABC1234")
    result = holder.to_result()
    assert result["distribution_id"] == "E1AAAAAAABC1234"
    assert result["domain_name"] == index.get("E1AAAAAAABC1234").domain_name
    assert result["aliases"] == ["www.example.com"]


def test_masked_entry_with_a_mask_of_another_width_is_still_resolved(client, stubber):
    index = index_of(summary(TARGET), summary("E1AAAAAAABC1234", ["www.example.com"]))
    stubber.add_response("list_conflicting_aliases",
                         conflicts_page([{"Alias": "www.example.com", "DistributionId": "***ABC1234",
                                          "AccountId": "****1111"}]),
                         conflict_params("www.example.com"))
    holders, unused = conflicts_for(client, index, TARGET, A("www.example.com"))
    assert [(h.distribution_id, h.in_account) for h in holders] == [("E1AAAAAAABC1234", True)]


def test_ambiguous_masked_suffix_stays_unresolved(client, stubber):
    index = index_of(summary(TARGET),
                     summary("E1AAAAAAABC1234", ["www.example.com"]),
                     summary("E2BBBBBBBABC1234", ["www.example.com"]))
    stubber.add_response("list_conflicting_aliases",
                         conflicts_page([{"Alias": "www.example.com", "DistributionId": "*******ABC1234",
                                          "AccountId": "********1111"}]),
                         conflict_params("www.example.com"))

    holders, unused = conflicts_for(client, index, TARGET, A("www.example.com"))

    unresolved = [h for h in holders if h.distribution_id == "*******ABC1234"]
    assert len(unresolved) == 1
    assert unresolved[0].distribution is None
    assert unresolved[0].masked is True
    # neither of ours was picked on a guess
    assert "domain_name" not in unresolved[0].to_result()


def test_masked_entry_of_another_account_is_not_ours_even_if_the_suffix_fits(client, stubber):
    index = index_of(summary(TARGET), summary("E1AAAAAAABC1234", ["*.example.com"]))
    stubber.add_response("list_conflicting_aliases",
                         conflicts_page([{"Alias": "www.example.com", "DistributionId": "*******ABC1234",
                                          "AccountId": "********2222"}]),
                         conflict_params("www.example.com"))

    holders, unused = conflicts_for(client, index, TARGET, A("www.example.com"))

    foreign = [h for h in holders if h.alias == A("www.example.com")]
    assert len(foreign) == 1
    assert foreign[0].distribution_id == "*******ABC1234"
    assert foreign[0].account_id == "********2222"
    assert foreign[0].in_account is False
    assert foreign[0].masked is True
    assert foreign[0].distribution is None


def test_unmasked_entry_of_ours_and_an_unlisted_holder_of_ours(client, stubber):
    index = index_of(summary(TARGET),
                     summary("E1AAAAAAAAAAA1", ["www.example.com"]),
                     summary("E1AAAAAAAAAAA2", ["*.example.com"]))
    stubber.add_response("list_conflicting_aliases",
                         conflicts_page([{"Alias": "www.example.com", "DistributionId": "E1AAAAAAAAAAA1",
                                          "AccountId": OUR_ACCOUNT}]),
                         conflict_params("www.example.com"))

    holders, unused = conflicts_for(client, index, TARGET, A("www.example.com"))

    assert [(h.distribution_id, h.alias.name, h.in_account, h.overlap) for h in holders] == [
        ("E1AAAAAAAAAAA1", "www.example.com", True, "exact"),
        ("E1AAAAAAAAAAA2", "*.example.com", True, "wildcard"),
    ]


@pytest.mark.parametrize("code, status", [("InvalidArgument", 400), ("AccessDenied", 403)])
def test_refused_question_falls_back_to_this_accounts_holders_with_a_warning(client, stubber, code, status):
    index = index_of(summary(TARGET),
                     summary("E1AAAAAAAAAAA1", ["www.example.com"]),
                     summary("E1AAAAAAAAAAA2", ["*.example.com"]),
                     summary("E1AAAAAAAAAAA3", ["www.example.org"]))
    stubber.add_client_error("list_conflicting_aliases", service_error_code=code,
                             service_message="The CNAME specified is not covered by the certificate",
                             http_status_code=status, expected_params=conflict_params("www.example.com"))

    holders, warning = conflicts_for(client, index, TARGET, A("www.example.com"))

    assert sorted((h.distribution_id, h.alias.name, h.overlap) for h in holders) == [
        ("E1AAAAAAAAAAA1", "www.example.com", "exact"),
        ("E1AAAAAAAAAAA2", "*.example.com", "wildcard"),
    ]
    assert all(h.in_account and not h.masked and h.account_id == OUR_ACCOUNT for h in holders)
    assert warning
    assert code in warning
    assert "www.example.com" in warning
    assert "only this account" in warning


def test_unknown_errors_propagate_with_their_code(client, stubber):
    index = index_of(summary(TARGET))
    stubber.add_client_error("list_conflicting_aliases", service_error_code="NoSuchDistribution",
                             service_message="The specified distribution does not exist.",
                             http_status_code=404)
    with pytest.raises(AwsError) as exc:
        conflicts_for(client, index, TARGET, A("www.example.com"))
    assert exc.value.code == "NoSuchDistribution"
    assert "www.example.com" in str(exc.value)
    assert "does not exist" in str(exc.value)


def test_error_on_a_later_page_propagates(client, stubber):
    index = index_of(summary(TARGET))
    stubber.add_response("list_conflicting_aliases", conflicts_page([], next_marker="m-2"),
                         conflict_params("www.example.com"))
    stubber.add_client_error("list_conflicting_aliases", service_error_code="Throttling",
                             service_message="Rate exceeded", http_status_code=400,
                             expected_params=conflict_params("www.example.com", "m-2"))
    with pytest.raises(AwsError) as exc:
        conflicts_for(client, index, TARGET, A("www.example.com"))
    assert exc.value.code == "Throttling"


# -- with_aliases -------------------------------------------------------------


def _config():
    return {
        "CallerReference": "ref-1",
        "Aliases": {"Quantity": 1, "Items": ["old.example.com"]},
        "DefaultRootObject": "index.html",
        "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": "origin.example.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": "redirect-to-https"},
        "Comment": "keep me",
        "Enabled": True,
        "ViewerCertificate": {"ACMCertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/abc",
                              "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
    }


def test_with_aliases_replaces_only_the_aliases():
    config = _config()
    before = copy.deepcopy(config)

    updated = with_aliases(config, [A("WWW.Example.com"), A("*.example.com")])

    assert updated["Aliases"] == {"Quantity": 2, "Items": ["www.example.com", "*.example.com"]}
    assert set(updated) == set(config)
    for key in config:
        if key != "Aliases":
            assert updated[key] == before[key]
    assert config == before, "the original config must not be modified"


def test_with_no_aliases_sets_quantity_zero():
    updated = with_aliases(_config(), [])
    assert updated["Aliases"] == {"Quantity": 0}


def test_with_aliases_on_a_config_without_aliases():
    config = _config()
    del config["Aliases"]
    updated = with_aliases(config, [A("www.example.com")])
    assert updated["Aliases"] == {"Quantity": 1, "Items": ["www.example.com"]}
    assert "Aliases" not in config


# -- tenants: one code path (domain_conflicts_for) resolves them and keeps them on the fallback --------------

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (  # noqa: E402
    ConflictApi,
    LazyTenants,
    domain_conflicts_for,
)

OUR_TENANT = "dt_2x9GhoK0TZRsohWzv1b9It8J1AB"
GROUP = "cg_2x9GhoK0TZRsohWzv1b9It8J1AB"


def tenant_summary(tenant_id, domains, account=OUR_ACCOUNT):
    return {"Id": tenant_id, "DistributionId": "EMULTI00000001", "Name": "customer", "ConnectionGroupId": GROUP,
            "Arn": "arn:aws:cloudfront::%s:distribution-tenant/%s" % (account, tenant_id),
            "Domains": [{"Domain": d, "Status": "active"} for d in domains], "ETag": "ETAG1",
            "CreatedTime": datetime.datetime(2025, 1, 1), "LastModifiedTime": datetime.datetime(2025, 1, 1)}


def stub_tenant_lists(stubber, tenants):
    stubber.add_response("list_distribution_tenants", {"DistributionTenantList": tenants}, {"MaxItems": 100})
    stubber.add_response("list_connection_groups", {"ConnectionGroups": [{
        "Id": GROUP, "Name": "default-connection-group", "RoutingEndpoint": "d111111abcdef8.cloudfront.net",
        "Arn": "arn:aws:cloudfront::%s:connection-group/%s" % (OUR_ACCOUNT, GROUP), "ETag": "E1",
        "CreatedTime": datetime.datetime(2025, 1, 1), "LastModifiedTime": datetime.datetime(2025, 1, 1),
        "IsDefault": True}]}, {"MaxItems": 100})


def test_a_masked_tenant_of_ours_is_resolved_from_list_distribution_tenants(client, stubber):
    index = index_of(summary(TARGET))
    stubber.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "www.example.com", "ResourceType": "distribution-tenant",
         "ResourceId": "***************ohWzv1b9It8J1AB", "AccountId": OUR_ACCOUNT}]},
        {"Domain": "www.example.com", "DomainControlValidationResource": {"DistributionId": TARGET}, "MaxItems": 100})
    stub_tenant_lists(stubber, [tenant_summary(OUR_TENANT, ["www.example.com"])])

    holders, warning, operation = domain_conflicts_for(client, index, A("www.example.com"), distribution_id=TARGET,
                                                       api=ConflictApi(), tenants=LazyTenants(client, index))
    assert (warning, operation) == (None, "ListDomainConflicts")
    [holder] = holders
    result = holder.to_result()
    assert result["resource_type"] == "distribution-tenant" and result["distribution_tenant_id"] == OUR_TENANT
    assert result["in_account"] is True and result["masked"] is True
    assert result["routing_endpoint"] == "d111111abcdef8.cloudfront.net"


def test_without_list_domain_conflicts_our_own_tenants_are_still_holders(client, stubber):
    class OldClient(object):
        """A botocore with the tenant list calls but without ListDomainConflicts (as a test double)."""

        def __init__(self, client):
            self.list_conflicting_aliases = client.list_conflicting_aliases
            self.list_distribution_tenants = client.list_distribution_tenants
            self.list_connection_groups = client.list_connection_groups

    index = index_of(summary(TARGET))
    stubber.add_response("list_conflicting_aliases", conflicts_page([]), conflict_params("www.example.com"))
    stub_tenant_lists(stubber, [tenant_summary(OUR_TENANT, ["www.example.com"])])
    old = OldClient(client)
    api = ConflictApi()
    holders, warning, operation = domain_conflicts_for(old, index, A("www.example.com"), distribution_id=TARGET,
                                                       api=api, tenants=LazyTenants(old, index))
    assert operation == "ListConflictingAliases" and api.domain_conflicts is False
    assert [(h.resource_type, h.distribution_id, h.in_account) for h in holders] == [
        ("distribution-tenant", OUR_TENANT, True)]
