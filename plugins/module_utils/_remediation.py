# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The remediation role's decisions, as plain functions (the filter plugin calls them).

``plan_remediation`` turns what step 1 found into one plan per alias: which way
it is fixed (add, move, dns_first, nothing), which steps run, and the values
DNS may hold now (the compare-and-swap guard for step 2). ``summarise`` turns
the plan and the task results into the short report a person reads at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

STRATEGIES = ("auto", "move", "dns_first")

NOOP = "none"
ADD = "add"
MOVE = "move"
DNS_FIRST = "dns_first"
BLOCKED = "blocked"


class RemediationInputError(ValueError):
    pass


def requests_from(single, many, defaults):
    """The list of alias requests, from the one-alias variables or the list."""
    items = []
    if many:
        for index, item in enumerate(many):
            if not isinstance(item, dict) or not item.get("alias"):
                raise RemediationInputError("aliases[%d] must be a mapping with at least 'alias'" % index)
            entry = dict(defaults)
            entry.update(dict((k, v) for k, v in item.items() if v not in (None, "")))
            items.append(entry)
    if single:
        entry = dict(defaults)
        entry["alias"] = single
        items.append(entry)
    if not items:
        raise RemediationInputError("nothing to do: give alias (and target_distribution_id), or aliases: [...]")
    seen = set()
    for index, item in enumerate(items):
        if not item.get("target_distribution_id"):
            raise RemediationInputError("%s: target_distribution_id is missing" % item["alias"])
        if item.get("strategy", "auto") not in STRATEGIES:
            raise RemediationInputError("%s: strategy must be one of %s" % (item["alias"], ", ".join(STRATEGIES)))
        key = item["alias"].lower().rstrip(".")
        if key in seen:
            raise RemediationInputError("%s is listed twice" % item["alias"])
        seen.add(key)
    return items


def _found_by_alias(found_results):
    """{normalised alias: (module result, alias entry)} from the step-1 loop results."""
    index = {}
    for result in found_results:
        if result.get("failed") or result.get("skipped"):
            continue
        for entry in result.get("aliases", []):
            index[(result["target"]["id"], entry["alias"])] = (result, entry)
    return index


def _normalise(alias):
    return alias.lower().rstrip(".")


def plan_remediation(requests, found_results):
    found = _found_by_alias(found_results)
    plans = []
    for request in requests:
        target_id = request["target_distribution_id"]
        key = (target_id, _normalise(request["alias"]))
        if key not in found:
            # IDNA: step 1 normalised to punycode; match on what it reported.
            matches = [k for k in found if k[0] == target_id and _unicode_equal(k[1], request["alias"])]
            key = matches[0] if matches else key
        if key not in found:
            raise RemediationInputError("step 1 found nothing about %s on %s" % (request["alias"], target_id))
        result, entry = found[key]
        plans.append(_plan_one(request, result, entry))
    return plans


def _unicode_equal(ascii_name, text):
    try:
        return ascii_name == ".".join(
            label.encode("idna").decode("ascii") if any(ord(c) > 127 for c in label) else label
            for label in _normalise(text).split("."))
    except UnicodeError:
        return False


