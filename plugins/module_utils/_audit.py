# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet audit's analysis: inventories in, findings out.

Input is what the inventory modules gathered with list calls only: every
distribution of every audited account (with its aliases), every DNS record of
the audited zones, and - as ``Evidence`` - what only a question can tell: whether
a ``*.cloudfront.net`` name exists (an authoritative DNS answer) and who holds a
name in any account (``ListDomainConflicts``/``ListConflictingAliases``).
``find_problems`` cross-references them; every finding has a stable id, a kind,
a severity, the name, what was seen and the exact fix.

A finding states only what was proved. A name whose DNS leads to CloudFront and
that no audited distribution holds is ``dangling_cname`` only when its target is
proved not to exist, or AWS answered that nobody holds it; when neither could be
asked it is ``unverified``, with the reasons.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    InvalidName,
    certificate_covers,
    in_zone,
    most_specific,
)

# A finding, an inventory, a record: the JSON-shaped dicts audit.json is made of.
Json = Dict[str, Any]

SCHEMA = "aliasguard.cloudfront/audit/1"
SEVERITIES = ("critical", "high", "medium", "low", "info")
KINDS = ("dangling_cname", "dns_points_elsewhere", "alias_without_dns", "proxied_in_front",
         "overlapping_holders", "disabled_holder", "leftover_txt", "unverified", "tenant_domain_inactive",
         "tenant_dns_other_group")
TENANT = "distribution-tenant"
STATUSES = ("new", "unchanged", "resolved")
FAIL_ON = ("critical", "high", "new_critical", "never")
# Why a name could not be checked.
UNVERIFIED_REASONS = {
    "dns_unavailable": "no authoritative DNS answer for the *.cloudfront.net name it points at",
    "no_certificate": "no audited distribution has a certificate covering the name, so AWS cannot be asked who holds it",
    "aws_error": "AWS refused to say who holds the name",
    "not_asked": "AWS was not asked who holds the name",
}


class Holding:
    """One alias held by one audited distribution, or one domain of an audited distribution tenant
    (``distribution`` is then the tenant's inventory entry: its ``domain_name`` is its routing endpoint)."""

    def __init__(self, alias: Alias, account: str, distribution: Json) -> None:
        self.alias = alias
        self.account = account
        self.distribution = distribution

    @property
    def is_tenant(self) -> bool:
        return self.distribution.get("resource_type") == TENANT

    @property
    def label(self) -> str:
        kind = "distribution tenant " if self.is_tenant else ""
        return "%s%s (%s, account %s)" % (kind, self.distribution["id"], self.distribution["domain_name"],
                                          self.account)

    def reached_through(self, node: Json) -> bool:
        """Whether DNS pointing at ``node`` (a distribution or a connection group) reaches this holder."""
        if self.is_tenant:
            return bool(node.get("resource_type") == "connection-group"
                        and node["id"] == self.distribution.get("connection_group_id"))
        return bool(node.get("resource_type", "distribution") == "distribution"
                    and node["id"] == self.distribution["id"])


