"""Standard Webhooks signatures, checked against the reference implementation."""

import base64
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from api.domain.outbound import is_public
from api.domain.webhooks import signing


def test_a_new_secret_is_whsec_and_24_random_bytes():
    secret = signing.new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert secret != signing.new_secret()


def test_signed_headers_verify_with_the_standardwebhooks_package():
    secret = signing.new_secret()
    body = json.dumps({"type": "sync.completed", "data": {}}).encode()
    now = int(datetime.now(UTC).timestamp())

    headers = signing.headers(secret, "msg_1", now, body)

    assert Webhook(secret).verify(body, headers) == {"type": "sync.completed", "data": {}}


def test_a_changed_body_does_not_verify():
    secret = signing.new_secret()
    now = int(datetime.now(UTC).timestamp())
    headers = signing.headers(secret, "msg_1", now, b'{"a":1}')

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:220:1::1", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
    ],
)
def test_only_public_addresses_are_public(address, public):
    assert is_public(address) is public
