#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dns_cname_verify
short_description: Prove with DNS that aliases reach a CloudFront distribution, waiting for propagation if asked
version_added: 0.1.0
description:
  - Step 4 of the C(CNAMEAlreadyExists) runbook (its C(nslookup)), done so that a cache cannot fool it.
  - Finds the zone's authoritative nameservers (or takes O(nameservers)), asks each one directly, with recursion
    off, for the alias's CNAME, follows the chain itself (each hop asked of its own zone's servers) to the final
    C(*.cloudfront.net) name, and compares it with the target distribution's C(DomainName).
  - A name with no CNAME (a Route 53 alias A/AAAA record at the apex, a flattened or plain address record) answers
    with addresses, and CloudFront's edge addresses are shared by many distributions and change over time, so they
    cannot say which distribution the name reaches. With O(route53_api=auto) the module therefore finds the public
    Route 53 hosted zone of the account that holds the name (C(ListHostedZonesByName), longest match), reads its
    A/AAAA record sets (C(ListResourceRecordSets)) and proves the name when they are alias records whose
    C(AliasTarget.DNSName) is the target's domain name and every authoritative nameserver serves the name (method
    V(route53_alias)).
  - Only when the name is in no Route 53 zone of the account, or Route 53 cannot be asked (no credentials, access
    denied, O(route53_api=never)), are its addresses compared with the target's (method V(addresses)); the
    RV(aliases[].detail) then says that this is weak evidence.
  - A record proxied by Cloudflare answers with Cloudflare's addresses; it is reported as unverifiable by DNS, with
    the reason, rather than guessed.
  - The nameservers must answer authoritatively. A refusal, a SERVFAIL, or an answer without the AA flag (a cache
    or recursive resolver given in O(nameservers)) is reported as V(dns_error) with the reason, never taken for
    "no record".
  - With O(timeout), checks again with backoff until every alias is proved or the time is up. Never changes anything.
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.aws
  - aliasguard.cloudfront.dns_lookup
  - aliasguard.cloudfront.results
options:
  aliases:
    description:
      - The names to prove.
    type: list
    elements: str
    required: true
  target_distribution_id:
    description:
      - The distribution the names must reach; its domain name is read from CloudFront (AWS options).
      - One of O(target_distribution_id), O(target_distribution_tenant_id) and O(target_domain_name) is required.
    type: str
  target_distribution_tenant_id:
    description:
      - The distribution tenant (CloudFront SaaS Manager, C(dt_...)) the names must reach. Its DNS leads to its
        connection group's routing endpoint, read from CloudFront (C(GetDistributionTenant),
        C(GetConnectionGroup)); that C(dXXXX.cloudfront.net) name is what the names are proved against.
    type: str
  target_domain_name:
    description:
      - The target's C(dXXXX.cloudfront.net) name, when the target need not be read from CloudFront.
      - AWS is then only asked (with O(route53_api=auto), when credentials are found) about names without a CNAME;
        set O(route53_api=never) for no AWS request at all.
    type: str
  route53_api:
    description:
      - How to prove a name that has no CNAME.
      - V(auto) reads the name's record from the account's Route 53 hosted zone when AWS credentials are available,
        and compares addresses only for a name that is in no Route 53 zone of the account.
      - V(never) only compares addresses (weak evidence, see above).
    type: str
    choices: [auto, never]
    default: auto
  timeout:
    description:
      - Seconds to keep checking (with backoff from 1 to 30 seconds) until every alias is proved. V(0) checks once.
    type: int
    default: 0
  fail_on_unverified:
    description:
      - Fail when an alias is not proved at the end. Set to V(false) to only report.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same way in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
seealso:
  - module: aliasguard.cloudfront.dns_cname_repoint
  - module: aliasguard.cloudfront.cloudfront_alias_conflict_info
"""

EXAMPLES = r"""
- name: Prove www.example.com reaches the new distribution, waiting up to 5 minutes
  aliasguard.cloudfront.dns_cname_verify:
    aliases: [www.example.com]
    target_distribution_id: E2ABCDEF012345
    timeout: 300

- name: Prove shop.example.com reaches a distribution tenant's routing endpoint
  aliasguard.cloudfront.dns_cname_verify:
    aliases: [shop.example.com]
    target_distribution_tenant_id: dt_2x9GhoK0TZRsohWzv1b9It8J1AB

- name: Ask specific servers (host:port), without AWS access
  aliasguard.cloudfront.dns_cname_verify:
    aliases: [www.example.net]
    target_domain_name: d111111abcdef8.cloudfront.net
    nameservers: ["ns1.example.net", "192.0.2.53:5353"]
    route53_api: never

- name: Prove the apex (a Route 53 alias record) from its hosted zone's record
  aliasguard.cloudfront.dns_cname_verify:
    aliases: [example.com]
    target_distribution_id: E2ABCDEF012345
