"""Benchmarks: requests, wall time and peak memory, side by side with today's tooling.

    .venv/bin/python benchmarks/run.py [--distributions 1000] [--aliases-per-distribution 3]
                                       [--skip-baseline] [--remediation-aliases 50]

1. The audit of the sandbox's ``fleet`` scenario, by ``aliasguard.cloudfront.audit`` and by the
   baseline playbook (benchmarks/baseline/audit_baseline.yml: community.aws, amazon.aws, the
   Cloudflare API through uri, ``aws cloudfront list-conflicting-aliases`` per alias), both against
   account 1 of the same sandbox, one after the other. Findings are compared with what was planted.
2. Remediation: the seed's single alias, then N aliases in one role run.

Requests come from the sandbox's request log (DNS queries are not API requests and are not
counted), wall time from the clock around each run, peak memory from GNU time's maximum resident
set size (the largest process of the run). Results go to benchmarks/results/ as JSON and are
printed as a Markdown table. Not a test: nothing here asserts a time.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sandbox import cli  # noqa: E402  (the project root is put on sys.path above)
from sandbox.reqlog import read_log  # noqa: E402
from sandbox.scenarios import (  # noqa: E402
    Clients,
    certificate,
    cname,
    create_distribution,
    hosted_zone,
    route53_change,
)

MAIN_VENV = os.path.join(ROOT, ".venv")
BENCH_VENV = os.path.join(ROOT, "benchmarks", ".venv")
ACCOUNT = "111111111111"


def ensure_bench_venv():
    """The baseline's own venv: the ansible and awscli packages from PyPI, plus boto3."""
    marker = os.path.join(BENCH_VENV, ".installed")
    if os.path.exists(marker):
        return
    subprocess.check_call([sys.executable, "-m", "venv", BENCH_VENV])
    pip = os.path.join(BENCH_VENV, "bin", "pip")
    subprocess.check_call([pip, "install", "--quiet", "--disable-pip-version-check", "ansible", "awscli", "boto3"])
    with open(marker, "w") as fh:
        fh.write("ok\n")


class Measured:
    def __init__(self, name, wall, peak_kb, requests, returncode, stdout):
        self.name = name
        self.wall = wall
        self.peak_kb = peak_kb
        self.requests = requests
        self.returncode = returncode
        self.stdout = stdout

    def to_result(self):
        mutating = sum(1 for r in self.requests if r["mutating"])
        return {"name": self.name, "wall_seconds": round(self.wall, 2), "peak_rss_mb": round(self.peak_kb / 1024, 1),
                "requests": len(self.requests), "mutating_requests": mutating, "returncode": self.returncode}


def measure(name, command, env, log_path):
    with open(log_path, encoding="utf-8") as fh:
        mark = sum(1 for unused in fh)
    timing = tempfile.NamedTemporaryFile(delete=False)
    timing.close()
    started = time.monotonic()
    completed = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", timing.name] + command, env=env, cwd=ROOT,
                               capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    with open(timing.name) as fh:
        peak = int(fh.read().strip().splitlines()[-1])
    os.unlink(timing.name)
    requests = [r for r in read_log(log_path, since=mark) if r.get("operation") != "QUERY"]
    if completed.returncode != 0:
        print(completed.stdout[-4000:], completed.stderr[-4000:], file=sys.stderr)
    return Measured(name, wall, peak, requests, completed.returncode, completed.stdout)


def base_env(endpoints, venv):
    creds = endpoints["aws"]["accounts"][ACCOUNT]
    env = dict(os.environ)
    env.update({
        "PATH": os.path.join(venv, "bin") + os.pathsep + env.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": creds["access_key_id"], "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
        "AWS_ENDPOINT_URL": endpoints["aws"]["endpoint_url"], "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "CLOUDFLARE_API_TOKEN": endpoints["cloudflare"]["api_token"],
        "CLOUDFLARE_BASE_URL": endpoints["cloudflare"]["base_url"],
        "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_DEPRECATION_WARNINGS": "false", "ANSIBLE_FORKS": "5",
    })
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_URL"):
        env.pop(var, None)
    if venv == MAIN_VENV:
        with open(os.path.join(MAIN_VENV, ".collections-path")) as fh:
            env["ANSIBLE_COLLECTIONS_PATH"] = fh.read().strip()
    else:
        env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    return env


