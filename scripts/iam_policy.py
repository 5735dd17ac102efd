"""Generate the least-privilege IAM policies of the remediation and of the audit from what they really call.

    .venv/bin/python scripts/iam_policy.py [--state-dir DIR] [--check]      (make iam-policy)

Starts a sandbox (or uses the one running in --state-dir), runs playbooks/remediate.yml in every situation
that needs calls of its own (the runbook's move with AssociateAlias, a holder in another account, dns_first,
a wildcard holder, the apex, Cloudflare, RFC 2136, distribution tenants on either side, and check mode) and
playbooks/audit.yml over two accounts (check mode and not, and once more with no distribution at all), all
with unrestricted credentials, and writes:

- docs/iam/remediation-policy.json and docs/iam/audit-policy.json: one Allow statement each, exactly the
  actions called, sorted, Resource "*" (several of them - ListDistributions, ListHostedZones,
  ListCertificates - accept nothing else, and which distributions and zones a run touches is only known
  at run time);
- docs/iam/actions.json: which case called which action, which tests/integration/test_iam_policy.py
  compares with what a run calls now;
- docs/iam/ACTIONS.md: the same for a reader, with the API operation behind every action.

The actions come from two sources that must agree, run by run: the ``resource_actions`` every module result
carries (``service:Operation`` of every call, as amazon.aws reports them) and the sandbox's request log (one
line per AWS request: service and operation); the script stops, writing nothing, when they do not. An API
operation needs its own action and the extra ones the Service Authorization Reference lists for it
(AssociateAlias: cloudfront:UpdateDistribution too; sandbox/aws/iam.py), and the action of the call the
collection makes instead where that operation is not offered (ALTERNATIVES): which one a run makes depends
on the botocore installed and the endpoint, so the policy must not.

--check writes nothing and exits 1 when the committed files differ from what the runs produce.
"""

import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from conftest import run_playbook  # noqa: E402
from sandbox import cli  # noqa: E402
from sandbox.aws.iam import EXTRA_ACTIONS  # noqa: E402
from sandbox.reqlog import read_log  # noqa: E402
from sandbox.scenarios import build  # noqa: E402

DOCS = os.path.join(ROOT, "docs", "iam")
AWS_SERVICES = ("cloudfront", "route53", "acm", "sts")
ACCOUNT_1, ACCOUNT_2 = "111111111111", "222222222222"

# (case, scenario, scenario options, extra vars, check mode). Each case needs a call no other case makes,
# or shows what check mode alone needs.
REMEDIATION_CASES = [
    ("runbook move", "seed-409", {}, {}, False),
    ("runbook move, check mode", "seed-409", {}, {}, True),
    ("runbook move, strategy dns_first", "seed-409", {}, {"strategy": "dns_first"}, False),
    ("cross-account, disabled holder", "cross-account", {"holder_disabled": True}, {}, False),
    ("wildcard holder", "wildcard", {}, {}, False),
    ("apex", "apex", {}, {}, False),
    ("cloudflare", "cloudflare", {}, {}, False),
    ("rfc2136", "rfc2136", {}, {}, False),
    ("tenant holds the name", "tenant", {}, {}, False),
    ("tenant is the target", "tenant-target", {}, {"tenant_target": True}, False),
]


# Operations the collection asks in either form. Who holds a name: ListDomainConflicts where the installed
# botocore (1.38.4 or later), the endpoint and the credentials offer it, else ListConflictingAliases
# (_cloudfront.py, _audit_checks.HolderAsker, _preflight.py; the modules' docs say so). A policy made with
# one botocore must work with the other, so a call of either needs both actions.
ALTERNATIVES = {
    ("cloudfront", "ListDomainConflicts"): ("cloudfront:ListConflictingAliases",),
    ("cloudfront", "ListConflictingAliases"): ("cloudfront:ListDomainConflicts",),
}


def iam_actions(service, operation):
    """Every IAM action one API operation needs: its own, the documented extra ones, and its alternative's."""
    return (["%s:%s" % (service, operation)] + list(EXTRA_ACTIONS.get((service, operation), ()))
            + list(ALTERNATIVES.get((service, operation), ())))


