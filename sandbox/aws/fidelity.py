"""The fidelity layer: what moto 5.2.5 lacks or gets wrong for this product.

Written from AWS's documented behaviour (see MISSION.md):

CloudFront
  * ``ListConflictingAliases`` and ``AssociateAlias`` (moto has neither);
  * ``CNAMEAlreadyExists`` on create and update, in both forms: the alias is held
    by another distribution in any account, or its DNS record is a CNAME
    straight to another distribution (checked with a real DNS query to the
    sandbox DNS server);
  * a certificate that covers every alias, lowercase aliases, the alias quota;
  * a new ETag on every change and ``PreconditionFailed`` on a stale ``If-Match``;
  * ``InProgress`` for a while after every change, then ``Deployed``;
  * ids and domain names shaped as AWS's (``E`` + 13, ``d`` + 13 characters);
  * every holder in ``ListConflictingAliases`` partly hidden, the caller's own too;
  * an alias removed from a distribution (or a deleted distribution's) stays taken
    until that distribution is ``Deployed`` again;
  * the DNS check of ``CNAMEAlreadyExists`` through a caching resolver (TTL x
    ``--ttl-scale``);
  * the ``_<alias>`` TXT record for ``AssociateAlias``, and ``_.<name>`` only for a
    wildcard or a zone apex.

ACM
  * ``RequestCertificate`` with ``KeyAlgorithm`` (RSA_2048, EC_prime256v1, EC_secp384r1);
  * ``ListCertificates`` without ``Includes.keyTypes`` lists RSA_1024 and RSA_2048 only.

Route 53
  * ``ChangeResourceRecordSets`` all-or-nothing, ``DELETE`` only of an exact
    match, one record set per name and type, no CNAME at the apex or beside
    other data, wildcard names returned as ``\\052``;
  * changes ``PENDING`` for a while, then ``INSYNC``;
  * no alias record to CloudFront in a private hosted zone.
"""

import base64
import datetime
import inspect
import ipaddress
import secrets
import string
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rdatatype
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from moto.acm.models import AWSValidationException, CertBundle, acm_backends
from moto.acm.responses import AWSCertificateManagerResponse
from moto.cloudfront import urls as cloudfront_urls
from moto.cloudfront.exceptions import InvalidIfMatchVersion, NoSuchDistribution
from moto.cloudfront.models import CloudFrontBackend, Distribution, ViewerCertificate, cloudfront_backends
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api import state_manager
from moto.route53.exceptions import InvalidInput
from moto.route53.models import RecordSet, Route53Backend
from moto.route53.responses import Route53

from . import errors
from .names import aliases_overlap, certificate_covers, is_valid_alias, norm, txt_challenge_names

CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"

PARTITION = "aws"
ALIAS_QUOTA = 100
_CTX = None
# Holders that are not standard distributions register here (distribution tenants, tenants.py):
# a holder hook takes (alias, except_id) and returns (account_id, holder) or None; a name hook
# says whether a *.cloudfront.net name belongs to such a resource (a connection group's endpoint).
HOLDER_HOOKS = []
CLOUDFRONT_NAME_HOOKS = []


def install(ctx):
    """Patch moto once, before its server app is created."""
    global _CTX
    _CTX = ctx
    cloudfront_urls.url_paths.update({
        "{0}/2020-05-31/conflicting-alias$": CloudFrontResponse.dispatch,
        "{0}/2020-05-31/distribution/(?P<distribution_id>[^/]+)/associate-alias$": CloudFrontResponse.dispatch,
    })
    CloudFrontResponse.list_conflicting_aliases = _list_conflicting_aliases_response
    CloudFrontResponse.associate_alias = _associate_alias_response
    _wrap(ViewerCertificate, "__init__", _viewer_certificate_init)
    _wrap(AWSCertificateManagerResponse, "list_certificates", _list_certificates_response)
    _wrap(AWSCertificateManagerResponse, "request_certificate", _request_certificate_response)
    _wrap(CertBundle, "validate_pk", _validate_pk)
    rsa.generate_private_key = _generate_rsa_key(rsa.generate_private_key)
    _wrap(Distribution, "__init__", _aws_like_ids)
    _wrap(CloudFrontBackend, "create_distribution_with_tags", _create_distribution)
    _wrap(CloudFrontBackend, "update_distribution", _update_distribution)
    _wrap(CloudFrontBackend, "delete_distribution", _delete_distribution)
    Route53Backend.change_resource_record_sets = _change_resource_record_sets
    _wrap(Route53Backend, "create_hosted_zone", _create_hosted_zone)
    _wrap(Route53, "create_hosted_zone", _create_hosted_zone_response)
    Route53.change_resource_record_sets = _change_rrsets_response
    Route53.get_change = _get_change_response
    Route53.list_hosted_zones_by_name = _list_hosted_zones_by_name_response
    from . import tenants
    tenants.install(ctx)
    _follow_changes(CloudFrontBackend)
    _follow_changes(Route53Backend, changed=_route53_changed)
    _ROUTE53_GENERATION[0] = 0
    after_reset()


