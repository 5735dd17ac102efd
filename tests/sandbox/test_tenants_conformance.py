"""The sandbox's CloudFront SaaS Manager against AWS's documentation.

Multi-tenant distributions, distribution tenants, connection groups and the
domain APIs that know both kinds of resource (ListDomainConflicts,
UpdateDomainAssociation, VerifyDnsConfiguration). Plain boto3 over real HTTP to
the running sandbox, dnspython to its DNS server; each test starts from an empty
sandbox. Every test names the document it follows; TENANTS_SANDBOX.md lists the
readings chosen where AWS leaves something open.

Documents (all Amazon CloudFront):
  API reference, https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_<Operation>.html
  and botocore's service model (cloudfront 2020-05-31), for shapes, URIs and error codes;
  Developer Guide pages named in each test.
"""

import re
import time

import boto3
import botocore.config
import botocore.exceptions
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from sandbox.scenarios import (
    alias_record,
    certificate,
    cname,
    create_distribution,
    create_multi_tenant_distribution,
    create_tenant,
    distribution_config,
    hosted_zone,
)

ACCOUNT_1, ACCOUNT_2 = "111111111111", "222222222222"
FORM_A = "already associated with a different resource"
FORM_B = "incorrectly configured DNS record that points to another CloudFront distribution"
DEPLOY_WAIT = 5.0  # the session sandbox deploys in 0.5 s; this is only an upper bound
NO_RETRY = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})
ROUTING_ENDPOINT = re.compile(r"^d[a-z0-9]{13}\.cloudfront\.net$")
CLOUDFRONT_V4_PREFIX = ("198.18.", "198.19.")


def error_of(raised):
    response = getattr(raised, "value", raised).response
    return {"status": response["ResponseMetadata"]["HTTPStatusCode"],
            "code": response["Error"]["Code"], "message": response["Error"]["Message"]}


