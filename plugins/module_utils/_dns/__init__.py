# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The options that select and configure a DNS provider, and the factory that builds it.

Each provider owns its options (``PROVIDER_OPTIONS``). An option given for another
provider is refused, naming the option and the provider, rather than silently
ignored. Every option of a provider also has an environment variable (``OPTION_ENV``,
and for some a second name users know, ``OPTION_ENV_ALSO``) so that secrets need never appear in a playbook or on a command line; a value that
only comes from the environment is never refused (the same shell may serve
several providers). Defaults are applied here, after that check, so that an
explicit value can be told from a default.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import urlparse

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import aws_argument_spec
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudflare import (
    DEFAULT_BASE_URL,
    CloudflareClient,
    CloudflareProvider,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._provider import DnsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._rfc2136 import TSIG_ALGORITHMS, Rfc2136Provider
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._route53 import Route53Provider

PROVIDERS = ("route53", "cloudflare", "rfc2136")

# Which provider each provider-specific option belongs to.
PROVIDER_OPTIONS = {
    "zone_id": "route53",
    "api_token": "cloudflare",
    "base_url": "cloudflare",
    "server": "rfc2136",
    "port": "rfc2136",
    "key_name": "rfc2136",
    "key_secret": "rfc2136",
    "key_algorithm": "rfc2136",
}
# The environment variable each one falls back to.
OPTION_ENV = {
    "api_token": "CLOUDFLARE_API_TOKEN",
    "base_url": "CLOUDFLARE_BASE_URL",
    "server": "RFC2136_SERVER",
    "port": "RFC2136_PORT",
    "key_name": "RFC2136_KEY_NAME",
    "key_secret": "RFC2136_KEY_SECRET",
    "key_algorithm": "RFC2136_KEY_ALGORITHM",
}
# More variables an option falls back to, read after OPTION_ENV's (which wins when both are set): the name
# other tools use (community.general, Terraform's Cloudflare provider and Cloudflare's own examples).
OPTION_ENV_ALSO = {
    "api_token": ("CLOUDFLARE_TOKEN",),
}
DEFAULTS = {"base_url": DEFAULT_BASE_URL, "port": 53, "key_algorithm": "hmac-sha256"}


def env_variables(option):
    """The environment variables ``option`` falls back to, the one that wins first (empty when it has none)."""
    if option not in OPTION_ENV:
        return []
    return [OPTION_ENV[option]] + list(OPTION_ENV_ALSO.get(option, ()))


def env_fallback_for(option):
    """The ``fallback`` of an argument spec entry that reads ``option``'s environment variables in order."""
    return (env_fallback, env_variables(option))


def _env(option):
    return dict(fallback=env_fallback_for(option)) if option in OPTION_ENV else {}


def provider_argument_spec():
    spec = aws_argument_spec()
    spec.update(
        provider=dict(type="str", required=True, choices=list(PROVIDERS)),
        zone_id=dict(type="str", aliases=["hosted_zone_id"]),  # hosted_zone_id: amazon.aws's route53 name
        api_token=dict(type="str", no_log=True, **_env("api_token")),
        base_url=dict(type="str", **_env("base_url")),
        server=dict(type="str", **_env("server")),
        port=dict(type="int", **_env("port")),
        key_name=dict(type="str", no_log=False, **_env("key_name")),
        key_secret=dict(type="str", no_log=True, **_env("key_secret")),
        key_algorithm=dict(type="str", choices=list(TSIG_ALGORITHMS), **_env("key_algorithm")),
    )
    return spec


PROVIDER_REQUIRED_IF = [
    ["provider", "cloudflare", ["api_token"]],
    ["provider", "rfc2136", ["server"]],
]


def _given(params, option, environ):
    """Whether the user set this option (a value that only mirrors its environment variable does not count)."""
    value = params.get(option)
    if value is None:
        return False
    # env_fallback takes the first variable that is set: a value equal to that one came from the environment.
    for variable in env_variables(option):
        if variable in environ:
            return str(value) != environ[variable]
    return True


def foreign_options(params, provider, more=None, environ=None):
    """The options set that do not apply to ``provider``, as a message (or None when there are none).

    ``more`` adds module options that belong to one provider ({"proxied": "cloudflare"}).
    """
    environ = os.environ if environ is None else environ
    owners = dict(PROVIDER_OPTIONS)
    owners.update(more or {})
    wrong = sorted(option for option, owner in owners.items()
                   if owner != provider and option in params and _given(params, option, environ))
    if not wrong:
        return None
    parts = ["%s (%s only)" % (option, owners[option]) for option in wrong]
    return ("%s %s not apply to provider %s and would be ignored: remove %s, or choose the provider %s meant for"
            % (", ".join(parts), "does" if len(wrong) == 1 else "do", provider,
               "it" if len(wrong) == 1 else "them", "it is" if len(wrong) == 1 else "they are"))


def check_provider_options(params, more=None, environ=None):
    """Refuse options of another provider and values out of range; return params with defaults applied.

    Raises DnsError (nothing has been sent yet).
    """
    problem = foreign_options(params, params["provider"], more, environ)
    if problem:
        raise DnsError(problem, code="BadOption")
    settings = dict(params)
    for option, default in DEFAULTS.items():
        if settings.get(option) is None:
            settings[option] = default
    if not 1 <= settings["port"] <= 65535:
        raise DnsError("port %s is not a port number: give 1-65535 (53 for DNS, the default)" % settings["port"],
                       code="BadOption")
    if params["provider"] == "cloudflare":
        settings["base_url"] = check_base_url(settings["base_url"])
    return settings


def check_base_url(value):
    """The Cloudflare API base URL, or DnsError saying what shape it must have."""
    text = str(value).strip()
    try:
        parsed = urlparse(text)
        # .port raises ValueError for a port that is not a number or is out of range.
        valid = parsed.scheme in ("http", "https") and bool(parsed.hostname) and (parsed.port or 1) > 0
    except ValueError as exc:
        raise DnsError("base_url %r is not a valid URL (%s); give the API's base URL, like %s"
                       % (text, exc, DEFAULT_BASE_URL), code="BadOption")
    if not valid:
        raise DnsError("base_url %r is not an http(s) URL with a host; give the API's base URL, like %s"
                       % (text, DEFAULT_BASE_URL), code="BadOption")
    return text


def build_provider(params, aws_connection=None):
    """The provider the options ask for (AWS options give Route 53 its client); params from check_provider_options."""
    name = params["provider"]
    if name == "route53":
        aws_connection.check_credentials()
        return Route53Provider(aws_connection, zone_id=params.get("zone_id"))
    if name == "cloudflare":
        client = CloudflareClient(params.get("api_token"), params.get("base_url"),
                                  validate_certs=params.get("validate_certs", True),
                                  max_wait=params.get("wait_timeout"))
        return CloudflareProvider(client)
    return Rfc2136Provider(params.get("server"), params.get("port") or 53, params.get("key_name"),
                           params.get("key_secret"), params.get("key_algorithm") or "hmac-sha256")