# The backend methods that only read, or that keep the index themselves (create_distribution_with_tags).
_READ_PREFIXES = ("get_", "list_", "describe_", "iter_", "_")
_INDEX_KEEPERS = frozenset(["create_distribution", "create_distribution_with_tags"])


def _follow_changes(cls, changed=None):
    """Every other public method of the backend may change its state: the generation that follows it
    (the distribution index's, or ``changed``'s) moves on once the method has returned or failed."""
    changed = changed or _changed
    keepers = _INDEX_KEEPERS if changed is _changed else frozenset()
    for name in dir(cls):
        # Static methods (BaseBackend's VPC endpoint helpers) have no backend state to change.
        if name.startswith(_READ_PREFIXES) or name in keepers or \
                not inspect.isfunction(inspect.getattr_static(cls, name, None)):
            continue
        _wrap(cls, name, _changing(changed))


def _changing(changed):
    def method(original, self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        finally:
            changed()
    return method


# Route 53's data as the DNS server sees it: a generation that every mutating Route53Backend method (wrapped
# last, so after fidelity's own clean-up in _create_hosted_zone) and every reset moves on. None before install:
# nothing follows the changes then, so nothing may be kept.
_ROUTE53_GENERATION = [None]


def _route53_changed():
    with _INDEX_LOCK:
        if _ROUTE53_GENERATION[0] is not None:
            _ROUTE53_GENERATION[0] += 1


def route53_generation():
    return _ROUTE53_GENERATION[0]


def after_reset():
    """Settings that a moto reset may forget."""
    state_manager.set_transition(
        "cloudfront::distribution", {"progression": "time", "seconds": _CTX.deploy_seconds})
    _RELEASED.clear()
    _DNS_CHECK_CACHE.clear()
    _changed()
    _route53_changed()


def _wrap(cls, name, replacement):
    original = getattr(cls, name)

    def method(self, *args, **kwargs):
        return replacement(original, self, *args, **kwargs)

    method.__name__ = name
    setattr(cls, name, method)


# --------------------------------------------------------------------------
# Distribution helpers


def _backends():
    """Every account's CloudFront backend that exists, the sandbox's accounts first."""
    accounts = list(_CTX.accounts) + [a for a in cloudfront_backends.keys() if a not in _CTX.accounts]
    for account_id in accounts:
        yield account_id, cloudfront_backends[account_id][PARTITION]


def aliases_of(dist):
    return list(dist.distribution_config.Aliases.get("Items") or [])


def _set_aliases(dist, aliases):
    try:
        dist.distribution_config.Aliases = {"Quantity": len(aliases), "Items": list(aliases)} if aliases else {"Quantity": 0}
    finally:
        _changed()


def _touch(dist):
    """A change: new ETag, and InProgress until the deploy time has passed."""
    dist.etag = secrets.token_hex(7).upper()
    dist.status = "InProgress"
    dist._time_progressed = datetime.datetime.now()


# Who holds which alias and which distribution has which domain, for every account: a scan of every
# distribution per question made building a fleet of thousands quadratic. The index follows the state by a
# generation number that every change to distributions bumps (the backend's mutating methods, _set_aliases,
# a reset); a created distribution is added in place. Answers are the scan's, in the scan's order.
_INDEX_LOCK = threading.RLock()
_INDEX = {"generation": -1, "aliases": {}, "domains": {}}
_GENERATION = [0]


def _changed():
    with _INDEX_LOCK:
        _GENERATION[0] += 1


def _index():
    with _INDEX_LOCK:
        if _INDEX["generation"] != _GENERATION[0]:
            generation, aliases, domains = _GENERATION[0], {}, {}
            for account_id, backend in _backends():
                for dist in list(backend.distributions.values()):
                    domains.setdefault(dist.domain_name, (account_id, dist))
                    for alias in aliases_of(dist):
                        aliases.setdefault(alias, []).append((account_id, dist))
            _INDEX.update(generation=generation, aliases=aliases, domains=domains)
        return _INDEX


def _indexed_create(account_id, dist):
    """A distribution was just created: add it to the index (a name someone else has too: index again,
    so that the order of several entries stays the scan's)."""
    with _INDEX_LOCK:
        if _INDEX["generation"] != _GENERATION[0]:
            return
        aliases = aliases_of(dist)
        if dist.domain_name in _INDEX["domains"] or any(a in _INDEX["aliases"] for a in aliases):
            _GENERATION[0] += 1
            return
        _INDEX["domains"][dist.domain_name] = (account_id, dist)
        for alias in aliases:
            _INDEX["aliases"][alias] = [(account_id, dist)]


def _holder_of(alias, except_id=None):
    for account_id, dist in _index()["aliases"].get(alias, ()):
        if dist.distribution_id != except_id:
            return account_id, dist
    return None


def _other_holder(alias, except_id=None):
    for hook in HOLDER_HOOKS:
        found = hook(alias, except_id)
        if found:
            return found
    return None


def distribution_by_domain(domain):
    """(account id, distribution) of the distribution (any account) whose domain name is ``domain``, or None."""
    return _index()["domains"].get(domain)


def _dns_values(name, rdtype):
    """Ask the sandbox DNS server, as AWS asks the public DNS, for one rrset."""
    return _dns_answer(name, rdtype)[0]


def _zone_data_values(name, rdtype):
    """The rrset a DNS query for it would return, read from the sandbox DNS server in-process: the same
    answer (the server's own reply to a TCP query, CNAMEs and zone cuts as it follows them, the RFC 2136 zone
    from BIND) without a UDP round trip through the server's pool per check."""
    return _dns_answer(name, rdtype, in_process=True)[0]


def _dns_query(name, rdtype, in_process=False):
    if in_process and getattr(_CTX, "dns_server", None) is not None:
        return _CTX.dns_server.ask(name, rdtype)
    if _CTX.dns_address is None:
        return None
    query = dns.message.make_query(name + ".", rdtype)
    host, port = _CTX.dns_address
    try:
        response = dns.query.udp(query, host, port=port, timeout=2.0)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, host, port=port, timeout=2.0)
    except (dns.exception.DNSException, OSError):
        return None
    return response


