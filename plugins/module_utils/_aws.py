# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one way the collection talks to AWS.

Connection options carry the names and environment variables that amazon.aws
users already know, ``aws_config`` (botocore ``Config`` parameters) among them.
Every client comes from ``AwsConnection.client``, which sets botocore's retries
for throttling, our user agent and the endpoint (``client_config``: the user's
``aws_config`` merged over our defaults), and counts the HTTP requests it sends
(reported back so that users see the cost).
AWS errors become messages a user can act on in ``describe_error``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import urlparse

try:
    from importlib.util import find_spec

    HAS_BOTO3 = find_spec("boto3") is not None and find_spec("botocore") is not None
except (ImportError, ValueError):
    HAS_BOTO3 = False

_BOTO = {}


def _boto() -> Tuple[Any, Any]:
    """(boto3, botocore), imported on first use: half a second a run that fails early, or needs no AWS, saves."""
    if not _BOTO:
        import boto3
        import botocore.config
        import botocore.exceptions
        import botocore.loaders
        import botocore.session

        _BOTO.update(boto3=boto3, botocore=botocore)
    return _BOTO["boto3"], _BOTO["botocore"]


_LOADERS = {}  # type: Dict[Optional[str], Any]
_LOADERS_LOCK = threading.Lock()


def shared_loader(data_path: Optional[str] = None) -> Any:
    """The process's one botocore data loader for ``data_path`` (botocore's ``data_path``, AWS_DATA_PATH).

    botocore gives every session a loader of its own, and a loader decodes a service's model (CloudFront's is a
    large gzip'd JSON: about 0.13 s) once per session. Every session made here shares this one instead, so a
    worker that runs a module several times (a loop over targets, run in process) decodes each model once.
    """
    unused, botocore = _boto()
    with _LOADERS_LOCK:
        if data_path not in _LOADERS:
            _LOADERS[data_path] = botocore.loaders.create_loader(data_path)
        return _LOADERS[data_path]


def _botocore_if_loaded() -> Any:
    """botocore once imported (only then can an exception be one of its own), else None."""
    return _BOTO.get("botocore") or (sys.modules.get("botocore") if "botocore.exceptions" in sys.modules else None)


from ansible_collections.aliasguard.cloudfront.plugins.module_utils._version import COLLECTION_VERSION

USER_AGENT = "aliasguard.cloudfront/%s" % COLLECTION_VERSION
DEFAULT_REGION = "us-east-1"  # CloudFront, Route 53 and CloudFront's ACM certificates live here
MAX_ATTEMPTS = 10
CONNECT_TIMEOUT = 15
READ_TIMEOUT = 60


def aws_argument_spec() -> Dict[str, Dict[str, Any]]:
    return dict(
        access_key=dict(type="str", aliases=["aws_access_key_id", "aws_access_key"], no_log=False),
        secret_key=dict(type="str", aliases=["aws_secret_access_key", "aws_secret_key"], no_log=True),
        # security_token is gone, as in amazon.aws 9.0.0: it named the same thing as session_token.
        session_token=dict(type="str", aliases=["aws_session_token"], no_log=True),
        profile=dict(type="str", aliases=["aws_profile"]),
        region=dict(type="str", aliases=["aws_region"]),
        endpoint_url=dict(type="str", aliases=["aws_endpoint_url"], fallback=(env_fallback, ["AWS_URL"])),
        validate_certs=dict(type="bool", default=True),
        aws_ca_bundle=dict(type="path"),
        aws_config=dict(type="dict"),
    )


