"""Google Cloud DNS (API v1), the endpoints the official ``google-cloud-dns`` client uses, served offline.

Two parts, as for Cloudflare:

* ``GoogleDnsStore`` holds one project's managed zones, their resource record
  sets and their changes in memory, and enforces what the API documents for a
  change: it is atomic (all of it or nothing), every deletion must match the
  live record set exactly (name, type, TTL, data) or the whole change is refused
  with 412 ``conditionNotMet``, a deletion of a set that does not exist is 404
  ``notFound``, an addition of a set that exists (after the deletions) is 409
  ``alreadyExists``, a CNAME shares its name with no other type. A change is
  ``pending`` for the sandbox's propagation delay (``--insync-seconds``, as a
  Route 53 change), then ``done``; the records are live at once. The sandbox's
  authoritative DNS server reads the zones through ``snapshot()``.
* ``make_app()`` wraps a store in a WSGI application under ``/dns/v1``: a Bearer
  token (401 without the sandbox's), one project (403 for any other), Google's
  error shape ``{"error": {"code", "message", "errors": [{"domain", "reason",
  "message"}]}}``, ``maxResults``/``pageToken``/``nextPageToken`` paging, the
  sandbox's faults (429 ``rateLimitExceeded``, 503 ``backendError``) and one
  request-log line per request (service ``google``, operation ``changes.create``...).

The official client, ``google.cloud.dns.Client(project, credentials,
client_options={"api_endpoint": base_url})``, works against it unchanged; the
documents each behaviour follows are named in tests/sandbox/test_google_dns.py.
"""

import base64
import hmac
import json
import logging
import re
import threading
import time
from datetime import datetime, timezone

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

API_PREFIX = "/dns/v1"
DEFAULT_PROJECT = "aliasguard-sandbox"
# Cloud DNS gives a zone four name servers of one of its shards.
NAME_SERVERS = ("ns-cloud-a1.googledomains.com.", "ns-cloud-a2.googledomains.com.",
                "ns-cloud-a3.googledomains.com.", "ns-cloud-a4.googledomains.com.")
SOA_TEMPLATE = "ns-cloud-a1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300"
SUPPORTED_TYPES = ("A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT")
PAGE = (100, 1000)  # (default, largest) maxResults in the sandbox; the API says "the server decides"
MUTATING_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
_ZONE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_LABEL = re.compile(r"^(\*|[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?)$")

_log = logging.getLogger(__name__)


class GoogleError(Exception):
    """An API error: HTTP status, reason (errors[0].reason) and message."""

    def __init__(self, status, reason, message, domain="global"):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def _fqdn(value):
    return str(value or "").strip().lower()


def _valid_dns_name(name):
    """A fully qualified name as the API takes it: lower case here, ending with a dot."""
    if not name.endswith(".") or len(name) > 254:
        return False
    labels = name[:-1].split(".")
    return all(_LABEL.match(label) for label in labels) and "*" not in labels[1:]