def _dns_answer(name, rdtype, in_process=False):
    """(values, TTL) of one rrset; ([], 0) when there is none."""
    response = _dns_query(name, rdtype, in_process)
    if response is None:
        return [], 0
    values, ttl = [], 0
    wanted = dns.rdatatype.from_text(rdtype)
    for rrset in response.answer:
        if rrset.rdtype == wanted and norm(rrset.name.to_text()) == name:
            ttl = rrset.ttl
            for rdata in rrset:
                if wanted == dns.rdatatype.TXT:
                    values.append(b"".join(rdata.strings).decode())
                else:
                    values.append(norm(rdata.to_text()))
    return values, ttl


def _certificate_names(account_id, viewer_certificate):
    """Names on the distribution's ACM certificate, or None when it has none."""
    if viewer_certificate is None:
        return None
    if isinstance(viewer_certificate, dict):
        arn = viewer_certificate.get("ACMCertificateArn") or ""
    else:
        arn = getattr(viewer_certificate, "acm_certificate_arn", "") or ""
    if not arn:
        return None
    try:
        bundle = acm_backends[account_id]["us-east-1"].get_certificate(arn)
    except Exception:  # moto raises its own not-found class; any failure means unusable
        raise errors.InvalidViewerCertificate(
            "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
            "or doesn't include a valid certificate chain.")
    return [bundle.common_name] + list(bundle.sans)


def _check_aliases(account_id, aliases, viewer_certificate):
    for alias in aliases:
        if not is_valid_alias(alias):
            raise errors.InvalidArgument(
                "The parameter CNAME contains one or more illegal characters or is not lowercase: %s" % alias)
    if len(aliases) > alias_quota(account_id):
        raise errors.TooManyDistributionCNAMEs()
    if not aliases:
        return
    names = _certificate_names(account_id, viewer_certificate)
    if names is None:
        raise errors.InvalidViewerCertificate(
            "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a "
            "trusted certificate that validates your authorization to use the domain name.")
    uncovered = [alias for alias in aliases if not certificate_covers(names, alias)]
    if uncovered:
        raise errors.InvalidViewerCertificate(
            "The certificate that is attached to your distribution doesn't cover the alternate domain "
            "name (CNAME) that you're trying to add: %s" % ", ".join(uncovered))


def _check_not_taken(added, own_id=None, own_domain=None):
    """Both forms of CNAMEAlreadyExists, DNS first: that is the message the seed saw."""
    for alias in added:
        for target in _dns_check_cnames(alias):
            if target.endswith(".cloudfront.net") and target != own_domain:
                found = distribution_by_domain(target)
                if found and found[1].distribution_id != own_id:
                    raise errors.CNAMEDnsPointsElsewhere()
                if not found and any(hook(target) for hook in CLOUDFRONT_NAME_HOOKS):
                    raise errors.CNAMEDnsPointsElsewhere()
    for alias in added:
        if _holder_of(alias, except_id=own_id) or _still_released(alias, own_id) or \
                _other_holder(alias, except_id=own_id):
            raise errors.CNAMEHeldElsewhere()


