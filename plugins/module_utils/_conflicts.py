# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Step 1: who holds an alias, what DNS says about it, and what to do next.

It reads the target first (one GetDistribution; GetDistributionTenant and GetConnectionGroup for a tenant).
An alias the target already holds exactly needs no conflict query: CloudFront lets one resource hold a
given name, and routes a name to the most specific alternate domain name that matches it, whichever
distribution DNS leads to - an exact alias on the target wins over any wildcard elsewhere (Amazon
CloudFront Developer Guide, "Requirements for using alternate domain names",
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements).
For the same reason an alias that another distribution of this account holds exactly is answered from the
account's listing, without ListDomainConflicts: that distribution is its holder, and the verdict, the next step
and the move follow from it. A wildcard over it in another account, which only ListDomainConflicts would show,
changes none of them (the exact name wins; the remediation plan uses only the exact holder, and wildcard holders
only for words and, where DNS answers with addresses, this account's own). Only the other aliases are asked about.

The listing (ListDistributions, 100 a page) is read page by page, each page once per run and shared by every
alias (``LazyDistributionIndex``), only as far as answers need it: pages up front while the next one costs less
than the conflict queries still to send (``read_listing_while_worth_it``: fewer than twice the requests of the
best choice in hindsight; none for one alias alone), then whatever an alias's DNS answer needs to be named (DNS
is read before the alias is asked about, so those pages answer it too) or a holder's hidden id needs to be
resolved. So a deployment's no-op (its aliases on its distribution, DNS leading there) costs one request, the
runbook's alias (DNS still at its old distribution) one page and no conflict query, and a free alias no page.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    TENANT,
    ConflictApi,
    DistributionIndex,
    Holder,
    LazyDistributionIndex,
    LazyTenants,
    TenantHolder,
    domain_conflicts_for,
    overlap_kind,
    read_distribution,
    read_tenant_with_group,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias, certificate_covers
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._parallel import AWS_WORKERS, map_ordered
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import ResolverError

FREE = "free"
ON_TARGET = "on_target"
HELD_IN_ACCOUNT = "held_in_account"
HELD_OTHER_ACCOUNT = "held_other_account"
DNS_POINTS_ELSEWHERE = "dns_points_elsewhere"


# Holders, or a function that gives them when first needed (step 1 reads DNS before it asks who holds the alias).
HoldersOrLater = Union[List[Holder], Callable[[], List[Holder]]]

ADDRESS_GUESS = ("a guess from addresses: CloudFront's edge addresses are shared by many distributions and change "
                 "over time, so read the record at the DNS provider (for Route 53, its alias target) to be sure")


class DnsView:
    """What the alias's DNS says today, read from its zone's authoritative servers."""

    def __init__(self, name: str, record_type: Optional[str] = None, values: Sequence[str] = (),
                 chain: Sequence[Dict[str, Any]] = (), final: Optional[str] = None,
                 points_to: Optional[Dict[str, Any]] = None, error: Optional[str] = None,
                 zone: Optional[str] = None) -> None:
        self.name = name
        self.record_type = record_type
        self.values = list(values)
        self.chain = list(chain)
        self.final = final
        self.points_to = points_to
        self.error = error
        self.zone = zone

    def to_result(self) -> Dict[str, Any]:
        return {"name": self.name, "zone": self.zone, "type": self.record_type, "values": self.values,
                "chain": self.chain, "final_name": self.final, "points_to": self.points_to, "error": self.error}

    @property
    def points_at_other_distribution(self) -> bool:
        return bool(self.points_to) and not self.points_to.get("is_target") and self.points_to.get("via") == "CNAME"


