# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS client factory, credentials checks and error wording; no network."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

botocore = pytest.importorskip("botocore")
import botocore.awsrequest  # noqa: E402
import botocore.exceptions  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils import _version  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import (  # noqa: E402
    MAX_ATTEMPTS,
    USER_AGENT,
    AwsConnection,
    AwsError,
    RequestCounter,
    aws_argument_spec,
    call,
    client_config_options,
    describe_error,
    error_code,
    shared_loader,
)

LIST_DISTRIBUTIONS_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<DistributionList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
    b"<Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>0</Quantity>"
    b"</DistributionList>"
)

ACCESS_DENIED_XML = (b'<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
                     b"<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                     b"<RequestId>r1</RequestId></ErrorResponse>")
THROTTLED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
    b"<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>1</RequestId></ErrorResponse>"
)


@pytest.fixture
def no_aws_environment(monkeypatch, tmp_path):
    """No credentials anywhere: no AWS_* variables, empty config files, no instance metadata."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.startswith("BOTO"):
            monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    credentials = tmp_path / "credentials"
    boto_config = tmp_path / "boto.cfg"
    for path in (config, credentials, boto_config):
        path.write_text(u"")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("BOTO_CONFIG", str(boto_config))
    # never ask 169.254.169.254 or a container endpoint from a unit test
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def client_error(code, message="something went wrong", status=400, operation="ListDistributions"):
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation)


# -- describe_error -------------------------------------------------------------


@pytest.mark.parametrize("code, advice", [
    ("AccessDenied", "lack permission"),
    ("AccessDeniedException", "lack permission"),
    ("InvalidClientTokenId", "rejected the access key"),
    ("UnrecognizedClientException", "rejected the access key"),
    ("SignatureDoesNotMatch", "secret key"),
    ("ExpiredToken", "expired"),
    ("Throttling", "%d attempts" % MAX_ATTEMPTS),
    ("ThrottlingException", "%d attempts" % MAX_ATTEMPTS),
    ("PriorRequestNotComplete", "%d attempts" % MAX_ATTEMPTS),
    ("ServiceUnavailable", "%d attempts" % MAX_ATTEMPTS),
])
def test_describe_error_says_what_was_done_what_aws_said_and_what_to_do(code, advice):
    exc = client_error(code, message="AWS says no")
    error = describe_error(exc, "GetDistributionConfig for E123")
    assert isinstance(error, AwsError)
    assert error.code == code
    assert error.exception is exc
    text = str(error)
    assert text.startswith("GetDistributionConfig for E123 failed: %s: AWS says no" % code)
    assert advice in text


def test_describe_error_without_advice_keeps_code_and_message():
    error = describe_error(client_error("PreconditionFailed", "The If-Match version is missing or not valid",
                                        status=412), "UpdateDistribution for E123")
    assert error.code == "PreconditionFailed"
    assert str(error) == ("UpdateDistribution for E123 failed: PreconditionFailed: "
                          "The If-Match version is missing or not valid")


def test_describe_error_for_botocore_errors_without_a_response():
    no_creds = describe_error(botocore.exceptions.NoCredentialsError(), "ListDistributions")
    assert no_creds.code == "NoCredentials"
    assert "no AWS credentials" in str(no_creds)

    unreachable = describe_error(botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
                                 "ListDistributions")
    assert unreachable.code == "EndpointConnectionError"
    assert "endpoint_url" in str(unreachable)
    assert "http://127.0.0.1:1" in str(unreachable)
    # every way the endpoint can be set is named: the option, AWS_URL, and botocore's own variables
    assert "AWS_URL" in str(unreachable) and "AWS_ENDPOINT_URL" in str(unreachable)

    other = describe_error(botocore.exceptions.ParamValidationError(report="Alias is required"), "ListConflictingAliases")
    assert other.code == "ParamValidationError"
    assert "ListConflictingAliases failed" in str(other)
    assert "Alias is required" in str(other)


def test_describe_error_for_anything_else_and_for_an_aws_error():
    plain = describe_error(RuntimeError("boom"), "GetChange")
    assert isinstance(plain, AwsError)
    assert str(plain) == "GetChange failed: boom"
    assert plain.code is None

    already = AwsError("worded already", code="X")
    assert describe_error(already, "anything") is already


def test_error_code():
    assert error_code(client_error("NoSuchDistribution")) == "NoSuchDistribution"
    assert error_code(RuntimeError("x")) is None
    assert error_code(None) is None


def test_call_returns_the_result_or_raises_an_aws_error():
    assert call("doing it", lambda **kwargs: kwargs, Id="E1") == {"Id": "E1"}

    def failing(**kwargs):
        raise client_error("NoSuchDistribution", "The specified distribution does not exist.", status=404)

    with pytest.raises(AwsError) as exc:
        call("GetDistributionConfig for E1", failing, Id="E1")
    assert exc.value.code == "NoSuchDistribution"
    assert "GetDistributionConfig for E1" in str(exc.value)


def test_access_denied_names_the_action_aws_names():
    exc = client_error("AccessDenied", "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: "
                       "cloudfront:UpdateDistribution on resource: arn:aws:cloudfront::123456789012:distribution/E1 "
                       "because no identity-based policy allows the cloudfront:UpdateDistribution action",
                       status=403, operation="AssociateAlias")
    text = str(describe_error(exc, "AssociateAlias www.example.com to E1"))
    # AssociateAlias also needs UpdateDistribution: the action AWS refused is the one to add, not the operation.
    assert "the credentials lack permission for cloudfront:UpdateDistribution: it is not allowed for these " \
        "credentials; add it to their IAM policy" in text
    assert "docs/iam/remediation-policy.json" in text


@pytest.mark.parametrize("operation, service, action", [
    ("ListConflictingAliases", None, "cloudfront:ListConflictingAliases"),   # found in botocore's models
    ("ListResourceRecordSets", None, "route53:ListResourceRecordSets"),
    ("ListCertificates", "acm", "acm:ListCertificates"),                     # given by call()
])
def test_access_denied_without_the_action_in_the_message_names_the_operation_called(operation, service, action):
    exc = client_error("AccessDenied", "Access Denied", status=403, operation=operation)
    text = str(describe_error(exc, operation, service))
    assert "lack permission for %s: it is not allowed for these credentials; add it" % action in text


def test_an_explicit_deny_is_named_as_such():
    exc = client_error("AccessDenied", "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: "
                       "route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/Z1 with an "
                       "explicit deny in an identity-based policy", status=403, operation="ChangeResourceRecordSets")
    text = str(describe_error(exc, "ChangeResourceRecordSets for zone example.com"))
    assert "lack permission for route53:ChangeResourceRecordSets: an explicit Deny in a policy refuses it" in text


def test_call_names_the_service_of_the_client_method(no_aws_environment):
    client = _connection().client("route53")
    seen = []
    client.meta.events.register_last("before-send.*", _answer_locally([(403, ACCESS_DENIED_XML)], seen))
    with pytest.raises(AwsError) as exc:
        call("ListHostedZones", client.list_hosted_zones)
    assert exc.value.code == "AccessDenied"
    assert "lack permission for route53:ListHostedZones: it is not allowed" in str(exc.value)


# -- credentials -------------------------------------------------------------


def test_explicit_credentials_pass(no_aws_environment):
    AwsConnection({"access_key": "AKIDEXAMPLE", "secret_key": "secret"}).check_credentials()


def test_environment_credentials_pass(no_aws_environment, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    AwsConnection({}).check_credentials()


def test_profile_credentials_pass(no_aws_environment):
    (no_aws_environment / "credentials").write_text(
        u"[ops]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n")
    AwsConnection({"profile": "ops"}).check_credentials()


@pytest.mark.parametrize("params", [
    {"access_key": "AKIDEXAMPLE"},
    {"secret_key": "secret"},
    {"access_key": "AKIDEXAMPLE", "secret_key": ""},
])
def test_partial_credentials_fail_before_any_request(no_aws_environment, params):
    with pytest.raises(AwsError) as exc:
        AwsConnection(params).check_credentials()
    assert exc.value.code == "PartialCredentials"
    assert "access_key and secret_key must be given together" in str(exc.value)


def test_partial_credentials_message_does_not_leak_the_secret(no_aws_environment):
    with pytest.raises(AwsError) as exc:
        AwsConnection({"secret_key": "s3cr3t-value"}).check_credentials()
    assert "s3cr3t-value" not in str(exc.value)


def test_no_credentials_anywhere_fails_with_advice(no_aws_environment):
    with pytest.raises(AwsError) as exc:
        AwsConnection({}).check_credentials()
    assert exc.value.code == "NoCredentials"
    text = str(exc.value)
    assert "No AWS credentials found" in text
    assert "AWS_ACCESS_KEY_ID" in text
    assert "profile" in text


def test_unknown_profile_fails_with_its_name(no_aws_environment):
    with pytest.raises(AwsError) as exc:
        AwsConnection({"profile": "no-such-profile"}).check_credentials()
    assert exc.value.code == "ProfileNotFound"
    assert "no-such-profile" in str(exc.value)


# -- the client factory -------------------------------------------------------------


def _connection(**params):
    base = {"access_key": "AKIDEXAMPLE", "secret_key": "secret"}
    base.update(params)
    return AwsConnection(base)


def test_client_sets_user_agent_and_standard_retries(no_aws_environment):
    client = _connection().client("cloudfront")
    config = client.meta.config
    assert "aliasguard.cloudfront/%s" % _version.COLLECTION_VERSION in config.user_agent_extra
    assert config.retries["mode"] == "standard"
    # botocore's "max_attempts" counts retries only and becomes total_max_attempts = max_attempts + 1;
    # the user-facing messages promise 10 attempts in all.
    assert MAX_ATTEMPTS == 10
    assert config.retries["total_max_attempts"] == MAX_ATTEMPTS


def test_client_defaults_to_us_east_1_and_honours_region_and_endpoint(no_aws_environment):
    # acm: CloudFront's certificates live in us-east-1 (cloudfront/route53 report botocore's "aws-global")
    connection = _connection()
    assert connection.client("acm").meta.region_name == "us-east-1"
    assert connection.client("acm", region="eu-west-1").meta.region_name == "eu-west-1"
    assert _connection(region="ap-northeast-1").client("acm").meta.region_name == "ap-northeast-1"
    assert connection.client("cloudfront").meta.endpoint_url == "https://cloudfront.amazonaws.com"
    sandboxed = _connection(endpoint_url="http://127.0.0.1:4566").client("cloudfront")
    assert sandboxed.meta.endpoint_url == "http://127.0.0.1:4566"


def test_client_is_built_once_per_service_and_region(no_aws_environment):
    connection = _connection()
    assert connection.client("cloudfront") is connection.client("cloudfront")
    assert connection.client("cloudfront") is not connection.client("route53")


def test_every_session_of_the_process_shares_one_data_loader(no_aws_environment):
    """A model is decoded once per process, not once per module run: a loop's runs share the loader."""
    first, second = _connection(), _connection()
    first.client("cloudfront")
    loader = first.session()._session.get_component("data_loader")
    assert loader is shared_loader(None)
    assert second.session()._session.get_component("data_loader") is loader
    # the second client's model comes from the loader's cache: no file is read for it
    calls = []
    real = loader.file_loader.load_file
    loader.file_loader.load_file = lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs)
    try:
        second.client("cloudfront")
        second.client("route53")
    finally:
        del loader.file_loader.load_file
    assert calls and all("route53" in str(path) for path in calls)  # route53's model only
    # boto3 adds its data directory to each session's loader; the shared one keeps each directory once
    assert len(loader.search_paths) == len(set(loader.search_paths))


