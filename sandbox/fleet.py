"""The ``fleet`` scenario: a large estate with some of every audit finding planted.

Defaults (the benchmark's): 1,000 distributions x 3 aliases in account 1 (a few
in account 2), three Route 53 zones with about 3,000 records, one Cloudflare
zone with about 500. Built through the public APIs, in batches where the API
has them (Route 53 change batches of up to 500 changes).

The printed JSON lists every planted problem by kind, so that a test or a
benchmark can check that an audit finds them all.

Scale options (the defaults keep the fleet above exactly as it is):
``fleet_accounts=N`` (``--fleet-accounts N``) spreads the distributions round robin over the
sandbox's first N accounts (each with its own certificates; the Route 53 zones stay in account 1);
``route53_zones=N`` (``--route53-zones N``, at least 3) adds zones after fleet-a/b/c (fleet-e,
fleet-f, ...: the distributions share them round robin); ``route53_records=N``
(``--route53-records N``) fills the zones with unrelated records up to about N in all (default
3 per distribution); ``cloudflare_records=N`` (``--cloudflare-records N``) puts the names of the
last N / aliases-per-distribution distributions at Cloudflare (default: the last sixth).

``tenants=N`` (``--tenants N``) adds, on top and without changing any of the
above, a multi-tenant distribution with N distribution tenants (two domains
each, in the Route 53 zone fleet-t.example, CNAMEs to their connection group's
routing endpoint) spread over the default and one custom connection group, plus
the planted tenant problems listed under ``tenants.planted``. It is opt-in: an
audit that does not know tenants would call their names dangling.
"""

import secrets

from .context import ACCOUNT_IDS
from .scenarios import (certificate, create_distribution, create_multi_tenant_distribution, create_tenant,
                        hosted_zone)

ACCOUNT_1, ACCOUNT_2 = ACCOUNT_IDS
ROUTE53_ZONES = ("fleet-a.example", "fleet-b.example", "fleet-c.example")
# Further zones for --route53-zones (fleet-d is Cloudflare's, fleet-t the tenants').
MORE_ZONE_LETTERS = "efghijklmnopqrsuvwxyz"
CLOUDFLARE_ZONE = "fleet-d.example"
TENANT_ZONE = "fleet-t.example"
BATCH = 500
PLANTED = 5  # of each kind (at small sizes, as many as fit)


def _cname(name, target, ttl=300):
    return {"Action": "CREATE", "ResourceRecordSet": {
        "Name": name, "Type": "CNAME", "TTL": ttl, "ResourceRecords": [{"Value": target}]}}


def _batched(route53, zone_id, changes):
    for start in range(0, len(changes), BATCH):
        route53.change_resource_record_sets(HostedZoneId=zone_id,
                                            ChangeBatch={"Changes": changes[start:start + BATCH]})


def route53_zone_names(count=len(ROUTE53_ZONES)):
    return ROUTE53_ZONES + tuple("fleet-%s.example" % letter for letter in MORE_ZONE_LETTERS[:count - len(ROUTE53_ZONES)])


def _zone_of(index, distributions, zones=ROUTE53_ZONES, at_cloudflare=None):
    """Distributions share the Route 53 zones round robin; the last sixth (or at_cloudflare) lives at Cloudflare."""
    if at_cloudflare is None:
        at_cloudflare = distributions // 6
    if index >= distributions - at_cloudflare:
        return CLOUDFLARE_ZONE
    return zones[index % len(zones)]


