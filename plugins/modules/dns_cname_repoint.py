#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dns_cname_repoint
short_description: Point a DNS name at a CloudFront distribution, or remove its record, at Route 53, Cloudflare, Google Cloud DNS or any RFC 2136 server
version_added: 0.1.0
description:
  - Step 2 of the C(CNAMEAlreadyExists) runbook. Points O(name) at O(target) (a C(dXXXX.cloudfront.net)
    name or a distribution id, resolved through CloudFront), or removes the name's record with O(state=absent).
  - The record type follows the name. Below the zone apex it is a CNAME. At the apex it is a Route 53
    alias A record (and AAAA when the distribution has IPv6) to CloudFront's hosted zone C(Z2FDTNDATAQYW2),
    or a Cloudflare CNAME (which Cloudflare flattens); an RFC 2136 server and Google Cloud DNS cannot hold a CNAME
    at the apex and have no alias record, so that is refused before any change. An existing A or alias record
    becomes a CNAME, and back, in one change.
  - At Route 53, RFC 2136 and Google Cloud DNS every write is a compare-and-swap against what was read (Route 53
    DELETE+CREATE in one batch, RFC 2136 prerequisites, one Cloud DNS change deleting exactly what was read), and a
    record someone changed since it was read makes the provider refuse the whole write. Cloudflare has no
    conditional write, so there a change made by someone else can only be detected, not refused; RV(write_guarantee)
    says what each provider guarantees. With O(expected_current) the record is only changed when it holds one of
    those values now; a record holding anything else is left alone and the module fails saying what it found.
  - Many names in one call with O(records) - one Route 53 change batch, one RFC 2136 update and one Cloud DNS change
    per zone. A few names of a zone (up to five) are read one by one (Route 53 by name, Cloudflare with its exact
    name filter); more with one listing per zone.
  - An RFC 2136 zone is read with one TSIG-signed zone transfer (AXFR) per run, the only read that shows
    every record type at a name and tells a name's own records from a wildcard's answers. When the server
    refuses the transfer, each name is read with one query per record type and the module warns what that
    cannot see.
  - Two requests in one run for the same record (the same name, or two aliases whose C(_) TXT records are
    the same, like V(example.com) and V(*.example.com) with O(challenge=true)) are refused before anything
    changes; run them one at a time.
  - At Cloudflare the names are read again right before the write and compared by record id (a record
    changed, added or deleted since the plan stops the run with nothing written); then every change of the
    zone is sent in one C(/dns_records/batch) request, which Cloudflare runs as one transaction (all or
    nothing; a record that changes type keeps its id, so a name never goes without its records); then the
    names are read back. A record that is not what was written, or a field the module did not write that
    changed, fails the run as a concurrent change, with what was written and what is there now
    (RV(records[].read_back)). A change made by someone else in the one round trip between the re-read and
    the batch, touching only the fields the module then overwrites, cannot be seen. An RFC 2136 server that accepts an
    update but drops part of it is found by reading the new data back; the name is put back as it was and
    the failure says what it holds.
  - Also manages the C(_<alias>) TXT record that C(AssociateAlias) requires before it moves an alias
    (O(challenge=true)).
  - Route 53 private hosted zones are refused (a O(zone_id) of one, or a name only a private zone has) - they
    answer only inside their VPCs, so CloudFront and its viewers never see them, and Route 53 does not allow an
    alias record to CloudFront there. With a public and a private zone of the same name, the public one is used.
  - RV(changed) says what was really changed - in a failed run with several zones, true when an earlier zone
    was written - and each entry of RV(records) says with RV(records[].applied) whether its change was made.
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.dns_provider
  - aliasguard.cloudfront.aws
  - aliasguard.cloudfront.dns_lookup
  - aliasguard.cloudfront.results
