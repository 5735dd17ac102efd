"""The oldest ansible-core that meta/runtime.yml promises (``requires_ansible: ">=2.16.0"``), really run.

The rest of the suite runs on the ansible-core of requirements-dev.txt. Here a venv of its own
(``~/.cache/aliasguard/ansible-2.16-<hash>``, made from tests/compat/requirements-ansible-2.16.txt and
reused, across clones, while that file is unchanged) runs, on the newest 2.16 release: ansible-doc of every module, filter and role,
``ansible-playbook --syntax-check`` of every playbook, and the remediate playbook end to end against the
sandbox's seed-409 scenario (one run: the idempotence of a second run is the main suite's business), its
result checked with boto3 and dnspython from the test's own venv.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import dns.message
import dns.query
import dns.rdatatype
import pytest
import yaml

from conftest import ROOT, collections_path

REQUIREMENTS = os.path.join(ROOT, "tests", "compat", "requirements-ansible-2.16.txt")
CACHE = os.environ.get("ALIASGUARD_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "aliasguard")
ACCOUNT_1, ACCOUNT_2 = "111111111111", "222222222222"


def _pinned_core():
    with open(REQUIREMENTS, encoding="utf-8") as fh:
        for line in fh:
            match = re.match(r"ansible-core==(\S+)", line.strip())
            if match:
                return match.group(1)
    raise AssertionError("%s pins no ansible-core" % REQUIREMENTS)


@pytest.fixture(scope="module")
def floor():
    """The bin/ directory of the floor venv: one per content of the requirements file, kept outside the clone.

    Built once per machine (a lock keeps two runs from building it at once); one left half made (no stamp)
    is built again.
    """
    with open(REQUIREMENTS, "rb") as fh:
        want = hashlib.sha256(fh.read()).hexdigest()
    venv = os.path.join(CACHE, "ansible-2.16-%s" % want[:16])
    stamp = os.path.join(venv, ".requirements.sha256")
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, "ansible-2.16.lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        have = open(stamp, encoding="utf-8").read().strip() if os.path.exists(stamp) else None
        if have != want:
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            installed = subprocess.run(pip + ["-r", REQUIREMENTS], capture_output=True, text=True, check=False)
            assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
            with open(stamp, "w", encoding="utf-8") as fh:
                fh.write(want + "\n")
    return os.path.join(venv, "bin")


def _env(extra=None):
    environment = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_BASE_URL", "ANSIBLE_CONFIG"):
        environment.pop(var, None)
    environment.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(ROOT, "tests", "callback_plugins"),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
    })
    environment.update(extra or {})
    return environment


def _run(command, env=None):
    completed = subprocess.run(command, capture_output=True, text=True, env=_env(env), cwd=ROOT, timeout=600,
                               check=False)
    assert completed.returncode == 0, "%s failed (rc %d):\n%s\n%s" % (
        " ".join(command), completed.returncode, completed.stdout[-3000:], completed.stderr[-3000:])
    return completed.stdout


def _names(directory, suffix):
    return sorted("aliasguard.cloudfront." + name[:-len(suffix)] for name in os.listdir(os.path.join(ROOT, directory))
                  if name.endswith(suffix) and not name.startswith("_"))


def test_the_floor_is_the_one_runtime_yml_declares(floor):
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as fh:
        declared = yaml.safe_load(fh)["requires_ansible"]
    floor_version = re.fullmatch(r">=\s*(\d+)\.(\d+)\.\d+", declared)
    assert floor_version, "requires_ansible %r is not a '>=X.Y.Z' floor; update this test with it" % declared
    version = _run([os.path.join(floor, "ansible"), "--version"]).splitlines()[0]
    assert version == "ansible [core %s]" % _pinned_core(), version
    # The pinned 2.16 release must be the floor's minor series: raising requires_ansible means raising the pin.
    assert _pinned_core().split(".")[:2] == list(floor_version.groups()), (declared, _pinned_core())


def test_ansible_doc_renders_every_module_filter_and_role(floor):
    ansible_doc = os.path.join(floor, "ansible-doc")
    for plugin_type, directory, suffix in (("module", "plugins/modules", ".py"), ("filter", "plugins/filter", ".yml")):
        names = _names(directory, suffix)
        assert names, directory
        docs = json.loads(_run([ansible_doc, "--json", "-t", plugin_type] + names))
        assert sorted(docs) == names
        for name in names:
            doc = docs[name]["doc"]
            assert doc["short_description"] and doc["version_added"], name
            if plugin_type == "module":
                assert docs[name]["examples"] and docs[name]["return"] is not None, name
    roles = sorted("aliasguard.cloudfront." + r for r in os.listdir(os.path.join(ROOT, "roles")))
    docs = json.loads(_run([ansible_doc, "--json", "-t", "role"] + roles))
    assert sorted(docs) == roles
    assert all(docs[r]["entry_points"]["main"]["options"] for r in roles)
    # And the text a user reads, for one module: the plain `ansible-doc NAME` renderer of 2.16.
    text = _run([ansible_doc, "aliasguard.cloudfront.dns_cname_repoint"])
    assert "OPTIONS" in text and "EXAMPLES" in text and "RETURN VALUES" in text


def test_every_playbook_passes_the_syntax_check(floor):
    playbooks = _names("playbooks", ".yml")
    assert {"aliasguard.cloudfront.audit", "aliasguard.cloudfront.preflight", "aliasguard.cloudfront.remediate"} <= set(
        playbooks), playbooks
    for playbook in playbooks:
        output = _run([os.path.join(floor, "ansible-playbook"), "--syntax-check", playbook])
        assert "playbook: " in output, output


def _cname_at(sandbox, name):
    query = dns.message.make_query(name + ".", "CNAME")
    query.flags = 0
    response = dns.query.tcp(query, "127.0.0.1", port=sandbox.endpoints["dns"]["port"], timeout=5)
    return sorted(rdata.target.to_text().rstrip(".").lower()
                  for rrset in response.answer if rrset.rdtype == dns.rdatatype.CNAME for rdata in rrset)


def _aliases(sandbox):
    found = {}
    for account in (ACCOUNT_1, ACCOUNT_2):
        for page in sandbox.aws("cloudfront", account).get_paginator("list_distributions").paginate():
            for item in page["DistributionList"].get("Items", []):
                found[item["Id"]] = sorted(a.lower() for a in item["Aliases"].get("Items", []))
    return found


def test_remediate_fixes_the_runbooks_409_end_to_end(floor, sandbox):
    situation = sandbox.scenario("seed-409")
    alias, target = situation["alias"], situation["target_distribution_id"]
    holder = situation["holder"]["distribution_id"]
    assert situation["error"]["code"] == "CNAMEAlreadyExists"
    extra_vars = {"alias": alias, "target_distribution_id": target, "dns_provider": "route53",
                  "dns_zone": situation["dns"]["zone"], "verify_nameservers": [sandbox.dns_server],
                  "verify_timeout": 20}
    command = [os.path.join(floor, "ansible-playbook"), "aliasguard.cloudfront.remediate", "-e", json.dumps(extra_vars)]
    # The playbook runs its modules with the Python of ansible-playbook: the floor venv's, with its boto3.
    env = dict(sandbox.aws_env(ACCOUNT_1), ANSIBLE_STDOUT_CALLBACK="test_json")

    mark = sandbox.log_mark()
    first = json.loads(_run(command, env))
    assert first["stats"]["localhost"]["failures"] == 0 and first["stats"]["localhost"]["changed"] > 0, first["stats"]
    # The four steps ran on 2.16: the alias moved to the target only, DNS leads to it, the TXT record is gone.
    aliases = _aliases(sandbox)
    assert [d for d, names in aliases.items() if alias in names] == [target]
    assert alias not in aliases[holder]
    assert _cname_at(sandbox, alias) == [situation["target_domain_name"]]
    assert _cname_at(sandbox, "_" + alias) == [] and not [
        r for r in sandbox.aws("route53").list_resource_record_sets(HostedZoneId=situation["dns"]["zone_id"])[
            "ResourceRecordSets"] if r["Type"] == "TXT"]
    assert {r["operation"] for r in sandbox.mutating_since(mark)} >= {"AssociateAlias", "ChangeResourceRecordSets"}
    # Read back the way Terraform would before its update: the target's own configuration has the alias.
    config = sandbox.aws("cloudfront").get_distribution_config(Id=target)
    assert alias in [a.lower() for a in config["DistributionConfig"]["Aliases"].get("Items", [])]


def test_the_dns_mapping_reaches_the_dns_tasks_through_the_dns_action_group(floor, sandbox):
    """module_defaults with the collection's action group (group/aliasguard.cloudfront.dns), templated per loop
    item, on 2.16 too: no CLOUDFLARE_* variable is set, so the token and the API's address can only come from
    the role's cname_remediation_dns mapping."""
    situation = sandbox.scenario("cloudflare")
    alias, target = situation["alias"], situation["target_distribution_id"]
    cloudflare = sandbox.endpoints["cloudflare"]
    extra_vars = {"inclusion_aliases": [{"alias": alias, "target_distribution_id": target,
                                         "dns_zone": situation["dns"]["zone"]}],
                  "inclusion_dns": {"provider": "cloudflare", "api_token": cloudflare["api_token"],
                                    "base_url": cloudflare["base_url"]},
                  "inclusion_nameservers": [sandbox.dns_server]}
    playbook = os.path.join(ROOT, "tests", "integration", "playbooks", "include_remediation.yml")
    command = [os.path.join(floor, "ansible-playbook"), playbook, "-e", json.dumps(extra_vars)]
    output = _run(command, dict(sandbox.aws_env(ACCOUNT_1), ANSIBLE_STDOUT_CALLBACK="test_json"))
    assert cloudflare["api_token"] not in output
    stats = json.loads(output)["stats"]["localhost"]
    assert stats["failures"] == 0 and stats["changed"] > 0, stats
    assert [d for d, names in _aliases(sandbox).items() if alias in names] == [target]
    assert _cname_at(sandbox, alias) == [situation["target_domain_name"]]
