# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The preflight's readers (Terraform plan, CloudFormation/CDK, lists), its checks and its reports.

The readers are pure functions, tested on documents written to the formats' own
documentation: Terraform's "JSON Output Format" (the fixture follows the structure of
terraform-json's test data), CloudFormation's template reference (JSON and YAML with
the short forms) and CDK's cloud assembly (manifest.json, nested assemblies). The
checks run against botocore's Stubber, which holds every request to the service model.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.aliasguard.cloudfront.plugins.module_utils import _preflight as preflight
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._preflight import (
    CERTIFICATE_DOES_NOT_COVER,
    DNS_POINTS_ELSEWHERE,
    HELD,
    OK,
    UNKNOWN,
    Certificate,
    Planned,
    PreflightInputError,
)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "integration", "fixtures",
                        "preflight")
CERT = "arn:aws:acm:us-east-1:111111111111:certificate/0f9c4e2a-6d53-4a4b-9a51-2d6f1c3b7e10"
OUR_ACCOUNT = "111111111111"


def fixture(name):
    return os.path.join(FIXTURES, name)


def by_alias(planned):
    return dict((p.name, p) for p in planned)


def results(planned):
    return [p.to_result() for p in planned]


# -- Terraform ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_checks():
    return preflight.read_terraform_plan_file(fixture("terraform-plan.json"))


def test_an_update_is_checked_for_the_aliases_it_adds_only_against_its_own_distribution(plan_checks):
    site = [p for p in plan_checks if p.resource == "aws_cloudfront_distribution.site"]
    assert [p.name for p in site] == ["shop.example.com"]   # www.example.com is in change.before
    assert site[0].action == "update"
    assert site[0].distribution_id == "E2QWRUHAPOMQZL"       # change.before.id
    assert site[0].certificate.kind == Certificate.ACM and site[0].certificate.arn == CERT


def test_a_create_is_checked_for_every_alias_and_has_no_distribution_yet(plan_checks):
    new = [p for p in plan_checks if p.resource == "aws_cloudfront_distribution.new"]
    assert [p.name for p in new] == ["new.example.com", "*.new.example.com"]
    assert all(p.action == "create" and p.distribution_id is None for p in new)


def test_values_known_only_after_apply_are_unknown_with_the_reason_never_guessed(plan_checks):
    computed = [p for p in plan_checks if p.resource == "aws_cloudfront_distribution.computed"]
    assert len(computed) == 1 and computed[0].alias is None
    assert "known only after apply" in computed[0].unknown and "after_unknown" in computed[0].unknown
    partial = [p for p in plan_checks if p.resource == "aws_cloudfront_distribution.partial"]
    assert [p.name for p in partial if p.unknown is None] == ["api.example.com"]
    [unknown] = [p for p in partial if p.unknown is not None]
    assert "aliases[1]" in unknown.unknown and unknown.alias is None


def test_the_planned_certificate_is_read_and_an_unknown_one_is_said_to_be_unknown(plan_checks):
    checks = by_alias(plan_checks)
    assert checks["cert.example.com"].certificate.kind == Certificate.UNKNOWN
    assert "acm_certificate_arn" in checks["cert.example.com"].certificate.reason
    assert checks["plain.example.com"].certificate.kind == Certificate.DEFAULT


def test_replacements_know_which_distribution_they_replace_and_in_which_order(plan_checks):
    checks = by_alias(plan_checks)
    blog = checks["blog.example.com"]
    assert blog.resource == 'module.cdn.aws_cloudfront_distribution.this["blog"]'
    assert (blog.action, blog.replaces, blog.replace_order) == ("replace", "E1BLOG0000OLD1", "create_first")
    assert blog.distribution_id is None                      # the replacement gets a new id
    legacy = checks["legacy.example.com"]
    assert (legacy.replaces, legacy.replace_order) == ("E3LEGACY00OLD2", "delete_first")


def test_deletes_no_ops_deposed_objects_data_sources_and_other_resources_add_nothing(plan_checks):
    names = set(p.name for p in plan_checks)
    assert not names & set(["old.example.com", "stable.example.com", "example.com"])
    resources = set(p.resource for p in plan_checks)
    assert "aws_acm_certificate.site" not in resources
    assert "data.aws_cloudfront_distribution.existing" not in resources
    # The deposed object of aws_cloudfront_distribution.site (www.example.com) is not a check either.
    assert "www.example.com" not in names


def test_tenants_domain_blocks_are_read_and_an_update_checks_the_new_domain_against_the_tenant(plan_checks):
    customer = [p for p in plan_checks if p.resource == "aws_cloudfront_distribution_tenant.customer"]
    assert [p.name for p in customer] == ["customer.example.net", "www.customer.example.net"]
    assert all(p.resource_type == "distribution-tenant" for p in customer)
    assert customer[0].certificate.kind == Certificate.ACM   # customizations.certificate.arn
    [shop] = [p for p in plan_checks if p.resource == "aws_cloudfront_distribution_tenant.shop"]
    assert (shop.name, shop.action, shop.distribution_id) == ("m.shop.example.net", "update", "dt_2abcDEF9xyz")
    assert shop.certificate.kind == Certificate.INHERITED


