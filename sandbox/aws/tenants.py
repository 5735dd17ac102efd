"""CloudFront SaaS Manager in the sandbox: multi-tenant distributions, distribution tenants,
connection groups, and the domain APIs that know both kinds of resource.

moto 5.2.5 has none of it. Written from botocore's service model (2020-05-31) and
the CloudFront Developer Guide; TENANTS_SANDBOX.md lists every rule and the
document it follows. In short:

* a distribution with ``ConnectionMode: tenant-only`` has no aliases of its own
  and no address (its ``DomainName`` does not resolve); creating one gives the
  account its default connection group;
* a tenant belongs to one multi-tenant distribution and one connection group and
  carries 1 to 5 ``Domains``, each ``active`` when the tenant's certificate covers
  it and ``inactive`` while a CloudFront-managed certificate is still pending;
  its DNS target is the group's ``RoutingEndpoint`` (``dXXXXXXXXXXXXX.cloudfront.net``);
* one alias/domain namespace across standard distributions and tenants of every
  account: ``CNAMEAlreadyExists`` in both forms, through the hooks in fidelity.py;
* ``OnDomainTakeover: allow`` moves a held domain when its DNS CNAME already
  points at the tenant's routing endpoint (a real query to the sandbox DNS);
* ``ListDomainConflicts``, ``UpdateDomainAssociation``, ``VerifyDnsConfiguration``.

Tenant and group state lives on moto's CloudFront backends, so the sandbox's
reset (moto's reset) empties it with everything else.
"""

import base64
import datetime
import secrets
import string

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
from moto.cloudfront import urls as cloudfront_urls
from moto.cloudfront.exceptions import InvalidIfMatchVersion
from moto.cloudfront.models import CloudFrontBackend, Distribution, cloudfront_backends
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow

from . import errors, fidelity
from .names import aliases_overlap, certificate_covers, is_valid_alias, norm, txt_challenge_names

TENANT_ONLY, DIRECT = "tenant-only", "direct"
DOMAINS_PER_TENANT = 5          # UpdateDistributionTenant: "Each distribution tenant can have up to 5 domains."
DEFAULT_GROUP_NAME = "default-connection-group"
MAX_ITEMS = 100
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CTX = None


def install(ctx):
    """Add the operations to moto's CloudFront and the holder hooks to fidelity's checks."""
    global _CTX
    _CTX = ctx
    base = "{0}/2020-05-31/"
    cloudfront_urls.url_paths.update({
        base + "distribution-tenant$": CloudFrontResponse.dispatch,
        base + "distribution-tenant/(?P<Identifier>.+)$": CloudFrontResponse.dispatch,
        base + "distribution-tenants$": CloudFrontResponse.dispatch,
        base + "connection-group$": CloudFrontResponse.dispatch,
        base + "connection-group/(?P<Identifier>.+)$": CloudFrontResponse.dispatch,
        base + "connection-groups$": CloudFrontResponse.dispatch,
        base + "domain-conflicts$": CloudFrontResponse.dispatch,
        base + "domain-association$": CloudFrontResponse.dispatch,
        base + "verify-dns-configuration$": CloudFrontResponse.dispatch,
        base + "distributionsByConnectionMode/(?P<ConnectionMode>[^/]+)$": CloudFrontResponse.dispatch,
    })
    for name, method in _RESPONSES.items():
        setattr(CloudFrontResponse, name, method)
    Distribution.connection_mode = property(connection_mode)
    fidelity._wrap(CloudFrontBackend, "create_distribution_with_tags", _create_distribution)
    fidelity._wrap(CloudFrontBackend, "update_distribution", _update_distribution)
    fidelity._wrap(CloudFrontBackend, "delete_distribution", _delete_distribution)
    fidelity.HOLDER_HOOKS.append(_tenant_holder)
    fidelity.CLOUDFRONT_NAME_HOOKS.append(lambda name: group_by_endpoint(name) is not None)


# --------------------------------------------------------------------------
# The model


def _now():
    return utcnow()


def _new_etag():
    return "E" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for unused in range(13))


def _new_id(prefix):
    # AWS's tenant and group ids look like KSUIDs: 27 base-62 characters after the prefix.
    return prefix + secrets.choice("23") + "".join(secrets.choice(_BASE62) for unused in range(26))


def _new_endpoint():
    alphabet = string.ascii_lowercase + string.digits
    return "d" + "".join(secrets.choice(alphabet) for unused in range(13)) + ".cloudfront.net"