class GoogleDnsStore:
    """Managed zones of one project, their record sets and changes; thread-safe."""

    def __init__(self, project=DEFAULT_PROJECT, propagation_seconds=1.0, clock=time.time):
        self.project = project
        self.propagation_seconds = propagation_seconds
        self._clock = clock
        self._lock = threading.RLock()
        # Grows on every change of zones or record sets (under the lock); the DNS server keeps its
        # conversion of the zones until it moves on (changed_since).
        self.generation = 0
        self.reset()

    def reset(self):
        with self._lock:
            self._zones = {}     # managed zone name -> zone dict
            self._rrsets = {}    # managed zone name -> {(name, type): rrset dict}
            self._changes = {}   # managed zone name -> [change dict] (with a private "_at")
            self._next_id = 1000000000000000000
            self.generation += 1

    # zones

    def _new_id(self):
        self._next_id += 7919
        return str(self._next_id)

    def create_zone(self, body):
        name = body.get("name")
        dns_name = _fqdn(body.get("dnsName"))
        if not isinstance(name, str) or not _ZONE_NAME.match(name):
            raise GoogleError(400, "invalid", "Invalid value for 'entity.managedZone.name': '%s'" % (name,))
        if not _valid_dns_name(dns_name) or "." not in dns_name[:-1]:
            raise GoogleError(400, "invalid", "Invalid value for 'entity.managedZone.dnsName': '%s'"
                              % (body.get("dnsName"),))
        if body.get("description") is None:
            raise GoogleError(400, "required", "Required value for 'entity.managedZone.description'")
        with self._lock:
            if name in self._zones:
                raise GoogleError(409, "alreadyExists", "The resource 'entity.managedZone' named '%s' already exists"
                                  % name)
            zone = {"kind": "dns#managedZone", "name": name, "dnsName": dns_name,
                    "description": str(body.get("description")), "id": self._new_id(),
                    "nameServers": list(NAME_SERVERS), "creationTime": _now(),
                    "visibility": body.get("visibility") or "public"}
            self._zones[name] = zone
            self._rrsets[name] = {
                (dns_name, "SOA"): _rrset(dns_name, "SOA", 21600, [SOA_TEMPLATE]),
                (dns_name, "NS"): _rrset(dns_name, "NS", 21600, list(NAME_SERVERS)),
            }
            self._changes[name] = []
            self.generation += 1
            return dict(zone)

    def zone(self, ref):
        """A zone by its name or its id (the API takes either), or 404."""
        with self._lock:
            zone = self._zones.get(ref) or next((z for z in self._zones.values() if z["id"] == ref), None)
            if zone is None:
                raise GoogleError(404, "notFound", "The 'parameters.managedZone' resource named '%s' does not exist."
                                  % ref)
            return dict(zone)

    def list_zones(self, dns_name=None):
        with self._lock:
            zones = sorted(self._zones.values(), key=lambda z: z["name"])
            if dns_name:
                wanted = _fqdn(dns_name)
                wanted = wanted if wanted.endswith(".") else wanted + "."
                zones = [z for z in zones if z["dnsName"] == wanted]
            return [dict(z) for z in zones]

    def delete_zone(self, ref):
        with self._lock:
            zone = self.zone(ref)
            extra = [k for k in self._rrsets[zone["name"]] if not (k[0] == zone["dnsName"] and k[1] in ("SOA", "NS"))]
            if extra:
                raise GoogleError(400, "containerNotEmpty", "The resource named '%s' cannot be deleted because it is "
                                  "not empty" % zone["name"])
            del self._zones[zone["name"]], self._rrsets[zone["name"]], self._changes[zone["name"]]
            self.generation += 1

    # record sets

    def list_rrsets(self, ref, name=None, rtype=None):
        with self._lock:
            zone = self.zone(ref)
            items = sorted(self._rrsets[zone["name"]].values(), key=lambda r: (r["name"], r["type"]))
        if name:
            items = [r for r in items if r["name"] == _fqdn(name)]
        if rtype:
            items = [r for r in items if r["type"] == rtype.upper()]
        return [_copy_rrset(r) for r in items]

    def snapshot(self):
        """{zone dns name without the dot: [rrset dicts]} for the sandbox DNS server."""
        with self._lock:
            return {zone["dnsName"].rstrip("."): [_copy_rrset(r) for r in self._rrsets[name].values()]
                    for name, zone in self._zones.items()}

    def changed_since(self, generation):
        """None while the store is still at ``generation``, else ``(generation now, snapshot())``, read together."""
        with self._lock:
            if generation is not None and generation == self.generation:
                return None
            return self.generation, self.snapshot()

    # changes

    def create_change(self, ref, body):
        additions = body.get("additions") or []
        deletions = body.get("deletions") or []
        if not isinstance(additions, list) or not isinstance(deletions, list):
            raise GoogleError(400, "invalid", "Invalid value for 'entity.change': additions and deletions are lists")
        if not additions and not deletions:
            raise GoogleError(400, "required", "The 'entity.change' resource must have at least one addition or "
                              "deletion")
        with self._lock:
            zone = self.zone(ref)
            adds = [self._checked(zone, item, "additions", index) for index, item in enumerate(additions)]
            dels = [self._checked(zone, item, "deletions", index) for index, item in enumerate(deletions)]
            live = dict(self._rrsets[zone["name"]])
            for index, item in enumerate(dels):
                key = (item["name"], item["type"])
                current = live.get(key)
                if current is None:
                    raise GoogleError(404, "notFound", "The 'entity.change.deletions[%d]' resource named '%s (%s)' "
                                      "does not exist." % (index, item["name"], item["type"]))
                if current["ttl"] != item["ttl"] or current["rrdatas"] != item["rrdatas"]:
                    raise GoogleError(412, "conditionNotMet", "Precondition not met for 'entity.change.deletions[%d]'"
                                      % index)
                del live[key]
            for index, item in enumerate(adds):
                key = (item["name"], item["type"])
                if key in live:
                    raise GoogleError(409, "alreadyExists", "The resource 'entity.change.additions[%d]' named "
                                      "'%s (%s)' already exists" % (index, item["name"], item["type"]))
                live[key] = item
            for index, item in enumerate(adds):
                others = [k[1] for k in live if k[0] == item["name"] and k[1] != item["type"]]
                if others and (item["type"] == "CNAME" or any(t == "CNAME" for t in others)):
                    raise GoogleError(400, "cnameResourceRecordSetConflict",
                                      "The resource 'entity.change.additions[%d]' named '%s (%s)' conflicts with an "
                                      "existing record set at that name: a CNAME cannot coexist with other types"
                                      % (index, item["name"], item["type"]))
            apex = zone["dnsName"]
            for kind in ("SOA", "NS"):
                if (apex, kind) not in live:
                    raise GoogleError(400, "invalid", "The %s record set at the zone apex %s cannot be deleted without "
                                      "a replacement in the same change" % (kind, apex))
            self._rrsets[zone["name"]] = live
            self.generation += 1
            change = {"kind": "dns#change", "id": str(len(self._changes[zone["name"]]) + 1), "startTime": _now(),
                      "status": "pending", "additions": [_copy_rrset(r) for r in adds],
                      "deletions": [_copy_rrset(r) for r in dels], "isServing": True, "_at": self._clock()}
            self._changes[zone["name"]].append(change)
            return self._public(change)

    @staticmethod
    def _checked(zone, item, kind, index):
        where = "entity.change.%s[%d]" % (kind, index)
        if not isinstance(item, dict):
            raise GoogleError(400, "invalid", "Invalid value for '%s'" % where)
        name = _fqdn(item.get("name"))
        if not name:
            raise GoogleError(400, "required", "Required value for '%s.name'" % where)
        if not _valid_dns_name(name):
            raise GoogleError(400, "invalid", "Invalid value for '%s.name': '%s'" % (where, item.get("name")))
        if name != zone["dnsName"] and not name.endswith("." + zone["dnsName"]):
            raise GoogleError(400, "invalid", "The resource '%s' named '%s' is not within the zone's DNS name %s"
                              % (where, name, zone["dnsName"]))
        rtype = str(item.get("type") or "").upper()
        if rtype not in SUPPORTED_TYPES:
            raise GoogleError(400, "invalid", "Invalid value for '%s.type': '%s'" % (where, item.get("type")))
        ttl = item.get("ttl")
        if isinstance(ttl, str) and ttl.isdigit():
            ttl = int(ttl)
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
            raise GoogleError(400, "invalid", "Invalid value for '%s.ttl': '%s'" % (where, ttl))
        rrdatas = item.get("rrdatas")
        if not isinstance(rrdatas, list) or not rrdatas or not all(isinstance(v, str) and v.strip() for v in rrdatas):
            raise GoogleError(400, "required", "Required value for '%s.rrdatas'" % where)
        if rtype == "CNAME" and len(rrdatas) != 1:
            raise GoogleError(400, "invalid", "Invalid value for '%s.rrdata': a CNAME record set holds one value"
                              % where)
        return _rrset(name, rtype, ttl, rrdatas)

    def get_change(self, ref, change_id):
        with self._lock:
            zone = self.zone(ref)
            for change in self._changes[zone["name"]]:
                if change["id"] == change_id:
                    return self._public(change)
        raise GoogleError(404, "notFound", "The 'parameters.changeId' resource named '%s' does not exist." % change_id)

    def list_changes(self, ref, descending=False):
        """The zone's changes in their order (changeSequence), the newest first when ``descending``."""
        with self._lock:
            zone = self.zone(ref)
            changes = [self._public(c) for c in self._changes[zone["name"]]]
        return list(reversed(changes)) if descending else changes

    def _public(self, change):
        public = {k: v for k, v in change.items() if not k.startswith("_")}
        if self._clock() >= change["_at"] + self.propagation_seconds:
            public["status"] = "done"
        return public


