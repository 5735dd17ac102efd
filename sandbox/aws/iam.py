"""Identity policies on sandbox credentials, evaluated as IAM evaluates identity-based policies.

A credential made through the control endpoint (``POST /iam/credentials``) belongs to an IAM user of one
account and carries one identity policy document. Every AWS request signed with it is authorised here
before moto sees it:

- the request's IAM actions are ``<service prefix>:<Operation>``, plus the extra actions AWS's Service
  Authorization Reference lists for an operation (``AssociateAlias`` needs ``cloudfront:UpdateDistribution``
  too); ``sts:GetCallerIdentity`` needs no permission at all;
- a statement applies when its ``Action`` (or ``NotAction``) matches the action, case-insensitively, with
  ``*`` and ``?`` wildcards, and its ``Resource`` (or ``NotResource``) matches the request's resource ARN
  (``*`` for operations that name no resource);
- an applicable ``Deny`` wins; else an applicable ``Allow`` allows; else the request is implicitly denied.

``Condition`` is refused when the credential is made: the sandbox would otherwise ignore it silently.
The default credentials of ``endpoints.json`` carry no policy and are never evaluated.
"""

import re
import secrets
import threading
import urllib.parse

from ..context import new_access_key

# Operations that authorise more than their own action (Service Authorization Reference, "API operations
# defined by Amazon CloudFront": AssociateAlias -> cloudfront:AssociateAlias and cloudfront:UpdateDistribution).
EXTRA_ACTIONS = {
    ("cloudfront", "AssociateAlias"): ("cloudfront:UpdateDistribution",),
}
# "No permissions are required to perform this operation" (STS API Reference, GetCallerIdentity).
NO_PERMISSION_NEEDED = frozenset(["sts:GetCallerIdentity"])
# The request's service name (the signing name in the credential scope) -> the IAM service prefix.
_PREFIXES = {"cloudfront": "cloudfront", "route53": "route53", "sts": "sts", "acm": "acm"}

_CLOUDFRONT_RESOURCE = re.compile(r"^/20\d\d-\d\d-\d\d/(distribution|distribution-tenant|connection-group)/([^/]+)")
_ROUTE53_RESOURCE = re.compile(r"^/20\d\d-\d\d-\d\d/(hostedzone|change)/([^/]+)")


class PolicyError(ValueError):
    """A policy document the sandbox cannot evaluate faithfully."""


def required_actions(service, operation):
    """The IAM actions one API operation needs, its own first (empty: it needs none)."""
    own = "%s:%s" % (_PREFIXES.get(service, service), operation)
    if own in NO_PERMISSION_NEEDED:
        return []
    return [own] + list(EXTRA_ACTIONS.get((service, operation), ()))


def resource_arn(service, account, environ):
    """The ARN of the resource a request acts on, or ``*`` when the operation names none."""
    path = environ.get("PATH_INFO", "")
    if service == "cloudfront":
        match = _CLOUDFRONT_RESOURCE.match(path)
        if match:
            return "arn:aws:cloudfront::%s:%s/%s" % (account, match.group(1), urllib.parse.unquote(match.group(2)))
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if path.endswith("/conflicting-alias") and query.get("DistributionId"):
            return "arn:aws:cloudfront::%s:distribution/%s" % (account, query["DistributionId"][0])
    if service == "route53":
        match = _ROUTE53_RESOURCE.match(path)
        if match:
            return "arn:aws:route53:::%s/%s" % (match.group(1), match.group(2))
    return "*"


def _as_list(value, what):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise PolicyError("%s must be a string or a non-empty list of strings" % what)


def _pattern(text, case_insensitive):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile("^%s$" % regex, re.IGNORECASE if case_insensitive else 0)


