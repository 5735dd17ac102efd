"""The RFC 2136 part of the sandbox against a real BIND 9, through the logging proxy."""

import base64
import os
import socket
import struct

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update
import dns.xfr
import pytest

from sandbox.bind import BindServer, DnsProxy, find_named, free_port, stop_pid
from sandbox.faults import FaultPolicy
from sandbox.reqlog import RequestLog, read_log

ZONE = "example.net"
KEY_NAME = "sandbox-key"
HOST = "127.0.0.1"
CNAME = dns.rdatatype.CNAME


class Rfc2136Sandbox:
    def __init__(self, server, proxy, faults, log_path):
        self.server = server
        self.proxy = proxy
        self.faults = faults
        self.log_path = log_path
        self.key = server.tsig_key()

    def log_mark(self):
        return len(read_log(self.log_path))

    def log_since(self, mark):
        return read_log(self.log_path, since=mark)

    def update(self, key="own"):
        keyring = self.key if key == "own" else key
        return dns.update.UpdateMessage(ZONE, keyring=keyring)

    def send(self, message, tcp=False):
        send = dns.query.tcp if tcp else dns.query.udp
        return send(message, HOST, port=self.proxy.port, timeout=5)

    def lookup(self, name, rdtype=CNAME):
        qname = dns.name.from_text(name, dns.name.from_text(ZONE))
        response = self.send(dns.message.make_query(qname, rdtype))
        return response, [rdata.to_text() for rrset in response.answer for rdata in rrset]

    def axfr(self, tcp_port=None, keyring="own"):
        keyring = self.key if keyring == "own" else keyring
        names = set()
        for message in dns.query.xfr(HOST, ZONE, port=tcp_port or self.proxy.port,
                                     keyring=keyring, relativize=False, timeout=5, lifetime=10):
            for rrset in message.answer:
                names.add((rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype)))
        return names


def _process_gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open("/proc/%d/stat" % pid) as fh:
        return fh.read().rsplit(")", 1)[1].split()[0] == "Z"


def _port_closed(port):
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


@pytest.fixture(scope="module")
def rfc(tmp_path_factory):
    named = find_named()
    if named is None:
        pytest.fail("named not found: apt-get install -y bind9")
    root = tmp_path_factory.mktemp("rfc2136")
    secret = base64.b64encode(os.urandom(32)).decode()
    server = BindServer(str(root / "bind"), ZONE, KEY_NAME, secret)
    server.prepare()
    pid = server.start(named)
    log_path = str(root / "requests.jsonl")
    log = RequestLog(log_path)
    faults = FaultPolicy()
    proxy = DnsProxy(HOST, server.port, log, faults, keyring=server.tsig_keyring())
    proxy_port = proxy.start()
    try:
        yield Rfc2136Sandbox(server, proxy, faults, log_path)
    finally:
        proxy.stop()
        log.close()
        assert server.stop(pid)
        assert stop_pid(pid), "stopping an already stopped pid must be harmless"
        assert _process_gone(pid)
        assert _port_closed(proxy_port)
        assert _port_closed(server.port)


@pytest.fixture(autouse=True)
def clean(rfc):
    rfc.faults.off()
    rfc.server.reset()
    yield
    rfc.faults.off()


def test_find_named_is_absolute():
    assert os.path.isabs(find_named())


def test_endpoint_shape(rfc):
    endpoint = rfc.server.endpoint(rfc.proxy.port)
    assert endpoint == {
        "host": HOST, "port": rfc.proxy.port, "zone": ZONE,
        "tsig": {"name": KEY_NAME, "algorithm": "hmac-sha256", "secret": rfc.server.tsig_secret},
    }


def test_named_conf_listens_on_loopback_only(rfc):
    with open(rfc.server.conf_path) as fh:
        conf = fh.read()
    assert "listen-on port %d { 127.0.0.1; };" % rfc.server.port in conf
    assert "listen-on-v6 { none; };" in conf
    assert "controls { };" in conf


def test_signed_update_adds_cname_visible_to_query(rfc):
    mark = rfc.log_mark()
    update = rfc.update()
    update.add("www", 300, "CNAME", "d111111abcdef8.cloudfront.net.")
    assert rfc.send(update).rcode() == dns.rcode.NOERROR

    response, values = rfc.lookup("www")
    assert response.rcode() == dns.rcode.NOERROR
    assert values == ["d111111abcdef8.cloudfront.net."]

    update_line, query_line = rfc.log_since(mark)
    assert (update_line["service"], update_line["operation"], update_line["mutating"]) == ("rfc2136", "UPDATE", True)
    assert (update_line["status"], update_line["rcode"], update_line["qname"]) == (0, "NOERROR", ZONE + ".")
    assert (query_line["operation"], query_line["mutating"], query_line["status"]) == ("QUERY", False, 0)
    assert query_line["qname"] == "www.%s." % ZONE
    assert "fault" not in update_line and "fault" not in query_line


