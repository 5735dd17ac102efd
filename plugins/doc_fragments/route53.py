# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The options of provider route53 (plugins/module_utils/_dns/route53.py); the AWS options serve it too.
    # dns_provider.py adds them to every module that takes a provider.
    DOCUMENTATION = r"""
options:
  zone_id:
    description:
      - Route 53 only. The hosted zone id, needed only when several hosted zones share the zone's name.
    type: str
    aliases: [hosted_zone_id]
"""