options:
  zone:
    description:
      - The zone that holds the name(s), for example V(example.com).
      - When not given, the longest zone the provider knows that contains the name is used.
    type: str
    aliases: [zone_name]
  name:
    description:
      - The DNS name to change, fully qualified (V(www.example.com)), or V(@) for the zone apex.
      - Mutually exclusive with O(records) and O(restore_from).
    type: str
    aliases: [record]
  target:
    description:
      - Where the name should point - a distribution id, or the C(dXXXX.cloudfront.net) name of a distribution in
        this account. Both are checked against the account's distributions (with the AWS options, whatever the
        provider), so that no name is pointed at a distribution that does not exist - a dangling record anyone
        could take over by adding the name to their own distribution.
      - Any other host, or another account's distribution, only with O(allow_any_target=true).
      - Required with O(state=present).
    type: str
  allow_any_target:
    description:
      - Point the name (or, with O(challenge=true), set the TXT value) at O(target) without checking that it is a
        distribution of this account - for a host outside CloudFront, or another account's distribution.
    type: bool
    default: false
  state:
    description:
      - V(present) points the name at O(target); V(absent) removes its CNAME/A/AAAA records (or, with
        O(challenge=true), its C(_) TXT record).
    type: str
    choices: [present, absent]
    default: present
  expected_current:
    description:
      - The values the name may hold now (CloudFront names, distribution ids, host names or addresses),
        typically the old distribution. When the name holds anything else, nothing is changed and the module
        fails. When the name has no record at all, it is created.
    type: list
    elements: str
  ttl:
    description:
      - TTL of new records, in seconds. When not given, an existing record keeps its TTL; new records get 300
        (Cloudflare - automatic).
    type: int
  proxied:
    description:
      - Cloudflare only (refused with the other providers). Whether the record is proxied by Cloudflare (orange
        cloud).
      - CloudFront needs DNS-only records. A record that is proxied now is only turned DNS-only when this is
        V(false) explicitly; when this is not given and the record is proxied, the module fails and explains.
    type: bool
  challenge:
    description:
      - Manage the TXT record C(_<name>) that C(AssociateAlias) checks (value - the target distribution's
        domain name) instead of the name's own record.
      - O(name) is then the CloudFront alias (V(www.example.com), V(*.example.com)), not the TXT record's name;
        the module adds the C(_).
      - AWS documents C(_<alias>), and no name for a wildcard or an alias at a zone apex; there this module writes
        C(_.example.com) (C(_example.com) would lie outside the zone, and a TXT record cannot be a wildcard).
        O(challenge_name) gives another name.
    type: bool
    default: false
  challenge_name:
    description:
      - With O(challenge=true), the TXT record's name to write instead of the one derived from O(name), for example
        what AWS Support asks for an apex or a wildcard alias. It must lie inside the zone.
    type: str
  records:
    description:
      - Many names in one call. Each item takes the per-name options; the top-level values are defaults.
    type: list
    elements: dict
    suboptions:
      name: {description: As O(name)., type: str, required: true, aliases: [record]}
      zone: {description: As O(zone)., type: str, aliases: [zone_name]}
      target: {description: As O(target)., type: str}
      state: {description: As O(state)., type: str, choices: [present, absent]}
      expected_current: {description: As O(expected_current)., type: list, elements: str}
      ttl: {description: As O(ttl)., type: int}
      proxied: {description: As O(proxied)., type: bool}
      challenge: {description: As O(challenge)., type: bool}
      allow_any_target: {description: As O(allow_any_target)., type: bool}
      challenge_name: {description: As O(challenge_name)., type: str}
  backup:
    description:
      - Before changing anything, write the records about to be replaced to a JSON file in O(backup_dir),
        returned as RV(backup_file). O(restore_from) puts them back.
    type: bool
    default: false
  backup_dir:
    description:
      - Where backup files go (on the host that runs the module).
    type: path
    default: ~/.ansible/aliasguard/backups
  restore_from:
    description:
      - A backup file written by O(backup=true). Every name in it is put back exactly as it was (as a
        compare-and-swap against what is there now).
    type: path
  wait:
    description:
      - Wait until the change is live - Route 53 C(INSYNC), then the new data on every authoritative
        nameserver of the zone (see O(nameservers)).
      - A Cloudflare apex CNAME is flattened, so there it waits for the target's addresses. A record kept
        proxied (O(proxied=true)) answers with Cloudflare's addresses, so DNS cannot show it; it counts as
        served once the API holds it.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait at most when O(wait=true).
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Reads the zones and reports the plan; no change is sent.
  diff_mode:
    support: full
    description: The records of each changed name before and after, in zone-file form.
seealso:
  - module: aliasguard.cloudfront.cloudfront_alias_conflict_info
  - module: aliasguard.cloudfront.cloudfront_distribution_alias
  - module: aliasguard.cloudfront.dns_cname_verify
"""

EXAMPLES = r"""
- name: Point www at the new distribution, only if it still points at the old one (Route 53)
  aliasguard.cloudfront.dns_cname_repoint:
    provider: route53
    zone: example.com
    name: www.example.com
    target: d111111abcdef8.cloudfront.net
    expected_current: [d222222abcdef8.cloudfront.net]
    backup: true
    wait: true

- name: The apex, by distribution id (becomes Route 53 alias A/AAAA records)
  aliasguard.cloudfront.dns_cname_repoint:
    provider: route53
    zone: example.com
    name: "@"
    target: E2ABCDEF012345

- name: Cloudflare, turning a proxied record into DNS only on purpose
  aliasguard.cloudfront.dns_cname_repoint:
    provider: cloudflare
    api_token: "{{ vault_cloudflare_token }}"
    zone: example.com
    name: www.example.com
    target: d111111abcdef8.cloudfront.net
    proxied: false