class Fleet:
    """Every audited distribution, indexed the ways the analysis needs.

    ``by_domain`` maps each ``*.cloudfront.net`` name that DNS may point at to what
    answers there: a distribution, or a connection group (its routing endpoint), whose
    tenants' domains are holdings like a distribution's aliases.
    """

    def __init__(self, inventories: Sequence[Json]) -> None:
        self.inventories = inventories
        # {domain: (account, distribution or connection group)}
        self.by_domain: Dict[str, Tuple[str, Json]] = {}
        self.holdings: List[Holding] = []
        for inventory in inventories:
            for dist in inventory.get("distributions", []):
                self.by_domain[dist["domain_name"]] = (inventory["account_id"], dist)
                for name in dist.get("aliases", []):
                    try:
                        alias = Alias.parse(name)
                    except InvalidName:
                        continue
                    self.holdings.append(Holding(alias, inventory["account_id"], dist))
            for group in inventory.get("connection_groups", []):
                self.by_domain[group["routing_endpoint"]] = (inventory["account_id"], group)
            for tenant in inventory.get("tenants", []):
                for name in tenant.get("domains", []):
                    try:
                        alias = Alias.parse(name)
                    except InvalidName:
                        continue
                    self.holdings.append(Holding(alias, inventory["account_id"], tenant))
        self.exact: Dict[str, List[Holding]] = {}
        self.wildcards: Dict[str, List[Holding]] = {}
        for holding in self.holdings:
            self.exact.setdefault(holding.alias.name, []).append(holding)
            if holding.alias.is_wildcard:
                self.wildcards.setdefault(holding.alias.base, []).append(holding)

    def covering_wildcards(self, name: str) -> List[Holding]:
        """Wildcard holdings that serve ``name`` (any depth below their base), nearest first."""
        found: List[Holding] = []
        labels = name.split(".")
        for start in range(1, len(labels)):
            found.extend(self.wildcards.get(".".join(labels[start:]), []))
        return found

    def holder_of(self, name: str) -> Optional[Holding]:
        """The audited holding CloudFront routes ``name`` to (most specific alias), or None."""
        candidates = self.exact.get(name, []) + self.covering_wildcards(name)
        if not candidates:
            return None
        best = most_specific([h.alias for h in candidates], name) or candidates[0].alias
        return next(h for h in candidates if h.alias == best)

    def asker_for(self, name: str) -> Optional[Tuple[str, Json]]:
        """(account, distribution) that can ask AWS about ``name``: the first audited account (by id) with a
        distribution whose certificate covers it, its first such distribution (by id); or None."""
        for inventory in sorted(self.inventories, key=lambda i: i["account_id"]):
            certificates = dict((c["arn"], c["names"]) for c in inventory.get("certificates", []))
            candidate = next((d for d in sorted(inventory.get("distributions", []), key=lambda d: d["id"])
                              if d.get("certificate_arn") in certificates
                              and certificate_covers(certificates[d["certificate_arn"]], name)), None)
            if candidate is not None:
                return inventory["account_id"], candidate
        return None


class DnsRecord:
    """A DNS record that matters to the audit, from any provider."""

    def __init__(self, data: Json) -> None:
        self.provider: str = data["provider"]
        self.zone: str = data["zone"]
        self.account: Optional[str] = data.get("account")
        self.name: str = data["name"]
        self.type: str = data["type"]
        self.values: List[str] = list(data.get("values") or [])
        self.alias_target: Optional[str] = (data.get("alias_target") or {}).get("dns_name")
        self.proxied = bool(data.get("proxied"))

    def cloudfront_target(self) -> Optional[str]:
        """The *.cloudfront.net name this record sends visitors to, if any."""
        if self.alias_target and self.alias_target.endswith(".cloudfront.net"):
            return self.alias_target
        if self.type == "CNAME" and self.values and self.values[0].endswith(".cloudfront.net"):
            return self.values[0]
        return None

    def where(self) -> str:
        account = " account %s" % self.account if self.account else ""
        return "%s zone %s%s" % (self.provider, self.zone, account)

    def describe(self) -> str:
        if self.alias_target:
            return "%s %s alias -> %s" % (self.name, self.type, self.alias_target)
        return "%s %s %s%s" % (self.name, self.type, ", ".join(self.values), " (proxied)" if self.proxied else "")

    def to_result(self) -> Json:
        return {"provider": self.provider, "zone": self.zone, "account": self.account, "type": self.type,
                "values": self.values, "alias_target": self.alias_target, "proxied": self.proxied}


