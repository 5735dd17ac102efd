# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Step 4: prove with DNS that each alias reaches the target distribution.

Every authoritative nameserver of the alias's zone is asked directly. A CNAME
chain is followed hop by hop, each hop asked of its own zone's servers, to the
final ``*.cloudfront.net`` name, which must be the target's ``DomainName``.
A name with no CNAME (a Route 53 alias record, a flattened or plain address
record) cannot be followed in DNS: it answers with addresses. CloudFront's edge
addresses are shared by many distributions and rotate, so they do not say which
distribution a name reaches. When the name lies in a Route 53 hosted zone of the
account, the zone's record itself is read (its ``AliasTarget``) and DNS only has
to show that the name is served. Only a name outside Route 53 (a flattened
record elsewhere) falls back to comparing addresses, and the result says that
this is weak evidence. Addresses in Cloudflare's published ranges mean a proxied
record: DNS cannot prove where it leads, and the result says so instead of
guessing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, in_zone, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._parallel import DNS_WORKERS, map_ordered
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import ResolverError, server_label

# https://www.cloudflare.com/ips/ (published ranges of Cloudflare's proxy)
CLOUDFLARE_RANGES = [ipaddress.ip_network(n) for n in (
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18",
    "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
    "162.158.0.0/15", "104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
    "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32",
    "2a06:98c0::/29", "2c0f:f248::/32")]

VERIFIED = "verified"
WRONG_TARGET = "wrong_target"
NO_RECORD = "no_record"
UNVERIFIABLE = "unverifiable"
DNS_ERROR = "dns_error"

ADDRESSES_ARE_WEAK = ("Addresses are weak evidence: CloudFront's edge addresses are shared by many distributions and "
                      "change over time, so a match (or a mismatch) does not prove which distribution the name reaches")

# Route 53 cannot be asked at all with these (nothing changes by asking again); fall back to addresses.
_ROUTE53_UNAVAILABLE = ("MissingDependency", "AccessDenied", "AccessDeniedException", "NoCredentials", "CredentialsError",
                        "PartialCredentials", "ProfileNotFound", "InvalidClientTokenId", "UnrecognizedClientException",
                        "SignatureDoesNotMatch", "ExpiredToken")


def is_cloudflare_address(text: Any) -> bool:
    try:
        address = ipaddress.ip_address(str(text))
    except ValueError:
        return False
    return any(address in network for network in CLOUDFLARE_RANGES)


