"""The soak: many remediations in a row against one sandbox, with throttling, watching for leaks.

    .venv/bin/python benchmarks/soak.py [--runs 200] [--throttle 0.1] [--aliases 5]

One sandbox, two distributions A and B in account 1 with a certificate for *.soak.example, and a
few aliases. Run k moves alias k % aliases from wherever it is to the other distribution with the
remediate playbook (AssociateAlias, the TXT record, the Route 53 repoint, the proof), so the state
never grows and every run is a full remediation. After every run: the run converged (the alias on
the target only, DNS at the target through dnspython, no TXT record left), and the resident memory
and open file descriptors of the sandbox's processes and the run's peak memory (the controller,
from wait4) are written down. The numbers of the first and last tenth of the runs are compared.

Not a test and not in CI (it takes the better part of an hour); `make soak`. The last full run is
benchmarks/reference-soak.json (README, "Reliability, measured").
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rdatatype  # noqa: E402

from conftest import playbook_command  # noqa: E402
from sandbox import cli  # noqa: E402
from sandbox.reqlog import read_log  # noqa: E402
from sandbox.scenarios import Clients, certificate, cname, create_distribution, hosted_zone, route53_change  # noqa: E402

ZONE = "soak.example"
ACCOUNT = "111111111111"


def proc_stats(pid):
    """(resident MB, open file descriptors) of a live process."""
    with open("/proc/%d/status" % pid) as fh:
        rss = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    return round(rss / 1024, 1), len(os.listdir("/proc/%d/fd" % pid))


def cname_of(endpoints, name):
    query = dns.message.make_query(name + ".", "CNAME")
    query.flags = 0
    response = dns.query.udp(query, "127.0.0.1", port=endpoints["dns"]["port"], timeout=5)
    return [r.target.to_text().rstrip(".") for rrset in response.answer if rrset.rdtype == dns.rdatatype.CNAME
            for r in rrset]


def txt_of(endpoints, name):
    query = dns.message.make_query(name + ".", "TXT")
    query.flags = 0
    response = dns.query.udp(query, "127.0.0.1", port=endpoints["dns"]["port"], timeout=5)
    return [b"".join(r.strings).decode() for rrset in response.answer if rrset.rdtype == dns.rdatatype.TXT
            for r in rrset]


def build(clients, aliases):
    cloudfront, route53 = clients.aws("cloudfront"), clients.aws("route53")
    cert = certificate(clients.aws("acm"), ZONE, ["*." + ZONE])
    names = ["s%d.%s" % (i, ZONE) for i in range(aliases)]
    first = create_distribution(cloudfront, "soak-a", aliases=names, cert_arn=cert)
    second = create_distribution(cloudfront, "soak-b", cert_arn=cert)
    zone_id = hosted_zone(route53, ZONE)
    route53_change(route53, zone_id, [cname(name, first["domain_name"], ttl=60) for name in names])
    return names, first, second


def holders(clients, alias, dists):
    cloudfront = clients.aws("cloudfront")
    found = []
    for dist in dists:
        config = cloudfront.get_distribution_config(Id=dist["id"])["DistributionConfig"]
        if alias in ((config.get("Aliases") or {}).get("Items") or []):
            found.append(dist["id"])
    return found


def run_once(endpoints, alias, target, env, log_dir):
    """One remediate run: (returncode, wall seconds, peak RSS in MB of its whole process tree, stderr path)."""
    command, environment = playbook_command(
        "aliasguard.cloudfront.remediate",
        {"alias": alias, "target_distribution_id": target["id"], "dns_provider": "route53", "dns_zone": ZONE,
         "verify_nameservers": ["127.0.0.1:%d" % endpoints["dns"]["port"]], "verify_timeout": 60},
        env=env)
    stderr_path = os.path.join(log_dir, "last-stderr.txt")
    started = time.monotonic()
    with open(os.devnull, "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=out, stderr=err)
        # wait4 gives the run's own rusage: its maxrss is the largest process of its tree that was waited for.
        unused, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    return os.waitstatus_to_exitcode(status), wall, round(usage.ru_maxrss / 1024, 1), stderr_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--throttle", type=float, default=0.1)
    parser.add_argument("--aliases", type=int, default=5)
    parser.add_argument("--state-dir", default=os.path.join(ROOT, ".sandbox-soak"))
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results"))
    args = parser.parse_args(argv)

    endpoints = cli.up(args.state_dir, deploy_seconds=0.5, insync_seconds=0.5)
    pids = json.load(open(os.path.join(args.state_dir, "pids.json")))
    try:
        cli.reset(args.state_dir)
        clients = Clients(endpoints)
        names, first, second = build(clients, args.aliases)
        dists = [first, second]
        creds = endpoints["aws"]["accounts"][ACCOUNT]
        env = {"AWS_ACCESS_KEY_ID": creds["access_key_id"], "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
               "AWS_ENDPOINT_URL": endpoints["aws"]["endpoint_url"], "AWS_REGION": "us-east-1"}
        cli.faults(args.state_dir, throttle=args.throttle, seed=1)
        rows = []
        for number in range(args.runs):
            alias = names[number % len(names)]
            current = holders(clients, alias, dists)
            target = second if current == [first["id"]] else first
            mark = len(read_log(endpoints["request_log"]))
            returncode, wall, peak, stderr_path = run_once(endpoints, alias, target, env, args.state_dir)
            requests = read_log(endpoints["request_log"], since=mark)
            converged = (returncode == 0 and holders(clients, alias, dists) == [target["id"]]
                         and cname_of(endpoints, alias) == [target["domain_name"]]
                         and txt_of(endpoints, "_" + alias) == [])
            row = {"run": number + 1, "alias": alias, "target": target["id"], "returncode": returncode,
                   "converged": converged, "wall_seconds": round(wall, 2), "requests": len(requests),
                   "throttled": sum(1 for r in requests if r.get("fault")),
                   "controller_peak_rss_mb": peak}
            for name in ("server", "named"):
                row["%s_rss_mb" % name], row["%s_fds" % name] = proc_stats(pids[name])
            rows.append(row)
            print(json.dumps(row), flush=True)
            if not converged:
                with open(stderr_path, errors="replace") as fh:
                    print(fh.read()[-2000:], file=sys.stderr)
        cli.faults(args.state_dir, off=True)
    finally:
        cli.down(args.state_dir)
    report = summarise(rows, args)
    os.makedirs(args.output, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(args.output, "soak-%s.json" % stamp)
    with open(path, "w") as fh:
        json.dump({"settings": vars(args), "summary": report, "runs": rows}, fh, indent=2)
    print(json.dumps(report, indent=2))
    print("written: %s" % path)
    return 0 if report["converged"] == report["runs"] else 1


def summarise(rows, args):
    tenth = max(1, len(rows) // 10)
    first, last = rows[:tenth], rows[-tenth:]

    def mean(items, key):
        return round(sum(r[key] for r in items) / len(items), 2)

    keys = ("server_rss_mb", "server_fds", "named_rss_mb", "named_fds", "controller_peak_rss_mb", "wall_seconds",
            "requests")
    return {
        "runs": len(rows), "converged": sum(1 for r in rows if r["converged"]),
        "throttled_requests": sum(r["throttled"] for r in rows), "requests": sum(r["requests"] for r in rows),
        "first_tenth": dict((k, mean(first, k)) for k in keys),
        "last_tenth": dict((k, mean(last, k)) for k in keys),
        "throttle": args.throttle,
    }


if __name__ == "__main__":
    sys.exit(main())