class Evidence:
    """What was asked beyond the inventories, and what the answers prove.

    ``targets``: {cloudfront domain: {"exists": True|False|None, "detail"}} from authoritative DNS.
    ``conflicts``: {name: entries} from ListDomainConflicts/ListConflictingAliases (ListConflictingAliases
    item shape); a name that is absent was not asked. ``conflict_errors``: {name: why AWS did not answer}.
    ``apis``: {name: the operation that answered}.
    """

    def __init__(self, targets: Optional[Dict[str, Json]] = None, conflicts: Optional[Dict[str, List[Json]]] = None,
                 conflict_errors: Optional[Dict[str, str]] = None, apis: Optional[Dict[str, str]] = None) -> None:
        self.targets: Dict[str, Json] = dict(targets or {})
        self.conflicts: Dict[str, List[Json]] = dict(conflicts or {})
        self.conflict_errors: Dict[str, str] = dict(conflict_errors or {})
        self.apis: Dict[str, str] = dict(apis or {})

    @classmethod
    def from_exists(cls, exists: Optional[Dict[str, bool]], **kwargs: Any) -> "Evidence":
        """From {domain: bool} (the older form)."""
        targets = dict((d, {"exists": bool(e), "detail": "DNS answered %s for %s" % ("NOERROR" if e else "NXDOMAIN", d)})
                       for d, e in (exists or {}).items())
        return cls(targets=targets, **kwargs)

    def target(self, domain: str) -> Json:
        return self.targets.get(domain) or {"exists": None, "detail": "%s was not looked up" % domain}

    def outside_holders(self, name: str) -> Optional[List[Json]]:
        """Entries of other holders that serve ``name`` (exact or a covering wildcard); None when not asked."""
        entries = self.conflicts.get(name)
        if entries is None:
            return None
        holders: List[Json] = []
        for entry in entries:
            try:
                held = Alias.parse(entry.get("Alias", ""))
            except InvalidName:
                continue
            if held.name == name or held.covers(name):
                holders.append(entry)
        return holders


def finding_id(finding: Json) -> str:
    """A stable id: a hash of the kind, the name and the fields that identify the thing, never of the wording."""
    dns = finding.get("dns") or {}
    parts = [finding.get("kind"), finding.get("name"), finding.get("account"), finding.get("distribution_id"),
             finding.get("covered_by"), dns.get("provider"), dns.get("zone"), dns.get("account"), dns.get("type"), dns.get("alias_target"),
             sorted(dns.get("values") or [])]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def _finding(kind: str, severity: str, name: str, detail: str, fix: str, **extra: Any) -> Json:
    finding: Json = {"kind": kind, "severity": severity, "name": name, "detail": detail, "fix": fix}
    finding.update(extra)
    finding["id"] = finding_id(finding)
    return finding


def _remediate_command(name: str, holding: Holding, record: Optional[DnsRecord]) -> str:
    parts = ["ansible-playbook aliasguard.cloudfront.remediate", "-e alias=%s" % name,
             "-e %s=%s" % ("target_distribution_tenant_id" if holding.is_tenant else "target_distribution_id",
                           holding.distribution["id"])]
    if record is not None:
        parts += ["-e dns_provider=%s" % record.provider, "-e dns_zone=%s" % record.zone]
    return " ".join(parts)


def _repoint_command(record: DnsRecord, **args: Any) -> str:
    text = " ".join("%s=%s" % (k, v) for k, v in sorted(args.items()))
    return ("ansible localhost -m aliasguard.cloudfront.dns_cname_repoint -a 'provider=%s zone=%s name=%s %s'"
            % (record.provider, record.zone, record.name, text))


def find_problems(inventories: Sequence[Json], dns_records: Iterable[Json],
                  conflicts: Optional[Dict[str, List[Json]]] = None,
                  cloudfront_exists: Optional[Dict[str, bool]] = None,
                  evidence: Optional[Evidence] = None) -> List[Json]:
    """All findings, sorted by severity then kind then name.

    ``evidence`` (an ``Evidence``) says what DNS and AWS answered; the older arguments build one:
    ``conflicts`` {name: ListConflictingAliases entries} and ``cloudfront_exists`` {domain: bool}.
    """
    if evidence is None:
        evidence = Evidence.from_exists(cloudfront_exists, conflicts=conflicts)
    fleet = Fleet(inventories)
    records = [DnsRecord(r) for r in dns_records]
    findings = []
    findings.extend(_check_pointing_records(fleet, records, evidence))
    findings.extend(_check_aliases_without_dns(fleet, records))
    findings.extend(_check_overlaps(fleet))
    findings.extend(_check_disabled(fleet))
    findings.extend(_check_leftover_txt(fleet, records))
    findings.extend(_check_tenant_domains(fleet))
    order = dict((s, i) for i, s in enumerate(SEVERITIES))
    findings.sort(key=lambda f: (order[f["severity"]], f["kind"], f["name"]))
    return findings


