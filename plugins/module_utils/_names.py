# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Domain-name rules, in one place.

Every name that enters the collection passes through here: unicode names become
punycode, case and the trailing dot are normalised, and the two different
wildcard rules live side by side so that nobody confuses them:

* a CloudFront *alias* ``*.example.com`` serves every name below
  ``example.com`` at any depth (``a.b.example.com`` too), never
  ``example.com`` itself, and the most specific alias wins;
* a *certificate* name ``*.example.com`` covers exactly one label.

Names a user gives are held to the strict rules (``strict=True``, ``host_name``,
``Alias.from_input``, ``parse_aliases``): IDNA 2008 labels only (an A-label must
decode and encode back to itself), host-name rules (letters, digits, hyphens; at
least two labels; never an IP address) wherever the name must be a host. Names
read back from a service (CloudFront, a zone) are taken as the service holds
them: a run must not break on a name someone created elsewhere.

Non-ASCII names need the ``idna`` package (IDNA 2008). Without it they are
refused with a message that says so: Python's own codec follows IDNA 2003, in
which ``straße.example`` silently becomes ``strasse.example``, another name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
from typing import Iterable, List, Optional, Tuple, Union

from ansible.module_utils.basic import missing_required_lib

try:
    import idna  # IDNA 2008 with UTS 46 mapping (requests and dnspython pull it in)
    HAS_IDNA2008 = True
except ImportError:
    HAS_IDNA2008 = False

_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_SERVICE_LABEL = re.compile(r"^_?[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$|^_$")
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")
MAX_NAME_LENGTH = 253


class InvalidName(ValueError):
    """A name the user gave cannot be a DNS name; the message says why."""


class MissingIdna(InvalidName):
    """An internationalised name arrived and the idna package (IDNA 2008) is not installed."""

    def __init__(self, original: str) -> None:
        super(MissingIdna, self).__init__(
            "%r is an internationalised name, and handling it needs the Python package idna (IDNA 2008): %s"
            % (original, missing_required_lib("idna", reason="for internationalised domain names",
                                              url="https://pypi.org/project/idna/")))


def _decode_escapes(text: str) -> str:
    # Route 53 returns '*' as '\052' (and other octets the same way).
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def _to_ascii_label(label: str, original: str, strict: bool = False, what: str = "name") -> str:
    if not label:
        raise InvalidName("%r has an empty label (two dots in a row, or a leading dot)" % original)
    try:
        label.encode("ascii")
    except UnicodeEncodeError:
        if not HAS_IDNA2008:
            raise MissingIdna(original)
        try:
            return str(idna.encode(label, uts46=True).decode("ascii"))
        except (UnicodeError, ValueError) as exc:  # idna.IDNAError is a UnicodeError
            raise InvalidName("%s %r is not a valid internationalised name (IDNA 2008): %s" % (what, original, exc))
    label = label.lower()
    if strict and label.startswith("xn--"):
        _check_a_label(label, original, what)
    return label


def _check_a_label(label: str, original: str, what: str) -> None:
    """An A-label must be the encoding of a valid IDNA 2008 U-label: decode, encode, same label."""
    if not HAS_IDNA2008:
        raise MissingIdna(original)
    try:
        again = idna.encode(idna.decode(label)).decode("ascii")
    except (UnicodeError, ValueError) as exc:
        raise InvalidName("%s %r: %r is not a valid IDNA 2008 A-label (%s); give the name in its readable form, "
                          "or the A-label IDNA 2008 gives for it" % (what, original, label, exc))
    if again != label:
        raise InvalidName("%s %r: %r is not a valid IDNA 2008 A-label (it encodes back as %r)"
                          % (what, original, label, again))


