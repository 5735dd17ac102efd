"""The sandbox's long-running process: every part, wired together, in one process.

Started by ``python -m sandbox up``; not meant to be run by hand. It reads
``DIR/config.json`` (written by ``up``), starts the AWS endpoint (moto and the
fidelity layer), the Cloudflare API, the Cloud DNS API, the authoritative DNS server, BIND with a
logging proxy in front of it, and a small control endpoint, then writes
``DIR/server.json`` with their ports and pids.
"""

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .context import DEFAULT_TTL_SCALE, SandboxContext
from .faults import FaultPolicy
from .reqlog import RequestLog


def _serve(app, **kwargs):
    server = make_server("127.0.0.1", 0, app, threaded=True, **kwargs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Sandbox:
    def __init__(self, state_dir, config):
        self.state_dir = state_dir
        self.config = config
        log = RequestLog(os.path.join(state_dir, "requests.jsonl"))
        self.ctx = SandboxContext(
            config["accounts"], log, FaultPolicy(),
            deploy_seconds=config.get("deploy_seconds", 1.0),
            insync_seconds=config.get("insync_seconds", 1.0),
            ttl_scale=config.get("ttl_scale", DEFAULT_TTL_SCALE))
        self.servers = []
        self.bind = None
        self.bind_pid = None

    def start(self):
        # moto must be patched before its server app exists.
        from .aws import fidelity
        from .aws.gateway import AwsGateway
        from .bind import BindServer, DnsProxy
        from .cloudflare import CloudflareStore, make_app
        from .dnsserver import DnsServer
        from .google import GoogleDnsStore
        from .google import make_app as make_google_app
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication, MotoRequestHandler, create_backend_app)

        fidelity.install(self.ctx)
        ports = {}

        self.dns = DnsServer(self.ctx)
        ports["dns"] = self.dns.start()
        self.ctx.dns_address = ("127.0.0.1", ports["dns"])
        self.ctx.dns_server = self.dns

        moto_app = DomainDispatcherApplication(create_backend_app)
        self.gateway = AwsGateway(moto_app, self.ctx)
        aws = _serve(self.gateway, request_handler=MotoRequestHandler)
        ports["aws"] = aws.server_port

        cf = self.config["cloudflare"]
        self.ctx.cloudflare = CloudflareStore()
        cloudflare = _serve(make_app(self.ctx.cloudflare, cf["api_token"], self.ctx.log, self.ctx.faults,
                                     account_id=cf["account_id"]))
        ports["cloudflare"] = cloudflare.server_port

        # Cloud DNS: one project, one bearer token; its changes stay pending as long as a Route 53 change.
        google_config = self.config.get("google") or {}
        self.ctx.google = GoogleDnsStore(google_config.get("project") or "aliasguard-sandbox",
                                         propagation_seconds=self.ctx.insync_seconds)
        google = _serve(make_google_app(self.ctx.google, google_config.get("token") or secrets.token_urlsafe(30),
                                        self.ctx.log, self.ctx.faults))
        ports["google"] = google.server_port

        rfc = self.config["rfc2136"]
        self.bind = BindServer(os.path.join(self.state_dir, "bind"), rfc["zone"],
                               rfc["tsig"]["name"], rfc["tsig"]["secret"], rfc["tsig"]["algorithm"])
        self.bind.prepare()
        self.bind_pid = self.bind.start()
        self.ctx.rfc2136_zone = rfc["zone"]
        self.ctx.rfc2136_upstream = ("127.0.0.1", self.bind.port)
        self.proxy = DnsProxy("127.0.0.1", self.bind.port, self.ctx.log, self.ctx.faults,
                              keyring=self.bind.tsig_keyring())
        ports["rfc2136"] = self.proxy.start()

        control = _serve(self.control_app)
        ports["control"] = control.server_port
        self.servers = [aws, cloudflare, google, control]
        return ports

    def reset(self):
        from moto.moto_api._internal.models import moto_api_backend

        from .aws import fidelity

        moto_api_backend.reset()
        fidelity.after_reset()
        self.ctx.route53_changes.clear()
        self.ctx.alias_quotas.clear()
        self.ctx.cloudflare.reset()
        self.ctx.google.reset()
        self.bind.reset()
        self.gateway.iam.clear()

    @Request.application
    def control_app(self, request):
        path = request.path.rstrip("/")
        if path == "/health":
            return _json({"ok": True})
        if path == "/reset" and request.method == "POST":
            self.reset()
            return _json({"reset": True})
        if path == "/faults" and request.method == "POST":
            body = request.get_json(force=True) or {}
            try:
                if body.get("off"):
                    self.ctx.faults.off()
                else:
                    self.ctx.faults.configure(body.get("throttle", 0.0), body.get("server_errors", 0.0),
                                              body.get("seed", 0), body.get("cloudflare_quota"),
                                              body.get("cloudflare_window"), body.get("latency_ms", 0.0),
                                              body.get("dns_latency_ms", 0.0))
            except (TypeError, ValueError) as exc:
                return _json({"error": str(exc)}, 400)
            return _json(self.ctx.faults.settings())
        if path == "/faults":
            return _json(self.ctx.faults.settings())
        if path == "/quotas" and request.method == "POST":
            # What AWS Support does on request: raise an account's quota of aliases per distribution.
            body = request.get_json(force=True) or {}
            try:
                account, value = str(body["account_id"]), int(body["aliases_per_distribution"])
            except (KeyError, TypeError, ValueError):
                return _json({"error": "give account_id and aliases_per_distribution"}, 400)
            if account not in self.ctx.accounts or value < 1:
                return _json({"error": "unknown account or a quota below 1"}, 400)
            self.ctx.alias_quotas[account] = value
            return _json({"alias_quotas": self.ctx.alias_quotas})
        if path == "/iam/credentials" and request.method == "POST":
            return self.iam_credentials(request.get_json(force=True) or {})
        return _json({"error": "not found"}, 404)

    def iam_credentials(self, body):
        """A new access key of an IAM user in ``account`` whose only permissions are ``policy``."""
        from .aws.iam import PolicyError

        account = str(body.get("account", ""))
        if account not in self.ctx.accounts:
            return _json({"error": "account must be one of %s" % ", ".join(sorted(self.ctx.accounts))}, 400)
        try:
            return _json(self.gateway.iam.create(account, body.get("name"), body.get("policy")))
        except PolicyError as exc:
            return _json({"error": str(exc)}, 400)

    def stop(self):
        if self.bind is not None and self.bind_pid:
            self.bind.stop(self.bind_pid)


def _json(data, status=200):
    return Response(json.dumps(data), status=status, mimetype="application/json")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.server")
    parser.add_argument("--state-dir", required=True)
    args = parser.parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    # Every request is in requests.jsonl already; werkzeug's access log would only repeat it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with open(os.path.join(state_dir, "config.json"), encoding="utf-8") as fh:
        config = json.load(fh)
    sandbox = Sandbox(state_dir, config)

    def shutdown(signum, frame):
        sandbox.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        ports = sandbox.start()
    except Exception as exc:
        sandbox.stop()
        print("sandbox failed to start: %s" % exc, file=sys.stderr)
        raise
    info = {"ports": ports, "pids": {"server": os.getpid(), "named": sandbox.bind_pid}}
    tmp = os.path.join(state_dir, "server.json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(info, fh)
    os.replace(tmp, os.path.join(state_dir, "server.json"))
    threading.Event().wait()


if __name__ == "__main__":
    main()
