#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudfront_alias_preflight_info
short_description: Before a Terraform or CloudFormation deployment, find the aliases CloudFront would refuse
version_added: 0.1.0
description:
  - Reads what a deployment is about to do - a Terraform plan, a CloudFormation template or CDK cloud assembly,
    or a plain list of names - and checks every alternate domain name (alias) it adds to a CloudFront
    distribution or distribution tenant, before the apply, so that C(CNAMEAlreadyExists) (HTTP 409) never
    happens half way through a deployment.
  - "Terraform: the JSON form of a saved plan (C(terraform show -json PLANFILE)). It reads the
    C(resource_changes) of C(aws_cloudfront_distribution) (C(aliases)) and C(aws_cloudfront_distribution_tenant)
    (C(domain) blocks) that create, update or replace the resource: for an update only the aliases that
    C(change.after) has and C(change.before) has not, against the distribution C(change.before.id). A value
    known only after apply (C(change.after_unknown)) is reported as V(unknown), never guessed. A replacement
    that creates before it destroys (C(create_before_destroy)) is C(held) by the old distribution."
  - "CloudFormation and CDK: a template in JSON or YAML (the short forms C(!Ref), C(!Sub), C(!GetAtt)... are
    read), or a directory such as C(cdk.out), whose C(*.template.json) are all read (stack names from its
    C(manifest.json)). It reads C(AWS::CloudFront::Distribution) C(DistributionConfig.Aliases) and
    C(AWS::CloudFront::DistributionTenant) C(Domains). Values known before the deployment are resolved:
    literals, C(Ref) to a parameter (from O(parameters), else the parameter's C(Default), and the check says so;
    never an C(AWS::SSM::Parameter::Value) parameter), C(Fn::Sub), C(Fn::Join), C(Fn::Select), C(Fn::Split) and
    C(Fn::FindInMap) over those. Anything else (C(Fn::GetAtt), C(Fn::ImportValue), C(Fn::If), a C(Ref) to a
    resource or a pseudo parameter) is V(unknown)."
  - For each alias the outcome is V(ok), V(held) (another distribution or tenant holds it, in this account or
    another, its ids partly hidden by AWS or not), V(dns_points_elsewhere) (the alias's DNS is a CNAME straight to
    another distribution, the second form of the 409), V(certificate_does_not_cover) (the certificate the resource
    will have does not cover the name), or V(unknown) with the reason. Each comes with its fix, the exact
    C(ansible-playbook aliasguard.cloudfront.remediate) command, or the manual step when another account must act.
  - Who holds a name is asked with C(ListDomainConflicts), which also sees distribution tenants, and with
    C(ListConflictingAliases) where CloudFront or the credentials do not offer it. Both must be asked through a
    distribution (or tenant) of this account whose certificate covers the name; for a distribution the
    deployment will create, one of the account's distributions whose ACM certificate covers the name is used
    (ACM certificates of every key type, ECDSA included), and the check says so when there is none.
  - Read-only, in or out of check mode. It writes nothing either; the C(aliasguard.cloudfront.preflight) playbook
    writes RV(report) and RV(junit_xml) to files.
author:
  - aliasguard maintainers (@aliasguard)
extends_documentation_fragment:
  - aliasguard.cloudfront.aws
  - aliasguard.cloudfront.dns_lookup
  - aliasguard.cloudfront.results
