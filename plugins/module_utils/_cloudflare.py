# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cloudflare (API v4) behind the provider interface.

Cloudflare has no transactions, so a change is read-compare-write by record id:
each record about to be replaced is read again right before it is written, and
a record that no longer holds what was read stops the run. A name is changed in
place (a record that changes type is overwritten by id, PUT), so it never goes
without a record on the way; a step Cloudflare refuses undoes the steps before
it, and the error says what the name holds afterwards. Responses are read
defensively (community.general#9652: fields changed without notice), errors are
reported by their messages, never branched on by numeric code, and a 429 waits
for ``Retry-After`` before trying again - as long as Cloudflare asks (its limit is
1,200 requests per five minutes, then a wait until the window refills), warning
that it waits, unless that would pass the task's deadline: then it stops at once
and says when to try again. A create (POST) is not idempotent, so a
server error in answer to one is checked by reading before it is sent again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import json
import time

from ansible.module_utils.six.moves.http_client import HTTPException
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import open_url

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._provider import (
    ConcurrentChange,
    DnsError,
    DnsProvider,
    Zone,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import RecordSet, normalise_value
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._version import COLLECTION_VERSION

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
MAX_ATTEMPTS = 8
# Waiting for Cloudflare's rate limit: at most this long in all unless the caller gives its own deadline (its
# window is five minutes), with many short waits allowed; a wait this long or longer is announced.
DEFAULT_MAX_WAIT = 300.0
MAX_THROTTLED_ATTEMPTS = 60
ANNOUNCE_WAIT = 5.0
PAGE_SIZE = 5000
AUTO_TTL = 1
# One name is read with a name-filtered request (cheap on a large zone); several names in a zone are
# read with one listing of the zone, never one request per name.
PER_NAME_READ_LIMIT = 1
CREATE_ATTEMPTS = 3
PROXIABLE_TYPES = ("A", "AAAA", "CNAME")


class CloudflareClient:
    def __init__(self, api_token, base_url=None, timeout=30, validate_certs=True, max_wait=None, warn=None):
        if not api_token:
            raise DnsError("Cloudflare needs an API token: set api_token or CLOUDFLARE_API_TOKEN (a token with "
                           "Zone:DNS:Edit on the zone)", code="NoToken")
        self._token = api_token
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.requests = 0
        self.sleep = time.sleep
        self.clock = time.time
        # Rate-limit waits end by this time (the task's wait_timeout from now); ``warn`` announces long ones.
        self.deadline = self.clock() + (DEFAULT_MAX_WAIT if max_wait is None else max(0.0, float(max_wait)))
        self.warn = warn

    def call(self, method, path, query=None, body=None, retry_server_errors=True):
        """One API call; returns the whole envelope. Retries 429, and 5xx unless told not to.

        A 5xx may come after the request took effect, so a caller whose request is not
        idempotent (POST) says ``retry_server_errors=False`` and gets a DnsError with code
        "ServerError" to look before it tries again.
        """
        url = self.base_url + path
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body) if body is not None else None
        headers = {"Authorization": "Bearer " + self._token, "Content-Type": "application/json",
                   "User-Agent": "aliasguard.cloudfront/%s" % COLLECTION_VERSION}
        delay = 1.0
        failed = throttled = 0  # answers 5xx, answers 429
        while True:
            self.requests += 1
            try:
                response = open_url(url, data=data, headers=headers, method=method, timeout=self.timeout,
                                    validate_certs=self.validate_certs)
                return self._envelope(response.read(), method, path, response.getcode())
            except HTTPError as exc:
                status = exc.code
                payload = exc.read()
                if status >= 500 and not retry_server_errors:
                    raise DnsError("Cloudflare answered %s to %s %s" % (status, method, path), code="ServerError")
                if status == 429:
                    throttled += 1
                    wait = _retry_after(exc.headers.get("Retry-After"), delay, self.clock)
                    self._wait_for_capacity(method, path, wait, throttled)
                    delay = min(delay * 2, 30)
                    continue
                if status >= 500:
                    failed += 1
                    if failed >= MAX_ATTEMPTS:
                        raise DnsError("Cloudflare answered %s to %s %s %d times; try again later"
                                       % (status, method, path, MAX_ATTEMPTS), code="ServerError")
                    self.sleep(delay)
                    delay = min(delay * 2, 30)
                    continue
                envelope = self._envelope(payload, method, path, status, fail_ok=True)
                raise DnsError(self._describe(status, method, path, envelope), code="HTTP%d" % status)
            except URLError as exc:
                raise DnsError("Cloudflare could not be reached at %s: %s (check base_url/CLOUDFLARE_BASE_URL)"
                               % (self.base_url, exc.reason), code="Unreachable")
            except (OSError, HTTPException) as exc:
                # A timeout or a dropped connection once the request was sent: it may have taken effect.
                raise DnsError("the connection to Cloudflare failed during %s %s: %s" % (method, path, exc),
                               code="Unreachable")

    def _wait_for_capacity(self, method, path, wait, throttled):
        """Sleep as long as Cloudflare's rate limit asks, or fail at once when that passes the deadline."""
        left = self.deadline - self.clock()
        at = time.strftime("%H:%M:%S UTC", time.gmtime(self.clock() + wait))
        if throttled > MAX_THROTTLED_ATTEMPTS:
            raise DnsError("Cloudflare's API rate limit refused %s %s (HTTP 429) %d times in a row; it was not sent "
                           "again. Try again after %s" % (method, path, throttled, at), code="Throttled")
        if wait > left:
            raise DnsError("Cloudflare's API rate limit refused %s %s (HTTP 429) and asks to wait %d seconds "
                           "(Retry-After), past this task's deadline (%d seconds left of wait_timeout), so it was not "
                           "sent again. Run again after %s, or give a longer wait_timeout (Cloudflare allows 1,200 "
                           "requests per five minutes per user, shared by every tool using the account)"
                           % (method, path, wait, max(0, left), at), code="Throttled")
        if wait >= ANNOUNCE_WAIT and self.warn is not None:
            self.warn("Cloudflare's API rate limit (HTTP 429): waiting %d seconds (Retry-After, until %s) before "
                      "sending %s %s again" % (wait, at, method, path))
        self.sleep(wait)

    @staticmethod
    def _envelope(payload, method, path, status, fail_ok=False):
        try:
            envelope = json.loads(payload or b"{}")
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            if fail_ok:
                return {}
            raise DnsError("Cloudflare answered %s %s with something that is not its JSON envelope (HTTP %s)"
                           % (method, path, status))
        if not fail_ok and envelope.get("success") is False:
            raise DnsError("Cloudflare refused %s %s: %s" % (method, path, _messages(envelope)))
        return envelope

    @staticmethod
    def _describe(status, method, path, envelope):
        text = "Cloudflare refused %s %s (HTTP %d): %s" % (method, path, status, _messages(envelope) or "no details")
        if status in (401, 403):
            text += (". Check the API token (api_token / CLOUDFLARE_API_TOKEN): it must be valid and allowed to "
                     "read and edit DNS of this zone")
        return text

    def paged(self, path, query):
        """Every item of a list endpoint, page by page."""
        items = []
        page = 1
        while True:
            envelope = self.call("GET", path, dict(query, page=page, per_page=query.get("per_page", PAGE_SIZE)))
            result = envelope.get("result") or []
            items.extend(result)
            info = envelope.get("result_info") or {}
            total_pages = info.get("total_pages")
            if total_pages is not None:
                if page >= total_pages:
                    return items
            elif len(result) < int(info.get("per_page") or query.get("per_page", PAGE_SIZE)):
                return items
            if not result:
                return items
            page += 1


def _messages(envelope):
    errors = envelope.get("errors") or []
    texts = []
    for error in errors:
        if isinstance(error, dict):
            texts.append(str(error.get("message") or error))
        else:
            texts.append(str(error))
    return "; ".join(texts)


def _retry_after(header, default, clock=time.time):
    """Seconds to wait: Retry-After as seconds (Cloudflare's form) or as an HTTP date; ``default`` without one."""
    if header is None:
        return default
    try:
        return max(float(header), 0.0)
    except (TypeError, ValueError):
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(header))
        return max(when.timestamp() - clock(), 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):
        return default


