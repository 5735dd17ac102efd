# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Google Cloud DNS (API v1) behind the provider interface.

A Cloud DNS change is atomic (its additions and deletions are made together or
not at all) and every deletion must match the live record set exactly - name,
type, TTL and data - or the whole change is refused (HTTP 412
``conditionNotMet``; 404 ``notFound`` when the set is gone, 409
``alreadyExists`` when a set to add appeared). So a zone's compare-and-swap is
ONE change whose deletions are exactly the record sets that were read: a change
made by someone else since the read is refused by Cloud DNS, nothing is
changed, and the run says so (``ConcurrentChange``). ``wait_applied`` polls the
change until its status is ``done``.

Authentication: an OAuth 2.0 access token sent as ``Authorization: Bearer``.
It comes from a plain token (``access_token``; google-auth is not needed for
that), a service-account key file, or application default credentials - the
last two through google-auth, imported only when used. HTTP goes through
ansible-core's ``open_url`` (proxies and CA bundle as for every module), also
for google-auth's own token requests. Rate-limit answers (429, or 403 with
reason ``rateLimitExceeded``/``userRateLimitExceeded``) and server errors are
retried with exponential backoff, a bounded number of times and never past the
task's deadline.

Cloud DNS has nothing like Route 53's alias record, and a CNAME cannot be at a
zone apex (the apex holds SOA and NS): this provider cannot point a zone apex
at CloudFront (``apex_mode`` None), and the planner refuses such a name before
any change, saying to host the apex on Route 53.

A zone is found from its name alone (``managedZones.list`` filtered by
``dnsName``); ``managed_zone`` is needed only when one project has several
public zones for the same name (Cloud DNS allows that), and the error then
lists them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.six.moves.http_client import HTTPException
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import open_url

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import AUDITED_TYPES, pages
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, in_zone, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import (
    ConcurrentChange,
    DnsError,
    DnsProvider,
    HttpApiClient,
    Zone,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import RecordSet
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._version import COLLECTION_VERSION

DEFAULT_BASE_URL = "https://dns.googleapis.com"
API_PATH = "/dns/v1"
# The narrowest scope that reads and changes Cloud DNS records.
SCOPES = ("https://www.googleapis.com/auth/ndev.clouddns.readwrite",)
AUTH_KINDS = ("accesstoken", "serviceaccount", "application")
DEFAULT_TTL = 300
# Retries of a rate-limited (429) or failed (5xx) request: at most this many tries in all, never past the deadline.
MAX_ATTEMPTS = 8
MAX_DELAY = 32.0
ANNOUNCE_WAIT = 5.0
PAGE_SIZE = 1000
# One name is read with a name-filtered request; more names in a zone are read with one listing of it.
PER_NAME_READ_LIMIT = 5
# Sending a change again after a lost answer, once it was read back and found not made.
CREATE_ATTEMPTS = 3
_RATE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded")
_STALE_REASONS = ("conditionNotMet", "notFound", "alreadyExists")
_HOST_TYPES = ("CNAME", "NS", "PTR")


class GoogleAuthMissing(DnsError):
    """google-auth is needed for this kind of authentication and is not installed."""

    library = "google-auth"

    def __init__(self, auth_kind):
        DnsError.__init__(self, "%s Or give an OAuth 2.0 access token instead (access_token or "
                                "GOOGLE_OAUTH_ACCESS_TOKEN, for example from `gcloud auth print-access-token`), "
                                "which needs no library."
                          % missing_required_lib("google-auth", reason="Cloud DNS with auth_kind=%s" % auth_kind),
                          code="MissingLibrary")


class _Transport:
    """google-auth's transport interface (google.auth.transport.Request) over open_url, for its token requests."""

    def __init__(self, timeout, validate_certs):
        self.timeout = timeout
        self.validate_certs = validate_certs

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **unused):
        from google.auth import exceptions  # only reached once google-auth is in use

        try:
            response = open_url(url, data=body, headers=headers or {}, method=method,
                                timeout=timeout or self.timeout, validate_certs=self.validate_certs)
            return _AuthResponse(response.getcode(), dict(response.headers), response.read())
        except HTTPError as exc:
            return _AuthResponse(exc.code, dict(exc.headers or {}), exc.read())
        except (URLError, OSError, HTTPException) as exc:
            raise exceptions.TransportError(str(exc))


