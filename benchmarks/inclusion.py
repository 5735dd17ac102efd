"""What including cname_remediation costs a deployment role, and what 500 aliases cost against one.

    .venv/bin/python benchmarks/inclusion.py [--quick] [--runs 5] [--many 500] [--only inclusion|remediation]
                                             [--latency-ms N] [--dns-latency-ms N] [--deploy-seconds N]
                                             [--json FILE]

(a) An empty play (one debug task standing for the deployment) against the same play that first includes
    ``cname_remediation`` for one alias that needs no fix (its distribution holds it, DNS already leads
    there): median wall time of ``--runs`` runs each, the requests of one run, and where the time goes per task.
(b) One alias remediated (the runbook's situation: held by an old distribution of the account, DNS at the old
    one) against ``--many`` aliases in the same situation (100 per distribution, CloudFront's quota), in one run.

Everything runs against a sandbox of its own (started and stopped here) with deployments that take no time,
so the numbers are Ansible's and the collection's, not CloudFront's - unless ``--deploy-seconds N`` (``python -m
sandbox up --deploy-seconds N``: a distribution stays InProgress N seconds after each change) gives them CloudFront's
own wait, which on AWS is minutes: then (b) shows whether the role waits for its targets' deployments one after
another or at once. The situations of (b) are built, and every distribution is Deployed, before a run starts.
Requests come from the sandbox's request log (DNS queries are not counted), per-task times from
benchmarks/callback_plugins/task_times.py.
``--quick`` (under two minutes): five runs each and 50 aliases instead of 500; it prints the ratios.
``--latency-ms N`` makes every AWS and Cloudflare API response of the sandbox wait N ms (``python -m sandbox faults
--latency-ms``; ``--dns-latency-ms`` the same for its DNS answers), as a network between the modules and AWS
would; both default to 0 and are recorded in the JSON, as ``--deploy-seconds`` is. The sandbox's own CPU seconds
per run are reported too.
Not a test: nothing here asserts a time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sandbox.reqlog import read_log  # noqa: E402  (the project root is put on sys.path above)
from sandbox.scenarios import Clients, certificate, cname, create_distribution, hosted_zone, route53_change  # noqa: E402

VENV = os.path.join(ROOT, ".venv")
ACCOUNT = "111111111111"
HERE = os.path.dirname(os.path.abspath(__file__))

EMPTY_PLAY = """---
- name: Deploy
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Deploy the distribution (stands for the deployment's own work)
      ansible.builtin.debug:
        msg: deployed
"""

INCLUDING_PLAY = """---
- name: Deploy
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Make sure no CNAMEAlreadyExists is in the way
      ansible.builtin.include_role:
        name: aliasguard.cloudfront.cname_remediation
      vars:
        cname_remediation_aliases: "{{ site_aliases }}"
        cname_remediation_target_distribution_id: "{{ site_distribution_id }}"
        cname_remediation_dns_zone: example.com
        cname_remediation_verify_nameservers: "{{ site_nameservers }}"

    - name: Deploy the distribution (stands for the deployment's own work)
      ansible.builtin.debug:
        msg: deployed
"""


def sandbox_cli(*args):
    return subprocess.run([sys.executable, "-m", "sandbox"] + list(args), cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout


def environment(endpoints, times_file):
    creds = endpoints["aws"]["accounts"][ACCOUNT]
    env = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_URL"):
        env.pop(var, None)
    with open(os.path.join(VENV, ".collections-path")) as fh:
        collections = fh.read().strip()
    env.update({
        "AWS_ACCESS_KEY_ID": creds["access_key_id"], "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
        "AWS_ENDPOINT_URL": endpoints["aws"]["endpoint_url"], "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1", "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_DEPRECATION_WARNINGS": "false", "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "task_times", "TASK_TIMES_FILE": times_file,
    })
    return env


def sandbox_cpu_seconds(endpoints):
    """CPU seconds (user + system, every thread) the sandbox's server process has used so far, from /proc."""
    state_dir = os.path.dirname(endpoints["request_log"])
    with open(os.path.join(state_dir, "pids.json")) as fh:
        pid = json.load(fh)["server"]
    with open("/proc/%d/stat" % pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of proc(5) (utime, stime), counted here from field 3 (state), after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Run:
    def __init__(self, name, command, endpoints, work):
        self.name = name
        times_file = os.path.join(work, "times.json")
        with open(endpoints["request_log"], encoding="utf-8") as fh:
            mark = sum(1 for unused in fh)
        cpu_before = sandbox_cpu_seconds(endpoints)
        started = time.monotonic()
        completed = subprocess.run(command, env=environment(endpoints, times_file), cwd=work, capture_output=True,
                                   text=True, check=False)
        self.wall = time.monotonic() - started
        self.sandbox_cpu = sandbox_cpu_seconds(endpoints) - cpu_before
        self.returncode = completed.returncode
        if completed.returncode != 0:
            print(completed.stdout[-4000:], completed.stderr[-3000:], file=sys.stderr)
        self.requests = [r for r in read_log(endpoints["request_log"], since=mark) if r.get("operation") != "QUERY"]
        with open(times_file) as fh:
            self.tasks = json.load(fh)
        self.changed = "changed=0" not in completed.stdout.split("PLAY RECAP")[-1]

    def to_result(self):
        operations = {}
        for r in self.requests:
            key = "%s:%s" % (r["service"], r["operation"])
            operations[key] = operations.get(key, 0) + 1
        return {"name": self.name, "wall_seconds": round(self.wall, 2), "returncode": self.returncode,
                "sandbox_cpu_seconds": round(self.sandbox_cpu, 2),
                "requests": len(self.requests), "mutating_requests": sum(1 for r in self.requests if r["mutating"]),
                "operations": operations, "changed": self.changed, "tasks": self.tasks}


def playbook(work, name, text):
    path = os.path.join(work, name)
    with open(path, "w") as fh:
        fh.write(text)
    return path


def median_of(runs):
    ordered = sorted(runs, key=lambda r: r.wall)
    return ordered[len(ordered) // 2]


def no_op_inclusion(endpoints, work, runs):
    clients = Clients(endpoints)
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), "example.com", ["*.example.com"])
    site = create_distribution(cloudfront, "inclusion-site", aliases=["www.example.com"], cert_arn=cert)
    route53_change(route53, hosted_zone(route53, "example.com"), [cname("www.example.com", site["domain_name"])])
    ansible_playbook = os.path.join(VENV, "bin", "ansible-playbook")
    extra = json.dumps({"site_aliases": ["www.example.com"], "site_distribution_id": site["id"],
                        "site_nameservers": ["127.0.0.1:%d" % endpoints["dns"]["port"]]})
    empty = [ansible_playbook, playbook(work, "empty.yml", EMPTY_PLAY)]
    including = [ansible_playbook, playbook(work, "including.yml", INCLUDING_PLAY), "-e", extra]
    Run("warm-up", including, endpoints, work)  # Python byte-compiles the collection on its first run
    # Alternated, so that a change in the machine's load over the runs weighs on both sides alike.
    empties, includes = [], []
    for unused in range(runs):
        empties.append(Run("empty play", empty, endpoints, work))
        includes.append(Run("play including cname_remediation (no fix needed)", including, endpoints, work))
    empty_run, including_run = median_of(empties), median_of(includes)
    return {"empty": empty_run.to_result(), "including": including_run.to_result(),
            "empty_walls": [round(r.wall, 2) for r in empties], "including_walls": [round(r.wall, 2) for r in includes],
            "wall_ratio": round(including_run.wall / empty_run.wall, 2)}


def held_by_old(endpoints, count, offset):
    """count aliases held by old distributions of the account, DNS at them, each with a new target.

    CloudFront allows 100 aliases per distribution, so every 100 aliases have their own old holder and target.
    """
    clients = Clients(endpoints)
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    zone = "z%d.example.com" % offset
    cert = certificate(clients.aws("acm"), zone, ["*." + zone])
    zone_id = hosted_zone(route53, zone)
    wanted = []
    for start in range(0, count, 100):
        names = ["m%d.%s" % (i, zone) for i in range(start, min(count, start + 100))]
        old = create_distribution(cloudfront, "old-%d-%d" % (offset, start), aliases=names, cert_arn=cert)
        new = create_distribution(cloudfront, "new-%d-%d" % (offset, start), cert_arn=cert)
        route53_change(route53, zone_id, [cname(n, old["domain_name"]) for n in names])
        wanted += [(n, new["id"]) for n in names]
    return zone, wanted


def wait_until_deployed(endpoints, timeout=600):
    """Until every distribution of the account is Deployed (with --deploy-seconds, the ones just built are not)."""
    cloudfront = Clients(endpoints).aws("cloudfront")
    deadline = time.time() + timeout
    while True:
        listed = cloudfront.list_distributions()["DistributionList"].get("Items") or []
        if all(d["Status"] == "Deployed" for d in listed) or time.time() > deadline:
            return
        time.sleep(0.5)


def one_against_many(endpoints, work, many):
    remediate = [os.path.join(VENV, "bin", "ansible-playbook"), "aliasguard.cloudfront.remediate"]
    nameservers = ["127.0.0.1:%d" % endpoints["dns"]["port"]]
    results = {}
    for offset, count in enumerate((1, many)):
        zone, wanted = held_by_old(endpoints, count, offset)
        wait_until_deployed(endpoints)  # the run starts from a settled fleet, as on AWS
        path = os.path.join(work, "aliases-%d.json" % count)
        with open(path, "w") as fh:
            json.dump({"aliases": [{"alias": n, "target_distribution_id": target, "dns_provider": "route53",
                                    "dns_zone": zone} for n, target in wanted], "verify_nameservers": nameservers}, fh)
        results[count] = Run("remediate %d alias%s" % (count, "" if count == 1 else "es"),
                             remediate + ["-e", "@" + path], endpoints, work)
    one, lots = results[1], results[many]
    return {"one": one.to_result(), "many": lots.to_result(), "aliases": many,
            "wall_ratio": round(lots.wall / one.wall, 2)}


def slowest(tasks, count=12):
    return sorted(tasks, key=lambda t: -t["seconds"])[:count]


def report(results):
    print("load average (1 min) %.2f before, %.2f after, on %d CPUs; sandbox latency %g ms (API), %g ms (DNS); "
          "deployments take %g s" % (
              results["load_before"], results["load_after"], results["cpus"], results["latency_ms"],
              results["dns_latency_ms"], results.get("deploy_seconds", 0)))
    inclusion, remediation = results.get("no_op_inclusion"), results.get("remediation")
    if inclusion:
        report_inclusion(results, inclusion)
    if remediation:
        report_remediation(remediation)
    print("ratios:%s%s" % (
        " no-op inclusion %.2fx an empty play (goal <= 2);" % inclusion["wall_ratio"] if inclusion else "",
        " %d aliases %.2fx one alias (goal <= 2)" % (remediation["aliases"], remediation["wall_ratio"])
        if remediation else ""))


def report_inclusion(results, inclusion):
    print("(a) no-op inclusion, median of %d: empty play %.2f s, with cname_remediation %.2f s: %.2fx "
          "(%d requests, %d mutating, changed=%s)" % (
              results["runs"], inclusion["empty"]["wall_seconds"], inclusion["including"]["wall_seconds"],
              inclusion["wall_ratio"], inclusion["including"]["requests"], inclusion["including"]["mutating_requests"],
              inclusion["including"]["changed"]))
    print("    requests: %s" % json.dumps(inclusion["including"]["operations"], sort_keys=True))
    for task in inclusion["including"]["tasks"]:
        print("    %6.2f s  %-8s %s" % (task["seconds"], task["status"], task["task"]))


def report_remediation(remediation):
    print("(b) remediation: 1 alias %.2f s (%d requests), %d aliases %.2f s (%d requests): %.2fx" % (
        remediation["one"]["wall_seconds"], remediation["one"]["requests"], remediation["aliases"],
        remediation["many"]["wall_seconds"], remediation["many"]["requests"], remediation["wall_ratio"]))
    print("    the sandbox's own CPU: %.2f s for 1 alias, %.2f s for %d aliases" % (
        remediation["one"]["sandbox_cpu_seconds"], remediation["many"]["sandbox_cpu_seconds"], remediation["aliases"]))
    for key in ("one", "many"):
        print("    %s, slowest tasks:" % remediation[key]["name"])
        for task in slowest(remediation[key]["tasks"], 8):
            print("    %6.2f s  %-8s %s" % (task["seconds"], task["status"], task["task"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="five runs each, 50 aliases (under two minutes)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--many", type=int, default=500)
    parser.add_argument("--only", choices=("inclusion", "remediation"), help="run one of the two measurements")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="every AWS and Cloudflare API response of the sandbox waits this long (default 0)")
    parser.add_argument("--dns-latency-ms", type=float, default=0.0,
                        help="every answer of the sandbox's DNS server waits this long (default 0)")
    parser.add_argument("--deploy-seconds", type=float, default=0.0,
                        help="a distribution stays InProgress this long after each change (python -m sandbox up "
                             "--deploy-seconds; default 0)")
    parser.add_argument("--json", help="write the raw results here")
    args = parser.parse_args()
    runs, many = (5, 50) if args.quick else (args.runs, args.many)
    work = tempfile.mkdtemp(prefix="inclusion-")
    state_dir = os.path.join(work, "sandbox")
    sandbox_cli("up", "--state-dir", state_dir, "--deploy-seconds", str(args.deploy_seconds), "--insync-seconds", "0")
    try:
        with open(os.path.join(state_dir, "endpoints.json")) as fh:
            endpoints = json.load(fh)
        if args.latency_ms or args.dns_latency_ms:
            sandbox_cli("faults", "--state-dir", state_dir, "--latency-ms", str(args.latency_ms),
                        "--dns-latency-ms", str(args.dns_latency_ms))
        # The machine's load (1-minute average) around the runs: the times mean little on a busy machine.
        results = {"runs": runs, "load_before": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
                   "latency_ms": args.latency_ms, "dns_latency_ms": args.dns_latency_ms,
                   "deploy_seconds": args.deploy_seconds}
        if args.only != "remediation":
            results["no_op_inclusion"] = no_op_inclusion(endpoints, work, runs)
            sandbox_cli("reset", "--state-dir", state_dir)
        if args.only != "inclusion":
            results["remediation"] = one_against_many(endpoints, work, many)
        results["load_after"] = round(os.getloadavg()[0], 2)
    finally:
        sandbox_cli("down", "--state-dir", state_dir)
    report(results)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1, sort_keys=True)
            fh.write("\n")
    runs_done = []
    if "no_op_inclusion" in results:
        runs_done.append(results["no_op_inclusion"]["including"])
    if "remediation" in results:
        runs_done += [results["remediation"]["one"], results["remediation"]["many"]]
    failed = [r["name"] for r in runs_done if r["returncode"] != 0]
    if failed:
        print("FAILED runs: %s" % ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
