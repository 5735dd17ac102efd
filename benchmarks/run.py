"""Benchmarks: requests, wall time and peak memory, side by side with today's tooling.

    .venv/bin/python benchmarks/run.py [--distributions 1000] [--aliases-per-distribution 3]
                                       [--skip-baseline] [--remediation-aliases 50]
    .venv/bin/python benchmarks/run.py --scale 1000,3000,10000   # the fleet ten times larger, measured
    .venv/bin/python benchmarks/run.py --quick                   # < 5 minutes: the ratios, small sizes

1. The audit of the sandbox's ``fleet`` scenario, by ``aliasguard.cloudfront.audit`` and by the
   baseline playbook (benchmarks/baseline/audit_baseline.yml: community.aws, amazon.aws, the
   Cloudflare API through uri, ``aws cloudfront list-conflicting-aliases`` per alias), both against
   account 1 of the same sandbox, one after the other. Findings are compared with what was planted.
2. Remediation: the seed's single alias, then N aliases in one role run.
3. ``--scale N,M,...``: for each size, a sandbox of its own with 10 accounts and the fleet spread over
   them (N distributions x 5 aliases, 10 Route 53 zones with 5N records, N Cloudflare records), and
   the audit with one inventory host per account and forks 5: requests against the lower bound, wall
   time and peak memory per process, and how each grows from size to size.
   ``--quick`` runs that at 100 and 300 distributions, prints the ratios, then runs
   ``benchmarks/inclusion.py --quick`` when that file exists.

Requests come from the sandbox's request log (DNS queries are not API requests and are not
counted), wall time from the clock around each run, peak memory from GNU time's maximum resident
set size (the largest process of the run), and by process role (the controller, its forks, each module) from
/proc sampled every 0.5 s. Results go to benchmarks/results/ as JSON and are
printed as a Markdown table. Not a test: nothing here asserts a time.
"""

import argparse
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
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
        self.peak_by_role = None
        self.load_average = None

    def to_result(self):
        mutating = sum(1 for r in self.requests if r["mutating"])
        result = {"name": self.name, "wall_seconds": round(self.wall, 2), "peak_rss_mb": round(self.peak_kb / 1024, 1),
                  "requests": len(self.requests), "mutating_requests": mutating, "returncode": self.returncode}
        if self.peak_by_role is not None:
            result["peak_rss_mb_by_role"] = self.peak_by_role
        if self.load_average is not None:
            result["load_average"] = self.load_average
        return result


class ProcessSampler(threading.Thread):
    """Peak resident memory of every process under one command, by role, from /proc every ``interval`` seconds.

    Roles: ``controller`` (the ansible-playbook process the command started), ``fork`` (its worker processes, forked
    from it: the same command line), ``module`` (a process running an AnsiballZ module, by module name) and ``other``
    (shells, /usr/bin/time). GNU time's maximum resident set size says only how large the largest process was; this
    says which one it was. A process that lives less than ``interval`` may be missed, and RSS counts the pages a fork
    shares with the controller in both.
    """

    def __init__(self, root_pid, interval=0.5):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.stopping = threading.Event()
        self.peaks = {}  # pid -> (role, name, peak kB)
        self.samples = 0

    @staticmethod
    def _read(pid):
        """(ppid, rss kB, argv) of a process, or None when it is gone."""
        try:
            with open("/proc/%d/stat" % pid, "rb") as fh:
                stat = fh.read().decode("utf-8", "replace")
            rss = 0
            with open("/proc/%d/status" % pid, "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmRSS:"):
                        rss = int(line.split()[1])
                        break
            with open("/proc/%d/cmdline" % pid, "rb") as fh:
                argv = fh.read().decode("utf-8", "replace").split("\0")
        except (OSError, ValueError, IndexError):
            return None
        return int(stat[stat.rindex(")") + 2:].split()[1]), rss, argv

    def _role(self, pid, ppid, argv, processes):
        module = next((a for a in argv if "AnsiballZ_" in a), None)
        if module:
            return "module", os.path.basename(module).split("AnsiballZ_", 1)[1].rsplit(".py", 1)[0]
        if any(os.path.basename(a) == "ansible-playbook" for a in argv[:2]):
            parent = processes.get(ppid)
            forked = parent is not None and parent[2] == argv
            return ("fork", "ansible-playbook") if forked else ("controller", "ansible-playbook")
        return "other", os.path.basename(argv[0]) if argv and argv[0] else "?"

    def sample(self):
        processes = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                info = self._read(int(entry))
                if info is not None:
                    processes[int(entry)] = info
        children = {}
        for pid, (ppid, unused_rss, unused_argv) in processes.items():
            children.setdefault(ppid, []).append(pid)
        todo = list(children.get(self.root_pid, [])) + [self.root_pid]
        while todo:
            pid = todo.pop()
            if pid not in processes:
                continue
            todo.extend(children.get(pid, []))
            ppid, rss, argv = processes[pid]
            role, name = self._role(pid, ppid, argv, processes)
            known = self.peaks.get(pid)
            if known is None or rss > known[2]:
                self.peaks[pid] = (role, name, rss)
        self.samples += 1

    def run(self):
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.join()

    def by_role(self):
        """{role: peak MB of one process of that role}, modules also by name, and the role that peaked."""
        result = {"controller": 0.0, "fork": 0.0, "module": 0.0, "other": 0.0, "modules": {}}
        for role, name, rss in self.peaks.values():
            mb = round(rss / 1024, 1)
            result[role] = max(result[role], mb)
            if role == "module":
                result["modules"][name] = max(result["modules"].get(name, 0.0), mb)
        result["peak_role"] = max(("controller", "fork", "module", "other"), key=lambda r: result[r])
        result["processes"] = len(self.peaks)
        result["samples"] = self.samples
        result["interval_seconds"] = self.interval
        return result