def test_names_are_compared_normalised_so_a_rewritten_alias_is_not_new():
    change = {"actions": ["update"], "before": {"id": "E2QWRUHAPOMQZL", "aliases": ["WWW.Example.com"]},
              "after": {"id": "E2QWRUHAPOMQZL", "aliases": ["www.example.com."]}, "after_unknown": {}}
    plan = {"format_version": "1.0", "resource_changes": [
        {"address": "aws_cloudfront_distribution.a", "mode": "managed", "type": "aws_cloudfront_distribution",
         "name": "a", "change": change}]}
    assert preflight.read_terraform_plan(plan) == []


def test_an_alias_that_is_not_a_name_is_unknown_with_why():
    plan = {"format_version": "1.0", "resource_changes": [
        {"address": "aws_cloudfront_distribution.a", "mode": "managed", "type": "aws_cloudfront_distribution",
         "name": "a", "change": {"actions": ["create"], "before": None, "after": {"aliases": ["bad..example.com"]},
                                 "after_unknown": {"aliases": [False]}}}]}
    [check] = preflight.read_terraform_plan(plan)
    assert check.alias is None and "bad..example.com" in check.unknown


@pytest.mark.parametrize("document, words", [
    ({"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {}}}, "state, not a plan"),
    ({"format_version": "2.0", "resource_changes": []}, "format_version 2.0"),
    ({"format_version": "1.0"}, "not the output of 'terraform show -json"),
    (["not", "an", "object"], "not a JSON object"),
])
def test_documents_that_are_not_plans_are_refused_with_what_to_do(document, words):
    with pytest.raises(PreflightInputError) as error:
        preflight.read_terraform_plan(document)
    assert words in str(error.value)


def test_a_plan_without_resource_changes_adds_nothing():
    assert preflight.read_terraform_plan({"format_version": "1.2", "planned_values": {"root_module": {}},
                                          "configuration": {}}) == []


def test_the_binary_plan_file_is_refused_with_the_command_that_converts_it(tmp_path):
    path = tmp_path / "tfplan"
    path.write_bytes(b"PK\x03\x04\x14\x00\x08\x00tfplan")
    with pytest.raises(PreflightInputError) as error:
        preflight.read_terraform_plan_file(str(path))
    assert "terraform show -json" in str(error.value) and "binary plan file" in str(error.value)


@pytest.mark.parametrize("actions, expected", [
    (["create"], ("create", None)),
    (["update"], ("update", None)),
    (["delete", "create"], ("replace", "delete_first")),
    (["create", "delete"], ("replace", "create_first")),
    (["no-op"], (None, None)),
    (["read"], (None, None)),
    (["delete"], (None, None)),
    (["forget"], (None, None)),
])
def test_actions(actions, expected):
    assert preflight._tf_action(actions) == expected


# -- CloudFormation and CDK --------------------------------------------------------------------


def test_yaml_short_forms_load_as_their_long_forms():
    text = """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  R:
    Type: AWS::CloudFront::Distribution
    Properties:
      A: !Ref Name
      B: !Sub "x.${Name}"
      C: !GetAtt Bucket.RegionalDomainName
      D: !GetAtt [Bucket, Arn]
      E: !Join [".", [a, !Ref Name]]
      F: !If [Cond, a, !Ref "AWS::NoValue"]
      G: !Select [1, !Split [",", "a,b"]]
      H: !FindInMap [M, K1, K2]
      I: !Base64 text
      J: !Sub ["${X}.example.com", {X: www}]
"""
    document = preflight.parse_template(text, "t.yaml")
    props = document["Resources"]["R"]["Properties"]
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"   # a string, as CloudFormation reads it
    assert props["A"] == {"Ref": "Name"}
    assert props["B"] == {"Fn::Sub": "x.${Name}"}
    assert props["C"] == {"Fn::GetAtt": ["Bucket", "RegionalDomainName"]}
    assert props["D"] == {"Fn::GetAtt": ["Bucket", "Arn"]}
    assert props["E"] == {"Fn::Join": [".", ["a", {"Ref": "Name"}]]}
    assert props["F"] == {"Fn::If": ["Cond", "a", {"Ref": "AWS::NoValue"}]}
    assert props["G"] == {"Fn::Select": [1, {"Fn::Split": [",", "a,b"]}]}
    assert props["H"] == {"Fn::FindInMap": ["M", "K1", "K2"]}
    assert props["I"] == {"Fn::Base64": "text"}
    assert props["J"] == {"Fn::Sub": ["${X}.example.com", {"X": "www"}]}


def test_the_short_forms_do_not_leak_into_safe_load():
    yaml = pytest.importorskip("yaml")
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load("a: !Ref B")


@pytest.mark.parametrize("text, words", [
    ("{not json", "not valid JSON"),
    ("a: [unclosed", "neither JSON nor YAML"),
    ("just: a mapping", "no Resources section"),
])
def test_files_that_are_not_templates_are_refused(text, words):
    with pytest.raises(PreflightInputError) as error:
        preflight.parse_template(text, "t")
    assert words in str(error.value)


@pytest.fixture(scope="module")
def template_checks():
    templates = preflight.load_templates(fixture("site-stack.template"))
    return preflight.read_cloudformation(templates, {"CertificateArn": CERT})


def test_template_values_known_before_the_deployment_are_resolved(template_checks):
    site = [p for p in template_checks if p.resource == "site-stack.template/Site"]
    known = [p.name for p in site if p.unknown is None]
    assert known == ["www.example.com", "static.example.com", "shop.example.com", "blog.example.com",
                     "docs.example.com", "literal.example.com"]
    assert all(p.certificate.kind == Certificate.ACM and p.certificate.arn == CERT for p in site)
    www = by_alias(site)["www.example.com"]
    assert any("Default of parameter DomainName" in note for note in www.notes)
    assert not any("Default" in note for note in by_alias(site)["literal.example.com"].notes)


def test_template_values_known_only_when_deployed_are_unknown_with_why(template_checks):
    site = [p for p in template_checks if p.resource == "site-stack.template/Site" and p.unknown]
    reasons = [p.unknown for p in site]
    assert len(reasons) == 3
    assert "AWS::Region" in reasons[0]
    assert "Fn::GetAtt" in reasons[1]
    assert "Fn::If" in reasons[2]
    [release] = [p for p in template_checks if p.resource.endswith("/Release")]
    assert "SSM Parameter Store" in release.unknown   # its Default is a parameter name, not the value
    assert any("HasExtraNames" in note for note in release.notes)
    assert release.certificate.kind == Certificate.DEFAULT


def test_a_tenant_only_distribution_has_no_aliases_and_its_tenants_domains_are_read(template_checks):
    assert not [p for p in template_checks if p.resource.endswith("/MultiTenant")]
    tenant = [p for p in template_checks if p.resource.endswith("/CustomerTenant")]
    assert [p.name for p in tenant if p.unknown is None] == ["customer.example.net"]
    assert "CustomerDomain" in [p for p in tenant if p.unknown][0].unknown
    assert all(p.resource_type == "distribution-tenant" for p in tenant)


def test_given_parameters_win_over_defaults():
    templates = preflight.load_templates(fixture("site-stack.template"))
    planned = preflight.read_cloudformation(templates, {"CertificateArn": CERT, "DomainName": "example.org",
                                                        "LatestRelease": "release.example.org"})
    names = set(p.name for p in planned if p.unknown is None)
    assert set(["www.example.org", "static.example.org", "shop.example.org", "release.example.org"]) <= names
    assert "www.example.com" not in names
    assert not any("Default" in note for p in planned for note in p.notes)


def test_a_parameter_without_default_or_value_is_unknown():
    templates = preflight.load_templates(fixture("site-stack.template"))
    site = [p for p in preflight.read_cloudformation(templates) if p.resource.endswith("/Site")]
    assert site[0].certificate.kind == Certificate.UNKNOWN
    assert "CertificateArn has no Default" in site[0].certificate.reason


def values(document=None, parameters=None):
    return preflight.TemplateValues(document or {"Resources": {"Res": {}}, "Parameters": {
        "Names": {"Type": "CommaDelimitedList", "Default": "a.example.com, b.example.com"},
        "NoDefault": {"Type": "String"}}, "Mappings": {"M": {"k": {"v": "m.example.com"}}}}, parameters)


@pytest.mark.parametrize("node, expected", [
    ({"Fn::Sub": "plain.example.com"}, "plain.example.com"),
    ({"Fn::Sub": "${!Literal}.example.com"}, "${Literal}.example.com"),
    ({"Fn::Sub": ["${A}.${B}", {"A": "www", "B": {"Fn::FindInMap": ["M", "k", "v"]}}]}, "www.m.example.com"),
    ({"Fn::Select": [1, {"Ref": "Names"}]}, "b.example.com"),
    ({"Fn::Join": ["-", {"Fn::Split": [".", "a.b.c"]}]}, "a-b-c"),
    ([{"Ref": "AWS::NoValue"}, "x.example.com"], ["x.example.com"]),
])
def test_resolvable_template_values(node, expected):
    assert values().value(node) == expected


@pytest.mark.parametrize("node, words", [
    ({"Fn::Sub": "${Res.Arn}"}, "attribute"),
    ({"Ref": "Res"}, "resource the stack creates"),
    ({"Ref": "NoDefault"}, "has no Default"),
    ({"Ref": "Missing"}, "names no parameter"),
    ({"Fn::Select": [5, {"Ref": "Names"}]}, "not in the list"),
    ({"Fn::FindInMap": ["M", "k", "nope"]}, "no such entry"),
    ({"Fn::ImportValue": "shared-domain"}, "Fn::ImportValue"),
    ({"Fn::Sub": "${AWS::StackName}.example.com"}, "AWS::StackName"),
])
def test_unresolvable_template_values(node, words):
    with pytest.raises(preflight.Unresolved) as error:
        values().value(node)
    assert words in str(error.value)


def template(aliases, viewer=None, resource_type="AWS::CloudFront::Distribution"):
    config = {"Aliases": aliases}
    if viewer is not None:
        config["ViewerCertificate"] = viewer
    parameters = {"Names": {"Type": "CommaDelimitedList", "Default": "a.example.com,b.example.com"}}
    resources = {"Site": {"Type": resource_type, "Properties": {"DistributionConfig": config}}}
    return preflight.Template("t.json", {"Parameters": parameters, "Resources": resources})


def test_aliases_given_as_one_expression_are_resolved_as_a_list_or_unknown_as_a_whole():
    planned = preflight.read_cloudformation([template({"Ref": "Names"}, {"AcmCertificateArn": CERT})])
    assert [p.name for p in planned] == ["a.example.com", "b.example.com"]
    planned = preflight.read_cloudformation([template({"Fn::If": ["C", ["a.example.com"], []]})])
    assert len(planned) == 1 and "Fn::If" in planned[0].unknown
    assert planned[0].certificate.kind == Certificate.DEFAULT   # no ViewerCertificate


def test_json_templates_and_distribution_ids_make_an_update(tmp_path):
    path = tmp_path / "site.template.json"
    path.write_text(json.dumps(template(["www.example.com"], {"AcmCertificateArn": CERT}).document))
    templates = preflight.load_templates(str(path))
    [check] = preflight.read_cloudformation(templates, distribution_ids={"Site": "E2QWRUHAPOMQZL"})
    assert (check.resource, check.action, check.distribution_id) == ("site.template.json/Site", "update",
                                                                     "E2QWRUHAPOMQZL")


def test_a_cdk_cloud_assembly_is_read_with_its_stack_names_nested_assemblies_included():
    templates = preflight.load_templates(fixture("cdk.out"))
    assert sorted(t.label for t in templates) == ["Prod-WebStack", "WebStack"]
    planned = preflight.read_cloudformation(templates, distribution_ids={"Prod-WebStack/SiteDistribution3FF9535D":
                                                                         "E3PRODSITE0001"})
    known = dict((p.name, p) for p in planned if p.unknown is None)
    assert sorted(known) == ["assets.cdk.example.com", "assets.prod.example.com", "cdk.example.com",
                             "prod.example.com"]
    assert known["cdk.example.com"].resource == "WebStack/SiteDistribution3FF9535D"
    assert known["cdk.example.com"].action == "create"
    prod = known["prod.example.com"]
    assert (prod.action, prod.distribution_id) == ("update", "E3PRODSITE0001")
    unknown = [p for p in planned if p.unknown]
    assert len(unknown) == 2 and all("AWS::AccountId" in p.unknown for p in unknown)


def test_a_directory_without_templates_is_refused(tmp_path):
    with pytest.raises(PreflightInputError) as error:
        preflight.load_templates(str(tmp_path))
    assert "cdk synth" in str(error.value)


# -- A plain list ------------------------------------------------------------------------------


def test_alias_lists():
    planned = preflight.read_alias_list(["WWW.example.com.", {"alias": "api.example.com", "distribution_id": "E1XAMPLE0API01",
                                                              "dns_provider": "cloudflare"}, "www.example.com"],
                                        distribution_id="E2QWRUHAPOMQZL")
    assert [(p.name, p.action, p.distribution_id) for p in planned] == [
        ("www.example.com", "update", "E2QWRUHAPOMQZL"), ("api.example.com", "update", "E1XAMPLE0API01")]
    assert planned[1].dns_provider == "cloudflare"
    assert preflight.read_alias_list(["new.example.com"])[0].action == "create"


@pytest.mark.parametrize("items, words", [
    ([""], "must be a name"),
    ([{"alias": "a.example.com", "target": "x"}], "unknown keys target"),
    (["a..example.com"], "aliases[0]"),
    ([{"alias": "a.example.com", "distribution_id": "E1X"}], "aliases[0].distribution_id 'E1X' does not look like"),
    ([{"alias": "a.example.com", "dns_provider": "godaddy"}], "godaddy"),
])
def test_bad_alias_lists_are_refused(items, words):
    with pytest.raises(PreflightInputError) as error:
        preflight.read_alias_list(items)
    assert words in str(error.value)


# -- Checks against CloudFront (botocore's Stubber) --------------------------------------------

boto3 = pytest.importorskip("boto3")
from botocore.stub import Stubber  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (  # noqa: E402
    Distribution,
    DistributionIndex,
)

TARGET = "E2QWRUHAPOMQZL"
OTHER = "E1OTHERHOLDER1"
PLAIN = "E3NOCERTIFICAT"
WIDE_CERT = "arn:aws:acm:us-east-1:111111111111:certificate/wide"
NARROW_CERT = "arn:aws:acm:us-east-1:111111111111:certificate/narrow"


def dist(dist_id, aliases=(), certificate=WIDE_CERT):
    return Distribution(dist_id, "arn:aws:cloudfront::%s:distribution/%s" % (OUR_ACCOUNT, dist_id),
                        "d%s.cloudfront.net" % dist_id.lower()[1:], "Deployed", True, list(aliases),
                        account_id=OUR_ACCOUNT, certificate_arn=certificate, default_certificate=not certificate)


def account(*distributions):
    names = {WIDE_CERT: ["example.com", "*.example.com"], NARROW_CERT: ["only.example.net"]}
    return preflight.Account(DistributionIndex(list(distributions)), names, ["example.com"])


@pytest.fixture
def cloudfront():
    return boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


@pytest.fixture
def stub(cloudfront):
    with Stubber(cloudfront) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def domain_params(name, distribution_id=None, tenant_id=None):
    resource = {"DistributionTenantId": tenant_id} if tenant_id else {"DistributionId": distribution_id}
    return {"Domain": name, "DomainControlValidationResource": resource, "MaxItems": 100}


def alias_params(name, distribution_id):
    return {"DistributionId": distribution_id, "Alias": name, "MaxItems": 100}


def conflicts_page(entries):
    page = {"MaxItems": 100, "Quantity": len(entries)}
    if entries:
        page["Items"] = entries
    return {"ConflictingAliasesList": page}


def only(checks):
    assert len(checks) == 1
    return checks[0].to_result()


def test_list_domain_conflicts_finds_a_tenant_in_another_account(cloudfront, stub):
    stub.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "shop.example.com", "ResourceType": "distribution-tenant", "ResourceId": "*******Zt9QaB1",
         "AccountId": "******222222"}]}, domain_params("shop.example.com", TARGET))
    planned = preflight.read_alias_list(["shop.example.com"], TARGET)
    acct = account(dist(TARGET, ["www.example.com"]))
    result = only(preflight.check_planned(planned, cloudfront, acct))

    assert result["outcome"] == HELD
    assert result["holder"]["resource_type"] == "distribution-tenant"
    assert result["holder"]["masked"] is True and result["holder"]["in_account"] is False
    assert result["asked"] == {"through": TARGET, "api": "ListDomainConflicts"}
    assert "owner of account ******222222" in result["fix"] and "update-domain-association" in result["fix"]
    assert acct.api_warning() is None