def _config_aliases(config):
    return list((config.get("Aliases") or {}).get("Items") or [])


def _list_certificates_response(original, self):
    # moto leaves out the SANs that ACM's summaries carry (up to 100 of them).
    result = original(self)
    result.result["CertificateSummaryList"] = _listed_key_types(self, result.result["CertificateSummaryList"])
    for summary in result.result["CertificateSummaryList"]:
        names = summary.get("SubjectAlternativeNames") or [summary["DomainName"]]
        summary["SubjectAlternativeNameSummaries"] = names[:100]
        summary["HasAdditionalSubjectAlternativeNames"] = len(names) > 100
    return result


# --------------------------------------------------------------------------
# CloudFront backend wrappers


def _viewer_certificate_init(original, viewer, config):
    # moto says CloudFrontDefaultCertificate=true even beside an ACM or IAM certificate; AWS does not.
    original(viewer, config)
    if "CloudFrontDefaultCertificate" not in config:
        viewer.cloud_front_default_certificate = not (config.get("ACMCertificateArn") or config.get("IAMCertificateId"))


def _create_distribution(original, backend, distribution_config, tags):
    aliases = _config_aliases(distribution_config)
    _check_aliases(backend.account_id, aliases, distribution_config.get("ViewerCertificate"))
    _check_not_taken(aliases)
    dist, location, unused = original(backend, distribution_config, tags)
    _indexed_create(backend.account_id, dist)
    _touch(dist)
    return dist, location, dist.etag


def _update_distribution(original, backend, dist_config, _id, if_match):
    dist = backend.distributions.get(_id)
    if dist is None:
        raise NoSuchDistribution
    if not if_match:
        raise InvalidIfMatchVersion
    if if_match != dist.etag:
        raise errors.PreconditionFailed()
    aliases = _config_aliases(dist_config)
    _check_aliases(backend.account_id, aliases, dist_config.get("ViewerCertificate"))
    added = [a for a in aliases if a not in aliases_of(dist)]
    removed = [a for a in aliases_of(dist) if a not in aliases]
    _check_not_taken(added, own_id=_id, own_domain=dist.domain_name)
    dist, location, unused = original(backend, dist_config, _id, if_match)
    _touch(dist)
    _release(dist, removed)
    return dist, location, dist.etag


def _delete_distribution(original, backend, distribution_id, if_match):
    dist = backend.distributions.get(distribution_id)
    if dist is None:
        raise NoSuchDistribution
    if not if_match:
        raise InvalidIfMatchVersion
    if if_match != dist.etag:
        raise errors.PreconditionFailed()
    if dist.distribution_config.Enabled:
        raise errors.DistributionNotDisabled()
    held = aliases_of(dist)
    result = original(backend, distribution_id, if_match)
    _release(dist, held, deleted=True)
    return result


# --------------------------------------------------------------------------
# ListConflictingAliases


def _covered_alias(backend, dist, alias, role):
    """The alias, when it is a valid name that the distribution's certificate covers."""
    alias = alias or ""
    if not is_valid_alias(alias):
        raise errors.InvalidArgument("The alias %r is not a valid domain name." % alias)
    names = _certificate_names(backend.account_id, dist.distribution_config.ViewerCertificate) or []
    if not certificate_covers(names, alias):
        raise errors.InvalidArgument("The %s %s doesn't have a valid TLS certificate that covers the alias %s."
                                     % (role, dist.distribution_id, alias))
    return alias


def _mask(value, visible):
    # AWS hides the leading characters of every holder's ids, the caller's own too.
    return "*" * (len(value) - visible) + value[-visible:]


def list_conflicting_aliases(backend, distribution_id, alias, marker, max_items):
    dist = backend.distributions.get(distribution_id)
    if dist is None:
        raise NoSuchDistribution
    if max_items is not None and not 0 < max_items <= 100:
        raise errors.InvalidArgument("MaxItems must be between 1 and 100.")
    alias = _covered_alias(backend, dist, alias, "distribution")
    found = []
    for account_id, other in _backends():
        for candidate in list(other.distributions.values()):
            for held in aliases_of(candidate):
                if aliases_overlap(held, alias):
                    found.append((held, account_id, candidate.distribution_id))
    found.sort()
    start = _decode_marker(marker)
    limit = max_items or 100
    page = found[start:start + limit]
    items = []
    for held, account_id, dist_id in page:
        # "partially hidden, which allows you to identify the distributions and accounts that you own":
        # the runbook's '*******5PBZ4YV' (7 hidden, 7 shown) and '******' + the last 6 digits.
        items.append({
            "Alias": held,
            "DistributionId": _mask(dist_id, 7),
            "AccountId": _mask(account_id, 6),
        })
    next_marker = _encode_marker(start + limit) if start + limit < len(found) else None
    return items, next_marker, limit