def _rrset(name, rtype, ttl, rrdatas):
    return {"kind": "dns#resourceRecordSet", "name": name, "type": rtype, "ttl": int(ttl),
            "rrdatas": [str(v).strip() for v in rrdatas]}


def _copy_rrset(rrset):
    return dict(rrset, rrdatas=list(rrset["rrdatas"]))


# --- the HTTP API --------------------------------------------------------------

_ROUTES = Map(
    [
        Rule("/projects/<project>", methods=["GET"], endpoint="projects.get"),
        Rule("/projects/<project>/managedZones", methods=["GET"], endpoint="managedZones.list"),
        Rule("/projects/<project>/managedZones", methods=["POST"], endpoint="managedZones.create"),
        Rule("/projects/<project>/managedZones/<zone>", methods=["GET"], endpoint="managedZones.get"),
        Rule("/projects/<project>/managedZones/<zone>", methods=["DELETE"], endpoint="managedZones.delete"),
        Rule("/projects/<project>/managedZones/<zone>/rrsets", methods=["GET"], endpoint="resourceRecordSets.list"),
        Rule("/projects/<project>/managedZones/<zone>/changes", methods=["GET"], endpoint="changes.list"),
        Rule("/projects/<project>/managedZones/<zone>/changes", methods=["POST"], endpoint="changes.create"),
        Rule("/projects/<project>/managedZones/<zone>/changes/<change_id>", methods=["GET"],
             endpoint="changes.get"),
    ],
    strict_slashes=False,
    merge_slashes=False,
)

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           405: "METHOD_NOT_ALLOWED", 409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED",
           500: "INTERNAL", 503: "UNAVAILABLE"}


