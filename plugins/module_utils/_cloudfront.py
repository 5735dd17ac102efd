# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudFront as this collection sees it: distributions, who holds an alias, and conflicts.

``DistributionIndex`` is built from one paginated ``ListDistributions`` pass and
shared by every alias of a run; ``LazyDistributionIndex`` reads the same pages one at a
time, only as far as the questions asked of it need. ``conflicts_for`` asks ``ListConflictingAliases``
(every page) and resolves partly hidden ids against the index where that is
unambiguous.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import (
    AwsError,
    call,
    describe_error,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    is_masked,
    mask_matches,
)

DISTRIBUTION_ID = re.compile(r"^[A-Z0-9]{8,32}$")
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:cloudfront::(\d{12}):distribution/")


def account_of_arn(arn: Optional[str]) -> Optional[str]:
    """The account id in a distribution's ARN, or None."""
    match = _ARN_ACCOUNT.match(arn or "")
    return match.group(1) if match else None


class Distribution:
    """The parts of a distribution that matter here, read from a summary or a config."""

    __slots__ = ("id", "arn", "domain_name", "status", "enabled", "aliases", "comment",
                 "account_id", "ipv6", "certificate_arn", "default_certificate", "iam_certificate")

    def __init__(self, id: str, arn: str, domain_name: str, status: str, enabled: bool, aliases: Sequence[str],
                 comment: str = "", account_id: Optional[str] = None, ipv6: bool = True,
                 certificate_arn: Optional[str] = None, default_certificate: bool = False,
                 iam_certificate: Optional[str] = None) -> None:
        self.id = id
        self.arn = arn
        self.domain_name = domain_name.lower().rstrip(".")
        self.status = status
        self.enabled = bool(enabled)
        self.aliases = tuple(Alias.parse(a) for a in aliases)
        self.comment = comment or ""
        self.account_id = account_id
        self.ipv6 = bool(ipv6)
        self.certificate_arn = certificate_arn
        self.default_certificate = bool(default_certificate)
        self.iam_certificate = iam_certificate

    @classmethod
    def from_summary(cls, summary: Dict[str, Any]) -> "Distribution":
        arn = summary.get("ARN", "")
        match = _ARN_ACCOUNT.match(arn)
        viewer = summary.get("ViewerCertificate") or {}
        return cls(
            id=summary["Id"],
            arn=arn,
            domain_name=summary["DomainName"],
            status=summary.get("Status", ""),
            enabled=summary.get("Enabled", True),
            aliases=(summary.get("Aliases") or {}).get("Items") or [],
            comment=summary.get("Comment", ""),
            account_id=match.group(1) if match else None,
            ipv6=summary.get("IsIPV6Enabled", True),
            certificate_arn=viewer.get("ACMCertificateArn") or None,
            default_certificate=bool(viewer.get("CloudFrontDefaultCertificate")),
            iam_certificate=viewer.get("IAMCertificateId") or None,
        )

    @classmethod
    def from_distribution(cls, distribution: Dict[str, Any]) -> "Distribution":
        """From GetDistribution's ``Distribution`` (its config holds what a summary has at the top)."""
        config = distribution.get("DistributionConfig") or {}
        return cls.from_summary(dict(config, Id=distribution["Id"], ARN=distribution.get("ARN", ""),
                                     DomainName=distribution["DomainName"], Status=distribution.get("Status", "")))

    def to_result(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "arn": self.arn,
            "domain_name": self.domain_name,
            "status": self.status,
            "enabled": self.enabled,
            "aliases": [a.name for a in self.aliases],
            "comment": self.comment,
            "account_id": self.account_id,
        }


