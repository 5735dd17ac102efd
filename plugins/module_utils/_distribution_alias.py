# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Step 3: add, remove or move aliases on one distribution, touching nothing else.

``UpdateDistribution`` replaces the whole configuration, so every update reads
the configuration and its ETag, changes only ``Aliases`` and sends it back with
``If-Match``. When someone else changed the distribution in between, AWS answers
``PreconditionFailed``; the update is then read and applied again (bounded), so a
concurrent edit is never overwritten. Moves use ``AssociateAlias``; a TXT record
created moments before may not be visible to CloudFront yet (Route 53 still
PENDING, a negative answer cached), so its refusal for the TXT record is asked
again with backoff for a bounded time.

What was changed is an ``AliasOutcome`` value, made as soon as AWS accepted the
change, so that a later failure (waiting for the deployment) still reports it.

A distribution tenant (CloudFront SaaS Manager) is changed the same way through
``UpdateDistributionTenant`` with ``If-Match`` (its ``Domains`` are its aliases), and
wherever a tenant is the source or the target of a move, the move is
``UpdateDomainAssociation`` (``choose_move`` says which call and why, per alias).

Who holds an alias to move is asked (``ListDomainConflicts``), unless the caller gives
what step 1 found moments before (``expected_holders``): the move itself needs only the
target and the alias, and the target is read either way.

A handover (``apply_handover``) takes aliases off other distributions of this
account and adds them here with no longer a gap than CloudFront forces: it keeps a
removed alias taken until the distribution that gave it up is ``Deployed``, and its
DNS check answers from a cache for the old record's TTL. So it waits for exactly
that, adds at once, asks again while ``CNAMEAlreadyExists`` is only those catching
up, and when it cannot finish it gives the aliases back: a name that was served is
never left held by nobody.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    TENANT,
    ConflictApi,
    LazyDistributionIndex,
    LazyTenants,
    Distribution,
    Tenant,
    account_of_arn,
    config_aliases,
    domain_conflicts_for,
    get_config,
    get_connection_group,
    get_tenant_response,
    with_aliases,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    certificate_covers,
    is_masked,
    mask_matches,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._parallel import (
    AWS_WORKERS,
    first_error,
    map_ordered,
    map_settled,
)

# CloudFront's default quota of aliases per distribution; an account can have it raised, so it is only ever
# checked here when the user gives the account's quota (otherwise CloudFront answers TooManyDistributionCNAMEs).
DEFAULT_ALIAS_QUOTA = 100
# "Each distribution tenant can have up to 5 domains" (UpdateDistributionTenant, API reference): a fixed limit.
TENANT_DOMAIN_QUOTA = 5

ASSOCIATE_ALIAS = "AssociateAlias"
UPDATE_DOMAIN_ASSOCIATION = "UpdateDomainAssociation"
TAKEOVER = "OnDomainTakeover"


class AliasError(Exception):
    """Refused before or by AWS; the message says what to do.

    ``done`` lists the moves that had already succeeded when a later one failed;
    ``outcome`` (an AliasOutcome) is what the distribution holds after them.
    """

    def __init__(self, message: str, done: Optional[List[Dict[str, Any]]] = None,
                 outcome: Optional["AliasOutcome"] = None) -> None:
        super(AliasError, self).__init__(message)
        self.done = done or []
        self.outcome = outcome


class AliasOutcome:
    """What the distribution holds after the module's change (or the part of it that was made)."""

    def __init__(self, before: Sequence[Alias], final: Sequence[Alias], moved: Sequence[Dict[str, Any]] = (),
                 precondition_retries: int = 0) -> None:
        self.before = list(before)
        self.final = list(final)
        self.moved = list(moved)
        self.precondition_retries = precondition_retries

    @classmethod
    def unchanged(cls, plan: "AliasPlan") -> "AliasOutcome":
        return cls(plan.before, plan.before)

    @property
    def changed(self) -> bool:
        return set(self.before) != set(self.final)

    @property
    def added(self) -> List[Alias]:
        return [a for a in self.final if a not in self.before]

    @property
    def removed(self) -> List[Alias]:
        return [a for a in self.before if a not in self.final]

    def describe(self) -> str:
        parts = []
        if self.moved:
            parts.append("moved here: %s" % ", ".join(m["alias"] for m in self.moved))
        elif self.added:
            parts.append("added: %s" % ", ".join(a.name for a in self.added))
        if self.removed:
            parts.append("removed: %s" % ", ".join(a.name for a in self.removed))
        return "; ".join(parts) or "no change"

    def to_result(self) -> Dict[str, Any]:
        return {"changed": self.changed, "aliases": [a.name for a in self.final],
                "added": [a.name for a in self.added], "removed": [a.name for a in self.removed],
                "moved": list(self.moved), "precondition_retries": self.precondition_retries}


