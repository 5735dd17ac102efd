"""The RFC 2136 part of the sandbox: a real BIND 9, and a logging DNS proxy in front of it.

BIND is the reference implementation of dynamic updates, so the collection's
RFC 2136 code is tested against the real thing rather than a re-implementation.
BIND has no request log of the shape SANDBOX.md asks for and cannot inject
faults, so clients talk to ``DnsProxy``, which relays bytes unchanged (TSIG keeps
verifying end to end), writes one request-log line per message and answers
SERVFAIL itself when the fault policy says so.
"""

import base64
import collections
import glob
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import dns.exception
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update

HOST = "127.0.0.1"
NS_ADDRESS = "127.0.0.1"
ZONE_TTL = 300
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
UPSTREAM_TIMEOUT = 5.0
RESET_BATCH = 500

# Values end up inside named.conf and zone files; anything outside these would
# need quoting rules we do not want to get wrong.
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$")
_ALGORITHM_RE = re.compile(r"^hmac-(md5|sha1|sha224|sha256|sha384|sha512)$")


def find_named():
    """Absolute path of the ``named`` binary, or None when BIND is not installed."""
    found = shutil.which("named")
    if found:
        return os.path.abspath(found)
    # /usr/sbin is often missing from a non-root PATH.
    for candidate in ("/usr/sbin/named", "/usr/local/sbin/named"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _bind_udp_and_tcp(port=0):
    """Bind a TCP and a UDP socket to the same port on HOST; raise OSError on clash."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        tcp.bind((HOST, port))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind((HOST, port))
        except OSError:
            udp.close()
            raise
    except OSError:
        tcp.close()
        raise
    return tcp, udp


def _bound_pair(attempts=50):
    """Sockets bound to a port the OS chose for TCP that is also free for UDP."""
    last_error = None
    for unused in range(attempts):
        try:
            return _bind_udp_and_tcp()
        except OSError as exc:
            # The OS only guarantees the TCP port; the UDP one may be taken.
            last_error = exc
    raise OSError("no port free for both UDP and TCP on %s: %s" % (HOST, last_error))


def free_port():
    """A port that is free on HOST for both UDP and TCP right now."""
    tcp, udp = _bound_pair()
    port = tcp.getsockname()[1]
    tcp.close()
    udp.close()
    return port


def _is_gone(pid):
    """True when ``pid`` no longer runs (reaped, never existed, or a zombie)."""
    try:
        # Reap it if it is our child, or it would stay a zombie forever.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # A zombie whose parent does not reap (e.g. a container without an init)
    # still answers kill(0), yet it is dead.
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _is_gone(pid):
            return True
        time.sleep(0.02)
    return _is_gone(pid)


def stop_pid(pid, timeout=STOP_TIMEOUT):
    """Stop a process by pid: SIGTERM, then SIGKILL after ``timeout`` seconds.

    Tolerates pids that are already gone, so ``down`` can be run twice.
    Returns True when the process is gone.
    """
    if pid is None or _is_gone(pid):
        return True
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        if _wait_gone(pid, timeout):
            return True
    return False


def _check_name(value, what):
    if not _NAME_RE.match(value or ""):
        raise ValueError("%s %r is not a plain DNS name" % (what, value))


class BindServer:
    """One BIND 9 ``named``, one zone, one TSIG key, all files inside ``workdir``."""

    def __init__(self, workdir, zone, tsig_name, tsig_secret, tsig_algorithm="hmac-sha256"):
        _check_name(zone, "zone")
        _check_name(tsig_name, "TSIG key name")
        if not _ALGORITHM_RE.match(tsig_algorithm):
            raise ValueError("unsupported TSIG algorithm %r" % (tsig_algorithm,))
        base64.b64decode(tsig_secret, validate=True)  # named rejects bad base64 with an obscure error
        self.workdir = os.path.abspath(workdir)
        self.zone = zone.rstrip(".")
        self.tsig_name = tsig_name.rstrip(".")
        self.tsig_secret = tsig_secret
        self.tsig_algorithm = tsig_algorithm
        self.port = None
        self.pid = None
        self._proc = None
        self.conf_path = os.path.join(self.workdir, "named.conf")
        self.key_path = os.path.join(self.workdir, "tsig.key")
        self.zone_path = os.path.join(self.workdir, "%s.db" % self.zone)
        self.log_path = os.path.join(self.workdir, "named.log")

    # -- files ---------------------------------------------------------------

    def prepare(self, port=None):
        """Write named.conf, the key and a fresh zone file; pick a port unless given."""
        os.makedirs(self.workdir, exist_ok=True)
        self.port = port or free_port()
        self._write(self.key_path, self._key_text())
        self._write(self.conf_path, self._conf_text())
        self._write(self.zone_path, self._zone_text())
        # A leftover journal would be replayed on top of the fresh zone file.
        for journal in glob.glob(os.path.join(self.workdir, "*.jnl")):
            os.remove(journal)
        return self.conf_path

    @staticmethod
    def _write(path, text):
        with open(path, "w", encoding="ascii") as fh:
            fh.write(text)

    def _key_text(self):
        return 'key "%s" {\n    algorithm %s;\n    secret "%s";\n};\n' % (
            self.tsig_name, self.tsig_algorithm, self.tsig_secret)

    def _conf_text(self):
        d = self.workdir
        return """\
include "{key_path}";

options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    lock-file "{d}/named.lock";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    dump-file "{d}/named_dump.db";
    statistics-file "{d}/named.stats";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    allow-query {{ any; }};
    notify no;
}};