class DistributionIndex:
    """Every distribution of the caller's account, from one ListDistributions pass."""

    def __init__(self, distributions: Iterable[Distribution], account_id: Optional[str] = None) -> None:
        self.distributions = list(distributions)
        self.by_id = dict((d.id, d) for d in self.distributions)
        self.by_domain = dict((d.domain_name, d) for d in self.distributions)
        self.account_id = account_id or next((d.account_id for d in self.distributions if d.account_id), None)

    @classmethod
    def load(cls, client: Any) -> "DistributionIndex":
        distributions = []
        paginator = client.get_paginator("list_distributions")
        try:
            for page in paginator.paginate(PaginationConfig={"PageSize": "100"}):
                for summary in page.get("DistributionList", {}).get("Items") or []:
                    distributions.append(Distribution.from_summary(summary))
        except Exception as exc:
            raise describe_error(exc, "ListDistributions")
        return cls(distributions)

    def get(self, distribution_id: Optional[str]) -> Optional[Distribution]:
        return self.by_id.get(distribution_id)

    def with_domain(self, domain_name: Optional[str]) -> Optional[Distribution]:
        """The distribution whose ``*.cloudfront.net`` name this is, or None."""
        return self.by_domain.get((domain_name or "").lower().rstrip("."))

    def known_holder(self, alias: Alias) -> Optional[Distribution]:
        """The distribution that holds exactly this alias, or None (the lazy index's question, answered whole)."""
        return next((d for d in self.distributions if alias in d.aliases), None)

    def known_overlapping(self, alias: Alias) -> List[Tuple[Distribution, Alias]]:
        return self.overlapping(alias)

    def holders(self, alias: Alias) -> List[Distribution]:
        """Distributions of this account that hold exactly this alias."""
        return [d for d in self.distributions if alias in d.aliases]

    def overlapping(self, alias: Alias) -> List[Tuple[Distribution, Alias]]:
        """(distribution, held alias) pairs of this account that overlap the alias."""
        return [(d, held) for d in self.distributions for held in d.aliases if held.overlaps(alias)]

    def by_masked_id(self, masked_id: str, alias: Alias) -> Optional[Distribution]:
        """The one distribution of this account that a partly hidden id can be, or None."""
        matches = [d for d in self.distributions
                   if mask_matches(masked_id, d.id) and any(held == alias for held in d.aliases)]
        if len(matches) == 1:
            return matches[0]
        return None


def list_distributions_page(client: Any, marker: Optional[str] = None) -> Tuple[List[Distribution], Optional[str]]:
    """One ListDistributions page of 100: (its distributions, the marker of the next page or None)."""
    kwargs = {"MaxItems": "100"}
    if marker:
        kwargs["Marker"] = marker
    try:
        page = client.list_distributions(**kwargs).get("DistributionList") or {}
    except Exception as exc:
        raise describe_error(exc, "ListDistributions")
    following = page.get("NextMarker") if page.get("IsTruncated") else None
    return [Distribution.from_summary(s) for s in page.get("Items") or []], following or None


class LazyDistributionIndex:
    """The account's distributions, listed page by page (ListDistributions, 100 a page) only as answers need them,
    each page once, whichever thread needs it first.

    Step 1 reads its target with one GetDistribution; the account's listing is needed only to answer who holds an
    alias, to resolve a holder's hidden id, or to name the distribution a DNS record leads to. A question about one
    name - which distribution holds it exactly, has this ``*.cloudfront.net`` name or this id, which of ours a hidden
    id is - is answered from the pages read so far when they hold the answer, and otherwise reads on from the
    marker until they do or the listing ends: CloudFront lets one resource hold a given name, and a domain name or
    an id names one distribution, so the first match is the only one. Questions about the whole account
    (``distributions``, ``overlapping``) read every page left. No page is read twice. The account id is known
    without listing when the caller read it from the target's ARN.
    """

    def __init__(self, client: Any, account_id: Optional[str] = None) -> None:
        self._client = client
        self._account_id = account_id
        self._read = []  # type: List[Distribution]
        self._marker = None  # type: Optional[str]
        self._pages = 0
        self._index = None  # type: Optional[DistributionIndex]
        self._lock = threading.RLock()

    @property
    def loaded(self) -> bool:
        """Whether any page of the listing was read."""
        return self._pages > 0

    @property
    def pages_read(self) -> int:
        return self._pages

    @property
    def complete(self) -> bool:
        """Whether every page was read."""
        return self._index is not None

    def read_page(self) -> bool:
        """Read the next page; False (and no request) when every page was read already."""
        with self._lock:
            if self._index is not None:
                return False
            distributions, self._marker = list_distributions_page(self._client, self._marker)
            self._read.extend(distributions)
            self._pages += 1
            if self._marker is None:
                index = DistributionIndex(self._read)
                if index.account_id is None:
                    index.account_id = self._account_id
                self._index = index
            return True

    def index(self) -> DistributionIndex:
        with self._lock:
            while self._index is None:
                self.read_page()
            return self._index

    def read_so_far(self) -> List[Distribution]:
        """The distributions of the pages read so far (no request)."""
        with self._lock:
            return list(self._read)

    def _first(self, matches: Callable[[Distribution], bool]) -> Optional[Distribution]:
        """The first distribution that matches, reading on only while none of the pages read so far does."""
        with self._lock:
            seen = 0
            while True:
                found = next((d for d in self._read[seen:] if matches(d)), None)
                if found is not None:
                    return found
                seen = len(self._read)
                if not self.read_page():
                    return None

    def known_holder(self, alias: Alias) -> Optional[Distribution]:
        """The distribution that holds exactly this alias among the pages read so far, or None (no request)."""
        with self._lock:
            return next((d for d in self._read if alias in d.aliases), None)

    @property
    def account_id(self) -> Optional[str]:
        return self._account_id or self.index().account_id

    @account_id.setter
    def account_id(self, value: Optional[str]) -> None:
        self._account_id = value

    @property
    def distributions(self) -> List[Distribution]:
        return self.index().distributions

    @property
    def by_id(self) -> Dict[str, Distribution]:
        return self.index().by_id

    @property
    def by_domain(self) -> Dict[str, Distribution]:
        return self.index().by_domain

    def get(self, distribution_id: Optional[str]) -> Optional[Distribution]:
        return self._first(lambda d: d.id == distribution_id) if distribution_id else None

    def with_domain(self, domain_name: Optional[str]) -> Optional[Distribution]:
        name = (domain_name or "").lower().rstrip(".")
        return self._first(lambda d: d.domain_name == name) if name else None

    def holders(self, alias: Alias) -> List[Distribution]:
        return self.index().holders(alias)

    def overlapping(self, alias: Alias) -> List[Tuple[Distribution, Alias]]:
        return self.index().overlapping(alias)

    def known_overlapping(self, alias: Alias) -> List[Tuple[Distribution, Alias]]:
        """``overlapping`` among the pages read so far (no request)."""
        with self._lock:
            return [(d, held) for d in self._read for held in d.aliases if held.overlaps(alias)]

    def by_masked_id(self, masked_id: str, alias: Alias) -> Optional[Distribution]:
        # Only one distribution can hold ``alias``: the first whose id fits the visible end is the one.
        return self._first(lambda d: mask_matches(masked_id, d.id) and alias in d.aliases)


