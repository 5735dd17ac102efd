# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Write each task's wall time to the JSON file TASK_TIMES_FILE when the run ends (benchmarks only).

Like ansible.posix.profile_tasks, without needing that collection: one entry per task that started,
skipped ones included (a skipped task still templates its loop), in the order they ran.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: task_times
type: aggregate
short_description: Per-task wall time as JSON (benchmarks only)
description:
  - Writes the wall time of every task to the file named by the environment variable TASK_TIMES_FILE.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display)
        self.tasks = []
        self.current = None

    def _close(self):
        if self.current is not None:
            self.current["seconds"] = round(time.monotonic() - self.current.pop("_start"), 3)
            self.tasks.append(self.current)
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = {"task": task.get_name(), "_start": time.monotonic(), "status": "started"}

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _status(self, status):
        if self.current is not None and self.current["status"] in ("started", "skipped"):
            self.current["status"] = status

    def v2_runner_on_ok(self, result):
        self._status("ok")

    def v2_runner_on_skipped(self, result):
        self._status("skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.current and self.current.update(status="failed")

    def v2_playbook_on_include(self, included_file):
        self._status("included")

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get("TASK_TIMES_FILE")
        if path:
            with open(path, "w") as fh:
                json.dump(self.tasks, fh, indent=1)