def _encode_marker(index):
    return base64.urlsafe_b64encode(("offset:%d" % index).encode()).decode()


def _decode_marker(marker):
    if not marker:
        return 0
    try:
        kind, unused, number = base64.urlsafe_b64decode(marker.encode()).decode().partition(":")
        if kind != "offset":
            raise ValueError(marker)
        return int(number)
    except (ValueError, UnicodeDecodeError):
        raise errors.InvalidArgument("The marker is not valid.")


def _list_conflicting_aliases_response(self):
    items, next_marker, max_items = list_conflicting_aliases(
        self.backend,
        self._get_param("DistributionId"),
        self._get_param("Alias"),
        self._get_param("Marker"),
        self._get_int_param("MaxItems"),
    )
    result = {"ConflictingAliasesList": {
        "MaxItems": max_items,
        "Quantity": len(items),
        "Items": items or None,
    }}
    if next_marker:
        result["ConflictingAliasesList"]["NextMarker"] = next_marker
    return ActionResult(result)


# --------------------------------------------------------------------------
# AssociateAlias


def associate_alias(backend, target_id, alias):
    target = backend.distributions.get(target_id)
    if target is None:
        raise NoSuchDistribution
    alias = _covered_alias(backend, target, alias, "target distribution")
    if alias in aliases_of(target):
        return
    challenges = txt_challenge_names(alias, apex=_is_zone_apex(alias))
    if not any(target.domain_name in [norm(v) for v in _zone_data_values(name, "TXT")] for name in challenges):
        raise errors.InvalidArgument(
            "To move %s, create a DNS TXT record %s with the value %s (the target distribution's "
            "domain name), then try again." % (alias, challenges[0], target.domain_name))
    if len(aliases_of(target)) >= alias_quota(backend.account_id):
        raise errors.TooManyDistributionCNAMEs()
    holder = _holder_of(alias, except_id=target_id)
    if holder is None and _other_holder(alias):
        raise errors.IllegalUpdate(
            "The alias %s is associated with a distribution tenant. AssociateAlias only supports standard "
            "distributions; move it with UpdateDomainAssociation." % alias)
    if holder is not None:
        holder_account, source = holder
        if holder_account != backend.account_id and source.distribution_config.Enabled:
            raise errors.IllegalUpdate(
                "The alias %s is associated with an enabled distribution in another AWS account. "
                "That distribution must be disabled before the alias can be moved." % alias)
        _set_aliases(source, [a for a in aliases_of(source) if a != alias])
        _touch(source)
    _set_aliases(target, aliases_of(target) + [alias])
    _touch(target)


def _associate_alias_response(self):
    associate_alias(self.backend, self._get_param("TargetDistributionId"), self._get_param("Alias"))
    return EmptyResult()


# --------------------------------------------------------------------------
# Route 53


def _rr_name(name):
    """Route 53 stores names lowercase with a trailing dot and returns '*' as '\\052'."""
    name = norm(name)
    if name == "*" or name.startswith("*."):
        name = "\\052" + name[1:]
    return name + "."


def _rr_key(rrset):
    return (norm(rrset.name), rrset.type, rrset.set_identifier)


def _rdata_key(rtype, value):
    if rtype in ("CNAME", "NS", "PTR"):
        return norm(value)
    return value


def _values(rrset):
    # moto keeps the records it made itself (SOA, NS) as {"Value": ...} dicts.
    return [v["Value"] if isinstance(v, dict) else v for v in rrset.records or []]


def _same_rrset(current, given):
    if (current.alias_target is None) != (given.alias_target is None):
        return False
    if current.alias_target is not None:
        a, b = current.alias_target, given.alias_target
        return (a.get("HostedZoneId") == b.get("HostedZoneId")
                and norm(a.get("DNSName", "")) == norm(b.get("DNSName", ""))
                and bool(a.get("EvaluateTargetHealth")) == bool(b.get("EvaluateTargetHealth")))
    return (int(current.ttl or 0) == int(given.ttl or 0)
            and sorted(_rdata_key(current.type, v) for v in _values(current))
            == sorted(_rdata_key(given.type, v) for v in _values(given)))


def _new_rrset(rrset):
    fields = dict(rrset)
    fields["Name"] = _rr_name(rrset["Name"])
    fields["ResourceRecords"] = [r["Value"] if isinstance(r, dict) else r for r in rrset.get("ResourceRecords") or []]
    if fields.get("TTL") is not None:
        fields["TTL"] = int(fields["TTL"])
    return RecordSet(fields)


def _describe(rrset):
    return "[name='%s', type='%s']" % (rrset.name, rrset.type)


