# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Route 53 behind the provider interface.

One change batch per zone. A replaced set is DELETEd with exactly the data that
was read and CREATEd anew in the same batch: Route 53 applies a batch all or
nothing and a DELETE must match the live set exactly, so the batch is a
compare-and-swap (UPSERT is not) and also changes a record's type in one step
(amazon.aws#2694).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import AUDITED_TYPES, PAGE, _paginate, pages
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, in_zone, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import (
    ConcurrentChange,
    DnsError,
    DnsProvider,
    Zone,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import AliasTarget, RecordSet

# Reading a few names one by one is cheaper than listing a large zone; many names, the other way round.
PER_NAME_READ_LIMIT = 5
# The InvalidChangeBatch problems that mean "the live records are no longer what was read": a DELETE
# carries exactly the set that was read, so it only fails this way when someone changed the set since.
_STALE_DELETE = re.compile(r"Tried to delete resource record set (\[[^\]]*\]) but (it was not found|the values "
                           r"provided do not match the current values)")


def _api_name(name):
    # Route 53 writes '*' as '\052'; asking with the same spelling keeps its ordering.
    if name == "*" or name.startswith("*."):
        return "\\052" + name[1:] + "."
    return name + "."


def _parse_name(text, **kwargs):
    """A name Route 53 returned, normalised; None when it cannot be one of ours.

    Route 53 stores any octets in a name ('foo-', 'a\\100b'); such neighbours of the
    names being changed must not stop a run that does not touch them.
    """
    try:
        return to_ascii(text, **kwargs)
    except InvalidName:
        return None


class Route53Provider(DnsProvider):
    name = "route53"
    title = "Route 53"
    options = {
        # hosted_zone_id: amazon.aws's route53 name for it.
        "zone_id": dict(type="str", aliases=["hosted_zone_id"]),
    }
    needs_aws = True
    apex_mode = "alias"
    write_guarantee = (
        "compare-and-swap: each zone's change is one change batch that deletes exactly the record sets that were "
        "read; Route 53 applies a batch all or nothing and refuses it if any of them changed since.")

    def __init__(self, connection, zone_id=None):
        DnsProvider.__init__(self)
        self.connection = connection
        self.client = connection.client("route53")
        self.zone_id = zone_id

    @classmethod
    def from_settings(cls, settings, aws_connection=None, warn=None):
        aws_connection.check_credentials()
        return cls(aws_connection, zone_id=settings.get("zone_id"))

    @property
    def requests(self):
        return self.connection.requests.by_service

    def _aws(self, doing, function, **kwargs):
        try:
            return call(doing, function, **kwargs)
        except AwsError as exc:
            raise DnsError(str(exc), code=exc.code, exception=exc.exception)

    def find_zone(self, zone_name):
        if self.zone_id:
            zone = self._aws("GetHostedZone %s" % self.zone_id, self.client.get_hosted_zone,
                             Id=self.zone_id)["HostedZone"]
            found = _parse_name(zone["Name"])
            if found != zone_name:
                raise DnsError("hosted zone %s is %s, not %s" % (self.zone_id, found, zone_name))
            if zone.get("Config", {}).get("PrivateZone"):
                raise _private_zone_refused(zone_name, self.zone_id)
            return Zone(found, zone["Id"].split("/")[-1], {"private": False})
        response = self._aws("ListHostedZonesByName for %s" % zone_name, self.client.list_hosted_zones_by_name,
                             DNSName=zone_name + ".", MaxItems="20")
        matches = [z for z in response.get("HostedZones", []) if _parse_name(z["Name"]) == zone_name]
        # A public and a private zone may share a name; CloudFront only ever sees the public one.
        candidates = [z for z in matches if not z.get("Config", {}).get("PrivateZone")]
        if not candidates and matches:
            raise _private_zone_refused(zone_name, ", ".join(z["Id"].split("/")[-1] for z in matches))
        if not candidates:
            raise DnsError("no Route 53 hosted zone named %s in this account; check the zone name (dns_zone) and "
                           "the credentials" % zone_name, code="NoSuchHostedZone")
        if len(candidates) > 1:
            raise DnsError("%d hosted zones are named %s (%s); say which one with zone_id"
                           % (len(candidates), zone_name, ", ".join(z["Id"].split("/")[-1] for z in candidates)))
        zone = candidates[0]
        return Zone(zone_name, zone["Id"].split("/")[-1], {"private": False})

    def zone_for_name(self, name):
        zones = []
        paginator = self.client.get_paginator("list_hosted_zones")
        try:
            for page in paginator.paginate():
                zones.extend(page.get("HostedZones", []))
        except Exception as exc:
            raise DnsError("ListHostedZones failed: %s" % exc)
        fitting = [(_parse_name(z["Name"]), z) for z in zones]
        fitting = [(zone_name, z) for zone_name, z in fitting if zone_name and in_zone(name, zone_name)]
        private = [(zone_name, z) for zone_name, z in fitting if z.get("Config", {}).get("PrivateZone")]
        fitting = [pair for pair in fitting if pair not in private]
        if not fitting and private:
            zone_name, zone = max(private, key=lambda pair: len(pair[0]))
            raise _private_zone_refused(zone_name, zone["Id"].split("/")[-1])
        if not fitting:
            raise DnsError("no public Route 53 hosted zone in this account holds %s; give the zone (dns_zone)" % name,
                           code="NoSuchHostedZone")
        zone_name, best = max(fitting, key=lambda pair: len(pair[0]))
        return Zone(zone_name, best["Id"].split("/")[-1])

    def read(self, zone, names):
        wanted = set(names)
        if len(wanted) <= PER_NAME_READ_LIMIT:
            raw = []
            for name in sorted(wanted):
                raw.extend(self._read_name(zone, name))
        else:
            raw = self._read_zone(zone)
        found = dict((name, []) for name in wanted)
        for item in raw:
            name = _parse_name(item.get("Name", ""), allow_wildcard=True, allow_underscore=True)
            if name in found:
                found[name].append(self._from_api(item, name))
        return found

    def _read_name(self, zone, name):
        response = self._aws("ListResourceRecordSets for %s" % name, self.client.list_resource_record_sets,
                             HostedZoneId=zone.id, StartRecordName=_api_name(name), MaxItems="20")
        return [item for item in response.get("ResourceRecordSets", [])
                if _parse_name(item.get("Name", ""), allow_wildcard=True, allow_underscore=True) == name]

    def _read_zone(self, zone):
        items = []
        paginator = self.client.get_paginator("list_resource_record_sets")
        try:
            for page in paginator.paginate(HostedZoneId=zone.id):
                items.extend(page.get("ResourceRecordSets", []))
        except Exception as exc:
            raise DnsError("ListResourceRecordSets for zone %s failed: %s" % (zone.name, exc))
        return items

    @staticmethod
    def _from_api(item, name):
        try:
            alias = None
            if item.get("AliasTarget"):
                target = item["AliasTarget"]
                alias = AliasTarget(target["HostedZoneId"], target["DNSName"], target.get("EvaluateTargetHealth"))
            values = [r["Value"] for r in item.get("ResourceRecords") or []]
            return RecordSet(name, item["Type"], item.get("TTL"), values, alias, ref=item)
        except InvalidName as exc:
            raise DnsError("the %s record set at %s cannot be read (%s); this module cannot change a name whose "
                           "records it cannot read: fix or remove that record set in Route 53 first"
                           % (item.get("Type"), name, exc), code="UnreadableRecord")

    @staticmethod
    def _to_api(record_set):
        item = {"Name": _api_name(record_set.name), "Type": record_set.type}
        if record_set.alias is not None:
            item["AliasTarget"] = {"HostedZoneId": record_set.alias.hosted_zone_id,
                                   "DNSName": record_set.alias.dns_name + ".",
                                   "EvaluateTargetHealth": record_set.alias.evaluate_target_health}
        else:
            item["TTL"] = record_set.ttl if record_set.ttl is not None else 300
            values = list(record_set.values)
            if record_set.type == "TXT":
                values = ['"%s"' % v.replace('"', '\\"') for v in values]
            item["ResourceRecords"] = [{"Value": v} for v in values]
        return item

    def batch(self, changes):
        """The change batch for a list of Change values (DELETE exactly as read, then CREATE)."""
        deletes, creates = [], []
        for change in changes:
            deletes.extend({"Action": "DELETE", "ResourceRecordSet": record_set.ref or self._to_api(record_set)}
                           for record_set in change.removed())
            creates.extend({"Action": "CREATE", "ResourceRecordSet": self._to_api(record_set)}
                           for record_set in change.added())
        return deletes + creates

    def apply(self, zone, changes):
        batch = self.batch(changes)
        if not batch:
            return None
        try:
            response = call("ChangeResourceRecordSets for zone %s" % zone.name,
                            self.client.change_resource_record_sets, HostedZoneId=zone.id,
                            ChangeBatch={"Comment": "aliasguard.cloudfront", "Changes": batch})
        except AwsError as exc:
            if exc.code == "InvalidChangeBatch":
                raise self._refused(zone, exc)
            raise DnsError(str(exc), code=exc.code, exception=exc.exception)
        for change in changes:
            change.applied = True
        return response["ChangeInfo"]["Id"]

    @staticmethod
    def _refused(zone, exc):
        said = _aws_message(exc)
        stale = _STALE_DELETE.search(said)
        if stale:
            # Running again re-reads the records, so this cannot loop: a batch refused for any other
            # reason is refused again with that reason, below.
            return ConcurrentChange(
                "Route 53 refused the change batch for zone %s, so nothing in it was changed: the record set %s "
                "changed since it was read (the batch deletes exactly what was read, and %s); run again to "
                "re-read it. Route 53 said: %s" % (zone.name, stale.group(1), stale.group(2), said))
        return DnsError("Route 53 refused the change batch for zone %s, so nothing in it was changed. Running again "
                        "will not help: fix what Route 53 objects to first. Route 53 said: %s" % (zone.name, said),
                        code="InvalidChangeBatch")

    def wait_applied(self, zone, token, timeout):
        if not token:
            return True
        deadline = time.time() + timeout
        delay = 0.5
        while True:
            info = self._aws("GetChange %s" % token, self.client.get_change, Id=token)["ChangeInfo"]
            if info["Status"] == "INSYNC":
                return True
            if time.time() + delay > deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 10)


def _route53_record(zone, item, account):
    rtype = item["Type"]
    try:
        name = to_ascii(item["Name"], allow_wildcard=True, allow_underscore=True)
    except InvalidName:
        return None
    if rtype not in AUDITED_TYPES or (rtype == "TXT" and not name.startswith("_")):
        return None
    record = {"provider": "route53", "zone": zone, "account": account, "name": name, "type": rtype,
              "values": [r["Value"].strip('"') if rtype == "TXT" else r["Value"].rstrip(".").lower()
                         for r in item.get("ResourceRecords") or []]}
    if item.get("AliasTarget"):
        record["alias_target"] = {"hosted_zone_id": item["AliasTarget"]["HostedZoneId"],
                                  "dns_name": item["AliasTarget"]["DNSName"].rstrip(".").lower()}
    return record


def list_route53(client, cost, account, wanted=None):
    """Records of every public hosted zone (or only ``wanted`` zone names)."""
    zones = _paginate(client, "list_hosted_zones", ("HostedZones",),
                      PaginationConfig={"PageSize": str(PAGE["ListHostedZones"])})
    cost.need("ListHostedZones", pages(len(zones), PAGE["ListHostedZones"]))
    result = []
    for zone in zones:
        if zone.get("Config", {}).get("PrivateZone"):
            continue
        try:
            name = to_ascii(zone["Name"], allow_underscore=True)
        except InvalidName:
            continue  # e.g. a classless reverse zone ('0/26.2.0.192.in-addr.arpa'): no CloudFront alias lives there
        if wanted is not None and name not in wanted:
            continue
        items = _paginate(client, "list_resource_record_sets", ("ResourceRecordSets",),
                          HostedZoneId=zone["Id"], PaginationConfig={"PageSize": str(PAGE["ListResourceRecordSets"])})
        cost.need("ListResourceRecordSets", pages(len(items), PAGE["ListResourceRecordSets"]))
        records = [r for r in (_route53_record(name, i, account) for i in items) if r is not None]
        result.append({"zone": name, "id": zone["Id"].split("/")[-1], "record_sets": len(items), "records": records})
    return result


def _private_zone_refused(zone_name, zone_ids):
    return DnsError(
        "the Route 53 hosted zone %s (%s) is a private hosted zone, and CloudFront records belong in a public "
        "one: a private zone answers only inside its VPCs, so neither viewers on the internet nor CloudFront itself "
        "(its CNAMEAlreadyExists check, the TXT record AssociateAlias reads) ever see it, and Route 53 does not "
        "let an alias record in a private zone point at CloudFront. Give the public hosted zone of %s (its zone_id, "
        "or leave zone_id out to use it by name); create one if %s has none"
        % (zone_name, zone_ids, zone_name, zone_name),
        code="PrivateHostedZone")


def _aws_message(exc):
    """Route 53's own words from an AwsError (its Error.Message), else the whole text."""
    original = getattr(exc, "exception", None)
    response = getattr(original, "response", None)
    if isinstance(response, dict):
        message = (response.get("Error") or {}).get("Message")
        if message:
            return message
    return str(exc)
