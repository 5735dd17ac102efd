#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudfront_distribution_alias
short_description: Add, remove or move aliases (CNAMEs) on a CloudFront distribution or tenant, and nothing else
version_added: 0.1.0
description:
  - Step 3 of the C(CNAMEAlreadyExists) runbook.
  - V(present) adds the aliases, V(absent) removes them, V(moved) moves them to this distribution (or
    distribution tenant) from wherever they are, in one step, so the name is never unserved.
  - The target is a standard distribution (O(distribution_id)) or a distribution tenant of a multi-tenant
    distribution (O(distribution_tenant_id), CloudFront SaaS Manager), whose C(Domains) are its aliases. Those are
    changed with C(UpdateDistributionTenant) and C(If-Match) the same way (read again on C(PreconditionFailed),
    never overwriting a concurrent edit). A tenant keeps at least one and at most 5 domains; anything else is
    refused before calling AWS.
  - A move uses C(AssociateAlias) between standard distributions (no ETag to race on), and
    C(UpdateDomainAssociation) (with the target's ETag) wherever a tenant is the source or the target, because
    AWS says C(AssociateAlias) "only supports standard distributions". To a tenant from an enabled holder in
    another account, which C(UpdateDomainAssociation) refuses, it uses C(OnDomainTakeover=allow), and CloudFront moves
    the domain once its DNS CNAME names the tenant's routing endpoint. RV(moved[].operation) and RV(moved[].why)
    say which call and why, in check mode too; O(move_with) overrides the choice.
  - Only the named aliases change; the rest of the configuration is sent back exactly as read. Every update
    reads the configuration and its ETag and sends C(If-Match); when someone else changed the distribution
    in between (C(PreconditionFailed)), it reads again and re-applies only the alias change, up to
    O(max_precondition_retries) times, so a concurrent edit is never overwritten.
  - Before calling AWS it refuses, with a message that says what to do, an alias that the distribution's
    certificate does not cover (when the ACM certificate can be read) and, when O(alias_quota) is given, more
    aliases than that. AWS refusals (C(CNAMEAlreadyExists), C(IllegalUpdate), C(InvalidViewerCertificate),
    C(TooManyDistributionCNAMEs)) come back with the holder when it is known and the next step.
  - AWS hides part of every holder's ids (C(*******5PBZ4YV)), this account's too; a holder whose visible account
    digits are this account's is reported as this account's, with its real id.
  - With O(release_from), O(state=present) hands aliases over from other distributions of this account - see
    O(release_from).
  - When something fails after AWS accepted the change (for example waiting for C(Deployed) is throttled), or
    after some moves of several, the result still reports what was changed (C(changed), RV(aliases),
    RV(added), RV(removed), RV(moved)) and the message says so.
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.aws
  - aliasguard.cloudfront.results
options:
  distribution_id:
    description:
      - The standard distribution to change (the target of a move).
      - Exactly one of O(distribution_id) and O(distribution_tenant_id) is required.
    type: str
  distribution_tenant_id:
    description:
      - The distribution tenant (C(dt_...)) to change instead of a standard distribution (the target of a move).
    type: str
  move_with:
    description:
      - With O(state=moved), the call that moves each alias.
      - V(auto) picks per alias, as described above.
      - V(domain_association) always uses C(UpdateDomainAssociation) (also between standard distributions).
      - V(takeover) (a tenant target only) always uses C(UpdateDistributionTenant) with C(OnDomainTakeover=allow);
        the domain's DNS must already be a CNAME to the tenant's routing endpoint.
    type: str
    choices: [auto, domain_association, takeover]
    default: auto
  aliases:
    description:
      - The alternate domain names to add, remove or move. Unicode, case and a trailing dot are normalised.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) adds the aliases with C(UpdateDistribution).
      - V(absent) removes them with C(UpdateDistribution).
      - V(moved) moves each one with C(AssociateAlias) or C(UpdateDomainAssociation) (see O(move_with)). AWS
        requires a DNS TXT record whose value is this distribution's domain name (a tenant's routing endpoint),
        named C(_<alias>); for a wildcard C(*.example.com) it is C(_.example.com), and
        for an alias at the apex of its zone C(_.<alias>) (create it with
        M(aliasguard.cloudfront.dns_cname_repoint) and
        O(aliasguard.cloudfront.dns_cname_repoint#module:challenge=true); the C(txt_record_name) of
        M(aliasguard.cloudfront.cloudfront_alias_conflict_info) names it). The current holder must be in this
        account or disabled.
    type: str
    choices: [present, absent, moved]
    default: present
  expected_holders:
    description:
      - With O(state=moved), who holds each alias as step 1 found it moments before, so that the module does not
        ask C(ListDomainConflicts) again for it. A mapping of alias to one of the
        RV(aliasguard.cloudfront.cloudfront_alias_conflict_info#module:aliases[].holders) entries of
        M(aliasguard.cloudfront.cloudfront_alias_conflict_info) (at least C(distribution_id) and C(in_account);
        C(resource_type), C(account_id), C(masked) and C(enabled) are used when given), or V(null) when nobody
        holds it. The C(aliasguard.cloudfront.cname_remediation) role passes step 1's findings this way.
      - The move itself needs only this distribution and the alias, and this distribution is still read (one
        C(GetDistribution)), so an alias it already holds is no move (a second run reports no change), and check
        mode reports the same plan. The holder given chooses the call (RV(moved[].operation)) and is reported as
        RV(moved[].from) as given, not read again.
      - When AWS refuses a move whose holder was given (C(IllegalUpdate), C(CNAMEAlreadyExists)), the module asks
        who holds the alias now and its message names that holder, and says so when it is not the one step 1
        found.
      - Aliases not named here have their holder looked up, as without this option.
    type: dict
  txt_wait_timeout:
    description:
      - With O(state=moved), how many seconds to keep asking C(AssociateAlias) again (with backoff from 1 to 15
        seconds) while it refuses because it does not see the TXT record. A record created moments before may
        not be visible to CloudFront yet (the Route 53 change still C(PENDING), a negative answer still cached).
      - V(0) asks once.
    type: int
    default: 120
  check_certificate:
    description:
      - Read the distribution's ACM certificate and refuse aliases it does not cover before calling
        C(UpdateDistribution). Skipped silently when the certificate cannot be read.
    type: bool
    default: true
  alias_quota:
    description:
      - The most aliases a distribution may have in this account (CloudFront's quota, 100 unless it was raised).
        When given, more are refused before calling AWS.
      - When not given, CloudFront itself answers (C(TooManyDistributionCNAMEs)), so an account whose quota was
        raised is not held to 100.
    type: int
  release_from:
    description:
      - With O(state=present) only. Distributions of this account that hold some of the O(aliases) now and must
        give them up to this one, without C(AssociateAlias) (the C(dns_first) way).
      - They are removed from each of those distributions, the module waits until each is C(Deployed) -
        CloudFront keeps a removed alias taken until then - and adds them here at once. While CloudFront still
        answers C(CNAMEAlreadyExists) (its release or its DNS check's cache catching up) it asks again, for at
        most O(conflict_wait_timeout) seconds. So a name is held by nobody only for as long as CloudFront forces.
      - If they cannot be added within O(wait_timeout) seconds, each distribution takes back what it gave up, and
        the module fails saying so (RV(given_back)).
    type: list
    elements: str
  conflict_wait_timeout:
    description:
      - With O(state=present), seconds to keep asking again (with backoff) while CloudFront answers
        C(CNAMEAlreadyExists), counted from when the distributions in O(release_from) are C(Deployed) (or from the
        first attempt). Give the TTL of the DNS record that pointed elsewhere - CloudFront's DNS check may keep
        the old answer that long. V(0) asks once.
    type: int
    default: 0
  txt_record_names:
    description:
      - Per alias, the name of the TXT record C(AssociateAlias) checks, when it is not the one this collection
        derives (C(_<alias>); C(_.example.com) for V(*.example.com) or an apex V(example.com), which AWS does not
        document). Only used in messages; create the record with M(aliasguard.cloudfront.dns_cname_repoint)
        and its O(aliasguard.cloudfront.dns_cname_repoint#module:challenge_name).
    type: dict
  max_precondition_retries:
    description:
      - How many times to read again and re-apply after C(PreconditionFailed).
    type: int
    default: 5
  wait:
    description:
      - Wait until the distribution's status is C(Deployed).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait at most with O(wait=true); with O(release_from), also the most the handover may take.
    type: int
    default: 1200
attributes:
  check_mode:
    support: full
    description: Reads the distribution (and the holder, for moves) and reports the change; nothing is sent.
  diff_mode:
    support: full
    description: The alias list before and after.
seealso:
  - module: aliasguard.cloudfront.cloudfront_alias_conflict_info
  - module: aliasguard.cloudfront.dns_cname_repoint
  - name: AssociateAlias
    description: AWS API reference.
    link: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_AssociateAlias.html
  - name: UpdateDomainAssociation
    description: AWS API reference.
    link: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDomainAssociation.html
  - name: Move an alternate domain name
    description: AWS CloudFront Developer Guide.
    link: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/alternate-domain-names-move.html
"""

EXAMPLES = r"""
- name: Add www.example.com to the new distribution and wait for the deployment
  aliasguard.cloudfront.cloudfront_distribution_alias:
    distribution_id: E2ABCDEF012345
    aliases: [www.example.com]
    wait: true

- name: Move it from the old distribution in one step (needs the _www.example.com TXT record; waits for it 2 minutes)
  aliasguard.cloudfront.cloudfront_distribution_alias:
    distribution_id: E2ABCDEF012345
    aliases: [www.example.com]
    state: moved

- name: Move it with the holder step 1 found (no second ListDomainConflicts)
  aliasguard.cloudfront.cloudfront_distribution_alias:
    distribution_id: E2ABCDEF012345
    aliases: [www.example.com]
    state: moved
    expected_holders:
      www.example.com: "{{ conflict.aliases[0].holders | selectattr('overlap', 'equalto', 'exact') | first }}"

- name: Take www over from the old distribution of this account after DNS was repointed (dns_first)
  aliasguard.cloudfront.cloudfront_distribution_alias:
    distribution_id: E2ABCDEF012345
    aliases: [www.example.com]
    release_from: [E1OLD000000000]
    conflict_wait_timeout: 300   # the TTL of the record that pointed at the old distribution

- name: Take an alias off a distribution
  aliasguard.cloudfront.cloudfront_distribution_alias:
    distribution_id: E1OLD0000000
    aliases: [old.example.com]
    state: absent
"""

RETURN = r"""
distribution_id:
  description: The distribution, or the distribution tenant's id.
  returned: always
  type: str
  sample: E2QWRUHEXAMPLE
distribution_tenant_id:
  description: The distribution tenant, when O(distribution_tenant_id) was given.
  returned: when distribution_tenant_id is given
  type: str
  sample: dt_2wjDZi3hD1ivOXf6rpZJOSNE1AB
domain_name:
  description: Its C(*.cloudfront.net) name; for a tenant, its connection group's routing endpoint.
  returned: always
  type: str
  sample: d111111abcdef8.cloudfront.net
aliases:
  description:
    - Its aliases after the change (or as they would be, in check mode).
    - On failure, what it holds now - with the change when AWS had accepted it before the failure.
  returned: always
  type: list
  elements: str
  sample: ["static.example.com", "www.example.com"]
added:
  description: Aliases added (or moved here); on failure, only those that really were.
  returned: always
  type: list
  elements: str
  sample: ["www.example.com"]
removed:
  description: Aliases removed; on failure, only those that really were.
  returned: always
  type: list
  elements: str
  sample: ["old.example.com"]
moved:
  description:
    - For O(state=moved), each alias and the distribution or tenant it came from (ids may be partly hidden).
    - On failure, only the moves that were made.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias.
      type: str
      sample: www.example.com
      returned: always
    from:
      description: The holder (C(distribution_id), C(account_id), C(masked), C(in_account), C(resource_type)
        V(distribution) or V(distribution-tenant)), or null when nobody held it; as O(expected_holders) gave it,
        when it did.
      type: dict
      sample:
        distribution_id: '*******MPLE00'
        account_id: '******222222'
        masked: true
        in_account: false
        resource_type: distribution
      returned: always
    operation:
      description: V(AssociateAlias), V(UpdateDomainAssociation) or V(OnDomainTakeover) (C(UpdateDistributionTenant)
        with C(OnDomainTakeover=allow)).
      type: str
      sample: AssociateAlias
      returned: always
    why:
      description: Why that call was chosen.
      type: str
      sample: >-
        the holder is a standard distribution in another account; AssociateAlias moves the name with the TXT record's
        proof
      returned: always
precondition_retries:
  description: How many times a concurrent change made the module read again.
  returned: always
  type: int
  sample: 0
deployed:
  description: With O(wait=true), whether the distribution reached C(Deployed) in time.
  returned: when wait is true
  type: bool
  sample: true
released_from:
  description:
    - With O(release_from), the aliases taken off each distribution (or, in check mode, that would be).
  returned: when release_from is given
  type: list
  elements: dict
  sample: [{"distribution_id": "E1OLD000000000", "aliases": ["www.example.com"]}]
given_back:
  description: With O(release_from), after a failure, the aliases each distribution took back.
  returned: when release_from is given
  type: list
  elements: dict
  sample: [{"distribution_id": "E1OLDEXAMPLE00", "aliases": ["www.example.com"]}]
requests:
  description: AWS API requests sent, by service.
  returned: always
  type: dict
  sample: {"cloudfront": 4, "acm": 1}
resource_actions:
  description: C(service:Operation) of every AWS call sent, sorted (the IAM actions this run needed).
  returned: always
  type: list
  elements: str
  sample: [cloudfront:GetDistributionConfig, cloudfront:UpdateDistribution]
"""

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    InvalidDistributionId,
    require_distribution_id,
    require_tenant_id,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._distribution_alias import (
    AliasError,
    AliasOutcome,
    Handover,
    InvalidHolders,
    apply_handover,
    apply_plan,
    expected_holders_from,
    plan_aliases,
    plan_release,
    plan_tenant_aliases,
    wait_deployed,
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
            distribution_id=dict(type="str"),
            distribution_tenant_id=dict(type="str"),
            move_with=dict(type="str", default="auto", choices=["auto", "domain_association", "takeover"]),
            aliases=dict(type="list", elements="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent", "moved"]),
            check_certificate=dict(type="bool", default=True),
            alias_quota=dict(type="int"),
            release_from=dict(type="list", elements="str"),
            conflict_wait_timeout=dict(type="int", default=0),
            txt_record_names=dict(type="dict"),
            expected_holders=dict(type="dict"),
            max_precondition_retries=dict(type="int", default=5),
            txt_wait_timeout=dict(type="int", default=120),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1200),
        ),
        mutually_exclusive=[["distribution_id", "distribution_tenant_id"]],
        required_one_of=[["distribution_id", "distribution_tenant_id"]])
    params = module.params

    try:
        tenant = params["distribution_tenant_id"] is not None
        if tenant:
            distribution_id = require_tenant_id("distribution_tenant_id", params["distribution_tenant_id"])
        else:
            distribution_id = require_distribution_id("distribution_id", params["distribution_id"])
    except InvalidDistributionId as exc:
        module.fail_json(msg=str(exc))
    if params["move_with"] == "takeover" and not tenant:
        module.fail_json(msg="move_with=takeover moves a domain to a distribution tenant (OnDomainTakeover); give "
                             "distribution_tenant_id, or use move_with=auto or domain_association for a distribution")
    if not params["aliases"]:
        module.fail_json(msg="aliases is empty: give at least one alternate domain name")
    try:
        aliases = parse_aliases(params["aliases"])
    except InvalidName as exc:
        module.fail_json(msg="Invalid alias: %s" % exc)
    state = params["state"]
    for option in ("txt_wait_timeout", "wait_timeout", "max_precondition_retries", "conflict_wait_timeout"):
        if params[option] < 0:
            module.fail_json(msg="%s must be zero or more%s, not %d"
                                 % (option, "" if option == "max_precondition_retries" else " seconds", params[option]))
    if params["alias_quota"] is not None and params["alias_quota"] < 1:
        module.fail_json(msg="alias_quota must be 1 or more (the number of aliases the account may put on one "
                             "distribution; 100 unless AWS raised it), not %d; leave it out to let CloudFront "
                             "decide" % params["alias_quota"])
    release_from = []
    if params["release_from"]:
        if tenant:
            module.fail_json(msg="release_from hands aliases over to a standard distribution; for a distribution "
                                 "tenant use state=moved (UpdateDomainAssociation moves a domain with no gap)")
        if state != "present":
            module.fail_json(msg="release_from hands aliases over to this distribution, so it needs state=present "
                                 "(not %s)" % state)
        try:
            release_from = [require_distribution_id("release_from", d) for d in params["release_from"]]
        except InvalidDistributionId as exc:
            module.fail_json(msg=str(exc))
    try:
        txt_names = dict((Alias.parse(k).name, to_ascii(str(v), allow_underscore=True, what="TXT record name"))
                         for k, v in (params["txt_record_names"] or {}).items())
    except InvalidName as exc:
        module.fail_json(msg="txt_record_names: %s" % exc)
    expected_holders = None
    if params["expected_holders"] is not None:
        if state != "moved":
            module.fail_json(msg="expected_holders names who holds each alias to move, so it needs state=moved "
                                 "(not %s)" % state)
        try:
            expected_holders = expected_holders_from(params["expected_holders"], aliases)
        except InvalidHolders as exc:
            module.fail_json(msg=str(exc))

    result = dict(changed=False, distribution_id=distribution_id, moved=[], precondition_retries=0)
    if tenant:
        result["distribution_tenant_id"] = distribution_id
    plan = None
    applied = None  # set the moment AWS has accepted the change: every later failure still reports it
    handover = None
    try:
        connection = module.aws()
        cloudfront = connection.client("cloudfront")
        acm = connection.client("acm", region="us-east-1") if params["check_certificate"] else None
        if tenant:
            plan = plan_tenant_aliases(cloudfront, acm, distribution_id, aliases, state, params["check_certificate"],
                                       txt_names, params["move_with"], expected_holders)
        else:
            plan = plan_aliases(cloudfront, acm, distribution_id, aliases, state, params["alias_quota"],
                                params["check_certificate"], txt_names, params["move_with"], expected_holders)
        result.update(domain_name=plan.domain_name, changed=plan.changed,
                      aliases=[a.name for a in plan.after], added=[a.name for a in plan.added],
                      removed=[a.name for a in plan.removed])
        if state == "moved":
            result["moved"] = [dict({"alias": a.name, "from": holder}, **plan.via.get(a.name, {}))
                               for a, holder in plan.moves]
        if module._diff and plan.changed:
            result["diff"] = {"before": {"aliases": sorted(a.name for a in plan.before)},
                              "after": {"aliases": sorted(a.name for a in plan.after)}}
        if release_from:
            result["released_from"] = [{"distribution_id": d, "aliases": [a.name for a in held]}
                                       for d, held in plan_release(cloudfront, release_from, plan.added)]
            result["given_back"] = []
        if plan.changed and not module.check_mode and state == "present" and (
                release_from or params["conflict_wait_timeout"]):
            handover = Handover()
            # wait_timeout bounds a handover (release_from), as documented; without one, asking again is bounded by
            # conflict_wait_timeout alone (the rescue's give-back runs with a short wait_timeout after a deploy
            # timeout, and CloudFront's DNS check may keep the replaced record longer than that).
            timeout = params["wait_timeout"] if release_from else params["conflict_wait_timeout"]
            try:
                applied = apply_handover(cloudfront, plan, plan.added, release_from,
                                         params["conflict_wait_timeout"], timeout,
                                         params["max_precondition_retries"], handover=handover)
            finally:
                if release_from:
                    result.update(handover.to_result())
            result.update(applied.to_result())
        elif plan.changed and not module.check_mode:
            applied = apply_plan(cloudfront, plan, aliases, params["max_precondition_retries"],
                                 params["txt_wait_timeout"])
            result.update(applied.to_result())
        if params["wait"] and not module.check_mode:
            result["deployed"] = wait_deployed(cloudfront, distribution_id, params["wait_timeout"], tenant=tenant)
            if not result["deployed"]:
                module.fail_json(msg="%s did not reach Deployed within %d seconds; %s"
                                     % (distribution_id, params["wait_timeout"], _what_was_done(applied)), **result)
    except Exception as exc:  # ours are worded for the user; anything else must still report what was changed
        msg = str(exc) if isinstance(exc, (AliasError, AwsError)) else "unexpected %s: %s" % (type(exc).__name__, exc)
        if plan is not None and not module.check_mode:
            if applied is not None and applied.changed:
                done = _what_was_done(applied)
                msg = "%s%s, but waiting for %s to reach Deployed failed: %s" % (
                    done[0].upper(), done[1:], distribution_id, msg)
            # Report what is there now, not what was planned.
            outcome = applied or getattr(exc, "outcome", None) or AliasOutcome.unchanged(plan)
            result.update(outcome.to_result())
            if handover is not None and handover.released:
                # A handover that was undone still changed the distributions it took the aliases from (twice).
                result["changed"] = True
        else:
            result["changed"] = False
        module.fail_from(exc, msg=msg, **result)
    module.exit_json(**result)


def _what_was_done(applied):
    if applied is not None and applied.changed:
        return "the change itself was made (%s)" % applied.describe()
    return "no alias change was needed, so none was made"


if __name__ == "__main__":
    main()
