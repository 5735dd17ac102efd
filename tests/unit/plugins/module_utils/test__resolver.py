# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The authoritative resolver, against a tiny DNS server on 127.0.0.1 (real packets, no mocks)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading

import pytest

dns = pytest.importorskip("dns")
import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import (  # noqa: E402
    EDNS_PAYLOAD,
    AuthoritativeResolver,
    ResolverError,
    parse_nameserver,
    server_label,
)

# -- the pure parts -------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("192.0.2.53", ("192.0.2.53", 53)),
    (" 192.0.2.53 ", ("192.0.2.53", 53)),
    ("192.0.2.53:5353", ("192.0.2.53", 5353)),
    ("ns1.example.com", ("ns1.example.com", 53)),
    ("ns1.example.com:1053", ("ns1.example.com", 1053)),
    ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
    ("[2001:db8::53]", ("2001:db8::53", 53)),
    ("2001:db8::53", ("2001:db8::53", 53)),
    ("127.0.0.1:65535", ("127.0.0.1", 65535)),
])
def test_parse_nameserver(text, expected):
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text, problem", [
    ("", "empty"),
    ("   ", "empty"),
    (None, "empty"),
    ("192.0.2.53:domain", "must be a number"),
    ("[2001:db8::53]:x", "must be a number"),
    ("192.0.2.53:0", "between 1 and 65535"),
    ("192.0.2.53:65536", "between 1 and 65535"),
])
def test_parse_nameserver_refuses_bad_input(text, problem):
    with pytest.raises(ResolverError, match=problem):
        parse_nameserver(text)


@pytest.mark.parametrize("server, label", [
    (("192.0.2.53", 53), "192.0.2.53"),
    (("192.0.2.53", 5353), "192.0.2.53:5353"),
    (("2001:db8::53", 53), "[2001:db8::53]"),
    (("2001:db8::53", 5353), "[2001:db8::53]:5353"),
])
def test_server_label(server, label):
    assert server_label(server) == label


@pytest.mark.parametrize("text", ["192.0.2.53:5353", "[2001:db8::53]:5353", "[2001:db8::53]", "ns1.example.com"])
def test_server_label_round_trips(text):
    assert parse_nameserver(server_label(parse_nameserver(text))) == parse_nameserver(text)


# -- a tiny authoritative server -------------------------------------------------------------


class TinyAuthority:
    """An authoritative-only DNS server for a few zones, on UDP 127.0.0.1:<free port>.

    ``records`` maps (name, type) to a list of rdata texts, names absolute without the dot.
    It answers like a real authoritative server: a CNAME for any other type at that name,
    NODATA/NXDOMAIN with the zone's SOA in the authority section, REFUSED outside its zones.
    Every query it receives is kept in ``queries``.
    """

    def __init__(self, zones, records, silent=False, rcode=None, authoritative=True, referral=None):
        # rcode: answer every question with it; authoritative=False: answer like a cache (no AA);
        # referral: answer every question with a delegation to this NS name (no AA, no answer).
        self.rcode = rcode
        self.authoritative = authoritative
        self.referral = referral
        self.zones = zones
        self.records = dict(((name, rdtype), list(values)) for (name, rdtype), values in records.items())
        for zone in zones:
            self.records.setdefault((zone, "SOA"), ["ns1.%s. hostmaster.%s. 1 7200 900 1209600 300" % (zone, zone)])
            self.records.setdefault((zone, "NS"), ["ns1.%s." % zone])
        self.silent = silent
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve)
        self._thread.daemon = True
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            query = dns.message.from_wire(wire)
            self.queries.append(query)
            if self.silent:
                continue
            self.sock.sendto(self._respond(query).to_wire(max_size=65535), peer)

    def _zone_of(self, name):
        candidates = [z for z in self.zones if name == z or name.endswith("." + z)]
        return max(candidates, key=len) if candidates else None

    def _rrset(self, name, rdtype):
        return dns.rrset.from_text_list(name + ".", 300, "IN", rdtype, self.records[(name, rdtype)])

    def _respond(self, query):
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        zone = self._zone_of(name)
        if self.rcode is not None:
            response.set_rcode(dns.rcode.from_text(self.rcode))
            return response
        if self.referral:
            response.authority.append(dns.rrset.from_text_list(name + ".", 300, "IN", "NS", [self.referral + "."]))
            return response
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        if self.authoritative:
            response.flags |= dns.flags.AA
        if (name, rdtype) in self.records:
            response.answer.append(self._rrset(name, rdtype))
        elif (name, "CNAME") in self.records:
            response.answer.append(self._rrset(name, "CNAME"))
        else:
            if not any(owner == name or owner.endswith("." + name) for owner, unused in self.records):
                response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(self._rrset(zone, "SOA"))
        return response