def test_a_data_path_of_its_own_gets_a_loader_of_its_own(no_aws_environment, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    connection = _connection()
    loader = connection.session()._session.get_component("data_loader")
    assert loader is shared_loader(str(tmp_path)) and loader is not shared_loader(None)
    assert str(tmp_path) in loader.search_paths


def _answer_locally(responses, seen_headers):
    """A before-send handler that answers instead of the network (what a Stubber does not exercise)."""
    def handler(request, **kwargs):
        seen_headers.append(dict(request.headers))
        status, body = responses.pop(0)
        return botocore.awsrequest.AWSResponse(request.url, status, {"Content-Type": "text/xml"},
                                               _Raw(body))
    return handler


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body
        self._body = b""

    def read(self, *args, **kwargs):
        body, self._body = self._body, b""
        return body


def test_requests_are_counted_per_service_and_carry_the_user_agent(no_aws_environment):
    connection = _connection()
    client = connection.client("cloudfront")
    seen = []
    client.meta.events.register_last("before-send.*", _answer_locally([(200, LIST_DISTRIBUTIONS_XML)] * 2, seen))

    client.list_distributions()
    client.list_distributions()

    assert connection.requests.by_service == {"cloudfront": 2}
    assert connection.requests.total == 2
    user_agent = seen[0]["User-Agent"]
    user_agent = user_agent.decode() if isinstance(user_agent, bytes) else user_agent
    assert "aliasguard.cloudfront/%s" % _version.COLLECTION_VERSION in user_agent


def test_a_throttled_request_is_retried_and_every_attempt_is_counted(no_aws_environment):
    connection = _connection()
    client = connection.client("cloudfront")
    seen = []
    client.meta.events.register_last("before-send.*", _answer_locally(
        [(400, THROTTLED_XML), (200, LIST_DISTRIBUTIONS_XML)], seen))

    response = client.list_distributions()

    assert response["DistributionList"]["Quantity"] == 0
    assert connection.requests.by_service == {"cloudfront": 2}
    assert len(seen) == 2


def test_throttling_is_given_up_after_max_attempts_and_the_message_says_so(no_aws_environment, monkeypatch):
    import botocore.endpoint
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)  # keep the backoff, skip the wait
    connection = _connection()
    client = connection.client("cloudfront")
    seen = []
    client.meta.events.register_last("before-send.*", _answer_locally([(400, THROTTLED_XML)] * 20, seen))

    with pytest.raises(AwsError) as exc:
        call("ListDistributions", client.list_distributions)

    assert exc.value.code == "Throttling"
    assert "after %d attempts" % MAX_ATTEMPTS in str(exc.value)
    assert len(seen) == MAX_ATTEMPTS, "the message says %d attempts, %d were made" % (MAX_ATTEMPTS, len(seen))
    assert connection.requests.total == len(seen)


