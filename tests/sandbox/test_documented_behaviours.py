"""Behaviours AWS and Cloudflare document that the sandbox must have (issue 9), one test or two per behaviour.

Plain boto3, HTTP and dnspython against running sandboxes. Every test names the document it follows. Tests that
watch a distribution while it is still InProgress use the session's ``slow_sandbox`` (3 s deploys), the others
the session's ``sandbox``.
"""

import datetime
import re
import time

import botocore.exceptions
import dns.message
import dns.query
import dns.rdatatype
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

try:
    from .test_aws_conformance import ACCOUNT_1, ACCOUNT_2, FORM_A, FORM_B, Aws, error_of, rrset
except ImportError:
    from test_aws_conformance import ACCOUNT_1, ACCOUNT_2, FORM_A, FORM_B, Aws, error_of, rrset

from sandbox.scenarios import alias_record, cname

ALL_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


@pytest.fixture
def aws(sandbox):
    sandbox.reset()
    return Aws(sandbox)


@pytest.fixture
def slow(slow_sandbox):
    slow_sandbox.reset()
    return Aws(slow_sandbox)


def status(aws, dist_id, account=ACCOUNT_1):
    return aws.cf[account].get_distribution(Id=dist_id)["Distribution"]["Status"]


def wait_deployed(aws, dist_id, timeout=20.0, account=ACCOUNT_1):
    deadline = time.monotonic() + timeout
    while status(aws, dist_id, account) != "Deployed":
        assert time.monotonic() < deadline, "%s not Deployed within %.0f s" % (dist_id, timeout)
        time.sleep(0.1)


def ask(sandbox, name, rdtype):
    query = dns.message.make_query(name + ".", rdtype)
    response = dns.query.udp(query, "127.0.0.1", port=sandbox.endpoints["dns"]["port"], timeout=5)
    wanted = dns.rdatatype.from_text(rdtype)
    return sorted(r.to_text().rstrip(".").lower() for rrset in response.answer if rrset.rdtype == wanted for r in rrset)


# --------------------------------------------------------------------------
# 1. Ids and domain names


def test_distribution_ids_and_domain_names_have_aws_shape(aws):
    """CloudFront API Reference, Distribution (https://docs.aws.amazon.com/cloudfront/latest/APIReference/
    API_Distribution.html): Id "For example: E1U5RQF7T870K0" (E and 13 upper-case letters or digits), DomainName
    "For example: d111111abcdef8.cloudfront.net" (d and 13 lower-case letters or digits)."""
    made = [aws.distribution("shape-%d" % n) for n in range(6)]
    made += [aws.distribution("shape-other-%d" % n, account=ACCOUNT_2) for n in range(3)]

    listed = {}
    for account in (ACCOUNT_1, ACCOUNT_2):
        for item in aws.cf[account].list_distributions()["DistributionList"]["Items"]:
            listed[item["Id"]] = (item, account)
    assert sorted(listed) == sorted(d["id"] for d in made)
    for dist_id, (item, account) in listed.items():
        assert re.match(r"^E[A-Z0-9]{13}$", dist_id), dist_id
        assert re.match(r"^d[a-z0-9]{13}\.cloudfront\.net$", item["DomainName"]), item["DomainName"]
        assert item["ARN"] == "arn:aws:cloudfront::%s:distribution/%s" % (account, dist_id)
        # The name answers in DNS like any distribution's.
        assert ask(aws.sandbox, item["DomainName"], "A")
    assert len({item["DomainName"] for item, unused in listed.values()}) == len(listed)


# --------------------------------------------------------------------------
# 2. ListConflictingAliases hides every holder's ids, the caller's own too


def test_list_conflicting_aliases_masks_every_holder_the_callers_own_too(aws):
    """CloudFront API Reference, ConflictingAlias (https://docs.aws.amazon.com/cloudfront/latest/APIReference/
    API_ConflictingAlias.html): "The standard distribution and account IDs are partially hidden, which allows you
    to identify the standard distributions and accounts that you own" - every holder's, ours included. The runbook
    shows the form: '*******5PBZ4YV' (7 hidden, the last 7 shown); account ids show their last 6 digits."""
    cert = aws.cert("example.com", ["*.example.com"])
    own = aws.distribution("own", ["api.example.com"], cert)
    foreign = aws.distribution("vendor", ["www.example.com"], aws.cert("www.example.com", account=ACCOUNT_2),
                               ACCOUNT_2)
    target = aws.distribution("target", cert=cert)

    items = {item["Alias"]: item for item in aws.conflicts(target["id"], "*.example.com")["Items"]}

    assert set(items) == {"api.example.com", "www.example.com"}
    for alias, dist, account in (("api.example.com", own, ACCOUNT_1), ("www.example.com", foreign, ACCOUNT_2)):
        assert items[alias]["DistributionId"] == "*******" + dist["id"][-7:]
        assert items[alias]["AccountId"] == "******" + account[-6:]
    assert own["id"] not in str(items) and ACCOUNT_1 not in str(items)


