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
  - aliasguard.cloudfront.dns_lookup
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
      target:
        description:
          - The C(*.cloudfront.net) name the alias's DNS points at. When DNS says it does not exist (NXDOMAIN), the
            question is not asked (the name is dangling whoever holds it) and the alias is listed in RV(skipped).
        type: str
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
skipped:
  description: Aliases not asked about because their DNS target does not exist.
  returned: always
  type: list
  elements: str
asked:
  description: How many aliases were asked about.
  returned: always
  type: int
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
    InvalidDistributionId,
    list_conflicting_aliases,
    require_distribution_id,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias, InvalidName, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import (
    AuthoritativeResolver,
    ResolverError,
)


def main():
    argument_spec = aws_argument_spec()
    argument_spec.update(
        checks=dict(type="list", elements="dict", required=True, options=dict(
            alias=dict(type="str", required=True),
            distribution_id=dict(type="str", required=True),
            target=dict(type="str"),
        )),
        nameservers=dict(type="list", elements="str"),
        dns_timeout=dict(type="float", default=3.0),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[["profile", "access_key"]])
    if module.params["dns_timeout"] <= 0:
        module.fail_json(msg="dns_timeout must be a positive number of seconds, not %s" % module.params["dns_timeout"])
    checks = []
    try:
        for check in module.params["checks"]:
            distribution_id = require_distribution_id("checks[].distribution_id", check["distribution_id"])
            target = to_ascii(check["target"], what="target") if check.get("target") else None
            checks.append((Alias.parse(check["alias"]), distribution_id, target))
    except InvalidDistributionId as exc:
        module.fail_json(msg=str(exc))
    except InvalidName as exc:
        module.fail_json(msg="Invalid alias: %s" % exc)
    skipped = []
    if any(target for unused, unused2, target in checks):
        try:
            resolver = AuthoritativeResolver(module.params["nameservers"], timeout=module.params["dns_timeout"])
        except ResolverError as exc:
            module.fail_json(msg=str(exc))
        missing = set(t for unused, unused2, t in checks if t and not target_exists(resolver, t))
        skipped = sorted(a.name for a, unused, t in checks if t in missing)
        checks = [c for c in checks if c[2] not in missing]
    holders, errors = {}, {}
    connection = None
    if checks:
        try:
            connection = AwsConnection(module.params)
            connection.check_credentials()
            client = connection.client("cloudfront")
        except AwsError as exc:
            module.fail_json(msg=str(exc))
        for alias, distribution_id, unused in checks:
            try:
                holders[alias.name] = list_conflicting_aliases(client, distribution_id, alias)
            except AwsError as exc:
                if exc.code not in ("InvalidArgument", "NoSuchDistribution", "AccessDenied"):
                    module.fail_json(msg=str(exc))
                errors[alias.name] = str(exc)
    module.exit_json(changed=False, holders=holders, errors=errors, skipped=skipped, asked=len(checks),
                     requests_total=connection.requests.total if connection else 0)


def target_exists(resolver, name):
    """False only when DNS says for sure that the CloudFront name does not exist."""
    if resolver.explicit:
        answer = resolver.lookup(resolver.explicit[0], name, "A")
        return answer.error is not None or answer.rcode != "NXDOMAIN"
    try:
        import dns.resolver  # present: AuthoritativeResolver needs dnspython

        dns.resolver.resolve(name + ".", "A")
    except dns.resolver.NXDOMAIN:
        return False
    except Exception:  # any other failure proves nothing: ask AWS
        return True
    return True


if __name__ == "__main__":
    main()