def resource_actions_in(value):
    """Every ``resource_actions`` entry anywhere in a task result (loops nest their results)."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "resource_actions" and isinstance(item, list):
                found.update(a for a in item if isinstance(a, str))
            else:
                found |= resource_actions_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= resource_actions_in(item)
    return found


class Run:
    """One playbook run: the operations the log saw, and the resource_actions the results reported."""

    def __init__(self, case, run, requests):
        if run.returncode != 0:
            failed = [r["result"].get("msg") for r in run.results if r["result"].get("failed")]
            raise SystemExit("%s: the playbook failed (rc %d): %s\n%s" % (case, run.returncode, failed,
                                                                          run.stderr[-2000:]))
        self.case = case
        self.logged = sorted({(r["service"], r["operation"]) for r in requests if r["service"] in AWS_SERVICES})
        self.accounts = sorted({r["account"] for r in requests if r["service"] in AWS_SERVICES})
        self.reported = resource_actions_in([r["result"] for r in run.results])

    def describe(self):
        return "%d actions; resource_actions %s the request log (%d operations)" % (
            len(self.actions), "disagree with" if self.disagreement() else "agree with", len(self.logged))

    @property
    def actions(self):
        return sorted({a for service, operation in self.logged for a in iam_actions(service, operation)})

    def disagreement(self):
        """None when resource_actions name exactly the operations of the log, else what differs.

        Every module reports resource_actions (the module base), so a run whose log shows AWS calls and whose
        results name none disagrees too.
        """
        logged = {"%s:%s" % pair for pair in self.logged}
        if not logged and not self.reported:
            return None
        if logged == self.reported:
            return None
        return "%s: only in the request log: %s; only in resource_actions: %s" % (
            self.case, sorted(logged - self.reported), sorted(self.reported - logged))


def remediation_vars(sandbox, info, tenant_target):
    rfc = sandbox["endpoints"]["rfc2136"]
    provider = info["dns"]["provider"]
    nameserver = ("127.0.0.1:%d" % rfc["port"] if provider == "rfc2136"
                  else "127.0.0.1:%d" % sandbox["endpoints"]["dns"]["port"])
    extra = {"alias": info["alias"], "dns_provider": provider, "dns_zone": info["dns"]["zone"],
             "verify_nameservers": [nameserver], "verify_timeout": 20,
             "rfc2136_server": rfc["host"], "rfc2136_port": rfc["port"], "rfc2136_key_name": rfc["tsig"]["name"],
             "rfc2136_key_secret": rfc["tsig"]["secret"], "rfc2136_key_algorithm": rfc["tsig"]["algorithm"]}
    if tenant_target:
        extra["target_distribution_tenant_id"] = info["target_distribution_tenant_id"]
    else:
        extra["target_distribution_id"] = info["target_distribution_id"]
    return extra


def aws_env(endpoints, account=ACCOUNT_1, credentials=None):
    creds = credentials or endpoints["aws"]["accounts"][account]
    return {"AWS_ACCESS_KEY_ID": creds["access_key_id"], "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
            "AWS_ENDPOINT_URL": endpoints["aws"]["endpoint_url"], "AWS_REGION": "us-east-1",
            "CLOUDFLARE_API_TOKEN": endpoints["cloudflare"]["api_token"],
            "CLOUDFLARE_BASE_URL": endpoints["cloudflare"]["base_url"]}


def audit_inventory(endpoints, path, credentials=None):
    """An inventory of both accounts as hosts; ``credentials``: {account: keys} instead of endpoints.json's."""
    lines = ["all:", "  children:", "    aws_accounts:", "      hosts:"]
    for index, account in enumerate((ACCOUNT_1, ACCOUNT_2)):
        creds = (credentials or endpoints["aws"]["accounts"])[account]
        lines += ["        account%d:" % (index + 1), "          aws:",
                  "            access_key: %s" % creds["access_key_id"],
                  "            secret_key: %s" % creds["secret_access_key"],
                  "            endpoint_url: %s" % endpoints["aws"]["endpoint_url"]]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def audit_vars(endpoints, report_dir):
    rfc = endpoints["rfc2136"]
    return {"report_dir": report_dir, "cloudflare_zones": ["fleet-d.example"], "rfc2136_zones": [rfc["zone"]],
            "rfc2136_server": rfc["host"], "rfc2136_port": rfc["port"], "rfc2136_key_name": rfc["tsig"]["name"],
            "rfc2136_key_secret": rfc["tsig"]["secret"],
            "verify_nameservers": ["127.0.0.1:%d" % endpoints["dns"]["port"]]}


def log_mark(path):
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.endswith("\n"))


def run_logged(endpoints, case, playbook, extra_vars, env, check, args=()):
    mark = log_mark(endpoints["request_log"])
    run = run_playbook(playbook, extra_vars, env=env, check=check, args=args)
    return Run(case, run, read_log(endpoints["request_log"], since=mark))


def build_audit_fleet(state_dir):
    # Small, but with every kind of thing the audit lists: tenants, connection groups, both accounts.
    return build("fleet", state_dir, distributions=20, aliases_per_distribution=2, tenants=3)


