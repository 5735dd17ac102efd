"""The fleet audit as AWX / Ansible Automation Platform runs it: through ansible-runner's Python API.

AWX lays out a private data directory for each job - ``project/`` (the project's playbooks), ``inventory/``,
``env/envvars`` (credentials injected as environment variables), ``env/extravars`` (the job's extra
variables, passed to ansible-playbook as ``-e @file``) - and calls ``ansible_runner.run`` on it. This test
does the same against the sandbox: both sandbox AWS accounts as hosts of the group ``aws_accounts``, two
forks, the secret keys and the Cloudflare token only in ``env/envvars`` (the inventory reads them with the
``env`` lookup, as a custom credential type would inject them). It checks what the job wrote (the audit
files) and what AWX would show of it (the runner's status, rc, stats and events), and that no secret
reached the command line or the job's output.
"""

import json
import os
import stat

import ansible_runner
import pytest
import yaml

from conftest import ROOT, collections_path

ACCOUNTS = {"account1": "111111111111", "account2": "222222222222"}
INVENTORY_TASK = "List distributions, certificates and Route 53 records"


def _private_data_dir(sandbox, base, report_dir):
    """The directory AWX would write for a job template 'Nightly alias audit'."""
    for sub in ("project", "inventory", "env"):
        (base / sub).mkdir()
    # A project's playbook; AWX runs playbooks from the project, so it imports the collection's.
    (base / "project" / "audit.yml").write_text(
        "---\n- name: Nightly alias audit\n  ansible.builtin.import_playbook: aliasguard.cloudfront.audit\n")

    endpoints = sandbox.endpoints
    hosts = {}
    envvars = {
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "CLOUDFLARE_API_TOKEN": endpoints["cloudflare"]["api_token"],
        "CLOUDFLARE_BASE_URL": endpoints["cloudflare"]["base_url"],
    }
    for host, account in ACCOUNTS.items():
        creds = endpoints["aws"]["accounts"][account]
        secret_var = "ALIASGUARD_%s_SECRET_KEY" % host.upper()
        envvars[secret_var] = creds["secret_access_key"]
        hosts[host] = {"aws": {
            "access_key": creds["access_key_id"],
            "secret_key": "{{ lookup('ansible.builtin.env', '%s') }}" % secret_var,
            "endpoint_url": endpoints["aws"]["endpoint_url"],
            "region": "us-east-1",
        }}
    inventory = {"all": {"children": {"aws_accounts": {"hosts": hosts}}}}
    (base / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory, default_flow_style=False))
    (base / "env" / "envvars").write_text(yaml.safe_dump(envvars, default_flow_style=False))
    extravars = {"report_dir": str(report_dir), "cloudflare_zones": ["fleet-d.example"],
                 "verify_nameservers": [sandbox.dns_server]}
    (base / "env" / "extravars").write_text(yaml.safe_dump(extravars, default_flow_style=False))
    for name in ("envvars", "extravars"):
        os.chmod(base / "env" / name, 0o600)
    return [v for k, v in envvars.items() if "SECRET" in k or "TOKEN" in k]