def read_dns(resolver: Any, alias: Alias, index: Any, target: Any, holders: HoldersOrLater,
             tenants: Optional[LazyTenants] = None, target_group: Any = None) -> DnsView:
    """Follow the alias's chain; say which known distribution it reaches, if any (target may be None).

    ``index`` is a DistributionIndex or a LazyDistributionIndex: a chain that ends at the target's own domain
    does not read it, and one that ends at another ``*.cloudfront.net`` name reads it only until that name is
    found. ``holders`` (a list, or a function that gives it) is needed only for a name without a CNAME, whose
    addresses are compared with the holders'. A name this account's distributions do not answer for may be a
    connection group's routing endpoint: ``tenants`` (a LazyTenants) is read then, and only then, to say which
    group and tenants it leads to; ``target_group`` (a tenant target's ConnectionGroup, read with it) names the
    target's own without listing.
    """
    name = alias.name
    try:
        hops = resolver.chase(name)
    except ResolverError as exc:
        return DnsView(name, error=str(exc), zone=_zone_or_none(resolver, name))
    chain = [{"name": h["name"], "cname": h["cname"]} for h in hops]
    first = hops[0]
    zone = first.get("zone")
    if first.get("cname"):
        final = hops[-1]["name"]
        # What dns_cname_verify proves: every authoritative nameserver of every hop answered, with the same CNAME.
        unanimous = all(not server.get("error") and server.get("cname") == hop["cname"]
                        for hop in hops for server in hop["servers"])
        points_to = None
        dist = None
        if final.endswith(".cloudfront.net"):
            # CloudFront's own check (CNAMEAlreadyExists) sees only a direct CNAME; a chain passes it.
            direct = first["cname"] == final
            if target is not None and final == target.domain_name:
                # DNS leads to the target: nothing to look up (the account's listing is not read for it).
                if is_tenant(target) and target_group is not None and not (tenants is not None and tenants.loaded):
                    points_to = _own_group_points_to(final, target, target_group, direct)
                    points_to["every_nameserver"] = unanimous
                    return DnsView(name, "CNAME", [first["cname"]], chain, final, points_to, zone=zone)
                dist = None if is_tenant(target) else target
            else:
                dist = index.with_domain(final)
            group = tenants.index().group_for_endpoint(final) if dist is None and tenants is not None else None
            if group is not None:
                points_to = _group_points_to(final, group, tenants.index(), target, direct)
                points_to["every_nameserver"] = unanimous
                return DnsView(name, "CNAME", [first["cname"]], chain, final, points_to, zone=zone)
            points_to = {
                "domain_name": final,
                "distribution_id": dist.id if dist else None,
                "in_account": dist is not None,
                "is_target": dist is not None and target is not None and dist.id == target.id,
                "via": "CNAME" if direct else "CNAME chain",
                "guess": False,
                "every_nameserver": unanimous,
            }
        return DnsView(name, "CNAME", [first["cname"]], chain, final, points_to, zone=zone)
    return _read_addresses(resolver, alias, index, target, holders, chain, zone)


def _group_points_to(final: str, group: Any, tenant_index: Any, target: Any, direct: bool) -> Dict[str, Any]:
    """DNS leads to a connection group's routing endpoint: to the tenants of that group."""
    members = tenant_index.tenants_in_group(group.id)
    is_target = target is not None and getattr(target, "resource_type", None) == TENANT and \
        target.connection_group_id == group.id
    return {"domain_name": final, "distribution_id": None, "resource_type": "connection-group",
            "connection_group_id": group.id, "connection_group_name": group.name,
            "distribution_tenant_ids": [t.id for t in members], "in_account": True, "is_target": is_target,
            "via": "CNAME" if direct else "CNAME chain", "guess": False}


def _own_group_points_to(final: str, target: Any, group: Any, direct: bool) -> Dict[str, Any]:
    """DNS leads to a tenant target's own routing endpoint, known from reading the target and its group: the
    group's other tenants are named only when this run listed the tenants anyway (``_group_points_to``)."""
    return {"domain_name": final, "distribution_id": None, "resource_type": "connection-group",
            "connection_group_id": group.id, "connection_group_name": group.name,
            "distribution_tenant_ids": [target.id], "in_account": True, "is_target": True,
            "via": "CNAME" if direct else "CNAME chain", "guess": False}


def _zone_or_none(resolver: Any, name: str) -> Optional[str]:
    try:
        return resolver.zone_for(name)
    except ResolverError:
        return None


