"""Named situations, built through the sandbox's public APIs as a user would.

Every scenario starts from an empty sandbox (``reset``) and prints what it
built as JSON: the alias, the target distribution, who holds the alias, where
its DNS record lives, and the error AWS gives when the alias is added to the
target (the 409 the operator saw). In ``tenant`` and ``tenant-target`` one side
is a distribution tenant of a multi-tenant distribution; its DNS target is its
connection group's routing endpoint.
"""

import json
import time
import urllib.error
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update

from .cli import load_endpoints, reset
from .context import ACCOUNT_IDS

ACCOUNT_1, ACCOUNT_2 = ACCOUNT_IDS
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


class Clients:
    """Plain clients for the sandbox's endpoints (boto3, HTTP, dnspython)."""

    def __init__(self, endpoints):
        self.endpoints = endpoints

    def aws(self, service, account=ACCOUNT_1):
        creds = self.endpoints["aws"]["accounts"][account]
        return boto3.client(
            service, endpoint_url=self.endpoints["aws"]["endpoint_url"], region_name="us-east-1",
            aws_access_key_id=creds["access_key_id"], aws_secret_access_key=creds["secret_access_key"],
            config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 10}))

    def cloudflare(self, method, path, body=None):
        cf = self.endpoints["cloudflare"]
        request = urllib.request.Request(
            cf["base_url"] + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": "Bearer " + cf["api_token"], "Content-Type": "application/json"})
        for attempt in range(10):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.load(response)["result"]
            except urllib.error.HTTPError as exc:
                # Scenarios must build even while faults are switched on.
                if exc.code in (429, 502, 503) and attempt < 9:
                    time.sleep(0.2)
                    continue
                raise

    def google(self, method, path, body=None):
        """One Cloud DNS v1 call; ``path`` is under /dns/v1/projects/<project>."""
        g = self.endpoints["google"]
        request = urllib.request.Request(
            "%s/dns/v1/projects/%s%s" % (g["base_url"], g["project"], path), method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": "Bearer " + g["token"], "Content-Type": "application/json"})
        for attempt in range(10):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.load(response)
            except urllib.error.HTTPError as exc:
                # Scenarios must build even while faults are switched on.
                if exc.code in (429, 503) and attempt < 9:
                    time.sleep(0.2)
                    continue
                raise

    def rfc2136_update(self):
        rfc = self.endpoints["rfc2136"]
        keyring = dns.tsigkeyring.from_text({rfc["tsig"]["name"]: (rfc["tsig"]["algorithm"], rfc["tsig"]["secret"])})
        return dns.update.UpdateMessage(rfc["zone"] + ".", keyring=keyring, keyname=rfc["tsig"]["name"],
                                        keyalgorithm=rfc["tsig"]["algorithm"])

    def rfc2136_send(self, update):
        rfc = self.endpoints["rfc2136"]
        response = dns.query.tcp(update, rfc["host"], port=rfc["port"], timeout=5)
        if response.rcode() != 0:
            raise RuntimeError("RFC 2136 update failed: %s" % dns.rcode.to_text(response.rcode()))
        return response


def certificate(acm, domain, sans=(), key_algorithm="RSA_2048"):
    """An ACM certificate; ``key_algorithm`` as RequestCertificate takes it (ECDSA ones are common for CloudFront,
    and ListCertificates shows them only when asked for with Includes.keyTypes)."""
    return acm.request_certificate(DomainName=domain, SubjectAlternativeNames=[domain] + list(sans),
                                   KeyAlgorithm=key_algorithm)["CertificateArn"]


def distribution_config(reference, aliases=(), cert_arn=None, enabled=True, comment="", ipv6=True):
    config = {
        "CallerReference": reference,
        "Comment": comment,
        "Enabled": enabled,
        "IsIPV6Enabled": ipv6,
        "Aliases": {"Quantity": len(aliases), "Items": list(aliases)} if aliases else {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "origin", "DomainName": "%s.origin.example.org" % reference,
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
        }]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    }
    if cert_arn:
        config["ViewerCertificate"] = {"ACMCertificateArn": cert_arn, "SSLSupportMethod": "sni-only",
                                       "MinimumProtocolVersion": "TLSv1.2_2021"}
    else:
        config["ViewerCertificate"] = {"CloudFrontDefaultCertificate": True}
    return config


def create_distribution(cloudfront, reference, **kwargs):
    dist = cloudfront.create_distribution(DistributionConfig=distribution_config(reference, **kwargs))["Distribution"]
    return {"id": dist["Id"], "domain_name": dist["DomainName"], "arn": dist["ARN"]}


def create_multi_tenant_distribution(cloudfront, reference, cert_arn=None, comment=""):
    """A distribution with ConnectionMode tenant-only: no aliases; its tenants carry the domains."""
    config = distribution_config(reference, cert_arn=cert_arn, comment=comment)
    config["ConnectionMode"] = "tenant-only"
    dist = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    return {"id": dist["Id"], "arn": dist["ARN"]}


def create_tenant(cloudfront, distribution_id, name, domains, connection_group_id=None, **extra):
    request = dict(DistributionId=distribution_id, Name=name, Domains=[{"Domain": d} for d in domains], **extra)
    if connection_group_id:
        request["ConnectionGroupId"] = connection_group_id
    tenant = cloudfront.create_distribution_tenant(**request)["DistributionTenant"]
    group = cloudfront.get_connection_group(Identifier=tenant["ConnectionGroupId"])["ConnectionGroup"]
    return {"id": tenant["Id"], "arn": tenant["Arn"], "name": name, "distribution_id": distribution_id,
            "connection_group_id": group["Id"], "routing_endpoint": group["RoutingEndpoint"],
            "domains": [d["Domain"] for d in tenant["Domains"]]}


def hosted_zone(route53, name):
    return route53.create_hosted_zone(Name=name, CallerReference="zone-" + name)["HostedZone"]["Id"].split("/")[-1]


def route53_change(route53, zone_id, changes):
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def cname(name, target, ttl=300):
    return {"Action": "CREATE", "ResourceRecordSet": {
        "Name": name, "Type": "CNAME", "TTL": ttl, "ResourceRecords": [{"Value": target}]}}


def alias_record(name, rtype, target):
    return {"Action": "CREATE", "ResourceRecordSet": {
        "Name": name, "Type": rtype,
        "AliasTarget": {"HostedZoneId": CLOUDFRONT_ZONE_ID, "DNSName": target, "EvaluateTargetHealth": False}}}


def observed_error(cloudfront, dist_id, alias):
    """Add the alias to the target as Terraform would, and report AWS's answer."""
    response = cloudfront.get_distribution_config(Id=dist_id)
    config = response["DistributionConfig"]
    items = list(config.get("Aliases", {}).get("Items") or []) + [alias]
    config["Aliases"] = {"Quantity": len(items), "Items": items}
    try:
        cloudfront.update_distribution(Id=dist_id, IfMatch=response["ETag"], DistributionConfig=config)
    except botocore.exceptions.ClientError as exc:
        return {"operation": "UpdateDistribution", "status": exc.response["ResponseMetadata"]["HTTPStatusCode"],
                "code": exc.response["Error"]["Code"], "message": exc.response["Error"]["Message"]}
    raise RuntimeError("scenario is wrong: adding %s to %s did not fail" % (alias, dist_id))


def observed_tenant_error(cloudfront, tenant_id, domain):
    """Add the domain to the tenant as a deployment would (UpdateDistributionTenant), and report AWS's answer."""
    response = cloudfront.get_distribution_tenant(Identifier=tenant_id)
    domains = [{"Domain": d["Domain"]} for d in response["DistributionTenant"]["Domains"]] + [{"Domain": domain}]
    try:
        cloudfront.update_distribution_tenant(Id=tenant_id, IfMatch=response["ETag"], Domains=domains)
    except botocore.exceptions.ClientError as exc:
        return {"operation": "UpdateDistributionTenant",
                "status": exc.response["ResponseMetadata"]["HTTPStatusCode"],
                "code": exc.response["Error"]["Code"], "message": exc.response["Error"]["Message"]}
    raise RuntimeError("scenario is wrong: adding %s to %s did not fail" % (domain, tenant_id))


def _summary(name, alias, target, holder, dns_info, error, **extra):
    result = {"scenario": name, "alias": alias, "target_distribution_id": target["id"],
              "target_domain_name": target["domain_name"], "holder": holder, "dns": dns_info, "error": error}
    result.update(extra)
    return result


def _holder(dist, account, enabled=True):
    return {"resource_type": "distribution", "distribution_id": dist["id"], "domain_name": dist["domain_name"],
            "account_id": account, "enabled": enabled}


def _tenant_holder(tenant, account, enabled=True):
    # domain_name is where the holder's DNS points: for a tenant, its connection group's routing endpoint.
    return {"resource_type": "distribution-tenant", "distribution_tenant_id": tenant["id"],
            "multi_tenant_distribution_id": tenant["distribution_id"],
            "connection_group_id": tenant["connection_group_id"], "routing_endpoint": tenant["routing_endpoint"],
            "domain_name": tenant["routing_endpoint"], "account_id": account, "enabled": enabled}


def seed_409(clients, **unused):
    """The seed: A holds www.example.com, DNS points at A, B is the new distribution (an ECDSA certificate)."""
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"], key_algorithm="EC_prime256v1")
    old = create_distribution(cloudfront, "seed-old", aliases=["www.example.com"], cert_arn=cert, comment="old site")
    new = create_distribution(cloudfront, "seed-new", cert_arn=cert, comment="new site")
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", old["domain_name"])])
    error = observed_error(cloudfront, new["id"], "www.example.com")
    return _summary("seed-409", "www.example.com", new, _holder(old, ACCOUNT_1),
                    {"provider": "route53", "zone": "example.com", "zone_id": zone_id,
                     "type": "CNAME", "value": old["domain_name"]}, error)


def cross_account(clients, holder_disabled=False, **unused):
    """The holder is an old distribution in account 2; DNS (account 1) still points at it."""
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    other_cf = clients.aws("cloudfront", ACCOUNT_2)
    other_cert = certificate(clients.aws("acm", ACCOUNT_2), "www.example.com", key_algorithm="EC_secp384r1")
    old = create_distribution(other_cf, "vendor-old", aliases=["www.example.com"], cert_arn=other_cert,
                              comment="agency's old site", enabled=not holder_disabled)
    new = create_distribution(cloudfront, "inhouse-new", cert_arn=cert, comment="new site")
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", old["domain_name"])])
    error = observed_error(cloudfront, new["id"], "www.example.com")
    return _summary("cross-account", "www.example.com", new, _holder(old, ACCOUNT_2, not holder_disabled),
                    {"provider": "route53", "zone": "example.com", "zone_id": zone_id,
                     "type": "CNAME", "value": old["domain_name"]}, error)


def wildcard(clients, **unused):
    """A holds *.example.com and DNS has a wildcard CNAME to A; B wants www.example.com."""
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    old = create_distribution(cloudfront, "wild-old", aliases=["*.example.com"], cert_arn=cert, comment="catch-all")
    new = create_distribution(cloudfront, "wild-new", cert_arn=cert, comment="www only")
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("*.example.com", old["domain_name"])])
    error = observed_error(cloudfront, new["id"], "www.example.com")
    holder = _holder(old, ACCOUNT_1)
    holder["alias"] = "*.example.com"
    return _summary("wildcard", "www.example.com", new, holder,
                    {"provider": "route53", "zone": "example.com", "zone_id": zone_id,
                     "type": "CNAME", "name": "*.example.com", "value": old["domain_name"]}, error)


