import pytest
from cryptography.fernet import Fernet, InvalidToken

from api.config import Settings
from api.crypto import cipher_for


def test_rotation_new_key_encrypts_old_keys_still_decrypt():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = cipher_for(Settings.build(encryption_keys=old))
    after = cipher_for(Settings.build(encryption_keys=f"{new},{old}"))
    token = before.encrypt(b"access-token")

    assert after.decrypt(token) == b"access-token"
    assert Fernet(new.encode()).decrypt(after.encrypt(b"x")) == b"x"  # the newest encrypts
    with pytest.raises(InvalidToken):
        cipher_for(Settings.build(encryption_keys=new)).decrypt(token)  # old key dropped


def test_without_keys_a_key_is_derived_from_the_secret_key():
    one = cipher_for(Settings.build(secret_key="a" * 40))
    other = cipher_for(Settings.build(secret_key="b" * 40))

    assert one.decrypt(one.encrypt(b"t")) == b"t"
    with pytest.raises(InvalidToken):
        other.decrypt(one.encrypt(b"t"))
