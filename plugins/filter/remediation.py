# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the cname_remediation role decides with; the logic lives in plugin_utils/_remediation.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils._remediation import (
    KNOWN_PROVIDERS,
    RemediationInputError,
    batches,
    is_provider,
    plan_remediation,
    registered_providers,
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


def remediation_batches(plans, step, created_by=None, repointed=None, handed_over=None, wait_deployed=True):
    try:
        # wait_deployed comes from a role variable, which -e can make a string ("false").
        return batches(plans or [], step, created_by, repointed, handed_over, boolean(wait_deployed, strict=False))
    except RemediationInputError as exc:
        raise AnsibleFilterError(str(exc))


def _given(value):
    # An option left to its default: empty, or ansible-core's omit placeholder (2.16 passes it into filters).
    return value not in (None, "") and not (isinstance(value, str) and value.startswith("__omit_place_holder__"))


def remediation_dns_options(dns=None, cloudflare_api_token=None, cloudflare_base_url=None, rfc2136=None):
    """Per DNS provider, the options its dns_cname_repoint calls take (module_defaults group/aliasguard.cloudfront.dns).

    ``dns`` is cname_remediation_dns: one mapping of a provider's options, with ``provider`` saying whose. The older
    variables (cname_remediation_cloudflare_api_token and _base_url, cname_remediation_rfc2136) fill in what it does
    not give. Each provider gets only its own options: dns_cname_repoint refuses another provider's.
    """
    dns = dict(dns or {})
    if not isinstance(rfc2136 if rfc2136 is not None else {}, dict):
        raise AnsibleFilterError("cname_remediation_rfc2136 must be a mapping (server, port, key_name, key_secret, "
                                 "key_algorithm), not %r" % (rfc2136,))
    # Every provider known without importing the registry (a DNS task's options are looked up by its provider's
    # name, with {} for one that is not here); the registry is asked only about a name this list lacks.
    options = dict((name, {}) for name in KNOWN_PROVIDERS)
    # The older variables, for the providers they were made for.
    options["cloudflare"] = {"api_token": cloudflare_api_token, "base_url": cloudflare_base_url}
    options["rfc2136"] = dict(rfc2136 or {})
    provider = dns.pop("provider", None)
    if provider is not None and not is_provider(provider):
        raise AnsibleFilterError("cname_remediation_dns: unknown provider %r; choose one of %s"
                                 % (provider, ", ".join(registered_providers())))
    if dns and provider is None:
        raise AnsibleFilterError("cname_remediation_dns needs provider: %s, to say whose options %s %s"
                                 % (" | ".join(registered_providers()), "these are:" if len(dns) > 1 else "this is:",
                                    ", ".join(sorted(dns))))
    if provider:
        options.setdefault(provider, {}).update(dict((key, value) for key, value in dns.items() if _given(value)))
    return dict((name, dict((key, value) for key, value in given.items() if _given(value)))
                for name, given in options.items())


def remediation_report(plans, registered=None, check_mode=False, failed=False, error=None):
    return summarise(plans or [], registered or {}, check_mode=check_mode, failed=failed, error=error)


class FilterModule(object):
    def filters(self):
        return {
            "remediation_requests": remediation_requests,
            "remediation_plan": remediation_plan,
            "remediation_batches": remediation_batches,
            "remediation_report": remediation_report,
            "remediation_dns_options": remediation_dns_options,
        }