class _Versioned:
    """An ETag that changes on every change, and InProgress for the deploy time after it."""

    def touch(self):
        self.etag = _new_etag()
        self.changed_at = datetime.datetime.now()
        self.last_modified = _now()

    @property
    def status(self):
        age = (datetime.datetime.now() - self.changed_at).total_seconds()
        return "Deployed" if age >= _CTX.deploy_seconds else "InProgress"


class ConnectionGroup(_Versioned):
    def __init__(self, account_id, name, ipv6=True, enabled=True, tags=None, anycast_ip_list_id=None,
                 is_default=False):
        self.account_id = account_id
        self.id = _new_id("cg_")
        self.name = name
        self.arn = "arn:aws:cloudfront::%s:connection-group/%s" % (account_id, self.id)
        self.routing_endpoint = _new_endpoint()
        self.ipv6_enabled = ipv6
        self.enabled = enabled
        self.is_default = is_default
        self.tags = tags
        self.anycast_ip_list_id = anycast_ip_list_id
        self.created = _now()
        self.touch()

    def to_result(self, summary=False):
        result = {
            "Id": self.id, "Name": self.name, "Arn": self.arn, "CreatedTime": self.created,
            "LastModifiedTime": self.last_modified, "Ipv6Enabled": self.ipv6_enabled,
            "RoutingEndpoint": self.routing_endpoint, "Status": self.status, "Enabled": self.enabled,
            "IsDefault": self.is_default,
        }
        if self.anycast_ip_list_id:
            result["AnycastIpListId"] = self.anycast_ip_list_id
        if summary:
            result["ETag"] = self.etag
            result.pop("Ipv6Enabled")
        elif self.tags:
            result["Tags"] = self.tags
        return result


class Tenant(_Versioned):
    def __init__(self, account_id, distribution_id, name, group_id, enabled=True):
        self.account_id = account_id
        self.id = _new_id("dt_")
        self.distribution_id = distribution_id
        self.name = name
        self.arn = "arn:aws:cloudfront::%s:distribution-tenant/%s" % (account_id, self.id)
        self.connection_group_id = group_id
        self.enabled = enabled
        self.domains = []              # [{"Domain": ..., "ServeOn": ... (when given)}]
        self.released = {}             # domain -> the change that released it (see holds())
        self.customizations = None
        self.parameters = None
        self.tags = None
        self.managed_certificate = None
        self.created = _now()
        self.touch()

    def domain_names(self):
        return [d["Domain"] for d in self.domains]

    def holds(self, domain):
        """True while the domain is the tenant's, or given up by a change that is not Deployed yet.

        A removed alternate domain name stays taken until the old holder is Deployed
        (AWS Knowledge Center), for tenants as for standard distributions.
        """
        if domain in self.domain_names():
            return True
        if domain in self.released and self.status == "InProgress":
            return True
        self.released.pop(domain, None)
        return False

    def release(self, domains):
        for domain in domains:
            self.released[domain] = self.etag

    def to_result(self, summary=False):
        result = {
            "Id": self.id, "DistributionId": self.distribution_id, "Name": self.name, "Arn": self.arn,
            "Domains": [dict(d, Status=_domain_status(self, d["Domain"])) for d in self.domains],
            "ConnectionGroupId": self.connection_group_id, "CreatedTime": self.created,
            "LastModifiedTime": self.last_modified, "Enabled": self.enabled, "Status": self.status,
        }
        if self.customizations:
            result["Customizations"] = self.customizations
        if summary:
            result["ETag"] = self.etag
            return result
        if self.tags:
            result["Tags"] = self.tags
        if self.parameters:
            result["Parameters"] = self.parameters
        return result


class _Store:
    def __init__(self):
        self.tenants = {}      # id -> Tenant, in creation order
        self.groups = {}       # id -> ConnectionGroup, in creation order


def _store(backend):
    # Kept on moto's backend object: moto's reset replaces the backends, and this with them.
    store = backend.__dict__.get("_sandbox_saas")
    if store is None:
        store = backend.__dict__["_sandbox_saas"] = _Store()
    return store


def _all_stores():
    for account_id, backend in fidelity._backends():
        yield account_id, backend, _store(backend)


def connection_mode(dist):
    return getattr(dist.distribution_config, "ConnectionMode", None) or DIRECT


def is_tenant_only(dist):
    return connection_mode(dist) == TENANT_ONLY


def group_by_endpoint(name):
    """The connection group (any account) whose routing endpoint is name, or None."""
    name = norm(name)
    for _account_id, _backend, store in _all_stores():
        for group in list(store.groups.values()):
            if group.routing_endpoint == name:
                return group
    return None


