"""The few Cloudflare API v4 endpoints the collection uses, served offline.

Two parts:

* ``CloudflareStore`` holds zones and DNS records in memory and enforces the
  record rules the real API enforces (CNAME exclusivity, identical records,
  which types may be proxied, the TTL range). The sandbox's authoritative DNS
  server reads it through ``snapshot()``.
* ``make_app()`` wraps a store in a WSGI application speaking the API under
  ``/client/v4``: Bearer tokens, the ``{success, errors, messages, result,
  result_info}`` envelope, page-number paging, the batch endpoint (deletes,
  patches, puts, posts in that order, in one transaction), injected 429/502
  faults and one request-log line per request.

The official ``cloudflare`` Python SDK, pointed at the app, works unchanged.

Error codes are the real API's where they are known (10000, 971, 7003, 81044,
81053, 81054, 81058, 9041, 1061); the others are plausible stand-ins. Clients
must not branch on them anyway: Cloudflare changes them without notice.
"""

import hmac
import ipaddress
import json
import logging
import re
import secrets
import threading
from datetime import datetime, timezone

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

__all__ = [
    "API_PREFIX",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_ACCOUNT_NAME",
    "SUPPORTED_TYPES",
    "CloudflareError",
    "CloudflareStore",
    "CloudflareApi",
    "make_app",
]

API_PREFIX = "/client/v4"
DEFAULT_ACCOUNT_ID = "5a4db0c5c1f1a2e3d4c5b6a7980f1e2d"
DEFAULT_ACCOUNT_NAME = "Sandbox account"

SUPPORTED_TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "TXT")
PROXIABLE_TYPES = frozenset(("A", "AAAA", "CNAME"))
ADDRESS_TYPES = frozenset(("A", "AAAA", "CNAME"))
HOSTNAME_TYPES = frozenset(("CNAME", "MX", "NS", "PTR"))
RECORD_FIELDS = ("type", "name", "content", "ttl", "proxied", "comment", "tags", "priority", "data", "settings")
SETTINGS_KEYS = frozenset(("ipv4_only", "ipv6_only", "flatten_cname"))

ZONE_PAGE = (20, 50)  # (default, maximum) per_page, as documented
RECORD_PAGE = (100, 5000)
# Record operations in one /dns_records/batch request on the Free plan (Pro and above: 3,500).
BATCH_LIMIT = 200
MIN_PER_PAGE = 5

TXT_MAX = 2048
SAME_NAME_DOC = (
    " For more details, refer to "
    "<https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>."
)

# Made-up nameserver names in Cloudflare's style; each account gets a fixed pair.
NAMESERVER_NAMES = ("ada", "bob", "cruz", "dana", "elle", "finn", "gail", "hugo", "iris", "jay")

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
MUTATING_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))

_log = logging.getLogger(__name__)