def test_update_over_tcp(rfc):
    update = rfc.update()
    update.add("tcp", 300, "TXT", '"over tcp"')
    assert rfc.send(update, tcp=True).rcode() == dns.rcode.NOERROR
    assert rfc.lookup("tcp", "TXT")[1] == ['"over tcp"']


def test_prerequisite_is_compare_and_swap(rfc):
    first, second, third = ("d%d.cloudfront.net." % n for n in (1, 2, 3))
    setup = rfc.update()
    setup.add("www", 300, "CNAME", first)
    assert rfc.send(setup).rcode() == dns.rcode.NOERROR

    swap = rfc.update()
    swap.present("www", "CNAME", first)
    swap.replace("www", 300, "CNAME", second)
    assert rfc.send(swap).rcode() == dns.rcode.NOERROR
    assert rfc.lookup("www")[1] == [second]

    mark = rfc.log_mark()
    stale = rfc.update()
    stale.present("www", "CNAME", first)  # no longer the current value
    stale.replace("www", 300, "CNAME", third)
    rcode = rfc.send(stale).rcode()
    assert rcode in (dns.rcode.NXRRSET, dns.rcode.YXRRSET)
    assert rfc.lookup("www")[1] == [second]
    line = rfc.log_since(mark)[0]
    assert (line["operation"], line["mutating"], line["status"]) == ("UPDATE", True, rcode)

    create_only = rfc.update()
    create_only.absent("www")
    create_only.add("www", 300, "CNAME", third)
    assert rfc.send(create_only).rcode() == dns.rcode.YXDOMAIN
    assert rfc.lookup("www")[1] == [second]


@pytest.mark.parametrize("wrong", ["secret", "name"])
def test_wrong_tsig_key_is_refused(rfc, wrong):
    other_secret = base64.b64encode(os.urandom(32)).decode()
    name = KEY_NAME if wrong == "secret" else "intruder-key"
    key = dns.tsig.Key(name, other_secret if wrong == "secret" else rfc.server.tsig_secret, "hmac-sha256")
    before = rfc.server.records()
    mark = rfc.log_mark()

    update = rfc.update(key=key)
    update.add("www", 300, "CNAME", "evil.cloudfront.net.")
    try:
        rcode = rfc.send(update).rcode()
    except dns.tsig.PeerError:  # BADSIG / BADKEY, reported by dnspython as an exception
        rcode = dns.rcode.NOTAUTH
    assert rcode == dns.rcode.NOTAUTH

    assert rfc.server.records() == before
    (line,) = rfc.log_since(mark)
    assert (line["operation"], line["mutating"], line["status"], line["rcode"]) == ("UPDATE", True, 9, "NOTAUTH")


def test_unsigned_update_is_refused(rfc):
    before = rfc.server.records()
    mark = rfc.log_mark()
    update = dns.update.UpdateMessage(ZONE)
    update.add("www", 300, "CNAME", "evil.cloudfront.net.")
    assert rfc.send(update).rcode() == dns.rcode.REFUSED
    assert rfc.server.records() == before
    (line,) = rfc.log_since(mark)
    assert (line["operation"], line["mutating"], line["status"], line["rcode"]) == ("UPDATE", True, 5, "REFUSED")


def test_axfr_lists_records_and_reset_empties_the_zone(rfc):
    update = rfc.update()
    update.add("www", 300, "CNAME", "d1.cloudfront.net.")
    update.add("_www", 300, "TXT", '"ownership token"')
    update.add("ns1", 300, "A", "127.0.0.9")   # reset must restore the original address
    update.delete("ns1", "A", "127.0.0.1")
    update.add("@", 300, "NS", "ns.elsewhere.test.")
    assert rfc.send(update).rcode() == dns.rcode.NOERROR
    fresh = {("%s." % ZONE, "SOA"), ("%s." % ZONE, "NS"), ("ns1.%s." % ZONE, "A")}

    mark = rfc.log_mark()
    assert rfc.axfr() == fresh | {("www.%s." % ZONE, "CNAME"), ("_www.%s." % ZONE, "TXT")}
    (line,) = rfc.log_since(mark)
    assert (line["operation"], line["mutating"], line["status"], line["qname"]) == ("AXFR", False, 0, ZONE + ".")

    pid = rfc.server.pid
    mark = rfc.log_mark()
    rfc.server.reset()
    assert rfc.log_since(mark) == [], "resets talk to BIND directly"
    assert rfc.server.pid == pid and not _process_gone(pid)
    assert rfc.axfr() == fresh
    records = rfc.server.records()
    assert [r.to_text() for r in records[(dns.name.from_text(ZONE), dns.rdatatype.NS)]] == ["ns1.%s." % ZONE]
    assert [r.to_text() for r in records[(dns.name.from_text("ns1." + ZONE), dns.rdatatype.A)]] == ["127.0.0.1"]


