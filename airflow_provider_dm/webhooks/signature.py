"""Meta's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
with the app secret>``, compared in constant time on the raw bytes (re-serialised JSON would
not match what Meta signed)."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


class SignatureMismatch(ValueError):
    """The payload was not signed with the app secret (or the header is missing or malformed)."""


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta sends for ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def verify_signature(body: bytes, header: str | None, app_secret: str) -> None:
    """Return if ``header`` signs ``body`` with ``app_secret``, else raise ``SignatureMismatch``
    (whose text never holds the secret or the expected digest)."""
    if not app_secret:
        raise SignatureMismatch("app_secret: is empty; set it in the connection")
    if not header or not header.startswith(PREFIX):
        raise SignatureMismatch(f"{HEADER}: missing or not of the form sha256=<hex>")
    if not hmac.compare_digest(sign(body, app_secret), header.strip()):
        raise SignatureMismatch(f"{HEADER}: does not match the body")
