"""Helpers for the step 1, 3 and 4 integration tests (conflict info, distribution alias, verify).

Everything here looks at the sandbox the way a user's own tools would: boto3 for
AWS, dnspython for DNS, the request log for what the modules sent.
"""

import http.client
import http.server
import os
import re
import socket
import threading
import time
import urllib.parse

import dns.flags
import dns.message
import dns.query
import dns.rdatatype

from conftest import run_playbook

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
CONFLICT_PLAYBOOK = os.path.join(PLAYBOOKS, "conflict_info.yml")
ALIAS_PLAYBOOK = os.path.join(PLAYBOOKS, "alias_change.yml")
VERIFY_PLAYBOOK = os.path.join(PLAYBOOKS, "verify_aliases.yml")

ACCOUNT_1 = "111111111111"
ACCOUNT_2 = "222222222222"


# -- running the modules ---------------------------------------------------------------

def _run(playbook, extra, env, check=False, diff=False):
    return run_playbook(playbook, extra, env=dict(env), check=check, diff=diff)


def find_holders(sandbox, target_id, aliases, env=None, check=False, **options):
    """Run cloudfront_alias_conflict_info through ansible-playbook; its result."""
    extra = {"alias_names": list(aliases), "nameservers": [sandbox.dns_server]}
    if target_id is not None:
        extra["target_distribution_id"] = target_id
    extra.update(options)
    run = _run(CONFLICT_PLAYBOOK, extra, sandbox.aws_env() if env is None else env, check=check)
    return run.task("Find the holders")


def change_aliases(sandbox, distribution_id, aliases, state=None, env=None, check=False, diff=False, **options):
    """Run cloudfront_distribution_alias through ansible-playbook; its result."""
    extra = {"alias_names": list(aliases)}
    if distribution_id is not None:
        extra["distribution_id"] = distribution_id
    if state:
        extra["alias_state"] = state
    extra.update(options)
    run = _run(ALIAS_PLAYBOOK, extra, sandbox.aws_env() if env is None else env, check=check, diff=diff)
    return run.task("Change the aliases")


def verify_aliases(sandbox, aliases, env=None, check=False, **options):
    """Run dns_cname_verify through ansible-playbook; its result."""
    extra = {"alias_names": list(aliases), "nameservers": [sandbox.dns_server]}
    extra.update(options)
    run = _run(VERIFY_PLAYBOOK, extra, sandbox.aws_env() if env is None else env, check=check)
    return run.task("Verify the aliases")


# -- the request log ---------------------------------------------------------------------


def operations(entries, service=None):
    return [e["operation"] for e in entries if service is None or e["service"] == service]


def count(entries, operation):
    return sum(1 for e in entries if e["operation"] == operation)


def successful_mutations(entries):
    return [e for e in entries if e["mutating"] and isinstance(e["status"], int) and 200 <= e["status"] < 300]


# -- AWS, read and written with plain boto3 -------------------------------------------


def distribution_config(sandbox, distribution_id, account=ACCOUNT_1):
    response = sandbox.aws("cloudfront", account).get_distribution_config(Id=distribution_id)
    return response["DistributionConfig"], response["ETag"]


def aliases_of(sandbox, distribution_id, account=ACCOUNT_1):
    config, unused = distribution_config(sandbox, distribution_id, account)
    return sorted((config.get("Aliases") or {}).get("Items") or [])


def without_aliases(config):
    rest = dict(config)
    rest.pop("Aliases", None)
    return rest


def set_comment(sandbox, distribution_id, comment, account=ACCOUNT_1):
    """Someone else's edit: change only the Comment."""
    cloudfront = sandbox.aws("cloudfront", account)
    config, etag = distribution_config(sandbox, distribution_id, account)
    config["Comment"] = comment
    cloudfront.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=config)


def add_alias_with_boto3(sandbox, distribution_id, alias, account=ACCOUNT_1):
    cloudfront = sandbox.aws("cloudfront", account)
    config, etag = distribution_config(sandbox, distribution_id, account)
    items = list((config.get("Aliases") or {}).get("Items") or []) + [alias]
    config["Aliases"] = {"Quantity": len(items), "Items": items}
    cloudfront.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=config)