def read_distribution(client: Any, distribution_id: str) -> Optional[Distribution]:
    """One GetDistribution: the distribution, or None when there is no such distribution. AwsError otherwise."""
    try:
        response = call("GetDistribution %s" % distribution_id, client.get_distribution, Id=distribution_id)
    except AwsError as exc:
        if exc.code == "NoSuchDistribution":
            return None
        raise
    return Distribution.from_distribution(response["Distribution"])


class Holder:
    """One distribution that holds an alias overlapping the one asked about."""

    resource_type = "distribution"

    def __init__(self, alias: Alias, distribution_id: str, account_id: Optional[str], masked: bool, in_account: bool,
                 distribution: Any = None, overlap: str = "exact") -> None:
        self.alias = alias
        self.distribution_id = distribution_id
        self.account_id = account_id
        self.masked = masked
        self.in_account = in_account
        self.distribution = distribution
        self.overlap = overlap

    def to_result(self) -> Dict[str, Any]:
        result = {
            "alias": self.alias.name,
            "distribution_id": self.distribution_id,
            "account_id": self.account_id,
            "masked": self.masked,
            "in_account": self.in_account,
            "overlap": self.overlap,
            "resource_type": self.resource_type,
        }
        if self.distribution is not None:
            result.update({
                "domain_name": self.distribution.domain_name,
                "status": self.distribution.status,
                "enabled": self.distribution.enabled,
                "aliases": [a.name for a in self.distribution.aliases],
            })
        return result


def overlap_kind(held: Alias, asked: Alias) -> str:
    if held == asked:
        return "exact"
    if held.is_wildcard and held.covers(asked.base if asked.is_wildcard else asked.name):
        return "wildcard"
    return "covered"


def list_conflicting_aliases(client: Any, target_id: str, alias: Alias) -> List[Dict[str, Any]]:
    """Every page of ListConflictingAliases for one alias."""
    entries = []
    marker = None
    while True:
        kwargs = {"DistributionId": target_id, "Alias": alias.name, "MaxItems": 100}
        if marker:
            kwargs["Marker"] = marker
        response = call("ListConflictingAliases for %s" % alias.name, client.list_conflicting_aliases, **kwargs)
        page = response.get("ConflictingAliasesList") or {}
        entries.extend(page.get("Items") or [])
        marker = page.get("NextMarker")
        if not marker:
            return entries


def conflicts_for(client: Any, index: DistributionIndex, target_id: str,
                  alias: Alias) -> Tuple[List[Holder], Optional[str]]:
    """Holders of aliases overlapping ``alias`` in any account, target included.

    Returns (holders, warning). When AWS refuses the question (for example the
    target's certificate does not cover the alias), the holders known from this
    account's own index are returned with a warning that says why the other
    accounts could not be asked.
    """
    try:
        entries = list_conflicting_aliases(client, target_id, alias)
    except AwsError as exc:
        if exc.code not in ("InvalidArgument", "AccessDenied", "AccessDeniedException"):
            raise
        holders = [Holder(held, d.id, d.account_id, False, True, d, overlap_kind(held, alias))
                   for d, held in index.overlapping(alias)]
        return holders, ("ListConflictingAliases could not be asked about %s (%s), so only this account's "
                         "distributions were checked: %s" % (alias.name, exc.code, exc))
    holders = []
    for entry in entries:
        holders.append(_holder_from_entry(entry, index, alias))
    # An in-account holder that AWS did not list (it should) is still a holder.
    listed = set((h.distribution_id, h.alias) for h in holders)
    for dist, held in index.overlapping(alias):
        if (dist.id, held) not in listed:
            holders.append(Holder(held, dist.id, dist.account_id, False, True, dist, overlap_kind(held, alias)))
    holders.sort(key=lambda h: (h.overlap != "exact", h.alias.name, h.distribution_id))
    return holders, None


