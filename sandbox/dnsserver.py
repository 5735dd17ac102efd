"""The sandbox's authoritative DNS server.

It answers, from the current state of the other parts, for every public
Route 53 hosted zone of every account, every Cloudflare zone, every Cloud DNS
managed zone, the RFC 2136 zone
(forwarded to the real BIND) and the ``*.cloudfront.net`` names of existing
standard distributions and connection groups (routing endpoints; a multi-tenant
distribution has no address of its own). As the real ones do:

* Route 53 alias records answer as A/AAAA with the target's addresses, so a
  CNAME query for them has no answer;
* a proxied Cloudflare record answers with Cloudflare's addresses, an apex
  CNAME at Cloudflare is flattened to the target's addresses;
* a CNAME is answered as such; for other query types the chain is followed
  inside the data this server holds (like a resolver would), so that plain
  ``A`` lookups in demos show the final addresses.
"""

import concurrent.futures
import heapq
import itertools
import socket
import socketserver
import struct
import threading
import time
import traceback

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset
from moto.route53.models import route53_backends

from .addresses import cloudflare_proxy_addresses, cloudfront_addresses
from .aws import fidelity, tenants
from .aws.names import norm

A, AAAA, CNAME, TXT, SOA, NS = "A", "AAAA", "CNAME", "TXT", "SOA", "NS"
ALIAS_TTL = 60
MAX_CHAIN = 8


class Record:
    """One rrset as this server sees it, whatever provider it came from."""

    __slots__ = ("name", "type", "ttl", "values", "alias", "proxied", "flatten")

    def __init__(self, name, rtype, ttl, values=(), alias=None, proxied=False, flatten=False):
        self.name = name
        self.type = rtype
        self.ttl = ttl
        self.values = list(values)
        self.alias = alias        # Route 53 alias target name
        self.proxied = proxied    # Cloudflare proxy in front
        self.flatten = flatten    # Cloudflare apex CNAME


class Zone:
    def __init__(self, name, provider, records, soa):
        self.name = name
        self.provider = provider
        self.records = records    # list of Record
        self.soa = soa            # zone-file text of the SOA rdata
        # Lookups by name instead of scans of every record: a query costs the same in a zone of 5 records
        # and in one of 50,000. by_name keeps the records' order; ancestors holds every name that has a
        # record below it (the strings n such that some owner name ends with "." + n).
        self.by_name = {}
        for record in records:
            self.by_name.setdefault(record.name, []).append(record)
        self.ancestors = set()
        for owner in self.by_name:
            labels = owner.split(".")
            self.ancestors.update(".".join(labels[i:]) for i in range(1, len(labels)))


class ZoneSet:
    """Every zone the server answers for, and the zone a name belongs to (the longest matching zone name;
    of several zones with that name, the first in order, as a scan would find it)."""

    def __init__(self, zones):
        self.zones = zones
        self._by_name = {}
        for zone in zones:
            self._by_name.setdefault(zone.name, zone)

    def closest(self, qname):
        labels = qname.split(".")
        for i in range(len(labels)):
            zone = self._by_name.get(".".join(labels[i:]))
            if zone is not None:
                return zone
        return None