class AliasPlan:
    """``distribution_id`` is the resource changed: a distribution's id, or a tenant's when ``resource_type`` is
    TENANT (then ``domain_name`` is its routing endpoint and ``config`` the tenant as GetDistributionTenant read it).
    ``via`` says, per moved alias name, the call that moves it and why."""

    def __init__(self, distribution_id: str, state: str, before: List[Alias], after: List[Alias],
                 moves: List[Tuple[Alias, Optional[Dict[str, Any]]]], domain_name: str, config: Dict[str, Any],
                 account_id: Optional[str] = None, txt_names: Optional[Dict[str, str]] = None,
                 resource_type: str = "distribution") -> None:
        self.distribution_id = distribution_id
        self.state = state
        self.before = before
        self.after = after
        self.moves = moves          # [(alias, holder description)] for state=moved
        self.domain_name = domain_name
        self.config = config
        self.account_id = account_id  # the caller's account, from the distribution's ARN
        self.txt_names = txt_names or {}  # {alias name: TXT record name} where the user overrides the derived one
        self.resource_type = resource_type
        self.via = {}                 # {alias name: {"operation", "why"}} for state=moved
        self.given = set()            # alias names whose holder the caller gave (expected_holders): not looked up
        self.api = ConflictApi()
        self._index = None  # type: Optional[LazyDistributionIndex]
        self._tenants = None  # type: Optional[LazyTenants]
        self._lock = threading.RLock()  # holders are looked up from several threads: the index is read once

    @property
    def is_tenant(self) -> bool:
        return self.resource_type == TENANT

    @property
    def what(self) -> str:
        return ("distribution tenant %s" % self.distribution_id) if self.is_tenant else self.distribution_id

    def index(self, cloudfront: Any) -> LazyDistributionIndex:
        """This account's distributions, listed only when a holder's hidden id must be resolved against them."""
        with self._lock:
            if self._index is None:
                self._index = LazyDistributionIndex(cloudfront, self.account_id)
            return self._index

    def tenants(self, cloudfront: Any) -> LazyTenants:
        with self._lock:
            if self._tenants is None:
                self._tenants = LazyTenants(cloudfront, self.index(cloudfront))
            return self._tenants

    def own_distribution(self, cloudfront: Any, masked_id: str, alias: Alias) -> Optional[Distribution]:
        """This account's distribution that a partly hidden id can be (holding ``alias``), or None."""
        return self.index(cloudfront).by_masked_id(masked_id, alias)

    def move_operation(self, holder: Optional[Dict[str, Any]] = None) -> str:
        return choose_move(self, holder)["operation"] if holder is not None or self.is_tenant \
            else ASSOCIATE_ALIAS

    def txt_record(self, alias: Alias, value: str) -> str:
        """'NAME = VALUE' of the TXT record AssociateAlias checks for the alias, for messages."""
        if alias.name in self.txt_names:
            return "%s = %s" % (self.txt_names[alias.name], value)
        return "%s = %s%s" % (alias.txt_challenge_name(), value, alias.txt_challenge_note())

    @property
    def changed(self) -> bool:
        return set(self.before) != set(self.after)

    @property
    def added(self) -> List[Alias]:
        return [a for a in self.after if a not in self.before]

    @property
    def removed(self) -> List[Alias]:
        return [a for a in self.before if a not in self.after]


def plan_aliases(cloudfront: Any, acm: Any, distribution_id: str, aliases: List[Alias], state: str,
                 quota: Optional[int] = None, check_certificate: bool = True,
                 txt_names: Optional[Dict[str, str]] = None, move_with: str = "auto",
                 expected_holders: Optional[Dict[str, Optional[Dict[str, Any]]]] = None) -> AliasPlan:
    """Read the distribution and plan the alias change; refuse clearly what AWS would refuse.

    ``quota`` is the account's quota of aliases per distribution when the user knows it; without it CloudFront
    itself answers (an account whose quota was raised must not be held to the default 100).
    ``expected_holders``: {alias name: holder or None} that step 1 found, for moves; those aliases' holders are
    not asked again (see ``_plan_moves``).
    """
    # One GetDistribution carries the configuration and the domain name the plan needs.
    distribution = call("GetDistribution %s" % distribution_id, cloudfront.get_distribution,
                        Id=distribution_id)["Distribution"]
    config, domain_name = distribution["DistributionConfig"], distribution["DomainName"]
    before = config_aliases(config)
    if state == "absent":
        after = [a for a in before if a not in aliases]
    else:
        after = before + [a for a in aliases if a not in before]
    plan = AliasPlan(distribution_id, state, before, after, [], domain_name, config,
                     account_id=account_of_arn(distribution.get("ARN", "")), txt_names=txt_names)
    if not plan.changed:
        return plan
    if quota is not None and len(after) > quota:
        raise AliasError("%s would hold %d aliases, more than the quota of %d per distribution you gave "
                         "(alias_quota); request a quota increase (Service Quotas, CloudFront: alternate domain names "
                         "per distribution) or use fewer aliases" % (distribution_id, len(after), quota))
    if plan.added and check_certificate:
        _check_certificate(acm, distribution_id, config, plan.added)
    if state == "moved":
        _plan_moves(cloudfront, plan, move_with, expected_holders)
    return plan


def _plan_moves(cloudfront: Any, plan: AliasPlan, move_with: str = "auto",
                expected_holders: Optional[Dict[str, Optional[Dict[str, Any]]]] = None) -> None:
    """Who holds each alias to move, and the call that moves it.

    A holder given in ``expected_holders`` (what step 1 found moments before) is taken as it is: the move itself
    needs only the target and the alias, and the plan reads the target (so an alias already here is no move).
    Every other alias's holder is asked (ListDomainConflicts), several at once. When AWS refuses a move whose
    holder was given, ``_explain`` asks who holds it now, so that a holder that changed since is named as it is.
    """
    given = expected_holders or {}
    asked = [a for a in plan.added if a.name not in given]
    found = dict(zip([a.name for a in asked],
                     map_ordered(lambda alias: _holder_of(cloudfront, plan, alias), asked, AWS_WORKERS)))
    for alias in plan.added:
        if alias.name in given:
            plan.given.add(alias.name)
    holders = [_as_seen_by(plan, given[a.name]) if a.name in given else found[a.name] for a in plan.added]
    for alias, holder in zip(plan.added, holders):
        plan.moves.append((alias, holder))
        choice = choose_move(plan, holder)
        if move_with == "domain_association" and choice["operation"] != UPDATE_DOMAIN_ASSOCIATION:
            choice = {"operation": UPDATE_DOMAIN_ASSOCIATION, "why": "move_with=domain_association"}
        elif move_with == "takeover":
            choice = {"operation": TAKEOVER, "why": "move_with=takeover"}
        plan.via[alias.name] = choice