class _AuthResponse:
    def __init__(self, status, headers, data):
        self.status = status
        self.headers = headers
        self.data = data


def pick_auth_kind(auth_kind, service_account_file, access_token):
    """The auth_kind to use: the one given, else the one the given options imply, else application credentials."""
    if auth_kind:
        if auth_kind not in AUTH_KINDS:
            raise DnsError("auth_kind %r is not one Cloud DNS takes here; give one of %s"
                           % (auth_kind, ", ".join(AUTH_KINDS)), code="BadOption")
        return auth_kind
    if access_token:
        return "accesstoken"
    if service_account_file:
        return "serviceaccount"
    return "application"


class Credentials:
    """Access tokens for the API, from a plain token or from google-auth (refreshed when they expire)."""

    def __init__(self, auth_kind=None, service_account_file=None, access_token=None, timeout=30, validate_certs=True):
        self.auth_kind = pick_auth_kind(auth_kind, service_account_file, access_token)
        self._token = access_token
        self._google = None
        self._transport = _Transport(timeout, validate_certs)
        self.project = None  # what application default credentials say, when they say
        if self.auth_kind == "accesstoken":
            if not access_token:
                raise DnsError("auth_kind=accesstoken needs an OAuth 2.0 access token: give access_token or set "
                               "GOOGLE_OAUTH_ACCESS_TOKEN (for example from `gcloud auth print-access-token`)",
                               code="NoCredentials")
            return
        if self.auth_kind == "serviceaccount" and not service_account_file:
            raise DnsError("auth_kind=serviceaccount needs service_account_file: the path of a service account's JSON "
                           "key file", code="NoCredentials")
        try:
            import google.auth
            from google.oauth2 import service_account
        except ImportError:
            raise GoogleAuthMissing(self.auth_kind)
        try:
            if self.auth_kind == "serviceaccount":
                path = os.path.expanduser(service_account_file)
                self._google = service_account.Credentials.from_service_account_file(path, scopes=list(SCOPES))
            else:
                self._google, self.project = google.auth.default(scopes=list(SCOPES))
        except (IOError, OSError, ValueError, google.auth.exceptions.GoogleAuthError) as exc:
            raise DnsError(self._auth_failure(service_account_file, exc), code="NoCredentials")

    def _auth_failure(self, service_account_file, exc):
        if self.auth_kind == "serviceaccount":
            return ("the service account key file %s cannot be used (%s): give the path of a service account's JSON "
                    "key file (service_account_file)" % (service_account_file, exc))
        return ("no application default credentials were found (%s): run `gcloud auth application-default login`, "
                "set GOOGLE_APPLICATION_CREDENTIALS to a key file, run on Google Cloud with a service account, or give "
                "access_token or service_account_file instead" % exc)

    @property
    def refreshable(self):
        return self._google is not None

    def token(self, force_refresh=False):
        if self._google is None:
            return self._token
        if force_refresh or not self._google.valid:
            from google.auth import exceptions

            try:
                self._google.refresh(self._transport)
            except exceptions.GoogleAuthError as exc:
                raise DnsError("getting an access token for Cloud DNS (auth_kind=%s) failed: %s"
                               % (self.auth_kind, exc), code="NoCredentials")
        return self._google.token


