# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Domain-name rules: normalisation, the two wildcard rules, masked ids."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (
    Alias,
    InvalidName,
    certificate_covers,
    in_zone,
    is_apex,
    is_masked,
    mask_matches,
    most_specific,
    to_ascii,
    to_unicode,
)


def A(text):
    return Alias.parse(text)


# -- normalisation -------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    (u"Bücher.example", "xn--bcher-kva.example"),
    (u"www.Bücher.Example.", "www.xn--bcher-kva.example"),
    ("WWW.Example.COM", "www.example.com"),
    ("www.example.com.", "www.example.com"),
    ("  www.example.com  ", "www.example.com"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
])
def test_to_ascii_normalises_idna_case_and_trailing_dot(text, expected):
    assert to_ascii(text) == expected


def test_to_unicode_gives_back_the_readable_name():
    assert to_unicode("xn--bcher-kva.example") == u"bücher.example"
    assert to_unicode(to_ascii(u"Bücher.example")) == u"bücher.example"
    assert to_unicode("www.example.com") == "www.example.com"


def test_alias_unicode_property_is_readable():
    assert A(u"*.Bücher.example").unicode == u"*.bücher.example"


def test_route53_octal_escape_for_star_is_decoded():
    assert to_ascii("\\052.example.com.", allow_wildcard=True) == "*.example.com"
    assert A("\\052.Example.com.") == A("*.example.com")


def test_route53_escape_is_still_a_wildcard_when_wildcards_are_not_allowed():
    with pytest.raises(InvalidName, match="wildcard"):
        to_ascii("\\052.example.com")


@pytest.mark.parametrize("text, problem", [
    ("", "empty"),
    ("   ", "empty"),
    (None, "empty"),
    ("www..example.com", "empty label"),
    (".example.com", "empty label"),
    ("example.com..", "empty label"),
    ("a" * 64 + ".example.com", "1-63"),
    (".".join(["a" * 63] * 4) + ".com", "longer than 253"),
    ("-bad.example.com", "hyphen"),
    ("bad-.example.com", "hyphen"),
    ("a_b.example.com", "a_b"),
    ("www.*.example.com", "first label"),
    ("*foo.example.com", "first label"),
    ("foo*.example.com", "first label"),
])
def test_invalid_names_are_refused_with_the_reason(text, problem):
    with pytest.raises(InvalidName, match=problem):
        to_ascii(text, allow_wildcard=True)


def test_the_message_names_what_was_given():
    with pytest.raises(InvalidName) as exc:
        to_ascii("-bad.example.com", what="alias")
    assert "alias" in str(exc.value)
    assert "-bad.example.com" in str(exc.value)


def test_a_label_of_exactly_63_and_a_name_of_exactly_253_are_fine():
    label = "a" * 63
    assert to_ascii(label + ".example.com") == label + ".example.com"
    name = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(name) == 253
    assert to_ascii(name + ".") == name


def test_underscore_only_when_allowed():
    with pytest.raises(InvalidName):
        to_ascii("a_b.example.com")
    assert to_ascii("a_b.example.com", allow_underscore=True) == "a_b.example.com"
    assert to_ascii("_acme-challenge.Example.com", allow_underscore=True) == "_acme-challenge.example.com"
    assert to_ascii("_.example.com", allow_underscore=True) == "_.example.com"


def test_wildcard_only_when_allowed():
    with pytest.raises(InvalidName, match="wildcard is not allowed"):
        to_ascii("*.example.com")
    assert to_ascii("*.Example.com", allow_wildcard=True) == "*.example.com"


def test_alias_parse_allows_wildcards_but_not_nonsense():
    assert A("*.example.com").is_wildcard
    with pytest.raises(InvalidName, match="alias"):
        Alias.parse("www.*.example.com")


# -- the Alias value ---------------------------------------------------------------


def test_alias_is_an_immutable_value():
    alias = A("WWW.example.com.")
    assert alias == A("www.example.com")
    assert hash(alias) == hash(A("www.example.com"))
    assert len(set([alias, A("www.example.com"), A("api.example.com")])) == 2
    assert str(alias) == "www.example.com"
    assert alias != "www.example.com"
    with pytest.raises(AttributeError):
        alias.foo = 1
    with pytest.raises(AttributeError):
        alias._name = "other.example.com"


def test_alias_base():
    assert A("*.example.com").base == "example.com"
    assert A("www.example.com").base == "www.example.com"


@pytest.mark.parametrize("alias, name, covered", [
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "a.b.example.com", True),
    ("*.example.com", "x.y.z.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "badexample.com", False),
    ("*.example.com", "example.org", False),
    ("www.example.com", "www.example.com", True),
    ("www.example.com", "a.www.example.com", False),
    ("www.example.com", "example.com", False),
])
def test_alias_covers(alias, name, covered):
    assert A(alias).covers(name) is covered
    assert A(alias).covers(A(name)) is covered