def _tenant_holder(domain, except_id=None):
    """fidelity's holder hook: (account_id, tenant) of the tenant that holds the domain."""
    for account_id, unused, store in _all_stores():
        for tenant in list(store.tenants.values()):
            if tenant.id != except_id and tenant.holds(domain):
                return account_id, tenant
    return None


def _domain_status(tenant, domain):
    names = _tenant_certificate_names(tenant)
    return "active" if names and certificate_covers(names, domain) else "inactive"


def _tenant_certificate_names(tenant):
    distribution = cloudfront_backends[tenant.account_id][fidelity.PARTITION].distributions.get(
        tenant.distribution_id)
    return _certificate_names(tenant.account_id, tenant.customizations, distribution)


def _certificate_names(account_id, customizations, distribution):
    """Names on a tenant's certificate: its own customization, else its distribution's."""
    arn = ((customizations or {}).get("Certificate") or {}).get("Arn")
    if arn:
        viewer = {"ACMCertificateArn": arn}
    else:
        viewer = distribution.distribution_config.ViewerCertificate if distribution is not None else None
    try:
        return fidelity._certificate_names(account_id, viewer) or []
    except errors.InvalidViewerCertificate:
        return []


# --------------------------------------------------------------------------
# Standard and multi-tenant distributions


def _default_group(backend):
    store = _store(backend)
    for group in store.groups.values():
        if group.is_default:
            return group
    group = ConnectionGroup(backend.account_id, DEFAULT_GROUP_NAME, is_default=True)
    store.groups[group.id] = group
    return group


def _create_distribution(original, backend, distribution_config, tags):
    mode = distribution_config.get("ConnectionMode") or DIRECT
    if mode not in (DIRECT, TENANT_ONLY):
        raise errors.InvalidArgument("ConnectionMode must be direct or tenant-only.")
    if mode == TENANT_ONLY and fidelity._config_aliases(distribution_config):
        raise errors.InvalidArgument(
            "A multi-tenant distribution (ConnectionMode tenant-only) can't have alternate domain names "
            "(Aliases). Add the domains to its distribution tenants instead.")
    distribution_config["ConnectionMode"] = mode
    result = original(backend, distribution_config, tags)
    if mode == TENANT_ONLY:
        # "By default, CloudFront creates a connection group for you when you create a
        # multi-tenant distribution" (Developer Guide, custom connection group).
        _default_group(backend)
    return result


def _update_distribution(original, backend, dist_config, _id, if_match):
    dist = backend.distributions.get(_id)
    if dist is not None and if_match and if_match == dist.etag:  # else fidelity's If-Match error comes first
        mode = dist_config.get("ConnectionMode") or connection_mode(dist)
        if mode != connection_mode(dist):
            raise errors.IllegalUpdate(
                "The ConnectionMode of a distribution can't be changed; create a new distribution instead.")
        if mode == TENANT_ONLY and fidelity._config_aliases(dist_config):
            raise errors.InvalidArgument(
                "A multi-tenant distribution (ConnectionMode tenant-only) can't have alternate domain names "
                "(Aliases). Add the domains to its distribution tenants instead.")
    if dist is not None:
        dist_config["ConnectionMode"] = dist_config.get("ConnectionMode") or connection_mode(dist)
    return original(backend, dist_config, _id, if_match)


def _delete_distribution(original, backend, distribution_id, if_match):
    users = [t for t in _store(backend).tenants.values() if t.distribution_id == distribution_id]
    if users and backend.distributions.get(distribution_id) is not None:
        raise errors.ResourceInUse(
            "The multi-tenant distribution %s still has %d distribution tenant(s); delete them first."
            % (distribution_id, len(users)))
    return original(backend, distribution_id, if_match)


def _multi_tenant_distribution(backend, distribution_id):
    dist = backend.distributions.get(distribution_id or "")
    if dist is None:
        raise errors.EntityNotFound("distribution %s" % distribution_id)
    if not is_tenant_only(dist):
        raise errors.InvalidArgument(
            "The distribution %s is a standard distribution (ConnectionMode direct); distribution tenants "
            "need a multi-tenant distribution (ConnectionMode tenant-only)." % distribution_id)
    return dist


# --------------------------------------------------------------------------
# Lookups in the caller's account


def _tenant(backend, identifier):
    """A tenant of the caller's account by ID, ARN or name (GetDistributionTenant's Identifier)."""
    store = _store(backend)
    for tenant in store.tenants.values():
        if identifier in (tenant.id, tenant.arn, tenant.name):
            return tenant
    raise errors.EntityNotFound("distribution tenant %s" % identifier)