class GoogleDnsClient(HttpApiClient):
    """Calls to the Cloud DNS v1 API of one project."""

    def __init__(self, project, credentials, base_url=None, timeout=30, validate_certs=True, max_wait=None, warn=None):
        project = project or getattr(credentials, "project", None)
        if not project:
            raise DnsError("Cloud DNS needs the project id of the project that holds the managed zones: give project "
                           "(or set GCP_PROJECT)", code="NoProject")
        self.project = project
        self.credentials = credentials
        super(GoogleDnsClient, self).__init__(base_url, DEFAULT_BASE_URL, timeout, validate_certs, max_wait, warn)

    def call(self, method, path, query=None, body=None, retry_server_errors=True):
        """One API call under /projects/<project>; returns the JSON answer.

        Retries rate-limit answers, and server errors unless told not to (a change that a server error
        answered may have been made: the caller looks before it sends it again). Raises ApiError.
        """
        url = "%s%s/projects/%s%s" % (self.base_url, API_PATH, quote(self.project, safe=""), path)
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body) if body is not None else None
        what = "%s %s" % (method, path or "/")
        delay = 1.0
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            headers = {"Authorization": "Bearer %s" % self.credentials.token(), "Content-Type": "application/json",
                       "User-Agent": "aliasguard.cloudfront/%s" % COLLECTION_VERSION}
            self.requests += 1
            try:
                response = open_url(url, data=data, headers=headers, method=method, timeout=self.timeout,
                                    validate_certs=self.validate_certs)
                payload = response.read()
                return json.loads(payload) if payload else {}
            except HTTPError as exc:
                error = ApiError.from_http(exc, what, self.project)
            except URLError as exc:
                raise DnsError("Cloud DNS could not be reached at %s: %s (check base_url/GOOGLE_DNS_BASE_URL)"
                               % (self.base_url, exc.reason), code="Unreachable")
            except (OSError, HTTPException) as exc:
                raise DnsError("the connection to Cloud DNS failed during %s: %s" % (what, exc), code="Unreachable")
            except ValueError:
                raise DnsError("Cloud DNS answered %s with something that is not JSON" % what, code="BadAnswer")
            if error.status == 401 and self.credentials.refreshable and not refreshed:
                refreshed = True
                self.credentials.token(force_refresh=True)
                continue
            if error.throttled or (error.status >= 500 and retry_server_errors):
                self._wait(error, what, attempt, delay)
                delay = min(delay * 2, MAX_DELAY)
                continue
            raise error

    def _wait(self, error, what, attempt, delay):
        left = self.deadline - self.clock()
        if attempt >= MAX_ATTEMPTS or delay > left:
            kind = "rate limit refused" if error.throttled else "answered a server error to"
            raise DnsError("Cloud DNS's %s %s %d times (last: HTTP %d %s); it was not sent again. Try again later%s"
                           % (kind, what, attempt, error.status, error.reason or "",
                              "" if attempt >= MAX_ATTEMPTS else ", or give a longer wait_timeout"),
                           code="Throttled" if error.throttled else "ServerError")
        if delay >= ANNOUNCE_WAIT and self.warn is not None:
            self.warn("Cloud DNS answered HTTP %d (%s) to %s: waiting %d seconds before sending it again"
                      % (error.status, error.reason or "no reason", what, delay))
        self.sleep(delay)

    def paged(self, path, key, query=None):
        """Every item of a list method, following nextPageToken."""
        query = dict(query or {}, maxResults=PAGE_SIZE)
        items = []
        while True:
            answer = self.call("GET", path, query)
            items.extend(answer.get(key) or [])
            token = answer.get("nextPageToken")
            if not token:
                return items
            query["pageToken"] = token


