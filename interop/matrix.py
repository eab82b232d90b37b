#!/usr/bin/env python3
"""make interop: SecureCoAP against other CoAP, DTLS and COSE implementations, as one matrix.

Every case runs under a time limit and lands in one cell of peer x case x direction:
  ours->peer  our client (the `coap` CLI) against the peer's server; for sealed payloads, we seal
              and the peer opens
  peer->ours  the peer's client against our server (`coap serve`, or `coap-gateway` for sealed
              readings); for sealed payloads, the peer seals and we open
A cell is pass, FAIL, or n/a when the peer cannot play that role or lacks the feature (the note
says which), with the time taken. The table is printed and written to interop/RESULTS.md.

Exit status: 0 when every case that ran passed; 1 when one failed; 2 when the set-up is missing
(our binaries not built, no venv). Run it with the venv's Python (`make interop` does):
  .venv/bin/python interop/matrix.py [--only PEER] [--keep] [--no-write]
BIN_DIR overrides where our binaries are (default: `swift build --show-bin-path`).

Every server binds 127.0.0.1 on a free port, runs under `timeout` as a backstop, and is stopped by
its PID when the run ends. Certificates are made at run time (interop/make-test-pki.sh) in a
temporary directory.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "interop" / "peers"
sys.path.insert(0, str(PEERS))
import dtlswire  # noqa: E402

HOST = "127.0.0.1"
BIG = 70000          # bytes moved block-wise: more than 64 KiB
BLOCK = 64           # the block size asked for (libcoap -b 64, our --block-size 64)
TICK = 0.5           # seconds between changes of an observable counter
CASE_LIMIT = 40.0    # seconds any one case may take
SERVER_BACKSTOP = 900  # seconds `timeout` gives a server if this script dies without stopping it
PSK_KEYS = {"node-1": "key-of-node-1", "node-2": "key-of-node-2"}
LIBCOAP_PSK_KEY = "sesame"


class Fail(Exception):
    """A case's failure, with the reason shown in the table's notes."""


def check(condition, message):
    if not condition:
        raise Fail(message)


# ---------------------------------------------------------------------------------------------
# Processes


class Run:
    def __init__(self, cmd, rc, out, err, seconds, timed_out):
        self.cmd, self.rc, self.out, self.err, self.seconds, self.timed_out = cmd, rc, out, err, seconds, timed_out

    @property
    def text(self):
        return self.out.decode("utf-8", "replace")

    def brief(self):
        """One line about this run, for failure notes."""
        what = "timed out after %.1f s" % self.seconds if self.timed_out else "exit %d" % self.rc
        tail = (self.err.strip().splitlines() or [""])[-1][:160]
        head = self.text.strip()[:80].replace("\n", " | ")
        name = Path(self.cmd[1] if "python" in Path(self.cmd[0]).name else self.cmd[0]).name
        return "%s: %s%s%s" % (name, what, "; stderr: " + tail if tail else "",
                               "; stdout: " + head if head else "")

    def json_lines(self):
        """The peer scripts print one JSON object per response."""
        lines = []
        for line in self.text.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
        return lines


def run(cmd, timeout=20.0, stdin=None, env=None, cwd=None):
    """Runs a process to completion in a session of its own; kills its group after `timeout`."""
    cmd = [str(c) for c in cmd]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=cwd,
                            env=None if env is None else {**os.environ, **env})
    timed_out = False
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)  # the group this child leads
        out, err = proc.communicate()
    return Run(cmd, proc.returncode, out, err.decode("utf-8", "replace"), time.monotonic() - start, timed_out)


class Server:
    """A background server; its stdout and stderr go to a log file in the work directory."""

    def __init__(self, name, cmd, work, env=None):
        self.name = name
        self.log_path = work / ("%s.log" % name)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["timeout", str(SERVER_BACKSTOP)] + [str(c) for c in cmd], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env=None if env is None else {**os.environ, **env})

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def mark(self):
        return len(self.log())

    def since(self, mark):
        return self.log()[mark:]

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM to this server's PID (`timeout` passes it on), then SIGKILL to its group."""
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def tail(self):
        lines = self.log().strip().splitlines()
        return " | ".join(lines[-3:])[-300:]


class Background:
    """A client left running while the case goes on (an observer): its stdout and stderr go to
    files in the work directory, readable while it runs; `timeout` bounds it as a backstop.
    finish() waits for its end; stop() ends its group (call it in a finally)."""

    def __init__(self, name, cmd, work, limit):
        self.cmd = [str(c) for c in cmd]
        self.out_path, self.err_path = work / ("%s.out" % name), work / ("%s.err" % name)
        self.started = time.monotonic()
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(["timeout", str(limit)] + self.cmd, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, start_new_session=True)

    def output(self):
        try:
            return self.out_path.read_bytes()
        except OSError:
            return b""

    def finish(self, timeout):
        """Waits for the end (stops it after `timeout`) -> Run."""
        timed_out = False
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.stop()
        err = self.err_path.read_text(errors="replace") if self.err_path.exists() else ""
        return Run(self.cmd, self.proc.returncode, self.output(), err, time.monotonic() - self.started, timed_out)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group `timeout` leads
            self.proc.wait()


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise Fail("%s within %.0f s" % (what, timeout))


def free_udp_port(pair=False):
    """A UDP port on 127.0.0.1 that was free a moment ago (with pair: P and P + 1, for libcoap's
    servers, which listen for DTLS on P + 1)."""
    for _ in range(50):
        first = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        first.bind((HOST, 0))
        port = first.getsockname()[1]
        try:
            if not pair:
                return port
            if port >= 65535:
                continue
            second = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                second.bind((HOST, port + 1))
                return port
            except OSError:
                continue
            finally:
                second.close()
        finally:
            first.close()
    raise Fail("no free UDP port pair on %s" % HOST)