def _plan_one(request, result, entry):
    target = result["target"]
    strategy = request.get("strategy") or "auto"
    verdict = entry["verdict"]
    holders = [h for h in entry.get("holders", []) if h.get("overlap") == "exact"
               and h["distribution_id"] != target["id"]]
    in_account = [h for h in holders if h.get("in_account")]
    dns = entry.get("dns") or {}
    points_to = dns.get("points_to") or {}
    provider = request.get("dns_provider") or None
    plan = {
        "alias": entry["alias"],
        "target_distribution_id": target["id"],
        "target_domain_name": target["domain_name"],
        "dns_provider": provider,
        "dns_zone": request.get("dns_zone") or None,
        "strategy": strategy,
        "verdict": verdict,
        "holders": holders,
        "dns_before": {"type": dns.get("type"), "values": dns.get("values", []),
                       "points_to": points_to.get("domain_name"), "error": dns.get("error")},
        "txt_record_name": entry.get("txt_record_name"),
        "action": NOOP,
        "steps": [],
        "remove_from": [],
        "reason": "",
    }
    repoint = bool(provider) and not points_to.get("is_target")
    if verdict == "on_target":
        plan["reason"] = "already on the target"
    elif strategy == "move" or (strategy == "auto" and verdict in ("held_in_account", "held_other_account")):
        plan["action"] = MOVE
        plan["reason"] = _move_reason(verdict, holders)
    elif strategy == "dns_first" or verdict == "dns_points_elsewhere":
        if strategy == "dns_first" and any(not h.get("in_account") for h in holders):
            plan["action"] = BLOCKED
            plan["reason"] = ("dns_first cannot take %s: it is held in another account (%s), and only its owner can "
                              "remove it there; use strategy auto or move once it is disabled"
                              % (entry["alias"], ", ".join(h["distribution_id"] for h in holders)))
        else:
            plan["action"] = DNS_FIRST
            plan["remove_from"] = [h["distribution_id"] for h in in_account]
            plan["reason"] = ("no distribution holds it but DNS points at %s: repoint DNS first, then add it (the "
                              "seed's order)" % (points_to.get("domain_name") or "another distribution")
                              if verdict == "dns_points_elsewhere" else "strategy dns_first")
    else:
        plan["action"] = ADD
        plan["reason"] = "free: add it to the target"
    if plan["action"] == DNS_FIRST and not provider:
        plan["action"] = BLOCKED
        plan["reason"] = "DNS must be repointed first, but no dns_provider was given for %s" % entry["alias"]
    if plan["action"] == MOVE and not provider:
        plan["action"] = BLOCKED
        plan["reason"] = ("moving %s needs the TXT record %s, but no dns_provider was given to create it"
                          % (entry["alias"], entry.get("txt_record_name")))
    plan["steps"] = _steps(plan["action"], repoint)
    plan["expected_current"] = _expected_current(dns, points_to, holders, target)
    return plan


def _move_reason(verdict, holders):
    if not holders:
        return "strategy move (AssociateAlias adds it: nobody holds it)"
    who = ", ".join("%s%s" % (h["distribution_id"], "" if h.get("in_account") else " (another account)")
                    for h in holders)
    if verdict == "held_other_account":
        return ("held by %s: AWS moves it only if that distribution is disabled; if it is enabled the run stops "
                "and changes nothing" % who)
    return "held by %s in this account: move it in one step with AssociateAlias" % who


def _steps(action, repoint):
    if action == BLOCKED:
        return []
    if action == ADD:
        return ["add_alias"] + (["repoint_dns"] if repoint else []) + ["verify"]
    if action == MOVE:
        return ["txt_create", "move_alias"] + (["repoint_dns"] if repoint else []) + ["txt_remove", "verify"]
    if action == DNS_FIRST:
        return (["repoint_dns"] if repoint else []) + ["remove_from_holders", "add_alias_after_dns", "verify"]
    return (["repoint_dns"] if repoint else []) + ["verify"]


def _expected_current(dns, points_to, holders, target):
    """What DNS may hold when step 2 writes: what step 1 saw, the holders, or already the target."""
    values = set()
    if dns.get("type") == "CNAME":
        values.update(dns.get("values") or [])
    elif dns.get("type"):
        values.update(dns.get("values") or [])
    if points_to.get("domain_name"):
        values.add(points_to["domain_name"])
    for holder in holders:
        if holder.get("domain_name"):
            values.add(holder["domain_name"])
    values.add(target["domain_name"])
    return sorted(values)


