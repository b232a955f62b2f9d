"""Real proxies on free loopback ports, each in a thread, for the proxy tests: an HTTP proxy
(absolute-URI forwarding and CONNECT), optionally spoken to over TLS (an ``https://`` proxy,
with a self-signed certificate made here), and a SOCKS5 server (RFC 1928 with RFC 1929
username/password). Both check the credentials and record every connection they relay, so a
test can tell that no request bypassed them."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import selectors
import socket
import socketserver
import ssl
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Relayed:
    """One connection a proxy relayed: the target it asked for and how it named it."""

    host: str
    port: int
    how: str  # "forward" or "connect" (HTTP), "ipv4" or "domain" (SOCKS5)
    first_line: str = ""


@dataclass
class ProxyLog:
    """What a proxy saw: relayed connections and refused attempts."""

    relayed: list[Relayed] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Relayed) -> None:
        with self.lock:
            self.relayed.append(item)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    selector = selectors.DefaultSelector()
    selector.register(a, selectors.EVENT_READ, b)
    selector.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            for key, _ in selector.select(timeout=30):
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        return
    finally:
        selector.close()


# Names and addresses the proxies send to the emulator (on 127.0.0.1). Nothing listens on
# 127.0.0.2 and the name resolves nowhere, so a request that bypasses the proxy fails.
HIDDEN_ADDRESS = "127.0.0.2"
HIDDEN_NAME = "dm-emulator.internal"


def _resolve(host: str) -> str:
    return "127.0.0.1" if host in (HIDDEN_ADDRESS, HIDDEN_NAME) else host


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type, user: str, password: str) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.user = user
        self.password = password
        self.log = ProxyLog()


class _TlsServer(_Server):
    """The HTTP proxy behind TLS: every accepted connection is wrapped first."""

    def __init__(self, handler: type, user: str, password: str, context: ssl.SSLContext) -> None:
        super().__init__(handler, user, password)
        self.context = context

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address


def tls_context(directory: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "proxy.pem", directory / "proxy.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


class _HttpHandler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            head += chunk
        header_block, _, rest = head.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = [line for line in lines[1:] if line]
        wanted = base64.b64encode(f"{self.server.user}:{self.server.password}".encode()).decode()
        auth = [h for h in headers if h.lower().startswith("proxy-authorization:")]
        if not auth or auth[0].split(":", 1)[1].strip() != f"Basic {wanted}":
            self.server.log.refused += 1
            self.request.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                b"Connection: close\r\n\r\n"
            )
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((_resolve(host), int(port)))
            self.server.log.add(Relayed(host, int(port), "connect", lines[0]))
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(self.request, upstream)
            upstream.close()
            return
        url = urlsplit(target)
        path = url.path + (f"?{url.query}" if url.query else "")
        kept = [
            h
            for h in headers
            if not h.lower().startswith(
                ("proxy-authorization:", "proxy-connection:", "connection:")
            )
        ]
        request = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
        upstream = socket.create_connection((_resolve(url.hostname or ""), url.port or 80))
        self.server.log.add(Relayed(url.hostname or "", url.port or 80, "forward", lines[0]))
        upstream.sendall(request.encode("latin-1") + rest)
        _pipe(self.request, upstream)
        upstream.close()


class _SocksHandler(socketserver.BaseRequestHandler):
    server: _Server

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def handle(self) -> None:
        try:
            self._handle()
        except (ConnectionError, OSError):
            return

    def _handle(self) -> None:
        version, count = self._read(2)
        methods = self._read(count)
        if version != 5 or 2 not in methods:
            self.server.log.refused += 1
            self.request.sendall(b"\x05\xff")
            return
        self.request.sendall(b"\x05\x02")
        _, user_len = self._read(2)
        user = self._read(user_len).decode()
        (password_len,) = self._read(1)
        password = self._read(password_len).decode()
        if (user, password) != (self.server.user, self.server.password):
            self.server.log.refused += 1
            self.request.sendall(b"\x01\x01")
            return
        self.request.sendall(b"\x01\x00")
        _, command, _, kind = self._read(4)
        if kind == 1:
            host, how = socket.inet_ntoa(self._read(4)), "ipv4"
        elif kind == 3:
            (length,) = self._read(1)
            host, how = self._read(length).decode(), "domain"
        else:
            host, how = socket.inet_ntop(socket.AF_INET6, self._read(16)), "ipv6"
        (port,) = struct.unpack("!H", self._read(2))
        if command != 1:
            self.request.sendall(b"\x05\x07\x00\x01" + bytes(6))
            return
        upstream = socket.create_connection((_resolve(host), port))
        self.server.log.add(Relayed(host, port, how))
        self.request.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + bytes(2))
        _pipe(self.request, upstream)
        upstream.close()


class LocalProxy:
    """A proxy of ``kind`` (``http``, ``https`` with ``tls`` a server context, or ``socks5``)
    that wants ``user``/``password``; a context manager serving in a thread. ``url(scheme)``
    is its URL with the credentials."""

    def __init__(
        self,
        kind: str,
        user: str = "proxy-user",
        password: str = "pr0xy-s3cret",
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if kind == "https" and tls is not None:
            self.server: _Server = _TlsServer(_HttpHandler, user, password, tls)
        else:
            handler = _HttpHandler if kind == "http" else _SocksHandler
            self.server = _Server(handler, user, password)
        self.kind = kind
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def log(self) -> ProxyLog:
        return self.server.log

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, scheme: str | None = None, *, password: str | None = None) -> str:
        secret = self.server.password if password is None else password
        return f"{scheme or self.kind}://{self.server.user}:{secret}@127.0.0.1:{self.port}"

    def __enter__(self) -> LocalProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