def _check_pointing_records(fleet: Fleet, records: List[DnsRecord], evidence: Evidence) -> List[Json]:
    findings: List[Json] = []
    for record in records:
        target = record.cloudfront_target()
        if record.proxied and (target or fleet.holder_of(record.name)):
            findings.append(_finding(
                "proxied_in_front", "medium", record.name,
                "%s is proxied by Cloudflare in front of CloudFront (%s): it resolves to Cloudflare's addresses, so "
                "CloudFront's own DNS check cannot see it and DNS cannot prove where it leads" % (
                    record.name, record.where()),
                _repoint_command(record, proxied="false", target=target or "<the distribution's domain>"),
                dns=record.to_result()))
        if target is None:
            continue
        finding = _check_target(fleet, record, target, evidence)
        if finding is not None:
            findings.append(finding)
    return findings


def _check_target(fleet: Fleet, record: DnsRecord, target: str, evidence: Evidence) -> Optional[Json]:
    pointed = fleet.by_domain.get(target)
    holder = fleet.holder_of(record.name)
    if holder is not None:
        if pointed is not None and holder.reached_through(pointed[1]):
            return None
        if pointed is not None and holder.is_tenant and pointed[1].get("resource_type") == "connection-group":
            account, group = pointed
            return _finding(
                "tenant_dns_other_group", "medium", record.name,
                "DNS (%s) sends %s to %s, the routing endpoint of connection group %s (account %s), but the name is "
                "a domain of %s, whose connection group is %s: CloudFront's VerifyDnsConfiguration reports it as an "
                "incorrect routing endpoint, and the settings of the tenant's own group (IPv6, static IPs) do not "
                "apply" % (record.where(), record.name, target, group["id"], account, holder.label,
                           holder.distribution.get("connection_group_id")),
                _repoint_command(record, target=holder.distribution["domain_name"]),
                dns=record.to_result(), distribution_id=holder.distribution["id"], account=holder.account)
        if pointed is not None:
            account, dist = pointed
            return _finding(
                "dns_points_elsewhere", "high", record.name,
                "DNS (%s) sends %s to %s (%s, account %s), but CloudFront serves the name from %s: adding the "
                "alias anywhere else will fail with CNAMEAlreadyExists (409), and the two disagree about who "
                "owns the name" % (record.where(), record.name, dist["id"], target, account, holder.label),
                _remediate_command(record.name, holder, record), dns=record.to_result(),
                distribution_id=dist["id"], account=account)
        return _finding(
            "dns_points_elsewhere", "high", record.name,
            "DNS (%s) sends %s to %s, a distribution outside the audited accounts, but %s holds the name"
            % (record.where(), record.name, target, holder.label),
            _remediate_command(record.name, holder, record), dns=record.to_result())

    # No audited distribution holds the name: only a proof makes it dangling.
    dns_answer = {"exists": True} if pointed is not None else evidence.target(target)
    if dns_answer["exists"] is False:
        return _dangling(record, target, "%s does not exist (%s)" % (target, dns_answer["detail"]))
    outside = evidence.outside_holders(record.name)
    if outside == []:
        where = ("%s (account %s) exists but does not hold it, and " % (pointed[1]["id"], pointed[0])
                 if pointed is not None else "")
        return _dangling(record, target, "%sno distribution in any account holds %s (%s found none)"
                         % (where, record.name, _asked_with(evidence, record.name)))
    if outside:
        if pointed is None:
            return None  # held outside the audited accounts; DNS leads outside too: nothing to compare
        account, dist = pointed
        holders = ", ".join("%s (account %s)" % (e.get("DistributionId", "?"), e.get("AccountId", "?")) for e in outside)
        return _finding(
            "dns_points_elsewhere", "high", record.name,
            "DNS (%s) sends %s to %s (%s, account %s), which does not hold it; %s holds it outside the audited "
            "accounts: adding the alias to %s will fail with CNAMEAlreadyExists (409)"
            % (record.where(), record.name, dist["id"], target, account, holders, dist["id"]),
            "Find the holder's owner (ids are partly hidden by AWS), then point DNS at the distribution that should "
            "serve %s: %s" % (record.name, _repoint_command(record, target="<that distribution's domain>")),
            dns=record.to_result(), distribution_id=dist["id"], account=account)
    return _unverified(fleet, record, target, dns_answer if pointed is None else None, evidence)