@pytest.mark.parametrize("one, other, overlap", [
    ("www.example.com", "www.example.com", True),
    ("*.example.com", "*.example.com", True),
    ("*.example.com", "www.example.com", True),
    ("*.example.com", "a.b.example.com", True),
    ("*.example.com", "*.b.example.com", True),
    ("*.example.com", "*.a.b.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.b.example.com", "b.example.com", False),
    ("*.b.example.com", "c.example.com", False),
    ("*.b.example.com", "*.c.example.com", False),
    ("www.example.com", "api.example.com", False),
    ("www.example.com", "www.example.org", False),
    ("*.example.com", "*.example.org", False),
    ("*.example.com", "www.badexample.com", False),
    ("example.com", "www.example.com", False),
])
def test_alias_overlaps_is_symmetric(one, other, overlap):
    assert A(one).overlaps(A(other)) is overlap
    assert A(other).overlaps(A(one)) is overlap


def test_most_specific_exact_beats_wildcard():
    aliases = [A("*.example.com"), A("www.example.com"), A("*.www.example.com")]
    assert most_specific(aliases, "www.example.com") == A("www.example.com")


def test_most_specific_deeper_wildcard_beats_shallower():
    aliases = [A("*.example.com"), A("*.b.example.com")]
    assert most_specific(aliases, "a.b.example.com") == A("*.b.example.com")
    assert most_specific(list(reversed(aliases)), "a.b.example.com") == A("*.b.example.com")
    assert most_specific(aliases, "a.c.example.com") == A("*.example.com")
    # *.b.example.com does not serve b.example.com; *.example.com does.
    assert most_specific(aliases, "b.example.com") == A("*.example.com")


def test_most_specific_none_when_nothing_covers():
    aliases = [A("*.example.com"), A("www.example.org")]
    assert most_specific(aliases, "example.com") is None
    assert most_specific(aliases, "api.example.org") is None
    assert most_specific([], "www.example.com") is None


# -- certificates: one label only ----------------------------------------------------------


@pytest.mark.parametrize("cert_names, alias, covered", [
    (["*.example.com"], "a.example.com", True),
    (["*.example.com"], "a.b.example.com", False),
    (["*.example.com"], "example.com", False),
    (["*.example.com", "example.com"], "example.com", True),
    (["*.Example.COM."], "a.example.com", True),
    (["www.example.com"], "www.example.com", True),
    (["www.example.com"], "api.example.com", False),
    (["*.example.com"], "*.example.com", True),
    (["a.example.com", "b.example.com"], "*.example.com", False),
    (["example.com"], "*.example.com", False),
    (["*.example.com"], "*.b.example.com", False),
    (["*.b.example.com"], "a.b.example.com", True),
    ([], "a.example.com", False),
    (["not a name!", "*.example.com"], "a.example.com", True),
])
def test_certificate_covers(cert_names, alias, covered):
    assert certificate_covers(cert_names, A(alias)) is covered
    assert certificate_covers(cert_names, A(alias).name) is covered


def test_certificate_with_unicode_name_covers_the_punycode_alias():
    assert certificate_covers([u"*.bücher.example"], A("www.xn--bcher-kva.example"))


# -- AssociateAlias TXT record ---------------------------------------------------------------


def test_txt_challenge_name():
    assert A("www.example.com").txt_challenge_name() == "_www.example.com"
    assert A("*.example.com").txt_challenge_name() == "_.example.com"
    # the challenge name itself is a valid DNS name when underscores are allowed
    assert to_ascii(A("*.example.com").txt_challenge_name(), allow_underscore=True) == "_.example.com"


@pytest.mark.parametrize("alias, zone, expected", [
    ("example.com", "example.com", "_.example.com"),           # '_example.com' would lie outside the zone
    ("www.example.com", "example.com", "_www.example.com"),
    ("www.example.com", "www.example.com", "_.www.example.com"),
    ("*.example.com", "example.com", "_.example.com"),
    ("*.sub.example.com", "example.com", "_.sub.example.com"),
    ("example.com", None, "_example.com"),                     # zone unknown: the rule cannot tell
])
def test_txt_challenge_name_with_the_zone(alias, zone, expected):
    assert A(alias).txt_challenge_name(zone) == expected


def test_txt_challenge_note_names_the_apex_form_only_when_the_zone_is_unknown():
    note = A("example.com").txt_challenge_note()
    assert "_.example.com" in note and "apex" in note
    assert A("example.com").txt_challenge_apex_name() == "_.example.com"
    assert A("example.com").txt_challenge_note("example.com") == ""
    assert A("www.example.com").txt_challenge_note("example.com") == ""
    assert A("www.example.com").txt_challenge_apex_name("example.com") is None
    # a wildcard has one form whatever the zone
    assert A("*.example.com").txt_challenge_note() == ""
    assert A("*.example.com").txt_challenge_apex_name() is None


# -- masked ids ---------------------------------------------------------------


