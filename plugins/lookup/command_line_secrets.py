# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: command_line_secrets
author:
  - aliasguard maintainers (@aliasguard)
version_added: 0.1.0
short_description: The secret variables that were typed on the ansible-playbook command line
description:
  - Reads the C(-e)/C(--extra-vars) arguments of the running C(ansible-playbook) exactly as they were typed and
    returns the path of every variable in them whose name says it is a secret (it contains C(secret), C(token) or
    C(password)), for example C(rfc2136_key_secret) or C(aws.secret_key).
  - Values typed on the command line are printed by C(ansible-playbook -vvvv) (its extra_vars line) and kept in
    the shell's history and the process list. The collection's playbooks warn with this lookup.
  - C(-e @file) arguments are not counted - a file's content is never printed, and a file encrypted with
    C(ansible-vault) is the recommended way to pass secrets as variables.
  - Never returns the values themselves.
"""

EXAMPLES = r"""
- name: Warn when a secret was typed on the command line
  ansible.builtin.debug:
    msg: "WARNING: {{ typed | join(', ') }} given with -e on the command line"
  vars:
    typed: "{{ query('aliasguard.cloudfront.command_line_secrets') }}"
  when: typed | length > 0
"""

RETURN = r"""
_raw:
  description: The variable paths (C(rfc2136_key_secret), C(aws.secret_key), C(aliases[0].api_token)), sorted.
  type: list
  elements: str
"""

import re

from ansible import context
from ansible.errors import AnsibleError
from ansible.parsing.splitter import parse_kv
from ansible.plugins.lookup import LookupBase

SECRET_NAME = re.compile(r"secret|token|password", re.IGNORECASE)


def secret_paths(data, prefix=""):
    """Paths of the keys in ``data`` (mappings and lists, any depth) whose names say they hold a secret."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = "%s.%s" % (prefix, key) if prefix else str(key)
            if SECRET_NAME.search(str(key)) and value not in (None, ""):
                found.append(path)
            else:
                found.extend(secret_paths(value, path))
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            found.extend(secret_paths(value, "%s[%d]" % (prefix, index)))
    return found


def typed_extra_vars(arguments, load):
    """The -e arguments as ansible-playbook parses them, except @file ones; ``load`` parses YAML/JSON text."""
    for text in arguments or ():
        text = str(text or "")
        if not text or text.startswith("@") or text[0] in "/.":
            continue
        try:
            data = load(text) if text[0] in "[{" else parse_kv(text)
        except Exception:  # ansible-playbook itself reports unreadable extra vars; nothing to warn about here
            continue
        if isinstance(data, dict):
            yield data


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleError("command_line_secrets takes no terms")
        arguments = context.CLIARGS.get("extra_vars", ()) if context.CLIARGS else ()
        found = set()
        for data in typed_extra_vars(arguments, self._loader.load):
            found.update(secret_paths(data))
        return sorted(found)
