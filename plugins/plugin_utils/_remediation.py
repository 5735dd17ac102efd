# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The remediation role's decisions, as plain functions (the filter plugin calls them).

``requests_from`` checks the role's input before any request is sent.
``plan_remediation`` turns what step 1 found into one plan per alias: which way
it is fixed (add, move, dns_first, nothing), which steps run, and the values
DNS may hold now (the compare-and-swap guard for step 2). ``batches`` groups a
step's work per distribution or per DNS provider, so the role runs one task per
step whatever the number of aliases; for the rescue it keeps only the TXT
records this run created, and puts DNS back for the names a failed dns_first
handover gave back to their holder. ``summarise`` turns the plan and the task
results into the short report a person reads at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias, InvalidName, in_zone, to_ascii

# The provider registry and the DNS verifier import every provider's client (about 0.2 s in each fresh worker):
# each task whose templates call these filters runs in a fresh worker process and would pay that again, so they
# are imported only where they are needed (a provider name this module does not know; a provider that can proxy;
# a record that may be proxied).

# Names module_utils/_dns registers (its PROVIDERS), so that reading the role's input - a deployment's every
# inclusion - need not import the registry. The registry stays the one authority: a name that is not here is
# looked up there (``is_provider``), so a provider registered later works without this line (its inclusions pay the
# import); tests/unit/plugins/plugin_utils/test__remediation.py fails when a name here is not registered.
KNOWN_PROVIDERS = ("route53", "cloudflare", "rfc2136", "google")


def is_provider(name: Any) -> bool:
    """Whether ``name`` is a registered DNS provider (the registry is imported only for a name not known here)."""
    if name in KNOWN_PROVIDERS:
        return True
    return name in registered_providers()


def registered_providers() -> Tuple[str, ...]:
    """Every registered DNS provider's name, from the registry (imported on first use)."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import PROVIDERS

    return tuple(PROVIDERS)


# A request, a plan, a module result, a registered loop: the JSON-shaped dicts the role passes around.
Json = Dict[str, Any]


def can_proxy(provider: Optional[str]) -> bool:
    """Whether the DNS provider named ``provider`` can proxy records (the registry, imported on first use)."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import can_proxy as registry_can_proxy

    return bool(registry_can_proxy(provider))


STRATEGIES = ("auto", "move", "dns_first")
REQUEST_KEYS = ("alias", "target_distribution_id", "target_distribution_tenant_id", "dns_provider", "dns_zone",
                "strategy", "cloudflare_dns_only", "txt_record_name")
TENANT = "distribution-tenant"
TARGET_KEYS = ("target_distribution_id", "target_distribution_tenant_id")

NOOP = "none"
ADD = "add"
MOVE = "move"
DNS_FIRST = "dns_first"
BLOCKED = "blocked"

TXT_STEPS = ("txt_create", "txt_remove")
DNS_STEPS = TXT_STEPS + ("repoint_dns",)
STEPS = ("add_alias", "txt_create", "move_alias", "deployed", "repoint_dns", "add_alias_after_dns", "txt_remove",
         "verify", "restore_dns", "give_back")
# Registered results the report reads under another step's name: the rescue's TXT clean-up is a txt_remove; the wait
# for Deployed only reads its targets, but were an alias gone from one meanwhile, it would put it back (an add).
SAME_AS = {"txt_cleanup": "txt_remove", "deployed": "add_alias"}
# Steps after which the target holds the alias.
ALIAS_ON_TARGET_STEPS = ("add_alias", "move_alias", "add_alias_after_dns")
# How long CloudFront's release of an alias may lag behind its old holder's Deployed, and the TTL a resolver keeps
# for a Route 53 alias record (the TTL of the CloudFront name it answers with) and for Cloudflare's "automatic" TTL.
RELEASE_GRACE = 30
ALIAS_RECORD_TTL = 60
CLOUDFLARE_AUTO_TTL = 300


class RemediationInputError(ValueError):
    pass


def requests_from(single: Any, many: Any, defaults: Mapping[str, Any]) -> List[Json]:
    """The list of alias requests, from the one-alias variables or the list.

    Items of ``many`` are mappings (``alias`` and any of REQUEST_KEYS) or plain alias
    names; what an item does not say comes from ``defaults``.
    """
    defaults = dict(defaults)
    single_txt_name = defaults.pop("txt_record_name", None) or None
    if single_txt_name and not single:
        raise RemediationInputError("txt_record_name names the TXT record of the one alias given as alias; with "
                                    "aliases: [...] give txt_record_name per alias")
    items: List[Json] = []
    if isinstance(many, (str, bytes)) or (many is not None and not isinstance(many, (list, tuple))):
        raise RemediationInputError(
            "aliases must be a list (of alias names, or of mappings with 'alias' and 'target_distribution_id'), "
            "not the %s %r; for one alias give alias=%s, or a list: -e '{\"aliases\": [\"%s\"]}'"
            % (type(many).__name__, many, many if isinstance(many, str) else "...",
               many if isinstance(many, str) else "www.example.com"))
    if single is not None and not isinstance(single, str):
        raise RemediationInputError("alias must be one alias name (a string), not the %s %r; for several use "
                                    "aliases: [...]" % (type(single).__name__, single))
    for index, item in enumerate(many or []):
        if isinstance(item, str) and item.strip():
            item = {"alias": item}
        if not isinstance(item, dict) or not item.get("alias"):
            raise RemediationInputError("aliases[%d] must be a mapping with at least 'alias' (or an alias name), "
                                        "got %r" % (index, item))
        unknown = sorted(set(item) - set(REQUEST_KEYS))
        if unknown:
            raise RemediationInputError("aliases[%d] (%s): unknown key(s) %s; known keys: %s"
                                        % (index, item["alias"], ", ".join(unknown), ", ".join(REQUEST_KEYS)))
        entry = dict(defaults)
        given = dict((k, v) for k, v in item.items() if v not in (None, ""))
        if any(key in given for key in TARGET_KEYS):
            # An item that names its target replaces the default target, whichever kind that is.
            for key in TARGET_KEYS:
                entry.pop(key, None)
        entry.update(given)
        items.append(entry)
    if single:
        entry = dict(defaults)
        entry["alias"] = single
        if single_txt_name:
            entry["txt_record_name"] = single_txt_name
        items.append(entry)
    if not items:
        raise RemediationInputError("nothing to do: give alias (and target_distribution_id), or aliases: [...]")
    _check_timeout(defaults.get("verify_timeout"))
    seen: Dict[str, Any] = {}
    for item in items:
        try:
            key = Alias.from_input(str(item["alias"])).name
        except InvalidName as exc:
            raise RemediationInputError(str(exc))
        _target_of(item)
        strategy = item.get("strategy") or "auto"
        if strategy not in STRATEGIES:
            raise RemediationInputError("%s: strategy %r is not one of %s"
                                        % (item["alias"], strategy, ", ".join(STRATEGIES)))
        provider = item.get("dns_provider") or None
        if provider is not None and not is_provider(provider):
            raise RemediationInputError("%s: dns_provider %r is not one of %s (or empty: DNS not managed here)"
                                        % (item["alias"], provider, ", ".join(registered_providers())))
        if item.get("dns_zone"):
            try:
                to_ascii(str(item["dns_zone"]), what="dns_zone", strict=True)
            except InvalidName as exc:
                raise RemediationInputError("%s: %s" % (item["alias"], exc))
        try:
            # -e cloudflare_dns_only=false arrives as the string 'false', which must not count as true.
            item["cloudflare_dns_only"] = boolean(item.get("cloudflare_dns_only") or False, strict=True)
        except TypeError:
            raise RemediationInputError("%s: cloudflare_dns_only must be true or false, not %r"
                                        % (item["alias"], item.get("cloudflare_dns_only")))
        if item.get("txt_record_name"):
            item["txt_record_name"] = _txt_record_name(item)
        if key in seen:
            raise RemediationInputError("%s is listed twice (as %r and %r)" % (key, seen[key], item["alias"]))
        seen[key] = item["alias"]
    return items