@pytest.mark.parametrize("masked, value, matches", [
    ("*******5PBZ4YV", "E1A2B3C5PBZ4YV", True),
    ("*****5PBZ4YV", "E1A2B3C5PBZ4YV", True),
    ("*5PBZ4YV", "E1A2B3C5PBZ4YV", True),
    ("**************************5PBZ4YV", "E1A2B3C5PBZ4YV", True),
    ("*******5PBZ4YV", "E1A2B3C5PBZ4YX", False),
    ("*******5PBZ4YV", "5PBZ4YV", True),
    ("********1111", "111111111111", True),
    ("********1111", "111111112222", False),
    ("**************", "E1A2B3C5PBZ4YV", False),
    ("*", "E1A2B3C5PBZ4YV", False),
    ("", "E1A2B3C5PBZ4YV", False),
    ("E1A2B3C5PBZ4YV", "E1A2B3C5PBZ4YV", True),
    ("E1A2B3C5PBZ4YV", "XE1A2B3C5PBZ4YV", False),
])
def test_mask_matches(masked, value, matches):
    assert mask_matches(masked, value) is matches


def test_is_masked():
    assert is_masked("*******5PBZ4YV")
    assert is_masked("********1111")
    assert not is_masked("E1A2B3C5PBZ4YV")
    assert not is_masked("111111111111")
    assert not is_masked("")


# -- names and zones ---------------------------------------------------------------


def test_in_zone_and_is_apex():
    assert in_zone("example.com", "example.com")
    assert in_zone("a.b.example.com", "example.com")
    assert not in_zone("badexample.com", "example.com")
    assert not in_zone("example.com", "www.example.com")
    assert is_apex("example.com", "example.com")
    assert not is_apex("www.example.com", "example.com")


# -- strict rules for names a user gives (issue 8, item 7) ----------------------------------

from ansible_collections.aliasguard.cloudfront.plugins.module_utils import _names  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import (  # noqa: E402
    host_name,
    parse_aliases,
)


@pytest.mark.parametrize("text, problem", [
    ("xn--zz.example.com", "not a valid IDNA 2008 A-label"),
    ("www.xn--ls8h.la", "not a valid IDNA 2008 A-label"),  # punycode of an emoji: IDNA 2003 only
    ("XN--ZZ.example.com", "not a valid IDNA 2008 A-label"),
    (u"\U0001F4A9.example.com", "not a valid internationalised name"),
    (u"ab\u200dc.example.com", "not a valid internationalised name"),
])
def test_strict_names_refuse_labels_that_are_not_idna_2008(text, problem):
    with pytest.raises(InvalidName, match=problem):
        to_ascii(text, strict=True)
    with pytest.raises(InvalidName, match=problem):
        Alias.from_input(text)


def test_a_valid_a_label_and_its_u_label_are_the_same_name():
    assert Alias.from_input("xn--bcher-kva.example").name == "xn--bcher-kva.example"
    assert Alias.from_input(u"Bücher.example").name == "xn--bcher-kva.example"
    # IDNA 2008 keeps the sharp s (IDNA 2003 turned it into 'ss', a different name).
    assert Alias.from_input(u"straße.example").name == "xn--strae-oqa.example"


def test_names_read_from_a_service_are_not_held_to_the_strict_rules():
    # CloudFront or a zone may already hold an IDNA 2003 name: reading it must not break a run.
    assert Alias.parse("xn--ls8h.la").name == "xn--ls8h.la"
    assert to_ascii("xn--zz.example.com") == "xn--zz.example.com"


@pytest.mark.parametrize("text, problem", [
    ("*", "wildcard alone"),
    ("com", "at least two labels"),
    ("*.com", "at least two labels"),
    ("localhost", "at least two labels"),
    ("192.0.2.1", "IP address"),
    ("2001:db8::1", "IP address"),
    ("www.example.123", "all digits"),
    ("www_1.example.com", "www_1"),
    ("_www.example.com", "_www"),
])
def test_an_alias_a_user_gives_must_be_a_host_name(text, problem):
    with pytest.raises(InvalidName, match=problem):
        Alias.from_input(text)
    with pytest.raises(InvalidName, match=problem):
        parse_aliases([text])


def test_an_underscore_message_says_where_underscores_belong():
    with pytest.raises(InvalidName, match="challenge"):
        host_name("www_1.example.com")


def test_host_name_allows_wildcards_only_when_asked():
    assert host_name("*.Example.com") == "*.example.com"
    with pytest.raises(InvalidName, match="wildcard is not allowed"):
        host_name("*.example.com", allow_wildcard=False)


def test_a_non_ascii_name_without_the_idna_package_fails_saying_what_to_install(monkeypatch):
    monkeypatch.setattr(_names, "HAS_IDNA2008", False)
    with pytest.raises(InvalidName) as exc:
        to_ascii(u"straße.example")
    text = str(exc.value)
    assert "idna" in text and "straße.example" in text
    assert "strasse" not in text  # no silent IDNA 2003 fallback
    with pytest.raises(InvalidName, match="idna"):
        Alias.from_input("xn--bcher-kva.example")  # an A-label cannot be checked without it either
    # Plain ASCII names do not need it.
    assert Alias.from_input("www.example.com").name == "www.example.com"


def test_to_unicode_without_idna_keeps_the_a_label(monkeypatch):
    monkeypatch.setattr(_names, "HAS_IDNA2008", False)
    assert to_unicode("xn--bcher-kva.example") == "xn--bcher-kva.example"
