"""The sandbox DNS keeps its converted zones between queries; every change must still show in the next answer.

SANDBOX.md: the DNS server answers "for every Route 53 and Cloudflare zone from their current state". It keeps
each provider's zones, converted, until that provider's data changes (sandbox/dnsserver.py, DataView). Each
test asks first (so that the zones are kept), changes the data through one of the ways a user or the sandbox
itself changes it (the Route 53 API, the Cloudflare API, the Cloud DNS API, a TSIG-signed RFC 2136 UPDATE, the
scenario builders, a reset, CloudFront), and asks again at once, without waiting: the answer is the new one.
Real AWS and Cloudflare take seconds to propagate a change to their nameservers; the sandbox's promise (no
delay) is the stricter one the tests of the product rely on.
"""

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from sandbox.scenarios import cname, create_distribution, hosted_zone, route53_change

CNAME, A, AAAA, SOA = dns.rdatatype.CNAME, dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.SOA


@pytest.fixture
def ask(sandbox):
    sandbox.reset()
    dns_endpoint = sandbox.endpoints["dns"]

    def query(name, rdtype=CNAME):
        response = dns.query.udp(dns.message.make_query(name, rdtype), dns_endpoint["host"],
                                 port=dns_endpoint["port"], timeout=5)
        values = sorted(r.to_text() for rrset in response.answer if rrset.rdtype == rdtype for r in rrset)
        return response.rcode(), values

    return query


def upsert(name, target, ttl=300):
    return {"Action": "UPSERT", "ResourceRecordSet": {
        "Name": name, "Type": "CNAME", "TTL": ttl, "ResourceRecords": [{"Value": target}]}}


def test_route53_changes_and_zones_show_in_the_next_answer(sandbox, ask):
    r53 = sandbox.aws("route53")
    zone_id = hosted_zone(r53, "example.com")
    route53_change(r53, zone_id, [cname("www.example.com", "d1.cloudfront.net")])
    assert ask("www.example.com.") == (dns.rcode.NOERROR, ["d1.cloudfront.net."])

    route53_change(r53, zone_id, [upsert("www.example.com", "d2.cloudfront.net")])
    assert ask("www.example.com.") == (dns.rcode.NOERROR, ["d2.cloudfront.net."])

    route53_change(r53, zone_id, [dict(upsert("www.example.com", "d2.cloudfront.net"), Action="DELETE")])
    assert ask("www.example.com.")[0] == dns.rcode.NXDOMAIN

    # A new zone: moto makes its SOA and NS, which the sandbox tidies in place after moto returns.
    assert ask("example.org.", SOA)[0] == dns.rcode.REFUSED
    other = hosted_zone(r53, "example.org")
    rcode, soa = ask("example.org.", SOA)
    assert rcode == dns.rcode.NOERROR and len(soa) == 1

    r53.delete_hosted_zone(Id=other)
    assert ask("example.org.", SOA)[0] == dns.rcode.REFUSED


def test_cloudflare_changes_show_in_the_next_answer(sandbox, ask):
    cf = sandbox.clients.cloudflare
    zone = cf("POST", "/zones", {"name": "example.com", "type": "full",
                                 "account": {"id": sandbox.endpoints["cloudflare"]["account_id"]}})["id"]
    records = "/zones/%s/dns_records" % zone
    assert ask("www.example.com.")[0] == dns.rcode.NXDOMAIN

    record = cf("POST", records, {"type": "CNAME", "name": "www.example.com", "content": "d1.cloudfront.net",
                                  "ttl": 1, "proxied": False})
    assert ask("www.example.com.") == (dns.rcode.NOERROR, ["d1.cloudfront.net."])

    cf("PATCH", "%s/%s" % (records, record["id"]), {"content": "d2.cloudfront.net"})
    assert ask("www.example.com.") == (dns.rcode.NOERROR, ["d2.cloudfront.net."])

    cf("DELETE", "%s/%s" % (records, record["id"]))
    assert ask("www.example.com.")[0] == dns.rcode.NXDOMAIN


def test_cloud_dns_changes_show_in_the_next_answer(sandbox, ask):
    google = sandbox.clients.google
    google("POST", "/managedZones", {"name": "example-com", "dnsName": "example.com.", "description": "t"})
    assert ask("www.example.com.")[0] == dns.rcode.NXDOMAIN

    google("POST", "/managedZones/example-com/changes", {"additions": [
        {"name": "www.example.com.", "type": "CNAME", "ttl": 300, "rrdatas": ["d1.cloudfront.net."]}]})
    assert ask("www.example.com.") == (dns.rcode.NOERROR, ["d1.cloudfront.net."])


def test_an_rfc2136_update_shows_in_the_next_answer(sandbox, ask):
    zone = sandbox.endpoints["rfc2136"]["zone"]
    assert ask("fresh.%s." % zone)[0] == dns.rcode.NXDOMAIN

    update = sandbox.clients.rfc2136_update()
    update.add("fresh", 300, "CNAME", "d1.cloudfront.net.")
    sandbox.clients.rfc2136_send(update)
    assert ask("fresh.%s." % zone) == (dns.rcode.NOERROR, ["d1.cloudfront.net."])


def test_scenarios_and_reset_show_in_the_next_answer(sandbox, ask):
    seed = sandbox.scenario("seed-409")
    assert ask("www.example.com.") == (dns.rcode.NOERROR, [seed["holder"]["domain_name"] + "."])

    # Another scenario starts with a reset and moves www.example.com to Cloudflare, with another holder.
    moved = sandbox.scenario("cloudflare")
    assert ask("www.example.com.") == (dns.rcode.NOERROR, [moved["holder"]["domain_name"] + "."])
    assert moved["holder"]["domain_name"] != seed["holder"]["domain_name"]

    sandbox.reset()
    assert ask("www.example.com.")[0] == dns.rcode.REFUSED


def test_distribution_changes_show_in_the_next_answer(sandbox, ask):
    cloudfront = sandbox.aws("cloudfront")
    dist = create_distribution(cloudfront, "fresh", ipv6=True)
    name = dist["domain_name"] + "."
    assert ask(name, AAAA)[1]

    current = cloudfront.get_distribution_config(Id=dist["id"])
    config = dict(current["DistributionConfig"], IsIPV6Enabled=False)
    cloudfront.update_distribution(Id=dist["id"], IfMatch=current["ETag"], DistributionConfig=config)
    assert ask(name, AAAA) == (dns.rcode.NOERROR, [])
    assert ask(name, A)[1]