def _target_of(item: Json) -> None:
    """Sets ``target_id`` and ``target_resource_type``: a standard distribution, or a distribution tenant."""
    distribution, tenant = item.get("target_distribution_id"), item.get("target_distribution_tenant_id")
    if distribution and tenant:
        raise RemediationInputError("%s: give target_distribution_id or target_distribution_tenant_id, not both "
                                    "(%s, %s)" % (item["alias"], distribution, tenant))
    if not (distribution or tenant):
        raise RemediationInputError("%s: target_distribution_id is missing (or target_distribution_tenant_id, for a "
                                    "distribution tenant)" % item["alias"])
    item["target_id"] = str(tenant or distribution)
    item["target_resource_type"] = TENANT if tenant else "distribution"


def _check_timeout(value: Any) -> None:
    """verify_timeout, checked before anything changes (a negative one used to surface after the TXT record)."""
    if value in (None, ""):
        return
    try:
        seconds = int(str(value).strip())
    except ValueError:
        raise RemediationInputError("verify_timeout must be a whole number of seconds (0 or more), not %r" % (value,))
    if seconds < 0:
        raise RemediationInputError("verify_timeout must be 0 or more seconds, not %d" % seconds)


def _txt_record_name(item: Json) -> str:
    """The user's name for the alias's TXT record (what AWS Support asks for an apex or a wildcard), checked."""
    try:
        name = to_ascii(str(item["txt_record_name"]), allow_underscore=True, what="txt_record_name")
        zone = to_ascii(str(item["dns_zone"]), what="dns_zone") if item.get("dns_zone") else None
    except InvalidName as exc:
        raise RemediationInputError("%s: %s" % (item["alias"], exc))
    if zone and not in_zone(name, zone):
        raise RemediationInputError("%s: txt_record_name %s is not inside dns_zone %s" % (item["alias"], name, zone))
    return name


def _found_by_alias(found_results: Iterable[Json]) -> Dict[Tuple[str, str], Tuple[Json, Json]]:
    """{(target id, normalised alias): (module result, alias entry)} from the step-1 loop results."""
    index: Dict[Tuple[str, str], Tuple[Json, Json]] = {}
    for result in found_results:
        if result.get("failed") or result.get("skipped"):
            continue
        for entry in result.get("aliases", []):
            index[(result["target"]["id"], entry["alias"])] = (result, entry)
    return index


def plan_remediation(requests: Iterable[Json], found_results: Iterable[Json]) -> List[Json]:
    found = _found_by_alias(found_results)
    plans: List[Json] = []
    for request in requests:
        target_id = request.get("target_id") or request["target_distribution_id"]
        # Step 1 reports names normalised (lowercase, punycode): match on the same form.
        key = (target_id, Alias.parse(str(request["alias"])).name)
        if key not in found:
            raise RemediationInputError("step 1 found nothing about %s on %s" % (request["alias"], target_id))
        result, entry = found[key]
        plans.append(_plan_one(request, result, entry))
    _block_shared_txt_records(plans)
    return plans


def _block_shared_txt_records(plans: Iterable[Json]) -> None:
    """Two moves that need the same TXT record (example.com and *.example.com share _.example.com) cannot
    run together: each record names one target. The second waits for another run, and says so."""
    seen: Dict[Tuple[str, str], str] = {}
    for plan in plans:
        if plan["action"] != MOVE or not plan.get("txt_record_name"):
            continue
        owner = (plan["dns_provider"], plan["txt_record_name"])
        if owner in seen:
            plan["action"] = BLOCKED
            plan["steps"] = []
            plan["reason"] = ("%s needs the same TXT record %s as %s, and one TXT record can only authorise one "
                              "move at a time: remediate %s in a second run" % (
                                  plan["alias"], plan["txt_record_name"], seen[owner], plan["alias"]))
        else:
            seen[owner] = plan["alias"]


def _plan_holder(holder: Json) -> Json:
    """A holder as a plan keeps it: all step 1 said of it but the holder's own list of names.

    That list (up to 100 names a distribution) is step 1's to report; no plan reads it, and every later task's loop
    templates the plans again: 500 aliases held by five distributions carried 50,000 names (1.7 MB of plans) through
    each of them.
    """
    return dict((key, value) for key, value in holder.items() if key != "aliases")