def _asked_with(evidence: Evidence, name: str) -> str:
    api = evidence.apis.get(name) or "ListConflictingAliases"
    if api == "ListConflictingAliases":
        return "ListConflictingAliases, which does not see distribution tenants,"
    return api


def _dangling(record: DnsRecord, target: str, why: str) -> Json:
    return _finding(
        "dangling_cname", "critical", record.name,
        "DNS (%s) sends %s to %s, but %s: whoever adds %s to a distribution of their own can serve it "
        "(subdomain takeover)" % (record.where(), record.name, target, why, record.name),
        "Delete the record: %s, or point it at the distribution that should serve it with "
        "ansible-playbook aliasguard.cloudfront.remediate -e alias=%s -e target_distribution_id=<id> "
        "-e dns_provider=%s -e dns_zone=%s" % (
            _repoint_command(record, state="absent", expected_current=target), record.name, record.provider,
            record.zone),
        dns=record.to_result(), target=target)


def _unverified(fleet: Fleet, record: DnsRecord, target: str, dns_answer: Optional[Json], evidence: Evidence) -> Json:
    """Neither proof could be had: say which questions failed and why."""
    reasons: List[str] = []
    whys: List[str] = []
    asker = fleet.asker_for(record.name)
    if dns_answer is not None and dns_answer["exists"] is None:
        reasons.append("dns_unavailable")
        whys.append("DNS could not say whether %s exists: %s" % (target, dns_answer["detail"]))
    if record.name in evidence.conflict_errors:
        reasons.append("aws_error")
        whys.append("AWS did not say who holds %s: %s" % (record.name, evidence.conflict_errors[record.name]))
    elif asker is None:
        reasons.append("no_certificate")
        whys.append("no audited distribution has a certificate covering %s, so neither ListDomainConflicts nor "
                    "ListConflictingAliases can be asked who holds it" % record.name)
    else:
        account, dist = asker
        reasons.append("not_asked")
        whys.append("nobody asked AWS who holds %s (ListConflictingAliases through %s in account %s would tell)"
                    % (record.name, dist["id"], account))
    pointed = fleet.by_domain.get(target)
    if pointed is not None:
        seen = "%s (%s, account %s), which does not hold it" % (target, pointed[1]["id"], pointed[0])
    elif dns_answer is not None and dns_answer["exists"]:
        seen = "%s, which exists (%s)" % (target, dns_answer["detail"])
    else:
        seen = target
    return _finding(
        "unverified", "medium", record.name,
        "DNS (%s) sends %s to %s, and no audited distribution holds the name; whether anybody does could not be "
        "checked: %s. It may be served by another account, or be a dangling record that anyone can take over"
        % (record.where(), record.name, seen, "; ".join(whys)),
        _verify_fix(fleet, record, reasons),
        dns=record.to_result(), target=target, reasons=reasons)