@pytest.fixture
def authority():
    servers = []

    def start(zones, records, silent=False, **kwargs):
        server = TinyAuthority(zones, records, silent=silent, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


RECORDS = {
    ("www.example.com", "CNAME"): ["d111111abcdef8.cloudfront.net."],
    ("example.com", "A"): ["192.0.2.1"],
    ("example.com", "AAAA"): ["2001:db8::1"],
    ("example.com", "TXT"): ['"v=spf1 -all"'],
    ("_www.example.com", "TXT"): ['"d111111abcdef8.cloudfront.net"'],
    ("long.example.com", "TXT"): ['"part one " "part two"'],
    ("chain.example.com", "CNAME"): ["Hop.Example.ORG."],
    ("hop.example.org", "CNAME"): ["d222222abcdef8.cloudfront.net."],
    ("deep.sub.example.com", "A"): ["192.0.2.7"],
    ("loop1.example.com", "CNAME"): ["loop2.example.com."],
    ("loop2.example.com", "CNAME"): ["loop1.example.com."],
    ("end.example.com", "A"): ["192.0.2.9"],
    ("toend.example.com", "CNAME"): ["end.example.com."],
}


@pytest.fixture
def server(authority):
    return authority(["example.com", "example.org"], RECORDS)


def resolver_for(*servers, **kwargs):
    kwargs.setdefault("timeout", 2.0)
    return AuthoritativeResolver([s.address for s in servers], **kwargs)


# -- lookup -------------------------------------------------------------


def test_lookup_sees_the_cname_itself_without_recursion_and_with_edns_1232(server):
    resolver = resolver_for(server)
    answer = resolver.lookup(parse_nameserver(server.address), "www.example.com", "CNAME")

    assert answer.error is None
    assert answer.rcode == "NOERROR"
    assert answer.cname == "d111111abcdef8.cloudfront.net"
    assert answer.values == ["d111111abcdef8.cloudfront.net"]
    query = server.queries[-1]
    assert not query.flags & dns.flags.RD, "recursion must be off: we ask the authority itself"
    assert query.edns == 0
    assert query.payload == EDNS_PAYLOAD == 1232
    assert dns.rdatatype.to_text(query.question[0].rdtype) == "CNAME"


def test_lookup_of_another_type_reports_the_cname_and_no_values(server):
    answer = resolver_for(server).lookup(parse_nameserver(server.address), "www.example.com", "A")
    assert answer.cname == "d111111abcdef8.cloudfront.net"
    assert answer.values == []


def test_lookup_values(server):
    resolver = resolver_for(server)
    ns = parse_nameserver(server.address)
    assert resolver.lookup(ns, "example.com", "A").values == ["192.0.2.1"]
    assert resolver.lookup(ns, "example.com", "AAAA").values == ["2001:db8::1"]
    assert resolver.lookup(ns, "_www.example.com", "TXT").values == ["d111111abcdef8.cloudfront.net"]
    assert resolver.lookup(ns, "long.example.com", "TXT").values == ["part one part two"]
    assert resolver.lookup(ns, "chain.example.com", "CNAME").cname == "hop.example.org"


def test_lookup_of_a_missing_name_or_type(server):
    resolver = resolver_for(server)
    ns = parse_nameserver(server.address)
    missing = resolver.lookup(ns, "nothing.example.com", "CNAME")
    assert missing.rcode == "NXDOMAIN"
    assert missing.values == [] and missing.cname is None
    assert missing.zone == "example.com"
    nodata = resolver.lookup(ns, "example.com", "CNAME")
    assert nodata.rcode == "NOERROR"
    assert nodata.values == [] and nodata.cname is None
    refused = resolver.lookup(ns, "www.example.net", "A")
    assert refused.rcode == "REFUSED"


def test_lookup_result_for_users(server):
    ns = parse_nameserver(server.address)
    result = resolver_for(server).lookup(ns, "www.example.com", "CNAME").to_result()
    assert result == {"server": server.address, "name": "www.example.com", "type": "CNAME", "rcode": "NOERROR",
                      "values": ["d111111abcdef8.cloudfront.net"], "cname": "d111111abcdef8.cloudfront.net"}


def test_a_server_that_does_not_answer_gives_an_error_not_an_exception(authority):
    silent = authority(["example.com"], {}, silent=True)
    resolver = resolver_for(silent, timeout=0.2, retries=1)
    answer = resolver.lookup(parse_nameserver(silent.address), "www.example.com", "CNAME")
    assert answer.error
    assert silent.address in answer.error
    assert "www.example.com" in answer.error
    assert answer.to_result()["error"] == answer.error
    assert len(silent.queries) == 2, "one try and one retry"


def test_authoritative_answers_have_no_error(server):
    resolver = resolver_for(server)
    ns = parse_nameserver(server.address)
    assert resolver.lookup(ns, "example.com", "A").error is None
    assert resolver.lookup(ns, "nothing.example.com", "CNAME").error is None   # NXDOMAIN with AA: a fact
    assert resolver.lookup(ns, "example.com", "CNAME").error is None           # NODATA with AA: a fact


@pytest.mark.parametrize("rcode, words", [
    ("REFUSED", "not authoritative"),
    ("NOTAUTH", "not authoritative"),
    ("SERVFAIL", "SERVFAIL"),
    ("FORMERR", "FORMERR"),
    ("NOTIMP", "NOTIMP"),
])
def test_a_server_that_refuses_or_fails_gives_an_error_not_an_empty_answer(authority, rcode, words):
    failing = authority(["example.com"], RECORDS, rcode=rcode)
    answer = resolver_for(failing).lookup(parse_nameserver(failing.address), "www.example.com", "CNAME")
    assert answer.rcode == rcode
    assert answer.error and words in answer.error
    assert failing.address in answer.error and "www.example.com" in answer.error
    assert "nameservers" in answer.error, "the message says what to check"
    assert answer.to_result()["error"] == answer.error


def test_refused_outside_the_servers_zones_is_an_error(server):
    refused = resolver_for(server).lookup(parse_nameserver(server.address), "www.example.net", "A")
    assert refused.rcode == "REFUSED"
    assert refused.error and "not authoritative" in refused.error


@pytest.mark.parametrize("name, rcode", [("example.com", "NOERROR"), ("nothing.example.com", "NXDOMAIN")])
def test_an_answer_without_the_aa_flag_is_an_error(authority, name, rcode):
    cache = authority(["example.com"], RECORDS, authoritative=False)
    answer = resolver_for(cache).lookup(parse_nameserver(cache.address), name, "A")
    assert answer.rcode == rcode
    assert answer.error and "authoritative (AA) flag" in answer.error
    assert "cache or a recursive resolver" in answer.error


def test_a_referral_is_an_error_naming_the_delegation(authority):
    parent = authority(["example.com"], RECORDS, referral="ns1.elsewhere.example.net")
    answer = resolver_for(parent).lookup(parse_nameserver(parent.address), "www.sub.example.com", "CNAME")
    assert answer.error and "referred it to other nameservers" in answer.error


# -- zone_for -------------------------------------------------------------


@pytest.mark.parametrize("name, zone", [
    ("example.com", "example.com"),
    ("www.example.com", "example.com"),
    ("deep.sub.example.com", "example.com"),
    ("nothing.here.example.com", "example.com"),
    ("hop.example.org", "example.org"),
])
def test_zone_for_asks_the_explicit_server(server, name, zone):
    assert resolver_for(server).zone_for(name) == zone


def test_zone_for_a_name_the_server_does_not_serve(server):
    with pytest.raises(ResolverError, match="not authoritative"):
        resolver_for(server).zone_for("www.example.net")


def test_zone_for_a_silent_server(authority):
    silent = authority(["example.com"], {}, silent=True)
    with pytest.raises(ResolverError, match="did not answer"):
        resolver_for(silent, timeout=0.2, retries=0).zone_for("www.example.com")


def test_zone_for_is_asked_once_per_name(server):
    resolver = resolver_for(server)
    assert resolver.zone_for("deep.sub.example.com") == "example.com"
    asked = len(server.queries)
    assert resolver.zone_for("deep.sub.example.com") == "example.com"
    assert len(server.queries) == asked


# -- chase -------------------------------------------------------------


def test_chase_ends_at_the_cloudfront_name(server):
    hops = resolver_for(server).chase("www.example.com")
    assert [hop["name"] for hop in hops] == ["www.example.com", "d111111abcdef8.cloudfront.net"]
    assert hops[0]["zone"] == "example.com"
    assert hops[0]["cname"] == "d111111abcdef8.cloudfront.net"
    assert hops[0]["servers"][0]["server"] == server.address
    assert hops[-1]["cname"] is None
    # the cloudfront.net name itself is never asked about
    assert not [q for q in server.queries if "cloudfront.net" in q.question[0].name.to_text()]


def test_chase_follows_a_chain_across_zones(server):
    hops = resolver_for(server).chase("chain.example.com")
    assert [(hop["name"], hop["cname"]) for hop in hops] == [
        ("chain.example.com", "hop.example.org"),
        ("hop.example.org", "d222222abcdef8.cloudfront.net"),
        ("d222222abcdef8.cloudfront.net", None),
    ]
    assert [hop.get("zone") for hop in hops[:2]] == ["example.com", "example.org"]
    cname_questions = [q for q in server.queries if q.question[0].rdtype == dns.rdatatype.CNAME]
    assert len(cname_questions) == 2


def test_chase_stops_at_a_name_without_cname(server):
    hops = resolver_for(server).chase("toend.example.com")
    assert [(hop["name"], hop["cname"]) for hop in hops] == [
        ("toend.example.com", "end.example.com"), ("end.example.com", None)]
    assert hops[-1]["servers"][0]["rcode"] == "NOERROR"


def test_chase_of_a_missing_name(server):
    hops = resolver_for(server).chase("nothing.example.com")
    assert len(hops) == 1
    assert hops[0]["cname"] is None
    assert hops[0]["servers"][0]["rcode"] == "NXDOMAIN"


def test_chase_detects_a_loop(server):
    with pytest.raises(ResolverError, match="loop"):
        resolver_for(server).chase("loop1.example.com")


def test_chase_refuses_an_endless_chain(authority):
    records = dict((("n%d.example.com" % i, "CNAME"), ["n%d.example.com." % (i + 1)]) for i in range(20))
    long_chain = authority(["example.com"], records)
    with pytest.raises(ResolverError, match="longer than"):
        resolver_for(long_chain).chase("n0.example.com")


def test_chase_asks_every_server_and_reports_disagreement(authority):
    old = authority(["example.com"], {("www.example.com", "CNAME"): ["dold1111111111.cloudfront.net."]})
    new = authority(["example.com"], {("www.example.com", "CNAME"): ["dnew2222222222.cloudfront.net."]})
    hops = resolver_for(old, new).chase("www.example.com")
    assert len(hops) == 1
    assert hops[0]["cname"] is None
    assert hops[0]["disagreement"] == ["dnew2222222222.cloudfront.net", "dold1111111111.cloudfront.net"]
    assert sorted(s["server"] for s in hops[0]["servers"]) == sorted([old.address, new.address])


def test_chase_when_servers_agree(authority):
    records = {("www.example.com", "CNAME"): ["d111111abcdef8.cloudfront.net."]}
    first, second = authority(["example.com"], records), authority(["example.com"], records)
    hops = resolver_for(first, second).chase("www.example.com")
    assert hops[0]["cname"] == "d111111abcdef8.cloudfront.net"
    assert "disagreement" not in hops[0]
    assert len(hops[0]["servers"]) == 2


def test_chase_with_one_server_down_still_uses_the_others_answer(authority):
    records = {("www.example.com", "CNAME"): ["d111111abcdef8.cloudfront.net."]}
    up = authority(["example.com"], records)
    down = authority(["example.com"], records, silent=True)
    resolver = resolver_for(up, down, timeout=1.0, retries=0)
    hops = resolver.chase("www.example.com")
    assert hops[0]["cname"] == "d111111abcdef8.cloudfront.net"
    errors = [s for s in hops[0]["servers"] if "error" in s]
    assert [s["server"] for s in errors] == [down.address]


@pytest.mark.parametrize("kwargs", [{"rcode": "REFUSED"}, {"rcode": "SERVFAIL"}, {"authoritative": False}],
                         ids=["refused", "servfail", "no-aa"])
def test_chase_with_no_server_answering_authoritatively_is_an_error_not_the_end_of_the_chain(authority, kwargs):
    # The zone is known (asked earlier), but no server asked for the CNAME answers
    # authoritatively: that must not read as "no CNAME here", the end of the chain.
    bad = authority(["example.com"], RECORDS, **kwargs)
    resolver = resolver_for(bad)
    resolver._zone_cache["www.example.com"] = "example.com"
    with pytest.raises(ResolverError) as caught:
        resolver.chase("www.example.com")
    assert "no nameserver of example.com answered for www.example.com" in str(caught.value)
    assert bad.address in str(caught.value)


def test_zone_for_with_a_cache_for_a_nameserver_is_an_error(authority):
    cache = authority(["example.com"], RECORDS, authoritative=False)
    with pytest.raises(ResolverError, match="authoritative"):
        resolver_for(cache).zone_for("www.example.com")


def test_addresses_skip_a_server_that_is_not_authoritative(authority):
    cache = authority(["example.com"], {("example.com", "A"): ["198.51.100.66"]}, authoritative=False)
    good = authority(["example.com"], RECORDS)
    assert resolver_for(cache, good).addresses("example.com") == ["192.0.2.1", "2001:db8::1"]


# -- callers: a server that does not answer authoritatively is reported, never read as "no record" ----------


class _NoRoute53:
    unavailable = None

    def find(self, name):
        return None


@pytest.mark.parametrize("kwargs", [{"rcode": "REFUSED"}, {"rcode": "SERVFAIL"}, {"authoritative": False}],
                         ids=["refused", "servfail", "no-aa"])
def test_verify_reports_a_non_authoritative_server_as_dns_error_not_no_record(authority, kwargs):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._verify import DNS_ERROR, check_once

    bad = authority(["example.com"], {}, **kwargs)
    resolver = resolver_for(bad)
    resolver._zone_cache["nothing.example.com"] = "example.com"
    proof = check_once(resolver, "nothing.example.com", "d111111abcdef8.cloudfront.net", [], _NoRoute53())
    assert proof.outcome == DNS_ERROR
    assert "no CNAME, A or AAAA" not in proof.detail
    assert bad.address in proof.detail and "nameservers" in proof.detail


def test_audit_existence_check_does_not_call_a_refused_name_existing_or_missing(authority, server):
    from ansible_collections.aliasguard.cloudfront.plugins.modules.alias_audit_report import check_exists

    refusing = authority(["example.com"], {}, rcode="REFUSED")
    assert check_exists(["d111111abcdef8.cloudfront.net"], [refusing.address], 1.0) == {}
    # a server that does answer authoritatively after one that refuses is used
    assert check_exists(["nothing.example.com", "example.com"], [refusing.address, server.address], 1.0) == {
        "nothing.example.com": False, "example.com": True}


# -- nameservers given as host names (issue 8, item 1) -------------------------------------

from ansible_collections.aliasguard.cloudfront.plugins.module_utils import _resolver  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import (  # noqa: E402
    resolve_nameservers,
)


def fake_getaddrinfo(table):
    """A system resolver that knows only ``table`` ({name: [address, ...]})."""
    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM, 17, "",
                 (a, port, 0, 0) if ":" in a else (a, port)) for a in table[host]]
    return getaddrinfo