def collect(state_dir, workdir):
    endpoints = cli.load_endpoints(state_dir)
    sandbox = {"endpoints": endpoints}
    runs = {"remediation": [], "audit": []}
    for case, scenario, options, extra, check in REMEDIATION_CASES:
        extra = dict(extra)
        tenant_target = extra.pop("tenant_target", False)
        info = build(scenario, state_dir, **options)
        extra_vars = dict(remediation_vars(sandbox, info, tenant_target), **extra)
        runs["remediation"].append(run_logged(endpoints, case, "aliasguard.cloudfront.remediate", extra_vars,
                                              aws_env(endpoints), check))
        print("remediation, %s: %s" % (case, runs["remediation"][-1].describe()), file=sys.stderr)
    inventory = audit_inventory(endpoints, os.path.join(workdir, "accounts.yml"))
    # The last case: accounts without a distribution, whose id the audit asks STS for.
    for case, check in (("audit check mode", True), ("audit", False), ("audit of empty accounts", True)):
        if case == "audit of empty accounts":
            cli.reset(state_dir)
        else:
            build_audit_fleet(state_dir)
        env = {"CLOUDFLARE_API_TOKEN": endpoints["cloudflare"]["api_token"],
               "CLOUDFLARE_BASE_URL": endpoints["cloudflare"]["base_url"]}
        extra_vars = audit_vars(endpoints, os.path.join(workdir, case.replace(" ", "-")))
        if case == "audit of empty accounts":
            extra_vars.pop("cloudflare_zones")  # reset removed the Cloudflare zone too
        runs["audit"].append(run_logged(endpoints, case, "aliasguard.cloudfront.audit", extra_vars,
                                        env, check, args=("-i", inventory)))
        print("%s: %s" % (case, runs["audit"][-1].describe()), file=sys.stderr)
    return runs


def policy(sid, actions):
    return {"Version": "2012-10-17",
            "Statement": [{"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}]}


def render(runs):
    """{file name: text} of everything written under docs/iam."""
    files = {}
    by_case = {}
    operations = {}
    for kind, sid in (("remediation", "AliasguardRemediation"), ("audit", "AliasguardAudit")):
        actions = set()
        by_case[kind] = {}
        for run in runs[kind]:
            by_case[kind][run.case] = run.actions
            actions.update(run.actions)
            for service, operation in run.logged:
                for action in iam_actions(service, operation):
                    operations.setdefault(action, set()).add("%s:%s" % (service, operation))
        files["%s-policy.json" % kind] = json.dumps(policy(sid, actions), indent=2) + "\n"
    files["actions.json"] = json.dumps(by_case, indent=2, sort_keys=True) + "\n"

    lines = ["# Which call needs which IAM action", "",
             "Generated by `make iam-policy` (scripts/iam_policy.py) from the sandbox's request log; do not edit.",
             "An action listed under an operation of another name is one AWS requires besides the operation's own",
             "(Service Authorization Reference), or the call the collection makes instead where that operation is",
             "not offered (`cloudfront:ListConflictingAliases` for `ListDomainConflicts`, with a botocore older",
             "than 1.38.4, an endpoint without it, or credentials that refuse it).", ""]
    if "sts:GetCallerIdentity" in operations:
        lines[-1:-1] = ["`sts:GetCallerIdentity` needs no permission at all (STS API Reference); it is listed because "
                        "the collection calls it."]
    for kind in ("remediation", "audit"):
        cases = by_case[kind]
        lines += ["## %s (docs/iam/%s-policy.json)" % (kind.capitalize(), kind), "",
                  "| Action | API operation | Cases that call it |", "| --- | --- | --- |"]
        every = sorted({a for actions in cases.values() for a in actions})
        for action in every:
            used = [case for case, actions in cases.items() if action in actions]
            called = ", ".join(sorted(operations[action]))
            where = "all" if len(used) == len(cases) else ", ".join(used)
            lines.append("| `%s` | %s | %s |" % (action, called, where))
        lines.append("")
    files["ACTIONS.md"] = "\n".join(lines)
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--state-dir", help="a running sandbox to use (default: start one, and stop it after)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if docs/iam/ is out of date")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aliasguard-iam-") as workdir:
        state_dir = args.state_dir
        started = state_dir is None
        if started:
            state_dir = os.path.join(workdir, "sandbox")
            os.makedirs(state_dir)
            cli.up(state_dir, deploy_seconds=0.5, insync_seconds=0.5)
        try:
            runs = collect(state_dir, workdir)
        finally:
            if started:
                cli.down(state_dir)
    problems = [d for kind in runs.values() for run in kind for d in [run.disagreement()] if d]
    if problems:
        raise SystemExit("resource_actions and the request log disagree:\n" + "\n".join(problems))
    files = render(runs)
    stale = []
    for name, text in sorted(files.items()):
        path = os.path.join(DOCS, name)
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current != text:
            stale.append(name)
            if not args.check:
                os.makedirs(DOCS, exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
    if args.check and stale:
        print("docs/iam is out of date (%s): run make iam-policy" % ", ".join(stale), file=sys.stderr)
        return 1
    print("docs/iam: %s" % ("written: %s" % ", ".join(stale) if stale else "up to date"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
