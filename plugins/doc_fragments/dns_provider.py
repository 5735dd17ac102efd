# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The option that selects a DNS provider, followed by the options of every registered provider.

Each provider documents its own options in its own fragment (plugins/doc_fragments/<provider>.py, named like the
provider); this fragment joins them in the order of the registry (plugins/module_utils/_dns/__init__.py), so a new
provider's options reach every module that takes a provider without touching the modules.
``DOCUMENTATION`` holds all providers (dns_cname_repoint); ``ZONE_LISTING`` those that can list a whole zone for
the audit (dns_zone_inventory_info).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

import yaml

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import PROVIDERS, ZONE_LISTING

_PROVIDER = r"""
options:
  provider:
    description:
      - Where the zone is hosted, by the name of its provider (for example V(route53), V(cloudflare) or V(rfc2136));
        another name is refused, listing the providers there are.
      - Each provider's own options below start with its name (C(Route 53 only), C(Cloudflare only), ...). V(route53)
        also uses the AWS connection options.
      - An option of another provider (O(api_token) with V(rfc2136), O(server) with V(cloudflare), and so on) is
        refused, naming the option, rather than ignored. A value that only comes from an environment variable is not
        refused.
    type: str
    required: true
"""


def _joined(providers):
    doc = yaml.safe_load(_PROVIDER)
    for name in providers:
        fragment = importlib.import_module("ansible_collections.aliasguard.cloudfront.plugins.doc_fragments.%s" % name)
        doc["options"].update(yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"])
    return yaml.safe_dump(doc, default_flow_style=False, sort_keys=False)


class ModuleDocFragment(object):
    """DOCUMENTATION and ZONE_LISTING are joined below, from the registry."""


# Set after the class, not in its body: ansible-test's yamllint reads a fragment's class body as literal strings,
# and these are composed (each piece is a literal string it checks in its own fragment file).
ModuleDocFragment.DOCUMENTATION = _joined(PROVIDERS)
ModuleDocFragment.ZONE_LISTING = _joined(ZONE_LISTING)
