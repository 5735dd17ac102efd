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
      - An option of another provider (O(zone_id) with V(cloudflare), O(server) or O(key_secret) with V(cloudflare),
        O(api_token) with V(rfc2136), and so on) is refused, naming the option, rather than ignored. A value that
        only comes from an environment variable is not refused.
    type: str
    required: true
    choices: [route53, cloudflare, rfc2136]
  zone_id:
    description:
      - Route 53 only. The hosted zone id, needed only when several hosted zones share the zone's name.
    type: str
    aliases: [hosted_zone_id]
  api_token:
    description:
      - Cloudflare only. An API token allowed to read and edit DNS of the zone (Zone:DNS:Edit).
      - Falls back to E(CLOUDFLARE_API_TOKEN), then to E(CLOUDFLARE_TOKEN) (the name other Cloudflare tools read;
        E(CLOUDFLARE_API_TOKEN) wins when both are set) - the way to give it without writing it into a playbook or a
        command line. Never printed.
    type: str
  base_url:
    description:
      - Cloudflare only. The API's base URL, an C(http) or C(https) URL. Falls back to E(CLOUDFLARE_BASE_URL), then
        to C(https://api.cloudflare.com/client/v4).
    type: str
  server:
    description:
      - RFC 2136 only. The primary server that accepts dynamic updates for the zone, by address or host name (a
        name is resolved with the system resolver, and each of its addresses is tried in turn).
      - Falls back to E(RFC2136_SERVER).
    type: str
  port:
    description:
      - RFC 2136 only. The server's DNS port, 1-65535. Falls back to E(RFC2136_PORT), then to 53.
    type: int
  key_name:
    description:
      - RFC 2136 only. The TSIG key's name, as the server knows it. Falls back to E(RFC2136_KEY_NAME).
      - Reads are signed with the key too, so a wrong key is reported before any update is sent.
      - The zone is read with one zone transfer (AXFR) signed with this key, so allow the key to transfer the
        zone (BIND - C(allow-transfer { key "name"; };)). When the server refuses, names are read with one query
        per record type, and a warning says what that read cannot see (answers from a wildcard, rarer types).
    type: str
  key_secret:
    description:
      - RFC 2136 only. The TSIG key's secret (base64). Never printed.
      - Falls back to E(RFC2136_KEY_SECRET), the way to give it without writing it into a playbook or a command
        line (or keep it in a file encrypted with C(ansible-vault)).
    type: str
  key_algorithm:
    description:
      - RFC 2136 only. The TSIG algorithm. Falls back to E(RFC2136_KEY_ALGORITHM), then to C(hmac-sha256).
    type: str
    choices: [hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
"""