def _holder_from_entry(entry: Dict[str, Any], index: DistributionIndex, asked: Alias) -> Holder:
    held = Alias.parse(entry.get("Alias", ""))
    dist_id = entry.get("DistributionId", "")
    account_id = entry.get("AccountId", "")
    masked = is_masked(dist_id) or is_masked(account_id)
    own = index.account_id
    dist = None
    if not is_masked(dist_id):
        dist = index.get(dist_id)
    elif not account_id or (own and mask_matches(account_id, own)):
        # AWS hides ids it does not own; ours can be recognised by their visible suffix.
        dist = index.by_masked_id(dist_id, held)
    if dist is not None:
        return Holder(held, dist.id, own or account_id, masked, True, dist, overlap_kind(held, asked))
    in_account = bool(own) and (account_id == own or (is_masked(account_id) and mask_matches(account_id, own)))
    return Holder(held, dist_id, account_id, masked, in_account, None, overlap_kind(held, asked))


def is_distribution_id(value: Optional[str]) -> bool:
    return bool(DISTRIBUTION_ID.match(value or ""))


class InvalidDistributionId(ValueError):
    pass


def require_distribution_id(option: str, value: Optional[str]) -> str:
    """The id, stripped; or InvalidDistributionId with a message that names the option."""
    value = (value or "").strip()
    if not is_distribution_id(value):
        raise InvalidDistributionId("%s %r does not look like a CloudFront distribution id (uppercase letters and "
                                    "digits, like E2ABCDEF012345)" % (option, value))
    return value


def get_config(client: Any, distribution_id: str) -> Tuple[Dict[str, Any], str]:
    response = call("GetDistributionConfig for %s" % distribution_id, client.get_distribution_config, Id=distribution_id)
    return response["DistributionConfig"], response["ETag"]


def config_aliases(config: Dict[str, Any]) -> List[Alias]:
    return [Alias.parse(a) for a in (config.get("Aliases") or {}).get("Items") or []]


def with_aliases(config: Dict[str, Any], aliases: Sequence[Alias]) -> Dict[str, Any]:
    """A copy of the config with only the Aliases element replaced."""
    updated = dict(config)
    names = [a.name for a in aliases]
    updated["Aliases"] = {"Quantity": len(names), "Items": names} if names else {"Quantity": 0}
    return updated


# -- ListDomainConflicts, which also sees distribution tenants ---------------------------------

TENANT = "distribution-tenant"
# Answers that mean "this endpoint or these credentials do not offer ListDomainConflicts", not
# "the question is wrong": ListConflictingAliases is asked instead.
_NOT_OFFERED = ("AccessDenied", "AccessDeniedException", "InvalidAction", "NotImplemented", "UnknownOperation",
                "UnknownOperationException", "UnsupportedOperation")


class TenantHolder(Holder):
    """A distribution tenant that holds the domain (only ListDomainConflicts reports them).

    ``distribution_id`` is the tenant's id (the attribute every holder has); ``distribution``
    is the ``Tenant`` when the tenant is this account's and could be resolved.
    """

    resource_type = TENANT

    def to_result(self) -> Dict[str, Any]:
        result = super(TenantHolder, self).to_result()
        result["resource_type"] = TENANT
        result["distribution_tenant_id"] = self.distribution_id
        if self.distribution is not None:
            tenant = self.distribution
            result.update({"name": tenant.name, "multi_tenant_distribution_id": tenant.distribution_id,
                           "connection_group_id": tenant.connection_group_id,
                           "routing_endpoint": tenant.domain_name or None})
        return result


