# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's two questions: does a CloudFront name exist (real DNS packets to a tiny server), who holds a name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading

import pytest

dns = pytest.importorskip("dns")
botocore = pytest.importorskip("botocore")
import botocore.exceptions  # noqa: E402
import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.rcode  # noqa: E402
import dns.resolver  # noqa: E402
import dns.rrset  # noqa: E402

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit_checks import (  # noqa: E402
    HolderAsker,
    TargetChecker,
)
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._aws import AwsError  # noqa: E402
from ansible_collections.aliasguard.cloudfront.plugins.module_utils._names import Alias  # noqa: E402

EXISTING = "d111111abcdef8.cloudfront.net"


class CloudFrontServer:
    """A stand-in for a cloudfront.net nameserver on UDP 127.0.0.1: ``mode`` says how it answers.

    authoritative: NOERROR with an address for EXISTING, NXDOMAIN otherwise, AA set; cache: the same without AA
    (a recursive resolver's answer); refused: REFUSED; silent: no answer at all.
    """

    def __init__(self, mode):
        self.mode = mode
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve)
        self._thread.daemon = True
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            query = dns.message.from_wire(wire)
            self.queries.append(query.question[0].name.to_text())
            if self.mode == "silent":
                continue
            response = dns.message.make_response(query)
            name = query.question[0].name.to_text().rstrip(".")
            if self.mode == "refused":
                response.set_rcode(dns.rcode.REFUSED)
            else:
                if self.mode == "authoritative":
                    response.flags |= dns.flags.AA
                if name == EXISTING:
                    response.answer.append(dns.rrset.from_text_list(name + ".", 60, "IN", "A", ["192.0.2.10"]))
                else:
                    response.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(response.to_wire(), peer)


@pytest.fixture
def start():
    servers = []

    def start(mode):
        server = CloudFrontServer(mode)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_an_authoritative_answer_says_whether_the_name_exists(start):
    checker = TargetChecker([start("authoritative").address], timeout=1.0)
    assert checker.check(EXISTING)["exists"] is True
    missing = checker.check("dgone0000000000.cloudfront.net")
    assert missing["exists"] is False and "NXDOMAIN" in missing["detail"]
    assert checker.summary()["missing"] == 1 and checker.summary()["exist"] == 1


@pytest.mark.parametrize("mode, words", [("refused", "refused it"), ("cache", "authoritative (AA) flag"),
                                         ("silent", "did not answer")])
def test_a_server_that_cannot_say_leaves_the_name_unknown_with_the_reason(start, mode, words):
    server = start(mode)
    result = TargetChecker([server.address], timeout=0.3, retries=0).check("dgone0000000000.cloudfront.net")
    assert result["exists"] is None
    assert words in result["detail"] and server.address in result["detail"]


def test_a_server_that_does_not_answer_is_asked_once_not_for_every_name(start):
    silent = start("silent")
    checker = TargetChecker([silent.address], timeout=0.3, retries=0)
    for index in range(5):
        assert checker.check("dgone%010d.cloudfront.net" % index)["exists"] is None
    assert len(silent.queries) == 1
    assert checker.summary()["unknown"] == 5


def test_the_next_server_answers_when_the_first_refuses(start):
    checker = TargetChecker([start("refused").address, start("authoritative").address], timeout=1.0)
    assert checker.check("dgone0000000000.cloudfront.net")["exists"] is False


def test_without_nameservers_a_resolver_that_cannot_see_the_internet_proves_nothing(monkeypatch):
    """The locked-down runner: its resolver answers NXDOMAIN even for cloudfront.net itself."""
    def resolve(name, rdtype, *args, **kwargs):
        raise dns.resolver.NXDOMAIN(qnames=[dns.name.from_text(name)])

    monkeypatch.setattr(dns.resolver, "resolve", resolve)
    checker = TargetChecker(None, timeout=0.3)
    result = checker.check("dgone0000000000.cloudfront.net")
    assert result["exists"] is None
    assert "CloudFront's nameservers could not be found" in result["detail"]
    assert checker.summary()["problem"] == result["detail"]


# -- who holds a name ----------------------------------------------------------------------------


class FakeCloudFront:
    """Answers like CloudFront; ``domain_conflicts`` is an exception to raise, or the items to return."""

    def __init__(self, domain_conflicts, conflicting_aliases=()):
        self.domain_conflicts = domain_conflicts
        self.conflicting_aliases = list(conflicting_aliases)
        self.calls = []

    def list_domain_conflicts(self, **kwargs):
        self.calls.append(("ListDomainConflicts", kwargs))
        if isinstance(self.domain_conflicts, Exception):
            raise self.domain_conflicts
        return {"DomainConflicts": self.domain_conflicts}

    def list_conflicting_aliases(self, **kwargs):
        self.calls.append(("ListConflictingAliases", kwargs))
        return {"ConflictingAliasesList": {"Items": self.conflicting_aliases, "Quantity": len(self.conflicting_aliases)}}


def _error(code, status=400):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "no"},
                                            "ResponseMetadata": {"HTTPStatusCode": status}}, "ListDomainConflicts")


def test_listdomainconflicts_answers_with_tenants_too():
    client = FakeCloudFront([{"Domain": "www.example.com", "ResourceType": "distribution-tenant",
                              "ResourceId": "*******ABC1234", "AccountId": "******222222"}])
    entries, api = HolderAsker(client).holders(Alias.parse("www.example.com"), "E1ABCDEFGHIJKL")
    assert api == "ListDomainConflicts"
    assert entries == [{"Alias": "www.example.com", "DistributionId": "*******ABC1234", "AccountId": "******222222",
                        "ResourceType": "distribution-tenant"}]
    assert client.calls[0][1]["DomainControlValidationResource"] == {"DistributionId": "E1ABCDEFGHIJKL"}


def test_where_listdomainconflicts_is_not_available_listconflictingaliases_answers_from_then_on():
    client = FakeCloudFront(_error("404", 404))
    asker = HolderAsker(client)
    for name in ("a.example.com", "b.example.com"):
        entries, api = asker.holders(Alias.parse(name), "E1ABCDEFGHIJKL")
        assert (entries, api) == ([], "ListConflictingAliases")
    assert [c[0] for c in client.calls] == ["ListDomainConflicts", "ListConflictingAliases", "ListConflictingAliases"]
    assert "does not see distribution tenants" in asker.notes[0]


def test_a_refusal_about_one_name_is_not_taken_for_an_unavailable_operation():
    client = FakeCloudFront(_error("InvalidArgument"))
    with pytest.raises(AwsError) as caught:
        HolderAsker(client).holders(Alias.parse("a.example.com"), "E1ABCDEFGHIJKL")
    assert caught.value.code == "InvalidArgument"


def test_asking_only_listconflictingaliases():
    client = FakeCloudFront([], [{"Alias": "a.example.com", "DistributionId": "*******ABC1234",
                                  "AccountId": "******222222"}])
    entries, api = HolderAsker(client, "ListConflictingAliases").holders(Alias.parse("a.example.com"), "E1ABCDEFGHIJKL")
    assert api == "ListConflictingAliases" and len(entries) == 1
    assert [c[0] for c in client.calls] == ["ListConflictingAliases"]
