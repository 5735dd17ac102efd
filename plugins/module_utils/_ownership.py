# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Who owns which name, and where DNS sends it: the data the report's map draws (``ownership`` in audit.json).

One row per name in an audited zone that matters to CloudFront (its DNS leads to
a ``*.cloudfront.net`` name, or an audited distribution holds it), linking two
nodes: where DNS sends the name (``dns``) and who holds it (``holder``). When both
are the same node, DNS and CloudFront agree. Rows are grouped per zone, so that
a report can draw each zone on its own and collapse the healthy rows.

Nodes, by id, each with a ``kind``:

* ``distribution``: an audited standard distribution (``account``, ``domain``, ``enabled``);
* ``target``: a ``*.cloudfront.net`` name outside the audited accounts (``exists``: true, false or null
  when DNS could not say);
* ``outside``: a holder AWS named outside the audited accounts, its ids partly hidden (``account``,
  ``resource_type``).

* ``tenant``: an audited distribution tenant, which holds names (``account``, ``domain``: its routing
  endpoint, ``distribution``: its multi-tenant distribution, ``connection_group``, ``enabled``);
* ``connection_group``: what DNS points at for tenants (``account``, ``domain``: its routing endpoint).

A row whose DNS leads to the holder's own connection group is drawn with ``dns`` the group and
``holder`` the tenant; ``agrees`` says that DNS and CloudFront agree (for a distribution, ``dns`` and
``holder`` are then the same node).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Dict, List, Optional, Sequence, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import (
    DnsRecord,
    Evidence,
    Fleet,
    Json,
    all_records,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import in_zone

# The state a row is drawn in: its worst finding, in this order; "ok" without one.
STATES = ("dangling_cname", "dns_points_elsewhere", "unverified", "tenant_dns_other_group", "proxied_in_front",
          "disabled_holder", "tenant_domain_inactive", "overlapping_holders", "alias_without_dns", "leftover_txt")
_NAME_TYPES = ("CNAME", "A", "AAAA")
# A zone on the map: (provider, zone, account or None outside AWS); its rows by name.
ZoneKey = Tuple[str, str, Optional[str]]
Rows = Dict[str, Json]


class _Map:
    def __init__(self, fleet: Fleet, evidence: Evidence) -> None:
        self.fleet = fleet
        self.evidence = evidence
        self.nodes: Dict[str, Json] = {}

    def distribution(self, account: str, dist: Json) -> str:
        """The node of an audited distribution, tenant or connection group."""
        kind = {"distribution-tenant": "tenant", "connection-group": "connection_group"}.get(
            dist.get("resource_type") or "", "distribution")
        node: Json = {"kind": kind, "label": dist["id"], "account": account, "domain": dist["domain_name"],
                      "enabled": bool(dist.get("enabled", True))}
        if kind == "tenant":
            node.update(name=dist.get("name"), distribution=dist.get("distribution_id"),
                        connection_group=dist.get("connection_group_id"))
        elif kind == "connection_group":
            node.update(name=dist.get("name"))
        self.nodes.setdefault(dist["id"], node)
        return str(dist["id"])

    def target(self, domain: str) -> str:
        """Where DNS sends a name: an audited distribution, or a CloudFront name outside the audit."""
        pointed = self.fleet.by_domain.get(domain)
        if pointed is not None:
            return self.distribution(*pointed)
        node_id = "target:" + domain
        self.nodes.setdefault(node_id, {"kind": "target", "label": domain, "domain": domain,
                                        "exists": self.evidence.target(domain)["exists"]})
        return node_id

    def outside(self, entry: Json) -> str:
        node_id = "outside:%s/%s" % (entry.get("DistributionId", "?"), entry.get("AccountId", "?"))
        self.nodes.setdefault(node_id, {"kind": "outside", "label": entry.get("DistributionId", "?"),
                                        "account": entry.get("AccountId", "?"),
                                        "resource_type": entry.get("ResourceType", "distribution")})
        return node_id

    def holder(self, name: str) -> Optional[str]:
        holding = self.fleet.holder_of(name)
        if holding is not None:
            return self.distribution(holding.account, holding.distribution)
        outside = self.evidence.outside_holders(name)
        return self.outside(outside[0]) if outside else None

    def also(self, name: str, holder: Optional[str]) -> List[str]:
        """Other audited distributions whose wildcard covers the name (an overlap)."""
        return sorted(set(self.distribution(h.account, h.distribution) for h in self.fleet.covering_wildcards(name)
                          if h.distribution["id"] != holder))


def _record_text(record: DnsRecord) -> str:
    if record.alias_target:
        return "%s alias %s" % (record.type, record.alias_target)
    return "%s %s%s" % (record.type, ", ".join(record.values), " (proxied)" if record.proxied else "")


def ownership_map(inventories: Sequence[Json], dns_zones: Optional[Sequence[Json]], findings: Sequence[Json],
                  evidence: Evidence) -> Json:
    """{"nodes", "zones": [{provider, zone, account, names: [row], healthy, problems}], "unzoned": [row]}."""
    fleet = Fleet(inventories)
    drawing = _Map(fleet, evidence)
    zones: Dict[ZoneKey, Rows] = {}
    for inventory in inventories:
        for zone in inventory.get("route53", []):
            zones[("route53", zone["zone"], inventory["account_id"])] = {}
    for zone in dns_zones or []:
        zones[(zone.get("provider", "dns"), zone["zone"], None)] = {}

    rows_by_name: Dict[str, List[Json]] = {}
    for record in (DnsRecord(r) for r in all_records(inventories, dns_zones)):
        if record.type not in _NAME_TYPES:
            continue
        target = record.cloudfront_target()
        holder = drawing.holder(record.name)
        if target is None and holder is None:
            continue  # an origin, a mail host: nothing to do with CloudFront
        rows = zones.setdefault((record.provider, record.zone, record.account), {})
        if record.name in rows:
            continue  # an alias A record and its AAAA twin are one name
        row: Json = {"name": record.name, "record": _record_text(record), "dns": drawing.target(target) if target else None,
                     "holder": holder, "also": drawing.also(record.name, holder), "findings": [], "state": "ok"}
        holding = fleet.holder_of(record.name)
        pointed = fleet.by_domain.get(target) if target else None
        row["agrees"] = bool(holding is not None and pointed is not None and holding.reached_through(pointed[1]))
        if not target:
            row["dns_elsewhere"] = True  # DNS sends the name somewhere that is not CloudFront
        rows[record.name] = row
        rows_by_name.setdefault(record.name, []).append(row)

    unzoned: List[Json] = []
    for holding in fleet.holdings:
        name = holding.alias.name
        if name in rows_by_name:
            continue
        holder = drawing.distribution(holding.account, holding.distribution)
        row = {"name": name, "record": None, "dns": None, "holder": holder, "also": drawing.also(name, holder),
               "findings": [], "state": "ok"}
        key = next((k for k in sorted(zones, key=lambda k: -len(k[1])) if in_zone(holding.alias.base, k[1])), None)
        if key is None:
            unzoned.append(row)
        else:
            zones[key][name] = row
        rows_by_name.setdefault(name, []).append(row)

    _link(findings, zones, rows_by_name)
    result_zones: List[Json] = []
    for (provider, zone, account), rows in sorted(zones.items(), key=lambda i: (i[0][1], i[0][0], i[0][2] or "")):
        names = [rows[n] for n in sorted(rows)]
        problems = sum(1 for r in names if r["findings"])
        result_zones.append({"provider": provider, "zone": zone, "account": account, "names": names,
                             "problems": problems, "healthy": len(names) - problems})
    return {"nodes": drawing.nodes, "zones": result_zones, "unzoned": sorted(unzoned, key=lambda r: r["name"])}


def _rows_of(finding: Json, zones: Dict[ZoneKey, Rows], rows_by_name: Dict[str, List[Json]]) -> List[Json]:
    dns = finding.get("dns")
    if dns:
        name = finding["name"]
        if finding["kind"] == "leftover_txt":
            name = name[2:] if name.startswith("_.") else name[1:]
        row = zones.get((dns.get("provider"), dns.get("zone"), dns.get("account")), {}).get(name)
        return [row] if row is not None else []
    rows: List[Json] = []
    for name in finding.get("names") or [finding["name"]]:
        for row in rows_by_name.get(name, []):
            dist = finding.get("distribution_id")
            if dist is None or row["holder"] == dist or dist in row["also"]:
                rows.append(row)
    return rows


def _attach(row: Json, finding: Json) -> None:
    if finding["id"] not in row["findings"]:
        row["findings"].append(finding["id"])
    current = STATES.index(row["state"]) if row["state"] in STATES else len(STATES)
    if finding["kind"] in STATES and STATES.index(finding["kind"]) < current:
        row["state"] = finding["kind"]


def _link(findings: Sequence[Json], zones: Dict[ZoneKey, Rows], rows_by_name: Dict[str, List[Json]]) -> None:
    for finding in findings:
        for row in _rows_of(finding, zones, rows_by_name):
            _attach(row, finding)