def to_ascii(text: object, allow_wildcard: bool = False, allow_underscore: bool = False, what: str = "name",
             strict: bool = False) -> str:
    """Normalise a name: punycode, lowercase, no trailing dot. Raise InvalidName.

    ``strict`` (names a user gives): every A-label must be valid IDNA 2008.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidName("the %s is empty" % what)
    original = text
    text = _decode_escapes(text.strip())
    if text.endswith("."):
        text = text[:-1]
    labels = [_to_ascii_label(label, original, strict, what) for label in text.split(".")]
    for index, label in enumerate(labels):
        if label == "*":
            if not allow_wildcard:
                raise InvalidName("%s %r: a wildcard is not allowed here" % (what, original))
            if index != 0:
                raise InvalidName("%s %r: '*' may only be the whole first label, as in *.example.com" % (what, original))
            continue
        if "*" in label:
            raise InvalidName("%s %r: '*' may only be the whole first label, as in *.example.com" % (what, original))
        pattern = _SERVICE_LABEL if allow_underscore else _LDH_LABEL
        if len(label) > 63 or not pattern.match(label):
            raise InvalidName("%s %r: label %r must be 1-63 letters, digits or hyphens, not starting or "
                              "ending with a hyphen" % (what, original, label))
    name = ".".join(labels)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName("%s %r is longer than %d characters" % (what, original, MAX_NAME_LENGTH))
    return name


def to_unicode(name: str) -> str:
    """The readable form of a normalised name, for messages and reports (the A-labels without idna)."""
    if not HAS_IDNA2008:
        return name
    labels = []
    for label in name.split("."):
        if label.startswith("xn--"):
            try:
                label = str(idna.decode(label))
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def host_name(text: object, what: str = "name", allow_wildcard: bool = True) -> str:
    """A name a user gives that must be a host (an alias, a name to point at CloudFront), normalised.

    Strict IDNA 2008, letters, digits and hyphens only (an underscore belongs to
    service and challenge names, never to a host), at least two labels below a
    wildcard, and never an IP address. Raises InvalidName.
    """
    original = text
    if isinstance(text, str) and _is_ip_address(text):
        raise InvalidName("%s %r is an IP address, not a host name" % (what, original))
    try:
        name = to_ascii(text, allow_wildcard=allow_wildcard, what=what, strict=True)
    except InvalidName as exc:
        if isinstance(text, str) and "_" in text and not isinstance(exc, MissingIdna):
            raise InvalidName("%s; an underscore belongs to service and challenge names (like _www.example.com, "
                              "which the module derives itself with challenge: true), never to a host name" % exc)
        raise
    labels = name.split(".")
    base = labels[1:] if labels[0] == "*" else labels
    if not base:
        raise InvalidName("%s %r: a wildcard alone names nothing; give the domain below it, like *.example.com"
                          % (what, original))
    if len(base) < 2:
        raise InvalidName("%s %r: a host name needs at least two labels, like www.example.com (%r is a single "
                          "label or a top-level domain)" % (what, original, ".".join(base) or name))
    if base[-1].isdigit():
        raise InvalidName("%s %r: the last label (%r) cannot be all digits: no top-level domain is"
                          % (what, original, base[-1]))
    return name


def _is_ip_address(text: str) -> bool:
    candidate = text.strip().rstrip(".")
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def is_subdomain(name: str, parent: str) -> bool:
    """True when name lies strictly below parent."""
    return name.endswith("." + parent)


def in_zone(name: str, zone: str) -> bool:
    return name == zone or is_subdomain(name, zone)


def is_apex(name: str, zone: Optional[str]) -> bool:
    return name == zone


class Alias:
    """A CloudFront alternate domain name (CNAME), normalised and immutable."""

    __slots__ = ("_name",)
    _name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("Alias is immutable")

    @classmethod
    def parse(cls, text: object) -> "Alias":
        """An alias as a service holds it (CloudFront, a DNS zone): normalised, not held to the strict rules."""
        return cls(to_ascii(text, allow_wildcard=True, what="alias"))

    @classmethod
    def from_input(cls, text: object) -> "Alias":
        """An alias a user gives: a host name by the strict rules (see ``host_name``)."""
        return cls(host_name(text, what="alias"))

    @property
    def name(self) -> str:
        return self._name

    @property
    def unicode(self) -> str:
        return to_unicode(self._name)

    @property
    def is_wildcard(self) -> bool:
        return self._name.startswith("*.")

    @property
    def base(self) -> str:
        """For '*.example.com', 'example.com'; for a plain name, the name itself."""
        return self._name[2:] if self.is_wildcard else self._name

    def covers(self, name: Union["Alias", str]) -> bool:
        """Does this alias serve requests for ``name`` (a plain host name)?"""
        name = name.name if isinstance(name, Alias) else name
        if self.is_wildcard:
            return is_subdomain(name, self.base)
        return name == self._name

    def overlaps(self, other: "Alias") -> bool:
        """Would CloudFront list the two as conflicting (ListConflictingAliases)?"""
        if self == other:
            return True
        if self.is_wildcard and (other.is_wildcard and (other.base == self.base or is_subdomain(other.base, self.base))
                                 or not other.is_wildcard and is_subdomain(other.name, self.base)):
            return True
        if other.is_wildcard and (self.is_wildcard and is_subdomain(self.base, other.base)
                                  or not self.is_wildcard and is_subdomain(self.name, other.base)):
            return True
        return False

    def specificity(self) -> Tuple[int, int]:
        """Higher wins: an exact name beats any wildcard, a deeper wildcard a shallower one."""
        labels = self.base.count(".") + 1
        return (0 if self.is_wildcard else 1, labels)

    def txt_challenge_name(self, zone: Optional[str] = None) -> str:
        """The TXT record AssociateAlias checks: '_' before the alias.

        '_.example.com' for a wildcard '*.example.com' (a TXT owner cannot be a
        wildcard), and for an alias at the apex of ``zone``, where '_example.com'
        would fall outside the zone.
        """
        if self.is_wildcard:
            return "_" + self._name[1:]
        if zone is not None and self._name == zone:
            return "_." + self._name
        return "_" + self._name

    def txt_challenge_apex_name(self, zone: Optional[str] = None) -> Optional[str]:
        """The name the TXT record takes instead if the alias is a zone apex, or None.

        None when the rule gives one name only: for a wildcard, or when the zone is
        known. Messages written without the zone mention this second form, so that
        an apex alias is not sent to create '_example.com' outside its zone.
        """
        if self.is_wildcard or zone is not None:
            return None
        return "_." + self._name

    def txt_challenge_note(self, zone: Optional[str] = None) -> str:
        """For a message that names the TXT record without knowing the zone: the apex form, else ''."""
        apex = self.txt_challenge_apex_name(zone)
        if apex is None:
            return ""
        return " (or %s if %s is the apex of its zone)" % (apex, self._name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Alias) and other._name == self._name

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __lt__(self, other: "Alias") -> bool:
        return self._name < other._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return "Alias(%r)" % self._name

    def __str__(self) -> str:
        return self._name


def parse_aliases(texts: Optional[Iterable[object]]) -> List[Alias]:
    """The aliases a user listed, normalised, each once, in the order given. Raises InvalidName."""
    aliases: List[Alias] = []
    for text in texts or []:
        alias = Alias.from_input(text)
        if alias not in aliases:
            aliases.append(alias)
    return aliases


def most_specific(aliases: Iterable[Alias], name: Union[Alias, str]) -> Optional[Alias]:
    """Of the aliases, the one CloudFront routes ``name`` to, or None."""
    candidates = [alias for alias in aliases if alias.covers(name)]
    if not candidates:
        return None
    return max(candidates, key=lambda alias: alias.specificity())


def certificate_covers(certificate_names: Iterable[str], alias: Union[Alias, str]) -> bool:
    """Does a certificate with these names (CN and SANs) authorise the alias?

    A certificate wildcard stands for exactly one label; a wildcard alias needs
    the same wildcard on the certificate.
    """
    alias_name = alias.name if isinstance(alias, Alias) else alias
    for cert_name in certificate_names:
        try:
            cert_name = to_ascii(cert_name, allow_wildcard=True, what="certificate name")
        except InvalidName:
            continue
        if cert_name == alias_name:
            return True
        if cert_name.startswith("*.") and not alias_name.startswith("*."):
            head, unused, rest = alias_name.partition(".")
            if head and rest == cert_name[2:]:
                return True
    return False


def mask_matches(masked: str, value: str) -> bool:
    """Does a partly hidden id ('*******5PBZ4YV') fit ``value``? Any number of leading '*'."""
    visible = masked.lstrip("*")
    if not visible:
        return False
    if masked == visible:
        return masked == value
    return value.endswith(visible) and len(value) >= len(visible)


def is_masked(value: str) -> bool:
    return value.startswith("*")
