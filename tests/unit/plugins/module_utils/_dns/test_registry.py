# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The DNS provider registry: what each registered provider must declare and document, the aliases users of
community.dns / amazon.aws type, and the Cloudflare token's
environment variables (CLOUDFLARE_API_TOKEN wins over CLOUDFLARE_TOKEN); no network."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import (
    PROVIDER_CLASSES,
    PROVIDERS,
    PROXYING,
    REGISTERED,
    ZONE_LISTING,
    check_provider_options,
    env_variables,
    foreign_options,
    provider_argument_spec,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import DnsError, DnsProvider


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


# -- what a new provider must declare (docs/docsite/rst/adding_a_dns_provider.rst) ----------------------------

@pytest.mark.parametrize("cls", REGISTERED, ids=lambda cls: cls.name)
def test_each_registered_provider_is_a_complete_dns_provider(cls):
    assert issubclass(cls, DnsProvider) and not getattr(cls, "__abstractmethods__", None)
    assert cls.name and PROVIDER_CLASSES[cls.name] is cls
    assert set(cls.required) <= set(cls.options) and set(cls.defaults) <= set(cls.options)
    assert set(cls.option_env) <= set(cls.options)
    assert cls.apex_mode in ("alias", "flatten", None) and cls.write_guarantee


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda cls: cls.name)
def test_each_provider_documents_exactly_its_options_in_its_own_doc_fragment(cls):
    fragment = importlib.import_module("ansible_collections.aliasguard.cloudfront.plugins.doc_fragments.%s" % cls.name)
    documented = yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"]
    assert sorted(documented) == sorted(cls.options)
    for option, entry in cls.options.items():
        assert documented[option]["type"] == entry["type"]
        assert documented[option].get("aliases", []) == entry.get("aliases", [])
        assert documented[option].get("choices") == entry.get("choices")
        for variable in cls.option_env.get(option, ()):
            assert "E(%s)" % variable in " ".join(documented[option]["description"])


def test_no_option_belongs_to_two_providers():
    names = [option for cls in REGISTERED for option in cls.options]
    assert len(names) == len(set(names))


def test_an_unknown_provider_is_refused_naming_the_registered_ones():
    with pytest.raises(DnsError) as caught:
        check_provider_options({"provider": "bind"}, environ={})
    assert str(caught.value) == "provider 'bind' is not one of %s" % ", ".join(PROVIDERS)


def test_the_zone_inventory_takes_only_providers_that_can_list_a_zone():
    assert ZONE_LISTING == ("cloudflare", "rfc2136", "google")
    with pytest.raises(DnsError) as caught:
        check_provider_options({"provider": "route53"}, environ={}, among=ZONE_LISTING)
    assert "is not one of cloudflare, rfc2136, google" in str(caught.value)


def test_proxied_is_refused_for_a_provider_that_cannot_proxy():
    problem = foreign_options({"provider": "rfc2136", "proxied": False}, "rfc2136", more={"proxied": PROXYING},
                              environ={})
    assert problem.startswith("proxied (cloudflare only) does not apply to provider rfc2136")