class DataView:
    """A read-only view over the sandbox's providers.

    Converting every record of every zone for each query made a query's cost grow with the zones' size
    (500 aliases in one zone: quadratic). The converted zones are kept per provider with the generation of
    that provider's data they were built from, and built again once it moved on:

    * Route 53: fidelity's route53_generation(), bumped after every call of a mutating Route53Backend method
      has returned (so after fidelity's in-place clean-up of a new zone's SOA/NS) and by a reset;
    * Cloudflare and Cloud DNS: their stores' generation, read under the store's lock together with the
      snapshot (changed_since), so a cached conversion always belongs to one committed state.

    A stamp is read before the data it describes: a change that lands while a conversion is being built
    leaves a stamp older than the data's, and the next query builds again. The ``*.cloudfront.net`` names
    come from fidelity's distribution index, which follows its own generation.
    """

    def __init__(self, ctx):
        self.ctx = ctx
        self._lock = threading.Lock()
        self._route53 = (None, [])     # (generation, [Zone])
        self._cloudflare = (None, [])
        self._google = (None, [])
        self._combined = (None, None)  # ((the three stamps), ZoneSet)

    def zones(self):
        return self.zone_set().zones

    def zone_set(self):
        with self._lock:
            stamps = (self._route53_zones(), self._cloudflare_zones(), self._google_zones())
            if None in stamps or self._combined[0] != stamps:
                zone_set = ZoneSet(self._route53[1] + self._cloudflare[1] + self._google[1])
                self._combined = (None if None in stamps else stamps, zone_set)
            return self._combined[1]

    def _route53_zones(self):
        generation = fidelity.route53_generation()
        if generation is None or generation != self._route53[0]:
            zones = []
            for account_id in list(route53_backends.keys()):
                backend = route53_backends[account_id]["aws"]
                for zone in list(backend.zones.values()):
                    if not zone.private_zone:
                        zones.append(self._route53_zone(zone))
            self._route53 = (generation, zones)
        return generation

    def _cloudflare_zones(self):
        store = self.ctx.cloudflare
        if store is None:
            return 0
        changed = store.changed_since(self._cloudflare[0])
        if changed is not None:
            generation, snapshot = changed
            self._cloudflare = (generation, [self._cloudflare_zone(name, records) for name, records in snapshot.items()])
        return self._cloudflare[0]

    def _google_zones(self):
        store = getattr(self.ctx, "google", None)
        if store is None:
            return 0
        changed = store.changed_since(self._google[0])
        if changed is not None:
            generation, snapshot = changed
            self._google = (generation, [self._google_zone(name, rrsets) for name, rrsets in snapshot.items()])
        return self._google[0]

    @staticmethod
    def _google_zone(zone_name, rrsets):
        # Cloud DNS record sets are zone-file data already: names and targets end with a dot, TXT is quoted.
        records, soa = [], None
        for rrset in rrsets:
            name = norm(rrset["name"])
            if rrset["type"] == SOA:
                soa = rrset["rrdatas"][0]
            records.append(Record(name, rrset["type"], int(rrset["ttl"]), rrset["rrdatas"]))
        return Zone(zone_name, "google", records, soa)

    @staticmethod
    def _route53_zone(zone):
        records, soa = [], None
        for rrset in list(zone.rrsets):
            name = norm(rrset.name)
            # moto keeps the records it made itself (SOA, NS) as {"Value": ...} dicts.
            values = [v["Value"] if isinstance(v, dict) else v for v in rrset.records or []]
            if rrset.type == SOA:
                soa = values[0] if values else None
            alias = norm(rrset.alias_target["DNSName"]) if rrset.alias_target else None
            records.append(Record(name, rrset.type, int(rrset.ttl or ALIAS_TTL), values, alias=alias))
        return Zone(norm(zone.name), "route53", records, soa)

    @staticmethod
    def _cloudflare_zone(zone_name, records):
        converted = []
        for record in records:
            name = norm(record["name"])
            ttl = 300 if record.get("ttl", 1) == 1 else int(record["ttl"])
            converted.append(Record(
                name, record["type"], ttl, [record["content"]],
                proxied=bool(record.get("proxied")),
                flatten=record["type"] == CNAME and name == zone_name))
        soa = "ns1.cloudflare.sandbox. dns.cloudflare.sandbox. 1 10000 2400 604800 300"
        return Zone(zone_name, "cloudflare", converted, soa)

    @staticmethod
    def distribution(domain):
        # Domain names are unique (fidelity makes them as AWS does: 13 random characters).
        found = fidelity.distribution_by_domain(domain)
        if found is None or tenants.is_tenant_only(found[1]):
            return None
        return found[1]

    @staticmethod
    def routing_endpoint(domain):
        return tenants.group_by_endpoint(domain)


class Answer:
    def __init__(self):
        self.rcode = dns.rcode.NOERROR
        self.answer = []
        self.authority = []


