"""The sandbox's authoritative DNS server, queried with dnspython over real UDP and TCP.

Zones are built through the providers' own APIs (boto3 for Route 53, the
Cloudflare HTTP API, a TSIG-signed RFC 2136 update to BIND); the answers must
look like the ones the real authoritative servers give.
"""

import ipaddress

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from sandbox.scenarios import alias_record, cname, create_distribution, hosted_zone

A, AAAA, CNAME, TXT, SOA = (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.CNAME,
                            dns.rdatatype.TXT, dns.rdatatype.SOA)
CLOUDFLARE_V4 = ipaddress.ip_network("104.16.0.0/13")
CLOUDFLARE_V6 = ipaddress.ip_network("2606:4700::/32")


class Dns:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.host = sandbox.endpoints["dns"]["host"]
        self.port = sandbox.endpoints["dns"]["port"]
        self.cf = sandbox.aws("cloudfront")
        self.r53 = sandbox.aws("route53")

    def query(self, name, rdtype, tcp=False, payload=None):
        if payload is None:
            message = dns.message.make_query(name, rdtype)
        else:
            message = dns.message.make_query(name, rdtype, use_edns=0, payload=payload)
        send = dns.query.tcp if tcp else dns.query.udp
        return send(message, self.host, port=self.port, timeout=5)

    def distribution(self, reference, ipv6=True):
        return create_distribution(self.cf, reference, ipv6=ipv6)

    def route53_zone(self, name="example.com", changes=()):
        zone_id = hosted_zone(self.r53, name)
        if changes:
            self.r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": list(changes)})
        return zone_id

    def cloudflare_zone(self, name):
        account = self.sandbox.endpoints["cloudflare"].get("account_id")
        body = {"name": name, "type": "full"}
        if account:
            body["account"] = {"id": account}
        return self.sandbox.clients.cloudflare("POST", "/zones", body)["id"]

    def cloudflare_record(self, zone_id, **fields):
        return self.sandbox.clients.cloudflare("POST", "/zones/%s/dns_records" % zone_id, fields)


def values(response, rdtype, name=None):
    """The rdata texts of the answer's rrsets of one type (and owner, if given)."""
    found = []
    for rrset in response.answer:
        if rrset.rdtype == rdtype and (name is None or rrset.name.to_text() == name):
            found.extend(rdata.to_text() for rdata in rrset)
    return sorted(found)


def is_nodata(response):
    return (response.rcode() == dns.rcode.NOERROR and not response.answer
            and any(rrset.rdtype == SOA for rrset in response.authority))


@pytest.fixture
def resolver(sandbox):
    sandbox.reset()
    return Dns(sandbox)


# --------------------------------------------------------------------------
# Route 53 zones and cloudfront.net names


def test_route53_cname_is_answered_as_cname_with_aa_flag(resolver):
    dist = resolver.distribution("site")
    resolver.route53_zone(changes=[cname("www.example.com", dist["domain_name"])])

    response = resolver.query("www.example.com.", CNAME)

    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert values(response, CNAME) == [dist["domain_name"] + "."]
    assert response.answer[0].ttl == 300


def test_names_are_matched_case_insensitively(resolver):
    dist = resolver.distribution("site")
    resolver.route53_zone(changes=[cname("www.example.com", dist["domain_name"])])

    response = resolver.query("WWW.Example.COM.", CNAME)

    assert response.rcode() == dns.rcode.NOERROR
    assert values(response, CNAME) == [dist["domain_name"] + "."]


def test_route53_zone_of_second_account_is_answered(resolver, sandbox):
    dist = resolver.distribution("site")
    other = sandbox.aws("route53", "222222222222")
    zone_id = hosted_zone(other, "example.io")
    other.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        cname("www.example.io", dist["domain_name"])]})

    assert values(resolver.query("www.example.io.", CNAME), CNAME) == [dist["domain_name"] + "."]


