# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the cname_remediation role decides with; the logic lives in plugin_utils/_remediation.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils._remediation import (
    RemediationInputError,
    batches,
    plan_remediation,
    requests_from,
    summarise,
)


def remediation_requests(single, many=None, defaults=None):
    try:
        return requests_from(single, many or [], defaults or {})
    except RemediationInputError as exc:
        raise AnsibleFilterError(str(exc))


def remediation_plan(requests, found_results):
    try:
        return plan_remediation(requests, found_results or [])
    except RemediationInputError as exc:
        raise AnsibleFilterError(str(exc))


def remediation_batches(plans, step, created_by=None, repointed=None, handed_over=None):
    try:
        return batches(plans or [], step, created_by, repointed, handed_over)
    except RemediationInputError as exc:
        raise AnsibleFilterError(str(exc))


def remediation_report(plans, registered=None, check_mode=False, failed=False, error=None):
    return summarise(plans or [], registered or {}, check_mode=check_mode, failed=failed, error=error)


class FilterModule(object):
    def filters(self):
        return {
            "remediation_requests": remediation_requests,
            "remediation_plan": remediation_plan,
            "remediation_batches": remediation_batches,
            "remediation_report": remediation_report,
        }
