"""The sandbox's Cloudflare API v4, exercised over HTTP only.

The first tests drive it with the official ``cloudflare`` SDK, unchanged: if the
SDK works against the sandbox, the collection's Cloudflare code is tested against
the shapes it meets in production. The rest use raw HTTP for what the SDK hides
(status codes, headers, envelopes) and for the request log.
"""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import cloudflare
import pytest

from sandbox.faults import FaultPolicy

try:
    from . import _cf_server  # when tests/sandbox is a package
except ImportError:
    import _cf_server

cf_sandbox = _cf_server.cf_sandbox  # the fixture


# --- helpers -----------------------------------------------------------------


class Api:
    """Raw HTTP to the sandbox; keeps every response so tests can check for leaks."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.seen = []  # (status, headers, body text)

    def call(self, method, path, body=None, query=None, token=None):
        url = self.sandbox.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        token = self.sandbox.api_token if token is None else token
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, text = response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, dict(error.headers), error.read().decode()
        self.seen.append((status, headers, text))
        return status, headers, json.loads(text)

    def ok(self, method, path, body=None, query=None):
        status, unused, envelope = self.call(method, path, body, query)
        assert status == 200 and envelope["success"], envelope
        return envelope["result"]

    def zone(self, name="example.com"):
        return self.ok("POST", "/zones", {"name": name, "account": {"id": self.sandbox.account_id}, "type": "full"})

    def records(self, zone_id, **query):
        query.setdefault("per_page", 5000)
        return self.ok("GET", "/zones/%s/dns_records" % zone_id, query=query)


@pytest.fixture
def api(cf_sandbox):
    return Api(cf_sandbox)


@pytest.fixture
def sdk(cf_sandbox):
    # No retries: a test that wants the SDK's retry behaviour makes its own client.
    client = cloudflare.Cloudflare(api_token=cf_sandbox.api_token, base_url=cf_sandbox.base_url, max_retries=0)
    yield client
    client.close()


def assert_error(status, envelope, want_status, want_code=None):
    assert status == want_status, envelope
    assert envelope["success"] is False
    assert envelope["result"] is None
    assert envelope["errors"] and all(isinstance(e["code"], int) and e["message"] for e in envelope["errors"])
    if want_code is not None:
        assert envelope["errors"][0]["code"] == want_code, envelope


def seed_giving(decisions, throttle=0.0, server_errors=0.0):
    """A seed whose first fault decisions are ``decisions``, found through FaultPolicy itself."""
    probe = FaultPolicy()
    for seed in range(10000):
        probe.configure(throttle=throttle, server_errors=server_errors, seed=seed)
        if [probe.decide() for unused in decisions] == list(decisions):
            return seed
    raise AssertionError("no seed gives %r" % (decisions,))


# --- the official SDK --------------------------------------------------------


def test_sdk_zones_and_records_round_trip(sdk, cf_sandbox):
    zone = sdk.zones.create(name="Example.COM", account={"id": cf_sandbox.account_id}, type="full")
    assert zone.name == "example.com" and zone.status == "active" and zone.type == "full"
    assert len(zone.id) == 32 and len(zone.name_servers) == 2
    assert zone.account.id == cf_sandbox.account_id
    other = sdk.zones.create(name="example.org", account={"id": cf_sandbox.account_id})

    assert [z.id for z in sdk.zones.list(name="example.com")] == [zone.id]
    assert sorted(z.name for z in sdk.zones.list()) == ["example.com", "example.org"]
    assert sdk.zones.get(zone_id=zone.id).name == "example.com"

    a = sdk.dns.records.create(zone_id=zone.id, name="www", type="A", content="192.0.2.10", ttl=300)
    assert (a.name, a.type, a.content, a.ttl, a.proxied, a.proxiable) == (
        "www.example.com",
        "A",
        "192.0.2.10",
        300,
        False,
        True,
    )
    sdk.dns.records.create(zone_id=zone.id, name="_www.example.com", type="TXT", content="d111.cloudfront.net")
    cname = sdk.dns.records.create(
        zone_id=zone.id, name="CDN.example.com.", type="CNAME", content="d222.cloudfront.net.", proxied=True,
        comment="owned by E222", ttl=300,
    )  # fmt: skip
    assert type(cname).__name__ == "CNAMERecord"
    assert (cname.name, cname.content, cname.proxied, cname.ttl) == ("cdn.example.com", "d222.cloudfront.net", True, 1)
    assert cname.comment == "owned by E222"

    # The exact-name filter in both forms the SDK can send: name=... and name.exact=...
    for name_filter in ("cdn.example.com", {"exact": "cdn.example.com"}):
        found = list(sdk.dns.records.list(zone_id=zone.id, type="CNAME", name=name_filter))
        assert [r.id for r in found] == [cname.id]
    assert list(sdk.dns.records.list(zone_id=zone.id, type="A", name={"exact": "cdn.example.com"})) == []
    assert {r.type for r in sdk.dns.records.list(zone_id=zone.id)} == {"A", "TXT", "CNAME"}
    assert sdk.dns.records.get(dns_record_id=cname.id, zone_id=zone.id).content == "d222.cloudfront.net"

    # PATCH merges: only content and proxied change, the comment stays.
    edited = sdk.dns.records.edit(
        dns_record_id=cname.id, zone_id=zone.id, name="cdn.example.com", type="CNAME",
        content="d333.cloudfront.net", proxied=False,
    )  # fmt: skip
    assert (edited.content, edited.proxied, edited.comment, edited.id) == (
        "d333.cloudfront.net",
        False,
        "owned by E222",
        cname.id,
    )
    # PUT replaces: what is not sent goes back to its default.
    updated = sdk.dns.records.update(
        dns_record_id=cname.id, zone_id=zone.id, name="cdn", type="CNAME", content="d444.cloudfront.net", ttl=120
    )
    assert (updated.content, updated.ttl, updated.proxied, updated.comment) == ("d444.cloudfront.net", 120, False, None)
    assert updated.created_on == cname.created_on and updated.modified_on >= cname.modified_on

    deleted = sdk.dns.records.delete(dns_record_id=cname.id, zone_id=zone.id)
    assert deleted.id == cname.id
    with pytest.raises(cloudflare.NotFoundError):
        sdk.dns.records.get(dns_record_id=cname.id, zone_id=zone.id)

    assert sdk.zones.delete(zone_id=other.id).id == other.id
    assert [z.name for z in sdk.zones.list()] == ["example.com"]


def test_sdk_auto_paging_walks_every_page(sdk, cf_sandbox):
    zone = sdk.zones.create(name="fleet.example", account={"id": cf_sandbox.account_id})
    created = {
        sdk.dns.records.create(zone_id=zone.id, name="h%02d" % i, type="TXT", content="v%d" % i).id for i in range(23)
    }
    since = cf_sandbox.log_length()

    pager = sdk.dns.records.list(zone_id=zone.id, type="TXT", per_page=5)
    seen = [record.id for record in pager]

    assert len(seen) == 23 and set(seen) == created
    lists = [e for e in cf_sandbox.log_entries(since) if e["operation"] == "ListDnsRecords"]
    # Five full or partial pages, then the empty page on which the SDK stops.
    assert len(lists) == 6 and all(e["status"] == 200 for e in lists)
    pages = list(sdk.dns.records.list(zone_id=zone.id, per_page=5, page=5).iter_pages())
    assert [len(p.result) for p in pages] == [3, 0]
    assert pages[0].result_info.page == 5 and pages[0].result_info.per_page == 5


def test_sdk_reports_api_errors(sdk, cf_sandbox):
    zone = sdk.zones.create(name="example.com", account={"id": cf_sandbox.account_id})
    sdk.dns.records.create(zone_id=zone.id, name="www", type="A", content="192.0.2.1")
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.dns.records.create(zone_id=zone.id, name="www", type="CNAME", content="d1.cloudfront.net")
    assert caught.value.status_code == 400
    assert caught.value.body["errors"][0]["code"] == 81053
    with pytest.raises(cloudflare.BadRequestError):
        sdk.zones.create(name="EXAMPLE.com", account={"id": cf_sandbox.account_id})

    bad = cloudflare.Cloudflare(api_token="not-the-token", base_url=cf_sandbox.base_url, max_retries=0)
    with pytest.raises(cloudflare.PermissionDeniedError) as caught:
        bad.zones.list()
    assert caught.value.body["errors"][0]["code"] == 10000


def test_sdk_waits_for_retry_after_and_retries(cf_sandbox):
    client = cloudflare.Cloudflare(api_token=cf_sandbox.api_token, base_url=cf_sandbox.base_url, max_retries=2)
    seed = seed_giving(["throttle", None], throttle=0.5)
    cf_sandbox.faults.configure(throttle=0.5, seed=seed)
    since = cf_sandbox.log_length()
    started = time.monotonic()

    zone = client.zones.create(name="example.com", account={"id": cf_sandbox.account_id})

    assert time.monotonic() - started >= 0.9  # Retry-After: 1 was honoured
    assert zone.name == "example.com"
    entries = cf_sandbox.log_entries(since)
    assert [(e["operation"], e["status"], e.get("fault", False)) for e in entries] == [
        ("CreateZone", 429, True),
        ("CreateZone", 200, False),
    ]
    client.close()


# --- raw HTTP ----------------------------------------------------------------


def test_envelope_and_result_info(api):
    zone = api.zone()
    status, headers, envelope = api.call("GET", "/zones", query={"name": "example.com"})
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert set(envelope) == {"success", "errors", "messages", "result", "result_info"}
    assert envelope["success"] is True and envelope["errors"] == [] and envelope["messages"] == []
    assert envelope["result_info"] == {"page": 1, "per_page": 20, "count": 1, "total_count": 1, "total_pages": 1}

    for i in range(12):
        api.ok(
            "POST", "/zones/%s/dns_records" % zone["id"], {"type": "A", "name": "n%d" % i, "content": "192.0.2.%d" % i}
        )
    page3 = api.call("GET", "/zones/%s/dns_records" % zone["id"], query={"per_page": 5, "page": 3})[2]
    assert len(page3["result"]) == 2
    assert page3["result_info"] == {"page": 3, "per_page": 5, "count": 2, "total_count": 12, "total_pages": 3}
    beyond = api.call("GET", "/zones/%s/dns_records" % zone["id"], query={"per_page": 5, "page": 9})[2]
    assert beyond["success"] and beyond["result"] == [] and beyond["result_info"]["count"] == 0
    default = api.call("GET", "/zones/%s/dns_records" % zone["id"])[2]
    assert default["result_info"]["per_page"] == 100
    clamped = api.call("GET", "/zones", query={"per_page": 500})[2]
    assert clamped["result_info"]["per_page"] == 50
    ordered = api.call(
        "GET", "/zones/%s/dns_records" % zone["id"], query={"order": "content", "direction": "desc"}
    )[2]
    contents = [r["content"] for r in ordered["result"]]
    assert contents == sorted(contents, reverse=True)

    single = api.call("GET", "/zones/%s" % zone["id"])[2]
    assert "result_info" not in single and single["result"]["id"] == zone["id"]


def test_record_object_shape(api):
    zone = api.zone()
    record = api.ok(
        "POST", "/zones/%s/dns_records" % zone["id"],
        {"type": "CNAME", "name": "www", "content": "d1.cloudfront.net", "tags": ["owner:cdn"], "comment": "x"},
    )  # fmt: skip
    for key in ("id", "zone_id", "zone_name", "name", "type", "content", "proxiable", "proxied", "ttl", "comment",
                "tags", "meta", "settings", "created_on", "modified_on"):  # fmt: skip
        assert key in record, key
    assert len(record["id"]) == 32 and int(record["id"], 16) >= 0
    assert (record["zone_id"], record["zone_name"], record["ttl"], record["settings"]) == (
        zone["id"],
        "example.com",
        1,
        {},
    )
    assert record["created_on"].endswith("Z")


def test_wrong_or_missing_token_is_refused_and_changes_nothing(api):
    zone = api.zone()
    before = api.records(zone["id"])
    for token in ("wrong-token", ""):
        status, unused, envelope = api.call("POST", "/zones", {"name": "evil.example"}, token=token)
        assert_error(status, envelope, 403, 10000)
        status, unused, envelope = api.call(
            "POST",
            "/zones/%s/dns_records" % zone["id"],
            {"type": "A", "name": "x", "content": "192.0.2.9"},
            token=token,
        )
        assert_error(status, envelope, 403, 10000)
        status, unused, envelope = api.call("DELETE", "/zones/%s" % zone["id"], token=token)
        assert_error(status, envelope, 403, 10000)
    status, unused, envelope = api.call("GET", "/zones", token=api.sandbox.api_token + "x")
    assert_error(status, envelope, 403, 10000)
    assert [z["name"] for z in api.ok("GET", "/zones")] == ["example.com"]
    assert api.records(zone["id"]) == before


def test_cname_cannot_share_its_name(api):
    zone_id = api.zone()["id"]
    path = "/zones/%s/dns_records" % zone_id
    api.ok("POST", path, {"type": "A", "name": "www", "content": "192.0.2.1"})
    status, unused, envelope = api.call(
        "POST", path, {"type": "CNAME", "name": "WWW.example.com", "content": "d1.cloudfront.net"}
    )
    assert_error(status, envelope, 400, 81053)

    alias = api.ok("POST", path, {"type": "CNAME", "name": "alias", "content": "d1.cloudfront.net"})
    for other in ({"type": "A", "content": "192.0.2.2"}, {"type": "TXT", "content": "hello"},
                  {"type": "CNAME", "content": "d2.cloudfront.net"}):  # fmt: skip
        status, unused, envelope = api.call("POST", path, dict(other, name="alias.example.com"))
        assert_error(status, envelope, 400)
        assert envelope["errors"][0]["code"] in (81053, 81054)
    assert [r["id"] for r in api.records(zone_id, name="alias.example.com")] == [alias["id"]]

    # Turning the A record into a CNAME is fine: a record does not clash with itself.
    a = api.records(zone_id, name="www.example.com")[0]
    changed = api.ok("PATCH", "%s/%s" % (path, a["id"]), {"type": "CNAME", "content": "d3.cloudfront.net"})
    assert changed["type"] == "CNAME"
    # ...but an update that makes a record clash is refused and leaves it as it was.
    txt = api.ok("POST", path, {"type": "TXT", "name": "note", "content": "x"})
    status, unused, envelope = api.call("PATCH", "%s/%s" % (path, txt["id"]), {"name": "www"})
    assert_error(status, envelope, 400)
    assert api.ok("GET", "%s/%s" % (path, txt["id"]))["name"] == "note.example.com"


def test_apex_cname_is_flattened_so_allowed(api):
    zone_id = api.zone()["id"]
    path = "/zones/%s/dns_records" % zone_id
    api.ok("POST", path, {"type": "MX", "name": "@", "content": "mail.example.com", "priority": 10})
    apex = api.ok("POST", path, {"type": "CNAME", "name": "@", "content": "d1.cloudfront.net"})
    assert apex["name"] == "example.com"
    api.ok("POST", path, {"type": "TXT", "name": "example.com", "content": "v=spf1 -all"})
    status, unused, envelope = api.call("POST", path, {"type": "A", "name": "@", "content": "192.0.2.1"})
    assert_error(status, envelope, 400)


def test_identical_record_is_refused(api):
    zone_id = api.zone()["id"]
    path = "/zones/%s/dns_records" % zone_id
    api.ok("POST", path, {"type": "CNAME", "name": "www", "content": "d1.cloudfront.net"})
    status, unused, envelope = api.call(
        "POST", path, {"type": "CNAME", "name": "WWW.Example.com.", "content": "D1.cloudfront.net."}
    )
    assert_error(status, envelope, 400, 81058)
    api.ok("POST", path, {"type": "A", "name": "multi", "content": "192.0.2.1"})
    api.ok("POST", path, {"type": "A", "name": "multi", "content": "192.0.2.2"})  # same name, other address: fine
    status, unused, envelope = api.call("POST", path, {"type": "A", "name": "multi", "content": "192.0.2.1", "ttl": 300})
    assert_error(status, envelope, 400, 81058)
    assert len(api.records(zone_id)) == 3


def test_names_are_normalized_and_confined_to_the_zone(api):
    zone_id = api.zone()["id"]
    path = "/zones/%s/dns_records" % zone_id
    for given, stored in (("WWW", "www.example.com"), ("Api.Example.COM.", "api.example.com"), ("@", "example.com"),
                          ("*.example.com", "*.example.com"), ("_www.example.com", "_www.example.com")):  # fmt: skip
        assert api.ok("POST", path, {"type": "TXT", "name": given, "content": given})["name"] == stored
    for bad in ("www.example.org", "example.com.evil", "", "bad name", "a..example.com"):
        status, unused, envelope = api.call("POST", path, {"type": "TXT", "name": bad, "content": "x"})
        assert_error(status, envelope, 400)
    assert [r["name"] for r in api.records(zone_id, name="@")] == ["example.com"]
    assert [r["name"] for r in api.records(zone_id, **{"name.exact": "WWW.EXAMPLE.COM."})] == ["www.example.com"]


def test_field_rules(api):
    zone_id = api.zone()["id"]
    path = "/zones/%s/dns_records" % zone_id
    refused = (
        {"type": "TXT", "name": "t", "content": "x", "proxied": True},  # only A/AAAA/CNAME are proxiable
        {"type": "MX", "name": "m", "content": "mail.example.com", "proxied": True},
        {"type": "A", "name": "a", "content": "192.0.2.1", "ttl": 30},
        {"type": "A", "name": "a", "content": "192.0.2.1", "ttl": 86401},
        {"type": "A", "name": "a", "content": "not-an-address"},
        {"type": "AAAA", "name": "a", "content": "192.0.2.1"},
        {"type": "CNAME", "name": "c", "content": "c.example.com"},  # points at itself
        {"type": "MX", "name": "m", "content": "mail.example.com"},  # no priority
        {"type": "A", "name": "a"},
        {"name": "a", "content": "192.0.2.1"},
    )
    for body in refused:
        status, unused, envelope = api.call("POST", path, body)
        assert_error(status, envelope, 400)
    assert api.records(zone_id) == []

    proxied = api.ok("POST", path, {"type": "A", "name": "p", "content": "192.0.2.1", "proxied": True, "ttl": 300})
    assert proxied["proxied"] is True and proxied["ttl"] == 1  # proxied records always have automatic TTL
    six = api.ok("POST", path, {"type": "AAAA", "name": "six", "content": "2001:DB8:0:0::1", "ttl": 86400})
    assert six["content"] == "2001:db8::1"
    status, unused, envelope = api.call("POST", path, ["not", "an", "object"])
    assert_error(status, envelope, 400)


def test_patch_merges_and_put_replaces(api):
    zone_id = api.zone()["id"]
    path = "/zones/%s/dns_records" % zone_id
    record = api.ok(
        "POST", path, {"type": "CNAME", "name": "www", "content": "d1.cloudfront.net", "ttl": 300, "comment": "keep"}
    )
    url = "%s/%s" % (path, record["id"])
    patched = api.ok("PATCH", url, {"content": "d2.cloudfront.net"})
    assert (patched["name"], patched["content"], patched["ttl"], patched["comment"]) == (
        "www.example.com", "d2.cloudfront.net", 300, "keep",
    )  # fmt: skip
    put = api.ok("PUT", url, {"type": "CNAME", "name": "www.example.com", "content": "d3.cloudfront.net"})
    assert (put["content"], put["ttl"], put["comment"], put["proxied"], put["id"]) == (
        "d3.cloudfront.net", 1, None, False, record["id"],
    )  # fmt: skip
    status, unused, envelope = api.call("PUT", url, {"type": "CNAME", "name": "www"})
    assert_error(status, envelope, 400)
    assert api.ok("GET", url)["content"] == "d3.cloudfront.net"
    assert api.ok("DELETE", url) == {"id": record["id"]}


def test_list_filters(api):
    zone_id = api.zone()["id"]
    path = "/zones/%s/dns_records" % zone_id
    api.ok("POST", path, {"type": "CNAME", "name": "www", "content": "d1.cloudfront.net", "proxied": True})
    api.ok("POST", path, {"type": "CNAME", "name": "img", "content": "d2.cloudfront.net"})
    api.ok("POST", path, {"type": "TXT", "name": "_www", "content": "d1.cloudfront.net"})
    api.ok("POST", path, {"type": "A", "name": "origin", "content": "192.0.2.7"})

    def names(**query):
        return sorted(r["name"] for r in api.records(zone_id, **query))

    assert names(type="CNAME") == ["img.example.com", "www.example.com"]
    assert names(type="CNAME", proxied="false") == ["img.example.com"]
    assert names(content="D1.cloudfront.net") == ["_www.example.com", "www.example.com"]
    assert names(**{"content.exact": "d1.cloudfront.net", "type": "TXT"}) == ["_www.example.com"]
    assert names(**{"name.endswith": "w.example.com"}) == ["_www.example.com", "www.example.com"]
    assert names(**{"name.contains": "orig"}) == ["origin.example.com"]
    assert names(name="www") == []  # the filter is on the full name, as in the real API
    assert names(type="A", name="img.example.com", match="any") == ["img.example.com", "origin.example.com"]
    status, unused, envelope = api.call("GET", path, query={"match": "some"})
    assert_error(status, envelope, 400)


def test_zone_lifecycle_and_unknown_ids(api):
    zone = api.zone()
    status, unused, envelope = api.call("POST", "/zones", {"name": "EXAMPLE.com.", "type": "full"})
    assert_error(status, envelope, 400, 1061)
    status, unused, envelope = api.call("POST", "/zones", {"name": "example.net", "account": {"id": "f" * 32}})
    assert_error(status, envelope, 403)
    status, unused, envelope = api.call("POST", "/zones", {"name": "not a domain"})
    assert_error(status, envelope, 400)

    missing_zone, missing_record = "0" * 32, "1" * 32
    for method, path in (
        ("GET", "/zones/%s" % missing_zone),
        ("DELETE", "/zones/%s" % missing_zone),
        ("GET", "/zones/%s/dns_records" % missing_zone),
        ("POST", "/zones/%s/dns_records" % missing_zone),
        ("GET", "/zones/%s/dns_records/%s" % (zone["id"], missing_record)),
        ("PATCH", "/zones/%s/dns_records/%s" % (zone["id"], missing_record)),
        ("PUT", "/zones/%s/dns_records/%s" % (zone["id"], missing_record)),
        ("DELETE", "/zones/%s/dns_records/%s" % (zone["id"], missing_record)),
    ):
        body = {"type": "A", "name": "x", "content": "192.0.2.1"} if method in ("POST", "PATCH", "PUT") else None
        status, unused, envelope = api.call(method, path, body)
        assert_error(status, envelope, 404)
    assert api.call("GET", "/zones/%s/dns_records/%s" % (zone["id"], missing_record))[2]["errors"][0]["code"] == 81044
    assert api.call("GET", "/zones/%s" % missing_zone)[2]["errors"][0]["code"] == 7003

    api.ok("POST", "/zones/%s/dns_records" % zone["id"], {"type": "A", "name": "www", "content": "192.0.2.1"})
    assert api.ok("DELETE", "/zones/%s" % zone["id"]) == {"id": zone["id"]}
    assert api.ok("GET", "/zones") == []
    status, unused, envelope = api.call("GET", "/zones/%s/dns_records" % zone["id"])
    assert_error(status, envelope, 404)


def test_throttle_gives_429_with_retry_after_and_has_no_effect(api, cf_sandbox):
    zone_id = api.zone()["id"]
    path = "/zones/%s/dns_records" % zone_id
    since = cf_sandbox.log_length()
    cf_sandbox.faults.configure(throttle=1.0)

    status, headers, envelope = api.call("POST", path, {"type": "A", "name": "www", "content": "192.0.2.1"})
    assert_error(status, envelope, 429, 971)
    assert headers["Retry-After"] == "1"
    status, unused, envelope = api.call("POST", "/zones", {"name": "throttled.example"}, token="wrong")
    assert status == 429  # faults are decided before anything else, authentication included

    cf_sandbox.faults.off()
    assert api.records(zone_id) == []
    assert [z["name"] for z in api.ok("GET", "/zones")] == ["example.com"]
    entries = cf_sandbox.log_entries(since)
    assert [(e["operation"], e["status"], e["mutating"], e.get("fault")) for e in entries[:2]] == [
        ("CreateDnsRecord", 429, True, True),
        ("CreateZone", 429, True, True),
    ]


def test_rate_limit_allows_a_quota_per_window_then_429_until_the_window_refills(api, cf_sandbox):
    """Cloudflare API, "Rate limits" (https://developers.cloudflare.com/fundamentals/api/reference/limits/): "The
    global rate limit for the Cloudflare API is 1,200 requests per five minute period per user"; beyond it "all API
    calls ... will be blocked, receiving a HTTP 429", and "retry-after: The number of seconds, rounded up, until
    more capacity is available." Here 4 requests per 2 seconds."""
    zone_id = api.zone()["id"]  # before the limit is set: it does not count
    path = "/zones/%s/dns_records" % zone_id
    cf_sandbox.faults.configure(cloudflare_quota=4, cloudflare_window=2)
    started = time.monotonic()
    assert cf_sandbox.faults.settings()["cloudflare_quota"] == 4
    for n in range(4):
        api.ok("POST", path, {"type": "A", "name": "h%d" % n, "content": "192.0.2.%d" % (n + 1)})

    refused = []
    while time.monotonic() - started < 1.5:
        status, headers, envelope = api.call("POST", path, {"type": "A", "name": "late", "content": "192.0.2.99"})
        assert_error(status, envelope, 429, 971)
        refused.append(headers["Retry-After"])
        time.sleep(0.3)
    # Whole seconds, never more than the window, counting down to its end.
    assert all(re.match(r"^[12]$", value) for value in refused), refused
    assert refused[-1] == "1"

    time.sleep(max(0.0, 2.1 - (time.monotonic() - started)))
    api.ok("POST", path, {"type": "A", "name": "after", "content": "192.0.2.100"})  # a new window
    cf_sandbox.faults.off()
    assert sorted(r["name"] for r in api.records(zone_id)) == [
        "after.example.com", "h0.example.com", "h1.example.com", "h2.example.com", "h3.example.com"]
    assert "cloudflare_quota" not in cf_sandbox.faults.settings()


def test_rate_limit_needs_a_quota_and_a_positive_window(cf_sandbox):
    for quota, window in ((None, 10), (5, 0), (-1, 10)):
        with pytest.raises(ValueError):
            cf_sandbox.faults.configure(cloudflare_quota=quota, cloudflare_window=window)


def test_server_error_gives_502_and_has_no_effect(api, cf_sandbox):
    zone = api.zone()
    record = api.ok("POST", "/zones/%s/dns_records" % zone["id"], {"type": "A", "name": "www", "content": "192.0.2.1"})
    url = "/zones/%s/dns_records/%s" % (zone["id"], record["id"])
    cf_sandbox.faults.configure(server_errors=1.0)
    for method, body in (("DELETE", None), ("PATCH", {"content": "192.0.2.2"}), ("GET", None)):
        status, headers, envelope = api.call(method, url, body)
        assert_error(status, envelope, 502)
        assert "Retry-After" not in headers
    cf_sandbox.faults.off()
    assert api.ok("GET", url)["content"] == "192.0.2.1"
    assert api.ok("GET", url)["modified_on"] == record["modified_on"]


def test_request_log_has_one_line_per_request(api, cf_sandbox):
    since = cf_sandbox.log_length()
    zone = api.zone()
    path = "/zones/%s/dns_records" % zone["id"]
    record = api.ok("POST", path, {"type": "A", "name": "www", "content": "192.0.2.1"})
    url = "%s/%s" % (path, record["id"])
    api.call("POST", path, {"type": "A", "name": "www", "content": "192.0.2.1"})  # duplicate: 400
    api.ok("GET", "/zones", query={"name": "example.com"})
    api.ok("GET", "/zones/%s" % zone["id"])
    api.ok("GET", path)
    api.ok("GET", url)
    api.ok("PATCH", url, {"ttl": 300})
    api.ok("PUT", url, {"type": "A", "name": "www", "content": "192.0.2.2"})
    api.call("GET", path, token="wrong")
    api.call("GET", "/nothing/here")
    api.call("POST", "/zones/%s" % zone["id"], {})
    api.ok("DELETE", url)
    api.ok("DELETE", "/zones/%s" % zone["id"])
    cf_sandbox.faults.configure(server_errors=1.0)
    api.call("GET", "/zones")
    cf_sandbox.faults.off()

    entries = cf_sandbox.log_entries(since)
    assert [(e["operation"], e["status"], e["mutating"]) for e in entries] == [
        ("CreateZone", 200, True),
        ("CreateDnsRecord", 200, True),
        ("CreateDnsRecord", 400, True),
        ("ListZones", 200, False),
        ("GetZone", 200, False),
        ("ListDnsRecords", 200, False),
        ("GetDnsRecord", 200, False),
        ("PatchDnsRecord", 200, True),
        ("UpdateDnsRecord", 200, True),
        ("ListDnsRecords", 403, False),
        ("Unknown", 404, False),
        ("Unknown", 405, True),
        ("DeleteDnsRecord", 200, True),
        ("DeleteZone", 200, True),
        ("ListZones", 502, False),
    ]
    for entry in entries:
        assert entry["service"] == "cloudflare"
        assert entry["account"] == cf_sandbox.account_id
        assert isinstance(entry["t"], float)
    assert [e.get("fault") for e in entries] == [None] * 14 + [True]


def test_token_never_appears_in_responses_or_log(api, cf_sandbox):
    token = cf_sandbox.api_token
    zone = api.zone()
    path = "/zones/%s/dns_records" % zone["id"]
    api.ok("POST", path, {"type": "TXT", "name": "t", "content": "hello"})
    api.call("POST", path, {"type": "TXT", "name": "t", "content": "hello"})
    api.call("GET", path, token=token + "-wrong")
    api.call("GET", path, token="Bearer " + token)
    api.call("GET", "/zones/" + token)
    api.call("GET", "/zones/%s/dns_records/%s" % (zone["id"], token))
    api.call("POST", path, {"type": "TXT", "name": "x.example.org", "content": "x"})
    cf_sandbox.faults.configure(throttle=1.0)
    api.call("GET", path)
    cf_sandbox.faults.off()

    assert len(api.seen) == 9
    for status, headers, body in api.seen:
        assert token not in body
        assert all(token not in str(value) for value in headers.values())
    with open(cf_sandbox.log_path, encoding="utf-8") as fh:
        assert token not in fh.read()