def coap_ping(port, timeout=15.0):
    """True once an empty CON to the port gets an RST (a CoAP server is up)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.1)
    try:
        deadline = time.monotonic() + timeout
        mid = 0x4000
        while time.monotonic() < deadline:
            mid += 1
            try:
                sock.sendto(bytes([0x40, 0x00, mid >> 8, mid & 0xFF]), (HOST, port))
                data = sock.recv(64)
                if len(data) >= 4 and data[0] & 0x30 == 0x30:
                    return True
            except OSError:  # timeout, or ICMP port unreachable while the server starts
                time.sleep(0.05)
        return False
    finally:
        sock.close()


class SuiteRelay:
    """A UDP relay between a DTLS client and server on loopback that reads the cipher suite out of
    the server's ServerHello (sent in the clear), so that every pair of peers gets the negotiated
    suite reported the same way, whatever its libraries tell."""

    def __init__(self, target_port):
        self.target = (HOST, target_port)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((HOST, 0))
        self.port = self.front.getsockname()[1]
        self.suites = []
        self.datagrams = 0
        self.largest = {"to server": 0, "to client": 0}  # the largest datagram each way
        self.resets_to_server = 0  # CoAP RST messages (empty, type 3) from a client
        self._upstream = {}  # client address -> socket towards the server
        self._clients = {}   # socket -> client address
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            sockets = [self.front] + list(self._clients)
            readable, _, _ = select.select(sockets, [], [], 0.1)
            for sock in readable:
                try:
                    if sock is self.front:
                        data, client = sock.recvfrom(65535)
                        up = self._upstream.get(client)
                        if up is None:
                            up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                            up.connect(self.target)
                            self._upstream[client] = up
                            self._clients[up] = client
                        up.send(data)
                        self.largest["to server"] = max(self.largest["to server"], len(data))
                        if len(data) == 4 and data[0] & 0xF0 == 0x70 and data[1] == 0:
                            self.resets_to_server += 1
                    else:
                        data = sock.recv(65535)
                        suite = dtlswire.server_hello_suite(data)
                        if suite:
                            self.suites.append(suite)
                        self.front.sendto(data, self._clients[sock])
                        self.largest["to client"] = max(self.largest["to client"], len(data))
                    self.datagrams += 1
                except OSError:
                    pass

    @property
    def suite(self):
        return self.suites[0] if self.suites else None

    def close(self):
        self._stop.set()
        self._thread.join(2)
        for sock in [self.front] + list(self._clients):
            sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


def short_suite(name):
    """TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 -> ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256."""
    return (name or "?").replace("TLS_", "", 1)


def large_body(size):
    """The body of /large?size=N on `coap serve` and the aiocoap server."""
    return b"".join(b"%015d\n" % k for k in range(size // 16 + 1))[:size]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# The environment: our binaries, the peers, and the servers (started on first use)

# coap-gateway's devices: name -> (sealing kid, DTLS credential). pycose-1 sends over plain CoAP;
# each PSK device gets a random key; x509-node-42 is the test PKI's client certificate.
GATEWAY_DEVICES = {
    "pycose-1": ("c05e", None),
    "libcoap-openssl": ("d101", "psk"),
    "libcoap-gnutls": ("d102", "psk"),
    "aiocoap-tinydtls": ("d103", "psk"),
    "x509-node-42": ("d1ff", "x509"),
}


class GatewayDevice:
    """A device registered with coap-gateway; next_seq() numbers its sealed readings."""

    def __init__(self, name, kid, secret, psk=None, cert=None):
        self.name, self.kid, self.secret, self.psk, self.cert = name, kid, secret, psk, cert  # cert: (pem, key, ca)
        self._seq = 0
        self._lock = threading.Lock()

    def next_seq(self):
        with self._lock:
            self._seq += 1
            return self._seq

    def libcoap_credentials(self):
        if self.psk is not None:
            return ["-u", self.name, "-k", self.psk]
        pem, key, ca = self.cert
        return ["-c", pem, "-j", key, "-C", ca]


class GatewayFixture:
    def __init__(self, server, port, dtls_port, devices):
        self.server, self.port, self.dtls_port, self.devices = server, port, dtls_port, devices


class Env:
    def __init__(self, bin_dir, work):
        self.bin = bin_dir
        self.work = work
        self.python = sys.executable
        self.servers = []
        self._fixtures = {}
        self._lock = threading.RLock()  # a fixture may need another (the PKI)
        self.big = secrets.token_bytes(BIG)
        self.big_path = work / "big.bin"
        self.big_path.write_bytes(self.big)

    # Our tools and the peers' -------------------------------------------------------------

    def coap(self, *args, timeout=20.0, stdin=None):
        return run([self.bin / "coap"] + list(args), timeout=timeout, stdin=stdin)

    def libcoap_client(self, backend, *args, limit=10, timeout=None):
        tool = require_tool("coap-client-%s" % backend)
        return run([tool, "-v", "0", "-B", str(limit)] + list(args), timeout=timeout or limit + 10)

    def peer_script(self, script, *args, timeout=30.0):
        return run([self.python, PEERS / script] + list(args), timeout=timeout)

    def aiocoap(self, *args, timeout=30.0):
        return self.peer_script("aiocoap_client.py", *args, timeout=timeout)

    def pycose(self, request):
        """Tests/SealingTests/Fixtures/pycose_crosscheck.py: pycose seals and opens for us."""
        script = ROOT / "Tests" / "SealingTests" / "Fixtures" / "pycose_crosscheck.py"
        result = run([self.python, script], stdin=json.dumps(request).encode(), timeout=30)
        check(result.rc == 0, "pycose: " + result.brief())
        return json.loads(result.text)

    # Servers ---------------------------------------------------------------------------------

    def start(self, name, cmd, env=None):
        server = Server(name, cmd, self.work, env=env)
        self.servers.append(server)
        return server

    def fixture(self, key, factory):
        """Starts a server (or other set-up) once; a failure is remembered and reported by every
        case that needs it."""
        with self._lock:
            if key not in self._fixtures:
                try:
                    self._fixtures[key] = (True, factory())
                except Fail as failure:
                    self._fixtures[key] = (False, str(failure))
                except Exception as error:  # noqa: BLE001
                    self._fixtures[key] = (False, "%s: %s" % (type(error).__name__, error))
            ok, value = self._fixtures[key]
        if not ok:
            raise Fail("set-up of %s failed: %s" % (key, value))
        return value

    def stop_all(self):
        for server in reversed(self.servers):
            server.stop()

    def pki(self):
        def make():
            directory = self.work / "pki"
            result = run(["bash", ROOT / "interop" / "make-test-pki.sh", directory], timeout=60)
            check(result.rc == 0, "make-test-pki.sh: " + result.brief())
            return directory
        return self.fixture("test PKI", make)

    def ours(self, kind):
        """`coap serve` (plain, psk or pki) -> (server, port)."""
        def make():
            args = [self.bin / "coap", "serve", "-v", "--tick", TICK, "--handshake-timeout", "3"]
            scheme = "coap"
            if kind == "psk":
                args += ["--no-plain"] + sum((["--psk", "%s:%s" % item] for item in PSK_KEYS.items()), [])
                scheme = "coaps"
            elif kind == "pki":
                pki = self.pki()
                args += ["--no-plain", "--cert", pki / "server.pem", "--key", pki / "server.key",
                         "--ca", pki / "ca.pem", "--require-client-cert"]
                scheme = "coaps"
            server = self.start("ours-%s" % kind, args)
            pattern = re.compile(r"listening on %s://127\.0\.0\.1:(\d+)" % scheme)

            def port():
                check(server.alive(), "coap serve ended: " + server.tail())
                match = pattern.search(server.log())
                return match and int(match.group(1))
            return server, wait_until(port, 20, "coap serve did not print its %s port" % scheme)
        return self.fixture("coap serve (%s)" % kind, make)

    def libcoap_server(self, backend, kind="plain"):
        """coap-server-<backend> -> (server, port); for psk and pki the DTLS port (P + 1)."""
        def make():
            tool = require_tool("coap-server-%s" % backend)
            port = free_udp_port(pair=True)
            args = [tool, "-A", HOST, "-p", port]
            if kind == "plain":
                args += ["-d", "100", "-v", "7"]  # debug: every PDU in the log (Block and Observe options)
            elif kind == "psk":
                args += ["-k", LIBCOAP_PSK_KEY, "-h", "libcoap-hint", "-v", "4"]
            else:
                pki = self.pki()
                args += ["-c", pki / "server.pem", "-j", pki / "server.key", "-C", pki / "ca.pem", "-v", "4"]
            server = self.start("coap-server-%s-%s" % (backend, kind), args)
            check(coap_ping(port), "coap-server-%s did not answer on %d: %s" % (backend, port, server.tail()))
            return server, port if kind == "plain" else port + 1
        return self.fixture("coap-server-%s (%s)" % (backend, kind), make)

    def aiocoap_server(self):
        def make():
            port = free_udp_port()
            server = self.start("aiocoap-server", [self.python, PEERS / "aiocoap_server.py",
                                                   "--bind", "%s:%d" % (HOST, port), "--tick", TICK])

            def up():
                check(server.alive(), "aiocoap_server.py ended: " + server.tail())
                return "listening on coap://" in server.log()
            wait_until(up, 20, "aiocoap_server.py did not start")
            return server, port
        return self.fixture("aiocoap server", make)

    def aiocoap_rd(self):
        def make():
            rd = Path(self.python).parent / "aiocoap-rd"
            check(rd.exists(), "aiocoap-rd is missing from the venv: run `make venv`")
            port = free_udp_port()
            server = self.start("aiocoap-rd", [self.python, rd, "--bind", "%s:%d" % (HOST, port)])
            check(coap_ping(port, 20), "aiocoap-rd did not answer on %d: %s" % (port, server.tail()))
            return server, port
        return self.fixture("aiocoap-rd", make)

    def gateway(self):
        """A registry with the devices of GATEWAY_DEVICES, each with a sealing secret that pycose can
        seal with (and a PSK, or the test PKI's client certificate), allowed POST /readings; and
        coap-gateway on free ports, with the test PKI's server certificate -> GatewayFixture."""
        def make():
            pki = self.pki()
            data = self.work / "gateway-data"
            data.mkdir()
            env = {"SECURECOAP_REGISTRY_DB": str(data / "registry.db")}
            registry = self.bin / "coap-registry"
            result = run([registry, "init"], env=env, timeout=30)
            check(result.rc == 0, "coap-registry init: " + result.brief())
            devices = {}
            for name, (kid, credential) in GATEWAY_DEVICES.items():
                secret = self.sealing_secret(kid, 10)
                secret_file = self.work / ("%s.secret" % name)
                secret_file.write_text(secret + "\n")
                secret_file.chmod(0o600)
                args = ["add", name, "--sealing-secret-file", secret_file, "--kid", kid, "--alg", "10",
                        "--allow", "POST /readings"]
                if credential == "psk":
                    psk = secrets.token_hex(8)  # 16 characters: tinydtls takes at most 18 bytes
                    args += ["--psk-key", psk]
                    device = GatewayDevice(name, kid, secret, psk=psk)
                elif credential == "x509":
                    args += ["--cert-file", pki / "client.pem"]  # its fingerprint and CN (node-42)
                    device = GatewayDevice(name, kid, secret, cert=(pki / "client.pem", pki / "client.key", pki / "ca.pem"))
                else:
                    device = GatewayDevice(name, kid, secret)
                result = run([registry] + args, env=env, timeout=30)
                check(result.rc == 0, "coap-registry add %s: %s" % (name, result.brief()))
                devices[name] = device
            ports = self.work / "gateway.ports"
            server = self.start("coap-gateway", [self.bin / "coap-gateway", "run", "--data", data, "--port", "0",
                                                 "--dtls-port", "0", "--ports-file", ports, "--log-level", "notice",
                                                 "--cert", pki / "server.pem", "--key", pki / "server.key",
                                                 "--ca", pki / "ca.pem"])

            def up():
                check(server.alive(), "coap-gateway ended: " + server.tail())
                values = ports.read_text().split() if ports.exists() else []
                return len(values) == 2 and values  # "PLAIN DTLS"
            plain, dtls = (int(v) for v in wait_until(up, 30, "coap-gateway did not write its ports"))
            return GatewayFixture(server, plain, dtls, devices)
        return self.fixture("coap-gateway", make)

    def sealed_reading(self, device):
        """pycose seals [{"n":"temp","u":"Cel","v":V}] (SenML JSON) for a gateway device with its
        next sequence number; V = 20 + seq / 4, a value no other reading of the device has ->
        (the file of the COSE_Encrypt0 message, V)."""
        seq = device.next_seq()
        value = 20 + seq / 4
        senml = json.dumps([{"n": "temp", "u": "Cel", "v": value}]).encode()
        sealed = self.pycose({"seal": [{"secret": device.secret, "device": device.name, "kid": device.kid, "alg": 10,
                                        "seq": seq, "content_format": 110, "plaintext": senml.hex()}]})["seal"][0]
        check("message" in sealed, "pycose did not seal: %s" % sealed)
        path = self.work / ("%s-%d.cose" % (device.name, seq))
        path.write_bytes(bytes.fromhex(sealed["message"]))
        return path, value

    def sealing_secret(self, kid, alg):
        """A fresh device secret that pycose 1.1.0 can seal with for (kid, alg): its nonce code
        drops a leading zero byte of the Base IV, so secrets whose Base IV starts with 0x00 are
        skipped (Tests/SealingTests/Fixtures/pycose_crosscheck.py says more)."""
        for _ in range(20):
            secret = secrets.token_hex(32)
            reply = self.pycose({"seal": [{"secret": secret, "device": "probe", "kid": kid, "alg": alg, "seq": 1,
                                           "content_format": 0, "plaintext": ""}]})
            if "message" in reply["seal"][0]:
                return secret
        raise Fail("no usable sealing secret in 20 tries")


def require_tool(name):
    path = shutil.which(name)
    check(path is not None, "%s is missing: install libcoap3-bin (make interop does)" % name)
    return path


# ---------------------------------------------------------------------------------------------
# Cases


class Case:
    def __init__(self, peer, name, direction, body=None, na=None):
        self.peer, self.name, self.direction, self.body, self.na = peer, name, direction, body, na
        self.status, self.seconds, self.note = None, 0.0, ""


OURS_TO_PEER, PEER_TO_OURS = "ours->peer", "peer->ours"
CASES = []


def case(peer, name, direction):
    """Registers the decorated function as the body of one cell."""
    def register(body):
        CASES.append(Case(peer, name, direction, body=body))
        return body
    return register


def not_applicable(peer, name, direction, reason):
    """A cell the peer cannot fill; the reason is its note."""
    CASES.append(Case(peer, name, direction, na=reason))


def response_code(result):
    """The response code our CLI reports (-v puts it on stderr's first line; a failure line has it
    too)."""
    match = re.search(r"\b([245]\.\d\d)\b", result.err)
    return match.group(1) if match else None


def our_request(env, method, uri, *args, expect_code=None, timeout=20.0):
    result = env.coap(method, "-v", *args, uri, timeout=timeout)
    code = response_code(result)
    if expect_code is not None:
        check(code == expect_code, "%s %s: expected %s, got %s (%s)" % (method.upper(), uri, expect_code, code, result.brief()))
    return result


def wait_for_log(server, mark, pattern, timeout=3.0):
    regex = re.compile(pattern)
    try:
        return wait_until(lambda: regex.search(server.since(mark)), timeout, "")
    except Fail:
        return None


def senml_packs(text):
    """The SenML JSON packs (arrays) in a text: libcoap's client writes the bodies of an
    observation one after the other, with nothing between them."""
    decoder = json.JSONDecoder()
    packs, index = [], 0
    while True:
        index = text.find("[", index)
        if index < 0:
            return packs
        try:
            value, index = decoder.raw_decode(text, index)
        except ValueError:
            index += 1
            continue
        if isinstance(value, list):
            packs.append(value)


def has_reading(pack, device, value):
    """Whether a SenML pack from GET /readings/<device> holds the reading sealed_reading made
    (the gateway names a record <device>/<name>)."""
    return any(isinstance(r, dict) and r.get("n") == device.name + "/temp" and r.get("v") == value for r in pack)


# --- plain CoAP, our client against a server (libcoap's coap-server-notls or aiocoap) ---------

PLAIN_CASES = ["GET", "PUT", "POST", "DELETE", "observe", "Block1 upload", "Block2 download", "/.well-known/core"]


def plain_server_cases(peer, server_of, flavor):
    """Our CLI against a plain CoAP server; flavor is "libcoap" or "aiocoap" (their resources
    differ)."""

    def base(env):
        _, port = server_of(env)
        return "coap://%s:%d" % (HOST, port)

    @case(peer, "GET", OURS_TO_PEER)
    def _(env):
        uri = base(env) + ("/" if flavor == "libcoap" else "/hello")
        result = our_request(env, "get", uri, expect_code="2.05")
        expected = b"libcoap" if flavor == "libcoap" else b"hello"
        check(expected in result.out, "unexpected body: " + result.brief())
        return "GET /" + uri.split("/", 3)[3]

    @case(peer, "PUT", OURS_TO_PEER)
    def _(env):
        uri = base(env) + "/store/put-1"
        our_request(env, "put", uri, "--payload", "one", expect_code="2.01")
        our_request(env, "put", uri, "--payload", "two", expect_code="2.04")
        result = our_request(env, "get", uri, expect_code="2.05")
        check(result.out.rstrip(b"\n") == b"two", "read back: " + result.brief())
        return "2.01 Created, then 2.04 Changed, read back"

    @case(peer, "POST", OURS_TO_PEER)
    def _(env):
        uri = base(env) + "/store/post-1"
        our_request(env, "post", uri, "--payload", "posted", expect_code="2.01")
        result = our_request(env, "get", uri, expect_code="2.05")
        check(result.out.rstrip(b"\n") == b"posted", "read back: " + result.brief())
        return "2.01 Created, read back"

    @case(peer, "DELETE", OURS_TO_PEER)
    def _(env):
        uri = base(env) + "/store/delete-1"
        our_request(env, "put", uri, "--payload", "doomed", expect_code="2.01")
        our_request(env, "delete", uri, expect_code="2.02")
        result = our_request(env, "get", uri)
        check(result.rc == 1 and response_code(result) == "4.04", "after DELETE: " + result.brief())
        return "2.02 Deleted, then 4.04"

    @case(peer, "observe", OURS_TO_PEER)
    def _(env):
        server, _ = server_of(env)
        mark = server.mark()
        path = "/time" if flavor == "libcoap" else "/counter"
        result = env.coap("observe", "--count", "3", "--timeout", "10", base(env) + path, timeout=30)
        lines = result.text.strip().splitlines()
        check(result.rc == 0 and len(lines) == 3, "observe: " + result.brief())
        if flavor == "libcoap":
            gone = wait_for_log(server, mark, r"c:GET [^\n]*Observe:1,[^\n]*Uri-Path:time")
            check(gone, "coap-server logged no deregistration (GET with Observe: 1)")
            return "3 notifications of /time; deregistered with GET Observe:1"
        gone = wait_for_log(server, mark, r"observers of /counter: 1[\s\S]*observers of /counter: 0")
        check(gone, "aiocoap still counts the observation: " + server.tail())
        values = [int(v) for v in lines]
        check(values == sorted(values), "values not rising: %s" % values)
        return "3 notifications %s; aiocoap's observer count back to 0" % values

    @case(peer, "Block1 upload", OURS_TO_PEER)
    def _(env):
        server, _ = server_of(env)
        mark = server.mark()
        if flavor == "libcoap":
            uri = base(env) + "/store/big-up"
            our_request(env, "put", uri, "--block-size", str(BLOCK), "--payload-file", env.big_path,
                        expect_code="2.01", timeout=60)
            blocks = len(re.findall(r"c:PUT [^\n]*Block1:\d+/[M_]/%d\b" % BLOCK, server.since(mark)))
            out = env.work / "big-up.out"
            result = env.coap("get", "--output", out, uri, timeout=60)
            check(result.rc == 0 and out.read_bytes() == env.big, "read back differs: " + result.brief())
            check(blocks * BLOCK >= BIG, "coap-server logged %d Block1 requests of %d bytes" % (blocks, BLOCK))
            return "PUT %d B in %d blocks of %d B; read back equal" % (BIG, blocks, BLOCK)
        result = our_request(env, "post", base(env) + "/upload", "--block-size", str(BLOCK),
                             "--payload-file", env.big_path, expect_code="2.04", timeout=60)
        check(result.text.strip() == sha256(env.big), "SHA-256 differs: " + result.brief())
        blocks = len(re.findall(r"block1=BlockwiseTuple\(block_number=\d+, more=\w+, size_exponent=2\)", server.since(mark)))
        check(blocks * BLOCK >= BIG, "aiocoap logged %d Block1 requests of %d bytes" % (blocks, BLOCK))
        return "POST %d B in %d blocks of %d B; SHA-256 equal" % (BIG, blocks, BLOCK)

    @case(peer, "Block2 download", OURS_TO_PEER)
    def _(env):
        server, _ = server_of(env)
        if flavor == "libcoap":
            uri = base(env) + "/store/big-down"
            our_request(env, "put", uri, "--payload-file", env.big_path, expect_code="2.01", timeout=60)
            expected = env.big
        else:
            uri = base(env) + "/large?size=%d" % BIG
            expected = large_body(BIG)
        mark = server.mark()
        out = env.work / "big-down.out"
        result = env.coap("get", "--block-size", str(BLOCK), "--output", out, uri, timeout=60)
        check(result.rc == 0, "GET: " + result.brief())
        check(out.read_bytes() == expected, "body differs (%d of %d bytes)" % (len(out.read_bytes()), BIG))
        if flavor == "libcoap":
            blocks = len(re.findall(r"c:GET [^\n]*Block2:\d+/_/%d\b" % BLOCK, server.since(mark)))
        else:
            blocks = len(re.findall(r"block2=BlockwiseTuple\(block_number=\d+, more=False, size_exponent=2\)", server.since(mark)))
        check(blocks * BLOCK >= BIG - BLOCK, "the server logged %d Block2 requests of %d bytes" % (blocks, BLOCK))
        return "GET %d B in %d blocks of %d B; equal" % (BIG, blocks, BLOCK)

    @case(peer, "/.well-known/core", OURS_TO_PEER)
    def _(env):
        result = env.coap("discover", base(env) + "/")
        links = result.text.splitlines()
        target = "</time>" if flavor == "libcoap" else "</counter>"
        check(result.rc == 0 and any(l.startswith(target) and "obs" in l for l in links), "discover: " + result.brief())
        return "%d links, %s;obs among them" % (len(links), target)


# --- plain CoAP, a peer's client against `coap serve` ----------------------------------------

def plain_client_cases(peer, flavor):
    """A peer's client against `coap serve` (plain); flavor is "libcoap" or "aiocoap"."""

    def ours(env):
        return env.ours("plain")

    def base(env):
        return "coap://%s:%d" % (HOST, ours(env)[1])

    def request(env, method, uri, payload=None, extra=()):
        """-> (code or None, body bytes, run)."""
        if flavor == "libcoap":
            args = ["-m", method] + (["-e", payload] if payload is not None else []) + list(extra) + [uri]
            result = env.libcoap_client("notls", *args)
            text = result.text + result.err
            match = re.search(r"\b([45]\.\d\d)\b", text)
            return (match.group(1) if match else None), result.out, result
        args = [uri, "--method", method] + (["--payload", payload] if payload is not None else []) + list(extra)
        result = env.aiocoap(*args)
        responses = result.json_lines()
        if not responses:
            return None, b"", result
        return responses[0]["code"], responses[0]["payload"].encode(), result

    def code_in_log(server, mark, method, path):
        line = wait_for_log(server, mark, r"%s %s [^\n]*-> (\d\.\d\d)" % (method, re.escape(path)))
        return line.group(1) if line else None

    @case(peer, "GET", PEER_TO_OURS)
    def _(env):
        code, body, result = request(env, "get", base(env) + "/hello")
        check(body.rstrip(b"\n") == b"hello", "GET /hello: " + result.brief())
        return "GET /hello"

    @case(peer, "PUT", PEER_TO_OURS)
    def _(env):
        server, _ = ours(env)
        path = "/store/%s-put" % flavor
        codes = []
        for value in ("one", "two"):
            mark = server.mark()
            code, _, result = request(env, "put", base(env) + path, value)
            codes.append(code if flavor == "aiocoap" else code_in_log(server, mark, "PUT", path))
        check(codes == ["2.01", "2.04"], "codes %s" % codes)
        _, body, result = request(env, "get", base(env) + path)
        check(body.rstrip(b"\n") == b"two", "read back: " + result.brief())
        return "2.01 Created, then 2.04 Changed, read back"

    @case(peer, "POST", PEER_TO_OURS)
    def _(env):
        server, _ = ours(env)
        path = "/store/%s-post" % flavor
        mark = server.mark()
        code, _, result = request(env, "post", base(env) + path, "posted")
        if flavor == "libcoap":
            code = code_in_log(server, mark, "POST", path)
        check(code == "2.01", "POST: %s (%s)" % (code, result.brief()))
        _, body, result = request(env, "get", base(env) + path)
        check(body.rstrip(b"\n") == b"posted", "read back: " + result.brief())
        return "2.01 Created, read back"

    @case(peer, "DELETE", PEER_TO_OURS)
    def _(env):
        server, _ = ours(env)
        path = "/store/%s-delete" % flavor
        request(env, "put", base(env) + path, "doomed")
        mark = server.mark()
        code, _, result = request(env, "delete", base(env) + path)
        if flavor == "libcoap":
            code = code_in_log(server, mark, "DELETE", path)
        check(code == "2.02", "DELETE: %s (%s)" % (code, result.brief()))
        code, _, result = request(env, "get", base(env) + path)
        check(code == "4.04", "GET after DELETE: %s (%s)" % (code, result.brief()))
        return "2.02 Deleted, then 4.04"

    @case(peer, "observe", PEER_TO_OURS)
    def _(env):
        server, _ = ours(env)
        mark = server.mark()
        with SuiteRelay(ours(env)[1]) as relay:
            uri = "coap://%s:%d/counter" % (HOST, relay.port)
            if flavor == "libcoap":
                result = env.libcoap_client("notls", "-s", "3", "-w", uri, limit=10)
                values = [int(v) for v in result.text.split() if v.isdigit()]
            else:
                result = env.aiocoap(uri, "--observe", "4", "--linger", str(3 * TICK), "--timeout", "10")
                values = [int(r["payload"]) for r in result.json_lines() if r["payload"].isdigit()]
            check(len(values) >= 3 and values == sorted(values) and values[-1] > values[0],
                  "values %s: %s" % (values, result.brief()))
            explicit = wait_for_log(server, mark, r"GET /counter observe=1 ", 2 * TICK)
            if not explicit:
                # RFC 7641 §3.6 also lets a client forget an observation and answer the next
                # notification with RST.
                wait_until(lambda: relay.resets_to_server, 4 * TICK + 1, "no deregistration: neither GET Observe:1 nor RST")
            # Then our server stops notifying (the relay's socket would still receive them).
            after = server.mark()
            time.sleep(3 * TICK)
            late = server.since(after).count("GET /counter observe=0")
            check(late == 0, "%d notifications after the deregistration" % late)
        how = "GET Observe:1" if explicit else "RST to the next notification"
        return "%d notifications %s; deregistered by %s; no notification after it" % (len(values), values[:6], how)

    # Our server reassembles Block1 and serves Block2 inside libcoap, so its log shows one request:
    # a relay counts the datagrams and the largest one instead.

    @case(peer, "Block1 upload", PEER_TO_OURS)
    def _(env):
        with SuiteRelay(ours(env)[1]) as relay:
            uri = "coap://%s:%d/upload" % (HOST, relay.port)
            if flavor == "libcoap":
                result = env.libcoap_client("notls", "-m", "post", "-b", str(BLOCK), "-f", env.big_path, uri, limit=40)
                digest = result.text.strip()
            else:
                result = env.aiocoap(uri, "--method", "post", "--payload-file", env.big_path,
                                     "--block-size", str(BLOCK), "--timeout", "40", timeout=50)
                responses = result.json_lines()
                digest = responses[0]["payload"] if responses else ""
        check(digest == sha256(env.big), "SHA-256 from our server: " + result.brief())
        largest = relay.largest["to server"]
        check(largest < BLOCK + 64 and relay.datagrams >= 2 * BIG // BLOCK,
              "%d datagrams, the largest request %d B" % (relay.datagrams, largest))
        return "POST %d B: %d datagrams, requests of at most %d B; SHA-256 equal" % (BIG, relay.datagrams, largest)

    @case(peer, "Block2 download", PEER_TO_OURS)
    def _(env):
        with SuiteRelay(ours(env)[1]) as relay:
            uri = "coap://%s:%d/large?size=%d" % (HOST, relay.port, BIG)
            if flavor == "libcoap":
                out = env.work / ("large-%s.out" % flavor)
                result = env.libcoap_client("notls", "-b", str(BLOCK), "-o", out, uri, limit=40)
                body_sha = sha256(out.read_bytes()) if out.exists() else "-"
            else:
                result = env.aiocoap(uri, "--block-size", str(BLOCK), "--timeout", "40", timeout=50)
                responses = result.json_lines()
                body_sha = responses[0]["sha256"] if responses else "-"
        check(body_sha == sha256(large_body(BIG)), "body differs: " + result.brief())
        largest = relay.largest["to client"]
        check(largest < BLOCK + 64 and relay.datagrams >= 2 * BIG // BLOCK,
              "%d datagrams, the largest response %d B" % (relay.datagrams, largest))
        return "GET %d B: %d datagrams, responses of at most %d B; equal" % (BIG, relay.datagrams, largest)

    @case(peer, "/.well-known/core", PEER_TO_OURS)
    def _(env):
        _, body, result = request(env, "get", base(env) + "/.well-known/core")
        text = body.decode("utf-8", "replace")
        check("</counter>" in text and "obs" in text and "</large>" in text, "links: " + result.brief())
        return "%d links" % len(text.split(","))


# --- DTLS between libcoap (OpenSSL, GnuTLS) and us -------------------------------------------

def libcoap_dtls_cases(backend):
    peer = "libcoap (%s)" % backend

    @case(peer, "DTLS PSK", OURS_TO_PEER)
    def _(env):
        _, port = env.libcoap_server(backend, "psk")
        with SuiteRelay(port) as relay:
            result = env.coap("get", "--psk-identity", "node-1", "--psk-key", LIBCOAP_PSK_KEY,
                              "coaps://%s:%d/" % (HOST, relay.port))
        check(result.rc == 0 and b"libcoap" in result.out, "GET over DTLS: " + result.brief())
        return short_suite(relay.suite)

    @case(peer, "DTLS PSK", PEER_TO_OURS)
    def _(env):
        _, port = env.ours("psk")
        with SuiteRelay(port) as relay:
            result = env.libcoap_client(backend, "-u", "node-1", "-k", PSK_KEYS["node-1"],
                                        "coaps://%s:%d/identity" % (HOST, relay.port))
        check(result.text.strip() == "node-1", "GET /identity: " + result.brief())
        return short_suite(relay.suite)

    @case(peer, "PSK wrong key refused", OURS_TO_PEER)
    def _(env):
        _, port = env.libcoap_server(backend, "psk")
        result = env.coap("get", "--psk-identity", "node-1", "--psk-key", "not-" + LIBCOAP_PSK_KEY,
                          "--handshake-timeout", "2", "coaps://%s:%d/" % (HOST, port))
        check(result.rc == 5 and not result.out, "expected exit 5 (DTLS failure): " + result.brief())
        check(result.seconds < 10, "took %.1f s" % result.seconds)
        return "our client: exit 5 in %.1f s" % result.seconds

    @case(peer, "PSK wrong key refused", PEER_TO_OURS)
    def _(env):
        return libcoap_refused(env, backend, ["-u", "node-2", "-k", PSK_KEYS["node-1"]], "psk",
                               r"\(identity node-2\): timeout")

    not_applicable(peer, "PSK unknown identity refused", OURS_TO_PEER,
                   "coap-server takes any identity with its one key (-k); -i only picks other keys")

    @case(peer, "PSK unknown identity refused", PEER_TO_OURS)
    def _(env):
        identity = "stranger-" + backend
        return libcoap_refused(env, backend, ["-u", identity, "-k", "whatever"], "psk",
                               r"\(identity %s\): unknownIdentity" % identity)

    @case(peer, "X.509 mutual auth", OURS_TO_PEER)
    def _(env):
        pki = env.pki()
        _, port = env.libcoap_server(backend, "pki")
        with SuiteRelay(port) as relay:
            result = env.coap("get", "--cert", pki / "client.pem", "--key", pki / "client.key", "--ca", pki / "ca.pem",
                              "coaps://%s:%d/" % (HOST, relay.port))
        check(result.rc == 0 and b"libcoap" in result.out, "GET over DTLS: " + result.brief())
        return "%s; both chains checked" % short_suite(relay.suite)

    @case(peer, "X.509 mutual auth", PEER_TO_OURS)
    def _(env):
        pki = env.pki()
        _, port = env.ours("pki")
        with SuiteRelay(port) as relay:
            result = env.libcoap_client(backend, "-c", pki / "client.pem", "-j", pki / "client.key", "-C", pki / "ca.pem",
                                        "coaps://%s:%d/identity" % (HOST, relay.port))
        check(result.text.strip() == "node-42", "GET /identity (the client certificate's CN): " + result.brief())
        return "%s; /identity = node-42 (client CN)" % short_suite(relay.suite)

    @case(peer, "X.509 wrong CA refused", OURS_TO_PEER)
    def _(env):
        pki = env.pki()
        _, port = env.libcoap_server(backend, "pki")
        uri = "coaps://%s:%d/" % (HOST, port)
        # We refuse a server whose chain leads to another CA ...
        ours = env.coap("get", "--cert", pki / "client.pem", "--key", pki / "client.key", "--ca", pki / "rogue-ca.pem",
                        "--handshake-timeout", "3", uri)
        check(ours.rc == 5 and not ours.out and "trusted CA" in ours.err, "our client with the wrong CA: " + ours.brief())
        # ... and the peer refuses our certificate from a CA it does not trust.
        theirs = env.coap("get", "--cert", pki / "rogue.pem", "--key", pki / "rogue.key", "--ca", pki / "ca.pem",
                          "--handshake-timeout", "3", uri)
        check(theirs.rc == 5 and not theirs.out and "alert" in theirs.err,
              "coap-server-%s with our rogue certificate: %s" % (backend, theirs.brief()))
        check(ours.seconds + theirs.seconds < 15, "took %.1f s" % (ours.seconds + theirs.seconds))
        return "we refuse theirs (%s, %.1f s); they refuse ours (%s, %.1f s)" % (
            last_line(ours.err), ours.seconds, last_line(theirs.err), theirs.seconds)

    @case(peer, "X.509 wrong CA refused", PEER_TO_OURS)
    def _(env):
        pki = env.pki()
        server, port = env.ours("pki")
        uri = "coaps://%s:%d/identity" % (HOST, port)
        mark = server.mark()
        start = time.monotonic()
        # We refuse a client certificate from another CA (GnuTLS does not even send it: it offers
        # only certificates from the CAs the server names, and is then refused for having none) ...
        rogue = env.libcoap_client(backend, "-c", pki / "rogue.pem", "-j", pki / "rogue.key", "-C", pki / "ca.pem", uri, limit=5)
        check(b"node" not in rogue.out, "our server answered a rogue certificate: " + rogue.brief())
        refused = wait_for_log(server, mark, r"handshake from [^\n]*: ((certificateRefused|failed)\([^\n]*\))", 8)
        check(refused, "our server logged no refusal: " + server.tail())
        # ... and the peer refuses our server's chain when it trusts another CA.
        mark = server.mark()
        wrong_ca = env.libcoap_client(backend, "-c", pki / "client.pem", "-j", pki / "client.key", "-C", pki / "rogue-ca.pem",
                                      uri, limit=5)
        check(b"node" not in wrong_ca.out, "coap-client-%s accepted our server with the wrong CA: %s" % (backend, wrong_ca.brief()))
        alert = wait_for_log(server, mark, r"handshake from [^\n]*: failed\([^\n]*alert[^\n]*\)", 8)
        check(alert, "our server saw no alert from the client: " + server.tail())
        seconds = time.monotonic() - start
        check(seconds < 20, "took %.1f s" % seconds)
        return "we refuse theirs (%s); they refuse ours (our server gets alert unknown CA)" % outcome_text(refused.group(1))

    # Sealed readings over DTLS to coap-gateway: each backend has a PSK device of its own; both
    # use the test PKI's client certificate (one device, x509-node-42).

    @case(peer, "sealed reading -> coap-gateway (PSK)", PEER_TO_OURS)
    def _(env):
        return libcoap_gateway_post(env, backend, env.gateway().devices["libcoap-" + backend])

    @case(peer, "sealed reading -> coap-gateway (X.509)", PEER_TO_OURS)
    def _(env):
        return libcoap_gateway_post(env, backend, env.gateway().devices["x509-node-42"])

    @case(peer, "observe readings on coap-gateway", PEER_TO_OURS)
    def _(env):
        return libcoap_gateway_observe(env, backend, env.gateway().devices["libcoap-" + backend])

    for name in GATEWAY_CASES:
        not_applicable(peer, name, OURS_TO_PEER, NA_GATEWAY)


def last_line(text):
    """The last stderr line of our CLI, without its "coap get: " prefix."""
    line = (text.strip().splitlines() or [""])[-1]
    return ": ".join(line.split(": ")[1:3])[:80]


def outcome_text(outcome):
    """certificateRefused("not issued by a trusted CA: ...") -> certificateRefused: not issued by a trusted CA."""
    match = re.match(r"""(\w+)\("(.*)"\)""", outcome.replace("\\'", "'"))
    if not match:
        return outcome
    return "%s: %s" % (match.group(1), match.group(2).split(": ")[0][:60])


def libcoap_refused(env, backend, credentials, kind, log_pattern):
    server, port = env.ours(kind)
    mark = server.mark()
    result = env.libcoap_client(backend, *credentials, "coaps://%s:%d/identity" % (HOST, port), limit=4)
    check(b"node" not in result.out and b"stranger" not in result.out, "answered: " + result.brief())
    reported = wait_for_log(server, mark, log_pattern, 6)
    check(reported, "our server did not report it: " + server.tail())
    return "no answer; our server reports %s" % reported.group(0).split(": ")[-1]


GATEWAY_CASES = ("sealed reading -> coap-gateway (PSK)", "sealed reading -> coap-gateway (X.509)",
                 "observe readings on coap-gateway")
NA_GATEWAY = "the peer has no readings gateway for our client to post to"
GATEWAY_OBSERVE_SECONDS = 3  # coap-client -s: how long it observes


def pdu_codes(text):
    """The response codes in coap-client's -v 7 log (stdout), where each PDU is shown as
    "v:1 t:ACK c:2.01 i:…"; the only place it shows a success code."""
    return re.findall(r"^v:1 t:\w+ c:(\d\.\d\d) ", text, re.M)


def libcoap_gateway_post(env, backend, device):
    """coap-client-<backend> POSTs a reading that pycose sealed to coap-gateway's /readings over
    DTLS (the device's PSK or certificate), then GETs /readings/<device> with the same credentials."""
    gateway = env.gateway()
    path, value = env.sealed_reading(device)
    credentials = device.libcoap_credentials()
    with SuiteRelay(gateway.dtls_port) as relay:
        base = "coaps://%s:%d" % (HOST, relay.port)
        # -v 7 comes after the helper's -v 0, and the last one counts.
        post = env.libcoap_client(backend, "-v", "7", "-m", "post", "-t", "16", "-f", path, *credentials, base + "/readings")
        codes = pdu_codes(post.text)
        check(codes and set(codes) == {"2.01"}, "POST /readings: response codes %s (%s)" % (codes, post.brief()))
        read = env.libcoap_client(backend, *credentials, base + "/readings/" + device.name)
    check(any(has_reading(pack, device, value) for pack in senml_packs(read.text)),
          "GET /readings/%s lacks v=%s: %s" % (device.name, value, read.brief()))
    return "%s; 2.01 (-v 7 PDU log); GET /readings/%s has v=%s" % (short_suite(relay.suite), device.name, value)


def libcoap_gateway_observe(env, backend, device):
    """coap-client-<backend> -s observes /readings/<device> on coap-gateway over DTLS-PSK while
    another of its sessions POSTs a new sealed reading; a notification must carry it."""
    gateway = env.gateway()
    path, value = env.sealed_reading(device)
    credentials = device.libcoap_credentials()
    base = "coaps://%s:%d" % (HOST, gateway.dtls_port)
    bodies = env.work / ("observe-%s.bodies" % backend)
    tool = require_tool("coap-client-%s" % backend)
    # -v 7: every PDU (code, Observe option) on stdout; -o: the bodies alone, flushed one by one.
    observer = Background("observe-" + backend, [tool, "-v", "7", "-B", "10", "-s", GATEWAY_OBSERVE_SECONDS,
                                                 "-o", bodies] + credentials + [base + "/readings/" + device.name],
                          env.work, limit=20)
    try:
        def packs():
            return senml_packs(bodies.read_text(errors="replace")) if bodies.exists() else []

        def first():
            check(observer.proc.poll() is None or packs(), "the observer ended without a response")
            return packs()
        wait_until(first, 10, "no first response to the observation")
        check(not any(has_reading(pack, device, value) for pack in packs()), "v=%s before it was posted" % value)
        post = env.libcoap_client(backend, "-v", "7", "-m", "post", "-t", "16", "-f", path, *credentials, base + "/readings")
        codes = pdu_codes(post.text)
        check(codes and set(codes) == {"2.01"}, "POST /readings: response codes %s (%s)" % (codes, post.brief()))
        wait_until(lambda: any(has_reading(pack, device, value) for pack in packs()[1:]), 5,
                   "no notification with v=%s" % value)
        result = observer.finish(GATEWAY_OBSERVE_SECONDS + 10)
    finally:
        observer.stop()
    responses = re.findall(r"^v:1 t:(\w+) c:2\.05 i:\w+ \{\w*\} \[ Observe:(\d+)", result.text, re.M)
    check(len(responses) >= 2 and int(responses[1][1]) > int(responses[0][1]), "2.05 responses %s" % responses)
    deregistered = re.search(r"^v:1 t:CON c:GET [^\n]*\[ Observe:1,", result.text, re.M)
    return "2.05 (%s, Observe %s), then a notification (%s, Observe %s) with v=%s; %s" % (
        responses[0][0], responses[0][1], responses[1][0], responses[1][1], value,
        "GET Observe:1 when -s %d ended" % GATEWAY_OBSERVE_SECONDS if deregistered else "no deregistration")


# --- aiocoap over tinydtls (DTLSSocket), and Mbed TLS, against `coap serve` -------------------

def tinydtls_cases():
    peer = "tinydtls (aiocoap)"
    na_server = "aiocoap's DTLS server (tinydtls) is experimental; not run"

    @case(peer, "DTLS PSK", PEER_TO_OURS)
    def _(env):
        _, port = env.ours("psk")
        result = env.aiocoap("coaps://%s:%d/identity" % (HOST, port), "--identity", "node-1", "--key", PSK_KEYS["node-1"])
        responses = result.json_lines()
        check(result.rc == 0 and responses and responses[0]["payload"] == "node-1", "GET /identity: " + result.brief())
        suite = responses[0]["cipher"]
        check(suite == "TLS_PSK_WITH_AES_128_CCM_8", "suite %s" % suite)
        return short_suite(suite)

    def refused(env, identity, key, outcome):
        server, port = env.ours("psk")
        mark = server.mark()
        result = env.aiocoap("coaps://%s:%d/identity" % (HOST, port), "--identity", identity, "--key", key, "--timeout", "4")
        check(result.rc == 3 and not result.json_lines(), "expected exit 3 (no handshake): " + result.brief())
        reported = wait_for_log(server, mark, r"\(identity %s\): %s" % (identity, outcome), 6)
        check(reported, "our server did not report it: " + server.tail())
        return "client: no handshake (its own limit: 4 s); our server reports %s" % outcome

    @case(peer, "PSK wrong key refused", PEER_TO_OURS)
    def _(env):
        return refused(env, "node-2", PSK_KEYS["node-1"], "timeout")

    @case(peer, "PSK unknown identity refused", PEER_TO_OURS)
    def _(env):
        return refused(env, "stranger-tinydtls", "whatever", "unknownIdentity")

    for name in ("DTLS PSK", "PSK wrong key refused", "PSK unknown identity refused"):
        not_applicable(peer, name, OURS_TO_PEER, na_server)

    # Sealed readings over DTLS-PSK to coap-gateway, as device aiocoap-tinydtls.

    def gateway_device(env):
        gateway = env.gateway()
        device = gateway.devices["aiocoap-tinydtls"]
        return device, "coaps://%s:%d" % (HOST, gateway.dtls_port), ["--identity", device.name, "--key", device.psk]

    def post_reading(env, base, credentials, path):
        post = env.aiocoap(base + "/readings", "--method", "post", "--payload-file", path, "--content-format", "16",
                           *credentials)
        responses = post.json_lines()
        check([r["code"] for r in responses] == ["2.01"], "POST /readings: " + post.brief())
        return responses[0]

    @case(peer, "sealed reading -> coap-gateway (PSK)", PEER_TO_OURS)
    def _(env):
        device, base, credentials = gateway_device(env)
        path, value = env.sealed_reading(device)
        posted = post_reading(env, base, credentials, path)
        read = env.aiocoap(base + "/readings/" + device.name, *credentials)
        packs = [pack for r in read.json_lines() if r["code"] == "2.05" for pack in senml_packs(r["payload"])]
        check(any(has_reading(pack, device, value) for pack in packs),
              "GET /readings/%s lacks v=%s: %s" % (device.name, value, read.brief()))
        return "%s; 2.01; GET /readings/%s has v=%s" % (short_suite(posted["cipher"]), device.name, value)

    @case(peer, "observe readings on coap-gateway", PEER_TO_OURS)
    def _(env):
        device, base, credentials = gateway_device(env)
        path, value = env.sealed_reading(device)
        observer = Background("observe-tinydtls", [env.python, PEERS / "aiocoap_client.py", base + "/readings/" + device.name,
                                                   "--observe", "2", "--timeout", "10"] + credentials, env.work, limit=20)
        try:
            def first():
                lines = [l for l in observer.output().splitlines() if l.startswith(b"{")]
                check(lines or observer.proc.poll() is None, "the observer ended without a response")
                return lines
            wait_until(first, 10, "no first response to the observation")
            post_reading(env, base, credentials, path)
            result = observer.finish(10)
        finally:
            observer.stop()
        responses = result.json_lines()
        check(result.rc == 0 and len(responses) == 2, "the observer: " + result.brief())
        initial, notification = responses
        check(not any(has_reading(pack, device, value) for pack in senml_packs(initial["payload"])),
              "v=%s before it was posted" % value)
        check(any(has_reading(pack, device, value) for pack in senml_packs(notification["payload"])),
              "the notification lacks v=%s: %s" % (value, notification["payload"][:120]))
        check(initial["observe"] is not None and (notification["observe"] or 0) > initial["observe"],
              "Observe options %s, %s" % (initial["observe"], notification["observe"]))
        return "2.05 (Observe %d), then a notification (Observe %d) with v=%s" % (
            initial["observe"], notification["observe"], value)

    for name in GATEWAY_CASES[0], GATEWAY_CASES[2]:
        not_applicable(peer, name, OURS_TO_PEER, NA_GATEWAY)
    for direction in (OURS_TO_PEER, PEER_TO_OURS):
        not_applicable(peer, "X.509 mutual auth", direction, "DTLSSocket's tinydtls does PSK only")
        not_applicable(peer, GATEWAY_CASES[1], direction, "DTLSSocket's tinydtls does PSK only")


def mbedtls_cases():
    peer = "Mbed TLS (python-mbedtls)"
    na_server = "no Mbed TLS server here: python-mbedtls is used as a client"

    def psk(env, suite, identity="node-1"):
        _, port = env.ours("psk")
        result = env.peer_script("mbedtls_psk_client.py", "coaps://%s:%d/identity" % (HOST, port), "--identity", identity,
                                 "--key", PSK_KEYS[identity], "--cipher", suite)
        responses = result.json_lines()
        check(result.rc == 0 and responses and responses[0]["payload"] == identity, "GET /identity: " + result.brief())
        negotiated = responses[0]["cipher"]
        check(negotiated == suite.replace("_", "-"), "negotiated %s" % negotiated)
        return "%s, %s" % (short_suite(negotiated.replace("-", "_")), responses[0].get("version"))

    @case(peer, "DTLS PSK AES_128_CCM_8", PEER_TO_OURS)
    def _(env):
        return psk(env, "TLS_PSK_WITH_AES_128_CCM_8")

    @case(peer, "DTLS PSK AES_128_GCM", PEER_TO_OURS)
    def _(env):
        return psk(env, "TLS_PSK_WITH_AES_128_GCM_SHA256", "node-2")

    def refused(env, identity, key, outcome):
        server, port = env.ours("psk")
        mark = server.mark()
        result = env.peer_script("mbedtls_psk_client.py", "coaps://%s:%d/identity" % (HOST, port), "--identity", identity,
                                 "--key", key, "--cipher", "TLS_PSK_WITH_AES_128_CCM_8", "--handshake-timeout", "3")
        check(result.rc == 3 and not result.json_lines(), "expected exit 3 (handshake failed): " + result.brief())
        reported = wait_for_log(server, mark, r"\(identity %s\): %s" % (identity, outcome), 6)
        check(reported, "our server did not report it: " + server.tail())
        return "client: handshake failed in %.1f s; our server reports %s" % (result.seconds, outcome)

    @case(peer, "PSK wrong key refused", PEER_TO_OURS)
    def _(env):
        return refused(env, "node-1", PSK_KEYS["node-2"], "timeout")

    @case(peer, "PSK unknown identity refused", PEER_TO_OURS)
    def _(env):
        return refused(env, "stranger-mbedtls", "whatever", "unknownIdentity")

    for name in ("DTLS PSK AES_128_CCM_8", "DTLS PSK AES_128_GCM", "PSK wrong key refused", "PSK unknown identity refused"):
        not_applicable(peer, name, OURS_TO_PEER, na_server)
    for direction in (OURS_TO_PEER, PEER_TO_OURS):
        not_applicable(peer, "X.509 mutual auth", direction, "peers/mbedtls_psk_client.py does PSK only")


# --- sealed payloads: pycose ------------------------------------------------------------------

SEALING_ALGS = {10: "AES-CCM-16-64-128", 1: "A128GCM", 3: "A256GCM"}


def pycose_cases():
    peer = "pycose 1.1.0"

    @case(peer, "sealed payload (COSE_Encrypt0)", OURS_TO_PEER)
    def _(env):
        device, kid = "sensor-7", "0a0b"
        secret = secrets.token_hex(32)
        secret_file = env.work / "seal-ours.secret"
        secret_file.write_text(secret)
        secret_file.chmod(0o600)
        plaintext = b'[{"n":"temp","u":"Cel","v":21.5}]'
        cases = []
        for seq, alg in enumerate(SEALING_ALGS, start=1):
            result = env.coap("seal", "--secret-file", secret_file, "--kid", kid, "--device", device, "--seq", str(seq),
                              "--alg", str(alg), "--content-format", "110", stdin=plaintext)
            check(result.rc == 0, "coap seal: " + result.brief())
            cases.append({"secret": secret, "device": device, "message": result.out.hex()})
        opened = env.pycose({"open": cases})["open"]
        for (seq, alg), reply in zip(enumerate(SEALING_ALGS, start=1), opened):
            check(bytes.fromhex(reply["plaintext"]) == plaintext and reply["alg"] == alg and reply["seq"] == seq
                  and reply["kid"] == kid and reply["content_format"] == 110, "pycose read %s" % reply)
        return "pycose opens ours: %s" % ", ".join(SEALING_ALGS.values())

    @case(peer, "sealed payload (COSE_Encrypt0)", PEER_TO_OURS)
    def _(env):
        device, kid = "sensor-8", "0c0d"
        plaintext = b'[{"n":"hum","u":"%RH","v":40}]'
        done = []
        for seq, alg in enumerate(SEALING_ALGS, start=1):
            secret = env.sealing_secret(kid, alg)
            secret_file = env.work / ("seal-pycose-%d.secret" % alg)
            secret_file.write_text(secret + "\n")
            secret_file.chmod(0o600)
            sealed = env.pycose({"seal": [{"secret": secret, "device": device, "kid": kid, "alg": alg, "seq": seq,
                                           "content_format": 110, "plaintext": plaintext.hex()}]})["seal"][0]
            message = bytes.fromhex(sealed["message"])
            result = env.coap("open", "--secret-file", secret_file, "--device", device, "--show-header", stdin=message)
            check(result.rc == 0 and result.out == plaintext, "coap open (alg %d): %s" % (alg, result.brief()))
            check("kid: %s" % kid in result.err, "header: " + result.err)
            done.append(SEALING_ALGS[alg])
        return "we open pycose's: %s" % ", ".join(done)

    not_applicable(peer, "sealed reading -> coap-gateway", OURS_TO_PEER, "pycose is a COSE library, not a CoAP server")

    @case(peer, "sealed reading -> coap-gateway", PEER_TO_OURS)
    def _(env):
        gateway = env.gateway()
        device = gateway.devices["pycose-1"]
        senml = b'[{"n":"temp","u":"Cel","v":22.5},{"n":"hum","u":"%RH","v":41}]'
        sealed = env.pycose({"seal": [{"secret": device.secret, "device": device.name, "kid": device.kid, "alg": 10,
                                       "seq": device.next_seq(), "content_format": 110, "plaintext": senml.hex()}]})["seal"][0]
        path = env.work / "pycose-reading.cose"
        path.write_bytes(bytes.fromhex(sealed["message"]))
        uri = "coap://%s:%d/readings" % (HOST, gateway.port)
        # Sent by aiocoap: no code of ours touches the message on its way in.
        first = env.aiocoap(uri, "--method", "post", "--payload-file", path, "--content-format", "16")
        codes = [r["code"] for r in first.json_lines()]
        check(codes == ["2.01"], "POST /readings: " + first.brief())
        replay = env.aiocoap(uri, "--method", "post", "--payload-file", path, "--content-format", "16")
        codes = [r["code"] for r in replay.json_lines()]
        check(codes == ["4.01"], "the replay: " + replay.brief())
        return "pycose seals, aiocoap POSTs: 2.01 Created; the replay 4.01"


# --- aiocoap's resource directory -------------------------------------------------------------

def rd_cases():
    peer = "aiocoap-rd"
    na = "aiocoap-rd is a server; it calls no client's resources here"

    def base(env):
        return "coap://%s:%d" % (HOST, env.aiocoap_rd()[1])

    @case(peer, "RD discovery", OURS_TO_PEER)
    def _(env):
        result = env.coap("discover", "--rt", "core.rd", base(env) + "/")
        check(result.rc == 0 and result.text.startswith("</resourcedirectory/>"), "discover --rt core.rd: " + result.brief())
        return "--rt core.rd finds </resourcedirectory/>"

    @case(peer, "RD registration", OURS_TO_PEER)
    def _(env):
        links = '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux"'
        result = our_request(env, "post", base(env) + "/resourcedirectory/?ep=securecoap-1&lt=300",
                             "--content-format", "link", "--payload", links, expect_code="2.01")
        location = re.findall(r"Location-Path: *(\S*)", result.err)
        check(location[:1] == ["reg"], "Location-Path: %s" % location)
        return "2.01 at the announced /resourcedirectory/; Location /%s" % "/".join(location)

    @case(peer, "RD lookup", OURS_TO_PEER)
    def _(env):
        endpoints = our_request(env, "get", base(env) + "/endpoint-lookup/", expect_code="2.05")
        check(b'ep="securecoap-1"' in endpoints.out, "endpoint lookup: " + endpoints.brief())
        resources = our_request(env, "get", base(env) + "/resource-lookup/?ep=securecoap-1", expect_code="2.05")
        check(b"temperature-c" in resources.out and b"light-lux" in resources.out, "resource lookup: " + resources.brief())
        return "endpoint and resource lookup show the registration"

    for name in ("RD discovery", "RD registration", "RD lookup"):
        not_applicable(peer, name, PEER_TO_OURS, na)


def build_cases():
    plain_server_cases("libcoap (notls)", lambda env: env.libcoap_server("notls"), "libcoap")
    plain_client_cases("libcoap (notls)", "libcoap")
    for backend in ("openssl", "gnutls"):
        libcoap_dtls_cases(backend)
    plain_server_cases("aiocoap 0.4.17", lambda env: env.aiocoap_server(), "aiocoap")
    plain_client_cases("aiocoap 0.4.17", "aiocoap")
    tinydtls_cases()
    mbedtls_cases()
    pycose_cases()
    rd_cases()


# ---------------------------------------------------------------------------------------------
# Running and reporting

CASE_ORDER = PLAIN_CASES + [
    "DTLS PSK", "DTLS PSK AES_128_CCM_8", "DTLS PSK AES_128_GCM", "PSK wrong key refused",
    "PSK unknown identity refused", "X.509 mutual auth", "X.509 wrong CA refused",
    "sealed payload (COSE_Encrypt0)", "sealed reading -> coap-gateway", *GATEWAY_CASES,
    "RD discovery", "RD registration", "RD lookup"]


def run_case(env, item):
    if item.na is not None:
        item.status, item.note = "n/a", item.na
        return
    outcome = {}

    def body():
        try:
            outcome["note"] = item.body(env) or ""
            outcome["status"] = "pass"
        except Fail as failure:
            outcome["status"], outcome["note"] = "FAIL", str(failure)
        except Exception as error:  # noqa: BLE001 - a bug in a case is a failure, not a crash
            outcome["status"], outcome["note"] = "FAIL", "%s: %s" % (type(error).__name__, error)

    start = time.monotonic()
    worker = threading.Thread(target=body, daemon=True)
    worker.start()
    worker.join(CASE_LIMIT)
    item.seconds = time.monotonic() - start
    if worker.is_alive():
        item.status, item.note = "FAIL", "no result within the case limit of %.0f s" % CASE_LIMIT
    else:
        item.status, item.note = outcome["status"], outcome["note"]


def cell(item):
    if item is None:
        return ""
    if item.status == "n/a":
        return "n/a"
    return "%s %5.1f s" % (item.status, item.seconds)


ARROWS = {OURS_TO_PEER: "ours→peer", PEER_TO_OURS: "peer→ours"}


def rows():
    """(peer, case, ours->peer item, peer->ours item), peers in order of first appearance."""
    peers = []
    for item in CASES:
        if item.peer not in peers:
            peers.append(item.peer)
    table = []
    for peer in peers:
        names = sorted({i.name for i in CASES if i.peer == peer}, key=CASE_ORDER.index)
        for name in names:
            pair = {i.direction: i for i in CASES if i.peer == peer and i.name == name}
            table.append((peer, name, pair.get(OURS_TO_PEER), pair.get(PEER_TO_OURS)))
    return table


def notes(a, b):
    parts = []
    if a is not None and b is not None and a.status == b.status == "n/a" and a.note == b.note:
        return a.note
    for item in (a, b):
        if item is not None and item.note:
            parts.append("%s: %s" % ("→" if item.direction == OURS_TO_PEER else "←", item.note))
    return "; ".join(parts)


def print_table(table, out=sys.stdout):
    widths = [max(len(r[0]) for r in table), max(len(r[1]) for r in table), 12, 12]
    header = ("peer", "case", ARROWS[OURS_TO_PEER], ARROWS[PEER_TO_OURS])
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  notes", file=out)
    print("  ".join("-" * w for w in widths) + "  -----", file=out)
    last_peer = None
    for peer, name, a, b in table:
        shown = peer if peer != last_peer else ""
        last_peer = peer
        line = "  ".join(v.ljust(w) for v, w in zip((shown, name, cell(a), cell(b)), widths))
        print(line + "  " + notes(a, b), file=out, flush=True)


def markdown(table, started, seconds, versions):
    counts = {s: sum(1 for i in CASES if i.status == s) for s in ("pass", "FAIL", "n/a")}
    lines = [
        "# Interop matrix",
        "",
        "Generated by `make interop` (`interop/matrix.py`); do not edit by hand. %s, %.0f s in all." % (started, seconds),
        "",
        "**ours→peer**: our client (`coap` CLI) against the peer's server; for sealed payloads, we seal and the",
        "peer opens. **peer→ours**: the peer's client against our server (`coap serve`, or `coap-gateway` for",
        "sealed readings); for sealed payloads, the peer seals and we open. **n/a**: the peer cannot play that",
        "role or lacks the feature (the note says which). Notes: → for ours→peer, ← for peer→ours.",
        "",
        "%d passed, %d failed, %d n/a." % (counts["pass"], counts["FAIL"], counts["n/a"]),
        "",
        "| peer | case | ours→peer | peer→ours | notes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for peer, name, a, b in table:
        def md(item):
            text = cell(item).replace("  ", " ")
            return "**FAIL** %.1f s" % item.seconds if item is not None and item.status == "FAIL" else text
        note = notes(a, b).replace("|", "\\|").replace("<", "&lt;")  # links such as </time> are text here
        lines.append("| %s | %s | %s | %s | %s |" % (peer, name, md(a), md(b), note))
    lines += ["", "Versions: " + "; ".join(versions), ""]
    return "\n".join(lines)


def versions(env):
    found = ["Python %s" % platform.python_version()]
    for package in ("libcoap3-bin", "libgnutls30"):
        installed = run(["dpkg-query", "-W", "-f", "${Version}", package], timeout=10)
        if installed.rc == 0:
            found.append("%s %s" % (package, installed.text.strip()))
    for module, name in (("aiocoap", "aiocoap"), ("DTLSSocket", "DTLSSocket"), ("python-mbedtls", "python-mbedtls"),
                         ("pycose", "pycose"), ("cbor2", "cbor2")):
        try:
            from importlib.metadata import version
            found.append("%s %s" % (name, version(module)))
        except Exception:  # noqa: BLE001
            pass
    ssl = run(["openssl", "version"], timeout=10)
    if ssl.rc == 0:
        found.append(ssl.text.strip().split(" (")[0])
    return found


def bin_dir():
    if os.environ.get("BIN_DIR"):
        return Path(os.environ["BIN_DIR"]).resolve()
    result = run([os.environ.get("SWIFT") or "swift", "build", "--show-bin-path"], cwd=ROOT, timeout=120)
    if result.rc != 0:
        sys.exit("matrix: `swift build --show-bin-path` failed (%s); set BIN_DIR" % result.brief())
    return Path(result.text.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="run only peers whose name contains this (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, certificates)")
    parser.add_argument("--no-write", action="store_true", help="do not write interop/RESULTS.md")
    args = parser.parse_args()

    binaries = bin_dir()
    missing = [name for name in ("coap", "coap-gateway", "coap-registry") if not (binaries / name).exists()]
    if missing:
        print("matrix: %s not built in %s: run `swift build` (make interop does)" % (", ".join(missing), binaries), file=sys.stderr)
        return 2
    try:
        import aiocoap  # noqa: F401
        import cbor2  # noqa: F401
        import pycose  # noqa: F401
    except ImportError as error:
        print("matrix: %s is not installed: run it with the venv's Python after `make venv`" % error.name, file=sys.stderr)
        return 2

    build_cases()
    selected = [c for c in CASES if not args.only or any(o.lower() in c.peer.lower() for o in args.only)]
    CASES[:] = selected
    work = Path(tempfile.mkdtemp(prefix="securecoap-interop."))
    env = Env(binaries, work)

    def interrupted(signo, _frame):
        raise KeyboardInterrupt("signal %d" % signo)
    signal.signal(signal.SIGTERM, interrupted)

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    start = time.monotonic()
    print("interop matrix: our binaries in %s, work directory %s" % (binaries, work), flush=True)
    try:
        for item in CASES:
            run_case(env, item)
            if item.status != "n/a":
                print("  %-4s %5.1f s  %-26s %-38s %s  %s" % (item.status, item.seconds, item.peer, item.name,
                                                            ARROWS[item.direction], item.note[:110]), flush=True)
    except KeyboardInterrupt:
        print("matrix: interrupted; stopping the servers", file=sys.stderr)
        env.stop_all()
        return 130
    finally:
        env.stop_all()
    seconds = time.monotonic() - start
    failed = [i for i in CASES if i.status == "FAIL"]
    keep = args.keep or bool(failed)  # the servers' logs explain failures
    if not keep:
        shutil.rmtree(work, ignore_errors=True)

    table = rows()
    print()
    print_table(table)
    print()
    print("%d passed, %d failed, %d n/a, in %.0f s" % (sum(1 for i in CASES if i.status == "pass"), len(failed),
                                                      sum(1 for i in CASES if i.status == "n/a"), seconds))
    if not args.no_write and not args.only:
        (ROOT / "interop" / "RESULTS.md").write_text(markdown(table, started, seconds, versions(env)))
        print("wrote interop/RESULTS.md")
    if keep:
        print("servers' logs and certificates kept in %s" % work)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
