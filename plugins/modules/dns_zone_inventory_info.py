#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dns_zone_inventory_info
short_description: Read whole DNS zones at Cloudflare, Google Cloud DNS or an RFC 2136 server for the alias audit
version_added: 0.1.0
description:
  - Reads every record of each zone once - Cloudflare with one zone lookup and the paginated record listing,
    Google Cloud DNS with one managed zone lookup and the paginated record set listing, an RFC 2136 server with one
    TSIG-signed zone transfer (AXFR) - and returns the records an alias audit needs
    (CNAME, A, AAAA, and C(_) TXT records), with whether Cloudflare proxies them.
  - Route 53 zones are read per account by M(aliasguard.cloudfront.cloudfront_alias_inventory_info).
  - With O(zones_file), the zones go to that file and RV(zones) holds only each zone's name, provider, counts and the
    file's path (Ansible keeps every result in the controller's memory and copies it into each process that templates
    it).
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.dns_provider.zone_listing
  - aliasguard.cloudfront.results
options:
  zones:
    description:
      - The zones to read.
    type: list
    elements: str
    required: true
  validate_certs:
    description:
      - Cloudflare and Google Cloud DNS only. Whether to verify the API's TLS certificate.
    type: bool
    default: true
  zones_file:
    description:
      - Write the zones (what RV(zones) holds without this option), as JSON, to this file on the host that runs the
        module (mode 0600, its directory created with mode 0700 if missing; a temporary file renamed over the old one),
        and return their short form in RV(zones).
      - M(aliasguard.cloudfront.alias_audit_report) and the filter
        P(aliasguard.cloudfront.audit_conflict_checks_by_account#filter) read the file when given the short form, on
        the host where they run.
      - The file is written in check mode too - it is where this module hands over what it read. Nobody removes it
        but the caller (the audit playbook removes its own after the report).
    type: path
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same way in check mode (O(zones_file) is written in check mode too).
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
requirements:
  - dnspython >= 2.0 (for rfc2136)
  - google-auth >= 2.0 (for google with a service account key file or application default credentials)
seealso:
  - module: aliasguard.cloudfront.alias_audit_report
"""

EXAMPLES = r"""
- name: Read two Cloudflare zones
  aliasguard.cloudfront.dns_zone_inventory_info:
    provider: cloudflare
    zones: [example.com, example.org]
  register: cloudflare_zones

- name: Transfer a zone from BIND
  aliasguard.cloudfront.dns_zone_inventory_info:
    provider: rfc2136
    server: ns1.example.net
    key_name: audit  # the secret comes from RFC2136_KEY_SECRET in the environment
    zones: [example.net]

- name: Many records - the zones in a file, their short form in the result
  aliasguard.cloudfront.dns_zone_inventory_info:
    provider: cloudflare
    zones: [example.org]
    zones_file: /var/tmp/audit/audit-inventory/dns-cloudflare.json
  register: cloudflare_zones
"""

RETURN = r"""
zones:
  description:
    - Per zone - zone, record_sets (how many there are) and the audited records (provider, zone, name, type, values,
      proxied).
    - With O(zones_file), per zone - provider, zone, record_sets, counts (C(records), how many audited records) and
      file (O(zones_file)); the records are in the file.
  returned: always
  type: list
  elements: dict
  sample:
    - zone: example.org
      record_sets: 42
      records:
      - provider: cloudflare
        zone: example.org
        name: www.example.org
        type: CNAME
        values:
        - d111111abcdef8.cloudfront.net
        proxied: false
requests_total:
  description: Requests sent (the sum of RV(requests)).
  returned: always
  type: int
  sample: 2
requests_lower_bound:
  description: The fewest requests this inventory needs, by operation.
  returned: always
  type: dict
  sample: {"GET /zones": 1, "GET /zones/{zone_id}/dns_records": 1}
requests:
  description: Requests this run sent, by service (retries included), as every module of the collection reports
    them; the service is the provider's name.
  returned: always
  type: dict
  sample: {cloudflare: 2}
resource_actions:
  description: Always empty - zones are read from the DNS provider, never from AWS.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import (
    ZONE_LISTING,
    check_provider_options,
    list_zones,
    provider_argument_spec,
    provider_required_if,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import DnsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
    Cost,
    InventoryFileError,
    write_inventory_file,
    zone_summaries,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, to_ascii


def main():
    spec = provider_argument_spec(ZONE_LISTING)
    spec.update(
        zones=dict(type="list", elements="str", required=True),
        validate_certs=dict(type="bool", default=True),
        zones_file=dict(type="path"),
    )
    module = AliasguardModule(spec, aws=False, required_if=provider_required_if(ZONE_LISTING))
    try:
        params = check_provider_options(module.params, among=ZONE_LISTING)
    except DnsError as exc:
        module.fail_from(exc)
    try:
        zones = [to_ascii(z, what="zone", strict=True) for z in params["zones"]]
    except InvalidName as exc:
        module.fail_json(msg="zones: %s" % exc)
    cost = Cost()
    try:
        result, sent = list_zones(params, zones, cost, warn=module.warn)
    except DnsError as exc:
        module.fail_from(exc)
    module.add_requests(params["provider"], sent)
    if params["zones_file"]:
        try:
            write_inventory_file(params["zones_file"], result, option="zones_file")
        except InventoryFileError as exc:
            module.fail_json(msg=str(exc))
        result = zone_summaries(result, params["zones_file"])
    module.exit_json(changed=False, zones=result, requests_total=sent,
                     requests_lower_bound=cost.lower_bound, requests_lower_bound_total=cost.lower_bound_total)


if __name__ == "__main__":
    main()
