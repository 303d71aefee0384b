"""Secrets at rest (mailbox passwords and the like), encrypted with a key derived from SECRET_KEY.

Fernet (AES-128-CBC + HMAC-SHA256) with its key derived by HKDF-SHA256 from
`settings.SECRET_KEY`, so there is no second key to keep. Values encrypted under a key
listed in `settings.SECRET_KEY_FALLBACKS` still decrypt, which lets an operator rotate
SECRET_KEY the way Django documents it; re-saving the value encrypts it under the new key.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

from frontdesk.core.errors import ValidationError

_CONTEXT = b"frontdesk-secrets"


def _fernet(secret_key: str) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_CONTEXT, info=_CONTEXT)
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())))


def _keys() -> MultiFernet:
    secret_keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key) for key in secret_keys])


def encrypt_secret(plain: str) -> str:
    """Encrypt `plain` under the current SECRET_KEY; the result is ASCII, safe for a TextField."""
    return _keys().encrypt(plain.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    """Decrypt a value from `encrypt_secret`; ValidationError when it cannot be read back."""
    try:
        return _keys().decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError) as error:
        raise ValidationError(
            _(
                "The stored secret cannot be decrypted: the server's secret key has changed "
                "or the stored value is damaged. Enter the password again."
            )
        ) from error