class Saas:
    """boto3 clients of both accounts and the steps the tests repeat."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.cf = {a: self.client("cloudfront", a) for a in (ACCOUNT_1, ACCOUNT_2)}
        self.acm = {a: self.client("acm", a) for a in (ACCOUNT_1, ACCOUNT_2)}
        self.r53 = self.client("route53")

    def client(self, service, account=ACCOUNT_1):
        creds = self.sandbox.endpoints["aws"]["accounts"][account]
        return boto3.client(
            service, endpoint_url=self.sandbox.endpoints["aws"]["endpoint_url"], region_name="us-east-1",
            aws_access_key_id=creds["access_key_id"], aws_secret_access_key=creds["secret_access_key"],
            config=NO_RETRY)

    def cert(self, domain="example.com", sans=("*.example.com",), account=ACCOUNT_1):
        return certificate(self.acm[account], domain, list(sans))

    def multi_tenant(self, cert=None, account=ACCOUNT_1, reference="saas"):
        return create_multi_tenant_distribution(self.cf[account], reference, cert_arn=cert)

    def tenant(self, dist_id, name, domains, account=ACCOUNT_1, group_id=None, **extra):
        return create_tenant(self.cf[account], dist_id, name, domains, group_id, **extra)

    def distribution(self, reference, aliases=(), cert=None, account=ACCOUNT_1, enabled=True):
        return create_distribution(self.cf[account], reference, aliases=list(aliases), cert_arn=cert,
                                   enabled=enabled)

    def get_tenant(self, identifier, account=ACCOUNT_1):
        response = self.cf[account].get_distribution_tenant(Identifier=identifier)
        return response["DistributionTenant"], response["ETag"]

    def domains(self, tenant_id, account=ACCOUNT_1):
        return {d["Domain"]: d["Status"] for d in self.get_tenant(tenant_id, account)[0]["Domains"]}

    def set_domains(self, tenant_id, domains, account=ACCOUNT_1, **extra):
        unused, etag = self.get_tenant(tenant_id, account)
        return self.cf[account].update_distribution_tenant(
            Id=tenant_id, IfMatch=etag, Domains=[{"Domain": d} for d in domains], **extra)

    def aliases(self, dist_id, account=ACCOUNT_1):
        config = self.cf[account].get_distribution_config(Id=dist_id)["DistributionConfig"]
        return set(config["Aliases"].get("Items") or [])

    def add_alias(self, dist_id, alias, account=ACCOUNT_1):
        response = self.cf[account].get_distribution_config(Id=dist_id)
        config = response["DistributionConfig"]
        items = list(config["Aliases"].get("Items") or []) + [alias]
        config["Aliases"] = {"Quantity": len(items), "Items": items}
        return self.cf[account].update_distribution(Id=dist_id, IfMatch=response["ETag"], DistributionConfig=config)

    def set_enabled(self, dist_id, enabled, account=ACCOUNT_1):
        response = self.cf[account].get_distribution_config(Id=dist_id)
        config = dict(response["DistributionConfig"], Enabled=enabled)
        return self.cf[account].update_distribution(Id=dist_id, IfMatch=response["ETag"], DistributionConfig=config)

    def zone(self, name="example.com"):
        return hosted_zone(self.r53, name)

    def change(self, zone_id, changes):
        self.r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})

    def txt(self, zone_id, name, value):
        self.change(zone_id, [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"%s"' % value}]}}])

    def dns(self, name, rdtype):
        endpoints = self.sandbox.endpoints["dns"]
        return dns.query.udp(dns.message.make_query(name, rdtype), endpoints["host"], port=endpoints["port"],
                             timeout=5)

    def wait_tenant_deployed(self, tenant_id, account=ACCOUNT_1):
        deadline = time.monotonic() + DEPLOY_WAIT
        while time.monotonic() < deadline:
            if self.get_tenant(tenant_id, account)[0]["Status"] == "Deployed":
                return
            time.sleep(0.1)
        raise AssertionError("%s is still not Deployed after %.0f s" % (tenant_id, DEPLOY_WAIT))

    def conflicts(self, domain, account=ACCOUNT_1, **resource):
        return self.cf[account].list_domain_conflicts(Domain=domain, DomainControlValidationResource=resource)


def addresses(response, rdtype):
    wanted = dns.rdatatype.from_text(rdtype)
    return sorted(r.to_text() for rrset in response.answer if rrset.rdtype == wanted for r in rrset)


@pytest.fixture
def saas(sandbox):
    sandbox.reset()
    return Saas(sandbox)


@pytest.fixture
def platform(saas):
    """Account 1: a certificate for example.com and *.example.com, and a multi-tenant distribution using it."""
    cert = saas.cert()
    return {"cert": cert, "dist": saas.multi_tenant(cert)}


# --------------------------------------------------------------------------
# Multi-tenant distributions (ConnectionMode tenant-only)


def test_multi_tenant_distribution_refuses_aliases_of_its_own(saas):
    """A multi-tenant distribution has no alternate domain names: its tenants carry the domains.

    Follows: "Understand how multi-tenant distributions work" (Developer Guide,
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-config-options.html):
    a multi-tenant distribution is used with a connection group and distribution tenants, which carry
    the domains; DistributionConfig.ConnectionMode (API reference, API_DistributionConfig.html).
    """
    cert = saas.cert()
    config = distribution_config("saas", aliases=["www.example.com"], cert_arn=cert)
    config["ConnectionMode"] = "tenant-only"

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.cf[ACCOUNT_1].create_distribution(DistributionConfig=config)

    assert (error_of(exc)["status"], error_of(exc)["code"]) == (400, "InvalidArgument")
    assert saas.cf[ACCOUNT_1].list_distributions()["DistributionList"]["Quantity"] == 0

    dist = saas.multi_tenant(cert)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.add_alias(dist["id"], "www.example.com")
    assert error_of(exc)["code"] == "InvalidArgument"
    assert saas.aliases(dist["id"]) == set()


def test_connection_mode_is_shown_by_get_list_and_list_by_connection_mode(saas):
    """GetDistribution, ListDistributions and ListDistributionsByConnectionMode show ConnectionMode.

    Follows: API reference DistributionConfig and DistributionSummary (ConnectionMode: direct for a
    standard distribution, tenant-only for a multi-tenant one) and ListDistributionsByConnectionMode
    (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListDistributionsByConnectionMode.html).
    """
    cert = saas.cert()
    multi = saas.multi_tenant(cert)
    standard = saas.distribution("standard", cert=cert)
    cf = saas.cf[ACCOUNT_1]

    assert cf.get_distribution(Id=multi["id"])["Distribution"]["DistributionConfig"]["ConnectionMode"] == "tenant-only"
    assert cf.get_distribution_config(Id=standard["id"])["DistributionConfig"]["ConnectionMode"] == "direct"
    listed = {d["Id"]: d["ConnectionMode"] for d in cf.list_distributions()["DistributionList"]["Items"]}
    assert listed == {multi["id"]: "tenant-only", standard["id"]: "direct"}
    only = cf.list_distributions_by_connection_mode(ConnectionMode="tenant-only")["DistributionList"]
    assert [d["Id"] for d in only["Items"]] == [multi["id"]]


def test_connection_mode_cannot_be_changed_by_update(saas):
    """A standard distribution does not become a multi-tenant one: the guide makes a new one instead.

    Follows: "Migrate to a multi-tenant distribution" (Developer Guide,
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/template-migrate-distribution.html):
    "Create a multi-tenant distribution with the same configuration as your standard distribution".
    """
    standard = saas.distribution("standard")
    cf = saas.cf[ACCOUNT_1]
    response = cf.get_distribution_config(Id=standard["id"])
    config = dict(response["DistributionConfig"], ConnectionMode="tenant-only")

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.update_distribution(Id=standard["id"], IfMatch=response["ETag"], DistributionConfig=config)

    assert (error_of(exc)["status"], error_of(exc)["code"]) == (400, "IllegalUpdate")
    assert cf.get_distribution_config(Id=standard["id"])["DistributionConfig"]["ConnectionMode"] == "direct"


def test_multi_tenant_distribution_gets_default_connection_group_and_has_no_address(saas):
    """Creating a multi-tenant distribution gives the account its default connection group; the
    distribution itself has no routing endpoint (its DomainName does not resolve).

    Follows: "Create custom connection group (optional)" (Developer Guide,
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-connection-group.html):
    "By default, CloudFront creates a connection group for you when you create a multi-tenant
    distribution"; "Understand how multi-tenant distributions work": "a multi-tenant distribution
    cannot be accessed directly because it has no CloudFront routing endpoint".
    """
    dist = saas.multi_tenant(saas.cert())
    domain_name = saas.cf[ACCOUNT_1].get_distribution(Id=dist["id"])["Distribution"]["DomainName"]

    groups = saas.cf[ACCOUNT_1].list_connection_groups()["ConnectionGroups"]

    assert [g["IsDefault"] for g in groups] == [True]
    assert ROUTING_ENDPOINT.match(groups[0]["RoutingEndpoint"])
    assert saas.dns(domain_name + ".", "A").rcode() == dns.rcode.NXDOMAIN
    assert saas.cf[ACCOUNT_2].list_connection_groups()["ConnectionGroups"] == []


def test_delete_of_multi_tenant_distribution_with_tenants_is_refused(saas, platform):
    """A multi-tenant distribution in use by tenants cannot be deleted.

    Follows: DeleteDistribution (API reference, errors: ResourceInUse "Cannot delete this resource
    because it is in use", 409).
    """
    saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])
    cf = saas.cf[ACCOUNT_1]
    etag = saas.set_enabled(platform["dist"]["id"], False)["ETag"]

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.delete_distribution(Id=platform["dist"]["id"], IfMatch=etag)

    assert (error_of(exc)["status"], error_of(exc)["code"]) == (409, "ResourceInUse")


# --------------------------------------------------------------------------
# Distribution tenants


def test_create_tenant_returns_it_with_etag_in_progress_then_deployed(saas, platform):
    """CreateDistributionTenant answers 201 with the tenant and an ETag; Status goes InProgress ->
    Deployed; each domain has Status active when the certificate covers it; without a
    ConnectionGroupId the tenant uses the default connection group.

    Follows: CreateDistributionTenant and DistributionTenant (API reference,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateDistributionTenant.html): "If you
    don't specify a connection group, CloudFront uses the default connection group"; DomainResult.Status
    active | inactive.
    """
    response = saas.cf[ACCOUNT_1].create_distribution_tenant(
        DistributionId=platform["dist"]["id"], Name="customer-1", Domains=[{"Domain": "www.example.com"}],
        Tags={"Items": [{"Key": "customer", "Value": "1"}]})
    tenant = response["DistributionTenant"]
    default = saas.cf[ACCOUNT_1].list_connection_groups()["ConnectionGroups"][0]

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert response["ETag"]
    assert re.match(r"^dt_[A-Za-z0-9]{27}$", tenant["Id"])
    assert tenant["Arn"] == "arn:aws:cloudfront::%s:distribution-tenant/%s" % (ACCOUNT_1, tenant["Id"])
    assert tenant["DistributionId"] == platform["dist"]["id"]
    assert tenant["Domains"] == [{"Domain": "www.example.com", "Status": "active"}]
    assert tenant["ConnectionGroupId"] == default["Id"] and default["IsDefault"]
    assert tenant["Enabled"] is True and tenant["Status"] == "InProgress"
    assert tenant["Tags"] == {"Items": [{"Key": "customer", "Value": "1"}]}
    saas.wait_tenant_deployed(tenant["Id"])
    assert saas.get_tenant(tenant["Id"])[1] == response["ETag"]


def test_tenant_needs_a_multi_tenant_distribution_of_the_account(saas, platform):
    """A tenant belongs to a multi-tenant distribution of the caller's account.

    Follows: CreateDistributionTenant (API reference): DistributionId is "The ID of the multi-tenant
    distribution to use for creating the distribution tenant"; errors EntityNotFound (404),
    InvalidArgument (400).
    """
    standard = saas.distribution("standard", cert=platform["cert"])
    cf = saas.cf[ACCOUNT_1]

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.create_distribution_tenant(DistributionId=standard["id"], Name="x", Domains=[{"Domain": "a.example.com"}])
    assert (error_of(exc)["status"], error_of(exc)["code"]) == (400, "InvalidArgument")

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.cf[ACCOUNT_2].create_distribution_tenant(
            DistributionId=platform["dist"]["id"], Name="x", Domains=[{"Domain": "a.example.com"}])
    assert (error_of(exc)["status"], error_of(exc)["code"]) == (404, "EntityNotFound")
    assert cf.list_distribution_tenants()["DistributionTenantList"] == []


@pytest.mark.parametrize("domains, code", [
    ([], "InvalidArgument"),
    (["WWW.example.com"], "InvalidArgument"),
    (["d%d.example.com" % k for k in range(6)], "EntityLimitExceeded"),
], ids=["none", "uppercase", "six"])
def test_tenant_domains_one_to_five_lowercase(saas, platform, domains, code):
    """At least one domain, at most five, lowercase.

    Follows: UpdateDistributionTenant (API reference): "You must specify at least one domain. Each
    distribution tenant can have up to 5 domains."; "Use custom URLs by adding alternate domain names
    (CNAMEs)" (Developer Guide, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html):
    "Alternate domain names must be lowercase".
    """
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.cf[ACCOUNT_1].create_distribution_tenant(
            DistributionId=platform["dist"]["id"], Name="customer", Domains=[{"Domain": d} for d in domains])

    assert error_of(exc)["code"] == code
    assert saas.cf[ACCOUNT_1].list_distribution_tenants()["DistributionTenantList"] == []


def test_tenant_name_is_unique_in_the_account(saas, platform):
    """Follows: CreateDistributionTenant (API reference): Name is "a friendly identifier that is unique
    within your AWS account"; error EntityAlreadyExists (409)."""
    saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.tenant(platform["dist"]["id"], "customer", ["api.example.com"])

    assert (error_of(exc)["status"], error_of(exc)["code"]) == (409, "EntityAlreadyExists")


def test_uncovered_domain_needs_a_managed_certificate_and_is_inactive_until_then(saas, platform):
    """A domain that no certificate of the tenant covers is refused, unless the tenant asks CloudFront
    for a managed certificate; then it is accepted with Status inactive.

    Follows: "Use custom URLs by adding alternate domain names (CNAMEs)" (Developer Guide): "Alternate
    domain names must be covered by a valid TLS certificate"; CreateDistributionTenant (API reference):
    ManagedCertificateRequest, and DomainResult.Status "Whether the domain is active or inactive".
    """
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.tenant(platform["dist"]["id"], "customer", ["www.example.org"])
    assert error_of(exc)["code"] == "InvalidArgument"

    pending = saas.tenant(platform["dist"]["id"], "customer", ["www.example.org", "www.example.com"],
                          ManagedCertificateRequest={"ValidationTokenHost": "cloudfront"})

    assert saas.domains(pending["id"]) == {"www.example.org": "inactive", "www.example.com": "active"}


def test_tenant_certificate_customization_decides_what_is_covered(saas, platform):
    """A tenant's own certificate (Customizations.Certificate) replaces the distribution's.

    Follows: CreateDistributionTenant (API reference): Customizations "the Amazon Resource Names (ARNs)
    for the ACM certificate ... specific values that you can override".
    """
    own = saas.cert("shop.example.net", ())

    tenant = saas.tenant(platform["dist"]["id"], "shop", ["shop.example.net"],
                         Customizations={"Certificate": {"Arn": own}})

    assert saas.domains(tenant["id"]) == {"shop.example.net": "active"}
    assert saas.get_tenant(tenant["id"])[0]["Customizations"] == {"Certificate": {"Arn": own}}


def test_get_tenant_by_id_arn_name_and_by_domain(saas, platform):
    """Follows: GetDistributionTenant (API reference): "You can specify the ARN, ID, or name of the
    distribution tenant"; GetDistributionTenantByDomain: "Gets information about a distribution tenant
    by the associated domain" (EntityNotFound, 404, otherwise)."""
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com", "api.example.com"])
    cf = saas.cf[ACCOUNT_1]

    for identifier in (tenant["id"], tenant["arn"], "customer"):
        assert saas.get_tenant(identifier)[0]["Id"] == tenant["id"]
    assert cf.get_distribution_tenant_by_domain(Domain="api.example.com")["DistributionTenant"]["Id"] == tenant["id"]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.get_distribution_tenant_by_domain(Domain="other.example.com")
    assert (error_of(exc)["status"], error_of(exc)["code"]) == (404, "EntityNotFound")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.get_tenant(tenant["id"], ACCOUNT_2)
    assert error_of(exc)["code"] == "EntityNotFound"


def test_list_tenants_pages_with_marker_and_filters_by_distribution_and_group(saas, platform):
    """Follows: ListDistributionTenants (API reference): AssociationFilter {DistributionId,
    ConnectionGroupId}, Marker, MaxItems, NextMarker; botocore's paginator for it."""
    other = saas.multi_tenant(platform["cert"], reference="saas-2")
    group = saas.cf[ACCOUNT_1].create_connection_group(Name="isolated")["ConnectionGroup"]
    made = [saas.tenant(platform["dist"]["id"], "t%d" % k, ["t%d.example.com" % k]) for k in range(4)]
    made.append(saas.tenant(other["id"], "t4", ["t4.example.com"], group_id=group["Id"]))
    cf = saas.cf[ACCOUNT_1]

    first = cf.list_distribution_tenants(MaxItems=2)
    pages = list(cf.get_paginator("list_distribution_tenants").paginate(PaginationConfig={"PageSize": 2}))
    by_dist = cf.list_distribution_tenants(AssociationFilter={"DistributionId": other["id"]})
    by_group = cf.list_distribution_tenants(AssociationFilter={"ConnectionGroupId": group["Id"]})

    assert len(first["DistributionTenantList"]) == 2 and first["NextMarker"]
    assert [t["Id"] for p in pages for t in p["DistributionTenantList"]] == [t["id"] for t in made]
    assert len(pages) == 3
    summary = pages[0]["DistributionTenantList"][0]
    assert {"Id", "DistributionId", "Name", "Arn", "Domains", "ConnectionGroupId", "CreatedTime",
            "LastModifiedTime", "ETag", "Enabled", "Status"} <= set(summary)
    assert [t["Id"] for t in by_dist["DistributionTenantList"]] == [made[4]["id"]]
    assert [t["Id"] for t in by_group["DistributionTenantList"]] == [made[4]["id"]]
    assert saas.cf[ACCOUNT_2].list_distribution_tenants()["DistributionTenantList"] == []


def test_update_tenant_needs_the_current_etag(saas, platform):
    """Follows: UpdateDistributionTenant (API reference): IfMatch "The value of the ETag header that you
    received when retrieving the distribution tenant to update"; errors InvalidIfMatchVersion (400),
    PreconditionFailed (412); a new ETag on every change."""
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])
    cf = saas.cf[ACCOUNT_1]
    unused, etag = saas.get_tenant(tenant["id"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.update_distribution_tenant(Id=tenant["id"], IfMatch="", Domains=[{"Domain": "api.example.com"}])
    assert error_of(exc)["code"] == "InvalidIfMatchVersion"

    updated = cf.update_distribution_tenant(Id=tenant["id"], IfMatch=etag, Domains=[{"Domain": "api.example.com"}])
    assert updated["ETag"] != etag
    assert updated["DistributionTenant"]["Status"] == "InProgress"

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.update_distribution_tenant(Id=tenant["id"], IfMatch=etag, Domains=[{"Domain": "www.example.com"}])
    assert (error_of(exc)["status"], error_of(exc)["code"]) == (412, "PreconditionFailed")
    assert saas.domains(tenant["id"]) == {"api.example.com": "active"}


def test_delete_tenant_must_be_disabled_first_and_needs_etag(saas, platform):
    """Follows: DeleteDistributionTenant (API reference): "If you use this API operation to delete a
    distribution tenant that is currently enabled, the request will fail. To delete a distribution
    tenant, you must first disable the distribution tenant"; ResourceNotDisabled (409), 204 on success."""
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])
    cf = saas.cf[ACCOUNT_1]
    unused, etag = saas.get_tenant(tenant["id"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.delete_distribution_tenant(Id=tenant["id"], IfMatch=etag)
    assert (error_of(exc)["status"], error_of(exc)["code"]) == (409, "ResourceNotDisabled")

    disabled = cf.update_distribution_tenant(Id=tenant["id"], IfMatch=etag, Enabled=False)
    assert disabled["DistributionTenant"]["Enabled"] is False
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.delete_distribution_tenant(Id=tenant["id"], IfMatch=etag)
    assert error_of(exc)["code"] == "PreconditionFailed"
    deleted = cf.delete_distribution_tenant(Id=tenant["id"], IfMatch=disabled["ETag"])

    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert cf.list_distribution_tenants()["DistributionTenantList"] == []
    saas.tenant(platform["dist"]["id"], "again", ["www.example.com"])  # the domain is free again


# --------------------------------------------------------------------------
# CNAMEAlreadyExists across standard distributions and tenants, in any account


@pytest.mark.parametrize("account", [ACCOUNT_1, ACCOUNT_2], ids=["same-account", "other-account"])
def test_tenant_domain_held_by_a_standard_distribution_is_refused(saas, platform, account):
    """Form (a) for tenants: a domain that a standard distribution of any account holds.

    Follows: "Move an alternate domain name" (Developer Guide,
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/alternate-domain-names-move.html):
    "you will get the CNAMEAlreadyExists error message (One or more of the CNAMEs you provided are
    already associated with a different resource) when you try to add www.example.com to a standard
    distribution or distribution tenant, but that alternate domain name is already associated with a
    different resource"; CreateDistributionTenant errors: CNAMEAlreadyExists (409).
    """
    holder_cert = platform["cert"] if account == ACCOUNT_1 else saas.cert("www.example.com", (), ACCOUNT_2)
    saas.distribution("holder", ["www.example.com"], holder_cert, account)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists") and FORM_A in error["message"]
    assert saas.cf[ACCOUNT_1].list_distribution_tenants()["DistributionTenantList"] == []


@pytest.mark.parametrize("account", [ACCOUNT_1, ACCOUNT_2], ids=["same-account", "other-account"])
def test_distribution_alias_held_by_a_tenant_is_refused(saas, account):
    """Form (a) for standard distributions: an alias that a tenant of any account holds.

    Follows: "Move an alternate domain name" (Developer Guide), as above.
    """
    holder_platform = saas.multi_tenant(saas.cert(account=account), account=account)
    saas.tenant(holder_platform["id"], "customer", ["www.example.com"], account=account)
    target = saas.distribution("target", cert=saas.cert("www.example.com", ()))

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.add_alias(target["id"], "www.example.com")

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists") and FORM_A in error["message"]
    assert saas.aliases(target["id"]) == set()


def test_domain_held_by_another_tenant_is_refused(saas, platform):
    """Form (a) between tenants. Follows: "Move an alternate domain name" (Developer Guide), as above."""
    saas.tenant(platform["dist"]["id"], "first", ["www.example.com"])
    second = saas.tenant(platform["dist"]["id"], "second", ["api.example.com"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.set_domains(second["id"], ["api.example.com", "www.example.com"])

    assert error_of(exc)["code"] == "CNAMEAlreadyExists"
    assert saas.domains(second["id"]) == {"api.example.com": "active"}


def test_dns_cname_to_a_routing_endpoint_is_the_dns_form_of_the_409(saas, platform):
    """Form (b): nobody holds www.example.com, but its CNAME points at a connection group's routing
    endpoint, i.e. at CloudFront tenants: adding it to a standard distribution fails like the runbook's 409.

    Follows: "Use custom URLs by adding alternate domain names (CNAMEs)" (Developer Guide,
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-restrictions),
    the restriction on a DNS record that points to another CloudFront distribution, applied to a
    routing endpoint (TENANTS_SANDBOX.md: reading chosen).
    """
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["placeholder.example.com"])
    saas.change(saas.zone(), [cname("www.example.com", tenant["routing_endpoint"])])
    target = saas.distribution("target", cert=platform["cert"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.add_alias(target["id"], "www.example.com")

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists") and FORM_B in error["message"]


def test_tenant_domain_whose_dns_points_at_another_distribution_is_refused(saas, platform):
    """Form (b) for tenants; a CNAME to the tenant's own routing endpoint passes.

    Follows: "Use custom URLs by adding alternate domain names (CNAMEs)" (Developer Guide), the DNS
    restriction; CreateDistributionTenant errors: CNAMEAlreadyExists.
    """
    other = saas.distribution("other", cert=platform["cert"])
    zone_id = saas.zone()
    # TTL 1: CloudFront's DNS check may keep an answer for its TTL (SANDBOX.md --ttl-scale).
    saas.change(zone_id, [cname("www.example.com", other["domain_name"], ttl=1)])
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["placeholder.example.com"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.set_domains(tenant["id"], ["placeholder.example.com", "www.example.com"])
    assert FORM_B in error_of(exc)["message"]

    saas.change(zone_id, [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": "www.example.com", "Type": "CNAME", "TTL": 1,
        "ResourceRecords": [{"Value": tenant["routing_endpoint"]}]}}])
    saas.set_domains(tenant["id"], ["placeholder.example.com", "www.example.com"])
    assert set(saas.domains(tenant["id"])) == {"placeholder.example.com", "www.example.com"}


def test_domain_removed_from_a_tenant_stays_taken_until_the_tenant_is_deployed(saas, platform):
    """Follows: AWS Knowledge Center, "How do I resolve the CNAMEAlreadyExists error when I set up a
    CNAME alias for my CloudFront distribution?" (https://repost.aws/knowledge-center/resolve-cnamealreadyexists-error):
    "you might need to wait until the existing distribution's status is Deployed" - for tenants as for
    distributions (SANDBOX.md, --deploy-seconds)."""
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com", "api.example.com"])
    target = saas.distribution("target", cert=platform["cert"])
    saas.wait_tenant_deployed(tenant["id"])
    unused, tenant_etag = saas.get_tenant(tenant["id"])
    response = saas.cf[ACCOUNT_1].get_distribution_config(Id=target["id"])
    config = dict(response["DistributionConfig"], Aliases={"Quantity": 1, "Items": ["www.example.com"]})
    cf = saas.cf[ACCOUNT_1]

    # Back to back, well inside the sandbox's 0.5 s deploy time.
    cf.update_distribution_tenant(Id=tenant["id"], IfMatch=tenant_etag, Domains=[{"Domain": "api.example.com"}])
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.update_distribution(Id=target["id"], IfMatch=response["ETag"], DistributionConfig=config)
    assert FORM_A in error_of(exc)["message"]

    saas.wait_tenant_deployed(tenant["id"])
    saas.add_alias(target["id"], "www.example.com")
    assert saas.aliases(target["id"]) == {"www.example.com"}


def test_associate_alias_does_not_move_a_tenant_domain(saas, platform):
    """Follows: AssociateAlias (API reference,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_AssociateAlias.html):
    "AssociateAlias ... only supports standard distributions"; use UpdateDomainAssociation."""
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])
    target = saas.distribution("target", cert=platform["cert"])
    saas.txt(saas.zone(), "_www.example.com", target["domain_name"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.cf[ACCOUNT_1].associate_alias(TargetDistributionId=target["id"], Alias="www.example.com")

    assert error_of(exc)["code"] == "IllegalUpdate"
    assert saas.domains(tenant["id"]) == {"www.example.com": "active"}
    assert saas.aliases(target["id"]) == set()


def test_list_conflicting_aliases_does_not_see_tenant_domains(saas, platform):
    """Follows: ListConflictingAliases (API reference,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListConflictingAliases.html): "The
    ListConflictingAliases API operation only supports standard distributions. To list domain conflicts
    for both standard distributions and distribution tenants, we recommend that you use the
    ListDomainConflicts API operation instead." """
    saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])
    saas.distribution("wild", ["*.example.com"], platform["cert"])
    target = saas.distribution("target", cert=platform["cert"])

    listed = saas.cf[ACCOUNT_1].list_conflicting_aliases(DistributionId=target["id"], Alias="www.example.com")

    assert [i["Alias"] for i in listed["ConflictingAliasesList"]["Items"]] == ["*.example.com"]


# --------------------------------------------------------------------------
# OnDomainTakeover


def test_takeover_allow_moves_the_domain_when_its_dns_points_at_the_tenant(saas, platform):
    """Follows: CreateDistributionTenant / UpdateDistributionTenant (API reference), OnDomainTakeover:
    "allow - CloudFront moves the domain to this distribution tenant when the domain's DNS points to
    this distribution tenant". The DNS is asked for real, at the sandbox DNS."""
    holder = saas.distribution("holder", ["www.example.com"], platform["cert"])
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["placeholder.example.com"])
    saas.change(saas.zone(), [cname("www.example.com", tenant["routing_endpoint"])])
    etag = saas.cf[ACCOUNT_1].get_distribution(Id=holder["id"])["ETag"]

    saas.set_domains(tenant["id"], ["placeholder.example.com", "www.example.com"], OnDomainTakeover="allow")

    assert saas.domains(tenant["id"]) == {"placeholder.example.com": "active", "www.example.com": "active"}
    assert saas.aliases(holder["id"]) == set()
    assert saas.cf[ACCOUNT_1].get_distribution(Id=holder["id"])["ETag"] != etag


def test_takeover_from_another_tenant_at_create(saas, platform):
    """Follows: CreateDistributionTenant (API reference), OnDomainTakeover allow, as above."""
    first = saas.tenant(platform["dist"]["id"], "first", ["www.example.com", "api.example.com"])
    group = saas.cf[ACCOUNT_1].create_connection_group(Name="isolated")["ConnectionGroup"]
    saas.change(saas.zone(), [cname("www.example.com", group["RoutingEndpoint"])])

    second = saas.tenant(platform["dist"]["id"], "second", ["www.example.com"], group_id=group["Id"],
                         OnDomainTakeover="allow")

    assert saas.domains(second["id"]) == {"www.example.com": "active"}
    assert saas.domains(first["id"]) == {"api.example.com": "active"}


@pytest.mark.parametrize("takeover", ["allow", "reject", None])
def test_takeover_is_refused_unless_dns_points_at_the_tenant(saas, platform, takeover):
    """Follows: OnDomainTakeover (API reference): "reject - CloudFront doesn't move the domain, and the
    request fails if the domain is associated with another resource. This is the default"; with allow,
    only when the domain's DNS points to this tenant (here: no DNS record at all)."""
    holder = saas.distribution("holder", ["www.example.com"], platform["cert"])
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["placeholder.example.com"])
    extra = {"OnDomainTakeover": takeover} if takeover else {}

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.set_domains(tenant["id"], ["placeholder.example.com", "www.example.com"], **extra)

    assert error_of(exc)["code"] == "CNAMEAlreadyExists"
    assert saas.aliases(holder["id"]) == {"www.example.com"}


