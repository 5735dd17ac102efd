# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The options that select and configure a DNS provider, and the factory that builds it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import aws_argument_spec
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudflare import (
    DEFAULT_BASE_URL,
    CloudflareClient,
    CloudflareProvider,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._rfc2136 import TSIG_ALGORITHMS, Rfc2136Provider
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._route53 import Route53Provider

PROVIDERS = ("route53", "cloudflare", "rfc2136")


def provider_argument_spec():
    spec = aws_argument_spec()
    spec.update(
        provider=dict(type="str", required=True, choices=list(PROVIDERS)),
        zone_id=dict(type="str"),
        api_token=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDFLARE_API_TOKEN"])),
        base_url=dict(type="str", fallback=(env_fallback, ["CLOUDFLARE_BASE_URL"]), default=DEFAULT_BASE_URL),
        server=dict(type="str"),
        port=dict(type="int", default=53),
        key_name=dict(type="str", no_log=False),
        key_secret=dict(type="str", no_log=True),
        key_algorithm=dict(type="str", default="hmac-sha256", choices=list(TSIG_ALGORITHMS)),
    )
    return spec


PROVIDER_REQUIRED_IF = [
    ["provider", "cloudflare", ["api_token"]],
    ["provider", "rfc2136", ["server"]],
]


def build_provider(params, aws_connection=None):
    """The provider the options ask for (AWS options give Route 53 its client)."""
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
