# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit playbook's decisions made in Python: which names to ask AWS about, and whether to page someone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The module_utils are imported by the filters that use them, not with this file: Ansible loads every filter file
# of the collection to find any one of its filters (the role's remediation filters too), in every worker process,
# compiling each from source; the audit's analysis is not needed for those.


def _plain(value):
    """A plain copy of what a play hands a filter.

    Values read through hostvars arrive in Ansible's lazy containers, whose every field access goes through the
    templar: copied once here, the fleet is walked at Python's speed however often the analysis reads it.
    """
    if isinstance(value, Mapping):
        return dict((key, _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _inventories(inventories):
    """Plain inventories; one given in its short form (cloudfront_alias_inventory_info's inventory_file) is read from
    its file, on the host the filter runs on (the controller)."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
        InventoryFileError,
        load_inventory,
    )

    try:
        return [load_inventory(i) for i in _plain(inventories or []) if i]
    except InventoryFileError as exc:
        raise AnsibleFilterError(str(exc))


def _zones(dns_zones):
    """Plain zones; those given in their short form (dns_zone_inventory_info's zones_file) read from their files."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import InventoryFileError, load_zones

    try:
        return load_zones(_plain(dns_zones or []))
    except InventoryFileError as exc:
        raise AnsibleFilterError(str(exc))


def audit_conflict_checks(inventories, dns_zones, account_id):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import conflict_checks

    return conflict_checks(_inventories(inventories), _zones(dns_zones), account_id)


def audit_conflict_checks_by_account(inventories, dns_zones):
    """{account id: audit_conflict_checks for that account} for every audited account, the fleet copied once."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import conflict_checks

    plain = _inventories(inventories)
    zones = _zones(dns_zones)
    return dict((i["account_id"], conflict_checks(plain, zones, i["account_id"])) for i in plain)


def audit_report_schema(path):
    """The schema of the audit.json at ``path``, or '' when it cannot be read or has none.

    Read line by line (a large fleet's audit.json is tens of MB); a file not written by the audit is read whole.
    """
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._report import read_top_level

    try:
        with open(path, encoding="utf-8") as handle:
            found = read_top_level(handle, ("schema",))
        if "schema" not in found:
            with open(path, encoding="utf-8") as handle:
                found = json.load(handle)
        schema = found.get("schema") if isinstance(found, dict) else None
    except (IOError, OSError, TypeError, ValueError):
        return ""
    return schema if isinstance(schema, str) else ""


def audit_page(findings, fail_on="never"):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import findings_to_page

    try:
        return findings_to_page(findings or [], fail_on)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"audit_conflict_checks": audit_conflict_checks,
                "audit_conflict_checks_by_account": audit_conflict_checks_by_account,
                "audit_page": audit_page,
                "audit_report_schema": audit_report_schema}