# --------------------------------------------------------------------------
# Connection groups and their routing endpoints


def test_connection_group_has_a_routing_endpoint_that_the_dns_answers(saas):
    """Follows: CreateConnectionGroup and ConnectionGroup (API reference,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateConnectionGroup.html):
    RoutingEndpoint "such as d111111abcdef8.cloudfront.net", Ipv6Enabled (default true), 201; the
    endpoint is a DNS name that resolves to CloudFront like a distribution's domain name."""
    cf = saas.cf[ACCOUNT_1]
    created = cf.create_connection_group(Name="isolated", Tags={"Items": [{"Key": "tier", "Value": "gold"}]})
    v4_only = cf.create_connection_group(Name="v4-only", Ipv6Enabled=False)["ConnectionGroup"]
    group = created["ConnectionGroup"]

    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201 and created["ETag"]
    assert ROUTING_ENDPOINT.match(group["RoutingEndpoint"])
    assert re.match(r"^cg_[A-Za-z0-9]{27}$", group["Id"])
    assert group["Ipv6Enabled"] is True and group["IsDefault"] is False and group["Enabled"] is True
    assert group["Status"] in ("InProgress", "Deployed")
    a = addresses(saas.dns(group["RoutingEndpoint"] + ".", "A"), "A")
    assert a and all(x.startswith(CLOUDFRONT_V4_PREFIX) for x in a)
    assert addresses(saas.dns(group["RoutingEndpoint"] + ".", "AAAA"), "AAAA")
    assert addresses(saas.dns(v4_only["RoutingEndpoint"] + ".", "A"), "A")
    assert addresses(saas.dns(v4_only["RoutingEndpoint"] + ".", "AAAA"), "AAAA") == []


