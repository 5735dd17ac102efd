# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The action of the alias_audit_report module: the module runs in the worker process when the task would run it on
the controller's own Python, else as any module does (plugins/plugin_utils/_in_process.py says when)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils._in_process import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    pass
