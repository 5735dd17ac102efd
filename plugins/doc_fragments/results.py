# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # What every module's result carries (plugins/module_utils/_module.py, the module base). RETURN cannot come
    # from a fragment, so each module documents resource_actions itself and these notes say the rest once.
    DOCUMENTATION = r"""
options: {}
notes:
  - Every result, in check mode too, returns C(resource_actions) (the C(service:Operation) of every AWS call sent,
    sorted - the IAM actions the run needed) and C(requests) (the requests sent).
  - A failed result also returns C(error_code) - the AWS or DNS provider error code when one is known, else null -
    and, for an AWS error, C(response_metadata) (C(request_id), C(http_status_code), C(retry_attempts)), the details
    an AWS support case asks for.
"""