class CloudflareProvider(DnsProvider):
    name = "cloudflare"
    apex_mode = "flatten"

    def __init__(self, client):
        DnsProvider.__init__(self)
        self.client = client
        if client.warn is None:
            client.warn = self.warn  # the module shows the provider's warnings

    @property
    def requests(self):
        return {"cloudflare": self.client.requests}

    def find_zone(self, zone_name):
        zones = self.client.call("GET", "/zones", {"name": zone_name}).get("result") or []
        zones = [z for z in zones if _record_name(z) == zone_name]
        if not zones:
            raise DnsError("no Cloudflare zone named %s is visible to this API token; check the zone name "
                           "(dns_zone) and the token's zone permissions" % zone_name, code="NoSuchZone")
        if len(zones) > 1:
            raise DnsError("%d Cloudflare zones are named %s; this token sees more than one account" %
                           (len(zones), zone_name))
        return Zone(zone_name, zones[0]["id"])

    def zone_for_name(self, name):
        labels = name.split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            try:
                return self.find_zone(candidate)
            except DnsError as exc:
                if exc.code != "NoSuchZone":
                    raise
        raise DnsError("no Cloudflare zone visible to this token holds %s; give the zone (dns_zone)" % name,
                       code="NoSuchZone")

    def read(self, zone, names):
        found = dict((name, []) for name in names)
        base = _records_path(zone)
        if len(found) <= PER_NAME_READ_LIMIT:
            # One name: ask for it by name (exact match) instead of paging through the zone.
            records = []
            for name in sorted(found):
                records.extend(self.client.paged(base, {"name": name, "per_page": PAGE_SIZE}))
        else:
            records = self.client.paged(base, {"per_page": PAGE_SIZE})
        grouped = {}
        for record in records:
            name = _record_name(record)
            if name in found and record.get("type"):
                grouped.setdefault((name, record["type"]), []).append(record)
        for (name, rtype), items in sorted(grouped.items()):
            found[name].append(_record_set(name, rtype, items))
        return found

    def apply(self, zone, changes):
        for change in changes:
            self._check_unchanged(zone, change)
        for change in changes:
            try:
                self._write(zone, change)
            except DnsError as exc:
                written = [c.name for c in changes if c.applied]
                if written:
                    raise DnsError("%s Changed as planned before this failure, and left so: %s"
                                   % (exc, ", ".join(written)), code=exc.code)
                raise
        return None

    def _check_unchanged(self, zone, change):
        # Read-compare-write: every record about to be replaced must still hold what was read.
        after = dict((r.key, r) for r in change.after)
        for record_set in change.before:
            if record_set.same_data(after.get(record_set.key)):
                continue
            for ref in record_set.ref or []:
                try:
                    live = self.client.call("GET", "%s/%s" % (_records_path(zone), quote(ref["id"])))
                except DnsError as exc:
                    if exc.code == "HTTP404":
                        raise ConcurrentChange("the %s record %s (%s) was deleted since it was read; nothing was "
                                               "changed, run again" % (ref["type"], change.name, ref["content"]))
                    raise
                if not _same_record(_record_ref(live.get("result") or {}), ref):
                    raise ConcurrentChange("the %s record %s changed since it was read (it was %s, it is now %s); "
                                           "nothing was changed, run again"
                                           % (ref["type"], change.name, ref["content"],
                                              (live.get("result") or {}).get("content")))

    def _write(self, zone, change):
        base = _records_path(zone)
        before = dict((r.key, r) for r in change.before)
        after = dict((r.key, r) for r in change.after)
        old, new = [], []
        for key, record_set in sorted(before.items()):
            if not record_set.same_data(after.get(key)):
                old.extend(record_set.ref or [])
        for key, record_set in sorted(after.items()):
            if not record_set.same_data(before.get(key)):
                new.extend(_bodies(record_set))
        done = []
        try:
            for step in _steps(old, new):
                done.append(self._do(base, step))
        except DnsError as exc:
            raise self._failed(zone, change, exc, done)
        change.applied = True

    def _do(self, base, step):
        """Make one step; return what undoes it."""
        kind, ref, body = step
        if kind == "delete":
            self._delete(base, ref["id"])
            return ("create", None, _body_of(ref))
        if kind == "create":
            made = self._create(base, body)
            return ("delete", {"id": made.get("id")}, None)
        # "edit" keeps the type (PATCH leaves comment and tags alone); "overwrite" changes it (PUT).
        method = "PATCH" if kind == "edit" else "PUT"
        self.client.call(method, "%s/%s" % (base, quote(ref["id"])), body=body)
        return (kind, ref, _body_of(ref))

    def _undo(self, base, step):
        kind, ref, body = step
        if kind == "delete":
            if ref.get("id"):
                self._delete(base, ref["id"])
        elif kind == "create":
            self._create(base, body)
        else:
            self.client.call("PATCH" if kind == "edit" else "PUT", "%s/%s" % (base, quote(ref["id"])), body=body)

    def _delete(self, base, record_id):
        try:
            self.client.call("DELETE", "%s/%s" % (base, quote(record_id)))
        except DnsError as exc:
            # A DELETE retried after a lost answer finds the record already gone: that is what was asked.
            if exc.code != "HTTP404":
                raise

    def _create(self, base, body):
        delay = 1.0
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return self.client.call("POST", base, body=body, retry_server_errors=False).get("result") or {}
            except DnsError as exc:
                if exc.code not in ("ServerError", "Unreachable"):
                    raise
                answer = str(exc)
            # A server error or a lost connection may come after the record was made: look before sending
            # the POST again.
            try:
                made = self._find(base, body)
            except DnsError as exc:
                raise DnsError("%s, and reading %s back to see whether the %s record %s was created failed too (%s): "
                               "it may exist now" % (answer, body["name"], body["type"], body["content"], exc),
                               code="Uncertain")
            if made is not None:
                return made
            if attempt < CREATE_ATTEMPTS:
                self.client.sleep(delay)
                delay *= 2
        raise DnsError("%s (%d tries to create the %s record %s -> %s; it was read back after each and was not "
                       "there, so it was not created); try again later"
                       % (answer, CREATE_ATTEMPTS, body["type"], body["name"], body["content"]), code="ServerError")

    def _find(self, base, body):
        wanted = _content_key(body["type"], body["content"])
        for record in self.client.paged(base, {"name": body["name"], "type": body["type"], "per_page": PAGE_SIZE}):
            if _record_name(record) == body["name"] and record.get("type") == body["type"]:
                try:
                    if _content_key(record["type"], record.get("content", "")) == wanted:
                        return record
                except InvalidName:
                    continue
        return None

    def _failed(self, zone, change, exc, done):
        """Undo what was done of a change, and say what the name holds now."""
        base = _records_path(zone)
        undo_errors = []
        for step in reversed(done):
            try:
                self._undo(base, step)
            except DnsError as undo_exc:
                undo_errors.append(str(undo_exc))
        text = "Changing %s at Cloudflare failed: %s." % (change.name, str(exc).rstrip("."))
        if not done:
            text += " Nothing had been changed at that name yet."
        elif not undo_errors:
            several = len(done) > 1
            text += " The %d step%s already made %s undone." % (len(done), "s" if several else "",
                                                                "were" if several else "was")
        else:
            text += " Undoing the steps already made failed as well (%s)." % "; ".join(undo_errors)
        try:
            live = self.client.paged(base, {"name": change.name, "per_page": PAGE_SIZE})
        except DnsError as read_exc:
            change.left_changed = bool(done)
            text += (" What %s holds now could not be read (%s); before this run it held: %s. Check it in "
                     "Cloudflare before running again." % (change.name, read_exc, _describe_sets(change.before)))
            return DnsError(text, code=exc.code or "WriteFailed")
        live = [r for r in live if _record_name(r) == change.name]
        types = set(r.type for r in change.before) | set(r.type for r in change.after)
        change.left_changed = not _holds(live, change.before, types)
        text += " %s now holds: %s" % (change.name, _describe_records(live))
        if change.left_changed:
            text += (", which is not what it held before this run (%s); check it in Cloudflare before running "
                     "again." % _describe_sets(change.before))
        else:
            text += "."
        return DnsError(text, code=exc.code or "WriteFailed")


