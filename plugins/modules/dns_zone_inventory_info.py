#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dns_zone_inventory_info
short_description: Read whole DNS zones at Cloudflare or an RFC 2136 server for the alias audit
version_added: 0.1.0
description:
  - Reads every record of each zone once - Cloudflare with one zone lookup and the paginated record listing,
    an RFC 2136 server with one TSIG-signed zone transfer (AXFR) - and returns the records an alias audit needs
    (CNAME, A, AAAA, and C(_) TXT records), with whether Cloudflare proxies them.
  - Route 53 zones are read per account by M(aliasguard.cloudfront.cloudfront_alias_inventory_info).
author:
  - aliasguard maintainers (@aliasguard)
options:
  provider:
    description:
      - V(cloudflare) uses O(api_token); V(rfc2136) transfers the zones from O(server) (it must allow AXFR for
        the TSIG key).
      - An option of the other provider is refused, naming the option, rather than ignored (a value that only comes
        from an environment variable is not refused).
    type: str
    required: true
    choices: [cloudflare, rfc2136]
  zones:
    description:
      - The zones to read.
    type: list
    elements: str
    required: true
  api_token:
    description:
      - Cloudflare only. A token that can read DNS of the zones. Falls back to E(CLOUDFLARE_API_TOKEN), then to
        E(CLOUDFLARE_TOKEN) (E(CLOUDFLARE_API_TOKEN) wins when both are set).
    type: str
  base_url:
    description:
      - Cloudflare only. The API's base URL, an C(http) or C(https) URL. Falls back to E(CLOUDFLARE_BASE_URL), then
        to C(https://api.cloudflare.com/client/v4).
    type: str
  validate_certs:
    description:
      - Cloudflare only. Whether to verify the API's TLS certificate.
    type: bool
    default: true
  server:
    description:
      - RFC 2136 only. The server to transfer the zones from, by address or host name (each address of a name is
        tried in turn). Falls back to E(RFC2136_SERVER).
    type: str
  port:
    description:
      - RFC 2136 only. Its DNS port, 1-65535. Falls back to E(RFC2136_PORT), then to 53.
    type: int
  key_name:
    description:
      - RFC 2136 only. TSIG key name. Falls back to E(RFC2136_KEY_NAME).
    type: str
  key_secret:
    description:
      - RFC 2136 only. TSIG secret (base64). Falls back to E(RFC2136_KEY_SECRET). Never printed.
    type: str
  key_algorithm:
    description:
      - RFC 2136 only. TSIG algorithm. Falls back to E(RFC2136_KEY_ALGORITHM), then to C(hmac-sha256).
    type: str
    choices: [hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same way in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
requirements:
  - dnspython >= 2.0 (for rfc2136)
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
"""

RETURN = r"""
zones:
  description: Per zone - zone, record_sets (how many there are) and the audited records (provider, zone, name,
    type, values, proxied).
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
  description: Requests sent.
  returned: always
  type: int
  sample: 2
requests_lower_bound:
  description: The fewest requests this inventory needs, by operation.
  returned: always
  type: dict
  sample: {"GET /zones": 1, "GET /zones/{zone_id}/dns_records": 1}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudflare import CloudflareClient
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
    Cost,
    keyring_for,
    list_cloudflare,
    list_rfc2136,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._provider import DnsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._providers import (
    check_provider_options,
    env_fallback_for,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._rfc2136 import TSIG_ALGORITHMS


def _env(option):
    return env_fallback_for(option)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            provider=dict(type="str", required=True, choices=["cloudflare", "rfc2136"]),
            zones=dict(type="list", elements="str", required=True),
            api_token=dict(type="str", no_log=True, fallback=_env("api_token")),
            base_url=dict(type="str", fallback=_env("base_url")),
            validate_certs=dict(type="bool", default=True),
            server=dict(type="str", fallback=_env("server")),
            port=dict(type="int", fallback=_env("port")),
            key_name=dict(type="str", no_log=False, fallback=_env("key_name")),
            key_secret=dict(type="str", no_log=True, fallback=_env("key_secret")),
            key_algorithm=dict(type="str", choices=list(TSIG_ALGORITHMS), fallback=_env("key_algorithm")),
        ),
        required_if=[["provider", "cloudflare", ["api_token"]], ["provider", "rfc2136", ["server"]]],
        supports_check_mode=True,
    )
    try:
        params = check_provider_options(module.params)
        if params["provider"] == "rfc2136" and bool(params["key_name"]) != bool(params["key_secret"]):
            raise DnsError("key_name and key_secret go together (a TSIG key has both); give both, or neither for "
                           "unsigned transfers")
    except DnsError as exc:
        module.fail_json(msg=str(exc))
    try:
        zones = [to_ascii(z, what="zone", strict=True) for z in params["zones"]]
    except InvalidName as exc:
        module.fail_json(msg="zones: %s" % exc)
    cost = Cost()
    try:
        if params["provider"] == "cloudflare":
            client = CloudflareClient(params["api_token"], params["base_url"], validate_certs=params["validate_certs"],
                                      warn=module.warn)
            result = list_cloudflare(client, zones, cost)
            sent = client.requests
        else:
            keyring = keyring_for(params["key_name"], params["key_secret"], params["key_algorithm"])
            result = list_rfc2136(params["server"], params["port"], zones, keyring, params["key_name"],
                                  params["key_algorithm"], cost=cost)
            sent = len(zones)
    except DnsError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, zones=result, requests_total=sent, requests_lower_bound=cost.lower_bound,
                     requests_lower_bound_total=cost.lower_bound_total)


if __name__ == "__main__":
    main()