class Resolver:
    """Builds answers; one instance per query."""

    def __init__(self, view):
        self.view = view
        self.zones = view.zone_set()

    def lookup(self, qname, qtype, answer, depth=0):
        if qname == "cloudfront.net" or qname.endswith(".cloudfront.net"):
            return self._cloudfront(qname, qtype, answer)
        zone = self.zones.closest(qname)
        if zone is None:
            answer.rcode = dns.rcode.REFUSED
            return
        records = self._records_at(zone, qname)
        if not records:
            if self._name_exists(zone, qname):
                self._nodata(zone, answer)
            else:
                answer.rcode = dns.rcode.NXDOMAIN
                self._nodata(zone, answer)
            return
        cname = next((r for r in records if r.type == CNAME and not r.proxied and not r.flatten), None)
        if cname is not None and qtype != CNAME:
            answer.answer.append(_rrset(qname, CNAME, cname.ttl, cname.values))
            if depth < MAX_CHAIN:
                self.lookup(norm(cname.values[0]), qtype, answer, depth + 1)
            return
        found = self._typed(zone, qname, qtype, records, depth)
        if found:
            answer.answer.extend(found)
        else:
            self._nodata(zone, answer)

    def _typed(self, zone, qname, qtype, records, depth):
        result = []
        for record in records:
            if record.proxied and qtype in (A, AAAA):
                v4, v6 = cloudflare_proxy_addresses(qname)
                values = v4 if qtype == A else v6
                if values and not any(r.rdtype == dns.rdatatype.from_text(qtype) for r in result):
                    result.append(_rrset(qname, qtype, 300, values))
            elif record.flatten and qtype in (A, AAAA):
                result.extend(self._addresses_of(norm(record.values[0]), qtype, qname, record.ttl, depth))
            elif record.alias is not None and record.type == qtype:
                result.extend(self._addresses_of(record.alias, qtype, qname, ALIAS_TTL, depth))
            elif record.type == qtype and not record.proxied and not record.flatten and record.alias is None:
                result.append(_rrset(qname, qtype, record.ttl, record.values, zone.provider))
        return result

    def _addresses_of(self, target, qtype, owner, ttl, depth):
        # Alias and flattened answers carry the target's addresses under the owner's name.
        inner = Answer()
        if depth < MAX_CHAIN:
            self.lookup(target, qtype, inner, depth + 1)
        values = []
        for rrset in inner.answer:
            if rrset.rdtype == dns.rdatatype.from_text(qtype):
                values.extend(r.to_text() for r in rrset)
        return [_rrset(owner, qtype, ttl, values)] if values else []

    def _cloudfront(self, qname, qtype, answer):
        dist = self.view.distribution(qname)
        if dist is not None:
            ipv6 = bool(dist.distribution_config.IsIPV6Enabled)
        else:
            group = self.view.routing_endpoint(qname)
            if group is None:
                answer.rcode = dns.rcode.NXDOMAIN
                return
            ipv6 = group.ipv6_enabled
        v4, v6 = cloudfront_addresses(qname, ipv6=ipv6)
        values = {A: v4, AAAA: v6}.get(qtype)
        if values:
            answer.answer.append(_rrset(qname, qtype, ALIAS_TTL, values))

    @staticmethod
    def _records_at(zone, qname):
        exact = zone.by_name.get(qname)
        if exact:
            return list(exact)
        # Wildcard: the nearest '*.<ancestor>' inside the zone, unless the name exists.
        labels = qname.split(".")
        for i in range(1, len(labels)):
            ancestor = ".".join(labels[i:])
            if len(ancestor) < len(zone.name):
                break
            wildcard = zone.by_name.get("*." + ancestor)
            if wildcard:
                return [Record(qname, r.type, r.ttl, r.values, r.alias, r.proxied, False) for r in wildcard]
            if ancestor in zone.by_name:
                break
        return []

    @staticmethod
    def _name_exists(zone, qname):
        return qname == zone.name or qname in zone.ancestors

    @staticmethod
    def _nodata(zone, answer):
        if zone.soa:
            answer.authority.append(_rrset(zone.name, SOA, 300, [zone.soa]))


def _rrset(name, rtype, ttl, values, provider=None):
    rdtype = dns.rdatatype.from_text(rtype)
    rdatas = []
    for value in values:
        if rdtype == dns.rdatatype.TXT and provider == "cloudflare":
            # Cloudflare stores TXT content unquoted; split into 255-octet strings.
            raw = value.encode()
            chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
            rdatas.append(dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, chunks))
        else:
            text = value
            if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS) and not text.endswith("."):
                text += "."
            rdatas.append(dns.rdata.from_text(dns.rdataclass.IN, rdtype, text))
    rrset = dns.rrset.RRset(dns.name.from_text(name), dns.rdataclass.IN, rdtype)
    for rdata in rdatas:
        rrset.add(rdata, ttl)
    return rrset