def _plan_one(request: Json, result: Json, entry: Json) -> Json:
    target = result["target"]
    strategy = request.get("strategy") or "auto"
    verdict = entry["verdict"]
    others = [_plan_holder(h) for h in entry.get("holders", []) if h["distribution_id"] != target["id"]]
    holders = [h for h in others if h.get("overlap") == "exact"]
    in_account = [h for h in holders if h.get("in_account")]
    dns = entry.get("dns") or {}
    points_to = dns.get("points_to") or {}
    provider = request.get("dns_provider") or None
    zone = request.get("dns_zone") or None
    tenant_target = target.get("resource_type") == TENANT
    plan = {
        "alias": entry["alias"],
        "target_distribution_id": target["id"],
        "target_resource_type": TENANT if tenant_target else "distribution",
        "target_domain_name": target["domain_name"],
        "dns_provider": provider,
        "dns_zone": zone,
        "strategy": strategy,
        "verdict": verdict,
        "holders": holders,
        # Distributions with a wildcard that covers the alias: they keep it, the exact name wins over them.
        "overlapping": [h for h in others if h.get("overlap") == "wildcard"],
        "dns_before": {"type": dns.get("type"), "values": dns.get("values", []),
                       "points_to": points_to.get("domain_name"), "error": dns.get("error")},
        "txt_record_name": request.get("txt_record_name") or _txt_name(entry, zone),
        "txt_record_override": bool(request.get("txt_record_name")),
        "cloudflare_dns_only": bool(request.get("cloudflare_dns_only")),
        "action": NOOP,
        "steps": [],
        "remove_from": [],
        "reason": "",
    }
    # Addresses cannot name a distribution (CloudFront's edges are shared by all of them), so a name step 1 saw
    # as addresses is never taken to lead to the target: step 2 reads the record through the provider's API and
    # changes nothing when it already does.
    by_addresses = points_to.get("via") == "addresses"
    repoint = bool(provider) and (by_addresses or not points_to.get("is_target"))
    leftover = _leftover_txt(entry, target, provider)
    if verdict == "on_target":
        plan["reason"] = "already on the target"
        if leftover:
            plan["leftover_txt"] = True
            plan["reason"] += ("; the TXT record %s = %s is still there, left by an earlier run that stopped after the "
                               "move: remove it" % (plan["txt_record_name"], target["domain_name"]))
        if repoint and by_addresses and points_to.get("is_target"):
            plan["reason"] += ("; DNS answers with addresses (%s), which cannot show which distribution they lead "
                               "to: step 2 checks the record at the provider (no change if it already leads to "
                               "the target)" % _dns_text(plan["dns_before"]))
        elif repoint:
            plan["reason"] += "; DNS does not lead to it yet (%s): repoint DNS" % _dns_text(plan["dns_before"])
    elif strategy == "auto" and tenant_target and verdict == "held_other_account":
        # UpdateDomainAssociation would be refused while the holder is enabled in its account; OnDomainTakeover
        # moves the domain to the tenant once its DNS names the tenant, and the holder serves it until then.
        plan["action"] = DNS_FIRST
        plan["takeover"] = True
        plan["reason"] = ("held by %s in another account: point DNS at the tenant's routing endpoint %s first (the "
                          "holder keeps serving the name: CloudFront's edges serve it by its holder), then "
                          "UpdateDistributionTenant with OnDomainTakeover=allow moves it to the tenant in one step; "
                          "UpdateDomainAssociation would need that account to disable its resource first"
                          % (_holder_words(holders), target["domain_name"]))
    elif strategy == "move" or (strategy == "auto" and verdict in ("held_in_account", "held_other_account")):
        plan["action"] = MOVE
        plan["reason"] = _move_reason(verdict, holders, plan)
    elif strategy == "dns_first" or verdict == "dns_points_elsewhere":
        if strategy == "dns_first" and any(not h.get("in_account") for h in holders):
            plan["action"] = BLOCKED
            plan["reason"] = ("dns_first cannot take %s: it is held in another account (%s), and only its owner can "
                              "remove it there; use strategy auto or move once it is disabled"
                              % (entry["alias"], ", ".join(h["distribution_id"] for h in holders)))
        else:
            plan["action"] = DNS_FIRST
            plan["remove_from"] = [h["distribution_id"] for h in in_account]
            if plan["remove_from"] and (tenant_target or any(h.get("resource_type") == TENANT for h in in_account)):
                plan["action"] = BLOCKED
                plan["reason"] = ("dns_first takes an alias off a standard distribution and adds it to another; "
                                  "with a distribution tenant on either side use strategy auto or move "
                                  "(UpdateDomainAssociation moves it with no gap)")
                _block_when_impossible(plan, entry, repoint, request)
                plan["steps"] = []
                plan["expected_current"] = _expected_current(dns, points_to, holders, plan["overlapping"], target)
                return plan
            if verdict == "dns_points_elsewhere":
                plan["reason"] = ("no distribution holds it but DNS points at %s: repoint DNS first, then add it "
                                  "(the runbook's order)" % (points_to.get("domain_name") or "another distribution"))
            else:
                plan["reason"] = "strategy dns_first: repoint DNS first, then %sadd it to the target" % (
                    "take it off %s, then " % ", ".join(plan["remove_from"]) if plan["remove_from"] else "")
    else:
        plan["action"] = ADD
        plan["reason"] = "free: add it to the target"
    _block_when_impossible(plan, entry, repoint, request)
    plan["steps"] = _steps(plan["action"], repoint, bool(plan.get("leftover_txt")))
    plan["expected_current"] = _expected_current(dns, points_to, holders, plan["overlapping"], target)
    if plan["steps"] == ["verify"] and _proven_by_step1(entry, target):
        # Nothing changes, and step 1 already asked what step 4 would ask: no second look.
        plan["steps"] = []
        plan["proof"] = {"alias": entry["alias"], "verified": True, "outcome": "verified", "method": "cname_chain",
                         "final_name": target["domain_name"], "chain": dns.get("chain") or [],
                         "detail": "every authoritative nameserver leads %s to %s (step 1's answers: nothing was "
                                   "changed, so step 4 did not ask again)" % (entry["alias"], target["domain_name"])}
    return plan


def _proven_by_step1(entry: Json, target: Json) -> bool:
    """Whether step 1's answers are step 4's proof: the alias is on the target, and every authoritative nameserver
    of every name in its CNAME chain answered, all alike, leading to the target's domain (dns_cname_verify's
    cname_chain proof). Addresses are never a proof (CloudFront's edges are shared)."""
    dns = entry.get("dns") or {}
    points_to = dns.get("points_to") or {}
    return (entry["verdict"] == "on_target" and not dns.get("error") and dns.get("type") == "CNAME"
            and points_to.get("is_target") is True and points_to.get("via") in ("CNAME", "CNAME chain")
            and points_to.get("every_nameserver") is True and dns.get("final_name") == target["domain_name"])


def _leftover_txt(entry: Json, target: Json, provider: Optional[str]) -> bool:
    """Whether step 1 saw the move's TXT record still naming the target, with the alias already on it.

    That record is provably a stopped run's own (its name is the alias's challenge name, its value the target's
    domain, and the move it authorised has happened), so the rerun removes it (dns_cname_repoint removes it only
    while it still names the target).
    """
    record = entry.get("txt_record") or {}
    return bool(provider) and entry["verdict"] == "on_target" and target["domain_name"] in (record.get("values") or [])


