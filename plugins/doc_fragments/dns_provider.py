# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Selecting and configuring the DNS provider; the AWS options (aws fragment) serve Route 53.
    DOCUMENTATION = r"""
options:
  provider:
    description:
      - Where the zone is hosted.
      - V(route53) uses the AWS connection options below.
      - V(cloudflare) uses the Cloudflare API v4 with O(api_token).
      - V(rfc2136) sends TSIG-signed dynamic updates (RFC 2136) to O(server); works with BIND, Knot,
        PowerDNS, Windows DNS and others.
    type: str
    required: true
    choices: [route53, cloudflare, rfc2136]
  zone_id:
    description:
      - Route 53 only. The hosted zone id, needed only when several hosted zones share the zone's name.
    type: str
  api_token:
    description:
      - Cloudflare only. An API token allowed to read and edit DNS of the zone (Zone:DNS:Edit).
      - Falls back to E(CLOUDFLARE_API_TOKEN). Never printed.
    type: str
  base_url:
    description:
      - Cloudflare only. The API's base URL. Falls back to E(CLOUDFLARE_BASE_URL).
    type: str
    default: https://api.cloudflare.com/client/v4
  server:
    description:
      - RFC 2136 only. The primary server that accepts dynamic updates for the zone (name or address).
    type: str
  port:
    description:
      - RFC 2136 only. The server's DNS port.
    type: int
    default: 53
  key_name:
    description:
      - RFC 2136 only. The TSIG key's name, as the server knows it.
      - Reads are signed with the key too, so a wrong key is reported before any update is sent.
      - The zone is read with one zone transfer (AXFR) signed with this key, so allow the key to transfer the
        zone (BIND - C(allow-transfer { key "name"; };)). When the server refuses, names are read with one query
        per record type, and a warning says what that read cannot see (answers from a wildcard, rarer types).
    type: str
  key_secret:
    description:
      - RFC 2136 only. The TSIG key's secret (base64). Never printed.
    type: str
  key_algorithm:
    description:
      - RFC 2136 only. The TSIG algorithm.
    type: str
    default: hmac-sha256
    choices: [hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
"""
