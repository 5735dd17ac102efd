#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudfront_alias_inventory_info
short_description: Inventory one AWS account for the alias audit - distributions, certificates, Route 53 records
version_added: 0.1.0
description:
  - Reads, with list calls only and each paginated once, every CloudFront distribution of the account (with its
    aliases, status and certificate), every distribution tenant (its domains and their status) and connection group
    (its routing endpoint) of CloudFront SaaS Manager (C(ListDistributionTenants), C(ListConnectionGroups); skipped
    with a warning where botocore or the endpoint does not offer them), the names on its ACM certificates in us-east-1, and the records of its
    public Route 53 hosted zones that matter to an alias audit (CNAME, A, AAAA and alias records, and C(_) TXT
    records).
  - The playbook C(aliasguard.cloudfront.audit) runs it once per account (one inventory host per
    account or profile, so forks run accounts in parallel); M(aliasguard.cloudfront.alias_audit_report)
    cross-references the results.
  - Reports the requests it sent next to the fewest a client could have sent for the same inventory.
  - With O(inventory_file), the inventory goes to that file and RV(inventory) holds only who, how much, what it cost
    and the file's path. Ansible keeps every result in the controller's memory and copies it into each process that
    templates it, so a large fleet is held once, in the file, rather than several times over.
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.aws
  - aliasguard.cloudfront.results