class CloudflareError(Exception):
    """An API error: the HTTP status plus one ``{code, message}`` for the envelope."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id():
    return secrets.token_hex(16)


def _copy(obj):
    # Stored objects nest at most one level (tags, meta, settings, account...) and
    # are never changed in place, so a one-level copy is a full, cheap deep copy.
    return {key: value.copy() if isinstance(value, (dict, list)) else value for key, value in obj.items()}


# --- names -----------------------------------------------------------------


def _clean_name(value):
    if not isinstance(value, str):
        return ""
    return value.strip().rstrip(".").lower()


def _valid_hostname(name, allow_wildcard=False):
    if not name or len(name) > 253 or not name.isascii():
        return False
    labels = name.split(".")
    if allow_wildcard and labels[0] == "*":
        labels = labels[1:]
    return bool(labels) and all(_LABEL.match(label) for label in labels)


def normalize_zone_name(value):
    name = _clean_name(value)
    if "." not in name or not _valid_hostname(name):
        raise CloudflareError(400, 1001, "Invalid zone name %r." % (value,))
    return name


def record_fqdn(value, zone_name):
    """Resolve a record name from a request to the stored lowercase FQDN.

    ``@`` is the apex and a single label is relative to the zone. A name with
    dots must end in the zone: the real API would silently append the zone to
    ``www.example.org`` in zone ``example.com``, which is always a caller bug
    worth surfacing here.
    """
    name = _clean_name(value)
    if not name:
        raise CloudflareError(400, 9000, "DNS name is invalid.")
    if name == "@":
        return zone_name
    if name != zone_name and not name.endswith("." + zone_name):
        if "." in name:
            raise CloudflareError(400, 9000, "DNS name %s is outside the zone %s." % (name, zone_name))
        name = name + "." + zone_name
    if not _valid_hostname(name, allow_wildcard=True):
        raise CloudflareError(400, 9000, "DNS name is invalid.")
    return name


# --- record fields ---------------------------------------------------------


def _bool(value, field):
    if isinstance(value, bool):
        return value
    raise CloudflareError(400, 9003, "%s must be a boolean." % field)


def _ttl(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise CloudflareError(400, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.")
    ttl = int(value)
    if ttl != 1 and not 60 <= ttl <= 86400:
        raise CloudflareError(400, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.")
    return ttl


def _content(rtype, content, name):
    if not isinstance(content, str) or not content.strip():
        raise CloudflareError(400, 9007, "Content for %s record is required." % rtype)
    if rtype == "A":
        try:
            return str(ipaddress.IPv4Address(content.strip()))
        except ValueError:
            raise CloudflareError(400, 9005, "Content for A record must be a valid IPv4 address.") from None
    if rtype == "AAAA":
        try:
            return ipaddress.IPv6Address(content.strip()).compressed
        except ValueError:
            raise CloudflareError(400, 9006, "Content for AAAA record must be a valid IPv6 address.") from None
    if rtype in HOSTNAME_TYPES:
        target = _clean_name(content)
        if not _valid_hostname(target) or _is_ip(target):
            raise CloudflareError(400, 9007, "Content for %s record is invalid." % rtype)
        if rtype == "CNAME" and target == name:
            raise CloudflareError(400, 9039, "CNAME content cannot reference itself.")
        return target
    if rtype == "TXT" and len(content) > TXT_MAX:
        raise CloudflareError(400, 9100, "TXT content must be at most %d characters." % TXT_MAX)
    return content


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _caa(fields):
    """CAA records may be given as ``data`` {flags, tag, value} or as content."""
    data = fields.get("data")
    if isinstance(data, dict):
        try:
            flags, tag, value = int(data.get("flags", 0)), str(data["tag"]), str(data["value"])
        except (KeyError, TypeError, ValueError):
            raise CloudflareError(400, 9007, "CAA data needs flags, tag and value.") from None
    else:
        parts = str(fields.get("content") or "").split(None, 2)
        if len(parts) != 3 or not parts[0].isdigit():
            raise CloudflareError(400, 9007, "Content for CAA record is invalid.")
        flags, tag, value = int(parts[0]), parts[1], parts[2].strip('"')
    if not 0 <= flags <= 255 or not tag:
        raise CloudflareError(400, 9007, "Content for CAA record is invalid.")
    return '%d %s "%s"' % (flags, tag, value), {"flags": flags, "tag": tag, "value": value}


def _tags(value):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise CloudflareError(400, 9300, "tags must be a list of name:value strings.")
    return list(value)


def _settings(value, rtype):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CloudflareError(400, 9300, "settings must be an object.")
    settings = {key: _bool(val, "settings." + key) for key, val in value.items() if key in SETTINGS_KEYS}
    if rtype != "CNAME":
        settings.pop("flatten_cname", None)
    return settings


def _comment(value):
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CloudflareError(400, 9300, "comment must be a string.")
    return value


def validate_record(fields, zone_name):
    """Return the stored form of a record's own fields, or raise CloudflareError."""
    rtype = str(fields.get("type") or "").strip().upper()
    if not rtype:
        raise CloudflareError(400, 9004, "DNS record type is required.")
    if rtype not in SUPPORTED_TYPES:
        raise CloudflareError(
            400, 9004, "Record type %s is not supported by the sandbox (only %s)." % (rtype, ", ".join(SUPPORTED_TYPES))
        )
    name = record_fqdn(fields.get("name"), zone_name)
    proxied = _bool(fields.get("proxied", False), "proxied")
    if proxied and rtype not in PROXIABLE_TYPES:
        raise CloudflareError(400, 9041, "This record type cannot be proxied.")
    record = {
        "type": rtype,
        "name": name,
        "content": None,
        "proxiable": rtype in PROXIABLE_TYPES,
        "proxied": proxied,
        # Cloudflare answers for proxied records itself, so their TTL is always automatic.
        "ttl": 1 if proxied else _ttl(fields.get("ttl", 1)),
        "comment": _comment(fields.get("comment")),
        "tags": _tags(fields.get("tags")),
        "settings": _settings(fields.get("settings"), rtype),
    }
    if rtype == "CAA":
        record["content"], record["data"] = _caa(fields)
    else:
        record["content"] = _content(rtype, fields.get("content"), name)
    if rtype == "MX":
        record["priority"] = _priority(fields.get("priority"))
    return record