def test_a_query_follows_cname_to_distribution_addresses(resolver):
    dist = resolver.distribution("site")
    resolver.route53_zone(changes=[cname("www.example.com", dist["domain_name"])])
    addresses = values(resolver.query(dist["domain_name"] + ".", A), A)

    response = resolver.query("www.example.com.", A)

    assert addresses
    assert values(response, CNAME, "www.example.com.") == [dist["domain_name"] + "."]
    assert values(response, A, dist["domain_name"] + ".") == addresses


def test_apex_alias_answers_with_distribution_addresses(resolver):
    dist = resolver.distribution("apex")
    resolver.route53_zone(changes=[alias_record("example.com", "A", dist["domain_name"]),
                                   alias_record("example.com", "AAAA", dist["domain_name"])])

    for rdtype in (A, AAAA):
        expected = values(resolver.query(dist["domain_name"] + ".", rdtype), rdtype)
        response = resolver.query("example.com.", rdtype)
        assert expected
        assert values(response, rdtype, "example.com.") == expected
        assert not values(response, CNAME)


def test_cname_query_at_apex_alias_has_no_answer(resolver):
    dist = resolver.distribution("apex")
    resolver.route53_zone(changes=[alias_record("example.com", "A", dist["domain_name"])])

    response = resolver.query("example.com.", CNAME)

    assert is_nodata(response), response.to_text()


def test_no_aaaa_for_distribution_without_ipv6(resolver):
    dist = resolver.distribution("v4only", ipv6=False)
    resolver.route53_zone(changes=[alias_record("example.com", "AAAA", dist["domain_name"])])

    direct = resolver.query(dist["domain_name"] + ".", AAAA)
    via_alias = resolver.query("example.com.", AAAA)

    assert direct.rcode() == dns.rcode.NOERROR and not direct.answer
    assert via_alias.rcode() == dns.rcode.NOERROR and not via_alias.answer
    assert values(resolver.query(dist["domain_name"] + ".", A), A)


def test_missing_name_is_nxdomain_with_soa(resolver):
    resolver.route53_zone(changes=[cname("www.example.com", "d111.cloudfront.net")])

    response = resolver.query("nosuch.example.com.", A)

    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.flags & dns.flags.AA
    assert any(rrset.rdtype == SOA for rrset in response.authority)