def certificate_arn(sandbox, domain="example.com", account=ACCOUNT_1):
    # Every key type: ListCertificates lists only RSA_1024/RSA_2048 certificates unless asked (the scenarios' are ECDSA).
    every_key_type = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
    listed = sandbox.aws("acm", account).list_certificates(Includes={"keyTypes": every_key_type})
    for summary in listed["CertificateSummaryList"]:
        if summary["DomainName"] == domain:
            return summary["CertificateArn"]
    raise AssertionError("no certificate for %s in %s" % (domain, account))


def route53_upsert(sandbox, zone_id, name, rtype, values=None, alias_target=None, ttl=60):
    record = {"Name": name, "Type": rtype}
    if alias_target:
        record["AliasTarget"] = {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": alias_target,
                                 "EvaluateTargetHealth": False}
    else:
        record["TTL"] = ttl
        record["ResourceRecords"] = [{"Value": v} for v in values]
    sandbox.aws("route53").change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]})


def route53_delete(sandbox, zone_id, name, rtype, values, ttl=300):
    record = {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}
    sandbox.aws("route53").change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]})


def create_txt_challenge(sandbox, zone_id, alias, target_domain, name=None):
    """The TXT record AssociateAlias wants: _<alias> (or ``name``) = the target's *.cloudfront.net name."""
    route53_upsert(sandbox, zone_id, name or "_" + alias, "TXT", ['"%s"' % target_domain])


def when_logged(sandbox, mark, operation, then, delay=0.0, timeout=60, status=None):
    """A started thread: once ``operation`` appears in the request log after ``mark``
    (with ``status``, if given), wait ``delay`` seconds and run ``then()``. ``thread.done``
    is set when it ran."""
    done = threading.Event()

    def watch():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["operation"] == operation and (status is None or e["status"] == status)
                   for e in sandbox.requests_since(mark)):
                time.sleep(delay)
                then()
                done.set()
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.done = done
    thread.start()
    return thread


# -- DNS, asked directly -------------------------------------------------------------------


def dns_values(server, name, rdtype):
    """The values a nameserver ("host:port") gives for one name and type, recursion off."""
    host, port = server.rsplit(":", 1)
    query = dns.message.make_query(name.rstrip(".") + ".", rdtype)
    response = dns.query.udp(query, host, port=int(port), timeout=3)
    wanted = dns.rdatatype.from_text(rdtype)
    values = []
    for rrset in response.answer:
        if rrset.rdtype == wanted:
            values.extend(r.to_text().rstrip(".").lower() for r in rrset)
    return sorted(values)


def rfc2136_server(sandbox):
    return "127.0.0.1:%d" % sandbox.endpoints["rfc2136"]["port"]


def rfc2136_replace_cname(sandbox, owner, target):
    """Repoint a CNAME in the RFC 2136 zone, signed with the sandbox's TSIG key."""
    update = sandbox.clients.rfc2136_update()
    update.replace(owner, 300, "CNAME", target.rstrip(".") + ".")
    sandbox.clients.rfc2136_send(update)


class NonAuthoritativeForwarder:
    """A DNS server on 127.0.0.1 that answers like a cache: it asks ``upstream`` ("host:port")
    and passes the answer on without the AA flag. Giving it as ``nameservers`` is the
    mistake of giving a recursive resolver instead of the zone's own servers."""

    def __init__(self, upstream):
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            query = dns.message.from_wire(wire)
            response = dns.query.udp(query, self.upstream[0], port=self.upstream[1], timeout=3)
            response.flags &= ~dns.flags.AA
            response.flags |= dns.flags.RA
            self.sock.sendto(response.to_wire(), peer)


# -- a proxy in front of the sandbox's AWS endpoint -------------------------------------