def _priority(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise CloudflareError(400, 9101, "Priority is required for MX records (0-65535).")
    if not 0 <= int(value) <= 65535:
        raise CloudflareError(400, 9101, "Priority is required for MX records (0-65535).")
    return int(value)


def _identity(record):
    content = record["content"]
    if record["type"] != "TXT":
        content = content.lower()
    return record["type"], record["name"], content, record.get("priority")


def _check_neighbours(candidate, others, zone_name):
    """Apply the identical-record and CNAME rules against the other records of the zone."""
    same_name = [other for other in others if other["name"] == candidate["name"]]
    if any(_identity(other) == _identity(candidate) for other in same_name):
        raise CloudflareError(400, 81058, "An identical record already exists.")
    # A flattened CNAME at the apex may sit beside MX, TXT, CAA...; only address records clash there.
    at_apex = candidate["name"] == zone_name
    if candidate["type"] == "CNAME":
        clashing = [o for o in same_name if not at_apex or o["type"] in ADDRESS_TYPES]
        if clashing:
            raise CloudflareError(
                400, 81053, "An A, AAAA, or CNAME record with that host already exists." + SAME_NAME_DOC
            )
        return
    for other in same_name:
        if other["type"] == "CNAME" and (not at_apex or candidate["type"] in ADDRESS_TYPES):
            raise CloudflareError(400, 81054, "A CNAME record with that host already exists." + SAME_NAME_DOC)


# --- the store -------------------------------------------------------------


class CloudflareStore:
    """Thread-safe zones and DNS records.

    Stored dicts are never changed in place (every change stores a new dict), so
    readers can take references under the lock and copy them outside it.
    ``generation`` grows on every change; the DNS server may use it as a serial.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.generation = 0
        self._zones = {}  # zone id -> zone
        self._records = {}  # zone id -> {record id -> record}

    def reset(self):
        with self._lock:
            self._zones = {}
            self._records = {}
            self.generation += 1

    # zones

    def create_zone(self, name, account_id=DEFAULT_ACCOUNT_ID, account_name=DEFAULT_ACCOUNT_NAME, zone_type="full"):
        name = normalize_zone_name(name)
        if zone_type not in ("full", "partial", "secondary"):
            raise CloudflareError(400, 1001, "Invalid zone type %r." % (zone_type,))
        with self._lock:
            if any(zone["name"] == name for zone in self._zones.values()):
                raise CloudflareError(400, 1061, "%s already exists" % name)
            zone = _new_zone(name, account_id, account_name, zone_type)
            self._zones[zone["id"]] = zone
            self._records[zone["id"]] = {}
            self.generation += 1
        return _copy(zone)

    def get_zone(self, zone_id, account_id=None):
        with self._lock:
            return _copy(self._zone(zone_id, account_id))

    def find_zone(self, name, account_id=None):
        """The zone called ``name``, or None."""
        name = _clean_name(name)
        with self._lock:
            for zone in self._zones.values():
                if zone["name"] == name and account_id in (None, zone["account"]["id"]):
                    return _copy(zone)
        return None

    def list_zones(self, account_id=None):
        with self._lock:
            zones = [z for z in self._zones.values() if account_id in (None, z["account"]["id"])]
        return [_copy(zone) for zone in sorted(zones, key=lambda z: z["name"])]

    def delete_zone(self, zone_id, account_id=None):
        with self._lock:
            self._zone(zone_id, account_id)
            del self._zones[zone_id]
            del self._records[zone_id]
            self.generation += 1
        return {"id": zone_id}

    # records

    def add_record(self, zone_id, account_id=None, **fields):
        with self._lock:
            self._zone(zone_id, account_id)
            return self._add(zone_id, fields)

    def get_record(self, zone_id, record_id, account_id=None):
        with self._lock:
            return _copy(self._record(zone_id, record_id, account_id))

    def list_records(self, zone_id, account_id=None):
        """The zone's records in creation order."""
        with self._lock:
            self._zone(zone_id, account_id)
            records = list(self._records[zone_id].values())
        return [_copy(record) for record in records]

    def edit_record(self, zone_id, record_id, account_id=None, **fields):
        """PATCH: the given fields replace the stored ones, the rest stay."""
        with self._lock:
            return self._edit(zone_id, self._record(zone_id, record_id, account_id), fields)

    def update_record(self, zone_id, record_id, account_id=None, **fields):
        """PUT: the record becomes exactly the given fields (defaults for the rest)."""
        with self._lock:
            current = self._record(zone_id, record_id, account_id)
            return self._replace(zone_id, current, fields)

    def delete_record(self, zone_id, record_id, account_id=None):
        with self._lock:
            self._record(zone_id, record_id, account_id)
            return self._delete(zone_id, record_id)

    def batch(self, zone_id, account_id=None, deletes=(), patches=(), puts=(), posts=()):
        """Deletes, then patches, then puts, then posts, in one transaction (all or nothing).

        Cloudflare's documented order and atomicity ("executed in a single database
        transaction"); each operation is checked against the zone as the ones before
        it left it. Returns the records deleted (as they were) and those written.
        """
        count = len(deletes) + len(patches) + len(puts) + len(posts)
        if count > BATCH_LIMIT:
            raise CloudflareError(400, 81000, "A batch may hold at most %d record operations on this zone's plan, "
                                              "got %d." % (BATCH_LIMIT, count))
        with self._lock:
            self._zone(zone_id, account_id)
            saved, generation = dict(self._records[zone_id]), self.generation
            result = {"deletes": [], "patches": [], "puts": [], "posts": []}
            try:
                for kind, items in (("deletes", deletes), ("patches", patches), ("puts", puts), ("posts", posts)):
                    for index, item in enumerate(items):
                        try:
                            result[kind].append(self._batch_one(zone_id, kind, item))
                        except CloudflareError as exc:
                            raise CloudflareError(exc.status, exc.code, "%s[%d]: %s" % (kind, index, exc.message))
            except CloudflareError:
                self._records[zone_id], self.generation = saved, generation
                raise
            return result

    def _batch_one(self, zone_id, kind, item):
        if not isinstance(item, dict):
            raise CloudflareError(400, 9207, "Each operation must be an object.")
        if kind == "posts":
            return self._add(zone_id, _record_fields(item))
        record_id = item.get("id")
        if not isinstance(record_id, str) or not record_id:
            raise CloudflareError(400, 9207, "The id of the record is required.")
        current = self._record(zone_id, record_id, None)
        if kind == "deletes":
            self._delete(zone_id, record_id)
            return current
        if kind == "patches":
            return self._edit(zone_id, current, _record_fields(item))
        return self._replace(zone_id, current, _record_fields(item))

    def snapshot(self):
        """``{zone name: [record, ...]}`` for every zone, detached from the store."""
        return self._snapshot()[1]

    def changed_since(self, generation):
        """None while the store is still at ``generation``, else ``(generation now, snapshot())`` of one state.

        Generation and records are read under one lock: a failed batch puts both back together, so a
        generation names one committed state."""
        with self._lock:
            if generation is not None and generation == self.generation:
                return None
        return self._snapshot()

    def _snapshot(self):
        with self._lock:
            generation = self.generation
            zones = [(zone["name"], list(self._records[zone_id].values())) for zone_id, zone in self._zones.items()]
        return generation, {name: [_copy(record) for record in records] for name, records in zones}

    # internals (lock held)

    def _add(self, zone_id, fields):
        zone = self._zones[zone_id]
        record = validate_record(fields, zone["name"])
        records = self._records[zone_id]
        _check_neighbours(record, records.values(), zone["name"])
        now = _now()
        record.update(
            id=_new_id(),
            zone_id=zone_id,
            zone_name=zone["name"],
            meta={"auto_added": False, "managed_by_apps": False, "managed_by_argo_tunnel": False},
            created_on=now,
            modified_on=now,
        )
        _stamp_extras(record, None, now)
        records[record["id"]] = _ordered(record)
        self.generation += 1
        return _copy(records[record["id"]])

    def _edit(self, zone_id, current, fields):
        merged = {key: current[key] for key in RECORD_FIELDS if key in current}
        if "content" in fields and "data" not in fields:
            merged.pop("data", None)  # new content supersedes the CAA data it came from
        merged.update((key, fields[key]) for key in RECORD_FIELDS if key in fields)
        return self._replace(zone_id, current, merged)

    def _delete(self, zone_id, record_id):
        del self._records[zone_id][record_id]
        self.generation += 1
        return {"id": record_id}

    def _zone(self, zone_id, account_id):
        zone = self._zones.get(zone_id)
        if zone is None or account_id not in (None, zone["account"]["id"]):
            raise CloudflareError(
                404, 7003, "Could not route to /zones/%s, perhaps your object identifier is invalid?" % zone_id
            )
        return zone

    def _record(self, zone_id, record_id, account_id):
        self._zone(zone_id, account_id)
        record = self._records[zone_id].get(record_id)
        if record is None:
            raise CloudflareError(404, 81044, "Record does not exist.")
        return record

    def _replace(self, zone_id, current, fields):
        zone = self._zones[zone_id]
        record = validate_record(fields, zone["name"])
        others = [r for rid, r in self._records[zone_id].items() if rid != current["id"]]
        _check_neighbours(record, others, zone["name"])
        now = _now()
        for key in ("id", "zone_id", "zone_name", "meta", "created_on"):
            record[key] = current[key]
        record["modified_on"] = now
        _stamp_extras(record, current, now)
        self._records[zone_id][current["id"]] = _ordered(record)
        self.generation += 1
        return _copy(self._records[zone_id][current["id"]])


def _stamp_extras(record, previous, now):
    """The real API reports when the comment and tags last changed, and omits the stamp when unset."""
    for field in ("comment", "tags"):
        stamp = field + "_modified_on"
        if not record[field]:
            continue
        if previous is not None and previous.get(field) == record[field] and stamp in previous:
            record[stamp] = previous[stamp]
        else:
            record[stamp] = now


_RECORD_ORDER = (
    "id", "zone_id", "zone_name", "name", "type", "content", "priority", "data", "proxiable", "proxied",
    "ttl", "settings", "meta", "comment", "tags", "created_on", "modified_on",
)  # fmt: skip


def _ordered(record):
    # Field order like the real API's, so dumps and diffs read naturally.
    ordered = {key: record[key] for key in _RECORD_ORDER if key in record}
    ordered.update((key, value) for key, value in record.items() if key not in ordered)
    return ordered


def _nameservers(account_id):
    first = sum(account_id.encode()) % len(NAMESERVER_NAMES)
    second = (first + 1 + len(account_id)) % len(NAMESERVER_NAMES)
    if second == first:
        second = (first + 1) % len(NAMESERVER_NAMES)
    return ["%s.ns.cloudflare.com" % NAMESERVER_NAMES[i] for i in (first, second)]


def _new_zone(name, account_id, account_name, zone_type):
    now = _now()
    return {
        "id": _new_id(),
        "name": name,
        "status": "active",
        "paused": False,
        "type": zone_type,
        "development_mode": 0,
        "name_servers": _nameservers(account_id),
        "original_name_servers": None,
        "original_registrar": None,
        "original_dnshost": None,
        "vanity_name_servers": [],
        "created_on": now,
        "modified_on": now,
        "activated_on": now,
        "meta": {
            "step": 2,
            "custom_certificate_quota": 0,
            "page_rule_quota": 3,
            "phishing_detected": False,
            "foundation_dns": False,
            "cdn_only": False,
            "dns_only": False,
        },
        "owner": {"id": None, "type": "user", "name": None},
        "account": {"id": account_id, "name": account_name},
        "tenant": {"id": None, "name": None},
        "tenant_unit": {"id": None},
        "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
        "plan": {
            "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            "name": "Free Website",
            "price": 0,
            "currency": "USD",
            "frequency": "",
            "is_subscribed": False,
            "can_subscribe": False,
            "legacy_id": "free",
            "legacy_discount": False,
            "externally_managed": False,
        },
    }


# --- query filters and paging ----------------------------------------------


def _int_arg(args, key, default):
    raw = args.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(float(raw))
    except ValueError:
        raise CloudflareError(400, 1001, "Invalid value for %s." % key) from None
    if value < 1:
        raise CloudflareError(400, 1001, "Invalid value for %s." % key)
    return value


def _bool_arg(raw, key):
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise CloudflareError(400, 1001, "Invalid value for %s." % key)


def _paginate(items, args, default, maximum):
    page = _int_arg(args, "page", 1)
    # Out-of-range sizes are clamped rather than refused; result_info says what was used.
    per_page = max(MIN_PER_PAGE, min(_int_arg(args, "per_page", default), maximum))
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": len(items),
        "total_pages": (len(items) + per_page - 1) // per_page,
    }
    return chunk, info


