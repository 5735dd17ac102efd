"""The modules run in ansible-playbook's worker process (ALIASGUARD_IN_PROCESS=auto) exactly as they run as AnsiballZ
in a new Python (=never): same results, same check mode, same failures, no secret shown (issue 11).

One small playbook, run once each way at -vvvv against the runbook's situation (seed-409), and compared task by
task: a read (step 1, with AWS's endpoint given only by the play's ``environment:`` keyword), a repoint in check
mode with --diff (changed, not one mutating request), the same repoint for real and back (changed, the DNS
record as before), a refused request (the module's failure) and a module that raises (a bad inventory for the
audit report: an exception nothing in the module catches). The AWS secret key reaches the modules only as their
no_log option ``secret_key``. The -vvvv output shows which path ran: ``Running module file ... in the worker
process`` and no ``AnsiballZ_`` file, or the reason to fall back and the AnsiballZ file. An explicit inventory
localhost whose interpreter is another Python (``/usr/bin/python3.11``, not ``sys.executable``) falls back. On
ansible-core 2.16 (the floor, which has no serialization profiles and another AnsiballZ), a failure and an
exception give the same results both ways.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, ansible_playbook_executable, playbook_command
from steps_helpers import dns_values

sys.path.insert(0, os.path.join(ROOT, "tests", "compat"))
# The fixture floor: ansible-core 2.16's venv, made once per machine (tests/compat/test_ansible_core_floor.py).
from test_ansible_core_floor import floor  # noqa: E402,F401 pylint: disable=unused-import

PLAYBOOK = """---
- name: The modules, in process or not
  hosts: localhost
  gather_facts: false
  environment:
    AWS_ENDPOINT_URL: "{{ endpoint }}"
  module_defaults:
    group/aliasguard.cloudfront.aws:
      access_key: "{{ lookup('ansible.builtin.env', 'INPROC_ACCESS_KEY') }}"
      secret_key: "{{ lookup('ansible.builtin.env', 'INPROC_SECRET_KEY') }}"
      region: us-east-1
  tasks:
    - name: Step 1
      aliasguard.cloudfront.cloudfront_alias_conflict_info:
        target_distribution_id: "{{ target_id }}"
        aliases: ["{{ alias }}"]
        nameservers: ["{{ dns_server }}"]

    - name: Repoint in check mode
      aliasguard.cloudfront.dns_cname_repoint:
        provider: route53
        zone: example.com
        name: "{{ alias }}"
        target: "{{ target_id }}"
        wait: false
      check_mode: true
      diff: true

    - name: Repoint
      aliasguard.cloudfront.dns_cname_repoint:
        provider: route53
        zone: example.com
        name: "{{ alias }}"
        target: "{{ target_id }}"
        wait: false

    - name: Repoint back
      aliasguard.cloudfront.dns_cname_repoint:
        provider: route53
        zone: example.com
        name: "{{ alias }}"
        target: "{{ holder_id }}"
        wait: false

    - name: A distribution that does not exist
      aliasguard.cloudfront.cloudfront_distribution_alias:
        distribution_id: E0000000000000
        aliases: ["{{ alias }}"]
      ignore_errors: true

    - name: A module that raises
      aliasguard.cloudfront.alias_audit_report:
        inventories: [{account_id: "111111111111", distributions: 5}]
        dns_check: false
      ignore_errors: true