def _create_hosted_zone(original, backend, name, *args, **kwargs):
    # moto keeps its own SOA/NS values as {"Value": ...} dicts and NS names without the final dot.
    zone = original(backend, name, *args, **kwargs)
    for rrset in zone.rrsets:
        values = [v["Value"] if isinstance(v, dict) else v for v in rrset.records or []]
        if rrset.type == "NS":
            values = [v if v.endswith(".") else v + "." for v in values]
        rrset.records = values
        rrset.name = _rr_name(rrset.name)
        rrset.ttl = int(rrset.ttl) if rrset.ttl is not None else None
    return zone


def _create_hosted_zone_response(original, self):
    result = original(self)
    change_id = _new_change_id()
    submitted = utcnow()
    _CTX.route53_changes[change_id] = submitted
    result.result["ChangeInfo"] = {"Id": "/change/" + change_id, "Status": "PENDING", "SubmittedAt": submitted}
    return result


def _zone_sort_key(name):
    return ".".join(reversed(norm(name).split(".")))


def _list_hosted_zones_by_name_response(self):
    """DNSName/HostedZoneId say where the sorted listing starts; pages of MaxItems (AWS's paging)."""
    dns_name = self._get_param("DNSName")
    zone_id = self._get_param("HostedZoneId")
    max_items = self._get_int_param("MaxItems", 100)
    zones = sorted(self.backend.zones.values(), key=lambda z: (_zone_sort_key(z.name), z.id))
    if dns_name:
        start = (_zone_sort_key(dns_name), "/hostedzone/" + zone_id.split("/")[-1] if zone_id else "")
        zones = [z for z in zones if (_zone_sort_key(z.name), z.id) >= start]
    page, rest = zones[:max_items], zones[max_items:]
    result = {"HostedZones": page, "IsTruncated": bool(rest), "MaxItems": max_items}
    if dns_name:
        result["DNSName"] = dns_name
    if zone_id:
        result["HostedZoneId"] = zone_id
    if rest:
        result["NextDNSName"] = rest[0].name if rest[0].name.endswith(".") else rest[0].name + "."
        result["NextHostedZoneId"] = rest[0].id.split("/")[-1]
    return ActionResult(result)


def _check_shape(given, change):
    """Exactly one of AliasTarget or TTL+ResourceRecords, and values of the right kind."""
    rrset = change["ResourceRecordSet"]
    has_alias = bool(rrset.get("AliasTarget"))
    has_records = rrset.get("TTL") is not None and bool(rrset.get("ResourceRecords"))
    if has_alias == has_records or (has_alias and (rrset.get("TTL") is not None or rrset.get("ResourceRecords"))):
        raise InvalidInput(
            "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or "
            "TrafficPolicyInstanceId], but found %s in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=%s]"
            % ("none" if not (has_alias or has_records) else "more than one", change["Action"], rrset["Name"],
               rrset["Type"], rrset.get("SetIdentifier", "null")))
    problems = []
    for value in _values(given):
        try:
            if given.type == "A":
                ipaddress.IPv4Address(value)
            elif given.type == "AAAA":
                ipaddress.IPv6Address(value)
        except ValueError:
            problems.append("ARRDATAIllegalIPv4Address (Value is not a valid IPv%s address) encountered with '%s'"
                            % ("4" if given.type == "A" else "6", value))
    return problems


def _change_resource_record_sets(self, zoneid, change_list):
    zone = self.get_hosted_zone(zoneid)
    apex = norm(zone.name)
    state = {_rr_key(rs): rs for rs in zone.rrsets}
    problems = []
    for change in change_list:
        given = _new_rrset(change["ResourceRecordSet"])
        if change["Action"] != "DELETE":
            problems.extend(_check_shape(given, change))
            problems.extend(_private_zone_rules(zone, given))
        name = norm(given.name)
        if name != apex and not name.endswith("." + apex):
            problems.append("RRSet with DNS name %s is not permitted in zone %s." % (given.name, zone.name))
            continue
        key = _rr_key(given)
        action = change["Action"]
        if action == "CREATE":
            if key in state:
                problems.append("Tried to create resource record set %s but it already exists" % _describe(given))
            else:
                state[key] = given
        elif action == "DELETE":
            if key not in state:
                problems.append("Tried to delete resource record set %s but it was not found" % _describe(given))
            elif not _same_rrset(state[key], given):
                problems.append("Tried to delete resource record set %s but the values provided do not "
                                "match the current values" % _describe(given))
            else:
                del state[key]
        elif action == "UPSERT":
            state[key] = given
        else:
            problems.append("Invalid action %s" % action)
    problems.extend(_zone_rules(apex, zone.name, state.values()))
    if problems:
        raise errors.InvalidChangeBatch(problems)
    zone.rrsets = list(state.values())


