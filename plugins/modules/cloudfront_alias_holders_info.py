#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudfront_alias_holders_info
short_description: Ask AWS who holds a few names, in any account, and nothing else
version_added: 0.1.0
description:
  - For each check (a name and a distribution of this account whose certificate covers it), returns every
    distribution (and distribution tenant) in any account that holds the name or a wildcard covering it, all pages.
    Ids of other accounts' resources come back partly hidden.
  - Asks C(ListDomainConflicts), which sees standard distributions and distribution tenants; where the endpoint or
    the IAM policy does not offer it, C(ListConflictingAliases) (standard distributions only) instead. See
    O(conflict_api).
  - The audit uses it only for names that nothing else can explain - DNS leads to CloudFront but no audited
    distribution holds the name - so that it never sends one request per alias. An empty answer proves that
    nobody holds the name. For step 1 of a remediation use M(aliasguard.cloudfront.cloudfront_alias_conflict_info).
  - Before asking, checks with DNS whether each O(checks[].target) exists. Only an authoritative answer counts
    (CloudFront's own nameservers, found through the public DNS, or O(nameservers)); a resolver's answer proves
    nothing, and a name no nameserver answered for is reported as unknown in RV(targets), never as missing.
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.aws
  - aliasguard.cloudfront.dns_lookup
  - aliasguard.cloudfront.results
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
          - The C(*.cloudfront.net) name the alias's DNS points at, when it is not a distribution of the audited
            accounts. When CloudFront's nameservers answer that it does not exist (NXDOMAIN), the question is not
            asked (the name is dangling whoever holds it) and the alias is listed in RV(not_asked).
        type: str
  conflict_api:
    description:
      - V(auto) asks C(ListDomainConflicts) and, if it is not available (an endpoint without it, or an IAM policy
        that only allows the older call), C(ListConflictingAliases) from then on.
      - V(ListDomainConflicts) or V(ListConflictingAliases) asks only that one.
    type: str
    default: auto
    choices: [auto, ListDomainConflicts, ListConflictingAliases]
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
        target: d111111abcdef8.cloudfront.net
"""

RETURN = r"""
holders:
  description:
    - For each alias asked about, the holders AWS listed (C(Alias), C(DistributionId), C(AccountId), and with
      C(ListDomainConflicts) C(ResourceType)). An empty list means nobody holds it.
  returned: always
  type: dict
  sample: {"old.example.com": [{"Alias": "old.example.com", "DistributionId": "*******5PBZ4YV", "AccountId": "******222222"}]}
errors:
  description: For each alias AWS refused to answer about, why.
  returned: always
  type: dict
  sample:
    shop.example.com: 'ListDomainConflicts failed: AccessDenied: User is not authorized to perform cloudfront:ListDomainConflicts'
apis:
  description: For each alias asked about, the operation that answered.
  returned: always
  type: dict
  sample: {"old.example.com": ListDomainConflicts}
not_asked:
  description:
    - Aliases not asked about because their DNS target does not exist. (It was called C(skipped), a key that made
      Ansible show the task as skipped.)
  returned: always
  type: list
  elements: str
  sample: ["gone.example.com"]
targets:
  description:
    - For each O(checks[].target), whether it exists - C(exists) true, false, or null when no nameserver answered
      authoritatively - and C(detail), what was answered or why nothing was.
  returned: always
  type: dict
  sample: {"d111111abcdef8.cloudfront.net": {"exists": null, "detail": "none of the nameservers given answered ..."}}
dns:
  description: How the DNS checks went - checked, exist, missing, unknown, nameservers, problem.
  returned: always
  type: dict
  sample: {"checked": 3, "exist": 2, "missing": 1, "unknown": 0, "nameservers": ["192.0.2.53"], "problem": null}
notes:
  description: What the module had to do differently, for example asking C(ListConflictingAliases) instead.
  returned: always
  type: list
  elements: str
  sample:
    - ListDomainConflicts is not available in this botocore; ListConflictingAliases was asked, which does not see distribution
      tenants
asked:
  description: How many aliases were asked about.
  returned: always
  type: int
  sample: 2
requests_total:
  description: Requests sent.
  returned: always
  type: int
  sample: 3
requests:
  description: The AWS requests of this run, by service (retries included); C(requests_total) is their sum.
  returned: always
  type: dict
  sample: {cloudfront: 3}
resource_actions:
  description: C(service:Operation) of every AWS call sent, sorted (the IAM actions this run needed).
  returned: always
  type: list
  elements: str
  sample: [cloudfront:ListDomainConflicts]
"""

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit_checks import (
    LIST_CONFLICTING_ALIASES,
    LIST_DOMAIN_CONFLICTS,
    HolderAsker,
    TargetChecker,
    is_refusal,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    InvalidDistributionId,
    require_distribution_id,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias, InvalidName, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import ResolverError


def main():
    module = AliasguardModule(dict(
        checks=dict(type="list", elements="dict", required=True, options=dict(
            alias=dict(type="str", required=True),
            distribution_id=dict(type="str", required=True),
            target=dict(type="str"),
        )),
        conflict_api=dict(type="str", default="auto", choices=["auto", LIST_DOMAIN_CONFLICTS, LIST_CONFLICTING_ALIASES]),
    ), dns_lookup=True)
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

    # A target proved not to exist makes the name dangling whoever holds it: no need to ask AWS.
    try:
        checker = TargetChecker(module.params["nameservers"], timeout=module.params["dns_timeout"])
    except ResolverError as exc:
        module.fail_json(msg="nameservers: %s" % exc)
    targets = dict((t, checker.check(t)) for t in sorted(set(t for unused, unused2, t in checks if t)))
    missing = set(t for t, answer in targets.items() if answer["exists"] is False)
    not_asked = sorted(a.name for a, unused, t in checks if t in missing)
    checks = [c for c in checks if c[2] not in missing]

    holders, errors, apis, notes = {}, {}, {}, []
    if checks:
        try:
            asker = HolderAsker(module.aws().client("cloudfront"), module.params["conflict_api"])
        except AwsError as exc:
            module.fail_from(exc)
        for alias, distribution_id, unused in checks:
            try:
                holders[alias.name], apis[alias.name] = asker.holders(alias, distribution_id)
            except AwsError as exc:
                if not is_refusal(exc):
                    module.fail_from(exc)
                errors[alias.name] = str(exc)
        notes = asker.notes
    module.exit_json(changed=False, holders=holders, errors=errors, apis=apis, not_asked=not_asked, targets=targets,
                     dns=checker.summary(), notes=notes, asked=len(checks),
                     requests_total=module.aws_connection.requests.total if module.aws_connection else 0)


if __name__ == "__main__":
    main()