def measure(name, command, env, log_path):
    with open(log_path, encoding="utf-8") as fh:
        mark = sum(1 for unused in fh)
    timing = tempfile.NamedTemporaryFile(delete=False)
    timing.close()
    load_before = os.getloadavg()
    started = time.monotonic()
    process = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", timing.name] + command, env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = ProcessSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.stop()
    wall = time.monotonic() - started
    completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    with open(timing.name) as fh:
        peak = int(fh.read().strip().splitlines()[-1])
    os.unlink(timing.name)
    requests = [r for r in read_log(log_path, since=mark) if r.get("operation") != "QUERY"]
    if completed.returncode != 0:
        print(completed.stdout[-4000:], completed.stderr[-4000:], file=sys.stderr)
    measured = Measured(name, wall, peak, requests, completed.returncode, completed.stdout)
    measured.peak_by_role = sampler.by_role()
    measured.load_average = {"before": [round(x, 2) for x in load_before],
                             "after": [round(x, 2) for x in os.getloadavg()]}
    return measured


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


SCALE_ACCOUNTS = 10
SCALE_ALIASES = 5
SCALE_ZONES = 10
QUICK_SIZES = (100, 300)


def scale_inventory(endpoints, path):
    """One inventory host per account of the sandbox, in the group aws_accounts."""
    lines = ["all:", "  children:", "    aws_accounts:", "      hosts:"]
    for index, (unused, creds) in enumerate(endpoints["aws"]["accounts"].items()):
        lines += ["        account%d:" % (index + 1), "          aws:",
                  "            access_key: %s" % creds["access_key_id"],
                  "            secret_key: %s" % creds["secret_access_key"],
                  "            endpoint_url: %s" % endpoints["aws"]["endpoint_url"]]
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def scale_point(distributions, work):
    """One size of the scale series, on a sandbox of its own (started and stopped here)."""
    state_dir = os.path.join(work, "sandbox-%d" % distributions)
    endpoints = cli.up(state_dir, accounts=SCALE_ACCOUNTS)
    try:
        started = time.monotonic()
        fleet = json.loads(subprocess.check_output(
            [sys.executable, "-m", "sandbox", "scenario", "fleet", "--distributions", str(distributions),
             "--aliases-per-distribution", str(SCALE_ALIASES), "--fleet-accounts", str(SCALE_ACCOUNTS),
             "--route53-zones", str(SCALE_ZONES), "--route53-records", str(SCALE_ALIASES * distributions),
             "--cloudflare-records", str(distributions), "--state-dir", state_dir], cwd=ROOT))
        built = time.monotonic() - started
        print("fleet of %d built in %.0fs: %d distributions in %d accounts, %d aliases, %d Route 53 records, "
              "%d Cloudflare records" % (distributions, built, fleet["distributions"], len(fleet["accounts"]),
                                         fleet["aliases"], fleet["route53_records"], fleet["cloudflare_records"]),
              flush=True)
        report_dir = os.path.join(work, "audit-%d" % distributions)
        inventory = scale_inventory(endpoints, os.path.join(work, "inventory-%d.yml" % distributions))
        env = base_env(endpoints, MAIN_VENV)
        for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.pop(var)  # each host's own keys, from the inventory
        command = [os.path.join(MAIN_VENV, "bin", "ansible-playbook"), "-i", inventory, "--forks", "5",
                   "aliasguard.cloudfront.audit", "--check",
                   "-e", json.dumps({"report_dir": report_dir, "cloudflare_zones": [fleet["cloudflare_zone"]],
                                     "verify_nameservers": ["127.0.0.1:%d" % endpoints["dns"]["port"]]})]
        run = measure("audit of %d distributions" % distributions, command, env, endpoints["request_log"])
        result = dict(run.to_result(), distributions=distributions, fleet_build_seconds=round(built, 1),
                      fleet={k: fleet[k] for k in ("distributions", "aliases", "route53_records",
                                                   "cloudflare_records", "accounts")})
        if run.returncode == 0:
            with open(os.path.join(report_dir, "audit.json")) as fh:
                report = json.load(fh)
            result.update(requests_reported=report["requests"]["total"],
                          requests_lower_bound=report["requests_lower_bound"]["total"],
                          requests_by_operation=report["requests"].get("by_operation"),
                          findings=found_planted(report["findings"], fleet["planted"]),
                          report_bytes={name: os.path.getsize(os.path.join(report_dir, name))
                                        for name in ("audit.json", "audit.md", "audit.html")})
        return result
    finally:
        cli.down(state_dir)