def test_request_counter_names_services_from_event_names():
    counter = RequestCounter()
    counter(request=None, event_name="before-send.route-53.ChangeResourceRecordSets")
    counter(request=None, event_name="before-send.route-53.GetChange")
    counter(request=None, event_name="before-send.cloudfront.ListDistributions")
    counter(request=None)
    assert counter.by_service == {"route53": 2, "cloudfront": 1, "aws": 1}
    assert counter.total == 4


# -- the version -------------------------------------------------------------


def test_galaxy_version_equals_the_user_agent_version():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(_version.__file__))))
    with open(os.path.join(root, "galaxy.yml")) as fh:
        text = fh.read()
    match = re.search(r"^version:\s*['\"]?([^'\"\s#]+)", text, re.MULTILINE)
    assert match, "galaxy.yml has no version"
    assert match.group(1) == _version.COLLECTION_VERSION


# -- aws_config and the removed security_token ----------------------------------------


def test_the_aws_options_take_aws_config_and_no_longer_security_token():
    spec = aws_argument_spec()
    assert spec["aws_config"] == {"type": "dict"}
    assert spec["session_token"]["aliases"] == ["aws_session_token"]
    every_name = set(spec)
    for option in spec.values():
        every_name.update(option.get("aliases", []))
    assert "security_token" not in every_name


