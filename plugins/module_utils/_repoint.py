# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Step 2: point names at a target, or remove their records, at any provider.

``plan_repoint`` reads each zone once and turns every request into a ``Change``
(what the name's records are, what they will be); check mode and diff come from
that plan, and ``apply_plan`` hands each zone's changes to its provider in one
compare-and-swap write. Nothing provider-specific lives here except the shape a
CloudFront target takes at a zone apex, which the provider declares.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    CLOUDFRONT_HOSTED_ZONE_ID,
    DistributionIndex,
    TenantIndex,
    is_distribution_id,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    InvalidName,
    host_name,
    in_zone,
    is_apex,
    to_ascii,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import Change
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import (
    ADDRESS_TYPES,
    AliasTarget,
    RecordSet,
    normalise_value,
    render,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._parallel import DNS_WORKERS, map_ordered
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import ResolverError

BACKUP_FORMAT = "aliasguard.cloudfront/dns-backup/1"


class PlanError(Exception):
    """The request cannot be carried out as asked; nothing was changed.

    ``code`` and ``exception``: the AWS error behind it, when there is one (the module reports both).
    """

    def __init__(self, message: str, code: Optional[str] = None, exception: Optional[BaseException] = None) -> None:
        super(PlanError, self).__init__(message)
        self.code = code
        self.exception = exception


class Request:
    """One name to repoint or remove, with its options normalised."""

    def __init__(self, name: str, zone: Optional[str] = None, target: Optional[str] = None, state: str = "present",
                 expected_current: Optional[List[str]] = None, ttl: Optional[int] = None,
                 proxied: Optional[bool] = None, challenge: bool = False, where: str = "name",
                 allow_any_target: bool = False, challenge_name: Optional[str] = None) -> None:
        self.name = name
        self.where = where  # how the user's input calls this request, for messages
        self.zone = zone
        self.target = target
        self.state = state
        self.expected_current = expected_current
        self.ttl = ttl
        self.proxied = proxied
        self.challenge = challenge
        self.allow_any_target = allow_any_target  # the user said: the target need not be this account's
        self.challenge_name = challenge_name  # the user's TXT record name, instead of the derived one
        self.restore = None  # record sets from a backup, for restore_from
        self.restore_types = ()

    def owner(self, zone: str) -> str:
        """The name whose records change: the alias, or its '_' TXT record in that zone."""
        if self.challenge and self.challenge_name:
            return self.challenge_name
        if self.challenge:
            return Alias.parse(self.name).txt_challenge_name(zone)
        return self.name


def parse_requests(entries: List[Dict[str, Any]], defaults: Dict[str, Any], many: bool = False) -> List[Request]:
    """Validate and normalise the user's records; raise PlanError before any request."""
    requests = []
    for index, raw in enumerate(entries):
        entry = dict(defaults)
        entry.update(dict((k, v) for k, v in raw.items() if v is not None))
        where = "records[%d]" % index if many else "name"
        if not entry.get("name"):
            raise PlanError("%s: name is required (the DNS name to repoint, e.g. www.example.com)" % where)
        try:
            zone = to_ascii(entry["zone"], what="zone", strict=True) if entry.get("zone") else None
            text = entry["name"]
            if text == "@":
                if not zone:
                    raise PlanError("%s: name '@' means the zone apex, so zone is required" % where)
                name = zone
            elif entry.get("challenge"):
                name = to_ascii(text, allow_wildcard=True, allow_underscore=True, what="name", strict=True)
            else:
                # The name is pointed at a host: a host name itself (an underscore name is a challenge name).
                name = host_name(text, what="name")
        except InvalidName as exc:
            raise PlanError("%s: %s" % (where, exc))
        if entry.get("challenge"):
            _check_challenge_name(where, name)
        if zone and not in_zone(name, zone):
            raise PlanError("%s: %s is not inside the zone %s; give the full name, e.g. www.%s"
                            % (where, name, zone, zone))
        state = entry.get("state") or "present"
        target = entry.get("target")
        if state == "present" and not target:
            raise PlanError("%s: state=present needs a target (dXXXX.cloudfront.net or a distribution id)" % where)
        try:
            target = _normalise_target_host(target) if target else None
            expected = entry.get("expected_current")
            if expected is not None:
                expected = [_normalise_target(v) for v in expected]
        except InvalidName as exc:
            raise PlanError("%s: %s" % (where, exc))
        ttl = entry.get("ttl")
        if ttl is not None and not 1 <= int(ttl) <= 2147483647:
            raise PlanError("%s: ttl must be a positive number of seconds (1-2147483647)" % where)
        requests.append(Request(name, zone, target, state, expected, ttl, entry.get("proxied"),
                                bool(entry.get("challenge")), where, bool(entry.get("allow_any_target")),
                                _challenge_name(where, entry, zone)))
    return requests


def _challenge_name(where: str, entry: Dict[str, Any], zone: Optional[str]) -> Optional[str]:
    """The TXT record name the user gives instead of the derived one (challenge_name), normalised, or None."""
    text = entry.get("challenge_name")
    if not text:
        return None
    if not entry.get("challenge"):
        raise PlanError("%s: challenge_name names the TXT record of challenge: true; set challenge: true too" % where)
    try:
        name = to_ascii(text, allow_underscore=True, what="challenge_name")
    except InvalidName as exc:
        raise PlanError("%s: %s" % (where, exc))
    if zone and not in_zone(name, zone):
        raise PlanError("%s: challenge_name %s is not inside the zone %s" % (where, name, zone))
    return name


def _check_challenge_name(where: str, name: str) -> None:
    """With challenge: true the name is the CloudFront alias; the module derives the '_' TXT name from it."""
    try:
        Alias.from_input(name)
    except InvalidName as exc:
        hint = ""
        if name.startswith("_") and not name.startswith("_."):
            hint = (" If %s is the TXT record itself, give the alias it belongs to (%s): the module adds the '_'"
                    % (name, name[1:]))
        raise PlanError("%s: with challenge: true, name is the CloudFront alias the TXT record is for, and %s "
                        "cannot be an alias (%s).%s" % (where, name, exc, hint))


def _normalise_target(value: Any) -> str:
    value = str(value).strip()
    if is_distribution_id(value):
        return value
    if _looks_like_address(value):
        return normalise_value("AAAA" if ":" in value else "A", value)
    return to_ascii(value, what="target")


def _normalise_target_host(value: Any) -> str:
    """A target is a distribution id or a host name (never an address: a CNAME names a host)."""
    value = str(value).strip()
    if is_distribution_id(value):
        return value
    if _looks_like_address(value):
        raise InvalidName("target %r is an IP address; a CNAME points at a host name - give the distribution's "
                          "dXXXX.cloudfront.net name or its id" % value)
    return to_ascii(value, what="target", strict=True)


def _looks_like_address(value: str) -> bool:
    parts = value.split(".")
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        return True
    return ":" in value


CLOUDFRONT_SUFFIX = ".cloudfront.net"


def needs_account_check(request: Request) -> bool:
    """Whether a request's target must be found in the caller's account (so AWS is needed)."""
    return bool(request.target) and request.state == "present" and not request.allow_any_target


class Targets:
    """Distribution ids and CloudFront names resolved once for the whole run.

    A target must be something this account serves: a distribution id, or the
    ``*.cloudfront.net`` name of one of its distributions. A name pointed at a
    CloudFront name nobody in the account owns is a dangling record (anyone who
    adds the name to their own distribution serves it), and a name pointed at any
    other host is not this collection's business; both take ``allow_any_target``.
    """

    def __init__(self, cloudfront_client_factory: Optional[Callable[[], Any]]) -> None:
        self._factory = cloudfront_client_factory
        self._index = None

    def index(self, why: str = "a distribution id is looked up in the account's distributions, which needs AWS "
                               "credentials (the AWS options or AWS_* environment variables)") -> DistributionIndex:
        if self._index is None:
            if self._factory is None:
                raise PlanError(why)
            try:
                self._index = DistributionIndex.load(self._factory())
            except AwsError as exc:
                raise PlanError("%s. The distributions of this account are read to check the target (%s)"
                                % (exc, why), code=exc.code, exception=exc.exception)
        return self._index

    def check(self, request: Request) -> None:
        """Refuse a target this account does not serve, unless the request allows any target. Before any read."""
        if request.restore is not None or not needs_account_check(request):
            return
        target = request.target
        if is_distribution_id(target):
            self.domain(target)
            return
        what = "%s: target %s" % (request.where, target)
        if not target.endswith(CLOUDFRONT_SUFFIX):
            raise PlanError("%s is not a CloudFront distribution: this module points names at distributions of this "
                            "account (give its dXXXX.cloudfront.net name or its id). To point %s at another host on "
                            "purpose, set allow_any_target: true" % (what, request.name))
        index = self.index("%s is checked against the distributions of this account, so that DNS never points at a "
                           "distribution that does not exist (anyone could then take the name over). Give AWS "
                           "credentials (the AWS options or AWS_* environment variables), or set allow_any_target: "
                           "true to point at it unchecked" % what)
        if self.serves(target):
            return
        raise PlanError("%s is not the domain name of any distribution, nor the routing endpoint of any connection "
                        "group, in account %s: a record pointing there would "
                        "dangle, and anyone who adds %s to their own distribution would serve it (a takeover). Give "
                        "the target distribution's id or its dXXXX.cloudfront.net name; if %s is another account's "
                        "distribution, set allow_any_target: true"
                        % (what, index.account_id or "(unknown)", request.name, target))

    def serves(self, domain: str) -> bool:
        """Whether a ``*.cloudfront.net`` name leads to something of this account."""
        if domain in self.index().by_domain:
            return True
        return self.routing_endpoint(domain)

    def routing_endpoint(self, domain: str) -> bool:
        """Whether ``domain`` is the routing endpoint of one of this account's connection groups.

        Distribution tenants (CloudFront SaaS Manager) are reached through a connection
        group's RoutingEndpoint, also a ``dXXXX.cloudfront.net`` name, so a record pointed
        there does not dangle. The groups are listed (ListConnectionGroups) only when a
        target is no distribution of the account.
        """
        if getattr(self, "_tenants", None) is None:
            try:
                self._tenants = TenantIndex.load(self._factory(), self.index())
            except AwsError as exc:
                raise PlanError("%s. The connection groups of this account are read to check the target %s"
                                % (exc, domain), code=exc.code, exception=exc.exception)
        return self._tenants.group_for_endpoint(domain) is not None

    def domain(self, value: Optional[str]) -> Optional[str]:
        if value and is_distribution_id(value):
            dist = self.index().get(value)
            if dist is None:
                raise PlanError("distribution %s was not found in account %s; check the id and the credentials"
                                % (value, self.index().account_id))
            return dist.domain_name
        return value

    def ipv6(self, domain: str) -> bool:
        """Whether the distribution behind a CloudFront name has IPv6 (True when unknown)."""
        if self._factory is None:
            return True
        dist = self.index().by_domain.get(domain)
        return dist.ipv6 if dist is not None else True


class ZonePlan:
    def __init__(self, zone: Any, changes: List[Change], entries: List[Dict[str, Any]]) -> None:
        self.zone = zone
        self.changes = changes
        self.entries = entries

    @property
    def pending(self) -> List[Change]:
        return [c for c in self.changes if not c.is_noop]


def plan_repoint(provider: Any, requests: List[Request], targets: Targets) -> List[ZonePlan]:
    """Read every zone once and plan each request; raises PlanError on anything unsafe."""
    for request in requests:
        targets.check(request)  # before the first read: a target this account does not serve is bad input
    zones = {}
    by_zone = {}
    for request in requests:
        key = request.zone or ("?", request.name)
        if key not in zones:
            zones[key] = provider.find_zone(request.zone) if request.zone else provider.zone_for_name(request.name)
        zone = zones[key]
        if not in_zone(request.name, zone.name):
            raise PlanError("%s is not inside the zone %s" % (request.name, zone.name))
        by_zone.setdefault(zone.name, (zone, []))[1].append(request)
    for zone_name in sorted(by_zone):
        _check_one_request_per_record(*by_zone[zone_name])
    plans = []
    for zone_name in sorted(by_zone):
        zone, zone_requests = by_zone[zone_name]
        owners = sorted(set(r.owner(zone.name) for r in zone_requests))
        current = provider.read(zone, owners)
        changes, entries = [], []
        for request in zone_requests:
            change, entry = _plan_one(provider, zone, request, current[request.owner(zone.name)], targets)
            changes.append(change)
            entries.append(entry)
        plans.append(ZonePlan(zone, changes, entries))
    return plans


def _check_one_request_per_record(zone: Any, requests: List[Request]) -> None:
    """Two requests for the same record set would be planned against the same read and clash on write."""
    seen = {}
    for request in requests:
        owner = request.owner(zone.name)
        for rtype in _relevant_types(request):
            first = seen.setdefault((owner, rtype), request)
            if first is request:
                continue
            raise PlanError("%s and %s both change the %s record of %s; one run can change it only once. Nothing was "
                            "changed: run them one at a time, each in its own task"
                            % (_described(first), _described(request), rtype, owner))


def _described(request: Request) -> str:
    return "%s (%s%s)" % (request.where, request.name, ", challenge: true" if request.challenge else "")


def _relevant_types(request: Request) -> Tuple[str, ...]:
    if request.restore is not None:
        types = set(r.type for r in request.restore) | set(request.restore_types)
        return tuple(sorted(types))
    if request.challenge:
        return ("TXT",)
    return ADDRESS_TYPES


def _plan_one(provider: Any, zone: Any, request: Request, record_sets: List[RecordSet],
              targets: Targets) -> Tuple[Change, Dict[str, Any]]:
    owner = request.owner(zone.name)
    relevant = _relevant_types(request)
    current = [r for r in record_sets if r.type in relevant]
    others = [r for r in record_sets if r.type not in relevant]
    for record_set in current:
        if isinstance(record_set.ref, dict) and record_set.ref.get("SetIdentifier"):
            raise PlanError("%s has a %s record with a routing policy (SetIdentifier %s); this module does not "
                            "change weighted, latency or failover records" % (
                                owner, record_set.type, record_set.ref["SetIdentifier"]))
    if request.restore is not None:
        desired = list(request.restore)
    else:
        target = targets.domain(request.target) if request.target else None
        desired = _desired(provider, zone, request, target, current, targets)
        _check_expected(request, owner, current, desired, targets)
    if provider.can_proxy and request.restore is None and not request.challenge:
        _check_proxied(request, current)
    if any(r.type == "CNAME" for r in desired) and not is_apex(owner, zone.name):
        blocking = sorted(set(r.type for r in others))
        if blocking:
            raise PlanError("%s also has %s records; a CNAME cannot sit beside other data (RFC 1034). Move or "
                            "remove those records first" % (owner, ", ".join(blocking)))
    desired = [_with_ttl(r, request, current, provider) for r in desired]
    change = Change(owner, current, desired)
    entry = {
        "name": owner,
        "zone": zone.name,
        "provider": provider.name,
        "state": request.state,
        "action": _action(change),
        "before": [r.to_result() for r in current],
        "after": [r.to_result() for r in (current if change.is_noop else desired)],
    }
    return change, entry


def _desired(provider: Any, zone: Any, request: Request, target: Optional[str], current: List[RecordSet],
             targets: Targets) -> List[RecordSet]:
    if request.state == "absent":
        return []
    if request.challenge:
        return [RecordSet(request.owner(zone.name), "TXT", None, [target])]
    apex = is_apex(request.name, zone.name)
    proxied = None
    if provider.can_proxy:
        proxied = bool(request.proxied)
    if not apex:
        return [RecordSet(request.name, "CNAME", None, [target], proxied=proxied)]
    if provider.apex_mode == "alias":
        if not target.endswith(".cloudfront.net"):
            raise PlanError("%s is the apex of %s: Route 53 can only point it at CloudFront with an alias "
                            "A/AAAA record, so the target must be a dXXXX.cloudfront.net name or a distribution id"
                            % (request.name, zone.name))
        alias = AliasTarget(CLOUDFRONT_HOSTED_ZONE_ID, target)
        sets = [RecordSet(request.name, "A", None, (), alias)]
        if targets.ipv6(target):
            sets.append(RecordSet(request.name, "AAAA", None, (), alias))
        return sets
    if provider.apex_mode == "flatten":
        return [RecordSet(request.name, "CNAME", None, [target], proxied=proxied)]
    raise PlanError(provider.apex_refusal(request.name, zone.name))


def _check_expected(request: Request, owner: str, current: List[RecordSet], desired: List[RecordSet],
                    targets: Targets) -> None:
    if request.expected_current is None or not current:
        return
    by_key = dict((d.key, d) for d in desired)
    already = len(current) == len(desired) and all(c.same_data(by_key.get(c.key), compare_ttl=False) for c in current)
    if already:
        return
    expected = set(targets.domain(v) for v in request.expected_current)
    found = set(t for r in current for t in r.targets())
    unexpected = sorted(found - expected)
    if unexpected:
        raise PlanError("%s holds %s, which is not one of expected_current (%s); it was left alone. Check who "
                        "changed it, then run again with the right expected_current"
                        % (owner, ", ".join(unexpected), ", ".join(sorted(expected))))


def _check_proxied(request: Request, current: List[RecordSet]) -> None:
    proxied = [r for r in current if r.proxied]
    if proxied and request.proxied is None and request.state == "present":
        raise PlanError("%s is proxied by Cloudflare (orange cloud), so it resolves to Cloudflare's addresses and "
                        "not to CloudFront: CloudFront cannot see that the name points at it, and DNS cannot prove "
                        "it. Set proxied: false to turn it into a DNS-only record (or proxied: true to keep "
                        "Cloudflare in front on purpose)" % request.name)


def _with_ttl(record_set: RecordSet, request: Request, current: List[RecordSet], provider: Any) -> RecordSet:
    if record_set.alias is not None:
        return record_set
    if request.restore is not None and record_set.ttl is not None:
        # A backup puts each set back exactly as it was, its TTL included.
        return record_set
    if request.ttl is not None:
        return record_set.with_ttl(request.ttl)
    same = [r for r in current if r.key == record_set.key and r.ttl is not None]
    if same:
        return record_set.with_ttl(same[0].ttl)
    return record_set.with_ttl(provider.default_ttl)


def _action(change: Change) -> str:
    if change.is_noop:
        return "none"
    if not change.before:
        return "create"
    if not change.after:
        return "delete"
    return "update"


def diff_of(plans: List[ZonePlan]) -> List[Dict[str, Any]]:
    diffs = []
    for plan in plans:
        pending = plan.pending
        if not pending:
            continue
        diffs.append({
            "before_header": "%s (before)" % plan.zone.name,
            "after_header": "%s (after)" % plan.zone.name,
            "before": render([r for c in pending for r in c.before]),
            "after": render([r for c in pending for r in c.after]),
        })
    return diffs


def write_backup(provider: Any, plans: List[ZonePlan], backup_dir: str) -> Optional[str]:
    """Save what is about to be replaced, so that restore_from can put it back."""
    names = []
    for plan in plans:
        for change, entry in zip(plan.changes, plan.entries):
            if change.is_noop:
                continue
            types = sorted(set(r.type for r in change.before) | set(r.type for r in change.after))
            names.append({"zone": plan.zone.name, "zone_id": plan.zone.id, "name": change.name, "types": types,
                          "record_sets": [r.to_result() for r in change.before]})
    if not names:
        return None
    backup_dir = os.path.expanduser(backup_dir)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    path = os.path.join(backup_dir, "dns-%s-%s.json" % (provider.name, stamp))
    try:
        if not os.path.isdir(backup_dir):
            os.makedirs(backup_dir, 0o700)
        # Owner only: a backup shows a zone's records (and, for a TXT record, its value) to nobody else.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump({"format": BACKUP_FORMAT, "provider": provider.name, "created": stamp, "names": names},
                      handle, indent=2, sort_keys=True)
    except (IOError, OSError) as exc:
        raise PlanError("the backup could not be written to %s (%s), so nothing was changed. Give a backup_dir "
                        "this user can write to, or run without backup: true" % (path, exc))
    return path


def read_backup(path: str, provider_name: str) -> List[Request]:
    """Requests that put every name of a backup file back as it was."""
    try:
        with open(os.path.expanduser(path)) as handle:
            data = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        raise PlanError("cannot read the backup file %s: %s" % (path, exc))
    if not isinstance(data, dict) or data.get("format") != BACKUP_FORMAT:
        raise PlanError("%s is not a backup written by dns_cname_repoint" % path)
    if data.get("provider") != provider_name:
        raise PlanError("%s is a backup of provider %s, not %s" % (path, data.get("provider"), provider_name))
    requests = []
    for index, item in enumerate(data.get("names") or []):
        where = "names[%d]" % index
        try:
            name = to_ascii(item["name"], allow_wildcard=True, allow_underscore=True)
            zone = to_ascii(item["zone"], allow_underscore=True, what="zone")
            if not in_zone(name, zone):
                raise ValueError("%s is not inside the zone %s" % (name, zone))
            request = Request(name, zone, state="restore", where="%s of %s" % (where, path))
            request.restore = [RecordSet.from_result(r) for r in item.get("record_sets") or []]
            for record_set in request.restore:
                if record_set.name != name:
                    raise ValueError("a record set of %s is named %s" % (name, record_set.name))
            request.restore_types = [str(t) for t in item.get("types") or []]
        except KeyError as exc:
            raise PlanError("the backup file %s is damaged: %s has no %s. Nothing was changed; restore from another "
                            "backup, or put the records back by hand" % (path, where, exc))
        except (AttributeError, TypeError, ValueError) as exc:
            raise PlanError("the backup file %s is damaged: %s cannot be read (%s). Nothing was changed; restore "
                            "from another backup, or put the records back by hand" % (path, where, exc))
        requests.append(request)
    return requests


def apply_plan(provider: Any, plans: List[ZonePlan]) -> Dict[str, Any]:
    """Write every zone's pending changes; return provider tokens per zone.

    Each change written is marked ``applied``; when a zone fails, the zones before it
    stay written (see ``changed_by``) and the error is raised.
    """
    tokens = {}
    for plan in plans:
        pending = plan.pending
        if pending:
            tokens[plan.zone.name] = provider.apply(plan.zone, pending)
    return tokens


def changed_by(plans: List[ZonePlan]) -> bool:
    """Whether anything was actually changed (a write made, or one that failed halfway and stayed)."""
    return any(change.applied or change.left_changed for plan in plans for change in plan.pending)


def wait_for(provider: Any, plans: List["ZonePlan"], tokens: Dict[str, Any], resolver: Any,
             timeout: float) -> Dict[str, Any]:
    """Wait for the provider, then for the zone's authoritative servers to serve the new data."""
    deadline = time.time() + timeout
    report = {"provider_in_sync": True, "names": []}
    for plan in plans:
        if plan.zone.name in tokens:
            left = max(deadline - time.time(), 0)
            if not provider.wait_applied(plan.zone, tokens[plan.zone.name], left):
                report["provider_in_sync"] = False
    if resolver is None:
        return report
    flattening = provider.apex_mode == "flatten"
    changes = [(plan, change) for plan in plans for change in plan.pending]

    def served(item: Tuple[ZonePlan, Change]) -> Dict[str, Any]:
        plan, change = item
        if any(r.proxied for r in change.after):
            # A proxied record answers with Cloudflare's addresses: DNS cannot show it, only the API can.
            return {"name": change.name, "served": True, "seen": [],
                    "note": "proxied by Cloudflare; its DNS answers cannot show the record"}
        return _wait_served(resolver, change, deadline, flattening and is_apex(change.name, plan.zone.name))

    # Each name is asked of the nameservers on its own: several names are waited for at once.
    report["names"] = map_ordered(served, changes, DNS_WORKERS)
    return report


def _wait_served(resolver: Any, change: Change, deadline: float, flattened: bool = False) -> Dict[str, Any]:
    delay = 0.5
    while True:
        seen, ok = _served(resolver, change, flattened)
        if ok or time.time() + delay > deadline:
            return {"name": change.name, "served": ok, "seen": seen}
        time.sleep(delay)
        delay = min(delay * 2, 10)


def _served(resolver: Any, change: Change, flattened: bool = False) -> Tuple[List[Dict[str, Any]], bool]:
    try:
        zone = resolver.zone_for(change.name)
        servers = resolver.servers_for(zone)
    except ResolverError as exc:
        return [{"error": str(exc)}], False
    seen, ok = [], True
    wanted = dict((r.type, r) for r in change.after)
    rtypes = set(r.type for r in change.before) | set(wanted)
    flat = wanted.get("CNAME") if flattened else None
    if flat is not None:
        # A flattened apex CNAME is never served as a CNAME: the name answers with the target's addresses.
        rtypes = (rtypes - set(["CNAME", "AAAA"])) | set(["A"])
    for rtype in sorted(rtypes):
        for server in servers:
            answer = resolver.lookup(server, change.name, rtype)
            seen.append(answer.to_result())
            record_set = wanted.get(rtype)
            if answer.error:
                ok = False
            elif flat is not None:
                ok = ok and bool(set(answer.values) & set(resolver.addresses(flat.values[0])))
            elif record_set is None:
                ok = ok and not answer.values
            elif record_set.alias is not None:
                ok = ok and bool(set(answer.values) & set(resolver.addresses(record_set.alias.dns_name)))
            else:
                got = tuple(sorted(normalise_value(rtype, v) for v in answer.values))
                ok = ok and got == record_set.values
    return seen, ok


def summary(plans: List[ZonePlan]) -> List[Dict[str, Any]]:
    records = []
    for plan in plans:
        for change, entry in zip(plan.changes, plan.entries):
            record = dict(entry, applied=bool(change.applied))
            if change.read_back is not None:
                record["read_back"] = change.read_back
            records.append(record)
    return records