def _as_seen_by(plan: AliasPlan, holder: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """A given holder as ``_holder_of`` would report it: this account's with this account's id."""
    if holder is not None and holder.get("in_account") and plan.account_id:
        return dict(holder, account_id=plan.account_id)
    return holder


def read_tenant(cloudfront: Any, tenant_id: str) -> Tuple[Tenant, Dict[str, Any]]:
    """(Tenant, the tenant as GetDistributionTenant returned it): one read, ETag included."""
    response = get_tenant_response(cloudfront, tenant_id)
    raw = response["DistributionTenant"]
    return Tenant.from_summary(raw, etag=response.get("ETag")), raw


def plan_tenant_aliases(cloudfront: Any, acm: Any, tenant_id: str, aliases: List[Alias], state: str,
                        check_certificate: bool = True, txt_names: Optional[Dict[str, str]] = None,
                        move_with: str = "auto",
                        expected_holders: Optional[Dict[str, Optional[Dict[str, Any]]]] = None) -> AliasPlan:
    """The plan for a distribution tenant's domains; refuses clearly what AWS would refuse."""
    tenant, raw = read_tenant(cloudfront, tenant_id)
    group = get_connection_group(cloudfront, tenant.connection_group_id)
    before = list(tenant.aliases)
    if state == "absent":
        after = [a for a in before if a not in aliases]
    else:
        after = before + [a for a in aliases if a not in before]
    plan = AliasPlan(tenant_id, state, before, after, [], group["RoutingEndpoint"].lower().rstrip("."), raw,
                     account_id=tenant.account_id, txt_names=txt_names, resource_type=TENANT)
    if not plan.changed:
        return plan
    if not after:
        raise AliasError("distribution tenant %s would have no domain left, and a tenant must have at least one "
                         "(UpdateDistributionTenant): add a placeholder domain first, or delete the tenant"
                         % tenant_id)
    if len(after) > TENANT_DOMAIN_QUOTA:
        raise AliasError("distribution tenant %s would have %d domains; a tenant can have at most %d. Use another "
                         "tenant for the rest" % (tenant_id, len(after), TENANT_DOMAIN_QUOTA))
    if plan.added and check_certificate:
        arn = tenant.certificate_arn
        if arn:
            viewer = {"ViewerCertificate": {"ACMCertificateArn": arn}}
        else:
            # Without a certificate of its own, a tenant serves with its multi-tenant distribution's.
            viewer = call("GetDistribution %s" % tenant.distribution_id, cloudfront.get_distribution,
                          Id=tenant.distribution_id)["Distribution"]["DistributionConfig"]
        _check_certificate(acm, plan.what, viewer, plan.added)
    if state == "moved":
        _plan_moves(cloudfront, plan, move_with, expected_holders)
    return plan


def wanted_aliases(live: List[Alias], aliases: Sequence[Alias], state: str) -> List[Alias]:
    """The alias list to write: ``live`` without ``aliases`` (absent) or with the missing ones appended (present).

    Re-read on every retry of a conditional write, so that only this run's own change is applied again.
    """
    if state == "absent":
        return [a for a in live if a not in aliases]
    return live + [a for a in aliases if a not in live]


def update_tenant_domains(cloudfront: Any, tenant_id: str, aliases: Sequence[Alias], state: str, max_retries: int = 5,
                          sleep: Callable[[float], None] = time.sleep,
                          takeover: bool = False) -> Tuple[List[Alias], int]:
    """UpdateDistributionTenant with If-Match, changing only these domains; (domains now, retries). AwsError.

    On PreconditionFailed (someone else changed the tenant) it reads again and re-applies only this change,
    so a concurrent edit is never overwritten. ``takeover`` sends OnDomainTakeover=allow.
    """
    attempt = 0
    while True:
        tenant, raw = read_tenant(cloudfront, tenant_id)
        live = list(tenant.aliases)
        wanted = wanted_aliases(live, aliases, state)
        if set(wanted) == set(live):
            return live, attempt
        kept = dict((Alias.parse(d["Domain"]).name, d) for d in raw.get("Domains") or [])
        domains = []
        for alias in wanted:
            item = {"Domain": alias.name}
            if (kept.get(alias.name) or {}).get("ServeOn"):
                item["ServeOn"] = kept[alias.name]["ServeOn"]
            domains.append(item)
        request = {"Id": tenant_id, "IfMatch": tenant.etag, "Domains": domains}
        # Sent back as read, so that the request changes the domains and nothing else. The API reference
        # does not say whether a field left out keeps its value or is cleared (UpdateDistribution clears
        # it), so everything GetDistributionTenant gave that the request accepts goes back as it was:
        # a tenant's certificate, web ACL, geo restrictions and parameters are never dropped.
        for key in ("DistributionId", "ConnectionGroupId", "Enabled", "Customizations", "Parameters"):
            if raw.get(key) is not None:
                request[key] = raw[key]
        if takeover:
            request["OnDomainTakeover"] = "allow"
        try:
            call("UpdateDistributionTenant %s" % tenant_id, cloudfront.update_distribution_tenant, **request)
            return wanted, attempt
        except AwsError as exc:
            attempt = _next_attempt(exc, attempt, max_retries, sleep)


def _next_attempt(exc: AwsError, attempt: int, max_retries: int, sleep: Callable[[float], None]) -> int:
    """After a refused conditional write: the next attempt's number (after a short wait), or the error again.

    Only PreconditionFailed (someone else changed the resource since it was read) is worth another
    read-and-write; the caller's loop reads again before it writes again.
    """
    if exc.code != "PreconditionFailed" or attempt >= max_retries:
        raise exc
    attempt += 1
    sleep(min(0.5 * attempt, 5))
    return attempt


def associate_domain(cloudfront: Any, plan: AliasPlan, alias: Alias, max_retries: int = 5,
                     sleep: Callable[[float], None] = time.sleep) -> int:
    """UpdateDomainAssociation to the plan's distribution or tenant, with its current ETag as If-Match;
    read again on PreconditionFailed (bounded). Returns the number of retries."""
    target = {"DistributionTenantId": plan.distribution_id} if plan.is_tenant else \
        {"DistributionId": plan.distribution_id}
    attempt = 0
    while True:
        if plan.is_tenant:
            etag = read_tenant(cloudfront, plan.distribution_id)[0].etag
        else:
            etag = get_config(cloudfront, plan.distribution_id)[1]
        try:
            call("UpdateDomainAssociation %s to %s" % (alias.name, plan.distribution_id),
                 cloudfront.update_domain_association, Domain=alias.name, TargetResource=target, IfMatch=etag)
            return attempt
        except AwsError as exc:
            attempt = _next_attempt(exc, attempt, max_retries, sleep)


def _check_certificate(acm: Any, distribution_id: str, config: Dict[str, Any], added: List[Alias]) -> None:
    viewer = config.get("ViewerCertificate") or {}
    if not (viewer.get("ACMCertificateArn") or viewer.get("IAMCertificateId")):
        raise AliasError("%s uses CloudFront's default *.cloudfront.net certificate, which covers none of %s. "
                         "Attach an ACM certificate (us-east-1) that covers them first"
                         % (distribution_id, ", ".join(a.name for a in added)))
    arn = viewer.get("ACMCertificateArn")
    if not arn or acm is None:
        return  # an IAM certificate: its names cannot be read here, AWS will check them
    try:
        certificate = call("DescribeCertificate %s" % arn, acm.describe_certificate, CertificateArn=arn)["Certificate"]
    except AwsError as exc:
        if exc.code in ("AccessDeniedException", "AccessDenied"):
            return  # not readable with these credentials: leave the check to CloudFront
        raise
    names = [certificate.get("DomainName", "")] + list(certificate.get("SubjectAlternativeNames") or [])
    uncovered = [a.name for a in added if not certificate_covers(names, a)]
    if uncovered:
        covered = ", ".join(sorted(set(names)))
        raise AliasError("the certificate of %s (%s) covers %s but not %s. Add the name(s) to the certificate, or "
                         "attach one that covers them, before adding the alias (a certificate's *.example.com "
                         "covers exactly one label)" % (distribution_id, arn, covered, ", ".join(uncovered)))


def _holder_of(cloudfront: Any, plan: AliasPlan, alias: Alias) -> Optional[Dict[str, Any]]:
    """Who holds exactly this alias now (a distribution or a distribution tenant), or None.

    Asked through the one step-1 path (``domain_conflicts_for``: ListDomainConflicts, else
    ListConflictingAliases). AWS hides part of every holder's ids, this account's too; a holder whose visible
    account digits are this account's is this account's, and its id is read from this account's distributions
    or tenants (by the visible end) so that the user sees the real one.
    """
    try:
        holders, unused, unused_op = domain_conflicts_for(
            cloudfront, plan.index(cloudfront), alias,
            distribution_id=None if plan.is_tenant else plan.distribution_id,
            tenant_id=plan.distribution_id if plan.is_tenant else None, api=plan.api, tenants=plan.tenants(cloudfront))
    except AwsError:
        return None
    for holder in holders:
        if holder.overlap != "exact" or holder.distribution_id == plan.distribution_id or \
                mask_matches(holder.distribution_id, plan.distribution_id):
            continue
        found = {"distribution_id": holder.distribution_id,
                 "account_id": plan.account_id if holder.in_account and plan.account_id else holder.account_id,
                 "masked": is_masked(holder.distribution_id), "in_account": holder.in_account,
                 "resource_type": holder.resource_type}
        if holder.distribution is not None:
            found["enabled"] = holder.distribution.enabled
        return found
    return None


class InvalidHolders(ValueError):
    pass


def expected_holders_from(value: Optional[Dict[str, Any]],
                          aliases: Sequence[Alias]) -> Dict[str, Optional[Dict[str, Any]]]:
    """The expected_holders option, checked and in the shape ``_holder_of`` gives: {alias name: holder or None}.

    A holder is one of step 1's ``holders`` entries (cloudfront_alias_conflict_info): ``distribution_id`` and
    ``in_account`` are needed, ``resource_type``, ``account_id``, ``masked`` and ``enabled`` are kept when given.
    InvalidHolders says what to fix, before any request.
    """
    names = set(a.name for a in aliases)
    holders = {}  # type: Dict[str, Optional[Dict[str, Any]]]
    for key, given in (value or {}).items():
        try:
            name = Alias.parse(str(key)).name
        except ValueError as exc:
            raise InvalidHolders("expected_holders: %s" % exc)
        if name not in names:
            raise InvalidHolders("expected_holders names %s, which is not one of the aliases (%s)"
                                 % (name, ", ".join(sorted(names))))
        if given is None:
            holders[name] = None
            continue
        if not isinstance(given, dict) or not given.get("distribution_id") or "in_account" not in given:
            raise InvalidHolders("expected_holders[%s] must be null (nobody holds it) or a holder as "
                                 "cloudfront_alias_conflict_info reports it (at least distribution_id and in_account), "
                                 "not %r" % (name, given))
        resource_type = given.get("resource_type") or "distribution"
        if resource_type not in ("distribution", TENANT):
            raise InvalidHolders("expected_holders[%s].resource_type must be distribution or %s, not %r"
                                 % (name, TENANT, resource_type))
        try:
            holder = {"distribution_id": str(given["distribution_id"]),
                      "account_id": given.get("account_id"),
                      "masked": boolean(given.get("masked", is_masked(str(given["distribution_id"])))),
                      "in_account": boolean(given["in_account"]),
                      "resource_type": resource_type}  # type: Dict[str, Any]
            if given.get("enabled") is not None:
                holder["enabled"] = boolean(given["enabled"])
        except TypeError as exc:
            raise InvalidHolders("expected_holders[%s]: %s" % (name, exc))
        holders[name] = holder
    return holders


def choose_move(plan: AliasPlan, holder: Optional[Dict[str, Any]]) -> Dict[str, str]:
    """{"operation", "why"}: the call that moves an alias from ``holder`` to the plan's resource.

    Every choice hands the name over in one step, so it is never held by nobody:
    - between standard distributions, AssociateAlias (it needs no ETag, so no concurrent edit of the target can
      make it fail, and it is what the runbook's world knows);
    - wherever a tenant is the source or the target, UpdateDomainAssociation (AssociateAlias "only supports
      standard distributions"), with the target's ETag as If-Match;
    - to a tenant from an enabled holder in another account, which UpdateDomainAssociation refuses until that
      account disables it: OnDomainTakeover=allow on UpdateDistributionTenant, which CloudFront honours once the
      domain's DNS CNAME names the tenant's routing endpoint; the holder keeps serving the name until that moment.
    """
    source_tenant = bool(holder) and holder.get("resource_type") == TENANT
    if plan.is_tenant and holder and not holder.get("in_account") and holder.get("enabled") is not False:
        return {"operation": TAKEOVER,
                "why": "the holder is in another AWS account and not known to be disabled, so "
                       "UpdateDomainAssociation would be refused; with OnDomainTakeover=allow CloudFront moves the "
                       "domain to the tenant once its DNS CNAME names %s (repoint it first; the holder serves the "
                       "name until the move)" % plan.domain_name}
    if plan.is_tenant or source_tenant:
        return {"operation": UPDATE_DOMAIN_ASSOCIATION,
                "why": "a distribution tenant is the %s, and AssociateAlias only supports standard distributions; "
                       "UpdateDomainAssociation moves the domain in one step (TXT record _<domain> = %s)"
                       % ("target" if plan.is_tenant else "source", plan.domain_name)}
    return {"operation": ASSOCIATE_ALIAS,
            "why": "between standard distributions AssociateAlias moves the alias in one step and needs no ETag, so "
                   "a concurrent edit of the target cannot make it fail"}


def apply_update(cloudfront: Any, plan: AliasPlan, aliases: Sequence[Alias], state: str, max_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep) -> Tuple[List[Alias], int]:
    """UpdateDistribution (UpdateDistributionTenant for a tenant) with If-Match; on PreconditionFailed read again
    and re-apply only our change."""
    try:
        if plan.is_tenant:
            return update_tenant_domains(cloudfront, plan.distribution_id, aliases, state, max_retries, sleep)
        return update_aliases(cloudfront, plan.distribution_id, aliases, state, max_retries, sleep)
    except AwsError as exc:
        raise _explain(exc, cloudfront, plan, aliases)


def update_aliases(cloudfront: Any, distribution_id: str, aliases: Sequence[Alias], state: str, max_retries: int = 5,
                   sleep: Callable[[float], None] = time.sleep) -> Tuple[List[Alias], int]:
    """Add (present) or remove (absent) only these aliases; (aliases now, PreconditionFailed retries). AwsError."""
    attempt = 0
    while True:
        config, etag = get_config(cloudfront, distribution_id)
        live = config_aliases(config)
        wanted = wanted_aliases(live, aliases, state)
        if set(wanted) == set(live):
            return live, attempt
        try:
            call("UpdateDistribution %s" % distribution_id, cloudfront.update_distribution,
                 Id=distribution_id, IfMatch=etag, DistributionConfig=with_aliases(config, wanted))
            return wanted, attempt
        except AwsError as exc:
            attempt = _next_attempt(exc, attempt, max_retries, sleep)


def apply_plan(cloudfront: Any, plan: AliasPlan, aliases: Sequence[Alias], max_retries: int = 5,
               txt_wait_timeout: float = 0, sleep: Callable[[float], None] = time.sleep,
               clock: Callable[[], float] = time.time) -> AliasOutcome:
    """Make the planned change; an AliasOutcome, or AliasError (with ``outcome`` when part of it was made)."""
    if plan.state == "moved":
        moved = apply_moves(cloudfront, plan, txt_wait_timeout, sleep=sleep, clock=clock, max_retries=max_retries)
        return AliasOutcome(plan.before, plan.before + [a for a, unused in plan.moves], moved)
    final, retries = apply_update(cloudfront, plan, aliases, plan.state, max_retries, sleep=sleep)
    return AliasOutcome(plan.before, final, precondition_retries=retries)


class Handover:
    """What a handover did: the aliases taken off each holder, and those given back after a failure."""

    def __init__(self) -> None:
        self.released = []  # type: List[Tuple[str, List[Alias]]]
        self.given_back = []  # type: List[Tuple[str, List[Alias]]]
        self.not_given_back = []  # type: List[Tuple[str, List[Alias], str]]
        self.conflict_retries = 0
        self.waited = 0.0      # seconds between the last release and the aliases landing here

    def to_result(self) -> Dict[str, Any]:
        return {
            "released_from": [{"distribution_id": d, "aliases": [a.name for a in held]} for d, held in self.released],
            "given_back": [{"distribution_id": d, "aliases": [a.name for a in held]} for d, held in self.given_back],
            "conflict_retries": self.conflict_retries,
        }


def plan_release(cloudfront: Any, holders: Sequence[str], aliases: Sequence[Alias]) -> List[Tuple[str, List[Alias]]]:
    """[(holder id, [aliases it holds of ``aliases``])] for the holders that hold any; read-only."""
    planned = []
    for holder_id in holders:
        config, unused = get_config(cloudfront, holder_id)
        held = [a for a in aliases if a in config_aliases(config)]
        if held:
            planned.append((holder_id, held))
    return planned


def apply_handover(cloudfront: Any, plan: AliasPlan, aliases: Sequence[Alias], holders: Sequence[str],
                   conflict_wait: float = 0, timeout: float = 1200, max_retries: int = 5,
                   sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                   handover: Optional["Handover"] = None) -> AliasOutcome:
    """Take ``aliases`` off ``holders`` (distributions of this account), then add them to the plan's distribution.

    CloudFront keeps a removed alias taken until the distribution that gave it up is Deployed again, and its DNS
    check answers from a cache for the old record's TTL. So: remove, wait until every holder that gave something
    up is Deployed, add at once, and while CloudFront answers CNAMEAlreadyExists ask again for at most
    ``conflict_wait`` seconds more (the old record's TTL), never past ``timeout`` seconds from the start. If the
    aliases cannot be added, each holder takes back what it gave up (the distribution that gave an alias up may
    take it back at once) and AliasError says so; ``handover`` (a Handover) records every step either way.
    """
    handover = handover if handover is not None else Handover()
    deadline = clock() + timeout
    try:
        for holder_id in holders:
            if holder_id == plan.distribution_id:
                continue
            config, unused = get_config(cloudfront, holder_id)
            held = [a for a in aliases if a in config_aliases(config)]
            if held:
                update_aliases(cloudfront, holder_id, held, "absent", max_retries, sleep)
                handover.released.append((holder_id, held))
        released_at = clock()
        for holder_id, unused in handover.released:
            if not wait_deployed(cloudfront, holder_id, max(0.0, deadline - clock()), sleep=sleep, clock=clock):
                raise AliasError("%s was not Deployed within %d seconds (wait_timeout), and CloudFront keeps the "
                                 "aliases it gave up taken until then" % (holder_id, timeout))
        retry_until = min(deadline, clock() + conflict_wait)
        delay = 0.5
        while True:
            try:
                final, retries = update_aliases(cloudfront, plan.distribution_id, aliases, "present", max_retries,
                                                sleep)
                handover.waited = clock() - released_at
                return AliasOutcome(plan.before, final, precondition_retries=retries)
            except AwsError as exc:
                # The release or the DNS check's cache catching up; any other refusal will not go away.
                if exc.code != "CNAMEAlreadyExists" or clock() + delay > retry_until:
                    error = _explain(exc, cloudfront, plan, aliases)
                    if exc.code == "CNAMEAlreadyExists" and handover.conflict_retries:
                        error = AliasError("%s (CloudFront still answered so after %d more attempts over %d seconds: "
                                           "conflict_wait_timeout)" % (error, handover.conflict_retries,
                                                                       conflict_wait))
                    raise error
                handover.conflict_retries += 1
                sleep(delay)
                delay = min(delay * 1.5, 10.0)
    except (AliasError, AwsError) as exc:
        _give_back(cloudfront, handover, max_retries, sleep)
        raise AliasError(_handover_failure(plan, aliases, handover, exc), outcome=AliasOutcome.unchanged(plan))


def _give_back(cloudfront: Any, handover: "Handover", max_retries: int, sleep: Callable[[float], None]) -> None:
    for holder_id, held in handover.released:
        try:
            update_aliases(cloudfront, holder_id, held, "present", max_retries, sleep)
            handover.given_back.append((holder_id, held))
        except AwsError as exc:
            handover.not_given_back.append((holder_id, held, str(exc)))


def _handover_failure(plan: AliasPlan, aliases: Sequence[Alias], handover: "Handover", exc: Exception) -> str:
    names = ", ".join(a.name for a in aliases)
    text = "Could not add %s to %s: %s" % (names, plan.distribution_id, exc)
    if handover.given_back:
        text += (". Put back where they were, so they are served as before: %s"
                 % "; ".join("%s on %s" % (", ".join(a.name for a in held), holder)
                             for holder, held in handover.given_back))
    if handover.not_given_back:
        # Typically CloudFront's DNS check: DNS points at this distribution now, so the holder may not have the
        # name back until DNS points at it again (and the check's cache has seen that).
        text += (". NOT PUT BACK YET - nobody holds these names now: put DNS back as it was, then add them to their "
                 "distribution again (the cname_remediation role does both): %s"
                 % "; ".join("%s on %s (%s)" % (", ".join(a.name for a in held), holder, error)
                             for holder, held, error in handover.not_given_back))
    if not handover.released:
        text += ". Nothing was taken off any distribution"
    return text


def is_missing_txt(exc: AwsError) -> bool:
    """AssociateAlias's refusal because it does not see the TXT record (yet)."""
    return exc.code == "InvalidArgument" and "TXT" in str(exc)


class _MoveRefused(Exception):
    """AWS refused one alias's move (``error``, an AwsError) after ``attempts`` attempts; worded once all settled."""

    def __init__(self, alias: Alias, holder: Optional[Dict[str, Any]], error: AwsError, attempts: int) -> None:
        super(_MoveRefused, self).__init__(str(error))
        self.alias = alias
        self.holder = holder
        self.error = error
        self.attempts = attempts


def apply_moves(cloudfront: Any, plan: AliasPlan, txt_wait_timeout: float = 0,
                sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                max_retries: int = 5) -> List[Dict[str, Any]]:
    """Each planned move with the call ``plan.via`` chose (AssociateAlias, UpdateDomainAssociation, or
    UpdateDistributionTenant with OnDomainTakeover=allow). A refusal for the TXT record is asked again
    with backoff until ``txt_wait_timeout`` seconds after the first attempt.

    Each call moves one alias and needs no ETag, so several aliases are moved at once (``_parallel``), the first
    one alone. When one is refused, no further move is started; AliasError names the first refused (in the
    plan's order) and lists in ``done`` every move that was made.
    """
    deadline = clock() + txt_wait_timeout

    def move(item: Tuple[Alias, Optional[Dict[str, Any]]]) -> Dict[str, Any]:
        alias, holder = item
        delay = 1.0
        attempts = 0
        operation = plan.via.get(alias.name, {}).get("operation", ASSOCIATE_ALIAS)
        while True:
            attempts += 1
            try:
                if operation == UPDATE_DOMAIN_ASSOCIATION:
                    associate_domain(cloudfront, plan, alias, max_retries, sleep)
                elif operation == TAKEOVER:
                    update_tenant_domains(cloudfront, plan.distribution_id, [alias], "present", max_retries, sleep,
                                          takeover=True)
                else:
                    call("AssociateAlias %s to %s" % (alias.name, plan.distribution_id), cloudfront.associate_alias,
                         TargetDistributionId=plan.distribution_id, Alias=alias.name)
                return dict({"alias": alias.name, "from": holder}, **plan.via.get(alias.name, {}))
            except AwsError as exc:
                if is_missing_txt(exc) and clock() + delay <= deadline:
                    sleep(delay)
                    delay = min(delay * 2, 15.0)
                    continue
                raise _MoveRefused(alias, holder, exc, attempts)

    # UpdateDomainAssociation and a takeover write with the target's ETag: concurrent ones would refuse each
    # other (PreconditionFailed), so only AssociateAlias moves go several at once.
    concurrent = all(plan.via.get(a.name, {}).get("operation", ASSOCIATE_ALIAS) == ASSOCIATE_ALIAS
                     for a, unused in plan.moves)
    workers = AWS_WORKERS if concurrent else 1
    outcomes = []  # type: List[Any]
    if plan.moves:
        outcomes = map_settled(move, plan.moves[:1], 1)
        if first_error(outcomes) is None:
            outcomes += map_settled(move, plan.moves[1:], workers, stop_on_error=True)
    moved = [o for o in outcomes if isinstance(o, dict)]
    refused = first_error(outcomes)
    if refused is None:
        return moved
    if not isinstance(refused, _MoveRefused):
        raise refused
    error = _explain(refused.error, cloudfront, plan, [refused.alias], holder=refused.holder, moved=moved,
                     txt_attempts=refused.attempts, txt_wait_timeout=txt_wait_timeout)
    error.done = moved
    error.outcome = AliasOutcome(plan.before, plan.before + [Alias.parse(m["alias"]) for m in moved], moved)
    raise error


def _describe_holder(found: Dict[str, Any]) -> str:
    kind = "distribution tenant" if found.get("resource_type") == TENANT else "distribution"
    if found.get("in_account"):
        return "%s %s in this account (%s)" % (kind, found["distribution_id"], found["account_id"])
    return "%s %s in another AWS account (%s)" % (kind, found["distribution_id"], found["account_id"])


def _explain(exc: AwsError, cloudfront: Any, plan: AliasPlan, aliases: Sequence[Alias],
             holder: Optional[Dict[str, Any]] = None, moved: Optional[List[Dict[str, Any]]] = None,
             txt_attempts: int = 1, txt_wait_timeout: float = 0) -> AliasError:
    """AWS's refusal, reworded with the holder (when known) and the next step.

    A refusal that is about the holder, of a move whose holder the caller gave (step 1's, in expected_holders),
    names the holder as it is now: it is asked again here, and a change since step 1 is said.
    """
    if aliases and aliases[0].name in plan.given and exc.code in ("CNAMEAlreadyExists", "IllegalUpdate"):
        expected = holder
        holder = _holder_of(cloudfront, plan, aliases[0])
        error = _explain_refusal(exc, cloudfront, plan, aliases, holder, moved, txt_attempts, txt_wait_timeout)
        if _holder_key(expected) != _holder_key(holder):
            error = AliasError("%s. (Step 1 found %s holding %s; %s holds it now: it changed since.)"
                               % (error, _describe_holder(expected) if expected else "nobody",
                                  aliases[0].name, _describe_holder(holder) if holder else "nobody"),
                               error.done, error.outcome)
        return error
    return _explain_refusal(exc, cloudfront, plan, aliases, holder, moved, txt_attempts, txt_wait_timeout)


def _holder_key(holder: Optional[Dict[str, Any]]) -> Optional[Tuple[str, str]]:
    if holder is None:
        return None
    return (holder.get("resource_type") or "distribution", holder["distribution_id"])


def _explain_refusal(exc: AwsError, cloudfront: Any, plan: AliasPlan, aliases: Sequence[Alias],
                     holder: Optional[Dict[str, Any]] = None, moved: Optional[List[Dict[str, Any]]] = None,
                     txt_attempts: int = 1, txt_wait_timeout: float = 0) -> AliasError:
    """AWS's refusal, reworded with the holder (when known) and the next step."""
    names = ", ".join(a.name for a in aliases)
    done = ""
    if moved:
        done = " (already moved before this failure: %s)" % ", ".join(m["alias"] for m in moved)
    if exc.code == "CNAMEAlreadyExists":
        found = holder or (_holder_of(cloudfront, plan, aliases[0]) if aliases else None)
        operation = plan.via.get(aliases[0].name, {}).get("operation") if aliases else None
        if operation == TAKEOVER:
            return AliasError(
                "CloudFront did not hand %s over to %s (CNAMEAlreadyExists): with OnDomainTakeover=allow it moves a "
                "domain only once the domain's DNS CNAME names the tenant's routing endpoint %s. Repoint the record "
                "to %s first (dns_cname_repoint; the holder keeps serving the name until the move), then run "
                "again%s. AWS said: %s" % (names, plan.what, plan.domain_name, plan.domain_name, done, exc))
        move = plan.move_operation(found)
        if "DNS record" in str(exc):
            # The runbook's form: name the holder too, so the user knows the move that follows the repoint.
            if found is None:
                held = "no other distribution is known to hold it, so add it again once DNS is repointed"
            elif not found.get("in_account"):
                held = ("it is also held by %s, whose owner must remove it or disable that distribution first"
                        % _describe_holder(found))
            else:
                held = ("it is also held by %s: move it here with state=moved (%s, TXT record %s)"
                        % (_describe_holder(found), move, plan.txt_record(aliases[0], plan.domain_name)))
            return AliasError(
                "CloudFront refused %s on %s because DNS for it is a CNAME to another distribution "
                "(CNAMEAlreadyExists). Repoint the DNS record to %s first (dns_cname_repoint); %s%s"
                % (names, plan.what, plan.domain_name, held, done))
        if found is None:
            who = ("another distribution, or one that gave it up moments ago: CloudFront keeps a removed alias "
                   "taken until that distribution is Deployed again")
        else:
            who = _describe_holder(found)
        return AliasError("%s is already held by %s (CNAMEAlreadyExists). Move it with state=moved (%s, "
                          "which needs the TXT record %s), or remove it from the holder first%s"
                          % (names, who, move, plan.txt_record(aliases[0], plan.domain_name) if aliases
                             else "_<alias> = %s" % plan.domain_name, done))
    if exc.code == "IllegalUpdate":
        kind = "distribution tenant" if holder and holder.get("resource_type") == TENANT else "distribution"
        who = ("%s %s in account %s" % (kind, holder["distribution_id"], holder["account_id"])
               if holder else "the distribution that holds it")
        return AliasError("AWS will not move %s from %s (IllegalUpdate): it is enabled and in another AWS account. "
                          "Its owner must disable it, or remove the alias from it; then run again. Nothing was "
                          "changed for %s%s. AWS said: %s" % (names, who, names, done, exc))
    if is_missing_txt(exc):
        alias = aliases[0]
        waited = ""
        if txt_attempts > 1:
            waited = (" CloudFront still did not see it after %d attempts over up to %d seconds (txt_wait_timeout): "
                      "check the record's name and value, and that the zone is the one the public DNS serves."
                      % (txt_attempts, txt_wait_timeout))
        record = plan.txt_record(alias, plan.domain_name)
        name, unused, rest = record.partition(" = ")
        operation = plan.via.get(alias.name, {}).get("operation") or ASSOCIATE_ALIAS
        return AliasError("%s needs the DNS TXT record %s with the value %s before it moves %s; create "
                          "it with dns_cname_repoint (challenge: true) and run again%s.%s AWS said: %s"
                          % (operation, name, rest, names, done, waited, exc))
    if exc.code == "InvalidViewerCertificate":
        return AliasError("CloudFront refused %s: the distribution's certificate does not cover it "
                          "(InvalidViewerCertificate). Add the name to the certificate first%s. AWS said: %s"
                          % (names, done, exc))
    if exc.code == "TooManyDistributionCNAMEs":
        return AliasError("%s would exceed the distribution's alias quota (TooManyDistributionCNAMEs): CloudFront "
                          "allows %d alternate domain names per distribution unless the account's quota was raised; "
                          "request an increase (Service Quotas, CloudFront) or use fewer aliases%s"
                          % (names, DEFAULT_ALIAS_QUOTA, done))
    if exc.code == "PreconditionFailed":
        return AliasError("%s kept changing while this module tried to update it (PreconditionFailed after several "
                          "fresh reads); someone else is editing it - try again later%s" % (plan.distribution_id, done))
    return AliasError("%s%s" % (exc, done))


def wait_deployed(cloudfront: Any, distribution_id: str, timeout: float, sleep: Callable[[float], None] = time.sleep,
                  clock: Callable[[], float] = time.time, tenant: bool = False) -> bool:
    """True once the distribution (or tenant) is Deployed, False at the deadline. Polled often at first (a change
    in a small distribution deploys in seconds to minutes), then every 15 seconds at most."""
    deadline = clock() + timeout
    delay = 0.25
    while True:
        if tenant:
            status = read_tenant(cloudfront, distribution_id)[0].status
        else:
            status = call("GetDistribution %s" % distribution_id, cloudfront.get_distribution,
                          Id=distribution_id)["Distribution"]["Status"]
        if status == "Deployed":
            return True
        if clock() >= deadline:
            return False
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 1.5, 15.0)
