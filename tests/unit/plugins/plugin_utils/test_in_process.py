# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Running a module in the worker process: when it is allowed, what the module sees, what the worker keeps.

Small stand-in modules (a package written to a temporary directory) run through the same runner and result
parsing as the collection's modules; tests/integration/test_in_process.py runs the real ones both ways.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import locale
import os
import sys
from unittest.mock import MagicMock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils import _in_process
from ansible_collections.aliasguard.cloudfront.plugins.plugin_utils._in_process import (
    PreparedModule,
    InProcessModuleAction,
    NotInProcess,
    module_process,
    module_runner,
    startup_variables,
)

PACKAGE = "aliasguard_in_process_fakes"
MODULES = {
    "ok": """
import os
from ansible.module_utils.basic import AnsibleModule

module = AnsibleModule(argument_spec=dict(name=dict(type="str"), token=dict(type="str", no_log=True)),
                       supports_check_mode=True)
module.warn("a warning from the module")
os.environ["SET_BY_THE_MODULE"] = "1"
module.exit_json(changed=not module.check_mode, name=module.params["name"], seen=os.environ.get("GIVEN_BY_TASK"),
                 echo=module.params["token"])
""",
    "fails": """
from ansible.module_utils.basic import AnsibleModule

module = AnsibleModule(argument_spec=dict(count=dict(type="int")))
module.fail_json(msg="count was %s" % module.params["count"])
""",
    "raises": """
from ansible.module_utils.basic import AnsibleModule

AnsibleModule(argument_spec={})
len(5)
""",
    "returns": """
from ansible.module_utils.basic import AnsibleModule

AnsibleModule(argument_spec={})
""",
}
SOURCE = b"#!/usr/bin/python\nprint('a module')\n"


@pytest.fixture(scope="module")
def fakes(tmp_path_factory):
    root = tmp_path_factory.mktemp("fakes")
    package = root / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in MODULES.items():
        (package / (name + ".py")).write_text(source)
    sys.path.insert(0, str(root))
    yield
    sys.path.remove(str(root))
    for name in [n for n in sys.modules if n.startswith(PACKAGE)]:
        del sys.modules[name]


def action(connection=None, become=False, async_val=0, delegate_to=None, timeout=0):
    connection = connection or MagicMock(transport="local", _load_name="local", become=None, _remote_is_local=False)
    task = MagicMock(async_val=async_val, timeout=timeout, delegate_to=delegate_to, action="aliasguard.cloudfront.ok", args={})
    play_context = MagicMock(become=become, remote_addr="localhost")
    templar = Templar(loader=DataLoader())
    return InProcessModuleAction(task, connection, play_context, DataLoader(), templar, None)


def run(name, args, environment=None):
    """(exit status, parsed result) of the fake module ``name`` run as the action plugin runs a module."""
    runner = module_runner(SOURCE)
    module_args = dict(dict(_ansible_check_mode=False, _ansible_no_log=False, _ansible_tracebacks_for=["error"]), **args)
    with module_process(environment or {}) as output:
        rc = runner.run("%s.%s" % (PACKAGE, name), runner.encode(module_args))
    parsed = runner.parse(action(), dict(rc=rc, stdout=output.stdout.getvalue(), stderr=output.stderr.getvalue()))
    return rc, parsed


# -- what the module sees and returns ---------------------------------------------------------------------------


