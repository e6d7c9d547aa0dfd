"""Outbound connections go only where the policy allows, to the address that was checked."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from api.domain.outbound import UrlPolicy, url_problems
from workers.egress import checked_client

PUBLIC = "93.184.215.14"


class Receiver(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_GET(self):
        Receiver.received.append(self.path)
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


@pytest.fixture
def rebinding_dns(monkeypatch):
    """A resolver for rebind.example: a public address first, loopback from then on."""
    real = socket.getaddrinfo
    answers = iter([PUBLIC])

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_loopback_is_refused_when_connecting(receiver):
    with checked_client(UrlPolicy(allow_http=True)) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://localhost:{receiver}/token-goes-here")

    assert Receiver.received == []


def test_allowed_private_addresses_are_reached(receiver):
    with checked_client(UrlPolicy(allow_http=True, allow_private=True)) as client:
        assert client.get(f"http://localhost:{receiver}/hello").status_code == 200

    assert Receiver.received == ["/hello"]


def test_a_name_rebound_to_loopback_after_the_check_is_not_reached(receiver, rebinding_dns):
    url = f"http://rebind.example:{receiver}/token-goes-here"
    assert url_problems(url, UrlPolicy(allow_http=True)) == []  # the check saw a public address

    with checked_client(UrlPolicy(allow_http=True)) as client, pytest.raises(httpx.ConnectError):
        client.get(url)

    assert Receiver.received == []