def test_aws_config_absent_gives_our_defaults():
    assert client_config_options(None) == {
        "user_agent_extra": USER_AGENT, "retries": {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        "connect_timeout": 15, "read_timeout": 60}


def test_aws_config_wins_over_our_defaults_and_adds_what_we_do_not_set():
    options = client_config_options({"connect_timeout": 3, "read_timeout": 120, "max_pool_connections": 4})
    assert (options["connect_timeout"], options["read_timeout"], options["max_pool_connections"]) == (3, 120, 4)
    assert options["retries"] == {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}


@pytest.mark.parametrize("given, expected", [
    ({"mode": "adaptive"}, {"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS}),
    ({"total_max_attempts": 3}, {"mode": "standard", "total_max_attempts": 3}),
    # botocore lets total_max_attempts win over max_attempts: ours must go, or the user's would be ignored.
    ({"max_attempts": 2}, {"mode": "standard", "max_attempts": 2}),
    ({"mode": "legacy", "max_attempts": 4}, {"mode": "legacy", "max_attempts": 4}),
])
def test_aws_config_retries_are_merged_key_by_key(given, expected):
    assert client_config_options({"retries": given})["retries"] == expected


def test_aws_config_user_agent_extra_is_added_after_ours():
    assert client_config_options({"user_agent_extra": "team-web/1"})["user_agent_extra"] == USER_AGENT + " team-web/1"
    assert client_config_options({"user_agent_extra": ""})["user_agent_extra"] == USER_AGENT


@pytest.mark.parametrize("aws_config, words", [
    ({"conect_timeout": 3}, ["conect_timeout", "is not a botocore Config parameter", "connect_timeout"]),
    ({"retries": 3}, ["aws_config.retries must be a mapping"]),
    ({"retries": {"mode": "fastest"}}, ["aws_config is not a valid botocore configuration", "fastest"]),
    (["connect_timeout"], ["aws_config must be a mapping"]),
])
def test_a_bad_aws_config_is_refused_before_any_request(no_aws_environment, aws_config, words):
    connection = _connection(aws_config=aws_config)
    with pytest.raises(AwsError) as exc:
        connection.client("cloudfront")
    assert exc.value.code == "BadOption"
    for word in words:
        assert word in str(exc.value)
    assert connection.requests.total == 0


def test_aws_config_reaches_the_client_and_our_user_agent_stays(no_aws_environment):
    connection = _connection(aws_config={"connect_timeout": 4, "read_timeout": 9, "user_agent_extra": "team-web/1",
                                         "retries": {"mode": "adaptive"}})
    client = connection.client("cloudfront")
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (4, 9)
    assert config.retries == {"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS}
    seen = []
    client.meta.events.register_last("before-send.*", _answer_locally([(200, LIST_DISTRIBUTIONS_XML)], seen))
    client.list_distributions()
    user_agent = seen[0]["User-Agent"]
    user_agent = user_agent.decode() if isinstance(user_agent, bytes) else user_agent
    assert "aliasguard.cloudfront/%s team-web/1" % _version.COLLECTION_VERSION in user_agent


def test_aws_config_retries_limit_the_attempts_and_the_message_counts_them(no_aws_environment, monkeypatch):
    import botocore.endpoint
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)
    connection = _connection(aws_config={"retries": {"total_max_attempts": 2}})
    client = connection.client("cloudfront")
    seen = []
    client.meta.events.register_last("before-send.*", _answer_locally([(400, THROTTLED_XML)] * 5, seen))

    with pytest.raises(AwsError) as exc:
        call("ListDistributions", client.list_distributions)

    assert len(seen) == 2
    assert exc.value.code == "Throttling"
    assert "after 2 attempts" in str(exc.value)