// No rndc: the sandbox stops named by pid, and a control channel would need a port.
controls {{ }};

zone "{zone}" {{
    type primary;
    file "{zone_file}";
    allow-update {{ key "{key}"; }};
    allow-transfer {{ key "{key}"; }};
}};
""".format(d=d, key_path=self.key_path, port=self.port, zone=self.zone,
           zone_file=self.zone_path, key=self.tsig_name)

    def _zone_text(self):
        origin = self.zone + "."
        return """\
$ORIGIN {origin}
$TTL {ttl}
@    IN SOA ns1.{origin} hostmaster.{origin} ( 1 3600 600 86400 60 )
@    IN NS  ns1.{origin}
ns1  IN A   {ns}
""".format(origin=origin, ttl=ZONE_TTL, ns=NS_ADDRESS)

    # -- process -------------------------------------------------------------

    def start(self, named=None, timeout=START_TIMEOUT, attempts=3):
        """Launch named in the foreground, wait until the zone answers; return the pid."""
        named = named or find_named()
        if not named:
            raise RuntimeError("named not found: install BIND 9 (Debian package bind9)")
        if self.port is None:
            self.prepare()
        for attempt in range(attempts):
            try:
                return self._start_once(named, timeout)
            except _PortTaken:
                # free_port() cannot reserve the port; someone took it meanwhile.
                self.stop()
                if attempt == attempts - 1:
                    raise RuntimeError("named could not bind a port after %d attempts" % attempts)
                self.port = free_port()
                self._write(self.conf_path, self._conf_text())

    def _start_once(self, named, timeout):
        with open(self.log_path, "ab") as log:
            log_start = log.tell()
            self._proc = subprocess.Popen(
                [named, "-g", "-c", self.conf_path, "-n", "1"],
                cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                # A Ctrl-C meant for the test runner or the CLI must not reach named.
                start_new_session=True)
        self.pid = self._proc.pid
        self._wait_ready(timeout, log_start)
        return self.pid

    def _wait_ready(self, timeout, log_start):
        deadline = time.monotonic() + timeout
        query = dns.message.make_query(self.zone + ".", "SOA")
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self.log_tail(log_start)
                if _PORT_TAKEN_MESSAGE in tail:
                    raise _PortTaken()
                raise RuntimeError("named exited with status %s:\n%s" % (self._proc.returncode, tail))
            if self._soa_answers(query):
                return
            time.sleep(0.02)
        tail = self.log_tail(log_start)
        self.stop()
        raise RuntimeError("named did not answer for %s within %.0f s:\n%s" % (self.zone, timeout, tail))

    def _soa_answers(self, query):
        try:
            response = dns.query.udp(query, HOST, port=self.port, timeout=0.05)
        except (dns.exception.Timeout, OSError):
            return False
        return response.rcode() == dns.rcode.NOERROR and bool(response.answer)

    def log_tail(self, offset=0, lines=20):
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(offset)
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, pid=None, timeout=STOP_TIMEOUT):
        """Stop named (ours by default, or any pid); tolerant of dead pids."""
        own = self._proc
        if own is not None and pid in (None, own.pid):
            self._proc = self.pid = None
            return self._stop_child(own, timeout)
        return stop_pid(pid if pid is not None else self.pid, timeout)

    @staticmethod
    def _stop_child(proc, timeout):
        # Going through Popen keeps its returncode in sync and reaps the child.
        if proc.poll() is not None:
            return True
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        return True

    # -- zone ----------------------------------------------------------------

    def tsig_key(self):
        return dns.tsig.Key(self.tsig_name + ".", self.tsig_secret, self.tsig_algorithm)

    def tsig_keyring(self):
        key = self.tsig_key()
        return {key.name: key}

    def endpoint(self, port):
        """The ``rfc2136`` entry of endpoints.json; ``port`` is the proxy's, not BIND's."""
        return {"host": HOST, "port": port, "zone": self.zone,
                "tsig": {"name": self.tsig_name, "algorithm": self.tsig_algorithm,
                         "secret": self.tsig_secret}}

    def records(self):
        """Every (name, rdtype) -> rdataset in the zone, via a TSIG-signed AXFR to BIND."""
        origin = dns.name.from_text(self.zone)
        found = {}
        for message in dns.query.xfr(HOST, origin, port=self.port, keyring=self.tsig_key(),
                                     relativize=False, timeout=UPSTREAM_TIMEOUT, lifetime=30):
            for rrset in message.answer:
                found.setdefault((rrset.name, rrset.rdtype), set()).update(rrset)
        return found

    def reset(self):
        """Empty the zone back to SOA, NS and ns1 A without restarting named.

        Talks to BIND directly, not through the proxy, so resets are not logged.
        """
        origin = dns.name.from_text(self.zone)
        changes = _reset_changes(origin, self.records())
        # One update normally; a huge zone is split so no message exceeds 64 KiB.
        for start in range(0, len(changes), RESET_BATCH):
            self._apply(origin, changes[start:start + RESET_BATCH])

    def _apply(self, origin, changes):
        update = dns.update.UpdateMessage(origin, keyring=self.tsig_key())
        for method, args in changes:
            getattr(update, method)(*args)
        response = dns.query.tcp(update, HOST, port=self.port, timeout=UPSTREAM_TIMEOUT)
        if response.rcode() != dns.rcode.NOERROR:
            raise RuntimeError("BIND refused the reset update: %s" % dns.rcode.to_text(response.rcode()))


class _PortTaken(Exception):
    pass


# What named 9.18 logs before exiting when its port was taken between
# free_port() and its own bind().
_PORT_TAKEN_MESSAGE = "unable to listen on any configured interfaces"


def _reset_changes(origin, records):
    """The update operations that turn ``records`` into the fresh zone.

    Additions come first: BIND rejects an update that would leave the apex NS
    without an address, even for a moment between batches.
    """
    ns1 = dns.name.from_text("ns1", origin)
    wanted = {
        (origin, dns.rdatatype.NS): {ns1.to_text()},
        (ns1, dns.rdatatype.A): {NS_ADDRESS},
    }
    changes = []
    for (name, rdtype), keep in sorted(wanted.items()):
        have = {rdata.to_text() for rdata in records.get((name, rdtype), ())}
        changes.extend(("add", (name, ZONE_TTL, rdtype, value)) for value in sorted(keep - have))
    for (name, rdtype), rdatas in sorted(records.items()):
        if (name, rdtype) == (origin, dns.rdatatype.SOA):
            continue
        keep = wanted.get((name, rdtype))
        if keep is None:
            changes.append(("delete", (name, rdtype)))
            continue
        have = {rdata.to_text() for rdata in rdatas}
        changes.extend(("delete", (name, rdtype, value)) for value in sorted(have - keep))
    return changes


# -- the proxy ----------------------------------------------------------------

_HEADER = struct.Struct("!HHHHHH")


def _message_id(wire):
    return struct.unpack_from("!H", wire)[0] if len(wire) >= 2 else None


def _describe_request(wire):
    """(operation, mutating, qname) for the request log; tolerant of a malformed body."""
    flags = struct.unpack_from("!H", wire, 2)[0]
    opcode = dns.opcode.from_flags(flags)
    qname, qtype = "", None
    try:
        message = dns.message.from_wire(wire, question_only=True)
        if message.question:
            qname = message.question[0].name.to_text()
            qtype = message.question[0].rdtype
    except Exception:  # a malformed question still gets forwarded and logged
        pass
    if opcode == dns.opcode.UPDATE:
        return "UPDATE", True, qname
    if qtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
        return dns.rdatatype.to_text(qtype), False, qname
    return "QUERY", False, qname


def _response_rcode(wire):
    """The response's rcode, including the EDNS extended bits when readable."""
    if len(wire) < _HEADER.size:
        return dns.rcode.SERVFAIL
    try:
        # keyring=False reads the TSIG record without verifying it: the client does that.
        return dns.message.from_wire(wire, keyring=False, ignore_trailing=True).rcode()
    except Exception:
        return struct.unpack_from("!H", wire, 2)[0] & 0x000F