def list_domain_conflicts(client: Any, alias: Alias, distribution_id: Optional[str] = None,
                          tenant_id: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every page of ListDomainConflicts for one domain, asked through a distribution or a tenant."""
    resource = {"DistributionTenantId": tenant_id} if tenant_id else {"DistributionId": distribution_id}
    entries = []
    marker = None
    while True:
        kwargs = {"Domain": alias.name, "DomainControlValidationResource": resource, "MaxItems": 100}
        if marker:
            kwargs["Marker"] = marker
        response = call("ListDomainConflicts for %s" % alias.name, client.list_domain_conflicts, **kwargs)
        entries.extend(response.get("DomainConflicts") or [])
        marker = response.get("NextMarker")
        if not marker:
            return entries


def _not_offered(exc: AwsError) -> bool:
    if exc.code in _NOT_OFFERED:
        return True
    response = getattr(exc.exception, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 405, 501)


def not_offered(exc: AwsError) -> bool:
    """Whether an AwsError means "this endpoint or these credentials do not offer the operation"."""
    return _not_offered(exc)


class ConflictApi:
    """Whether this endpoint answers ListDomainConflicts: learnt from the first question, kept for a run."""

    def __init__(self) -> None:
        self.domain_conflicts = None  # type: Optional[bool]
        self.reason = None  # type: Optional[str]


def domain_conflicts_for(client: Any, index: DistributionIndex, alias: Alias, distribution_id: Optional[str] = None,
                         tenant_id: Optional[str] = None, api: Optional[ConflictApi] = None,
                         tenants: Optional["LazyTenants"] = None,
                         whole_listing: bool = True) -> Tuple[List[Holder], Optional[str], Optional[str]]:
    """Holders of ``alias`` or overlapping names, tenants included where CloudFront can say so.

    Returns (holders, warning, operation): ``operation`` names the one that answered, or
    is None when only this account's index could be read. ListDomainConflicts is asked
    first; where it is not offered (an older endpoint or botocore, or an IAM policy
    without cloudfront:ListDomainConflicts) ``conflicts_for`` asks ListConflictingAliases,
    which needs a standard distribution and does not see tenants. ``api`` (a ConflictApi)
    remembers that across calls and carries the reason; without it the warning says it.
    ``tenants`` (a LazyTenants) resolves this account's tenants' hidden ids, and adds them
    when only this account could be read; it is read only when a tenant of this account is met.
    ``whole_listing``: a holder of this account that ListDomainConflicts did not list is added from the whole
    listing (read for it), or, when False, from the pages of a LazyDistributionIndex read so far (step 1, which reads
    pages only to answer).
    """
    standalone = api is None
    api = ConflictApi() if standalone else api
    if api.domain_conflicts is None and not hasattr(client, "list_domain_conflicts"):
        api.domain_conflicts, api.reason = False, ("this botocore (%s) has no ListDomainConflicts (botocore %s or "
                                                   "later has it)" % (botocore_version(), DOMAIN_APIS_BOTOCORE))
    if api.domain_conflicts is not False:
        try:
            entries = list_domain_conflicts(client, alias, distribution_id, tenant_id)
        except AwsError as exc:
            if exc.code in ("InvalidArgument", "EntityNotFound"):
                # Offered, but it would not answer through this resource (its certificate, or it is gone).
                api.domain_conflicts = True
                warning = ("ListDomainConflicts could not be asked about %s (%s), so only this account's "
                           "distributions were checked: %s" % (alias.name, exc.code, exc))
                return in_account_holders(index, alias, tenants), warning, None
            if not _not_offered(exc):
                raise
            api.domain_conflicts = False
            api.reason = "ListDomainConflicts was not answered (%s)" % (exc.code or exc)
        else:
            api.domain_conflicts = True
            return _domain_holders(entries, index, alias, tenants, whole_listing), None, "ListDomainConflicts"
    prefix = "%s; " % api.reason if standalone else ""
    if not distribution_id:
        warning = ("%sListConflictingAliases needs a standard distribution whose certificate covers %s, so only "
                   "this account's distributions were checked" % (prefix, alias.name))
        return in_account_holders(index, alias, tenants), warning, None
    holders, warning = conflicts_for(client, index, distribution_id, alias)
    if tenants is not None:
        # ListConflictingAliases never lists tenants: this account's own are still known.
        holders.extend(_own_tenant_holders(tenants.index(), alias, holders))
    if warning:
        return holders, prefix + warning, None
    if prefix:
        return holders, prefix + "ListConflictingAliases was asked instead; it does not see distribution tenants", \
            "ListConflictingAliases"
    return holders, None, "ListConflictingAliases"


def in_account_holders(index: DistributionIndex, alias: Alias, tenants: Optional["LazyTenants"] = None) -> List[Holder]:
    holders = [Holder(held, d.id, d.account_id, False, True, d, overlap_kind(held, alias))
               for d, held in index.overlapping(alias)]
    if tenants is not None:
        holders.extend(_own_tenant_holders(tenants.index(), alias, holders))
    return holders


def _own_tenant_holders(tenant_index: "TenantIndex", alias: Alias, listed: List[Holder]) -> List[Holder]:
    seen = set((h.distribution_id, h.alias) for h in listed)
    return [TenantHolder(held, t.id, t.account_id, False, True, t, overlap_kind(held, alias))
            for t, held in tenant_index.overlapping(alias) if (t.id, held) not in seen]


def _domain_holders(entries: List[Dict[str, Any]], index: DistributionIndex, alias: Alias,
                    tenants: Optional["LazyTenants"] = None, whole_listing: bool = True) -> List[Holder]:
    holders = []
    for entry in entries:
        if entry.get("ResourceType") == TENANT:
            holders.append(_tenant_holder_from_entry(entry, index, alias, tenants))
        else:
            as_alias_entry = {"Alias": entry.get("Domain", ""), "DistributionId": entry.get("ResourceId", ""),
                              "AccountId": entry.get("AccountId", "")}
            holders.append(_holder_from_entry(as_alias_entry, index, alias))
    # AWS lists every holder, this account's too. A holder of ours it left out (one that changed since) is added
    # from the listing: the whole of it, or only the pages read so far (no page read for this alone).
    listed = set((h.distribution_id, h.alias) for h in holders)
    ours = index.overlapping(alias) if whole_listing else index.known_overlapping(alias)
    holders.extend(Holder(held, d.id, d.account_id, False, True, d, overlap_kind(held, alias))
                   for d, held in ours if (d.id, held) not in listed)
    holders.sort(key=lambda h: (h.overlap != "exact", h.alias.name, h.distribution_id))
    return holders


def _tenant_holder_from_entry(entry: Dict[str, Any], index: DistributionIndex, alias: Alias,
                              tenants: Optional["LazyTenants"]) -> "TenantHolder":
    held = Alias.parse(entry.get("Domain", ""))
    tenant_id = entry.get("ResourceId", "")
    account_id = entry.get("AccountId", "")
    own = index.account_id
    in_account = bool(own) and (account_id == own or (is_masked(account_id) and mask_matches(account_id, own)))
    masked = is_masked(tenant_id) or is_masked(account_id)
    tenant = None
    if in_account and tenants is not None:
        # AWS hides the first half of every tenant id, ours too: ours are recognised by their visible end.
        tenant_index = tenants.index()
        tenant = tenant_index.get(tenant_id) if not is_masked(tenant_id) else tenant_index.by_masked_id(tenant_id, held)
    if tenant is not None:
        return TenantHolder(held, tenant.id, own, masked, True, tenant, overlap_kind(held, alias))
    return TenantHolder(held, tenant_id, account_id, masked, in_account, None, overlap_kind(held, alias))


# -- Distribution tenants and connection groups (CloudFront SaaS Manager) ----------------------

# ListDomainConflicts, UpdateDomainAssociation and the tenant APIs came with this botocore (and boto3) release.
DOMAIN_APIS_BOTOCORE = "1.38.4"
TENANT_ID = re.compile(r"^dt_[A-Za-z0-9]{10,60}$")
_TENANT_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:cloudfront::(\d{12}):distribution-tenant/")


def botocore_version() -> str:
    try:
        import botocore
        return botocore.__version__
    except ImportError:
        return "(not installed)"


def is_tenant_id(value: Optional[str]) -> bool:
    return bool(TENANT_ID.match(value or ""))


def require_tenant_id(option: str, value: Optional[str]) -> str:
    """The tenant id, stripped; or InvalidDistributionId with a message that names the option."""
    value = (value or "").strip()
    if not is_tenant_id(value):
        raise InvalidDistributionId("%s %r does not look like a CloudFront distribution tenant id (dt_ followed by "
                                    "letters and digits, like dt_2x9GhoK0TZRsohWzv1b9It8J1AB)" % (option, value))
    return value


class ConnectionGroup:
    """A connection group: the routing endpoint (a *.cloudfront.net name) its tenants are reached through."""

    __slots__ = ("id", "arn", "name", "routing_endpoint", "is_default", "enabled", "status")

    def __init__(self, id: str, arn: str, name: str, routing_endpoint: Optional[str], is_default: bool = False,
                 enabled: bool = True, status: str = "") -> None:
        self.id = id
        self.arn = arn
        self.name = name
        self.routing_endpoint = (routing_endpoint or "").lower().rstrip(".")
        self.is_default = bool(is_default)
        self.enabled = bool(enabled)
        self.status = status

    @classmethod
    def from_summary(cls, summary: Dict[str, Any]) -> "ConnectionGroup":
        return cls(summary["Id"], summary.get("Arn", ""), summary.get("Name", ""), summary.get("RoutingEndpoint", ""),
                   summary.get("IsDefault", False), summary.get("Enabled", True), summary.get("Status", ""))

    def to_result(self) -> Dict[str, Any]:
        return {"id": self.id, "arn": self.arn, "name": self.name, "routing_endpoint": self.routing_endpoint,
                "is_default": self.is_default, "enabled": self.enabled, "status": self.status}


class Tenant:
    """A distribution tenant, shaped like a Distribution where the procedure needs it to be.

    ``aliases`` are its domains; ``domain_name`` is its connection group's routing endpoint (where
    its DNS must lead), filled in by the TenantIndex; the certificate is the tenant's own
    (Customizations) or else its multi-tenant distribution's.
    """

    resource_type = TENANT
    __slots__ = ("id", "arn", "name", "distribution_id", "connection_group_id", "aliases", "domain_status",
                 "enabled", "status", "etag", "account_id", "domain_name", "certificate_arn", "default_certificate",
                 "iam_certificate")

    def __init__(self, id: str, arn: str, name: str, distribution_id: Optional[str], domains: List[Dict[str, Any]],
                 connection_group_id: Optional[str] = None, enabled: bool = True, status: str = "",
                 etag: Optional[str] = None, certificate_arn: Optional[str] = None) -> None:
        self.id = id
        self.arn = arn
        self.name = name
        self.distribution_id = distribution_id
        self.connection_group_id = connection_group_id
        self.aliases = tuple(Alias.parse(d["Domain"]) for d in domains)
        self.domain_status = dict((Alias.parse(d["Domain"]).name, d.get("Status") or "active") for d in domains)
        self.enabled = bool(enabled)
        self.status = status
        self.etag = etag
        match = _TENANT_ARN_ACCOUNT.match(arn or "")
        self.account_id = match.group(1) if match else None
        self.domain_name = ""
        self.certificate_arn = certificate_arn
        self.default_certificate = False
        self.iam_certificate = None

    @classmethod
    def from_summary(cls, summary: Dict[str, Any], etag: Optional[str] = None) -> "Tenant":
        certificate = ((summary.get("Customizations") or {}).get("Certificate") or {}).get("Arn")
        return cls(summary["Id"], summary.get("Arn", ""), summary.get("Name", ""), summary.get("DistributionId"),
                   summary.get("Domains") or [], summary.get("ConnectionGroupId"), summary.get("Enabled", True),
                   summary.get("Status", ""), etag or summary.get("ETag"), certificate)

    def inherit_certificate(self, distribution: Optional[Distribution]) -> None:
        """Without a certificate of its own, a tenant serves with its multi-tenant distribution's."""
        if self.certificate_arn is None and distribution is not None:
            self.certificate_arn = distribution.certificate_arn
            self.default_certificate = distribution.default_certificate
            self.iam_certificate = distribution.iam_certificate

    def to_result(self) -> Dict[str, Any]:
        return {"id": self.id, "resource_type": TENANT, "arn": self.arn, "name": self.name,
                "multi_tenant_distribution_id": self.distribution_id,
                "connection_group_id": self.connection_group_id, "domain_name": self.domain_name or None,
                "routing_endpoint": self.domain_name or None, "status": self.status, "enabled": self.enabled,
                "aliases": [a.name for a in self.aliases],
                "domains": [{"domain": a.name, "status": self.domain_status.get(a.name)} for a in self.aliases],
                "account_id": self.account_id}


