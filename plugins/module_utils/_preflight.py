# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight: the aliases a deployment is about to add, and whether CloudFront will take them.

Three readers turn what a deployment will do into ``Planned`` values, one per alias
and resource. They are pure functions of the documents they are given:

* ``read_terraform_plan``: ``terraform show -json PLANFILE`` (Terraform's "JSON Output
  Format"): ``aws_cloudfront_distribution`` ``aliases`` and
  ``aws_cloudfront_distribution_tenant`` ``domain`` blocks that a create, an update or
  a replace adds;
* ``read_cloudformation``: templates in JSON or YAML (CloudFormation's short forms
  ``!Ref``, ``!Sub``... load), CDK's ``cdk.out``: ``AWS::CloudFront::Distribution``
  ``DistributionConfig.Aliases`` and ``AWS::CloudFront::DistributionTenant`` ``Domains``;
* ``read_alias_list``: names, with an optional distribution id.

A value that is known only after the apply (a Terraform ``after_unknown`` value, a
CloudFormation ``Fn::GetAtt``...) becomes an ``unknown`` check that says why; it is
never guessed. CloudFormation values that *are* known before a deployment are
resolved: literals, ``Ref`` to a parameter (from the given parameter values, else the
parameter's ``Default``, and the check says which), ``Fn::Sub``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split`` and ``Fn::FindInMap`` over those, and ``AWS::NoValue``.

``check_planned`` asks CloudFront about every planned alias, read-only, with the
step-1 code (``DistributionIndex``, ``domain_conflicts_for``, ``read_dns``), and gives
each one outcome: ``ok``, ``held``, ``dns_points_elsewhere``,
``certificate_does_not_cover`` or ``unknown``, with the fix. ``preflight_report`` and
``junit_xml`` render the result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shlex
import xml.etree.ElementTree as ET
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

try:
    import yaml
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError, describe_error
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._cloudfront import (
    TENANT,
    ConflictApi,
    Distribution,
    DistributionIndex,
    Holder,
    InvalidDistributionId,
    domain_conflicts_for,
    in_account_holders,
    require_distribution_id,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit_checks import TargetChecker
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._conflicts import DnsView, read_dns
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    InvalidName,
    certificate_covers,
    in_zone,
    to_ascii,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import PROVIDER_CLASSES
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._dns import PROVIDERS as DNS_PROVIDERS
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import AuthoritativeResolver

# A plan, a template, a result: JSON-shaped dicts.
Json = Dict[str, Any]

SCHEMA = "aliasguard.cloudfront/preflight/1"

OK = "ok"
HELD = "held"
DNS_POINTS_ELSEWHERE = "dns_points_elsewhere"
CERTIFICATE_DOES_NOT_COVER = "certificate_does_not_cover"
UNKNOWN = "unknown"
# Worst first: the outcome of an alias is the worst thing found about it.
OUTCOMES = (HELD, DNS_POINTS_ELSEWHERE, CERTIFICATE_DOES_NOT_COVER, UNKNOWN, OK)
# Which outcomes fail the play. "held": every alias CloudFront is certain to refuse.
FAIL_ON: Dict[str, Tuple[str, ...]] = {
    "held": (HELD, DNS_POINTS_ELSEWHERE, CERTIFICATE_DOES_NOT_COVER),
    "any": (HELD, DNS_POINTS_ELSEWHERE, CERTIFICATE_DOES_NOT_COVER, UNKNOWN),
    "never": (),
}

DISTRIBUTION = "distribution"
CREATE = "create"
UPDATE = "update"
REPLACE = "replace"
DELETE_FIRST = "delete_first"
CREATE_FIRST = "create_first"

TF_DISTRIBUTION = "aws_cloudfront_distribution"
TF_TENANT = "aws_cloudfront_distribution_tenant"
CFN_DISTRIBUTION = "AWS::CloudFront::Distribution"
CFN_TENANT = "AWS::CloudFront::DistributionTenant"

# ACM's ListCertificates returns RSA_1024 and RSA_2048 certificates only, unless asked for each key type.
ACM_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
REMEDIATE = "ansible-playbook aliasguard.cloudfront.remediate"


class PreflightInputError(ValueError):
    """The plan, template or list cannot be read; the message says what to do."""


class Certificate:
    """The certificate a planned resource will present, as far as the plan says."""

    ACM = "acm"
    DEFAULT = "cloudfront_default"
    IAM = "iam"
    UNKNOWN = "unknown"
    INHERITED = "inherited"   # a tenant without its own certificate: the multi-tenant distribution's
    CURRENT = "current"       # nothing planned: the one the distribution has now

    __slots__ = ("kind", "arn", "reason")

    def __init__(self, kind: str, arn: Optional[str] = None, reason: Optional[str] = None) -> None:
        self.kind = kind
        self.arn = arn
        self.reason = reason

    def to_result(self) -> Json:
        result: Json = {"kind": self.kind}
        if self.arn:
            result["arn"] = self.arn
        if self.reason:
            result["reason"] = self.reason
        return result


class Planned:
    """One alias that one resource of a deployment will add (or one the plan cannot tell yet)."""

    __slots__ = ("text", "alias", "resource", "resource_type", "action", "distribution_id", "unknown",
                 "certificate", "replaces", "replace_order", "notes", "dns_provider", "dns_zone")

    def __init__(self, text: Optional[str], resource: str, resource_type: str = DISTRIBUTION, action: str = CREATE,
                 distribution_id: Optional[str] = None, unknown: Optional[str] = None,
                 certificate: Optional[Certificate] = None, replaces: Optional[str] = None,
                 replace_order: Optional[str] = None, notes: Iterable[str] = (), dns_provider: Optional[str] = None,
                 dns_zone: Optional[str] = None) -> None:
        self.text = text
        self.alias: Optional[Alias] = None
        self.unknown = unknown
        self.notes = list(notes)
        if text is not None and unknown is None:
            try:
                self.alias = Alias.parse(text)
            except InvalidName as exc:
                self.unknown = "%r is not a name CloudFront accepts as an alternate domain name: %s" % (text, exc)
        self.resource = resource
        self.resource_type = resource_type
        self.action = action
        self.distribution_id = distribution_id or None
        self.certificate = certificate or Certificate(Certificate.CURRENT)
        self.replaces = replaces
        self.replace_order = replace_order
        self.dns_provider = dns_provider
        self.dns_zone = dns_zone

    @property
    def name(self) -> str:
        """The alias as reported: normalised when it is a name, as written otherwise."""
        if self.alias is not None:
            return self.alias.name
        return self.text if self.text is not None else "(unknown)"

    @property
    def known_alias(self) -> Alias:
        """The alias, for the checks: they ask only about planned names that are known (``unknown`` is None)."""
        if self.alias is None:
            raise ValueError("%s is not a known alias: %s" % (self.name, self.unknown))
        return self.alias

    def to_result(self) -> Json:
        result: Json = {"alias": self.name, "resource": self.resource, "resource_type": self.resource_type,
                        "action": self.action, "certificate": self.certificate.to_result()}
        for key in ("distribution_id", "unknown", "replaces", "replace_order", "dns_provider", "dns_zone"):
            if getattr(self, key):
                result[key] = getattr(self, key)
        if self.notes:
            result["notes"] = list(self.notes)
        return result


def _unique(planned: Iterable[Planned]) -> List[Planned]:
    """One check per (resource, alias): a name listed twice is asked about once."""
    seen: Set[Tuple[str, object]] = set()
    result: List[Planned] = []
    for item in planned:
        key = (item.resource, item.name if item.unknown is None else id(item))
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


# ---------------------------------------------------------------------------------------------
# Terraform: terraform show -json PLANFILE


def _tf_action(actions: Optional[Sequence[str]]) -> Tuple[Optional[str], Optional[str]]:
    """(action, replace order) of a resource change, or (None, None) when it adds no alias."""
    actions = list(actions or [])
    if actions == ["create"]:
        return CREATE, None
    if actions == ["update"]:
        return UPDATE, None
    if actions == ["delete", "create"]:
        return REPLACE, DELETE_FIRST
    if actions == ["create", "delete"]:
        return REPLACE, CREATE_FIRST
    # ["no-op"], ["read"], ["delete"], ["forget"] and anything newer that does not create.
    if "create" in actions:
        return CREATE, None
    return None, None


def _tf_list(after: Any, unknown: Any) -> Tuple[List[Any], List[int], bool]:
    """(known values, unknown element indexes, whole list unknown) of a list or set attribute."""
    if unknown is True:
        return [], [], True
    values = after if isinstance(after, list) else []
    marks = unknown if isinstance(unknown, list) else []
    known: List[Any] = []
    missing: List[int] = []
    for index, value in enumerate(values):
        if (index < len(marks) and marks[index] is True) or value is None:
            missing.append(index)
        else:
            known.append(value)
    for index in range(len(values), len(marks)):
        if marks[index] is True:
            missing.append(index)
    return known, missing, False


def _first(block: Any) -> Json:
    """The single element of a Terraform nested block list (max one), or {}."""
    if isinstance(block, list) and block and isinstance(block[0], dict):
        return block[0]
    return {}


def _tf_distribution_certificate(after: Json, unknown: Json) -> Certificate:
    if unknown.get("viewer_certificate") is True:
        return Certificate(Certificate.UNKNOWN, reason="viewer_certificate is known only after apply")
    viewer = _first(after.get("viewer_certificate"))
    marks = _first(unknown.get("viewer_certificate"))
    if marks.get("acm_certificate_arn") is True:
        return Certificate(Certificate.UNKNOWN, reason="viewer_certificate.acm_certificate_arn is known only after "
                                                       "apply (a certificate this plan creates?)")
    if viewer.get("acm_certificate_arn"):
        return Certificate(Certificate.ACM, arn=viewer["acm_certificate_arn"])
    if marks.get("iam_certificate_id") is True or viewer.get("iam_certificate_id"):
        return Certificate(Certificate.IAM, reason="an IAM server certificate: its names are not checked")
    if viewer.get("cloudfront_default_certificate"):
        return Certificate(Certificate.DEFAULT)
    return Certificate(Certificate.UNKNOWN, reason="the plan names no viewer certificate")


def _tf_tenant_certificate(after: Json, unknown: Json) -> Certificate:
    marks = _first(_first(unknown.get("customizations")).get("certificate"))
    if unknown.get("customizations") is True or marks.get("arn") is True:
        return Certificate(Certificate.UNKNOWN, reason="customizations.certificate.arn is known only after apply")
    arn = _first(_first(after.get("customizations")).get("certificate")).get("arn")
    if arn:
        return Certificate(Certificate.ACM, arn=arn)
    if after.get("managed_certificate_request"):
        return Certificate(Certificate.INHERITED, reason="a certificate CloudFront manages for the tenant's domains")
    return Certificate(Certificate.INHERITED, reason="the multi-tenant distribution's certificate")


def _tf_names(rtype: str, state: Optional[Json], marks: Optional[Json]) -> Tuple[List[Any], List[int], bool]:
    """(known names, unknown element indexes, all unknown) of a resource's aliases or domains."""
    state = state or {}
    marks = marks or {}
    if rtype == TF_DISTRIBUTION:
        return _tf_list(state.get("aliases"), marks.get("aliases"))
    # A tenant: a set of domain blocks, each {domain, status}.
    if marks.get("domain") is True:
        return [], [], True
    blocks = _list_at(state, "domain")
    block_marks = _list_at(marks, "domain")
    known: List[Any] = []
    missing: List[int] = []
    for index, block in enumerate(blocks):
        mark = block_marks[index] if index < len(block_marks) else {}
        if mark is True or (isinstance(mark, dict) and mark.get("domain") is True) or not isinstance(block, dict) \
                or block.get("domain") is None:
            missing.append(index)
        else:
            known.append(block["domain"])
    return known, missing, False


def _list_at(mapping: Json, key: str) -> List[Any]:
    """``mapping[key]`` when it is a list, else [] (a plan's JSON is read defensively)."""
    value = mapping.get(key)
    return value if isinstance(value, list) else []


def _dict_at(mapping: Json, key: str) -> Json:
    """``mapping[key]`` when it is a mapping, else {}."""
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def _normalised(names: Iterable[Any]) -> Set[Any]:
    result: Set[Any] = set()
    for name in names:
        try:
            result.add(Alias.parse(name).name)
        except (InvalidName, AttributeError):
            result.add(name)
    return result


def read_terraform_plan(plan: object) -> List[Planned]:
    """Every alias that the plan's CloudFront resources add, as Planned values."""
    if not isinstance(plan, dict):
        raise PreflightInputError("the Terraform plan is not a JSON object: give the output of "
                                  "'terraform show -json PLANFILE'")
    version = str(plan.get("format_version") or "")
    if version and version.split(".", 1)[0] not in ("0", "1"):
        raise PreflightInputError("the Terraform plan has format_version %s; this collection reads the JSON output "
                                  "format 0.x and 1.x (Terraform 0.12 and later)" % version)
    if "resource_changes" not in plan:
        if "planned_values" in plan or "configuration" in plan:
            return []  # a plan without resource changes
        if "values" in plan:
            raise PreflightInputError("this is Terraform state, not a plan: run 'terraform plan -out=PLANFILE' and "
                                      "give the output of 'terraform show -json PLANFILE'")
        raise PreflightInputError("no resource_changes: this is not the output of 'terraform show -json PLANFILE'")
    planned: List[Planned] = []
    for change in plan.get("resource_changes") or []:
        planned.extend(_tf_resource_change(change))
    return _unique(planned)


def _tf_resource_change(rc: Json) -> List[Planned]:
    rtype = rc.get("type")
    if rc.get("mode", "managed") != "managed" or rtype not in (TF_DISTRIBUTION, TF_TENANT) or rc.get("deposed"):
        return []
    change = rc.get("change") or {}
    action, order = _tf_action(change.get("actions"))
    if action is None:
        return []
    before = _dict_at(change, "before")
    after = _dict_at(change, "after")
    marks = _dict_at(change, "after_unknown")
    address = rc.get("address") or "%s.%s" % (rtype, rc.get("name"))
    resource_type = TENANT if rtype == TF_TENANT else DISTRIBUTION
    word = "domains" if resource_type == TENANT else "aliases"
    certificate = (_tf_tenant_certificate if resource_type == TENANT else _tf_distribution_certificate)(after, marks)
    known, missing, all_unknown = _tf_names(rtype, after, marks)
    common: Json = dict(resource=address, resource_type=resource_type, action=action, certificate=certificate)
    if action == UPDATE:
        common["distribution_id"] = before.get("id")
    if action == REPLACE:
        common.update(replaces=before.get("id"), replace_order=order)
    if all_unknown:
        return [Planned("(%s unknown)" % word, unknown="the %s of %s are known only after apply (after_unknown)"
                        % (word, address), **common)]
    old: Set[Any] = set()
    if action == UPDATE:
        old = _normalised(_tf_names(rtype, before, {})[0])
    planned = [Planned(name, **common) for name in known if _normalised([name]) - old]
    for index in missing:
        planned.append(Planned("(%s[%d] unknown)" % (word, index), unknown="%s[%d] of %s is known only after apply "
                               "(after_unknown)" % (word, index, address), **common))
    return planned


# ---------------------------------------------------------------------------------------------
# CloudFormation and CDK


def _intrinsic_key(suffix: str) -> str:
    if suffix in ("Ref", "Condition"):
        return suffix
    return "Fn::" + suffix


if HAS_YAML:
    class CloudFormationLoader(yaml.SafeLoader):
        """safe_load plus CloudFormation's short forms (!Ref, !Sub, !GetAtt...), as their long form."""

    def _construct_intrinsic(loader: Any, suffix: str, node: Any) -> Json:
        key = _intrinsic_key(suffix)
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if key == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    def _construct_timestamp_as_text(loader: Any, node: Any) -> Any:
        # AWSTemplateFormatVersion: 2010-09-09 is a string to CloudFormation, not a date.
        return loader.construct_scalar(node)

    CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)
    CloudFormationLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


def parse_template(text: str, source: str) -> Json:
    """A template's text (JSON or YAML) as a dict; PreflightInputError when it is neither."""
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise PreflightInputError("%s is not valid JSON: %s" % (source, exc))
    else:
        if not HAS_YAML:
            raise PreflightInputError("PyYAML is required to read the YAML template %s" % source)
        try:
            document = yaml.load(text, Loader=CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise PreflightInputError("%s is neither JSON nor YAML that CloudFormation reads: %s" % (source, exc))
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise PreflightInputError("%s has no Resources section: it is not a CloudFormation template" % source)
    return document


class Template:
    """One template and the stack it deploys to (when known)."""

    __slots__ = ("source", "stack_name", "document")

    def __init__(self, source: str, document: Json, stack_name: Optional[str] = None) -> None:
        self.source = source
        self.document = document
        self.stack_name = stack_name

    @property
    def label(self) -> str:
        return self.stack_name or self.source


def load_templates(path: str) -> List[Template]:
    """Templates from a file, or every *.template.json of a directory (CDK's cdk.out).

    In a cloud assembly, manifest.json names each template's stack (nested assemblies
    of CDK stages included); without it a template is known by its file name.
    """
    if os.path.isdir(path):
        templates = _assembly_templates(path)
        if not templates:
            raise PreflightInputError("%s has no *.template.json files: run 'cdk synth' first, or give the template "
                                      "file" % path)
        return templates
    return [Template(os.path.basename(path), parse_template(_read(path), path))]


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise PreflightInputError("cannot read %s: %s" % (path, exc))


def _read(path: str) -> str:
    data = _read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PreflightInputError("%s is not UTF-8 text" % path)


def _assembly_templates(directory: str, prefix: str = "") -> List[Template]:
    manifest_path = os.path.join(directory, "manifest.json")
    stacks: Dict[str, str] = {}
    nested: List[str] = []
    if os.path.exists(manifest_path):
        try:
            manifest = json.loads(_read(manifest_path))
        except ValueError as exc:
            raise PreflightInputError("%s is not valid JSON: %s" % (manifest_path, exc))
        for artifact_id, artifact in sorted((manifest.get("artifacts") or {}).items()):
            properties = artifact.get("properties") or {}
            if artifact.get("type") == "aws:cloudformation:stack" and properties.get("templateFile"):
                stacks[properties["templateFile"]] = properties.get("stackName") or artifact_id
            elif artifact.get("type") == "cdk:cloud-assembly" and properties.get("directoryName"):
                nested.append(properties["directoryName"])
    templates: List[Template] = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".template.json") and os.path.isfile(os.path.join(directory, name)):
            document = parse_template(_read(os.path.join(directory, name)), os.path.join(directory, name))
            templates.append(Template(prefix + name, document, stacks.get(name)))
    for sub in nested:
        if os.path.isdir(os.path.join(directory, sub)):
            templates.extend(_assembly_templates(os.path.join(directory, sub), prefix + sub + "/"))
    return templates


class Unresolved(Exception):
    """A template value that is known only when the stack is deployed."""


NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateValues:
    """Resolves the template values that are known before a deployment, and nothing else."""

    def __init__(self, document: Json, parameters: Optional[Mapping[str, Any]] = None) -> None:
        self.parameters: Json = document.get("Parameters") or {}
        self.mappings: Json = document.get("Mappings") or {}
        self.resources: Json = document.get("Resources") or {}
        self.given: Json = dict(parameters or {})
        self.defaults_used: List[str] = []

    def value(self, node: Any) -> Any:
        if isinstance(node, (str, int, float, bool)) or node is None:
            return node
        if isinstance(node, list):
            values = [self.value(item) for item in node]
            return [v for v in values if v is not NO_VALUE]
        if isinstance(node, dict) and len(node) == 1:
            key, argument = next(iter(node.items()))
            handler = self._FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, argument)
            if key.startswith("Fn::") or key == "Condition":
                raise Unresolved("%s is evaluated only when the stack is deployed" % key)
        if isinstance(node, dict):
            return dict((k, self.value(v)) for k, v in node.items())
        raise Unresolved("a value of type %s" % type(node).__name__)

    def text(self, node: Any) -> str:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise Unresolved("it is not a string")
        return str(value)

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.given:
            return self.given[name]
        if name in self.parameters:
            declared = self.parameters[name] or {}
            kind = str(declared.get("Type", "String"))
            if kind.startswith("AWS::SSM::Parameter::Value"):
                raise Unresolved("parameter %s is read from SSM Parameter Store when the stack is deployed; give its "
                                 "value in parameters" % name)
            if "Default" not in declared:
                raise Unresolved("parameter %s has no Default; give its value in parameters" % name)
            self.defaults_used.append(name)
            default = declared["Default"]
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                return [part.strip() for part in str(default).split(",")]
            return default
        if name.startswith("AWS::"):
            raise Unresolved("the pseudo parameter %s is known only when the stack is deployed" % name)
        if name in self.resources:
            raise Unresolved("Ref %s is the id of a resource the stack creates" % name)
        raise Unresolved("Ref %s names no parameter or resource of the template" % name)

    def _fn_ref(self, argument: Any) -> Any:
        if not isinstance(argument, str):
            raise Unresolved("Ref to a computed name")
        return self._ref(argument)

    def _fn_sub(self, argument: Any) -> str:
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            template, variables = argument
        elif isinstance(argument, str):
            template, variables = argument, {}
        else:
            raise Unresolved("Fn::Sub with an unexpected argument")
        if not isinstance(template, str):
            raise Unresolved("Fn::Sub of a computed string")

        def substitute(match: "re.Match[str]") -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"   # ${!Literal} stands for the text ${Literal}
            if name in variables:
                return self.text(variables[name])
            if "." in name:
                raise Unresolved("Fn::Sub uses ${%s}, an attribute known only when the stack is deployed" % name)
            value = self._ref(name)
            if isinstance(value, list) or value is NO_VALUE:
                raise Unresolved("Fn::Sub uses ${%s}, which is not a string" % name)
            return str(value)

        return _SUB_VARIABLE.sub(substitute, template)

    def _fn_join(self, argument: Any) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise Unresolved("Fn::Join with an unexpected argument")
        delimiter = self.text(argument[0])
        parts = self.value(argument[1])
        if not isinstance(parts, list):
            raise Unresolved("Fn::Join of a computed list")
        return delimiter.join(self.text(part) for part in parts)

    def _fn_select(self, argument: Any) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise Unresolved("Fn::Select with an unexpected argument")
        index = self.value(argument[0])
        items = self.value(argument[1])
        try:
            return items[int(index)]
        except (TypeError, ValueError, IndexError):
            raise Unresolved("Fn::Select of an index that is not in the list")

    def _fn_split(self, argument: Any) -> List[str]:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise Unresolved("Fn::Split with an unexpected argument")
        return self.text(argument[1]).split(self.text(argument[0]))

    def _fn_find_in_map(self, argument: Any) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise Unresolved("Fn::FindInMap with an unexpected argument")
        keys = [self.text(part) for part in argument]
        try:
            return self.value(self.mappings[keys[0]][keys[1]][keys[2]])
        except (KeyError, TypeError):
            raise Unresolved("Fn::FindInMap %s has no such entry in Mappings" % "/".join(keys))

    _FUNCTIONS: Dict[str, Callable[["TemplateValues", Any], Any]] = {
        "Ref": _fn_ref,
        "Fn::Sub": _fn_sub,
        "Fn::Join": _fn_join,
        "Fn::Select": _fn_select,
        "Fn::Split": _fn_split,
        "Fn::FindInMap": _fn_find_in_map,
    }


def _describe(node: Any) -> str:
    """A short form of a template expression, for messages."""
    try:
        text = json.dumps(node, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(node)
    return text if len(text) <= 120 else text[:117] + "..."


def read_cloudformation(templates: Iterable[Template], parameters: Optional[Mapping[str, Any]] = None,
                        distribution_ids: Optional[Mapping[str, str]] = None) -> List[Planned]:
    """Every alias the templates' CloudFront resources hold, as Planned values.

    ``distribution_ids`` maps a resource (``LogicalId`` or ``Stack/LogicalId``) to the id
    it has in a deployed stack; such a resource is an update, the others creates.
    """
    planned: List[Planned] = []
    distribution_ids = distribution_ids or {}
    for template in templates:
        resources = template.document.get("Resources") or {}
        for logical_id, resource in resources.items():
            if not isinstance(resource, dict) or resource.get("Type") not in (CFN_DISTRIBUTION, CFN_TENANT):
                continue
            values = TemplateValues(template.document, parameters)
            address = "%s/%s" % (template.label, logical_id)
            existing = distribution_ids.get(address) or distribution_ids.get(logical_id)
            planned.extend(_cfn_resource(values, address, resource, existing))
    return _unique(planned)


def _cfn_resource(values: TemplateValues, address: str, resource: Json, existing: Optional[str]) -> List[Planned]:
    properties = resource.get("Properties") or {}
    tenant = resource.get("Type") == CFN_TENANT
    if tenant:
        names_node = properties.get("Domains")
        certificate = _cfn_tenant_certificate(values, properties)
        word = "Domains"
    else:
        config = properties.get("DistributionConfig")
        if not isinstance(config, dict) or len(config) == 1 and next(iter(config)).startswith("Fn::"):
            return [Planned("(DistributionConfig unknown)", address, unknown="DistributionConfig of %s is computed (%s)"
                            % (address, _describe(config)))]
        if config.get("ConnectionMode") == "tenant-only":
            return []  # a multi-tenant distribution: its tenants carry the domains
        names_node = config.get("Aliases")
        certificate = _cfn_distribution_certificate(values, config)
        word = "DistributionConfig.Aliases"
    notes: List[str] = []
    if resource.get("Condition"):
        notes.append("created only when the template's condition %s is true" % resource["Condition"])
    common: Json = dict(resource_type=TENANT if tenant else DISTRIBUTION, action=UPDATE if existing else CREATE,
                        distribution_id=existing, certificate=certificate)
    if names_node is None:
        return []
    items = names_node if isinstance(names_node, list) else None
    if items is None:
        try:
            items = values.value(names_node)
        except Unresolved as exc:
            return [Planned("(%s unknown)" % word, address, unknown="%s of %s cannot be known before the deployment: "
                            "%s (%s)" % (word, address, exc, _describe(names_node)), notes=notes, **common)]
        if not isinstance(items, list):
            items = [items]
    planned: List[Planned] = []
    for index, item in enumerate(items):
        values.defaults_used = []
        try:
            name = values.value(item)
        except Unresolved as exc:
            planned.append(Planned("(%s[%d] unknown)" % (word, index), address,
                                   unknown="%s[%d] of %s cannot be known before the deployment: %s (%s)"
                                   % (word, index, address, exc, _describe(item)), notes=notes, **common))
            continue
        if name is NO_VALUE:
            continue
        item_notes = list(notes)
        if values.defaults_used:
            item_notes.append("resolved with the Default of parameter %s (the value for a new stack; an existing stack "
                              "keeps its previous value unless parameters says otherwise)"
                              % ", ".join(sorted(set(values.defaults_used))))
        if not isinstance(name, str):
            planned.append(Planned("(%s[%d] unknown)" % (word, index), address, unknown="%s[%d] of %s is not a string: %s"
                                   % (word, index, address, _describe(name)), notes=item_notes, **common))
            continue
        planned.append(Planned(name, address, notes=item_notes, **common))
    return planned


def _cfn_distribution_certificate(values: TemplateValues, config: Json) -> Certificate:
    viewer = config.get("ViewerCertificate")
    if viewer is None:
        return Certificate(Certificate.DEFAULT, reason="no ViewerCertificate: CloudFront's default certificate")
    if not isinstance(viewer, dict) or len(viewer) == 1 and next(iter(viewer)).startswith("Fn::"):
        return Certificate(Certificate.UNKNOWN, reason="ViewerCertificate is computed (%s)" % _describe(viewer))
    if viewer.get("AcmCertificateArn") is not None:
        try:
            return Certificate(Certificate.ACM, arn=values.text(viewer["AcmCertificateArn"]))
        except Unresolved as exc:
            return Certificate(Certificate.UNKNOWN, reason="AcmCertificateArn is known only when the stack is deployed:"
                                                           " %s (%s)" % (exc, _describe(viewer["AcmCertificateArn"])))
    if viewer.get("IamCertificateId") is not None:
        return Certificate(Certificate.IAM, reason="an IAM server certificate: its names are not checked")
    return Certificate(Certificate.DEFAULT)


def _cfn_tenant_certificate(values: TemplateValues, properties: Json) -> Certificate:
    customizations = properties.get("Customizations") or {}
    arn = (customizations.get("Certificate") or {}).get("Arn") if isinstance(customizations, dict) else None
    if arn is None:
        if properties.get("ManagedCertificateRequest"):
            return Certificate(Certificate.INHERITED, reason="a certificate CloudFront manages for the tenant's domains")
        return Certificate(Certificate.INHERITED, reason="the multi-tenant distribution's certificate")
    try:
        return Certificate(Certificate.ACM, arn=values.text(arn))
    except Unresolved as exc:
        return Certificate(Certificate.UNKNOWN, reason="Customizations.Certificate.Arn is known only when the stack is "
                                                       "deployed: %s" % exc)


# ---------------------------------------------------------------------------------------------
# A plain list


def read_alias_list(items: Optional[Iterable[Any]], distribution_id: Optional[str] = None,
                    resource: str = "aliases") -> List[Planned]:
    """Names (or {alias, distribution_id, dns_provider, dns_zone} mappings), with a default distribution id."""
    planned: List[Planned] = []
    for index, item in enumerate(items or []):
        if isinstance(item, str):
            item = {"alias": item}
        if not isinstance(item, dict) or not isinstance(item.get("alias"), str) or not item["alias"].strip():
            raise PreflightInputError("aliases[%d] must be a name or a mapping with 'alias' (and optionally "
                                      "'distribution_id', 'dns_provider', 'dns_zone'), not %r" % (index, item))
        unknown_keys = sorted(set(item) - set(("alias", "distribution_id", "dns_provider", "dns_zone")))
        if unknown_keys:
            raise PreflightInputError("aliases[%d] has unknown keys %s; the keys are alias, distribution_id, "
                                      "dns_provider, dns_zone" % (index, ", ".join(unknown_keys)))
        target = item.get("distribution_id") or distribution_id
        try:
            # A name the user typed is held to the host-name rules (IDNA 2008, no underscore, two labels).
            Alias.from_input(item["alias"])
            if item.get("distribution_id"):
                require_distribution_id("aliases[%d].distribution_id" % index, item["distribution_id"])
            if item.get("dns_zone"):
                to_ascii(str(item["dns_zone"]), what="dns_zone")
        except InvalidDistributionId as exc:
            raise PreflightInputError(str(exc))  # it names aliases[N].distribution_id already
        except InvalidName as exc:
            raise PreflightInputError("aliases[%d]: %s" % (index, exc))
        if item.get("dns_provider") and item["dns_provider"] not in DNS_PROVIDERS:
            raise PreflightInputError("aliases[%d]: dns_provider %r is not one of %s"
                                      % (index, item["dns_provider"], ", ".join(DNS_PROVIDERS)))
        planned.append(Planned(item["alias"], resource, action=UPDATE if target else CREATE, distribution_id=target,
                               dns_provider=item.get("dns_provider"), dns_zone=item.get("dns_zone")))
    return _unique(planned)


def read_terraform_plan_file(path: str) -> List[Planned]:
    """The planned aliases of a ``terraform show -json`` output file."""
    text = _read_bytes(path)
    if text[:4] == b"PK\x03\x04":
        raise PreflightInputError("%s is a binary plan file; give its JSON form: terraform show -json %s > plan.json"
                                  % (path, shlex.quote(path)))
    try:
        plan = json.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PreflightInputError("%s is not JSON (%s): give the output of 'terraform show -json PLANFILE'"
                                  % (path, exc))
    return read_terraform_plan(plan)


def planned_from(terraform_plan: Optional[str] = None, cloudformation_template: Optional[str] = None,
                 aliases: Optional[Iterable[Any]] = None, distribution_id: Optional[str] = None,
                 parameters: Optional[Mapping[str, Any]] = None,
                 distribution_ids: Optional[Mapping[str, str]] = None) -> Tuple[List[Planned], str]:
    """(planned aliases, a label of where they came from) from exactly one of the three inputs."""
    if terraform_plan:
        return read_terraform_plan_file(terraform_plan), "terraform plan %s" % terraform_plan
    if cloudformation_template:
        templates = load_templates(cloudformation_template)
        return (read_cloudformation(templates, parameters, distribution_ids),
                "cloudformation %s" % cloudformation_template)
    return read_alias_list(aliases, distribution_id), "aliases"


# ---------------------------------------------------------------------------------------------
# Asking AWS (read-only)


def list_certificates(acm: Any) -> Dict[str, List[str]]:
    """{arn: [names]} of the account's ACM certificates in us-east-1, every key type, every page."""
    certificates: Dict[str, List[str]] = {}
    if acm is None:
        return certificates
    try:
        paginator = acm.get_paginator("list_certificates")
        for page in paginator.paginate(Includes={"keyTypes": ACM_KEY_TYPES}):
            for summary in page.get("CertificateSummaryList") or []:
                names = [summary.get("DomainName", "")] + list(summary.get("SubjectAlternativeNameSummaries") or [])
                if summary.get("HasAdditionalSubjectAlternativeNames"):
                    # A summary lists at most 100 names; the certificate itself has them all.
                    detail = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
                    names = [detail.get("DomainName", "")] + list(detail.get("SubjectAlternativeNames") or [])
                certificates[summary["CertificateArn"]] = sorted(set(n for n in names if n))
    except Exception as exc:
        raise describe_error(exc, "ACM ListCertificates")
    return certificates


def list_public_zones(route53: Any) -> List[str]:
    """Names of the account's public Route 53 hosted zones (for the fix's dns_provider)."""
    zones: List[str] = []
    if route53 is None:
        return zones
    try:
        for page in route53.get_paginator("list_hosted_zones").paginate():
            for zone in page.get("HostedZones") or []:
                if not (zone.get("Config") or {}).get("PrivateZone"):
                    try:
                        zones.append(to_ascii(zone["Name"], allow_underscore=True))
                    except InvalidName:
                        continue
    except Exception as exc:
        raise describe_error(exc, "Route 53 ListHostedZones")
    return zones


class Account:
    """What one run knows about the caller's account: distributions, certificates, zones."""

    def __init__(self, index: DistributionIndex, certificates: Dict[str, List[str]],
                 route53_zones: Optional[List[str]] = None) -> None:
        self.index = index
        self.certificates = certificates
        self.route53_zones = route53_zones or []
        self.api = ConflictApi()

    def api_warning(self) -> Optional[str]:
        """Said once per run: ListDomainConflicts was not offered, so tenants were not seen."""
        if self.api.domain_conflicts is False:
            return ("%s, so ListConflictingAliases was asked instead: it does not see distribution tenants, so a "
                    "name held by a tenant is not found" % self.api.reason)
        return None

    @property
    def account_id(self) -> Optional[str]:
        return self.index.account_id

    def names_of(self, certificate_arn: Optional[str]) -> Optional[List[str]]:
        return self.certificates.get(certificate_arn) if certificate_arn else None

    def covers(self, distribution: Optional[Distribution], alias: Alias) -> Optional[bool]:
        """Whether the distribution's current ACM certificate covers the alias (None: cannot tell)."""
        if distribution is None or not distribution.certificate_arn:
            return False if distribution is not None else None
        names = self.names_of(distribution.certificate_arn)
        if names is None:
            return None
        return certificate_covers(names, alias)

    def askers(self, alias: Alias) -> List[Distribution]:
        """Distributions of this account whose certificate covers the alias (ListConflictingAliases needs one)."""
        return sorted((d for d in self.index.distributions if self.covers(d, alias)), key=lambda d: d.id)

    def route53_zone_of(self, name: str) -> Optional[str]:
        matching = [zone for zone in self.route53_zones if in_zone(name, zone)]
        return max(matching, key=len) if matching else None


_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def load_account(connection: Any, planned: Sequence[Planned]) -> Tuple[Account, List[str]]:
    """(Account, warnings): the distributions, and the certificates and zones when an alias needs them.

    A policy without acm:ListCertificates or route53:ListHostedZones does not stop the
    preflight: the warnings say what could not be read and the checks say what that leaves unknown.
    """
    index = DistributionIndex.load(connection.client("cloudfront"))
    warnings: List[str] = []
    certificates: Dict[str, List[str]] = {}
    zones: List[str] = []
    if any(item.alias is not None for item in planned):
        try:
            # CloudFront uses certificates from us-east-1 only.
            certificates = list_certificates(connection.client("acm", region="us-east-1"))
        except AwsError as exc:
            if exc.code not in _DENIED:
                raise
            warnings.append("the ACM certificates could not be listed (%s), so no certificate was checked and no "
                            "distribution could be chosen to ask CloudFront about a new alias" % exc)
        try:
            zones = list_public_zones(connection.client("route53"))
        except AwsError as exc:
            if exc.code not in _DENIED:
                raise
            warnings.append("the Route 53 hosted zones could not be listed (%s); the fix commands leave dns_provider "
                            "open" % exc)
    return Account(index, certificates, zones), warnings


class Check:
    """The preflight's answer for one planned alias."""

    def __init__(self, planned: Planned) -> None:
        self.planned = planned
        self.outcome = OK
        self.reason = ""
        self.holder: Optional[Json] = None
        self.fix = ""
        self.notes: List[str] = list(planned.notes)
        self.dns: Optional[Json] = None
        self.asked: Optional[Json] = None
        self.api: Optional[str] = None
        self.dns_provider = planned.dns_provider
        self.dns_zone = planned.dns_zone

    def found(self, outcome: str, reason: str) -> None:
        """Keep the worst outcome; every reason is kept."""
        if OUTCOMES.index(outcome) < OUTCOMES.index(self.outcome):
            if self.outcome != OK and self.reason:
                self.notes.append(self.reason)
            self.outcome, self.reason = outcome, reason
        else:
            self.notes.append(reason)

    def to_result(self) -> Json:
        planned = self.planned
        result: Json = {"alias": planned.name, "resource": planned.resource, "resource_type": planned.resource_type,
                        "action": planned.action, "outcome": self.outcome, "reason": self.reason, "fix": self.fix,
                        "certificate": planned.certificate.to_result()}
        if planned.alias is not None:
            result["alias_unicode"] = planned.alias.unicode
        if planned.distribution_id:
            result["distribution_id"] = planned.distribution_id
        if planned.replaces:
            result["replaces"] = planned.replaces
            result["replace_order"] = planned.replace_order
        if self.holder is not None:
            result["holder"] = self.holder
        if self.dns is not None:
            result["dns"] = self.dns
        if self.asked:
            result["asked"] = self.asked
        if self.notes:
            result["notes"] = self.notes
        return result


def check_planned(planned: Iterable[Planned], cloudfront: Any, account: Account,
                  resolver: Optional[AuthoritativeResolver] = None, dns_provider: Optional[str] = None,
                  dns_zone: Optional[str] = None) -> List["Check"]:
    """One Check per planned alias: what CloudFront would say if the deployment added it now."""
    checks: List[Check] = []
    for item in planned:
        check = Check(item)
        check.dns_provider = check.dns_provider or dns_provider
        check.dns_zone = check.dns_zone or dns_zone
        if item.unknown is not None:
            check.found(UNKNOWN, item.unknown)
            check.fix = ("Nothing can be checked until the value is known: make it a literal or a variable in the "
                         "configuration, or run the preflight again once what it depends on exists.")
        else:
            _check_alias(check, cloudfront, account, resolver)
        checks.append(check)
    return checks


def _check_alias(check: Check, cloudfront: Any, account: Account, resolver: Optional[AuthoritativeResolver]) -> None:
    item = check.planned
    alias = item.known_alias
    index = account.index
    target = None
    if item.distribution_id and item.resource_type != TENANT:
        target = index.get(item.distribution_id)
        if target is None:
            check.found(UNKNOWN, "distribution %s was not found in account %s, so %s cannot be checked against it"
                        % (item.distribution_id, account.account_id or "(unknown)", alias.name))
            check.fix = ("Check the distribution id, and that the credentials belong to the account that owns it "
                         "(%s)." % item.resource)
            return
    _check_certificate(check, account, target)
    holders = _ask_holders(check, cloudfront, account, target)
    if holders is None:
        return
    exact = [h for h in holders if h.overlap == "exact" and not _is_target(h, item, target)]
    if item.replace_order == DELETE_FIRST and item.replaces:
        freed = [h for h in exact if h.distribution_id == item.replaces]
        if freed:
            check.notes.append("%s is held by %s, which this plan deletes before it creates the replacement"
                               % (alias.name, item.replaces))
        exact = [h for h in exact if h.distribution_id != item.replaces]
    overlapping = [h for h in holders if h.overlap != "exact"]
    if overlapping:
        check.notes.append("overlapping aliases elsewhere (CloudFront routes a name to the most specific alias): %s"
                           % ", ".join("%s on %s" % (h.alias.name, h.distribution_id) for h in overlapping))
    if exact:
        holder = exact[0]
        check.holder = _holder_result(holder)
        where = "this account" if holder.in_account else "another AWS account (%s)" % holder.account_id
        kind = "distribution tenant" if _resource_type(holder) == TENANT else "distribution"
        check.found(HELD, "%s is already an alternate domain name of %s %s in %s%s"
                    % (alias.name, kind, holder.distribution_id, where,
                       " (ids partly hidden by AWS)" if holder.masked else ""))
    dns_view = _read_dns(check, resolver, alias, index, target, holders)
    # A view is read only with a resolver.
    if dns_view is not None and resolver is not None and dns_view.points_at_other_distribution:
        _dns_finding(check, resolver, dns_view, item)
    _fill_fix(check, account, target)


def _is_target(holder: Holder, item: Planned, target: Optional[Distribution]) -> bool:
    if target is not None and holder.distribution_id == target.id:
        return True
    return bool(item.resource_type == TENANT and item.distribution_id
                and holder.distribution_id == item.distribution_id)


def _resource_type(holder: Holder) -> str:
    return str(getattr(holder, "resource_type", DISTRIBUTION))


def _holder_result(holder: Holder) -> Json:
    result: Json = holder.to_result()
    result.setdefault("resource_type", _resource_type(holder))
    return result


def _check_certificate(check: Check, account: Account, target: Optional[Distribution]) -> None:
    item = check.planned
    alias = item.known_alias
    certificate = item.certificate
    if certificate.kind == Certificate.CURRENT:
        if target is None:
            return
        if target.default_certificate or not target.certificate_arn:
            check.found(CERTIFICATE_DOES_NOT_COVER, "%s uses CloudFront's default certificate, which covers no "
                        "alternate domain name" % target.id)
            return
        certificate = Certificate(Certificate.ACM, arn=target.certificate_arn)
    if certificate.kind == Certificate.DEFAULT:
        check.found(CERTIFICATE_DOES_NOT_COVER, "%s will use CloudFront's default certificate, which covers no "
                    "alternate domain name" % item.resource)
    elif certificate.kind == Certificate.ACM:
        names = account.names_of(certificate.arn)
        if names is None:
            check.notes.append("the certificate %s is not among this account's ACM certificates in us-east-1, so "
                               "whether it covers %s was not checked" % (certificate.arn, alias.name))
        elif not certificate_covers(names, alias):
            check.found(CERTIFICATE_DOES_NOT_COVER, "the certificate %s (%s) does not cover %s"
                        % (certificate.arn, ", ".join(names), alias.name))
    elif certificate.reason:
        check.notes.append("certificate not checked: %s" % certificate.reason)


def _ask_holders(check: Check, cloudfront: Any, account: Account,
                 target: Optional[Distribution]) -> Optional[List[Holder]]:
    """Holders in any account (ListDomainConflicts, else ListConflictingAliases), or in this one only."""
    item = check.planned
    alias = item.known_alias
    index = account.index
    tenant_id = item.distribution_id if item.resource_type == TENANT else None
    asker = target if target is not None and account.covers(target, alias) else None
    if asker is None:
        askers = account.askers(alias)
        asker = askers[0] if askers else None
    if asker is None and tenant_id is None:
        in_account = in_account_holders(index, alias)
        check.asked = {"through": None, "api": None}
        if not any(h.overlap == "exact" for h in in_account):
            check.found(UNKNOWN, "no distribution in account %s has an ACM certificate that covers %s, so CloudFront "
                        "cannot be asked whether another account holds it (ListConflictingAliases and "
                        "ListDomainConflicts need one); this account's own distributions do not hold it"
                        % (account.account_id or "(unknown)", alias.name))
        return in_account
    try:
        holders, warning, api = domain_conflicts_for(
            cloudfront, index, alias, distribution_id=asker.id if asker is not None else None, tenant_id=tenant_id,
            api=account.api)
    except AwsError as exc:
        check.found(UNKNOWN, "CloudFront could not be asked about %s: %s" % (alias.name, exc))
        check.fix = "Fix the error above (permissions: cloudfront:ListDomainConflicts or ListConflictingAliases) " \
                    "and run the preflight again."
        return None
    check.api = api
    check.asked = {"through": tenant_id or (asker.id if asker is not None else None), "api": api}
    if warning:
        if api is None:
            # Only this account's own distributions could be seen.
            if not any(h.overlap == "exact" for h in holders):
                check.found(UNKNOWN, warning)
            else:
                check.notes.append(warning)
        else:
            check.notes.append(warning)
    return holders


def _read_dns(check: Check, resolver: Optional[AuthoritativeResolver], alias: Alias, index: DistributionIndex,
              target: Optional[Distribution], holders: List[Holder]) -> Optional[DnsView]:
    if resolver is None or alias.is_wildcard:
        return None
    view = read_dns(resolver, alias, index, target, holders)
    check.dns = view.to_result()
    if view.zone and not check.dns_zone:
        check.dns_zone = view.zone
    if view.error:
        check.notes.append("DNS for %s could not be read: %s" % (alias.name, view.error))
    return view


def _dns_finding(check: Check, resolver: AuthoritativeResolver, view: DnsView, item: Planned) -> None:
    points_to = view.points_to
    if points_to is None:  # the caller asks only for a view that points at another distribution
        raise ValueError("_dns_finding needs a DNS view that points somewhere")
    domain = points_to["domain_name"]
    name = item.known_alias.name
    if points_to.get("distribution_id") is None:
        # Not a distribution of this account: one of another account, or none at all (dangling).
        if not _cloudfront_name_exists(resolver, domain):
            check.notes.append("DNS for %s is a CNAME to %s, which no distribution answers for (dangling): CloudFront "
                               "does not refuse the alias for it, but repoint it once the alias is in place"
                               % (name, domain))
            return
    if item.replace_order == DELETE_FIRST and points_to.get("distribution_id") == item.replaces:
        check.notes.append("DNS for %s points at %s, the distribution this plan replaces; repoint it to the new one "
                           "after the apply" % (name, domain))
        return
    owner = points_to.get("distribution_id") or "a distribution outside this account"
    check.found(DNS_POINTS_ELSEWHERE, "DNS for %s is a CNAME straight to %s (%s), so CloudFront refuses the alias "
                "(CNAMEAlreadyExists, the second form)" % (name, domain, owner))


def _cloudfront_name_exists(resolver: AuthoritativeResolver, name: str) -> bool:
    """False only when an authoritative server says the CloudFront name does not exist (NXDOMAIN): the audit's
    proof rule (``TargetChecker``), asked of the preflight's resolver."""
    return TargetChecker.for_resolver(resolver).check(name)["exists"] is not False


# ---------------------------------------------------------------------------------------------
# The fix


def _option(key: str, value: Optional[str], placeholder: str) -> str:
    if not value:
        return "-e %s=<%s>" % (key, placeholder)
    if value.startswith("<"):
        return "-e %s=%s" % (key, value)
    return "-e " + shlex.quote("%s=%s" % (key, value))


def remediate_command(alias: str, target_id: Optional[str], dns_provider: Optional[str] = None,
                      dns_zone: Optional[str] = None) -> str:
    """The remediation playbook's command line for one alias (a <placeholder> where a value is not known)."""
    return " ".join([REMEDIATE, _option("alias", alias, "alias"),
                     _option("target_distribution_id", target_id, "distribution id"),
                     _option("dns_provider", dns_provider, "|".join(DNS_PROVIDERS)),
                     _option("dns_zone", dns_zone, "zone")])


def _fill_fix(check: Check, account: Account, target: Optional[Distribution]) -> None:
    item = check.planned
    name = item.known_alias.name
    provider, zone = _dns_of(check, account, name)
    exists = target is not None or bool(item.resource_type == TENANT and item.distribution_id)
    if exists:
        command = remediate_command(name, item.distribution_id, provider, zone)
        then = "Run: %s" % command
    else:
        new = "the new distribution" if item.resource == "aliases" else item.resource
        command = remediate_command(name, "<id of %s>" % new, provider, zone)
        then = "%s does not exist yet: deploy it without %s first, then run: %s" % (
            new[0].upper() + new[1:], name, command)
    if check.outcome == OK:
        check.reason = check.reason or "nothing holds %s and its DNS does not point at another distribution" % name
        check.fix = "Nothing to do."
    elif check.outcome == HELD:
        check.fix = _held_fix(check, item, name, then)
    elif check.outcome == DNS_POINTS_ELSEWHERE:
        check.fix = "%s (it repoints DNS to the target first, then adds the alias)" % then
    elif check.outcome == CERTIFICATE_DOES_NOT_COVER:
        check.fix = ("Give %s an ACM certificate in us-east-1 that covers %s (for example: aws acm request-certificate "
                     "--region us-east-1 --domain-name %s --validation-method DNS) as its viewer certificate "
                     "(Terraform: viewer_certificate.acm_certificate_arn; CloudFormation: "
                     "ViewerCertificate.AcmCertificateArn)." % (item.resource, name, shlex.quote(name)))
    elif not check.fix:
        if check.asked and check.asked.get("through") is None:
            check.fix = ("Request an ACM certificate in us-east-1 that covers %s and attach it to a distribution of "
                         "this account (the new one, once it exists), then run the preflight again." % name)
        else:
            check.fix = "Resolve what the reason says, then run the preflight again."
    if provider is None and check.outcome in (HELD, DNS_POINTS_ELSEWHERE):
        others = " or ".join(n for n in DNS_PROVIDERS if not PROVIDER_CLASSES[n].needs_aws)
        check.notes.append("the zone of %s is not a Route 53 hosted zone of this account: give its dns_provider "
                           "(%s) in the command" % (name, others))


def _held_fix(check: Check, item: Planned, name: str, then: str) -> str:
    holder = check.holder or {}
    if item.replace_order == CREATE_FIRST and holder["distribution_id"] == item.replaces:
        return ("Terraform creates the replacement of %s before it destroys %s (create_before_destroy), and %s still "
                "holds %s at that moment: remove create_before_destroy from %s, or apply in two steps (the new "
                "distribution without %s first, then %s)."
                % (item.resource, item.replaces, item.replaces, name, item.resource, name,
                   remediate_command(name, "<id of %s>" % item.resource, check.dns_provider, check.dns_zone)))
    if holder.get("resource_type") == TENANT or item.resource_type == TENANT:
        # AssociateAlias and the remediation playbook move names between standard distributions only.
        if item.resource_type == TENANT:
            to = "DistributionTenantId=%s" % (item.distribution_id or "<id of %s>" % item.resource)
        else:
            to = "DistributionId=%s" % (item.distribution_id or "<id of %s>" % item.resource)
        move = ("aws cloudfront update-domain-association --domain %s --target-resource %s --if-match <ETag of the "
                "target>" % (shlex.quote(name), to))
        if not item.distribution_id:
            move = "deploy %s without %s first, then move the domain with UpdateDomainAssociation: %s" % (
                item.resource, name, move)
        else:
            move = "move the domain with UpdateDomainAssociation: %s" % move
        if holder["in_account"]:
            return move[0].upper() + move[1:]
        return ("The owner of account %s must remove %s from %s %s; then %s"
                % (holder["account_id"], name, holder.get("resource_type", DISTRIBUTION), holder["distribution_id"],
                   move))
    if holder["in_account"]:
        note = ""
        if item.action == CREATE and item.resource != "aliases" and "/" in item.resource:
            note = (" If %s is that stack's own distribution (the template updates a deployed stack), give its id in "
                    "distribution_ids and run the preflight again." % holder["distribution_id"])
        return "%s (it moves the alias with AssociateAlias, so the name is never unserved).%s" % (then, note)
    return ("The owner of account %s must remove %s from distribution %s or disable that distribution%s; nothing in "
            "this account can take it before that. Then: %s"
            % (holder["account_id"], name, holder["distribution_id"],
               " (AWS hides the rest of both ids from other accounts)" if holder["masked"] else "",
               then[0].lower() + then[1:]))


def _dns_of(check: Check, account: Account, name: str) -> Tuple[Optional[str], Optional[str]]:
    zone = account.route53_zone_of(name)
    provider = check.dns_provider
    if zone and not provider:
        provider = "route53"
    check.dns_provider = provider
    check.dns_zone = check.dns_zone or zone
    return provider, check.dns_zone


# ---------------------------------------------------------------------------------------------
# Reports


def failing(checks: Sequence[Check], fail_on: str) -> List[Check]:
    wanted = FAIL_ON[fail_on]
    return [c for c in checks if c.outcome in wanted]


def summary_lines(checks: Sequence[Check], fail_on: str) -> List[str]:
    """One line per alias, for a person."""
    wanted = FAIL_ON[fail_on]
    if not checks:
        return ["Nothing to check: the deployment adds no alias to a CloudFront distribution or tenant."]
    lines: List[str] = []
    for check in checks:
        result = check.to_result()
        mark = "FAIL" if check.outcome in wanted else "ok  " if check.outcome == OK else "note"
        lines.append("%s %s (%s, %s): %s - %s. Fix: %s" % (
            mark, result["alias"], result["resource"], result["action"], check.outcome, check.reason.rstrip("."),
            check.fix))
    return lines


def preflight_report(checks: Sequence[Check], fail_on: str, account_id: Optional[str] = None,
                     source: Optional[str] = None, warnings: Iterable[str] = ()) -> Json:
    counts = dict((outcome, 0) for outcome in OUTCOMES)
    for check in checks:
        counts[check.outcome] += 1
    return {
        "schema": SCHEMA,
        "source": source,
        "account_id": account_id,
        "fail_on": fail_on,
        "warnings": list(warnings),
        "summary": {"checks": len(checks), "by_outcome": counts, "failing": len(failing(checks, fail_on))},
        "checks": [c.to_result() for c in checks],
    }


def junit_xml(checks: Sequence[Check], fail_on: str, suite_name: str = "aliasguard.cloudfront.preflight") -> str:
    """JUnit XML as CI systems read it: one testcase per alias, a failure per failing outcome."""
    wanted = FAIL_ON[fail_on]
    failures = [c for c in checks if c.outcome in wanted]
    skipped = [c for c in checks if c.outcome == UNKNOWN and c.outcome not in wanted]
    suites = ET.Element("testsuites", name=suite_name, tests=str(len(checks)), failures=str(len(failures)),
                        errors="0", skipped=str(len(skipped)))
    suite = ET.SubElement(suites, "testsuite", name=suite_name, tests=str(len(checks)),
                          failures=str(len(failures)), errors="0", skipped=str(len(skipped)), time="0")
    for check in checks:
        result = check.to_result()
        case = ET.SubElement(suite, "testcase", classname=result["resource"], name=result["alias"], time="0")
        details = "%s\nFix: %s" % (check.reason, check.fix)
        if check.notes:
            details += "\nNotes:\n- " + "\n- ".join(check.notes)
        if check in failures:
            failure = ET.SubElement(case, "failure", message="%s: %s" % (check.outcome, check.reason),
                                    type=check.outcome)
            failure.text = details
        elif check in skipped:
            ET.SubElement(case, "skipped", message="%s: %s" % (check.outcome, check.reason))
        out = ET.SubElement(case, "system-out")
        out.text = "%s: %s" % (check.outcome, details)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
