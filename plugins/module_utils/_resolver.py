# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Ask a zone's authoritative nameservers directly, one by one.

Recursive resolvers cache answers for their TTL and follow CNAMEs on their own,
sometimes into another zone; to see what a zone says *now* we ask each of its
nameservers, with recursion off, for the exact record type, and follow a CNAME
chain ourselves. EDNS payload is 1232 octets: larger ones have troubled
Route 53's servers in the past.

Nameservers may be given by address or by host name (``ns1.example.net``,
``localhost:5353``): a name is looked up once with the system resolver and every
address it has is asked, each reported under the name the user wrote.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import socket
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, to_ascii

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.resolver
    HAS_DNSPYTHON = True
except ImportError:
    HAS_DNSPYTHON = False

EDNS_PAYLOAD = 1232
MAX_CHAIN = 8


class ResolverError(Exception):
    pass


def parse_nameserver(text: str) -> Tuple[str, int]:
    """'host', 'host:port' or '[v6]:port' -> (host, port)."""
    text = (text or "").strip()
    if not text:
        raise ResolverError("an empty nameserver was given")
    if text.startswith("["):
        host, unused, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, unused, port = text.partition(":")
    else:
        host, port = text, ""
    try:
        port = int(port) if port else 53
    except ValueError:
        raise ResolverError("nameserver %r: the port must be a number" % text)
    if not 0 < port < 65536:
        raise ResolverError("nameserver %r: the port must be between 1 and 65535" % text)
    return host, port


class Nameserver(tuple):
    """(address, port) of one nameserver to ask, and the host name the user gave it by, if any."""

    def __new__(cls, address: str, port: int, given: Optional[str] = None) -> "Nameserver":
        server = tuple.__new__(cls, (address, port))
        server.given = given
        return server


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resolve_nameservers(texts: Sequence[str]) -> List[Nameserver]:
    """Every (address, port) the nameservers given as 'host', 'host:port' or '[v6]:port' stand for.

    A host name is resolved with the system resolver (all its addresses, IPv4 and
    IPv6, in the resolver's order). Raises ResolverError naming every entry that
    could not be resolved.
    """
    servers, failed = [], []
    for text in texts:
        host, port = parse_nameserver(text)
        try:
            addresses = addresses_of(host, what="nameserver")
        except UnresolvedName as exc:
            failed.append("%r (%s)" % (text.strip(), exc))
            continue
        found = [Nameserver(address, port, None if address == host else host) for address in addresses]
        for server in found:
            if server not in servers:
                servers.append(server)
    if failed:
        raise ResolverError("%s could not be resolved to an address by this host's system resolver: %s. Give the "
                            "nameserver's address instead, or a name this host can resolve"
                            % ("this nameserver" if len(failed) == 1 else "these nameservers", ", ".join(failed)))
    return servers


class UnresolvedName(ResolverError):
    """The system resolver has no address for a host name."""


