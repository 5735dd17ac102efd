# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The collection's modules run in Ansible's worker process when Ansible would run them on the controller anyway.

For a module, Ansible builds an AnsiballZ payload on the controller (it parses every module_util the module
imports, once per ansible-playbook run), starts a new Python that unpacks it, imports
``ansible.module_utils.basic``, boto3 and our module_utils again (compiled from the zip's source), and only then
sends the module's first request: about a second per task. When the task runs on the controller itself with the
controller's own Python, the worker process that runs the task already is that Python, so the module's code runs
there instead, as ``__main__`` (runpy), exactly as AnsiballZ runs it in its own process.

``InProcessModuleAction`` is the action plugin of each module (``plugins/action/<module>.py``). It runs the module
in process only when all of these hold, and otherwise calls ``_execute_module`` as ``ansible.builtin.normal``
does, unchanged:

- ``ALIASGUARD_IN_PROCESS`` is ``auto`` (the default), not ``never``;
- the connection (the delegated one with ``delegate_to``) is ansible-core's own ``local`` connection;
- no become, not async, no task ``timeout``, ``keep_remote_files`` off;
- the interpreter Ansible would run the module with for this host is exactly ``sys.executable`` (the implicit
  localhost's ``ansible_python_interpreter`` is ``ansible_playbook_python``; a path that only resolves to the
  same file, like a venv's python linking the system one, is another Python environment and falls back);
- the task's ``environment:`` sets nothing that only a new process reads as it starts (``PYTHONPATH``, ``LD_*``, ...);
- the module is this collection's, and this ansible-core's module_utils keep the globals this file restores.

Anything unexpected while preparing falls back to the ordinary path: the optimisation never fails a task.

The module gets exactly what the ordinary path gives it: the arguments after ``_update_module_args`` (check mode,
diff, no_log, verbosity, the task's temporary directory, ansible-core 2.19's internal keys), encoded as AnsiballZ
encodes them, with the task's ``environment:`` applied to ``os.environ`` for the run. Its output is parsed by
``_parse_returned_data``, as the ordinary path's is, so warnings, deprecations, failures, ``exception`` and no_log
filtering are the same; an exception the module does not catch becomes the failed result AnsiballZ makes of it.
What a module's own process would not share with the worker is saved and put back: ``os.environ``, the working
directory, ``sys.argv``, the locale, ``ansible.module_utils.basic``'s argument globals, the warnings and
deprecations module_utils collects, and (2.19) the flags that tell module_utils it runs on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import contextlib
import gc
import inspect
import io
import json
import locale
import os
import runpy
import sys
import traceback
from collections.abc import Sequence
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

display = Display()

ENVIRONMENT_VARIABLE = "ALIASGUARD_IN_PROCESS"
AUTO, NEVER = "auto", "never"
COLLECTION = ("aliasguard", "cloudfront")
LOCAL_CONNECTION_NAMES = ("local", "ansible.builtin.local", "ansible.legacy.local")
# The interpreter a module without a shebang line is run with (ansible-core's module_common says the same).
DEFAULT_SHEBANG_INTERPRETER = "/usr/bin/python"
# What AnsiballZ (ansible-core 2.16 to 2.18) prints when a module returns without exiting.
NO_EXIT = '{"msg": "New-style module did not handle its own exit", "failed": true}'

# Variables a new process reads only as it starts (startup_variables says why).
STARTUP_PREFIXES = ("PYTHON", "LD_", "MALLOC_", "DYLD_")
STARTUP_NAMES = ("TZ",)

Json = Dict[str, Any]


class NotInProcess(Exception):
    """Why this task runs its module the ordinary way (AnsiballZ in a new Python); shown at -vvvv."""


class InProcessModuleAction(ActionBase):
    """``ansible.builtin.normal``, but the module runs in the worker process when it would run on this Python."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: Any = None, task_vars: Optional[Json] = None) -> Json:
        result = super(InProcessModuleAction, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars if task_vars is not None else {}

        wrap_async = self._task.async_val and not self._connection.has_native_async
        module_result = None if wrap_async else self._run_in_process(task_vars)
        if module_result is None:
            module_result = self._execute_module(task_vars=task_vars, wrap_async=wrap_async)
        result = merge_hash(result, module_result)

        if not wrap_async:
            # remove a temporary path we created
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    # -- deciding, preparing -------------------------------------------------------------------------------

    def _run_in_process(self, task_vars: Json) -> Optional[Json]:
        """The module's result, run in this process; None when the task must run it the ordinary way."""
        host = self._play_context.remote_addr
        try:
            module = self._prepare(task_vars)
        except NotInProcess as reason:
            display.vvvv("%s runs as AnsiballZ in a new Python: %s" % (self._task.action, reason), host=host)
            return None
        except Exception as exc:  # never fail a task because of the optimisation: the ordinary path decides
            display.vvvv("%s runs as AnsiballZ in a new Python: preparing to run it in process failed: %s: %s"
                         % (self._task.action, type(exc).__name__, exc), host=host)
            return None
        display.vvv("Running module file %s in the worker process (in process, no AnsiballZ; %s=never turns this off)"
                    % (module.path, ENVIRONMENT_VARIABLE), host=host)
        return self._run_prepared(module)

    def _prepare(self, task_vars: Json) -> "PreparedModule":
        mode = os.environ.get(ENVIRONMENT_VARIABLE, AUTO).strip().lower() or AUTO
        if mode == NEVER:
            raise NotInProcess("%s=never" % ENVIRONMENT_VARIABLE)
        if mode != AUTO:
            display.warning("%s=%s is not one of auto, never: the module runs the ordinary way (AnsiballZ)"
                            % (ENVIRONMENT_VARIABLE, mode))
            raise NotInProcess("%s=%s is neither auto nor never" % (ENVIRONMENT_VARIABLE, mode))
        if self._task.async_val:
            raise NotInProcess("the task is async")
        if getattr(self._task, "timeout", None):
            # Ansible's task timeout raises an exception (an Exception) where the worker is: in the module's code,
            # where a module's own ``except Exception`` could take it for one of its errors.
            raise NotInProcess("the task has a timeout")
        self._require_local_connection()
        from ansible import constants as C

        if C.DEFAULT_KEEP_REMOTE_FILES:
            raise NotInProcess("keep_remote_files asks for the AnsiballZ files")
        module_fqn, path = self._module_file()
        with open(path, "rb") as fh:
            source = fh.read()
        self._require_own_interpreter(source, task_vars)
        runner = module_runner(source)

        environment: Json = {}
        self._compute_environment_string(environment)
        startup = startup_variables(environment)
        if startup:
            raise NotInProcess("the task's environment sets %s, which only a new process reads as it starts"
                               % ", ".join(startup))

        # From here on as _execute_module: the task's temporary directory first (its path is a module argument).
        if not self._is_pipelining_enabled("new", False) and self._connection._shell.tmpdir is None:
            self._make_tmp_path()
        module_args = dict(self._task.args)
        self._update_module_args(self._task.action, module_args, task_vars)
        params = runner.encode(module_args)
        return PreparedModule(module_fqn, path, runner, params,
                              dict((str(k), _text(v)) for k, v in environment.items()))

    def _require_local_connection(self) -> None:
        connection = self._connection
        if self._play_context.become or getattr(connection, "become", None) is not None:
            raise NotInProcess("the task uses become")
        if getattr(connection, "transport", None) != "local" or \
                getattr(connection, "_load_name", None) not in LOCAL_CONNECTION_NAMES:
            raise NotInProcess("the connection is %s, not local" % getattr(connection, "_load_name", connection))
        from ansible.plugins.connection import local

        if os.path.realpath(inspect.getfile(type(connection))) != os.path.realpath(inspect.getfile(local)):
            raise NotInProcess("the local connection plugin is not ansible-core's own")
        if getattr(connection, "_remote_is_local", False):
            raise NotInProcess("the connection runs modules elsewhere")

    def _module_file(self) -> Tuple[str, str]:
        """(the module's Python name, its file) for the task's module, which must be one of this collection's."""
        context = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections)
        if not context.resolved:
            raise NotInProcess("the module %s is not found here" % self._task.action)
        parts = str(context.resolved_fqcn).split(".")
        if len(parts) != 3 or tuple(parts[:2]) != COLLECTION:
            raise NotInProcess("%s is not a module of %s" % (context.resolved_fqcn, ".".join(COLLECTION)))
        module_fqn = "ansible_collections.%s.%s.plugins.modules.%s" % tuple(parts)
        import importlib.util

        spec = importlib.util.find_spec(module_fqn)
        path = context.plugin_resolved_path
        if spec is None or not spec.origin or os.path.realpath(spec.origin) != os.path.realpath(path):
            raise NotInProcess("%s does not import from %s" % (module_fqn, path))
        return module_fqn, path

    def _require_own_interpreter(self, source: bytes, task_vars: Json) -> None:
        """The interpreter _configure_module would put in the module's shebang must be this very Python."""
        from ansible.executor.module_common import _extract_interpreter, _get_shebang

        # As _configure_module: the delegated host's variables when the task is delegated.
        use_vars = task_vars["ansible_delegated_vars"][self._task.delegate_to] if self._task.delegate_to else task_vars
        interpreter, args = _extract_interpreter(source)
        try:
            unused, chosen = _get_shebang(interpreter or DEFAULT_SHEBANG_INTERPRETER, use_vars, self._templar, args,
                                          remote_is_local=bool(getattr(self._connection, "_remote_is_local", False)))
        except Exception as exc:  # InterpreterDiscoveryRequiredError: the ordinary path discovers it
            raise NotInProcess("the interpreter is not set for this host (%s)" % type(exc).__name__)
        if args:
            raise NotInProcess("the module's shebang passes arguments to Python")
        if str(chosen) != sys.executable:
            raise NotInProcess("the interpreter for this host is %s, not this Python (%s)" % (chosen, sys.executable))

    # -- running -------------------------------------------------------------------------------------------

    def _run_prepared(self, module: "PreparedModule") -> Json:
        # Everything this worker inherited from the controller (hundreds of thousands of objects) leaves the garbage
        # collector's view: a module that decodes AWS's service models (CloudFront's and botocore's endpoints, two
        # megabytes of JSON) triggers full collections, and each walked every inherited object, copying the pages
        # they live on (the worker is a fork). Objects made from here on are collected as usual; the worker process
        # ends with its task. Measured: step 1 of a no-op inclusion 0.70 s -> 0.54 s (benchmarks/README.md).
        gc.freeze()
        with module_process(module.environment) as output:
            rc = module.runner.run(module.module_fqn, module.params)
        result = dict(rc=rc, stdout=output.stdout.getvalue(), stderr=output.stderr.getvalue())
        # _parse_returned_data names this Python when the output is no JSON.
        self._used_interpreter = "#!%s" % sys.executable
        data = module.runner.parse(self, result)
        return self._finish(data)

    def _finish(self, data: Json) -> Json:
        """What _execute_module does to a parsed module result, in the same order."""
        from ansible.vars.clean import remove_internal_keys

        if data.pop("_ansible_suppress_tmpdir_delete", False):
            self._cleanup_remote_tmp = False
        if "results" in data and (not isinstance(data["results"], Sequence) or isinstance(data["results"], str)):
            data["ansible_module_results"] = data["results"]
            del data["results"]
            display.warning("Found internal 'results' key in module return, renamed to 'ansible_module_results'.")
        remove_internal_keys(data)
        for stream in ("stdout", "stderr"):
            if stream in data and "%s_lines" % stream not in data:
                data["%s_lines" % stream] = (data.get(stream, None) or "").splitlines()
        return data


class PreparedModule:
    """What one in-process run needs, all computed before anything runs."""

    def __init__(self, module_fqn: str, path: str, runner: "ModuleRunner", params: bytes,
                 environment: Dict[str, str]) -> None:
        self.module_fqn = module_fqn
        self.path = path
        self.runner = runner
        self.params = params
        self.environment = environment


def startup_variables(environment: Mapping[str, Any]) -> List[str]:
    """The variables of a task's ``environment:`` that a process reads only as it starts, sorted.

    Python reads ``PYTHON*`` (``PYTHONPATH``, ``PYTHONWARNINGS``, ...) when it starts, the dynamic loader ``LD_*``,
    the C library ``MALLOC_*`` and, until ``time.tzset()``, ``TZ``: set in the worker's ``os.environ`` they would
    change nothing for a module run there, so such a task runs its module in a new Python, which reads them.
    """
    return sorted(str(name) for name in environment
                  if str(name).startswith(STARTUP_PREFIXES) or str(name) in STARTUP_NAMES)


def _text(value: Any) -> str:
    """A value of the task's ``environment:`` as the shell passes it on (``env_prefix`` quotes ``str(value)``)."""
    from ansible.module_utils.common.text.converters import to_text

    return to_text(value)


# -- the ansible-core versions: how AnsiballZ encodes the arguments, runs the module, and the result is parsed ----

class ModuleRunner:
    """AnsiballZ's way of running a module on ansible-core 2.16 to 2.18: ``basic._ANSIBLE_ARGS``, runpy, a traceback."""

    profile: Optional[str] = None

    def encode(self, module_args: Json) -> bytes:
        from ansible.module_utils.common.json import AnsibleJSONEncoder

        return json.dumps(dict(ANSIBLE_MODULE_ARGS=module_args), cls=AnsibleJSONEncoder, vault_to_text=True).encode("utf-8")

    def run(self, module_fqn: str, params: bytes) -> int:
        """Run the module as AnsiballZ's process would; its exit status (its output goes to sys.stdout/stderr)."""
        try:
            self._run(module_fqn, params)
        except SystemExit as exc:
            return exit_status(exc)
        raise AssertionError("not reached: _run always exits")

    def _run(self, module_fqn: str, params: bytes) -> None:
        from ansible.module_utils import basic

        basic._ANSIBLE_ARGS = params
        try:
            runpy.run_module(mod_name=module_fqn, init_globals=dict(_module_fqn=module_fqn, _modlib_path=_modlib_path()),
                             run_name="__main__", alter_sys=True)
        except Exception:  # what Python does with an exception nothing catches: the traceback on stderr, status 1
            traceback.print_exc()
            sys.exit(1)
        print(NO_EXIT)
        sys.exit(1)

    def parse(self, action: ActionBase, result: Json) -> Json:
        return action._parse_returned_data(result)


class ProfileModuleRunner(ModuleRunner):
    """ansible-core 2.19 and later: a serialization profile, and AnsiballZ's own loader (``_ansiballz._loader``)."""

    def __init__(self, profile: str, loader: Any) -> None:
        self.profile = profile
        self._loader = loader

    def encode(self, module_args: Json) -> bytes:
        from ansible.module_utils.common.json import Direction, get_module_encoder

        encoder = get_module_encoder(self.profile, Direction.CONTROLLER_TO_MODULE)
        return json.dumps(dict(ANSIBLE_MODULE_ARGS=module_args), cls=encoder).encode()

    def _run(self, module_fqn: str, params: bytes) -> None:
        # It sets basic._ANSIBLE_ARGS and _ANSIBLE_PROFILE, runs the module as __main__ and turns an exception into
        # the failed result AnsiballZ prints; no extensions (a debugger, coverage) in process.
        self._loader.run_module(json_params=params, profile=self.profile, module_fqn=module_fqn,
                                modlib_path=_modlib_path(), extensions={})

    def parse(self, action: ActionBase, result: Json) -> Json:
        return action._parse_returned_data(result, self.profile)


def module_runner(source: bytes) -> ModuleRunner:
    """The runner for this ansible-core; NotInProcess when its internals are not the ones this file knows."""
    from ansible.module_utils import basic
    from ansible.module_utils.common import warnings

    for owner, name in ((basic, "_ANSIBLE_ARGS"), (warnings, "_global_warnings"), (warnings, "_global_deprecations")):
        if not hasattr(owner, name):
            raise NotInProcess("this ansible-core's module_utils have no %s.%s" % (owner.__name__, name))
    try:
        from ansible.module_utils._internal._ansiballz import _loader  # ansible-core 2.19 and later
    except ImportError:
        _loader = None
    if _loader is None:
        if hasattr(basic, "_ANSIBLE_PROFILE"):
            raise NotInProcess("this ansible-core has serialization profiles but no AnsiballZ loader")
        return ModuleRunner()
    from ansible.executor import module_common

    expected = {"json_params", "profile", "module_fqn", "modlib_path", "extensions"}
    if not expected <= set(inspect.signature(_loader.run_module).parameters) or \
            not hasattr(module_common, "_get_module_metadata") or not _controller_switches():
        raise NotInProcess("this ansible-core's AnsiballZ internals are not the ones known here")
    metadata = module_common._get_module_metadata(ast.parse(source))
    return ProfileModuleRunner(metadata.serialization_profile, _loader)


def _modlib_path() -> str:
    """Where the module's packages come from (AnsiballZ's zip; here the collections root), for respawn."""
    import ansible_collections

    return os.path.dirname(list(ansible_collections.__path__)[0])


def exit_status(exc: SystemExit) -> int:
    """The status a process exiting with ``exc`` has (``sys.exit("text")`` prints the text and gives 1)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


# -- what a module's own process would not share with the worker ----------------------------------------------

class Output:
    def __init__(self) -> None:
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()


@contextlib.contextmanager
def module_process(environment: Mapping[str, str]) -> Iterator[Output]:
    """The module's process, inside this one: its environment, its output, and the globals it may change, put back."""
    output = Output()
    with _saved_environ(environment), _saved_process_state(), _module_side(), \
            contextlib.redirect_stdout(output.stdout), contextlib.redirect_stderr(output.stderr):
        yield output


@contextlib.contextmanager
def _saved_environ(environment: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        yield
    finally:
        for name in [name for name in os.environ if name not in saved]:
            del os.environ[name]
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


@contextlib.contextmanager
def _saved_process_state() -> Iterator[None]:
    from ansible.module_utils import basic

    cwd = os.getcwd()
    argv = list(sys.argv)
    saved_locale = locale.setlocale(locale.LC_ALL)
    names = ("_ANSIBLE_ARGS", "_ANSIBLE_PROFILE", "_PARSED_MODULE_ARGS")
    saved_basic = dict((name, getattr(basic, name)) for name in names if hasattr(basic, name))
    try:
        yield
    finally:
        for name, value in saved_basic.items():
            setattr(basic, name, value)
        locale.setlocale(locale.LC_ALL, saved_locale)
        sys.argv[:] = argv
        if os.getcwd() != cwd:
            os.chdir(cwd)


def _controller_switches() -> List[Tuple[Any, str, Any]]:
    """(owner, name, value in a module's process) of what ansible-core 2.19 sets on the controller; [] before 2.19."""
    try:
        from ansible.module_utils import _internal
        from ansible.module_utils._internal import _traceback
    except ImportError:
        return []
    if not hasattr(_internal, "is_controller"):
        return []
    return [(_internal, "is_controller", False),
            (_traceback, "_is_traceback_enabled", _traceback._is_module_traceback_enabled),
            (_traceback, "_module_tracebacks_enabled_events", None)]


@contextlib.contextmanager
def _module_side() -> Iterator[None]:
    """module_utils as they are in a module's process: no warnings yet, and (2.19) not on the controller.

    On the controller, ansible-core 2.19's ``warn()`` and ``deprecate()`` display at once instead of collecting for
    the module's result, and tracebacks follow the controller's settings instead of ``_ansible_tracebacks_for``.
    """
    from ansible.module_utils.common import warnings

    saved: List[Tuple[Any, str, Any]] = [(warnings, name, getattr(warnings, name))
                                         for name in ("_global_warnings", "_global_deprecations")]
    replacements: List[Tuple[Any, str, Any]] = [(warnings, name, type(value)()) for unused, name, value in saved]
    for owner, name, value in _controller_switches():
        saved.append((owner, name, getattr(owner, name)))
        replacements.append((owner, name, value))
    for owner, name, value in replacements:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)