def _block_when_impossible(plan: Json, entry: Json, repoint: bool, request: Optional[Json] = None) -> None:
    """Refuse now, before any change, what a later step would refuse half way through."""
    alias = entry["alias"]
    certificate = entry.get("target_certificate") or {}
    if plan["action"] in (ADD, MOVE, DNS_FIRST) and certificate.get("covers") is False:
        plan["action"] = BLOCKED
        plan["reason"] = "%s cannot be added to %s: %s" % (alias, plan["target_distribution_id"], certificate["detail"])
        return
    dns_error = (entry.get("dns") or {}).get("error")
    verify = boolean((request or {}).get("verify", True), strict=False)
    needs_dns = repoint or verify or plan["action"] in (MOVE, DNS_FIRST)
    if dns_error and plan["action"] != BLOCKED and needs_dns:
        plan["action"] = BLOCKED
        plan["reason"] = ("DNS for %s could not be read (%s), so the run could neither guard the record it would "
                          "change nor prove the result. Check verify_nameservers (or the zone's nameservers) and run "
                          "again" % (alias, dns_error))
        return
    if plan["action"] == DNS_FIRST and not plan["dns_provider"]:
        plan["action"] = BLOCKED
        plan["reason"] = "DNS must be repointed first, but no dns_provider was given for %s" % alias
    if plan["action"] == MOVE and not plan["dns_provider"]:
        plan["action"] = BLOCKED
        plan["reason"] = ("moving %s needs the TXT record %s, but no dns_provider was given to create it"
                          % (alias, plan["txt_record_name"]))
    if (plan["action"] != BLOCKED and (repoint or plan["action"] in (MOVE, DNS_FIRST))
            and _apex_it_cannot_point(plan)):
        plan["action"] = BLOCKED
        plan["reason"] = _dns_provider_class(plan["dns_provider"]).apex_refusal(alias, plan["dns_zone"])
        return
    if (plan["action"] != BLOCKED and repoint and can_proxy(plan["dns_provider"])
            and not plan["cloudflare_dns_only"] and _looks_proxied(plan["dns_before"])):
        plan["action"] = BLOCKED
        plan["reason"] = ("%s is proxied by Cloudflare (orange cloud): it answers with Cloudflare's addresses (%s), "
                          "so CloudFront cannot see it and DNS cannot prove where it leads. CloudFront needs a "
                          "DNS-only record: run again with cloudflare_dns_only=true (role variable "
                          "cname_remediation_cloudflare_dns_only) to turn it into one while repointing it"
                          % (alias, ", ".join(plan["dns_before"]["values"])))


def _looks_proxied(dns_before: Json) -> bool:
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._verify import is_cloudflare_address

    return dns_before.get("type") != "CNAME" and any(is_cloudflare_address(v) for v in dns_before.get("values") or [])


def _txt_name(entry: Json, zone: Optional[str]) -> str:
    alias = Alias.parse(entry["alias"])
    if zone:
        try:
            return alias.txt_challenge_name(to_ascii(zone, what="dns_zone"))
        except InvalidName:
            pass
    # Without a zone an apex alias cannot be told from any other name: step 1 reports the same rule's answer.
    return entry.get("txt_record_name") or alias.txt_challenge_name()


def _holder_words(holders: Iterable[Json]) -> str:
    return ", ".join("%s%s%s" % ("distribution tenant " if h.get("resource_type") == TENANT else "",
                                 h["distribution_id"], "" if h.get("in_account") else " (another account)")
                     for h in holders)


def move_call(plan: Json) -> str:
    """AssociateAlias between standard distributions; UpdateDomainAssociation wherever a tenant is involved."""
    if plan.get("target_resource_type") == TENANT or any(h.get("resource_type") == TENANT for h in plan["holders"]):
        return "UpdateDomainAssociation"
    return "AssociateAlias"


def target_words(plan: Json) -> str:
    if plan.get("target_resource_type") == TENANT:
        return "distribution tenant %s" % plan["target_distribution_id"]
    return str(plan["target_distribution_id"])


def _move_reason(verdict: str, holders: Sequence[Json], plan: Optional[Json] = None) -> str:
    call_name = move_call(plan) if plan else "AssociateAlias"
    if not holders:
        return "strategy move (%s adds it: nobody holds it)" % call_name
    who = _holder_words(holders)
    if verdict == "held_other_account":
        return ("held by %s: AWS moves it only if that %s is disabled; if it is enabled the run stops "
                "and changes nothing" % (who, "resource" if call_name != "AssociateAlias" else "distribution"))
    return "held by %s in this account: move it in one step with %s" % (who, call_name)


def _steps(action: str, repoint: bool, leftover_txt: bool = False) -> List[str]:
    if action == BLOCKED:
        return []
    if action == ADD:
        return ["add_alias"] + (["repoint_dns"] if repoint else []) + ["verify"]
    if action == MOVE:
        return ["txt_create", "move_alias"] + (["repoint_dns"] if repoint else []) + ["txt_remove", "verify"]
    if action == DNS_FIRST:
        # Taking the alias off in-account holders is part of add_alias_after_dns: one module call removes it,
        # waits until they are Deployed and adds it at once, so nothing else runs in the gap.
        return (["repoint_dns"] if repoint else []) + ["add_alias_after_dns", "verify"]
    return (["repoint_dns"] if repoint else []) + (["txt_remove"] if leftover_txt else []) + ["verify"]


def _expected_current(dns: Json, points_to: Json, holders: Iterable[Json], overlapping: Iterable[Json],
                      target: Json) -> Optional[List[str]]:
    """What the record may hold when step 2 writes, in the terms dns_cname_repoint compares.

    dns_cname_repoint compares these values with what the provider's API holds: a CNAME's content, or a Route 53
    alias record's DNSName. Step 1 saw a CNAME's content too, so that is passed as it was seen, with the holders'
    and the target's names. A name step 1 saw as addresses (an apex alias record, a flattened or proxied CNAME,
    plain A records) is different: addresses are never what the API holds for an alias or a CNAME, and they
    cannot name a distribution (CloudFront's edges are shared). Then the guard is the holders' and the target's
    names, but only when step 1 tied the addresses to one of them and a holder's name is known; a record holding
    anything else is refused with a message that names it. Otherwise step 1 does not know what the record holds,
    and any list would be a guess that refuses the record on every run, so none is sent (None): the guard is
    then the provider's own compare-and-swap against what it read (Route 53 DELETE of the exact set read plus
    CREATE in one batch, RFC 2136 prerequisites, Cloudflare's record id), which still refuses a record that
    changes between the read and the write.
    """
    values = set(h["domain_name"] for h in holders if h.get("domain_name"))
    if points_to.get("domain_name"):
        values.add(points_to["domain_name"])
    if dns.get("type") == "CNAME":
        values.update(dns.get("values") or [])
    elif dns.get("type"):
        # A wildcard holder step 1 may have matched the addresses with counts as known too.
        values.update(h["domain_name"] for h in overlapping if h.get("domain_name"))
        values.discard(target["domain_name"])
        if not points_to.get("domain_name") or not values:
            return None
    values.add(target["domain_name"])
    return sorted(values)