def _group(backend, identifier):
    store = _store(backend)
    for group in store.groups.values():
        if identifier in (group.id, group.arn, group.name):
            return group
    raise errors.EntityNotFound("connection group %s" % identifier)


def _group_of(tenant):
    backend = cloudfront_backends[tenant.account_id][fidelity.PARTITION]
    return _store(backend).groups[tenant.connection_group_id]


def _check_if_match(resource, if_match):
    if not if_match:
        raise InvalidIfMatchVersion()
    if if_match != resource.etag:
        raise errors.PreconditionFailed()


# --------------------------------------------------------------------------
# Domains of a tenant: validity, certificate, the 409, OnDomainTakeover


def _requested_domains(items):
    if not items:
        raise errors.InvalidArgument("You must specify at least one domain for a distribution tenant.")
    domains, seen = [], set()
    for item in items:
        domain = item.get("Domain") or ""
        if not is_valid_alias(domain):
            raise errors.InvalidArgument(
                "The domain %s contains illegal characters or is not lowercase." % domain)
        if domain in seen:
            raise errors.InvalidArgument("The domain %s is listed twice." % domain)
        seen.add(domain)
        entry = {"Domain": domain}
        if item.get("ServeOn"):
            entry["ServeOn"] = item["ServeOn"]
        domains.append(entry)
    if len(domains) > DOMAINS_PER_TENANT:
        raise errors.EntityLimitExceeded(
            "A distribution tenant can have up to %d domains; this request has %d."
            % (DOMAINS_PER_TENANT, len(domains)))
    return domains


def _check_certificate(account_id, customizations, managed_certificate, domains, distribution):
    """Every domain covered by the tenant's certificate, unless a managed certificate is pending."""
    if managed_certificate:
        return
    names = _certificate_names(account_id, customizations, distribution)
    uncovered = [d for d in domains if not certificate_covers(names, d)]
    if uncovered:
        raise errors.InvalidArgument(
            "The certificate of the distribution tenant doesn't cover the domain(s) %s. Attach a certificate "
            "that covers them (Customizations.Certificate) or ask CloudFront for a managed certificate "
            "(ManagedCertificateRequest)." % ", ".join(uncovered))


def dns_points_at(domain, endpoint):
    """CloudFront's DNS check: the domain's own CNAME record names the endpoint."""
    return endpoint in fidelity._dns_values(domain, "CNAME")


def _claim(tenant, added, endpoint, on_takeover):
    """The 409 for domains held elsewhere, or, with OnDomainTakeover allow, the holders to take from."""
    takeovers = []
    for domain in added:
        holder = _any_holder(domain, except_id=tenant.id)
        if holder and on_takeover == "allow" and dns_points_at(domain, endpoint):
            takeovers.append((domain, holder))
    taken = {domain for domain, unused in takeovers}
    fidelity._check_not_taken([d for d in added if d not in taken], own_id=tenant.id, own_domain=endpoint)
    return takeovers


def _any_holder(domain, except_id=None):
    """(account_id, distribution or tenant) that holds the domain exactly, or None."""
    return fidelity._holder_of(domain, except_id=except_id) or fidelity._other_holder(domain, except_id=except_id)


def _take_from(holder, domain):
    unused, source = holder
    if isinstance(source, Tenant):
        source.domains = [d for d in source.domains if d["Domain"] != domain]
        source.released.pop(domain, None)
        source.touch()
    else:
        fidelity._set_aliases(source, [a for a in fidelity.aliases_of(source) if a != domain])
        fidelity._touch(source)


# --------------------------------------------------------------------------
# Tenant operations


def create_distribution_tenant(backend, params):
    store = _store(backend)
    name = params.get("Name") or ""
    if any(t.name == name for t in store.tenants.values()):
        raise errors.EntityAlreadyExists("A distribution tenant named %s already exists in this account." % name)
    dist = _multi_tenant_distribution(backend, params.get("DistributionId"))
    group = _group(backend, params["ConnectionGroupId"]) if params.get("ConnectionGroupId") else _default_group(backend)
    domains = _requested_domains(params.get("Domains"))
    tenant = Tenant(backend.account_id, dist.distribution_id, name, group.id,
                    enabled=params.get("Enabled", True) is not False)
    tenant.customizations = params.get("Customizations")
    tenant.parameters = params.get("Parameters")
    tenant.tags = params.get("Tags")
    tenant.managed_certificate = params.get("ManagedCertificateRequest")
    names = [d["Domain"] for d in domains]
    _check_certificate(tenant.account_id, tenant.customizations, tenant.managed_certificate, names, dist)
    takeovers = _claim(tenant, names, group.routing_endpoint, params.get("OnDomainTakeover"))
    for domain, holder in takeovers:
        _take_from(holder, domain)
    tenant.domains = domains
    store.tenants[tenant.id] = tenant
    return tenant


