# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""list_certificates asks ACM for every key type: without Includes.keyTypes ACM lists RSA_1024/RSA_2048 only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.stub import Stubber  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (  # noqa: E402
    KEY_TYPES,
    Cost,
    all_key_types,
    list_certificates,
)


def test_every_key_type_is_asked_for_and_an_ecdsa_certificate_is_listed():
    acm = boto3.client("acm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    wanted = all_key_types(acm)
    assert set(KEY_TYPES) <= set(wanted)
    with Stubber(acm) as stub:
        stub.add_response("list_certificates", {"CertificateSummaryList": [{
            "CertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/ec", "DomainName": "example.com",
            "SubjectAlternativeNameSummaries": ["example.com", "*.example.com"], "KeyAlgorithm": "EC_prime256v1"}]},
            {"Includes": {"keyTypes": wanted}, "MaxItems": 1000})
        listed = list_certificates(acm, Cost())
        stub.assert_no_pending_responses()
    assert listed == [{"arn": "arn:aws:acm:us-east-1:111111111111:certificate/ec",
                       "names": ["*.example.com", "example.com"]}]