def _json(status, body, headers=None):
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json; charset=UTF-8")


def _error(exc, headers=None):
    body = {"error": {"code": exc.status, "message": exc.message,
                      "errors": [{"domain": exc.domain, "reason": exc.reason, "message": exc.message}]}}
    if exc.status in _STATUS:
        body["error"]["status"] = _STATUS[exc.status]
    return _json(exc.status, body, headers)


def _page(items, args, key, kind):
    """One page of ``items`` as ``{kind, key: [...], nextPageToken?}``: the token is opaque to clients."""
    try:
        size = int(args.get("maxResults") or PAGE[0])
    except ValueError:
        raise GoogleError(400, "invalid", "Invalid value for 'maxResults': '%s'" % args.get("maxResults")) from None
    if size < 1:
        raise GoogleError(400, "invalid", "Invalid value for 'maxResults': '%s'" % size)
    size = min(size, PAGE[1])
    start = 0
    token = args.get("pageToken")
    if token:
        try:
            start = int(json.loads(base64.urlsafe_b64decode(token.encode() + b"==").decode())["o"])
        except (ValueError, KeyError, TypeError):
            raise GoogleError(400, "invalid", "Invalid value for 'pageToken': '%s'" % token) from None
    body = {"kind": kind, key: items[start:start + size]}
    if start + size < len(items):
        body["nextPageToken"] = base64.urlsafe_b64encode(json.dumps({"o": start + size}).encode()).decode().rstrip("=")
    return body


def _body(request):
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise GoogleError(400, "parseError", "This API does not support parsing form-encoded input.") from None
    if not isinstance(body, dict):
        raise GoogleError(400, "parseError", "Invalid JSON payload received.")
    return body


