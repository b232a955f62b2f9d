"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): the code an authenticator app
shows, so that two-factor login completes without a person."""

from __future__ import annotations

import base64
import binascii
import hmac
import struct
import time

from airflow_provider_dm.client.errors import InvalidInput


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret (case, spaces and missing padding tolerated)."""
    text = secret.replace(" ", "").replace("-", "").upper()
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise InvalidInput("totp_secret", "is not valid base32") from None
    if not key:
        raise InvalidInput("totp_secret", "is empty")
    return key


def hotp(key: bytes, counter: int, *, digits: int = 6, digest: str = "sha1") -> str:
    """The RFC 4226 code of ``key`` for ``counter``, zero-padded to ``digits``."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp(
    secret: str | bytes,
    at: float | None = None,
    *,
    step: int = 30,
    digits: int = 6,
    digest: str = "sha1",
) -> str:
    """The RFC 6238 code of a base32 ``secret`` (or raw key bytes) at unix time ``at``."""
    key = secret if isinstance(secret, bytes) else decode_secret(secret)
    moment = time.time() if at is None else at
    return hotp(key, int(moment // step), digits=digits, digest=digest)
