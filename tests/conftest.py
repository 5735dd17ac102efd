"""Fixtures shared by the sandbox conformance tests and the integration tests.

Kept light on purpose: nothing heavy is imported until a test asks for the
sandbox, so that unit-test runs that load this file do not pay for it.
"""

import json
import os
import resource
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


class RunningSandbox:
    """A sandbox started for this test session, with helpers tests keep needing."""

    def __init__(self, state_dir, endpoints):
        from sandbox.scenarios import Clients

        self.state_dir = str(state_dir)
        self.endpoints = endpoints
        self.clients = Clients(endpoints)
        self.log_path = endpoints["request_log"]

    def scenario(self, name, **options):
        from sandbox.scenarios import build

        options.setdefault("distributions", 1000)
        options.setdefault("aliases_per_distribution", 3)
        options.setdefault("holder_disabled", False)
        options.setdefault("proxied", False)
        return build(name, self.state_dir, **options)

    def reset(self):
        from sandbox import cli

        cli.reset(self.state_dir)

    def faults(self, throttle=0.0, server_errors=0.0, seed=0, off=False, cloudflare_quota=None,
               cloudflare_window=None):
        from sandbox import cli

        return cli.faults(self.state_dir, throttle, server_errors, seed, off, cloudflare_quota, cloudflare_window)

    def log_mark(self):
        """Where the request log ends now; pass it to requests_since()."""
        with open(self.log_path, encoding="utf-8") as fh:
            return sum(1 for line in fh if line.endswith("\n"))  # a line being written is not counted yet

    def requests_since(self, mark):
        from sandbox.reqlog import read_log

        return read_log(self.log_path, since=mark)

    def mutating_since(self, mark):
        return [e for e in self.requests_since(mark) if e["mutating"]]

    def aws(self, service, account="111111111111"):
        return self.clients.aws(service, account)

    def aws_env(self, account="111111111111"):
        creds = self.endpoints["aws"]["accounts"][account]
        return {
            "AWS_ACCESS_KEY_ID": creds["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
            "AWS_ENDPOINT_URL": self.endpoints["aws"]["endpoint_url"],
            "AWS_REGION": "us-east-1",
        }

    @property
    def dns_server(self):
        return "127.0.0.1:%d" % self.endpoints["dns"]["port"]

    def wait_out_dns_check_cache(self, old_ttl=300):
        """Sleep until CloudFront's DNS check (the 409's second form) no longer sees a record replaced just now.

        The sandbox models the caching resolver behind that check: a replaced record stays visible to it for
        the old record's TTL x the sandbox's --ttl-scale (SANDBOX.md).
        """
        import time

        with open(os.path.join(self.state_dir, "config.json"), encoding="utf-8") as fh:
            scale = json.load(fh).get("ttl_scale", 0.01)
        time.sleep(old_ttl * scale + 0.2)


# -- where the CPU goes (ALIASGUARD_CPU_REPORT=FILE) --------------------------------------------------
# CPU seconds (user + sys) barely depend on what else the machine runs; wall time does. With
# ALIASGUARD_CPU_REPORT set, every test appends one JSON line to that file: its file, its own CPU (the
# pytest process), its children's (ansible-playbook and everything it forks, counted when they exit) and
# the sandbox servers' (read from /proc while they run). scripts/cpu_report.py sums them by file.

_RUNNING_SANDBOXES = []  # [pid of a sandbox server, ...] started by this process
_SANDBOX_CPU_REAPED = [0.0]  # CPU of sandbox servers stopped (and reaped) by this process so far


def _proc_cpu(pid):
    """user + sys seconds of a process and its reaped children, from /proc (0 when it is gone)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _cpu_now():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    sandboxes = sum(_proc_cpu(pid) for pid in _RUNNING_SANDBOXES) + _SANDBOX_CPU_REAPED[0]
    # A sandbox server is our child: once 'down' reaps it, its CPU shows in RUSAGE_CHILDREN too.
    return (own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime - _SANDBOX_CPU_REAPED[0],
            sandboxes, time.monotonic())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    report = os.environ.get("ALIASGUARD_CPU_REPORT")
    if not report:
        yield
        return
    before = _cpu_now()
    yield
    after = _cpu_now()
    own, children, sandboxes, wall = (a - b for a, b in zip(after, before))
    with open(report, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"file": item.location[0], "test": item.nodeid, "own": round(own, 3),
                             "children": round(children, 3), "sandbox": round(sandboxes, 3),
                             "wall": round(wall, 3)}) + "\n")


def _start_sandbox(state_dir, **options):
    from sandbox import cli

    endpoints = cli.up(str(state_dir), **options)
    with open(os.path.join(str(state_dir), "pids.json"), encoding="utf-8") as fh:
        _RUNNING_SANDBOXES.append(json.load(fh)["server"])
    return endpoints


def _stop_sandbox(state_dir):
    from sandbox import cli

    with open(os.path.join(str(state_dir), "pids.json"), encoding="utf-8") as fh:
        server = json.load(fh)["server"]
    last_seen = _proc_cpu(server)
    pids = cli.down(str(state_dir))
    if server in _RUNNING_SANDBOXES:
        _RUNNING_SANDBOXES.remove(server)
        _SANDBOX_CPU_REAPED[0] += last_seen
    for pid in pids:
        assert not cli._alive(pid), "sandbox process %d survived 'down'" % pid


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("sandbox")
    # Short deploy and sync times keep the tests quick; the behaviour is the same.
    endpoints = _start_sandbox(state_dir, deploy_seconds=0.5, insync_seconds=0.5)
    try:
        yield RunningSandbox(state_dir, endpoints)
    finally:
        _stop_sandbox(state_dir)


SLOW_DEPLOY_SECONDS = 3.0  # how long slow_sandbox's distributions take to deploy


@pytest.fixture(scope="session")
def slow_sandbox(tmp_path_factory):
    """A second sandbox whose distributions take 3 s to deploy (``--deploy-seconds 3 --ttl-scale 0.01``), for the
    tests that watch what happens while a change is still InProgress. One per session, shared."""
    state_dir = tmp_path_factory.mktemp("slow-sandbox")
    endpoints = _start_sandbox(state_dir, deploy_seconds=SLOW_DEPLOY_SECONDS, insync_seconds=0.5, ttl_scale=0.01)
    try:
        yield RunningSandbox(state_dir, endpoints)
    finally:
        _stop_sandbox(state_dir)


def collections_path():
    marker = os.path.join(ROOT, ".venv", ".collections-path")
    if not os.path.exists(marker):
        raise RuntimeError("run scripts/bootstrap.sh first (it links the collection onto a collections path)")
    with open(marker, encoding="utf-8") as fh:
        return fh.read().strip()


class PlaybookRun:
    def __init__(self, completed, results):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.results = results

    def task(self, name):
        """The result of the (last) task with this name on localhost."""
        found = [r for r in self.results if r["task"] == name]
        if not found:
            raise AssertionError("no task named %r ran; tasks: %s\n%s" % (
                name, [r["task"] for r in self.results], self.stderr[-3000:]))
        return found[-1]["result"]


def pytest_configure(config):
    # One AnsiballZ cache for every ansible-playbook of this session (tests/ansible_playbook_cached.py says why);
    # xdist workers inherit it from the controller, which made it and removes it. ALIASGUARD_ANSIBALLZ_CACHE=off
    # runs the venv's ansible-playbook as it is (to compare, or to rule the cache out).
    if not os.environ.get("ALIASGUARD_ANSIBALLZ_CACHE"):
        import tempfile

        config._aliasguard_ansiballz_cache = tempfile.mkdtemp(prefix="aliasguard-ansiballz-")
        os.environ["ALIASGUARD_ANSIBALLZ_CACHE"] = config._aliasguard_ansiballz_cache


def pytest_unconfigure(config):
    cache = getattr(config, "_aliasguard_ansiballz_cache", None)
    if cache:
        import shutil

        shutil.rmtree(cache, ignore_errors=True)
        os.environ.pop("ALIASGUARD_ANSIBALLZ_CACHE", None)


def ansible_playbook_executable():
    """ansible-playbook as the tests run it: through tests/ansible_playbook_cached.py (ansible-playbook itself, with
    the session's shared AnsiballZ cache) under pytest, the venv's own otherwise (benchmarks, scripts)."""
    venv_bin = os.path.join(ROOT, ".venv", "bin")
    if os.environ.get("ALIASGUARD_ANSIBALLZ_CACHE", "off") != "off":
        return [os.path.join(venv_bin, "python"), os.path.join(ROOT, "tests", "ansible_playbook_cached.py")]
    return [os.path.join(venv_bin, "ansible-playbook")]


def playbook_command(playbook, extra_vars=None, env=None, check=False, diff=False, args=()):
    """(command, environment) for a real ansible-playbook run that prints JSON (tests/callback_plugins)."""
    command = ansible_playbook_executable() + [playbook]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    command += list(args)
    environment = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_URL", "AWS_ENDPOINT_URL", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN", "CLOUDFLARE_BASE_URL"):
        environment.pop(var, None)
    environment.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        # ansible-core has no JSON stdout callback; tests/callback_plugins/test_json.py is ours.
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(ROOT, "tests", "callback_plugins"),
        "ANSIBLE_STDOUT_CALLBACK": "test_json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    })
    environment.update(env or {})
    return command, environment


def run_playbook(playbook, extra_vars=None, env=None, check=False, diff=False, args=(), cwd=None):
    """Run real ansible-playbook; return every task's result (json callback)."""
    command, environment = playbook_command(playbook, extra_vars, env, check, diff, args)
    completed = subprocess.run(command, check=False, capture_output=True, text=True, env=environment, cwd=cwd or ROOT,
                               timeout=900)
    try:
        report = json.loads(completed.stdout)
    except ValueError:
        raise AssertionError("ansible-playbook did not print JSON (rc %d):\n%s\n%s"
                             % (completed.returncode, completed.stdout[-3000:], completed.stderr[-3000:]))
    results = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task.get("hosts", {}).items():
                results.append({"task": task["task"]["name"], "host": host, "result": result})
    return PlaybookRun(completed, results)