def update_distribution_tenant(backend, params):
    tenant = _tenant(backend, params.get("Id"))
    _check_if_match(tenant, params.get("IfMatch"))
    dist_id = params.get("DistributionId") or tenant.distribution_id
    dist = _multi_tenant_distribution(backend, dist_id)
    group = _group(backend, params["ConnectionGroupId"]) if params.get("ConnectionGroupId") else _group_of(tenant)
    domains = _requested_domains(params["Domains"]) if params.get("Domains") is not None else tenant.domains
    # Fields left out of the request keep their values.
    customizations = _given(params, "Customizations", tenant.customizations)
    managed_certificate = _given(params, "ManagedCertificateRequest", tenant.managed_certificate)
    names = [d["Domain"] for d in domains]
    old = tenant.domain_names()
    _check_certificate(tenant.account_id, customizations, managed_certificate, names, dist)
    added = [d for d in names if d not in old]
    takeovers = _claim(tenant, added, group.routing_endpoint, params.get("OnDomainTakeover"))
    for domain, holder in takeovers:
        _take_from(holder, domain)
    tenant.customizations, tenant.managed_certificate = customizations, managed_certificate
    tenant.parameters = _given(params, "Parameters", tenant.parameters)
    tenant.distribution_id = dist.distribution_id
    tenant.connection_group_id = group.id
    if params.get("Enabled") is not None:
        tenant.enabled = bool(params["Enabled"])
    tenant.domains = domains
    tenant.touch()
    for domain in names:
        tenant.released.pop(domain, None)
    tenant.release([d for d in old if d not in names])
    return tenant


def _given(params, key, current):
    return params[key] if params.get(key) is not None else current


def delete_distribution_tenant(backend, tenant_id, if_match):
    tenant = _tenant(backend, tenant_id)
    _check_if_match(tenant, if_match)
    if tenant.enabled:
        raise errors.ResourceNotDisabled(
            "The distribution tenant %s is enabled. Disable it with UpdateDistributionTenant first." % tenant.id)
    del _store(backend).tenants[tenant.id]


def get_distribution_tenant_by_domain(backend, domain):
    domain = norm(domain or "")
    for tenant in _store(backend).tenants.values():
        if domain in tenant.domain_names():
            return tenant
    raise errors.EntityNotFound("distribution tenant with the domain %s" % domain)


def list_distribution_tenants(backend, association_filter, marker, max_items):
    association_filter = association_filter or {}
    tenants = list(_store(backend).tenants.values())
    if association_filter.get("DistributionId"):
        tenants = [t for t in tenants if t.distribution_id == association_filter["DistributionId"]]
    if association_filter.get("ConnectionGroupId"):
        tenants = [t for t in tenants if t.connection_group_id == association_filter["ConnectionGroupId"]]
    return _page(tenants, marker, max_items)


# --------------------------------------------------------------------------
# Connection groups


def create_connection_group(backend, params):
    store = _store(backend)
    name = params.get("Name") or ""
    if not name:
        raise errors.InvalidArgument("A connection group needs a Name.")
    if any(g.name == name for g in store.groups.values()):
        raise errors.EntityAlreadyExists("A connection group named %s already exists in this account." % name)
    group = ConnectionGroup(backend.account_id, name, ipv6=params.get("Ipv6Enabled", True) is not False,
                            enabled=params.get("Enabled", True) is not False, tags=params.get("Tags"),
                            anycast_ip_list_id=params.get("AnycastIpListId"))
    store.groups[group.id] = group
    return group


def get_connection_group_by_routing_endpoint(backend, endpoint):
    endpoint = norm(endpoint or "")
    for group in _store(backend).groups.values():
        if group.routing_endpoint == endpoint:
            return group
    raise errors.EntityNotFound("connection group with the routing endpoint %s" % endpoint)


# --------------------------------------------------------------------------
# Paging


def _page(items, marker, max_items):
    if max_items is not None and not 0 < max_items <= MAX_ITEMS:
        raise errors.InvalidArgument("MaxItems must be between 1 and %d." % MAX_ITEMS)
    start = _decode_marker(marker)
    limit = max_items or MAX_ITEMS
    page = items[start:start + limit]
    next_marker = _encode_marker(start + limit) if start + limit < len(items) else None
    return page, next_marker


def _encode_marker(index):
    return base64.urlsafe_b64encode(("saas:%d" % index).encode()).decode()


