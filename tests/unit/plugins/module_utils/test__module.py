# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module base: AWS options once, one set of mutually_exclusive rules, and the fields every result carries
(requests, resource_actions, and error_code with AWS's response metadata on failure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

botocore = pytest.importorskip("botocore")
import botocore.awsrequest  # noqa: E402
import botocore.exceptions  # noqa: E402

from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule  # noqa: E402

KEYS = dict(access_key="AKIDEXAMPLE", secret_key="secret", region="us-east-1",
            endpoint_url="http://127.0.0.1:9")

EMPTY_LIST = (b'<?xml version="1.0" encoding="UTF-8"?>'
              b'<DistributionList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
              b"<Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>0</Quantity>"
              b"</DistributionList>")
DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>'
          b'<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
          b"<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error>"
          b"<RequestId>req-1</RequestId></ErrorResponse>")


def run(args, body, argument_spec=None, **kwargs):
    """Run ``body(module)`` as a module would; the result Ansible would see, as a dict."""
    with patch_module_args(args):
        module = AliasguardModule(argument_spec or {}, **kwargs)
        with pytest.raises(SystemExit):
            body(module)
    return module


def answer_with(module, status, body):
    """Every request of the module's AWS clients gets this HTTP answer (the counters still see it)."""

    def respond(request, **kwargs):
        return botocore.awsrequest.AWSResponse(request.url, status, {"x-amzn-RequestId": "req-1"},
                                               _Raw(body))

    module.aws().client("cloudfront").meta.events.register_last("before-send.*", respond)


class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kwargs):
        yield self.body


def result_of(capsys):
    return json.loads(capsys.readouterr().out)


def test_the_aws_options_are_added_once_with_one_set_of_exclusive_rules(capsys):
    with patch_module_args({"profile": "p", "access_key": "AKIDEXAMPLE"}):
        with pytest.raises(SystemExit):
            AliasguardModule({"name": dict(type="str")})
    result = result_of(capsys)
    assert result["failed"] and "mutually exclusive" in result["msg"]


def test_a_module_without_aws_has_no_aws_options(capsys):
    with patch_module_args({"region": "us-east-1"}):
        with pytest.raises(SystemExit):
            AliasguardModule({}, aws=False)
    assert "region" in result_of(capsys)["msg"]


def test_a_success_carries_requests_and_resource_actions(capsys):
    def body(module):
        answer_with(module, 200, EMPTY_LIST)
        client = module.aws().client("cloudfront")
        call("ListDistributions", client.list_distributions)
        call("ListDistributions", client.list_distributions)
        module.exit_json(changed=False)

    run(KEYS, body)
    result = result_of(capsys)
    assert result["resource_actions"] == ["cloudfront:ListDistributions"]
    assert result["requests"] == {"cloudfront": 2}
    assert "error_code" not in result


def test_a_failure_carries_the_error_code_the_response_metadata_and_what_was_sent(capsys):
    def body(module):
        answer_with(module, 403, DENIED)
        try:
            call("ListDistributions", module.aws().client("cloudfront").list_distributions)
        except AwsError as exc:
            module.fail_from(exc)

    run(KEYS, body)
    result = result_of(capsys)
    assert result["failed"] and "AccessDenied" in result["msg"]
    assert result["error_code"] == "AccessDenied"
    assert result["response_metadata"]["http_status_code"] == 403
    assert result["resource_actions"] == ["cloudfront:ListDistributions"]


def test_a_failure_before_any_request_still_carries_the_common_fields(capsys):
    run({}, lambda module: module.fail_json(msg="name is empty: give one"), {"name": dict(type="str")}, aws=False)
    result = result_of(capsys)
    assert result["msg"] == "name is empty: give one"
    assert result["error_code"] is None and result["resource_actions"] == [] and result["requests"] == {}


def test_a_dns_provider_requests_are_reported_beside_aws(capsys):
    class Counted:
        requests = {"cloudflare": 3}

    def body(module):
        module.count_requests_of(Counted())
        module.exit_json(changed=False)

    run({}, body, aws=False)
    assert result_of(capsys)["requests"] == {"cloudflare": 3}


def test_requests_counted_by_the_module_are_added_per_service_and_reported_on_failure_too(capsys):
    # dns_zone_inventory_info: the zone listing returns only its count; the shape stays {service: count}.
    def body(module):
        module.add_requests("cloudflare", 2)
        module.add_requests("cloudflare", 1)
        module.fail_json(msg="zone example.org: not found")

    run({}, body, aws=False)
    assert result_of(capsys)["requests"] == {"cloudflare": 3}


def test_a_module_cannot_report_requests_in_a_shape_of_its_own():
    with pytest.raises(ValueError, match="requests is reported by the module base"):
        run({}, lambda module: module.exit_json(changed=False, requests={"ListDistributions": 1}), aws=False)


def test_dns_lookup_adds_nameservers_and_dns_timeout_and_refuses_a_timeout_that_is_not_positive(capsys):
    with patch_module_args({"dns_timeout": 0}):
        with pytest.raises(SystemExit):
            AliasguardModule({}, aws=False, dns_lookup=True)
    result = result_of(capsys)
    assert result["msg"] == "dns_timeout must be a positive number of seconds, not 0.0"
    assert result["error_code"] is None and result["resource_actions"] == []


def test_dns_lookup_defaults(capsys):
    def body(module):
        module.exit_json(changed=False, seen=[module.params["nameservers"], module.params["dns_timeout"]])

    run({}, body, aws=False, dns_lookup=True)
    assert result_of(capsys)["seen"] == [None, 3.0]
