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


def txt_challenge_names(alias, apex=False):
    """The TXT records AssociateAlias accepts as proof.

    AWS documents '_' prepended to the alias. It documents no name for a wildcard
    alias (a TXT owner cannot be a wildcard) nor for an alias at a zone apex (where
    '_example.com' would lie outside the zone example.com); there, and only there,
    '_.<name>' is accepted, the choice the collection documents. An apex alias keeps
    the documented '_<alias>' too, for a parent zone that serves it.
    """
    if alias.startswith("*."):
        return ["_" + alias[1:]]
    if apex:
        return ["_" + alias, "_." + alias]
    return ["_" + alias]
