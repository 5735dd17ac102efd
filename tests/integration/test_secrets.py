"""No secret on screen, in the Ansible log or in a file the collection writes (issue 8).

Every module and both playbooks run at -vvvv with the default stdout callback (what a person sees), an
Ansible log (ANSIBLE_LOG_PATH), and every secret set the documented ways: the AWS secret key and session
token and the Cloudflare token and TSIG secret in the environment (AWS_*, CLOUDFLARE_API_TOKEN,
RFC2136_KEY_SECRET), or in a vars file encrypted with ansible-vault (-e @secrets.yml). None of them may appear
in stdout, stderr, the log, the audit report or the backup files (which are 0600), and each run must have
done its work (checked with independent clients), so that a run that printed nothing because it did nothing
cannot pass.

The sandbox does not check session tokens; the token here is a made-up one that only has to stay hidden.
"""

import json
import os
import stat
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, ansible_playbook_executable, collections_path
from repoint_helpers import ACCOUNT, ask, bind_dns, sandbox_dns

HERE = os.path.dirname(os.path.abspath(__file__))
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEAliasguardSessionToken0123456789abcdefXYZ"
# A valid TSIG secret (base64) that BIND does not know, for the failing task.
WRONG_TSIG_SECRET = "c2VjcmV0LXRoYXQtYmluZC1kb2VzLW5vdC1rbm93LTEyMzQ="
VAULT_PASSWORD = "aliasguard-test-vault-password"


class Secrets:
    def __init__(self, sandbox):
        creds = sandbox.endpoints["aws"]["accounts"][ACCOUNT]
        self.aws_secret_key = creds["secret_access_key"]
        self.access_key = creds["access_key_id"]
        self.cloudflare_token = sandbox.endpoints["cloudflare"]["api_token"]
        self.tsig_secret = sandbox.endpoints["rfc2136"]["tsig"]["secret"]

    @property
    def values(self):
        return {"AWS secret key": self.aws_secret_key, "session token": SESSION_TOKEN,
                "Cloudflare token": self.cloudflare_token, "TSIG secret": self.tsig_secret,
                "wrong TSIG secret": WRONG_TSIG_SECRET}


def environment(sandbox, secrets, aws=True, cloudflare=True, rfc2136=True):
    env = dict(os.environ)
    for var in list(env):
        if var.startswith(("AWS_", "CLOUDFLARE_", "RFC2136_", "ANSIBLE_")):
            env.pop(var)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_STDOUT_CALLBACK": "default",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "AWS_ENDPOINT_URL": sandbox.endpoints["aws"]["endpoint_url"],
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    if aws:
        env.update({"AWS_ACCESS_KEY_ID": secrets.access_key, "AWS_SECRET_ACCESS_KEY": secrets.aws_secret_key,
                    "AWS_SESSION_TOKEN": SESSION_TOKEN})
    if cloudflare:
        env.update({"CLOUDFLARE_API_TOKEN": secrets.cloudflare_token,
                    "CLOUDFLARE_BASE_URL": sandbox.endpoints["cloudflare"]["base_url"]})
    if rfc2136:
        rfc = sandbox.endpoints["rfc2136"]
        env.update({"RFC2136_SERVER": rfc["host"], "RFC2136_PORT": str(rfc["port"]),
                    "RFC2136_KEY_NAME": rfc["tsig"]["name"], "RFC2136_KEY_SECRET": secrets.tsig_secret,
                    "RFC2136_KEY_ALGORITHM": rfc["tsig"]["algorithm"]})
    return env


def vault_file(directory, data):
    """-e @file arguments for a vars file encrypted with ansible-vault."""
    path = directory / "secrets.yml"
    path.write_text(yaml.safe_dump(data))
    password = directory / "vault-password"
    password.write_text(VAULT_PASSWORD + "\n")
    subprocess.run([os.path.join(ROOT, ".venv", "bin", "ansible-vault"), "encrypt", "--vault-password-file",
                    str(password), str(path)], check=True, capture_output=True)
    assert b"$ANSIBLE_VAULT" in path.read_bytes()
    return ["-e", "@%s" % path, "--vault-password-file", str(password)]


class VerboseRun:
    def __init__(self, completed, log_path):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            self.log = handle.read()

    def tail(self):
        return "rc=%d\n%s\n%s" % (self.returncode, self.stdout[-4000:], self.stderr[-3000:])


def run_verbose(playbook, directory, env, extra_vars=None, args=(), name="run"):
    log_path = directory / ("%s-ansible.log" % name)
    command = ansible_playbook_executable() + ["-vvvv", playbook]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    command += list(args)
    completed = subprocess.run(command, capture_output=True, text=True, env=dict(env, ANSIBLE_LOG_PATH=str(log_path)),
                               cwd=ROOT, timeout=900, check=False)
    run = VerboseRun(completed, log_path)
    assert "ESTABLISH LOCAL CONNECTION" in run.stdout, "not verbose: " + run.tail()
    return run


