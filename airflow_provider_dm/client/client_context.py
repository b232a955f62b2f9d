"""Send tokens (``client_context``): 19-digit decimals in the range current clients use.

The server dedupes a broadcast by its client_context per sender and thread, so a token derived
from stable parts (a task's identity and its destination) makes a repeated send harmless.
"""

from __future__ import annotations

import hashlib
import secrets

LOWEST = 6800011111111111111
HIGHEST = 6800099999999999999
_SPAN = HIGHEST - LOWEST + 1


def derive_client_context(*parts: str) -> str:
    """The same token for the same parts: a SHA-256 of the parts mapped into the range."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return str(LOWEST + int.from_bytes(digest, "big") % _SPAN)


def new_client_context() -> str:
    """A fresh random token in the range."""
    return str(LOWEST + secrets.randbelow(_SPAN))