def test_without_list_domain_conflicts_list_conflicting_aliases_is_asked_and_only_once_the_first(cloudfront, stub):
    stub.add_client_error("list_domain_conflicts", service_error_code="404", service_message="Not Found",
                          http_status_code=404, expected_params=domain_params("www.example.com", TARGET))
    stub.add_response("list_conflicting_aliases", conflicts_page([
        {"Alias": "www.example.com", "DistributionId": OTHER, "AccountId": OUR_ACCOUNT}]),
        alias_params("www.example.com", TARGET))
    stub.add_response("list_conflicting_aliases", conflicts_page([]), alias_params("new.example.com", TARGET))
    planned = preflight.read_alias_list(["www.example.com", "new.example.com"], TARGET)
    acct = account(dist(TARGET), dist(OTHER, ["www.example.com"]))
    held, free = [c.to_result() for c in preflight.check_planned(planned, cloudfront, acct)]

    assert held["outcome"] == HELD and held["holder"]["distribution_id"] == OTHER and held["holder"]["in_account"]
    assert held["asked"]["api"] == "ListConflictingAliases"
    assert held["fix"].startswith("Run: ansible-playbook aliasguard.cloudfront.remediate -e alias=www.example.com "
                                  "-e target_distribution_id=%s -e dns_provider=route53 -e dns_zone=example.com"
                                  % TARGET)
    assert free["outcome"] == OK and free["fix"] == "Nothing to do."
    assert "tenant" in acct.api_warning() and "404" in acct.api_warning()


