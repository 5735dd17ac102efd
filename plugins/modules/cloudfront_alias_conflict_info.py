#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudfront_alias_conflict_info
short_description: Find which CloudFront distribution holds an alias, and what its DNS says
version_added: 0.1.0
description:
  - Step 1 of the C(CNAMEAlreadyExists) (HTTP 409) runbook, for one or many aliases at once.
  - For each alias it reports every standard distribution and every distribution tenant (CloudFront SaaS
    Manager), in this account or another, that holds the alias or an overlapping one, what the alias's DNS record
    says today
    (asked of the zone's authoritative nameservers, with the CNAME chain followed to the final
    C(*.cloudfront.net) name), a O(ignore:verdict), and the next step in plain words.
  - Holders of an alias that this account's listing does not answer (see below) come from C(ListDomainConflicts),
    which sees standard distributions and distribution tenants alike, where the installed botocore (1.38.4 or
    later) and the endpoint offer it. Otherwise C(ListConflictingAliases)
    is asked, which AWS says "only supports standard distributions", and RV(aliases[].warning) says so and names
    the botocore release that brought C(ListDomainConflicts); this account's own tenants are still read from
    C(ListDistributionTenants).
  - AWS hides part of every holder's ids, this account's too (C(*******5PBZ4YV), C(******111111), the first half
    of a tenant id). A holder whose visible account digits are this account's is this account's, and its id is
    matched against this account's distributions (or tenants, from C(ListDistributionTenants)) by its visible end
    (where exactly one fits), so that this account's resources are reported with their real ids and never as
    another account's.
  - A DNS CNAME to a connection group's routing endpoint (a C(*.cloudfront.net) name that is no distribution of
    this account) is recognised as leading to the tenants of that group (C(ListConnectionGroups)).
  - Read-only, and one read per target when nothing needs fixing. The target is read first, with one
    C(GetDistribution) (C(GetDistributionTenant) and C(GetConnectionGroup) for a tenant). An alias the target
    already holds exactly is not asked about, because CloudFront lets exactly one resource hold a given name,
    and routes a name to the most specific alternate domain name that matches it whichever distribution DNS
    leads to, so a wildcard elsewhere does not take it from the target (AWS CloudFront Developer Guide,
    "Requirements for using alternate domain names"). Its RV(aliases[].holders) is then the target alone.
  - Every other alias is answered from this account's distribution listing (C(ListDistributions), 100 a page)
    when a distribution there holds it exactly - for the same reason, that is its holder, and its verdict, next
    step and move follow from it - and costs one C(ListDomainConflicts) (all pages) otherwise. The listing is read
    page by page, each page once and shared by all aliases, only as far as answers need it. With U aliases not
    on the target still unanswered after k pages, page k+1 is read while k+1 < U, so that the pages never cost
    more than the C(ListDomainConflicts) they may save; this sends fewer than twice the requests of the best
    choice in hindsight between reading on and asking. One alias alone reads no page for this. Pages are read
    too, from where the listing stopped, to name the distribution a DNS answer leads to (an alias's DNS is read
    before it is asked about, so those pages answer it as well), to resolve a holder's hidden id, and the whole
    listing to say which account the credentials reached when the target is not found, or to compare a name's
    addresses with every overlapping holder's. A tenant of this account answers an alias the same way when the
    tenants were listed anyway. C(ListDistributionTenants) and C(ListConnectionGroups) once, only when a tenant
    of this account or an unknown C(*.cloudfront.net) name is met; one C(DescribeCertificate) of the target's
    certificate when some alias is not on the target yet (RV(aliases[].target_certificate)).
  - So an alias on its target whose DNS already leads there costs exactly one request to AWS, however many
    aliases of that target are asked about (the DNS reads go to the zone's nameservers).
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.aws
  - aliasguard.cloudfront.dns_lookup
  - aliasguard.cloudfront.results
options:
  target_distribution_id:
    description:
      - The standard distribution that should receive the aliases (the one the 409 was about).
      - It must be in the account of the credentials, with a certificate that covers the aliases,
        because that is what C(ListDomainConflicts) and C(ListConflictingAliases) require.
      - Exactly one of O(target_distribution_id) and O(target_distribution_tenant_id) is required.
    type: str
  target_distribution_tenant_id:
    description:
      - The distribution tenant (CloudFront SaaS Manager, C(dt_...)) that should receive the aliases as its
        domains, instead of a standard distribution.
      - It must be in the account of the credentials. Its routing endpoint (its connection group's) is
        the name DNS must lead to, and the value of the C(_<alias>) TXT record a move needs.
    type: str
  aliases:
    description:
      - The alternate domain names to look up, for example V(www.example.com) or V(*.example.com).
      - Unicode names are accepted and compared in their punycode form; case and a trailing dot do not matter.
    type: list
    elements: str
    required: true
  dns_lookup:
    description:
      - Also read each alias's DNS record from its authoritative nameservers.
    type: bool
    default: true
  txt_record_names:
    description:
      - Per alias, the name of the TXT record C(AssociateAlias) checks, to report in RV(aliases[].txt_record_name)
        and RV(aliases[].next_step) instead of the derived one. AWS documents C(_<alias>) and no name for a
        wildcard or an apex alias (this collection derives C(_.example.com) there); use this to follow what AWS
        Support tells you.
    type: dict
attributes:
  check_mode:
    support: full
    description: The module never changes anything; it runs the same way in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
seealso:
  - module: aliasguard.cloudfront.dns_cname_repoint
  - module: aliasguard.cloudfront.cloudfront_distribution_alias
  - module: aliasguard.cloudfront.dns_cname_verify
  - name: Requirements for using alternate domain names
    description: AWS CloudFront Developer Guide (one holder per name; the more specific name wins).
    link: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements
  - name: ListConflictingAliases
    description: AWS API reference.
    link: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListConflictingAliases.html
  - name: ListDomainConflicts
    description: AWS API reference.
    link: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListDomainConflicts.html
"""

EXAMPLES = r"""
- name: Who holds www.example.com? (the runbook's step 1)
  aliasguard.cloudfront.cloudfront_alias_conflict_info:
    target_distribution_id: E2ABCDEF012345
    aliases:
      - www.example.com
  register: conflict

- name: A deployment's preflight - one GetDistribution when its aliases are already on it and DNS leads there
  aliasguard.cloudfront.cloudfront_alias_conflict_info:
    target_distribution_id: E2ABCDEF012345
    aliases: [www.example.com, shop.example.com]
  register: preflight

- name: Who holds shop.example.com, for a distribution tenant that should serve it?
  aliasguard.cloudfront.cloudfront_alias_conflict_info:
    target_distribution_tenant_id: dt_2x9GhoK0TZRsohWzv1b9It8J1AB
    aliases: [shop.example.com]

- name: Stop here when another account holds the name
  ansible.builtin.fail:
    msg: "{{ conflict.aliases[0].next_step }}"
  when: conflict.aliases[0].verdict == 'held_other_account'

- name: Audit several names against a local DNS server, credentials from a group default
  module_defaults:
    group/aliasguard.cloudfront.aws:
      profile: production
  aliasguard.cloudfront.cloudfront_alias_conflict_info:
    target_distribution_id: E2ABCDEF012345
    aliases: [www.example.com, "*.example.com", shop.example.com]
    nameservers: ["ns1.example.net", "127.0.0.1:5353"]
"""

RETURN = r"""
account_id:
  description: The AWS account of the credentials (read from the target's ARN).
  returned: always
  type: str
  sample: "111111111111"
target:
  description: The target distribution, or the target distribution tenant (then with C(resource_type)
    V(distribution-tenant), C(name), C(routing_endpoint), C(connection_group_id) and
    C(multi_tenant_distribution_id); C(domain_name) is its routing endpoint and C(aliases) its domains).
  returned: always
  type: dict
  contains:
    id:
      description: "Distribution id."
      type: str
      sample: E2QWRUHEXAMPLE
      returned: always
    domain_name:
      description: "Its C(*.cloudfront.net) name."
      type: str
      sample: d111111abcdef8.cloudfront.net
      returned: always
    status:
      description: "C(InProgress) or C(Deployed)."
      type: str
      sample: Deployed
      returned: always
    enabled:
      description: "Whether it is enabled."
      type: bool
      sample: true
      returned: always
    aliases:
      description: "Its aliases."
      type: list
      elements: str
      sample: ["static.example.com"]
      returned: always
aliases:
  description: One entry per alias asked about, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias, normalised (lowercase, punycode, no trailing dot).
      type: str
      returned: always
      sample: www.example.com
    alias_unicode:
      description: The alias in its readable (unicode) form, for reports.
      type: str
      returned: always
      sample: bücher.example.com
    verdict:
      description:
        - V(free) nothing holds the alias and DNS does not point at another distribution;
        - V(on_target) the target already holds it;
        - V(held_in_account) another distribution of this account holds it (it can be moved);
        - V(held_other_account) a distribution in another account holds it;
        - V(dns_points_elsewhere) no distribution holds it, but its DNS CNAME points at another
          distribution, so CloudFront still refuses it.
      type: str
      returned: always
      sample: held_in_account
    next_step:
      description: What to do next, in plain words.
      type: str
      sample: >-
        Move it with aliasguard.cloudfront.cloudfront_distribution_alias (state=moved) after pointing DNS at
        d111111abcdef8.cloudfront.net and creating the TXT record _www.example.com
      returned: always
    holders:
      description:
        - Distributions and distribution tenants holding this alias or an overlapping one (wildcards), target
          included.
        - For an alias the target already holds exactly (RV(aliases[].verdict=on_target)), the target alone. No
          conflict query is sent for it, since nothing else can hold the name or take it from the target.
        - For an alias another distribution (or tenant) of this account holds exactly, read from the account's
          listing without a conflict query (see the description), that holder and this account's names that
          overlap the alias. Wildcards held in other accounts are not listed then; they change no verdict, next
          step or move, because the exact name wins over them.
      type: list
      elements: dict
      returned: always
      contains:
        alias:
          description: "The alias as held (may be a wildcard)."
          type: str
          sample: www.example.com
          returned: always
        distribution_id:
          description: "The id (a tenant's id for a tenant): the real one for this account's resources, else partly
            hidden (leading C(*))."
          type: str
          sample: E1OLDEXAMPLE00
          returned: always
        resource_type:
          description: "V(distribution) (a standard distribution) or V(distribution-tenant)."
          type: str
          sample: distribution
          returned: always
        distribution_tenant_id:
          description: "For a tenant, its id (as RV(aliases[].holders[].distribution_id))."
          type: str
          sample: dt_2wjDZi3hD1ivOXf6rpZJOSNE1AB
          returned: when resource_type is distribution-tenant
        name:
          description: "For a tenant of this account, its name."
          type: str
          sample: customer-a
          returned: when a tenant of this account
        multi_tenant_distribution_id:
          description: "For a tenant of this account, its multi-tenant distribution."
          type: str
          sample: E1MTDEXAMPLE01
          returned: when a tenant of this account
        connection_group_id:
          description: "For a tenant of this account, its connection group."
          type: str
          sample: cg_2wjDWTBKTlRB87cAaUQFaakFaAb
          returned: when a tenant of this account
        routing_endpoint:
          description: "For a tenant of this account, its connection group's routing endpoint (where its DNS leads)."
          type: str
          sample: d2x0gz5mabcde.cloudfront.net
          returned: when a tenant of this account
        account_id:
          description: "The account: this account's id when the visible digits are its, else partly hidden."
          type: str
          sample: "111111111111"
          returned: always
        masked:
          description: "Whether AWS hides part of the ids in its conflict answers (it hides every holder's, this
            account's too, and a holder read from this account's listing is reported the same way); V(false) for
            the target read directly."
          type: bool
          sample: true
          returned: always
        in_account:
          description: "Whether the distribution is in the caller's account."
          type: bool
          sample: true
          returned: always
        overlap:
          description: "V(exact), V(wildcard) (a wildcard covering the alias) or V(covered) (a name under a wildcard asked about)."
          type: str
          sample: exact
          returned: always
        domain_name:
          description: "In-account holders only: the distribution's C(*.cloudfront.net) name, or a tenant's
            routing endpoint."
          type: str
          sample: d2222222abcdef.cloudfront.net
          returned: when in_account
        status:
          description: "In-account holders only."
          type: str
          sample: Deployed
          returned: when in_account
        enabled:
          description: "In-account holders only."
          type: bool
          sample: true
          returned: when in_account
        aliases:
          description: "In-account holders only."
          type: list
          elements: str
          sample: ["www.example.com", "old.example.com"]
          returned: when in_account
    dns:
      description: What DNS says today, or null when O(dns_lookup=false).
      type: dict
      returned: always
      contains:
        name:
          description: "The name that was looked up (the alias)."
          type: str
          sample: www.example.com
          returned: always
        zone:
          description: "The DNS zone that holds the name (from its authoritative nameservers' SOA), or null when
            it could not be found."
          type: str
          sample: example.com
          returned: always
        type:
          description: "V(CNAME), V(A/AAAA) (an alias, flattened or plain address record) or null when there is no record."
          type: str
          sample: CNAME
          returned: always
        values:
          description: "The record's values."
          type: list
          elements: str
          sample: ["d2222222abcdef.cloudfront.net"]
          returned: always
        chain:
          description: "The CNAME chain as followed, hop by hop."
          type: list
          elements: dict
          sample:
            - name: www.example.com
              zone: example.com
              cname: d2222222abcdef.cloudfront.net
              servers:
              - server: 205.251.192.1
                cname: d2222222abcdef.cloudfront.net
                rcode: NOERROR
            - name: d2222222abcdef.cloudfront.net
              cname: null
              servers: []
          returned: always
        final_name:
          description: "Where the chain ends."
          type: str
          sample: d2222222abcdef.cloudfront.net
          returned: always
        points_to:
          description:
            - The distribution the name reaches, when it is one (by its C(*.cloudfront.net) name or its addresses).
            - Its C(via) is V(CNAME) for a direct CNAME (the only kind CloudFront's own check refuses),
              V(CNAME chain) when other names lie in between, or V(addresses).
            - V(addresses) is only a guess, and C(guess) is then V(true). A name without a CNAME (a Route 53 alias
              record at the apex, a flattened record) answers with addresses, and CloudFront's edge addresses are
              shared by many distributions and change over time, so a match does not prove which distribution the
              record names. C(matching_distributions) lists every distribution (the target and the holders) whose
              addresses match; when more than one does, C(distribution_id) and C(domain_name) are null and
              C(is_target) is V(false). Read the record at the DNS provider to be sure, or prove it with
              M(aliasguard.cloudfront.dns_cname_verify), which reads a Route 53 alias record's target.
            - When the name is a connection group's routing endpoint, C(resource_type) is V(connection-group),
              with C(connection_group_id), C(connection_group_name) and C(distribution_tenant_ids) (the tenants
              it leads to); C(is_target) is V(true) when the target is a tenant of that group. For a tenant
              target's own routing endpoint the tenants are not listed for it, and C(distribution_tenant_ids)
              names the target (all of the group's tenants when this run listed them anyway).
            - For a CNAME, C(every_nameserver) is V(true) when every authoritative nameserver of every name in the
              chain answered, all with the same CNAME - what M(aliasguard.cloudfront.dns_cname_verify) proves.
          type: dict
          sample:
            distribution_id: E1OLDEXAMPLE00
            domain_name: d2222222abcdef.cloudfront.net
            via: CNAME
            is_target: false
            guess: false
            every_nameserver: true
          returned: always
        error:
          description: "Why DNS could not be read, if it could not."
          type: str
          sample: null
          returned: always
    txt_record_name:
      description:
        - The TXT record C(AssociateAlias) requires to move this alias, whose value must be the target's
          domain name.
        - C(_<alias>); for a wildcard C(*.example.com) it is C(_.example.com), and for an alias at the apex of
          its zone C(_.<alias>) (C(_example.com) would lie outside the zone example.com).
        - The zone is the one RV(aliases[].dns.zone) names. When it is not known (O(dns_lookup=false), or DNS
          could not be read) an apex alias cannot be recognised and C(_<alias>) is given; RV(aliases[].next_step)
          then names both forms.
        - O(txt_record_names) replaces it.
      type: str
      returned: always
      sample: _www.example.com
    target_certificate:
      description:
        - For an alias the target does not hold yet, whether the target's certificate covers it (C(covers) V(true),
          V(false), or V(null) when it cannot be read here) and why (C(detail)). The remediation role refuses,
          before changing anything, an alias the certificate does not cover.
      type: dict
      returned: when the verdict is not on_target
      sample: {covers: true, detail: "the certificate arn:aws:acm:us-east-1:111111111111:certificate/1 covers www.example.com"}
    txt_record:
      description:
        - For an alias already on the target, the TXT record RV(aliases[].txt_record_name) as the zone's
          authoritative nameservers serve it (C(name), C(values), C(error)). A value that is the target's domain
          name is a move's proof left behind by an earlier run that was stopped; the remediation role removes it.
      type: dict
      returned: when the verdict is on_target and O(dns_lookup=true)
      sample: {name: _www.example.com, values: [], error: null}
    warning:
      description: Set when C(ListDomainConflicts) was not available (so C(ListConflictingAliases), which does not
        see tenants, was asked), or when AWS refused the question, so only this account could be checked.
      type: str
      sample: >-
        ListDomainConflicts is not available in this botocore (it came with botocore 1.38.4); ListConflictingAliases
        was asked, which only supports standard distributions
      returned: when ListDomainConflicts was not asked or AWS refused the question
conflicts:
  description: How many aliases are neither V(free) nor V(on_target).
  returned: always
  type: int
  sample: 1
requests:
  description: AWS API requests this run sent, by service (retries included).
  returned: always
  type: dict
  sample: {cloudfront: 1}
resource_actions:
  description: C(service:Operation) of every AWS call sent, sorted (the IAM actions this run needed).
  returned: always
  type: list
  elements: str
  sample: [cloudfront:GetDistribution, cloudfront:ListDomainConflicts]
"""

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    InvalidDistributionId,
    require_distribution_id,
    require_tenant_id,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._conflicts import (
    FREE,
    ON_TARGET,
    TargetNotFound,
    find_conflicts,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    InvalidName,
    parse_aliases,
    to_ascii,
)


def main():
    module = AliasguardModule(
        dict(
            target_distribution_id=dict(type="str"),
            target_distribution_tenant_id=dict(type="str"),
            aliases=dict(type="list", elements="str", required=True),
            dns_lookup=dict(type="bool", default=True),
            txt_record_names=dict(type="dict"),
        ),
        dns_lookup=True,
        mutually_exclusive=[["target_distribution_id", "target_distribution_tenant_id"]],
        required_one_of=[["target_distribution_id", "target_distribution_tenant_id"]])
    params = module.params

    # Everything that can be checked without asking AWS is checked first.
    try:
        target_id = tenant_id = None
        if params["target_distribution_tenant_id"] is not None:
            tenant_id = require_tenant_id("target_distribution_tenant_id", params["target_distribution_tenant_id"])
        else:
            target_id = require_distribution_id("target_distribution_id", params["target_distribution_id"])
    except InvalidDistributionId as exc:
        module.fail_json(msg=str(exc))
    if not params["aliases"]:
        module.fail_json(msg="aliases is empty: give at least one alternate domain name, like www.example.com")
    try:
        aliases = parse_aliases(params["aliases"])
    except InvalidName as exc:
        module.fail_json(msg="Invalid alias: %s" % exc)
    try:
        txt_names = dict((Alias.parse(k).name, to_ascii(str(v), allow_underscore=True, what="TXT record name"))
                         for k, v in (params["txt_record_names"] or {}).items())
    except InvalidName as exc:
        module.fail_json(msg="txt_record_names: %s" % exc)
    resolver = module.resolver() if params["dns_lookup"] else None
    try:
        connection = module.aws()
        cloudfront = connection.client("cloudfront")
        index, target, results = find_conflicts(cloudfront, resolver, target_id, aliases, txt_names,
                                                lambda: connection.client("acm", region="us-east-1"),
                                                target_tenant_id=tenant_id)
    except (TargetNotFound, AwsError) as exc:
        module.fail_from(exc)

    module.exit_json(
        changed=False,
        account_id=index.account_id,
        target=target.to_result(),
        aliases=results,
        conflicts=sum(1 for r in results if r["verdict"] not in (FREE, ON_TARGET)),
    )


if __name__ == "__main__":
    main()
