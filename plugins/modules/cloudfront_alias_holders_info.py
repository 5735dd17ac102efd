#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudfront_alias_holders_info
short_description: Ask ListConflictingAliases about a few names, and nothing else
version_added: 0.1.0
description:
  - For each check (an alias and a distribution of this account whose certificate covers it), returns every
    C(ListConflictingAliases) entry, all pages. Ids of other accounts' distributions come back partly hidden.
  - The audit uses it only for names that nothing else can explain - DNS points at a CloudFront name outside the
    audited accounts - so that it never sends one request per alias. For step 1 of a remediation use
    M(aliasguard.cloudfront.cloudfront_alias_conflict_info).
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.aws
options:
  checks:
    description:
      - The questions to ask.
    type: list
    elements: dict
    required: true
    suboptions:
      alias:
        description: The name to ask about.
        type: str
        required: true
      distribution_id:
        description: A distribution of this account with a certificate that covers O(checks[].alias).
        type: str
        required: true
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same way in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: Who holds old.example.com, in any account?
  aliasguard.cloudfront.cloudfront_alias_holders_info:
    checks:
      - alias: old.example.com
        distribution_id: E2ABCDEF012345
"""

RETURN = r"""
holders:
  description: For each alias asked about, the ListConflictingAliases entries (Alias, DistributionId, AccountId).
  returned: always
  type: dict
  sample: {"old.example.com": [{"Alias": "old.example.com", "DistributionId": "*******5PBZ4YV", "AccountId": "********2222"}]}
errors:
  description: For each alias AWS refused to answer about, why.
  returned: always
  type: dict
requests_total:
  description: Requests sent.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import (
    AwsConnection,
    AwsError,
    aws_argument_spec,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    is_distribution_id,
    list_conflicting_aliases,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias, InvalidName


def main():
    argument_spec = aws_argument_spec()
    argument_spec.update(checks=dict(type="list", elements="dict", required=True, options=dict(
        alias=dict(type="str", required=True),
        distribution_id=dict(type="str", required=True),
    )))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[["profile", "access_key"]])
    checks = []
    try:
        for check in module.params["checks"]:
            if not is_distribution_id(check["distribution_id"]):
                module.fail_json(msg="%r is not a CloudFront distribution id" % check["distribution_id"])
            checks.append((Alias.parse(check["alias"]), check["distribution_id"]))
    except InvalidName as exc:
        module.fail_json(msg="Invalid alias: %s" % exc)
    holders, errors = {}, {}
    connection = None
    if checks:
        try:
            connection = AwsConnection(module.params)
            connection.check_credentials()
            client = connection.client("cloudfront")
        except AwsError as exc:
            module.fail_json(msg=str(exc))
        for alias, distribution_id in checks:
            try:
                holders[alias.name] = list_conflicting_aliases(client, distribution_id, alias)
            except AwsError as exc:
                if exc.code not in ("InvalidArgument", "NoSuchDistribution", "AccessDenied"):
                    module.fail_json(msg=str(exc))
                errors[alias.name] = str(exc)
    module.exit_json(changed=False, holders=holders, errors=errors,
                     requests_total=connection.requests.total if connection else 0)


if __name__ == "__main__":
    main()