def assert_hidden(secrets, places):
    for place, text in places.items():
        for what, value in secrets.values.items():
            assert value not in text, "the %s appears in %s" % (what, place)


def written_files(*directories):
    found = {}
    for directory in directories:
        for base, unused, names in os.walk(str(directory)):
            for name in names:
                path = os.path.join(base, name)
                with open(path, encoding="utf-8", errors="replace") as handle:
                    found[path] = handle.read()
    return found


@pytest.fixture
def secrets(sandbox):
    sandbox.faults(off=True)
    return Secrets(sandbox)


def add_cloudflare_zone(sandbox, holder_domain):
    zone = sandbox.clients.cloudflare("POST", "/zones", {"name": "example.com", "type": "full", "account": {
        "id": sandbox.endpoints["cloudflare"]["account_id"]}})
    sandbox.clients.cloudflare("POST", "/zones/%s/dns_records" % zone["id"], {
        "type": "CNAME", "name": "www.example.com", "content": holder_domain, "ttl": 1, "proxied": False})
    return zone["id"]


def test_every_module_at_vvvv_with_secrets_from_the_vault_file_and_the_environment(sandbox, secrets, tmp_path):
    seed = sandbox.scenario("seed-409")
    add_cloudflare_zone(sandbox, seed["holder"]["domain_name"])
    rfc = sandbox.endpoints["rfc2136"]
    update = sandbox.clients.rfc2136_update()
    update.delete("www")
    update.add("www", 300, "CNAME", seed["holder"]["domain_name"] + ".")
    sandbox.clients.rfc2136_send(update)
    backup_dir, report_dir = tmp_path / "backups", tmp_path / "report"
    vault = vault_file(tmp_path, {
        "aws": {"access_key": secrets.access_key, "secret_key": secrets.aws_secret_key,
                "session_token": SESSION_TOKEN, "endpoint_url": sandbox.endpoints["aws"]["endpoint_url"],
                "region": "us-east-1"},
        "vault_tsig_secret": secrets.tsig_secret, "vault_wrong_tsig_secret": WRONG_TSIG_SECRET})
    env = environment(sandbox, secrets, aws=False)  # the AWS secrets come from the vault file only

    run = run_verbose(os.path.join(HERE, "playbooks", "secrets_modules.yml"), tmp_path, env, {
        "target_id": seed["target_distribution_id"], "dns_server": sandbox.dns_server, "rfc2136": {
            "host": rfc["host"], "port": rfc["port"], "zone": rfc["zone"], "tsig": {"name": rfc["tsig"]["name"]}},
        "backup_dir": str(backup_dir), "report_dir": str(report_dir)}, vault, name="modules")

    assert run.returncode == 0, run.tail()
    assert "ok=15" in run.stdout and "failed=0" in run.stdout, run.tail()
    # The work was done: independent clients see it.
    target = seed["target_domain_name"]
    assert ask(sandbox_dns(sandbox), "secrets.example.com", "CNAME") == ("NOERROR", [target])
    assert ask(bind_dns(sandbox), "www." + rfc["zone"], "CNAME") == ("NOERROR", [target])
    assert ask(bind_dns(sandbox), "_www." + rfc["zone"], "TXT") == ("NOERROR", [target])
    files = written_files(backup_dir, report_dir)
    backups = [p for p in files if os.path.dirname(p) == str(backup_dir)]
    assert len(backups) == 3, backups
    for path in backups:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert set(os.listdir(str(report_dir))) == {"audit.json", "audit.md", "audit.html"}
    assert_hidden(secrets, dict({"stdout": run.stdout, "stderr": run.stderr, "the Ansible log": run.log}, **files))


def test_remediate_at_vvvv_with_every_secret_in_the_environment(sandbox, secrets, tmp_path):
    seed = sandbox.scenario("seed-409")
    env = environment(sandbox, secrets)

    run = run_verbose("aliasguard.cloudfront.remediate", tmp_path, env, {
        "alias": "www.example.com", "target_distribution_id": seed["target_distribution_id"],
        "dns_provider": "route53", "dns_zone": "example.com", "verify_nameservers": [sandbox.dns_server]})

    assert run.returncode == 0, run.tail()
    assert "VERIFIED" in run.stdout, run.tail()
    assert "WARNING: " not in run.stdout  # nothing was typed on the command line
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [seed["target_domain_name"]])
    assert_hidden(secrets, {"stdout": run.stdout, "stderr": run.stderr, "the Ansible log": run.log})