def batches(plans: List[Json], step: str, created_by: Optional[Json] = None, repointed: Optional[Json] = None,
            handed_over: Optional[Json] = None, wait_deployed: bool = True) -> List[Json]:
    """The work of one step, grouped the way its module takes it.

    Alias steps and verify: one batch per distribution (``distribution_id``, ``aliases``);
    DNS steps: one batch per provider (``provider``, ``records`` for dns_cname_repoint).
    ``add_alias`` and ``repoint_dns`` batches also say whether their task must ``wait``: an alias that step 2
    repoints right after it is added waits for ``Deployed`` first (edges without the config answer 403), and
    a dns_first repoint waits until the authoritative servers serve it (CloudFront's own DNS check, when the
    alias is added next, would still see the old CNAME).
    ``add_alias_after_dns`` batches carry ``release_from`` (the in-account holders to take the aliases off, in the
    same module call) and ``conflict_wait`` (how long CloudFront may still answer CNAMEAlreadyExists: the TTL of the
    record step 2 replaced, read from ``repointed``, the registered repoint_dns loop, plus the release's grace).
    ``created_by`` (``txt_remove`` only): the registered ``txt_create`` loop; only the TXT records it shows
    this run created are removed (the rescue must not delete one an operator or another run made).
    ``restore_dns`` (the rescue only): from ``handed_over`` (the registered add_alias_after_dns loop) and
    ``repointed``, the records that put DNS back as it was for the aliases a failed handover gave back to their
    holder.
    ``deployed``: the targets step 3 changed (add_alias, move_alias) that must be Deployed before DNS moves - see
    ``_deployed_batches``; ``wait_deployed`` is the role's cname_remediation_wait_deployed.
    """
    if step not in STEPS:
        raise RemediationInputError("unknown step %r; steps: %s" % (step, ", ".join(STEPS)))
    if created_by is not None and step != "txt_remove":
        raise RemediationInputError("created_by only restricts txt_remove, not %s" % step)
    if step == "restore_dns":
        return _restore_batches(plans, handed_over, repointed)
    if step == "give_back":
        return _give_back_batches(plans, handed_over, repointed)
    if step == "deployed":
        return _deployed_batches(plans, wait_deployed)
    if created_by is not None:
        created = _written_records(created_by)
        owners = _TxtOwners(plans, created)
        plans = [p for p in plans if any(p is owner for record in created for owner in owners.of(record)
                                         if record.get("provider") == p["dns_provider"])]
    groups: List[Json] = []
    by_key: Dict[Any, Json] = {}
    for plan in plans:
        if step not in plan["steps"]:
            continue
        takeover = step == "add_alias_after_dns" and bool(plan.get("takeover"))
        keys: List[Any] = [plan["dns_provider"]] if step in DNS_STEPS else [(plan["target_distribution_id"], takeover)]
        for key in keys:
            if key not in by_key:
                if step in DNS_STEPS:
                    by_key[key] = {"provider": key, "records": []}
                else:
                    # resource_type tells the tasks whether the id is a distribution's or a tenant's.
                    by_key[key] = {"distribution_id": key[0], "aliases": [],
                                   "resource_type": plan.get("target_resource_type") or "distribution"}
                if step in ("add_alias", "repoint_dns"):
                    by_key[key]["wait"] = False
                if step == "add_alias_after_dns":
                    by_key[key].update(release_from=[], conflict_wait=RELEASE_GRACE)
                    if takeover:
                        # OnDomainTakeover: DNS names the tenant now; CloudFront hands the domain over.
                        by_key[key].update(state="moved", move_with="takeover")
                if step == "move_alias" and move_call(plan) == "UpdateDomainAssociation":
                    by_key[key]["move_with"] = "domain_association"
                groups.append(by_key[key])
            batch = by_key[key]
            if "records" in batch:
                batch["records"].append(_record(plan, step))
            else:
                batch["aliases"].append(plan["alias"])
            if step == "add_alias" and "repoint_dns" in plan["steps"]:
                batch["wait"] = True
            if step == "repoint_dns" and plan["action"] == DNS_FIRST:
                batch["wait"] = True
            if step == "move_alias" or takeover:
                # Step 1's holder, so that the move does not ask ListDomainConflicts again for it.
                batch.setdefault("expected_holders", {})[plan["alias"]] = _expected_holder(plan)
            if step == "move_alias" and plan.get("txt_record_override"):
                # So that AssociateAlias's refusals name the TXT record the user asked for.
                batch.setdefault("txt_record_names", {})[plan["alias"]] = plan["txt_record_name"]
            if step == "add_alias_after_dns":
                batch["release_from"] += [d for d in plan["remove_from"] if d not in batch["release_from"]]
                batch["conflict_wait"] = max(batch["conflict_wait"],
                                             _replaced_ttl(plan, repointed) + RELEASE_GRACE)
    return groups


def _deployed_batches(plans: Iterable[Json], wait_deployed: bool) -> List[Json]:
    """Per target, the aliases step 3 put on it before DNS moves, when the role waits for it to be Deployed.

    The changes are sent first, all of them, and only then waited for: CloudFront deploys each distribution on its
    own, so the deployments overlap and the run waits about one deployment, not one per target. Who waits is who
    waited when each change waited for itself: a move's target and an add's with ``wait_deployed`` (AWS's order:
    "After the target distribution is fully deployed, update your DNS configuration"), and an add's always when
    step 2 repoints the alias next (edges without the new configuration answer 403 for the name). ``done`` says
    what this run did there, for the message when the wait fails.
    """
    groups: List[Json] = []
    by_target: Dict[str, Json] = {}
    for plan in plans:
        if "move_alias" in plan["steps"]:
            kind, waits = "moved", wait_deployed
        elif "add_alias" in plan["steps"]:
            kind, waits = "added", wait_deployed or "repoint_dns" in plan["steps"]
        else:
            continue
        if not waits:
            continue
        target = plan["target_distribution_id"]
        if target not in by_target:
            by_target[target] = {"distribution_id": target, "aliases": [], "moved": [], "added": [],
                                 "resource_type": plan.get("target_resource_type") or "distribution"}
            groups.append(by_target[target])
        by_target[target]["aliases"].append(plan["alias"])
        by_target[target][kind].append(plan["alias"])
    for batch in groups:
        done = []
        if batch["moved"]:
            done.append("moved here: %s" % ", ".join(batch["moved"]))
        if batch["added"]:
            done.append("added: %s" % ", ".join(batch["added"]))
        batch["done"] = "; ".join(done)
    return groups


HOLDER_KEYS = ("distribution_id", "account_id", "masked", "in_account", "resource_type", "enabled")