"""

RETURN = r"""
target_domain_name:
  description: The name every alias must lead to (for a tenant, its connection group's routing endpoint).
  returned: always
  type: str
  sample: d111111abcdef8.cloudfront.net
verified:
  description: Whether every alias was proved.
  returned: always
  type: bool
  sample: true
aliases:
  description: One entry per alias.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: "The alias."
      type: str
      sample: www.example.com
      returned: always
    verified:
      description: "Proved or not."
      type: bool
      sample: true
      returned: always
    outcome:
      description: "V(verified), V(wrong_target), V(no_record), V(unverifiable) (proxied by Cloudflare) or V(dns_error)."
      type: str
      sample: verified
      returned: always
    method:
      description:
        - V(cname_chain) (a CNAME chain followed to its C(*.cloudfront.net) name);
        - V(route53_alias) (no CNAME; the Route 53 record's alias target, and DNS serving the name);
        - V(addresses) (no CNAME and no Route 53 record to read; weak evidence, the detail says why);
        - V(proxied) (Cloudflare's proxy addresses; unverifiable).
      type: str
      sample: cname_chain
      returned: always
    final_name:
      description: "Where the chain ends (for V(route53_alias), the alias target)."
      type: str
      sample: d111111abcdef8.cloudfront.net
      returned: always
    route53:
      description: "For V(route53_alias): the hosted zone (C(zone), C(zone_ids)) and the A/AAAA record sets read
        (C(name), C(type), C(alias_target), C(values)); null otherwise."
      type: dict
      sample:
        zone: example.com
        zone_ids:
        - Z1D633PJN98FT9
        records:
        - name: example.com
          type: A
          alias_target: d111111abcdef8.cloudfront.net
          values:
          - 192.0.2.10
      returned: always
    chain:
      description: "Each hop of the CNAME chain."
      type: list
      elements: dict
      sample:
        - name: www.example.com
          zone: example.com
          cname: d111111abcdef8.cloudfront.net
        - name: d111111abcdef8.cloudfront.net
          cname: null
      returned: always
    nameservers:
      description: "Each nameserver's answer (server, type, rcode, values, cname)."
      type: list
      elements: dict
      sample:
        - server: 205.251.192.1
          type: CNAME
          rcode: NOERROR
          values:
          - d111111abcdef8.cloudfront.net
          cname: d111111abcdef8.cloudfront.net
      returned: always
    detail:
      description: "What was seen, in words (on failure, what was seen instead)."
      type: str
      sample: www.example.com is a CNAME to d111111abcdef8.cloudfront.net on every authoritative nameserver
      returned: always
    elapsed:
      description: "Seconds from the start until this result."
      type: float
      sample: 0.42
      returned: always
    attempts:
      description: "How many times this alias was checked."
      type: int
      sample: 1
      returned: always
requests:
  description: AWS API requests sent, by service.
  returned: always
  type: dict
  sample: {"cloudfront": 1}
resource_actions:
  description: C(service:Operation) of every AWS call sent, sorted (the IAM actions this run needed).
  returned: always
  type: list
  elements: str
  sample: [cloudfront:GetDistribution]
"""

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    InvalidDistributionId,
    require_distribution_id,
    require_tenant_id,
    tenant_routing_endpoint,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, parse_aliases, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._verify import VERIFIED, Route53Records, verify


def main():
    targets = ["target_distribution_id", "target_distribution_tenant_id", "target_domain_name"]
    module = AliasguardModule(
        dict(
            aliases=dict(type="list", elements="str", required=True),
            target_distribution_id=dict(type="str"),
            target_distribution_tenant_id=dict(type="str"),
            target_domain_name=dict(type="str"),
            timeout=dict(type="int", default=0),
            fail_on_unverified=dict(type="bool", default=True),
            route53_api=dict(type="str", default="auto", choices=["auto", "never"]),
        ),
        dns_lookup=True, required_one_of=[targets], mutually_exclusive=[targets])
    params = module.params

    try:
        aliases = [alias.name for alias in parse_aliases(params["aliases"])]
        if not aliases:
            module.fail_json(msg="aliases is empty: give at least one name to verify")
        target_id = params["target_distribution_id"]
        if target_id is not None:
            target_id = require_distribution_id("target_distribution_id", target_id)
        tenant_id = params["target_distribution_tenant_id"]
        if tenant_id is not None:
            tenant_id = require_tenant_id("target_distribution_tenant_id", tenant_id)
        domain = (to_ascii(params["target_domain_name"], what="target_domain_name", strict=True)
                  if params["target_domain_name"] else None)
        if params["timeout"] < 0:
            module.fail_json(msg="timeout must be zero or more seconds")
    except (InvalidName, InvalidDistributionId) as exc:
        module.fail_json(msg=str(exc))
    resolver = module.resolver()

    # AWS is connected to when first needed: not at all for target_domain_name and names with a CNAME.
    connection = module.aws
    if domain is None and tenant_id is not None:
        try:
            unused, domain = tenant_routing_endpoint(connection().client("cloudfront"), tenant_id)
        except AwsError as exc:
            module.fail_from(exc)
    if domain is None:
        try:
            distribution = call("GetDistribution %s" % target_id, connection().client("cloudfront").get_distribution,
                                Id=target_id)["Distribution"]
            domain = distribution["DomainName"].lower().rstrip(".")
        except AwsError as exc:
            module.fail_from(exc)

    route53 = None
    if params["route53_api"] == "auto":
        route53 = Route53Records(lambda: connection().client("route53"))
    results = verify(resolver, aliases, domain, timeout=params["timeout"], route53=route53)
    verified = all(r["outcome"] == VERIFIED for r in results)
    result = dict(changed=False, target_domain_name=domain, verified=verified, aliases=results)
    if not verified and params["fail_on_unverified"]:
        failed = [r for r in results if r["outcome"] != VERIFIED]
        reasons = ["%s (%s): %s" % (r["alias"], r["outcome"], r["detail"]) for r in failed]
        module.fail_json(msg="Not proved: %s" % "; ".join(reasons), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