def test_a_new_distribution_asks_through_one_whose_certificate_covers_the_name(cloudfront, stub):
    stub.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "www.example.com", "ResourceType": "distribution", "ResourceId": OTHER,
         "AccountId": OUR_ACCOUNT}]}, domain_params("www.example.com", OTHER))
    planned = [Planned("www.example.com", "aws_cloudfront_distribution.new",
                       certificate=Certificate(Certificate.ACM, arn=WIDE_CERT))]
    acct = account(dist(PLAIN, certificate=None), dist(OTHER, ["www.example.com"]),
                   dist("E0NARROW000001", certificate=NARROW_CERT))
    result = only(preflight.check_planned(planned, cloudfront, acct))

    assert result["outcome"] == HELD and result["asked"]["through"] == OTHER
    assert "distribution_id" not in result
    assert result["fix"].startswith("Aws_cloudfront_distribution.new does not exist yet: deploy it without "
                                    "www.example.com first, then run:")
    assert "-e target_distribution_id=<id of aws_cloudfront_distribution.new>" in result["fix"]


def test_when_no_distribution_can_ask_the_alias_is_unknown_and_nothing_is_sent(cloudfront, stub):
    elsewhere = "arn:aws:acm:us-east-1:333333333333:certificate/not-ours"
    planned = [Planned("www.example.org", "aws_cloudfront_distribution.new",
                       certificate=Certificate(Certificate.ACM, arn=elsewhere))]
    result = only(preflight.check_planned(planned, cloudfront, account(dist(TARGET))))
    assert result["outcome"] == UNKNOWN
    assert any(elsewhere in note and "not checked" in note for note in result["notes"])
    assert "no distribution in account %s has an ACM certificate that covers www.example.org" % OUR_ACCOUNT \
        in result["reason"]
    assert result["asked"]["through"] is None
    assert "Request an ACM certificate in us-east-1 that covers www.example.org" in result["fix"]


