"""Google Cloud DNS (provider google) end to end: real ansible-playbook against the sandbox's Cloud DNS part.

The final state is checked with clients that share no code with the collection: the official google-cloud-dns
client for the managed zone, boto3 for the distributions, dnspython against the sandbox DNS; the request log for
what was sent. Lean on purpose (CI is near its time limit): seven playbook runs, cases that can share a run
share it and are asserted one by one.
"""

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dns.message
import dns.query
import dns.rdatatype
import pytest
import yaml
from google.cloud import dns as gdns
from google.oauth2.credentials import Credentials

from conftest import ROOT, collections_path, run_playbook

ACCOUNT_1 = "111111111111"
ROLE = "aliasguard.cloudfront.cname_remediation : "


# -- independent views: the official client, boto3, dnspython -------------------------------------------------------


def official_zone(sandbox):
    g = sandbox.endpoints["google"]
    client = gdns.Client(project=g["project"], credentials=Credentials(token=g["token"]),
                         client_options={"api_endpoint": g["base_url"]})
    return client.zone("example-com", "example.com.")


def record_sets(sandbox):
    """{(name, type): (ttl, rrdatas)} of the managed zone, as the official client lists it."""
    return dict(((r.name, r.record_type), (r.ttl, sorted(r.rrdatas)))
                for r in official_zone(sandbox).list_resource_record_sets())


def cname_answer(sandbox, name):
    query = dns.message.make_query(name, "CNAME")
    response = dns.query.udp(query, sandbox.endpoints["dns"]["host"], port=sandbox.endpoints["dns"]["port"], timeout=5)
    return [r.to_text() for rrset in response.answer if rrset.rdtype == dns.rdatatype.CNAME for r in rrset]


def holders_of(sandbox, alias):
    found = []
    for account in sandbox.endpoints["aws"]["accounts"]:
        cloudfront = sandbox.aws("cloudfront", account)
        for page in cloudfront.get_paginator("list_distributions").paginate():
            for item in page.get("DistributionList", {}).get("Items", []):
                if alias in (item.get("Aliases") or {}).get("Items", []):
                    found.append(item["Id"])
    return sorted(found)


def google_env(sandbox, **more):
    g = sandbox.endpoints["google"]
    env = sandbox.aws_env(ACCOUNT_1)
    env.update({"GCP_PROJECT": g["project"], "GOOGLE_OAUTH_ACCESS_TOKEN": g["token"],
                "GOOGLE_DNS_BASE_URL": g["base_url"]})
    env.update(more)
    return env


def failure_of(run):
    return " ".join(r["result"].get("msg", "") for r in run.results if r["result"].get("failed"))


def playbook(tmp_path, name, tasks):
    path = tmp_path / name
    path.write_text(yaml.safe_dump([{"name": name, "hosts": "localhost", "connection": "local",
                                     "gather_facts": False, "tasks": tasks}], sort_keys=False))
    return str(path)


def repoint_task(title, **options):
    args = {"provider": "google", "zone": "example.com", "name": "www.example.com"}
    args.update(options)
    return {"name": title, "aliasguard.cloudfront.dns_cname_repoint": args, "ignore_errors": True}


@pytest.fixture
def google(sandbox):
    """The google scenario: www.example.com CNAME to the holder in managed zone example-com; the target is free."""
    return sandbox.scenario("google")


# -- the runbook, end to end -----------------------------------------------------------------------------------------


