"""Helpers for the dns_cname_repoint integration tests.

``Repoint`` runs the module through real ansible-playbook against the sandbox,
with the connection options of each provider filled in. The readers below look
at the result with independent clients (boto3, plain HTTP to the sandbox's
Cloudflare, dnspython) so that a test never trusts the module's own report.
"""

import email.message
import io
import json
import os
import sys
import urllib.error

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from conftest import collections_path, run_playbook

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks", "repoint_run.yml")
TASK = "Repoint"
ACCOUNT = "111111111111"


class Run:
    """One ansible-playbook run of the repoint task."""

    def __init__(self, playbook_run):
        self.playbook_run = playbook_run
        self.returncode = playbook_run.returncode
        self.stdout = playbook_run.stdout
        self.stderr = playbook_run.stderr
        self.result = playbook_run.task(TASK)

    @property
    def failed(self):
        return bool(self.result.get("failed"))

    @property
    def msg(self):
        return self.result.get("msg", "")

    @property
    def records(self):
        return self.result.get("records", [])

    def record(self, name):
        found = [r for r in self.records if r["name"] == name]
        assert len(found) == 1, "expected one entry for %s in %s" % (name, self.records)
        return found[0]

    def explain(self):
        result = json.dumps(self.result, indent=1, default=str)
        return "rc=%s result=%s\nstderr=%s" % (self.returncode, result, self.stderr[-2000:])