def test_a_new_distribution_held_in_this_account_is_found_even_when_nothing_can_ask(cloudfront, stub):
    planned = [Planned("only.example.net", "aws_cloudfront_distribution.new",
                       certificate=Certificate(Certificate.ACM, arn=NARROW_CERT))]
    acct = account(dist(OTHER, ["only.example.net"], certificate=None))
    result = only(preflight.check_planned(planned, cloudfront, acct))
    assert result["outcome"] == HELD and result["holder"]["distribution_id"] == OTHER


def test_certificates_that_do_not_cover_the_name(cloudfront, stub):
    stub.add_response("list_domain_conflicts", {"DomainConflicts": []}, domain_params("www.example.com", TARGET))
    planned = [Planned("www.example.com", "aws_cloudfront_distribution.new",
                       certificate=Certificate(Certificate.ACM, arn=NARROW_CERT)),
               Planned("www.example.com", "aws_cloudfront_distribution.plain",
                       certificate=Certificate(Certificate.DEFAULT))]
    narrow, plain = [c.to_result() for c in preflight.check_planned(planned, cloudfront, account(dist(TARGET)))]
    assert narrow["outcome"] == CERTIFICATE_DOES_NOT_COVER and "only.example.net" in narrow["reason"]
    assert "aws acm request-certificate --region us-east-1 --domain-name www.example.com" in narrow["fix"]
    assert plain["outcome"] == CERTIFICATE_DOES_NOT_COVER and "default certificate" in plain["reason"]