def addresses_of(host: str, what: str = "server") -> List[str]:
    """The addresses of a server given by address or host name (every one the system resolver has).

    Raises ResolverError: ``UnresolvedName`` with the resolver's reason when the name has
    no address, a plain one when the text cannot be a host name at all.
    """
    host = (host or "").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if _is_address(host):
        return [host]
    try:
        ascii_host = to_ascii(host, allow_underscore=True, what=what, strict=True)
    except InvalidName as exc:
        raise ResolverError("%s %r is not an address or a host name (%s)" % (what, host, exc))
    try:
        infos = socket.getaddrinfo(ascii_host, 53, 0, socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnresolvedName(getattr(exc, "strerror", None) or str(exc))
    addresses = []
    for info in infos:
        if info[4][0] not in addresses:
            addresses.append(info[4][0])
    return addresses


def unresolved_server(what: str, host: str, exc: Exception) -> str:
    """The message for a server option (RFC 2136 server) whose name has no address."""
    return ("%s %r could not be resolved to an address by this host's system resolver (%s). Give its address "
            "instead, or a name this host can resolve" % (what, host, exc))


def server_label(server: Tuple[str, int]) -> str:
    host, port = server
    address = "[%s]" % host if ":" in host else host
    given = getattr(server, "given", None)
    if given and given != host:
        name = given if port == 53 else "%s:%d" % (given, port)
        return "%s (%s)" % (name, address)
    return address if port == 53 else "%s:%d" % (address, port)


class Answer:
    """What one nameserver said about one name and type."""

    def __init__(self, server: Tuple[str, int], name: str, rdtype: str, rcode: Optional[str] = None,
                 values: Sequence[str] = (), cname: Optional[str] = None, error: Optional[str] = None,
                 zone: Optional[str] = None) -> None:
        self.server = server
        self.name = name
        self.rdtype = rdtype
        self.rcode = rcode
        self.values = list(values)
        self.cname = cname
        self.error = error
        self.zone = zone

    def to_result(self) -> Dict[str, Any]:
        result = {"server": server_label(self.server), "name": self.name, "type": self.rdtype,
                  "rcode": self.rcode, "values": self.values}
        if self.cname:
            result["cname"] = self.cname
        if self.error:
            result["error"] = self.error
        return result


class AuthoritativeResolver:
    def __init__(self, nameservers: Optional[Sequence[str]] = None, timeout: float = 3.0, retries: int = 2) -> None:
        if not HAS_DNSPYTHON:
            raise ResolverError("dnspython is required on the host that runs this module: pip install dnspython")
        self.explicit = resolve_nameservers(nameservers) if nameservers else None
        self.timeout = timeout
        self.retries = retries
        # Read and filled from several threads (see _parallel): a race only asks the same question twice.
        self._zone_cache = {}  # type: Dict[str, str]
        self._server_cache = {}  # type: Dict[str, List[Tuple[str, int]]]

    # -- one question to one server -------------------------------------------------

    def ask(self, server: Tuple[str, int], name: str, rdtype: str) -> Any:
        query = dns.message.make_query(name + ".", rdtype, use_edns=0, payload=EDNS_PAYLOAD)
        query.flags &= ~dns.flags.RD
        host, port = server
        last_error = None
        for unused in range(self.retries + 1):
            try:
                response = dns.query.udp(query, host, port=port, timeout=self.timeout)
                if response.flags & dns.flags.TC:
                    response = dns.query.tcp(query, host, port=port, timeout=self.timeout)
                return response
            except (dns.exception.Timeout, OSError) as exc:
                last_error = exc
            except dns.exception.DNSException as exc:
                last_error = exc
                break
        raise ResolverError("%s did not answer for %s %s: %s" % (server_label(server), name, rdtype, last_error))

    def lookup(self, server: Tuple[str, int], name: str, rdtype: str) -> Answer:
        """An Answer: the values of exactly this type, and a CNAME if the name has one.

        Only an authoritative answer (NOERROR or NXDOMAIN with the AA flag) says what
        the zone holds. Anything else (REFUSED, SERVFAIL, a cache's or a referral's
        answer without AA) sets ``error``, so that no caller mistakes "this server
        does not know" for "the name has no such record".
        """
        try:
            response = self.ask(server, name, rdtype)
        except ResolverError as exc:
            return Answer(server, name, rdtype, error=str(exc))
        answer = Answer(server, name, rdtype, rcode=dns.rcode.to_text(response.rcode()))
        answer.error = _not_authoritative(server, name, rdtype, response)
        wanted = dns.rdatatype.from_text(rdtype)
        owner = dns.name.from_text(name + ".")
        for rrset in response.answer:
            if rrset.name != owner:
                continue
            if rrset.rdtype == dns.rdatatype.CNAME:
                answer.cname = _text(rrset[0].target)
            if rrset.rdtype == wanted:
                answer.values.extend(_rdata_text(rdata) for rdata in rrset)
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA:
                answer.zone = _text(rrset.name)
        if rdtype == "SOA" and answer.values:
            answer.zone = name
        return answer

    # -- which servers ---------------------------------------------------------------

    def zone_for(self, name: str) -> str:
        """The zone that holds ``name``: from the explicit servers' SOA, or the public DNS."""
        if name in self._zone_cache:
            return self._zone_cache[name]
        if self.explicit:
            zone = self._zone_from_servers(self.explicit, name)
        else:
            try:
                zone = _text(dns.resolver.zone_for_name(name + "."))
            except dns.exception.DNSException as exc:
                raise ResolverError("could not find the zone of %s in the public DNS: %s" % (name, exc))
        self._zone_cache[name] = zone
        return zone

    def _zone_from_servers(self, servers: Sequence[Tuple[str, int]], name: str) -> str:
        # The first server that can say (a name given by host name may have an address that does not answer).
        errors = []
        for server in servers:
            try:
                return self._zone_from_server(server, name)
            except ResolverError as exc:
                errors.append(str(exc))
        raise ResolverError("; ".join(errors))

    def _zone_from_server(self, server: Tuple[str, int], name: str) -> str:
        # A SOA question names the zone: in the answer at the apex, in the authority
        # section below it. A name with a CNAME answers with the CNAME instead, so walk up.
        labels = name.split(".")
        for start in range(len(labels)):
            candidate = ".".join(labels[start:])
            if start and candidate in self._zone_cache:
                # The names below it were no zone apex (a CNAME), so they are in its zone, already known: the
                # aliases of one zone cost one SOA question each, not one per label.
                return self._zone_cache[candidate]
            answer = self.lookup(server, candidate, "SOA")
            if answer.error:
                raise ResolverError(answer.error)
            if answer.zone:
                if start:
                    self._zone_cache[candidate] = answer.zone
                return answer.zone
        raise ResolverError("%s is not authoritative for %s or any zone above it"
                            % (server_label(server), name))

    def servers_for(self, zone: str) -> List[Tuple[str, int]]:
        """(host, port) of every authoritative nameserver of the zone."""
        if self.explicit:
            return list(self.explicit)
        if zone not in self._server_cache:
            servers = []
            try:
                ns_names = sorted(_text(r.target) for r in dns.resolver.resolve(zone + ".", "NS"))
                for ns_name in ns_names:
                    for rdtype in ("A", "AAAA"):
                        try:
                            servers.extend((r.address, 53) for r in dns.resolver.resolve(ns_name + ".", rdtype))
                        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
                            continue
            except dns.exception.DNSException as exc:
                raise ResolverError("could not find the nameservers of %s: %s" % (zone, exc))
            if not servers:
                raise ResolverError("the zone %s has no reachable nameservers" % zone)
            self._server_cache[zone] = servers
        return self._server_cache[zone]

    # -- following a chain -------------------------------------------------------------

    def chase(self, name: str, asked: Optional[List["Answer"]] = None) -> List[Dict[str, Any]]:
        """Follow CNAMEs from ``name`` asking each hop's own authoritative servers.

        Returns a list of hops ``{"name", "cname", "servers": [Answer.to_result()]}``;
        the last hop has no ``cname``. A ``*.cloudfront.net`` name ends the chain:
        that is the distribution the name reaches. ``asked``: the CNAME answers for ``name``
        itself from every server of its zone, when the caller has just asked them (not asked again).
        """
        hops = []
        seen = set()
        current = name
        for unused in range(MAX_CHAIN):
            if current in seen:
                raise ResolverError("CNAME loop at %s" % current)
            seen.add(current)
            if current.endswith(".cloudfront.net"):
                hops.append({"name": current, "cname": None, "servers": []})
                return hops
            zone = self.zone_for(current)
            if asked is not None and current == name:
                answers = asked
            else:
                answers = [self.lookup(server, current, "CNAME") for server in self.servers_for(zone)]
            if all(a.error for a in answers):
                # Not one server could say whether there is a CNAME: that is not the end of the chain.
                raise ResolverError("no nameserver of %s answered for %s: %s"
                                    % (zone, current, "; ".join(a.error for a in answers)))
            targets = sorted(set(a.cname for a in answers if a.cname))
            hop = {"name": current, "zone": zone, "cname": targets[0] if len(targets) == 1 else None,
                   "servers": [a.to_result() for a in answers]}
            if len(targets) > 1:
                hop["disagreement"] = targets
            hops.append(hop)
            if not hop["cname"]:
                return hops
            current = hop["cname"]
        raise ResolverError("CNAME chain from %s is longer than %d" % (name, MAX_CHAIN))

    def addresses(self, name: str) -> List[str]:
        """A and AAAA of a name from its authoritative servers (first that answers)."""
        if self.explicit:
            servers = self.explicit
        else:
            try:
                servers = self.servers_for(self.zone_for(name))
            except ResolverError:
                return _system_addresses(name)
        result = []
        answered = False
        for rdtype in ("A", "AAAA"):
            for server in servers:
                answer = self.lookup(server, name, rdtype)
                if not answer.error:
                    result.extend(answer.values)
                    answered = True
                    break
        if self.explicit and not answered:
            # The given servers are the alias's zone's; a CloudFront name is answered by
            # Amazon's, which the public DNS reaches.
            return _system_addresses(name)
        return sorted(set(result))


_RCODE_MEANING = {
    "REFUSED": "refused it: the server is not authoritative for that name",
    "NOTAUTH": "answered NOTAUTH: the server is not authoritative for that name",
    "SERVFAIL": "failed to answer it (SERVFAIL): the zone may be broken or not loaded there",
    "FORMERR": "could not parse it (FORMERR)",
    "NOTIMP": "does not answer this kind of question (NOTIMP)",
}


def _not_authoritative(server: Tuple[str, int], name: str, rdtype: str, response: Any) -> Optional[str]:
    """Why this response says nothing about the zone's content, or None when it does."""
    rcode = dns.rcode.to_text(response.rcode())
    if rcode not in ("NOERROR", "NXDOMAIN"):
        why = _RCODE_MEANING.get(rcode, "answered %s" % rcode)
    elif not response.flags & dns.flags.AA:
        if not response.answer and any(r.rdtype == dns.rdatatype.NS for r in response.authority):
            why = "referred it to other nameservers (%s without AA): the server is not authoritative for that name" % rcode
        else:
            why = ("answered %s without the authoritative (AA) flag: the server is a cache or a recursive resolver, "
                   "not a nameserver of that zone" % rcode)
    else:
        return None
    return ("%s was asked %s %s and %s; ask the zone's own authoritative nameservers (check nameservers)"
            % (server_label(server), name, rdtype, why))


def _system_addresses(name: str) -> List[str]:
    result = []
    for rdtype in ("A", "AAAA"):
        try:
            result.extend(r.address for r in dns.resolver.resolve(name + ".", rdtype))
        except dns.exception.DNSException:
            continue
    return sorted(set(result))


def _text(name: Any) -> str:
    return name.to_text().rstrip(".").lower()


def _rdata_text(rdata: Any) -> str:
    if rdata.rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rdata.rdtype == dns.rdatatype.CNAME:
        return _text(rdata.target)
    return rdata.to_text()
