# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The options of provider cloudflare (plugins/module_utils/_dns/cloudflare.py).
    # dns_provider.py adds them to every module that takes a provider.
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - Cloudflare only. An API token allowed to read DNS of the zone, and to edit it (Zone:DNS:Edit) where
        records are changed.
      - Falls back to E(CLOUDFLARE_API_TOKEN), then to E(CLOUDFLARE_TOKEN) (the name other Cloudflare tools read;
        E(CLOUDFLARE_API_TOKEN) wins when both are set) - the way to give it without writing it into a playbook or a
        command line. Never printed.
    type: str
  base_url:
    description:
      - Cloudflare only. The API's base URL, an C(http) or C(https) URL. Falls back to E(CLOUDFLARE_BASE_URL), then
        to C(https://api.cloudflare.com/client/v4).
    type: str
"""