def _read_addresses(resolver: Any, alias: Alias, index: DistributionIndex, target: Any, holders: HoldersOrLater,
                    chain: List[Dict[str, Any]], zone: Optional[str]) -> DnsView:
    # No CNAME: an alias record (Route 53), a flattened or proxied record, or plain addresses. Which
    # distribution the addresses belong to is only a guess (shared edge addresses), and says so.
    try:
        values = resolver.addresses(alias.name)
    except ResolverError as exc:
        return DnsView(alias.name, error=str(exc), zone=zone)
    if not values:
        return DnsView(alias.name, None, [], chain, None, None, zone=zone)
    if callable(holders):
        holders = holders()
    # No target yet (a distribution a deployment will create): only the holders can match.
    candidates = ([target] if target is not None else []) + [
        h.distribution for h in holders
        if h.distribution is not None and (target is None or h.distribution.id != target.id)]
    matching = []
    for dist in candidates:
        try:
            known = set(resolver.addresses(dist.domain_name))
        except ResolverError:
            continue
        if known and known & set(values):
            matching.append(dist)
    points_to = None
    if len(matching) == 1:
        dist = matching[0]
        points_to = {"domain_name": dist.domain_name, "distribution_id": dist.id, "in_account": True,
                     "is_target": target is not None and dist.id == target.id, "via": "addresses", "guess": True,
                     "matching_distributions": [dist.id]}
    elif matching:
        # Several distributions answer with these addresses: say so, and claim none of them.
        points_to = {"domain_name": None, "distribution_id": None, "in_account": True, "is_target": False,
                     "via": "addresses", "guess": True, "matching_distributions": [d.id for d in matching]}
    return DnsView(alias.name, "A/AAAA", values, chain, alias.name, points_to, zone=zone)


def verdict_for(alias: Alias, target: Any, holders: List[Holder], dns_view: Optional[DnsView]) -> str:
    exact = [h for h in holders if h.overlap == "exact"]
    if any(h.distribution_id == target.id for h in exact):
        return ON_TARGET
    others = [h for h in exact if h.distribution_id != target.id]
    if any(h.in_account for h in others):
        return HELD_IN_ACCOUNT
    if others:
        return HELD_OTHER_ACCOUNT
    if dns_view is not None and dns_view.points_at_other_distribution:
        return DNS_POINTS_ELSEWHERE
    return FREE


def txt_record_name(alias: Alias, dns_view: Optional[DnsView], txt_names: Optional[Dict[str, str]] = None) -> str:
    """The TXT record AssociateAlias checks: the user's name for it when given (``txt_names``), else derived from
    the alias, in its zone when DNS told us the zone ('_<alias>'; '_.example.com' for a wildcard or an apex,
    which AWS does not document)."""
    if txt_names and alias.name in txt_names:
        return txt_names[alias.name]
    return alias.txt_challenge_name(dns_view.zone if dns_view is not None else None)


def _dns_note(name: str, target: Any, dns_view: Optional[DnsView]) -> str:
    points_to = dns_view.points_to if dns_view is not None else None
    if not points_to:
        return ""
    if not points_to.get("guess"):
        if points_to.get("is_target"):
            return ""
        return " DNS for %s still points at %s; repoint it to %s (dns_cname_repoint)." % (
            name, points_to["domain_name"], target.domain_name)
    # Addresses only: never state it as a fact.
    if points_to.get("domain_name") is None:
        seen = "the addresses of several distributions (%s)" % ", ".join(points_to["matching_distributions"])
    else:
        seen = "the same addresses as %s (%s)" % (points_to["distribution_id"], points_to["domain_name"])
    advice = ("; if it is not %s, repoint it (dns_cname_repoint)" % target.domain_name
              if not points_to.get("is_target") else "; dns_cname_verify proves it through Route 53")
    return " DNS for %s has no CNAME and answers with %s. That is %s%s." % (name, seen, ADDRESS_GUESS, advice)


def is_tenant(resource: Any) -> bool:
    return getattr(resource, "resource_type", None) == TENANT


def describe(resource: Any, resource_id: Optional[str] = None) -> str:
    """'distribution E2...' style words for a target or a holder; tenants are named as tenants."""
    if is_tenant(resource):
        name = getattr(resource, "name", None) or getattr(getattr(resource, "distribution", None), "name", None)
        rid = resource_id or getattr(resource, "id", None) or resource.distribution_id
        return "distribution tenant %s%s" % (rid, " (%s)" % name if name else "")
    return resource_id or getattr(resource, "id", None) or resource.distribution_id


