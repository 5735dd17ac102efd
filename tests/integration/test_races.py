"""A second client writes the same record in the instant before the run's own write.

Each test plans as dns_cname_repoint does, then hooks the very request that carries the
run's write: just before it leaves, another client (boto3, plain HTTP, dnspython - not the
collection) changes the record. Route 53 and RFC 2136 refuse the stale write, so the other
client's change survives and nothing of the run's is made. Cloudflare cannot refuse a write
(it has no conditional write): the run detects the other client's change when it reads the
records back, and reports both values.
"""

import dns.query
import dns.update
import pytest

from repoint_helpers import InProcess, ask, bind_dns, cloudflare_module, cloudflare_records, route53_values

ELSEWHERE = "elsewhere.example.org"


@pytest.fixture(autouse=True)
def faults_off(sandbox):
    sandbox.faults(off=True)
    yield
    sandbox.faults(off=True)


def test_route53_refuses_the_write_when_another_client_changed_the_record_just_before(sandbox):
    seed = sandbox.scenario("seed-409")
    zone_id, old = seed["dns"]["zone_id"], seed["holder"]["domain_name"]
    module = InProcess(sandbox, "route53")
    plans = module.plan(zone="example.com", name="www.example.com", target=seed["target_domain_name"])
    other = sandbox.aws("route53")

    def second_client(**unused):
        other.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {"Name": "www.example.com", "Type": "CNAME", "TTL": 300,
                                                       "ResourceRecords": [{"Value": ELSEWHERE}]}}]})

    module.provider.client.meta.events.register_first("before-call.route53.ChangeResourceRecordSets",
                                                      second_client, unique_id="race")

    with pytest.raises(module.ConcurrentChange) as refused:
        module.apply(plans)

    assert "changed since it was read" in str(refused.value)
    assert route53_values(sandbox, zone_id, "www.example.com", "CNAME") == [ELSEWHERE]
    assert plans[0].changes[0].applied is False and old != ELSEWHERE


def test_rfc2136_refuses_the_update_when_another_client_changed_the_record_just_before(sandbox, monkeypatch):
    rfc = sandbox.scenario("rfc2136")
    module = InProcess(sandbox, "rfc2136")
    plans = module.plan(zone="example.net", name="www.example.net", target=rfc["target_domain_name"])
    real_tcp = dns.query.tcp
    raced = []

    def tcp(message, *args, **kwargs):
        if isinstance(message, dns.update.UpdateMessage) and not raced:
            raced.append(True)
            update = sandbox.clients.rfc2136_update()
            update.replace("www", 300, "CNAME", ELSEWHERE + ".")
            real_tcp(update, *args, **kwargs)
        return real_tcp(message, *args, **kwargs)

    monkeypatch.setattr(dns.query, "tcp", tcp)

    with pytest.raises(module.ConcurrentChange):
        module.apply(plans)

    assert raced == [True]
    assert ask(bind_dns(sandbox), "www.example.net", "CNAME")[1] == [ELSEWHERE]
    assert plans[0].changes[0].applied is False


def _race_cloudflare(monkeypatch, when, action):
    """Run ``action`` once, just before the first request for which ``when(method, url)`` is true."""
    module = cloudflare_module()
    real = module.open_url
    done = []

    def open_url(url, **kwargs):
        if not done and when(kwargs.get("method"), url):
            done.append(url)
            action()
        return real(url, **kwargs)

    monkeypatch.setattr(module, "open_url", open_url)
    return done


def test_cloudflare_detects_a_write_made_between_its_re_read_and_its_batch(sandbox, monkeypatch):
    cf = sandbox.scenario("cloudflare")
    zone_id, record_id = cf["dns"]["zone_id"], cf["dns"]["record_id"]
    new, old = cf["target_domain_name"], cf["holder"]["domain_name"]
    module = InProcess(sandbox, "cloudflare")
    plans = module.plan(zone="example.com", name="www.example.com", target=new)
    # Someone edits the record in the dashboard: another target, and a TTL of two minutes.
    raced = _race_cloudflare(
        monkeypatch, lambda method, url: method == "POST" and url.endswith("/dns_records/batch"),
        lambda: sandbox.clients.cloudflare("PUT", "/zones/%s/dns_records/%s" % (zone_id, record_id), {
            "type": "CNAME", "name": "www.example.com", "content": ELSEWHERE, "ttl": 120, "proxied": False}))

    with pytest.raises(module.ConcurrentChange) as detected:
        module.apply(plans)

    message = str(detected.value)
    assert raced, "the second client never wrote"
    # The run's write was made (Cloudflare cannot refuse it) and says so, with what it saw.
    change = plans[0].changes[0]
    assert change.applied is True and change.read_back.startswith("the ttl of the CNAME record www.example.com")
    assert "someone else changed the same records at the same time" in message
    assert "from 1 to 120" in message and "Cloudflare has no conditional write" in message
    [live] = cloudflare_records(sandbox, zone_id, "www.example.com")
    assert (live["content"], live["ttl"]) == (new, 120) and old != new


def test_cloudflare_detects_a_write_made_right_after_its_batch(sandbox, monkeypatch):
    cf = sandbox.scenario("cloudflare")
    zone_id, record_id = cf["dns"]["zone_id"], cf["dns"]["record_id"]
    new = cf["target_domain_name"]
    module = InProcess(sandbox, "cloudflare")
    plans = module.plan(zone="example.com", name="www.example.com", target=new)
    sent = []
    module_cf = cloudflare_module()
    real = module_cf.open_url

    def open_url(url, **kwargs):
        # The first GET after the batch is the read-back: the other client writes just before it.
        if kwargs.get("method") == "GET" and any(u.endswith("/dns_records/batch") for u in sent) and \
                not any(u == "raced" for u in sent):
            sent.append("raced")
            sandbox.clients.cloudflare("PATCH", "/zones/%s/dns_records/%s" % (zone_id, record_id),
                                       {"content": ELSEWHERE})
        sent.append(url)
        return real(url, **kwargs)

    monkeypatch.setattr(module_cf, "open_url", open_url)

    with pytest.raises(module.ConcurrentChange) as detected:
        module.apply(plans)

    message = str(detected.value)
    assert "raced" in sent
    assert "this run wrote CNAME %s; it holds CNAME %s now" % (new, ELSEWHERE) in message
    assert plans[0].changes[0].applied is True
    assert [r["content"] for r in cloudflare_records(sandbox, zone_id, "www.example.com")] == [ELSEWHERE]


def test_cloudflare_without_a_race_reads_back_what_it_wrote(sandbox):
    cf = sandbox.scenario("cloudflare")
    module = InProcess(sandbox, "cloudflare")
    plans = module.plan(zone="example.com", name="www.example.com", target=cf["target_domain_name"])
    mark = sandbox.log_mark()

    module.apply(plans)

    assert plans[0].changes[0].read_back == "as written"
    assert [e["operation"] for e in sandbox.requests_since(mark)] == [
        "ListDnsRecords", "BatchDnsRecords", "ListDnsRecords"]
