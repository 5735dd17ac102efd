"""The sandbox's Cloudflare batch endpoint, ``POST /zones/{zone_id}/dns_records/batch``.

Follows Cloudflare's API reference, "Batch DNS Records"
(https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/batch/):
the operations "are always executed in the following order: Deletes, Patches, Puts, Posts",
and Cloudflare "will execute the batched operations in a single database transaction"
(so a batch that fails anywhere changes nothing); and the DNS guide "Batch record changes"
(https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/): up to
200 records per batch on the Free plan (3,500 on the others).

The official SDK's ``dns.records.batch`` drives it unchanged, as it would the real API.
"""

import cloudflare
import pytest

try:
    from . import _cf_server  # when tests/sandbox is a package
except ImportError:
    import _cf_server

cf_sandbox = _cf_server.cf_sandbox  # the fixture


@pytest.fixture
def sdk(cf_sandbox):
    client = cloudflare.Cloudflare(api_token=cf_sandbox.api_token, base_url=cf_sandbox.base_url, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def zone(sdk, cf_sandbox):
    return sdk.zones.create(name="example.com", account={"id": cf_sandbox.account_id}, type="full")


def records(sdk, zone, name):
    return sorted((r.type, r.content) for r in sdk.dns.records.list(zone_id=zone.id, name={"exact": name}))


def test_a_type_change_in_one_batch_never_leaves_the_name_empty(sdk, zone, cf_sandbox):
    # A CNAME cannot sit beside A records: the deletes run first, so the post may take the name.
    first = sdk.dns.records.create(zone_id=zone.id, name="www", type="A", content="192.0.2.1", ttl=300)
    second = sdk.dns.records.create(zone_id=zone.id, name="www", type="A", content="192.0.2.2", ttl=300)
    since = cf_sandbox.log_length()

    result = sdk.dns.records.batch(
        zone_id=zone.id, deletes=[{"id": first.id}, {"id": second.id}],
        posts=[{"type": "CNAME", "name": "www.example.com", "content": "d111.cloudfront.net", "ttl": 300}])

    logged = cf_sandbox.log_entries(since)
    assert [(e["operation"], e["mutating"], e["status"]) for e in logged] == [("BatchDnsRecords", True, 200)]
    assert sorted(r.content for r in result.deletes) == ["192.0.2.1", "192.0.2.2"]
    assert [(r.type, r.content) for r in result.posts] == [("CNAME", "d111.cloudfront.net")]
    assert records(sdk, zone, "www.example.com") == [("CNAME", "d111.cloudfront.net")]


def test_patches_and_puts_keep_the_record_id(sdk, zone):
    cname = sdk.dns.records.create(zone_id=zone.id, name="cdn", type="CNAME", content="d111.cloudfront.net",
                                   ttl=300, comment="owned by E111")
    txt = sdk.dns.records.create(zone_id=zone.id, name="_cdn", type="TXT", content="old")

    result = sdk.dns.records.batch(
        zone_id=zone.id,
        patches=[{"id": cname.id, "content": "d222.cloudfront.net"}],
        puts=[{"id": txt.id, "type": "TXT", "name": "_cdn.example.com", "content": "new", "ttl": 120}])

    patched, put = result.patches[0], result.puts[0]
    # PATCH merges (the comment stays); PUT replaces.
    assert (patched.id, patched.content, patched.ttl, patched.comment) == (
        cname.id, "d222.cloudfront.net", 300, "owned by E111")
    assert (put.id, put.content, put.ttl) == (txt.id, "new", 120)


def test_one_bad_operation_changes_nothing(sdk, zone, cf_sandbox):
    keep = sdk.dns.records.create(zone_id=zone.id, name="www", type="A", content="192.0.2.1")
    sdk.dns.records.create(zone_id=zone.id, name="api", type="A", content="192.0.2.9")

    # The delete and the first post are fine; the second post puts a CNAME beside api's A record.
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.dns.records.batch(
            zone_id=zone.id, deletes=[{"id": keep.id}],
            posts=[{"type": "CNAME", "name": "www.example.com", "content": "d111.cloudfront.net"},
                   {"type": "CNAME", "name": "api.example.com", "content": "d111.cloudfront.net"}])

    assert caught.value.status_code == 400
    assert "posts[1]" in caught.value.body["errors"][0]["message"]
    assert records(sdk, zone, "www.example.com") == [("A", "192.0.2.1")]
    assert records(sdk, zone, "api.example.com") == [("A", "192.0.2.9")]
    assert sdk.dns.records.get(dns_record_id=keep.id, zone_id=zone.id).content == "192.0.2.1"


def test_an_unknown_id_fails_the_whole_batch(sdk, zone):
    sdk.dns.records.create(zone_id=zone.id, name="www", type="A", content="192.0.2.1")
    with pytest.raises(cloudflare.APIStatusError):
        sdk.dns.records.batch(zone_id=zone.id, posts=[{"type": "TXT", "name": "_www", "content": "x"}],
                              deletes=[{"id": "0" * 32}])
    assert records(sdk, zone, "_www.example.com") == []


def test_a_batch_is_limited_to_the_plans_record_count(sdk, zone):
    posts = [{"type": "TXT", "name": "t%d" % i, "content": "v"} for i in range(201)]
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.dns.records.batch(zone_id=zone.id, posts=posts)
    assert "200" in caught.value.body["errors"][0]["message"]
    assert list(sdk.dns.records.list(zone_id=zone.id)) == []
    assert len(sdk.dns.records.batch(zone_id=zone.id, posts=posts[:200]).posts) == 200