options:
  terraform_plan:
    description:
      - Path of the output of C(terraform show -json PLANFILE) (not the binary plan file itself).
      - Exactly one of O(terraform_plan), O(cloudformation_template) and O(aliases) is required.
    type: path
  cloudformation_template:
    description:
      - Path of a CloudFormation template (JSON or YAML), or of a directory whose C(*.template.json) files are read
        (CDK's C(cdk.out), nested assemblies of CDK stages included).
    type: path
  aliases:
    description:
      - Names to check, for everything that is neither a Terraform plan nor a template. An item is a name, or a
        mapping with C(alias) and any of C(distribution_id), C(dns_provider) and C(dns_zone).
    type: list
    elements: raw
  distribution_id:
    description:
      - With O(aliases), the distribution that will receive the names, when it exists already. Without it the
        names are checked as for a new distribution.
    type: str
  parameters:
    description:
      - With O(cloudformation_template), parameter values (as given to the deployment) for C(Ref) and C(Fn::Sub).
    type: dict
    default: {}
  distribution_ids:
    description:
      - With O(cloudformation_template), the id that a template's distribution already has in a deployed stack,
        by logical id (C(Site)) or C(Stack/LogicalId). Such a resource is checked as an update (the aliases it holds
        already are fine); the others as distributions the deployment creates.
      - "For example: C(aws cloudformation describe-stack-resources --stack-name STACK
        --query \"StackResources[?ResourceType=='AWS::CloudFront::Distribution']\")."
    type: dict
    default: {}
  fail_on:
    description:
      - Which outcomes count as failures in RV(failing) and in RV(junit_xml).
      - V(held) every alias CloudFront is certain to refuse (V(held), V(dns_points_elsewhere),
        V(certificate_does_not_cover)); V(any) those and V(unknown); V(never) none.
      - The module itself never fails because of an outcome; the playbook does.
    type: str
    choices: [held, any, never]
    default: held
  dns_lookup:
    description:
      - Read each alias's DNS record from its zone's authoritative nameservers (for V(dns_points_elsewhere)).
    type: bool
    default: true
  dns_provider:
    description:
      - The DNS provider to name in the fix commands when the alias's zone is not a Route 53 hosted zone of this
        account (a Route 53 zone is found by itself).
      - One of the providers M(aliasguard.cloudfront.dns_cname_repoint) takes in O(aliasguard.cloudfront.dns_cname_repoint#module:provider)
        (for example V(cloudflare) or V(rfc2136)); another name is refused, listing them.
    type: str
  dns_zone:
    description:
      - The DNS zone to name in the fix commands, when DNS does not tell it.
    type: str
attributes:
  check_mode:
    support: full
    description: The module never changes anything; it runs the same way in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
notes:
  - The credentials need C(cloudfront:ListDistributions), C(cloudfront:ListDomainConflicts) (or
    C(cloudfront:ListConflictingAliases)), C(acm:ListCertificates), C(acm:DescribeCertificate) and
    C(route53:ListHostedZones); all are read-only.
  - CloudFormation has no way to tell from a template alone whether a stack exists; give O(distribution_ids) for
    distributions of deployed stacks, or their own aliases are reported as V(held) by themselves.
seealso:
  - module: aliasguard.cloudfront.cloudfront_alias_conflict_info
  - name: JSON Output Format (Terraform)
    description: The plan representation this module reads.
    link: https://developer.hashicorp.com/terraform/internals/json-format
  - name: ListDomainConflicts
    description: AWS API reference.
    link: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListDomainConflicts.html
"""

EXAMPLES = r"""
- name: Check a Terraform plan (terraform plan -out=tfplan && terraform show -json tfplan > plan.json)
  aliasguard.cloudfront.cloudfront_alias_preflight_info:
    terraform_plan: plan.json
  register: preflight

- name: Stop before the apply when CloudFront would refuse an alias
  ansible.builtin.fail:
    msg: "{{ preflight.summary }}"
  when: preflight.failing > 0

- name: Check a CDK app (after cdk synth), its Site distribution being deployed already
  aliasguard.cloudfront.cloudfront_alias_preflight_info:
    cloudformation_template: cdk.out
    distribution_ids:
      WebStack/Site: E2ABCDEF012345
    fail_on: any

- name: Check a few names for an existing distribution whose zone is at Cloudflare
  aliasguard.cloudfront.cloudfront_alias_preflight_info:
    aliases: [www.example.com, shop.example.com]
    distribution_id: E2ABCDEF012345
    dns_provider: cloudflare
"""

RETURN = r"""
checks:
  description: One entry per alias and resource, in the order of the plan or template.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias, normalised (lowercase, punycode, no trailing dot), or as written when it is not a name.
      type: str
      returned: always
      sample: www.example.com
    resource:
      description: The Terraform address (C(module.site.aws_cloudfront_distribution.this)), C(Template/LogicalId),
        or V(aliases).
      type: str
      sample: module.site.aws_cloudfront_distribution.this
      returned: always
    resource_type:
      description: V(distribution) or V(distribution-tenant).
      type: str
      sample: distribution
      returned: always
    action:
      description: V(create), V(update) or V(replace).
      type: str
      sample: update
      returned: always
    distribution_id:
      description: The id of the distribution (or tenant) an update adds the alias to.
      type: str
      sample: E2QWRUHEXAMPLE
      returned: for updates
    replaces:
      description: For a replacement, the id of the distribution it replaces; C(replace_order) says whether Terraform
        deletes it first (V(delete_first)) or creates the new one first (V(create_first)).
      type: str
      sample: E1OLDEXAMPLE00
      returned: for replacements
    outcome:
      description: V(ok), V(held), V(dns_points_elsewhere), V(certificate_does_not_cover) or V(unknown).
      type: str
      sample: held
      returned: always
    reason:
      description: What was found, in plain words.
      type: str
      sample: www.example.com is held by E1OLDEXAMPLE00 in this account
      returned: always
    fix:
      description: What clears it - the remediation playbook's command line, or the manual step.
      type: str
      returned: always
      sample: >-
        ansible-playbook aliasguard.cloudfront.remediate -e alias=www.example.com -e target_distribution_id=E2ABCDEF012345
        -e dns_provider=route53 -e dns_zone=example.com
    holder:
      description: For V(held), the distribution or tenant holding the alias, as
        M(aliasguard.cloudfront.cloudfront_alias_conflict_info) reports holders, plus C(resource_type).
      type: dict
      sample:
        alias: www.example.com
        distribution_id: E1OLDEXAMPLE00
        account_id: '111111111111'
        masked: false
        in_account: true
        resource_type: distribution
      returned: when held
    dns:
      description: What the alias's DNS says, as M(aliasguard.cloudfront.cloudfront_alias_conflict_info) reports it.
      type: dict
      sample:
        name: www.example.com
        zone: example.com
        type: CNAME
        values:
        - d2222222abcdef.cloudfront.net
      returned: when DNS was read
    certificate:
      description: The certificate the resource will present - C(kind) V(acm) (with C(arn)), V(cloudfront_default),
        V(iam), V(inherited), V(current) (the distribution's own) or V(unknown) - and why.
      type: dict
      sample:
        kind: acm
        arn: arn:aws:acm:us-east-1:111111111111:certificate/f81d4fae-7dec-11d0-a765-00a0c91e6bf6
        covers: true
        detail: '*.example.com covers www.example.com'
      returned: always
    asked:
      description: Through which distribution or tenant (C(through)) and with which operation (C(api)) CloudFront was
        asked; C(through) is null when no distribution of the account could ask.
      type: dict
      sample: {"through": "E2QWRUHEXAMPLE", "api": "ListDomainConflicts"}
      returned: when an alias was looked up
    notes:
      description: Everything else worth knowing (overlapping wildcards, parameter defaults used, warnings).
      type: list
      elements: str
      sample: ["*.example.com, also in the plan, overlaps www.example.com"]
      returned: when there is something to say
summary:
  description: One line per alias, for a person.
  returned: always
  type: list
  elements: str
  sample:
    - 'www.example.com (module.site.aws_cloudfront_distribution.this): held - www.example.com is held by E1OLDEXAMPLE00
      in this account'
failing:
  description: How many checks fail under O(fail_on).
  returned: always
  type: int
  sample: 1
failing_aliases:
  description: The aliases of those checks, with their resource (C(alias (resource))).
  returned: always
  type: list
  elements: str
  sample: ["www.example.com (module.site.aws_cloudfront_distribution.this)"]
report:
  description:
    - The document the playbook writes as C(preflight.json), schema C(aliasguard.cloudfront/preflight/1).
    - Its keys are C(schema), C(source), C(account_id), C(fail_on), C(warnings), C(summary) (C(checks),
      C(by_outcome), C(failing)) and C(checks) (the entries of RV(checks)). Keys are only ever added.
  returned: always
  type: dict
  sample:
    schema: aliasguard.cloudfront/preflight/1
    source: terraform plan plan.json
    account_id: '111111111111'
    fail_on: held
    warnings: []
    summary:
      checks: 1
      by_outcome:
        held: 1
      failing: 1
    checks: []
junit_xml:
  description: The same checks as JUnit XML (one testcase per alias, a failure per failing outcome), for CI systems.
  returned: always
  type: str
  sample: >-
    <?xml version="1.0" encoding="utf-8"?><testsuite name="aliasguard.cloudfront preflight" tests="1" failures="1">
    <testcase classname="module.site.aws_cloudfront_distribution.this" name="www.example.com"><failure
    message="held"/> </testcase></testsuite>
account_id:
  description: The AWS account of the credentials.
  returned: always
  type: str
  sample: "111111111111"
requests:
  description:
    - AWS API requests this run sent, by service (retries included), as every module of the collection reports
      them; all of them read-only.
    - Until this release it held the counts by operation, which are now in RV(requests_by_operation).
  returned: always
  type: dict
  sample: {acm: 1, cloudfront: 3, route53: 1}
requests_by_operation:
  description: The same requests by API operation.
  returned: always
  type: dict
  sample: {ListDistributions: 1, ListCertificates: 1, ListHostedZones: 1, ListDomainConflicts: 2}
resource_actions:
  description: C(service:Operation) of every AWS call sent, sorted (the IAM actions this run needed).
  returned: always
  type: list
  elements: str
  sample: [acm:ListCertificates, cloudfront:ListConflictingAliases, cloudfront:ListDistributions]
"""

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    InvalidDistributionId,
    require_distribution_id,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import provider_class
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns.base import DnsError
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._module import AliasguardModule
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import InvalidName, to_ascii
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._preflight import (
    PreflightInputError,
    check_planned,
    failing,
    junit_xml,
    load_account,
    planned_from,
    preflight_report,
    summary_lines,
)


def main():
    module = AliasguardModule(
        dict(
            terraform_plan=dict(type="path"),
            cloudformation_template=dict(type="path"),
            aliases=dict(type="list", elements="raw"),
            distribution_id=dict(type="str"),
            parameters=dict(type="dict", default={}),
            distribution_ids=dict(type="dict", default={}),
            fail_on=dict(type="str", choices=["held", "any", "never"], default="held"),
            dns_lookup=dict(type="bool", default=True),
            dns_provider=dict(type="str"),
            dns_zone=dict(type="str"),
        ),
        dns_lookup=True,
        mutually_exclusive=[["terraform_plan", "cloudformation_template", "aliases"]],
        required_one_of=[["terraform_plan", "cloudformation_template", "aliases"]])
    params = module.params

    # What the deployment will do is read, and every id checked, before AWS is asked anything.
    try:
        if params["dns_provider"] is not None:
            provider_class(params["dns_provider"])
    except DnsError as exc:
        module.fail_from(exc)
    try:
        if params["dns_zone"]:
            to_ascii(params["dns_zone"], what="dns_zone")
    except InvalidName as exc:
        module.fail_json(msg=str(exc))
    try:
        if params["distribution_id"]:
            require_distribution_id("distribution_id", params["distribution_id"])
        for key, value in params["distribution_ids"].items():
            require_distribution_id("distribution_ids[%s]" % key, value)
        planned, source = planned_from(params["terraform_plan"], params["cloudformation_template"], params["aliases"],
                                       params["distribution_id"], params["parameters"], params["distribution_ids"])
    except (PreflightInputError, InvalidDistributionId) as exc:
        module.fail_json(msg=str(exc))
    resolver = module.resolver() if params["dns_lookup"] else None
    try:
        connection = module.aws()
        account, warnings = load_account(connection, planned)
        checks = check_planned(planned, connection.client("cloudfront"), account, resolver,
                               params["dns_provider"], params["dns_zone"])
    except AwsError as exc:
        module.fail_from(exc)
    if account.api_warning():
        warnings.append(account.api_warning())
    for warning in warnings:
        module.warn(warning)

    fail_on = params["fail_on"]
    module.exit_json(
        changed=False,
        checks=[c.to_result() for c in checks],
        summary=summary_lines(checks, fail_on),
        failing=len(failing(checks, fail_on)),
        failing_aliases=["%s (%s)" % (c.planned.name, c.planned.resource) for c in failing(checks, fail_on)],
        report=preflight_report(checks, fail_on, account.account_id, source, warnings),
        junit_xml=junit_xml(checks, fail_on),
        account_id=account.account_id,
        requests_by_operation=connection.requests.by_operation,
    )


if __name__ == "__main__":
    main()