class GoogleDnsApi:
    """The WSGI application; build it with ``make_app``."""

    def __init__(self, store, token, log, faults):
        if not token:
            raise ValueError("token must not be empty")
        self.store = store
        self._token = token
        self._log = log
        self._faults = faults

    def __call__(self, environ, start_response):
        self._faults.delay_api()  # the network (faults --latency-ms), in this request's own thread
        request = Request(environ)
        operation, args = self._route(request)
        response, fault = self._respond(request, operation, args)
        extra = {"fault": True} if fault else {}
        self._log.record("google", operation, args.get("project") if isinstance(args, dict) else "",
                         response.status_code, request.method in MUTATING_METHODS, **extra)
        return response(environ, start_response)

    @staticmethod
    def _route(request):
        path = request.path
        if not path.startswith(API_PREFIX + "/"):
            return "unknown", {}
        adapter = _ROUTES.bind("sandbox", path_info=path[len(API_PREFIX):])
        try:
            return adapter.match(method=request.method)
        except HTTPException:
            return "unknown", {}

    def _respond(self, request, operation, args):
        fault = self._faults.decide()
        if fault == "throttle":
            return _error(GoogleError(429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits")), True
        if fault == "server_error":
            return _error(GoogleError(503, "backendError", "Backend Error")), True
        auth = self._authenticate(request)
        if auth is not None:
            return auth, False
        if operation == "unknown":
            return _error(GoogleError(404, "notFound", "Not Found: %s %s" % (request.method, request.path))), False
        if args["project"] != self.store.project:
            return _error(GoogleError(403, "forbidden", "The caller does not have permission to access project "
                                      "'%s' (or it does not exist)." % args["project"])), False
        try:
            return self._dispatch(request, operation, args), False
        except GoogleError as exc:
            exc.message = exc.message.replace(self._token, "[redacted]")
            return _error(exc), False
        except Exception:
            _log.exception("sandbox google: %s failed", operation)
            return _error(GoogleError(500, "internalError", "Internal Error")), False

    def _authenticate(self, request):
        scheme, unused, token = request.headers.get("Authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        if scheme.lower() != "bearer" or not token.strip():
            return _error(GoogleError(401, "required", "Request is missing required authentication credential. "
                                      "Expected OAuth 2 access token, login cookie or other valid authentication "
                                      "credential."), challenge)
        if not hmac.compare_digest(token.strip().encode(), self._token.encode()):
            return _error(GoogleError(401, "authError", "Request had invalid authentication credentials. Expected "
                                      "OAuth 2 access token, login cookie or other valid authentication credential."),
                          challenge)
        return None

    def _dispatch(self, request, operation, args):
        store, query = self.store, request.args
        if operation == "projects.get":
            return _json(200, {"kind": "dns#project", "id": store.project, "number": "123456789012",
                               "quota": {"kind": "dns#quota", "managedZones": 10000, "rrsetsPerManagedZone": 10000,
                                         "rrsetAdditionsPerChange": 100, "rrsetDeletionsPerChange": 100,
                                         "totalRrdataSizePerChange": 100000, "resourceRecordsPerRrset": 100}})
        if operation == "managedZones.list":
            zones = store.list_zones(query.get("dnsName"))
            return _json(200, _page(zones, query, "managedZones", "dns#managedZonesListResponse"))
        if operation == "managedZones.create":
            return _json(200, store.create_zone(_body(request)))
        if operation == "managedZones.get":
            return _json(200, store.zone(args["zone"]))
        if operation == "managedZones.delete":
            store.delete_zone(args["zone"])
            return Response(status=204)
        if operation == "resourceRecordSets.list":
            if query.get("type") and not query.get("name"):
                raise GoogleError(400, "invalid", "Invalid value for 'type': the 'name' parameter must be given "
                                  "with 'type'")
            items = store.list_rrsets(args["zone"], query.get("name"), query.get("type"))
            return _json(200, _page(items, query, "rrsets", "dns#resourceRecordSetsListResponse"))
        if operation == "changes.create":
            return _json(200, store.create_change(args["zone"], _body(request)))
        if operation == "changes.get":
            return _json(200, store.get_change(args["zone"], args["change_id"]))
        if operation == "changes.list":
            order = (query.get("sortOrder") or "ascending").lower()
            if order not in ("ascending", "descending"):
                raise GoogleError(400, "invalid", "Invalid value for 'sortOrder': '%s'" % query.get("sortOrder"))
            changes = store.list_changes(args["zone"], descending=order == "descending")
            return _json(200, _page(changes, query, "changes", "dns#changesListResponse"))
        raise GoogleError(404, "notFound", "Not Found")


def make_app(store, token, log, faults):
    """A WSGI app serving ``store`` under ``/dns/v1`` for one project and one bearer token.

    ``log`` is a ``sandbox.reqlog.RequestLog`` and ``faults`` a ``sandbox.faults.FaultPolicy``.
    """
    return GoogleDnsApi(store, token, log, faults)