def build_fleet(clients, distributions=1000, aliases_per_distribution=3, tenants=0, fleet_accounts=1,
                route53_zones=len(ROUTE53_ZONES), route53_records=None, cloudflare_records=None, **unused):
    if distributions < 20 or aliases_per_distribution < 1:
        raise SystemExit("fleet needs at least 20 distributions and 1 alias per distribution")
    if tenants and tenants < 3:
        raise SystemExit("fleet needs at least 3 tenants (or none): one per connection group and a planted one")
    all_accounts = list(clients.endpoints["aws"]["accounts"])
    if not 1 <= fleet_accounts <= len(all_accounts):
        raise SystemExit("--fleet-accounts must be between 1 and the sandbox's %d accounts (python -m sandbox up "
                         "--accounts N starts more), got %s" % (len(all_accounts), fleet_accounts))
    if not len(ROUTE53_ZONES) <= route53_zones <= len(ROUTE53_ZONES) + len(MORE_ZONE_LETTERS):
        raise SystemExit("--route53-zones must be between %d and %d, got %s" % (
            len(ROUTE53_ZONES), len(ROUTE53_ZONES) + len(MORE_ZONE_LETTERS), route53_zones))
    zones = route53_zone_names(route53_zones)
    at_cloudflare = None
    if cloudflare_records is not None:
        at_cloudflare = cloudflare_records // aliases_per_distribution
        if not 0 <= at_cloudflare <= distributions - 20:
            raise SystemExit("--cloudflare-records must leave at least 20 distributions in Route 53, got %s"
                             % cloudflare_records)
    owners = all_accounts[:fleet_accounts]
    cloudfront, route53, acm = clients.aws("cloudfront"), clients.aws("route53"), clients.aws("acm")
    cf_of = {owners[0]: cloudfront}
    certs = {}
    for account in owners[1:]:
        # The other accounts: a certificate for up to ten fleet zones each (ACM's default quota of names per
        # certificate), their wildcards as subject alternative names.
        cf_of[account] = clients.aws("cloudfront", account)
        all_zones = zones + (CLOUDFLARE_ZONE,)
        for start in range(0, len(all_zones), 10):
            names = ["*." + zone for zone in all_zones[start:start + 10]]
            arn = certificate(clients.aws("acm", account), names[0], names[1:])
            certs.update(((account, zone), arn) for zone in all_zones[start:start + 10])
    for account in owners[:1]:
        account_acm = acm
        for zone in zones + (CLOUDFLARE_ZONE,):
            # One zone's certificate is ECDSA, as many CloudFront certificates are: an audit that lists only
            # ListCertificates' default key types (RSA) does not see it.
            certs[account, zone] = certificate(
                account_acm, zone, ["*." + zone],
                key_algorithm="EC_prime256v1" if zone == ROUTE53_ZONES[1] else "RSA_2048")
    shop_cert = certificate(acm, "shop.fleet-b.example", ["*.shop.fleet-b.example"])
    planted = {kind: [] for kind in ("dangling_cname", "dns_points_elsewhere", "alias_without_dns",
                                     "proxied_in_front", "overlapping_holders", "disabled_holder", "leftover_txt")}

    disabled = set(range(distributions - 3, distributions))
    dists = []
    for i in range(distributions):
        # Every alias of one distribution lives in one zone, so one wildcard certificate covers them.
        zone = _zone_of(i, distributions, zones, at_cloudflare)
        account = owners[i % len(owners)]
        own = ["s%d-%d.%s" % (i, k, zone) for k in range(aliases_per_distribution)]
        dist = create_distribution(cf_of[account], "fleet-%d" % i, aliases=own, cert_arn=certs[account, zone],
                                   comment="fleet %d" % i, enabled=i not in disabled)
        dist.update(aliases=own, zone=zone, index=i, account=account)
        dists.append(dist)
    for i in sorted(disabled):
        planted["disabled_holder"].append(dists[i]["aliases"][0])

    # Overlap: one distribution holds *.shop.fleet-b.example, another a name under it.
    wild = create_distribution(cloudfront, "fleet-shop-wild", aliases=["*.shop.fleet-b.example"], cert_arn=shop_cert)
    one = create_distribution(cloudfront, "fleet-shop-one", aliases=["cart.shop.fleet-b.example"], cert_arn=shop_cert)
    planted["overlapping_holders"].append("cart.shop.fleet-b.example")

    # A few distributions in account 2 whose names live in account 1's zones (correct DNS).
    other_cf = clients.aws("cloudfront", ACCOUNT_2)
    other_cert = certificate(clients.aws("acm", ACCOUNT_2), ROUTE53_ZONES[0], ["*." + ROUTE53_ZONES[0]])
    partners = [create_distribution(other_cf, "partner-%d" % k, aliases=["partner%d.%s" % (k, ROUTE53_ZONES[0])],
                                    cert_arn=other_cert) for k in range(3)]

    zone_ids = dict((zone, hosted_zone(route53, zone)) for zone in zones)
    changes = dict((zone, []) for zone in zones)
    cf_records = []
    without_dns = set()
    elsewhere = {}
    for dist in dists[:PLANTED * 3:3]:
        without_dns.add(dist["aliases"][-1])
    for dist, nxt in zip(dists[1:PLANTED * 4:4], dists[2:PLANTED * 4 + 1:4]):
        elsewhere[dist["aliases"][0]] = nxt["domain_name"]
    for dist in dists:
        for name in dist["aliases"]:
            if name in without_dns:
                planted["alias_without_dns"].append(name)
                continue
            target = elsewhere.get(name, dist["domain_name"])
            if name in elsewhere:
                planted["dns_points_elsewhere"].append(name)
            if dist["zone"] == CLOUDFLARE_ZONE:
                cf_records.append({"type": "CNAME", "name": name, "content": target, "ttl": 1, "proxied": False})
            else:
                changes[dist["zone"]].append(_cname(name, target))
    for k, partner in enumerate(partners):
        changes[ROUTE53_ZONES[0]].append(_cname("partner%d.%s" % (k, ROUTE53_ZONES[0]), partner["domain_name"]))
    changes["fleet-b.example"].append(_cname("*.shop.fleet-b.example", wild["domain_name"]))
    changes["fleet-b.example"].append(_cname("cart.shop.fleet-b.example", one["domain_name"]))

    # Dangling: CNAMEs to CloudFront names that do not exist, and to one that exists but holds nothing there.
    for k in range(PLANTED):
        name = "gone%d.%s" % (k, ROUTE53_ZONES[k % 3])
        changes[ROUTE53_ZONES[k % 3]].append(_cname(name, "d%s.cloudfront.net" % secrets.token_hex(6)))
        planted["dangling_cname"].append(name)
    for k in range(2):
        name = "orphan%d.%s" % (k, ROUTE53_ZONES[2])
        changes[ROUTE53_ZONES[2]].append(_cname(name, dists[0]["domain_name"]))
        planted["dangling_cname"].append(name)

    # Leftover TXT records from earlier moves.
    for dist in dists[5:5 + PLANTED * 2:2]:
        if dist["zone"] == CLOUDFLARE_ZONE:
            continue
        name = "_" + dist["aliases"][0]
        changes[dist["zone"]].append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"%s"' % dist["domain_name"]}]}})
        planted["leftover_txt"].append(name)

    # Fill each Route 53 zone with unrelated records (origins, mail) up to its share of 3,000 records
    # (of route53_records).
    target_total = max(3000 * distributions // 1000, 60) if route53_records is None else route53_records
    for index, zone in enumerate(zones):
        filler = max(target_total // len(zones) - len(changes[zone]) - 2, 0)
        for k in range(filler):
            changes[zone].append({"Action": "CREATE", "ResourceRecordSet": {
                "Name": "host%d.%s" % (k, zone), "Type": "A", "TTL": 300,
                "ResourceRecords": [{"Value": "192.0.2.%d" % (k % 250 + 1)}]}})
        _batched(route53, zone_ids[zone], changes[zone])

    # Cloudflare: the fleet-d records, five of them proxied in front of CloudFront.
    zone = clients.cloudflare("POST", "/zones", {"name": CLOUDFLARE_ZONE, "type": "full",
                                                 "account": {"id": clients.endpoints["cloudflare"]["account_id"]}})
    proxied = set(r["name"] for r in cf_records[PLANTED:PLANTED * 2])
    for record in cf_records:
        if record["name"] in proxied:
            record["proxied"] = True
            planted["proxied_in_front"].append(record["name"])
        clients.cloudflare("POST", "/zones/%s/dns_records" % zone["id"], record)

    built_route53_records = sum(len(c) for c in changes.values()) + 2 * len(zones)
    built_tenants = _build_tenants(clients, tenants) if tenants else None
    return {
        "scenario": "fleet",
        "accounts": _per_account(dists, owners, partners),
        "distributions": distributions + 2 + len(partners),
        "aliases": distributions * aliases_per_distribution + 2 + len(partners),
        "route53_zones": list(zones),
        "route53_records": built_route53_records,
        "cloudflare_zone": CLOUDFLARE_ZONE,
        "cloudflare_records": len(cf_records),
        "planted": planted,
        "tenants": built_tenants,
    }


def _per_account(dists, owners, partners):
    counts = dict((account, 0) for account in owners)
    for dist in dists:
        counts[dist["account"]] += 1
    counts[ACCOUNT_1] = counts.get(ACCOUNT_1, 0) + 2  # the two overlapping ones
    counts[ACCOUNT_2] = counts.get(ACCOUNT_2, 0) + len(partners)
    return counts


def _build_tenants(clients, count):
    """A multi-tenant distribution with `count` tenants in two connection groups, and their DNS.

    Planted for an audit: a domain whose DNS leads to the other connection group
    (one each way), and a tenant whose only domain is inactive (a CloudFront-managed
    certificate is still pending: the wildcard certificate covers one label only).
    Every other domain is served: CNAME to its own group's routing endpoint, active.
    """
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), TENANT_ZONE, ["*." + TENANT_ZONE])
    saas = create_multi_tenant_distribution(cloudfront, "fleet-saas", cert_arn=cert, comment="fleet SaaS")
    isolated = cloudfront.create_connection_group(Name="fleet-isolated")["ConnectionGroup"]
    built, planted = [], {"tenant_dns_other_group": [], "tenant_domain_inactive": []}
    for k in range(count):
        group_id = isolated["Id"] if k % 3 == 2 else None
        domains = ["c%d-a.%s" % (k, TENANT_ZONE), "c%d-b.%s" % (k, TENANT_ZONE)]
        built.append(create_tenant(cloudfront, saas["id"], "fleet-tenant-%d" % k, domains, group_id))
    pending = create_tenant(cloudfront, saas["id"], "fleet-tenant-pending", ["shop.c0." + TENANT_ZONE],
                            ManagedCertificateRequest={"ValidationTokenHost": "cloudfront"})
    planted["tenant_domain_inactive"].extend(pending["domains"])
    endpoints = {t["connection_group_id"]: t["routing_endpoint"] for t in built}
    elsewhere = {}
    for tenant in (built[0], built[2]):  # tenant 0 is in the default group, tenant 2 in fleet-isolated
        other = [e for g, e in endpoints.items() if g != tenant["connection_group_id"]][0]
        elsewhere[tenant["domains"][0]] = other
        planted["tenant_dns_other_group"].append(tenant["domains"][0])
    changes, served = [], []
    for tenant in built + [pending]:
        for domain in tenant["domains"]:
            target = elsewhere.get(domain, tenant["routing_endpoint"])
            changes.append(_cname(domain, target))
            if domain not in elsewhere and tenant is not pending:
                served.append(domain)
    zone_id = hosted_zone(route53, TENANT_ZONE)
    _batched(route53, zone_id, changes)
    groups = cloudfront.list_connection_groups()["ConnectionGroups"]
    return {
        "account_id": ACCOUNT_1,
        "multi_tenant_distribution_id": saas["id"],
        "connection_groups": [{"id": g["Id"], "name": g["Name"], "routing_endpoint": g["RoutingEndpoint"],
                               "is_default": g["IsDefault"]} for g in groups],
        "tenants": built + [pending],
        "route53_zone": TENANT_ZONE,
        "route53_records": len(changes) + 2,
        "served": served,
        "planted": planted,
    }