def test_existing_name_without_the_type_is_nodata(resolver):
    resolver.route53_zone(changes=[{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "app.example.com", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.1"}]}}])

    assert is_nodata(resolver.query("app.example.com.", TXT))


def test_empty_non_terminal_is_nodata_not_nxdomain(resolver):
    resolver.route53_zone(changes=[cname("a.b.example.com", "d111.cloudfront.net")])

    assert is_nodata(resolver.query("b.example.com.", A))


def test_wildcard_record_answers_for_names_below(resolver):
    dist = resolver.distribution("catch-all")
    resolver.route53_zone(changes=[cname("*.example.com", dist["domain_name"])])

    for name in ("foo.example.com.", "a.b.example.com."):
        response = resolver.query(name, CNAME)
        assert response.rcode() == dns.rcode.NOERROR
        assert [rrset.name.to_text() for rrset in response.answer] == [name]
        assert values(response, CNAME) == [dist["domain_name"] + "."]


def test_deleted_distribution_name_is_nxdomain(resolver):
    dist = resolver.distribution("short-lived")
    assert values(resolver.query(dist["domain_name"] + ".", A), A)
    response = resolver.cf.get_distribution_config(Id=dist["id"])
    config = dict(response["DistributionConfig"], Enabled=False)
    etag = resolver.cf.update_distribution(Id=dist["id"], IfMatch=response["ETag"], DistributionConfig=config)["ETag"]
    resolver.cf.delete_distribution(Id=dist["id"], IfMatch=etag)

    assert resolver.query(dist["domain_name"] + ".", A).rcode() == dns.rcode.NXDOMAIN


# --------------------------------------------------------------------------
# Cloudflare zones


def test_cloudflare_dns_only_cname_is_answered_as_cname(resolver):
    dist = resolver.distribution("site")
    zone_id = resolver.cloudflare_zone("example.org")
    resolver.cloudflare_record(zone_id, type="CNAME", name="www.example.org", content=dist["domain_name"],
                               ttl=1, proxied=False)

    response = resolver.query("www.example.org.", CNAME)

    assert response.flags & dns.flags.AA
    assert values(response, CNAME) == [dist["domain_name"] + "."]


def test_cloudflare_proxied_record_answers_with_cloudflare_addresses_only(resolver):
    dist = resolver.distribution("site")
    zone_id = resolver.cloudflare_zone("example.org")
    resolver.cloudflare_record(zone_id, type="CNAME", name="www.example.org", content=dist["domain_name"],
                               ttl=1, proxied=True)

    v4 = resolver.query("www.example.org.", A)
    v6 = resolver.query("www.example.org.", AAAA)

    assert values(v4, A) and all(ipaddress.ip_address(a) in CLOUDFLARE_V4 for a in values(v4, A))
    assert values(v6, AAAA) and all(ipaddress.ip_address(a) in CLOUDFLARE_V6 for a in values(v6, AAAA))
    assert not values(v4, CNAME) and not values(v6, CNAME)
    assert not values(resolver.query("www.example.org.", CNAME), CNAME)


def test_cloudflare_apex_cname_is_flattened_to_target_addresses(resolver):
    dist = resolver.distribution("site")
    zone_id = resolver.cloudflare_zone("example.org")
    resolver.cloudflare_record(zone_id, type="CNAME", name="example.org", content=dist["domain_name"],
                               ttl=1, proxied=False)
    expected = values(resolver.query(dist["domain_name"] + ".", A), A)

    response = resolver.query("example.org.", A)

    assert expected
    assert values(response, A, "example.org.") == expected
    assert not values(response, CNAME)


# --------------------------------------------------------------------------
# The RFC 2136 zone (BIND), through the sandbox DNS


def test_rfc2136_update_is_answered_through_sandbox_dns(resolver, sandbox):
    zone = sandbox.endpoints["rfc2136"]["zone"]
    update = sandbox.clients.rfc2136_update()
    update.add("www", 300, "CNAME", "d111.cloudfront.net.")
    sandbox.clients.rfc2136_send(update)

    for tcp in (False, True):
        response = resolver.query("www.%s." % zone, CNAME, tcp=tcp)
        assert response.rcode() == dns.rcode.NOERROR
        assert values(response, CNAME) == ["d111.cloudfront.net."]


def test_rfc2136_update_is_logged_once_as_mutating(resolver, sandbox):
    mark = sandbox.log_mark()
    update = sandbox.clients.rfc2136_update()
    update.add("api", 300, "A", "192.0.2.7")
    sandbox.clients.rfc2136_send(update)

    [entry] = sandbox.requests_since(mark)

    assert (entry["service"], entry["status"], entry["mutating"]) == ("rfc2136", dns.rcode.NOERROR, True)


# --------------------------------------------------------------------------
# Transport


def test_tcp_answers_like_udp(resolver):
    dist = resolver.distribution("site")
    resolver.route53_zone(changes=[cname("www.example.com", dist["domain_name"])])

    for rdtype in (CNAME, A):
        udp = resolver.query("www.example.com.", rdtype)
        tcp = resolver.query("www.example.com.", rdtype, tcp=True)
        assert tcp.rcode() == udp.rcode() == dns.rcode.NOERROR
        assert tcp.answer == udp.answer
        assert tcp.flags & dns.flags.AA


def test_large_answer_is_truncated_over_udp_and_complete_over_tcp(resolver):
    texts = ['"v%02d-%s"' % (n, "x" * 60) for n in range(40)]
    resolver.route53_zone(changes=[{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "big.example.com", "Type": "TXT", "TTL": 300,
        "ResourceRecords": [{"Value": text} for text in texts]}}])

    udp = resolver.query("big.example.com.", TXT, payload=1232)
    tcp = resolver.query("big.example.com.", TXT, tcp=True)

    assert udp.flags & dns.flags.TC
    assert not tcp.flags & dns.flags.TC
    assert values(tcp, TXT) == sorted(texts)
