#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alias_audit_report
short_description: Cross-reference CloudFront aliases with DNS and write the audit report (JSON, Markdown, HTML)
version_added: 0.1.0
description:
  - Takes the inventories of every audited account (M(aliasguard.cloudfront.cloudfront_alias_inventory_info)),
    the zones of the other DNS providers (M(aliasguard.cloudfront.dns_zone_inventory_info)) and the few
    C(ListConflictingAliases) answers (M(aliasguard.cloudfront.cloudfront_alias_holders_info)), and finds what
    is inconsistent or dangerous. Each finding has a O(ignore:kind), a severity, the name, what was seen and
    the exact fix (often a ready C(remediate) command).
  - "Kinds: V(dangling_cname) (DNS points at a CloudFront name of a distribution that does not exist or does not
    hold the name: takeover risk), V(dns_points_elsewhere) (DNS points at a different distribution than the one
    holding the name: the 409 waiting to happen), V(alias_without_dns), V(proxied_in_front) (a proxied Cloudflare
    record in front of CloudFront), V(overlapping_holders) (a wildcard on one distribution, a name under it on
    another), V(disabled_holder), V(leftover_txt) (a C(_<alias>) TXT record left from a move)."
  - Writes C(audit.json), C(audit.md) and C(audit.html) (one self-contained page) to O(report_dir). Sends no API
    request; with O(dns_check) it asks DNS whether CloudFront names outside the audited accounts exist.
  - Writes the report files in check mode too, because the report is what an audit run is for, and it changes
    nothing anywhere else.
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.dns_lookup
options:
  inventories:
    description: The C(inventory) results of M(aliasguard.cloudfront.cloudfront_alias_inventory_info), one per account.
    type: list
    elements: dict
    required: true
  dns_zones:
    description: The C(zones) results of M(aliasguard.cloudfront.dns_zone_inventory_info), all providers together.
    type: list
    elements: dict
    default: []
  conflicts:
    description: The C(holders) results of M(aliasguard.cloudfront.cloudfront_alias_holders_info), merged.
    type: dict
    default: {}
  extra_requests:
    description: Requests sent by the other inventory steps (DNS providers, ListConflictingAliases), for the cost.
    type: int
    default: 0
  extra_lower_bound:
    description: The lower bound of those other steps.
    type: int
    default: 0
  report_dir:
    description: Where to write the report files (created if missing).
    type: path
  dns_check:
    description: Ask DNS whether CloudFront names outside the audited accounts exist (NXDOMAIN means dangling).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The same in check mode (see the description about the report files).
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: Write the report
  aliasguard.cloudfront.alias_audit_report:
    inventories: "{{ groups['aws_accounts'] | map('extract', hostvars, 'audit_inventory') | list }}"
    dns_zones: "{{ audit_dns_zones }}"
    report_dir: /var/tmp/audit
"""

RETURN = r"""
findings:
  description: Every finding - kind, severity, name, detail, fix (and dns, account, distribution_id where known).
  returned: always
  type: list
  elements: dict
summary:
  description: Counts by kind and by severity.
  returned: always
  type: dict
files:
  description: The files written.
  returned: when report_dir is given
  type: dict
  sample: {json: /tmp/audit/audit.json, markdown: /tmp/audit/audit.md, html: /tmp/audit/audit.html}
requests:
  description: API requests of the whole audit (total).
  returned: always
  type: int