def _decode_marker(marker):
    if not marker:
        return 0
    try:
        kind, unused, number = base64.urlsafe_b64decode(marker.encode()).decode().partition(":")
        if kind != "saas" or int(number) < 0:
            raise ValueError(marker)
        return int(number)
    except (ValueError, UnicodeDecodeError):
        raise errors.InvalidArgument("The marker is not valid.")


# --------------------------------------------------------------------------
# ListDomainConflicts


def _resource(backend, reference, what):
    """The distribution or tenant of the caller's account that a DistributionResourceId names."""
    reference = reference or {}
    dist_id, tenant_id = reference.get("DistributionId"), reference.get("DistributionTenantId")
    if bool(dist_id) == bool(tenant_id):
        raise errors.InvalidArgument("Specify either DistributionId or DistributionTenantId in %s, not both." % what)
    if dist_id:
        dist = backend.distributions.get(dist_id)
        if dist is None:
            raise errors.EntityNotFound("distribution %s" % dist_id)
        return dist
    tenant = _store(backend).tenants.get(tenant_id)
    if tenant is None:
        raise errors.EntityNotFound("distribution tenant %s" % tenant_id)
    return tenant


def _resource_id(resource):
    return resource.id if isinstance(resource, Tenant) else resource.distribution_id


def _covering_names(backend, resource):
    if isinstance(resource, Tenant):
        return _tenant_certificate_names(resource)
    try:
        return fidelity._certificate_names(backend.account_id, resource.distribution_config.ViewerCertificate) or []
    except errors.InvalidViewerCertificate:
        return []


def _checked_domain(backend, resource, domain):
    domain = domain or ""
    if not is_valid_alias(domain):
        raise errors.InvalidArgument("The domain %r is not a valid domain name." % domain)
    if not certificate_covers(_covering_names(backend, resource), domain):
        raise errors.InvalidArgument(
            "The %s %s doesn't have a valid TLS certificate that covers the domain %s."
            % ("distribution tenant" if isinstance(resource, Tenant) else "distribution", _resource_id(resource),
               domain))
    return domain


def _mask_half(value):
    # As AWS's example output shows: the first half of the resource ID hidden, the rest kept.
    hidden = len(value) // 2
    return "*" * hidden + value[hidden:]


def _mask_account(account_id):
    return "*" * (len(account_id) - 6) + account_id[-6:]


def list_domain_conflicts(backend, domain, reference, marker, max_items):
    resource = _resource(backend, reference, "DomainControlValidationResource")
    domain = _checked_domain(backend, resource, domain)
    found = []
    for account_id, other, store in _all_stores():
        for dist in list(other.distributions.values()):
            for held in fidelity.aliases_of(dist):
                if aliases_overlap(held, domain):
                    found.append((held, "distribution", dist.distribution_id, account_id))
        for tenant in list(store.tenants.values()):
            for held in tenant.domain_names():
                if aliases_overlap(held, domain):
                    found.append((held, "distribution-tenant", tenant.id, account_id))
    found.sort()
    page, next_marker = _page(found, marker, max_items)
    conflicts = [{
        "Domain": held, "ResourceType": kind, "ResourceId": _mask_half(resource_id),
        "AccountId": account_id if account_id == backend.account_id else _mask_account(account_id),
    } for held, kind, resource_id, account_id in page]
    return conflicts, next_marker


# --------------------------------------------------------------------------
# UpdateDomainAssociation


def _dns_name_of(resource):
    """Where the resource's domains point: a distribution's domain name, a tenant's routing endpoint."""
    if isinstance(resource, Tenant):
        return _group_of(resource).routing_endpoint
    return resource.domain_name


def _is_disabled(holder):
    account_id, source = holder
    if isinstance(source, Tenant):
        parent = cloudfront_backends[account_id][fidelity.PARTITION].distributions.get(source.distribution_id)
        return not source.enabled or (parent is not None and not parent.distribution_config.Enabled)
    return not source.distribution_config.Enabled


