# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""``RecordSet``: the one value every DNS provider speaks.

A record set is all the records of one type at one name. Providers turn their
own shapes into this value on the way in and back on the way out, so that
planning, comparing, diffing and backups are written once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import to_ascii

ADDRESS_TYPES = ("CNAME", "A", "AAAA")


def normalise_value(rtype: str, value: Any) -> str:
    value = str(value).strip()
    if rtype in ("CNAME", "NS", "PTR"):
        return to_ascii(value, allow_underscore=True, what="%s value" % rtype)
    if rtype == "TXT":
        # Zone-file style quotes are presentation, not data.
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"')
        return value
    if rtype == "AAAA":
        return value.lower()
    return value


class AliasTarget:
    """A Route 53 alias: the zone id of the target and its name (e.g. CloudFront's)."""

    __slots__ = ("hosted_zone_id", "dns_name", "evaluate_target_health")

    def __init__(self, hosted_zone_id: str, dns_name: str, evaluate_target_health: Any = False) -> None:
        self.hosted_zone_id = hosted_zone_id.split("/")[-1]
        self.dns_name = to_ascii(dns_name, what="alias target")
        self.evaluate_target_health = bool(evaluate_target_health)

    def key(self) -> Tuple[str, str, bool]:
        return (self.hosted_zone_id, self.dns_name, self.evaluate_target_health)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AliasTarget) and self.key() == other.key()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.key())


class RecordSet:
    """All records of one type at one name; immutable by convention."""

    __slots__ = ("name", "type", "ttl", "values", "alias", "proxied", "ref")

    def __init__(self, name: str, rtype: str, ttl: Optional[Any] = None, values: Iterable[Any] = (),
                 alias: Optional[AliasTarget] = None, proxied: Optional[bool] = None, ref: Any = None) -> None:
        self.name = name
        self.type = rtype
        self.ttl: Optional[int] = int(ttl) if ttl is not None else None
        self.values: Tuple[str, ...] = tuple(sorted(set(normalise_value(rtype, v) for v in values)))
        self.alias = alias
        self.proxied = proxied
        # What the provider needs to find this set again (record ids, the raw Route 53
        # set for an exact DELETE); never compared.
        self.ref = ref

    @property
    def key(self) -> Tuple[str, str]:
        return (self.name, self.type)

    def same_data(self, other: Optional["RecordSet"], compare_ttl: bool = True) -> bool:
        if other is None or self.key != other.key or self.alias != other.alias or self.values != other.values:
            return False
        if bool(self.proxied) != bool(other.proxied):
            return False
        if compare_ttl and self.alias is None and self.ttl != other.ttl:
            return False
        return True

    def targets(self) -> List[str]:
        """The names or addresses this set sends a visitor to."""
        if self.alias is not None:
            return [self.alias.dns_name]
        return list(self.values)

    def with_ttl(self, ttl: Optional[int]) -> "RecordSet":
        return RecordSet(self.name, self.type, ttl, self.values, self.alias, self.proxied, self.ref)

    def to_result(self) -> Dict[str, Any]:
        result: Dict[str, Any] = {"name": self.name, "type": self.type, "ttl": self.ttl, "values": list(self.values)}
        if self.alias is not None:
            result["alias_target"] = {"hosted_zone_id": self.alias.hosted_zone_id,
                                      "dns_name": self.alias.dns_name,
                                      "evaluate_target_health": self.alias.evaluate_target_health}
        if self.proxied is not None:
            result["proxied"] = self.proxied
        return result

    @classmethod
    def from_result(cls, data: Dict[str, Any]) -> "RecordSet":
        alias = None
        if data.get("alias_target"):
            target = data["alias_target"]
            alias = AliasTarget(target["hosted_zone_id"], target["dns_name"], target.get("evaluate_target_health"))
        return cls(data["name"], data["type"], data.get("ttl"), data.get("values") or (), alias, data.get("proxied"))

    def zone_lines(self) -> List[str]:
        """Zone-file lines, for diffs a person reads."""
        ttl = "" if self.ttl is None else "%d " % self.ttl
        if self.alias is not None:
            alias = self.alias
            return ["%s. %sIN %s ALIAS %s. (zone %s)" % (self.name, ttl, self.type, alias.dns_name, alias.hosted_zone_id)]
        suffix = "  ; proxied" if self.proxied else ""
        lines: List[str] = []
        for value in self.values:
            if self.type in ("CNAME", "NS", "PTR"):
                value += "."
            elif self.type == "TXT":
                value = '"%s"' % value.replace('"', '\\"')
            lines.append("%s. %sIN %s %s%s" % (self.name, ttl, self.type, value, suffix))
        return lines

    def __repr__(self) -> str:
        return "RecordSet(%s)" % "; ".join(self.zone_lines())


def render(record_sets: Iterable[RecordSet]) -> str:
    lines: List[str] = []
    for record_set in sorted(record_sets, key=lambda r: r.key):
        lines.extend(record_set.zone_lines())
    return "\n".join(lines) + ("\n" if lines else "")
