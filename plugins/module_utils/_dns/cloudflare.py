# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cloudflare (API v4) behind the provider interface.

What Cloudflare can and cannot guarantee. Its API has no conditional write (no
If-Match, no prerequisite): a write made against data that someone changed a
moment before cannot be refused, only detected. So a zone's change is made in
three requests, as close together as the API allows:

1. the names are read again right before the write (one request) and compared
   by record id with what was planned from: a record changed, added or deleted
   since stops the run, and nothing is written;
2. every change of the zone is sent in one ``/dns_records/batch`` request, which
   Cloudflare runs as one database transaction (deletes, patches, puts, posts in
   that order): all of it is made or none of it, and a name is never without its
   records on the way (a type change is a PUT of the same record id, or a delete
   and a post in the same transaction). Batches hold at most 200 operations (the
   Free plan's limit); a name's operations never span two batches;
3. the names are read back and compared with what was written and with what was
   read before: a record that is not what this run wrote (someone wrote after
   it), or a field this run did not write that changed (someone wrote between
   1 and 2), is reported as a concurrent change with both values.

What stays undetectable: someone else's write between 1 and 2 (one round trip)
that changes only the fields this run then overwrites. Patches send only the
fields that change, which keeps that window as small as it can be.

Responses are read defensively (community.general#9652: fields changed without
notice), errors are reported by their messages, never branched on by numeric
code, and a 429 waits for ``Retry-After`` before trying again - as long as
Cloudflare asks (its limit is 1,200 requests per five minutes, then a wait until
the window refills), warning that it waits, unless that would pass the task's
deadline: then it stops at once and says when to try again. A batch is not
idempotent, so a server error or a lost answer is read back before the batch is
sent again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import json
import time

from ansible.module_utils.six.moves.http_client import HTTPException
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urlparse
from ansible.module_utils.urls import open_url

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import AUDITED_TYPES, PAGE, pages
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import (
    ConcurrentChange,
    DnsError,
    DnsProvider,
    HttpApiClient,
    Zone,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import RecordSet, normalise_value
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._version import COLLECTION_VERSION

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
MAX_ATTEMPTS = 8
# Waiting for Cloudflare's rate limit (its window is five minutes): at most base.DEFAULT_MAX_WAIT in all unless the
# caller gives its own deadline, with many short waits allowed; a wait this long or longer is announced.
MAX_THROTTLED_ATTEMPTS = 60
ANNOUNCE_WAIT = 5.0
PAGE_SIZE = 5000
AUTO_TTL = 1
# One name is read with a name-filtered request (cheap on a large zone); several names in a zone are
# read with one listing of the zone, never one request per name.
PER_NAME_READ_LIMIT = 1
BATCH_ATTEMPTS = 3
# Record operations in one batch request on Cloudflare's Free plan (3,500 on the others).
BATCH_LIMIT = 200
PROXIABLE_TYPES = ("A", "AAAA", "CNAME")


class CloudflareClient(HttpApiClient):
    def __init__(self, api_token, base_url=None, timeout=30, validate_certs=True, max_wait=None, warn=None):
        if not api_token:
            raise DnsError("Cloudflare needs an API token: set api_token, CLOUDFLARE_API_TOKEN or CLOUDFLARE_TOKEN (a "
                           "token with Zone:DNS:Edit on the zone)", code="NoToken")
        self._token = api_token
        super(CloudflareClient, self).__init__(base_url, DEFAULT_BASE_URL, timeout, validate_certs, max_wait, warn)

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
            text += (". Check the API token (api_token / CLOUDFLARE_API_TOKEN / CLOUDFLARE_TOKEN): it must be valid and "
                     "allowed to read and edit DNS of this zone")
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
    title = "Cloudflare"
    options = {
        "api_token": dict(type="str", no_log=True),
        "base_url": dict(type="str"),
    }
    # CLOUDFLARE_TOKEN: the name other tools use (community.general, Terraform's Cloudflare provider and
    # Cloudflare's own examples); CLOUDFLARE_API_TOKEN wins when both are set.
    option_env = {"api_token": ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN"], "base_url": ["CLOUDFLARE_BASE_URL"]}
    required = ("api_token",)
    defaults = {"base_url": DEFAULT_BASE_URL}
    default_ttl = AUTO_TTL
    can_proxy = True
    apex_mode = "flatten"
    write_guarantee = (
        "detect only: Cloudflare has no conditional write. The records are read again right before one batch "
        "request (one transaction) and read back after it; a change made by someone else before the re-read stops "
        "the run with nothing written, and one that shows in the read-back is reported as a concurrent change. A "
        "change made in the one round trip between the re-read and the batch that only touches fields this run "
        "overwrites cannot be seen.")

    def __init__(self, client):
        DnsProvider.__init__(self)
        self.client = client
        if client.warn is None:
            client.warn = self.warn  # the module shows the provider's warnings

    @classmethod
    def check_settings(cls, settings):
        settings["base_url"] = check_base_url(settings["base_url"])
        return settings

    @classmethod
    def from_settings(cls, settings, aws_connection=None, warn=None):
        return cls(cls._client(settings, warn, max_wait=settings.get("wait_timeout")))

    @classmethod
    def list_zones(cls, settings, zones, cost, warn=None):
        client = cls._client(settings, warn)
        return list_cloudflare(client, zones, cost), client.requests

    @staticmethod
    def _client(settings, warn, max_wait=None):
        return CloudflareClient(settings.get("api_token"), settings.get("base_url"),
                                validate_certs=settings.get("validate_certs", True), max_wait=max_wait, warn=warn)

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
        """Check, write in batches, read back. See the module docstring for what this guarantees."""
        names = sorted(set(change.name for change in changes))
        live = self._live(zone, names)
        for change in changes:
            self._check_unchanged(change, live[change.name])
        planned = [(change, _operations(change)) for change in changes]
        chunks = _chunks(planned, BATCH_LIMIT)
        for number, chunk in enumerate(chunks):
            try:
                self._batch(zone, chunk)
            except DnsError as exc:
                raise self._failed(zone, changes, chunk, exc, later=number + 1 < len(chunks))
        self._read_back(zone, planned, live)
        return None

    def _live(self, zone, names):
        """{name: [live record dicts]} for the names, with one read (by name, or the whole zone)."""
        base = _records_path(zone)
        if len(names) <= PER_NAME_READ_LIMIT:
            records = []
            for name in names:
                records.extend(self.client.paged(base, {"name": name, "per_page": PAGE_SIZE}))
        else:
            records = self.client.paged(base, {"per_page": PAGE_SIZE})
        found = dict((name, []) for name in names)
        for record in records:
            name = _record_name(record)
            if name in found:
                found[name].append(record)
        return found

    @staticmethod
    def _check_unchanged(change, live):
        """Read-compare-write: the records about to be replaced still hold what was read, and none was added."""
        types = _types(change)
        expected = dict((ref["id"], ref) for record_set in change.before for ref in record_set.ref or [])
        for record in live:
            if record.get("type") not in types:
                continue
            ref = expected.pop(record.get("id"), None)
            if ref is None:
                raise ConcurrentChange("a %s record %s (%s) was added at %s since it was read; nothing was changed, "
                                       "run again" % (record.get("type"), change.name, record.get("content"),
                                                      change.name))
            if not _same_record(_record_ref(record), ref):
                raise ConcurrentChange("the %s record %s changed since it was read (it was %s, it is now %s); "
                                       "nothing was changed, run again"
                                       % (ref["type"], change.name, _describe_ref(ref), _describe_ref(record)))
        for ref in expected.values():
            raise ConcurrentChange("the %s record %s (%s) was deleted since it was read; nothing was changed, run "
                                   "again" % (ref["type"], change.name, ref["content"]))

    def _batch(self, zone, chunk):
        """One all-or-nothing batch request. A lost answer is read back before the batch is sent again."""
        body = {"deletes": [], "patches": [], "puts": [], "posts": []}
        for unused, operations in chunk:
            for kind, item in operations:
                body[kind].append(item)
        body = dict((kind, items) for kind, items in body.items() if items)
        path = "%s/batch" % _records_path(zone)
        delay = 1.0
        answer = None
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            try:
                self.client.call("POST", path, body=body, retry_server_errors=False)
                break
            except DnsError as exc:
                if exc.code not in ("ServerError", "Unreachable"):
                    raise
                answer = exc
            # Cloudflare may have made the batch before the answer was lost: look before sending it again.
            try:
                live = self._live(zone, sorted(set(change.name for change, unused in chunk)))
            except DnsError as exc:
                raise DnsError("%s, and reading the names back to see whether the batch was made failed too (%s): "
                               "it may have been made" % (answer, exc), code="Uncertain")
            if all(_holds(live[change.name], change.after, _types(change)) for change, unused in chunk):
                break
            if not all(_holds(live[change.name], change.before, _types(change)) for change, unused in chunk):
                raise DnsError("%s, and the names now hold neither what was read nor what was asked: %s"
                               % (answer, _describe_names(live)), code="Uncertain")
            if attempt == BATCH_ATTEMPTS:
                raise DnsError("%s (%d tries; each was read back and had not been made)" % (answer, BATCH_ATTEMPTS),
                               code=answer.code)
            self.client.sleep(delay)
            delay *= 2
        for change, unused in chunk:
            change.applied = True

    def _failed(self, zone, changes, chunk, exc, later):
        """A batch Cloudflare refused changed nothing of its names; say what they hold and what was made before."""
        names = sorted(set(change.name for change, unused in chunk))
        text = "Cloudflare did not make the change of %s: %s." % (", ".join(names), str(exc).rstrip("."))
        if exc.code != "Uncertain":
            text += " A batch is one transaction, so nothing of it was made."
            try:
                live = self._live(zone, names)
                text += " " + _describe_names(live) + "."
            except DnsError as read_exc:
                text += " What the names hold now could not be read (%s)." % read_exc
        else:
            for change, unused in chunk:
                change.left_changed = True
        written = [change.name for change in changes if change.applied]
        if written:
            text += " Changed as planned before this failure, and left so: %s." % ", ".join(written)
        if later:
            text += " The remaining names were not tried."
        return DnsError(text, code=exc.code or "WriteFailed")

    def _read_back(self, zone, planned, before):
        """Read the names again and compare with what was written and what was read before it.

        Cloudflare cannot refuse a write made against stale data, so this is how a concurrent
        edit shows: a record that is not what this run wrote (someone wrote after it), or a
        field this run did not write that is not what it read (someone wrote in between).
        """
        names = sorted(set(change.name for change, unused in planned))
        try:
            live = self._live(zone, names)
        except DnsError as exc:
            for change, unused in planned:
                change.read_back = "not read back: %s" % exc
            self.warn("The change was made, but reading it back failed (%s), so a concurrent change by someone else "
                      "could not be checked for." % exc)
            return
        problems = []
        for change, operations in planned:
            difference = _difference(change, operations, live[change.name], before[change.name])
            change.read_back = difference or "as written"
            if difference:
                problems.append("%s: %s" % (change.name, difference))
        if problems:
            raise ConcurrentChange(
                "The change was made, but reading it back shows that someone else changed the same records at the "
                "same time (Cloudflare has no conditional write, so it cannot refuse either write): %s. Check these "
                "names in Cloudflare and run again: the next run reads what is there now" % "; ".join(problems))


def list_cloudflare(client, zones, cost):
    result = []
    for zone_name in zones:
        envelope = client.call("GET", "/zones", {"name": zone_name})
        cost.need("ListZones", 1)
        found = [z for z in envelope.get("result") or [] if to_ascii(z.get("name", "")) == zone_name]
        if not found:
            raise DnsError("no Cloudflare zone named %s is visible to this API token" % zone_name, code="NoSuchZone")
        items = client.paged("/zones/%s/dns_records" % found[0]["id"], {"per_page": PAGE["ListDnsRecords"]})
        cost.need("ListDnsRecords", pages(len(items), PAGE["ListDnsRecords"]))
        records = []
        for item in items:
            rtype = item.get("type")
            try:
                name = to_ascii(item.get("name", ""), allow_wildcard=True, allow_underscore=True)
            except InvalidName:
                continue
            if rtype not in AUDITED_TYPES or (rtype == "TXT" and not name.startswith("_")):
                continue
            content = str(item.get("content", ""))
            value = content.strip('"') if rtype == "TXT" else content.rstrip(".").lower()
            records.append({"provider": "cloudflare", "zone": zone_name, "name": name, "type": rtype,
                            "values": [value], "proxied": bool(item.get("proxied"))})
        result.append({"provider": "cloudflare", "zone": zone_name, "id": found[0]["id"], "record_sets": len(items),
                       "records": records})
    return result


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


def _types(change):
    return set(r.type for r in change.before) | set(r.type for r in change.after)


def _operations(change):
    """The batch operations that turn the records read (refs) into ``change.after`` (bodies).

    A new record takes the place of an old one where it can, so that the record keeps its id,
    comment and tags: the same content (only TTL or proxying change), else the same type (PATCH
    of the fields that differ), else any old record (PUT, which changes its type). What is left
    over is deleted or posted. Cloudflare runs deletes, patches, puts and posts in that order in one
    transaction, so the name is never empty and a CNAME never meets the records it replaces.
    """
    old, new = [], []
    for record_set in change.removed():
        old.extend(record_set.ref or [])
    for record_set in change.added():
        new.extend(_bodies(record_set))
    pairs = []

    def pair(match):
        for body in list(new):
            for ref in list(old):
                if match(ref, body):
                    pairs.append((ref, body))
                    old.remove(ref)
                    new.remove(body)
                    break

    pair(lambda ref, body: ref["type"] == body["type"] and _same_content(ref, body))
    pair(lambda ref, body: ref["type"] == body["type"])
    pair(lambda ref, body: True)
    operations = [("deletes", {"id": ref["id"]}) for ref in old]
    for ref, body in pairs:
        if ref["type"] != body["type"]:
            put = dict(body, id=ref["id"])
            put.update((f, ref[f]) for f in ("comment", "tags") if f in ref)
            operations.append(("puts", put))
            continue
        # Only the fields that change: a field left out keeps what is there, so a concurrent change
        # to it shows when the record is read back.
        patch = dict((f, body[f]) for f in ("content", "ttl", "proxied")
                     if f in body and not _same_field(f, ref, body))
        if patch:
            operations.append(("patches", dict(patch, id=ref["id"])))
    operations.extend(("posts", body) for body in new)
    return operations


def _same_field(field, ref, body):
    if field == "content":
        return _same_content(ref, body)
    if field == "proxied":
        return bool(ref.get("proxied")) == bool(body.get("proxied"))
    return ref.get(field) == body.get(field)


def _chunks(items, limit):
    """Batches of at most ``limit`` operations; the operations of one name never split across two."""
    chunks, current, size = [], [], 0
    for change, operations in items:
        if not operations:
            continue
        if current and size + len(operations) > limit:
            chunks.append(current)
            current, size = [], 0
        current.append((change, operations))
        size += len(operations)
    if current:
        chunks.append(current)
    return chunks


def _same_content(ref, body):
    try:
        return _content_key(ref["type"], ref.get("content") or "") == _content_key(body["type"], body["content"])
    except InvalidName:
        return False


def _difference(change, operations, live, before):
    """'' when the live records of the change's types are what it wrote, else what differs, in words."""
    types = _types(change)
    live = [r for r in live if r.get("type") in types]
    if not _holds(live, change.after, types):
        return "this run wrote %s; it holds %s now (it held %s when read)" % (
            _describe_sets(change.after), _describe_records(live),
            _describe_records([r for r in before if r.get("type") in types]))
    written = {}
    for kind, item in operations:
        if kind in ("patches", "puts"):
            written[item["id"]] = set(item) if kind == "patches" else set(_COMPARED) | set(("comment", "tags"))
    read = dict((r.get("id"), r) for r in before)
    for record in live:
        old = read.get(record.get("id"))
        if old is None:
            continue
        for field in ("content", "ttl", "proxied", "comment", "tags"):
            if field in written.get(record.get("id"), ()):
                continue
            if field == "content" and _same_content(old, dict(record, content=record.get("content") or "")):
                continue
            if old.get(field) != record.get(field):
                return ("the %s of the %s record %s changed from %r to %r although this run did not write it: someone "
                        "else changed the record at the same time, and this run may have overwritten the rest of "
                        "their change" % (field, record.get("type"), change.name, old.get(field), record.get(field)))
    return ""


def _describe_ref(ref):
    return "%s%s, ttl %s" % (ref.get("content"), " (proxied)" if ref.get("proxied") else "", ref.get("ttl"))


def _describe_names(live):
    return "; ".join("%s now holds: %s" % (name, _describe_records(records)) for name, records in sorted(live.items()))


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


def check_base_url(value):
    """The Cloudflare API base URL, or DnsError saying what shape it must have."""
    text = str(value).strip()
    try:
        parsed = urlparse(text)
        # .port raises ValueError for a port that is not a number or is out of range.
        valid = parsed.scheme in ("http", "https") and bool(parsed.hostname) and (parsed.port or 1) > 0
    except ValueError as exc:
        raise DnsError("base_url %r is not a valid URL (%s); give the API's base URL, like %s"
                       % (text, exc, DEFAULT_BASE_URL), code="BadOption")
    if not valid:
        raise DnsError("base_url %r is not an http(s) URL with a host; give the API's base URL, like %s"
                       % (text, DEFAULT_BASE_URL), code="BadOption")
    return text