def _sort(items, args, allowed, default_keys):
    order = args.get("order")
    direction = (args.get("direction") or "asc").lower()
    if direction not in ("asc", "desc"):
        raise CloudflareError(400, 1001, "direction must be asc or desc.")
    if order and order not in allowed:
        raise CloudflareError(400, 1001, "Cannot order by %s." % order)
    keys = [order] if order else default_keys
    return sorted(items, key=lambda item: [_sort_value(item, key) for key in keys], reverse=direction == "desc")


def _sort_value(item, key):
    value = item
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return (value is None, str(value).lower() if not isinstance(value, (int, float)) else value)


def _combine(predicates, args):
    match = (args.get("match") or "all").lower()
    if match not in ("all", "any"):
        raise CloudflareError(400, 1001, "match must be all or any.")
    if not predicates:
        return lambda item: True
    combine = all if match == "all" else any
    return lambda item: combine(predicate(item) for predicate in predicates)


def _text_filters(args, field, normalize):
    """Filters in the SDK's dotted form (``name.exact=...``) plus the plain ``name=``."""
    tests = {
        "exact": lambda have, want: have == want,
        "contains": lambda have, want: want in have,
        "startswith": lambda have, want: have.startswith(want),
        "endswith": lambda have, want: have.endswith(want),
    }
    predicates = []
    for key, raw in args.items(multi=True):
        base, unused, operator = key.partition(".")
        if base != field:
            continue
        operator = operator or "exact"
        if operator in ("present", "absent"):
            want_present = operator == "present"
            predicates.append(lambda item, p=want_present: bool(item.get(field)) == p)
        elif operator in tests:
            want = normalize(raw) if operator == "exact" else raw.lower()
            test = tests[operator]
            predicates.append(lambda item, t=test, w=want: t(str(item.get(field) or "").lower(), w))
        else:
            raise CloudflareError(400, 1001, "Unknown filter %s." % key)
    return predicates