def test_an_existing_distribution_without_a_certificate_cannot_take_a_name(cloudfront, stub):
    stub.add_response("list_domain_conflicts", {"DomainConflicts": []}, domain_params("www.example.com", OTHER))
    acct = account(dist(PLAIN, certificate=None), dist(OTHER))
    result = only(preflight.check_planned(preflight.read_alias_list(["www.example.com"], PLAIN), cloudfront, acct))
    assert result["outcome"] == CERTIFICATE_DOES_NOT_COVER and PLAIN in result["reason"]


def test_the_target_holding_its_own_alias_is_not_a_conflict(cloudfront, stub):
    stub.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "www.example.com", "ResourceType": "distribution", "ResourceId": TARGET,
         "AccountId": OUR_ACCOUNT}]}, domain_params("www.example.com", TARGET))
    result = only(preflight.check_planned(preflight.read_alias_list(["www.example.com"], TARGET), cloudfront,
                                          account(dist(TARGET, ["www.example.com"]))))
    assert result["outcome"] == OK


def replacement(order):
    return [Planned("blog.example.com", 'module.cdn.aws_cloudfront_distribution.this["blog"]', action="replace",
                    replaces=OTHER, replace_order=order, certificate=Certificate(Certificate.ACM, arn=WIDE_CERT))]


def test_create_before_destroy_is_held_by_the_distribution_it_replaces(cloudfront, stub):
    stub.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "blog.example.com", "ResourceType": "distribution", "ResourceId": OTHER,
         "AccountId": OUR_ACCOUNT}]}, domain_params("blog.example.com", OTHER))
    result = only(preflight.check_planned(replacement("create_first"), cloudfront,
                                          account(dist(OTHER, ["blog.example.com"]))))
    assert result["outcome"] == HELD and "create_before_destroy" in result["fix"]


def test_destroy_before_create_frees_the_name_first(cloudfront, stub):
    stub.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "blog.example.com", "ResourceType": "distribution", "ResourceId": OTHER,
         "AccountId": OUR_ACCOUNT}]}, domain_params("blog.example.com", OTHER))
    result = only(preflight.check_planned(replacement("delete_first"), cloudfront,
                                          account(dist(OTHER, ["blog.example.com"]))))
    assert result["outcome"] == OK
    assert any("deletes before it creates" in note for note in result["notes"])


def test_unknown_aliases_and_unknown_distributions_send_nothing(cloudfront, stub):
    planned = [Planned("(aliases unknown)", "aws_cloudfront_distribution.c", unknown="the aliases are computed")]
    planned += preflight.read_alias_list(["www.example.com"], "E9NOTHERE00000")
    computed, missing = [c.to_result() for c in preflight.check_planned(planned, cloudfront, account(dist(TARGET)))]
    assert computed["outcome"] == UNKNOWN and computed["reason"] == "the aliases are computed"
    assert missing["outcome"] == UNKNOWN and "E9NOTHERE00000 was not found" in missing["reason"]