def _zone_rules(apex, zone_name, rrsets):
    problems = []
    types_by_name = {}
    for rrset in rrsets:
        types_by_name.setdefault(norm(rrset.name), []).append(rrset)
    for name, sets in sorted(types_by_name.items()):
        for rrset in sets:
            if rrset.type == "CNAME" and rrset.alias_target is None and len(_values(rrset)) != 1:
                problems.append("RRSet of type CNAME with DNS name %s must have exactly one value." % rrset.name)
        cnames = [s for s in sets if s.type == "CNAME"]
        if not cnames:
            continue
        if name == apex:
            problems.append("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s."
                            % (cnames[0].name, zone_name))
        others = sorted({s.type for s in sets if s.type != "CNAME"})
        if others:
            problems.append("RRSet of type CNAME with DNS name %s is not permitted because a conflicting "
                            "RRSet of type %s with the same DNS name already exists in zone %s."
                            % (cnames[0].name, others[0], zone_name))
    return problems


def _new_change_id():
    return "C" + secrets.token_hex(10).upper()[:19]


def _change_rrsets_response(self):
    zoneid = self._get_param("HostedZoneId")
    change_list = self._get_param("ChangeBatch.Changes") or []
    self.backend.change_resource_record_sets(zoneid, change_list)
    change_id = _new_change_id()
    submitted = utcnow()
    _CTX.route53_changes[change_id] = submitted
    return ActionResult({"ChangeInfo": {"Id": "/change/" + change_id, "Status": "PENDING", "SubmittedAt": submitted}})


def _get_change_response(self):
    change_id = (self._get_param("Id") or "").split("/")[-1]
    submitted = _CTX.route53_changes.get(change_id)
    if submitted is None:
        raise errors.NoSuchChange(change_id)
    age = (utcnow() - submitted).total_seconds()
    status = "INSYNC" if age >= _CTX.insync_seconds else "PENDING"
    return ActionResult({"ChangeInfo": {"Id": "/change/" + change_id, "Status": status, "SubmittedAt": submitted}})


# --------------------------------------------------------------------------
# Ids and domain names as AWS makes them (moto's have 13 characters and a random first letter)

_UPPER_ALNUM = string.ascii_uppercase + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def _aws_like_ids(original, dist, account_id, region_name, config):
    original(dist, account_id, region_name, config)
    dist.distribution_id = dist.id = "E" + "".join(secrets.choice(_UPPER_ALNUM) for unused in range(13))
    dist.arn = "arn:%s:cloudfront::%s:distribution/%s" % (PARTITION, account_id, dist.distribution_id)
    dist.domain_name = "d%s.cloudfront.net" % "".join(secrets.choice(_LOWER_ALNUM) for unused in range(13))


# --------------------------------------------------------------------------
# A removed alias is not free at once (Knowledge Center, CNAMEAlreadyExists: "you might need to wait
# until the existing distribution's status is Deployed")

_RELEASED = {}  # alias -> (distribution id that gave it up, when that change is deployed)


def _release(dist, aliases, deleted=False):
    if not aliases:
        return
    if deleted:
        free_at = datetime.datetime.now() + datetime.timedelta(seconds=_CTX.deploy_seconds)
    else:
        # The moment moto's status turns Deployed (ManagedState: _time_progressed + the deploy time).
        free_at = dist._time_progressed + datetime.timedelta(seconds=_CTX.deploy_seconds)
    for alias in aliases:
        _RELEASED[alias] = (dist.distribution_id, free_at)


def _still_released(alias, own_id):
    """True while another distribution's removal of the alias is not deployed yet."""
    entry = _RELEASED.get(alias)
    if entry is None:
        return False
    holder_id, free_at = entry
    if datetime.datetime.now() > free_at:
        _RELEASED.pop(alias, None)
        return False
    return holder_id != own_id  # the distribution that gave it up may take it back


# --------------------------------------------------------------------------
# CloudFront's DNS check resolves through a caching resolver: a changed record is seen only once the
# old answer's TTL (x --ttl-scale) has run out

_DNS_CHECK_CACHE = {}  # name -> (CNAME targets, monotonic time the answer expires)
_DNS_CHECK_LOCK = threading.Lock()


def _dns_check_cnames(name):
    now = time.monotonic()
    with _DNS_CHECK_LOCK:
        cached = _DNS_CHECK_CACHE.get(name)
        if cached is not None and cached[1] > now:
            return cached[0]
    values, ttl = _dns_answer(name, "CNAME")
    if values and _CTX.ttl_scale > 0:
        with _DNS_CHECK_LOCK:
            _DNS_CHECK_CACHE[name] = (values, now + ttl * _CTX.ttl_scale)
    return values


# --------------------------------------------------------------------------
# The AssociateAlias TXT record: '_<alias>' as documented. For a wildcard and for a zone apex AWS documents
# no name; '_.example.com' is the one the collection documents, and it is accepted there only.


