"""TOTP codes against the test vectors of RFC 6238 (appendix B) and the base32 secret form."""

from __future__ import annotations

import base64

import pytest

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.totp import decode_secret, totp

SHA1_KEY = b"12345678901234567890"
SHA256_KEY = b"12345678901234567890123456789012"
SHA512_KEY = b"1234567890123456789012345678901234567890123456789012345678901234"
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    assert totp(SHA1_KEY, at, digits=8) == sha1
    assert totp(SHA256_KEY, at, digits=8, digest="sha256") == sha256
    assert totp(SHA512_KEY, at, digits=8, digest="sha512") == sha512


def test_base32_secret_gives_the_six_digit_code_of_its_key() -> None:
    secret = base64.b32encode(SHA1_KEY).decode()
    assert totp(secret, 59) == "287082"
    assert totp(secret.lower().rstrip("="), 59) == "287082"
    assert decode_secret("JBSW Y3DP EHPK 3PXP") == decode_secret("JBSWY3DPEHPK3PXP")


def test_codes_change_every_thirty_seconds() -> None:
    assert totp("JBSWY3DPEHPK3PXP", 30) == totp("JBSWY3DPEHPK3PXP", 59)
    assert totp("JBSWY3DPEHPK3PXP", 30) != totp("JBSWY3DPEHPK3PXP", 60)


@pytest.mark.parametrize("secret", ["not base32!", "1111", ""])
def test_invalid_secret_is_refused_without_echoing_it(secret: str) -> None:
    with pytest.raises(InvalidInput) as info:
        totp(secret, 0)
    assert info.value.field == "totp_secret"
    if secret:
        assert secret not in str(info.value)