requests_lower_bound:
  description: The fewest requests the same inventory needs.
  returned: always
  type: int
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import (
    SCHEMA,
    Fleet,
    all_records,
    find_problems,
    summary,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._report import (
    render_html,
    render_json,
    render_markdown,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import (
    AuthoritativeResolver,
    ResolverError,
)


def cloudfront_names_outside(inventories, records):
    fleet = Fleet(inventories)
    names = set()
    for record in records:
        target = (record.get("alias_target") or {}).get("dns_name")
        if not target and record["type"] == "CNAME" and record.get("values"):
            target = record["values"][0]
        if target and target.endswith(".cloudfront.net") and target not in fleet.by_domain:
            names.add(target)
    return sorted(names)


def check_exists(names, nameservers, timeout):
    """{name: exists} from the first authoritative answer; a name no server answered for is left out (unknown).

    A refusal, a failure or a cache's answer (no AA flag) proves nothing, so it never makes a name "missing":
    that would report a dangling record that is not one.
    """
    resolver = AuthoritativeResolver(nameservers, timeout=timeout)
    exists = {}
    for name in names:
        try:
            servers = resolver.explicit or resolver.servers_for(resolver.zone_for(name))
        except ResolverError:
            continue  # unknown: the finding says it could not be checked
        for server in servers:
            answer = resolver.lookup(server, name, "A")
            if not answer.error:
                exists[name] = answer.rcode != "NXDOMAIN"
                break
    return exists


def account_summaries(inventories, findings):
    result = []
    for inventory in inventories:
        account = inventory["account_id"]
        result.append({
            "account_id": account,
            "label": inventory.get("label", account),
            "distributions": len(inventory.get("distributions", [])),
            "aliases": sum(len(d.get("aliases", [])) for d in inventory.get("distributions", [])),
            "zones": len(inventory.get("route53", [])),
            "records": sum(z.get("record_sets", 0) for z in inventory.get("route53", [])),
            "findings": sum(1 for f in findings if f.get("account") == account
                            or (f.get("dns") or {}).get("account") == account),
        })
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            inventories=dict(type="list", elements="dict", required=True),
            dns_zones=dict(type="list", elements="dict", default=[]),
            conflicts=dict(type="dict", default={}),
            extra_requests=dict(type="int", default=0),
            extra_lower_bound=dict(type="int", default=0),
            report_dir=dict(type="path"),
            dns_check=dict(type="bool", default=True),
            nameservers=dict(type="list", elements="str"),
            dns_timeout=dict(type="float", default=3.0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    inventories = params["inventories"]
    if not inventories:
        module.fail_json(msg="inventories is empty: run cloudfront_alias_inventory_info for at least one account")
    for index, inventory in enumerate(inventories):
        if not inventory:
            module.fail_json(msg="inventories[%d] is an empty mapping, not a cloudfront_alias_inventory_info "
                                 "inventory: pass the inventory that module returned for each account (did it fail "
                                 "or get skipped for that account?)" % index)
        if "account_id" not in inventory or "distributions" not in inventory:
            module.fail_json(msg="inventories[%d] is not a cloudfront_alias_inventory_info inventory (it has no %s)"
                                 % (index, " and no ".join(k for k in ("account_id", "distributions")
                                                           if k not in inventory)))
    for option in ("extra_requests", "extra_lower_bound"):
        if params[option] < 0:
            module.fail_json(msg="%s must be zero or more, not %d" % (option, params[option]))
    if params["dns_timeout"] <= 0:
        module.fail_json(msg="dns_timeout must be a positive number of seconds, not %s" % params["dns_timeout"])
    records = all_records(inventories, params["dns_zones"])
    exists = {}
    if params["dns_check"]:
        try:
            exists = check_exists(cloudfront_names_outside(inventories, records), params["nameservers"],
                                  params["dns_timeout"])
        except ResolverError as exc:
            module.fail_json(msg=str(exc))
    findings = find_problems(inventories, records, params["conflicts"], exists)
    requests = sum(i.get("requests_total", 0) for i in inventories) + params["extra_requests"]
    lower_bound = sum(i.get("requests_lower_bound_total", 0) for i in inventories) + params["extra_lower_bound"]
    report = {
        "schema": SCHEMA,
        "generated": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "accounts": account_summaries(inventories, findings),
        "dns_sources": [{"provider": z.get("provider", "dns"), "zone": z["zone"], "records": z.get("record_sets", 0)}
                        for z in params["dns_zones"]],
        "findings": findings,
        "summary": summary(findings),
        "requests": {"total": requests},
        "requests_lower_bound": {"total": lower_bound},
    }
    result = dict(changed=False, findings=findings, summary=report["summary"], requests=requests,
                  requests_lower_bound=lower_bound)
    if params["report_dir"]:
        directory = params["report_dir"]
        files = {"json": os.path.join(directory, "audit.json"), "markdown": os.path.join(directory, "audit.md"),
                 "html": os.path.join(directory, "audit.html")}
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory)
            for kind, render in (("json", render_json), ("markdown", render_markdown), ("html", render_html)):
                with open(files[kind], "w") as handle:
                    handle.write(render(report))
        except (IOError, OSError) as exc:
            module.fail_json(msg="the report could not be written to report_dir %s (%s): give a directory this user "
                                 "can create and write to" % (directory, exc), **result)
        result["files"] = files
    module.exit_json(**result)


if __name__ == "__main__":
    main()
