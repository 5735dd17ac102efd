"""Step 3 with distribution tenants (CloudFront SaaS Manager), run by real ansible-playbook against the sandbox.

A tenant's Domains are its aliases: added and removed with UpdateDistributionTenant and If-Match, moved
with UpdateDomainAssociation wherever a tenant is the source or the target, and taken over with
OnDomainTakeover=allow from an enabled holder in another account. The final state is read back with boto3.
"""

import re

from sandbox.scenarios import certificate, create_distribution
from steps_helpers import (
    ACCOUNT_1,
    ACCOUNT_2,
    _ForwardingProxy,
    aliases_of,
    change_aliases,
    count,
    create_txt_challenge,
    route53_upsert,
)


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def tenant_domains(sandbox, tenant_id):
    tenant = sandbox.aws("cloudfront").get_distribution_tenant(Identifier=tenant_id)["DistributionTenant"]
    return [d["Domain"] for d in tenant["Domains"]]


def mutations(sandbox, mark):
    return [e["operation"] for e in sandbox.mutating_since(mark)]


def test_a_domain_moves_from_a_tenant_to_a_distribution_with_update_domain_association(sandbox):
    s = sandbox.scenario("tenant")
    target, tenant = s["target_distribution_id"], s["holder"]["distribution_tenant_id"]
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_domain_name"])
    mark = sandbox.log_mark()
    result = ok(change_aliases(sandbox, target, ["www.example.com"], state="moved"))

    assert aliases_of(sandbox, target) == ["www.example.com"]
    assert "www.example.com" not in tenant_domains(sandbox, tenant)
    [moved] = result["moved"]
    assert moved["from"]["resource_type"] == "distribution-tenant"
    assert moved["from"]["distribution_id"] == tenant and moved["from"]["in_account"] is True
    assert moved["operation"] == "UpdateDomainAssociation" and "AssociateAlias only supports" in moved["why"]
    # One step: nobody ever held the name less.
    assert mutations(sandbox, mark) == ["UpdateDomainAssociation"]

    mark = sandbox.log_mark()
    again = ok(change_aliases(sandbox, target, ["www.example.com"], state="moved"))
    assert again["changed"] is False and again["moved"] == [] and sandbox.mutating_since(mark) == []


def test_a_domain_moves_to_a_tenant_check_mode_first_then_for_real(sandbox):
    s = sandbox.scenario("tenant-target")
    tenant, holder = s["target_distribution_tenant_id"], s["holder"]["distribution_id"]
    # "Migrate to a multi-tenant distribution": the TXT record _<domain> names the tenant's routing endpoint.
    create_txt_challenge(sandbox, s["dns"]["zone_id"], "www.example.com", s["target_routing_endpoint"])
    mark = sandbox.log_mark()
    planned = ok(change_aliases(sandbox, None, ["www.example.com"], state="moved", check=True, diff=True,
                                distribution_tenant_id=tenant))

    assert sandbox.mutating_since(mark) == []
    assert planned["changed"] is True and planned["distribution_tenant_id"] == tenant
    assert planned["domain_name"] == s["target_routing_endpoint"]
    assert planned["aliases"] == ["placeholder.example.com", "www.example.com"]
    [move] = planned["moved"]
    assert move["from"]["distribution_id"] == holder and move["from"]["resource_type"] == "distribution"
    assert move["operation"] == "UpdateDomainAssociation"
    assert planned["diff"]["after"]["aliases"] == ["placeholder.example.com", "www.example.com"]

    result = ok(change_aliases(sandbox, None, ["www.example.com"], state="moved", distribution_tenant_id=tenant))
    assert tenant_domains(sandbox, tenant) == ["placeholder.example.com", "www.example.com"]
    assert aliases_of(sandbox, holder) == []
    assert result["changed"] is True
    assert mutations(sandbox, mark) == ["UpdateDomainAssociation"]

    mark = sandbox.log_mark()
    again = ok(change_aliases(sandbox, None, ["www.example.com"], state="moved", distribution_tenant_id=tenant))
    assert again["changed"] is False and sandbox.mutating_since(mark) == []


class TenantEditProxy(_ForwardingProxy):
    """Just before the module's first UpdateDistributionTenant goes through, someone else edits the tenant."""

    PATH = re.compile(r"^/2020-05-31/distribution-tenant/([^/?]+)$")

    def __init__(self, upstream_url, tenant_id, concurrent_edit):
        super(TenantEditProxy, self).__init__(upstream_url)
        self.tenant_id, self.concurrent_edit, self.edits = tenant_id, concurrent_edit, 0

    def before(self, command, path):
        match = self.PATH.match(path)
        if command == "PUT" and match and match.group(1) == self.tenant_id and self.edits == 0:
            self.concurrent_edit()
            self.edits += 1
        return None


