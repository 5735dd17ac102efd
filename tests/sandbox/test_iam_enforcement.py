"""The sandbox's AWS endpoint evaluates identity policies as IAM does, and denies as AWS denies.

A credential made with ``sandbox.cli.iam_credentials`` (the control endpoint's ``POST /iam/credentials``)
belongs to an IAM user with exactly one identity policy; plain boto3 over real HTTP then sees what AWS
does. The behaviour follows:

- "Policy evaluation logic" and "The difference between explicit and implicit denies", IAM User Guide:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
  (default deny; an applicable Deny trumps any Allow).
- "IAM JSON policy elements: Action / NotAction" (action names are case-insensitive, ``*`` and ``?``
  wildcards): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
- "Troubleshoot access denied error messages", IAM User Guide (the message: "User: <principal> is not
  authorized to perform: <action> on resource: <resource> because no identity-based policy allows the
  <action> action" / "... with an explicit deny in an identity-based policy"):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html ; AWS leaves out
  "on resource:" for an action without a resource type (cloudfront:ListDistributions, as seen in
  https://github.com/aws/aws-cdk/issues/33249).
- "Actions, resources, and condition keys for Amazon CloudFront" and "... for Amazon Route 53", Service
  Authorization Reference (action names; distribution ARN ``arn:aws:cloudfront::ACCOUNT:distribution/ID``,
  hosted zone ARN ``arn:aws:route53:::hostedzone/ID``; ListDistributions takes only ``*``; the operation
  AssociateAlias needs cloudfront:AssociateAlias and cloudfront:UpdateDistribution):
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html
- botocore's service model: CloudFront ``AccessDenied`` (403, sender fault); ACM ``AccessDeniedException``.
- STS API Reference, GetCallerIdentity: "No permissions are required to perform this operation", even
  with an explicit Deny: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
"""

import boto3
import botocore.config
import botocore.exceptions
import pytest

from sandbox import cli
from sandbox.cli import SandboxError
from sandbox.scenarios import hosted_zone

ACCOUNT_1 = "111111111111"
NO_RETRY = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})


def allow(*actions, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]}


def restricted(sandbox, policy, name="limited"):
    """(boto3 session factory, credentials) of a new IAM user whose only policy is ``policy``."""
    creds = cli.iam_credentials(sandbox.state_dir, ACCOUNT_1, name, policy)

    def client(service):
        return boto3.client(service, endpoint_url=sandbox.endpoints["aws"]["endpoint_url"], region_name="us-east-1",
                            aws_access_key_id=creds["access_key_id"],
                            aws_secret_access_key=creds["secret_access_key"], config=NO_RETRY)
    return client, creds


def denial(raised):
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


@pytest.fixture
def empty(sandbox):
    sandbox.reset()
    return sandbox


def test_an_allowed_action_reaches_moto_and_an_absent_one_is_denied_as_aws_denies_it(empty):
    client, creds = restricted(empty, allow("cloudfront:ListDistributions"), name="lister")
    mark = empty.log_mark()
    cf = client("cloudfront")
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cf.get_distribution(Id="E1234567890ABC")
    assert denial(raised) == (
        403, "AccessDenied",
        "User: arn:aws:iam::111111111111:user/lister is not authorized to perform: cloudfront:GetDistribution "
        "on resource: arn:aws:cloudfront::111111111111:distribution/E1234567890ABC because no identity-based "
        "policy allows the cloudfront:GetDistribution action")
    assert isinstance(raised.value, cf.exceptions.AccessDenied)  # botocore's modelled error class

    # Route 53: the same message in its own namespace; no "on resource:" for an action without a resource.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("route53").list_hosted_zones()
    assert denial(raised) == (
        403, "AccessDenied",
        "User: arn:aws:iam::111111111111:user/lister is not authorized to perform: route53:ListHostedZones "
        "because no identity-based policy allows the route53:ListHostedZones action")

    # ACM speaks JSON: AccessDeniedException.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("acm").list_certificates()
    assert denial(raised)[:2] == (400, "AccessDeniedException")
    assert "acm:ListCertificates" in denial(raised)[2]

    # Logged as today, with the denied action and the user.
    logged = [(e["service"], e["operation"], e["status"], e.get("denied"), e.get("user"))
              for e in empty.requests_since(mark)]
    user = creds["user_arn"]
    assert logged == [("cloudfront", "ListDistributions", 200, None, user),
                      ("cloudfront", "GetDistribution", 403, "cloudfront:GetDistribution", user),
                      ("route53", "ListHostedZones", 403, "route53:ListHostedZones", user),
                      ("acm", "ListCertificates", 400, "acm:ListCertificates", user)]