def found_planted(findings, planted):
    found = set((f["kind"], f["name"]) for f in findings)
    per_kind = {}
    for kind, names in planted.items():
        per_kind[kind] = {"planted": len(names), "found": sum(1 for n in names if (kind, n) in found)}
    return per_kind


def audit(state_dir, endpoints, fleet, skip_baseline, work):
    results = {}
    ours_dir = os.path.join(work, "ours")
    command = [os.path.join(MAIN_VENV, "bin", "ansible-playbook"), "aliasguard.cloudfront.audit", "--check",
               "-e", json.dumps({"report_dir": ours_dir, "cloudflare_zones": [fleet["cloudflare_zone"]],
                                 "verify_nameservers": ["127.0.0.1:%d" % endpoints["dns"]["port"]]})]
    ours = measure("aliasguard.cloudfront.audit", command, base_env(endpoints, MAIN_VENV), endpoints["request_log"])
    with open(os.path.join(ours_dir, "audit.json")) as fh:
        report = json.load(fh)
    results["ours"] = dict(ours.to_result(), requests_reported=report["requests"]["total"],
                           requests_lower_bound=report["requests_lower_bound"]["total"],
                           findings=found_planted(report["findings"], fleet["planted"]))
    if skip_baseline:
        return results
    ensure_bench_venv()
    base_dir = os.path.join(work, "baseline")
    os.makedirs(base_dir, exist_ok=True)
    command = [os.path.join(BENCH_VENV, "bin", "ansible-playbook"),
               os.path.join(ROOT, "benchmarks", "baseline", "audit_baseline.yml"),
               "-e", json.dumps({"report_dir": base_dir, "cloudflare_zones": [fleet["cloudflare_zone"]]})]
    baseline = measure("baseline (community.aws, amazon.aws, uri, awscli)", command,
                       base_env(endpoints, BENCH_VENV), endpoints["request_log"])
    findings = []
    if baseline.returncode == 0:
        with open(os.path.join(base_dir, "baseline.json")) as fh:
            findings = json.load(fh)["findings"]
    results["baseline"] = dict(baseline.to_result(), findings=found_planted(findings, fleet["planted"]),
                               findings_reported=len(findings))
    results["ratio"] = {
        "requests": round(baseline.to_result()["requests"] / max(ours.to_result()["requests"], 1), 1),
        "wall_time": round(baseline.wall / max(ours.wall, 0.001), 1),
    }
    return results


def build_many(clients, count):
    """count aliases under example.com, all held by one old distribution, DNS pointing at it."""
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    names = ["m%d.example.com" % i for i in range(count)]
    old = create_distribution(cloudfront, "many-old", aliases=names, cert_arn=cert)
    new = create_distribution(cloudfront, "many-new", cert_arn=cert)
    zone_id = hosted_zone(route53, "example.com")
    route53_change(route53, zone_id, [cname(n, old["domain_name"]) for n in names])
    return names, new["id"]