def record_filter(args, zone_name):
    def exact_name(raw):
        name = _clean_name(raw)
        return zone_name if name == "@" else name

    def exact_content(raw):
        text = raw.strip().lower()
        return text.rstrip(".") if not _is_ip(text) else str(ipaddress.ip_address(text))

    predicates = _text_filters(args, "name", exact_name)
    predicates += _text_filters(args, "content", exact_content)
    predicates += _text_filters(args, "comment", lambda raw: raw.strip().lower())
    if args.get("type"):
        wanted = args["type"].strip().upper()
        predicates.append(lambda record: record["type"] == wanted)
    if args.get("proxied"):
        proxied = _bool_arg(args["proxied"], "proxied")
        predicates.append(lambda record: record["proxied"] == proxied)
    matches = _combine(predicates, args)
    search = (args.get("search") or "").lower()
    if not search:
        return matches
    return lambda record: matches(record) and any(
        search in str(record.get(field) or "").lower() for field in ("name", "content", "comment")
    )


def zone_filter(args):
    predicates = []
    if args.get("name"):
        predicates.append(_zone_name_predicate(args["name"]))
    if args.get("status"):
        predicates.append(lambda zone, s=args["status"].lower(): zone["status"] == s)
    if args.get("account.id"):
        predicates.append(lambda zone, a=args["account.id"]: zone["account"]["id"] == a)
    if args.get("account.name"):
        predicates.append(lambda zone, a=args["account.name"].lower(): (zone["account"]["name"] or "").lower() == a)
    return _combine(predicates, args)