def _expected_holder(plan: Json) -> Optional[Json]:
    """The holder step 1 found for the plan's alias, as cloudfront_distribution_alias's expected_holders takes it
    (the first exact holder other than the target, as the module's own look-up picks it), or None for nobody."""
    if not plan["holders"]:
        return None
    holder = plan["holders"][0]
    return dict((key, holder[key]) for key in HOLDER_KEYS if holder.get(key) is not None)


def _repoint_records(repointed: Optional[Json], plan: Json) -> List[Json]:
    """The entries of the registered repoint_dns loop that wrote the plan's alias."""
    return [record for result in _loop_results(repointed) for record in result.get("records", [])
            if record.get("name") == plan["alias"] and record.get("provider", plan["dns_provider"]) ==
            plan["dns_provider"] and _written(result, record)]


def _replaced_ttl(plan: Json, repointed: Optional[Json]) -> int:
    """How long resolvers (CloudFront's DNS check among them) may still answer with the record step 2 replaced."""
    ttls = [0]
    for record in _repoint_records(repointed, plan):
        for before in record.get("before") or []:
            if before.get("alias_target"):
                ttls.append(ALIAS_RECORD_TTL)
            elif before.get("ttl") is not None:
                ttl = int(before["ttl"])
                ttls.append(CLOUDFLARE_AUTO_TTL if ttl <= 1 else ttl)
    return max(ttls)


def _handovers(handed_over: Optional[Json], given_back: Optional[Json] = None) -> Dict[str, Json]:
    """{alias: {"released_from": [holder ids], "given_back": [holder ids], "failed": bool}} from the registered
    add_alias_after_dns loop, and the rescue's give_back loop (``given_back``)."""
    found: Dict[str, Json] = {}
    for result in _loop_results(handed_over):
        for key in ("released_from", "given_back"):
            for entry in result.get(key) or []:
                for alias in entry.get("aliases", []):
                    info = found.setdefault(alias, {"released_from": [], "given_back": [],
                                                    "failed": bool(result.get("failed"))})
                    info[key].append(entry["distribution_id"])
    for result in _loop_results(given_back):
        item = result.get("item") or {}
        for alias in result.get("aliases", []) if not result.get("failed") else []:
            if alias in item.get("aliases", []) and alias in found:
                if item.get("distribution_id") not in found[alias]["given_back"]:
                    found[alias]["given_back"].append(item.get("distribution_id"))
    return found


def _give_back_batches(plans: Iterable[Json], handed_over: Optional[Json], repointed: Optional[Json]) -> List[Json]:
    """Per holder, the aliases a failed handover took off it and could not give back at once - CloudFront refuses
    them while DNS points at the target, so the rescue puts DNS back first, then this gives them back, asking again
    while CloudFront's DNS check still sees the target (the TTL of the record step 2 wrote)."""
    groups: List[Json] = []
    by_holder: Dict[str, Json] = {}
    handovers = _handovers(handed_over)
    for plan in plans:
        info = handovers.get(plan["alias"])
        if not info or not info["failed"]:
            continue
        for holder in info["released_from"]:
            if holder in info["given_back"]:
                continue
            if holder not in by_holder:
                by_holder[holder] = {"distribution_id": holder, "aliases": [], "conflict_wait": RELEASE_GRACE}
                groups.append(by_holder[holder])
            by_holder[holder]["aliases"].append(plan["alias"])
            by_holder[holder]["conflict_wait"] = max(by_holder[holder]["conflict_wait"],
                                                     _written_ttl(plan, repointed) + RELEASE_GRACE)
    return groups


def _written_ttl(plan: Json, repointed: Optional[Json]) -> int:
    """The TTL of the record step 2 wrote for the alias (how long resolvers may keep pointing at the target)."""
    ttls = [0]
    for record in _repoint_records(repointed, plan):
        for after in record.get("after") or []:
            ttl = after.get("ttl")
            ttls.append(ALIAS_RECORD_TTL if after.get("alias_target") or ttl is None
                        else CLOUDFLARE_AUTO_TTL if int(ttl) <= 1 else int(ttl))
    return max(ttls)


def _restore_batches(plans: Iterable[Json], handed_over: Optional[Json], repointed: Optional[Json]) -> List[Json]:
    """Per provider, the records that put DNS back as step 2 found it, for the aliases a failed handover took off
    their holder (given back already, or to be given back next: CloudFront refuses that while DNS points at the
    target).

    Only from the target's name, so a record someone changed since is left alone (and the module says so). A name
    that held something a CNAME or an alias record cannot say again (plain addresses) is not touched here; the
    summary shows what it held.
    """
    given_back = dict((alias, info) for alias, info in _handovers(handed_over).items()
                      if info["failed"] and info["released_from"])
    groups: List[Json] = []
    by_provider: Dict[str, Json] = {}
    for plan in plans:
        if plan["alias"] not in given_back:
            continue
        for written in _repoint_records(repointed, plan):
            record = _restore_record(plan, written)
            if record is None:
                continue
            if plan["dns_provider"] not in by_provider:
                by_provider[plan["dns_provider"]] = {"provider": plan["dns_provider"], "records": []}
                groups.append(by_provider[plan["dns_provider"]])
            by_provider[plan["dns_provider"]]["records"].append(record)
    return groups


def _restore_record(plan: Json, written: Json) -> Optional[Json]:
    before = [b for b in written.get("before") or [] if b.get("type") in ("CNAME", "A", "AAAA")]
    record: Json = {"name": plan["alias"], "expected_current": [plan["target_domain_name"]]}
    if written.get("zone"):
        record["zone"] = written["zone"]
    if not before:
        record["state"] = "absent"
        return record
    cnames = [b for b in before if b.get("type") == "CNAME" and b.get("values")]
    aliases = [b for b in before if b.get("alias_target")]
    if cnames:
        old, target = cnames[0], cnames[0]["values"][0]
    elif aliases:
        old, target = aliases[0], aliases[0]["alias_target"]["dns_name"]
    else:
        return None
    record.update(state="present", target=target.rstrip("."))
    if old.get("ttl") is not None and int(old["ttl"]) > 1:
        record["ttl"] = int(old["ttl"])
    if can_proxy(plan["dns_provider"]):
        record["proxied"] = bool(old.get("proxied"))
    return record


def _record(plan: Json, step: str) -> Json:
    record: Json = {"name": plan["alias"], "target": plan["target_domain_name"]}
    if plan["dns_zone"]:
        record["zone"] = plan["dns_zone"]
    if step in TXT_STEPS:
        record["challenge"] = True
        record["state"] = "present" if step == "txt_create" else "absent"
        if plan.get("txt_record_override"):
            record["challenge_name"] = plan["txt_record_name"]
        # Only a TXT record that names this target is ours to write over or remove; one naming another
        # distribution is someone else's move in progress, and dns_cname_repoint refuses to touch it.
        record["expected_current"] = [plan["target_domain_name"]]
    else:
        record["state"] = "present"
        if plan["expected_current"] is not None:
            record["expected_current"] = plan["expected_current"]
        if can_proxy(plan["dns_provider"]) and plan.get("cloudflare_dns_only"):
            record["proxied"] = False
    return record