@pytest.fixture(scope="module")
def job(sandbox, tmp_path_factory):
    fleet = sandbox.scenario("fleet", distributions=20, aliases_per_distribution=1)
    base = tmp_path_factory.mktemp("awx-job")
    report_dir = tmp_path_factory.mktemp("audit-report")
    secrets = _private_data_dir(sandbox, base, report_dir)
    saved = dict(os.environ)
    # The job's environment is the private data dir's, not whatever this test process happens to hold.
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_BASE_URL", "ANSIBLE_CONFIG", "ANSIBLE_STDOUT_CALLBACK"):
        os.environ.pop(var, None)
    # In an execution environment ansible-playbook is on the PATH; here it is this venv's.
    os.environ["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + os.environ.get("PATH", "")
    mark = sandbox.log_mark()
    try:
        runner = ansible_runner.run(
            private_data_dir=str(base),
            playbook="audit.yml",
            inventory=str(base / "inventory" / "hosts.yml"),
            forks=2,
            ident="nightly-audit",
            quiet=True,
            timeout=600,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"runner": runner, "fleet": fleet, "base": base, "report_dir": report_dir, "secrets": secrets,
            "requests": sandbox.requests_since(mark)}


def test_the_job_succeeds_as_awx_would_report_it(job):
    runner = job["runner"]
    stdout = (job["base"] / "artifacts" / "nightly-audit" / "stdout").read_text()
    assert runner.status == "successful" and runner.rc == 0, stdout[-4000:]
    assert runner.stats["failures"] == {} and runner.stats["dark"] == {}
    assert set(ACCOUNTS) <= set(runner.stats["ok"])
    # The artifacts AWX reads back: status, rc, stdout and one JSON file per event.
    artifacts = job["base"] / "artifacts" / "nightly-audit"
    assert (artifacts / "status").read_text() == "successful" and (artifacts / "rc").read_text() == "0"
    assert len(list((artifacts / "job_events").glob("*.json"))) == len(list(runner.events)) > 0


def test_both_accounts_are_inventoried_in_parallel(job):
    events = [e for e in job["runner"].events if e.get("event_data", {}).get("task") == INVENTORY_TASK]
    started = [e["event_data"]["host"] for e in events if e["event"] == "runner_on_start"]
    finished = [e["event_data"]["host"] for e in events if e["event"] == "runner_on_ok"]
    assert sorted(started) == sorted(finished) == sorted(ACCOUNTS)
    # Two forks: the second account starts before the first one is done (one fork would run them in turn).
    order = [e["event"] for e in events if e["event"] in ("runner_on_start", "runner_on_ok")]
    assert order[:2] == ["runner_on_start", "runner_on_start"], order
    assert "--forks" in job["runner"].config.command and "2" in job["runner"].config.command


def test_the_audit_files_are_written_and_find_every_planted_problem(job):
    report_dir = job["report_dir"]
    for name in ("audit.json", "audit.md", "audit.html"):
        path = report_dir / name
        assert path.is_file() and path.stat().st_size > 0, name
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, name
    report = json.loads((report_dir / "audit.json").read_text())
    assert report["schema"] == "aliasguard.cloudfront/audit/1"
    assert sorted((a["label"], a["account_id"]) for a in report["accounts"]) == sorted(ACCOUNTS.items())
    found = set((f["kind"], f["name"]) for f in report["findings"])
    planted = set((kind, name) for kind, names in job["fleet"]["planted"].items() for name in names)
    assert planted and planted <= found, sorted(planted - found)
    # The summary task's lines reached the job's output, as an AWX user reads them.
    assert "%d findings" % report["summary"]["findings"] in (job["base"] / "artifacts" / "nightly-audit" / "stdout").read_text()


def test_the_audit_changes_nothing(job):
    assert job["requests"], "the job sent no request at all"
    assert [r for r in job["requests"] if r["mutating"]] == []
    accounts = set(r.get("account") for r in job["requests"] if r["service"] == "cloudfront")
    assert set(ACCOUNTS.values()) <= accounts


def test_no_secret_reaches_the_command_line_or_the_output(job):
    runner = job["runner"]
    command = " ".join(runner.config.command)
    artifacts = job["base"] / "artifacts" / "nightly-audit"
    # Extra variables go to ansible-playbook as a file, as AWX passes them.
    assert "@%s" % (job["base"] / "env" / "extravars") in command
    outputs = [command, (artifacts / "stdout").read_text()]
    outputs += [path.read_text() for path in (artifacts / "job_events").glob("*.json")]
    outputs += [path.read_text() for path in job["report_dir"].iterdir()]
    for secret in job["secrets"]:
        assert len(secret) >= 8
        leaks = [text[:200] for text in outputs if secret in text]
        assert leaks == [], "a secret appeared in the job's command line, events or reports"