class Proof:
    """What was seen for one alias on one attempt."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.outcome = None  # type: Optional[str]
        self.method = None  # type: Optional[str]
        self.final_name = None  # type: Optional[str]
        self.chain = []  # type: List[Dict[str, Any]]
        self.answers = []  # type: List[Dict[str, Any]]
        self.route53 = None  # type: Optional[Dict[str, Any]]
        self.detail = ""

    def to_result(self, elapsed: float, attempts: int) -> Dict[str, Any]:
        return {"alias": self.alias, "verified": self.outcome == VERIFIED, "outcome": self.outcome,
                "method": self.method, "final_name": self.final_name, "chain": self.chain,
                "nameservers": self.answers, "route53": self.route53, "detail": self.detail,
                "elapsed": round(elapsed, 3), "attempts": attempts}


class Route53Records:
    """The A/AAAA record sets a Route 53 hosted zone of the account holds for a name.

    ``client_factory`` builds the route53 client when it is first needed (so that a
    run that never meets a name without a CNAME sends no AWS request); it raises
    AwsError when AWS cannot be used (no credentials). Once AWS has said that it
    cannot be asked (no credentials, access denied) it is not asked again.
    """

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._factory = client_factory
        self._client = None  # type: Any
        self._zones = {}  # type: Dict[str, List[str]]
        self.unavailable = None  # type: Optional[str]
        # Aliases are checked from several threads; Route 53 answers five requests a second per account, so its
        # questions go one at a time (and the client and the zone cache are made once).
        self._lock = threading.RLock()

    def _route53(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def find(self, name: str) -> Optional[Dict[str, Any]]:
        """See ``_find``; one caller at a time."""
        with self._lock:
            return self._find(name)

    def _find(self, name: str) -> Optional[Dict[str, Any]]:
        """{"zone", "zone_ids", "records": [{"zone_id", "name", "type", "alias_target", "values"}]}, or None.

        The zone is the longest-matching public hosted zone (private zones do not
        answer the public DNS). Several public zones of that name are all read:
        a forgotten copy of a zone is a common leftover. A name with no record of
        its own is answered by the nearest ``*.`` wildcard above it, as DNS does.
        Raises AwsError.
        """
        if self.unavailable:
            return None
        try:
            zone, zone_ids = self._zone_of(name)
            if zone is None:
                return None
            records = []
            for zone_id in zone_ids:
                records.extend(self._records_for(zone_id, zone, name))
        except AwsError as exc:
            if exc.code in _ROUTE53_UNAVAILABLE:
                self.unavailable = str(exc)
                return None
            raise
        return {"zone": zone, "zone_ids": zone_ids, "records": records}

    def _zone_of(self, name: str) -> Tuple[Optional[str], List[str]]:
        labels = name.split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            if candidate not in self._zones:
                self._zones[candidate] = self._public_zones_named(candidate)
            if self._zones[candidate]:
                return candidate, self._zones[candidate]
        return None, []

    def _public_zones_named(self, zone: str) -> List[str]:
        # ListHostedZonesByName lists zones in order from the name given; the ones named
        # exactly so come first (there can be several), then others.
        ids = []
        kwargs = {"DNSName": zone + ".", "MaxItems": "100"}
        while True:
            response = call("ListHostedZonesByName for %s" % zone, self._route53().list_hosted_zones_by_name, **kwargs)
            found = response.get("HostedZones") or []
            for item in found:
                if _name(item["Name"]) != zone:
                    return ids
                if not (item.get("Config") or {}).get("PrivateZone"):
                    ids.append(item["Id"].split("/")[-1])
            if not response.get("IsTruncated") or not found:
                return ids
            kwargs = {"DNSName": response["NextDNSName"], "HostedZoneId": response["NextHostedZoneId"],
                      "MaxItems": "100"}

    def _records_for(self, zone_id: str, zone: str, name: str) -> List[Dict[str, Any]]:
        sets = self._sets_at(zone_id, name)
        owner = name
        if not sets:
            parent = name
            while not sets and parent != zone and "." in parent:
                parent = parent.split(".", 1)[1]
                if not in_zone(parent, zone):
                    break
                owner = "*." + parent
                sets = self._sets_at(zone_id, owner)
        records = []
        for item in sets:
            if item["Type"] not in ("A", "AAAA"):
                continue
            target = item.get("AliasTarget")
            records.append({
                "zone_id": zone_id, "name": owner, "type": item["Type"],
                "alias_target": {"dns_name": _name(target["DNSName"]),
                                 "hosted_zone_id": target.get("HostedZoneId")} if target else None,
                "values": [r["Value"] for r in item.get("ResourceRecords") or []],
            })
        return records

    def _sets_at(self, zone_id: str, owner: str) -> List[Dict[str, Any]]:
        api_name = ("\\052" + owner[1:] if owner.startswith("*.") else owner) + "."
        sets = []
        kwargs = {"HostedZoneId": zone_id, "StartRecordName": api_name, "MaxItems": "100"}
        while True:
            response = call("ListResourceRecordSets for %s" % owner, self._route53().list_resource_record_sets,
                            **kwargs)
            for item in response.get("ResourceRecordSets") or []:
                if _name(item["Name"]) != owner:
                    return sets
                sets.append(item)
            if not response.get("IsTruncated"):
                return sets
            kwargs = {"HostedZoneId": zone_id, "StartRecordName": response["NextRecordName"],
                      "StartRecordType": response["NextRecordType"], "MaxItems": "100"}
            if response.get("NextRecordIdentifier"):
                kwargs["StartRecordIdentifier"] = response["NextRecordIdentifier"]


def _name(text: str) -> str:
    try:
        return to_ascii(text, allow_wildcard=True, allow_underscore=True)
    except InvalidName:
        return text.lower().rstrip(".")


def check_once(resolver: Any, alias: str, target_domain: str, target_addresses: Sequence[str],
               route53: Optional[Route53Records] = None) -> Proof:
    proof = Proof(alias)
    try:
        zone = resolver.zone_for(alias)
        servers = resolver.servers_for(zone)
    except ResolverError as exc:
        proof.outcome, proof.detail = DNS_ERROR, str(exc)
        return proof
    cnames = []
    asked = []
    for server in servers:
        answer = resolver.lookup(server, alias, "CNAME")
        asked.append(answer)
        proof.answers.append(answer.to_result())
        if answer.error:
            proof.outcome, proof.detail = DNS_ERROR, answer.error
            return proof
        cnames.append(answer.cname)
    distinct = sorted(set(cnames), key=lambda c: c or "")
    if len(distinct) > 1:
        proof.outcome = WRONG_TARGET
        proof.detail = "the nameservers of %s disagree: %s" % (zone, "; ".join(
            "%s says %s" % (a["server"], a.get("cname") or "no CNAME") for a in proof.answers))
        return proof
    if distinct[0]:
        return _check_chain(resolver, proof, alias, target_domain, asked)
    return _check_no_cname(resolver, proof, alias, zone, servers, target_domain, target_addresses, route53)


def _check_chain(resolver: Any, proof: Proof, alias: str, target_domain: str,
                 asked: Optional[List[Any]] = None) -> Proof:
    proof.method = "cname_chain"
    try:
        # The alias's own CNAME was just asked of every nameserver: the chain goes on from those answers.
        hops = resolver.chase(alias, asked)
    except ResolverError as exc:
        proof.outcome, proof.detail = DNS_ERROR, str(exc)
        return proof
    proof.chain = [{"name": h["name"], "cname": h["cname"]} for h in hops]
    for hop in hops[1:]:
        if hop.get("disagreement"):
            proof.outcome = WRONG_TARGET
            proof.detail = "the nameservers of %s disagree about it: %s" % (hop["name"], ", ".join(hop["disagreement"]))
            return proof
    proof.final_name = hops[-1]["name"]
    if proof.final_name == target_domain:
        proof.outcome = VERIFIED
        proof.detail = "every authoritative nameserver leads %s to %s" % (alias, target_domain)
    else:
        proof.outcome = WRONG_TARGET
        proof.detail = "%s leads to %s, not to the target %s" % (alias, proof.final_name, target_domain)
    return proof


def _check_no_cname(resolver: Any, proof: Proof, alias: str, zone: str, servers: Sequence[Tuple[str, int]],
                    target_domain: str, target_addresses: Sequence[str], route53: Optional[Route53Records]) -> Proof:
    """No CNAME: the record itself (Route 53) or, outside Route 53, the addresses."""
    seen = []
    for server in servers:
        values = []
        for rdtype in ("A", "AAAA"):
            answer = resolver.lookup(server, alias, rdtype)
            proof.answers.append(answer.to_result())
            if answer.error:
                proof.outcome, proof.detail = DNS_ERROR, answer.error
                return proof
            values.extend(answer.values)
        seen.append((server, sorted(set(values))))
    if all(not values for unused, values in seen):
        proof.outcome = NO_RECORD
        proof.detail = "%s has no CNAME, A or AAAA record on its authoritative nameservers" % alias
        return proof
    if any(is_cloudflare_address(v) for unused, values in seen for v in values):
        proof.outcome, proof.method = UNVERIFIABLE, "proxied"
        proof.detail = ("%s answers with Cloudflare proxy addresses: the record is proxied (orange cloud), so DNS "
                        "cannot show where it leads. Check it in the Cloudflare API, or make it DNS-only" % alias)
        return proof
    why_not_route53 = "route53_api is never"
    if route53 is not None:
        try:
            found = route53.find(alias)
        except AwsError as exc:
            proof.outcome = DNS_ERROR
            proof.detail = "the Route 53 record of %s could not be read: %s" % (alias, exc)
            return proof
        if found is not None and found["zone"] == zone:
            return _check_route53_alias(proof, alias, found, seen, target_domain)
        if found is not None:
            why_not_route53 = ("the account's Route 53 zone %s is not the zone DNS serves %s from (%s)"
                               % (found["zone"], alias, zone))
        elif route53.unavailable:
            why_not_route53 = "Route 53 could not be asked (%s)" % route53.unavailable
        else:
            why_not_route53 = "%s is in no public Route 53 hosted zone of this account" % alias
    return _check_addresses(proof, alias, seen, target_domain, target_addresses, why_not_route53)


def _check_route53_alias(proof: Proof, alias: str, found: Dict[str, Any], seen: List[Tuple[Any, List[str]]],
                         target_domain: str) -> Proof:
    """The zone's own A/AAAA record sets decide; DNS must show the name served everywhere."""
    proof.method = "route53_alias"
    records = found["records"]
    proof.route53 = {"zone": found["zone"], "zone_ids": found["zone_ids"], "records": records}
    zone_text = "Route 53 zone %s (%s)" % (found["zone"], ", ".join(found["zone_ids"]))
    plain = [r for r in records if not r["alias_target"]]
    targets = sorted(set(r["alias_target"]["dns_name"] for r in records if r["alias_target"]))
    unserved = [server for server, values in seen if not values]
    proof.final_name = targets[0] if len(targets) == 1 else None
    if not records:
        proof.outcome = WRONG_TARGET
        proof.detail = ("%s holds no A or AAAA record for %s, yet its nameservers answer with addresses (%s): "
                        "check which zone and provider really serve the name"
                        % (zone_text, alias, ", ".join(seen[0][1])))
    elif plain:
        proof.outcome = WRONG_TARGET
        proof.detail = ("%s holds plain %s records for %s (%s), not an alias to %s: CloudFront's addresses change, "
                        "so make it an alias A/AAAA record (HostedZoneId Z2FDTNDATAQYW2) to %s"
                        % (zone_text, "/".join(sorted(set(r["type"] for r in plain))), alias,
                           ", ".join(v for r in plain for v in r["values"]), target_domain, target_domain))
    elif targets != [target_domain]:
        proof.outcome = WRONG_TARGET
        proof.detail = ("%s has an alias record for %s to %s, not to the target %s"
                        % (zone_text, alias, ", ".join(t for t in targets if t != target_domain), target_domain))
    elif unserved:
        proof.outcome = WRONG_TARGET
        proof.detail = ("%s has an alias record for %s to %s, but %s answer%s no A or AAAA for it yet"
                        % (zone_text, alias, target_domain, ", ".join(server_label(s) for s in unserved),
                           "s" if len(unserved) == 1 else ""))
    else:
        proof.outcome = VERIFIED
        proof.detail = ("%s has an alias record for %s to %s, and every authoritative nameserver serves the name"
                        % (zone_text, alias, target_domain))
    return proof