def _loop_results(register: Any) -> List[Json]:
    if not isinstance(register, dict):
        return []
    return [r for r in register.get("results", []) if isinstance(r, dict) and not r.get("skipped")]


def _written(result: Json, record: Json) -> bool:
    """Whether a dns_cname_repoint call really wrote this record.

    Its ``applied`` flag says so when the module reports one. Without it: a call that changed something and did
    not fail wrote it; a failed call wrote it only if it got as far as waiting for the change (a refused or
    failed write fails before that).
    """
    if record.get("action") in (None, "none"):
        return False
    if "applied" in record:
        return bool(record["applied"])
    return bool(result.get("changed")) and (not result.get("failed") or "wait" in result)


def _written_records(register: Any) -> List[Json]:
    return [record for result in _loop_results(register) for record in result.get("records", [])
            if _written(result, record)]


def _txt_record_keys(plan: Json, zones: Iterable[Optional[str]]) -> List[Tuple[Optional[str], str]]:
    """The keys under which a dns_cname_repoint result entry is the TXT record that moving ``plan``'s alias needs.

    A key is (the zone the module wrote to, the record's name): the name comes from Alias.txt_challenge_name in
    that zone; results without a zone (None) match the names the rule gives with and without the alias at a zone
    apex; a name the user gave (txt_record_name) matches in any zone, under ("override", name).
    """
    if plan.get("txt_record_override"):
        return [("override", plan["txt_record_name"])]
    alias = Alias.parse(plan["alias"])
    keys: List[Tuple[Optional[str], str]] = []
    for zone in zones:
        if zone:
            keys.append((zone, alias.txt_challenge_name(zone)))
        else:
            keys.extend((None, name) for name in (plan["txt_record_name"], alias.txt_challenge_name(),
                                                  alias.txt_challenge_name(alias.name)))
    return keys


class _TxtOwners:
    """Which plans each TXT record belongs to (``_txt_record_keys``), found through an index of the names each
    plan's record can have in the records' zones: one pass over the plans, not one per record (500 aliases
    would otherwise mean 250,000 comparisons, each parsing a name)."""

    def __init__(self, plans: Iterable[Json], records: Iterable[Json]) -> None:
        self.plans = list(plans)
        self.index: Dict[Tuple[Optional[str], str], List[int]] = {}
        zones = set(record.get("zone") or None for record in records)
        for position, plan in enumerate(self.plans):
            for key in _txt_record_keys(plan, zones):
                self.index.setdefault(key, []).append(position)

    def of(self, record: Json) -> List[Json]:
        """The plans ``record`` is the TXT record of, in the plans' order."""
        positions = self.index.get((record.get("zone") or None, record["name"]), []) + \
            self.index.get(("override", record["name"]), [])
        return [self.plans[position] for position in sorted(set(positions))]


def collect(plans: List[Json], registered: Optional[Mapping[str, Any]]) -> Json:
    """From the registered results of each step: what changed per alias, and the proofs."""
    changed: Dict[str, List[str]] = {}
    proofs: Dict[str, Json] = {}
    for name, register in (registered or {}).items():
        step = SAME_AS.get(name, name)
        if step in TXT_STEPS:
            owners = _TxtOwners(plans, [record for result in _loop_results(register)
                                        for record in result.get("records", [])])
        for result in _loop_results(register):
            if step == "verify":
                for item in result.get("aliases", []):
                    proofs[item["alias"]] = item
                continue
            names: List[str] = []
            if result.get("changed"):
                names.extend(result.get("added", []))
                names.extend(result.get("removed", []))
            for record in result.get("records", []):
                if not _written(result, record):
                    continue
                if step in TXT_STEPS:
                    names.extend([p["alias"] for p in owners.of(record)] or [record["name"]])
                else:
                    names.append(record["name"])
            for name in names:
                changed.setdefault(name, [])
                if step not in changed[name]:
                    changed[name].append(step)
    return {"changed": changed, "proofs": proofs,
            "handovers": _handovers((registered or {}).get("add_alias_after_dns"),
                                    (registered or {}).get("give_back"))}


def describe_step(plan: Json, step: str) -> str:
    """What one step does for one alias, in words."""
    alias, target = plan["alias"], target_words(plan)
    domain = plan["target_domain_name"]
    tenant = plan.get("target_resource_type") == TENANT
    where = "%s%s" % (plan["dns_provider"], " zone %s" % plan["dns_zone"] if plan["dns_zone"] else "")
    holders = ", ".join("%s%s" % ("distribution tenant " if h.get("resource_type") == TENANT else "",
                                  h["distribution_id"]) for h in plan["holders"]) or "nobody"
    if step == "txt_create":
        return "create TXT %s = %s at %s (%s checks it)" % (plan["txt_record_name"], domain, where, move_call(plan))
    if step == "move_alias":
        return "move %s from %s to %s in one step (%s)" % (alias, holders, target, move_call(plan))
    if step == "repoint_dns":
        if plan["expected_current"] is None:
            guard = "only if it still holds what the provider reads when it writes"
        else:
            guard = "only if it still holds %s" % ", ".join(plan["expected_current"])
        wait = ""
        if plan["action"] == DNS_FIRST:
            wait = ", and wait until every authoritative nameserver serves it"
        elif plan["action"] == ADD:
            wait = ", once %s is Deployed with the alias" % target
        return "repoint %s at %s: %s -> %s (%s)%s" % (
            alias, where, _dns_text(plan["dns_before"]), domain, guard, wait)
    if step == "txt_remove":
        return "remove TXT %s" % plan["txt_record_name"]
    if step == "add_alias_after_dns" and plan["remove_from"]:
        holders = ", ".join(plan["remove_from"])
        return ("take %s off %s, wait until %s is Deployed (CloudFront keeps a removed alias taken until then), "
                "then add it to %s at once (UpdateDistribution, asking again while CloudFront still answers "
                "CNAMEAlreadyExists); if it cannot be added, give it back to %s and put DNS back as it was"
                % (alias, holders, holders, target, holders))
    if step == "add_alias_after_dns" and plan.get("takeover"):
        return ("move %s from %s to %s in one step: UpdateDistributionTenant with OnDomainTakeover=allow, which "
                "CloudFront honours now that DNS names the tenant's routing endpoint %s"
                % (alias, _holder_words(plan["holders"]), target, domain))
    if step in ("add_alias", "add_alias_after_dns"):
        return "add %s to %s (%s)" % (alias, target, "UpdateDistributionTenant" if tenant else "UpdateDistribution")
    if step == "verify":
        return "prove with DNS that %s leads to %s" % (alias, domain)
    return step


