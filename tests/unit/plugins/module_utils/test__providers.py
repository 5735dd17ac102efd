# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The DNS provider options: the aliases users of community.dns / amazon.aws type, and the Cloudflare token's
environment variables (CLOUDFLARE_API_TOKEN wins over CLOUDFLARE_TOKEN); no network."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import (
    env_variables,
    foreign_options,
    provider_argument_spec,
)


@pytest.fixture
def no_cloudflare_environment(monkeypatch):
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN", "CLOUDFLARE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def validate(parameters):
    result = ArgumentSpecValidator(provider_argument_spec()).validate(parameters)
    assert result.error_messages == []
    return result.validated_parameters


def test_the_cloudflare_token_is_read_from_cloudflare_api_token_first_then_cloudflare_token():
    assert env_variables("api_token") == ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN"]
    assert env_variables("base_url") == ["CLOUDFLARE_BASE_URL"]
    assert env_variables("zone_id") == []


@pytest.mark.parametrize("environment, expected", [
    ({"CLOUDFLARE_TOKEN": "from-cloudflare-token"}, "from-cloudflare-token"),
    ({"CLOUDFLARE_API_TOKEN": "from-api-token"}, "from-api-token"),
    ({"CLOUDFLARE_API_TOKEN": "from-api-token", "CLOUDFLARE_TOKEN": "from-cloudflare-token"}, "from-api-token"),
    ({}, None),
])
def test_api_token_falls_back_to_either_variable_and_cloudflare_api_token_wins(
        no_cloudflare_environment, environment, expected):
    for name, value in environment.items():
        no_cloudflare_environment.setenv(name, value)
    assert validate({"provider": "cloudflare"})["api_token"] == expected


def test_an_explicit_api_token_wins_over_both_variables(no_cloudflare_environment):
    no_cloudflare_environment.setenv("CLOUDFLARE_API_TOKEN", "from-api-token")
    no_cloudflare_environment.setenv("CLOUDFLARE_TOKEN", "from-cloudflare-token")
    assert validate({"provider": "cloudflare", "api_token": "typed"})["api_token"] == "typed"


@pytest.mark.parametrize("environ", [
    {"CLOUDFLARE_TOKEN": "t0ken"},
    {"CLOUDFLARE_API_TOKEN": "t0ken", "CLOUDFLARE_TOKEN": "other"},
])
def test_a_token_that_only_comes_from_the_environment_is_not_refused_for_another_provider(environ):
    params = {"provider": "rfc2136", "api_token": "t0ken", "server": "192.0.2.1"}
    assert foreign_options(params, "rfc2136", environ=environ) is None


def test_a_typed_token_is_refused_for_another_provider_even_when_cloudflare_token_is_set():
    # CLOUDFLARE_API_TOKEN is set and wins, so a value equal to CLOUDFLARE_TOKEN's was typed, not inherited.
    environ = {"CLOUDFLARE_API_TOKEN": "api", "CLOUDFLARE_TOKEN": "t0ken"}
    params = {"provider": "rfc2136", "api_token": "t0ken", "server": "192.0.2.1"}
    assert "api_token (cloudflare only)" in foreign_options(params, "rfc2136", environ=environ)


def test_hosted_zone_id_is_an_alias_of_zone_id(no_cloudflare_environment):
    assert provider_argument_spec()["zone_id"]["aliases"] == ["hosted_zone_id"]
    assert validate({"provider": "route53", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"})["zone_id"] == \
        "Z0123456789ABCDEFGHIJ"


def test_no_alias_collides_with_an_option_or_another_alias():
    spec = provider_argument_spec()
    seen = {}
    for option, settings in spec.items():
        for name in [option] + list(settings.get("aliases", [])):
            assert name not in seen, "%s names both %s and %s" % (name, seen[name], option)
            seen[name] = option
    assert "security_token" not in seen