class Statement:
    def __init__(self, document, index):
        if not isinstance(document, dict):
            raise PolicyError("Statement %d must be an object" % index)
        unknown = set(document) - {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"}
        if unknown:
            raise PolicyError("Statement %d: %s not supported by the sandbox (Condition and Principal are "
                              "not evaluated here)" % (index, ", ".join(sorted(unknown))))
        if document.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError("Statement %d: Effect must be Allow or Deny" % index)
        if ("Action" in document) == ("NotAction" in document):
            raise PolicyError("Statement %d: give exactly one of Action and NotAction" % index)
        if ("Resource" in document) == ("NotResource" in document):
            raise PolicyError("Statement %d: give exactly one of Resource and NotResource" % index)
        self.effect = document["Effect"]
        self.not_action = "NotAction" in document
        actions = _as_list(document.get("Action", document.get("NotAction")), "Action")
        for action in actions:
            if action != "*" and ":" not in action:
                raise PolicyError("Statement %d: action %r is not service:Operation" % (index, action))
        # Action names are case-insensitive; ARNs are not.
        self.actions = [_pattern(a, True) for a in actions]
        self.not_resource = "NotResource" in document
        self.resources = [_pattern(r, False) for r in
                          _as_list(document.get("Resource", document.get("NotResource")), "Resource")]

    def applies(self, action, resource):
        action_matches = any(p.match(action) for p in self.actions) != self.not_action
        if resource == "*":
            # An operation with no resource type is authorised only by Resource "*" (or a NotResource).
            resource_matches = self.not_resource or any(p.pattern == "^.*$" for p in self.resources)
        else:
            resource_matches = any(p.match(resource) for p in self.resources) != self.not_resource
        return action_matches and resource_matches


class Policy:
    def __init__(self, document):
        if not isinstance(document, dict):
            raise PolicyError("the policy document must be a JSON object")
        statements = document.get("Statement")
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list) or not statements:
            raise PolicyError("the policy document needs a Statement (an object or a non-empty list)")
        self.document = document
        self.statements = [Statement(s, i) for i, s in enumerate(statements)]

    def decide(self, action, resource):
        """``allow``, ``explicit`` (an applicable Deny) or ``implicit`` (no applicable Allow)."""
        applicable = [s for s in self.statements if s.applies(action, resource)]
        if any(s.effect == "Deny" for s in applicable):
            return "explicit"
        return "allow" if applicable else "implicit"


class Denial:
    def __init__(self, action, resource, user_arn, kind):
        self.action, self.resource, self.user_arn, self.kind = action, resource, user_arn, kind

    @property
    def message(self):
        # The shape of "Troubleshoot access denied error messages" (IAM User Guide); AWS leaves out
        # "on resource:" when the action has no resource.
        on = "" if self.resource == "*" else " on resource: %s" % self.resource
        reason = ("with an explicit deny in an identity-based policy" if self.kind == "explicit"
                  else "because no identity-based policy allows the %s action" % self.action)
        return "User: %s is not authorized to perform: %s%s %s" % (self.user_arn, self.action, on, reason)


class IamUsers:
    """The restricted credentials of one sandbox: access key id -> (account, user, secret, policy)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_key = {}

    def create(self, account, name, document):
        if not re.match(r"^[\w+=,.@-]{1,64}$", name or ""):
            raise PolicyError("name must be an IAM user name (1-64 of letters, digits and +=,.@_-)")
        policy = Policy(document)
        key = new_access_key(account)
        secret = secrets.token_urlsafe(30)
        user = {"account": account, "name": name, "arn": "arn:aws:iam::%s:user/%s" % (account, name),
                "secret_access_key": secret, "policy": policy}
        with self._lock:
            self._by_key[key] = user
        return {"access_key_id": key, "secret_access_key": secret, "account": account, "user_arn": user["arn"]}

    def lookup(self, access_key):
        with self._lock:
            return self._by_key.get(access_key)

    def clear(self):
        with self._lock:
            self._by_key.clear()

    def authorize(self, user, service, operation, environ):
        """None when every action the request needs is allowed, else the first Denial."""
        resource = resource_arn(service, user["account"], environ)
        for action in required_actions(service, operation):
            kind = user["policy"].decide(action, resource)
            if kind != "allow":
                return Denial(action, resource, user["arn"], kind)
        return None