- name: BIND (RFC 2136) with a TSIG key (the secret from RFC2136_KEY_SECRET in the environment)
  aliasguard.cloudfront.dns_cname_repoint:
    provider: rfc2136
    server: ns1.example.net
    key_name: ansible-update
    zone: example.net
    name: www.example.net
    target: d111111abcdef8.cloudfront.net

- name: A name pointed at a host outside CloudFront, on purpose
  aliasguard.cloudfront.dns_cname_repoint:
    provider: route53
    zone: example.com
    name: legacy.example.com
    target: origin.example.org
    allow_any_target: true

- name: The TXT record AssociateAlias needs, then gone again
  aliasguard.cloudfront.dns_cname_repoint:
    provider: route53
    zone: example.com
    name: www.example.com
    challenge: true
    target: d111111abcdef8.cloudfront.net
    state: "{{ item }}"
  loop: [present, absent]

- name: Fifty names in one change batch
  aliasguard.cloudfront.dns_cname_repoint:
    provider: route53
    zone: example.com
    target: d111111abcdef8.cloudfront.net
    records: "{{ names | map('community.general.dict_kv', 'name') | list }}"

- name: Put back what a run replaced
  aliasguard.cloudfront.dns_cname_repoint:
    provider: route53
    restore_from: ~/.ansible/aliasguard/backups/dns-route53-20261127T120000.000000Z.json