def test_certificates_of_every_key_type_are_listed_and_long_ones_described():
    acm = boto3.client("acm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(acm) as stubber:
        stubber.add_response("list_certificates", {"CertificateSummaryList": [
            {"CertificateArn": WIDE_CERT, "DomainName": "example.com",
             "SubjectAlternativeNameSummaries": ["example.com", "*.example.com"], "KeyAlgorithm": "EC-prime256v1"},
            {"CertificateArn": NARROW_CERT, "DomainName": "a.example.net",
             "SubjectAlternativeNameSummaries": ["a.example.net"], "HasAdditionalSubjectAlternativeNames": True}]},
            {"Includes": {"keyTypes": ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1",
                                       "EC_secp384r1", "EC_secp521r1"]}})
        stubber.add_response("describe_certificate", {"Certificate": {
            "CertificateArn": NARROW_CERT, "DomainName": "a.example.net",
            "SubjectAlternativeNames": ["a.example.net", "b.example.net"]}}, {"CertificateArn": NARROW_CERT})
        certificates = preflight.list_certificates(acm)
        stubber.assert_no_pending_responses()
    assert certificates == {WIDE_CERT: ["*.example.com", "example.com"],
                            NARROW_CERT: ["a.example.net", "b.example.net"]}


def test_remediate_commands_quote_what_the_shell_would_expand_and_leave_placeholders_visible():
    assert preflight.remediate_command("*.example.com", "E2QWRUHAPOMQZL", "cloudflare", "example.com") == (
        "ansible-playbook aliasguard.cloudfront.remediate -e 'alias=*.example.com' "
        "-e target_distribution_id=E2QWRUHAPOMQZL -e dns_provider=cloudflare -e dns_zone=example.com")
    assert preflight.remediate_command("www.example.com", "<id of x>") == (
        "ansible-playbook aliasguard.cloudfront.remediate -e alias=www.example.com -e target_distribution_id=<id of x> "
        "-e dns_provider=<route53|cloudflare|rfc2136|google> -e dns_zone=<zone>")


# -- Reports -----------------------------------------------------------------------------------


def made_checks():
    checks = []
    for outcome in (OK, HELD, DNS_POINTS_ELSEWHERE, CERTIFICATE_DOES_NOT_COVER, UNKNOWN):
        check = preflight.Check(Planned("%s.example.com" % outcome.replace("_", "-"), "aws_cloudfront_distribution.x",
                                        action="update", distribution_id=TARGET))
        check.outcome, check.reason, check.fix = outcome, "because %s" % outcome, "fix %s" % outcome
        checks.append(check)
    return checks


@pytest.mark.parametrize("fail_on, failed, skipped", [
    ("held", [HELD, DNS_POINTS_ELSEWHERE, CERTIFICATE_DOES_NOT_COVER], [UNKNOWN]),
    ("any", [HELD, DNS_POINTS_ELSEWHERE, CERTIFICATE_DOES_NOT_COVER, UNKNOWN], []),
    ("never", [], [UNKNOWN]),
])
def test_junit_xml_has_one_testcase_per_alias_and_a_failure_for_each_failing_outcome(fail_on, failed, skipped):
    root = ET.fromstring(preflight.junit_xml(made_checks(), fail_on))
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 5 == int(suite.get("tests")) == int(root.get("tests"))
    assert int(suite.get("failures")) == len(failed) == int(root.get("failures"))
    assert int(suite.get("skipped")) == len(skipped)
    failures = dict((c.get("name"), c.find("failure")) for c in cases if c.find("failure") is not None)
    assert sorted(f.get("type") for f in failures.values()) == sorted(failed)
    for case in cases:
        assert case.get("classname") == "aws_cloudfront_distribution.x"
        assert "fix " in case.find("system-out").text
    for failure in failures.values():
        assert failure.get("message").startswith(failure.get("type") + ": because ")
        assert "Fix: fix %s" % failure.get("type") in failure.text


def test_the_report_document():
    report = preflight.preflight_report(made_checks(), "held", OUR_ACCOUNT, "aliases", ["a warning"])
    assert report["schema"] == "aliasguard.cloudfront/preflight/1"
    assert report["summary"] == {"checks": 5, "failing": 3, "by_outcome": {
        OK: 1, HELD: 1, DNS_POINTS_ELSEWHERE: 1, CERTIFICATE_DOES_NOT_COVER: 1, UNKNOWN: 1}}
    assert report["warnings"] == ["a warning"]
    for check in report["checks"]:
        assert set(["alias", "resource", "distribution_id", "outcome", "fix"]) <= set(check)
    json.dumps(report)


def test_summary_lines():
    lines = preflight.summary_lines(made_checks(), "held")
    assert lines[0].startswith("ok   ok.example.com (aws_cloudfront_distribution.x, update): ok - because ok.")
    assert lines[1].startswith("FAIL held.example.com") and lines[1].endswith("Fix: fix held")
    assert lines[4].startswith("note unknown.example.com")
    assert preflight.summary_lines([], "held") == [
        "Nothing to check: the deployment adds no alias to a CloudFront distribution or tenant."]


