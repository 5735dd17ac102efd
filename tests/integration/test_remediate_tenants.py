"""The remediation playbook with distribution tenants (CloudFront SaaS Manager) against the sandbox.

Both tenant scenarios end to end (a tenant holds the name; a tenant is the target), a mixed ``-e @many.yml``
run with a tenant target and a standard target, and a takeover from an enabled holder in another account.
Each run is checked with boto3 and dnspython, check mode by the request log, and a second run changes nothing.
"""

import json

from sandbox.scenarios import certificate, cname, create_distribution, route53_change
from test_remediate import (
    ACCOUNT_1,
    ACCOUNT_2,
    ROLE,
    Situation,
    aliases_of,
    ask,
    assert_nothing_changed,
    assert_ok,
    assert_txt_gone,
    failure_of,
    mutating,
    operations,
    step,
    summary_of,
)


def tenant_domains(sandbox, tenant_id, account=ACCOUNT_1):
    tenant = sandbox.aws("cloudfront", account).get_distribution_tenant(Identifier=tenant_id)["DistributionTenant"]
    return sorted(d["Domain"] for d in tenant["Domains"])


def tenant_situation(sandbox):
    """The tenant-target scenario, as a Situation whose target is the tenant (its DNS name: the routing endpoint)."""
    info = sandbox.scenario("tenant-target")
    return Situation(sandbox, info["alias"], info["target_distribution_tenant_id"], info["target_routing_endpoint"],
                     "route53", info["dns"]["zone"], info)


def tenant_vars(situation, **more):
    extra = situation.extra_vars(**more)
    extra.pop("target_distribution_id")
    extra["target_distribution_tenant_id"] = situation.target_id
    return extra


def test_a_name_held_by_a_tenant_moves_to_a_standard_distribution_end_to_end(sandbox):
    situation = Situation.build(sandbox, "tenant")
    tenant = situation.info["holder"]["distribution_tenant_id"]

    planned, requests = situation.run(check=True)
    assert_ok(planned)
    assert mutating(requests) == []
    summary = summary_of(planned)
    assert "held by distribution tenant %s" % tenant in summary
    assert "UpdateDomainAssociation" in summary and "AssociateAlias" not in summary.split("plan:")[1]

    run, requests = situation.run()
    assert_ok(run)
    assert operations(requests) == [("route53", "ChangeResourceRecordSets"),   # TXT _www = the target's name
                                    ("cloudfront", "UpdateDomainAssociation"),
                                    ("route53", "ChangeResourceRecordSets"),   # DNS from the routing endpoint
                                    ("route53", "ChangeResourceRecordSets")]   # the TXT record removed
    assert aliases_of(sandbox, situation.target_id) == [situation.alias]
    assert situation.alias not in tenant_domains(sandbox, tenant)
    assert ask(situation.nameserver, situation.alias, "CNAME") == [situation.target_domain]
    assert_txt_gone(sandbox, situation)
    assert "VERIFIED" in summary_of(run)

    again, requests = situation.run()
    assert_ok(again)
    assert_nothing_changed(again, requests)


def test_a_tenant_target_takes_the_name_from_a_standard_distribution_end_to_end(sandbox):
    situation = tenant_situation(sandbox)
    holder = situation.info["holder"]["distribution_id"]

    planned, requests = situation.run(tenant_vars(situation), check=True)
    assert_ok(planned)
    assert mutating(requests) == []
    summary = summary_of(planned)
    assert "%s -> distribution tenant %s (%s)" % (situation.alias, situation.target_id, situation.target_domain) \
        in summary
    assert "create TXT _www.example.com = %s" % situation.target_domain in summary

    run, requests = situation.run(tenant_vars(situation))
    assert_ok(run)
    assert operations(requests) == [("route53", "ChangeResourceRecordSets"),
                                    ("cloudfront", "UpdateDomainAssociation"),
                                    ("route53", "ChangeResourceRecordSets"),
                                    ("route53", "ChangeResourceRecordSets")]
    assert tenant_domains(sandbox, situation.target_id) == ["placeholder.example.com", situation.alias]
    assert aliases_of(sandbox, holder) == []
    # Step 2 pointed DNS at the tenant's routing endpoint; step 4 proved it.
    assert ask(situation.nameserver, situation.alias, "CNAME") == [situation.target_domain]
    proof = step(run, "Step 4: prove with DNS that each alias reaches its target")["results"][0]
    assert proof["verified"] is True and proof["target_domain_name"] == situation.target_domain
    assert_txt_gone(sandbox, situation)

    again, requests = situation.run(tenant_vars(situation))
    assert_ok(again)
    assert_nothing_changed(again, requests)