def test_present_on_a_tenant_uses_if_match_and_keeps_a_concurrent_edit(sandbox):
    s = sandbox.scenario("tenant-target")
    tenant = s["target_distribution_tenant_id"]
    cloudfront = sandbox.aws("cloudfront")

    def someone_else_adds_a_domain():
        current = cloudfront.get_distribution_tenant(Identifier=tenant)
        domains = [{"Domain": d["Domain"]} for d in current["DistributionTenant"]["Domains"]]
        cloudfront.update_distribution_tenant(Id=tenant, IfMatch=current["ETag"],
                                              Domains=domains + [{"Domain": "other.example.com"}])

    mark = sandbox.log_mark()
    with TenantEditProxy(sandbox.endpoints["aws"]["endpoint_url"], tenant, someone_else_adds_a_domain) as proxy:
        result = ok(change_aliases(sandbox, None, ["shop.example.com"], distribution_tenant_id=tenant,
                                   endpoint_url=proxy.url))

    assert proxy.edits == 1 and result["precondition_retries"] == 1
    assert tenant_domains(sandbox, tenant) == ["placeholder.example.com", "other.example.com", "shop.example.com"]
    updates = [e["status"] for e in sandbox.requests_since(mark) if e["operation"] == "UpdateDistributionTenant"]
    assert updates == [200, 412, 200]  # the other edit, the module's stale If-Match, the module after a fresh read

    mark = sandbox.log_mark()
    assert ok(change_aliases(sandbox, None, ["shop.example.com"], distribution_tenant_id=tenant))["changed"] is False
    removed = ok(change_aliases(sandbox, None, ["other.example.com"], state="absent", distribution_tenant_id=tenant))
    assert removed["removed"] == ["other.example.com"]
    assert tenant_domains(sandbox, tenant) == ["placeholder.example.com", "shop.example.com"]
    assert mutations(sandbox, mark) == ["UpdateDistributionTenant"]


def test_a_tenant_is_never_left_without_a_domain_nor_given_a_sixth(sandbox):
    s = sandbox.scenario("tenant-target")
    tenant = s["target_distribution_tenant_id"]
    mark = sandbox.log_mark()
    last = change_aliases(sandbox, None, ["placeholder.example.com"], state="absent", distribution_tenant_id=tenant)
    six = change_aliases(sandbox, None, ["a%d.example.com" % n for n in range(5)], distribution_tenant_id=tenant)

    assert last["failed"] and "at least one" in last["msg"] and "placeholder" in last["msg"]
    assert six["failed"] and "at most 5" in six["msg"]
    assert sandbox.mutating_since(mark) == []
    assert tenant_domains(sandbox, tenant) == ["placeholder.example.com"]


def test_an_enabled_holder_in_another_account_is_taken_over_once_dns_names_the_tenant(sandbox):
    s = sandbox.scenario("tenant-target")
    tenant = s["target_distribution_tenant_id"]
    other_cf = sandbox.aws("cloudfront", ACCOUNT_2)
    other = create_distribution(other_cf, "vendor-shop", aliases=["shop.example.com"],
                                cert_arn=certificate(sandbox.aws("acm", ACCOUNT_2), "shop.example.com"))
    mark = sandbox.log_mark()
    planned = ok(change_aliases(sandbox, None, ["shop.example.com"], state="moved", check=True,
                                distribution_tenant_id=tenant))
    [move] = planned["moved"]
    assert move["operation"] == "OnDomainTakeover" and move["from"]["in_account"] is False
    assert s["target_routing_endpoint"] in move["why"]

    # DNS does not name the tenant yet: CloudFront keeps the name where it is, and the message says what to do.
    refused = change_aliases(sandbox, None, ["shop.example.com"], state="moved", distribution_tenant_id=tenant)
    assert refused["failed"] and "Repoint the record to %s first" % s["target_routing_endpoint"] in refused["msg"]
    assert aliases_of(sandbox, other["id"], account=ACCOUNT_2) == ["shop.example.com"]

    route53_upsert(sandbox, s["dns"]["zone_id"], "shop.example.com", "CNAME", [s["target_routing_endpoint"]])
    result = ok(change_aliases(sandbox, None, ["shop.example.com"], state="moved", distribution_tenant_id=tenant))
    assert result["changed"] is True
    assert "shop.example.com" in tenant_domains(sandbox, tenant)
    assert aliases_of(sandbox, other["id"], account=ACCOUNT_2) == []
    takeovers = [e for e in sandbox.mutating_since(mark)
                 if e["status"] == 200 and e["operation"] != "ChangeResourceRecordSets"]
    assert [(e["operation"], e["account"]) for e in takeovers] == [("UpdateDistributionTenant", ACCOUNT_1)]
    assert count(sandbox.requests_since(mark), "UpdateDomainAssociation") == 0
