# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Step 4: prove with DNS that each alias reaches the target distribution.

Every authoritative nameserver of the alias's zone is asked directly. A CNAME
chain is followed hop by hop, each hop asked of its own zone's servers, to the
final ``*.cloudfront.net`` name, which must be the target's ``DomainName``.
A name with no CNAME (a Route 53 alias record, a flattened or plain address
record) is proved by its addresses matching the target's. Addresses in
Cloudflare's published ranges mean a proxied record: DNS cannot prove where it
leads, and the result says so instead of guessing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import time

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


def is_cloudflare_address(text):
    try:
        address = ipaddress.ip_address(str(text))
    except ValueError:
        return False
    return any(address in network for network in CLOUDFLARE_RANGES)


class Proof:
    """What was seen for one alias on one attempt."""

    def __init__(self, alias):
        self.alias = alias
        self.outcome = None
        self.method = None
        self.final_name = None
        self.chain = []
        self.answers = []
        self.detail = ""

    def to_result(self, elapsed, attempts):
        return {"alias": self.alias, "verified": self.outcome == VERIFIED, "outcome": self.outcome,
                "method": self.method, "final_name": self.final_name, "chain": self.chain,
                "nameservers": self.answers, "detail": self.detail, "elapsed": round(elapsed, 3),
                "attempts": attempts}


def check_once(resolver, alias, target_domain, target_addresses):
    proof = Proof(alias)
    try:
        zone = resolver.zone_for(alias)
        servers = resolver.servers_for(zone)
    except ResolverError as exc:
        proof.outcome, proof.detail = DNS_ERROR, str(exc)
        return proof
    cnames = []
    for server in servers:
        answer = resolver.lookup(server, alias, "CNAME")
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
        return _check_chain(resolver, proof, alias, target_domain)
    return _check_addresses(resolver, proof, alias, servers, target_domain, target_addresses)


def _check_chain(resolver, proof, alias, target_domain):
    proof.method = "cname_chain"
    try:
        hops = resolver.chase(alias)
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


def _check_addresses(resolver, proof, alias, servers, target_domain, target_addresses):
    proof.method = "addresses"
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
    wanted = set(target_addresses)
    wrong = [(server, values) for server, values in seen if not values or not set(values) <= wanted]
    proof.final_name = alias
    if wanted and not wrong:
        proof.outcome = VERIFIED
        proof.detail = ("every authoritative nameserver answers %s with addresses of %s (an alias or flattened "
                        "record)" % (alias, target_domain))
    else:
        proof.outcome = WRONG_TARGET
        proof.detail = "%s answers with addresses that are not %s's: %s" % (alias, target_domain, "; ".join(
            "%s: %s" % (server_label(server), ", ".join(values) or "nothing") for server, values in wrong or seen))
    return proof


def verify(resolver, aliases, target_domain, timeout=0, sleep=time.sleep, clock=time.time):
    """Check every alias until each is proved or the timeout passes; return results in order."""
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
        still = []
        for alias in pending:
            attempts[alias] += 1
            proof = check_once(resolver, alias, target_domain, target_addresses)
            results[alias] = proof.to_result(clock() - start, attempts[alias])
            # A proxied record will not become provable by waiting.
            if proof.outcome not in (VERIFIED, UNVERIFIABLE):
                still.append(alias)
        pending = still
        if not pending or clock() - start + delay > timeout:
            return [results[a] for a in aliases]
        sleep(delay)
        delay = min(delay * 2, 30)
