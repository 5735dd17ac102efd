# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # How modules read DNS: from the zone's authoritative nameservers, never a cache.
    DOCUMENTATION = r"""
options:
  nameservers:
    description:
      - The nameservers to ask, as C(host) or C(host:port) (C([v6addr]:port) for IPv6). A host is an address or a
        name (V(ns1.example.net), V(localhost:5353)); a name is resolved with the system resolver and every address
        it has is asked. A name that does not resolve fails the module before anything is asked, naming it.
      - When not given, the zone's own authoritative nameservers are found through the public DNS
        (the SOA and NS records) and each one is asked directly, with recursion off.
    type: list
    elements: str
  dns_timeout:
    description:
      - Seconds to wait for one DNS answer before retrying (two retries).
    type: float
    default: 3.0
requirements:
  - dnspython >= 2.0
"""
