"""Name rules as CloudFront and Route 53 apply them, written for the sandbox alone.

The collection has its own name module; the sandbox does not import it, so that
a mistake in one cannot hide the same mistake in the other.
"""

import re

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def norm(name):
    """Lowercase, no trailing dot, Route 53's octal escape for '*' decoded."""
    return name.replace("\\052", "*").lower().rstrip(".")


def is_valid_alias(alias):
    if alias != alias.lower() or len(alias) > 253 or not alias:
        return False
    labels = alias.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels)


def _wildcard_base(name):
    return name[2:] if name.startswith("*.") else None


def aliases_overlap(first, second):
    """True when CloudFront would consider the two aliases to overlap.

    A wildcard alias covers every name below its base at any depth; two
    wildcards overlap when one base lies below (or equals) the other.
    """
    if first == second:
        return True
    base1, base2 = _wildcard_base(first), _wildcard_base(second)
    name1 = base1 if base1 is not None else first
    name2 = base2 if base2 is not None else second
    if base1 is not None and (name2.endswith("." + base1) or (base2 is not None and name2 == base1)):
        return True
    if base2 is not None and (name1.endswith("." + base2) or (base1 is not None and name1 == base2)):
        return True
    return False


def certificate_covers(cert_names, alias):
    """A certificate name covers an alias exactly, or with '*' standing for one label."""
    for cert_name in cert_names:
        cert_name = norm(cert_name)
        if cert_name == alias:
            return True
        base = _wildcard_base(cert_name)
        if base is not None and not alias.startswith("*."):
            head, unused, rest = alias.partition(".")
            if rest == base and head:
                return True
    return False


def txt_challenge_names(alias):
    """The TXT records AssociateAlias accepts as proof: '_' prepended to the alias.

    '_example.com' lies outside the zone example.com, so for an alias at a zone
    apex '_.example.com' is accepted as well. For a wildcard alias
    '*.example.com' the record is '_.example.com' (a TXT owner cannot be a wildcard).
    """
    if alias.startswith("*."):
        return ["_" + alias[1:]]
    return ["_" + alias, "_." + alias]