def test_get_connection_group_by_id_name_arn_and_routing_endpoint(saas):
    """Follows: GetConnectionGroup (API reference): "The ID, name, or Amazon Resource Name (ARN) of the
    connection group"; GetConnectionGroupByRoutingEndpoint; EntityNotFound (404); names unique per
    account (EntityAlreadyExists, 409)."""
    cf = saas.cf[ACCOUNT_1]
    group = cf.create_connection_group(Name="isolated")["ConnectionGroup"]

    for identifier in (group["Id"], group["Name"], group["Arn"]):
        assert cf.get_connection_group(Identifier=identifier)["ConnectionGroup"]["Id"] == group["Id"]
    found = cf.get_connection_group_by_routing_endpoint(RoutingEndpoint=group["RoutingEndpoint"])
    assert found["ConnectionGroup"]["Id"] == group["Id"] and found["ETag"]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.cf[ACCOUNT_2].get_connection_group(Identifier=group["Id"])
    assert (error_of(exc)["status"], error_of(exc)["code"]) == (404, "EntityNotFound")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.create_connection_group(Name="isolated")
    assert (error_of(exc)["status"], error_of(exc)["code"]) == (409, "EntityAlreadyExists")


def test_list_connection_groups_pages(saas):
    """Follows: ListConnectionGroups (API reference): Marker, MaxItems, NextMarker; botocore's paginator."""
    cf = saas.cf[ACCOUNT_1]
    made = [cf.create_connection_group(Name="g%d" % k)["ConnectionGroup"]["Id"] for k in range(3)]

    pages = list(cf.get_paginator("list_connection_groups").paginate(PaginationConfig={"PageSize": 2}))

    assert [g["Id"] for p in pages for g in p["ConnectionGroups"]] == made and len(pages) == 2
    assert {"Id", "Name", "Arn", "RoutingEndpoint", "ETag", "IsDefault"} <= set(pages[0]["ConnectionGroups"][0])


