"""The sandbox's command line and endpoints.json, as SANDBOX.md promises them.

Every command runs as a real subprocess (``.venv/bin/python -m sandbox ...``)
on a state dir of its own, next to the session's sandbox, so these tests also
prove that two sandboxes run side by side.
"""

import json
import os
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from sandbox.scenarios import Clients, cname, create_distribution, hosted_zone, observed_error, route53_change

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
ACCOUNTS = ("111111111111", "222222222222")
SEED_MESSAGE = "incorrectly configured DNS record that points to another CloudFront distribution"
NO_RETRY = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})


def run_cli(*args, state_dir, timeout=120):
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    completed = subprocess.run(check=False, args=[PYTHON, "-m", "sandbox", *args, "--state-dir", str(state_dir)],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, "sandbox %s failed (rc %d):\n%s\n%s" % (
        args[0], completed.returncode, completed.stdout, completed.stderr)
    return completed.stdout


def read_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def is_gone(pid):
    """True when the pid runs no more (a zombie nobody reaped counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def stop_leftovers(pids):
    # Only for a failed test: the pids are processes this module started.
    for pid in pids:
        if not is_gone(pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def dns_query(endpoints, name, rdtype="CNAME"):
    query = dns.message.make_query(name, rdtype)
    return dns.query.udp(query, endpoints["dns"]["host"], port=endpoints["dns"]["port"], timeout=5)


class Started:
    """A sandbox this module started: its state dir, endpoints.json and pids.json."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.endpoints = read_json(os.path.join(state_dir, "endpoints.json"))
        self.pids = read_json(os.path.join(state_dir, "pids.json"))
        self.clients = Clients(self.endpoints)

    def aws(self, service, account=ACCOUNTS[0], config=None):
        if config is None:
            return self.clients.aws(service, account)
        creds = self.endpoints["aws"]["accounts"][account]
        return boto3.client(service, endpoint_url=self.endpoints["aws"]["endpoint_url"], region_name="us-east-1",
                            aws_access_key_id=creds["access_key_id"],
                            aws_secret_access_key=creds["secret_access_key"], config=config)

    def dns(self, name, rdtype="CNAME"):
        return dns_query(self.endpoints, name, rdtype)


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    """A second sandbox, started and stopped through the command line."""
    state_dir = str(tmp_path_factory.mktemp("second-sandbox"))
    run_cli("up", "--deploy-seconds", "0.5", "--insync-seconds", "0.5", "--ttl-scale", "0", state_dir=state_dir)
    started = Started(state_dir)
    try:
        yield started
    finally:
        run_cli("down", state_dir=state_dir)
        stop_leftovers(started.pids.values())


def ports_of(endpoints):
    return {
        "aws": urllib.parse.urlsplit(endpoints["aws"]["endpoint_url"]).port,
        "cloudflare": urllib.parse.urlsplit(endpoints["cloudflare"]["base_url"]).port,
        "dns": endpoints["dns"]["port"],
        "rfc2136": endpoints["rfc2136"]["port"],
    }


def listening_sockets(pid):
    """(local address, port, proto) of every TCP listener and bound UDP socket the process holds."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for proto in ("tcp", "udp", "tcp6", "udp6"):
        with open("/proc/net/" + proto, encoding="ascii") as fh:
            next(fh)
            for line in fh:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if inode not in inodes:
                    continue
                if proto.startswith("tcp") and state != "0A":  # only LISTEN for TCP
                    continue
                address, port = local.split(":")
                found.append((address, int(port, 16), proto))
    return found


# --------------------------------------------------------------------------


def test_up_writes_endpoints_json_with_the_documented_shape(second):
    endpoints = second.endpoints
    state_dir = os.path.realpath(second.state_dir)

    assert {"aws", "cloudflare", "dns", "rfc2136", "request_log"} <= set(endpoints)
    aws = endpoints["aws"]
    assert {"endpoint_url", "region", "accounts"} <= set(aws)
    assert aws["endpoint_url"].startswith("http://127.0.0.1:")
    assert aws["region"] == "us-east-1"
    assert set(aws["accounts"]) == set(ACCOUNTS)
    for creds in aws["accounts"].values():
        assert {"access_key_id", "secret_access_key"} <= set(creds)
        assert creds["access_key_id"] and creds["secret_access_key"]
    assert len({c["access_key_id"] for c in aws["accounts"].values()}) == 2
    cloudflare = endpoints["cloudflare"]
    assert {"base_url", "api_token"} <= set(cloudflare)
    assert cloudflare["base_url"].startswith("http://127.0.0.1:") and cloudflare["base_url"].endswith("/client/v4")
    assert cloudflare["api_token"]
    assert endpoints["dns"]["host"] == "127.0.0.1" and isinstance(endpoints["dns"]["port"], int)
    rfc = endpoints["rfc2136"]
    assert {"host", "port", "zone", "tsig"} <= set(rfc)
    assert rfc["host"] == "127.0.0.1" and isinstance(rfc["port"], int) and rfc["zone"]
    assert set(rfc["tsig"]) == {"name", "algorithm", "secret"}
    assert rfc["tsig"]["algorithm"] == "hmac-sha256"
    assert os.path.dirname(os.path.realpath(endpoints["request_log"])) == state_dir
    assert os.path.basename(endpoints["request_log"]) == "requests.jsonl"


def test_every_port_differs_and_is_bound_on_loopback_only(second, sandbox):
    ours, theirs = ports_of(second.endpoints), ports_of(sandbox.endpoints)
    all_ports = list(ours.values()) + list(theirs.values())
    assert len(set(all_ports)) == len(all_ports), (ours, theirs)

    sockets = [s for pid in second.pids.values() if pid for s in listening_sockets(pid)]
    assert sockets
    assert {address for address, unused, unused in sockets} == {"0100007F"}, sockets  # 127.0.0.1, nothing else
    bound = {port for unused, port, unused in sockets}
    assert set(ours.values()) <= bound
    for name in ("dns", "rfc2136"):  # DNS needs both transports on the one port
        assert {(ours[name], "tcp"), (ours[name], "udp")} <= {(p, proto) for unused, p, proto in sockets}


def test_two_sandboxes_answer_side_by_side_with_separate_state(second, sandbox):
    zone_id = second.aws("route53").create_hosted_zone(
        Name="side-by-side.example", CallerReference="side")["HostedZone"]["Id"]
    second.aws("route53").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "CREATE", "ResourceRecordSet": {"Name": "www.side-by-side.example", "Type": "CNAME", "TTL": 60,
                                                  "ResourceRecords": [{"Value": "d111.cloudfront.net"}]}}]})
    theirs = [z["Name"] for z in sandbox.aws("route53").list_hosted_zones()["HostedZones"]]
    ours = [z["Name"] for z in second.aws("route53").list_hosted_zones()["HostedZones"]]

    assert "side-by-side.example." in ours and "side-by-side.example." not in theirs
    answer = second.dns("www.side-by-side.example.")
    assert [r.to_text() for rrset in answer.answer for r in rrset] == ["d111.cloudfront.net."]
    assert dns_query(sandbox.endpoints, "www.side-by-side.example.").rcode() == dns.rcode.REFUSED


def test_up_twice_is_harmless(second):
    before = read_json(os.path.join(second.state_dir, "endpoints.json"))

    run_cli("up", state_dir=second.state_dir)

    assert read_json(os.path.join(second.state_dir, "endpoints.json")) == before
    assert read_json(os.path.join(second.state_dir, "pids.json")) == second.pids
    assert all(not is_gone(pid) for pid in second.pids.values() if pid)
    second.aws("cloudfront").list_distributions()


def test_scenario_seed_409_prints_the_409_as_json(second):
    printed = json.loads(run_cli("scenario", "seed-409", state_dir=second.state_dir))

    assert printed["scenario"] == "seed-409"
    assert printed["alias"] == "www.example.com"
    assert printed["error"]["status"] == 409
    assert printed["error"]["code"] == "CNAMEAlreadyExists"
    assert SEED_MESSAGE in printed["error"]["message"]
    cloudfront = second.aws("cloudfront")
    held = cloudfront.get_distribution_config(Id=printed["holder"]["distribution_id"])["DistributionConfig"]
    assert held["Aliases"]["Items"] == ["www.example.com"]
    target = cloudfront.get_distribution_config(Id=printed["target_distribution_id"])["DistributionConfig"]
    assert not target["Aliases"].get("Items")


@pytest.mark.parametrize("name, operation", [("tenant", "UpdateDistribution"),
                                             ("tenant-target", "UpdateDistributionTenant")])
def test_tenant_scenarios_print_the_409_as_json(second, name, operation):
    printed = json.loads(run_cli("scenario", name, state_dir=second.state_dir))

    assert printed["scenario"] == name and printed["alias"] == "www.example.com"
    assert (printed["error"]["operation"], printed["error"]["status"], printed["error"]["code"]) == (
        operation, 409, "CNAMEAlreadyExists")
    cloudfront = second.aws("cloudfront")
    if name == "tenant":
        holder = cloudfront.get_distribution_tenant(Identifier=printed["holder"]["distribution_tenant_id"])
        assert [d["Domain"] for d in holder["DistributionTenant"]["Domains"]] == ["www.example.com"]
    else:
        target = cloudfront.get_distribution_tenant(Identifier=printed["target_distribution_tenant_id"])
        assert "www.example.com" not in [d["Domain"] for d in target["DistributionTenant"]["Domains"]]
    answer = second.dns("www.example.com.")
    assert [r.to_text() for rrset in answer.answer for r in rrset] == [printed["dns"]["value"] + "."]


def test_unknown_scenario_fails_and_names_every_scenario_sandbox_md_promises(second):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    completed = subprocess.run([PYTHON, "-m", "sandbox", "scenario", "no-such-thing", "--state-dir", second.state_dir],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)

    assert completed.returncode != 0
    for name in ("seed-409", "cross-account", "wildcard", "apex", "cloudflare", "rfc2136", "fleet", "tenant",
                 "tenant-target"):
        assert name in completed.stderr, (name, completed.stderr)


def test_reset_empties_state_and_keeps_the_processes(second):
    run_cli("scenario", "seed-409", state_dir=second.state_dir)
    second.clients.cloudflare("POST", "/zones", {"name": "example.org", "type": "full"})

    run_cli("reset", state_dir=second.state_dir)

    assert read_json(os.path.join(second.state_dir, "pids.json")) == second.pids
    assert all(not is_gone(pid) for pid in second.pids.values() if pid)
    assert second.aws("cloudfront").list_distributions()["DistributionList"]["Quantity"] == 0
    assert second.aws("route53").list_hosted_zones()["HostedZones"] == []
    assert second.aws("acm").list_certificates()["CertificateSummaryList"] == []
    assert second.clients.cloudflare("GET", "/zones") == []
    assert second.dns("www.example.com.").rcode() == dns.rcode.REFUSED


def test_faults_command_switches_faults_on_and_off(second):
    cloudfront = second.aws("cloudfront", config=NO_RETRY)
    try:
        settings = json.loads(run_cli("faults", "--throttle", "1.0", "--seed", "3", state_dir=second.state_dir))
        assert settings == {"throttle": 1.0, "server_errors": 0.0, "seed": 3}
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            cloudfront.list_distributions()
        assert exc.value.response["Error"]["Code"] == "Throttling"
    finally:
        off = json.loads(run_cli("faults", "--off", state_dir=second.state_dir))
    assert off["throttle"] == 0.0 and off["server_errors"] == 0.0
    cloudfront.list_distributions()


def test_faults_command_sets_a_cloudflare_rate_limit(second):
    """Cloudflare API "Rate limits" (https://developers.cloudflare.com/fundamentals/api/reference/limits/): a quota
    per window, then 429 with retry-after in whole seconds until capacity returns."""
    try:
        settings = json.loads(run_cli("faults", "--cloudflare-quota", "2", "--cloudflare-window", "60",
                                      state_dir=second.state_dir))
        assert settings == {"throttle": 0.0, "server_errors": 0.0, "seed": 0,
                            "cloudflare_quota": 2, "cloudflare_window": 60.0}
        second.clients.cloudflare("GET", "/zones")
        second.clients.cloudflare("GET", "/zones")
        cf = second.endpoints["cloudflare"]
        request = urllib.request.Request(cf["base_url"] + "/zones",
                                         headers={"Authorization": "Bearer " + cf["api_token"]})
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(request, timeout=10)
        assert exc.value.code == 429
        assert 55 <= int(exc.value.headers["Retry-After"]) <= 60
    finally:
        off = json.loads(run_cli("faults", "--off", state_dir=second.state_dir))
    assert "cloudflare_quota" not in off
    assert second.clients.cloudflare("GET", "/zones") == []


def test_faults_command_sets_and_clears_the_latencies(second):
    """README (sandbox): ``faults --latency-ms N [--dns-latency-ms M]``, added beside SANDBOX.md's options; off
    (absent from the settings) unless given, and off again with ``--off``. tests/sandbox/test_latency.py checks
    what they do."""
    help_text = run_cli("faults", "--help", state_dir=second.state_dir)
    assert "--latency-ms" in help_text and "--dns-latency-ms" in help_text
    try:
        settings = json.loads(run_cli("faults", "--latency-ms", "120", "--dns-latency-ms", "15",
                                      state_dir=second.state_dir))
        assert settings == {"throttle": 0.0, "server_errors": 0.0, "seed": 0, "latency_ms": 120.0,
                            "dns_latency_ms": 15.0}
    finally:
        off = json.loads(run_cli("faults", "--off", state_dir=second.state_dir))
    assert off == {"throttle": 0.0, "server_errors": 0.0, "seed": 0}


def test_up_writes_the_ttl_scale_into_config_json(second):
    """SANDBOX.md: ``up --ttl-scale F`` (0 turns CloudFront's DNS-check cache off); this sandbox was started with 0,
    so a repointed CNAME is seen by the check at once."""
    assert read_json(os.path.join(second.state_dir, "config.json"))["ttl_scale"] == 0.0
    run_cli("reset", state_dir=second.state_dir)
    cloudfront, route53 = second.aws("cloudfront"), second.aws("route53")
    cert = second.aws("acm").request_certificate(DomainName="www.example.com")["CertificateArn"]
    other = create_distribution(cloudfront, "ttl-other", cert_arn=cert)
    target = create_distribution(cloudfront, "ttl-target", cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname("www.example.com", other["domain_name"], ttl=86400)])
    assert SEED_MESSAGE in observed_error(cloudfront, target["id"], "www.example.com")["message"]
    route53_change(route53, zone_id, [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": "www.example.com", "Type": "CNAME", "TTL": 300,
        "ResourceRecords": [{"Value": target["domain_name"]}]}}])
    response = cloudfront.get_distribution_config(Id=target["id"])
    config = response["DistributionConfig"]
    config["Aliases"] = {"Quantity": 1, "Items": ["www.example.com"]}
    cloudfront.update_distribution(Id=target["id"], IfMatch=response["ETag"], DistributionConfig=config)


def test_down_stops_every_process_and_keeps_the_state_dir(tmp_path):
    state_dir = str(tmp_path / "short-lived")
    run_cli("up", state_dir=state_dir)
    started = Started(state_dir)
    pids = [pid for pid in started.pids.values() if pid]
    assert len(pids) >= 2 and all(not is_gone(pid) for pid in pids)
    try:
        run_cli("down", state_dir=state_dir)

        assert [pid for pid in pids if not is_gone(pid)] == []
        assert os.path.isfile(os.path.join(state_dir, "endpoints.json"))
        assert os.path.isfile(started.endpoints["request_log"])
        for port in ports_of(started.endpoints).values():
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
        run_cli("down", state_dir=state_dir)  # a second down finds nothing to stop and says so
    finally:
        stop_leftovers(pids)


def test_up_with_more_accounts_lists_each_and_keeps_them_apart(tmp_path):
    """``up --accounts N`` (default 2, as SANDBOX.md's "at least two AWS accounts, selected by their access keys"):
    endpoints.json lists N accounts with stable ids and keys of their own, and each key reaches its own account."""
    state_dir = str(tmp_path / "eleven-accounts")
    run_cli("up", "--accounts", "11", state_dir=state_dir)
    started = Started(state_dir)
    try:
        accounts = started.endpoints["aws"]["accounts"]
        expected = [str(n) * 12 for n in range(1, 10)] + ["900000000010", "900000000011"]
        assert sorted(accounts) == sorted(expected)
        assert list(accounts)[:2] == list(ACCOUNTS)
        assert len({c["access_key_id"] for c in accounts.values()}) == 11
        last = "900000000011"
        cert = started.aws("acm", last).request_certificate(DomainName="www.example.com")["CertificateArn"]
        dist = create_distribution(started.aws("cloudfront", last), "eleventh", aliases=["www.example.com"],
                                   cert_arn=cert)
        listed = {a: [d["Id"] for d in started.aws("cloudfront", a).list_distributions()["DistributionList"]
                      .get("Items", [])] for a in (ACCOUNTS[0], "999999999999", last)}
        assert listed == {ACCOUNTS[0]: [], "999999999999": [], last: [dist["id"]]}
        assert started.aws("sts", last).get_caller_identity()["Account"] == last
    finally:
        run_cli("down", state_dir=state_dir)
        stop_leftovers(started.pids.values())
