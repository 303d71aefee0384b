from typing import Any

import pytest

from frontdesk.core.crypto import decrypt_secret, encrypt_secret
from frontdesk.core.errors import ValidationError


def test_a_secret_decrypts_to_what_was_encrypted() -> None:
    token = encrypt_secret("pässwörd: 🔑")

    assert token.isascii()
    assert "pässwörd" not in token
    assert decrypt_secret(token) == "pässwörd: 🔑"


def test_the_same_secret_encrypts_differently_each_time() -> None:
    assert encrypt_secret("secret") != encrypt_secret("secret")


def test_a_tampered_token_is_a_clear_validation_error() -> None:
    token = encrypt_secret("secret")
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    with pytest.raises(ValidationError, match="cannot be decrypted"):
        decrypt_secret(tampered)


def test_garbage_is_a_clear_validation_error() -> None:
    with pytest.raises(ValidationError, match="cannot be decrypted"):
        decrypt_secret("not a token")


def test_a_changed_secret_key_is_a_clear_validation_error(settings: Any) -> None:
    token = encrypt_secret("secret")
    settings.SECRET_KEY = "another key entirely"

    with pytest.raises(ValidationError, match="secret key has changed"):
        decrypt_secret(token)


def test_a_secret_from_a_rotated_key_still_decrypts(settings: Any) -> None:
    old_key = settings.SECRET_KEY
    token = encrypt_secret("secret")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the new key", [old_key]

    assert decrypt_secret(token) == "secret"