def _all_pages(operation: str, method: Callable[..., Any], items_key: str, **kwargs: Any) -> List[Dict[str, Any]]:
    items, marker = [], None
    while True:
        args = dict(kwargs, MaxItems=100)
        if marker:
            args["Marker"] = marker
        response = call(operation, method, **args)
        items.extend(response.get(items_key) or [])
        marker = response.get("NextMarker")
        if not marker:
            return items


class TenantIndex:
    """Every distribution tenant and connection group of the caller's account (two paginated list calls).

    ``unavailable`` says why it is empty when this botocore or endpoint does not offer the
    tenant APIs (an account without tenants simply has none).
    """

    def __init__(self, tenants: Iterable[Tenant] = (), groups: Iterable[ConnectionGroup] = (),
                 account_id: Optional[str] = None, unavailable: Optional[str] = None, requests: int = 0) -> None:
        self.tenants = list(tenants)
        self.groups = list(groups)
        self.by_id = dict((t.id, t) for t in self.tenants)
        self.by_name = dict((t.name, t) for t in self.tenants)
        self.groups_by_id = dict((g.id, g) for g in self.groups)
        self.groups_by_endpoint = dict((g.routing_endpoint, g) for g in self.groups)
        self.account_id = account_id or next((t.account_id for t in self.tenants if t.account_id), None)
        self.unavailable = unavailable
        self.requests = requests
        for tenant in self.tenants:
            group = self.groups_by_id.get(tenant.connection_group_id)
            if group is not None:
                tenant.domain_name = group.routing_endpoint

    @classmethod
    def load(cls, client: Any, distributions: Optional[DistributionIndex] = None) -> "TenantIndex":
        """Both lists; ``distributions`` (a DistributionIndex) gives tenants their distribution's certificate."""
        if not (hasattr(client, "list_distribution_tenants") and hasattr(client, "list_connection_groups")):
            return cls(unavailable="this botocore (%s) has no distribution tenant APIs (botocore %s or later has "
                                   "them)" % (botocore_version(), DOMAIN_APIS_BOTOCORE))
        try:
            tenants = _all_pages("ListDistributionTenants", client.list_distribution_tenants, "DistributionTenantList")
            groups = _all_pages("ListConnectionGroups", client.list_connection_groups, "ConnectionGroups")
        except AwsError as exc:
            if not _not_offered(exc):
                raise
            return cls(unavailable="distribution tenants could not be listed (%s)" % (exc.code or exc))
        index = cls([Tenant.from_summary(t) for t in tenants], [ConnectionGroup.from_summary(g) for g in groups],
                    distributions.account_id if distributions is not None else None,
                    requests=max(1, -(-len(tenants) // 100)) + max(1, -(-len(groups) // 100)))
        if distributions is not None:
            for tenant in index.tenants:
                tenant.inherit_certificate(distributions.get(tenant.distribution_id))
        return index

    def get(self, tenant_id: Optional[str]) -> Optional[Tenant]:
        return self.by_id.get(tenant_id)

    def group_for_endpoint(self, name: Optional[str]) -> Optional[ConnectionGroup]:
        return self.groups_by_endpoint.get((name or "").lower().rstrip("."))

    def tenants_in_group(self, group_id: Optional[str]) -> List[Tenant]:
        return [t for t in self.tenants if t.connection_group_id == group_id]

    def holders(self, alias: Alias) -> List[Tenant]:
        return [t for t in self.tenants if alias in t.aliases]

    def overlapping(self, alias: Alias) -> List[Tuple[Tenant, Alias]]:
        return [(t, held) for t in self.tenants for held in t.aliases if held.overlaps(alias)]

    def by_masked_id(self, masked_id: str, alias: Alias) -> Optional[Tenant]:
        """The one tenant of this account that a partly hidden id can be (holding ``alias``), or None."""
        matches = [t for t in self.tenants if mask_matches(masked_id, t.id) and alias in t.aliases]
        return matches[0] if len(matches) == 1 else None


class LazyTenants:
    """A TenantIndex read on first need only: a run that never meets a tenant never lists them."""

    def __init__(self, client: Any, distributions: Optional[DistributionIndex] = None) -> None:
        self._client = client
        self._distributions = distributions
        self._index = None  # type: Optional[TenantIndex]
        self._lock = threading.Lock()  # aliases are examined from several threads: the tenants are listed once

    @property
    def loaded(self) -> bool:
        return self._index is not None

    def index(self) -> TenantIndex:
        with self._lock:
            if self._index is None:
                self._index = TenantIndex.load(self._client, self._distributions)
            return self._index


# What GetDistributionTenant and GetConnectionGroup answer for an id that names nothing.
_NOT_FOUND = ("EntityNotFound", "NoSuchResource", "NoSuchDistributionTenant", "NoSuchConnectionGroup")


def read_tenant_with_group(client: Any, tenant_id: str) -> Optional[Tuple[Tenant, ConnectionGroup]]:
    """(the tenant, its connection group) from GetDistributionTenant and GetConnectionGroup, or None when there is
    no such tenant; the tenant's ``domain_name`` is its group's routing endpoint. AwsError otherwise."""
    try:
        response = get_tenant_response(client, tenant_id)
    except AwsError as exc:
        if exc.code in _NOT_FOUND:
            return None
        raise
    tenant = Tenant.from_summary(response["DistributionTenant"], etag=response.get("ETag"))
    group = ConnectionGroup.from_summary(get_connection_group(client, tenant.connection_group_id))
    tenant.domain_name = group.routing_endpoint
    return tenant, group


def get_tenant_response(client: Any, tenant_id: str) -> Dict[str, Any]:
    """GetDistributionTenant's whole answer (the tenant and its ETag)."""
    return call("GetDistributionTenant %s" % tenant_id, client.get_distribution_tenant, Identifier=tenant_id)


def get_connection_group(client: Any, group_id: Optional[str]) -> Dict[str, Any]:
    """GetConnectionGroup's connection group."""
    return call("GetConnectionGroup %s" % group_id, client.get_connection_group, Identifier=group_id)["ConnectionGroup"]


def tenant_routing_endpoint(client: Any, tenant_id: str) -> Tuple[Dict[str, Any], str]:
    """(tenant as GetDistributionTenant returns it, its connection group's routing endpoint): where DNS must lead."""
    tenant = get_tenant_response(client, tenant_id)["DistributionTenant"]
    group = get_connection_group(client, tenant.get("ConnectionGroupId"))
    return tenant, group["RoutingEndpoint"].lower().rstrip(".")
