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
    the zones of the other DNS providers (M(aliasguard.cloudfront.dns_zone_inventory_info)) and the answers about
    holders (M(aliasguard.cloudfront.cloudfront_alias_holders_info)), and finds what is inconsistent or dangerous.
    Each finding has a stable C(id), a O(ignore:kind), a severity, the name, what was seen and the exact fix (often
    a ready C(remediate) command).
  - "Kinds: V(dangling_cname) (DNS leads to CloudFront, but the target is proved not to exist or AWS answered that
    nobody holds the name: takeover risk), V(dns_points_elsewhere) (DNS points at a different distribution than the
    one holding the name: the 409 waiting to happen), V(unverified) (DNS leads to CloudFront, no audited
    distribution holds the name, and neither DNS nor AWS could say whether anybody does; with the reasons),
    V(alias_without_dns), V(proxied_in_front) (a proxied Cloudflare record in front of CloudFront),
    V(overlapping_holders) (a wildcard on one distribution, a name under it on another), V(disabled_holder),
    V(leftover_txt) (a C(_<alias>) TXT record left from a move), V(tenant_dns_other_group) (a distribution tenant's
    domain whose DNS leads to another connection group's routing endpoint), V(tenant_domain_inactive) (a distribution
    tenant's domain that CloudFront does not serve: its status is inactive)."
  - Distribution tenants and connection groups in the inventories (CloudFront SaaS Manager) hold and receive names
    like distributions do, so a name served through a routing endpoint is never C(dangling_cname).
  - With O(previous_report), marks every finding C(new) or C(unchanged) and lists the previous findings that are
    gone as C(resolved).
  - Writes C(audit.json), C(audit.md) and C(audit.html) (one self-contained page with a map of who owns which name
    and where DNS sends it) to O(report_dir). Each file is written to a temporary file in O(report_dir) and renamed
    over the old one (readers never see half a report), with mode C(0644). C(changed) is true when a file's content
    changed, which is every run, since the report carries the time it was generated.
  - In check mode the files are not written; C(changed) says whether they would be. The audit playbook runs this
    task with C(check_mode=false), because the report is what an audit run is for and it changes nothing else.
  - Sends no API request; with O(dns_check) it asks DNS whether CloudFront names outside the audited accounts exist
    (those not already in O(cloudfront_targets)).
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.dns_lookup
  - aliasguard.cloudfront.results
options:
  inventories:
    description:
      - The C(inventory) results of M(aliasguard.cloudfront.cloudfront_alias_inventory_info), one per account.
      - An inventory in its short form (that module ran with
        O(aliasguard.cloudfront.cloudfront_alias_inventory_info#module:inventory_file)) is read from its file on the
        host that runs this module, so that the fleet is never in this module's arguments.
    type: list
    elements: dict
    required: true
  dns_zones:
    description:
      - The C(zones) results of M(aliasguard.cloudfront.dns_zone_inventory_info), all providers together.
      - Zones in their short form (that module ran with
        O(aliasguard.cloudfront.dns_zone_inventory_info#module:zones_file)) are read from their file on the host that
        runs this module.
    type: list
    elements: dict
    default: []
  conflicts:
    description: The C(holders) results of M(aliasguard.cloudfront.cloudfront_alias_holders_info), merged.
    type: dict
    default: {}
  conflict_errors:
    description: The C(errors) results of M(aliasguard.cloudfront.cloudfront_alias_holders_info), merged.
    type: dict
    default: {}
  conflict_apis:
    description: The C(apis) results of M(aliasguard.cloudfront.cloudfront_alias_holders_info), merged.
    type: dict
    default: {}
  cloudfront_targets:
    description:
      - The C(targets) results of M(aliasguard.cloudfront.cloudfront_alias_holders_info), merged, so that no name is
        looked up twice.
    type: dict
    default: {}
  previous_report:
    description:
      - An earlier C(audit.json) of this audit. Findings are compared by their C(id) (a hash of the kind, the name
        and what identifies the thing, never of the wording).
    type: path
  extra_requests:
    description: Requests sent by the other inventory steps (DNS providers, holders), for the cost.
    type: int
    default: 0
  extra_lower_bound:
    description: The lower bound of those other steps.
    type: int
    default: 0
  report_dir:
    description: Where to write the report files (created if missing, mode 0755).
    type: path
  dns_check:
    description:
      - Ask DNS whether CloudFront names outside the audited accounts exist. Only an authoritative NXDOMAIN makes a
        name dangling; a name no nameserver answered for is unknown.
    type: bool
    default: true
  return_findings:
    description:
      - Which findings RV(findings) and RV(resolved) hold. The report files always hold every finding.
      - V(all) - every finding and every resolved one.
      - V(high) - the critical and high findings only (every finding the P(aliasguard.cloudfront.audit_page#filter)
        filter can select), and no resolved one.
      - V(none) - none; RV(summary) still counts them all.
      - A large fleet's findings, returned whole, are kept in the controller's memory for the rest of the play; the
        audit playbook asks for V(high) when O(ignore:fail_on) may page and V(none) otherwise.
    type: str
    choices: [all, high, none]
    default: all
attributes:
  check_mode:
    support: full
    description: Computes everything and writes nothing; C(changed) says whether the files would change.
  diff_mode:
    support: partial
    description: Shows the summary of the report on disk and of the new one (C(audit.json)), not the whole files.
"""

EXAMPLES = r"""
- name: Write the report, compared with last night's
  aliasguard.cloudfront.alias_audit_report:
    inventories: "{{ groups['aws_accounts'] | map('extract', hostvars, 'audit_inventory') | list }}"
    dns_zones: "{{ audit_dns_zones }}"
    report_dir: /var/tmp/audit
    previous_report: /var/tmp/audit-yesterday/audit.json
  check_mode: false
"""

RETURN = r"""
findings:
  description:
    - Every finding - id, kind, severity, name, detail, fix (and dns, account, distribution_id, target, reasons where
      known). With O(previous_report), also status (V(new) or V(unchanged)) and first_seen.
    - Only the critical and high ones with O(return_findings=high), none with O(return_findings=none).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 3f9c2a7d1b6e4a08
      kind: dangling_cname
      severity: critical
      name: shop.example.com
      detail: shop.example.com is a CNAME to d111111abcdef8.cloudfront.net, a distribution that no account of the audit
        has
      fix: Remove the record, or point it at a distribution of yours, before someone else adds the name to theirs
      dns:
        provider: route53
        zone: example.com
        type: CNAME
        values:
        - d111111abcdef8.cloudfront.net
      status: new
      first_seen: '2026-11-30T18:00:00Z'
resolved:
  description:
    - With O(previous_report), the previous findings that are gone, each with status V(resolved).
    - Empty unless O(return_findings=all).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 8a41d07c2e9b5f13
      kind: dns_points_elsewhere
      severity: high
      name: www.example.com
      status: resolved
summary:
  description:
    - Counts by kind and by severity; C(unverified) - how many names could not be checked and why; with
      O(previous_report), C(changes) - new, unchanged and resolved.
  returned: always
  type: dict
  sample:
    findings: 1
    by_kind:
      dangling_cname: 1
      dns_points_elsewhere: 0
      alias_without_dns: 0
      proxied_in_front: 0
      overlapping_holders: 0
      disabled_holder: 0
      leftover_txt: 0
      unverified: 0
      tenant_domain_inactive: 0
      tenant_dns_other_group: 0
    by_severity:
      critical: 1
      high: 0
      medium: 0
      low: 0
      info: 0
    unverified:
      names: 0
      by_reason:
        dns_unavailable: 0
        no_certificate: 0
        aws_error: 0
        not_asked: 0
      reasons: []
    changes:
      new: 1
      unchanged: 0
      resolved: 1
files:
  description: The files written (or, in check mode, that would be written).
  returned: when report_dir is given
  type: dict
  sample: {json: /tmp/audit/audit.json, markdown: /tmp/audit/audit.md, html: /tmp/audit/audit.html}
requests:
  description:
    - API requests this module sent, by service, as every module of the collection reports them. It sends none
      (the report is made from what the inventories already read; its DNS checks are queries, not API requests),
      so this is empty.
    - Until this release it held the whole audit's total, which is now RV(audit_requests_total).
  returned: always
  type: dict
  sample: {}
audit_requests_total:
  description: API requests of the whole audit - the inventories' C(requests_total) plus O(extra_requests).
  returned: always
  type: int
  sample: 14
audit_requests_lower_bound_total:
  description: The fewest requests the same inventory needs - the inventories' C(requests_lower_bound_total) plus
    O(extra_lower_bound).
  returned: always
  type: int
  sample: 12
requests_lower_bound:
  description:
    - The same number as RV(audit_requests_lower_bound_total). Deprecated, will be removed in release 1.0.0 -
      use RV(audit_requests_lower_bound_total).
  returned: always
  type: int
  sample: 12
resource_actions:
  description: Always empty - the report is made from what the inventories already read, with DNS only.
  returned: always
  type: list
  elements: str
  sample: []
"""

import datetime
import hashlib
import json
import os
import tempfile

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import (
    SCHEMA,
    Evidence,
    Fleet,
    all_records,
    check_previous,
    compare,
    find_problems,
    summary,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit_checks import TargetChecker
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
    InventoryFileError,
    is_inventory_summary,
    load_inventory,
    load_zones,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._ownership import ownership_map
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._report import (
    read_top_level,
    render_markdown,
    write_html,
    write_json,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import ResolverError, resolve_nameservers

FILE_MODE = 0o644


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
    checker = TargetChecker(nameservers, timeout=timeout)
    answers = dict((name, checker.check(name)["exists"]) for name in names)
    return dict((name, exists) for name, exists in answers.items() if exists is not None)


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


def read_previous(path):
    """The previous report, or a message that says why it cannot be used."""
    try:
        # Only what the comparison reads: a large fleet's audit.json is mostly its ownership map.
        with open(path, encoding="utf-8") as handle:
            previous = read_top_level(handle, ("schema", "generated", "findings"))
        if "schema" not in previous or "findings" not in previous:  # not written by write_json: read it whole
            with open(path, encoding="utf-8") as handle:
                previous = json.load(handle)
    except (IOError, OSError) as exc:
        return None, "previous_report %s cannot be read (%s): give the audit.json of an earlier run" % (path, exc)
    except ValueError as exc:
        return None, "previous_report %s is not JSON (%s): give the audit.json of an earlier run" % (path, exc)
    problem = check_previous(previous)
    if problem:
        return None, "previous_report %s cannot be compared with: %s" % (path, problem)
    return previous, None


def gather_evidence(params, inventories, records):
    """What DNS and AWS answered, plus DNS for the CloudFront names nobody has looked up yet."""
    targets = dict(params["cloudfront_targets"])
    checker = None
    if params["dns_check"]:
        pending = [n for n in cloudfront_names_outside(inventories, records) if n not in targets]
        if pending:
            checker = TargetChecker(params["nameservers"], timeout=params["dns_timeout"])
            for name in pending:
                targets[name] = checker.check(name)
    else:
        for name in cloudfront_names_outside(inventories, records):
            targets.setdefault(name, {"exists": None, "detail": "%s was not looked up (dns_check=false)" % name})
    evidence = Evidence(targets=targets, conflicts=params["conflicts"], conflict_errors=params["conflict_errors"],
                        apis=params["conflict_apis"])
    values = [t.get("exists") for t in targets.values()]
    verification = {
        "cloudfront_dns": {"checked": len(values), "exist": values.count(True), "missing": values.count(False),
                           "unknown": values.count(None),
                           "problem": next((t.get("detail") for t in targets.values() if t.get("exists") is None),
                                           None)},
        "holders": {"asked": len(params["conflicts"]) + len(params["conflict_errors"]),
                    "answered": len(params["conflicts"]), "refused": len(params["conflict_errors"]),
                    "by_api": dict((api, list(params["conflict_apis"].values()).count(api))
                                   for api in sorted(set(params["conflict_apis"].values())))},
    }
    return evidence, verification


class _Digest:
    """A text sink that keeps only the SHA-256 of what is written (and, with ``out``, also writes it there).

    The JSON encoder writes millions of small pieces: they are gathered into blocks of about 1 MB first.
    """

    BLOCK = 1 << 20

    def __init__(self, out=None):
        self.sha = hashlib.sha256()
        self.out = out
        self.pending = []
        self.size = 0

    def write(self, text):
        self.pending.append(text)
        self.size += len(text)
        if self.size >= self.BLOCK:
            self.flush()

    def flush(self):
        block = "".join(self.pending)
        self.pending, self.size = [], 0
        self.sha.update(block.encode("utf-8"))
        if self.out is not None:
            self.out.write(block)

    def hexdigest(self):
        self.flush()
        return self.sha.hexdigest()


def _file_digest(path):
    """The SHA-256 of a file's content, or None when there is no readable file."""
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    except (IOError, OSError):
        return None
    return sha.hexdigest()


def write_atomically(module, path, render):
    """``render(out)`` written through a temporary file in the same directory, renamed over ``path`` when the content
    differs (a file with the same content only gets its mode). True when the file changed.

    The content is streamed, never held whole: a large fleet's audit.json is tens of megabytes of text.
    """
    directory = os.path.dirname(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    except (IOError, OSError) as exc:
        module.fail_json(msg="the report could not be written to report_dir %s (%s): give a directory this user can "
                             "create and write to" % (directory, exc))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            digest = _Digest(out)
            render(digest)
            written = digest.hexdigest()
            out.flush()
            if written == _file_digest(path):
                os.unlink(temporary)
                if (os.stat(path).st_mode & 0o777) != FILE_MODE:
                    os.chmod(path, FILE_MODE)
                    return True
                return False
            os.fsync(out.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except (IOError, OSError) as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        module.fail_json(msg="the report could not be written to report_dir %s (%s could not be written: %s): give a "
                             "directory this user can create and write to" % (directory, path, exc))
    return True


def _summary_line(path):
    """What a diff shows of audit.json: its summary, not its content."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = read_top_level(handle, ("generated", "summary"))
        if "summary" not in data:  # not written by write_json: read it whole
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        return "generated %s\n%s\n" % (data.get("generated"), json.dumps(data.get("summary"), sort_keys=True))
    except (IOError, OSError, ValueError, AttributeError):
        return "(not an audit report)\n"


def main():
    module = AliasguardModule(
        dict(
            inventories=dict(type="list", elements="dict", required=True),
            dns_zones=dict(type="list", elements="dict", default=[]),
            conflicts=dict(type="dict", default={}),
            conflict_errors=dict(type="dict", default={}),
            conflict_apis=dict(type="dict", default={}),
            cloudfront_targets=dict(type="dict", default={}),
            previous_report=dict(type="path"),
            extra_requests=dict(type="int", default=0),
            extra_lower_bound=dict(type="int", default=0),
            report_dir=dict(type="path"),
            dns_check=dict(type="bool", default=True),
            return_findings=dict(type="str", choices=["all", "high", "none"], default="all"),
        ),
        aws=False, dns_lookup=True,
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
        if is_inventory_summary(inventory):
            if not os.path.isfile(str(inventory["file"])):
                module.fail_json(msg="inventories[%d] is the short form of an inventory, whose file %s does not exist "
                                     "on this host: run cloudfront_alias_inventory_info with inventory_file again, on "
                                     "the host that runs this module" % (index, inventory["file"]))
            continue
        if "account_id" not in inventory or "distributions" not in inventory:
            module.fail_json(msg="inventories[%d] is not a cloudfront_alias_inventory_info inventory (it has no %s)"
                                 % (index, " and no ".join(k for k in ("account_id", "distributions")
                                                           if k not in inventory)))
    for option in ("extra_requests", "extra_lower_bound"):
        if params[option] < 0:
            module.fail_json(msg="%s must be zero or more, not %d" % (option, params[option]))
    if params["dns_check"] and params["nameservers"]:
        try:
            resolve_nameservers(params["nameservers"])
        except ResolverError as exc:
            module.fail_json(msg="nameservers: %s" % exc)
    previous = None
    if params["previous_report"]:
        previous, problem = read_previous(params["previous_report"])
        if problem:
            module.fail_json(msg=problem)

    # Checked above, read now: a file that cannot be read fails before anything is written.
    try:
        inventories = [load_inventory(inventory) for inventory in inventories]
    except InventoryFileError as exc:
        module.fail_json(msg="inventories: %s" % exc)
    try:
        dns_zones = load_zones(params["dns_zones"])
    except InventoryFileError as exc:
        module.fail_json(msg="dns_zones: %s" % exc)
    # The short forms; the inventories and zones themselves are held once, here.
    params["inventories"] = params["dns_zones"] = None
    records = all_records(inventories, dns_zones)
    evidence, verification = gather_evidence(params, inventories, records)
    findings = find_problems(inventories, records, evidence=evidence)
    generated = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    resolved, changes = [], None
    if previous is not None:
        findings, resolved, changes = compare(findings, previous, generated)
    counts = summary(findings)
    if changes is not None:
        counts["changes"] = changes
    requests = sum(i.get("requests_total", 0) for i in inventories) + params["extra_requests"]
    lower_bound = sum(i.get("requests_lower_bound_total", 0) for i in inventories) + params["extra_lower_bound"]
    report = {
        "schema": SCHEMA,
        "generated": generated,
        "accounts": account_summaries(inventories, findings),
        "dns_sources": [{"provider": z.get("provider", "dns"), "zone": z["zone"], "records": z.get("record_sets", 0)}
                        for z in dns_zones],
        "findings": findings,
        "summary": counts,
        "requests": {"total": requests},
        "requests_lower_bound": {"total": lower_bound},
        "verification": verification,
        "ownership": ownership_map(inventories, dns_zones, findings, evidence),
    }
    if previous is not None:
        report["resolved"] = resolved
        report["previous"] = {"generated": previous.get("generated"), "path": params["previous_report"]}
    result = dict(changed=False, findings=returned_findings(findings, params["return_findings"]),
                  resolved=resolved if params["return_findings"] == "all" else [], summary=counts,
                  audit_requests_total=requests, audit_requests_lower_bound_total=lower_bound,
                  requests_lower_bound=lower_bound)
    if params["report_dir"]:
        result.update(write_report(module, params["report_dir"], report))
    module.exit_json(**result)


def returned_findings(findings, which):
    """The findings the result carries (O(return_findings)); the report files carry them all."""
    if which == "all":
        return findings
    if which == "high":
        return [f for f in findings if f["severity"] in ("critical", "high")]
    return []


RENDERERS = (("json", "audit.json", write_json),
             ("markdown", "audit.md", lambda report, out: out.write(render_markdown(report))),
             ("html", "audit.html", write_html))


def write_report(module, directory, report):
    files = dict((kind, os.path.join(directory, name)) for kind, name, unused in RENDERERS)
    diffs, changed = [], False
    if not module.check_mode and not os.path.isdir(directory):
        try:
            os.makedirs(directory, 0o755)
        except OSError as exc:
            module.fail_json(msg="the report could not be written to report_dir %s (%s): give a directory this "
                                 "user can create and write to" % (directory, exc))
    # One file at a time, each streamed: a large fleet's report is not held as text, let alone three times over.
    for kind, unused, render in RENDERERS:
        path = files[kind]
        # Read before the file is replaced: what the diff shows of the report on disk.
        before = _summary_line(path) if module._diff and kind == "json" and os.path.exists(path) else ""
        if module.check_mode:
            digest = _Digest()
            render(report, digest)
            differs = digest.hexdigest() != _file_digest(path)
            changed = changed or differs
        else:
            differs = write_atomically(module, path, lambda out, render=render: render(report, out))
            changed = differs or changed
        if differs and module._diff and kind == "json":
            # The Markdown and HTML say the same as the JSON; its summary is what changed, in a readable size.
            after = "generated %s\n%s\n" % (report["generated"], json.dumps(report["summary"], sort_keys=True))
            diffs.append({"before_header": path, "after_header": path, "before": before,
                          "after": after})
    result = {"files": files, "changed": changed}
    if diffs:
        result["diff"] = diffs
    return result


if __name__ == "__main__":
    main()