def test_the_runbook_remediation_with_cloud_dns_checks_first_then_fixes_then_changes_nothing(sandbox, google):
    holder, target = google["holder"], google["target_domain_name"]
    extra = {"alias": "www.example.com", "target_distribution_id": google["target_distribution_id"],
             "dns_provider": "google", "dns_zone": "example.com", "verify_nameservers": [sandbox.dns_server],
             "verify_timeout": 20}
    before = record_sets(sandbox)
    assert before[("www.example.com.", "CNAME")] == (300, [holder["domain_name"] + "."])

    mark = sandbox.log_mark()
    run = run_playbook("aliasguard.cloudfront.remediate", extra, env=google_env(sandbox), check=True, diff=True)
    assert run.returncode == 0, failure_of(run) + run.stderr[-3000:]
    assert sandbox.mutating_since(mark) == []
    summary = "\n".join(run.task(ROLE + "Summary")["msg"])
    assert "check mode: nothing was changed" in summary
    assert "repoint www.example.com" in summary and target in summary
    assert any(e["service"] == "google" for e in sandbox.requests_since(mark)), "check mode never read Cloud DNS"
    assert record_sets(sandbox) == before

    # The project through the role's one mapping of DNS options (module_defaults, group dns), the token from the
    # environment (a secret never goes after -e).
    extra["cname_remediation_dns"] = {"provider": "google", "project": google["dns"]["project"],
                                      "managed_zone": google["dns"]["managed_zone"]}
    env = google_env(sandbox)
    del env["GCP_PROJECT"]
    mark = sandbox.log_mark()
    run = run_playbook("aliasguard.cloudfront.remediate", extra, env=env)
    assert run.returncode == 0, failure_of(run) + run.stderr[-3000:]
    after = record_sets(sandbox)
    assert after[("www.example.com.", "CNAME")][1] == [target + "."]
    assert not [key for key in after if key[1] == "TXT"], "the move's TXT record was left in the zone"
    assert holders_of(sandbox, "www.example.com") == [google["target_distribution_id"]]
    assert cname_answer(sandbox, "www.example.com") == [target + "."]
    writes = [(e["service"], e["operation"]) for e in sandbox.mutating_since(mark) if e["service"] == "google"]
    assert writes and set(writes) == {("google", "changes.create")}

    mark = sandbox.log_mark()
    run = run_playbook("aliasguard.cloudfront.remediate", extra, env=env)
    assert run.returncode == 0, failure_of(run)
    assert [r["task"] for r in run.results if r["result"].get("changed")] == []
    assert sandbox.mutating_since(mark) == []
    assert record_sets(sandbox) == after


def test_the_audit_reads_google_zones_and_finds_the_record_that_points_elsewhere(sandbox, google, tmp_path):
    # DNS now leads to the target while the holder still holds the name: the 409 waiting to happen.
    zone = official_zone(sandbox)
    holder, target = google["holder"]["domain_name"], google["target_domain_name"]
    change = zone.changes()
    change.delete_record_set(zone.resource_record_set("www.example.com.", "CNAME", 300, [holder + "."]))
    change.add_record_set(zone.resource_record_set("www.example.com.", "CNAME", 300, [target + "."]))
    change.create()
    env = google_env(sandbox)
    del env["GCP_PROJECT"]  # given as google_project instead: the <provider>_<option> variables reach the module
    mark = sandbox.log_mark()
    run = run_playbook("aliasguard.cloudfront.audit", {
        "report_dir": str(tmp_path), "google_zones": ["example.com"], "google_project": google["dns"]["project"],
        "verify_nameservers": [sandbox.dns_server]}, env=env, check=True)
    assert run.returncode == 0, failure_of(run) + run.stderr[-3000:]
    report = json.loads((tmp_path / "audit.json").read_text())
    assert [(s["provider"], s["zone"]) for s in report["dns_sources"]] == [("google", "example.com")]
    found = [f for f in report["findings"] if f["name"] == "www.example.com"]
    assert [f["kind"] for f in found] == ["dns_points_elsewhere"], report["findings"]
    assert google["holder"]["distribution_id"] in json.dumps(found[0])
    requests = sandbox.requests_since(mark)
    assert [e for e in requests if e["mutating"]] == []
    read = {e["operation"] for e in requests if e["service"] == "google"}
    assert read == {"managedZones.list", "resourceRecordSets.list"}


# -- what must stop before any change --------------------------------------------------------------------------------


def test_bad_input_fails_clearly_and_changes_nothing(sandbox, google, tmp_path):
    # A google package without auth/oauth2 first on PYTHONPATH: google-auth is absent for the module that needs it.
    shadow = tmp_path / "no-google-auth"
    for part in ("auth", "oauth2"):
        (shadow / "google" / part).mkdir(parents=True)
        (shadow / "google" / part / "__init__.py").write_text("raise ImportError('google-auth is not installed')\n")
    target = google["target_domain_name"]
    tasks = [
        repoint_task("unknown project", target=target, project="no-such-project"),
        repoint_task("zone not found", target=target, zone="example.org", name="www.example.org"),
        repoint_task("token refused", target=target, access_token="ya29.not-the-token"),
        repoint_task("apex", target=target, name="example.com"),
        dict(repoint_task("google-auth missing", target=target, auth_kind="serviceaccount",
                          service_account_file=str(tmp_path / "key.json")), environment={"PYTHONPATH": str(shadow)}),
    ]
    before = record_sets(sandbox)
    mark = sandbox.log_mark()
    run = run_playbook(playbook(tmp_path, "bad.yml", tasks), env=google_env(sandbox))
    assert run.returncode == 0, run.stderr[-3000:]  # ignore_errors: every case is asserted below
    messages = {}
    for case in ("unknown project", "zone not found", "token refused", "apex", "google-auth missing"):
        result = run.task(case)
        assert result.get("failed") and not result.get("changed"), (case, result)
        messages[case] = result["msg"]
    assert "HTTP 403" in messages["unknown project"] and "project 'no-such-project'" in messages["unknown project"]
    assert "no Cloud DNS managed zone for example.org" in messages["zone not found"]
    assert "HTTP 401" in messages["token refused"] and "GOOGLE_OAUTH_ACCESS_TOKEN" in messages["token refused"]
    assert "ya29.not-the-token" not in run.stdout + run.stderr
    assert "is the apex of the zone example.com" in messages["apex"] and "Route 53" in messages["apex"]
    assert messages["google-auth missing"].startswith("Failed to import the required Python library (google-auth)")
    assert run.task("google-auth missing").get("error_code") == "MissingLibrary"
    assert sandbox.mutating_since(mark) == []
    assert record_sets(sandbox) == before


