# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""RFC 2136 dynamic update (BIND, Knot, PowerDNS, Windows DNS) behind the provider interface.

One TSIG-signed UPDATE per zone. Its prerequisites say "these record sets hold
exactly what was read" (and "this one does not exist" for sets to be created),
so the server applies the whole update or none of it: a compare-and-swap.
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
    HAS_DNSPYTHON = True
    _TSIG_ERRORS = (dns.tsig.PeerError, dns.message.UnknownTSIGKey)
except ImportError:
    HAS_DNSPYTHON = False
    _TSIG_ERRORS = ()

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._provider import (
    ConcurrentChange,
    DnsError,
    DnsProvider,
    Zone,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import RecordSet

READ_TYPES = ("CNAME", "A", "AAAA", "TXT", "MX", "SRV", "CAA", "NS")
TSIG_ALGORITHMS = ("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512")
_PREREQUISITE_FAILED = ("YXDOMAIN", "YXRRSET", "NXDOMAIN", "NXRRSET")
# SERVFAIL and a lost answer are passing troubles: ask again, a few times, waiting longer each time.
# Asking again is safe for an update too: its prerequisites refuse it once an earlier try got through.
ATTEMPTS = 4
FIRST_DELAY = 0.5


class Rfc2136Provider(DnsProvider):
    name = "rfc2136"
    apex_mode = None

    def __init__(self, server, port=53, key_name=None, key_secret=None, key_algorithm="hmac-sha256", timeout=10.0):
        if not HAS_DNSPYTHON:
            raise DnsError("dnspython is required for provider rfc2136: pip install dnspython")
        if not server:
            raise DnsError("provider rfc2136 needs the server to update (server)")
        self.server = server
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

    @property
    def requests(self):
        return {"rfc2136": self.count}

    def _query(self, name, rdtype):
        query = dns.message.make_query(name + ".", rdtype)
        if self.keyring is not None:
            # Reads are signed too: a wrong key then shows on the first read, before any update is sent.
            query.use_tsig(self.keyring, keyname=self.key_name, algorithm=self.key_algorithm)
        delay = FIRST_DELAY
        for attempt in range(1, ATTEMPTS + 1):
            self.count += 1
            try:
                response = dns.query.udp(query, self.server, port=self.port, timeout=self.timeout)
                if response.flags & dns.flags.TC:
                    response = dns.query.tcp(query, self.server, port=self.port, timeout=self.timeout)
            except _TSIG_ERRORS as exc:
                raise self._key_error(exc)
            except (dns.exception.Timeout, OSError) as exc:
                if attempt < ATTEMPTS:
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise DnsError("the DNS server %s:%d did not answer %s %s after %d tries (%s)"
                               % (self.server, self.port, name, rdtype, ATTEMPTS, exc), code="Unreachable")
            except dns.exception.DNSException as exc:
                raise DnsError("the DNS server %s:%d gave an answer that cannot be read for %s %s (%s)"
                               % (self.server, self.port, name, rdtype, exc), code="BadAnswer")
            if response.rcode() != dns.rcode.SERVFAIL:
                return response
            if attempt < ATTEMPTS:
                self.sleep(delay)
                delay *= 2
        raise DnsError("the DNS server %s:%d answered SERVFAIL to %s %s %d times; try again later"
                       % (self.server, self.port, name, rdtype, ATTEMPTS), code="SERVFAIL")

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
        found = {}
        for name in names:
            found[name] = self._read_name(name)
        return found

    def _read_name(self, name):
        owner = dns.name.from_text(name + ".")
        sets = []
        for rtype in READ_TYPES:
            response = self._query(name, rtype)
            if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                raise DnsError("%s:%d answered %s when asked for %s %s, so the name's records cannot be read"
                               % (self.server, self.port, dns.rcode.to_text(response.rcode()), name, rtype),
                               code=dns.rcode.to_text(response.rcode()))
            for rrset in response.answer:
                if rrset.name == owner and dns.rdatatype.to_text(rrset.rdtype) == rtype:
                    sets.append(RecordSet(name, rtype, rrset.ttl, [_value(r) for r in rrset]))
            if rtype == "CNAME" and sets:
                return sets  # nothing else can live beside a CNAME
        return sets

    def apply(self, zone, changes):
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
        if not touched:
            return None
        self._send(update, zone, changes)
        self._confirm(zone, changes)
        return None

    def _send(self, update, zone, changes):
        delay = FIRST_DELAY
        for attempt in range(1, ATTEMPTS + 1):
            self.count += 1
            try:
                response = dns.query.tcp(update, self.server, port=self.port, timeout=self.timeout)
            except _TSIG_ERRORS as exc:
                raise self._key_error(exc)
            except (dns.exception.Timeout, OSError) as exc:
                if attempt < ATTEMPTS:
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise DnsError("the update to %s:%d failed after %d tries: %s"
                               % (self.server, self.port, ATTEMPTS, exc), code="Unreachable")
            except dns.exception.DNSException as exc:
                raise DnsError("the update to %s:%d failed: %s" % (self.server, self.port, exc), code="BadAnswer")
            if response.rcode() != dns.rcode.SERVFAIL or attempt == ATTEMPTS:
                break
            self.sleep(delay)
            delay *= 2
        rcode = dns.rcode.to_text(response.rcode())
        if rcode == "NOERROR":
            return
        if rcode in _PREREQUISITE_FAILED and attempt > 1 and self._applied(changes):
            return  # an earlier try got through; only its answer was lost
        if rcode in _PREREQUISITE_FAILED:
            raise ConcurrentChange("%s:%d refused the update of zone %s because its records are no longer what "
                                   "was read (%s); nothing was changed, run again"
                                   % (self.server, self.port, zone.name, rcode))
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

    def _applied(self, changes):
        for change in changes:
            live = dict((r.key, r) for r in self._read_name(change.name))
            after = dict((r.key, r) for r in change.after)
            for key in set(r.key for r in change.before) | set(after):
                if key in after and not after[key].same_data(live.get(key)):
                    return False
                if key not in after and key in live:
                    return False
        return True

    def _key_error(self, exc):
        return DnsError("%s:%d rejected the TSIG key %r (%s): check key_name, key_secret and key_algorithm"
                        % (self.server, self.port, self.key_name, type(exc).__name__), code="BADKEY")

    def _confirm(self, zone, changes):
        # A server may accept an update yet ignore part of it (RFC 2136 3.4.2.2: a CNAME
        # beside other data is silently dropped); read back what should now be there.
        for change in changes:
            live = dict((r.key, r) for r in self._read_name(change.name))
            for record_set in change.after:
                if not record_set.same_data(live.get(record_set.key), compare_ttl=False):
                    raise DnsError("%s:%d accepted the update but %s %s is not there afterwards; the server "
                                   "ignored it (is there other data at that name?)"
                                   % (self.server, self.port, record_set.name, record_set.type))


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