class ApiError(DnsError):
    """An error answer of the API: status, reason (errors[0].reason) and Google's message."""

    def __init__(self, status, reason, message, what, project):
        self.status = status
        self.reason = reason
        self.api_message = message
        text = "Cloud DNS refused %s (HTTP %d%s): %s" % (
            what, status, ", " + reason if reason else "", message or "no details")
        if status == 401:
            text += (". The credentials were not accepted: check access_token / GOOGLE_OAUTH_ACCESS_TOKEN (a token "
                     "lasts an hour), service_account_file or the application default credentials")
        elif status == 403 and reason not in _RATE_REASONS:
            text += (". Check that project %r is the project id that holds the zone, that the Cloud DNS API is enabled "
                     "there, and that the credentials' account may read and change its records there (the role "
                     "roles/dns.admin, or dns.managedZones.list, dns.resourceRecordSets.list, dns.changes.create and "
                     "dns.changes.get)" % project)
        DnsError.__init__(self, text, code=_code(status, reason))

    @property
    def throttled(self):
        return self.status == 429 or (self.status == 403 and self.reason in _RATE_REASONS)

    @classmethod
    def from_http(cls, exc, what, project):
        try:
            payload = exc.read()
        except (OSError, HTTPException, AttributeError):
            payload = b""
        reason, message = None, None
        try:
            error = json.loads(payload or b"{}").get("error") or {}
            message = error.get("message")
            details = error.get("errors") or []
            if details and isinstance(details[0], dict):
                reason = details[0].get("reason")
                message = message or details[0].get("message")
        except (ValueError, AttributeError):
            pass
        return cls(exc.code, reason, message, what, project)


def _code(status, reason):
    if status == 401:
        return "Unauthenticated"
    if status == 403:
        return "Throttled" if reason in _RATE_REASONS else "Forbidden"
    if status == 429:
        return "Throttled"
    return reason or "HTTP%d" % status


