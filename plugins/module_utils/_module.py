# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one module base: every module of the collection is an ``AliasguardModule``.

It adds the AWS connection options once (``aws=True``) with one set of ``mutually_exclusive``
rules for them, and the DNS lookup options (``dns_lookup=True``: nameservers, dns_timeout, checked),
owns the one ``AwsConnection`` of the run, and gives every result, success or failure and check
mode alike, the same fields:

- ``resource_actions``: the sorted ``service:Operation`` of every AWS call sent
  (``cloudfront:ListDistributions``), the names IAM policies and amazon.aws's tooling use;
- ``requests``: the requests this run sent, by service (``{"cloudfront": 3, "acm": 1}``; a DNS provider
  counts under its own name, ``{"cloudflare": 2}``), retries included. The base owns this field: a module
  reports its DNS provider's requests with ``count_requests_of``/``add_requests``, never by passing its own
  ``requests``, so it has one shape in every module (a module may add ``requests_total`` or
  ``requests_by_operation`` beside it);
- ``error_code`` on failure: the AWS or DNS error code when one is known, else null;
- ``response_metadata`` on an AWS failure: AWS's request id and HTTP status, for a support case.

A failure goes through ``fail_json`` (or ``fail_from`` for an exception), so no module can forget them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, NoReturn, Optional, Protocol

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsConnection, aws_argument_spec


class RequestSource(Protocol):
    """Anything that counts its requests by service (a DNS provider, the Cloudflare client)."""

    @property
    def requests(self) -> Optional[Dict[str, int]]: ...  # noqa: E704


# The options of the dns_lookup doc fragment: where DNS is asked, and how long one answer may take.
DNS_LOOKUP_SPEC = dict(
    nameservers=dict(type="list", elements="str"),
    dns_timeout=dict(type="float", default=3.0),
)

# The AWS options that cannot go together: a profile names its own keys.
AWS_MUTUALLY_EXCLUSIVE = [["profile", "access_key"], ["profile", "secret_key"]]


def response_metadata(exc: Optional[BaseException]) -> Optional[Dict[str, Any]]:
    """AWS's ResponseMetadata of the error behind ``exc`` (request id, HTTP status, retries), or None."""
    response = getattr(getattr(exc, "exception", None), "response", None)
    metadata = (response or {}).get("ResponseMetadata") if isinstance(response, dict) else None
    if not metadata:
        return None
    return dict((key, metadata[name]) for key, name in (("request_id", "RequestId"), ("http_status_code", "HTTPStatusCode"),
                                                        ("retry_attempts", "RetryAttempts")) if name in metadata)


class AliasguardModule(AnsibleModule):
    """``AnsibleModule`` with the AWS options, one AWS connection and the common result fields."""

    def __init__(self, argument_spec: Dict[str, Any], aws: bool = True, dns_lookup: bool = False,
                 mutually_exclusive: Optional[List[List[str]]] = None, **kwargs: Any) -> None:
        spec: Dict[str, Any] = aws_argument_spec() if aws else {}
        if dns_lookup:
            spec.update(DNS_LOOKUP_SPEC)
        spec.update(argument_spec)
        rules = list(mutually_exclusive or [])
        if aws:
            rules = AWS_MUTUALLY_EXCLUSIVE + rules
        kwargs.setdefault("supports_check_mode", True)
        # Set before AnsibleModule checks the options: a bad option fails through our fail_json.
        self._aws_connection: Optional[AwsConnection] = None
        # Other request counters (a DNS provider's): objects with a ``requests`` mapping by service.
        self._request_sources: List[RequestSource] = []
        self._requests_added: Dict[str, int] = {}
        super(AliasguardModule, self).__init__(argument_spec=spec, mutually_exclusive=rules, **kwargs)
        if dns_lookup and self.params["dns_timeout"] <= 0:
            self.fail_json(msg="dns_timeout must be a positive number of seconds, not %s" % self.params["dns_timeout"])

    def aws(self, check_credentials: bool = True) -> AwsConnection:
        """The run's one AwsConnection, made on first use (raises AwsError like AwsConnection does)."""
        if self._aws_connection is None:
            connection = AwsConnection(self.params)
            if check_credentials:
                connection.check_credentials()
            self._aws_connection = connection
        return self._aws_connection

    def resolver(self) -> Any:
        """The resolver the dns_lookup options ask for; the module fails, saying why, when it cannot be made."""
        # Imported here: the modules that ask no DNS question do not load dnspython on their way up.
        from ansible_collections.aliasguard.cloudfront.plugins.module_utils._resolver import (
            AuthoritativeResolver,
            ResolverError,
        )

        try:
            return AuthoritativeResolver(self.params["nameservers"], timeout=self.params["dns_timeout"])
        except ResolverError as exc:
            self.fail_json(msg=str(exc))

    @property
    def aws_connection(self) -> Optional[AwsConnection]:
        """The AwsConnection if one was made, else None."""
        return self._aws_connection

    def count_requests_of(self, source: RequestSource) -> None:
        """Add ``source.requests`` ({service: count}, read when the result is made) to ``requests``."""
        self._request_sources.append(source)

    def add_requests(self, service: str, count: int) -> None:
        """Add ``count`` requests sent to ``service`` by code that only returns its count."""
        self._requests_added[service] = self._requests_added.get(service, 0) + count

    def requests_by_service(self) -> Dict[str, int]:
        counts: Dict[str, int] = dict(self._requests_added)
        for source in self._request_sources:
            counts.update(source.requests or {})
        if self._aws_connection is not None:
            counts.update(self._aws_connection.requests.by_service)
        return counts

    def resource_actions(self) -> List[str]:
        return self._aws_connection.requests.resource_actions if self._aws_connection is not None else []

    def _common(self, result: Dict[str, Any]) -> Dict[str, Any]:
        result["requests"] = self.requests_by_service()
        result["resource_actions"] = self.resource_actions()
        return result

    def exit_json(self, **result: Any) -> NoReturn:
        if "requests" in result:
            # One shape everywhere (see the module docstring): a second source of the field is a bug.
            raise ValueError("requests is reported by the module base; use count_requests_of or add_requests")
        super(AliasguardModule, self).exit_json(**self._common(result))
        raise AssertionError("exit_json returned")  # not reached: AnsibleModule.exit_json exits

    def fail_json(self, msg: str, **result: Any) -> NoReturn:
        result.setdefault("error_code", None)
        super(AliasguardModule, self).fail_json(msg=msg, **self._common(result))
        raise AssertionError("fail_json returned")  # not reached: AnsibleModule.fail_json exits

    def fail_from(self, exc: Optional[BaseException], msg: Optional[str] = None, **result: Any) -> NoReturn:
        """Fail with an AwsError or DnsError (or any exception): its words, its code, AWS's response metadata."""
        result.setdefault("error_code", getattr(exc, "code", None))
        metadata = response_metadata(exc)
        if metadata:
            result.setdefault("response_metadata", metadata)
        self.fail_json(msg=msg or str(exc), **result)