def move_operation(holder: Any, target: Any) -> str:
    """AssociateAlias between standard distributions (no ETag to race on, every botocore has it);
    UpdateDomainAssociation wherever a tenant is the source or the target (AssociateAlias cannot)."""
    return "UpdateDomainAssociation" if is_tenant(holder) or is_tenant(target) else "AssociateAlias"


def next_step(verdict: str, alias: Alias, target: Any, holders: List[Holder], dns_view: Optional[DnsView],
              txt_names: Optional[Dict[str, str]] = None) -> str:
    name = alias.name
    zone = dns_view.zone if dns_view is not None else None
    txt = txt_record_name(alias, dns_view, txt_names)
    txt_note = "" if txt_names and alias.name in txt_names else alias.txt_challenge_note(zone)
    exact = [h for h in holders if h.overlap == "exact" and h.distribution_id != target.id]
    dns_note = _dns_note(name, target, dns_view)
    target_words = describe(target)
    if verdict == ON_TARGET:
        if dns_note:
            return "%s is already on %s.%s" % (name, target_words, dns_note)
        return "Nothing to do: %s is on %s and nothing else holds it." % (name, target_words)
    if verdict == HELD_IN_ACCOUNT:
        holder = [h for h in exact if h.in_account][0]
        return ("%s is held by %s in this account. Move it to %s in one step with %s: create the "
                "TXT record %s = %s%s, run cloudfront_distribution_alias with state=moved, then repoint DNS to %s "
                "and remove the TXT record (the cname_remediation role does all of this)."
                % (name, describe(holder), target_words, move_operation(holder, target), txt, target.domain_name,
                   txt_note, target.domain_name))
    if verdict == HELD_OTHER_ACCOUNT:
        holder = exact[0]
        if is_tenant(holder):
            return ("%s is held by distribution tenant %s in another AWS account (%s). That account's owner must "
                    "remove the domain from that tenant (UpdateDistributionTenant), or disable the tenant or its "
                    "multi-tenant distribution; after that, move it with UpdateDomainAssociation (TXT record "
                    "%s = %s%s). Nothing in this account can take it over while that tenant is enabled."
                    % (name, holder.distribution_id, holder.account_id, txt, target.domain_name, txt_note))
        return ("%s is held by distribution %s in another AWS account (%s). That account's owner must remove "
                "the alias from it, or disable it; after that, move the alias with %s (TXT record "
                "%s = %s%s). Nothing in this account can take it over while that distribution is enabled."
                % (name, holder.distribution_id, holder.account_id, move_operation(holder, target), txt,
                   target.domain_name, txt_note))
    if verdict == DNS_POINTS_ELSEWHERE:
        return ("No distribution or tenant holds %s exactly, but its DNS CNAME points at %s, so CloudFront refuses "
                "to add it (CNAMEAlreadyExists). Repoint DNS to %s first (dns_cname_repoint), then add the alias to "
                "%s." % (name, dns_view.points_to["domain_name"], target.domain_name, target_words))
    return "%s is free: add it to %s (cloudfront_distribution_alias, state=present).%s" % (name, target_words, dns_note)


class TargetNotFound(Exception):
    pass


def find_target(index: DistributionIndex, tenants: LazyTenants, target_id: Optional[str] = None,
                target_tenant_id: Optional[str] = None) -> Any:
    """The target distribution or tenant of this account from the listings, or TargetNotFound saying what to check."""
    if target_tenant_id:
        tenant_index = tenants.index()
        target = tenant_index.get(target_tenant_id)
        if target is None:
            why = (" (%s)" % tenant_index.unavailable) if tenant_index.unavailable else ""
            raise TargetNotFound(
                "Distribution tenant %s was not found in account %s (%d tenants there%s). Check "
                "target_distribution_tenant_id, and that the credentials belong to the account that owns it."
                % (target_tenant_id, index.account_id or "(unknown)", len(tenant_index.tenants), why))
        return target
    target = index.get(target_id)
    if target is None:
        raise TargetNotFound(
            "Distribution %s was not found in account %s (%d distributions there). Check "
            "target_distribution_id, and that the credentials belong to the account that owns it."
            % (target_id, index.account_id or "(unknown)", len(index.distributions)))
    return target