"""

TASKS = ["Step 1", "Repoint in check mode", "Repoint", "Repoint back", "A distribution that does not exist",
         "A module that raises"]
# Values that differ from one run to the next whatever runs the module.
VOLATILE = ("change_id", "request_id", "submitted_at", "elapsed", "generated")
IN_PROCESS = "in the worker process (in process, no AnsiballZ"


def _without_volatile(value):
    if isinstance(value, dict):
        return dict((k, _without_volatile(v)) for k, v in value.items() if k not in VOLATILE)
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def _run(sandbox, tmp_path, mode, extra_vars, args=(), playbook=PLAYBOOK, ansible_playbook=None):
    """ansible-playbook at -vvvv with the JSON callback: ({task: result}, everything it printed)."""
    path = tmp_path / ("in_process_%s.yml" % mode)
    path.write_text(playbook)
    creds = sandbox.endpoints["aws"]["accounts"]["111111111111"]
    env = {"ALIASGUARD_IN_PROCESS": mode, "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
           "INPROC_ACCESS_KEY": creds["access_key_id"], "INPROC_SECRET_KEY": creds["secret_access_key"]}
    command, environment = playbook_command(str(path), extra_vars, env=env, args=("-vvvv",) + tuple(args))
    if ansible_playbook:  # another ansible-core's: the implicit localhost runs modules with its Python
        command = [ansible_playbook] + command[len(ansible_playbook_executable()):]
        environment.pop("ANSIBLE_PYTHON_INTERPRETER")
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=ROOT, timeout=600,
                               check=False)
    output = completed.stdout + completed.stderr
    start = completed.stdout.rfind('{\n "plays"')  # the JSON callback's document comes last, after -vvvv's lines
    assert start >= 0, "no JSON report (rc %d):\n%s" % (completed.returncode, output[-4000:])
    report = json.loads(completed.stdout[start:])
    results = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for result in task["hosts"].values():
                results[task["task"]["name"]] = result
    return results, output


def test_auto_and_never_give_the_same_results(sandbox, tmp_path):
    s = sandbox.scenario("seed-409")
    alias, holder_domain = s["alias"], s["holder"]["domain_name"]
    secret = sandbox.endpoints["aws"]["accounts"]["111111111111"]["secret_access_key"]
    extra_vars = {"target_id": s["target_distribution_id"], "holder_id": s["holder"]["distribution_id"],
                  "alias": alias, "dns_server": sandbox.dns_server,
                  "endpoint": sandbox.endpoints["aws"]["endpoint_url"]}
    runs = {}
    for mode in ("auto", "never"):
        mark = sandbox.log_mark()
        results, output = _run(sandbox, tmp_path, mode, extra_vars)
        runs[mode] = (results, output, sandbox.requests_since(mark))
        # The record is back where it was: the next run starts from the same state.
        assert dns_values(sandbox.dns_server, alias, "CNAME") == [holder_domain]

    auto, auto_output, auto_requests = runs["auto"]
    never, never_output, never_requests = runs["never"]
    assert list(auto) == TASKS == list(never)
    for task in TASKS:
        assert _without_volatile(auto[task]) == _without_volatile(never[task]), task

    # What those results are (the same both ways, so one look is enough).
    assert auto["Step 1"]["aliases"][0]["verdict"] == "held_in_account"
    assert auto["Step 1"]["requests"]["cloudfront"] >= 1  # it reached the sandbox: the environment keyword worked
    assert auto["Repoint in check mode"]["changed"] is True and auto["Repoint in check mode"]["diff"]
    assert auto["Repoint"]["changed"] is True and auto["Repoint back"]["changed"] is True
    refused = auto["A distribution that does not exist"]
    assert refused["failed"] is True and "E0000000000000" in refused["msg"], refused
    raised = auto["A module that raises"]
    assert raised["failed"] is True and "not iterable" in raised["msg"], raised
    assert "exception" in raised, raised  # AnsiballZ's failed result for an exception (the traceback if configured)
    assert auto["Step 1"]["invocation"]["module_args"]["secret_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

    # The same requests, and the same two mutating ones (the repoint and its way back), each way; check mode sent none
    # (the requests counted by the modules themselves, which the comparison above found equal, include the reads).
    for requests in (auto_requests, never_requests):
        assert [r["operation"] for r in requests if r["mutating"]] == ["ChangeResourceRecordSets"] * 2, requests
    assert sorted(r["operation"] for r in auto_requests) == sorted(r["operation"] for r in never_requests)

    # Which path ran: every task in process with auto, none with never (then it says why, at -vvvv).
    assert auto_output.count(IN_PROCESS) == len(TASKS) and "AnsiballZ_" not in auto_output, auto_output[-3000:]
    assert IN_PROCESS not in never_output and never_output.count("AnsiballZ_") >= len(TASKS)
    assert "runs as AnsiballZ in a new Python: ALIASGUARD_IN_PROCESS=never" in never_output
    # The secret key, a no_log option, is shown by neither path.
    assert secret not in auto_output and secret not in never_output


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3.11"), reason="needs a second Python at /usr/bin/python3.11")
def test_an_inventory_localhost_with_another_python_falls_back(sandbox, tmp_path):
    """An explicit inventory host, local connection, but the interpreter is another Python than ansible-playbook's
    (the venv's python links /usr/bin/python3.11, the same file: still another environment, without its packages)."""
    inventory = tmp_path / "hosts"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3.11\n")
    playbook = """---
- name: Another Python
  hosts: localhost
  gather_facts: false
  tasks:
    - name: A module that fails at once
      aliasguard.cloudfront.alias_audit_report:
        inventories: []
      ignore_errors: true
"""
    results, output = _run(sandbox, tmp_path, "auto", None, args=("-i", str(inventory)), playbook=playbook)
    assert IN_PROCESS not in output
    assert "runs as AnsiballZ in a new Python: the interpreter for this host is /usr/bin/python3.11" in output
    assert "/usr/bin/python3.11 " in output and "AnsiballZ_alias_audit_report.py" in output
    # It ran there (the module's own message; /usr/bin/python3.11 has what this module needs: ansible's module_utils
    # come with AnsiballZ), and failed as it should.
    result = results["A module that fails at once"]
    assert result["failed"] is True and "inventories is empty" in result["msg"], result


FLOOR_PLAYBOOK = """---
- name: On ansible-core 2.16
  hosts: localhost
  gather_facts: false
  tasks:
    - name: A module that fails
      aliasguard.cloudfront.alias_audit_report:
        inventories: [{}]
      ignore_errors: true

    - name: A module that raises
      aliasguard.cloudfront.alias_audit_report:
        inventories: [{account_id: "111111111111", distributions: 5}]
        dns_check: false
      ignore_errors: true
"""


def test_the_floor_gives_the_same_failures_both_ways(floor, sandbox, tmp_path):
    ansible_playbook = os.path.join(floor, "ansible-playbook")
    auto, auto_output = _run(sandbox, tmp_path, "auto", None, playbook=FLOOR_PLAYBOOK, ansible_playbook=ansible_playbook)
    never, never_output = _run(sandbox, tmp_path, "never", None, playbook=FLOOR_PLAYBOOK,
                               ansible_playbook=ansible_playbook)
    assert "[core 2.16." in auto_output and "[core 2.16." in never_output  # -vvvv's first line names the version
    assert auto_output.count(IN_PROCESS) == 2 and "AnsiballZ_" not in auto_output, auto_output[-3000:]
    assert IN_PROCESS not in never_output and "AnsiballZ_alias_audit_report.py" in never_output
    assert list(auto) == list(never) == ["A module that fails", "A module that raises"]
    fails, raises = auto["A module that fails"], auto["A module that raises"]
    assert fails == never["A module that fails"]
    assert fails["failed"] is True and "inventories[0] is an empty mapping" in fails["msg"], fails
    # 2.16's AnsiballZ lets the exception end its Python: the traceback on stderr, "MODULE FAILURE"; so here.
    assert raises["failed"] is True and raises["msg"].startswith("MODULE FAILURE"), raises
    assert "TypeError: 'int' object is not iterable" in raises["module_stderr"], raises
    assert dict((k, v) for k, v in raises.items() if k not in ("module_stderr", "exception")) == dict(
        (k, v) for k, v in never["A module that raises"].items() if k not in ("module_stderr", "exception"))
    assert "TypeError: 'int' object is not iterable" in never["A module that raises"]["module_stderr"]
