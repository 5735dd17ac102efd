"""The bad-input corpus: every module option and both playbooks, against the sandbox (issue 8).

The cases live in bad_input_cases.yml: each is a valid call with one thing wrong, run for real (not in
check mode) where the valid call would change something. Each must fail with a message that names the
problem, with no traceback, and the whole corpus must not send one mutating request.

To stay fast, the module cases run in one ansible-playbook: one task per module looping over its
cases, spread over a few local "worker" hosts that Ansible runs in parallel. The playbook cases need an
ansible-playbook each; they run two at a time.

The tests after the corpus show the other side of the same fixes: host names work wherever an address
does, a target of the account (or any target with allow_any_target) is accepted, backups are 0600.
"""

import concurrent.futures
import json
import os
import stat

import pytest
import yaml

from conftest import ROOT, run_playbook
from repoint_helpers import ACCOUNT, Repoint, ask, bind_dns, route53_sets, sandbox_dns

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_FILE = os.path.join(HERE, "bad_input_cases.yml")
WORKERS = 3
# A message that says nothing: what an uncaught exception looks like to the user.
SILENT = ("Module failed.", "Task failed: Module failed.", "MODULE FAILURE", "MODULE FAILURE\nSee stdout/stderr for the exact error")
# glibc: fail name lookups fast where no DNS answers (the corpus resolves names that must not exist).
FAST_RESOLVER = {"RES_OPTIONS": "timeout:1 attempts:1", "AWS_EC2_METADATA_DISABLED": "true"}