def test_a_nameserver_given_by_name_is_asked_at_its_address(server):
    host, port = server.address.split(":")
    resolver = AuthoritativeResolver(["localhost:%s" % port], timeout=2.0)
    assert (host, int(port)) in resolver.explicit  # and ::1 too where localhost has it
    assert resolver.zone_for("www.example.com") == "example.com"
    server = resolver.explicit[resolver.explicit.index((host, int(port)))]
    assert server_label(server) == "localhost:%s (127.0.0.1)" % port
    assert resolver.lookup(server, "www.example.com", "CNAME").cname == "d111111abcdef8.cloudfront.net"


def test_zone_for_uses_the_next_address_when_one_does_not_answer(server, authority):
    silent = authority(["example.com"], {}, silent=True)
    resolver = AuthoritativeResolver([silent.address, server.address], timeout=1.0, retries=0)
    assert resolver.zone_for("www.example.com") == "example.com"


def test_every_address_of_a_nameserver_name_is_used(monkeypatch):
    monkeypatch.setattr(_resolver.socket, "getaddrinfo", fake_getaddrinfo(
        {"ns1.example.net": ["192.0.2.53", "2001:db8::53", "192.0.2.53"]}))
    servers = resolve_nameservers(["ns1.example.net", "198.51.100.1:5353"])
    assert servers == [("192.0.2.53", 53), ("2001:db8::53", 53), ("198.51.100.1", 5353)]
    # Messages and results name the server as the user wrote it, with the address asked.
    assert server_label(servers[0]) == "ns1.example.net (192.0.2.53)"
    assert server_label(servers[1]) == "ns1.example.net ([2001:db8::53])"
    assert server_label(servers[2]) == "198.51.100.1:5353"


def test_names_that_do_not_resolve_are_all_named(monkeypatch):
    monkeypatch.setattr(_resolver.socket, "getaddrinfo", fake_getaddrinfo({"ns1.example.net": ["192.0.2.53"]}))
    with pytest.raises(ResolverError) as exc:
        AuthoritativeResolver(["ns1.example.net", "ns2.nowhere.invalid", "ns3.nowhere.invalid:5353"])
    text = str(exc.value)
    assert "ns2.nowhere.invalid" in text and "ns3.nowhere.invalid:5353" in text
    assert "could not be resolved" in text
    assert "ns1.example.net" not in text


def test_a_nameserver_that_is_not_a_host_name_is_refused_with_the_reason():
    with pytest.raises(ResolverError, match="not an address or a host name"):
        AuthoritativeResolver(["ns1 example net"])