def test_wildcards_notaction_case_and_explicit_deny(empty):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["CloudFront:list*", "route53:Get?ostedZone"], "Resource": "*"},
        {"Effect": "Allow", "NotAction": ["cloudfront:*", "route53:*", "sts:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "cloudfront:ListConflictingAliases", "Resource": "*"},
    ]}
    client, unused = restricted(empty, policy, name="mixed")
    cf = client("cloudfront")
    cf.list_distributions()                       # List* matches, case-insensitively
    client("acm").list_certificates()              # allowed through NotAction
    zone = hosted_zone(empty.aws("route53"), "example.com")
    client("route53").get_hosted_zone(Id=zone)     # ? matches one character
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cf.list_conflicting_aliases(DistributionId="E1234567890ABC", Alias="www.example.com")
    status, code, message = denial(raised)
    assert (status, code) == (403, "AccessDenied")
    assert message.endswith("is not authorized to perform: cloudfront:ListConflictingAliases on resource: "
                            "arn:aws:cloudfront::111111111111:distribution/E1234567890ABC with an explicit deny "
                            "in an identity-based policy")


def test_resource_arns_with_wildcards_scope_a_statement(empty):
    zone = hosted_zone(empty.aws("route53"), "example.com").split("/")[-1]
    other = hosted_zone(empty.aws("route53"), "example.org").split("/")[-1]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "route53:GetHostedZone", "Resource": "arn:aws:route53:::hostedzone/%s" % zone},
        # An action without a resource type is not authorised by an ARN, only by "*".
        {"Effect": "Allow", "Action": "cloudfront:ListDistributions", "Resource": "arn:aws:cloudfront::*"},
        {"Effect": "Allow", "Action": "cloudfront:GetDistribution",
         "Resource": "arn:aws:cloudfront::111111111111:distribution/E*"},
    ]}
    client, unused = restricted(empty, policy, name="scoped")
    r53 = client("route53")
    r53.get_hosted_zone(Id=zone)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        r53.get_hosted_zone(Id=other)
    assert "on resource: arn:aws:route53:::hostedzone/%s because" % other in denial(raised)[2]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("cloudfront").list_distributions()
    assert denial(raised)[1] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("cloudfront").get_distribution(Id="E1234567890ABC")
    assert denial(raised)[1] == "NoSuchDistribution"  # allowed by the ARN pattern: moto answers


def test_associate_alias_needs_update_distribution_too_and_get_caller_identity_needs_nothing(empty):
    client, unused = restricted(empty, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cloudfront:AssociateAlias", "Resource": "*"},
        {"Effect": "Deny", "Action": "sts:*", "Resource": "*"}]}, name="mover")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("cloudfront").associate_alias(TargetDistributionId="E1234567890ABC", Alias="www.example.com")
    assert "is not authorized to perform: cloudfront:UpdateDistribution on resource: " \
        "arn:aws:cloudfront::111111111111:distribution/E1234567890ABC" in denial(raised)[2]
    assert client("sts").get_caller_identity()["Account"] == ACCOUNT_1


def test_default_credentials_stay_unrestricted_and_bad_policies_are_refused(empty):
    empty.aws("route53").list_hosted_zones()
    empty.aws("acm").list_certificates()
    for bad, words in [
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {}}]}, "Condition"),
        ({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}, "Effect"),
        ({"Statement": []}, "Statement"),
        ({"Statement": [{"Effect": "Allow", "Action": "ListDistributions", "Resource": "*"}]}, "service:Operation"),
    ]:
        with pytest.raises(SandboxError, match=words):
            cli.iam_credentials(empty.state_dir, ACCOUNT_1, "bad", bad)
    # reset removes restricted users, as it removes every other AWS state.
    client, unused = restricted(empty, allow("*"), name="everything")
    client("cloudfront").list_distributions()
    empty.reset()
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("cloudfront").list_distributions()
    assert denial(raised)[1] == "InvalidClientTokenId"
