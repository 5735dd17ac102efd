# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit playbook's one decision made in Python: which names to ask ListConflictingAliases about."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import conflict_checks


def audit_conflict_checks(inventories, dns_zones, account_id):
    return conflict_checks([i for i in inventories or [] if i], dns_zones or [], account_id)


class FilterModule(object):
    def filters(self):
        return {"audit_conflict_checks": audit_conflict_checks}