# --------------------------------------------------------------------------
# 3. A removed alias is not free until its old distribution is Deployed again


def test_a_removed_alias_stays_taken_until_the_old_holder_is_deployed(slow):
    """AWS Knowledge Center, "How do I resolve the CNAMEAlreadyExists error when I set up a CNAME alias for my
    CloudFront distribution?" (https://repost.aws/knowledge-center/resolve-cnamealreadyexists-error): remove the
    alias from the existing distribution, then associate it with the new one - "you might need to wait until the
    existing distribution's status is Deployed". The stricter reading: until then, it is still taken."""
    cert = slow.cert("example.com", ["*.example.com"])
    old = slow.distribution("old", ["www.example.com"], cert)
    new = slow.distribution("new", cert=cert)
    wait_deployed(slow, old["id"])

    slow.update(old["id"], aliases=[])
    assert slow.aliases(old["id"]) == set() and status(slow, old["id"]) == "InProgress"

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        slow.update(new["id"], aliases=["www.example.com"])
    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists") and FORM_A in error["message"]
    assert status(slow, old["id"]) == "InProgress", "the refusal must come while the removal is not deployed"
    assert slow.aliases(new["id"]) == set()

    wait_deployed(slow, old["id"])
    slow.update(new["id"], aliases=["www.example.com"])
    assert slow.aliases(new["id"]) == {"www.example.com"}


def test_the_old_holder_may_take_a_released_alias_back_at_once(slow):
    """Same Knowledge Center article: the wait is for the alias to be free elsewhere; the distribution that gave it
    up still has it until its change is deployed, so putting it back is no conflict."""
    cert = slow.cert("example.com", ["*.example.com"])
    old = slow.distribution("old", ["www.example.com"], cert)

    slow.update(old["id"], aliases=[])
    slow.update(old["id"], aliases=["www.example.com"])

    assert slow.aliases(old["id"]) == {"www.example.com"}


def test_the_aliases_of_a_deleted_distribution_stay_taken_for_a_deployment(slow):
    """Same Knowledge Center article, for a holder that is deleted (after it is disabled): its aliases are free
    only once the deletion has gone through CloudFront like any other change (the deploy time)."""
    cert = slow.cert("example.com", ["*.example.com"])
    old = slow.distribution("old", ["www.example.com"], cert)
    new = slow.distribution("new", cert=cert)
    slow.update(old["id"], enabled=False)
    wait_deployed(slow, old["id"])

    slow.cf[ACCOUNT_1].delete_distribution(Id=old["id"], IfMatch=slow.etag(old["id"]))
    deleted = time.monotonic()
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        slow.update(new["id"], aliases=["www.example.com"])
    assert error_of(exc)["code"] == "CNAMEAlreadyExists"
    assert time.monotonic() - deleted < 3.0

    time.sleep(max(0.0, 3.2 - (time.monotonic() - deleted)))
    slow.update(new["id"], aliases=["www.example.com"])
    assert slow.aliases(new["id"]) == {"www.example.com"}


# --------------------------------------------------------------------------
# 4. CloudFront's DNS check resolves through a cache


def test_the_dns_check_keeps_the_old_answer_for_its_ttl(aws):
    """The second form of CNAMEAlreadyExists ("an incorrectly configured DNS record that points to another
    CloudFront distribution", CloudFront Developer Guide, "Use custom URLs by adding alternate domain names
    (CNAMEs)", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html) comes from a DNS
    lookup, and a resolver keeps an answer for its TTL (RFC 1035, section 3.2.1: TTL is "the time interval that the
    resource record may be cached"). The sandbox keeps it for TTL x --ttl-scale (0.01 here): a 200 s TTL, 2 s."""
    cert = aws.cert("example.com", ["*.example.com"])
    other = aws.distribution("other", cert=cert)
    target = aws.distribution("target", cert=cert)
    zone_id = aws.zone()
    aws.change(zone_id, [cname("www.example.com", other["domain_name"], ttl=200)])

    with pytest.raises(botocore.exceptions.ClientError) as exc:  # CloudFront's resolver now has the answer
        aws.update(target["id"], aliases=["www.example.com"])
    looked_up = time.monotonic()
    assert FORM_B in error_of(exc)["message"]

    aws.change(zone_id, [rrset("UPSERT", "www.example.com", "CNAME", [target["domain_name"]], ttl=86400)])
    assert ask(aws.sandbox, "www.example.com", "CNAME") == [target["domain_name"]]  # served at once ...
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.update(target["id"], aliases=["www.example.com"])
    assert FORM_B in error_of(exc)["message"]  # ... but CloudFront still sees the old answer
    assert time.monotonic() - looked_up < 2.0

    time.sleep(max(0.0, 2.2 - (time.monotonic() - looked_up)))  # the OLD record's TTL, not the new one's
    aws.update(target["id"], aliases=["www.example.com"])
    assert aws.aliases(target["id"]) == {"www.example.com"}