def _records_path(zone):
    return "/zones/%s/dns_records" % quote(zone.id)


def _record_name(record):
    try:
        return to_ascii(record.get("name", ""), allow_wildcard=True, allow_underscore=True)
    except (InvalidName, AttributeError):
        return None


def _record_set(name, rtype, items):
    try:
        return RecordSet(name, rtype, items[0].get("ttl"), [r.get("content", "") for r in items], None,
                         any(bool(r.get("proxied")) for r in items), ref=[_record_ref(r) for r in items])
    except InvalidName as exc:
        raise DnsError("the %s record at %s cannot be read (%s); fix or remove it in Cloudflare before changing "
                       "this name" % (rtype, name, exc), code="UnreadableRecord")


def _record_ref(record):
    ref = {"id": record.get("id"), "type": record.get("type"), "name": record.get("name"),
           "content": record.get("content"), "proxied": bool(record.get("proxied")), "ttl": record.get("ttl")}
    # Kept to carry over when a record is overwritten, never compared.
    for field in ("comment", "tags"):
        if record.get(field):
            ref[field] = record[field]
    return ref


_COMPARED = ("id", "type", "content", "proxied", "ttl")


def _same_record(live, ref):
    return all(live.get(field) == ref.get(field) for field in _COMPARED)


def _content_key(rtype, content):
    return normalise_value(rtype, content)


