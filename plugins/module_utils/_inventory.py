# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the audit reads, with list calls only, each paginated once per run.

Every reader returns plain data plus the requests it sent and the fewest
requests that inventory could have needed (its pages at the largest page size
each API allows), so that the report can show the cost next to its lower bound.

An inventory can also be handed over through a file (``write_inventory_file``):
the file holds it whole, the module's result its short form (who, how much, what
it cost, where the file is), and every reader takes either (``load_inventory``,
``load_zones``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
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


# An account's inventory handed over through a file (cloudfront_alias_inventory_info's option inventory_file): the
# file holds the whole inventory, the module's result only what the audit playbook's later steps need from Ansible's
# variables. Ansible keeps every host's result in the controller and copies it into each fork and module that
# templates it, so a fleet held in hostvars is held several times over; a path is held once and read where needed.
INVENTORY_FILE_MODE = 0o600
_SUMMARY_KEYS = ("account_id", "label", "requests_by_operation", "requests", "requests_total", "requests_lower_bound",
                 "requests_lower_bound_total")


class InventoryFileError(Exception):
    """An inventory file that cannot be written or read, with what to do."""


def inventory_counts(inventory: Dict[str, Any]) -> Dict[str, int]:
    distributions = inventory.get("distributions") or []
    zones = inventory.get("route53") or []
    return {"distributions": len(distributions),
            "aliases": sum(len(d.get("aliases") or []) for d in distributions),
            "tenants": len(inventory.get("tenants") or []),
            "connection_groups": len(inventory.get("connection_groups") or []),
            "certificates": len(inventory.get("certificates") or []),
            "zones": len(zones),
            "records": sum(len(z.get("records") or []) for z in zones)}


def inventory_summary(inventory: Dict[str, Any], path: str) -> Dict[str, Any]:
    """What the module returns when the inventory went to ``path``: who, how much, what it cost, and where."""
    result = dict((key, inventory[key]) for key in _SUMMARY_KEYS if key in inventory)
    result.update(file=path, counts=inventory_counts(inventory))
    return result


def zone_summaries(zones: List[Dict[str, Any]], path: str) -> List[Dict[str, Any]]:
    """What dns_zone_inventory_info returns per zone when the zones went to ``path``."""
    return [{"provider": z.get("provider"), "zone": z["zone"], "record_sets": z.get("record_sets", 0),
             "counts": {"records": len(z.get("records") or [])}, "file": path} for z in zones]


def write_inventory_file(path: str, inventory: Any, option: str = "inventory_file") -> None:
    """``inventory`` as JSON at ``path``, whole or not at all (a temporary file renamed over it), mode 0600."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, 0o700, exist_ok=True)  # forks write their accounts' files side by side
        handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    except (IOError, OSError) as exc:
        raise InventoryFileError("%s %s cannot be written (%s): give a path in a directory this user can create "
                                 "and write to" % (option, path, exc))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(inventory, out, separators=(",", ":"))
        os.chmod(temporary, INVENTORY_FILE_MODE)
        os.replace(temporary, path)
    except (IOError, OSError, TypeError, ValueError) as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise InventoryFileError("%s %s cannot be written (%s): give a path in a directory this user can create "
                                 "and write to" % (option, path, exc))


def is_inventory_summary(inventory: Any) -> bool:
    """Whether ``inventory`` is the short form (a ``file`` to read) rather than the inventory itself."""
    return isinstance(inventory, dict) and "file" in inventory and "distributions" not in inventory


def _read_json(path: str, what: str, again: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (IOError, OSError) as exc:
        raise InventoryFileError("the %s %s cannot be read (%s): run %s again, on the host that reads it"
                                 % (what, path, exc, again))
    except ValueError as exc:
        raise InventoryFileError("the %s %s is not JSON (%s): run %s again" % (what, path, exc, again))


def read_inventory_file(path: str) -> Dict[str, Any]:
    """The inventory ``write_inventory_file`` wrote at ``path``."""
    inventory = _read_json(path, "inventory file", "cloudfront_alias_inventory_info with inventory_file")
    if not isinstance(inventory, dict) or "account_id" not in inventory or "distributions" not in inventory:
        raise InventoryFileError("the inventory file %s is not an inventory of cloudfront_alias_inventory_info (it has "
                                 "no account_id or no distributions)" % path)
    return inventory


def load_inventory(inventory: Dict[str, Any]) -> Dict[str, Any]:
    """The whole inventory, read from its file when ``inventory`` is the short form; else ``inventory`` itself."""
    if is_inventory_summary(inventory):
        return read_inventory_file(str(inventory["file"]))
    return inventory


def load_zones(zones: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The zones of dns_zone_inventory_info, each read from its file when given in its short form (each file once)."""
    files: Dict[str, Dict[Tuple[Any, Any], Dict[str, Any]]] = {}
    result = []
    for zone in zones:
        if not (isinstance(zone, dict) and "file" in zone and "records" not in zone):
            result.append(zone)
            continue
        path = str(zone["file"])
        if path not in files:
            written = _read_json(path, "zones file", "dns_zone_inventory_info with zones_file")
            if not isinstance(written, list) or not all(isinstance(z, dict) and "zone" in z for z in written):
                raise InventoryFileError("the zones file %s is not a list of zones of dns_zone_inventory_info" % path)
            files[path] = dict(((z.get("provider"), z["zone"]), z) for z in written)
        found = files[path].get((zone.get("provider"), zone.get("zone")))
        if found is None:
            raise InventoryFileError("the zones file %s has no zone %s of %s: run dns_zone_inventory_info with "
                                     "zones_file again" % (path, zone.get("zone"), zone.get("provider")))
        result.append(found)
    return result