def update_domain_association(backend, domain, reference, if_match):
    target = _resource(backend, reference, "TargetResource")
    _check_if_match(target, if_match)
    if not isinstance(target, Tenant) and is_tenant_only(target):
        raise errors.InvalidArgument(
            "The distribution %s is a multi-tenant distribution; it has no domains of its own. Name one of its "
            "distribution tenants as the target." % target.distribution_id)
    domain = _checked_domain(backend, target, domain)
    held = target.domain_names() if isinstance(target, Tenant) else fidelity.aliases_of(target)
    if domain in held:
        return target
    proof = _dns_name_of(target)
    challenges = txt_challenge_names(domain)
    if not any(proof in [norm(v) for v in fidelity._zone_data_values(name, "TXT")] for name in challenges):
        raise errors.InvalidArgument(
            "To move %s, create a DNS TXT record %s with the value %s (the target's %s), then try again."
            % (domain, challenges[0], proof,
               "routing endpoint" if isinstance(target, Tenant) else "distribution domain name"))
    quota = DOMAINS_PER_TENANT if isinstance(target, Tenant) else fidelity.ALIAS_QUOTA
    if len(held) >= quota:
        raise errors.EntityLimitExceeded("The target already has %d domains, the most it can have." % len(held))
    holder = _any_holder(domain, except_id=_resource_id(target))
    if holder is not None:
        if holder[0] != backend.account_id and not _is_disabled(holder):
            raise errors.IllegalUpdate(
                "The domain %s is associated with an enabled %s in another AWS account. That resource must be "
                "disabled before the domain can be moved."
                % (domain, "distribution tenant" if isinstance(holder[1], Tenant) else "distribution"))
        _take_from(holder, domain)
    if isinstance(target, Tenant):
        target.domains = target.domains + [{"Domain": domain}]
        target.released.pop(domain, None)
        target.touch()
    else:
        fidelity._set_aliases(target, fidelity.aliases_of(target) + [domain])
        fidelity._touch(target)
    return target


# --------------------------------------------------------------------------
# VerifyDnsConfiguration


def _ask(name, rdtype):
    """(rcode or None when the DNS did not answer, values) from the sandbox DNS."""
    if _CTX.dns_address is None:
        return None, []
    host, port = _CTX.dns_address
    query = dns.message.make_query(name + ".", rdtype)
    try:
        response = dns.query.udp(query, host, port=port, timeout=2.0)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, host, port=port, timeout=2.0)
    except (dns.exception.DNSException, OSError):
        return None, []
    wanted = dns.rdatatype.from_text(rdtype)
    values = sorted(norm(r.to_text()) for rrset in response.answer if rrset.rdtype == wanted for r in rrset)
    return response.rcode(), values


def _verify(domain, endpoint):
    rcode, cnames = _ask(domain, "CNAME")
    if rcode is None or rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.REFUSED):
        return "unknown-configuration", "CloudFront couldn't look up the DNS record of %s: the lookup failed or " \
                                        "timed out." % domain
    if endpoint in cnames:
        return "valid-configuration", "%s points to the routing endpoint %s." % (domain, endpoint)
    unused, addresses = _ask(domain, "A")
    unused, expected = _ask(endpoint, "A")
    if addresses and addresses == expected:
        return "valid-configuration", "%s resolves to the addresses of the routing endpoint %s." % (domain, endpoint)
    if cnames:
        return "invalid-configuration", "%s points to %s, not to the routing endpoint %s. Update the DNS record." \
                                        % (domain, cnames[0], endpoint)
    return "invalid-configuration", "No DNS record of %s points to the routing endpoint %s. Create a CNAME record " \
                                    "to it." % (domain, endpoint)


def verify_dns_configuration(backend, domain, identifier):
    tenant = _tenant(backend, identifier)
    endpoint = _group_of(tenant).routing_endpoint
    if domain:
        if not is_valid_alias(domain):
            raise errors.InvalidArgument("The domain %r is not a valid domain name." % domain)
        domains = [domain]
    else:
        domains = tenant.domain_names()
    result = []
    for name in domains:
        status, reason = _verify(name, endpoint)
        result.append({"Domain": name, "Status": status, "Reason": reason})
    return result


# --------------------------------------------------------------------------
# The HTTP side: methods on moto's CloudFrontResponse, named after the operations


def _tenant_result(tenant):
    return ActionResult({"DistributionTenant": tenant.to_result(), "ETag": tenant.etag})


def _group_result(group):
    return ActionResult({"ConnectionGroup": group.to_result(), "ETag": group.etag})


def _params(response, *names):
    return {name: response._get_param(name) for name in names}


def _create_distribution_tenant_response(self):
    params = _params(self, "DistributionId", "Name", "Domains", "Tags", "Customizations", "Parameters",
                     "ConnectionGroupId", "ManagedCertificateRequest", "Enabled", "OnDomainTakeover")
    return _tenant_result(create_distribution_tenant(self.backend, params))


def _get_distribution_tenant_response(self):
    return _tenant_result(_tenant(self.backend, self._get_param("Identifier")))


def _get_distribution_tenant_by_domain_response(self):
    return _tenant_result(get_distribution_tenant_by_domain(self.backend, self._get_param("Domain")))