def read_target(cloudfront: Any, index: LazyDistributionIndex, tenants: LazyTenants, target_id: Optional[str] = None,
                target_tenant_id: Optional[str] = None) -> Tuple[Any, Any]:
    """(target, its connection group or None): one GetDistribution, or GetDistributionTenant and GetConnectionGroup.

    Only when it is not there are the account's distributions (or tenants) listed, to say which account the
    credentials reached and how many it has (``find_target``'s message).
    """
    if target_tenant_id:
        found = read_tenant_with_group(cloudfront, target_tenant_id)
        if found is None:
            find_target(index, tenants, None, target_tenant_id)
            raise TargetNotFound("Distribution tenant %s was not found. Check target_distribution_tenant_id, and that "
                                 "the credentials belong to the account that owns it." % target_tenant_id)
        return found
    target = read_distribution(cloudfront, target_id or "")
    if target is None:
        find_target(index, tenants, target_id, None)
        raise TargetNotFound("Distribution %s was not found. Check target_distribution_id, and that the credentials "
                             "belong to the account that owns it." % target_id)
    return target, None


def held_by_target(target: Any, alias: Alias) -> Holder:
    """The target as the one exact holder of an alias it holds (read from the target itself, no conflict query)."""
    if is_tenant(target):
        return TenantHolder(alias, target.id, target.account_id, False, True, target, "exact")
    return Holder(alias, target.id, target.account_id, False, True, target, "exact")


def read_challenge(resolver: Any, name: str, zone: Optional[str]) -> Dict[str, Any]:
    """The TXT record ``name`` (a move's ``_<alias>`` proof) as every authoritative nameserver of the zone serves it.

    Step 1 reads it where the alias is already on the target: an earlier run stopped after its move leaves
    it behind, and the plan removes it when it provably is that run's (it names the target).
    """
    try:
        servers = resolver.servers_for(zone or resolver.zone_for(name))
    except ResolverError as exc:
        return {"name": name, "values": [], "error": str(exc)}
    values, errors = set(), []
    for server in servers:
        answer = resolver.lookup(server, name, "TXT")
        if answer.error:
            errors.append(answer.error)
        values.update(answer.values)
    return {"name": name, "values": sorted(values), "error": "; ".join(errors) or None}


class CertificateCheck:
    """Whether the target's certificate covers a name, read once per run (DescribeCertificate).

    Step 1 says so before anything changes: a move or an add that CloudFront would refuse for the
    certificate is refused by the plan instead, before a TXT record is created or DNS is repointed.
    """

    def __init__(self, acm_factory: Optional[Callable[[], Any]], target: Any) -> None:
        self._factory = acm_factory
        self.target = target
        self._names = None  # type: Optional[List[str]]
        self._unreadable = None  # type: Optional[str]
        self._lock = threading.Lock()  # aliases are checked from several threads; the certificate is read once

    def _certificate_names(self) -> Optional[List[str]]:
        with self._lock:
            return self._read_names()

    def _read_names(self) -> Optional[List[str]]:
        if self._names is None and self._unreadable is None:
            arn = self.target.certificate_arn
            try:
                certificate = call("DescribeCertificate %s" % arn, self._factory().describe_certificate,
                                   CertificateArn=arn)["Certificate"]
                self._names = [certificate.get("DomainName", "")] + list(certificate.get("SubjectAlternativeNames")
                                                                         or [])
            except AwsError as exc:
                # Not readable with these credentials: CloudFront itself will say, when the alias is added.
                self._unreadable = "the certificate %s could not be read (%s)" % (arn, exc.code or exc)
        return self._names

    def check(self, alias: Alias) -> Dict[str, Any]:
        """{"covers": True|False|None, "detail"}; None when it cannot be known here."""
        target = self.target
        if target.default_certificate or not (target.certificate_arn or target.iam_certificate):
            return {"covers": False, "detail": "%s uses CloudFront's default *.cloudfront.net certificate, which "
                                               "covers no alternate domain name: attach an ACM certificate (us-east-1)"
                                               " that covers %s first" % (target.id, alias.name)}
        if not target.certificate_arn or self._factory is None:
            return {"covers": None, "detail": "the certificate cannot be read here; CloudFront will check it"}
        names = self._certificate_names()
        if names is None:
            return {"covers": None, "detail": self._unreadable}
        if certificate_covers(names, alias):
            return {"covers": True, "detail": "the certificate %s covers %s" % (target.certificate_arn, alias.name)}
        return {"covers": False, "detail": "the certificate of %s (%s) covers %s but not %s: add the name to the "
                                           "certificate, or attach one that covers it, first (a certificate's "
                                           "*.example.com covers exactly one label)"
                                           % (target.id, target.certificate_arn, ", ".join(sorted(set(names))),
                                              alias.name)}