def _zone_name_predicate(raw):
    # The zones endpoint takes operators as a prefix: name=contains:example
    operators = {
        "equal": lambda have, want: have == want,
        "not_equal": lambda have, want: have != want,
        "contains": lambda have, want: want in have,
        "starts_with": lambda have, want: have.startswith(want),
        "ends_with": lambda have, want: have.endswith(want),
    }
    operator, sep, value = raw.partition(":")
    if not sep or operator not in operators:
        operator, value = "equal", raw
    want = _clean_name(value)
    return lambda zone: operators[operator](zone["name"], want)


# --- the HTTP API ----------------------------------------------------------

_ROUTES = Map(
    [
        Rule("/zones", methods=["GET"], endpoint="ListZones"),
        Rule("/zones", methods=["POST"], endpoint="CreateZone"),
        Rule("/zones/<zone_id>", methods=["GET"], endpoint="GetZone"),
        Rule("/zones/<zone_id>", methods=["DELETE"], endpoint="DeleteZone"),
        Rule("/zones/<zone_id>/dns_records", methods=["GET"], endpoint="ListDnsRecords"),
        Rule("/zones/<zone_id>/dns_records", methods=["POST"], endpoint="CreateDnsRecord"),
        Rule("/zones/<zone_id>/dns_records/batch", methods=["POST"], endpoint="BatchDnsRecords"),
        Rule("/zones/<zone_id>/dns_records/<record_id>", methods=["GET"], endpoint="GetDnsRecord"),
        Rule("/zones/<zone_id>/dns_records/<record_id>", methods=["PATCH"], endpoint="PatchDnsRecord"),
        Rule("/zones/<zone_id>/dns_records/<record_id>", methods=["PUT"], endpoint="UpdateDnsRecord"),
        Rule("/zones/<zone_id>/dns_records/<record_id>", methods=["DELETE"], endpoint="DeleteDnsRecord"),
    ],
    strict_slashes=False,
    merge_slashes=False,
)


