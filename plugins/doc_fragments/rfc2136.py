# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The options of provider rfc2136 (plugins/module_utils/_dns/rfc2136.py).
    # dns_provider.py adds them to every module that takes a provider.
    DOCUMENTATION = r"""
options:
  server:
    description:
      - RFC 2136 only. The primary server of the zone, by address or host name (a name is resolved with the system
        resolver, and each of its addresses is tried in turn). It takes the dynamic updates, and answers the zone
        transfers (AXFR) the audit reads zones with.
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
        zone (BIND - C(allow-transfer { key "name"; };)). When the server refuses, M(aliasguard.cloudfront.dns_cname_repoint)
        reads names with one query per record type, and a warning says what that read cannot see (answers from a
        wildcard, rarer types); the audit's zone inventory needs the transfer.
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
