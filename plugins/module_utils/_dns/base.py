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


class DnsError(Exception):
    """A DNS provider problem, worded for the user."""

    def __init__(self, message, code=None):
        super(DnsError, self).__init__(message)
        self.code = code


class ConcurrentChange(DnsError):
    """The live records are no longer what was read: nothing was changed."""

    def __init__(self, message):
        super(ConcurrentChange, self).__init__(message, code="ConcurrentChange")


class Zone:
    def __init__(self, name, zone_id=None, data=None):
        self.name = name
        self.id = zone_id
        self.data = data or {}


class Change:
    """Replace ``before`` (the sets as read at one name) by ``after``.

    ``applied`` becomes True once the provider has made the change. ``left_changed``
    is True when a write failed halfway and could not be undone: the name then holds
    neither ``before`` nor ``after`` (the error says what it holds).
    """

    def __init__(self, name, before, after):
        self.name = name
        self.before = list(before)
        self.after = list(after)
        self.applied = False
        self.left_changed = False
        # What reading the records back after the write showed, for providers that do (Cloudflare).
        self.read_back = None

    @property
    def is_noop(self):
        if len(self.before) != len(self.after):
            return False
        after = dict((r.key, r) for r in self.after)
        return all(r.same_data(after.get(r.key)) for r in self.before)


class DnsProvider:
    """What every provider implements."""

    name = None
    # How CloudFront is reached at a zone apex: "alias" (Route 53 alias A/AAAA),
    # "flatten" (a CNAME the provider flattens) or None (the provider cannot).
    apex_mode = None
    # What the provider guarantees about a write made against records someone else changed
    # since they were read, in words (reported with every result).
    write_guarantee = None

    def __init__(self):
        # Things the user should know that do not stop the run (the module warns with them).
        self.warnings = []

    def warn(self, text):
        if text not in self.warnings:
            self.warnings.append(text)

    def find_zone(self, zone_name):
        raise NotImplementedError

    def zone_for_name(self, name):
        """The zone holding ``name`` when the user gave none (longest match)."""
        raise NotImplementedError

    def read(self, zone, names):
        """{name: [RecordSet, ...]} for each name (every type present there)."""
        raise NotImplementedError

    def apply(self, zone, changes):
        """Apply all changes for one zone; return a token for wait_applied (or None).

        Sets ``applied`` on each change that was made. On failure raises DnsError
        saying what the names hold now."""
        raise NotImplementedError

    def wait_applied(self, zone, token, timeout):
        """Wait until the provider says the change is live on its servers."""
        return True

    @property
    def requests(self):
        """API requests sent so far, by service name."""
        return {}
