# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the audit reads, with list calls only, each paginated once per run.

Every reader returns plain data plus the requests it sent and the fewest
requests that inventory could have needed (its pages at the largest page size
each API allows), so that the report can show the cost next to its lower bound.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, describe_error
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    DOMAIN_APIS_BOTOCORE,
    ConnectionGroup,
    Distribution,
    Tenant,
    botocore_version,
    not_offered,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName


# The largest page each list call returns.
PAGE = {"ListDistributions": 100, "ListHostedZones": 100, "ListResourceRecordSets": 300,
        "ListCertificates": 1000, "ListDnsRecords": 5000, "ListDistributionTenants": 100,
        "ListConnectionGroups": 100}
AUDITED_TYPES = ("CNAME", "A", "AAAA", "TXT")


def pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


class Cost:
    """Requests sent and the least a perfect client would have sent, by operation."""

    def __init__(self) -> None:
        self.lower_bound: Dict[str, int] = {}

    def need(self, operation: str, count: int) -> None:
        self.lower_bound[operation] = self.lower_bound.get(operation, 0) + count

    @property
    def lower_bound_total(self) -> int:
        return sum(self.lower_bound.values())


def _paginate(client: Any, operation: str, key: Sequence[str], **kwargs: Any) -> List[Dict[str, Any]]:
    items: List[Dict[str, Any]] = []
    paginator = client.get_paginator(operation)
    try:
        for page in paginator.paginate(**kwargs):
            for part in key:
                page = page.get(part) or {}
            items.extend(page or [])
    except Exception as exc:
        raise describe_error(exc, operation)
    return items


def list_distributions(client: Any, cost: Cost) -> List[Dict[str, Any]]:
    summaries = _paginate(client, "list_distributions", ("DistributionList", "Items"),
                          PaginationConfig={"PageSize": str(PAGE["ListDistributions"])})
    cost.need("ListDistributions", pages(len(summaries), PAGE["ListDistributions"]))
    result = []
    for summary in summaries:
        try:
            dist = Distribution.from_summary(summary)
            aliases = [a.name for a in dist.aliases]
        except InvalidName:
            # CloudFront accepted it, so keep it as it is rather than lose the distribution from the audit.
            dist = Distribution.from_summary(dict(summary, Aliases={"Quantity": 0}))
            aliases = [str(a).lower() for a in (summary.get("Aliases") or {}).get("Items") or []]
        result.append({"id": dist.id, "arn": dist.arn, "domain_name": dist.domain_name, "enabled": dist.enabled,
                       "status": dist.status, "aliases": aliases, "comment": dist.comment,
                       "certificate_arn": dist.certificate_arn, "ipv6": dist.ipv6, "account_id": dist.account_id})
    return result


def list_tenants(client: Any, cost: Cost) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], Optional[str]]:
    """Distribution tenants and connection groups (CloudFront SaaS Manager): (tenants, groups, note).

    A tenant carries its domains (with their status, active or inactive) and its routing endpoint (its
    connection group's): the name its DNS must lead to. ``note`` says why both are empty when this botocore or
    endpoint does not offer the tenant APIs; an account without tenants simply has none.
    """
    if not (hasattr(client, "list_distribution_tenants") and hasattr(client, "list_connection_groups")):
        return [], [], ("distribution tenants were not read: this botocore (%s) has no tenant APIs (botocore %s or "
                        "later has them)" % (botocore_version(), DOMAIN_APIS_BOTOCORE))
    try:
        tenants = _paginate(client, "list_distribution_tenants", ("DistributionTenantList",),
                            PaginationConfig={"PageSize": PAGE["ListDistributionTenants"]})
        groups = _paginate(client, "list_connection_groups", ("ConnectionGroups",),
                           PaginationConfig={"PageSize": PAGE["ListConnectionGroups"]})
    except AwsError as exc:
        if not not_offered(exc):
            raise
        return [], [], "distribution tenants were not read: %s" % exc
    cost.need("ListDistributionTenants", pages(len(tenants), PAGE["ListDistributionTenants"]))
    cost.need("ListConnectionGroups", pages(len(groups), PAGE["ListConnectionGroups"]))
    by_group = dict((g.id, g) for g in (ConnectionGroup.from_summary(g) for g in groups))
    result = []
    for summary in tenants:
        try:
            tenant = Tenant.from_summary(summary)
        except InvalidName:
            continue
        group = by_group.get(tenant.connection_group_id) if tenant.connection_group_id else None
        endpoint = group.routing_endpoint if group is not None else None
        result.append({"id": tenant.id, "resource_type": "distribution-tenant", "arn": tenant.arn,
                       "name": tenant.name, "distribution_id": tenant.distribution_id,
                       "connection_group_id": tenant.connection_group_id, "routing_endpoint": endpoint,
                       "domain_name": endpoint, "enabled": tenant.enabled, "status": tenant.status,
                       "domains": [a.name for a in tenant.aliases],
                       "domain_status": dict((a.name, tenant.domain_status.get(a.name)) for a in tenant.aliases),
                       "account_id": tenant.account_id})
    return result, [dict(g.to_result(), resource_type="connection-group", domain_name=g.routing_endpoint)
                    for g in by_group.values()], None


# Every key type ACM knows. Without Includes.keyTypes ListCertificates returns only RSA_1024 and RSA_2048
# certificates, and ECDSA ones (common for CloudFront) would be missing from the audit.
KEY_TYPES = ("RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1")


def all_key_types(acm: Any) -> List[str]:
    """The key types this botocore's ACM model lists (newer ones included), else KEY_TYPES."""
    try:
        enum = acm.meta.service_model.shape_for("KeyAlgorithm").enum
    except Exception:  # a client without the shape: the types known when this was written
        enum = None
    return list(enum) if enum else list(KEY_TYPES)


def list_certificates(acm: Any, cost: Cost) -> List[Dict[str, Any]]:
    summaries = _paginate(acm, "list_certificates", ("CertificateSummaryList",),
                          Includes={"keyTypes": all_key_types(acm)},
                          PaginationConfig={"PageSize": PAGE["ListCertificates"]})
    cost.need("ListCertificates", pages(len(summaries), PAGE["ListCertificates"]))
    return [{"arn": s["CertificateArn"],
             "names": sorted(set([s.get("DomainName", "")] + list(s.get("SubjectAlternativeNameSummaries") or [])))}
            for s in summaries]