# --------------------------------------------------------------------------
# 5. ACM lists RSA_1024 and RSA_2048 certificates unless asked for other key types


def _imported_rsa_3072(domain):
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
                   .sign(key, hashes.SHA256()))
    return (certificate.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()))


def test_list_certificates_shows_rsa_only_unless_key_types_are_asked_for(aws):
    """ACM API Reference, Filters (https://docs.aws.amazon.com/acm/latest/APIReference/API_Filters.html), keyTypes:
    "Default filtering returns only RSA_1024 and RSA_2048 certificates that have at least one domain. To return
    other certificate types, provide the desired type signatures". RequestCertificate's KeyAlgorithm
    (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html): RSA_2048, EC_prime256v1 or
    EC_secp384r1 for a requested certificate; the other types are for imported certificates only."""
    acm = aws.acm[ACCOUNT_1]
    requested = {"RSA_2048": acm.request_certificate(DomainName="rsa.example.com")["CertificateArn"]}  # the default
    for algorithm in ("EC_prime256v1", "EC_secp384r1"):
        requested[algorithm] = acm.request_certificate(
            DomainName="%s.example.com" % algorithm.lower().replace("_", "-"), KeyAlgorithm=algorithm)["CertificateArn"]
    certificate, key = _imported_rsa_3072("imported.example.com")
    requested["RSA_3072"] = acm.import_certificate(Certificate=certificate, PrivateKey=key)["CertificateArn"]
    for algorithm, arn in requested.items():
        assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["KeyAlgorithm"] == algorithm

    default = {s["CertificateArn"] for s in acm.list_certificates()["CertificateSummaryList"]}
    assert default == {requested["RSA_2048"]}
    everything = acm.list_certificates(Includes={"keyTypes": ALL_KEY_TYPES})["CertificateSummaryList"]
    assert {s["CertificateArn"]: s["KeyAlgorithm"] for s in everything} == {v: k for k, v in requested.items()}
    only_ec = acm.list_certificates(Includes={"keyTypes": ["EC_prime256v1"]})["CertificateSummaryList"]
    assert [s["CertificateArn"] for s in only_ec] == [requested["EC_prime256v1"]]

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        acm.request_certificate(DomainName="big.example.com", KeyAlgorithm="RSA_4096")
    assert error_of(exc)["code"] == "ValidationException"


def test_an_ecdsa_certificate_serves_a_distribution_like_any_other(aws):
    """CloudFront Developer Guide, "Supported protocols and ciphers between viewers and CloudFront"
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-
    protocols-ciphers.html) lists ECDSA certificates beside RSA ones: a distribution takes the names it covers."""
    cert = aws.acm[ACCOUNT_1].request_certificate(
        DomainName="example.com", SubjectAlternativeNames=["*.example.com"],
        KeyAlgorithm="EC_prime256v1")["CertificateArn"]
    dist = aws.distribution("ecdsa", ["www.example.com"], cert)
    assert aws.aliases(dist["id"]) == {"www.example.com"}


# --------------------------------------------------------------------------
# 6. Route 53 private hosted zones


