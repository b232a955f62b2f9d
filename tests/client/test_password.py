"""`#PWD_INSTAGRAM:4:` encryption, decrypted here with the private half of a fresh key to check
the layout of §2.2 byte by byte."""

from __future__ import annotations

import base64
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from airflow_provider_dm.client.password import encrypt_password


def test_layout_and_round_trip() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sealed = encrypt_password("sécret pass", 41, base64.b64encode(pem).decode(), timestamp=1700)
    prefix, version, ts, data = sealed.split(":", 3)
    assert (prefix, version, ts) == ("#PWD_INSTAGRAM", "4", "1700")
    blob = base64.b64decode(data)
    assert blob[0] == 1 and blob[1] == 41
    iv = blob[2:14]
    (size,) = struct.unpack("<H", blob[14:16])
    assert size == 256
    aes_key = key.decrypt(blob[16 : 16 + size], padding.PKCS1v15())
    tag, ciphertext = blob[16 + size : 32 + size], blob[32 + size :]
    assert AESGCM(aes_key).decrypt(iv, ciphertext + tag, b"1700").decode() == "sécret pass"
    assert "sécret" not in sealed