def client_config_options(aws_config: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The keyword arguments of botocore's ``Config`` for every client: our defaults, with ``aws_config`` over them.

    A key of ``aws_config`` replaces our default, with two exceptions that keep our settings sensible:
    ``retries`` is merged key by key (giving only ``mode`` keeps our 10 attempts; giving ``max_attempts`` or
    ``total_max_attempts`` replaces ours, since botocore would otherwise let ``total_max_attempts`` win), and
    ``user_agent_extra`` is appended to ours, so that requests still say which collection sent them.
    Raises AwsError for a value that cannot be botocore configuration (nothing has been sent yet).
    """
    options = dict(
        user_agent_extra=USER_AGENT,
        # total_max_attempts counts the first try too; max_attempts would allow one more.
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
    )
    if aws_config is None:
        return options
    if not isinstance(aws_config, dict):
        raise AwsError("aws_config must be a mapping of botocore Config parameters, like {connect_timeout: 30}",
                       code="BadOption")
    for key, value in aws_config.items():
        if key == "retries":
            if not isinstance(value, dict):
                raise AwsError("aws_config.retries must be a mapping, like {mode: standard, total_max_attempts: 5}, "
                               "not %r" % (value,), code="BadOption")
            retries = dict(options["retries"])
            if "max_attempts" in value or "total_max_attempts" in value:
                retries.pop("total_max_attempts")
            retries.update(value)
            options["retries"] = retries
        elif key == "user_agent_extra":
            options[key] = ("%s %s" % (USER_AGENT, value)) if value else USER_AGENT
        else:
            options[key] = value
    return options


def client_config(aws_config: Optional[Dict[str, Any]] = None) -> Any:
    """botocore ``Config`` built from ``client_config_options``; AwsError names a parameter botocore does not know."""
    unused, botocore = _boto()
    options = client_config_options(aws_config)
    known = getattr(botocore.config.Config, "OPTION_DEFAULTS", None)
    if known:
        unknown = sorted(str(key) for key in options if key not in known)
        if unknown:
            raise AwsError("aws_config: %s %s not a botocore Config parameter; use the names of botocore.config.Config "
                           "(%s)" % (", ".join(unknown), "is" if len(unknown) == 1 else "are", ", ".join(sorted(known))),
                           code="BadOption")
    try:
        return botocore.config.Config(**options)
    except (TypeError, ValueError, botocore.exceptions.BotoCoreError) as exc:
        raise AwsError("aws_config is not a valid botocore configuration: %s" % exc, code="BadOption")


class AwsError(Exception):
    """An AWS problem, already worded for the user."""

    def __init__(self, message: str, code: Optional[str] = None, exception: Optional[BaseException] = None) -> None:
        super(AwsError, self).__init__(message)
        self.code = code
        self.exception = exception


class RequestCounter:
    """Counts every HTTP request the clients send, retries included, and the IAM actions they needed.

    ``actions`` holds ``service:Operation`` (``cloudfront:ListDistributions``, ``route53:ChangeResourceRecordSets``),
    the names IAM policies and amazon.aws's ``resource_actions`` use.
    """

    def __init__(self) -> None:
        self.by_service = {}  # type: Dict[str, int]
        self.by_operation = {}  # type: Dict[str, int]
        self.actions = set()  # type: Set[str]
        self._lock = threading.Lock()  # requests are sent from several threads (see _parallel)

    def __call__(self, request: Any = None, **kwargs: Any) -> None:
        # Event names look like "before-send.route-53.ChangeResourceRecordSets".
        parts = kwargs.get("event_name", "").split(".")
        service = parts[1].replace("-", "") if len(parts) > 2 else "aws"
        operation = parts[2] if len(parts) > 2 else "unknown"
        with self._lock:
            self.by_service[service] = self.by_service.get(service, 0) + 1
            self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
            self.actions.add("%s:%s" % (service, operation))

    @property
    def resource_actions(self) -> List[str]:
        """The sorted ``service:Operation`` of every call sent (the IAM actions the run needed)."""
        return sorted(self.actions)

    @property
    def total(self) -> int:
        return sum(self.by_service.values())


class AwsConnection:
    """Builds clients from the module's connection options."""

    def __init__(self, params: Dict[str, Any]) -> None:
        if not HAS_BOTO3:
            raise AwsError("boto3 and botocore are required on the host that runs this module: pip install boto3",
                           code="MissingDependency")
        self.params = params
        self.requests = RequestCounter()
        self._session = None  # type: Any
        self._clients = {}  # type: Dict[Any, Any]
        # A boto3 session is not thread-safe, its clients are: clients are made one at a time, then shared.
        self._lock = threading.RLock()

    def session(self) -> Any:
        if self._session is None:
            params = self.params
            boto3, botocore = _boto()
            core = botocore.session.Session(profile=params.get("profile"))
            try:
                loader = shared_loader(core.get_config_variable("data_path"))
                core.register_component("data_loader", loader)
                self._session = boto3.session.Session(
                    aws_access_key_id=params.get("access_key"),
                    aws_secret_access_key=params.get("secret_key"),
                    aws_session_token=params.get("session_token"),
                    region_name=params.get("region"),
                    botocore_session=core,
                )
            except botocore.exceptions.ProfileNotFound as exc:
                raise AwsError(profile_not_found(params.get("profile"), exc), code="ProfileNotFound")
            # boto3 adds its own data directory to the loader of every session it makes: once is enough.
            loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
        return self._session

    def check_credentials(self) -> None:
        """Fail before any request when no credentials can be found at all."""
        params = self.params
        if bool(params.get("access_key")) != bool(params.get("secret_key")):
            raise AwsError("access_key and secret_key must be given together (or neither, to use the "
                           "environment, a profile or an instance role)", code="PartialCredentials")
        unused, botocore = _boto()
        try:
            credentials = self.session().get_credentials()
        except botocore.exceptions.BotoCoreError as exc:
            raise AwsError("AWS credentials could not be loaded: %s" % exc, code="CredentialsError")
        if credentials is None:
            raise AwsError(
                "No AWS credentials found. Give access_key and secret_key (or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY in the environment), a profile (AWS_PROFILE), or run where an "
                "instance or task role is available.", code="NoCredentials")

    def client(self, service: str, region: Optional[str] = None) -> Any:
        with self._lock:
            return self._client(service, region)

    def _client(self, service: str, region: Optional[str]) -> Any:
        key = (service, region)
        if key not in self._clients:
            params = self.params
            unused, botocore = _boto()
            verify = params.get("aws_ca_bundle") or params.get("validate_certs", True)
            config = client_config(params.get("aws_config"))
            region_name = region or self.session().region_name or DEFAULT_REGION
            endpoint_url = check_endpoint_url(params.get("endpoint_url"))
            try:
                client = self.session().client(
                    service, region_name=region_name, endpoint_url=endpoint_url, verify=verify, config=config)
            except botocore.exceptions.InvalidRegionError as exc:
                raise AwsError("region %r is not an AWS region name (%s); give one like us-east-1 (option region, "
                               "or AWS_REGION)" % (region_name, exc), code="InvalidRegion")
            except (ValueError, botocore.exceptions.BotoCoreError) as exc:
                raise AwsError("no %s client could be made from the AWS options: %s" % (service, exc),
                               code=type(exc).__name__)
            client.meta.events.register("before-send.*", self.requests)
            self._clients[key] = client
        return self._clients[key]


def check_endpoint_url(value: Any) -> Optional[str]:
    """The endpoint URL (or None), or AwsError when it cannot be one; botocore's own error says less."""
    if not value:
        return None
    text = str(value).strip()
    try:
        parsed = urlparse(text)
        valid = parsed.scheme in ("http", "https") and bool(parsed.hostname) and (parsed.port or 1) > 0
    except ValueError:
        valid = False
    if not valid:
        raise AwsError("endpoint_url %r is not an http(s) URL with a host and a valid port; give one like "
                       "https://cloudfront.amazonaws.com, or leave it out for AWS's own endpoints" % text,
                       code="InvalidEndpoint")
    return text


def profile_not_found(profile: Optional[str], exc: Exception, environ: Optional[Dict[str, str]] = None) -> str:
    """Which profile was asked for, and where it came from: the option, or AWS_PROFILE / AWS_DEFAULT_PROFILE."""
    environ = os.environ if environ is None else environ
    source = "the profile option"
    if not profile:
        for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            if environ.get(variable):
                profile, source = environ[variable], "the environment variable %s" % variable
                break
    files = ", ".join([environ.get("AWS_CONFIG_FILE") or "~/.aws/config",
                       environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"])
    return ("AWS profile %r (from %s) was not found in the AWS config files (%s): %s. Fix the profile name, add the "
            "profile, or unset it to use other credentials" % (profile, source, files, exc))


# Where a user finds every action the collection needs (README "Requirements", docs/iam/*.json).
IAM_POLICY_DOCS = ("docs/iam/remediation-policy.json and docs/iam/audit-policy.json list every action the "
                   "collection needs (the collection's IAM guide explains them)")
_ACCESS_DENIED = ("AccessDenied", "AccessDeniedException")
# "User: arn:... is not authorized to perform: cloudfront:ListDistributions ..." (IAM's access denied message).
_DENIED_ACTION = re.compile(r"not authorized to perform:? ([A-Za-z0-9-]+:[A-Za-z0-9*]+)")
# The AWS services the collection calls (botocore names), for an operation whose service the caller did not say.
_SERVICES = ("cloudfront", "route53", "acm", "sts")
_OPERATIONS = {}

_ADVICE = {
    "AccessDenied": "the credentials lack permission for this call; grant it in IAM or use other credentials",
    "AccessDeniedException": "the credentials lack permission for this call; grant it in IAM or use other credentials",
    "InvalidClientTokenId": "AWS rejected the access key; check access_key/secret_key, AWS_PROFILE or the environment",
    "UnrecognizedClientException": "AWS rejected the access key; check access_key/secret_key, AWS_PROFILE or the environment",
    "SignatureDoesNotMatch": "AWS rejected the secret key; check secret_key",
    "ExpiredToken": "the session token has expired; refresh the credentials",
    # %(attempts)d: how many attempts botocore made (aws_config's retries can change the default, MAX_ATTEMPTS).
    "Throttling": "AWS kept throttling after %(attempts)d attempts; try again later or with fewer forks",
    "ThrottlingException": "AWS kept throttling after %(attempts)d attempts; try again later or with fewer forks",
    "PriorRequestNotComplete": "Route 53 was still applying an earlier change after %(attempts)d attempts; try again",
    "ServiceUnavailable": "AWS was unavailable after %(attempts)d attempts; try again later",
}


def _attempts(response: Dict[str, Any]) -> int:
    """How many attempts botocore made for this response (RetryAttempts counts the retries), else MAX_ATTEMPTS."""
    retries = (response.get("ResponseMetadata") or {}).get("RetryAttempts")
    return retries + 1 if isinstance(retries, int) and retries >= 0 else MAX_ATTEMPTS


def error_code(exc: BaseException) -> Optional[str]:
    botocore = _botocore_if_loaded()
    if botocore is not None and isinstance(exc, botocore.exceptions.ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def _service_of(operation: str) -> Optional[str]:
    """The IAM prefix of the service (among those the collection calls) that has this botocore operation."""
    if not _OPERATIONS:
        import botocore.session

        session = botocore.session.get_session()
        for name in _SERVICES:
            model = session.get_service_model(name)
            for known in model.operation_names:
                _OPERATIONS.setdefault(known, model.signing_name)
    return _OPERATIONS.get(operation)


def missing_permission(exc: Any, service: Optional[str] = None) -> Optional[str]:
    """``service:Operation`` an AccessDenied refused: the one AWS's message names, else the call's own."""
    message = exc.response.get("Error", {}).get("Message", "") or ""
    named = _DENIED_ACTION.search(message)
    if named:
        return named.group(1)
    operation = getattr(exc, "operation_name", None)
    if not operation:
        return None
    try:
        service = service or _service_of(operation)
    except Exception:  # no model to ask: the message still names the operation
        service = None
    return "%s:%s" % (service, operation) if service else None


def _access_denied_advice(exc: Any, service: Optional[str]) -> str:
    action = missing_permission(exc, service)
    if action is None:
        return _ADVICE[error_code(exc)]
    message = exc.response.get("Error", {}).get("Message", "") or ""
    if "explicit deny" in message:
        return ("the credentials lack permission for %s: an explicit Deny in a policy refuses it; remove that Deny "
                "for these credentials; %s" % (action, IAM_POLICY_DOCS))
    return ("the credentials lack permission for %s: it is not allowed for these credentials; add it to their IAM "
            "policy; %s" % (action, IAM_POLICY_DOCS))


def describe_error(exc: BaseException, doing: str, service: Optional[str] = None) -> AwsError:
    """Turn a botocore exception into an AwsError whose message says what to do.

    ``service``: the IAM prefix of the service called (``call`` knows it from the client), so that an
    AccessDenied names the missing ``service:Operation`` even when AWS's message does not.
    """
    if isinstance(exc, AwsError):
        return exc
    botocore = _botocore_if_loaded()
    if botocore is not None and isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
        text = "%s failed: %s: %s" % (doing, code, message)
        if code in _ACCESS_DENIED:
            text += " (%s)" % _access_denied_advice(exc, service)
        elif code in _ADVICE:
            text += " (%s)" % (_ADVICE[code] % {"attempts": _attempts(exc.response)})
        return AwsError(text, code=code, exception=exc)
    if botocore is not None and isinstance(exc, botocore.exceptions.NoCredentialsError):
        return AwsError("%s failed: no AWS credentials found" % doing, code="NoCredentials", exception=exc)
    if botocore is not None and isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return AwsError("%s failed: could not reach the AWS endpoint (%s); check endpoint_url (or AWS_URL, or "
                        "botocore's AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>) and the network"
                        % (doing, exc), code="EndpointConnectionError", exception=exc)
    if botocore is not None and isinstance(exc, botocore.exceptions.BotoCoreError):
        return AwsError("%s failed: %s" % (doing, exc), code=type(exc).__name__, exception=exc)
    return AwsError("%s failed: %s" % (doing, exc), exception=exc)


def _service_of_client_method(function: Callable[..., Any]) -> Optional[str]:
    """The IAM prefix of a bound botocore client method's service (its signing name), or None."""
    meta = getattr(getattr(function, "__self__", None), "meta", None)
    try:
        return meta.service_model.signing_name if meta is not None else None
    except AttributeError:
        return None


def call(doing: str, function: Callable[..., Any], **kwargs: Any) -> Any:
    """Call one AWS API function; any failure comes back as an AwsError."""
    try:
        return function(**kwargs)
    except Exception as exc:  # every botocore failure is described, nothing escapes as a traceback
        raise describe_error(exc, doing, _service_of_client_method(function))
