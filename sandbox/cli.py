"""``python -m sandbox up|down|reset|scenario|faults`` (the contract in SANDBOX.md)."""

import argparse
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from .context import ACCOUNT_IDS, DEFAULT_TTL_SCALE, MAX_ACCOUNTS, new_accounts

RFC2136_ZONE = "example.net"
CLOUDFLARE_ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
GOOGLE_PROJECT = "aliasguard-sandbox"
START_TIMEOUT = 60.0


class SandboxError(Exception):
    pass


def _paths(state_dir):
    return {name: os.path.join(state_dir, name) for name in (
        "config.json", "server.json", "endpoints.json", "pids.json", "server.log", "requests.jsonl")}


def _read_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still answers kill(0); reap it if it is ours.
    try:
        done, unused = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def new_config(deploy_seconds, insync_seconds, ttl_scale=DEFAULT_TTL_SCALE, accounts=len(ACCOUNT_IDS)):
    return {
        "accounts": new_accounts(accounts),
        "cloudflare": {"api_token": secrets.token_urlsafe(30), "account_id": CLOUDFLARE_ACCOUNT_ID},
        "google": {"project": GOOGLE_PROJECT, "token": secrets.token_urlsafe(30)},
        "rfc2136": {"zone": RFC2136_ZONE, "tsig": {
            "name": "aliasguard-sandbox.", "algorithm": "hmac-sha256",
            "secret": base64.b64encode(secrets.token_bytes(32)).decode()}},
        "deploy_seconds": deploy_seconds,
        "insync_seconds": insync_seconds,
        "ttl_scale": ttl_scale,
    }


def endpoints_for(state_dir, config, ports):
    return {
        "aws": {
            "endpoint_url": "http://127.0.0.1:%d" % ports["aws"],
            "region": "us-east-1",
            "accounts": config["accounts"],
        },
        "cloudflare": {
            "base_url": "http://127.0.0.1:%d/client/v4" % ports["cloudflare"],
            "api_token": config["cloudflare"]["api_token"],
            "account_id": config["cloudflare"]["account_id"],
        },
        # Cloud DNS: the official client takes base_url as client_options={"api_endpoint": base_url} (it adds
        # /dns/v1); the token goes in "Authorization: Bearer".
        "google": {
            "base_url": "http://127.0.0.1:%d" % ports["google"],
            "project": config["google"]["project"],
            "token": config["google"]["token"],
        },
        "dns": {"host": "127.0.0.1", "port": ports["dns"]},
        "rfc2136": {
            "host": "127.0.0.1", "port": ports["rfc2136"], "zone": config["rfc2136"]["zone"],
            "tsig": dict(config["rfc2136"]["tsig"]),
        },
        "request_log": os.path.join(state_dir, "requests.jsonl"),
        "sandbox": {"control_url": "http://127.0.0.1:%d" % ports["control"]},
    }


def running(state_dir):
    """The pids of a sandbox still running in state_dir, or None."""
    path = _paths(state_dir)["pids.json"]
    if not os.path.exists(path):
        return None
    pids = _read_json(path)
    return pids if any(_alive(pid) for pid in pids.values() if pid) else None