def _bodies(record_set):
    bodies = []
    for value in record_set.values:
        body = {"type": record_set.type, "name": record_set.name, "content": value,
                "ttl": record_set.ttl if record_set.ttl is not None else AUTO_TTL}
        if record_set.type in PROXIABLE_TYPES:
            body["proxied"] = bool(record_set.proxied)
        bodies.append(body)
    return bodies


def _body_of(ref):
    """The body that puts a record back as it was read."""
    body = {"type": ref["type"], "name": ref.get("name"), "content": ref["content"], "ttl": ref.get("ttl") or AUTO_TTL}
    if ref["type"] in PROXIABLE_TYPES:
        body["proxied"] = bool(ref.get("proxied"))
    for field in ("comment", "tags"):
        if ref.get(field):
            body[field] = ref[field]
    return body


def _steps(old, new):
    """The writes that turn the records ``old`` (refs) into ``new`` (bodies), never leaving the name empty.

    A new record takes the place of an old one where it can: the same content
    (only TTL or proxying change), else the same type (PATCH), else any old record
    (PUT changes its type). Records left over are created, or deleted: deleted
    first when the types change (a CNAME cannot be written beside other records),
    last otherwise (so the name keeps its old data until the new data is there).
    """
    old, new = list(old), list(new)
    pairs = []

    def pair(match):
        for body in list(new):
            for ref in old:
                if match(ref, body):
                    pairs.append((ref, body))
                    old.remove(ref)
                    new.remove(body)
                    break

    pair(lambda ref, body: ref["type"] == body["type"] and _same_content(ref, body))
    pair(lambda ref, body: ref["type"] == body["type"])
    pair(lambda ref, body: True)
    writes = []
    for ref, body in pairs:
        if ref["type"] != body["type"]:
            writes.append(("overwrite", ref, dict(body, **dict((f, ref[f]) for f in ("comment", "tags") if f in ref))))
        elif not (_same_content(ref, body) and bool(ref.get("proxied")) == bool(body.get("proxied"))
                  and ref.get("ttl") == body.get("ttl")):
            writes.append(("edit", ref, body))
    writes.extend(("create", None, body) for body in new)
    deletes = [("delete", ref, None) for ref in old]
    if set(r["type"] for r in old + [p[0] for p in pairs]) != set(b["type"] for b in new + [p[1] for p in pairs]):
        return deletes + writes
    return writes + deletes


def _same_content(ref, body):
    try:
        return _content_key(ref["type"], ref.get("content") or "") == _content_key(body["type"], body["content"])
    except InvalidName:
        return False


def _holds(live, record_sets, types):
    """Whether the live records of these types are exactly the given record sets."""
    wanted = sorted((r.type, v) for r in record_sets for v in r.values)
    have = []
    for record in live:
        if record.get("type") in types:
            try:
                have.append((record["type"], _content_key(record["type"], record.get("content", ""))))
            except InvalidName:
                have.append((record["type"], record.get("content")))
    return sorted(have) == wanted


def _describe_records(records):
    if not records:
        return "no record at all"
    return ", ".join(sorted("%s %s%s" % (r.get("type"), r.get("content"), " (proxied)" if r.get("proxied") else "")
                            for r in records))


def _describe_sets(record_sets):
    texts = sorted("%s %s%s" % (r.type, v, " (proxied)" if r.proxied else "") for r in record_sets for v in r.targets())
    return ", ".join(texts) if texts else "no record of these types"