def _envelope(status, result=None, errors=(), result_info=None, headers=None):
    body = {"success": not errors, "errors": list(errors), "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def _error(status, code, message, headers=None):
    return _envelope(status, errors=[{"code": code, "message": message}], headers=headers)


def _json_body(request):
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise CloudflareError(400, 6007, "Malformed JSON in request body") from None
    if not isinstance(body, dict):
        raise CloudflareError(400, 6007, "Malformed JSON in request body")
    return body


class CloudflareApi:
    """The WSGI application. Build it with ``make_app``."""

    def __init__(self, store, api_token, log, faults, account_id=DEFAULT_ACCOUNT_ID):
        if not api_token:
            raise ValueError("api_token must not be empty")
        self.store = store
        self._token = api_token
        self._log = log
        self._faults = faults
        self.account_id = account_id

    def __call__(self, environ, start_response):
        self._faults.delay_api()  # the network (faults --latency-ms), in this request's own thread
        request = Request(environ)
        operation, args = self._route(request)
        response, fault = self._respond(request, operation, args)
        extra = {"fault": True} if fault else {}
        self._log.record(
            "cloudflare", operation, self.account_id, response.status_code, request.method in MUTATING_METHODS, **extra
        )
        return response(environ, start_response)

    def _route(self, request):
        path = request.path
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            return "Unknown", (404, 7000, "No route for that URI")
        adapter = _ROUTES.bind("sandbox", path_info=path[len(API_PREFIX) :] or "/")
        try:
            endpoint, values = adapter.match(method=request.method)
        except HTTPException as exc:
            if exc.code == 405:
                return "Unknown", (405, 7001, "Method not allowed for this route")
            return "Unknown", (404, 7000, "No route for that URI")
        return endpoint, values

    def _respond(self, request, operation, args):
        """Return (response, injected fault?)."""
        # Faults come first so that a throttled or failed request has no effect at all. The rate limit
        # (Cloudflare's "1200 requests per five minutes per user") before them: a refused request costs nothing.
        retry_after = self._faults.cloudflare_admit()
        if retry_after is not None:
            return _error(429, 971, "Please wait and consider throttling your request speed",
                          {"Retry-After": str(retry_after)}), True
        fault = self._faults.decide()
        if fault == "throttle":
            error = _error(429, 971, "Please wait and consider throttling your request speed", {"Retry-After": "1"})
            return error, True
        if fault == "server_error":
            return _error(502, 1000, "Bad gateway"), True
        if not self._authorized(request):
            return _error(403, 10000, "Authentication error"), False
        if operation == "Unknown":
            return _error(*args), False
        try:
            return getattr(self, "_op_" + operation)(request, **args), False
        except CloudflareError as exc:
            # Messages quote names and ids from the request; a client that put its token in one
            # by mistake must not get it back (nor see it in logs or proxies downstream).
            return _error(exc.status, exc.code, exc.message.replace(self._token, "[redacted]")), False
        except Exception:
            _log.exception("sandbox cloudflare: %s failed", operation)
            return _error(500, 1000, "Internal server error"), False

    def _authorized(self, request):
        scheme, unused, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        return hmac.compare_digest(token.strip().encode(), self._token.encode())

    # zones

    def _op_ListZones(self, request):
        zones = [z for z in self.store.list_zones(self.account_id) if zone_filter(request.args)(z)]
        zones = _sort(zones, request.args, ("name", "status", "account.id", "account.name"), ["name"])
        page, info = _paginate(zones, request.args, *ZONE_PAGE)
        return _envelope(200, page, result_info=info)

    def _op_CreateZone(self, request):
        body = _json_body(request)
        account = body.get("account") or {}
        account_id = account.get("id") if isinstance(account, dict) else None
        if account_id not in (None, self.account_id):
            raise CloudflareError(403, 9109, "Unauthorized to access requested resource")
        zone = self.store.create_zone(body.get("name"), self.account_id, zone_type=body.get("type") or "full")
        return _envelope(200, zone)

    def _op_GetZone(self, request, zone_id):
        return _envelope(200, self.store.get_zone(zone_id, self.account_id))

    def _op_DeleteZone(self, request, zone_id):
        return _envelope(200, self.store.delete_zone(zone_id, self.account_id))

    # DNS records

    def _op_ListDnsRecords(self, request, zone_id):
        zone = self.store.get_zone(zone_id, self.account_id)
        keep = record_filter(request.args, zone["name"])
        records = [r for r in self.store.list_records(zone_id, self.account_id) if keep(r)]
        records = _sort(
            records, request.args, ("type", "name", "content", "ttl", "proxied"), ["type", "name", "content"]
        )
        page, info = _paginate(records, request.args, *RECORD_PAGE)
        return _envelope(200, page, result_info=info)

    def _op_CreateDnsRecord(self, request, zone_id):
        fields = _record_fields(_json_body(request))
        return _envelope(200, self.store.add_record(zone_id, self.account_id, **fields))

    def _op_GetDnsRecord(self, request, zone_id, record_id):
        return _envelope(200, self.store.get_record(zone_id, record_id, self.account_id))

    def _op_PatchDnsRecord(self, request, zone_id, record_id):
        fields = _record_fields(_json_body(request))
        return _envelope(200, self.store.edit_record(zone_id, record_id, self.account_id, **fields))

    def _op_UpdateDnsRecord(self, request, zone_id, record_id):
        fields = _record_fields(_json_body(request))
        return _envelope(200, self.store.update_record(zone_id, record_id, self.account_id, **fields))

    def _op_DeleteDnsRecord(self, request, zone_id, record_id):
        return _envelope(200, self.store.delete_record(zone_id, record_id, self.account_id))

    def _op_BatchDnsRecords(self, request, zone_id):
        body = _json_body(request)
        lists = {}
        for kind in ("deletes", "patches", "puts", "posts"):
            items = body.get(kind) or []
            if not isinstance(items, list):
                raise CloudflareError(400, 9207, "%s must be a list." % kind)
            lists[kind] = items
        return _envelope(200, self.store.batch(zone_id, self.account_id, **lists))


def _record_fields(body):
    # Read-only fields a client echoes back (id, zone_id, created_on...) are ignored, as the real API does.
    return {key: body[key] for key in RECORD_FIELDS if key in body}


def make_app(store, api_token, log, faults, account_id=DEFAULT_ACCOUNT_ID):
    """A WSGI app serving ``store`` under ``/client/v4`` for one account and one API token.

    ``log`` is a ``sandbox.reqlog.RequestLog`` and ``faults`` a ``sandbox.faults.FaultPolicy``.
    """
    return CloudflareApi(store, api_token, log, faults, account_id)
