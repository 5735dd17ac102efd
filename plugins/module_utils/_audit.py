# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet audit's analysis: inventories in, findings out.

Input is what the inventory modules gathered with list calls only: every
distribution of every audited account (with its aliases), every DNS record of
the audited zones, and the answers of ``ListConflictingAliases`` for the few
names that only it can explain. ``find_problems`` cross-references them; every
finding has a kind, a severity, the name, what was seen and the exact fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    InvalidName,
    certificate_covers,
    in_zone,
    most_specific,
)

SCHEMA = "aliasguard.cloudfront/audit/1"
SEVERITIES = ("critical", "high", "medium", "low", "info")
KINDS = ("dangling_cname", "dns_points_elsewhere", "alias_without_dns", "proxied_in_front",
         "overlapping_holders", "disabled_holder", "leftover_txt")


class Holding:
    """One alias held by one audited distribution."""

    def __init__(self, alias, account, distribution):
        self.alias = alias
        self.account = account
        self.distribution = distribution

    @property
    def label(self):
        return "%s (%s, account %s)" % (self.distribution["id"], self.distribution["domain_name"], self.account)


class Fleet:
    """Every audited distribution, indexed the ways the analysis needs."""

    def __init__(self, inventories):
        self.inventories = inventories
        self.by_domain = {}
        self.holdings = []
        for inventory in inventories:
            for dist in inventory.get("distributions", []):
                self.by_domain[dist["domain_name"]] = (inventory["account_id"], dist)
                for name in dist.get("aliases", []):
                    try:
                        alias = Alias.parse(name)
                    except InvalidName:
                        continue
                    self.holdings.append(Holding(alias, inventory["account_id"], dist))
        self.exact = {}
        for holding in self.holdings:
            self.exact.setdefault(holding.alias.name, []).append(holding)

    def holder_of(self, name):
        """The audited holding CloudFront routes ``name`` to (most specific alias), or None."""
        candidates = [h for h in self.holdings if h.alias.covers(name) or h.alias.name == name]
        if not candidates:
            return None
        best = most_specific([h.alias for h in candidates], name) or candidates[0].alias
        return next(h for h in candidates if h.alias == best)


class DnsRecord:
    """A DNS record that matters to the audit, from any provider."""

    def __init__(self, data):
        self.provider = data["provider"]
        self.zone = data["zone"]
        self.account = data.get("account")
        self.name = data["name"]
        self.type = data["type"]
        self.values = list(data.get("values") or [])
        self.alias_target = (data.get("alias_target") or {}).get("dns_name")
        self.proxied = bool(data.get("proxied"))

    def cloudfront_target(self):
        """The *.cloudfront.net name this record sends visitors to, if any."""
        if self.alias_target and self.alias_target.endswith(".cloudfront.net"):
            return self.alias_target
        if self.type == "CNAME" and self.values and self.values[0].endswith(".cloudfront.net"):
            return self.values[0]
        return None

    def where(self):
        account = " account %s" % self.account if self.account else ""
        return "%s zone %s%s" % (self.provider, self.zone, account)

    def describe(self):
        if self.alias_target:
            return "%s %s alias -> %s" % (self.name, self.type, self.alias_target)
        return "%s %s %s%s" % (self.name, self.type, ", ".join(self.values), " (proxied)" if self.proxied else "")

    def to_result(self):
        return {"provider": self.provider, "zone": self.zone, "account": self.account, "type": self.type,
                "values": self.values, "alias_target": self.alias_target, "proxied": self.proxied}


def _finding(kind, severity, name, detail, fix, **extra):
    finding = {"kind": kind, "severity": severity, "name": name, "detail": detail, "fix": fix}
    finding.update(extra)
    return finding


def _remediate_command(name, holding, record):
    parts = ["ansible-playbook aliasguard.cloudfront.remediate", "-e alias=%s" % name,
             "-e target_distribution_id=%s" % holding.distribution["id"]]
    if record is not None:
        parts += ["-e dns_provider=%s" % record.provider, "-e dns_zone=%s" % record.zone]
    return " ".join(parts)


def _repoint_command(record, **args):
    text = " ".join("%s=%s" % (k, v) for k, v in sorted(args.items()))
    return ("ansible localhost -m aliasguard.cloudfront.dns_cname_repoint -a 'provider=%s zone=%s name=%s %s'"
            % (record.provider, record.zone, record.name, text))


def find_problems(inventories, dns_records, conflicts=None, cloudfront_exists=None):
    """All findings, sorted by severity then name.

    ``conflicts``: {name: [ListConflictingAliases entries]} for names only it can explain.
    ``cloudfront_exists``: {domain: bool} from DNS, for CloudFront names outside the audited accounts.
    """
    fleet = Fleet(inventories)
    records = [DnsRecord(r) for r in dns_records]
    conflicts = conflicts or {}
    cloudfront_exists = cloudfront_exists or {}
    findings = []
    findings.extend(_check_pointing_records(fleet, records, conflicts, cloudfront_exists))
    findings.extend(_check_aliases_without_dns(fleet, records))
    findings.extend(_check_overlaps(fleet))
    findings.extend(_check_disabled(fleet))
    findings.extend(_check_leftover_txt(fleet, records))
    order = dict((s, i) for i, s in enumerate(SEVERITIES))
    findings.sort(key=lambda f: (order[f["severity"]], f["kind"], f["name"]))
    return findings