def listing_holder(index: LazyDistributionIndex, tenants: Optional[LazyTenants], alias: Alias,
                   target: Any) -> Optional[Any]:
    """The distribution (or tenant) of this account that the listings read so far show holding exactly ``alias``,
    other than the target, or None; no request (tenants count only when this run listed them anyway)."""
    dist = index.known_holder(alias)
    if dist is not None and dist.id != target.id:  # the listing may be older than the target just read
        return dist
    if tenants is not None and tenants.loaded:
        return next((t for t in tenants.index().holders(alias) if t.id != target.id), None)
    return None


def holders_from_listing(index: LazyDistributionIndex, tenants: Optional[LazyTenants], alias: Alias, holder: Any,
                         target: Any) -> List[Holder]:
    """Who holds ``alias``, as ListDomainConflicts would say it for a name this account holds exactly: ``holder``
    (from the listing), with this account's other names that overlap it (wildcards) from the pages read so far, the
    target's and, when listed, its tenants'. Every holder is this account's, with its real id, ``masked`` as AWS
    reports every holder (so that the answer does not depend on which source gave it). Other accounts' wildcards
    are not known here; they change no verdict, next step or plan (the exact name wins over them)."""
    own = index.account_id

    def as_holder(resource: Any, held: Alias) -> Holder:
        kind = TenantHolder if is_tenant(resource) else Holder
        return kind(held, resource.id, own or resource.account_id, True, True, resource, overlap_kind(held, alias))

    found = [as_holder(d, held) for d, held in index.known_overlapping(alias)]
    if tenants is not None and tenants.loaded:
        found.extend(as_holder(t, held) for t, held in tenants.index().overlapping(alias))
    found.extend(as_holder(target, held) for held in target.aliases if held.overlaps(alias))
    found.append(as_holder(holder, alias))
    unique = {}  # type: Dict[Tuple[str, str, Alias], Holder]
    for found_holder in found:
        unique.setdefault((found_holder.resource_type, found_holder.distribution_id, found_holder.alias), found_holder)
    return sorted(unique.values(), key=lambda h: (h.overlap != "exact", h.alias.name, h.distribution_id))


def read_listing_while_worth_it(index: LazyDistributionIndex, aliases: Sequence[Alias]) -> List[Alias]:
    """Read ListDistributions pages while the next one costs less than the conflict queries still to send;
    the aliases the pages read do not answer (each needs one ListDomainConflicts).

    A page (100 distributions) answers every alias a distribution on it holds exactly. With U_k aliases left after
    k pages, page k+1 is read only while k+1 < U_k (the ski-rental rule: the pages never cost more than the queries
    they might save). Against the fewest requests that answer the same aliases by reading the listing in its order
    and asking about the rest (min over j of j + U_j), this sends less than twice as many: stopping at k, either
    the best j is below k and k < U_j, or it is above and U_k <= k + 1 <= j. One alias alone (U = 1) reads no page
    here; its DNS may read some, and those answer it too. The pages read are kept: a later full read (a DNS answer
    that is no distribution of this account) goes on from the marker.
    """
    left = list(aliases)
    while left and not index.complete and index.pages_read + 1 < len(left):
        index.read_page()
        left = [alias for alias in left if index.known_holder(alias) is None]
    return left