# -- ListDomainConflicts and its fallback, one function --------------------------------------

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (  # noqa: E402
    DOMAIN_APIS_BOTOCORE,
    ConflictApi,
    domain_conflicts_for,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias  # noqa: E402


def test_list_domain_conflicts_follows_every_page_and_asks_through_a_tenant(cloudfront, stub):
    params = domain_params("shop.example.com", tenant_id="dt_2abcDEF9xyz")
    stub.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "*.example.com", "ResourceType": "distribution", "ResourceId": OTHER, "AccountId": OUR_ACCOUNT}],
        "NextMarker": "m2"}, params)
    stub.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "shop.example.com", "ResourceType": "distribution-tenant", "ResourceId": "dt_9zyxWVU8abc",
         "AccountId": OUR_ACCOUNT}]}, dict(params, Marker="m2"))
    index = DistributionIndex([dist(OTHER, ["*.example.com"])])
    holders, warning, api = domain_conflicts_for(cloudfront, index, Alias.parse("shop.example.com"),
                                                 tenant_id="dt_2abcDEF9xyz")
    assert (warning, api) == (None, "ListDomainConflicts")
    assert [(h.distribution_id, h.overlap, getattr(h, "resource_type", "distribution")) for h in holders] == [
        ("dt_9zyxWVU8abc", "exact", "distribution-tenant"), (OTHER, "wildcard", "distribution")]
    assert holders[0].in_account is True and holders[1].distribution is not None


def test_access_denied_to_list_domain_conflicts_falls_back_and_says_why(cloudfront, stub):
    stub.add_client_error("list_domain_conflicts", service_error_code="AccessDenied", http_status_code=403,
                          expected_params=domain_params("www.example.com", TARGET))
    stub.add_response("list_conflicting_aliases", conflicts_page([]), alias_params("www.example.com", TARGET))
    holders, warning, api = domain_conflicts_for(cloudfront, DistributionIndex([dist(TARGET)]),
                                                 Alias.parse("www.example.com"), distribution_id=TARGET)
    assert (holders, api) == ([], "ListConflictingAliases")
    assert "AccessDenied" in warning and "does not see distribution tenants" in warning


def test_an_invalid_argument_is_not_a_reason_to_fall_back(cloudfront, stub):
    stub.add_client_error("list_domain_conflicts", service_error_code="InvalidArgument", http_status_code=400,
                          expected_params=domain_params("www.example.com", TARGET))
    api = ConflictApi()
    holders, warning, operation = domain_conflicts_for(
        cloudfront, DistributionIndex([dist(OTHER, ["www.example.com"])]), Alias.parse("www.example.com"),
        distribution_id=TARGET, api=api)
    assert operation is None and api.domain_conflicts is True
    assert [h.distribution_id for h in holders] == [OTHER]
    assert "only this account's distributions were checked" in warning


def test_a_botocore_without_list_domain_conflicts_asks_list_conflicting_aliases(cloudfront, stub):
    class OldClient(object):
        def __init__(self, client):
            self.list_conflicting_aliases = client.list_conflicting_aliases

    stub.add_response("list_conflicting_aliases", conflicts_page([]), alias_params("www.example.com", TARGET))
    api = ConflictApi()
    holders, warning, operation = domain_conflicts_for(OldClient(cloudfront), DistributionIndex([dist(TARGET)]),
                                                       Alias.parse("www.example.com"), distribution_id=TARGET,
                                                       api=api)
    assert (holders, warning, operation) == ([], None, "ListConflictingAliases")
    # The reason names the installed botocore and the release that brought ListDomainConflicts.
    assert api.reason.startswith("this botocore (") and "has no ListDomainConflicts" in api.reason
    assert "botocore %s or later has it" % DOMAIN_APIS_BOTOCORE in api.reason


def test_a_tenant_the_deployment_creates_is_told_to_move_the_domain_after_it_exists(cloudfront, stub):
    stub.add_response("list_domain_conflicts", {"DomainConflicts": [
        {"Domain": "www.example.com", "ResourceType": "distribution", "ResourceId": OTHER,
         "AccountId": OUR_ACCOUNT}]}, domain_params("www.example.com", OTHER))
    planned = [Planned("www.example.com", "aws_cloudfront_distribution_tenant.customer",
                       resource_type="distribution-tenant", certificate=Certificate(Certificate.INHERITED))]
    result = only(preflight.check_planned(planned, cloudfront, account(dist(OTHER, ["www.example.com"]))))
    assert result["outcome"] == HELD
    assert result["fix"] == (
        "Deploy aws_cloudfront_distribution_tenant.customer without www.example.com first, then move the domain "
        "with UpdateDomainAssociation: aws cloudfront update-domain-association --domain www.example.com "
        "--target-resource DistributionTenantId=<id of aws_cloudfront_distribution_tenant.customer> "
        "--if-match <ETag of the target>")