def _verify_fix(fleet: Fleet, record: DnsRecord, reasons: List[str]) -> str:
    steps: List[str] = []
    if "dns_unavailable" in reasons:
        steps.append("run the audit where DNS reaches CloudFront's nameservers (or give verify_nameservers that "
                     "answer for cloudfront.net)")
    if "no_certificate" in reasons:
        steps.append("audit the account that owns %s, or give one audited distribution a certificate that covers "
                     "it, so that the audit can ask ListConflictingAliases" % record.name)
    else:
        asker = fleet.asker_for(record.name)
        if asker is not None:
            steps.append("ask by hand: aws cloudfront list-conflicting-aliases --distribution-id %s --alias %s"
                         % (asker[1]["id"], record.name))
    return "; ".join(steps)


def _check_aliases_without_dns(fleet: Fleet, records: List[DnsRecord]) -> List[Json]:
    findings: List[Json] = []
    zones = set((r.provider, r.zone) for r in records)
    names = set(r.name for r in records if r.type in ("CNAME", "A", "AAAA"))
    wildcard_bases = set(r.name[2:] for r in records if r.name.startswith("*.") and r.type in ("CNAME", "A", "AAAA"))
    for holding in fleet.holdings:
        name = holding.alias.name
        zone = next(((p, z) for p, z in sorted(zones, key=lambda pz: -len(pz[1])) if in_zone(holding.alias.base, z)),
                    None)
        if zone is None:
            continue  # the name's zone was not audited: nothing can be said
        covered_by_wildcard = any(name.endswith("." + base) for base in wildcard_bases) and not holding.alias.is_wildcard
        if name in names or covered_by_wildcard:
            continue
        findings.append(_finding(
            "alias_without_dns", "low", name,
            "%s holds %s but the audited zone %s (%s) has no record for it: the alias serves nobody, and "
            "whoever controls that DNS later decides where it goes" % (holding.label, name, zone[1], zone[0]),
            "Point DNS at it (ansible localhost -m aliasguard.cloudfront.dns_cname_repoint -a 'provider=%s zone=%s "
            "name=%s target=%s'), or remove the alias (aliasguard.cloudfront.cloudfront_distribution_alias "
            "%s=%s aliases=%s state=absent)"
            % (zone[0], zone[1], name, holding.distribution["domain_name"],
               "distribution_tenant_id" if holding.is_tenant else "distribution_id", holding.distribution["id"],
               name),
            distribution_id=holding.distribution["id"], account=holding.account))
    return findings


def _check_overlaps(fleet: Fleet) -> List[Json]:
    findings: List[Json] = []
    wildcards = [h for h in fleet.holdings if h.alias.is_wildcard]
    for wildcard in wildcards:
        for other in fleet.holdings:
            if other is wildcard or other.distribution["id"] == wildcard.distribution["id"]:
                continue
            if other.alias.is_wildcard and not other.alias.base.endswith("." + wildcard.alias.base):
                continue
            if not other.alias.is_wildcard and not wildcard.alias.covers(other.alias.name):
                continue
            findings.append(_finding(
                "overlapping_holders", "low", other.alias.name,
                "%s holds %s and %s holds %s, which covers it: CloudFront routes %s to the more specific one "
                "whichever distribution DNS points at, so removing either changes who serves it"
                % (other.label, other.alias.name, wildcard.label, wildcard.alias.name, other.alias.name),
                "Make sure this split is intended; document which distribution owns which name",
                distribution_id=other.distribution["id"], account=other.account,
                covered_by=wildcard.distribution["id"]))
    return findings


def _check_disabled(fleet: Fleet) -> List[Json]:
    findings: List[Json] = []
    for inventory in fleet.inventories:
        for dist in inventory.get("distributions", []):
            if dist.get("enabled", True) or not dist.get("aliases"):
                continue
            names = ", ".join(dist["aliases"])
            findings.append(_finding(
                "disabled_holder", "medium", dist["aliases"][0],
                "%s (account %s) is disabled but still holds %s: nobody is served, and the names cannot be added "
                "elsewhere without moving them" % (dist["id"], inventory["account_id"], names),
                "Remove the aliases from it (aliasguard.cloudfront.cloudfront_distribution_alias distribution_id=%s "
                "aliases=[%s] state=absent), or move them to the distribution that should serve them with "
                "ansible-playbook aliasguard.cloudfront.remediate" % (dist["id"], names),
                distribution_id=dist["id"], account=inventory["account_id"], names=dist["aliases"]))
    return findings