class GoogleDnsProvider(DnsProvider):
    name = "google"
    title = "Google Cloud DNS"
    # Named as google.cloud's modules name them (project, auth_kind, service_account_file, access_token);
    # api_endpoint is google-api-core's name for another API address (base_url is Cloudflare's option here).
    options = {
        "project": dict(type="str"),
        "auth_kind": dict(type="str", choices=list(AUTH_KINDS)),
        "service_account_file": dict(type="path"),
        "access_token": dict(type="str", no_log=True),
        "api_endpoint": dict(type="str"),
        "managed_zone": dict(type="str"),
    }
    # GCP_*: the variables google.cloud's modules read; GOOGLE_OAUTH_ACCESS_TOKEN: gcloud's and Terraform's.
    option_env = {
        "project": ["GCP_PROJECT", "GOOGLE_CLOUD_PROJECT"],
        "auth_kind": ["GCP_AUTH_KIND"],
        "service_account_file": ["GCP_SERVICE_ACCOUNT_FILE"],
        "access_token": ["GOOGLE_OAUTH_ACCESS_TOKEN", "GCP_ACCESS_TOKEN"],
        "api_endpoint": ["GOOGLE_DNS_BASE_URL"],
    }
    # project is not required here: application default credentials may name it (the client refuses none).
    required = ()
    defaults = {"api_endpoint": DEFAULT_BASE_URL}
    default_ttl = DEFAULT_TTL
    can_proxy = False
    # No alias record, and no CNAME at a zone apex: Cloud DNS cannot send a zone apex to CloudFront.
    apex_mode = None
    write_guarantee = (
        "compare-and-swap: each zone's change is one Cloud DNS change whose deletions are exactly the record sets "
        "that were read; Cloud DNS makes a change all or nothing and refuses it (HTTP 412 conditionNotMet) if any of "
        "them changed since.")

    @classmethod
    def check_settings(cls, settings):
        endpoint = settings.get("api_endpoint") or ""
        if not endpoint.startswith(("https://", "http://")):
            raise DnsError("api_endpoint %r is not an http(s) URL: give the Cloud DNS API's address, like %s (the "
                           "default)" % (endpoint, DEFAULT_BASE_URL), code="BadOption")
        return settings

    @classmethod
    def from_settings(cls, settings, aws_connection=None, warn=None):
        made = build(settings.get("project"), settings.get("auth_kind"), settings.get("service_account_file"),
                     settings.get("access_token"), settings.get("api_endpoint"), settings.get("managed_zone"),
                     validate_certs=settings.get("validate_certs", True), max_wait=settings.get("wait_timeout"))
        if warn is not None:
            made.client.warn = warn
        return made

    @classmethod
    def list_zones(cls, settings, zones, cost, warn=None):
        """For the audit: each zone's CNAME, A, AAAA and _-named TXT records, from one listing of the zone."""
        made = cls.from_settings(settings, warn=warn)
        result = []
        for zone_name in zones:
            zone = made.find_zone(zone_name)
            cost.need("managedZones.list", 1)
            sets = made.read_zone(zone)
            cost.need("resourceRecordSets.list", pages(len(sets), PAGE_SIZE))
            records = []
            for record_set in sets:
                if record_set.type not in AUDITED_TYPES or (record_set.type == "TXT"
                                                            and not record_set.name.startswith("_")):
                    continue
                records.append({"provider": "google", "zone": zone_name, "name": record_set.name,
                                "type": record_set.type, "values": list(record_set.values), "proxied": False})
            result.append({"provider": "google", "zone": zone_name, "id": zone.id, "record_sets": len(sets),
                           "records": records})
        return result, made.client.requests

    def __init__(self, client, managed_zone=None):
        DnsProvider.__init__(self)
        self.client = client
        self.managed_zone = managed_zone
        if client.warn is None:
            client.warn = self.warn

    @property
    def requests(self):
        return {"google": self.client.requests}

    def find_zone(self, zone_name):
        if self.managed_zone:
            try:
                zone = self.client.call("GET", "/managedZones/%s" % quote(self.managed_zone, safe=""))
            except ApiError as exc:
                if exc.status == 404:
                    raise DnsError("project %s has no Cloud DNS managed zone %s; check managed_zone (the zone's name "
                                   "in Cloud DNS, like example-com, or its id) and project"
                                   % (self.client.project, self.managed_zone), code="NoSuchZone")
                raise
            found = _zone_dns_name(zone)
            if found != zone_name:
                raise DnsError("the Cloud DNS managed zone %s is %s, not %s" % (self.managed_zone, found, zone_name),
                               code="WrongZone")
            if zone.get("visibility", "public") != "public":
                raise _private_zone_refused(zone_name, zone.get("name"))
            return _zone(zone)
        zones = self.client.paged("/managedZones", "managedZones", {"dnsName": zone_name + "."})
        zones = [z for z in zones if _zone_dns_name(z) == zone_name]
        public = [z for z in zones if z.get("visibility", "public") == "public"]
        if not public and zones:
            raise _private_zone_refused(zone_name, ", ".join(z.get("name", "?") for z in zones))
        if not public:
            raise DnsError("project %s has no Cloud DNS managed zone for %s; check the zone name (dns_zone) and the "
                           "project" % (self.client.project, zone_name), code="NoSuchZone")
        if len(public) > 1:
            raise DnsError("%d Cloud DNS managed zones of project %s serve %s (%s); say which one with managed_zone"
                           % (len(public), self.client.project, zone_name,
                              ", ".join(z.get("name", "?") for z in public)), code="AmbiguousZone")
        return _zone(public[0])

    def zone_for_name(self, name):
        zones = self.client.paged("/managedZones", "managedZones")
        fitting = [(_zone_dns_name(z), z) for z in zones if z.get("visibility", "public") == "public"]
        fitting = [(zone_name, z) for zone_name, z in fitting if zone_name and in_zone(name, zone_name)]
        if not fitting:
            raise DnsError("no public Cloud DNS managed zone of project %s holds %s; give the zone (dns_zone) or the "
                           "project that holds it" % (self.client.project, name), code="NoSuchZone")
        longest = max(len(zone_name) for zone_name, unused in fitting)
        best = [z for zone_name, z in fitting if len(zone_name) == longest]
        if len(best) > 1:
            raise DnsError("%d Cloud DNS managed zones of project %s serve the zone of %s (%s); say which one with "
                           "managed_zone" % (len(best), self.client.project, name,
                                             ", ".join(z.get("name", "?") for z in best)), code="AmbiguousZone")
        return _zone(best[0])

    def read(self, zone, names):
        wanted = set(names)
        path = "/managedZones/%s/rrsets" % quote(zone.id, safe="")
        if len(wanted) <= PER_NAME_READ_LIMIT:
            raw = []
            for name in sorted(wanted):
                raw.extend(self.client.paged(path, "rrsets", {"name": _api_name(name)}))
        else:
            raw = self.client.paged(path, "rrsets")
        found = dict((name, []) for name in wanted)
        for item in raw:
            name = _parse_name(item.get("name", ""))
            if name in found:
                found[name].append(_from_api(item, name))
        return found

    def read_zone(self, zone):
        """Every record set of the zone, in one listing (for the audit); names it cannot read are left out."""
        sets = []
        for item in self.client.paged("/managedZones/%s/rrsets" % quote(zone.id, safe=""), "rrsets"):
            name = _parse_name(item.get("name", ""))
            if name:
                sets.append(_from_api(item, name))
        return sets

    def changes_body(self, changes):
        """The Cloud DNS change for a list of Change values: the sets read, deleted exactly; the new ones added."""
        deletions, additions = [], []
        for change in changes:
            deletions.extend(_exact(record_set.ref) if record_set.ref else _to_api(record_set)
                             for record_set in change.removed())
            additions.extend(_to_api(record_set) for record_set in change.added())
        body = {}
        if additions:
            body["additions"] = additions
        if deletions:
            body["deletions"] = deletions
        return body

    def apply(self, zone, changes):
        body = self.changes_body(changes)
        if not body:
            return None
        path = "/managedZones/%s/changes" % quote(zone.id, safe="")
        made = None
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            answer = None
            try:
                made = self.client.call("POST", path, body=body, retry_server_errors=False)
                break
            except ApiError as exc:
                if exc.reason in _STALE_REASONS or exc.status == 412:
                    raise self._stale(zone, exc)
                if exc.status < 500:
                    raise DnsError("Cloud DNS refused the change for zone %s, so nothing in it was changed. Running "
                                   "again will not help: fix what Cloud DNS objects to first. %s" % (zone.name, exc),
                                   code=exc.code)
                answer = exc
            except DnsError as exc:
                if exc.code != "Unreachable":
                    raise
                answer = exc
            # A server error or a lost answer: the change may have been made. Look before sending it again.
            made = self._made(zone, changes, answer, path, body, attempt)
            if made is not None:
                break
            self.client.sleep(min(2.0 ** attempt, MAX_DELAY))
        for change in changes:
            change.applied = True
        return made.get("id") if isinstance(made, dict) else None

    def _made(self, zone, changes, answer, path, body, attempt):
        """The change, when it was made before its answer was lost; None when it was not (send it again)."""
        names = sorted(set(change.name for change in changes))
        try:
            live = self.read(zone, names)
        except DnsError as exc:
            raise DnsError("%s, and reading the names back to see whether the change was made failed too (%s): it may "
                           "have been made" % (answer, exc), code="Uncertain")
        if all(_holds(live[c.name], c.after, _types(c)) for c in changes):
            # Made: find it to wait for it (the newest changes come first).
            recent = self.client.call("GET", path, {"maxResults": 10, "sortBy": "changeSequence",
                                                    "sortOrder": "descending"}).get("changes") or []
            wanted = _canonical(body.get("additions", []))
            for item in recent:
                if _canonical(item.get("additions", [])) == wanted:
                    return item
            self.warn("The change of zone %s was made, but its answer was lost and it could not be found among the "
                      "zone's recent changes, so this run did not wait for Cloud DNS to report it done" % zone.name)
            return {}
        if not all(_holds(live[c.name], c.before, _types(c)) for c in changes):
            for change in changes:
                change.left_changed = True
            raise DnsError("%s, and the names now hold neither what was read nor what was asked: %s"
                           % (answer, _describe_live(live)), code="Uncertain")
        if attempt == CREATE_ATTEMPTS:
            raise DnsError("%s (%d tries; each was read back and had not been made)" % (answer, CREATE_ATTEMPTS),
                           code=answer.code)
        return None

    @staticmethod
    def _stale(zone, exc):
        return ConcurrentChange(
            "Cloud DNS refused the change for zone %s, so nothing in it was changed: a record set it deletes or adds "
            "changed since it was read (the change deletes exactly what was read); run again to re-read it. Cloud DNS "
            "said: HTTP %d %s: %s" % (zone.name, exc.status, exc.reason or "", exc.api_message or "no details"))

    def wait_applied(self, zone, token, timeout):
        if not token:
            return True
        path = "/managedZones/%s/changes/%s" % (quote(zone.id, safe=""), quote(str(token), safe=""))
        deadline = time.time() + timeout
        delay = 0.5
        while True:
            if self.client.call("GET", path).get("status") == "done":
                return True
            if time.time() + delay > deadline:
                return False
            self.client.sleep(delay)
            delay = min(delay * 2, 10)