class DnsProxy:
    """A logging, fault-injecting DNS relay on 127.0.0.1 (UDP and TCP, one port).

    ``keyring`` (optional, name -> ``dns.tsig.Key``) lets the proxy sign the
    SERVFAIL it invents for injected faults, as BIND would: a client that signed
    its request rejects an unsigned answer as a TSIG error instead of seeing SERVFAIL.
    """

    def __init__(self, upstream_host, upstream_port, log, faults, service="rfc2136", account="",
                 keyring=None):
        self.upstream = (upstream_host, upstream_port)
        self.log = log
        self.faults = faults
        self.service = service
        self.account = account
        self.keyring = keyring
        self.port = None
        self._tcp = None
        self._udp = None
        self._stopping = threading.Event()
        self._connections = set()
        self._lock = threading.Lock()
        self._threads = []

    def start(self):
        self._tcp, self._udp = _bound_pair()
        self.port = self._tcp.getsockname()[1]
        self._tcp.listen(64)
        # Timeouts let the loops notice stop(): closing a socket does not wake a
        # thread blocked in accept() or recvfrom() on Linux.
        self._tcp.settimeout(0.2)
        self._udp.settimeout(0.2)
        for target in (self._serve_udp, self._serve_tcp):
            thread = threading.Thread(target=target, name="dnsproxy-%d" % self.port, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self.port

    def stop(self):
        self._stopping.set()
        for thread in self._threads:
            thread.join(2)
        self._threads = []
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for sock in connections:
            # shutdown() wakes the relay threads blocked in recv(); close() alone does not.
            _shutdown(sock)
        for sock in connections + [self._tcp, self._udp]:
            _close(sock)

    # -- shared ----------------------------------------------------------------

    def _spawn(self, target, *args):
        threading.Thread(target=target, args=args, daemon=True).start()

    def _record(self, request, rcode, **extra):
        operation, mutating, qname = _describe_request(request)
        self.log.record(self.service, operation, self.account, rcode, mutating,
                        rcode=dns.rcode.to_text(rcode), qname=qname, **extra)

    def _inject_fault(self, request):
        """True (and logged) when the policy says to answer SERVFAIL instead of forwarding.

        "throttle" has no DNS equivalent, so only server errors are injected.
        """
        if self.faults is None or self.faults.decide() != "server_error":
            return False
        self._record(request, dns.rcode.SERVFAIL, fault=True)
        return True

    def _servfail(self, request):
        """A SERVFAIL answer to ``request``, signed when we hold its key; None for garbage."""
        try:
            query = self._parse_request(request)
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        except Exception:
            return None

    def _parse_request(self, request):
        if self.keyring:
            try:
                return dns.message.from_wire(request, keyring=self.keyring)
            except Exception:  # unknown key or bad signature: answer unsigned
                pass
        return dns.message.from_wire(request, question_only=True)

    # -- UDP -------------------------------------------------------------------

    def _serve_udp(self):
        while not self._stopping.is_set():
            try:
                request, client = self._udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                continue
            self._spawn(self._handle_udp, request, client)

    def _handle_udp(self, request, client):
        if len(request) < _HEADER.size:
            return  # not a DNS message: nothing to log, and BIND would not answer
        try:
            if self._inject_fault(request):
                answer = self._servfail(request)
            else:
                answer = self._forward_udp(request)
            if answer is not None:
                self._udp.sendto(answer, client)
        except Exception:  # one bad datagram must not take the proxy down
            pass

    def _forward_udp(self, request):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
            upstream.settimeout(UPSTREAM_TIMEOUT)
            upstream.connect(self.upstream)
            upstream.send(request)
            answer = self._receive_udp_answer(upstream, _message_id(request))
        if answer is None:
            # Like a forwarding resolver whose upstream is silent.
            self._record(request, dns.rcode.SERVFAIL, upstream_error=True)
            return self._servfail(request)
        self._record(request, _response_rcode(answer))
        return answer

    @staticmethod
    def _receive_udp_answer(upstream, message_id):
        deadline = time.monotonic() + UPSTREAM_TIMEOUT
        while time.monotonic() < deadline:
            try:
                answer = upstream.recv(65535)
            except (socket.timeout, ConnectionRefusedError):
                return None
            if _message_id(answer) == message_id:
                return answer
        return None

    # -- TCP -------------------------------------------------------------------

    def _serve_tcp(self):
        while not self._stopping.is_set():
            try:
                client, unused = self._tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                continue
            client.settimeout(None)
            self._spawn(self._handle_tcp, client)

    def _handle_tcp(self, client):
        try:
            upstream = socket.create_connection(self.upstream, timeout=UPSTREAM_TIMEOUT)
            upstream.settimeout(None)
        except OSError:
            _close(client)
            return
        session = _TcpSession(self, client, upstream)
        with self._lock:
            self._connections.update((client, upstream))
        try:
            session.run()
        finally:
            with self._lock:
                self._connections.difference_update((client, upstream))


class _TcpSession:
    """One client connection relayed to one upstream connection.

    Responses are matched to requests by message id, so the log line of each
    request carries the rcode of its first response even when a client
    pipelines, and the remaining messages of an AXFR are relayed without logging.
    """

    def __init__(self, proxy, client, upstream):
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.pending = collections.defaultdict(collections.deque)
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()

    def run(self):
        pump = threading.Thread(target=self._relay_responses, daemon=True)
        pump.start()
        try:
            self._relay_requests()
        except Exception:
            pass
        pump.join()
        try:
            self._log_unanswered()
        except Exception:  # the log may already be closed when the proxy stops
            pass
        _close(self.client)
        _close(self.upstream)

    def _relay_requests(self):
        for request in _read_frames(self.client):
            if len(request) < _HEADER.size:
                continue  # not a DNS message: nothing to log, and BIND would not answer
            if self.proxy._inject_fault(request):
                answer = self.proxy._servfail(request)
                if answer is not None:
                    self._send_client(answer)
                continue
            with self.lock:
                self.pending[_message_id(request)].append(request)
            self.upstream.sendall(_frame(request))
        # Pass the client's half-close on, so a pending transfer still completes.
        try:
            self.upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _relay_responses(self):
        try:
            for answer in _read_frames(self.upstream):
                request = self._take_pending(_message_id(answer))
                if request is not None:
                    self.proxy._record(request, _response_rcode(answer))
                self._send_client(answer)
        except Exception:
            pass
        # Upstream is done: wake the request side up, it blocks reading the client.
        _shutdown(self.client)

    def _take_pending(self, message_id):
        with self.lock:
            queue = self.pending.get(message_id)
            if not queue:
                return None
            request = queue.popleft()
            if not queue:
                del self.pending[message_id]
            return request

    def _send_client(self, wire):
        with self.send_lock:
            self.client.sendall(_frame(wire))

    def _log_unanswered(self):
        with self.lock:
            requests = [request for queue in self.pending.values() for request in queue]
            self.pending.clear()
        for request in requests:
            self.proxy._record(request, dns.rcode.SERVFAIL, upstream_error=True)


def _frame(wire):
    return struct.pack("!H", len(wire)) + wire


def _read_exactly(sock, count):
    chunks = []
    while count:
        chunk = sock.recv(count)
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def _read_frames(sock):
    """Yield the length-prefixed DNS messages of a TCP stream until it closes."""
    while True:
        try:
            prefix = _read_exactly(sock, 2)
            if prefix is None:
                return
            wire = _read_exactly(sock, struct.unpack("!H", prefix)[0])
        except OSError:
            return
        if wire is None:
            return
        yield wire


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _close(sock):
    if sock is None:
        return
    try:
        sock.close()
    except OSError:
        pass
