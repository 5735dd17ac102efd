"""The latency knob: ``python -m sandbox faults --latency-ms N [--dns-latency-ms M]``.

Against AWS every API request crosses a network (CloudFront's and Route 53's API endpoints are global ones in
us-east-1: "Amazon Route 53 endpoints and quotas", https://docs.aws.amazon.com/general/latest/gr/r53.html), and
the modules overlap that wait with bounded pools of requests in flight. The knob makes each request wait that
long in its own thread, so that the overlap can be measured (benchmarks/inclusion.py --latency-ms): the tests
check that the wait happens, that concurrent requests wait side by side rather than in turn (the property the
knob exists for), and that it is off unless asked for. Only lower bounds and a bound far from the serial sum
are asserted: the machine may be busy.
"""

import threading
import time

import dns.message
import dns.query
import dns.rdatatype
import pytest

from sandbox import cli

LATENCY = 0.4   # seconds
CONCURRENT = 4  # requests at once: in turn they would take CONCURRENT x LATENCY at least


@pytest.fixture
def latency(sandbox):
    sandbox.reset()

    def set_latency(api_ms=0.0, dns_ms=0.0):
        return cli.faults(sandbox.state_dir, latency_ms=api_ms, dns_latency_ms=dns_ms)

    try:
        yield set_latency
    finally:
        sandbox.faults(off=True)


def timed(calls):
    """Run the calls at once, one thread each; (seconds from start to the last end, [seconds each took])."""
    took = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index, call):
        barrier.wait()
        started = time.monotonic()
        call()
        took[index] = time.monotonic() - started

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, took


def dns_query(sandbox, name, tcp=False):
    endpoint = sandbox.endpoints["dns"]
    send = dns.query.tcp if tcp else dns.query.udp
    return lambda: send(dns.message.make_query(name, dns.rdatatype.SOA), endpoint["host"], port=endpoint["port"],
                        timeout=10)


def test_latency_is_off_unless_set_and_off_again_with_every_fault(sandbox, latency):
    assert "latency_ms" not in cli.faults(sandbox.state_dir, throttle=0.0)
    settings = latency(api_ms=250, dns_ms=30)
    assert (settings["latency_ms"], settings["dns_latency_ms"]) == (250.0, 30.0)
    # Like every setting of `faults`: a call that does not name it switches it off.
    assert "latency_ms" not in cli.faults(sandbox.state_dir, seed=1)
    latency(api_ms=250)
    off = cli.faults(sandbox.state_dir, off=True)
    assert "latency_ms" not in off and "dns_latency_ms" not in off


def test_latency_rejects_what_is_not_a_network(sandbox, latency):
    for bad in (-1, 60001):
        with pytest.raises(cli.SandboxError, match="latency_ms must be between 0 and 60000 milliseconds"):
            latency(api_ms=bad)


def test_every_api_request_waits_and_concurrent_ones_wait_side_by_side(sandbox, latency):
    cloudfront, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    latency(api_ms=LATENCY * 1000)
    calls = [
        cloudfront.list_distributions,
        lambda: route53.create_hosted_zone(Name="example.com", CallerReference="latency"),  # mutating: serialised
        lambda: sandbox.clients.cloudflare("GET", "/zones"),
        lambda: sandbox.clients.google("GET", "/managedZones"),
    ]
    assert len(calls) == CONCURRENT

    total, took = timed(calls)

    assert min(took) >= LATENCY, took                # each waited (AWS, Cloudflare, Cloud DNS)
    assert total < CONCURRENT * LATENCY * 0.75, took  # ... at the same time: in turn would be >= 1.6 s


def test_dns_answers_wait_side_by_side_over_udp_and_tcp(sandbox, latency):
    sandbox.clients.cloudflare("POST", "/zones", {"name": "example.com", "type": "full"})
    latency(dns_ms=LATENCY * 1000)
    calls = [dns_query(sandbox, "example.com.", tcp=n % 2 == 1) for n in range(CONCURRENT)]

    total, took = timed(calls)

    assert min(took) >= LATENCY, took
    assert total < CONCURRENT * LATENCY * 0.75, took