options:
  route53_zones:
    description:
      - The hosted zones to read, by name. When not given, every public hosted zone of the account.
      - An empty list reads no zone.
    type: list
    elements: str
  certificates:
    description:
      - Also list the account's ACM certificates (us-east-1), so that the audit knows which distribution can ask
        C(ListConflictingAliases) about which name.
    type: bool
    default: true
  label:
    description:
      - A name for this account in the report, for example the inventory host.
    type: str
  inventory_file:
    description:
      - Write the inventory, as JSON, to this file on the host that runs the module (created with mode 0600, its
        directory with mode 0700 if missing; a temporary file renamed over the old one), and return its short form in
        RV(inventory).
      - M(aliasguard.cloudfront.alias_audit_report) and the filter
        P(aliasguard.cloudfront.audit_conflict_checks_by_account#filter) read the file when given the short form, on
        the host where they run - the same host, since the audit runs its account hosts with the local connection.
      - The file is written in check mode too - it is where this module hands over what it read, and the module changes
        nothing it reads. Nobody removes it but the caller (the audit playbook removes its own after the report).
    type: path
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same way in check mode (O(inventory_file) is written in check mode too).
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
seealso:
  - module: aliasguard.cloudfront.alias_audit_report
  - module: aliasguard.cloudfront.dns_zone_inventory_info
"""

EXAMPLES = r"""
- name: Inventory the account of the current credentials
  aliasguard.cloudfront.cloudfront_alias_inventory_info:
    label: production
  register: inventory

- name: Only two hosted zones
  aliasguard.cloudfront.cloudfront_alias_inventory_info:
    route53_zones: [example.com, example.org]

- name: A large account - the inventory in a file, its short form in the result
  aliasguard.cloudfront.cloudfront_alias_inventory_info:
    label: production
    inventory_file: /var/tmp/audit/inventory/production.json
  register: inventory

- name: The report reads the file
  aliasguard.cloudfront.alias_audit_report:
    inventories: ["{{ inventory.inventory }}"]
    report_dir: /var/tmp/audit
  check_mode: false
"""

RETURN = r"""
inventory:
  description:
    - What was read. With O(inventory_file), only C(account_id), C(label), C(file), C(counts) and the C(requests*)
      keys; the rest is in the file.
  returned: always
  type: dict
  contains:
    account_id:
      description: The account.
      type: str
      sample: "111111111111"
      returned: always
    label:
      description: O(label), or the account id.
      type: str
      sample: production
      returned: always
    distributions:
      description: Every distribution - id, arn, domain_name, enabled, status, aliases, comment, certificate_arn, ipv6.
      type: list
      elements: dict
      sample:
        - id: E2QWRUHEXAMPLE
          arn: arn:aws:cloudfront::111111111111:distribution/E2QWRUHEXAMPLE
          domain_name: d111111abcdef8.cloudfront.net
          enabled: true
          status: Deployed
          aliases:
          - www.example.com
          comment: new site
          certificate_arn: arn:aws:acm:us-east-1:111111111111:certificate/f81d4fae-7dec-11d0-a765-00a0c91e6bf6
          ipv6: true
      returned: when O(inventory_file) is not given
    tenants:
      description:
        - Every distribution tenant - id, name, distribution_id (its multi-tenant distribution), connection_group_id,
          routing_endpoint (= domain_name, where its DNS must lead), enabled, status, domains and domain_status
          (V(active) or V(inactive) per domain).
      type: list
      elements: dict
      sample:
        - id: dt_2wjDZi3hD1ivOXf6rpZJOSNE1AB
          name: customer-a
          distribution_id: E1MTDEXAMPLE01
          connection_group_id: cg_2wjDWTBKTlRB87cAaUQFaakFaAb
          routing_endpoint: d2x0gz5mabcde.cloudfront.net
          domain_name: d2x0gz5mabcde.cloudfront.net
          enabled: true
          status: Deployed
          domains:
          - shop.example.com
          domain_status:
            shop.example.com: active
      returned: when O(inventory_file) is not given
    connection_groups:
      description: Every connection group - id, name, routing_endpoint, is_default, enabled, status.
      type: list
      elements: dict
      sample:
        - id: cg_2wjDWTBKTlRB87cAaUQFaakFaAb
          name: default
          routing_endpoint: d2x0gz5mabcde.cloudfront.net
          is_default: true
          enabled: true
          status: Deployed
      returned: when O(inventory_file) is not given
    certificates:
      description: ACM certificates in us-east-1 - arn and names.
      type: list
      elements: dict
      sample:
        - arn: arn:aws:acm:us-east-1:111111111111:certificate/f81d4fae-7dec-11d0-a765-00a0c91e6bf6
          names:
          - example.com
          - '*.example.com'
      returned: when O(inventory_file) is not given
    route53:
      description: Per hosted zone - zone, id, record_sets (how many there are) and the audited records.
      type: list
      elements: dict
      sample:
        - zone: example.com
          id: Z1D633PJN98FT9
          record_sets: 12
          records:
          - provider: route53
            zone: example.com
            name: www.example.com
            type: CNAME
            values:
            - d111111abcdef8.cloudfront.net
      returned: when O(inventory_file) is not given
    file:
      description: O(inventory_file), where the whole inventory is.
      type: str
      sample: /var/tmp/audit/inventory/production.json
      returned: when O(inventory_file) is given
    counts:
      description:
        - How much the file holds - distributions, aliases, tenants, connection_groups, certificates, zones (Route 53
          hosted zones) and records (their audited records).
      type: dict
      sample: {distributions: 1000, aliases: 5000, tenants: 0, connection_groups: 0, certificates: 10, zones: 1,
               records: 5000}
      returned: when O(inventory_file) is given
    requests_by_operation:
      description: Requests sent, by operation (to compare with RV(inventory.requests_lower_bound)).
      type: dict
      sample:
        ListDistributions: 1
        ListDistributionTenants: 1
        ListConnectionGroups: 1
        ListCertificates: 1
        ListHostedZones: 1
        ListResourceRecordSets: 1
      returned: always
    requests:
      description:
        - The same as RV(inventory.requests_by_operation). Deprecated, will be removed in release 1.0.0 - use
          RV(inventory.requests_by_operation), or RV(requests) for the counts by service every module reports.
      type: dict
      sample:
        ListDistributions: 1
        ListDistributionTenants: 1
        ListConnectionGroups: 1
        ListCertificates: 1
        ListHostedZones: 1
        ListResourceRecordSets: 1
      returned: always
    requests_total:
      description: Requests sent (the sum of RV(requests)).
      type: int
      sample: 6
      returned: always
    requests_lower_bound:
      description: The fewest requests this inventory needs, by operation (its pages at the largest page size).
      type: dict
      sample:
        ListDistributions: 1
        ListDistributionTenants: 1
        ListConnectionGroups: 1
        ListCertificates: 1
        ListHostedZones: 1
        ListResourceRecordSets: 1
      returned: always
    requests_lower_bound_total:
      description: Their sum.
      type: int
      sample: 6
      returned: always
requests:
  description:
    - All AWS requests of this run by service (retries included), as every module of the collection reports them;
      RV(inventory.requests_by_operation) has them by operation.
  returned: always
  type: dict
  sample: {acm: 1, cloudfront: 2, route53: 2}
resource_actions:
  description: C(service:Operation) of every AWS call sent, sorted (the IAM actions this run needed).
  returned: always
  type: list
  elements: str
  sample: [acm:ListCertificates, cloudfront:ListDistributions, route53:ListHostedZones]
"""

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, call
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.route53 import list_route53
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._inventory import (
    Cost,
    InventoryFileError,
    inventory_summary,
    list_certificates,
    list_distributions,
    list_tenants,
    write_inventory_file,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, to_ascii


def main():
    module = AliasguardModule(dict(
        route53_zones=dict(type="list", elements="str"),
        certificates=dict(type="bool", default=True),
        label=dict(type="str"),
        inventory_file=dict(type="path"),
    ))
    params = module.params
    wanted = None
    if params["route53_zones"] is not None:
        try:
            wanted = set(to_ascii(z, what="zone", strict=True) for z in params["route53_zones"])
        except InvalidName as exc:
            module.fail_json(msg="route53_zones: %s" % exc)

    cost = Cost()
    try:
        connection = module.aws()
        distributions = list_distributions(connection.client("cloudfront"), cost)
        tenants, connection_groups, tenants_note = list_tenants(connection.client("cloudfront"), cost)
        account_id = next((d["account_id"] for d in distributions if d.get("account_id")), None)
        if account_id is None:
            # No distribution to read it from: ask STS once.
            account_id = call("GetCallerIdentity", connection.client("sts").get_caller_identity)["Account"]
        certificates = list_certificates(connection.client("acm", region="us-east-1"), cost) \
            if params["certificates"] else []
        route53 = list_route53(connection.client("route53"), cost, account_id, wanted) if wanted != set() else []
    except AwsError as exc:
        module.fail_from(exc)
    if wanted:
        missing = sorted(wanted - set(z["zone"] for z in route53))
        if missing:
            module.fail_json(msg="route53_zones: no public hosted zone named %s in account %s"
                                 % (", ".join(missing), account_id))
    inventory = dict(
        account_id=account_id,
        label=params["label"] or account_id,
        distributions=distributions,
        tenants=tenants,
        connection_groups=connection_groups,
        certificates=certificates,
        route53=route53,
        requests_by_operation=dict(connection.requests.by_operation),
        requests=dict(connection.requests.by_operation),  # deprecated (changelog): requests_by_operation
        requests_total=connection.requests.total,
        requests_lower_bound=cost.lower_bound,
        requests_lower_bound_total=cost.lower_bound_total,
    )
    if tenants_note:
        module.warn(tenants_note)
    if params["inventory_file"]:
        try:
            write_inventory_file(params["inventory_file"], inventory)
        except InventoryFileError as exc:
            module.fail_json(msg=str(exc))
        inventory = inventory_summary(inventory, params["inventory_file"])
    module.exit_json(changed=False, inventory=inventory)


if __name__ == "__main__":
    main()