def remediation(state_dir, endpoints, count, work):
    env = base_env(endpoints, MAIN_VENV)
    playbook = [os.path.join(MAIN_VENV, "bin", "ansible-playbook"), "aliasguard.cloudfront.remediate"]
    nameservers = ["127.0.0.1:%d" % endpoints["dns"]["port"]]
    seed = json.loads(subprocess.check_output(
        [sys.executable, "-m", "sandbox", "scenario", "seed-409", "--state-dir", state_dir], cwd=ROOT))
    # Warm up (Python byte-compiles the collection on its first run) so that one and many compare fairly.
    measure("warm-up", playbook + ["--check", "-e", json.dumps({
        "alias": seed["alias"], "target_distribution_id": seed["target_distribution_id"], "dns_provider": "route53",
        "dns_zone": "example.com", "verify_nameservers": nameservers})], env, endpoints["request_log"])
    one = measure("remediate 1 alias", playbook + ["-e", json.dumps({
        "alias": seed["alias"], "target_distribution_id": seed["target_distribution_id"], "dns_provider": "route53",
        "dns_zone": "example.com", "verify_nameservers": nameservers})], env, endpoints["request_log"])
    cli.reset(state_dir)
    names, target = build_many(Clients(endpoints), count)
    many_file = os.path.join(work, "many.yml")
    with open(many_file, "w") as fh:
        json.dump({"aliases": [{"alias": n, "target_distribution_id": target, "dns_provider": "route53",
                                "dns_zone": "example.com"} for n in names],
                   "verify_nameservers": nameservers}, fh)
    many = measure("remediate %d aliases" % count, playbook + ["-e", "@" + many_file], env, endpoints["request_log"])
    return {"one": one.to_result(), "many": many.to_result(),
            "wall_ratio": round(many.wall / max(one.wall, 0.001), 2)}


def markdown(results, args):
    lines = ["| run | wall time (s) | API requests | peak RSS (MB) |", "|---|---|---|---|"]
    audit_results = results["audit"]
    for key in ("ours", "baseline"):
        if key in audit_results:
            r = audit_results[key]
            lines.append("| %s | %s | %d | %s |" % (r["name"], r["wall_seconds"], r["requests"], r["peak_rss_mb"]))
    if "ratio" in audit_results:
        ratio = audit_results["ratio"]
        lines.append("| baseline / ours | %sx | %sx | |" % (ratio["wall_time"], ratio["requests"]))
    lines += ["", "| planted finding | planted | found by aliasguard | found by baseline |", "|---|---|---|---|"]
    for kind, counts in audit_results["ours"]["findings"].items():
        base = audit_results.get("baseline", {}).get("findings", {}).get(kind, {}).get("found", "-")
        lines.append("| %s | %d | %d | %s |" % (kind, counts["planted"], counts["found"], base))
    rem = results["remediation"]
    lines += ["", "| remediation | wall time (s) | API requests | peak RSS (MB) |", "|---|---|---|---|"]
    for key in ("one", "many"):
        r = rem[key]
        lines.append("| %s | %s | %d | %s |" % (r["name"], r["wall_seconds"], r["requests"], r["peak_rss_mb"]))
    lines.append("| many / one | %sx | | |" % rem["wall_ratio"])
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--distributions", type=int, default=1000)
    parser.add_argument("--aliases-per-distribution", type=int, default=3)
    parser.add_argument("--remediation-aliases", type=int, default=50)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--state-dir")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="aliasguard-bench-")
    state_dir = args.state_dir or os.path.join(work, "sandbox")
    endpoints = cli.up(state_dir)
    try:
        started = time.monotonic()
        fleet = json.loads(subprocess.check_output(
            [sys.executable, "-m", "sandbox", "scenario", "fleet", "--distributions", str(args.distributions),
             "--aliases-per-distribution", str(args.aliases_per_distribution), "--state-dir", state_dir], cwd=ROOT))
        print("fleet built in %.0fs: %d distributions, %d aliases, %d Route 53 records, %d Cloudflare records"
              % (time.monotonic() - started, fleet["distributions"], fleet["aliases"], fleet["route53_records"],
                 fleet["cloudflare_records"]), flush=True)
        results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "fleet": {
            k: fleet[k] for k in ("distributions", "aliases", "route53_records", "cloudflare_records")},
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
        results["audit"] = audit(state_dir, endpoints, fleet, args.skip_baseline, work)
        results["remediation"] = remediation(state_dir, endpoints, args.remediation_aliases, work)
    finally:
        cli.down(state_dir)
    out_dir = os.path.join(ROOT, "benchmarks", "results")
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(out_dir, "bench-%s.json" % stamp)
    with open(path, "w") as fh:
        json.dump(results, fh, indent=2)
    print(markdown(results, args))
    print("\nresults: %s" % path)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