def test_a_module_gets_its_arguments_and_the_task_environment_and_its_result_is_parsed(fakes):
    rc, result = run("ok", {"name": "www", "token": "s3cret", "_ansible_check_mode": True},
                     environment={"GIVEN_BY_TASK": "yes"})
    assert rc == 0
    assert result["name"] == "www" and result["seen"] == "yes"
    assert result["echo"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # no_log: masked by the module, as in its process
    assert result["changed"] is False  # check mode reached it
    assert len(result["warnings"]) == 1 and "a warning from the module" in str(result["warnings"][0])


def test_a_failure_is_the_modules_failed_result(fakes):
    rc, result = run("fails", {"count": "3"})
    assert rc == 1
    assert result["failed"] is True and result["msg"] == "count was 3"


def test_a_bad_argument_type_fails_before_the_module_runs(fakes):
    rc, result = run("fails", {"count": "three"})
    assert rc == 1 and result["failed"] is True
    assert "count" in result["msg"] and "int" in result["msg"], result["msg"]


def test_an_exception_becomes_a_failed_result_not_a_crash(fakes):
    rc, result = run("raises", {})
    assert rc == 1
    assert result["failed"] is True
    # 2.19: AnsiballZ's ErrorSummary, with the traceback when asked for; 2.16: the traceback on stderr
    assert "has no len()" in str(result.get("exception")) + str(result.get("module_stderr", "")), result


def test_a_module_that_does_not_exit_fails(fakes):
    rc, result = run("returns", {})
    assert rc == 1 and result["failed"] is True
    assert "exit" in str(result), result


# -- what the worker keeps --------------------------------------------------------------------------------------


def test_the_worker_gets_its_process_back(fakes):
    environ, cwd, argv = dict(os.environ), os.getcwd(), list(sys.argv)
    current_locale = locale.setlocale(locale.LC_ALL)
    arguments = getattr(basic, "_ANSIBLE_ARGS")
    warnings_before = module_warnings._global_warnings
    switches = [(owner, name, getattr(owner, name)) for owner, name, unused in _in_process._controller_switches()]

    run("ok", {"name": "www"}, environment={"GIVEN_BY_TASK": "yes"})
    run("raises", {})

    assert dict(os.environ) == environ and "SET_BY_THE_MODULE" not in os.environ
    assert os.getcwd() == cwd and sys.argv == argv and locale.setlocale(locale.LC_ALL) == current_locale
    assert getattr(basic, "_ANSIBLE_ARGS") is arguments
    assert module_warnings._global_warnings is warnings_before
    assert [(owner, name, getattr(owner, name)) for owner, name, unused in switches] == switches


def test_what_the_worker_inherited_leaves_the_collectors_view_and_new_objects_do_not(fakes):
    """gc.freeze before the run: a module's full collections no longer walk (and copy) what the fork inherited."""
    gc.unfreeze()
    inherited = [object()]
    try:
        runner = module_runner(SOURCE)
        arguments = runner.encode(dict(_ansible_check_mode=False, _ansible_no_log=False, name="www"))
        result = action()._run_prepared(PreparedModule(PACKAGE + ".ok", "ok.py", runner, arguments, {}))
        assert result["name"] == "www"
        assert gc.get_freeze_count() > 0
        assert not gc.is_tracked(inherited) or inherited not in gc.get_objects()
        made_after = [object()]
        assert made_after in gc.get_objects()
    finally:
        gc.unfreeze()


def test_a_second_run_starts_without_the_first_ones_warnings(fakes):
    run("ok", {"name": "first"})
    unused, result = run("fails", {"count": "1"})
    assert "warnings" not in result or not result["warnings"], result


# -- when it runs in process ------------------------------------------------------------------------------------


def test_never_turns_it_off(monkeypatch):
    monkeypatch.setenv("ALIASGUARD_IN_PROCESS", "never")
    with pytest.raises(NotInProcess, match="never"):
        action()._prepare({})


@pytest.mark.parametrize("options, reason", [
    (dict(async_val=10), "async"),
    (dict(timeout=5), "timeout"),
    (dict(connection=MagicMock(transport="ssh", _load_name="ssh", become=None)), "not local"),
    (dict(connection=MagicMock(transport="local", _load_name="my.own.local", become=None)), "not local"),
    (dict(), "not ansible-core's own"),  # named local, but another class
])
def test_anything_but_ansible_cores_local_connection_without_async_falls_back(monkeypatch, options, reason):
    monkeypatch.delenv("ALIASGUARD_IN_PROCESS", raising=False)
    with pytest.raises(NotInProcess, match=reason):
        action(**options)._prepare({})


def test_become_falls_back():
    with pytest.raises(NotInProcess, match="become"):
        action(become=True)._require_local_connection()


def test_this_python_runs_it(monkeypatch):
    monkeypatch.delenv("ANSIBLE_PYTHON_INTERPRETER", raising=False)
    action()._require_own_interpreter(SOURCE, {"ansible_python_interpreter": sys.executable})


def test_a_delegated_task_asks_the_delegated_hosts_interpreter(monkeypatch):
    monkeypatch.delenv("ANSIBLE_PYTHON_INTERPRETER", raising=False)
    delegated = action(delegate_to="other")
    task_vars = {"ansible_python_interpreter": sys.executable,
                 "ansible_delegated_vars": {"other": {"ansible_python_interpreter": "/opt/other/python"}}}
    with pytest.raises(NotInProcess, match="/opt/other/python"):
        delegated._require_own_interpreter(SOURCE, task_vars)


def test_the_same_file_by_another_path_is_another_python(monkeypatch, tmp_path):
    """A venv's python is a link to the system's: the same file, another environment (other packages)."""
    monkeypatch.delenv("ANSIBLE_PYTHON_INTERPRETER", raising=False)
    link = tmp_path / "python"
    link.symlink_to(sys.executable)
    with pytest.raises(NotInProcess, match="interpreter for this host is %s" % link):
        action()._require_own_interpreter(SOURCE, {"ansible_python_interpreter": str(link)})


def test_interpreter_discovery_falls_back(monkeypatch):
    monkeypatch.delenv("ANSIBLE_PYTHON_INTERPRETER", raising=False)
    with pytest.raises(NotInProcess, match="interpreter"):
        action()._require_own_interpreter(SOURCE, {"ansible_python_interpreter": "auto"})


def test_what_only_a_new_python_reads_is_left_to_a_new_python():
    environment = {"PYTHONPATH": "/opt/shadow", "LD_LIBRARY_PATH": "/opt/lib", "TZ": "UTC", "AWS_REGION": "x",
                   "LANG": "C.UTF-8", "MY_PYTHONPATH": "ok"}
    assert startup_variables(environment) == ["LD_LIBRARY_PATH", "PYTHONPATH", "TZ"]
    assert startup_variables({"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}) == []