def _check_pointing_records(fleet, records, conflicts, cloudfront_exists):
    findings = []
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
        pointed = fleet.by_domain.get(target)
        holder = fleet.holder_of(record.name)
        if pointed is not None:
            account, dist = pointed
            if holder is not None and holder.distribution["id"] != dist["id"]:
                findings.append(_finding(
                    "dns_points_elsewhere", "high", record.name,
                    "DNS (%s) sends %s to %s (%s, account %s), but CloudFront serves the name from %s: adding the "
                    "alias anywhere else will fail with CNAMEAlreadyExists (409), and the two disagree about who "
                    "owns the name" % (record.where(), record.name, dist["id"], target, account, holder.label),
                    _remediate_command(record.name, holder, record), dns=record.to_result(),
                    distribution_id=dist["id"], account=account))
            elif holder is None:
                findings.append(_dangling(record, target, "%s (account %s) exists but does not hold %s"
                                          % (dist["id"], account, record.name), "critical"))
            continue
        # The name points outside the audited accounts.
        if holder is not None:
            findings.append(_finding(
                "dns_points_elsewhere", "high", record.name,
                "DNS (%s) sends %s to %s, a distribution outside the audited accounts, but %s holds the name"
                % (record.where(), record.name, target, holder.label),
                _remediate_command(record.name, holder, record), dns=record.to_result()))
            continue
        exists = cloudfront_exists.get(target)
        if exists is False:
            findings.append(_dangling(record, target, "%s does not exist (NXDOMAIN)" % target, "critical"))
            continue
        entries = conflicts.get(record.name)
        if entries is None:
            findings.append(_dangling(
                record, target, "%s is not in the audited accounts and no audited distribution could ask "
                "ListConflictingAliases about %s (none has a certificate covering it), so nobody is known to "
                "hold the name" % (target, record.name), "medium"))
        elif not [e for e in entries if e.get("Alias") == record.name]:
            findings.append(_dangling(
                record, target, "no distribution in any account holds %s (ListConflictingAliases found none), "
                "yet DNS sends it to %s" % (record.name, target), "critical"))
    return findings


def _dangling(record, target, why, severity):
    return _finding(
        "dangling_cname", severity, record.name,
        "DNS (%s) sends %s to %s, but %s: whoever adds %s to a distribution of their own can serve it "
        "(subdomain takeover)" % (record.where(), record.name, target, why, record.name),
        "Delete the record: %s, or point it at the distribution that should serve it with "
        "ansible-playbook aliasguard.cloudfront.remediate -e alias=%s -e target_distribution_id=<id> "
        "-e dns_provider=%s -e dns_zone=%s" % (
            _repoint_command(record, state="absent", expected_current=target), record.name, record.provider,
            record.zone),
        dns=record.to_result())


def _check_aliases_without_dns(fleet, records):
    findings = []
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
            "distribution_id=%s aliases=%s state=absent)"
            % (zone[0], zone[1], name, holding.distribution["domain_name"], holding.distribution["id"], name),
            distribution_id=holding.distribution["id"], account=holding.account))
    return findings


def _check_overlaps(fleet):
    findings = []
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
                distribution_id=other.distribution["id"], account=other.account))
    return findings


def _check_disabled(fleet):
    findings = []
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


def _check_leftover_txt(fleet, records):
    findings = []
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


def summary(findings):
    by_kind = dict((k, 0) for k in KINDS)
    by_severity = dict((s, 0) for s in SEVERITIES)
    for finding in findings:
        by_kind[finding["kind"]] += 1
        by_severity[finding["severity"]] += 1
    return {"findings": len(findings), "by_kind": by_kind, "by_severity": by_severity}


def conflict_checks(inventories, dns_zones, account_id):
    """The ListConflictingAliases questions this account should ask: one per name, none twice.

    Only names whose DNS points at a CloudFront name outside the audited accounts
    and that no audited distribution holds need it. The account asks when it is
    the first audited account with a distribution whose certificate covers the name.
    """
    fleet = Fleet(inventories)
    records = [DnsRecord(r) for r in all_records(inventories, dns_zones)]
    targets = dict((r.name, r.cloudfront_target()) for r in records
                   if r.cloudfront_target() and r.cloudfront_target() not in fleet.by_domain
                   and fleet.holder_of(r.name) is None)
    checks = []
    for name in sorted(targets):
        for inventory in sorted(inventories, key=lambda i: i["account_id"]):
            certificates = dict((c["arn"], c["names"]) for c in inventory.get("certificates", []))
            candidate = next((d for d in sorted(inventory.get("distributions", []), key=lambda d: d["id"])
                              if d.get("certificate_arn") in certificates
                              and certificate_covers(certificates[d["certificate_arn"]], name)), None)
            if candidate is not None:
                if inventory["account_id"] == account_id:
                    checks.append({"alias": name, "distribution_id": candidate["id"], "target": targets[name]})
                break
    return checks


def all_records(inventories, dns_zones):
    records = []
    for inventory in inventories:
        for zone in inventory.get("route53", []):
            records.extend(zone.get("records", []))
    for zone in dns_zones or []:
        records.extend(zone.get("records", []))
    return records
