# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""RFC 2136 dynamic update (BIND, Knot, PowerDNS, Windows DNS) behind the provider interface.

Names are read from one TSIG-signed zone transfer (AXFR) per zone: only the
zone's own data shows every type at a name (HTTPS, SVCB, NAPTR... beside an A
record block a CNAME) and tells a name's own records from the answers a
wildcard synthesises for it. A server that refuses the transfer is read with one
query per type and name instead, and the run warns what that cannot see.

One TSIG-signed UPDATE per zone. Its prerequisites say "these record sets hold
exactly what was read" (and "this one does not exist" for sets to be created),
so the server applies the whole update or none of it: a compare-and-swap. A
server may still drop part of an accepted update without a word (RFC 2136
3.4.2.2), so the new data is read back; a name whose update was dropped is put
back as it was, and the error says what it holds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdata
    import dns.rdataclass
    import dns.rdataset
    import dns.rdatatype
    import dns.tsig
    import dns.tsigkeyring
    import dns.update
    import dns.xfr
    import dns.zone
    HAS_DNSPYTHON = True
    _TSIG_ERRORS = (dns.tsig.PeerError, dns.message.UnknownTSIGKey)
except ImportError:
    HAS_DNSPYTHON = False
    _TSIG_ERRORS = ()

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import AUDITED_TYPES
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import (
    Change,
    ConcurrentChange,
    DnsError,
    DnsProvider,
    Zone,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import RecordSet
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import (
    ResolverError,
    UnresolvedName,
    addresses_of,
    unresolved_server,
)

# Only when the server refuses a zone transfer: the types asked for at each name, one query each.
READ_TYPES = ("CNAME", "A", "AAAA", "TXT", "MX", "SRV", "CAA", "NS", "HTTPS", "SVCB", "NAPTR", "PTR", "DNAME",
              "TLSA", "SSHFP", "DS", "URI", "LOC", "HINFO")
# Kept by the server itself (the SOA, DNSSEC signatures and chains): never data a user put at a name.
_SERVER_TYPES = ("SOA", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "TYPE65534")
# Answers to an AXFR that mean "not for you" rather than "something broke".
_TRANSFER_REFUSED = ("REFUSED", "NOTAUTH", "NOTIMP", "FORMERR")
TSIG_ALGORITHMS = ("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512")
_PREREQUISITE_FAILED = ("YXDOMAIN", "YXRRSET", "NXDOMAIN", "NXRRSET")
# SERVFAIL and a lost answer are passing troubles: ask again, a few times, waiting longer each time.
# Asking again is safe for an update too: its prerequisites refuse it once an earlier try got through.
ATTEMPTS = 4
FIRST_DELAY = 0.5


class Rfc2136Provider(DnsProvider):
    name = "rfc2136"
    title = "RFC 2136"
    options = {
        "server": dict(type="str"),
        "port": dict(type="int"),
        "key_name": dict(type="str", no_log=False),
        "key_secret": dict(type="str", no_log=True),
        "key_algorithm": dict(type="str", choices=list(TSIG_ALGORITHMS)),
    }
    option_env = {"server": ["RFC2136_SERVER"], "port": ["RFC2136_PORT"], "key_name": ["RFC2136_KEY_NAME"],
                  "key_secret": ["RFC2136_KEY_SECRET"], "key_algorithm": ["RFC2136_KEY_ALGORITHM"]}
    required = ("server",)
    defaults = {"port": 53, "key_algorithm": "hmac-sha256"}
    apex_mode = None
    write_guarantee = (
        "compare-and-swap: each zone's change is one signed UPDATE whose prerequisites require the record sets "
        "that were read; the server applies all of it or none, and refuses it if any of them changed since.")

    def __init__(self, server, port=53, key_name=None, key_secret=None, key_algorithm="hmac-sha256", timeout=10.0):
        if not HAS_DNSPYTHON:
            raise DnsError("dnspython is required for provider rfc2136: pip install dnspython")
        if not server:
            raise DnsError("provider rfc2136 needs the server to update (server)")
        self.server = server
        # A server given by name: every address it has, each tried in turn when one does not answer.
        self.addresses = server_addresses(server)
        self.port = port
        self.timeout = timeout
        self.key_name = key_name
        self.key_algorithm = key_algorithm
        self.keyring = None
        if key_name or key_secret:
            if not (key_name and key_secret):
                raise DnsError("key_name and key_secret go together (a TSIG key has both)")
            if key_algorithm not in TSIG_ALGORITHMS:
                raise DnsError("key_algorithm must be one of %s" % ", ".join(TSIG_ALGORITHMS))
            try:
                self.keyring = dns.tsigkeyring.from_text({key_name: (key_algorithm, key_secret)})
            except Exception as exc:  # dnspython raises binascii and its own errors for a bad secret
                raise DnsError("key_secret is not a valid base64 TSIG secret: %s" % type(exc).__name__)
        self.count = 0
        self.sleep = time.sleep
        DnsProvider.__init__(self)
        # Per zone: {name: {rdtype: (ttl, set of rdata)}} from one transfer, or None when it was refused.
        self._zones = {}

    @classmethod
    def check_settings(cls, settings):
        if not 1 <= settings["port"] <= 65535:
            raise DnsError("port %s is not a port number: give 1-65535 (53 for DNS, the default)" % settings["port"],
                           code="BadOption")
        return settings

    @classmethod
    def from_settings(cls, settings, aws_connection=None, warn=None):
        return cls(settings.get("server"), settings.get("port") or 53, settings.get("key_name"),
                   settings.get("key_secret"), settings.get("key_algorithm") or "hmac-sha256")

    @classmethod
    def list_zones(cls, settings, zones, cost, warn=None):
        if bool(settings["key_name"]) != bool(settings["key_secret"]):
            raise DnsError("key_name and key_secret go together (a TSIG key has both); give both, or neither for "
                           "unsigned transfers")
        keyring = keyring_for(settings["key_name"], settings["key_secret"], settings["key_algorithm"])
        return (list_rfc2136(settings["server"], settings["port"], zones, keyring, settings["key_name"],
                             settings["key_algorithm"], cost=cost), len(zones))

    @property
    def requests(self):
        return {"rfc2136": self.count}

    def _query(self, name, rdtype):
        query = dns.message.make_query(name + ".", rdtype)
        if self.keyring is not None:
            # Reads are signed too: a wrong key then shows on the first read, before any update is sent.
            query.use_tsig(self.keyring, keyname=self.key_name, algorithm=self.key_algorithm)

        def ask(address):
            response = dns.query.udp(query, address, port=self.port, timeout=self.timeout)
            if response.flags & dns.flags.TC:
                response = dns.query.tcp(query, address, port=self.port, timeout=self.timeout)
            return response

        response, unused = self._exchange(ask, "%s %s" % (name, rdtype))
        if response.rcode() == dns.rcode.SERVFAIL:
            raise DnsError("the DNS server %s:%d answered SERVFAIL to %s %s %d times; try again later"
                           % (self.server, self.port, name, rdtype, ATTEMPTS), code="SERVFAIL")
        return response

    def _address(self, attempt):
        """The address to use for this attempt: a server with several addresses gets each in turn."""
        return self.addresses[(attempt - 1) % len(self.addresses)]

    def _exchange(self, send, what):
        """send(address) with retries on timeouts, dropped connections and SERVFAIL; (response, attempts)."""
        delay = FIRST_DELAY
        for attempt in range(1, ATTEMPTS + 1):
            self.count += 1
            try:
                response = send(self._address(attempt))
            except _TSIG_ERRORS as exc:
                raise self._key_error(exc)
            except (dns.exception.Timeout, OSError) as exc:
                if attempt == ATTEMPTS:
                    raise DnsError("the DNS server %s:%d did not answer %s after %d tries (%s)"
                                   % (self.server, self.port, what, ATTEMPTS, exc), code="Unreachable")
            except dns.exception.DNSException as exc:
                raise DnsError("the DNS server %s:%d gave an answer that cannot be read for %s (%s)"
                               % (self.server, self.port, what, exc), code="BadAnswer")
            else:
                if response.rcode() != dns.rcode.SERVFAIL or attempt == ATTEMPTS:
                    return response, attempt
            self.sleep(delay)
            delay *= 2
        raise DnsError("the DNS server %s:%d did not answer %s" % (self.server, self.port, what), code="Unreachable")

    def find_zone(self, zone_name):
        response = self._query(zone_name, "SOA")
        owner = dns.name.from_text(zone_name + ".")
        if not any(rrset.name == owner and rrset.rdtype == dns.rdatatype.SOA for rrset in response.answer):
            raise DnsError("%s:%d is not authoritative for the zone %s (it answered %s); check server and the zone"
                           % (self.server, self.port, zone_name, dns.rcode.to_text(response.rcode())),
                           code="NoSuchZone")
        return Zone(zone_name)

    def zone_for_name(self, name):
        labels = name.split(".")
        for start in range(len(labels)):
            candidate = ".".join(labels[start:])
            response = self._query(candidate, "SOA")
            for rrset in response.answer + response.authority:
                if rrset.rdtype == dns.rdatatype.SOA:
                    return Zone(rrset.name.to_text().rstrip(".").lower())
        raise DnsError("%s:%d is not authoritative for any zone holding %s" % (self.server, self.port, name),
                       code="NoSuchZone")

    def read(self, zone, names):
        data = self._zone_data(zone)
        found = {}
        for name in names:
            found[name] = self._sets_at(data, name) if data is not None else self._read_name(name)
        return found

    def _zone_data(self, zone, fresh=False):
        """The zone's records by name, transferred once per run (again when ``fresh``); None when refused."""
        if zone.name in self._zones and (not fresh or self._zones[zone.name] is None):
            return self._zones[zone.name]
        self._zones[zone.name] = self._transfer(zone)
        return self._zones[zone.name]

    def _transfer(self, zone):
        origin = dns.name.from_text(zone.name + ".")
        delay = FIRST_DELAY
        for attempt in range(1, ATTEMPTS + 1):
            self.count += 1
            try:
                data = {}
                for message in dns.query.xfr(self._address(attempt), origin, port=self.port, keyring=self.keyring,
                                             keyname=self.key_name, keyalgorithm=self.key_algorithm,
                                             relativize=False, timeout=self.timeout,
                                             lifetime=max(self.timeout * 6, 60)):
                    for rrset in message.answer:
                        _index(data, rrset)
                return data
            except dns.xfr.TransferError as exc:
                rcode = dns.rcode.to_text(exc.rcode)
                if rcode in _TRANSFER_REFUSED:
                    return self._transfer_refused(zone, rcode)
                if rcode == "SERVFAIL" and attempt < ATTEMPTS:
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise DnsError("%s:%d answered %s to a zone transfer of %s, so the zone's records cannot be read"
                               % (self.server, self.port, rcode, zone.name), code=rcode)
            except _TSIG_ERRORS as exc:
                raise self._key_error(exc)
            except EOFError:
                # Some servers close the connection instead of answering REFUSED.
                return self._transfer_refused(zone, "the connection was closed")
            except (dns.exception.Timeout, OSError) as exc:
                if attempt < ATTEMPTS:
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise DnsError("the DNS server %s:%d did not complete a zone transfer of %s after %d tries (%s)"
                               % (self.server, self.port, zone.name, ATTEMPTS, exc), code="Unreachable")
            except dns.exception.DNSException as exc:
                raise DnsError("the DNS server %s:%d sent a zone transfer of %s that cannot be read (%s)"
                               % (self.server, self.port, zone.name, exc), code="BadAnswer")

    def _transfer_refused(self, zone, why):
        key = "the key %r" % self.key_name if self.key_name else "unsigned requests"
        allow = 'key "%s"' % self.key_name if self.key_name else "this host"
        self.warn("%s:%d refused a zone transfer (AXFR) of %s to %s (%s), so each name was read with one query "
                  "per record type instead. That read cannot tell an answer the server synthesises from a wildcard "
                  "(*.%s) from a record of the name's own, and does not see types other than %s. Allow the transfer "
                  "(BIND: allow-transfer { %s; };) for an exact read"
                  % (self.server, self.port, zone.name, key, why, zone.name, ", ".join(READ_TYPES), allow))
        return None

    def _sets_at(self, data, name):
        sets = []
        for rdtype, (ttl, rdatas) in sorted(data.get(name, {}).items()):
            rtype = dns.rdatatype.to_text(rdtype)
            try:
                sets.append(RecordSet(name, rtype, ttl, [_value(r) for r in rdatas]))
            except InvalidName as exc:
                raise DnsError("the %s record at %s on %s:%d cannot be read (%s); fix or remove it before changing "
                               "this name" % (rtype, name, self.server, self.port, exc), code="UnreadableRecord")
        return sets

    def _read_name(self, name):
        sets = []
        for rtype in READ_TYPES:
            record_set = self._lookup(name, rtype)
            if record_set is not None:
                sets.append(record_set)
            if rtype == "CNAME" and sets:
                return sets  # nothing else can live beside a CNAME
        return sets

    def _lookup(self, name, rtype):
        """The set of one type at a name, as the server answers a query for it (None when there is none)."""
        owner = dns.name.from_text(name + ".")
        response = self._query(name, rtype)
        if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise DnsError("%s:%d answered %s when asked for %s %s, so the name's records cannot be read"
                           % (self.server, self.port, dns.rcode.to_text(response.rcode()), name, rtype),
                           code=dns.rcode.to_text(response.rcode()))
        for rrset in response.answer:
            if rrset.name == owner and dns.rdatatype.to_text(rrset.rdtype) == rtype:
                return RecordSet(name, rtype, rrset.ttl, [_value(r) for r in rrset])
        return None

    def _live(self, zone, names):
        """What the names hold now, read afresh (the whole name, as exactly as the server allows)."""
        data = self._zone_data(zone, fresh=True)
        return dict((name, self._sets_at(data, name) if data is not None else self._read_name(name))
                    for name in names)

    def apply(self, zone, changes):
        update, touched = self._update(zone, changes)
        if not touched:
            return None
        self._send(update, zone, changes)
        self._zones.pop(zone.name, None)  # the transfer read before the update is stale now
        self._confirm(zone, changes)
        return None

    def _update(self, zone, changes):
        update = dns.update.UpdateMessage(zone.name + ".", keyring=self.keyring, keyname=self.key_name,
                                          keyalgorithm=self.key_algorithm)
        touched = False
        for change in changes:
            before = dict((r.key, r) for r in change.before)
            after = dict((r.key, r) for r in change.after)
            for key in sorted(set(before) | set(after)):
                old, new = before.get(key), after.get(key)
                if old is not None and old.same_data(new):
                    continue
                touched = True
                name, rtype = key
                if old is not None:
                    # Prerequisite records carry TTL 0 (RFC 2136 2.4.2): pass rdatas, not the rdataset.
                    update.present(name + ".", *list(_rdataset(old)))
                    update.delete(name + ".", rtype)
                else:
                    update.absent(name + ".", rtype)
                if new is not None:
                    update.add(name + ".", _rdataset(new))
        return update, touched

    def _send(self, update, zone, changes):
        response, attempt = self._exchange(
            lambda address: dns.query.tcp(update, address, port=self.port, timeout=self.timeout),
            "the update of zone %s" % zone.name)
        rcode = dns.rcode.to_text(response.rcode())
        if rcode == "NOERROR":
            return
        if rcode in _PREREQUISITE_FAILED and attempt > 1 and self._applied(zone, changes):
            return  # an earlier try got through; only its answer was lost
        if rcode in _PREREQUISITE_FAILED:
            text = ("%s:%d refused the update of zone %s because its records are no longer what was read (%s); "
                    "nothing was changed, run again" % (self.server, self.port, zone.name, rcode))
            if self._zones.get(zone.name, False) is None:
                text += (". The zone was read with queries, not a transfer (see the warning): when a wildcard "
                         "(*.%s) covers these names its answers look like their own records and this will fail "
                         "every time; allow this key a zone transfer" % zone.name)
            raise ConcurrentChange(text)
        if rcode == "NOTAUTH":
            raise DnsError("%s:%d refused the update of zone %s (NOTAUTH): the TSIG key %r is unknown or wrong, or "
                           "the server is not the primary for the zone"
                           % (self.server, self.port, zone.name, self.key_name), code="NOTAUTH")
        if rcode == "REFUSED":
            raise DnsError("%s:%d refused the update of zone %s (REFUSED): updates are not allowed for %s; check "
                           "the server's allow-update/update-policy" % (
                               self.server, self.port, zone.name,
                               "key %r" % self.key_name if self.key_name else "unsigned requests (give a TSIG key)"),
                           code="REFUSED")
        raise DnsError("%s:%d answered %s to the update of zone %s" % (self.server, self.port, rcode, zone.name),
                       code=rcode)

    def _applied(self, zone, changes):
        live = self._live(zone, [change.name for change in changes])
        for change in changes:
            if not _holds(live[change.name], change.after, _types(change)):
                return False
        return True

    def _key_error(self, exc):
        return DnsError("%s:%d rejected the TSIG key %r (%s): check key_name, key_secret and key_algorithm"
                        % (self.server, self.port, self.key_name, type(exc).__name__), code="BADKEY")

    def _confirm(self, zone, changes):
        # A server may accept an update yet ignore part of it (RFC 2136 3.4.2.2: a CNAME
        # beside other data is silently dropped); ask for each new set, one query each.
        missing = []
        for change in changes:
            for record_set in change.after:
                if not record_set.same_data(self._lookup(record_set.name, record_set.type), compare_ttl=False):
                    missing.append(record_set)
        dropped = [c for c in changes if any(r.name == c.name for r in missing)]
        for change in changes:
            change.applied = change not in dropped
        if missing:
            raise self._put_back(zone, changes, dropped, missing)

    def _put_back(self, zone, changes, dropped, missing):
        """Undo what the server did make of a partly ignored update, and say what the names hold."""
        text = ("%s:%d accepted the update of zone %s but did not make all of it: %s %s not there afterwards (a "
                "server drops a CNAME added beside other data, and more, without an error; RFC 2136 3.4.2.2)."
                % (self.server, self.port, zone.name, ", ".join("%s %s" % (r.name, r.type) for r in missing),
                   "is" if len(missing) == 1 else "are"))
        names = [change.name for change in dropped]
        try:
            live = self._live(zone, names)
            restore = [Change(c.name, [r for r in live[c.name] if r.type in _types(c)], c.before) for c in dropped]
            restore = [c for c in restore if not c.is_noop]
            if restore:
                update, unused = self._update(zone, restore)
                self._send(update, zone, restore)
            text += " What was there before has been put back."
        except DnsError as exc:
            text += " Putting back what was there failed (%s)." % exc
        try:
            live = self._live(zone, names)
        except DnsError as exc:
            for change in dropped:
                change.left_changed = True
            return DnsError("%s What %s hold%s now could not be read (%s); check before running again."
                            % (text, ", ".join(names), "s" if len(names) == 1 else "", exc), code="UpdateIgnored")
        # Put back as it was means not changed; anything else is a change the user must hear about.
        for change in dropped:
            change.left_changed = not _holds(live[change.name], change.before, _types(change))
            text += " %s now holds: %s." % (change.name, _describe(live[change.name]))
        others = [c.name for c in changes if c.applied]
        if others:
            text += " The other names of the update were changed as planned: %s." % ", ".join(others)
        return DnsError(text, code="UpdateIgnored")


def list_rfc2136(server, port, zones, keyring=None, key_name=None, key_algorithm=None, timeout=30.0, cost=None):
    """Every zone by TSIG-signed zone transfer (AXFR), one transfer per zone."""
    if not HAS_DNSPYTHON:
        raise DnsError("dnspython is required for RFC 2136 zones: pip install dnspython")
    addresses = server_addresses(server)  # a server given by name: each of its addresses in turn
    result = []
    for zone_name in zones:
        for attempt, address in enumerate(addresses, 1):
            try:
                zone = dns.zone.Zone(dns.name.from_text(zone_name + "."), relativize=False)
                query, unused = dns.xfr.make_query(zone)
                if keyring:
                    query.use_tsig(keyring, keyname=key_name, algorithm=key_algorithm)
                dns.query.inbound_xfr(address, zone, query=query, port=port, lifetime=timeout)
                break
            except (dns.exception.Timeout, OSError) as exc:
                if attempt < len(addresses):
                    continue
                raise DnsError("zone transfer of %s from %s:%d failed (%s): the server did not answer"
                               % (zone_name, server, port, type(exc).__name__), code="AXFR")
            except dns.exception.DNSException as exc:
                raise DnsError("zone transfer of %s from %s:%d failed (%s): the server must allow AXFR for this TSIG "
                               "key" % (zone_name, server, port, type(exc).__name__), code="AXFR")
        if cost is not None:
            cost.need("AXFR", 1)
        records, count = [], 0
        for name, rdataset in zone.iterate_rdatasets():
            count += 1
            rtype = dns.rdatatype.to_text(rdataset.rdtype)
            owner = name.to_text().rstrip(".").lower()
            if rtype not in AUDITED_TYPES or (rtype == "TXT" and not owner.startswith("_")):
                continue
            values = []
            for rdata in rdataset:
                if rtype == "TXT":
                    values.append(b"".join(rdata.strings).decode("utf-8", "replace"))
                else:
                    values.append(rdata.to_text().rstrip(".").lower())
            records.append({"provider": "rfc2136", "zone": zone_name, "name": owner, "type": rtype,
                            "values": values})
        result.append({"provider": "rfc2136", "zone": zone_name, "record_sets": count, "records": records})
    return result


def keyring_for(key_name, key_secret, key_algorithm):
    if not key_name:
        return None
    try:
        return dns.tsigkeyring.from_text({key_name: (key_algorithm, key_secret)})
    except Exception as exc:  # binascii and dnspython errors for a bad secret; never echo the secret
        raise DnsError("key_secret is not a valid base64 TSIG secret for key %r (%s)" % (key_name, type(exc).__name__))


def server_addresses(server):
    """Every address of the RFC 2136 server (given by address or host name); DnsError when it has none."""
    try:
        return addresses_of(server, what="server")
    except UnresolvedName as exc:
        raise DnsError(unresolved_server("server", server, exc), code="Unresolvable")
    except ResolverError as exc:
        raise DnsError(str(exc), code="Unresolvable")


def _index(data, rrset):
    rtype = dns.rdatatype.to_text(rrset.rdtype)
    if rtype in _SERVER_TYPES:
        return
    name = rrset.name.to_text(omit_final_dot=True).lower()
    ttl, rdatas = data.setdefault(name, {}).get(rrset.rdtype, (rrset.ttl, set()))
    rdatas.update(rrset)
    data[name][rrset.rdtype] = (ttl, rdatas)


def _types(change):
    return set(r.type for r in change.before) | set(r.type for r in change.after)


def _holds(live_sets, record_sets, types):
    """Whether the live sets of these types hold exactly the given record sets' data."""
    have = dict((r.key, r) for r in live_sets if r.type in types)
    want = dict((r.key, r) for r in record_sets)
    return set(have) == set(want) and all(want[k].same_data(have[k], compare_ttl=False) for k in want)


def _describe(record_sets):
    lines = [line.split(" IN ", 1)[1] for r in record_sets for line in r.zone_lines()]
    return ", ".join(lines) if lines else "no record at all"


def _value(rdata):
    if rdata.rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rdata.rdtype == dns.rdatatype.CNAME:
        return rdata.target.to_text()
    return rdata.to_text()


def _rdataset(record_set):
    rdtype = dns.rdatatype.from_text(record_set.type)
    texts = []
    for value in record_set.values:
        if record_set.type in ("CNAME", "NS", "PTR"):
            value += "."
        elif record_set.type == "TXT":
            value = '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
        texts.append(value)
    rdataset = dns.rdataset.from_text_list(dns.rdataclass.IN, rdtype, record_set.ttl or 300, texts)
    return rdataset
