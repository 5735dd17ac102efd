# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Print every task result as one JSON document at the end of the run (for the tests).

ansible-core ships no JSON stdout callback (ansible.posix has one); this small one keeps
the tests free of extra collections. Its shape follows ansible.posix.json:
{"plays": [{"play": {"name"}, "tasks": [{"task": {"name"}, "hosts": {host: result}}]}], "stats": {...}}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: test_json
type: stdout
short_description: Task results as one JSON document (tests only)
description:
  - Prints every task result, by play, task and host, as JSON when the run ends.
"""

import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "test_json"

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]["tasks"].append({"task": {"name": task.get_name()}, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **extra):
        data = dict(result._result)
        data.update(extra)
        tasks = self.plays[-1]["tasks"] if self.plays else []
        if tasks:
            tasks[-1]["hosts"][result._host.get_name()] = self._clean(data)

    @staticmethod
    def _clean(data):
        # Results can hold values json cannot encode (sets, custom types); fall back to text.
        return json.loads(json.dumps(data, default=str))

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = dict((host, stats.summarize(host)) for host in sorted(stats.processed.keys()))
        self._display.display(json.dumps({"plays": self.plays, "stats": summary}, indent=1, sort_keys=True))