def test_a_mixed_many_yml_run_with_a_tenant_target_and_a_standard_target(sandbox, tmp_path):
    situation = tenant_situation(sandbox)
    info = situation.info
    cf, route53 = sandbox.aws("cloudfront"), sandbox.aws("route53")
    cert = certificate(sandbox.aws("acm"), "example.com", ["*.example.com"])
    shop_old = create_distribution(cf, "mixed-shop-old", aliases=["shop.example.com"], cert_arn=cert)
    shop_new = create_distribution(cf, "mixed-shop-new", cert_arn=cert)
    route53_change(route53, info["dns"]["zone_id"], [cname("shop.example.com", shop_old["domain_name"])])
    many = tmp_path / "many.yml"
    many.write_text(json.dumps({
        "aliases": [
            {"alias": "www.example.com", "target_distribution_tenant_id": info["target_distribution_tenant_id"],
             "dns_provider": "route53", "dns_zone": "example.com"},
            {"alias": "shop.example.com", "target_distribution_id": shop_new["id"], "dns_provider": "route53",
             "dns_zone": "example.com"}],
        "verify_nameservers": [sandbox.dns_server], "verify_timeout": 20}))

    run, requests = situation.run(extra_vars={}, args=("-e", "@%s" % many))
    assert_ok(run)
    moves = step(run, "Step 3: move aliases in one step (AssociateAlias)")["results"]
    assert sorted((m["item"]["resource_type"], m["item"]["distribution_id"], m["moved"][0]["operation"])
                  for m in moves) == sorted([("distribution-tenant", info["target_distribution_tenant_id"],
                                              "UpdateDomainAssociation"),
                                             ("distribution", shop_new["id"], "AssociateAlias")])
    domains = tenant_domains(sandbox, info["target_distribution_tenant_id"])
    assert domains == ["placeholder.example.com", "www.example.com"]
    assert aliases_of(sandbox, shop_new["id"]) == ["shop.example.com"]
    assert aliases_of(sandbox, shop_old["id"]) == [] and aliases_of(sandbox, info["holder"]["distribution_id"]) == []
    assert ask(situation.nameserver, "www.example.com", "CNAME") == [info["target_routing_endpoint"]]
    assert ask(situation.nameserver, "shop.example.com", "CNAME") == [shop_new["domain_name"]]
    assert summary_of(run).count("VERIFIED") == 2

    again, requests = situation.run(extra_vars={}, args=("-e", "@%s" % many))
    assert_ok(again)
    assert_nothing_changed(again, requests)


def test_a_tenant_target_takes_over_a_name_held_in_another_account_after_dns_names_it(sandbox):
    situation = tenant_situation(sandbox)
    other = create_distribution(sandbox.aws("cloudfront", ACCOUNT_2), "vendor-shop", aliases=["shop.example.com"],
                                cert_arn=certificate(sandbox.aws("acm", ACCOUNT_2), "shop.example.com"))
    route53_change(sandbox.aws("route53"), situation.info["dns"]["zone_id"],
                   [cname("shop.example.com", other["domain_name"])])
    shop = Situation(sandbox, "shop.example.com", situation.target_id, situation.target_domain, "route53",
                     "example.com", situation.info)

    planned, requests = shop.run(tenant_vars(shop), check=True)
    assert_ok(planned)
    assert mutating(requests) == []
    summary = summary_of(planned)
    assert "OnDomainTakeover=allow" in summary and "(another account)" in summary

    run, requests = shop.run(tenant_vars(shop))
    assert_ok(run)
    # DNS first (the holder keeps serving the name), then the takeover: no moment where nobody holds it.
    assert operations(requests) == [("route53", "ChangeResourceRecordSets"),
                                    ("cloudfront", "UpdateDistributionTenant")]
    assert "shop.example.com" in tenant_domains(sandbox, situation.target_id)
    assert aliases_of(sandbox, other["id"], account=ACCOUNT_2) == []
    assert ask(shop.nameserver, "shop.example.com", "CNAME") == [situation.target_domain]
    assert "VERIFIED" in summary_of(run), failure_of(run)
    assert run.task(ROLE + "Step 3: take the alias off in-account holders and add it to the target (dns_first)")

    again, requests = shop.run(tenant_vars(shop))
    assert_ok(again)
    assert_nothing_changed(again, requests)