def _is_zone_apex(name):
    """Whether the public DNS has a zone cut at ``name`` (its SOA is owned by the name itself)."""
    response = _dns_query(name, "SOA", in_process=True)
    if response is None:
        return False
    return any(rrset.rdtype == dns.rdatatype.SOA and norm(rrset.name.to_text()) == name
               for rrset in list(response.answer) + list(response.authority))


# --------------------------------------------------------------------------
# ACM key algorithms

REQUESTABLE_KEY_ALGORITHMS = {"RSA_2048": None, "EC_prime256v1": ec.SECP256R1, "EC_secp384r1": ec.SECP384R1}
# ListCertificates: "Default filtering returns only RSA_1024 and RSA_2048 certificates".
DEFAULT_LISTED_KEY_TYPES = ("RSA_1024", "RSA_2048")


def _request_certificate_response(original, self):
    algorithm = self._get_param("KeyAlgorithm") or "RSA_2048"
    if algorithm not in REQUESTABLE_KEY_ALGORITHMS:
        raise AWSValidationException(
            "KeyAlgorithm %s is not supported for a requested certificate; use one of %s (the others are for "
            "imported certificates only)." % (algorithm, ", ".join(REQUESTABLE_KEY_ALGORITHMS)))
    _OWN_KEYS.trusted = True
    try:
        result = original(self)
    finally:
        _OWN_KEYS.trusted = False
    curve = REQUESTABLE_KEY_ALGORITHMS[algorithm]
    if curve is not None:
        bundle = self.acm_backend.get_certificate(result.result["CertificateArn"])
        if bundle.describe()["Certificate"]["KeyAlgorithm"] != algorithm:  # not an idempotent repeat
            _rekey(bundle, curve())
    return result


# A requested certificate's private key never leaves ACM, so the sandbox gives every requested certificate of
# one process the same RSA key pair (the certificates themselves, names, serials and ARNs, are each their own),
# and a key moto has just made needs no consistency check: generating and checking a 2048-bit key costs about
# a second on a busy machine, which made the fleet's hundred certificates take minutes. Imported keys
# (ImportCertificate) are still checked in full.
_OWN_KEYS = threading.local()
_REQUESTED_RSA_KEY = []


def _generate_rsa_key(original):
    def generate_private_key(public_exponent, key_size, backend=None):
        if not getattr(_OWN_KEYS, "trusted", False) or (public_exponent, key_size) != (65537, 2048):
            return original(public_exponent, key_size, backend)
        with _INDEX_LOCK:
            if not _REQUESTED_RSA_KEY:
                _REQUESTED_RSA_KEY.append(original(public_exponent, key_size, backend))
            return _REQUESTED_RSA_KEY[0]
    return generate_private_key


def _validate_pk(original, bundle):
    if getattr(_OWN_KEYS, "trusted", False):
        return serialization.load_pem_private_key(bundle.key, password=None, unsafe_skip_rsa_key_validation=True)
    return original(bundle)


def _rekey(bundle, curve):
    """The same certificate (names, issuer, validity), with an elliptic-curve key pair."""
    key = ec.generate_private_key(curve)
    old = bundle._cert
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(old.issuer)
               .public_key(key.public_key()).serial_number(old.serial_number)
               .not_valid_before(old.not_valid_before_utc).not_valid_after(old.not_valid_after_utc))
    for extension in old.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    certificate = builder.sign(key, hashes.SHA256())
    bundle.cert = certificate.public_bytes(serialization.Encoding.PEM)
    bundle.key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption())
    bundle._key = bundle.validate_pk()
    bundle._cert = bundle.validate_certificate()


def _listed_key_types(response, summaries):
    includes = response._get_param("Includes") or {}
    wanted = includes.get("keyTypes") or DEFAULT_LISTED_KEY_TYPES
    return [s for s in summaries if s.get("KeyAlgorithm") in wanted]


# --------------------------------------------------------------------------
# Route 53 private hosted zones


def _private_zone_rules(zone, given):
    """"You can't create an alias resource record set in a private hosted zone to route traffic to a
    CloudFront distribution." (Route 53 API reference, AliasTarget)"""
    if not zone.private_zone or not given.alias_target:
        return []
    if given.alias_target.get("HostedZoneId") != CLOUDFRONT_ZONE_ID:
        return []
    return ["RRSet with DNS name %s, type %s cannot be an alias to a CloudFront distribution (HostedZoneId %s) "
            "in the private hosted zone %s." % (given.name, given.type, CLOUDFRONT_ZONE_ID, zone.name)]


# --------------------------------------------------------------------------
# Quotas: "Alternate domain names (CNAMEs) per distribution: 100", adjustable on request (CloudFront quotas)


def alias_quota(account_id):
    return _CTX.alias_quotas.get(account_id, ALIAS_QUOTA)