def _check_addresses(proof: Proof, alias: str, seen: List[Tuple[Any, List[str]]], target_domain: str,
                     target_addresses: Sequence[str], why_not_route53: str) -> Proof:
    proof.method = "addresses"
    wanted = set(target_addresses)
    wrong = [(server, values) for server, values in seen if not values or not set(values) <= wanted]
    proof.final_name = alias
    if wanted and not wrong:
        proof.outcome = VERIFIED
        proof.detail = ("every authoritative nameserver answers %s with addresses of %s (an alias or flattened "
                        "record)" % (alias, target_domain))
    elif not wanted:
        proof.outcome = WRONG_TARGET
        proof.detail = "the addresses of %s could not be found to compare with %s's (%s)" % (
            target_domain, alias, ", ".join(sorted(set(v for unused, values in seen for v in values))))
    else:
        proof.outcome = WRONG_TARGET
        proof.detail = "%s answers with addresses that are not %s's: %s" % (alias, target_domain, "; ".join(
            "%s: %s" % (server_label(server), ", ".join(values) or "nothing") for server, values in wrong or seen))
    proof.detail += ". %s; the record was not read because %s." % (ADDRESSES_ARE_WEAK, why_not_route53)
    return proof


def verify(resolver: Any, aliases: Sequence[str], target_domain: str, timeout: float = 0,
           sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
           route53: Optional[Route53Records] = None) -> List[Dict[str, Any]]:
    """Check every alias until each is proved or the timeout passes; return results in order.

    ``route53`` (a Route53Records, or None to never ask) reads the record of a name that has no CNAME.
    """
    start = clock()
    pending = list(aliases)
    results = {}
    attempts = dict((a, 0) for a in aliases)
    delay = 1.0
    target_addresses = None
    while True:
        if target_addresses is None or not target_addresses:
            try:
                target_addresses = resolver.addresses(target_domain)
            except ResolverError:
                target_addresses = []
        for alias in pending:
            attempts[alias] += 1
        # Each alias's questions go to the nameservers on their own: several aliases are checked at once.
        proofs = map_ordered(lambda alias: (check_once(resolver, alias, target_domain, target_addresses, route53),
                                            clock() - start), pending, DNS_WORKERS)
        still = []
        for alias, (proof, elapsed) in zip(pending, proofs):
            results[alias] = proof.to_result(elapsed, attempts[alias])
            # A proxied record will not become provable by waiting.
            if proof.outcome not in (VERIFIED, UNVERIFIABLE):
                still.append(alias)
        pending = still
        if not pending or clock() - start + delay > timeout:
            return [results[a] for a in aliases]
        sleep(delay)
        delay = min(delay * 2, 30)