def test_tenant_moves_to_another_connection_group(saas, platform):
    """Follows: UpdateDistributionTenant (API reference): ConnectionGroupId "The ID of the target
    connection group"."""
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])
    group = saas.cf[ACCOUNT_1].create_connection_group(Name="isolated")["ConnectionGroup"]
    unused, etag = saas.get_tenant(tenant["id"])

    saas.cf[ACCOUNT_1].update_distribution_tenant(Id=tenant["id"], IfMatch=etag, ConnectionGroupId=group["Id"])

    assert saas.get_tenant(tenant["id"])[0]["ConnectionGroupId"] == group["Id"]
    assert saas.domains(tenant["id"]) == {"www.example.com": "active"}


# --------------------------------------------------------------------------
# ListDomainConflicts


def test_domain_conflicts_lists_distributions_and_tenants_of_every_account(saas, platform):
    """Exact and overlapping holders, of both resource types, in both accounts, masked as AWS's example
    shows: the first half of every ResourceId hidden (the caller's own too), the caller's own account in
    full, another account's as its last six digits.

    Follows: ListDomainConflicts (API reference,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListDomainConflicts.html): "if you
    provide www.example.com as input, the returned list can include www.example.com and the overlapping
    wildcard alternate domain name (*.example.com)"; DomainConflict.ResourceType distribution |
    distribution-tenant; the AWS CLI reference's example for list-domain-conflicts
    (https://docs.aws.amazon.com/cli/latest/reference/cloudfront/list-domain-conflicts.html), whose
    ResourceId is "***************ohWzv1b9It8J1AB" and AccountId "123456789012" for the caller's tenant.
    """
    own_tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])
    wild = saas.distribution("wild", ["*.example.com"], platform["cert"])
    foreign = saas.distribution("vendor", ["api.example.com"], saas.cert("api.example.com", (), ACCOUNT_2), ACCOUNT_2)
    saas.distribution("unrelated", ["www.example.org"], saas.cert("www.example.org", ()))

    exact = saas.conflicts("www.example.com", DistributionTenantId=own_tenant["id"])["DomainConflicts"]
    below = saas.conflicts("*.example.com", DistributionId=wild["id"])["DomainConflicts"]

    assert sorted((c["Domain"], c["ResourceType"]) for c in exact) == [
        ("*.example.com", "distribution"), ("www.example.com", "distribution-tenant")]
    assert sorted((c["Domain"], c["ResourceType"]) for c in below) == [
        ("*.example.com", "distribution"), ("api.example.com", "distribution"),
        ("www.example.com", "distribution-tenant")]
    by_domain = {c["Domain"]: c for c in below}
    for domain, real_id in (("www.example.com", own_tenant["id"]), ("*.example.com", wild["id"]),
                            ("api.example.com", foreign["id"])):
        masked = by_domain[domain]["ResourceId"]
        hidden = len(real_id) // 2
        assert masked == "*" * hidden + real_id[hidden:], (domain, masked, real_id)
    assert by_domain["www.example.com"]["AccountId"] == ACCOUNT_1
    assert by_domain["api.example.com"]["AccountId"] == "******" + ACCOUNT_2[-6:]