def apex(clients, **unused):
    """A holds example.com; Route 53 alias A/AAAA records at the apex point at A."""
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    old = create_distribution(cloudfront, "apex-old", aliases=["example.com"], cert_arn=cert)
    new = create_distribution(cloudfront, "apex-new", cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [alias_record("example.com", "A", old["domain_name"]),
                                      alias_record("example.com", "AAAA", old["domain_name"])])
    error = observed_error(cloudfront, new["id"], "example.com")
    return _summary("apex", "example.com", new, _holder(old, ACCOUNT_1),
                    {"provider": "route53", "zone": "example.com", "zone_id": zone_id,
                     "type": "A/AAAA alias", "value": old["domain_name"]}, error)


def cloudflare(clients, proxied=False, **unused):
    """The seed's situation with the record at Cloudflare (DNS only unless --proxied)."""
    cloudfront = clients.aws("cloudfront")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    old = create_distribution(cloudfront, "cf-old", aliases=["www.example.com"], cert_arn=cert)
    new = create_distribution(cloudfront, "cf-new", cert_arn=cert)
    zone = clients.cloudflare("POST", "/zones", {"name": "example.com", "type": "full",
                                                 "account": {"id": clients.endpoints["cloudflare"]["account_id"]}})
    record = clients.cloudflare("POST", "/zones/%s/dns_records" % zone["id"], {
        "type": "CNAME", "name": "www.example.com", "content": old["domain_name"], "ttl": 1, "proxied": proxied})
    error = observed_error(cloudfront, new["id"], "www.example.com")
    return _summary("cloudflare", "www.example.com", new, _holder(old, ACCOUNT_1),
                    {"provider": "cloudflare", "zone": "example.com", "zone_id": zone["id"], "record_id": record["id"],
                     "type": "CNAME", "value": old["domain_name"], "proxied": proxied}, error)