def _check_tenant_domains(fleet: Fleet) -> List[Json]:
    """A tenant's domain whose status is inactive: CloudFront does not serve it (no certificate covers it yet)."""
    findings = []
    for inventory in fleet.inventories:
        for tenant in inventory.get("tenants", []):
            for name, status in sorted((tenant.get("domain_status") or {}).items()):
                if status != "inactive":
                    continue
                findings.append(_finding(
                    "tenant_domain_inactive", "medium", name,
                    "%s is a domain of distribution tenant %s (%s, account %s), and its status is inactive: "
                    "CloudFront does not serve it, typically because no certificate covers it yet (a "
                    "CloudFront-managed certificate still pending validation)"
                    % (name, tenant["id"], tenant.get("name"), inventory["account_id"]),
                    "Finish the managed certificate's validation (its DNS records; GetManagedCertificateDetails "
                    "shows them), or attach an ACM certificate (us-east-1) that covers %s to the tenant "
                    "(Customizations.Certificate with UpdateDistributionTenant)" % name,
                    distribution_id=tenant["id"], account=inventory["account_id"], names=[name]))
    return findings


def _check_leftover_txt(fleet: Fleet, records: List[DnsRecord]) -> List[Json]:
    findings: List[Json] = []
    for record in records:
        if record.type != "TXT" or not record.name.startswith("_"):
            continue
        if not any(v.strip('"').endswith(".cloudfront.net") for v in record.values):
            continue
        alias = record.name[2:] if record.name.startswith("_.") else record.name[1:]
        findings.append(_finding(
            "leftover_txt", "low", record.name,
            "the TXT record %s (%s) = %s is the proof AssociateAlias asks for when moving %s; left in place, it "
            "still authorises moving the name to that distribution" % (
                record.name, record.where(), ", ".join(record.values), alias),
            _repoint_command(record, challenge="true", state="absent").replace(
                "name=%s" % record.name, "name=%s" % alias),
            dns=record.to_result()))
    return findings


def summary(findings: Sequence[Json]) -> Json:
    by_kind = dict((k, 0) for k in KINDS)
    by_severity = dict((s, 0) for s in SEVERITIES)
    for finding in findings:
        by_kind[finding["kind"]] += 1
        by_severity[finding["severity"]] += 1
    return {"findings": len(findings), "by_kind": by_kind, "by_severity": by_severity,
            "unverified": unverified_summary(findings)}


def unverified_summary(findings: Sequence[Json]) -> Json:
    """How many names could not be checked, and why: {names, by_reason, reasons: [{reason, names, text, example}]}."""
    unverified = [f for f in findings if f["kind"] == "unverified"]
    by_reason = dict((r, 0) for r in UNVERIFIED_REASONS)
    for finding in unverified:
        for reason in finding.get("reasons") or ["not_asked"]:
            by_reason[reason] = by_reason.get(reason, 0) + 1
    reasons = [{"reason": reason, "names": count, "text": UNVERIFIED_REASONS.get(reason, reason),
                "example": next(f["detail"] for f in unverified if reason in (f.get("reasons") or []))}
               for reason, count in by_reason.items() if count]
    return {"names": len(unverified), "by_reason": by_reason, "reasons": reasons}


