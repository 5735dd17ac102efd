"""The front door of the sandbox's AWS endpoint.

Every request passes through here before moto sees it: the access key selects
the account (unknown keys are refused, as AWS refuses them), a key made with an
identity policy is authorised against it (sandbox/aws/iam.py; denied: AWS's own
AccessDenied), a fault may be injected, mutating requests are serialised, and one
line goes to the request log.
"""

import functools
import io
import re
import secrets
import urllib.parse

import botocore.session
from moto.core.request import Request as MotoRequest
from moto.core.routing import get_service_router

from .iam import IamUsers

_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]{16,128})/[0-9]{8}/([^/]+)/([^/]+)/aws4_request")
_READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head", "Test")
# Read-only operations whose names do not say so (CloudFront's VerifyDnsConfiguration only looks at DNS).
_READ_ONLY_OPERATIONS = frozenset(["VerifyDnsConfiguration"])
# moto picks a request's Flask app by listing its own package directory and matching the host against every
# backend's URL patterns, under one lock, per request. For these services the app depends on the credential
# scope's service and region only (moto's infer_service_region_host has no special case for them), so the
# gateway keeps moto's choice per (service, region).
_APP_BY_SCOPE_SERVICES = frozenset(["acm", "cloudfront", "iam", "route53", "sts"])
_NAMESPACES = {
    "cloudfront": "http://cloudfront.amazonaws.com/doc/2020-05-31/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
}


@functools.lru_cache(maxsize=None)
def _protocol(service):
    try:
        return botocore.session.get_session().get_service_model(service).metadata["protocol"]
    except Exception:  # an unknown service: answer it like the query services do
        return "query"


def is_mutating(operation):
    return not (operation.startswith(_READ_ONLY_PREFIXES) or operation in _READ_ONLY_OPERATIONS)


class AwsGateway:
    def __init__(self, moto_app, ctx):
        self.moto_app = moto_app
        self.ctx = ctx
        # Credentials with an identity policy (POST /iam/credentials); endpoints.json's keys are not among them.
        self.iam = IamUsers()
        self._apps = {}  # (service, region) -> moto's Flask app for it

    def __call__(self, environ, start_response):
        # The network first, outside every lock: concurrent requests wait side by side.
        self.ctx.faults.delay_api()
        body = _buffer_body(environ)
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key, service = (match.group(1), match.group(3).lower()) if match else (None, "unknown")
        region = match.group(2) if match else None
        operation = _operation(service, environ, body)
        mutating = is_mutating(operation)
        account = self.ctx.account_for_key(access_key) if access_key else None
        user = self.iam.lookup(access_key) if access_key and account is None else None
        if user is not None:
            account = user["account"]
            denial = self.iam.authorize(user, service, operation, environ)
            if denial is not None:
                # Status and code as AWS sends them: 403 AccessDenied for the XML services, and
                # AccessDeniedException (400) for the JSON ones (ACM).
                json_protocol = _protocol(service) in ("json", "rest-json")
                code, status = ("AccessDeniedException", 400) if json_protocol else ("AccessDenied", 403)
                self.ctx.log.record(service, operation, account, status, mutating, denied=denial.action,
                                    user=user["arn"])
                return _error(start_response, service, status, code, denial.message)
        if account is None:
            code = "UnrecognizedClientException" if _protocol(service) == "json" else "InvalidClientTokenId"
            if access_key is None:
                code = "MissingAuthenticationToken"
            message = "The security token included in the request is invalid."
            self.ctx.log.record(service, operation, "", 403, mutating)
            return _error(start_response, service, 403, code, message)

        fault = self.ctx.faults.decide()
        if fault is not None:
            status, code, message = _fault_error(fault, service, operation)
            self.ctx.log.record(service, operation, account, status, mutating, fault=True)
            return _error(start_response, service, status, code, message)

        environ["HTTP_X_MOTO_ACCOUNT_ID"] = account
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        app = self._app(service, region, environ)
        if mutating:
            with self.ctx.aws_write_lock:
                chunks = list(app(environ, capture))
        else:
            chunks = list(app(environ, capture))
        extra = {"user": user["arn"]} if user is not None else {}
        self.ctx.log.record(service, operation, account, captured.get("status", 500), mutating, **extra)
        return chunks

    def _app(self, service, region, environ):
        if service not in _APP_BY_SCOPE_SERVICES:
            return self.moto_app
        key = (service, region)
        app = self._apps.get(key)
        if app is None:
            app = self._apps[key] = self.moto_app.get_application(environ)
        return app


def _buffer_body(environ):
    # Read the body once, so that both the operation matcher and moto can see it.
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _operation(service, environ, body):
    protocol = _protocol(service)
    try:
        if protocol in ("rest-xml", "rest-json"):
            request = MotoRequest(dict(environ, **{"wsgi.input": io.BytesIO(body)}))
            operation, unused = get_service_router(service).match(request)
            return operation.name
        if protocol == "json":
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            return target.split(".")[-1] or "Unknown"
        values = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        values.update(urllib.parse.parse_qs(environ.get("QUERY_STRING", "")))
        return values.get("Action", ["Unknown"])[0]
    except Exception:  # an unmatched path is still logged, as "Unknown"
        return "Unknown"


def _fault_error(fault, service, operation):
    if fault == "throttle":
        if service == "route53" and operation == "ChangeResourceRecordSets":
            # Route 53's own way of saying "slow down" for changes to one zone.
            return 400, "PriorRequestNotComplete", (
                "The request was rejected because Route 53 was still processing a prior request.")
        if _protocol(service) == "json":
            return 400, "ThrottlingException", "Rate exceeded"
        return 400, "Throttling", "Rate exceeded"
    return 503, "ServiceUnavailable", "Service is unavailable. Please try again later."


def _error(start_response, service, status, code, message):
    request_id = secrets.token_hex(16)
    if _protocol(service) in ("json", "rest-json"):
        payload = ('{"__type": "%s", "message": "%s"}' % (code, message)).encode()
        content_type = "application/x-amz-json-1.1"
    else:
        namespace = _NAMESPACES.get(service, "https://%s.amazonaws.com/doc/" % service)
        kind = "Sender" if status < 500 else "Receiver"
        payload = (
            '<?xml version="1.0"?>\n<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code>'
            "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>"
            % (namespace, kind, code, message, request_id)).encode()
        content_type = "text/xml"
    start_response("%d %s" % (status, "Error"), [
        ("Content-Type", content_type),
        ("Content-Length", str(len(payload))),
        ("x-amzn-RequestId", request_id),
    ])
    return [payload]