def test_domain_conflicts_pages(saas, platform):
    """Follows: ListDomainConflicts (API reference): MaxItems, Marker, NextMarker; botocore's paginator."""
    for k in range(3):
        saas.tenant(platform["dist"]["id"], "t%d" % k, ["t%d.example.com" % k])
    wild = saas.distribution("wild", ["*.example.com"], platform["cert"])
    cf = saas.cf[ACCOUNT_1]

    first = cf.list_domain_conflicts(Domain="*.example.com", DomainControlValidationResource={
        "DistributionId": wild["id"]}, MaxItems=3)
    pages = list(cf.get_paginator("list_domain_conflicts").paginate(
        Domain="*.example.com", DomainControlValidationResource={"DistributionId": wild["id"]},
        PaginationConfig={"PageSize": 3}))

    assert len(first["DomainConflicts"]) == 3 and first["NextMarker"]
    assert sorted(c["Domain"] for p in pages for c in p["DomainConflicts"]) == [
        "*.example.com", "t0.example.com", "t1.example.com", "t2.example.com"]


def test_domain_conflicts_needs_a_covering_resource_of_the_caller(saas, platform):
    """Follows: ListDomainConflicts (API reference): "The ID of a standard distribution or distribution
    tenant in your account that has an attached TLS certificate, which covers the specified domain";
    DistributionResourceId: "either DistributionId or DistributionTenantId, but not both" (as
    UpdateDomainAssociation states it); errors EntityNotFound, InvalidArgument."""
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com"])
    cf = saas.cf[ACCOUNT_1]

    cases = [
        (ACCOUNT_2, "www.example.com", {"DistributionTenantId": tenant["id"]}, "EntityNotFound"),
        (ACCOUNT_1, "www.example.org", {"DistributionTenantId": tenant["id"]}, "InvalidArgument"),
        (ACCOUNT_1, "www.example.com", {}, "InvalidArgument"),
        (ACCOUNT_1, "www.example.com", {"DistributionTenantId": tenant["id"],
                                        "DistributionId": platform["dist"]["id"]}, "InvalidArgument"),
    ]
    for account, domain, resource, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            saas.conflicts(domain, account, **resource)
        assert error_of(exc)["code"] == code, (account, domain, resource)
    assert cf.list_domain_conflicts(Domain="www.example.com", DomainControlValidationResource={
        "DistributionTenantId": tenant["id"]})["DomainConflicts"]


# --------------------------------------------------------------------------
# UpdateDomainAssociation


@pytest.fixture
def move(saas, platform):
    """Account 1: a standard distribution holding www.example.com, a tenant, and the zone example.com."""
    source = saas.distribution("source", ["www.example.com"], platform["cert"])
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["placeholder.example.com"])
    return {"source": source, "tenant": tenant, "zone_id": saas.zone()}


def test_domain_moves_from_a_distribution_to_a_tenant(saas, move):
    """Same account, enabled source: one call moves the domain; the DCV TXT record _<domain> names the
    tenant's routing endpoint; the answer is Domain, ResourceId and the target's new ETag.

    Follows: UpdateDomainAssociation (API reference,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDomainAssociation.html);
    "Move the alternate domain name" (Developer Guide,
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/alternate-domain-names-move-options.html):
    "This command works for all same-account moves"; "Migrate to a multi-tenant distribution" (Developer
    Guide): "create a DCV TXT record with an underscore ( _ ) prefix that points to the CloudFront
    routing endpoint for your distribution tenant", then UpdateDomainAssociation.
    """
    tenant, source = move["tenant"], move["source"]
    saas.txt(move["zone_id"], "_www.example.com", tenant["routing_endpoint"])
    unused, etag = saas.get_tenant(tenant["id"])

    moved = saas.cf[ACCOUNT_1].update_domain_association(
        Domain="www.example.com", TargetResource={"DistributionTenantId": tenant["id"]}, IfMatch=etag)

    assert (moved["Domain"], moved["ResourceId"]) == ("www.example.com", tenant["id"])
    assert moved["ETag"] == saas.get_tenant(tenant["id"])[1] != etag
    assert saas.domains(tenant["id"]) == {"placeholder.example.com": "active", "www.example.com": "active"}
    assert saas.aliases(source["id"]) == set()


def test_domain_moves_from_a_tenant_to_a_distribution(saas, platform):
    """Follows: UpdateDomainAssociation (API reference) and "Move the alternate domain name" (Developer
    Guide), as above; for a standard target the TXT record names its domain name (as for AssociateAlias)."""
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["www.example.com", "api.example.com"])
    target = saas.distribution("target", cert=platform["cert"])
    saas.txt(saas.zone(), "_www.example.com", target["domain_name"])
    etag = saas.cf[ACCOUNT_1].get_distribution(Id=target["id"])["ETag"]

    moved = saas.cf[ACCOUNT_1].update_domain_association(
        Domain="www.example.com", TargetResource={"DistributionId": target["id"]}, IfMatch=etag)

    assert moved["ResourceId"] == target["id"]
    assert saas.aliases(target["id"]) == {"www.example.com"}
    assert saas.domains(tenant["id"]) == {"api.example.com": "active"}


