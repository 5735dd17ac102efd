# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit playbook's decisions made in Python: which names to ask AWS about, and whether to page someone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import conflict_checks, findings_to_page


def audit_conflict_checks(inventories, dns_zones, account_id):
    return conflict_checks([i for i in inventories or [] if i], dns_zones or [], account_id)


def audit_page(findings, fail_on="never"):
    try:
        return findings_to_page(findings or [], fail_on)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"audit_conflict_checks": audit_conflict_checks, "audit_page": audit_page}