def find_conflicts(cloudfront: Any, resolver: Any, target_id: Optional[str], aliases: List[Alias],
                   txt_names: Optional[Dict[str, str]] = None, acm_factory: Optional[Callable[[], Any]] = None,
                   target_tenant_id: Optional[str] = None) -> Tuple[Any, Any, List[Dict[str, Any]]]:
    """The whole of step 1 for every alias; read-only. Returns (index, target, one entry per alias).

    The target is a standard distribution (``target_id``) or a distribution tenant
    (``target_tenant_id``), read first. ``txt_names``: {alias name: TXT record name} to report instead of the
    derived name. ``acm_factory`` builds an ACM client (us-east-1) when the target's certificate must be read: only
    for aliases the target does not hold yet. An alias the target holds exactly is not asked about (see the module
    docstring). For every other one: listing pages are read first while worth it (``read_listing_while_worth_it``),
    then its DNS (which may read more pages to name the distribution it leads to); an alias that a distribution of
    the pages read (or a tenant, when the tenants were listed) holds exactly is answered from them
    (``holders_from_listing``); only the others are asked about, with ListDomainConflicts, which sees tenants, where
    botocore and the endpoint offer it, else ListConflictingAliases, with a warning. ``index`` is a
    LazyDistributionIndex: its ``loaded`` says whether some alias needed the account's listing.
    """
    index = LazyDistributionIndex(cloudfront)
    tenants = LazyTenants(cloudfront, index)
    target, target_group = read_target(cloudfront, index, tenants, target_id, target_tenant_id)
    index.account_id = target.account_id
    to_ask = [alias for alias in aliases if alias not in target.aliases]
    if to_ask and is_tenant(target) and target.certificate_arn is None and target.distribution_id:
        # Without a certificate of its own, a tenant serves with its multi-tenant distribution's.
        target.inherit_certificate(read_distribution(cloudfront, target.distribution_id))
    read_listing_while_worth_it(index, to_ask)
    certificates = CertificateCheck(acm_factory, target)
    api = ConflictApi()

    def who_holds(alias: Alias, whole: bool) -> Tuple[List[Holder], Optional[str]]:
        holder = listing_holder(index, tenants, alias, target)
        if holder is not None:
            if whole:
                index.index()  # every overlapping name of the account: its addresses are compared with the holders'
            return holders_from_listing(index, tenants, alias, holder, target), None
        holders, warning, operation = domain_conflicts_for(
            cloudfront, index, alias, distribution_id=target_id, tenant_id=target_tenant_id, api=api,
            tenants=tenants, whole_listing=False)
        if operation != "ListDomainConflicts" and api.domain_conflicts is False:
            fallback = "%s, so ListConflictingAliases was asked instead: it does not see distribution tenants " \
                       "in other accounts" % api.reason
            warning = "%s; %s" % (fallback, warning) if warning else fallback
        return holders, warning

    def examine(alias: Alias) -> Dict[str, Any]:
        warning = None  # type: Optional[str]
        if alias in target.aliases:
            holders = [held_by_target(target, alias)]
            dns_view = (read_dns(resolver, alias, index, target, holders, tenants, target_group)
                        if resolver is not None else None)
        else:
            # DNS first: the listing pages it reads to name where the alias leads may answer who holds it too.
            answered = []  # type: List[Tuple[List[Holder], Optional[str]]]

            def holders_once(whole: bool) -> Tuple[List[Holder], Optional[str]]:
                if not answered:
                    answered.append(who_holds(alias, whole))
                return answered[0]

            dns_view = (read_dns(resolver, alias, index, target, lambda: holders_once(True)[0], tenants,
                                 target_group) if resolver is not None else None)
            holders, warning = holders_once(False)
        verdict = verdict_for(alias, target, holders, dns_view)
        entry = {
            "alias": alias.name,
            "alias_unicode": alias.unicode,
            "verdict": verdict,
            "next_step": next_step(verdict, alias, target, holders, dns_view, txt_names),
            "holders": [h.to_result() for h in holders],
            "dns": dns_view.to_result() if dns_view is not None else None,
            "txt_record_name": txt_record_name(alias, dns_view, txt_names),
        }  # type: Dict[str, Any]
        if verdict == ON_TARGET:
            if resolver is not None:
                zone = dns_view.zone if dns_view is not None else None
                entry["txt_record"] = read_challenge(resolver, entry["txt_record_name"], zone)
        else:
            entry["target_certificate"] = certificates.check(alias)
        if warning:
            entry["warning"] = warning
        return entry

    # One alias's questions (DNS, then a conflict query when the listing does not answer) do not depend on
    # another's: several are asked at once.
    results = map_ordered(examine, aliases, AWS_WORKERS)
    return index, target, results
