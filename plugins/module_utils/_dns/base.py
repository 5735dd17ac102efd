# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The DNS provider interface: one shape, one implementation per provider.

A provider finds zones, reads record sets as ``RecordSet`` values, and applies a
list of ``Change`` values to one zone as a compare-and-swap against what it read:
a change whose "before" no longer matches the live data is refused and nothing
of that zone is changed (Cloudflare, which has no transactions, checks each
record by id right before writing it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple


class DnsError(Exception):
    """A DNS provider problem, worded for the user."""

    def __init__(self, message: str, code: Optional[str] = None, exception: Optional[BaseException] = None) -> None:
        super(DnsError, self).__init__(message)
        self.code = code
        # The API's own error behind it, when there is one (an AWS error's response metadata is reported).
        self.exception = exception


class ConcurrentChange(DnsError):
    """The live records are no longer what was read: nothing was changed."""

    def __init__(self, message: str) -> None:
        super(ConcurrentChange, self).__init__(message, code="ConcurrentChange")


class Zone:
    def __init__(self, name: str, zone_id: Optional[str] = None, data: Optional[Dict[str, Any]] = None) -> None:
        self.name = name
        self.id = zone_id
        self.data = data or {}


class Change:
    """Replace ``before`` (the sets as read at one name) by ``after``.

    ``applied`` becomes True once the provider has made the change. ``left_changed``
    is True when a write failed halfway and could not be undone: the name then holds
    neither ``before`` nor ``after`` (the error says what it holds).
    """

    def __init__(self, name: str, before: Sequence[Any], after: Sequence[Any]) -> None:
        self.name = name
        self.before = list(before)
        self.after = list(after)
        self.applied = False
        self.left_changed = False
        # What reading the records back after the write showed, for providers that do (Cloudflare).
        self.read_back = None

    def removed(self) -> List[Any]:
        """The sets as read that the change takes away or replaces, by key: what a provider deletes."""
        after = dict((r.key, r) for r in self.after)
        before = dict((r.key, r) for r in self.before)
        return [record_set for key, record_set in sorted(before.items()) if not record_set.same_data(after.get(key))]

    def added(self) -> List[Any]:
        """The sets the change puts in place of the ones read, by key: what a provider creates."""
        after = dict((r.key, r) for r in self.after)
        before = dict((r.key, r) for r in self.before)
        return [record_set for key, record_set in sorted(after.items()) if not record_set.same_data(before.get(key))]

    @property
    def is_noop(self) -> bool:
        if len(self.before) != len(self.after):
            return False
        after = dict((r.key, r) for r in self.after)
        return all(r.same_data(after.get(r.key)) for r in self.before)


# Waiting for an HTTP API's rate limit: at most this long in all unless the caller gives its own deadline.
DEFAULT_MAX_WAIT = 300.0


class HttpApiClient:
    """What the HTTP API clients (Cloudflare, Cloud DNS) share: where the API is, how long they wait, the count of
    requests sent, and the clock and sleep that rate-limit waits use (tests replace both)."""

    def __init__(self, base_url: Optional[str], default_base_url: str, timeout: float = 30,
                 validate_certs: bool = True, max_wait: Optional[float] = None,
                 warn: Optional[Callable[[str], None]] = None) -> None:
        self.base_url = (base_url or default_base_url).rstrip("/")
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.requests = 0
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], float] = time.time
        # Rate-limit waits end by this time (the task's wait_timeout from now); ``warn`` announces long ones.
        self.deadline = self.clock() + (DEFAULT_MAX_WAIT if max_wait is None else max(0.0, float(max_wait)))
        self.warn = warn


