"""Password encryption for login (§2.2): ``#PWD_INSTAGRAM:4:{ts}:{base64}``, an AES-256-GCM
ciphertext of the password whose key is RSA-encrypted with the server's published key."""

from __future__ import annotations

import base64
import os
import struct
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from airflow_provider_dm.client.errors import DirectError


def encrypt_password(
    password: str, key_id: int, public_key: str, *, timestamp: int | None = None
) -> str:
    """Encrypt ``password`` with the key the server published (``public_key`` is the base64
    PEM of ``ig-set-password-encryption-pub-key``)."""
    try:
        pem = base64.b64decode(public_key)
        rsa_key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise DirectError("the server's password key cannot be read") from exc
    if not isinstance(rsa_key, rsa.RSAPublicKey):
        raise DirectError("the server's password key is not an RSA key")
    ts = str(int(time.time()) if timestamp is None else timestamp)
    aes_key = os.urandom(32)
    iv = os.urandom(12)
    sealed_key = rsa_key.encrypt(aes_key, padding.PKCS1v15())
    sealed = AESGCM(aes_key).encrypt(iv, password.encode("utf-8"), ts.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    blob = b"".join(
        (
            bytes((1, key_id & 0xFF)),
            iv,
            struct.pack("<H", len(sealed_key)),
            sealed_key,
            tag,
            ciphertext,
        )
    )
    return f"#PWD_INSTAGRAM:4:{ts}:{base64.b64encode(blob).decode('ascii')}"