def test_unsigned_axfr_is_refused(rfc):
    mark = rfc.log_mark()
    with pytest.raises(dns.xfr.TransferError) as error:
        rfc.axfr(keyring=None)
    assert error.value.rcode == dns.rcode.REFUSED
    (line,) = rfc.log_since(mark)
    assert (line["operation"], line["mutating"], line["status"]) == ("AXFR", False, 5)


def test_server_error_fault_answers_servfail_and_changes_nothing(rfc):
    rfc.faults.configure(server_errors=1.0)
    before = rfc.server.records()
    mark = rfc.log_mark()

    update = rfc.update()
    update.add("www", 300, "CNAME", "d1.cloudfront.net.")
    assert rfc.send(update).rcode() == dns.rcode.SERVFAIL  # signed by the proxy, so dnspython accepts it
    assert rfc.send(update, tcp=True).rcode() == dns.rcode.SERVFAIL
    assert rfc.lookup("www")[0].rcode() == dns.rcode.SERVFAIL
    with pytest.raises(dns.xfr.TransferError) as error:
        rfc.axfr()
    assert error.value.rcode == dns.rcode.SERVFAIL

    assert rfc.server.records() == before
    lines = rfc.log_since(mark)
    assert [line["operation"] for line in lines] == ["UPDATE", "UPDATE", "QUERY", "AXFR"]
    assert all(line["fault"] is True and line["status"] == 2 and line["rcode"] == "SERVFAIL" for line in lines)
    assert [line["mutating"] for line in lines] == [True, True, False, False]

    rfc.faults.off()
    assert rfc.send(update).rcode() == dns.rcode.NOERROR
    assert rfc.lookup("www")[1] == ["d1.cloudfront.net."]


def test_throttle_does_not_apply_to_dns(rfc):
    rfc.faults.configure(throttle=1.0)
    mark = rfc.log_mark()
    response, unused = rfc.lookup("ns1", "A")
    assert response.rcode() == dns.rcode.NOERROR
    (line,) = rfc.log_since(mark)
    assert line["status"] == 0 and "fault" not in line


def test_malformed_input_does_not_kill_the_proxy(rfc):
    port = rfc.proxy.port
    junk = struct.pack("!HHHHHH", 0x1234, 0, 1, 0, 0, 0) + b"\xff\xff\xff"  # header, broken question
    mark = rfc.log_mark()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(5)
        udp.sendto(b"\x00", (HOST, port))  # too short to be DNS: dropped
        udp.sendto(junk, (HOST, port))
        flags = struct.unpack_from("!H", udp.recv(512), 2)[0]
        assert dns.rcode.from_flags(flags, 0) == dns.rcode.FORMERR
    with socket.create_connection((HOST, port), timeout=5) as tcp:
        tcp.sendall(b"\x00\x03abc" + struct.pack("!H", len(junk)) + junk)
        assert dns.query.receive_tcp(tcp)[0].rcode() == dns.rcode.FORMERR
    for payload in (b"\x00", b"\xff\xff"):  # streams cut off mid-message
        with socket.create_connection((HOST, port), timeout=5) as tcp:
            tcp.sendall(payload)

    assert rfc.lookup("ns1", "A")[1] == ["127.0.0.1"]
    query = dns.message.make_query("ns1.%s." % ZONE, "A")
    assert rfc.send(query, tcp=True).rcode() == dns.rcode.NOERROR
    assert [(line["operation"], line["rcode"]) for line in rfc.log_since(mark)] == [
        ("QUERY", "FORMERR"), ("QUERY", "FORMERR"), ("QUERY", "NOERROR"), ("QUERY", "NOERROR")]


def test_silent_upstream_is_answered_with_servfail(tmp_path):
    log_path = str(tmp_path / "requests.jsonl")
    log = RequestLog(log_path)
    proxy = DnsProxy(HOST, free_port(), log, FaultPolicy())  # nothing listens upstream
    port = proxy.start()
    try:
        response = dns.query.udp(dns.message.make_query("www.%s." % ZONE, "A"), HOST, port=port, timeout=5)
        assert response.rcode() == dns.rcode.SERVFAIL
    finally:
        proxy.stop()
        log.close()
    (line,) = read_log(log_path)
    assert (line["status"], line["upstream_error"]) == (2, True)
    assert _port_closed(port)


def test_tcp_pipelined_queries_are_logged_once_each(rfc):
    queries = [dns.message.make_query("%s.%s." % (label, ZONE), "A") for label in ("ns1", "nope")]
    mark = rfc.log_mark()
    with socket.create_connection((HOST, rfc.proxy.port), timeout=5) as tcp:
        for query in queries:
            dns.query.send_tcp(tcp, query)
        answers = [dns.query.receive_tcp(tcp)[0] for unused in queries]
    assert sorted(answer.rcode() for answer in answers) == [dns.rcode.NOERROR, dns.rcode.NXDOMAIN]
    lines = rfc.log_since(mark)
    assert sorted((line["qname"], line["rcode"]) for line in lines) == [
        ("nope.%s." % ZONE, "NXDOMAIN"), ("ns1.%s." % ZONE, "NOERROR")]