class Repoint:
    """Runs dns_cname_repoint against the sandbox, provider connection options included."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.endpoints = sandbox.endpoints

    @property
    def cloudflare_token(self):
        return self.endpoints["cloudflare"]["api_token"]

    @property
    def tsig_secret(self):
        return self.endpoints["rfc2136"]["tsig"]["secret"]

    def connection(self, provider, cloudflare_via_env=False):
        """(module options, environment) that reach the sandbox for this provider."""
        env = dict(self.sandbox.aws_env(ACCOUNT))  # Route 53, and distribution ids anywhere
        options = {"provider": provider}
        if provider == "cloudflare":
            if cloudflare_via_env:
                env["CLOUDFLARE_API_TOKEN"] = self.cloudflare_token
                env["CLOUDFLARE_BASE_URL"] = self.endpoints["cloudflare"]["base_url"]
            else:
                options["api_token"] = self.cloudflare_token
                options["base_url"] = self.endpoints["cloudflare"]["base_url"]
        elif provider == "rfc2136":
            rfc = self.endpoints["rfc2136"]
            options.update(server=rfc["host"], port=rfc["port"], key_name=rfc["tsig"]["name"],
                           key_secret=rfc["tsig"]["secret"], key_algorithm=rfc["tsig"]["algorithm"])
        return options, env

    def run(self, provider, check=False, diff=False, args=(), env=None, cloudflare_via_env=False, **options):
        base, environment = self.connection(provider, cloudflare_via_env)
        base.update(options)
        environment.update(env or {})
        return Run(run_playbook(PLAYBOOK, {"repoint": base}, env=environment, check=check, diff=diff, args=args))


# -- independent readers ---------------------------------------------------------------

def route53_sets(sandbox, zone_id, name):
    """Every record set at ``name`` as boto3 lists it (Route 53's own shapes)."""
    client = sandbox.aws("route53", ACCOUNT)
    wanted = name.rstrip(".") + "."
    found = []
    for page in client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for item in page["ResourceRecordSets"]:
            if item["Name"].replace("\\052", "*").lower() == wanted:
                found.append(item)
    return found


def route53_values(sandbox, zone_id, name, rtype):
    sets = [s for s in route53_sets(sandbox, zone_id, name) if s["Type"] == rtype]
    if not sets:
        return None
    assert len(sets) == 1
    return sorted(r["Value"].rstrip(".") for r in sets[0].get("ResourceRecords", []))


def route53_change(sandbox, zone_id, changes):
    sandbox.aws("route53", ACCOUNT).change_resource_record_sets(HostedZoneId=zone_id,
                                                                ChangeBatch={"Changes": changes})


def cname_change(action, name, value, ttl=300):
    return {"Action": action, "ResourceRecordSet": {"Name": name, "Type": "CNAME", "TTL": ttl,
                                                    "ResourceRecords": [{"Value": value}]}}


def cloudflare_records(sandbox, zone_id, name):
    """Every Cloudflare record at ``name`` (plain HTTP to the sandbox's API)."""
    records = sandbox.clients.cloudflare("GET", "/zones/%s/dns_records?per_page=500" % zone_id)
    return [r for r in records if r["name"].lower().rstrip(".") == name]


def cloudflare_zone(sandbox, name):
    return sandbox.clients.cloudflare("POST", "/zones", {
        "name": name, "type": "full", "account": {"id": sandbox.endpoints["cloudflare"]["account_id"]}})


def ask(server, name, rdtype):
    """(rcode text, values) from one server, recursion off, exactly this type at this name."""
    host, port = server
    query = dns.message.make_query(name + ".", rdtype)
    query.flags &= ~dns.flags.RD
    response = dns.query.udp(query, host, port=port, timeout=5)
    values = []
    wanted = dns.rdatatype.from_text(rdtype)
    for rrset in response.answer:
        if rrset.name.to_text().rstrip(".").lower() == name and rrset.rdtype == wanted:
            for rdata in rrset:
                if wanted == dns.rdatatype.CNAME:
                    values.append(rdata.target.to_text().rstrip(".").lower())
                elif wanted == dns.rdatatype.TXT:
                    values.append(b"".join(rdata.strings).decode())
                else:
                    values.append(rdata.to_text())
    return dns.rcode.to_text(response.rcode()), sorted(values)


def sandbox_dns(sandbox):
    return (sandbox.endpoints["dns"]["host"], sandbox.endpoints["dns"]["port"])


def bind_dns(sandbox):
    return (sandbox.endpoints["rfc2136"]["host"], sandbox.endpoints["rfc2136"]["port"])


# -- the collection's own code, in this process (for races a playbook cannot stage) ----------

def import_collection():
    path = collections_path()
    if path not in sys.path:
        sys.path.insert(0, path)


def mutating_summary(entries):
    return [(e["service"], e["operation"], e["status"]) for e in entries]


def collection():
    """The collection's module_utils, imported here to stage races between read and write."""
    import_collection()
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils import _aws, _dns as _providers, _repoint
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import base as _provider

    return _aws, _provider, _providers, _repoint


class InProcess:
    """Plan and apply as the module does, but with a pause between the two for a test to use."""

    def __init__(self, sandbox, provider, **options):
        self._aws, self._provider, self._providers, self._repoint = collection()
        self.ConcurrentChange = self._provider.ConcurrentChange
        creds = sandbox.endpoints["aws"]["accounts"][ACCOUNT]
        params = dict(provider=provider, zone_id=None, api_token=None, base_url=None, server=None, port=53,
                      key_name=None, key_secret=None, key_algorithm="hmac-sha256", validate_certs=True,
                      access_key=creds["access_key_id"], secret_key=creds["secret_access_key"], session_token=None,
                      profile=None, region="us-east-1", endpoint_url=sandbox.endpoints["aws"]["endpoint_url"],
                      aws_ca_bundle=None)
        params.update(Repoint(sandbox).connection(provider)[0])
        params.update(options)
        self.connection = self._aws.AwsConnection(params)
        self.provider = self._providers.build_provider(params, self.connection)
        self.targets = self._repoint.Targets(lambda: self.connection.client("cloudfront"))

    def plan(self, **entry):
        return self.plan_records([entry])

    def plan_records(self, entries):
        defaults = dict(zone=None, target=None, state="present", expected_current=None, ttl=None, proxied=None,
                        challenge=False)
        requests = self._repoint.parse_requests(entries, defaults, many=len(entries) > 1)
        return self._repoint.plan_repoint(self.provider, requests, self.targets)

    def apply(self, plans):
        return self._repoint.apply_plan(self.provider, plans)


# -- what the network does to the collection's Cloudflare client ------------------------------

def cloudflare_module():
    import_collection()
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import cloudflare as _cloudflare

    return _cloudflare


def _bad_gateway(url):
    body = b'{"success": false, "errors": [{"code": 1000, "message": "Bad gateway"}], "result": null}'
    return urllib.error.HTTPError(url, 502, "Bad Gateway", email.message.Message(), io.BytesIO(body))


def lose_answers(monkeypatch, method, times=1, made=True):
    """The next ``times`` requests of ``method`` get a 502; with ``made`` each one reached Cloudflare first.

    A gateway that times out after the API did the work answers exactly so.
    """
    module = cloudflare_module()
    real = module.open_url
    left = [times]

    def open_url(url, **kwargs):
        if kwargs.get("method") == method and left[0] > 0:
            left[0] -= 1
            if made:
                real(url, **kwargs).read()
            raise _bad_gateway(url)
        return real(url, **kwargs)

    monkeypatch.setattr(module, "open_url", open_url)


def spy_cloudflare_requests(monkeypatch):
    """[(method, url)] of every request the collection's Cloudflare client sends from now on."""
    module = cloudflare_module()
    real = module.open_url
    sent = []

    def open_url(url, **kwargs):
        sent.append((kwargs.get("method"), url))
        return real(url, **kwargs)

    monkeypatch.setattr(module, "open_url", open_url)
    return sent


def write_backup_file(directory, provider, names):
    """A backup file as dns_cname_repoint writes it, with the given names (dicts of zone, name, record_sets)."""
    path = os.path.join(str(directory), "dns-%s-crafted.json" % provider)
    items = []
    for item in names:
        item = dict(item)
        item.setdefault("types", sorted(set(s["type"] for s in item.get("record_sets", [])) | {"CNAME", "A", "AAAA"}))
        items.append(item)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"format": "aliasguard.cloudfront/dns-backup/1", "provider": provider, "created": "crafted",
                   "names": items}, handle)
    return path