def test_remediate_at_vvvv_with_the_secrets_in_a_vault_file(sandbox, secrets, tmp_path):
    situation = sandbox.scenario("rfc2136")
    rfc = sandbox.endpoints["rfc2136"]
    vault = vault_file(tmp_path, {
        "aws": {"access_key": secrets.access_key, "secret_key": secrets.aws_secret_key,
                "session_token": SESSION_TOKEN},
        "rfc2136_key_secret": secrets.tsig_secret})
    env = environment(sandbox, secrets, aws=False, rfc2136=False)

    run = run_verbose("aliasguard.cloudfront.remediate", tmp_path, env, {
        "alias": situation["alias"], "target_distribution_id": situation["target_distribution_id"],
        "dns_provider": "rfc2136", "dns_zone": rfc["zone"], "rfc2136_server": rfc["host"],
        "rfc2136_port": rfc["port"], "rfc2136_key_name": rfc["tsig"]["name"],
        "verify_nameservers": ["%s:%d" % (rfc["host"], rfc["port"])]}, vault)

    assert run.returncode == 0, run.tail()
    assert "VERIFIED" in run.stdout, run.tail()
    assert "WARNING: " not in run.stdout  # a vault file is the recommended way, not a warning
    assert ask(bind_dns(sandbox), situation["alias"], "CNAME") == ("NOERROR", [situation["target_domain_name"]])
    assert_hidden(secrets, {"stdout": run.stdout, "stderr": run.stderr, "the Ansible log": run.log})


def test_audit_at_vvvv_with_every_secret_in_the_environment(sandbox, secrets, tmp_path):
    seed = sandbox.scenario("seed-409")
    add_cloudflare_zone(sandbox, "d0000000000000.cloudfront.net")  # dangling: the report has a finding
    report_dir = tmp_path / "report"
    env = environment(sandbox, secrets)

    run = run_verbose("aliasguard.cloudfront.audit", tmp_path, env, {
        "report_dir": str(report_dir), "cloudflare_zones": ["example.com"],
        "rfc2136_zones": [sandbox.endpoints["rfc2136"]["zone"]], "verify_nameservers": [sandbox.dns_server]},
        ["--check"])

    assert run.returncode == 0, run.tail()
    with open(str(report_dir / "audit.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    assert report["accounts"][0]["account_id"] == ACCOUNT and report["accounts"][0]["distributions"] == 2
    assert [f["name"] for f in report["findings"] if f.get("dns", {}).get("provider") == "cloudflare"] == [
        "www.example.com"], report["findings"]  # the Cloudflare zone was read with the token
    assert seed["holder"]["distribution_id"] in json.dumps(report["findings"])
    assert_hidden(secrets, dict({"stdout": run.stdout, "stderr": run.stderr, "the Ansible log": run.log},
                                **written_files(report_dir)))


@pytest.mark.parametrize("playbook, extra_vars, named", [
    ("remediate", {"rfc2136_key_secret": "c2VjcmV0"}, "rfc2136_key_secret"),
    ("remediate", {"aws": {"access_key": "AKIAEXAMPLE", "secret_key": "typed-secret"}}, "aws.secret_key"),
    ("audit", {"aws": {"session_token": "typed-token"}, "route53_zones": ["xn--zz.com"]}, "aws.session_token"),
], ids=["remediate-tsig", "remediate-aws", "audit-aws"])
def test_the_playbooks_warn_when_a_secret_was_typed_on_the_command_line(
        sandbox, secrets, playbook, extra_vars, named):
    # The runs stop early (no alias / a bad zone name) after the warning: only the warning matters here.
    env = environment(sandbox, secrets, aws=True, cloudflare=False, rfc2136=False)
    command = ansible_playbook_executable() + ["aliasguard.cloudfront." + playbook, "-e", json.dumps(extra_vars)]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False)
    output = completed.stdout + completed.stderr
    assert "WARNING: %s was given with -e on the command line" % named in output, output[-3000:]
    assert "ansible-vault" in output and "RFC2136_KEY_SECRET" in output


def test_no_warning_for_secrets_from_a_vault_file_or_names_that_are_not_secret(sandbox, secrets, tmp_path):
    vault = vault_file(tmp_path, {"rfc2136_key_secret": secrets.tsig_secret})
    env = environment(sandbox, secrets, aws=True, cloudflare=False, rfc2136=False)
    extra_vars = {"rfc2136_key_name": "update-key", "rfc2136_server": "ns1.example.net"}
    command = ansible_playbook_executable() + ["aliasguard.cloudfront.remediate", "-e", json.dumps(extra_vars)] + vault
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False)
    output = completed.stdout + completed.stderr
    assert "nothing to do" in output, output[-3000:]  # it ran, and stopped at the missing alias
    assert "WARNING: " not in output, output[-3000:]