def _zone(data):
    return Zone(_zone_dns_name(data), data.get("name"), {"id": data.get("id"), "managed_zone": data.get("name"),
                                                         "visibility": data.get("visibility", "public")})


def _zone_dns_name(data):
    return _parse_name(data.get("dnsName", ""))


def _private_zone_refused(zone_name, zones):
    return DnsError("the Cloud DNS managed zone of %s (%s) is private: it answers only inside its VPC networks, so "
                    "neither viewers nor CloudFront see it. Give the public zone of %s (managed_zone), or create one"
                    % (zone_name, zones, zone_name), code="PrivateZone")


def _api_name(name):
    return name + "."


def _parse_name(text):
    try:
        return to_ascii(text, allow_wildcard=True, allow_underscore=True)
    except InvalidName:
        return None


def _from_api(item, name):
    try:
        return RecordSet(name, item.get("type"), item.get("ttl"), item.get("rrdatas") or [], ref=item)
    except InvalidName as exc:
        raise DnsError("the %s record set at %s cannot be read (%s); this module cannot change a name whose records "
                       "it cannot read: fix or remove that record set in Cloud DNS first" % (item.get("type"), name, exc),
                       code="UnreadableRecord")


def _exact(item):
    """A deletion as the API takes it: the record set exactly as it was read."""
    return dict((k, item[k]) for k in ("name", "type", "ttl", "rrdatas", "signatureRrdatas") if k in item)


