# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cloudflare (API v4) behind the provider interface.

Cloudflare has no transactions, so a change is read-compare-write by record id:
each record about to be replaced is read again right before it is written, and
a record that no longer holds what was read stops the run. Responses are read
defensively (community.general#9652: fields changed without notice), errors are
reported by their messages, never branched on by numeric code, and a 429 waits
for ``Retry-After`` before trying again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import open_url

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._provider import (
    ConcurrentChange,
    DnsError,
    DnsProvider,
    Zone,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import RecordSet
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._version import COLLECTION_VERSION

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
MAX_ATTEMPTS = 8
MAX_RETRY_AFTER = 60.0
PAGE_SIZE = 5000
AUTO_TTL = 1


class CloudflareClient:
    def __init__(self, api_token, base_url=None, timeout=30, validate_certs=True):
        if not api_token:
            raise DnsError("Cloudflare needs an API token: set api_token or CLOUDFLARE_API_TOKEN (a token with "
                           "Zone:DNS:Edit on the zone)", code="NoToken")
        self._token = api_token
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.requests = 0
        self.sleep = time.sleep

    def call(self, method, path, query=None, body=None):
        """One API call; returns the whole envelope. Retries 429 and 5xx."""
        url = self.base_url + path
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body) if body is not None else None
        headers = {"Authorization": "Bearer " + self._token, "Content-Type": "application/json",
                   "User-Agent": "aliasguard.cloudfront/%s" % COLLECTION_VERSION}
        delay = 1.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.requests += 1
            try:
                response = open_url(url, data=data, headers=headers, method=method, timeout=self.timeout,
                                    validate_certs=self.validate_certs)
                return self._envelope(response.read(), method, path, response.getcode())
            except HTTPError as exc:
                status = exc.code
                payload = exc.read()
                if status == 429 or status >= 500:
                    if attempt == MAX_ATTEMPTS:
                        raise DnsError("Cloudflare answered %s to %s %s %d times; try again later"
                                       % (status, method, path, MAX_ATTEMPTS), code="Throttled" if status == 429 else "ServerError")
                    wait = _retry_after(exc.headers.get("Retry-After"), delay) if status == 429 else delay
                    self.sleep(wait)
                    delay = min(delay * 2, 30)
                    continue
                envelope = self._envelope(payload, method, path, status, fail_ok=True)
                raise DnsError(self._describe(status, method, path, envelope), code="HTTP%d" % status)
            except URLError as exc:
                raise DnsError("Cloudflare could not be reached at %s: %s (check base_url/CLOUDFLARE_BASE_URL)"
                               % (self.base_url, exc.reason), code="Unreachable")

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


def _retry_after(header, default):
    try:
        return min(max(float(header), 0.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        return default


class CloudflareProvider(DnsProvider):
    name = "cloudflare"
    apex_mode = "flatten"

    def __init__(self, client):
        self.client = client

    @property
    def requests(self):
        return {"cloudflare": self.client.requests}

    def find_zone(self, zone_name):
        zones = self.client.call("GET", "/zones", {"name": zone_name}).get("result") or []
        zones = [z for z in zones if to_ascii(z.get("name", "")) == zone_name]
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
        records = self.client.paged("/zones/%s/dns_records" % quote(zone.id), {"per_page": PAGE_SIZE})
        grouped = {}
        for record in records:
            try:
                name = to_ascii(record.get("name", ""), allow_wildcard=True, allow_underscore=True)
            except ValueError:
                continue
            if name in found and record.get("type"):
                grouped.setdefault((name, record["type"]), []).append(record)
        for (name, rtype), items in grouped.items():
            proxied = any(bool(r.get("proxied")) for r in items)
            ttl = items[0].get("ttl")
            found[name].append(RecordSet(name, rtype, ttl, [r.get("content", "") for r in items], None, proxied,
                                         ref=[_record_ref(r) for r in items]))
        return found

    def apply(self, zone, changes):
        for change in changes:
            self._check_unchanged(zone, change)
        for change in changes:
            self._write(zone, change)
        return None

    def _check_unchanged(self, zone, change):
        # Read-compare-write: every record about to be replaced must still hold what was read.
        after = dict((r.key, r) for r in change.after)
        for record_set in change.before:
            if record_set.same_data(after.get(record_set.key)):
                continue
            for ref in record_set.ref or []:
                try:
                    live = self.client.call("GET", "/zones/%s/dns_records/%s" % (quote(zone.id), quote(ref["id"])))
                except DnsError as exc:
                    if exc.code == "HTTP404":
                        raise ConcurrentChange("the %s record %s (%s) was deleted since it was read; nothing was "
                                               "changed, run again" % (ref["type"], change.name, ref["content"]))
                    raise
                if _record_ref(live.get("result") or {}) != ref:
                    raise ConcurrentChange("the %s record %s changed since it was read (it was %s, it is now %s); "
                                           "nothing was changed, run again"
                                           % (ref["type"], change.name, ref["content"],
                                              (live.get("result") or {}).get("content")))

    def _write(self, zone, change):
        base = "/zones/%s/dns_records" % quote(zone.id)
        before = dict((r.key, r) for r in change.before)
        after = dict((r.key, r) for r in change.after)
        # Deletions first: a CNAME cannot be created while an A record is still there.
        for key, record_set in sorted(before.items()):
            if key not in after:
                for ref in record_set.ref or []:
                    self.client.call("DELETE", "%s/%s" % (base, quote(ref["id"])))
        for key, record_set in sorted(after.items()):
            old = before.get(key)
            if record_set.same_data(old):
                continue
            refs = list(old.ref or []) if old is not None else []
            for value in record_set.values:
                body = {"type": record_set.type, "name": record_set.name, "content": value,
                        "ttl": record_set.ttl if record_set.ttl is not None else AUTO_TTL,
                        "proxied": bool(record_set.proxied)}
                if record_set.type not in ("A", "AAAA", "CNAME"):
                    body.pop("proxied")
                if refs:
                    self.client.call("PATCH", "%s/%s" % (base, quote(refs.pop(0)["id"])), body=body)
                else:
                    self.client.call("POST", base, body=body)
            for ref in refs:
                self.client.call("DELETE", "%s/%s" % (base, quote(ref["id"])))


def _record_ref(record):
    return {"id": record.get("id"), "type": record.get("type"), "content": record.get("content"),
            "proxied": bool(record.get("proxied")), "ttl": record.get("ttl")}