def growth(points):
    """How each measure grows from one size to the next: the measure's ratio against the size's ratio."""
    rows = []
    for small, large in zip(points, points[1:]):
        size = large["distributions"] / small["distributions"]
        row = {"from": small["distributions"], "to": large["distributions"], "size_ratio": round(size, 2)}
        for key in ("wall_seconds", "peak_rss_mb", "requests"):
            ratio = large[key] / max(small[key], 0.001)
            # the exponent k in measure ~ size^k: 1 is linear, below 1 better than linear
            row[key] = {"ratio": round(ratio, 2), "exponent": round(math.log(max(ratio, 1e-9)) / math.log(size), 2)}
        rows.append(row)
    return rows


def scale_markdown(points, rows):
    lines = ["| distributions (x5 aliases, 10 accounts) | wall time (s) | API requests | lower bound | "
             "peak RSS per process (MB) | controller / fork / module (MB), largest module | audit.html (KB) | "
             "fleet build (s) |", "|---|---|---|---|---|---|---|---|"]
    for p in points:
        roles = p.get("peak_rss_mb_by_role") or {}
        modules = roles.get("modules") or {}
        largest = max(modules, key=modules.get) if modules else "-"
        lines.append("| %d | %s | %d | %s | %s | %s / %s / %s, %s | %s | %s |" % (
            p["distributions"], p["wall_seconds"], p["requests"], p.get("requests_lower_bound", "-"),
            p["peak_rss_mb"], roles.get("controller", "-"), roles.get("fork", "-"), roles.get("module", "-"), largest,
            round(p.get("report_bytes", {}).get("audit.html", 0) / 1024), p["fleet_build_seconds"]))
    lines += ["", "| from -> to | size x | wall time x (exponent) | peak RSS x (exponent) | requests x (exponent) |",
              "|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %d -> %d | %s | %s (%s) | %s (%s) | %s (%s) |" % (
            r["from"], r["to"], r["size_ratio"], r["wall_seconds"]["ratio"], r["wall_seconds"]["exponent"],
            r["peak_rss_mb"]["ratio"], r["peak_rss_mb"]["exponent"], r["requests"]["ratio"],
            r["requests"]["exponent"]))
    return "\n".join(lines)