def conflict_checks(inventories: Sequence[Json], dns_zones: Optional[Sequence[Json]], account_id: str) -> List[Json]:
    """The questions about holders this account should ask: one per name, none twice.

    Every name whose DNS leads to a ``*.cloudfront.net`` name and that no audited
    distribution holds needs one: only AWS can say whether somebody outside the
    audited accounts holds it (else it is dangling). The account asks when it is the
    first audited account with a distribution whose certificate covers the name. A
    target outside the audited accounts goes with the check, so that a name whose
    target is proved not to exist is not asked about.
    """
    fleet = Fleet(inventories)
    targets: Dict[str, str] = {}
    for record in (DnsRecord(r) for r in all_records(inventories, dns_zones)):
        target = record.cloudfront_target()
        if target and record.name not in targets and fleet.holder_of(record.name) is None:
            targets[record.name] = target
    checks: List[Json] = []
    for name in sorted(targets):
        asker = fleet.asker_for(name)
        if asker is None or asker[0] != account_id:
            continue
        check = {"alias": name, "distribution_id": asker[1]["id"]}
        if targets[name] not in fleet.by_domain:
            check["target"] = targets[name]
        checks.append(check)
    return checks


def compare(findings: Sequence[Json], previous: Json, generated: str) -> Tuple[List[Json], List[Json], Json]:
    """Mark each finding new or unchanged against a previous report; return (findings, resolved, changes).

    ``resolved`` are the previous findings that are gone, marked resolved. A previous finding whose name could not be
    checked this time is not resolved: the ``unverified`` finding that replaces it says what it was.
    """
    before: Dict[str, Json] = {}
    for finding in previous.get("findings") or []:
        before[finding.get("id") or finding_id(finding)] = finding
    now = set(f["id"] for f in findings)
    unverified_names = set(f["name"] for f in findings if f["kind"] == "unverified")
    marked: List[Json] = []
    for finding in findings:
        finding = dict(finding)
        old = before.get(finding["id"])
        finding["status"] = "unchanged" if old is not None else "new"
        finding["first_seen"] = (old.get("first_seen") or previous.get("generated")) if old is not None else generated
        if finding["kind"] == "unverified" and old is None:
            earlier = [f for i, f in before.items() if f.get("name") == finding["name"] and i not in now
                       and f.get("kind") != "unverified"]
            if earlier:
                finding["previously"] = [{"id": f.get("id") or finding_id(f), "kind": f.get("kind"),
                                          "severity": f.get("severity")} for f in earlier]
        marked.append(finding)
    resolved: List[Json] = []
    for old_id, old in sorted(before.items(), key=lambda item: (item[1].get("name", ""), item[0])):
        if old_id in now or old.get("name") in unverified_names:
            continue
        entry = dict(old)
        entry.update(id=old_id, status="resolved", resolved=generated)
        resolved.append(entry)
    changes = {"previous_generated": previous.get("generated"),
               "new": sum(1 for f in marked if f["status"] == "new"),
               "unchanged": sum(1 for f in marked if f["status"] == "unchanged"),
               "resolved": len(resolved)}
    return marked, resolved, changes


def check_previous(previous: object) -> Optional[str]:
    """Why a previous report cannot be compared with, or None."""
    if not isinstance(previous, dict):
        return "it is not a JSON object"
    if previous.get("schema") != SCHEMA:
        return "its schema is %r, not %r (an audit.json written by this audit)" % (previous.get("schema"), SCHEMA)
    if not isinstance(previous.get("findings"), list):
        return "it has no findings list"
    return None


def findings_to_page(findings: Sequence[Json], fail_on: str) -> List[Json]:
    """The findings that should page someone under ``fail_on`` (critical, high, new_critical, never)."""
    if fail_on not in FAIL_ON:
        raise ValueError("fail_on must be one of %s, not %r" % (", ".join(FAIL_ON), fail_on))
    if fail_on == "critical":
        return [f for f in findings if f["severity"] == "critical"]
    if fail_on == "high":
        return [f for f in findings if f["severity"] in ("critical", "high")]
    if fail_on == "new_critical":
        # Without a previous report every finding is new.
        return [f for f in findings if f["severity"] == "critical" and f.get("status", "new") == "new"]
    return []


def all_records(inventories: Iterable[Json], dns_zones: Optional[Iterable[Json]]) -> List[Json]:
    records: List[Json] = []
    for inventory in inventories:
        for zone in inventory.get("route53", []):
            records.extend(zone.get("records", []))
    for zone in dns_zones or []:
        records.extend(zone.get("records", []))
    return records