def _private_zone(aws, name):
    return aws.r53.create_hosted_zone(
        Name=name, CallerReference="private-" + name, HostedZoneConfig={"PrivateZone": True, "Comment": "vpc"},
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"})["HostedZone"]["Id"].split("/")[-1]


def test_an_alias_record_to_cloudfront_is_refused_in_a_private_zone(aws):
    """AWS SDK for Kotlin API Reference, ResourceRecordSet.aliasTarget (https://docs.aws.amazon.com/sdk-for-kotlin/
    api/latest/route53/aws.sdk.kotlin.services.route53.model/-resource-record-set/alias-target.html): "You can't
    create an alias resource record set in a private hosted zone to route traffic to a CloudFront distribution."
    (Newer editions of the Route 53 API Reference leave the sentence out; the sandbox keeps the stricter reading.)"""
    dist = aws.distribution("site", ["www.example.com"], aws.cert("example.com", ["*.example.com"]))
    private = _private_zone(aws, "example.com")
    public = aws.zone("example.com")

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(private, [alias_record("www.example.com", "A", dist["domain_name"])])
    assert error_of(exc)["code"] == "InvalidChangeBatch"
    assert "private hosted zone" in error_of(exc)["message"]
    assert aws.records(private) == []

    aws.change(private, [cname("www.example.com", dist["domain_name"])])  # a plain CNAME is just data
    aws.change(public, [alias_record("www.example.com", "A", dist["domain_name"])])
    assert aws.record(public, "www.example.com.", "A")["AliasTarget"]["HostedZoneId"] == "Z2FDTNDATAQYW2"


def test_a_public_and_a_private_zone_share_a_name_and_dns_serves_the_public_one(aws):
    """Route 53 Developer Guide, "Working with private hosted zones" (https://docs.aws.amazon.com/Route53/latest/
    DeveloperGuide/hosted-zones-private.html): a private hosted zone answers only inside its VPCs; a public and a
    private zone may have the same name (split-view DNS). The internet - and CloudFront - sees the public one."""
    private = _private_zone(aws, "example.com")
    public = aws.zone("example.com")
    aws.change(private, [cname("www.example.com", "internal.example.net")])
    aws.change(public, [cname("www.example.com", "d1111111111111.cloudfront.net")])

    zones = aws.r53.list_hosted_zones_by_name(DNSName="example.com.")["HostedZones"]
    named = [(z["Id"].split("/")[-1], z["Config"]["PrivateZone"]) for z in zones if z["Name"] == "example.com."]
    assert sorted(named) == sorted([(private, True), (public, False)])
    assert ask(aws.sandbox, "www.example.com", "CNAME") == ["d1111111111111.cloudfront.net"]


# --------------------------------------------------------------------------
# 8. The TXT record AssociateAlias checks


@pytest.fixture
def mover(aws):
    cert = aws.cert("example.com", ["*.example.com", "*.shop.example.com"])
    return {"cert": cert, "zone_id": aws.zone()}


def _move(aws, target_id, alias):
    """None when AssociateAlias accepts the move, else the error."""
    try:
        aws.cf[ACCOUNT_1].associate_alias(TargetDistributionId=target_id, Alias=alias)
    except botocore.exceptions.ClientError as exc:
        return error_of(exc)
    return None


@pytest.mark.parametrize("alias, txt_name, accepted", [
    ("www.example.com", "_www.example.com", True),          # as AWS documents it
    ("www.example.com", "_.www.example.com", False),        # nobody documents this for a name below the apex
    ("a.shop.example.com", "_.a.shop.example.com", False),
    ("*.shop.example.com", "_.shop.example.com", True),     # a wildcard: the collection's documented choice
    ("example.com", "_.example.com", True),                 # the zone apex: the same documented choice
])
def test_associate_alias_accepts_the_documented_txt_names_only(aws, mover, alias, txt_name, accepted):
    """CloudFront Developer Guide, "Move an alternate domain name" (https://docs.aws.amazon.com/AmazonCloudFront/
    latest/DeveloperGuide/alternate-domain-names-move.html) and the AssociateAlias API Reference: a DNS TXT record
    '_<alias>' whose value is the target distribution's domain name. AWS names no TXT record for a wildcard or a
    zone apex; '_.<name>' is accepted there only (the collection's documented choice), never for another name."""
    source = aws.distribution("source", [alias], mover["cert"])
    target = aws.distribution("target", cert=mover["cert"])
    aws.txt(mover["zone_id"], txt_name, target["domain_name"])

    refused = _move(aws, target["id"], alias)

    if accepted:
        assert refused is None
        assert aws.aliases(target["id"]) == {alias} and aws.aliases(source["id"]) == set()
    else:
        assert refused["code"] == "InvalidArgument" and "_" + alias in refused["message"], refused
        assert aws.aliases(source["id"]) == {alias} and aws.aliases(target["id"]) == set()


# --------------------------------------------------------------------------
# Quotas


def test_the_alias_quota_is_100_unless_raised_for_the_account(aws):
    """CloudFront Developer Guide, "Quotas" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/
    cloudfront-limits.html): "Alternate domain names (CNAMEs) per distribution: 100", a quota one can ask AWS to
    raise. Beyond it, TooManyDistributionCNAMEs. The sandbox raises it through its control endpoint."""
    from sandbox import cli

    cert = aws.cert("example.com", ["*.example.com"])
    names = ["n%03d.example.com" % n for n in range(101)]
    dist = aws.distribution("many", names[:100], cert)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.update(dist["id"], aliases=names)
    assert error_of(exc)["code"] == "TooManyDistributionCNAMEs"

    cli.raise_alias_quota(aws.sandbox.state_dir, ACCOUNT_1, 150)
    aws.update(dist["id"], aliases=names)
    assert len(aws.aliases(dist["id"])) == 101
    aws.sandbox.reset()  # a reset forgets raised quotas too
    dist = aws.distribution("many-again", names[:100], aws.cert("example.com", ["*.example.com"]))
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.update(dist["id"], aliases=names)
    assert error_of(exc)["code"] == "TooManyDistributionCNAMEs"