def google(clients, **unused):
    """The seed's situation with the record in a Google Cloud DNS managed zone."""
    cloudfront = clients.aws("cloudfront")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    old = create_distribution(cloudfront, "gcp-old", aliases=["www.example.com"], cert_arn=cert)
    new = create_distribution(cloudfront, "gcp-new", cert_arn=cert)
    zone = clients.google("POST", "/managedZones", {"name": "example-com", "dnsName": "example.com.",
                                                    "description": "the runbook's zone", "visibility": "public"})
    change = clients.google("POST", "/managedZones/example-com/changes", {"additions": [
        {"name": "www.example.com.", "type": "CNAME", "ttl": 300, "rrdatas": [old["domain_name"] + "."]}]})
    error = observed_error(cloudfront, new["id"], "www.example.com")
    return _summary("google", "www.example.com", new, _holder(old, ACCOUNT_1),
                    {"provider": "google", "zone": "example.com", "zone_id": zone["id"], "managed_zone": zone["name"],
                     "project": clients.endpoints["google"]["project"], "change_id": change["id"],
                     "type": "CNAME", "ttl": 300, "value": old["domain_name"]}, error)


def rfc2136(clients, **unused):
    """The seed's situation with the record on the RFC 2136 server (BIND)."""
    zone = clients.endpoints["rfc2136"]["zone"]
    alias = "www." + zone
    cloudfront = clients.aws("cloudfront")
    cert = certificate(clients.aws("acm"), zone, ["*." + zone])
    old = create_distribution(cloudfront, "bind-old", aliases=[alias], cert_arn=cert)
    new = create_distribution(cloudfront, "bind-new", cert_arn=cert)
    update = clients.rfc2136_update()
    update.add("www", 300, "CNAME", old["domain_name"] + ".")
    clients.rfc2136_send(update)
    error = observed_error(cloudfront, new["id"], alias)
    return _summary("rfc2136", alias, new, _holder(old, ACCOUNT_1),
                    {"provider": "rfc2136", "zone": zone, "type": "CNAME", "value": old["domain_name"]}, error)