class DnsServer:
    """UDP and TCP on one port of 127.0.0.1."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.view = DataView(ctx)
        self.port = None
        self._udp = None
        self._tcp = None
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
        self._later = _Later()
        self._threads = []

    def start(self):
        for unused in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            try:
                tcp = _TcpServer(("127.0.0.1", port), _TcpHandler)
            except OSError:
                udp.close()
                continue
            tcp.dns = self
            self._udp, self._tcp, self.port = udp, tcp, port
            break
        else:
            raise RuntimeError("no free port for UDP and TCP together on 127.0.0.1")
        for target in (self._serve_udp, self._tcp.serve_forever):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self.port

    def stop(self):
        self._tcp.shutdown()
        self._tcp.server_close()
        self._udp.close()

    def _serve_udp(self):
        while True:
            try:
                wire, peer = self._udp.recvfrom(65535)
            except OSError:
                return
            self._pool.submit(self._answer_udp, wire, peer, time.monotonic())

    def _answer_udp(self, wire, peer, received):
        reply = self.handle(wire, udp=True)
        if not reply:
            return
        delay = self.ctx.faults.dns_delay()
        if delay:
            # Held back by one timer thread, not by a pool worker: many answers wait side by side.
            self._later.at(received + delay, self._send_udp, reply, peer)
        else:
            self._send_udp(reply, peer)

    def _send_udp(self, reply, peer):
        try:
            self._udp.sendto(reply, peer)
        except OSError:
            pass

    def ask(self, name, rdtype):
        """The reply a TCP client asking this server for ``name``/``rdtype`` gets (None: no reply), asked
        in-process: the same bytes handle() sends, without a socket and a thread hop per question."""
        query = dns.message.make_query(name + ".", rdtype)
        reply = self.handle(query.to_wire(), udp=False)
        return dns.message.from_wire(reply) if reply else None

    def handle(self, wire, udp):
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        qname = norm(question.name.to_text())
        if self._is_forwarded(qname):
            return self._forward(wire, udp)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        answer = Answer()
        try:
            Resolver(self.view).lookup(qname, dns.rdatatype.to_text(question.rdtype), answer)
        except Exception:  # never let one bad record silence the server
            traceback.print_exc()
            answer.rcode = dns.rcode.SERVFAIL
        response.set_rcode(answer.rcode)
        response.answer = _dedupe(answer.answer)
        response.authority = answer.authority
        limit = 65535
        if udp:
            limit = max(512, query.payload if query.edns >= 0 else 512)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer, response.authority = [], []
            response.flags |= dns.flags.TC
            return response.to_wire()

    def _is_forwarded(self, qname):
        zone = self.ctx.rfc2136_zone
        return bool(zone and self.ctx.rfc2136_upstream and (qname == zone or qname.endswith("." + zone)))

    def _forward(self, wire, udp):
        host, port = self.ctx.rfc2136_upstream
        try:
            if udp:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.settimeout(2.0)
                    sock.sendto(wire, (host, port))
                    return sock.recv(65535)
            with socket.create_connection((host, port), timeout=2.0) as sock:
                sock.sendall(struct.pack("!H", len(wire)) + wire)
                length = struct.unpack("!H", _recv_exact(sock, 2))[0]
                return _recv_exact(sock, length)
        except OSError:
            return None


class _Later:
    """Calls functions at given times (time.monotonic()) on one thread of its own, started when first needed."""

    def __init__(self):
        self._due = []  # heap of (when, sequence, function, args)
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._thread = None

    def at(self, when, function, *args):
        with self._condition:
            heapq.heappush(self._due, (when, next(self._sequence), function, args))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="dns-latency", daemon=True)
                self._thread.start()
            self._condition.notify()

    def _run(self):
        while True:
            with self._condition:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._condition.wait(self._due[0][0] - time.monotonic() if self._due else None)
                function, args = heapq.heappop(self._due)[2:]
            function(*args)


def _dedupe(rrsets):
    seen, result = set(), []
    for rrset in rrsets:
        key = (rrset.name, rrset.rdtype)
        if key not in seen:
            seen.add(key)
            result.append(rrset)
    return result


def _recv_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _TcpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(10.0)
        while True:
            try:
                length = struct.unpack("!H", _recv_exact(sock, 2))[0]
                wire = _recv_exact(sock, length)
            except (OSError, struct.error):
                return
            received = time.monotonic()
            reply = self.server.dns.handle(wire, udp=False)
            if reply is None:
                return
            delay = received + self.server.dns.ctx.faults.dns_delay() - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # this connection's own thread
            sock.sendall(struct.pack("!H", len(reply)) + reply)
