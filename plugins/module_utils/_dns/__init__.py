# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The DNS provider registry: the options that select and configure a provider, and the factory that builds it.

Each provider is a ``DnsProvider`` subclass in its own file of this package, registered by one line in
``REGISTERED`` below; it declares its options, their environment variables, its required options and
defaults (see ``base.py``). Everything here is derived from those declarations, so a new provider changes
nothing else (docs/docsite/rst/adding_a_dns_provider.rst is the recipe).

An option given for another provider is refused, naming the option and the provider, rather than silently
ignored. A value that only comes from the environment is never refused (the same shell may serve several
providers). Defaults are applied after that check, so that an explicit value can be told from a default.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type

from ansible.module_utils.basic import env_fallback

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import DnsError, DnsProvider
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.cloudflare import CloudflareProvider
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.google import GoogleDnsProvider
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.rfc2136 import Rfc2136Provider
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.route53 import Route53Provider

# One line a provider (its class, imported above from its own file), in the order the docs list them.
REGISTERED = (
    Route53Provider,
    CloudflareProvider,
    Rfc2136Provider,
    GoogleDnsProvider,
)


def _lists_zones(cls: Type[DnsProvider]) -> bool:
    """Whether the provider (or a base of it other than DnsProvider) implements list_zones."""
    return any("list_zones" in vars(klass) for klass in cls.__mro__ if klass is not DnsProvider)


PROVIDER_CLASSES = dict((cls.name, cls) for cls in REGISTERED)
PROVIDERS = tuple(cls.name for cls in REGISTERED)
# The providers that can list a whole zone for the audit (dns_zone_inventory_info); Route 53's hosted zones are
# listed with the account's inventory (cloudfront_alias_inventory_info).
ZONE_LISTING = tuple(cls.name for cls in REGISTERED if _lists_zones(cls))
# Which provider each provider-specific option belongs to.
PROVIDER_OPTIONS = dict((option, cls.name) for cls in REGISTERED for option in cls.options)


def provider_class(name: str, among: Sequence[str] = PROVIDERS) -> Type[DnsProvider]:
    """The registered class of provider ``name``, or DnsError listing the ones ``among`` (all, by default)."""
    if name not in among:
        raise DnsError("provider %r is not one of %s" % (name, ", ".join(among)), code="BadOption")
    return PROVIDER_CLASSES[name]


def can_proxy(name: Optional[str]) -> bool:
    """Whether provider ``name`` can proxy records (False for a name no provider has)."""
    return name in PROVIDER_CLASSES and bool(PROVIDER_CLASSES[name].can_proxy)


PROXYING = tuple(cls.name for cls in REGISTERED if cls.can_proxy)


def env_variables(option: str) -> List[str]:
    """The environment variables ``option`` falls back to, the one that wins first (empty when it has none)."""
    owner = PROVIDER_OPTIONS.get(option)
    return list(PROVIDER_CLASSES[owner].option_env.get(option, ())) if owner else []


def env_fallback_for(option: str) -> Tuple[Any, List[str]]:
    """The ``fallback`` of an argument spec entry that reads ``option``'s environment variables in order."""
    return (env_fallback, env_variables(option))


def provider_argument_spec(providers: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, Any]]:
    """``provider`` and the options of every provider (or of ``providers``), each with its environment fallback."""
    classes = [PROVIDER_CLASSES[name] for name in providers] if providers else REGISTERED
    spec = dict(provider=dict(type="str", required=True))
    for cls in classes:
        for option, entry in cls.options.items():
            entry = dict(entry)
            if cls.option_env.get(option):
                entry["fallback"] = env_fallback_for(option)
            spec[option] = entry
    return spec


def provider_required_if(providers: Optional[Sequence[str]] = None) -> List[List[Any]]:
    """The module's ``required_if`` rules: each provider's required options."""
    classes = [PROVIDER_CLASSES[name] for name in providers] if providers else REGISTERED
    return [["provider", cls.name, list(cls.required)] for cls in classes if cls.required]


PROVIDER_REQUIRED_IF = provider_required_if()


def _given(params: Mapping[str, Any], option: str, environ: Mapping[str, str]) -> bool:
    """Whether the user set this option (a value that only mirrors its environment variable does not count)."""
    value = params.get(option)
    if value is None:
        return False
    # env_fallback takes the first variable that is set: a value equal to that one came from the environment.
    for variable in env_variables(option):
        if variable in environ:
            return str(value) != environ[variable]
    return True


def foreign_options(params: Mapping[str, Any], provider: str, more: Optional[Mapping[str, Sequence[str]]] = None,
                    environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The options set that do not apply to ``provider``, as a message (or None when there are none).

    ``more`` adds module options that belong to some providers ({"proxied": ("cloudflare",)}).
    """
    environ = os.environ if environ is None else environ
    owners = dict((option, (owner,)) for option, owner in PROVIDER_OPTIONS.items())
    owners.update((option, tuple(names)) for option, names in (more or {}).items())
    wrong = sorted(option for option, names in owners.items()
                   if provider not in names and option in params and _given(params, option, environ))
    if not wrong:
        return None
    parts = ["%s (%s only)" % (option, "/".join(owners[option])) for option in wrong]
    return ("%s %s not apply to provider %s and would be ignored: remove %s, or choose the provider %s meant for"
            % (", ".join(parts), "does" if len(wrong) == 1 else "do", provider,
               "it" if len(wrong) == 1 else "them", "it is" if len(wrong) == 1 else "they are"))


def check_provider_options(params: Mapping[str, Any], more: Optional[Mapping[str, Sequence[str]]] = None,
                           environ: Optional[Mapping[str, str]] = None,
                           among: Sequence[str] = PROVIDERS) -> Dict[str, Any]:
    """Refuse options of another provider and values the provider cannot use; return params with its defaults.

    ``more`` adds module options that belong to some providers ({"proxied": PROXYING}); ``among`` limits the
    providers the module takes. Raises DnsError (nothing has been sent yet).
    """
    cls = provider_class(params["provider"], among)
    problem = foreign_options(params, cls.name, more, environ)
    if problem:
        raise DnsError(problem, code="BadOption")
    settings = dict(params)
    for option, default in cls.defaults.items():
        if settings.get(option) is None:
            settings[option] = default
    return cls.check_settings(settings)


def build_provider(settings: Mapping[str, Any], aws_connection: Any = None, warn: Any = None) -> DnsProvider:
    """The provider the settings (from check_provider_options) ask for; AWS options give Route 53 its client."""
    return provider_class(settings["provider"]).from_settings(settings, aws_connection=aws_connection, warn=warn)


def list_zones(settings: Mapping[str, Any], zones: Sequence[str], cost: Any,
               warn: Any = None) -> Tuple[List[Dict[str, Any]], int]:
    """For the audit: (every zone's records, requests sent) from the provider the settings ask for."""
    return provider_class(settings["provider"]).list_zones(settings, zones, cost, warn=warn)
