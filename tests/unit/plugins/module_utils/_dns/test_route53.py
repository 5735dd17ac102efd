# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Route 53 provider against botocore's Stubber: what it asks AWS, and what it makes of the answers.

A new provider's author: copy this file's shape - the declarations, find_zone, read, apply as a compare-and-swap,
and a refused write that changes nothing - with your API's fake in place of the Stubber.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.stub import ANY, Stubber  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import build_provider, check_provider_options  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import (  # noqa: E402
    Change,
    ConcurrentChange,
    DnsError,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.route53 import Route53Provider  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._records import RecordSet  # noqa: E402

ZONE_ID = "Z0123456789ABCDEFGHIJ"


class Connection:
    """Stands in for AwsConnection: one stubbed route53 client, credentials always there."""

    def __init__(self):
        self.route53 = boto3.client("route53", region_name="us-east-1", aws_access_key_id="x",
                                    aws_secret_access_key="y")
        self.checked = False

    def client(self, service, region=None):
        assert service == "route53"
        return self.route53

    def check_credentials(self):
        self.checked = True


@pytest.fixture
def provider():
    connection = Connection()
    with Stubber(connection.route53) as stub:
        made = Route53Provider(connection)
        made.stub = stub
        yield made
        stub.assert_no_pending_responses()


def zone_answer(name="example.com.", private=False):
    return {"HostedZones": [{"Id": "/hostedzone/%s" % ZONE_ID, "Name": name, "CallerReference": "r",
                             "Config": {"PrivateZone": private}}],
            "IsTruncated": False, "MaxItems": "20"}


def test_the_declarations_the_registry_and_the_planner_read():
    assert Route53Provider.name == "route53"
    assert Route53Provider.needs_aws and not Route53Provider.can_proxy
    assert Route53Provider.apex_mode == "alias" and Route53Provider.default_ttl == 300
    assert Route53Provider.options["zone_id"]["aliases"] == ["hosted_zone_id"]


def test_it_is_built_from_the_module_settings_and_checks_credentials_first():
    connection = Connection()
    settings = check_provider_options({"provider": "route53", "zone_id": ZONE_ID}, environ={})
    made = build_provider(settings, connection)
    assert isinstance(made, Route53Provider) and made.zone_id == ZONE_ID and connection.checked


def test_find_zone_takes_the_public_zone_of_that_name(provider):
    provider.stub.add_response("list_hosted_zones_by_name", zone_answer(),
                               {"DNSName": "example.com.", "MaxItems": "20"})
    zone = provider.find_zone("example.com")
    assert (zone.name, zone.id) == ("example.com", ZONE_ID)


def test_a_private_zone_is_refused_saying_why(provider):
    provider.stub.add_response("list_hosted_zones_by_name", zone_answer(private=True),
                               {"DNSName": "example.com.", "MaxItems": "20"})
    with pytest.raises(DnsError) as caught:
        provider.find_zone("example.com")
    assert "private" in str(caught.value)


def test_read_asks_for_each_name_and_returns_record_sets(provider):
    provider.stub.add_response("list_resource_record_sets", {
        "ResourceRecordSets": [{"Name": "www.example.com.", "Type": "CNAME", "TTL": 60,
                                "ResourceRecords": [{"Value": "d111111abcdef8.cloudfront.net"}]}],
        "IsTruncated": False, "MaxItems": "20"},
        {"HostedZoneId": ZONE_ID, "StartRecordName": "www.example.com.", "MaxItems": "20"})
    zone = type("Z", (), {"id": ZONE_ID, "name": "example.com"})()
    [found] = provider.read(zone, ["www.example.com"])["www.example.com"]
    assert (found.type, found.ttl, list(found.values)) == ("CNAME", 60, ["d111111abcdef8.cloudfront.net"])


def test_apply_deletes_exactly_what_was_read_and_creates_the_new_set_in_one_batch(provider):
    before = RecordSet("www.example.com", "CNAME", 60, ["d111111abcdef8.cloudfront.net"])
    after = RecordSet("www.example.com", "CNAME", 60, ["d222222abcdef8.cloudfront.net"])
    provider.stub.add_response("change_resource_record_sets",
                               {"ChangeInfo": {"Id": "/change/C1", "Status": "PENDING",
                                               "SubmittedAt": "2026-01-01T00:00:00Z"}},
                               {"HostedZoneId": ZONE_ID, "ChangeBatch": {"Comment": ANY, "Changes": [
                                   {"Action": "DELETE", "ResourceRecordSet": {
                                       "Name": "www.example.com.", "Type": "CNAME", "TTL": 60,
                                       "ResourceRecords": [{"Value": "d111111abcdef8.cloudfront.net"}]}},
                                   {"Action": "CREATE", "ResourceRecordSet": {
                                       "Name": "www.example.com.", "Type": "CNAME", "TTL": 60,
                                       "ResourceRecords": [{"Value": "d222222abcdef8.cloudfront.net"}]}}]}})
    change = Change("www.example.com", [before], [after])
    zone = type("Z", (), {"id": ZONE_ID, "name": "example.com"})()
    assert provider.apply(zone, [change]) == "/change/C1"
    assert change.applied


def test_a_batch_refused_because_the_record_changed_is_a_concurrent_change_and_nothing_is_applied(provider):
    provider.stub.add_client_error(
        "change_resource_record_sets", service_error_code="InvalidChangeBatch", http_status_code=400,
        service_message="[Tried to delete resource record set [name='www.example.com.', type='CNAME'] but the "
                        "values provided do not match the current values]")
    before = RecordSet("www.example.com", "CNAME", 60, ["d111111abcdef8.cloudfront.net"])
    change = Change("www.example.com", [before], [])
    zone = type("Z", (), {"id": ZONE_ID, "name": "example.com"})()
    with pytest.raises(ConcurrentChange):
        provider.apply(zone, [change])
    assert not change.applied
