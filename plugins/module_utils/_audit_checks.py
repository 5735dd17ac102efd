# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's two questions that list calls cannot answer, asked so that only a proof counts.

1. Does a ``*.cloudfront.net`` name exist? Only CloudFront's own authoritative
   nameservers can say. A recursive resolver's NXDOMAIN proves nothing (the
   resolver of a locked-down runner answers NXDOMAIN for the whole internet), so
   ``TargetChecker`` asks, with recursion off, the nameservers of
   ``cloudfront.net`` found through the public DNS, or the nameservers the user
   names, and believes only an authoritative answer. When no server answers, the
   name is unknown, with the reason - never missing, never present.
2. Does anybody, in any account, hold a name? ``HolderAsker`` asks
   ``ListDomainConflicts`` (standard distributions and distribution tenants) and
   falls back to ``ListConflictingAliases`` (standard distributions only) where
   the first is not available; both need a distribution of the caller's account
   whose certificate covers the name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import list_conflicting_aliases
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    list_domain_conflicts as _domain_conflicts,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import (
    AuthoritativeResolver,
    ResolverError,
    server_label,
)

CLOUDFRONT_ZONE = "cloudfront.net"
LIST_DOMAIN_CONFLICTS = "ListDomainConflicts"
LIST_CONFLICTING_ALIASES = "ListConflictingAliases"
# What an endpoint answers for an operation it does not have (AWS partitions and regions without
# the 2025 multi-tenant API, proxies, older stand-ins), or an IAM policy that allows only the older call.
_UNAVAILABLE = ("404", "NotFound", "UnknownOperation", "UnknownOperationException", "InvalidAction",
                "NotImplemented", "AccessDenied", "AccessDeniedException")
# Refusals about one name (certificate, distribution): that name stays unverified, the run goes on.
_REFUSALS = ("InvalidArgument", "NoSuchDistribution", "EntityNotFound", "AccessDenied", "AccessDeniedException")


class TargetChecker:
    """Whether CloudFront names exist, from authoritative answers only; each server is given up after it times out.

    Raises ResolverError when ``nameservers`` are given and one cannot be used (a name that does not resolve).
    """

    def __init__(self, nameservers: Optional[List[str]] = None, timeout: float = 3.0, retries: int = 1) -> None:
        self.problem: Optional[str] = None
        self.resolver: Optional[AuthoritativeResolver] = None
        try:
            self.resolver = AuthoritativeResolver(nameservers, timeout=timeout, retries=retries)
        except ResolverError as exc:
            if nameservers:
                # Nameservers the user named that cannot be used are bad input, not a DNS outage.
                raise
            self.problem = str(exc)
        self.explicit = bool(nameservers)
        # The servers asked (resolver Nameserver tuples), those that timed out once, and the answers by name.
        self._servers: Optional[List[Any]] = None
        self._silent: Dict[Any, str] = {}
        self.results: Dict[str, Dict[str, Any]] = {}

    @classmethod
    def for_resolver(cls, resolver: AuthoritativeResolver) -> "TargetChecker":
        """A checker over a resolver the caller already has (the preflight's): the same proof rules."""
        checker = cls.__new__(cls)
        checker.problem = None
        checker.resolver = resolver
        checker.explicit = bool(resolver.explicit)
        checker._servers = None
        checker._silent = {}
        checker.results = {}
        return checker

    def servers(self) -> List[Any]:
        if self._servers is None:
            self._servers = []
            if self.resolver is not None and self.resolver.explicit:
                self._servers = list(self.resolver.explicit)
            elif self.resolver is not None:
                try:
                    self._servers = self.resolver.servers_for(CLOUDFRONT_ZONE)
                except ResolverError as exc:
                    self.problem = ("CloudFront's nameservers could not be found (%s): this host's resolver cannot "
                                    "see the public DNS, so no *.cloudfront.net name can be checked; run the audit "
                                    "where it can, or name nameservers that answer for cloudfront.net" % exc)
        return self._servers

    def check(self, domain: str) -> Dict[str, Any]:
        """{"exists": True|False|None, "detail": why}; None when no nameserver answered authoritatively."""
        if domain not in self.results:
            self.results[domain] = self._check(domain)
        return self.results[domain]

    def _check(self, domain: str) -> Dict[str, Any]:
        servers = self.servers()
        if not servers or self.resolver is None:
            return {"exists": None, "detail": self.problem or "no nameserver to ask"}
        errors: List[str] = []
        for server in servers:
            if server in self._silent:
                errors.append(self._silent[server])
                continue
            answer = self.resolver.lookup(server, domain, "A")
            if answer.error is None:
                found = answer.rcode != "NXDOMAIN"
                return {"exists": found, "server": server_label(server),
                        "detail": "%s answered %s for %s authoritatively" % (server_label(server), answer.rcode, domain)}
            if answer.rcode is None:
                # No answer at all (timeout, unreachable): do not wait for it again for every name.
                self._silent[server] = answer.error
            errors.append(answer.error)
        where = "the nameservers given" if self.explicit else "CloudFront's nameservers"
        return {"exists": None, "detail": "none of %s answered authoritatively for %s: %s"
                % (where, domain, "; ".join(_unique(errors)))}

    def summary(self) -> Dict[str, Any]:
        values = [r["exists"] for r in self.results.values()]
        return {"checked": len(values), "exist": values.count(True), "missing": values.count(False),
                "unknown": values.count(None), "nameservers": [server_label(s) for s in (self._servers or [])],
                "problem": self.problem}


def _unique(items: List[str]) -> List[str]:
    seen: List[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


class HolderAsker:
    """Who holds a name in any account: ListDomainConflicts where available, else ListConflictingAliases."""

    def __init__(self, client: Any, api: str = "auto") -> None:
        self.client = client
        self.use_domain_conflicts = api in ("auto", LIST_DOMAIN_CONFLICTS) and hasattr(client, "list_domain_conflicts")
        self.fallback = api == "auto"
        self.notes: List[str] = []

    def holders(self, alias: Alias, distribution_id: str) -> Tuple[List[Dict[str, Any]], str]:
        """(entries, operation). Entries look like ListConflictingAliases items, plus ResourceType.

        Raises AwsError when AWS refuses the question.
        """
        if self.use_domain_conflicts:
            try:
                return list_domain_conflicts(self.client, distribution_id, alias), LIST_DOMAIN_CONFLICTS
            except AwsError as exc:
                if not (self.fallback and exc.code in _UNAVAILABLE):
                    raise
                self.use_domain_conflicts = False
                self.notes.append("ListDomainConflicts is not available here (%s), so ListConflictingAliases was "
                                  "asked instead; it does not see distribution tenants" % exc.code)
        return list_conflicting_aliases(self.client, distribution_id, alias), LIST_CONFLICTING_ALIASES


def list_domain_conflicts(client: Any, distribution_id: str, alias: Alias) -> List[Dict[str, Any]]:
    """Every page of ListDomainConflicts for one domain (step 1's one reader of it), as
    ListConflictingAliases-shaped entries."""
    return [{"Alias": item.get("Domain", ""), "DistributionId": item.get("ResourceId", ""),
             "AccountId": item.get("AccountId", ""), "ResourceType": item.get("ResourceType", "distribution")}
            for item in _domain_conflicts(client, alias, distribution_id=distribution_id)]


def is_refusal(exc: AwsError) -> bool:
    """AWS would not answer about this one name; the others can still be asked."""
    return exc.code in _REFUSALS