def scale(sizes, work):
    points = []
    for size in sizes:
        points.append(scale_point(size, work))
        # each point as soon as it is measured: a long series that is stopped keeps what it measured
        print("measured: %s" % json.dumps(points[-1]), flush=True)
    rows = growth(points)
    return {"points": points, "growth": rows}, scale_markdown(points, rows)


def committed_baseline_ratio():
    """The baseline comparison at 1,000 distributions, as committed (the baseline takes half an hour)."""
    with open(os.path.join(ROOT, "benchmarks", "reference-side-by-side.json")) as fh:
        return json.load(fh)["audit"].get("ratio")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--distributions", type=int, default=1000)
    parser.add_argument("--aliases-per-distribution", type=int, default=3)
    parser.add_argument("--remediation-aliases", type=int, default=50)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--state-dir")
    parser.add_argument("--scale", help="comma-separated fleet sizes (distributions) for the scale series, "
                                        "e.g. 1000,3000,10000; runs only the scale series")
    parser.add_argument("--quick", action="store_true",
                        help="the scale series at %s distributions and the ratios, then benchmarks/inclusion.py "
                             "--quick when it exists (under five minutes)" % ",".join(map(str, QUICK_SIZES)))
    args = parser.parse_args()
    if args.quick or args.scale:
        return scale_main(args)
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
    path = write_results(results, "bench")
    print(markdown(results, args))
    print("\nresults: %s" % path)
    shutil.rmtree(work, ignore_errors=True)


def write_results(results, prefix):
    """benchmarks/results/<prefix>-<UTC time>.json; returns its path."""
    out_dir = os.path.join(ROOT, "benchmarks", "results")
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(out_dir, "%s-%s.json" % (prefix, stamp))
    with open(path, "w") as fh:
        json.dump(results, fh, indent=2)
    return path


def scale_main(args):
    sizes = QUICK_SIZES if args.quick else tuple(int(s) for s in args.scale.split(","))
    work = tempfile.mkdtemp(prefix="aliasguard-scale-")
    started = time.monotonic()
    try:
        results, table = scale(sizes, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results.update(date=datetime.datetime.now(datetime.timezone.utc).isoformat(), quick=bool(args.quick),
                   machine={"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                   baseline_at_1000_committed=committed_baseline_ratio())
    path = write_results(results, "scale")
    print(table)
    print("\nratios:")
    for point in results["points"]:
        print("  %d distributions: requests / lower bound = %s/%s" % (
            point["distributions"], point["requests"], point.get("requests_lower_bound", "?")))
        roles = point.get("peak_rss_mb_by_role") or {}
        print("  %d distributions: peak RSS by process role (MB): controller %s, fork %s, module %s (%s), load average "
              "%s" % (point["distributions"], roles.get("controller"), roles.get("fork"), roles.get("module"),
                      ", ".join("%s %s" % item for item in sorted((roles.get("modules") or {}).items())),
                      (point.get("load_average") or {}).get("after")))
    for row in results["growth"]:
        print("  %d -> %d (x%s): wall x%s, peak RSS x%s, requests x%s" % (
            row["from"], row["to"], row["size_ratio"], row["wall_seconds"]["ratio"], row["peak_rss_mb"]["ratio"],
            row["requests"]["ratio"]))
    ratio = results["baseline_at_1000_committed"] or {}
    print("  baseline / ours at 1,000 distributions (committed, reference-side-by-side.json): wall x%s, "
          "requests x%s" % (ratio.get("wall_time"), ratio.get("requests")))
    print("scale series: %.0fs; results: %s" % (time.monotonic() - started, path), flush=True)
    failed = [p["name"] for p in results["points"] if p["returncode"] != 0]
    if args.quick:
        print("\n== benchmarks/inclusion.py --quick", flush=True)
        inclusion = os.path.join(ROOT, "benchmarks", "inclusion.py")
        if subprocess.call([sys.executable, inclusion, "--quick"], cwd=ROOT) != 0:
            failed.append("benchmarks/inclusion.py --quick")
    if failed:
        print("failed: %s" % ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