def tenant(clients, **unused):
    """A distribution tenant holds www.example.com and DNS points at its routing endpoint; B is a standard one."""
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    saas = create_multi_tenant_distribution(cloudfront, "tenant-saas", cert_arn=cert, comment="SaaS platform")
    held = create_tenant(cloudfront, saas["id"], "customer-www", ["www.example.com"])
    new = create_distribution(cloudfront, "tenant-new", cert_arn=cert, comment="new site")
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", held["routing_endpoint"])])
    error = observed_error(cloudfront, new["id"], "www.example.com")
    return _summary("tenant", "www.example.com", new, _tenant_holder(held, ACCOUNT_1),
                    {"provider": "route53", "zone": "example.com", "zone_id": zone_id,
                     "type": "CNAME", "value": held["routing_endpoint"]}, error)


def tenant_target(clients, **unused):
    """A standard distribution A holds www.example.com, DNS points at A; the target is a distribution tenant.

    The tenant starts with a placeholder domain, as AWS's guide "Migrate to a
    multi-tenant distribution" has it (a tenant needs at least one domain).
    """
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    old = create_distribution(cloudfront, "tt-old", aliases=["www.example.com"], cert_arn=cert, comment="old site")
    saas = create_multi_tenant_distribution(cloudfront, "tt-saas", cert_arn=cert, comment="SaaS platform")
    target = create_tenant(cloudfront, saas["id"], "customer-www", ["placeholder.example.com"])
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", old["domain_name"])])
    error = observed_tenant_error(cloudfront, target["id"], "www.example.com")
    return {"scenario": "tenant-target", "alias": "www.example.com",
            "target_distribution_tenant_id": target["id"], "target_multi_tenant_distribution_id": saas["id"],
            "target_connection_group_id": target["connection_group_id"],
            "target_routing_endpoint": target["routing_endpoint"], "target_domain_name": target["routing_endpoint"],
            "target_domains": target["domains"],
            "holder": _holder(old, ACCOUNT_1),
            "dns": {"provider": "route53", "zone": "example.com", "zone_id": zone_id,
                    "type": "CNAME", "value": old["domain_name"]},
            "error": error}


SCENARIOS = {
    "seed-409": seed_409,
    "cross-account": cross_account,
    "wildcard": wildcard,
    "apex": apex,
    "cloudflare": cloudflare,
    "google": google,
    "rfc2136": rfc2136,
    "tenant": tenant,
    "tenant-target": tenant_target,
}


def build(name, state_dir, **options):
    if name == "fleet":
        from .fleet import build_fleet  # the benchmark scenario lives apart: it is large

        reset(state_dir)
        return build_fleet(Clients(load_endpoints(state_dir)), **options)
    if name not in SCENARIOS:
        raise SystemExit("unknown scenario %r; known: %s, fleet" % (name, ", ".join(SCENARIOS)))
    reset(state_dir)
    return SCENARIOS[name](Clients(load_endpoints(state_dir)), **options)