def load_cases():
    with open(CASES_FILE, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    module_cases = [(module, case) for module, cases in data["modules"].items() for case in cases]
    playbook_cases = [(playbook, case) for playbook, cases in data["playbooks"].items() for case in cases]
    return module_cases, playbook_cases


MODULE_CASES, PLAYBOOK_CASES = load_cases()


def test_the_corpus_has_at_least_150_cases_and_unique_ids():
    ids = ["%s/%s" % (m, c["id"]) for m, c in MODULE_CASES] + ["%s/%s" % (p, c["id"]) for p, c in PLAYBOOK_CASES]
    assert len(ids) >= 150, len(ids)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    modules = set(m for m, unused in MODULE_CASES)
    shipped = set(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules")) if f.endswith(".py"))
    assert modules == shipped, "every module has cases"
    assert set(p for p, unused in PLAYBOOK_CASES) == {"remediate", "audit"}


def fill(value, values):
    """Put the sandbox's values in place of ${name} (a whole "${port}" keeps its type)."""
    if isinstance(value, dict):
        return dict((k, fill(v, values)) for k, v in value.items())
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}") and value[2:-1] in values:
            return values[value[2:-1]]
        for key, replacement in values.items():
            value = value.replace("${%s}" % key, str(replacement))
        assert "${" not in value, "unknown placeholder in %r" % value
    return value


# -- the situation every case would change -----------------------------------------------------

@pytest.fixture(scope="module")
def situation(sandbox, tmp_path_factory):
    return build_situation(sandbox, tmp_path_factory.mktemp("bad-input"))


def build_situation(sandbox, files):
    """seed-409 (www.example.com at Route 53 -> the holder), and the same name at Cloudflare and BIND."""
    sandbox.faults(off=True)
    seed = sandbox.scenario("seed-409")
    clients = sandbox.clients
    from sandbox import scenarios

    zone = clients.cloudflare("POST", "/zones", {"name": "example.com", "type": "full",
                                                 "account": {"id": sandbox.endpoints["cloudflare"]["account_id"]}})
    clients.cloudflare("POST", "/zones/%s/dns_records" % zone["id"], {
        "type": "CNAME", "name": "www.example.com", "content": seed["holder"]["domain_name"], "ttl": 1,
        "proxied": False})
    rfc = sandbox.endpoints["rfc2136"]
    update = clients.rfc2136_update()
    update.delete("www")
    update.add("www", 300, "CNAME", seed["holder"]["domain_name"] + ".")
    clients.rfc2136_send(update)
    # A target whose certificate covers the BIND zone, for the remediate playbook's RFC 2136 case.
    cert = scenarios.certificate(clients.aws("acm"), rfc["zone"], ["*." + rfc["zone"]])
    bind_target = scenarios.create_distribution(clients.aws("cloudfront"), "bad-input-bind", cert_arn=cert)

    a_file = files / "a-file"
    a_file.write_text("not a directory\n")
    not_a_backup = files / "not-a-backup.json"
    not_a_backup.write_text(json.dumps({"hello": "world"}))
    cf_backup = files / "cf-backup.json"
    cf_backup.write_text(json.dumps({"format": "aliasguard.cloudfront/dns-backup/1", "provider": "cloudflare",
                                     "created": "x", "names": []}))
    damaged = files / "damaged.json"
    damaged.write_text(json.dumps({"format": "aliasguard.cloudfront/dns-backup/1", "provider": "route53",
                                   "created": "x", "names": [{"zone": "example.com"}]}))
    values = {
        "target_id": seed["target_distribution_id"], "target_domain": seed["target_domain_name"],
        "holder_domain": seed["holder"]["domain_name"], "bind_target_id": bind_target["id"],
        "cf_base_url": sandbox.endpoints["cloudflare"]["base_url"], "cf_token": sandbox.endpoints["cloudflare"]["api_token"],
        "bind_host": rfc["host"], "bind_port": rfc["port"], "bind_zone": rfc["zone"],
        "tsig_name": rfc["tsig"]["name"], "tsig_secret": rfc["tsig"]["secret"],
        "dns_server": sandbox.dns_server, "dns_port": sandbox.endpoints["dns"]["port"],
        "not_a_dir": str(a_file / "sub"), "not_a_backup": str(not_a_backup), "cf_backup": str(cf_backup),
        "damaged_backup": str(damaged),
    }
    return {"seed": seed, "values": values, "files": files, "cloudflare_zone_id": zone["id"]}


def corpus_playbook(directory, module_cases, values):
    """One play over WORKERS local hosts; per module one task looping over that host's share of the cases."""
    hosts = {}
    for index, (module, case) in enumerate(module_cases):
        worker = "worker%d" % (index % WORKERS)
        hosts.setdefault(worker, {"ansible_connection": "local", "corpus": {}})
        hosts[worker]["corpus"].setdefault(module, []).append(
            {"id": case["id"], "args": fill(case["args"], values), "env": case.get("env") or {}})
    inventory = directory / "workers.yml"
    inventory.write_text(yaml.safe_dump({"workers": {"hosts": hosts}}))
    tasks = []
    for module in sorted(set(m for m, unused in module_cases)):
        tasks.append({
            "name": module,
            "aliasguard.cloudfront.%s" % module: None,
            "args": "{{ item.args }}",
            "environment": "{{ item.env }}",
            "loop": "{{ corpus['%s'] | default([]) }}" % module,
            "loop_control": {"label": "{{ item.id }}"},
            "ignore_errors": True,
        })
    playbook = directory / "corpus.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "The bad-input corpus", "hosts": "workers", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, "tasks": tasks}]))
    return str(playbook), str(inventory)


def run_playbook_case(sandbox, situation, playbook, case, directory):
    args = []
    if case.get("inventory"):
        inventory = directory / ("inventory-%s.yml" % case["id"])
        inventory.write_text(yaml.safe_dump(case["inventory"]))
        args = ["-i", str(inventory)]
    env = dict(sandbox.aws_env(ACCOUNT), **FAST_RESOLVER)
    return run_playbook("aliasguard.cloudfront.%s" % playbook, fill(case["extra_vars"], situation["values"]),
                        env=env, args=args)


@pytest.fixture(scope="module")
def corpus(sandbox, situation, tmp_path_factory):
    return run_corpus(sandbox, situation, tmp_path_factory.mktemp("corpus"), MODULE_CASES, PLAYBOOK_CASES)


def run_corpus(sandbox, situation, directory, module_cases, playbook_cases):
    """Run every case once; {"module/id": result} and {"playbook/id": PlaybookRun}, and the requests sent."""
    mark = sandbox.log_mark()
    playbook, inventory = corpus_playbook(directory, module_cases, situation["values"])
    env = dict(sandbox.aws_env(ACCOUNT), ANSIBLE_FORKS=str(WORKERS), ANSIBLE_PIPELINING="true", **FAST_RESOLVER)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = dict((pool.submit(run_playbook_case, sandbox, situation, name, case, directory),
                        "%s/%s" % (name, case["id"])) for name, case in playbook_cases)
        modules_run = run_playbook(playbook, env=env, args=["-i", inventory])
        playbooks = dict((futures[f], f.result()) for f in futures)
    results = {}
    for entry in modules_run.results:
        for item in entry["result"].get("results", []):
            results["%s/%s" % (entry["task"], item["item"]["id"])] = item
    return {"modules": results, "playbooks": playbooks, "requests": sandbox.requests_since(mark),
            "run": modules_run}


def assert_explains(message, expect, where):
    assert message and message.strip() not in SILENT, "%s: no reason given: %r" % (where, message)
    assert "Traceback" not in message, "%s: %s" % (where, message)
    missing = [text for text in expect if text not in message]
    assert not missing, "%s: the message does not say %s:\n%s" % (where, missing, message)


@pytest.mark.parametrize("module, case", MODULE_CASES, ids=["%s/%s" % (m, c["id"]) for m, c in MODULE_CASES])
def test_module_refuses_bad_input_and_says_why(corpus, module, case):
    where = "%s/%s" % (module, case["id"])
    assert where in corpus["modules"], "case did not run:\n%s" % corpus["run"].stderr[-3000:]
    result = corpus["modules"][where]
    assert result.get("failed") is True, "%s was accepted: %s" % (where, json.dumps(result)[:2000])
    assert "Traceback" not in json.dumps(result), "%s: %s" % (where, json.dumps(result)[:4000])
    assert not result.get("module_stderr"), "%s crashed: %s" % (where, result.get("module_stderr"))
    assert result.get("changed") in (False, None), where
    assert_explains(result.get("msg", ""), case["expect"], where)


@pytest.mark.parametrize("playbook, case", PLAYBOOK_CASES, ids=["%s/%s" % (p, c["id"]) for p, c in PLAYBOOK_CASES])
def test_playbook_refuses_bad_input_and_says_why(corpus, playbook, case):
    where = "%s/%s" % (playbook, case["id"])
    run = corpus["playbooks"][where]
    assert run.returncode != 0, "%s was accepted" % where
    assert "Traceback" not in run.stdout + run.stderr, "%s:\n%s" % (where, (run.stdout + run.stderr)[-4000:])
    failures = [r["result"] for r in run.results if r["result"].get("failed") and not r["result"].get("skipped")]
    failures += [i for r in run.results for i in r["result"].get("results", []) if i.get("failed")]
    messages = "\n".join(str(f.get("msg", "")) for f in failures) + "\n" + run.stderr
    assert_explains(messages, case["expect"], where)


def test_the_corpus_sends_no_mutating_request(corpus):
    mutating = [e for e in corpus["requests"] if e["mutating"]]
    assert mutating == [], "bad input changed something: %s" % json.dumps(mutating, indent=1)


def test_the_corpus_left_every_record_as_it_was(sandbox, corpus, situation):
    seed = situation["seed"]
    holder = seed["holder"]["domain_name"]
    assert ask(sandbox_dns(sandbox), "www.example.com", "CNAME") == ("NOERROR", [holder])
    assert ask(bind_dns(sandbox), "www." + sandbox.endpoints["rfc2136"]["zone"], "CNAME") == ("NOERROR", [holder])
    zone_id = seed["dns"]["zone_id"]
    assert [s["Type"] for s in route53_sets(sandbox, zone_id, "example.com")
            if s["Name"] == "example.com." and s["Type"] in ("A", "AAAA")] == []


# -- what the fixes allow ----------------------------------------------------------------------

def test_a_nameserver_given_by_host_name_is_asked(sandbox, corpus, situation):
    """localhost:PORT, the form the module docs show, reaches the sandbox DNS (it crashed before)."""
    seed = situation["seed"]
    by_name = "localhost:%d" % sandbox.endpoints["dns"]["port"]
    run = run_playbook(os.path.join(HERE, "playbooks", "conflict_info.yml"),
                       {"target_distribution_id": seed["target_distribution_id"], "alias_names": ["www.example.com"],
                        "nameservers": [by_name]}, env=dict(sandbox.aws_env(ACCOUNT), **FAST_RESOLVER))
    result = run.task("Find the holders")
    assert run.returncode == 0, json.dumps(result)[:3000]
    dns = result["aliases"][0]["dns"]
    assert dns["values"] == [seed["holder"]["domain_name"]] and not dns.get("error"), dns


def test_an_rfc2136_server_given_by_host_name_is_updated(sandbox, corpus, situation):
    seed = situation["seed"]
    rfc = sandbox.endpoints["rfc2136"]
    mark = sandbox.log_mark()
    run = Repoint(sandbox).run("rfc2136", server="localhost", zone=rfc["zone"], name="www." + rfc["zone"],
                               target=seed["target_domain_name"], env=FAST_RESOLVER)
    assert run.returncode == 0, run.explain()
    assert ask(bind_dns(sandbox), "www." + rfc["zone"], "CNAME") == ("NOERROR", [seed["target_domain_name"]])
    mutating = sandbox.mutating_since(mark)
    assert mutating and set(e["service"] for e in mutating) == {"rfc2136"}, mutating


def test_a_host_outside_cloudfront_is_accepted_when_asked_for(sandbox, corpus, situation):
    zone_id = situation["seed"]["dns"]["zone_id"]
    run = Repoint(sandbox).run("route53", zone="example.com", name="legacy.example.com", target="origin.example.org",
                               allow_any_target=True)
    assert run.returncode == 0, run.explain()
    assert [r["Value"] for s in route53_sets(sandbox, zone_id, "legacy.example.com")
            for r in s.get("ResourceRecords", [])] == ["origin.example.org"]


def test_backup_files_are_readable_by_their_owner_only(sandbox, corpus, situation, tmp_path):
    seed = situation["seed"]
    run = Repoint(sandbox).run("route53", zone="example.com", name="www.example.com",
                               target=seed["target_distribution_id"], backup=True, backup_dir=str(tmp_path / "b"))
    assert run.returncode == 0, run.explain()
    backup = run.result["backup_file"]
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(tmp_path / "b")).st_mode) == 0o700
