"""The remediation killed part way, then run again.

An operator's laptop sleeps, a CI runner is cancelled, someone presses Ctrl-C twice: the
playbook dies between two writes. These tests kill its whole process group with SIGKILL right
after its k-th successful write (counted in the sandbox's request log, so the point is the same
on every run), wait until nothing it started is still writing (Ansible's worker can outlive the
kill for up to a second; the log must stay quiet), look at what it left, and run the same
command again. Whatever the point, what was left is safe (DNS never leads to a distribution
that does not hold the name, and the name is never held by nobody), and the rerun finishes the
job: the alias on the target only, DNS at the target, no `_<alias>` TXT record left behind.
"""

import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import ROOT, playbook_command
from test_remediate import (
    PLAYBOOK,
    Situation,
    assert_alias_only_on_target,
    assert_dns_at_target,
    assert_nothing_changed,
    assert_ok,
    assert_txt_gone,
    ask,
    distributions,
)

QUIET = 1.5


def successful_writes(entries):
    return [e for e in entries if e["mutating"] and isinstance(e["status"], int) and 200 <= e["status"] < 300]


def run_and_kill_after(situation, writes):
    """Run the playbook and SIGKILL its process group right after its ``writes``-th successful write.

    Returns the writes that were made, once nothing is writing any more.
    """
    sandbox = situation.sandbox
    mark = sandbox.log_mark()
    command, environment = playbook_command(PLAYBOOK, situation.extra_vars(), env=situation.env())
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    killed = threading.Event()

    def watch():
        while process.poll() is None:
            if len(successful_writes(sandbox.requests_since(mark))) >= writes:
                os.killpg(process.pid, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    process.wait(timeout=600)
    watcher.join(timeout=5)
    assert killed.is_set(), "the run finished before its write number %d: it made %s" % (
        writes, [e["operation"] for e in successful_writes(sandbox.requests_since(mark))])
    _wait_until_quiet(sandbox, process.pid, mark)
    return successful_writes(sandbox.requests_since(mark))


def _wait_until_quiet(sandbox, pgid, mark, timeout=30):
    """Until no process of the group is left and the request log has not grown for QUIET seconds."""
    deadline = time.monotonic() + timeout
    seen, since = None, time.monotonic()
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        count = len(sandbox.requests_since(mark))
        if count != seen:
            seen, since = count, time.monotonic()
        if not alive and time.monotonic() - since >= QUIET:
            return
        time.sleep(0.1)
    raise AssertionError("the killed run's processes kept writing for %d seconds" % timeout)


def assert_left_safe(situation, holder_id):
    """What a killed run may leave: the alias held by the holder or the target (never by nobody), and DNS
    leading to the target only if the target holds the alias."""
    dists = distributions(situation.sandbox)
    holders = sorted(d for d, info in dists.items() if situation.alias in info["aliases"])
    assert holders in ([holder_id], [situation.target_id]), "the alias is held by %s" % holders
    if ask(situation.nameserver, situation.alias, "CNAME") == [situation.target_domain]:
        assert holders == [situation.target_id], "DNS leads to the target, which does not hold the alias"


@pytest.mark.parametrize("scenario,writes", [
    ("seed-409", 1),    # after the TXT record was created
    ("seed-409", 2),    # after AssociateAlias moved the alias
    ("seed-409", 3),    # after DNS was repointed
    ("cloudflare", 2),  # after AssociateAlias, with the TXT record at Cloudflare
])
def test_a_run_killed_after_any_write_is_finished_by_running_it_again(sandbox, scenario, writes):
    sandbox.faults(off=True)
    situation = Situation.build(sandbox, scenario)
    holder_id = situation.info["holder"]["distribution_id"]

    made = run_and_kill_after(situation, writes)

    assert len(made) >= writes
    assert_left_safe(situation, holder_id)

    run, unused = situation.run()

    assert_ok(run)
    assert_alias_only_on_target(sandbox, situation)
    assert_dns_at_target(sandbox, situation)
    assert_txt_gone(sandbox, situation)

    again, requests = situation.run()
    assert_ok(again)
    assert_nothing_changed(again, requests)