def up(state_dir, deploy_seconds=1.0, insync_seconds=1.0, ttl_scale=DEFAULT_TTL_SCALE, accounts=len(ACCOUNT_IDS)):
    if ttl_scale < 0:
        raise SandboxError("--ttl-scale must be zero (no DNS cache) or more, got %s" % ttl_scale)
    if not 1 <= accounts <= MAX_ACCOUNTS:
        raise SandboxError("--accounts must be between 1 and %d, got %s" % (MAX_ACCOUNTS, accounts))
    state_dir = os.path.abspath(state_dir)
    os.makedirs(state_dir, exist_ok=True)
    paths = _paths(state_dir)
    if running(state_dir):
        if _control(state_dir, "/health").get("ok"):
            return _read_json(paths["endpoints.json"])
        raise SandboxError("a sandbox in %s has processes left but does not answer; run "
                           "'python -m sandbox down --state-dir %s' first" % (state_dir, state_dir))
    for stale in ("server.json", "pids.json"):
        if os.path.exists(paths[stale]):
            os.remove(paths[stale])
    config = new_config(deploy_seconds, insync_seconds, ttl_scale, accounts)
    _write_json(paths["config.json"], config)
    project_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=project_root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # The sandbox answers every AWS account itself; real credentials have no business here.
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(var, None)
    with open(paths["server.log"], "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox.server", "--state-dir", state_dir],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=project_root,
            start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while not os.path.exists(paths["server.json"]):
        if process.poll() is not None:
            raise SandboxError("the sandbox server exited with %s while starting:\n%s"
                               % (process.returncode, _tail(paths["server.log"])))
        if time.monotonic() > deadline:
            _stop_pid(process.pid)
            raise SandboxError("the sandbox did not start within %ds:\n%s" % (START_TIMEOUT, _tail(paths["server.log"])))
        time.sleep(0.05)
    info = _read_json(paths["server.json"])
    _write_json(paths["pids.json"], info["pids"])
    endpoints = endpoints_for(state_dir, config, info["ports"])
    _write_json(paths["endpoints.json"], endpoints)
    return endpoints


