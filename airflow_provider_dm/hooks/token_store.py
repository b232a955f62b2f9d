"""Where a refreshed access token of the official API lives: an Airflow Variable whose key
Airflow masks (it holds ``token``), because tasks cannot write connections in Airflow 3.

The stored token applies only while the connection still holds the token it was refreshed
from (kept as a fingerprint): pasting a new token into the connection wins over it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)
TOKEN_VARIABLE = "instagram_messaging_token__{}"


def fingerprint(token: str) -> str:
    """A short one-way fingerprint of a token (never the token)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StoredToken:
    """A refreshed token, when it expires, and the connection token it replaces."""

    access_token: str
    expires_at: float
    replaces: str


class VariableTokenStore:
    """Loads and saves the refreshed token of one connection."""

    def __init__(self, conn_id: str) -> None:
        self.key = TOKEN_VARIABLE.format(conn_id)

    def load(self, connection_token: str) -> StoredToken | None:
        """The stored token when it replaces ``connection_token``; else None."""
        from airflow.sdk import Variable

        try:
            text = Variable.get(self.key, default=None)
        except Exception as exc:
            log.warning("Could not read the token Variable %s: %s", self.key, type(exc).__name__)
            return None
        try:
            data = json.loads(text) if text else None
            stored = StoredToken(
                str(data["access_token"]), float(data["expires_at"]), str(data["replaces"])
            )
        except (TypeError, ValueError, KeyError):
            return None
        if stored.replaces != fingerprint(connection_token):
            log.info(
                "The connection holds a new token: the refreshed one in %s is not used", self.key
            )
            return None
        return stored

    def save(self, token: str, expires_in: int, connection_token: str) -> None:
        """Store a refreshed token for every later task (raises when Airflow refuses: a
        refreshed token that is not kept would be lost)."""
        from airflow.sdk import Variable

        value = {
            "access_token": token,
            "expires_at": time.time() + expires_in,
            "replaces": fingerprint(connection_token),
        }
        Variable.set(self.key, json.dumps(value), description="Instagram Messaging API token")
