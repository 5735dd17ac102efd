"""The sandbox's Google Cloud DNS part, driven by the official ``google-cloud-dns`` client and by raw HTTP.

If the official client, pointed at the sandbox with ``client_options={"api_endpoint": base_url}``, works
unchanged, the collection's Cloud DNS code is tested against the shapes it meets at Google. Raw HTTP checks
what the client hides (statuses, the error JSON, paging tokens) and the request log; dnspython checks that the
sandbox DNS serves what the API holds.

The behaviours follow Google's documents:

* "Method: changes.create", https://cloud.google.com/dns/docs/reference/rest/v1/changes/create - a change
  "atomically updates the ResourceRecordSet collection"; its additions and deletions are ResourceRecordSets.
* "Add, modify, and delete records", https://cloud.google.com/dns/records - a transaction "either succeeds
  or fails, so your data is never left in an intermediate state"; a record set is removed by giving its
  name, type, TTL and data (gcloud ... transaction remove --name --ttl --type RRDATAS).
* "Error messages" (Cloud DNS), https://cloud.google.com/dns/docs/error-messages - ``preconditionFailed``: a
  change that tries to delete a record set that does not match the existing one is refused (read the zone
  again and decide); ``alreadyExists``: a record set that exists cannot be created again.
* "Method: resourceRecordSets.list", https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets/list
  - ``name`` and ``type`` filters ("If present, the name parameter must also be present"), ``maxResults``,
  ``pageToken`` and ``nextPageToken``; "Method: managedZones.list",
  https://cloud.google.com/dns/docs/reference/rest/v1/managedZones/list - the same paging, ``dnsName``.
* "Method: changes.get", https://cloud.google.com/dns/docs/reference/rest/v1/changes/get - a change's
  ``status`` is ``pending`` or ``done``.
* "Standard Error Responses" (Google APIs, global domain), e.g.
  https://developers.google.com/civic-information/docs/v2/standard_errors - the error JSON
  ``{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}``; 401 ``required``/``authError``,
  403 ``forbidden``, 404 ``notFound``, 409 ``alreadyExists``, 412 ``conditionNotMet``, 429 ``rateLimitExceeded``
  (domain ``usageLimits``).
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import dns.message
import dns.query
import dns.rdatatype
import pytest
from google.api_core import exceptions as gexc
from google.auth import exceptions as google_auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import dns as gdns
from google.oauth2.credentials import Credentials

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def official_client(sandbox, token=None, project=None, credentials=None):
    g = sandbox.endpoints["google"]
    return gdns.Client(project=project or g["project"],
                       credentials=credentials or Credentials(token=token or g["token"]),
                       client_options={"api_endpoint": g["base_url"]})


def raw(sandbox, method, path, body=None, query=None, token=None, project=None):
    """(status, headers, JSON) of one raw request under /dns/v1/projects/<project>."""
    g = sandbox.endpoints["google"]
    url = "%s/dns/v1/projects/%s%s" % (g["base_url"], project or g["project"], path)
    if query:
        url += "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    token = g["token"] if token is None else token
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def dns_answer(sandbox, name, rdtype):
    message = dns.message.make_query(name, rdtype)
    response = dns.query.udp(message, sandbox.endpoints["dns"]["host"], port=sandbox.endpoints["dns"]["port"],
                             timeout=5)
    return sorted(r.to_text() for rrset in response.answer if rrset.rdtype == dns.rdatatype.from_text(rdtype)
                  for r in rrset)


def assert_error_shape(body, code, reason):
    error = body["error"]
    assert error["code"] == code, body
    assert isinstance(error["message"], str) and error["message"], body
    assert error["errors"][0]["reason"] == reason, body
    assert set(error["errors"][0]) >= {"domain", "reason", "message"}, body


@pytest.fixture()
def google(sandbox):
    """The google scenario: www.example.com. CNAME to the holder, in managed zone example-com."""
    return sandbox.scenario("google")


def test_endpoints_json_and_the_scenario_from_the_command_line(sandbox):
    g = sandbox.endpoints["google"]
    assert set(g) == {"base_url", "project", "token"}
    assert g["base_url"].startswith("http://127.0.0.1:") and not g["base_url"].endswith("/")
    assert g["project"] and g["token"]
    done = subprocess.run([sys.executable, "-m", "sandbox", "scenario", "google", "--state-dir", sandbox.state_dir],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    summary = json.loads(done.stdout)
    assert summary["scenario"] == "google" and summary["alias"] == "www.example.com"
    assert {k: summary["dns"][k] for k in ("provider", "zone", "managed_zone", "project", "type")} == {
        "provider": "google", "zone": "example.com", "managed_zone": "example-com", "project": g["project"],
        "type": "CNAME"}
    assert summary["error"]["status"] == 409 and summary["error"]["code"] == "CNAMEAlreadyExists"


def test_the_official_client_lists_zones_and_record_sets(sandbox, google):
    client = official_client(sandbox)
    zones = list(client.list_zones())
    assert [(z.name, z.dns_name) for z in zones] == [("example-com", "example.com.")]
    zone = zones[0]
    assert zone.zone_id == google["dns"]["zone_id"]
    assert len(zone.name_servers) == 4
    sets = {(r.name, r.record_type): r for r in zone.list_resource_record_sets()}
    assert set(sets) == {("example.com.", "SOA"), ("example.com.", "NS"), ("www.example.com.", "CNAME")}
    www = sets[("www.example.com.", "CNAME")]
    assert (www.ttl, www.rrdatas) == (300, [google["holder"]["domain_name"] + "."])
    # The scenario's 409 is the runbook's: the name reaches the holder through the sandbox DNS.
    assert google["error"]["code"] == "CNAMEAlreadyExists"
    assert dns_answer(sandbox, "www.example.com", "CNAME") == [google["holder"]["domain_name"] + "."]
    assert dns_answer(sandbox, "example.com", "NS") == sorted(zone.name_servers)


def test_a_change_deletes_and_adds_in_one_step_is_pending_then_done_and_the_dns_serves_it(sandbox, google):
    client = official_client(sandbox)
    zone = client.zone("example-com", "example.com.")
    old = [r for r in zone.list_resource_record_sets() if r.record_type == "CNAME"][0]
    target = google["target_domain_name"] + "."
    change = zone.changes()
    change.delete_record_set(old)
    change.add_record_set(zone.resource_record_set("www.example.com.", "CNAME", 60, [target]))
    mark = sandbox.log_mark()
    change.create()
    assert change.status == "pending" and change.name
    deadline = time.time() + 10
    while change.status != "done" and time.time() < deadline:
        time.sleep(0.1)
        change.reload()
    assert change.status == "done"
    assert [(r.name, r.ttl, r.rrdatas) for r in change.additions] == [("www.example.com.", 60, [target])]
    assert [(r.name, r.ttl, r.rrdatas) for r in change.deletions] == [("www.example.com.", 300, old.rrdatas)]
    assert dns_answer(sandbox, "www.example.com", "CNAME") == [target]
    logged = sandbox.requests_since(mark)
    assert [(e["service"], e["operation"], e["mutating"], e["status"]) for e in logged][0] == (
        "google", "changes.create", True, 200)
    assert all(e["operation"] == "changes.get" and not e["mutating"] for e in logged[1:])
    assert logged[0]["account"] == sandbox.endpoints["google"]["project"]


def test_a_stale_deletion_is_refused_whole_and_nothing_changes(sandbox, google):
    client = official_client(sandbox)
    zone = client.zone("example-com", "example.com.")
    holder = google["holder"]["domain_name"] + "."
    for ttl, rrdatas, status, reason in ((60, [holder], 412, "conditionNotMet"),          # the TTL differs
                                         (300, ["other.example.net."], 412, "conditionNotMet")):  # the data differs
        mark = sandbox.log_mark()
        status_seen, unused, body = raw(sandbox, "POST", "/managedZones/example-com/changes", {
            "deletions": [{"name": "www.example.com.", "type": "CNAME", "ttl": ttl, "rrdatas": rrdatas}],
            "additions": [{"name": "www.example.com.", "type": "CNAME", "ttl": 300, "rrdatas": ["new.example.net."]},
                          {"name": "api.example.com.", "type": "A", "ttl": 300, "rrdatas": ["192.0.2.1"]}]})
        assert status_seen == status
        assert_error_shape(body, status, reason)
        assert "deletions[0]" in body["error"]["message"]
        assert [e["status"] for e in sandbox.requests_since(mark)] == [status]
    # Nothing of either change was made: not the addition elsewhere in the zone either.
    sets = sorted((r.name, r.record_type, r.ttl, tuple(r.rrdatas)) for r in zone.list_resource_record_sets())
    assert ("www.example.com.", "CNAME", 300, (holder,)) in sets
    assert not [s for s in sets if s[0] == "api.example.com."]
    # A deletion of a set that is not there is 404; an addition of one that is, 409 - through the client too.
    change = zone.changes()
    change.delete_record_set(zone.resource_record_set("gone.example.com.", "A", 300, ["192.0.2.9"]))
    with pytest.raises(gexc.NotFound):
        change.create()
    change = zone.changes()
    change.add_record_set(zone.resource_record_set("www.example.com.", "CNAME", 300, ["x.example.net."]))
    with pytest.raises(gexc.Conflict):
        change.create()
    # A CNAME never shares its name with another type.
    status, unused, body = raw(sandbox, "POST", "/managedZones/example-com/changes", {
        "additions": [{"name": "www.example.com.", "type": "TXT", "ttl": 300, "rrdatas": ['"hello"']}]})
    assert status == 400 and body["error"]["errors"][0]["reason"] == "cnameResourceRecordSetConflict"
    assert dns_answer(sandbox, "www.example.com", "CNAME") == [holder]


def test_record_sets_filter_by_name_and_type_and_page_with_tokens(sandbox, google):
    additions = [{"name": "n%02d.example.com." % i, "type": "A", "ttl": 300, "rrdatas": ["192.0.2.%d" % i]}
                 for i in range(1, 8)]
    assert raw(sandbox, "POST", "/managedZones/example-com/changes", {"additions": additions})[0] == 200
    seen, token, pages = [], None, 0
    while True:
        query = {"maxResults": 3}
        if token:
            query["pageToken"] = token
        status, unused, body = raw(sandbox, "GET", "/managedZones/example-com/rrsets", query=query)
        assert status == 200 and body["kind"] == "dns#resourceRecordSetsListResponse"
        assert len(body["rrsets"]) <= 3
        seen.extend((r["name"], r["type"]) for r in body["rrsets"])
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            break
    assert pages == 4 and len(seen) == len(set(seen)) == 10  # SOA, NS, the CNAME and 7 A sets
    status, unused, body = raw(sandbox, "GET", "/managedZones/example-com/rrsets",
                               query={"name": "n03.example.com.", "type": "A"})
    assert [(r["name"], r["rrdatas"]) for r in body["rrsets"]] == [("n03.example.com.", ["192.0.2.3"])]
    status, unused, body = raw(sandbox, "GET", "/managedZones/example-com/rrsets", query={"type": "A"})
    assert status == 400 and body["error"]["errors"][0]["reason"] == "invalid"
    # The official client reads the token and goes on from it.
    zone = official_client(sandbox).zone("example-com", "example.com.")
    first = zone.list_resource_record_sets(max_results=2)
    head = [(r.name, r.record_type) for r in first]
    assert len(head) == 2 and first.next_page_token
    rest = [(r.name, r.record_type) for r in zone.list_resource_record_sets(page_token=first.next_page_token)]
    assert sorted(head + rest) == sorted(seen)


def test_401_403_404_have_google_error_shapes(sandbox, google):
    status, headers, body = raw(sandbox, "GET", "/managedZones", token="")
    assert status == 401 and "Bearer" in headers.get("WWW-Authenticate", "")
    assert_error_shape(body, 401, "required")
    status, unused, body = raw(sandbox, "GET", "/managedZones", token="not-the-token")
    assert_error_shape(body, 401, "authError")
    # The client's session answers a 401 by refreshing its credentials, which anonymous ones cannot do.
    mark = sandbox.log_mark()
    with pytest.raises(google_auth_exceptions.InvalidOperation):
        list(official_client(sandbox, credentials=AnonymousCredentials()).list_zones())
    assert [(e["operation"], e["status"]) for e in sandbox.requests_since(mark)] == [("managedZones.list", 401)]
    status, unused, body = raw(sandbox, "GET", "/managedZones", project="someone-elses-project")
    assert_error_shape(body, 403, "forbidden")
    with pytest.raises(gexc.Forbidden):
        list(official_client(sandbox, project="someone-elses-project").list_zones())
    status, unused, body = raw(sandbox, "GET", "/managedZones/no-such-zone/rrsets")
    assert_error_shape(body, 404, "notFound")
    assert "no-such-zone" in body["error"]["message"]
    status, unused, body = raw(sandbox, "GET", "/managedZones/example-com/changes/999")
    assert_error_shape(body, 404, "notFound")
    # A zone is found by its id as well as by its name.
    status, unused, body = raw(sandbox, "GET", "/managedZones/%s" % google["dns"]["zone_id"])
    assert status == 200 and body["name"] == "example-com"
    # The token never comes back in an answer.
    assert sandbox.endpoints["google"]["token"] not in json.dumps(body)


def test_429_rate_limit_exceeded_under_faults_changes_nothing(sandbox, google):
    sandbox.faults(throttle=1.0, seed=3)
    try:
        mark = sandbox.log_mark()
        status, unused, body = raw(sandbox, "POST", "/managedZones/example-com/changes", {
            "additions": [{"name": "api.example.com.", "type": "A", "ttl": 300, "rrdatas": ["192.0.2.1"]}]})
        assert status == 429
        assert_error_shape(body, 429, "rateLimitExceeded")
        assert body["error"]["errors"][0]["domain"] == "usageLimits"
        with pytest.raises(gexc.TooManyRequests):
            list(official_client(sandbox).list_zones())
        logged = sandbox.requests_since(mark)
        assert [(e["service"], e["status"], e.get("fault")) for e in logged] == [("google", 429, True)] * 2
    finally:
        sandbox.faults(off=True)
    names = [r["name"] for r in raw(sandbox, "GET", "/managedZones/example-com/rrsets")[2]["rrsets"]]
    assert "api.example.com." not in names


def test_reset_empties_the_project_and_zones_can_be_created_and_deleted(sandbox, google):
    sandbox.reset()
    assert list(official_client(sandbox).list_zones()) == []
    client = official_client(sandbox)
    zone = client.zone("other-zone", "other.example.", description="made by the client")
    zone.create()
    assert zone.exists() and zone.zone_id
    status, unused, body = raw(sandbox, "POST", "/managedZones", {"name": "other-zone", "dnsName": "other.example.",
                                                                  "description": ""})
    assert_error_shape(body, 409, "alreadyExists")
    assert dns_answer(sandbox, "other.example", "NS") == sorted(zone.name_servers)
    zone.delete()
    assert not zone.exists()


def collection_google():
    from conftest import collections_path

    if collections_path() not in sys.path:
        sys.path.insert(0, collections_path())
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils import _records
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import base as _provider
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import google as _google

    return _google, _provider, _records


def test_the_collections_client_reads_swaps_waits_and_is_refused_on_stale_data(sandbox, google):
    """plugins/module_utils/_dns/google.py against the sandbox: the compare-and-swap is one change; a record changed by
    someone else between read and write makes Cloud DNS refuse it whole."""
    _google, _provider, _records = collection_google()
    g = sandbox.endpoints["google"]
    provider = _google.build(g["project"], access_token=g["token"], base_url=g["base_url"])
    zone = provider.find_zone("example.com")
    assert (zone.id, provider.zone_for_name("www.example.com").id) == ("example-com", "example-com")
    holder, target = google["holder"]["domain_name"], google["target_domain_name"]
    before = provider.read(zone, ["www.example.com"])["www.example.com"]
    assert [(r.type, r.ttl, r.values) for r in before] == [("CNAME", 300, (holder,))]

    # Someone else changes the record (the official client) after it was read: the write is refused, nothing changes.
    other = official_client(sandbox).zone("example-com", "example.com.")
    edit = other.changes()
    edit.delete_record_set(other.resource_record_set("www.example.com.", "CNAME", 300, [holder + "."]))
    edit.add_record_set(other.resource_record_set("www.example.com.", "CNAME", 120, [holder + "."]))
    edit.create()
    after = [_records.RecordSet("www.example.com", "CNAME", 60, [target])]
    stale = _provider.Change("www.example.com", before, after)
    mark = sandbox.log_mark()
    with pytest.raises(_provider.ConcurrentChange) as caught:
        provider.apply(zone, [stale])
    assert "conditionNotMet" in str(caught.value) and not stale.applied
    assert [(e["operation"], e["status"]) for e in sandbox.mutating_since(mark)] == [("changes.create", 412)]
    assert dns_answer(sandbox, "www.example.com", "CNAME") == [holder + "."]

    # Read again and swap, with throttling on: the 429s are retried, the change is made once and waited for.
    before = provider.read(zone, ["www.example.com"])["www.example.com"]
    sandbox.faults(throttle=0.4, seed=1)  # seed 1: the first request is throttled, the next two are not
    try:
        mark = sandbox.log_mark()
        change = _provider.Change("www.example.com", before, after)
        token = provider.apply(zone, [change])
        assert change.applied and token
        assert provider.wait_applied(zone, token, 20) is True
    finally:
        sandbox.faults(off=True)
    writes = [(e["operation"], e["status"]) for e in sandbox.mutating_since(mark)]
    assert writes.count(("changes.create", 200)) == 1 and set(writes) <= {("changes.create", 200),
                                                                          ("changes.create", 429)}
    assert any(e["status"] == 429 for e in sandbox.requests_since(mark)), "the faults threw no 429 to retry"
    assert dns_answer(sandbox, "www.example.com", "CNAME") == [target + "."]