def _tail(path, lines=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop_pid(pid, timeout=5.0):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def down(state_dir):
    state_dir = os.path.abspath(state_dir)
    path = _paths(state_dir)["pids.json"]
    if not os.path.exists(path):
        return []
    pids = _read_json(path)
    # The server stops named itself on SIGTERM; stop named by pid too in case it cannot.
    for name in ("server", "named"):
        if pids.get(name):
            _stop_pid(pids[name])
    os.remove(path)
    return [pid for pid in pids.values() if pid]


def _control(state_dir, path, payload=None):
    endpoints = _read_json(_paths(state_dir)["endpoints.json"])
    url = endpoints["sandbox"]["control_url"] + path
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise SandboxError("sandbox control %s failed: %s" % (path, exc.read().decode(errors="replace")))
    except OSError as exc:
        raise SandboxError("the sandbox in %s does not answer (%s); is it up?" % (state_dir, exc))


def reset(state_dir):
    return _control(os.path.abspath(state_dir), "/reset", {})


def faults(state_dir, throttle=0.0, server_errors=0.0, seed=0, off=False, cloudflare_quota=None,
           cloudflare_window=None, latency_ms=0.0, dns_latency_ms=0.0):
    """Set every fault at once: what a call does not name is off (``off`` switches all of them off), the
    latencies too."""
    payload = {"off": True} if off else {"throttle": throttle, "server_errors": server_errors, "seed": seed,
                                         "cloudflare_quota": cloudflare_quota,
                                         "cloudflare_window": cloudflare_window,
                                         "latency_ms": latency_ms, "dns_latency_ms": dns_latency_ms}
    return _control(os.path.abspath(state_dir), "/faults", payload)


def raise_alias_quota(state_dir, account_id, aliases_per_distribution):
    """An account's quota of aliases per distribution, raised as AWS Support raises it (control endpoint only)."""
    return _control(os.path.abspath(state_dir), "/quotas",
                    {"account_id": account_id, "aliases_per_distribution": aliases_per_distribution})


def iam_credentials(state_dir, account_id, name, policy):
    """A new access key (``{access_key_id, secret_access_key, account, user_arn}``) of an IAM user of
    ``account_id`` whose requests are evaluated against the identity policy ``policy`` (control endpoint only;
    ``reset`` removes it)."""
    return _control(os.path.abspath(state_dir), "/iam/credentials",
                    {"account": account_id, "name": name, "policy": policy})


def load_endpoints(state_dir):
    return _read_json(_paths(os.path.abspath(state_dir))["endpoints.json"])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "reset", "scenario", "faults"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--state-dir", required=True)
        if name == "up":
            cmd.add_argument("--deploy-seconds", type=float, default=1.0,
                             help="how long a distribution stays InProgress after a change")
            cmd.add_argument("--insync-seconds", type=float, default=1.0,
                             help="how long a Route 53 change stays PENDING (and a Cloud DNS change pending)")
            cmd.add_argument("--ttl-scale", type=float, default=DEFAULT_TTL_SCALE,
                             help="CloudFront's DNS check sees a changed record only after the old record's "
                                  "TTL x this many seconds (0: no cache)")
            cmd.add_argument("--accounts", type=int, default=len(ACCOUNT_IDS),
                             help="how many AWS accounts (default 2): 111111111111, 222222222222, ..., "
                                  "999999999999, then 900000000010, 900000000011, ...")
        if name == "scenario":
            cmd.add_argument("name")
            cmd.add_argument("--distributions", type=int, default=1000)
            cmd.add_argument("--aliases-per-distribution", type=int, default=3)
            cmd.add_argument("--holder-disabled", action="store_true",
                             help="cross-account: the holder in account 2 is disabled")
            cmd.add_argument("--proxied", action="store_true",
                             help="cloudflare: the record starts proxied (orange cloud)")
            cmd.add_argument("--tenants", type=int, default=0,
                             help="fleet: also a multi-tenant distribution with this many distribution tenants")
            cmd.add_argument("--fleet-accounts", type=int, default=1,
                             help="fleet: spread the distributions over this many of the sandbox's accounts")
            cmd.add_argument("--route53-zones", type=int, default=3,
                             help="fleet: this many Route 53 zones (at least 3)")
            cmd.add_argument("--route53-records", type=int,
                             help="fleet: about this many Route 53 records in all (default 3 per distribution)")
            cmd.add_argument("--cloudflare-records", type=int,
                             help="fleet: this many of the aliases' records at Cloudflare (default: a sixth)")
        if name == "faults":
            cmd.description = ("Set the sandbox's faults and latencies, all at once: a setting this command is "
                               "not given is off (0), the latencies too; it prints the settings in force.")
            cmd.add_argument("--throttle", type=float, default=0.0)
            cmd.add_argument("--server-errors", type=float, default=0.0)
            cmd.add_argument("--seed", type=int, default=0)
            cmd.add_argument("--cloudflare-quota", type=int,
                             help="at most this many Cloudflare API requests per window, then 429 with "
                                  "Retry-After until the window refills (Cloudflare: 1200 per 300 s)")
            cmd.add_argument("--cloudflare-window", type=float,
                             help="the rate limit's window in seconds (default 300)")
            cmd.add_argument("--latency-ms", type=float, default=0.0,
                             help="every AWS, Cloudflare and Cloud DNS API request waits this many milliseconds "
                                  "before it is handled, as over a network; concurrent requests wait side by "
                                  "side (default 0: none)")
            cmd.add_argument("--dns-latency-ms", type=float, default=0.0,
                             help="every answer of the sandbox DNS server (UDP and TCP) waits this many "
                                  "milliseconds (default 0: none); RFC 2136 updates are not delayed")
            cmd.add_argument("--off", action="store_true",
                             help="everything off: faults, the Cloudflare rate limit and both latencies")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            endpoints = up(args.state_dir, args.deploy_seconds, args.insync_seconds, args.ttl_scale, args.accounts)
            print("sandbox up: %s" % os.path.join(os.path.abspath(args.state_dir), "endpoints.json"))
            print(json.dumps({k: v for k, v in endpoints.items() if k in ("dns", "request_log")}))
        elif args.command == "down":
            stopped = down(args.state_dir)
            print("sandbox down: stopped %s" % (", ".join(map(str, stopped)) or "nothing"))
        elif args.command == "reset":
            reset(args.state_dir)
            print("sandbox reset")
        elif args.command == "faults":
            print(json.dumps(faults(args.state_dir, args.throttle, args.server_errors, args.seed, args.off,
                                    args.cloudflare_quota, args.cloudflare_window, args.latency_ms,
                                    args.dns_latency_ms)))
        elif args.command == "scenario":
            from .scenarios import build

            options = {"distributions": args.distributions,
                       "aliases_per_distribution": args.aliases_per_distribution,
                       "holder_disabled": args.holder_disabled, "proxied": args.proxied,
                       "tenants": args.tenants, "fleet_accounts": args.fleet_accounts,
                       "route53_zones": args.route53_zones, "route53_records": args.route53_records,
                       "cloudflare_records": args.cloudflare_records}
            print(json.dumps(build(args.name, os.path.abspath(args.state_dir), **options), indent=2))
    except SandboxError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 1
    return 0
