"""The sandbox's AWS endpoint against documented CloudFront and Route 53 behaviour.

Plain boto3 over real HTTP to the running sandbox (no mocks). Each test starts
from an empty sandbox and builds exactly the situation it needs.
"""

import threading
import time

import botocore.config
import botocore.exceptions
import boto3
import pytest

from sandbox.scenarios import (
    alias_record,
    certificate,
    cname,
    create_distribution,
    distribution_config,
    hosted_zone,
)

ACCOUNT_1, ACCOUNT_2 = "111111111111", "222222222222"
FORM_A = "already associated with a different resource"
FORM_B = "incorrectly configured DNS record that points to another CloudFront distribution"
DEPLOY_WAIT = 5.0  # the fixture deploys in 0.5 s; this is only an upper bound
NO_RETRY = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})


def error_of(raised):
    """Status, code and message of a ClientError (or of pytest's ExceptionInfo holding one)."""
    response = getattr(raised, "value", raised).response
    return {"status": response["ResponseMetadata"]["HTTPStatusCode"],
            "code": response["Error"]["Code"], "message": response["Error"]["Message"]}


class Aws:
    """boto3 clients for both accounts and the few steps every test repeats."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.cf = {ACCOUNT_1: sandbox.aws("cloudfront"), ACCOUNT_2: sandbox.aws("cloudfront", ACCOUNT_2)}
        self.acm = {ACCOUNT_1: sandbox.aws("acm"), ACCOUNT_2: sandbox.aws("acm", ACCOUNT_2)}
        self.r53 = sandbox.aws("route53")

    def client(self, service, account=ACCOUNT_1, config=NO_RETRY):
        creds = self.sandbox.endpoints["aws"]["accounts"][account]
        return boto3.client(
            service, endpoint_url=self.sandbox.endpoints["aws"]["endpoint_url"], region_name="us-east-1",
            aws_access_key_id=creds["access_key_id"], aws_secret_access_key=creds["secret_access_key"],
            config=config)

    def cert(self, domain, sans=(), account=ACCOUNT_1):
        return certificate(self.acm[account], domain, list(sans))

    def distribution(self, reference, aliases=(), cert=None, account=ACCOUNT_1, enabled=True, ipv6=True):
        return create_distribution(self.cf[account], reference, aliases=list(aliases), cert_arn=cert,
                                   enabled=enabled, ipv6=ipv6)

    def config(self, dist_id, account=ACCOUNT_1):
        response = self.cf[account].get_distribution_config(Id=dist_id)
        return response["DistributionConfig"], response["ETag"]

    def aliases(self, dist_id, account=ACCOUNT_1):
        config, unused = self.config(dist_id, account)
        return set(config["Aliases"].get("Items") or [])

    def etag(self, dist_id, account=ACCOUNT_1):
        return self.config(dist_id, account)[1]

    def update(self, dist_id, account=ACCOUNT_1, aliases=None, comment=None, enabled=None, if_match=None):
        """Read-modify-write of the whole config, as UpdateDistribution requires."""
        config, etag = self.config(dist_id, account)
        if aliases is not None:
            config["Aliases"] = {"Quantity": len(aliases), "Items": list(aliases)} if aliases else {"Quantity": 0}
        if comment is not None:
            config["Comment"] = comment
        if enabled is not None:
            config["Enabled"] = enabled
        return self.cf[account].update_distribution(
            Id=dist_id, IfMatch=if_match or etag, DistributionConfig=config)

    def wait_deployed(self, dist_id, account=ACCOUNT_1):
        deadline = time.monotonic() + DEPLOY_WAIT
        while time.monotonic() < deadline:
            if self.cf[account].get_distribution(Id=dist_id)["Distribution"]["Status"] == "Deployed":
                return
            time.sleep(0.1)
        raise AssertionError("%s is still not Deployed after %.0f s" % (dist_id, DEPLOY_WAIT))

    def zone(self, name="example.com"):
        return hosted_zone(self.r53, name)

    def change(self, zone_id, changes):
        return self.r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})

    def records(self, zone_id):
        response = self.r53.list_resource_record_sets(HostedZoneId=zone_id)
        return [r for r in response["ResourceRecordSets"] if r["Type"] not in ("SOA", "NS")]

    def record(self, zone_id, name, rtype):
        found = [r for r in self.records(zone_id) if r["Name"] == name and r["Type"] == rtype]
        return found[0] if found else None

    def txt(self, zone_id, name, value):
        self.change(zone_id, [rrset("CREATE", name, "TXT", ['"%s"' % value])])

    def conflicts(self, dist_id, alias, account=ACCOUNT_1, **kwargs):
        return self.cf[account].list_conflicting_aliases(DistributionId=dist_id, Alias=alias, **kwargs)[
            "ConflictingAliasesList"]


def rrset(action, name, rtype, values, ttl=300):
    return {"Action": action, "ResourceRecordSet": {
        "Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}}


@pytest.fixture
def aws(sandbox):
    sandbox.reset()
    return Aws(sandbox)


@pytest.fixture
def example_cert(aws):
    return aws.cert("example.com", ["*.example.com"])


# --------------------------------------------------------------------------
# CNAMEAlreadyExists, form (a): another distribution holds the exact alias


def test_create_refused_when_alias_held_by_distribution_in_same_account(aws, example_cert):
    aws.distribution("holder", ["www.example.com"], example_cert)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.distribution("newcomer", ["www.example.com"], example_cert)

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists")
    assert FORM_A in error["message"]
    assert aws.cf[ACCOUNT_1].list_distributions()["DistributionList"]["Quantity"] == 1


def test_update_refused_when_alias_held_by_distribution_in_same_account(aws, example_cert):
    aws.distribution("holder", ["www.example.com"], example_cert)
    target = aws.distribution("target", cert=example_cert)
    etag = aws.etag(target["id"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.update(target["id"], aliases=["www.example.com"])

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists")
    assert FORM_A in error["message"]
    assert aws.aliases(target["id"]) == set()
    assert aws.etag(target["id"]) == etag


def test_create_refused_when_alias_held_in_other_account(aws, example_cert):
    aws.distribution("vendor", ["www.example.com"], aws.cert("www.example.com", account=ACCOUNT_2), ACCOUNT_2)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.distribution("newcomer", ["www.example.com"], example_cert)

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists")
    assert FORM_A in error["message"]


def test_update_refused_when_alias_held_in_other_account(aws, example_cert):
    aws.distribution("vendor", ["www.example.com"], aws.cert("www.example.com", account=ACCOUNT_2), ACCOUNT_2)
    target = aws.distribution("target", cert=example_cert)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.update(target["id"], aliases=["www.example.com"])

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists")
    assert FORM_A in error["message"]
    assert aws.aliases(target["id"]) == set()


# --------------------------------------------------------------------------
# CNAMEAlreadyExists, form (b): DNS CNAME straight at another distribution


@pytest.fixture
def dns_points_at_other(aws, example_cert):
    """Nobody holds www.example.com, but its CNAME points at another distribution."""
    other = aws.distribution("other", cert=example_cert)
    zone_id = aws.zone()
    aws.change(zone_id, [cname("www.example.com", other["domain_name"])])
    return {"other": other, "zone_id": zone_id}


def test_create_refused_when_dns_cname_points_at_other_distribution(aws, example_cert, dns_points_at_other):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.distribution("newcomer", ["www.example.com"], example_cert)

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists")
    assert FORM_B in error["message"]
    assert aws.cf[ACCOUNT_1].list_distributions()["DistributionList"]["Quantity"] == 1


def test_update_refused_when_dns_cname_points_at_other_distribution(aws, example_cert, dns_points_at_other):
    target = aws.distribution("target", cert=example_cert)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.update(target["id"], aliases=["www.example.com"])

    error = error_of(exc)
    assert (error["status"], error["code"]) == (409, "CNAMEAlreadyExists")
    assert FORM_B in error["message"]
    assert aws.aliases(target["id"]) == set()


def test_update_succeeds_once_dns_cname_points_at_target(aws, example_cert, dns_points_at_other):
    target = aws.distribution("target", cert=example_cert)
    aws.change(dns_points_at_other["zone_id"], [
        rrset("UPSERT", "www.example.com", "CNAME", [target["domain_name"]])])

    aws.update(target["id"], aliases=["www.example.com"])

    assert aws.aliases(target["id"]) == {"www.example.com"}


def test_update_succeeds_when_dns_cname_points_at_no_existing_distribution(aws, example_cert):
    # A dangling CNAME (its distribution is gone) holds nothing back.
    target = aws.distribution("target", cert=example_cert)
    aws.change(aws.zone(), [cname("www.example.com", "d0000000000000.cloudfront.net")])

    aws.update(target["id"], aliases=["www.example.com"])

    assert aws.aliases(target["id"]) == {"www.example.com"}


def test_update_succeeds_when_dns_reaches_other_distribution_only_indirectly(aws, example_cert):
    # CloudFront's DNS check sees a direct CNAME only; chains and alias A records pass it.
    other = aws.distribution("other", cert=example_cert)
    target = aws.distribution("target", cert=example_cert)
    zone_id = aws.zone()
    aws.change(zone_id, [cname("www.example.com", "edge.example.com"),
                         cname("edge.example.com", other["domain_name"]),
                         alias_record("api.example.com", "A", other["domain_name"])])

    aws.update(target["id"], aliases=["www.example.com", "api.example.com"])

    assert aws.aliases(target["id"]) == {"www.example.com", "api.example.com"}


def test_update_succeeds_once_dns_cname_is_deleted(aws, example_cert, dns_points_at_other):
    target = aws.distribution("target", cert=example_cert)
    aws.change(dns_points_at_other["zone_id"], [
        rrset("DELETE", "www.example.com", "CNAME", [dns_points_at_other["other"]["domain_name"]])])

    aws.update(target["id"], aliases=["www.example.com"])

    assert aws.aliases(target["id"]) == {"www.example.com"}


# --------------------------------------------------------------------------
# ETags and If-Match


def test_create_returns_the_current_etag(aws):
    response = aws.cf[ACCOUNT_1].create_distribution(DistributionConfig=distribution_config("site"))

    assert response["ETag"] == aws.etag(response["Distribution"]["Id"])


def test_etag_changes_on_every_update(aws):
    dist = aws.distribution("site")
    seen = [aws.etag(dist["id"])]
    for n in range(3):
        response = aws.update(dist["id"], comment="change %d" % n)
        assert response["ETag"] not in seen
        assert aws.etag(dist["id"]) == response["ETag"]
        seen.append(response["ETag"])


def test_stale_if_match_gives_precondition_failed_and_changes_nothing(aws):
    dist = aws.distribution("site")
    stale = aws.etag(dist["id"])
    aws.update(dist["id"], comment="first")
    current = aws.etag(dist["id"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.update(dist["id"], comment="second", if_match=stale)

    error = error_of(exc)
    assert (error["status"], error["code"]) == (412, "PreconditionFailed")
    config, etag = aws.config(dist["id"])
    assert config["Comment"] == "first"
    assert etag == current


def test_update_without_if_match_is_refused(aws):
    dist = aws.distribution("site")
    before = aws.config(dist["id"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.cf[ACCOUNT_1].update_distribution(Id=dist["id"], DistributionConfig=dict(before[0], Comment="no if-match"))

    error = error_of(exc)
    assert (error["status"], error["code"]) == (400, "InvalidIfMatchVersion")
    assert aws.config(dist["id"]) == before


def test_concurrent_updates_with_the_same_etag_only_one_wins(aws):
    dist = aws.distribution("site")
    config, etag = aws.config(dist["id"])
    clients = [aws.client("cloudfront") for unused in range(4)]
    barrier = threading.Barrier(len(clients))
    outcomes = []

    def update(n, cf):
        barrier.wait()
        try:
            cf.update_distribution(Id=dist["id"], IfMatch=etag, DistributionConfig=dict(config, Comment="w%d" % n))
            outcomes.append(("ok", n))
        except botocore.exceptions.ClientError as exc:
            outcomes.append((error_of(exc)["code"], n))

    threads = [threading.Thread(target=update, args=(n, cf)) for n, cf in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [n for outcome, n in outcomes if outcome == "ok"]
    assert len(winners) == 1, outcomes
    assert sorted(o for o, unused in outcomes if o != "ok") == ["PreconditionFailed"] * 3
    assert aws.config(dist["id"])[0]["Comment"] == "w%d" % winners[0]


def test_delete_distribution_needs_current_etag_and_disabled(aws):
    dist = aws.distribution("site")
    stale = aws.etag(dist["id"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.cf[ACCOUNT_1].delete_distribution(Id=dist["id"], IfMatch=stale)
    assert error_of(exc)["code"] == "DistributionNotDisabled"

    aws.update(dist["id"], enabled=False)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.cf[ACCOUNT_1].delete_distribution(Id=dist["id"], IfMatch=stale)
    assert error_of(exc)["code"] == "PreconditionFailed"

    aws.cf[ACCOUNT_1].delete_distribution(Id=dist["id"], IfMatch=aws.etag(dist["id"]))
    assert aws.cf[ACCOUNT_1].list_distributions()["DistributionList"]["Quantity"] == 0


# --------------------------------------------------------------------------
# Deployment status


def test_status_in_progress_after_update_then_deployed(aws):
    dist = aws.distribution("site")
    aws.wait_deployed(dist["id"])

    aws.update(dist["id"], comment="redeploy")

    assert aws.cf[ACCOUNT_1].get_distribution(Id=dist["id"])["Distribution"]["Status"] == "InProgress"
    aws.wait_deployed(dist["id"])


# --------------------------------------------------------------------------
# Certificates and alias syntax


def test_aliases_without_certificate_are_refused(aws):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.distribution("no-cert", ["www.example.com"])

    error = error_of(exc)
    assert (error["status"], error["code"]) == (400, "InvalidViewerCertificate")


def test_wildcard_certificate_covers_one_label_below(aws):
    cert = aws.cert("*.example.com")

    dist = aws.distribution("one-label", ["a.example.com"], cert)

    assert aws.aliases(dist["id"]) == {"a.example.com"}


@pytest.mark.parametrize("alias", ["a.b.example.com", "example.com"])
def test_wildcard_certificate_does_not_cover_deeper_names_nor_apex(aws, alias):
    cert = aws.cert("*.example.com")
    dist = aws.distribution("site", cert=cert)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.update(dist["id"], aliases=[alias])

    error = error_of(exc)
    assert (error["status"], error["code"]) == (400, "InvalidViewerCertificate")
    assert aws.aliases(dist["id"]) == set()


def test_uppercase_alias_is_refused(aws, example_cert):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.distribution("upper", ["WWW.example.com"], example_cert)

    error = error_of(exc)
    assert (error["status"], error["code"]) == (400, "InvalidArgument")
    assert aws.cf[ACCOUNT_1].list_distributions()["DistributionList"]["Quantity"] == 0


# --------------------------------------------------------------------------
# ListConflictingAliases


def entries(conflicts):
    return {(item["Alias"], item["DistributionId"], item["AccountId"]) for item in conflicts.get("Items") or []}


def hidden(dist_id):
    """How ListConflictingAliases shows every holder's distribution id, the caller's own too (7 + 7)."""
    return "*******" + dist_id[-7:]


HIDDEN_1 = "******" + ACCOUNT_1[-6:]


def test_conflicting_aliases_finds_exact_and_overlapping_wildcard(aws, example_cert):
    exact = aws.distribution("exact", ["www.example.com"], example_cert)
    wild = aws.distribution("wild", ["*.example.com"], example_cert)
    aws.distribution("unrelated", ["api.example.com", "example.com"], example_cert)
    target = aws.distribution("target", cert=example_cert)

    found = aws.conflicts(target["id"], "www.example.com")

    assert entries(found) == {("www.example.com", hidden(exact["id"]), HIDDEN_1),
                              ("*.example.com", hidden(wild["id"]), HIDDEN_1)}
    assert found["Quantity"] == 2


def test_conflicting_aliases_wildcard_query_finds_names_at_any_depth(aws):
    cert = aws.cert("example.com", ["*.example.com", "*.b.example.com"])
    one = aws.distribution("one-label", ["www.example.com"], cert)
    deep = aws.distribution("two-labels", ["a.b.example.com"], cert)
    aws.distribution("apex", ["example.com"], cert)  # a wildcard never covers its own base
    target = aws.distribution("target", cert=cert)

    found = aws.conflicts(target["id"], "*.example.com")

    assert entries(found) == {("www.example.com", hidden(one["id"]), HIDDEN_1),
                              ("a.b.example.com", hidden(deep["id"]), HIDDEN_1)}


def test_conflicting_aliases_pages_with_max_items_and_next_marker(aws, example_cert):
    holders = {hidden(aws.distribution("holder-%d" % n, ["h%d.example.com" % n], example_cert)["id"])
               for n in range(7)}
    target = aws.distribution("target", cert=example_cert)

    pages, marker = [], None
    while True:
        kwargs = {"MaxItems": 3, **({"Marker": marker} if marker else {})}
        page = aws.conflicts(target["id"], "*.example.com", **kwargs)
        pages.append(page)
        marker = page.get("NextMarker")
        if not marker:
            break
        assert len(pages) < 10, "NextMarker never ends"

    assert [p["Quantity"] for p in pages] == [3, 3, 1]
    assert [len(p["Items"]) for p in pages] == [3, 3, 1]
    listed = [item["DistributionId"] for p in pages for item in p["Items"]]
    assert sorted(listed) == sorted(holders)


def test_conflicting_aliases_refuses_max_items_above_100(aws, example_cert):
    target = aws.distribution("target", cert=example_cert)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.conflicts(target["id"], "www.example.com", MaxItems=101)

    assert error_of(exc)["code"] == "InvalidArgument"


def test_conflicting_aliases_target_must_be_in_callers_account(aws, example_cert):
    target = aws.distribution("target", cert=example_cert)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.conflicts(target["id"], "www.example.com", account=ACCOUNT_2)

    error = error_of(exc)
    assert (error["status"], error["code"]) == (404, "NoSuchDistribution")


def test_conflicting_aliases_target_certificate_must_cover_alias(aws):
    target = aws.distribution("target", cert=aws.cert("www.example.com"))

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.conflicts(target["id"], "api.example.com")

    error = error_of(exc)
    assert (error["status"], error["code"]) == (400, "InvalidArgument")


def test_conflicting_aliases_masks_other_accounts_so_that_only_a_suffix_shows(aws, example_cert):
    # Every holder is masked, ours too (tests/sandbox/test_documented_behaviours.py proves the exact form).
    foreign = aws.distribution("vendor", ["www.example.com"], aws.cert("www.example.com", account=ACCOUNT_2),
                               ACCOUNT_2)
    target = aws.distribution("target", cert=example_cert)

    items = {item["Alias"]: item for item in aws.conflicts(target["id"], "*.example.com")["Items"]}

    masked = items["www.example.com"]
    for field, real in (("DistributionId", foreign["id"]), ("AccountId", ACCOUNT_2)):
        value = masked[field]
        visible = value.lstrip("*")
        assert value.startswith("*"), (field, value)
        assert visible and real.endswith(visible) and len(visible) < len(real), (field, value, real)


# --------------------------------------------------------------------------
# AssociateAlias


@pytest.fixture
def move(aws, example_cert):
    """An in-account source holding www.example.com, a target, and the zone for the TXT record."""
    source = aws.distribution("source", ["www.example.com"], example_cert)
    target = aws.distribution("target", cert=example_cert)
    return {"source": source, "target": target, "zone_id": aws.zone()}


def test_associate_alias_refused_without_txt_record(aws, move):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.cf[ACCOUNT_1].associate_alias(TargetDistributionId=move["target"]["id"], Alias="www.example.com")

    error = error_of(exc)
    assert (error["status"], error["code"]) == (400, "InvalidArgument")
    assert aws.aliases(move["source"]["id"]) == {"www.example.com"}
    assert aws.aliases(move["target"]["id"]) == set()


def test_associate_alias_refused_when_txt_names_another_distribution(aws, move):
    aws.txt(move["zone_id"], "_www.example.com", move["source"]["domain_name"])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.cf[ACCOUNT_1].associate_alias(TargetDistributionId=move["target"]["id"], Alias="www.example.com")

    assert error_of(exc)["code"] == "InvalidArgument"
    assert aws.aliases(move["source"]["id"]) == {"www.example.com"}


def test_associate_alias_moves_alias_within_account(aws, move):
    source, target = move["source"], move["target"]
    aws.txt(move["zone_id"], "_www.example.com", target["domain_name"])
    etags = {d["id"]: aws.etag(d["id"]) for d in (source, target)}

    aws.cf[ACCOUNT_1].associate_alias(TargetDistributionId=target["id"], Alias="www.example.com")

    assert aws.aliases(source["id"]) == set()
    assert aws.aliases(target["id"]) == {"www.example.com"}
    assert aws.etag(source["id"]) != etags[source["id"]]
    assert aws.etag(target["id"]) != etags[target["id"]]


def test_associate_alias_wildcard_uses_underscore_label_txt_record(aws, example_cert):
    source = aws.distribution("source", ["*.example.com"], example_cert)
    target = aws.distribution("target", cert=example_cert)
    aws.txt(aws.zone(), "_.example.com", target["domain_name"])

    aws.cf[ACCOUNT_1].associate_alias(TargetDistributionId=target["id"], Alias="*.example.com")

    assert aws.aliases(source["id"]) == set()
    assert aws.aliases(target["id"]) == {"*.example.com"}


@pytest.fixture
def foreign_move(aws, example_cert):
    def build(enabled):
        foreign_cert = aws.cert("www.example.com", account=ACCOUNT_2)
        source = aws.distribution("vendor", ["www.example.com"], foreign_cert, ACCOUNT_2, enabled=enabled)
        target = aws.distribution("target", cert=example_cert)
        aws.txt(aws.zone(), "_www.example.com", target["domain_name"])
        return source, target
    return build


def test_associate_alias_from_enabled_distribution_in_other_account_is_illegal(aws, foreign_move):
    source, target = foreign_move(enabled=True)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.cf[ACCOUNT_1].associate_alias(TargetDistributionId=target["id"], Alias="www.example.com")

    assert error_of(exc)["code"] == "IllegalUpdate"
    assert aws.aliases(source["id"], ACCOUNT_2) == {"www.example.com"}
    assert aws.aliases(target["id"]) == set()


def test_associate_alias_from_disabled_distribution_in_other_account_moves_it(aws, foreign_move):
    source, target = foreign_move(enabled=False)

    aws.cf[ACCOUNT_1].associate_alias(TargetDistributionId=target["id"], Alias="www.example.com")

    assert aws.aliases(source["id"], ACCOUNT_2) == set()
    assert aws.aliases(target["id"]) == {"www.example.com"}


# --------------------------------------------------------------------------
# Route 53: DELETE, batches, compare-and-swap


@pytest.fixture
def www_zone(aws):
    zone_id = aws.zone()
    aws.change(zone_id, [rrset("CREATE", "www.example.com", "CNAME", ["old.cloudfront.net"], ttl=300)])
    return zone_id


@pytest.mark.parametrize("ttl,value", [(60, "old.cloudfront.net"), (300, "other.cloudfront.net")],
                         ids=["wrong-ttl", "wrong-value"])
def test_delete_must_match_current_record_exactly(aws, www_zone, ttl, value):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(www_zone, [rrset("DELETE", "www.example.com", "CNAME", [value], ttl=ttl)])

    assert error_of(exc)["code"] == "InvalidChangeBatch"
    record = aws.record(www_zone, "www.example.com.", "CNAME")
    assert record["TTL"] == 300
    assert record["ResourceRecords"] == [{"Value": "old.cloudfront.net"}]


def test_change_batch_is_all_or_nothing(aws, www_zone):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(www_zone, [
            rrset("CREATE", "api.example.com", "A", ["192.0.2.10"]),
            rrset("DELETE", "www.example.com", "CNAME", ["old.cloudfront.net"], ttl=60),
        ])

    assert error_of(exc)["code"] == "InvalidChangeBatch"
    assert aws.record(www_zone, "api.example.com.", "A") is None
    assert aws.record(www_zone, "www.example.com.", "CNAME") is not None


def test_delete_and_create_in_one_batch_is_compare_and_swap(aws, www_zone):
    swap = [rrset("DELETE", "www.example.com", "CNAME", ["old.cloudfront.net"]),
            rrset("CREATE", "www.example.com", "CNAME", ["new.cloudfront.net"])]

    aws.change(www_zone, swap)
    assert aws.record(www_zone, "www.example.com.", "CNAME")["ResourceRecords"] == [{"Value": "new.cloudfront.net"}]

    # The same swap again expects a value that is no longer there: it must lose.
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(www_zone, [rrset("DELETE", "www.example.com", "CNAME", ["old.cloudfront.net"]),
                              rrset("CREATE", "www.example.com", "CNAME", ["third.cloudfront.net"])])
    assert error_of(exc)["code"] == "InvalidChangeBatch"
    assert aws.record(www_zone, "www.example.com.", "CNAME")["ResourceRecords"] == [{"Value": "new.cloudfront.net"}]


def test_a_record_becomes_cname_with_delete_and_create_in_one_batch(aws):
    # amazon.aws#2694: a plain UPSERT or CREATE cannot turn an A record into a CNAME.
    zone_id = aws.zone()
    aws.change(zone_id, [rrset("CREATE", "app.example.com", "A", ["192.0.2.1"])])

    aws.change(zone_id, [rrset("DELETE", "app.example.com", "A", ["192.0.2.1"]),
                         rrset("CREATE", "app.example.com", "CNAME", ["d111.cloudfront.net"])])

    at_name = [r for r in aws.records(zone_id) if r["Name"] == "app.example.com."]
    assert [(r["Type"], r["ResourceRecords"]) for r in at_name] == [("CNAME", [{"Value": "d111.cloudfront.net"}])]


# --------------------------------------------------------------------------
# Route 53: record set rules


def test_cname_at_apex_is_refused(aws):
    zone_id = aws.zone()

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(zone_id, [rrset("CREATE", "example.com", "CNAME", ["d111.cloudfront.net"])])

    assert error_of(exc)["code"] == "InvalidChangeBatch"
    assert aws.record(zone_id, "example.com.", "CNAME") is None


def test_cname_beside_existing_data_is_refused(aws):
    zone_id = aws.zone()
    aws.change(zone_id, [rrset("CREATE", "app.example.com", "A", ["192.0.2.1"])])

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(zone_id, [rrset("CREATE", "app.example.com", "CNAME", ["d111.cloudfront.net"])])

    assert error_of(exc)["code"] == "InvalidChangeBatch"
    assert aws.record(zone_id, "app.example.com.", "CNAME") is None


def test_data_beside_existing_cname_is_refused(aws, www_zone):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(www_zone, [rrset("CREATE", "www.example.com", "TXT", ['"hello"'])])

    assert error_of(exc)["code"] == "InvalidChangeBatch"
    assert aws.record(www_zone, "www.example.com.", "TXT") is None


def test_create_of_existing_record_set_is_refused(aws, www_zone):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(www_zone, [rrset("CREATE", "www.example.com", "CNAME", ["new.cloudfront.net"])])

    assert error_of(exc)["code"] == "InvalidChangeBatch"
    assert aws.record(www_zone, "www.example.com.", "CNAME")["ResourceRecords"] == [{"Value": "old.cloudfront.net"}]


def test_upsert_replaces_record_set(aws, www_zone):
    aws.change(www_zone, [rrset("UPSERT", "www.example.com", "CNAME", ["new.cloudfront.net"], ttl=60)])

    at_name = [r for r in aws.records(www_zone) if r["Name"] == "www.example.com."]
    assert [(r["Type"], r["TTL"], r["ResourceRecords"]) for r in at_name] == [
        ("CNAME", 60, [{"Value": "new.cloudfront.net"}])]


def test_record_without_ttl_is_refused(aws):
    # Route 53 wants exactly one of AliasTarget or (TTL and ResourceRecords).
    zone_id = aws.zone()
    change = rrset("CREATE", "app.example.com", "A", ["192.0.2.1"])
    del change["ResourceRecordSet"]["TTL"]

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.change(zone_id, [change])

    error = error_of(exc)
    assert (error["status"], error["code"]) == (400, "InvalidInput")
    assert aws.record(zone_id, "app.example.com.", "A") is None


def test_zone_soa_is_listed_as_rdata_text(aws):
    zone_id = aws.zone()

    [soa] = [r for r in aws.r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
             if r["Type"] == "SOA"]

    [value] = [r["Value"] for r in soa["ResourceRecords"]]
    mname, rname, *numbers = value.split()
    assert mname.endswith(".") and rname.endswith("."), value
    assert len(numbers) == 5 and all(n.isdigit() for n in numbers), value


def test_zone_ns_values_are_fully_qualified(aws):
    zone_id = aws.zone()

    [ns] = [r for r in aws.r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
            if r["Type"] == "NS"]

    values = [r["Value"] for r in ns["ResourceRecords"]]
    assert len(values) == 4
    assert all(v.endswith(".") for v in values), values


ZONES_IN_ROUTE53_ORDER = ["example.com.", "b.example.com.", "www.example.com.", "a.example.org."]


def test_list_hosted_zones_by_name_sorts_by_reversed_labels(aws):
    for name in sorted(ZONES_IN_ROUTE53_ORDER):
        aws.zone(name.rstrip("."))

    response = aws.r53.list_hosted_zones_by_name()

    assert [z["Name"] for z in response["HostedZones"]] == ZONES_IN_ROUTE53_ORDER


def test_list_hosted_zones_by_name_starts_at_dns_name(aws):
    # DNSName is where the listing starts, not a filter: a caller must compare names itself.
    for name in ZONES_IN_ROUTE53_ORDER:
        aws.zone(name.rstrip("."))

    response = aws.r53.list_hosted_zones_by_name(DNSName="c.example.com")

    assert [z["Name"] for z in response["HostedZones"]] == ["www.example.com.", "a.example.org."]


def test_list_hosted_zones_by_name_pages_with_next_dns_name(aws):
    for name in ZONES_IN_ROUTE53_ORDER:
        aws.zone(name.rstrip("."))

    first = aws.r53.list_hosted_zones_by_name(MaxItems="2")
    second = aws.r53.list_hosted_zones_by_name(
        MaxItems="2", DNSName=first["NextDNSName"], HostedZoneId=first["NextHostedZoneId"])

    assert first["IsTruncated"] is True and first["NextDNSName"] == "www.example.com."
    assert [z["Name"] for z in first["HostedZones"] + second["HostedZones"]] == ZONES_IN_ROUTE53_ORDER
    assert second["IsTruncated"] is False


def test_wildcard_name_is_listed_with_octal_escape(aws):
    zone_id = aws.zone()
    aws.change(zone_id, [rrset("CREATE", "*.example.com", "CNAME", ["d111.cloudfront.net"])])

    names = [r["Name"] for r in aws.records(zone_id)]

    assert names == ["\\052.example.com."]


def test_alias_record_at_apex_is_accepted(aws):
    dist = aws.distribution("apex")
    zone_id = aws.zone()

    aws.change(zone_id, [alias_record("example.com", "A", dist["domain_name"]),
                         alias_record("example.com", "AAAA", dist["domain_name"])])

    record = aws.record(zone_id, "example.com.", "A")
    assert record["AliasTarget"]["HostedZoneId"] == "Z2FDTNDATAQYW2"
    assert record["AliasTarget"]["DNSName"].rstrip(".") == dist["domain_name"]


# --------------------------------------------------------------------------
# Route 53: change status


def test_change_is_pending_then_insync(aws):
    zone_id = aws.zone()

    info = aws.change(zone_id, [rrset("CREATE", "www.example.com", "CNAME", ["d111.cloudfront.net"])])["ChangeInfo"]

    assert info["Status"] == "PENDING"
    assert aws.r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "PENDING"
    deadline = time.monotonic() + DEPLOY_WAIT
    while aws.r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] != "INSYNC":
        assert time.monotonic() < deadline, "change never reached INSYNC"
        time.sleep(0.1)


def test_get_change_knows_the_change_of_create_hosted_zone(aws):
    # CreateHostedZone returns a ChangeInfo too; waiting on it with GetChange is common.
    change_id = aws.r53.create_hosted_zone(Name="example.com", CallerReference="zone")["ChangeInfo"]["Id"]

    assert aws.r53.get_change(Id=change_id)["ChangeInfo"]["Status"] in ("PENDING", "INSYNC")


def test_get_change_of_unknown_id_gives_no_such_change(aws):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        aws.r53.get_change(Id="C0000000000NOSUCHID")

    error = error_of(exc)
    assert (error["status"], error["code"]) == (404, "NoSuchChange")


# --------------------------------------------------------------------------
# The gateway: accounts and the request log


def test_unknown_access_key_is_refused_with_403_and_logged(aws, sandbox):
    mark = sandbox.log_mark()
    stranger = boto3.client(
        "cloudfront", endpoint_url=sandbox.endpoints["aws"]["endpoint_url"], region_name="us-east-1",
        aws_access_key_id="AKIAUNKNOWNKEY000000", aws_secret_access_key="x" * 40, config=NO_RETRY)

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        stranger.list_distributions()

    assert error_of(exc)["status"] == 403
    [entry] = sandbox.requests_since(mark)
    assert (entry["service"], entry["operation"], entry["status"]) == ("cloudfront", "ListDistributions", 403)
    assert entry["account"] not in (ACCOUNT_1, ACCOUNT_2)


def test_every_request_is_logged_once_with_operation_account_and_mutating(aws, sandbox, example_cert):
    source = aws.distribution("source", ["www.example.com"], example_cert)
    target = aws.distribution("target", cert=example_cert)
    zone_id = aws.zone()
    cf, cf2, r53 = aws.client("cloudfront"), aws.client("cloudfront", ACCOUNT_2), aws.client("route53")
    mark = sandbox.log_mark()
    started = time.time()

    cf.list_distributions()
    response = cf.get_distribution_config(Id=target["id"])
    config = dict(response["DistributionConfig"], Comment="logged")
    cf.update_distribution(Id=target["id"], IfMatch=response["ETag"], DistributionConfig=config)
    with pytest.raises(botocore.exceptions.ClientError):
        cf.update_distribution(Id=target["id"], IfMatch=response["ETag"], DistributionConfig=config)
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        rrset("CREATE", "_www.example.com", "TXT", ['"%s"' % target["domain_name"]])]})
    cf.list_conflicting_aliases(DistributionId=target["id"], Alias="www.example.com")
    cf.associate_alias(TargetDistributionId=target["id"], Alias="www.example.com")
    cf2.list_distributions()

    entries = sandbox.requests_since(mark)
    assert [(e["service"], e["operation"], e["account"], e["status"], e["mutating"]) for e in entries] == [
        ("cloudfront", "ListDistributions", ACCOUNT_1, 200, False),
        ("cloudfront", "GetDistributionConfig", ACCOUNT_1, 200, False),
        ("cloudfront", "UpdateDistribution", ACCOUNT_1, 200, True),
        ("cloudfront", "UpdateDistribution", ACCOUNT_1, 412, True),
        ("route53", "ChangeResourceRecordSets", ACCOUNT_1, 200, True),
        ("cloudfront", "ListConflictingAliases", ACCOUNT_1, 200, False),
        ("cloudfront", "AssociateAlias", ACCOUNT_1, 200, True),
        ("cloudfront", "ListDistributions", ACCOUNT_2, 200, False),
    ]
    for entry in entries:
        assert {"t", "service", "operation", "account", "status", "mutating"} <= set(entry)
        assert isinstance(entry["t"], (int, float)) and started - 1 <= entry["t"] <= time.time() + 1
        assert isinstance(entry["status"], int) and isinstance(entry["mutating"], bool)
    assert aws.aliases(source["id"]) == set()


# --------------------------------------------------------------------------
# Faults


@pytest.fixture
def faults(sandbox):
    """Switch faults on inside a test; they are always off again afterwards."""
    try:
        yield sandbox.faults
    finally:
        sandbox.faults(off=True)


def test_throttle_refuses_cloudfront_with_throttling_and_changes_nothing(aws, sandbox, faults):
    dist = aws.distribution("site")
    config, etag = aws.config(dist["id"])
    cf = aws.client("cloudfront", config=botocore.config.Config(retries={"max_attempts": 1}))
    mark = sandbox.log_mark()

    faults(throttle=1.0)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.update_distribution(Id=dist["id"], IfMatch=etag, DistributionConfig=dict(config, Comment="throttled"))
    entries = sandbox.requests_since(mark)
    faults(off=True)

    assert error_of(exc)["code"] == "Throttling"
    assert entries and all(e["fault"] is True and e["operation"] == "UpdateDistribution" for e in entries)
    assert aws.config(dist["id"]) == (config, etag)


def test_throttle_refuses_route53_change_with_prior_request_not_complete(aws, sandbox, faults):
    zone_id = aws.zone()
    r53 = aws.client("route53", config=botocore.config.Config(retries={"max_attempts": 1}))
    mark = sandbox.log_mark()

    faults(throttle=1.0)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            rrset("CREATE", "www.example.com", "CNAME", ["d111.cloudfront.net"])]})
    entries = sandbox.requests_since(mark)
    faults(off=True)

    assert error_of(exc)["code"] == "PriorRequestNotComplete"
    assert entries and all(e["fault"] is True for e in entries)
    assert aws.record(zone_id, "www.example.com.", "CNAME") is None


def test_server_errors_give_5xx(aws, faults):
    cf = aws.client("cloudfront")

    faults(server_errors=1.0)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cf.list_distributions()

    assert 500 <= error_of(exc)["status"] <= 599


def test_standard_retries_succeed_under_partial_throttling(aws, sandbox, faults):
    aws.distribution("site")
    cf = aws.client("cloudfront", config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 10}))
    mark = sandbox.log_mark()

    faults(throttle=0.3, seed=1)
    for unused in range(10):
        assert cf.list_distributions()["DistributionList"]["Quantity"] == 1
    entries = sandbox.requests_since(mark)

    assert any(e.get("fault") for e in entries), "seed 1 at 30% should throttle at least once"
    assert sum(1 for e in entries if e["status"] == 200) == 10


def test_same_seed_gives_same_fault_decisions(aws, sandbox, faults):
    cf = aws.client("cloudfront")

    def outcomes():
        results = []
        for unused in range(20):
            try:
                cf.list_distributions()
                results.append("ok")
            except botocore.exceptions.ClientError as exc:
                results.append(error_of(exc)["code"])
        return results

    faults(throttle=0.3, server_errors=0.2, seed=42)
    first = outcomes()
    faults(throttle=0.3, server_errors=0.2, seed=42)
    second = outcomes()

    assert first == second
    assert {"ok", "Throttling", "ServiceUnavailable"} <= set(first)