@pytest.mark.parametrize("txt", [None, "source"], ids=["no-txt", "txt-names-source"])
def test_domain_move_needs_the_txt_record_naming_the_target(saas, move, txt):
    """Follows: "Migrate to a multi-tenant distribution" (Developer Guide): the DCV TXT record "points to
    the CloudFront routing endpoint for your distribution tenant"; UpdateDomainAssociation errors:
    InvalidArgument."""
    if txt:
        saas.txt(move["zone_id"], "_www.example.com", move["source"]["domain_name"])
    unused, etag = saas.get_tenant(move["tenant"]["id"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        saas.cf[ACCOUNT_1].update_domain_association(
            Domain="www.example.com", TargetResource={"DistributionTenantId": move["tenant"]["id"]}, IfMatch=etag)

    assert error_of(exc)["code"] == "InvalidArgument"
    assert saas.aliases(move["source"]["id"]) == {"www.example.com"}


def test_domain_move_needs_the_targets_current_etag(saas, move):
    """Follows: UpdateDomainAssociation (API reference): IfMatch "The value of the ETag identifier for
    the standard distribution or distribution tenant that will be associated with the domain"; errors
    InvalidIfMatchVersion, PreconditionFailed."""
    tenant = move["tenant"]
    saas.txt(move["zone_id"], "_www.example.com", tenant["routing_endpoint"])
    unused, etag = saas.get_tenant(tenant["id"])
    saas.set_domains(tenant["id"], ["placeholder.example.com", "api.example.com"])
    cf = saas.cf[ACCOUNT_1]

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.update_domain_association(Domain="www.example.com", TargetResource={"DistributionTenantId": tenant["id"]})
    assert error_of(exc)["code"] == "InvalidIfMatchVersion"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.update_domain_association(Domain="www.example.com", TargetResource={"DistributionTenantId": tenant["id"]},
                                     IfMatch=etag)
    assert (error_of(exc)["status"], error_of(exc)["code"]) == (412, "PreconditionFailed")
    assert saas.aliases(move["source"]["id"]) == {"www.example.com"}


@pytest.mark.parametrize("enabled", [True, False], ids=["enabled-source", "disabled-source"])
def test_domain_move_from_another_account_needs_a_disabled_source(saas, platform, enabled):
    """Follows: "Move the alternate domain name" (Developer Guide): for different accounts, "The source
    standard distribution or distribution tenant must be disabled before you can move the alternate
    domain name"; UpdateDomainAssociation errors: IllegalUpdate."""
    source = saas.distribution("vendor", ["www.example.com"], saas.cert("www.example.com", (), ACCOUNT_2), ACCOUNT_2,
                               enabled=enabled)
    tenant = saas.tenant(platform["dist"]["id"], "customer", ["placeholder.example.com"])
    saas.txt(saas.zone(), "_www.example.com", tenant["routing_endpoint"])
    unused, etag = saas.get_tenant(tenant["id"])
    call = dict(Domain="www.example.com", TargetResource={"DistributionTenantId": tenant["id"]}, IfMatch=etag)

    if enabled:
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            saas.cf[ACCOUNT_1].update_domain_association(**call)
        assert error_of(exc)["code"] == "IllegalUpdate"
        assert saas.aliases(source["id"], ACCOUNT_2) == {"www.example.com"}
    else:
        saas.cf[ACCOUNT_1].update_domain_association(**call)
        assert saas.aliases(source["id"], ACCOUNT_2) == set()
        assert "www.example.com" in saas.domains(tenant["id"])


def test_domain_move_from_a_disabled_tenant_of_another_account(saas, platform):
    """Follows: "Move the alternate domain name" (Developer Guide), as above, with a tenant as source."""
    foreign = saas.multi_tenant(saas.cert(account=ACCOUNT_2), ACCOUNT_2)
    source = saas.tenant(foreign["id"], "vendor", ["www.example.com", "vendor.example.com"], ACCOUNT_2,
                         Enabled=False)
    target = saas.distribution("target", cert=platform["cert"])
    saas.txt(saas.zone(), "_www.example.com", target["domain_name"])
    etag = saas.cf[ACCOUNT_1].get_distribution(Id=target["id"])["ETag"]

    saas.cf[ACCOUNT_1].update_domain_association(
        Domain="www.example.com", TargetResource={"DistributionId": target["id"]}, IfMatch=etag)

    assert saas.aliases(target["id"]) == {"www.example.com"}
    assert saas.domains(source["id"], ACCOUNT_2) == {"vendor.example.com": "active"}


def test_domain_move_to_a_multi_tenant_distribution_is_refused(saas, move, platform):
    """Follows: "Understand how multi-tenant distributions work" (Developer Guide): the tenants, not the
    multi-tenant distribution, carry domains; UpdateDomainAssociation errors: InvalidArgument."""
    cf = saas.cf[ACCOUNT_1]
    etag = cf.get_distribution(Id=platform["dist"]["id"])["ETag"]

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.update_domain_association(Domain="www.example.com", IfMatch=etag,
                                     TargetResource={"DistributionId": platform["dist"]["id"]})

    assert error_of(exc)["code"] == "InvalidArgument"


# --------------------------------------------------------------------------
# VerifyDnsConfiguration


def test_verify_dns_configuration_reports_each_domain(saas, platform):
    """valid-configuration when the domain's DNS leads to the tenant's routing endpoint (a CNAME, or a
    Route 53 alias record at the apex), invalid-configuration when it leads elsewhere or nowhere.

    Follows: VerifyDnsConfiguration (API reference,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_VerifyDnsConfiguration.html): "checks
    whether your domain name points to the correct routing endpoint of the connection group";
    DnsConfiguration.Status valid-configuration | invalid-configuration ("There is either a missing DNS
    record or the DNS record exists but it's using an incorrect routing endpoint") | unknown-configuration.
    """
    tenant = saas.tenant(platform["dist"]["id"], "customer",
                         ["www.example.com", "api.example.com", "old.example.com", "example.com"])
    other = saas.cf[ACCOUNT_1].create_connection_group(Name="isolated")["ConnectionGroup"]
    saas.change(saas.zone(), [cname("www.example.com", tenant["routing_endpoint"]),
                              cname("old.example.com", other["RoutingEndpoint"]),
                              alias_record("example.com", "A", tenant["routing_endpoint"])])

    listed = saas.cf[ACCOUNT_1].verify_dns_configuration(Identifier=tenant["id"])["DnsConfigurationList"]
    one = saas.cf[ACCOUNT_1].verify_dns_configuration(Identifier="customer", Domain="old.example.com")

    statuses = {c["Domain"]: c["Status"] for c in listed}
    assert statuses == {"www.example.com": "valid-configuration", "example.com": "valid-configuration",
                        "api.example.com": "invalid-configuration", "old.example.com": "invalid-configuration"}
    assert all(c["Reason"] for c in listed)
    assert [(c["Domain"], c["Status"]) for c in one["DnsConfigurationList"]] == [
        ("old.example.com", "invalid-configuration")]
    assert other["RoutingEndpoint"] in one["DnsConfigurationList"][0]["Reason"]


# --------------------------------------------------------------------------
# The request log


def test_every_saas_operation_is_logged_with_its_name_and_whether_it_mutates(saas, sandbox, platform):
    """The request log (SANDBOX.md) names each operation as botocore's model does; only changes are
    mutating (VerifyDnsConfiguration is a POST that only reads DNS)."""
    cf = saas.cf[ACCOUNT_1]
    mark = sandbox.log_mark()
    tenant = cf.create_distribution_tenant(DistributionId=platform["dist"]["id"], Name="customer",
                                           Domains=[{"Domain": "www.example.com"}])
    tenant_id, etag = tenant["DistributionTenant"]["Id"], tenant["ETag"]
    cf.get_distribution_tenant(Identifier=tenant_id)
    cf.get_distribution_tenant_by_domain(Domain="www.example.com")
    cf.list_distribution_tenants()
    etag = cf.update_distribution_tenant(Id=tenant_id, IfMatch=etag, Enabled=False)["ETag"]
    group = cf.create_connection_group(Name="isolated")["ConnectionGroup"]
    cf.get_connection_group(Identifier=group["Id"])
    cf.get_connection_group_by_routing_endpoint(RoutingEndpoint=group["RoutingEndpoint"])
    cf.list_connection_groups()
    cf.list_domain_conflicts(Domain="www.example.com", DomainControlValidationResource={
        "DistributionTenantId": tenant_id})
    cf.verify_dns_configuration(Identifier=tenant_id)
    cf.list_distributions_by_connection_mode(ConnectionMode="tenant-only")
    with pytest.raises(botocore.exceptions.ClientError):  # no TXT record: refused, and logged all the same
        cf.update_domain_association(Domain="api.example.com", TargetResource={"DistributionTenantId": tenant_id},
                                     IfMatch=etag)
    cf.delete_distribution_tenant(Id=tenant_id, IfMatch=etag)

    logged = [(e["operation"], e["mutating"]) for e in sandbox.requests_since(mark)]
    assert logged == [
        ("CreateDistributionTenant", True), ("GetDistributionTenant", False),
        ("GetDistributionTenantByDomain", False), ("ListDistributionTenants", False),
        ("UpdateDistributionTenant", True), ("CreateConnectionGroup", True), ("GetConnectionGroup", False),
        ("GetConnectionGroupByRoutingEndpoint", False), ("ListConnectionGroups", False),
        ("ListDomainConflicts", False), ("VerifyDnsConfiguration", False),
        ("ListDistributionsByConnectionMode", False), ("UpdateDomainAssociation", True),
        ("DeleteDistributionTenant", True)]


# --------------------------------------------------------------------------
# Scenarios


def test_tenant_scenario_holder_is_a_tenant_and_dns_points_at_its_routing_endpoint(sandbox):
    """The scenario `tenant` (SANDBOX.md): a distribution tenant holds the name, DNS is a CNAME to its
    routing endpoint, and adding the name to the standard target gives the runbook's 409."""
    built = sandbox.scenario("tenant")
    cf = Saas(sandbox).cf[ACCOUNT_1]
    holder = built["holder"]

    assert built["error"]["status"] == 409 and built["error"]["code"] == "CNAMEAlreadyExists"
    assert FORM_B in built["error"]["message"]
    assert holder["resource_type"] == "distribution-tenant"
    tenant = cf.get_distribution_tenant(Identifier=holder["distribution_tenant_id"])["DistributionTenant"]
    assert [d["Domain"] for d in tenant["Domains"]] == [built["alias"]]
    assert built["dns"]["value"] == holder["routing_endpoint"]
    answer = Saas(sandbox).dns(built["alias"] + ".", "CNAME")
    assert addresses(answer, "CNAME") == [holder["routing_endpoint"] + "."]
    conflicts = cf.list_domain_conflicts(Domain=built["alias"], DomainControlValidationResource={
        "DistributionId": built["target_distribution_id"]})["DomainConflicts"]
    assert [c["ResourceType"] for c in conflicts] == ["distribution-tenant"]


def test_tenant_target_scenario_target_is_a_tenant_and_the_409_comes_from_update_tenant(sandbox):
    """The scenario `tenant-target` (SANDBOX.md): a standard distribution holds the name; the target is a
    tenant (with a placeholder domain, as "Migrate to a multi-tenant distribution" has it)."""
    built = sandbox.scenario("tenant-target")
    cf = Saas(sandbox).cf[ACCOUNT_1]

    assert built["error"]["operation"] == "UpdateDistributionTenant"
    assert (built["error"]["status"], built["error"]["code"]) == (409, "CNAMEAlreadyExists")
    assert built["holder"]["resource_type"] == "distribution"
    held = cf.get_distribution_config(Id=built["holder"]["distribution_id"])["DistributionConfig"]
    assert held["Aliases"]["Items"] == [built["alias"]]
    tenant = cf.get_distribution_tenant(Identifier=built["target_distribution_tenant_id"])["DistributionTenant"]
    assert [d["Domain"] for d in tenant["Domains"]] == built["target_domains"]
    assert built["alias"] not in built["target_domains"]
    group = cf.get_connection_group(Identifier=tenant["ConnectionGroupId"])["ConnectionGroup"]
    assert group["RoutingEndpoint"] == built["target_routing_endpoint"]


@pytest.fixture(scope="module")
def fleets(sandbox):
    """The fleet scenario at its smallest, built without and with tenants."""
    plain = sandbox.scenario("fleet", distributions=20, aliases_per_distribution=1)
    with_tenants = sandbox.scenario("fleet", distributions=20, aliases_per_distribution=1, tenants=3)
    return plain, with_tenants


def test_fleet_tenants_are_extra_and_change_nothing_else(fleets):
    """`fleet --tenants N` adds tenants on top: every other number and planted finding stays the same."""
    plain, with_tenants = fleets

    assert plain["tenants"] is None
    assert {k: v for k, v in with_tenants.items() if k != "tenants"} == {
        k: v for k, v in plain.items() if k != "tenants"}
    assert len(with_tenants["tenants"]["tenants"]) == 3 + 1  # and the planted pending one


def test_fleet_tenants_are_served_or_planted_as_listed(fleets, sandbox):
    """What fleet says about its tenants holds: served domains valid and active, the planted ones as
    named (VerifyDnsConfiguration for DNS, DomainResult.Status for inactive)."""
    unused, built = fleets
    tenants = built["tenants"]
    cf = Saas(sandbox).cf[ACCOUNT_1]
    status, dns_status = {}, {}
    for tenant in tenants["tenants"]:
        found = cf.get_distribution_tenant(Identifier=tenant["id"])["DistributionTenant"]
        status.update({d["Domain"]: d["Status"] for d in found["Domains"]})
        dns_status.update({c["Domain"]: c["Status"] for c in cf.verify_dns_configuration(
            Identifier=tenant["id"])["DnsConfigurationList"]})

    assert len({g["id"] for g in tenants["connection_groups"]}) == 2
    assert tenants["served"] and all(status[d] == "active" and dns_status[d] == "valid-configuration"
                                     for d in tenants["served"])
    assert tenants["planted"]["tenant_dns_other_group"]
    assert all(dns_status[d] == "invalid-configuration" for d in tenants["planted"]["tenant_dns_other_group"])
    assert tenants["planted"]["tenant_domain_inactive"]
    assert all(status[d] == "inactive" for d in tenants["planted"]["tenant_domain_inactive"])
    listed = cf.list_distribution_tenants(AssociationFilter={"DistributionId": tenants["multi_tenant_distribution_id"]})
    assert len(listed["DistributionTenantList"]) == len(tenants["tenants"])