def _list_distribution_tenants_response(self):
    page, next_marker = list_distribution_tenants(
        self.backend, self._get_param("AssociationFilter"), self._get_param("Marker"),
        self._get_int_param("MaxItems"))
    result = {"DistributionTenantList": [t.to_result(summary=True) for t in page]}
    if next_marker:
        result["NextMarker"] = next_marker
    return ActionResult(result)


def _update_distribution_tenant_response(self):
    params = _params(self, "Id", "IfMatch", "DistributionId", "Domains", "Customizations", "Parameters",
                     "ConnectionGroupId", "ManagedCertificateRequest", "Enabled", "OnDomainTakeover")
    return _tenant_result(update_distribution_tenant(self.backend, params))


def _delete_distribution_tenant_response(self):
    delete_distribution_tenant(self.backend, self._get_param("Id"), self._get_param("IfMatch"))
    return EmptyResult()


def _create_connection_group_response(self):
    params = _params(self, "Name", "Ipv6Enabled", "Tags", "AnycastIpListId", "Enabled")
    return _group_result(create_connection_group(self.backend, params))


def _get_connection_group_response(self):
    return _group_result(_group(self.backend, self._get_param("Identifier")))


def _get_connection_group_by_routing_endpoint_response(self):
    return _group_result(get_connection_group_by_routing_endpoint(self.backend, self._get_param("RoutingEndpoint")))


def _list_connection_groups_response(self):
    groups = list(_store(self.backend).groups.values())
    anycast = (self._get_param("AssociationFilter") or {}).get("AnycastIpListId")
    if anycast:
        groups = [g for g in groups if g.anycast_ip_list_id == anycast]
    page, next_marker = _page(groups, self._get_param("Marker"), self._get_int_param("MaxItems"))
    result = {"ConnectionGroups": [g.to_result(summary=True) for g in page]}
    if next_marker:
        result["NextMarker"] = next_marker
    return ActionResult(result)


def _list_domain_conflicts_response(self):
    conflicts, next_marker = list_domain_conflicts(
        self.backend, self._get_param("Domain"), self._get_param("DomainControlValidationResource"),
        self._get_param("Marker"), self._get_int_param("MaxItems"))
    result = {"DomainConflicts": conflicts}
    if next_marker:
        result["NextMarker"] = next_marker
    return ActionResult(result)


def _update_domain_association_response(self):
    domain = self._get_param("Domain")
    target = update_domain_association(self.backend, domain, self._get_param("TargetResource"),
                                       self._get_param("IfMatch"))
    return ActionResult({"Domain": domain, "ResourceId": _resource_id(target), "ETag": target.etag})


def _verify_dns_configuration_response(self):
    result = verify_dns_configuration(self.backend, self._get_param("Domain"), self._get_param("Identifier"))
    return ActionResult({"DnsConfigurationList": result})


def _list_distributions_by_connection_mode_response(self):
    mode = self._get_param("ConnectionMode")
    if mode not in (DIRECT, TENANT_ONLY):
        raise errors.InvalidArgument("ConnectionMode must be direct or tenant-only.")
    marker, max_items = self._get_param("Marker"), self._get_int_param("MaxItems")
    dists = [d for d in self.backend.distributions.values() if connection_mode(d) == mode]
    for dist in dists:
        dist.advance()
    page, next_marker = _page(dists, marker, max_items)
    listing = {"Marker": marker or "", "MaxItems": max_items or MAX_ITEMS, "IsTruncated": next_marker is not None,
               "Quantity": len(page), "Items": page or None}
    if next_marker:
        listing["NextMarker"] = next_marker
    return ActionResult({"DistributionList": listing})


_RESPONSES = {
    "create_distribution_tenant": _create_distribution_tenant_response,
    "get_distribution_tenant": _get_distribution_tenant_response,
    "get_distribution_tenant_by_domain": _get_distribution_tenant_by_domain_response,
    "list_distribution_tenants": _list_distribution_tenants_response,
    "update_distribution_tenant": _update_distribution_tenant_response,
    "delete_distribution_tenant": _delete_distribution_tenant_response,
    "create_connection_group": _create_connection_group_response,
    "get_connection_group": _get_connection_group_response,
    "get_connection_group_by_routing_endpoint": _get_connection_group_by_routing_endpoint_response,
    "list_connection_groups": _list_connection_groups_response,
    "list_domain_conflicts": _list_domain_conflicts_response,
    "update_domain_association": _update_domain_association_response,
    "verify_dns_configuration": _verify_dns_configuration_response,
    "list_distributions_by_connection_mode": _list_distributions_by_connection_mode_response,
}