class _ForwardingProxy:
    """An HTTP proxy in front of the sandbox's AWS endpoint for one module run.

    Subclasses decide per request: ``before(command, path)`` may run something first or
    return ``(status, body)`` to answer instead of the sandbox; ``after(command, path,
    status)`` sees what the sandbox answered.
    """

    def __init__(self, upstream_url):
        self.upstream = urllib.parse.urlsplit(upstream_url)
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, headers, payload):
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = urllib.parse.urlsplit(self.path).path
                with proxy._lock:
                    instead = proxy.before(self.command, path)
                if instead is not None:
                    status, payload = instead
                    self._reply(status, [("Content-Type", "text/xml")], payload.encode("utf-8"))
                    return
                connection = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                headers = dict((k, v) for k, v in self.headers.items() if k.lower() != "connection")
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                with proxy._lock:
                    proxy.after(self.command, path, response.status)
                self._reply(response.status, response.getheaders(), payload)
                connection.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def before(self, command, path):
        return None

    def after(self, command, path, status):
        pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def cloudfront_error(code, message, status):
    """A CloudFront (rest-xml) error response body."""
    return status, ('<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
                    '<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>'
                    '<RequestId>proxy-0001</RequestId></ErrorResponse>' % (code, message))


_DISTRIBUTION_PATH = re.compile(r"^/2020-05-31/distribution/([^/?]+)(/config|/associate-alias)?$")


class FailAfterChangeProxy(_ForwardingProxy):
    """Once the module's change of ``distribution_id`` went through (UpdateDistribution or
    AssociateAlias answered 2xx), every GetDistribution of it is refused with ``code``:
    the wait for Deployed fails after the change was made."""

    def __init__(self, upstream_url, distribution_id, code="AccessDenied", status=403):
        super(FailAfterChangeProxy, self).__init__(upstream_url)
        self.distribution_id = distribution_id
        self.error = cloudfront_error(code, "refused by the test proxy after the change", status)
        self.changed = False
        self.refused = 0

    def before(self, command, path):
        match = _DISTRIBUTION_PATH.match(path)
        if self.changed and command == "GET" and match and match.group(1) == self.distribution_id \
                and not match.group(2):
            self.refused += 1
            return self.error
        return None

    def after(self, command, path, status):
        match = _DISTRIBUTION_PATH.match(path)
        if command == "PUT" and match and match.group(1) == self.distribution_id and match.group(2) \
                and 200 <= status < 300:
            self.changed = True


class BeforeGetDistributionProxy(_ForwardingProxy):
    """Runs ``action()`` just before the ``nth`` GetDistribution of ``distribution_id`` is forwarded."""

    def __init__(self, upstream_url, distribution_id, nth, action):
        super(BeforeGetDistributionProxy, self).__init__(upstream_url)
        self.distribution_id = distribution_id
        self.nth = nth
        self.action = action
        self.seen = 0

    def before(self, command, path):
        match = _DISTRIBUTION_PATH.match(path)
        if command == "GET" and match and match.group(1) == self.distribution_id and not match.group(2):
            self.seen += 1
            if self.seen == self.nth:
                self.action()
        return None


# -- someone else edits while the module works ----------------------------------------

class ConcurrentEditProxy(_ForwardingProxy):
    """Just before the first ``UpdateDistribution`` of ``distribution_id`` goes through,
    ``concurrent_edit()`` runs (another operator's change, made with boto3 straight to
    the sandbox), so that the module's ETag is stale when its request arrives. This
    makes the race deterministic without touching the module or the sandbox.
    """

    def __init__(self, upstream_url, distribution_id, concurrent_edit):
        super(ConcurrentEditProxy, self).__init__(upstream_url)
        self.distribution_id = distribution_id
        self.concurrent_edit = concurrent_edit
        self.edits = 0

    def before(self, command, path):
        match = _DISTRIBUTION_PATH.match(path)
        if command == "PUT" and match and match.group(1) == self.distribution_id and match.group(2) == "/config":
            if self.edits == 0:
                self.concurrent_edit()
                self.edits += 1
        return None
