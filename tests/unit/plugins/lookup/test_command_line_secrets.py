# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which -e arguments carry a secret (the playbooks warn about them)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.aliasguard.cloudfront.plugins.lookup.command_line_secrets import (
    secret_paths,
    typed_extra_vars,
)


def found(*arguments):
    paths = set()
    for data in typed_extra_vars(arguments, json.loads):
        paths.update(secret_paths(data))
    return sorted(paths)


def test_key_value_and_json_arguments_are_read_as_ansible_playbook_reads_them():
    assert found("rfc2136_key_secret=c2VjcmV0 rfc2136_key_name=update") == ["rfc2136_key_secret"]
    assert found('{"aws": {"access_key": "AKIA", "secret_key": "x", "session_token": "y"}}') == [
        "aws.secret_key", "aws.session_token"]
    assert found('{"aliases": [{"alias": "www.example.com", "api_token": "t"}]}') == ["aliases[0].api_token"]


def test_files_names_that_are_not_secret_and_empty_values_do_not_count():
    assert found("@secrets.yml", "alias=www.example.com", '{"rfc2136_key_secret": ""}',
                 "cname_remediation_cloudflare_api_token=") == []


def test_what_ansible_playbook_cannot_read_is_left_to_ansible_playbook():
    assert found("{not json", "rfc2136_key_secret=x") == ["rfc2136_key_secret"]
