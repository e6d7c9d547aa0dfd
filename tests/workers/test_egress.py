"""Outbound connections go only where the policy allows, to the address that was checked."""

import contextlib
import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.domain.outbound import UrlPolicy, destination, system_resolver, url_problems
from workers.egress import checked_client

PUBLIC = "93.184.215.14"


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, str]] = []

    def do_GET(self):
        Receiver.received.append((self.path, self.headers["Host"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args):
        pass


@pytest.fixture
def receiver():
    """An HTTP server on loopback that records what reaches it."""
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def certificate_for(name: str, folder) -> tuple[str, str]:
    """A self-signed certificate valid for ``name`` only (its PEM file, its key's)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_receiver(tmp_path):
    """An https server on loopback for hooks.example: its port, its certificate, the SNI names."""
    Receiver.received = []
    cert_file, key_file = certificate_for("hooks.example", tmp_path)
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], cert_file, names
    server.shutdown()
    server.server_close()


class RebindingResolver:
    """A name server that answers a public address first and loopback from then on."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return [PUBLIC] if len(self.asked) == 1 else ["127.0.0.1"]


class CountingResolver:
    """The system's resolver, counting the questions."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return system_resolver(host, port)


def test_loopback_is_refused_when_connecting(receiver):
    with checked_client(UrlPolicy(allow_http=True)) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://localhost:{receiver}/token-goes-here")

    assert Receiver.received == []


def test_allowed_private_addresses_are_reached(receiver):
    with checked_client(UrlPolicy(allow_http=True, allow_private=True)) as client:
        assert client.get(f"http://localhost:{receiver}/hello").status_code == 200

    assert Receiver.received == [("/hello", f"localhost:{receiver}")]


def test_a_name_rebound_to_loopback_after_the_check_is_refused_when_connecting(receiver):
    policy = UrlPolicy(allow_http=True, resolve=RebindingResolver())
    url = f"http://rebind.example:{receiver}/token-goes-here"
    assert url_problems(url, policy) == []  # the check saw a public address

    with checked_client(policy) as client, pytest.raises(httpx.ConnectError):
        client.get(url)  # the connection asks again, and is told loopback

    assert Receiver.received == []


def test_a_pinned_send_connects_only_to_the_address_it_checked(receiver):
    resolver = RebindingResolver()
    policy = UrlPolicy(allow_http=True, resolve=resolver)
    url = f"http://rebind.example:{receiver}/token-goes-here"
    where = destination(url, policy)
    assert where.addresses == (PUBLIC,)

    # It goes to the public address that was checked; whatever answers there, not loopback.
    with (
        checked_client(policy, pinned=where, timeout=1) as client,
        contextlib.suppress(httpx.TransportError),
    ):
        client.get(url)

    assert resolver.asked == ["rebind.example"]  # resolved once, for the check
    assert Receiver.received == []


def test_a_pinned_send_reaches_an_allowed_address_with_its_host_name(receiver):
    resolver = CountingResolver()
    policy = UrlPolicy(allow_http=True, allow_private=True, resolve=resolver)
    url = f"http://localhost:{receiver}/hello"

    with checked_client(policy, pinned=destination(url, policy)) as client:
        assert client.get(url).status_code == 200

    assert resolver.asked == ["localhost"]
    assert Receiver.received == [("/hello", f"localhost:{receiver}")]


def test_a_pinned_send_goes_nowhere_but_its_destination(receiver):
    resolver = CountingResolver()
    policy = UrlPolicy(allow_http=True, allow_private=True, resolve=resolver)
    where = destination(f"http://localhost:{receiver}/", policy)

    with checked_client(policy, pinned=where) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{receiver}/elsewhere")

    assert resolver.asked == ["localhost"]
    assert Receiver.received == []


def test_a_resolver_that_finds_nothing_refuses_the_url():
    policy = UrlPolicy(resolve=lambda host, port: [])

    assert url_problems("https://nowhere.example/", policy) == [
        "The host 'nowhere.example' does not resolve."
    ]


def test_a_pinned_send_keeps_the_host_name_for_tls_and_host(tls_receiver):
    port, cert_file, names = tls_receiver
    policy = UrlPolicy(allow_private=True, resolve=lambda host, port: ["127.0.0.1"])
    url = f"https://hooks.example:{port}/hello"
    trusting = ssl.create_default_context(cafile=cert_file)

    with checked_client(policy, pinned=destination(url, policy), verify=trusting) as client:
        assert client.get(url).status_code == 200  # the certificate names hooks.example only

    assert names == ["hooks.example"]
    assert Receiver.received == [("/hello", f"hooks.example:{port}")]