class _EditingProxy(BaseHTTPRequestHandler):
    """Forwards to the sandbox's Cloud DNS; right before the first change it forwards, someone else edits the record
    (the official client): the module's change is then made against records that changed since it read them."""

    upstream = None
    edit = None

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
        if self.command == "POST" and self.path.endswith("/changes") and self.edit is not None:
            type(self).edit, edit = None, self.edit
            edit()
        headers = dict((k, v) for k, v in self.headers.items() if k.lower() in ("authorization", "content-type"))
        request = urllib.request.Request(self.upstream + self.path, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _forward

    def log_message(self, *unused):
        pass


def test_a_record_edited_between_read_and_write_is_refused_whole(sandbox, google, tmp_path):
    holder, target = google["holder"]["domain_name"], google["target_domain_name"]

    def someone_else_edits():
        zone = official_zone(sandbox)
        change = zone.changes()
        change.delete_record_set(zone.resource_record_set("www.example.com.", "CNAME", 300, [holder + "."]))
        change.add_record_set(zone.resource_record_set("www.example.com.", "CNAME", 120, [holder + "."]))
        change.create()

    handler = type("Proxy", (_EditingProxy,), {"upstream": sandbox.endpoints["google"]["base_url"],
                                               "edit": staticmethod(someone_else_edits)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        mark = sandbox.log_mark()
        run = run_playbook(playbook(tmp_path, "stale.yml", [repoint_task("repoint", target=target)]),
                           env=google_env(sandbox, GOOGLE_DNS_BASE_URL="http://127.0.0.1:%d" % server.server_port))
    finally:
        server.shutdown()
        server.server_close()
    result = run.task("repoint")
    assert result.get("failed") and not result.get("changed"), result
    assert "nothing in it was changed" in result["msg"] and "changed since it was read" in result["msg"]
    assert result.get("error_code") == "ConcurrentChange"
    writes = [(e["operation"], e["status"]) for e in sandbox.mutating_since(mark) if e["service"] == "google"]
    assert writes == [("changes.create", 200), ("changes.create", 412)]  # the other editor's, then ours refused
    assert record_sets(sandbox)[("www.example.com.", "CNAME")] == (120, [holder + "."])
    assert cname_answer(sandbox, "www.example.com") == [holder + "."]


def test_rate_limits_are_retried_and_the_token_never_shows_at_vvv(sandbox, google, tmp_path):
    """What a person sees (the default callback at -vvv --diff) while Cloud DNS answers 429 rateLimitExceeded."""
    target = google["target_domain_name"]
    token = sandbox.endpoints["google"]["token"]
    path = playbook(tmp_path, "throttled.yml", [dict(repoint_task("repoint", target=target), ignore_errors=False)])
    env = dict(os.environ)
    for key in ("ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_STDOUT_CALLBACK"):
        env.pop(key, None)
    env.update(google_env(sandbox))
    env.update({"ANSIBLE_COLLECTIONS_PATH": collections_path(), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_LOCALHOST_WARNING": "false",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"})
    sandbox.faults(throttle=0.4, seed=1)
    try:
        mark = sandbox.log_mark()
        completed = subprocess.run([os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), path, "-vvv", "--diff"],
                                   capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False)
    finally:
        sandbox.faults(off=True)
    output = completed.stdout + completed.stderr
    assert token not in output, "the access token appeared in the playbook output"
    assert completed.returncode == 0, output[-4000:]
    requests = [e for e in sandbox.requests_since(mark) if e["service"] == "google"]
    assert any(e["status"] == 429 for e in requests), "the faults threw no 429 to retry"
    assert [e["status"] for e in requests if e["operation"] == "changes.create"].count(200) == 1
    assert record_sets(sandbox)[("www.example.com.", "CNAME")][1] == [target + "."]
    assert cname_answer(sandbox, "www.example.com") == [target + "."]