def batches(plans, step):
    """The work of one step, grouped the way its module takes it.

    Alias steps and verify: one batch per distribution (``distribution_id``, ``aliases``);
    DNS steps: one batch per provider (``provider``, ``records`` for dns_cname_repoint).
    """
    groups = []
    by_key = {}
    for plan in plans:
        if step not in plan["steps"]:
            continue
        if step in ("txt_create", "txt_remove", "repoint_dns"):
            keys = [plan["dns_provider"]]
        elif step == "remove_from_holders":
            keys = plan["remove_from"]
        else:
            keys = [plan["target_distribution_id"]]
        for key in keys:
            if key not in by_key:
                by_key[key] = ({"provider": key, "records": []} if step in ("txt_create", "txt_remove", "repoint_dns")
                               else {"distribution_id": key, "aliases": []})
                groups.append(by_key[key])
            batch = by_key[key]
            if "records" in batch:
                batch["records"].append(_record(plan, step))
            else:
                batch["aliases"].append(plan["alias"])
    return groups


def _record(plan, step):
    record = {"name": plan["alias"], "target": plan["target_domain_name"]}
    if plan["dns_zone"]:
        record["zone"] = plan["dns_zone"]
    if step in ("txt_create", "txt_remove"):
        record["challenge"] = True
        record["state"] = "present" if step == "txt_create" else "absent"
    else:
        record["state"] = "present"
        record["expected_current"] = plan["expected_current"]
    return record


def collect(plans, registered):
    """From the registered results of each step: what changed per alias, and the proofs."""
    changed, proofs = {}, {}
    # The TXT record's name: '_<alias>', or '_.<alias>' at a zone apex and for wildcards.
    by_txt = {}
    for plan in plans:
        base = plan["alias"][2:] if plan["alias"].startswith("*.") else plan["alias"]
        by_txt["_" + plan["alias"]] = by_txt["_." + base] = plan["alias"]
    for step, register in (registered or {}).items():
        for result in (register or {}).get("results", []) if isinstance(register, dict) else []:
            if result.get("skipped"):
                continue
            names = []
            if step == "verify":
                for item in result.get("aliases", []):
                    proofs[item["alias"]] = item
                continue
            if result.get("changed"):
                names.extend(result.get("added", []))
                names.extend(result.get("removed", []))
                for record in result.get("records", []):
                    if record.get("action") not in (None, "none"):
                        names.append(by_txt.get(record["name"], record["name"]))
            for name in names:
                changed.setdefault(name, [])
                if step not in changed[name]:
                    changed[name].append(step)
    return {"changed": changed, "proofs": proofs}


def summarise(plans, registered, check_mode=False, failed=False, error=None):
    """Per alias: what was found, what changed, the proof. Lines a person reads."""
    results = collect(plans, registered)
    lines = []
    changed_by_alias = results.get("changed", {})
    proofs = results.get("proofs", {})
    for plan in plans:
        alias = plan["alias"]
        lines.append("%s -> %s (%s)" % (alias, plan["target_distribution_id"], plan["target_domain_name"]))
        holders = ", ".join("%s%s" % (h["distribution_id"], "" if h.get("in_account") else " [other account]")
                            for h in plan["holders"]) or "nobody else"
        dns_before = plan["dns_before"]
        dns_text = dns_before.get("points_to") or ", ".join(dns_before.get("values") or []) or "no record"
        lines.append("  found:   %s; held by %s; DNS -> %s" % (plan["verdict"], holders, dns_text))
        lines.append("  plan:    %s (%s)" % (plan["action"], plan["reason"]))
        if check_mode:
            lines.append("  steps:   %s (check mode: nothing was changed)" % (", ".join(plan["steps"]) or "none"))
            continue
        done = changed_by_alias.get(alias, [])
        lines.append("  changed: %s" % (", ".join(done) if done else "nothing"))
        proof = proofs.get(alias)
        if proof:
            lines.append("  proof:   %s - %s" % ("VERIFIED" if proof.get("verified") else proof.get("outcome"),
                                                 proof.get("detail")))
        elif "verify" in plan["steps"]:
            lines.append("  proof:   not reached")
    if failed:
        lines.append("STOPPED: %s" % (error or "a step failed"))
        lines.append("State left: every step before the failure is done; DNS is as it was or points at a "
                     "distribution that serves the alias. Fix the cause above and run the same command again: "
                     "each step checks what is already done and continues from there.")
    return lines
