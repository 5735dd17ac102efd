# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: dns_zone_sources
author:
  - aliasguard maintainers (@aliasguard)
version_added: 0.1.0
short_description: The DNS zones outside AWS that the audit reads, per DNS provider
description:
  - Without terms, returns one item per DNS provider that can list a whole zone (those
    M(aliasguard.cloudfront.dns_zone_inventory_info) takes, in the collection's registry order) whose variable
    C(<provider>_zones) is a non-empty list, for example C(cloudflare_zones), C(rfc2136_zones) or C(google_zones).
    A provider added to the collection is read the same way, with no change to the playbook.
  - With provider names as terms, returns for each one a mapping of that provider's module options taken from the
    variables C(<provider>_<option>) that are defined (for example C(rfc2136_server) or C(google_project)), to give
    the module through C(module_defaults). Options not given so fall back to their environment variables in the
    module.
  - The items of the first form hold no option values, so a loop over them never shows a secret; the secrets of the
    second form go to the module, which marks them C(no_log).
options:
  _terms:
    description: Provider names, for their options; none for the list of providers with zones to read.
    type: list
    elements: str
    required: false
"""

EXAMPLES = r"""
- name: Read the DNS zones outside AWS, one provider at a time
  aliasguard.cloudfront.dns_zone_inventory_info:
    provider: "{{ item.provider }}"
    zones: "{{ item.zones }}"
  module_defaults:
    group/aliasguard.cloudfront.dns: "{{ lookup('aliasguard.cloudfront.dns_zone_sources', item.provider) }}"
  loop: "{{ query('aliasguard.cloudfront.dns_zone_sources') }}"
  loop_control:
    label: "{{ item.provider }}"
"""

RETURN = r"""
_raw:
  description:
    - Without terms, C([{provider, zones}]) for each provider with zones to read.
    - With terms, one mapping of module options per provider named.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def _zone_listing():
    """(providers that list zones, {provider: its options}) from the registry, imported only when asked."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import PROVIDER_CLASSES, ZONE_LISTING

    return ZONE_LISTING, dict((name, sorted(PROVIDER_CLASSES[name].options)) for name in ZONE_LISTING)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        providers, options = _zone_listing()

        def value(name):
            return self._templar.template(variables[name]) if name in variables else None

        if not terms:
            found = []
            for provider in providers:
                zones = value("%s_zones" % provider)
                if zones in (None, "", []):
                    continue
                if isinstance(zones, str) or not isinstance(zones, (list, tuple)):
                    raise AnsibleLookupError("%s_zones must be a list of zone names, like [example.org], not %r"
                                             % (provider, zones))
                found.append({"provider": provider, "zones": list(zones)})
            return found
        result = []
        for provider in terms:
            if provider not in options:
                raise AnsibleLookupError("%r is not a DNS provider that can list zones: choose one of %s"
                                         % (provider, ", ".join(providers)))
            given = {}
            for option in options[provider]:
                found = value("%s_%s" % (provider, option))
                if found not in (None, ""):
                    given[option] = found
            result.append(given)
        return result