class DnsProvider(ABC):
    """What every provider declares and implements; one subclass per provider, in its own file of ``_dns``.

    Declarations (class attributes) tell the registry (``_dns/__init__.py``) and the planner (``_repoint.py``)
    everything that differs between providers, so that neither tests a provider by name.
    """

    # The value of the ``provider`` option that selects this provider.
    name: ClassVar[Optional[str]] = None
    # What people call the service, for messages ("RFC 2136", "Google Cloud DNS"); the name when not given.
    title: ClassVar[Optional[str]] = None
    # The options this provider owns: {option: argument spec entry}. Their documentation is the provider's doc
    # fragment (plugins/doc_fragments/<name>.py). Another provider's option is refused, naming it.
    options: ClassVar[Dict[str, Dict[str, Any]]] = {}
    # {option: [environment variable, ...]}: where an option is read from when not given, the first set one winning.
    option_env: ClassVar[Dict[str, List[str]]] = {}
    # The options this provider cannot work without (the module's required_if for it).
    required: ClassVar[Tuple[str, ...]] = ()
    # Defaults applied after the foreign-option check, so that an explicit value can be told from a default.
    defaults: ClassVar[Dict[str, Any]] = {}
    # The TTL of a record this run creates when the user gives none and no record was there to keep it from.
    default_ttl: ClassVar[int] = 300
    # Whether records can be proxied (served through the provider's own addresses, Cloudflare's orange cloud):
    # a proxied CloudFront CNAME hides CloudFront from DNS, so the planner refuses to keep one silently.
    can_proxy: ClassVar[bool] = False
    # Whether the provider needs the AWS connection (its API is AWS's).
    needs_aws: ClassVar[bool] = False
    # How CloudFront is reached at a zone apex: "alias" (Route 53 alias A/AAAA),
    # "flatten" (a CNAME the provider flattens) or None (the provider cannot).
    apex_mode: ClassVar[Optional[str]] = None
    # What the provider guarantees about a write made against records someone else changed
    # since they were read, in words (reported with every result).
    write_guarantee: ClassVar[Optional[str]] = None

    @classmethod
    def apex_refusal(cls, name: str, zone: str) -> str:
        """Why ``name``, the apex of ``zone``, cannot be pointed at CloudFront here (apex_mode None), and what to do.

        The one wording of that refusal: the module's planner and the role's plan both give it."""
        return ("%s is the apex of the zone %s, and DNS provider %s cannot point a zone apex at CloudFront: a CNAME "
                "cannot live at a zone apex (RFC 1034), and %s has no alias record (as Route 53 has) and no CNAME "
                "flattening (as Cloudflare has). Nothing was changed. Host the zone's apex where it can - Route 53 "
                "with an alias A/AAAA record, or Cloudflare with CNAME flattening - or use your DNS service's "
                "ALIAS/ANAME feature by hand; names below the apex work with %s"
                % (name, zone, cls.name, cls.title or cls.name, cls.name))

    @classmethod
    def check_settings(cls, settings: Dict[str, Any]) -> Dict[str, Any]:
        """Refuse option values this provider cannot use (DnsError, nothing sent yet); return the settings."""
        return settings

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Mapping[str, Any], aws_connection: Any = None,
                      warn: Optional[Callable[[str], None]] = None) -> "DnsProvider":
        """The provider, built from the module's checked settings (``check_settings``'s result)."""

    @classmethod
    def list_zones(cls, settings: Mapping[str, Any], zones: Sequence[str], cost: Any,
                   warn: Optional[Callable[[str], None]] = None) -> Tuple[List[Dict[str, Any]], int]:
        """For the audit: (every zone's records as plain data, requests sent); see ``_inventory.py`` for the shape.

        A provider that cannot list a whole zone leaves this out; dns_zone_inventory_info then refuses it.
        """
        raise DnsError("provider %s cannot list whole zones for the audit" % cls.name, code="NotSupported")

    def __init__(self) -> None:
        # Things the user should know that do not stop the run (the module warns with them).
        self.warnings = []

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    @abstractmethod
    def find_zone(self, zone_name: str) -> Zone:
        """The Zone named ``zone_name``, or DnsError (code NoSuchZone) saying what to check."""

    @abstractmethod
    def zone_for_name(self, name: str) -> Zone:
        """The zone holding ``name`` when the user gave none (longest match)."""

    @abstractmethod
    def read(self, zone: Zone, names: Sequence[str]) -> Dict[str, List[Any]]:
        """{name: [RecordSet, ...]} for each name (every type present there)."""

    @abstractmethod
    def apply(self, zone: Zone, changes: Sequence[Change]) -> Any:
        """Apply all changes for one zone; return a token for wait_applied (or None).

        Sets ``applied`` on each change that was made. On failure raises DnsError
        saying what the names hold now."""

    def wait_applied(self, zone: Zone, token: Any, timeout: float) -> bool:
        """Wait until the provider says the change is live on its servers."""
        return True

    @property
    def requests(self) -> Dict[str, int]:
        """API requests sent so far, by service name."""
        return {}