"""

RETURN = r"""
records:
  description: One entry per name, with what it held and what it holds (or would hold in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: "The name changed (for O(challenge=true) the C(_) TXT name)."
      type: str
      sample: www.example.com
      returned: always
    zone:
      description: "Its zone."
      type: str
      sample: example.com
      returned: always
    provider:
      description: "The provider."
      type: str
      sample: route53
      returned: always
    action:
      description: "V(create), V(update), V(delete) or V(none)."
      type: str
      sample: update
      returned: always
    before:
      description: "The record sets before (name, type, ttl, values, alias_target, proxied)."
      type: list
      elements: dict
      sample:
        - name: www.example.com
          type: CNAME
          ttl: 300
          values:
          - d2222222abcdef.cloudfront.net
          alias_target: null
          proxied: null
      returned: always
    after:
      description:
        - "The record sets the plan puts there: what the name holds when RV(records[].applied) is true, and what
          it would hold in check mode."
      type: list
      elements: dict
      sample:
        - name: www.example.com
          type: CNAME
          ttl: 300
          values:
          - d111111abcdef8.cloudfront.net
          alias_target: null
          proxied: null
      returned: always
    applied:
      description:
        - "Whether this name's change was made. False in check mode, for names that needed no change, and for
          names whose write was refused, was not reached because an earlier zone failed, or was undone (the
          failure message then says what the name holds)."
      type: bool
      sample: true
      returned: always
    read_back:
      description:
        - "Cloudflare only: what reading the name back after the write showed - V(as written), or what differs
          (someone else changed the same records at the same time)."
      type: str
      returned: when the change was written at Cloudflare
      sample: as written
changed:
  description:
    - Whether anything was changed. In check mode, whether anything would change.
    - In a failed run, true only when something was written before the failure (a run over several zones can
      half succeed; see RV(records[].applied)); a write the provider refused leaves it false.
  returned: always
  type: bool
  sample: true
backup_file:
  description: The backup written, when O(backup=true) and something changed.
  returned: when backup was written
  type: str
  sample: /home/deploy/.ansible/aliasguard/backups/route53-example.com-20261130T180000Z.json
wait:
  description: With O(wait=true), whether the provider reported the change in sync and what each nameserver served.
  returned: when wait is true and something changed
  type: dict
  sample:
    provider_in_sync: true
    names:
    - name: www.example.com
      served: true
      seen:
      - server: 205.251.192.1
        values:
        - d111111abcdef8.cloudfront.net
write_guarantee:
  description:
    - What the provider guarantees about a write made against records that someone else changed since they
      were read. C(compare-and-swap) at Route 53 and RFC 2136 (the provider refuses such a write); C(detect only)
      at Cloudflare, which has no conditional write.
  returned: always
  type: str
  sample: "compare-and-swap: each zone's change is one change batch that deletes exactly the record sets that
    were read; Route 53 applies a batch all or nothing and refuses it if any of them changed since."
requests:
  description: API requests sent, by service (retries included).
  returned: always
  type: dict
  sample: {"route53": 3, "cloudfront": 1}
resource_actions:
  description: C(service:Operation) of every AWS call sent, sorted (the IAM actions this run needed).
  returned: always
  type: list
  elements: str
  sample: [route53:ChangeResourceRecordSets, route53:ListHostedZonesByName]
"""

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import is_distribution_id
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import DnsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import (
    PROVIDER_REQUIRED_IF,
    PROXYING,
    build_provider,
    check_provider_options,
    provider_argument_spec,
    provider_class,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._repoint import (
    PlanError,
    Targets,
    apply_plan,
    changed_by,
    diff_of,
    needs_account_check,
    parse_requests,
    plan_repoint,
    read_backup,
    summary,
    wait_for,
    write_backup,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import ResolverError

PER_NAME = ("zone", "target", "state", "expected_current", "ttl", "proxied", "challenge", "challenge_name",
            "allow_any_target")


def main():
    argument_spec = provider_argument_spec()
    argument_spec.update(
        # record, zone_name: the names community.dns and amazon.aws's route53 give these options.
        zone=dict(type="str", aliases=["zone_name"]),
        name=dict(type="str", aliases=["record"]),
        target=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        expected_current=dict(type="list", elements="str"),
        ttl=dict(type="int"),
        proxied=dict(type="bool"),
        challenge=dict(type="bool", default=False),
        allow_any_target=dict(type="bool", default=False),
        challenge_name=dict(type="str"),
        records=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True, aliases=["record"]),
            zone=dict(type="str", aliases=["zone_name"]),
            target=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"]),
            expected_current=dict(type="list", elements="str"),
            ttl=dict(type="int"),
            proxied=dict(type="bool"),
            challenge=dict(type="bool"),
            allow_any_target=dict(type="bool"),
            challenge_name=dict(type="str"),
        )),
        backup=dict(type="bool", default=False),
        backup_dir=dict(type="path", default="~/.ansible/aliasguard/backups"),
        restore_from=dict(type="path"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )
    module = AliasguardModule(
        argument_spec,
        dns_lookup=True,
        required_if=PROVIDER_REQUIRED_IF,
        required_one_of=[["name", "records", "restore_from"]],
        mutually_exclusive=[["name", "records", "restore_from"]],
    )
    params = module.params

    # Validate everything the user typed before a single request goes out.
    if params["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout must be zero or more seconds, not %s" % params["wait_timeout"])
    try:
        given = dict(params)
        if any(record.get("proxied") is not None for record in params["records"] or []):
            given["proxied"] = True  # records[].proxied: also only for providers that proxy
        settings = check_provider_options(given, more={"proxied": PROXYING})
        if params["restore_from"]:
            requests = read_backup(params["restore_from"], params["provider"])
        else:
            defaults = dict((key, params[key]) for key in PER_NAME)
            entries = params["records"] if params["records"] else [dict(name=params["name"])]
            requests = parse_requests(entries, defaults, many=bool(params["records"]))
        resolver = module.resolver() if params["wait"] else None
        connection = module.aws(check_credentials=False) if _needs_aws(params, requests) else None
        provider = build_provider(settings, connection)
    except (PlanError, DnsError, AwsError, ResolverError) as exc:
        module.fail_from(exc)
    module.count_requests_of(provider)

    targets = Targets((lambda: connection.client("cloudfront")) if connection is not None else None)
    result = dict(changed=False, write_guarantee=provider.write_guarantee)
    try:
        plans = plan_repoint(provider, requests, targets)
        result["records"] = summary(plans)
        pending = any(plan.pending for plan in plans)
        result["changed"] = pending  # in check mode: what would change
        if module._diff and pending:
            result["diff"] = diff_of(plans)
        if pending and not module.check_mode:
            result["changed"] = False
            if params["backup"]:
                result["backup_file"] = write_backup(provider, plans, params["backup_dir"])
            try:
                tokens = apply_plan(provider, plans)
            finally:
                # Only what was written counts, zone by zone: a refused write changed nothing.
                result["changed"] = changed_by(plans)
                result["records"] = summary(plans)
            if params["wait"]:
                result["wait"] = wait_for(provider, plans, tokens, resolver, params["wait_timeout"])
                if not _all_served(result["wait"]):
                    _fail(module, provider, result, None,
                          "The change was made, but it was not served everywhere within %d seconds (see wait)"
                          % params["wait_timeout"])
    except (PlanError, DnsError, AwsError, ResolverError, InvalidName) as exc:
        _fail(module, provider, result, exc, str(exc))
    _warn(module, provider)
    module.exit_json(**result)


def _fail(module, provider, result, exc, message):
    _warn(module, provider)
    module.fail_from(exc, msg=message, **result)


def _warn(module, provider):
    for warning in provider.warnings:
        module.warn(warning)


def _needs_aws(params, requests):
    if provider_class(params["provider"]).needs_aws:
        return True
    if any(needs_account_check(r) for r in requests):
        return True  # the target is checked against the account's distributions
    values = [r.target for r in requests if r.target] + [v for r in requests for v in (r.expected_current or [])]
    return any(is_distribution_id(v) for v in values)


def _all_served(report):
    return report.get("provider_in_sync", True) and all(n.get("served") for n in report.get("names", []))


if __name__ == "__main__":
    main()