def _to_api(record_set):
    values = []
    for value in record_set.values:
        if record_set.type in _HOST_TYPES:
            value += "."
        elif record_set.type == "TXT":
            value = '"%s"' % value.replace('"', '\\"')
        values.append(value)
    return {"name": _api_name(record_set.name), "type": record_set.type,
            "ttl": record_set.ttl if record_set.ttl is not None else DEFAULT_TTL, "rrdatas": values}


def _types(change):
    return set(r.type for r in change.before) | set(r.type for r in change.after)


def _holds(live_sets, record_sets, types):
    have = sorted((r.type, r.values) for r in live_sets if r.type in types)
    return have == sorted((r.type, r.values) for r in record_sets)


def _canonical(items):
    return sorted((str(i.get("name", "")).lower(), i.get("type"), i.get("ttl"), tuple(i.get("rrdatas") or []))
                  for i in items)


def _describe_live(live):
    texts = []
    for name, sets in sorted(live.items()):
        held = ", ".join("%s %s" % (r.type, " ".join(r.values)) for r in sorted(sets, key=lambda r: r.type))
        texts.append("%s holds %s" % (name, held or "no record"))
    return "; ".join(texts)


def build(project, auth_kind=None, service_account_file=None, access_token=None, base_url=None, managed_zone=None,
          timeout=30, validate_certs=True, max_wait=None):
    """The provider from its options (the registry's factory calls this)."""
    credentials = Credentials(auth_kind, service_account_file, access_token, timeout=timeout,
                              validate_certs=validate_certs)
    client = GoogleDnsClient(project, credentials, base_url, timeout=timeout, validate_certs=validate_certs,
                             max_wait=max_wait)
    return GoogleDnsProvider(client, managed_zone=managed_zone)
