# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""_dns/google.py against a fake open_url: the requests it sends (one change whose deletions are exactly what was read),
how it reads Google's errors (stale data, 403, 404, 401), its bounded retries of 429/rateLimitExceeded and 5xx, a lost
answer to a change, and where its access token comes from (a plain token, a service-account key through google-auth
over open_url, google-auth missing)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import sys

import pytest

from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.six.moves.urllib.parse import parse_qs, urlsplit

from ansible_collections.aliasguard.cloudfront.tests.unit.plugins.module_utils.fakes import Clock, JsonResponse  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import google as _google
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import (
    Change,
    ConcurrentChange,
    DnsError,
    Zone,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import RecordSet

BASE = "http://clouddns.invalid"
PREFIX = BASE + "/dns/v1/projects/my-project"
OLD = {"kind": "dns#resourceRecordSet", "name": "www.example.com.", "type": "CNAME", "ttl": 300,
       "rrdatas": ["d111.cloudfront.net."]}
ZONE = {"kind": "dns#managedZone", "name": "example-com", "dnsName": "example.com.", "id": "42", "visibility": "public"}


def error(status, reason, message="", domain="global"):
    return (status, {"error": {"code": status, "message": message or reason,
                               "errors": [{"domain": domain, "reason": reason, "message": message or reason}]}})


class Api:
    """Stands in for open_url: each call takes the next answer (a dict is a 200, a (status, body) pair an error)
    and is kept as (method, path, query, body, headers)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, data=None, headers=None, method="GET", **unused):
        parts = urlsplit(url)
        body = json.loads(data) if data and parts.netloc == "clouddns.invalid" else data
        self.calls.append((method, parts.path.replace("/dns/v1/projects/my-project", ""),
                           dict((k, v[0]) for k, v in parse_qs(parts.query).items()), body, dict(headers or {})))
        answer = self.answers.pop(0)
        if isinstance(answer, tuple):
            status, payload = answer
            raise HTTPError(url, status, "error", {}, io.BytesIO(json.dumps(payload).encode()))
        return JsonResponse(answer)


def provider(monkeypatch, api, max_wait=300, managed_zone=None):
    monkeypatch.setattr(_google, "open_url", api)
    clock = Clock()
    monkeypatch.setattr(_google.time, "time", clock)
    made = _google.build("my-project", access_token="token-1", base_url=BASE, managed_zone=managed_zone,
                         max_wait=max_wait)
    made.client.sleep, made.client.clock = clock.sleep, clock
    made.client.deadline = clock() + max_wait
    return made, clock


ZONE_OBJ = Zone("example.com", "example-com", {"id": "42"})


def repoint(new_value="d222.cloudfront.net", ttl=60):
    before = [RecordSet("www.example.com", "CNAME", 300, ["d111.cloudfront.net"], ref=dict(OLD))]
    return Change("www.example.com", before, [RecordSet("www.example.com", "CNAME", ttl, [new_value])])


# --- requests ------------------------------------------------------------------------------------------------------


def test_read_asks_by_name_sends_the_token_and_turns_sets_into_record_sets(monkeypatch):
    api = Api({"rrsets": [OLD, dict(OLD, type="TXT", rrdatas=['"v=1 \\"x\\""'])], "nextPageToken": "p2"},
              {"rrsets": []})
    dns, unused = provider(monkeypatch, api)
    found = dns.read(ZONE_OBJ, ["www.example.com"])
    assert [(c[0], c[1], c[2]) for c in api.calls] == [
        ("GET", "/managedZones/example-com/rrsets", {"name": "www.example.com.", "maxResults": "1000"}),
        ("GET", "/managedZones/example-com/rrsets", {"name": "www.example.com.", "maxResults": "1000",
                                                     "pageToken": "p2"})]
    assert api.calls[0][4]["Authorization"] == "Bearer token-1"
    sets = sorted(found["www.example.com"], key=lambda r: r.type)
    assert [(r.type, r.ttl, r.values) for r in sets] == [
        ("CNAME", 300, ("d111.cloudfront.net",)), ("TXT", 300, ('v=1 "x"',))]
    assert dns.requests == {"google": 2}


def test_many_names_and_a_whole_zone_are_read_with_one_listing(monkeypatch):
    soa = {"name": "example.com.", "type": "SOA", "ttl": 21600, "rrdatas": ["ns1.example. host. 1 2 3 4 5"]}
    api = Api({"rrsets": [OLD, soa], "nextPageToken": "p2"}, {"rrsets": [dict(OLD, name="api.example.com.")]},
              {"rrsets": [OLD, soa]})
    dns, unused = provider(monkeypatch, api)
    names = ["www.example.com", "api.example.com"] + ["n%d.example.com" % i for i in range(_google.PER_NAME_READ_LIMIT)]
    found = dns.read(ZONE_OBJ, names)
    assert [len(found[n]) for n in names[:3]] == [1, 1, 0]
    assert [c[2] for c in api.calls] == [{"maxResults": "1000"}, {"maxResults": "1000", "pageToken": "p2"}]
    assert sorted((r.name, r.type) for r in dns.read_zone(ZONE_OBJ)) == [("example.com", "SOA"),
                                                                         ("www.example.com", "CNAME")]


def test_apply_is_one_change_whose_deletion_is_exactly_what_was_read(monkeypatch):
    # As read: spelled as the zone holds it (Cloud DNS compares the data exactly), not as the module normalises it.
    live = dict(OLD, name="WWW.example.com.", rrdatas=["D111.CloudFront.net."])
    api = Api({"rrsets": [live]}, {"kind": "dns#change", "id": "7", "status": "pending"})
    dns, unused = provider(monkeypatch, api)
    before = dns.read(ZONE_OBJ, ["www.example.com"])["www.example.com"]
    change = Change("www.example.com", before, [RecordSet("www.example.com", "CNAME", 60, ["d222.cloudfront.net"])])
    assert dns.apply(ZONE_OBJ, [change]) == "7"
    method, path, unused, body, headers = api.calls[1]
    assert headers["Content-Type"] == "application/json"
    assert (method, path) == ("POST", "/managedZones/example-com/changes")
    assert body == {"deletions": [{"name": "WWW.example.com.", "type": "CNAME", "ttl": 300,
                                   "rrdatas": ["D111.CloudFront.net."]}],
                    "additions": [{"name": "www.example.com.", "type": "CNAME", "ttl": 60,
                                   "rrdatas": ["d222.cloudfront.net."]}]}
    assert change.applied


def test_nothing_to_change_sends_nothing(monkeypatch):
    api = Api()
    dns, unused = provider(monkeypatch, api)
    same = [RecordSet("www.example.com", "CNAME", 300, ["d111.cloudfront.net"], ref=dict(OLD))]
    assert dns.apply(ZONE_OBJ, [Change("www.example.com", same, same)]) is None
    assert api.calls == []


@pytest.mark.parametrize("answer", [error(412, "conditionNotMet", "Precondition not met for 'entity.change.deletions[0]'"),
                                    error(404, "notFound", "The 'entity.change.deletions[0]' resource named "
                                                           "'www.example.com. (CNAME)' does not exist."),
                                    error(409, "alreadyExists", "The resource 'entity.change.additions[0]' named "
                                                                "'www.example.com. (CNAME)' already exists")])
def test_a_change_refused_for_stale_data_is_a_concurrent_change_and_is_not_sent_again(monkeypatch, answer):
    api = Api(answer)
    dns, unused = provider(monkeypatch, api)
    change = repoint()
    with pytest.raises(ConcurrentChange) as caught:
        dns.apply(ZONE_OBJ, [change])
    assert "nothing in it was changed" in str(caught.value) and answer[1]["error"]["errors"][0]["reason"] in str(
        caught.value)
    assert len(api.calls) == 1 and not change.applied


def test_a_change_refused_for_another_reason_says_running_again_will_not_help(monkeypatch):
    api = Api(error(400, "invalid", "Invalid value for 'entity.change.additions[0].name'"))
    dns, unused = provider(monkeypatch, api)
    with pytest.raises(DnsError) as caught:
        dns.apply(ZONE_OBJ, [repoint()])
    assert not isinstance(caught.value, ConcurrentChange)
    assert "Running again will not help" in str(caught.value) and "additions[0].name" in str(caught.value)


def test_wait_applied_polls_the_change_until_done(monkeypatch):
    api = Api({"status": "pending"}, {"status": "pending"}, {"status": "done"})
    dns, clock = provider(monkeypatch, api)
    assert dns.wait_applied(ZONE_OBJ, "7", 60) is True
    assert [c[1] for c in api.calls] == ["/managedZones/example-com/changes/7"] * 3
    assert clock.sleeps == [0.5, 1.0]


def test_wait_applied_gives_up_at_the_timeout(monkeypatch):
    api = Api(*[{"status": "pending"}] * 10)
    dns, unused = provider(monkeypatch, api)
    assert dns.wait_applied(ZONE_OBJ, "7", 3) is False


# --- zones ---------------------------------------------------------------------------------------------------------


def test_find_zone_by_dns_name(monkeypatch):
    api = Api({"managedZones": [ZONE]})
    dns, unused = provider(monkeypatch, api)
    zone = dns.find_zone("example.com")
    assert (zone.name, zone.id, zone.data["id"]) == ("example.com", "example-com", "42")
    assert api.calls[0][2]["dnsName"] == "example.com."


@pytest.mark.parametrize("zones, code, words", [
    ([], "NoSuchZone", "project my-project has no Cloud DNS managed zone for example.com"),
    ([dict(ZONE, visibility="private")], "PrivateZone", "is private"),
    ([ZONE, dict(ZONE, name="example-com-2", id="43")], "AmbiguousZone", "say which one with managed_zone"),
])
def test_find_zone_says_what_is_wrong(monkeypatch, zones, code, words):
    dns, unused = provider(monkeypatch, Api({"managedZones": zones}))
    with pytest.raises(DnsError) as caught:
        dns.find_zone("example.com")
    assert caught.value.code == code and words in str(caught.value)


def test_a_managed_zone_that_does_not_exist_is_named(monkeypatch):
    dns, unused = provider(monkeypatch, Api(error(404, "notFound")), managed_zone="nope")
    with pytest.raises(DnsError) as caught:
        dns.find_zone("example.com")
    assert caught.value.code == "NoSuchZone" and "managed zone nope" in str(caught.value)


def test_zone_for_name_takes_the_longest_public_zone(monkeypatch):
    zones = [ZONE, dict(ZONE, name="sub", dnsName="sub.example.com.", id="44"),
             dict(ZONE, name="private-www", dnsName="www.sub.example.com.", id="45", visibility="private")]
    dns, unused = provider(monkeypatch, Api({"managedZones": zones}))
    assert dns.zone_for_name("www.sub.example.com").id == "sub"


# --- errors and retries --------------------------------------------------------------------------------------------


def test_an_unknown_project_or_missing_permission_is_a_clear_403(monkeypatch):
    dns, unused = provider(monkeypatch, Api(error(403, "forbidden", "The caller does not have permission")))
    with pytest.raises(DnsError) as caught:
        dns.find_zone("example.com")
    text = str(caught.value)
    assert caught.value.code == "Forbidden"
    assert "HTTP 403, forbidden" in text and "'my-project' is the project id" in text and "roles/dns.admin" in text


def test_a_refused_token_is_not_sent_again_and_says_where_tokens_come_from(monkeypatch):
    api = Api(error(401, "authError", "Request had invalid authentication credentials."))
    dns, unused = provider(monkeypatch, api)
    with pytest.raises(DnsError) as caught:
        dns.read(ZONE_OBJ, ["www.example.com"])
    assert caught.value.code == "Unauthenticated" and "GOOGLE_OAUTH_ACCESS_TOKEN" in str(caught.value)
    assert len(api.calls) == 1


def test_rate_limits_and_server_errors_are_retried_with_growing_waits(monkeypatch):
    api = Api(error(429, "rateLimitExceeded", domain="usageLimits"), error(403, "userRateLimitExceeded"),
              error(503, "backendError"), {"rrsets": [OLD]})
    dns, clock = provider(monkeypatch, api)
    found = dns.read(ZONE_OBJ, ["www.example.com"])
    assert len(found["www.example.com"]) == 1
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_retries_are_bounded(monkeypatch):
    api = Api(*[error(429, "rateLimitExceeded", domain="usageLimits")] * _google.MAX_ATTEMPTS)
    dns, clock = provider(monkeypatch, api, max_wait=10000)
    with pytest.raises(DnsError) as caught:
        dns.read(ZONE_OBJ, ["www.example.com"])
    assert caught.value.code == "Throttled" and "%d times" % _google.MAX_ATTEMPTS in str(caught.value)
    assert len(api.calls) == _google.MAX_ATTEMPTS and len(clock.sleeps) == _google.MAX_ATTEMPTS - 1


def test_a_wait_past_the_deadline_is_not_made(monkeypatch):
    api = Api(error(429, "rateLimitExceeded"), error(429, "rateLimitExceeded"))
    dns, clock = provider(monkeypatch, api, max_wait=1.5)
    with pytest.raises(DnsError) as caught:
        dns.read(ZONE_OBJ, ["www.example.com"])
    assert "wait_timeout" in str(caught.value) and clock.sleeps == [1.0]


def test_a_change_answered_by_a_server_error_is_read_back_and_found_made(monkeypatch):
    made = {"id": "9", "status": "pending", "additions": [{"name": "www.example.com.", "type": "CNAME", "ttl": 60,
                                                           "rrdatas": ["d222.cloudfront.net."]}]}
    api = Api(error(503, "backendError"),
              {"rrsets": [dict(OLD, ttl=60, rrdatas=["d222.cloudfront.net."])]},
              {"changes": [made, {"id": "8", "additions": []}]})
    dns, unused = provider(monkeypatch, api)
    change = repoint()
    assert dns.apply(ZONE_OBJ, [change]) == "9"
    assert [c[0] for c in api.calls] == ["POST", "GET", "GET"]  # never sent twice
    assert change.applied


def test_a_change_answered_by_a_server_error_and_not_made_is_sent_again(monkeypatch):
    api = Api(error(503, "backendError"), {"rrsets": [OLD]}, {"id": "10", "status": "pending"})
    dns, unused = provider(monkeypatch, api)
    assert dns.apply(ZONE_OBJ, [repoint()]) == "10"
    assert [c[0] for c in api.calls] == ["POST", "GET", "POST"]


# --- credentials ---------------------------------------------------------------------------------------------------


def test_missing_credentials_and_options_say_what_to_give():
    with pytest.raises(DnsError) as caught:
        _google.Credentials("accesstoken")
    assert "GOOGLE_OAUTH_ACCESS_TOKEN" in str(caught.value)
    with pytest.raises(DnsError) as caught:
        _google.Credentials("serviceaccount")
    assert "service_account_file" in str(caught.value)
    with pytest.raises(DnsError) as caught:
        _google.Credentials("machine")
    assert "accesstoken, serviceaccount, application" in str(caught.value)
    with pytest.raises(DnsError) as caught:
        _google.GoogleDnsClient(None, _google.Credentials(access_token="t"))
    assert caught.value.code == "NoProject"


def test_without_google_auth_a_key_file_needs_the_library_but_a_token_does_not(monkeypatch):
    for name in ("google.auth", "google.oauth2"):
        monkeypatch.setitem(sys.modules, name, None)  # makes "import google.auth" fail
    with pytest.raises(_google.GoogleAuthMissing) as caught:
        _google.Credentials(service_account_file="/nonexistent.json")
    # ansible-core's missing_required_lib wording, which every collection's modules use, then the way round it.
    assert caught.value.library == "google-auth" and caught.value.code == "MissingLibrary"
    assert str(caught.value).startswith("Failed to import the required Python library (google-auth)")
    assert "auth_kind=serviceaccount" in str(caught.value) and "GOOGLE_OAUTH_ACCESS_TOKEN" in str(caught.value)
    assert _google.Credentials(access_token="plain").token() == "plain"


def test_an_unreadable_key_file_is_a_clear_error(tmp_path):
    path = tmp_path / "key.json"
    path.write_text("{not json")
    with pytest.raises(DnsError) as caught:
        _google.Credentials(service_account_file=str(path))
    assert caught.value.code == "NoCredentials" and str(path) in str(caught.value)


def test_a_service_account_key_gets_its_token_through_open_url(monkeypatch, tmp_path):
    # google-auth and cryptography are test requirements (requirements-dev.txt): no skip when they are missing.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "key.json"
    path.write_text(json.dumps({"type": "service_account", "project_id": "my-project", "private_key_id": "k1",
                                "private_key": pem, "client_email": "dns@my-project.iam.gserviceaccount.com",
                                "client_id": "1", "token_uri": "http://oauth.invalid/token"}))
    api = Api({"access_token": "ya29.from-the-key", "expires_in": 3600, "token_type": "Bearer"},
              {"managedZones": [ZONE]})
    monkeypatch.setattr(_google, "open_url", api)
    dns = _google.build("my-project", service_account_file=str(path), base_url=BASE)
    assert dns.find_zone("example.com").id == "example-com"
    token_call, api_call = api.calls
    assert token_call[0] == "POST" and token_call[1] == "/token"
    assert b"urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in token_call[3]
    assert api_call[4]["Authorization"] == "Bearer ya29.from-the-key"


# --- as a registered provider ----------------------------------------------------------------------------------------


def test_the_registry_builds_it_from_module_settings_with_its_environment(monkeypatch):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import (
        build_provider,
        check_provider_options,
        provider_argument_spec,
    )

    for name in ("GCP_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCP_AUTH_KIND", "GCP_SERVICE_ACCOUNT_FILE", "GCP_ACCESS_TOKEN",
                 "GOOGLE_DNS_BASE_URL", "GOOGLE_OAUTH_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GCP_PROJECT", "my-project")
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", "token-1")
    monkeypatch.setenv("GOOGLE_DNS_BASE_URL", BASE)
    params = ArgumentSpecValidator(provider_argument_spec()).validate({"provider": "google"}).validated_parameters
    settings = check_provider_options(params)
    api = Api({"managedZones": [ZONE]})
    monkeypatch.setattr(_google, "open_url", api)
    dns = build_provider(settings)
    assert dns.find_zone("example.com").id == "example-com"
    assert api.calls[0][4]["Authorization"] == "Bearer token-1"
    assert (dns.client.project, dns.client.base_url) == ("my-project", BASE)
    # Without GOOGLE_DNS_BASE_URL the public API; an address that is not a URL is refused before any request.
    monkeypatch.delenv("GOOGLE_DNS_BASE_URL")
    params = ArgumentSpecValidator(provider_argument_spec()).validate({"provider": "google"}).validated_parameters
    assert check_provider_options(params)["api_endpoint"] == "https://dns.googleapis.com"
    with pytest.raises(DnsError) as caught:
        check_provider_options(dict(params, api_endpoint="dns.googleapis.com"))
    assert caught.value.code == "BadOption" and "api_endpoint 'dns.googleapis.com' is not an http(s) URL" in \
        str(caught.value)


def test_an_access_token_typed_for_another_provider_is_refused_but_one_from_the_environment_is_not():
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import foreign_options

    params = {"provider": "cloudflare", "api_token": "t", "access_token": "ya29.x"}
    assert "access_token (google only)" in foreign_options(params, "cloudflare", environ={})
    assert foreign_options(params, "cloudflare", environ={"GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.x"}) is None


def test_the_audit_lists_a_zone_from_one_listing_and_keeps_the_audited_types(monkeypatch):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import Cost

    txt = {"name": "_www.example.com.", "type": "TXT", "ttl": 300, "rrdatas": ['"d222.cloudfront.net"']}
    ns = {"name": "example.com.", "type": "NS", "ttl": 21600, "rrdatas": ["ns1.example."]}
    plain_txt = dict(txt, name="example.com.", rrdatas=['"v=spf1 -all"'])
    api = Api({"managedZones": [ZONE]}, {"rrsets": [OLD, txt, ns, plain_txt]})
    monkeypatch.setattr(_google, "open_url", api)
    cost = Cost()
    zones, sent = _google.GoogleDnsProvider.list_zones(
        {"project": "my-project", "access_token": "token-1", "api_endpoint": BASE}, ["example.com"], cost)
    assert sent == 2 and cost.lower_bound == {"managedZones.list": 1, "resourceRecordSets.list": 1}
    assert zones == [{"provider": "google", "zone": "example.com", "id": "example-com", "record_sets": 4, "records": [
        {"provider": "google", "zone": "example.com", "name": "www.example.com", "type": "CNAME",
         "values": ["d111.cloudfront.net"], "proxied": False},
        {"provider": "google", "zone": "example.com", "name": "_www.example.com", "type": "TXT",
         "values": ["d222.cloudfront.net"], "proxied": False}]}]


def test_the_audit_of_a_zone_the_project_lacks_says_so(monkeypatch):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import Cost

    monkeypatch.setattr(_google, "open_url", Api({"managedZones": []}))
    with pytest.raises(DnsError) as caught:
        _google.GoogleDnsProvider.list_zones({"project": "my-project", "access_token": "t", "api_endpoint": BASE},
                                             ["example.org"], Cost())
    assert caught.value.code == "NoSuchZone" and "project my-project has no Cloud DNS managed zone for example.org" \
        in str(caught.value)