def _dns_text(dns_before: Json) -> str:
    return str(dns_before.get("points_to") or ", ".join(dns_before.get("values") or [])
               or ("unreadable: %s" % dns_before["error"] if dns_before.get("error") else "no record"))


def _state_left(plan: Json, done: Sequence[str], handover: Optional[Json] = None) -> Tuple[str, List[str]]:
    """Where a stopped run left one alias, and what running again will do."""
    handover = handover or {}
    taken_off = [d for d in handover.get("released_from", []) if d not in handover.get("given_back", [])]
    if any(step in done for step in ALIAS_ON_TARGET_STEPS) or plan["verdict"] == "on_target":
        alias_at = "on the target %s" % plan["target_distribution_id"]
    elif taken_off:
        alias_at = ("ON NO DISTRIBUTION: it was taken off %s and could not be given back - add it to a distribution "
                    "at once" % ", ".join(taken_off))
    elif handover.get("given_back"):
        alias_at = ("back on %s (the handover to the target could not finish, so it was given back)"
                    % ", ".join(handover["given_back"]))
    elif plan["holders"]:
        alias_at = "still on %s" % ", ".join(h["distribution_id"] for h in plan["holders"])
    else:
        alias_at = "on no distribution, as found"
    if "restore_dns" in done:
        dns_at = "put back as found (%s)" % _dns_text(plan["dns_before"])
    elif "repoint_dns" in done:
        dns_at = "points at the target (%s)" % plan["target_domain_name"]
    else:
        # Not read again since step 1: someone else may have changed it meanwhile.
        dns_at = "not changed by this run (as step 1 saw it: %s)" % _dns_text(plan["dns_before"])
    left = "alias %s; DNS %s" % (alias_at, dns_at)
    if "txt_create" in done and "txt_remove" not in done:
        left += "; TXT %s is still there (remove it, or run again)" % plan["txt_record_name"]
    remaining = [s for s in plan["steps"] if s not in done and s not in ("txt_create", "txt_remove")]
    if any(step in done for step in ALIAS_ON_TARGET_STEPS):
        remaining = [s for s in remaining if s not in ALIAS_ON_TARGET_STEPS]
    if "restore_dns" in done:
        remaining = [s for s in plan["steps"] if s != "txt_remove" and s != "txt_create"]
    return left, remaining


def summarise(plans: List[Json], registered: Optional[Mapping[str, Any]], check_mode: bool = False,
              failed: bool = False, error: Any = None) -> List[str]:
    """Per alias: what was found, what changed, the proof. Lines a person reads."""
    results = collect(plans, registered)
    lines: List[str] = []
    changed_by_alias = results.get("changed", {})
    proofs = results.get("proofs", {})
    handovers = results.get("handovers", {})
    for plan in plans:
        alias = plan["alias"]
        lines.append("%s -> %s (%s)" % (alias, target_words(plan), plan["target_domain_name"]))
        holders = ", ".join("%s%s%s" % ("distribution tenant " if h.get("resource_type") == TENANT else "",
                                        h["distribution_id"], "" if h.get("in_account") else " [other account]")
                            for h in plan["holders"]) or "nobody else"
        for holder in plan.get("overlapping", []):
            holders += "; %s on %s covers it (kept)" % (holder.get("alias"), holder["distribution_id"])
        lines.append("  found:   %s; held by %s; DNS -> %s" % (plan["verdict"], holders, _dns_text(plan["dns_before"])))
        lines.append("  plan:    %s (%s)" % (plan["action"], plan["reason"]))
        if check_mode:
            if plan["steps"]:
                lines.append("  would:   (check mode: nothing was changed)")
                for number, step in enumerate(plan["steps"], 1):
                    lines.append("    %d. %s" % (number, describe_step(plan, step)))
            else:
                lines.append("  would:   nothing (check mode)")
            continue
        done = changed_by_alias.get(alias, [])
        lines.append("  changed: %s" % (", ".join(done) if done else "nothing"))
        proof = proofs.get(alias) or plan.get("proof")
        if proof:
            lines.append("  proof:   %s - %s" % ("VERIFIED" if proof.get("verified") else proof.get("outcome"),
                                                 proof.get("detail")))
        elif "verify" in plan["steps"]:
            lines.append("  proof:   not reached")
        if failed:
            left, remaining = _state_left(plan, done, handovers.get(alias))
            lines.append("  left:    %s" % left)
            if remaining:
                lines.append("  next:    fix the cause, run the same command again; it continues with %s"
                             % ", ".join(remaining))
    if failed:
        lines.append("STOPPED: %s" % (error or "a step failed"))
        only_txt = [a for a, steps in changed_by_alias.items() if steps and set(steps) <= set(TXT_STEPS)]
        if check_mode:
            lines.append("Check mode: nothing was changed.")
        elif not any(changed_by_alias.values()):
            lines.append("Nothing was changed. Fix the cause above and run the same command again.")
        elif len(only_txt) == len([a for a, steps in changed_by_alias.items() if steps]) and all(
                set(changed_by_alias[a]) == set(TXT_STEPS) for a in only_txt):
            lines.append("Only the TXT record%s that AssociateAlias checks (%s) %s created for the move and removed "
                         "again when it stopped; nothing else was changed. Fix the cause above and run the same "
                         "command again." % ("s" if len(only_txt) > 1 else "", ", ".join(
                             p["txt_record_name"] for p in plans if p["alias"] in only_txt),
                             "were" if len(only_txt) > 1 else "was"))
        else:
            lines.append("DNS was only repointed after its alias was on the target (or, for dns_first, as the runbook "
                         "does), so it is as it was or leads to a distribution that serves the alias. Fix the cause "
                         "above and run the same command again: step 1 sees what is done and it continues from there.")
    return lines


def _dns_provider_class(name: str) -> Any:
    """The registered provider class called ``name``, or None; the registry is imported only when asked."""
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import PROVIDER_CLASSES

    return PROVIDER_CLASSES.get(name)


def _apex_it_cannot_point(plan: dict) -> bool:
    """Whether the alias is its zone's apex at a provider with no way to send an apex to CloudFront (apex_mode None)."""
    if not (plan["dns_provider"] and plan["dns_zone"]):
        return False
    try:
        if to_ascii(plan["dns_zone"], what="dns_zone") != Alias.parse(plan["alias"]).name:
            return False
    except InvalidName:
        return False
    provider = _dns_provider_class(plan["dns_provider"])
    return provider is not None and provider.apex_mode is None
