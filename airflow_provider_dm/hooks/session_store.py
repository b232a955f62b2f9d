"""Where the logged-in session lives between tasks: an Airflow Variable, so that every task on
every worker reuses one login. Its default name contains ``secret``, so that Airflow masks its
value in the UI and the REST API."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_dm.client import SessionState

log = logging.getLogger(__name__)

SESSION_VARIABLE = "instagram_direct_session_secret__{}"
# The default name of earlier releases, whose value Airflow showed in clear; moved once.
LEGACY_SESSION_VARIABLE = "instagram_direct_session__{}"
DESCRIPTION = "Instagram Direct session"
# Airflow masks the value of a Variable whose name contains one of these (its default list,
# [core] sensitive_var_conn_names may add more).
_MASKED_WORDS = ("secret", "password", "passwd", "token", "authorization", "bearer", "api_key")


def default_session_key(conn_id: str) -> str:
    """The Variable that keeps ``conn_id``'s session unless the connection names another."""
    return SESSION_VARIABLE.format(conn_id)


class VariableSessionStore:
    """Loads and saves a `SessionState` as JSON in the Airflow Variable ``key``;
    ``legacy_key`` is a former name whose session ``migrate`` moves to ``key``.

    Outside a task (the UI's Test button, a plain script) Airflow may refuse Variable writes;
    the session then lives only as long as the hook, and that is logged, not raised.
    """

    def __init__(self, key: str, legacy_key: str | None = None) -> None:
        self.key = key
        self.legacy_key = legacy_key
        if not any(word in key.lower() for word in _MASKED_WORDS):
            log.warning(
                "The session Variable %s holds the bearer token, but Airflow shows its value in "
                "clear: give it a name with 'secret' in it",
                key,
            )

    def load(self) -> SessionState | None:
        """The stored session, or None when there is none or it cannot be read."""
        from airflow_provider_dm.client import SessionState

        text = self._get(self.key)
        if not text:
            return None
        try:
            return SessionState.from_json(text)
        except ValueError:
            log.warning("The session Variable %s holds no valid session; ignoring it", self.key)
            return None

    def save(self, state: SessionState) -> bool:
        """Store the session for the next task; a failure is logged, never raised, and
        returns False."""
        return self._set(state.to_json())

    def migrate(self) -> bool:
        """Move a session stored under ``legacy_key`` to ``key`` (read, write, delete), unless
        ``key`` already holds one; True when it moved. Call it under the login lock, so that
        it cannot overwrite a session a login stored meanwhile."""
        if self.legacy_key is None or self._get(self.key):
            return False
        text = self._get(self.legacy_key)
        if not text or not self._set(text):
            return False
        from airflow.sdk import Variable

        try:
            Variable.delete(self.legacy_key)
        except Exception as exc:
            log.warning(
                "Could not delete the former session Variable %s: %s",
                self.legacy_key,
                type(exc).__name__,
            )
        log.info("Moved the session from Variable %s to %s", self.legacy_key, self.key)
        return True

    @staticmethod
    def _get(key: str) -> str | None:
        from airflow.sdk import Variable

        try:
            return Variable.get(key, default=None)
        except Exception as exc:
            log.warning("Could not read the session Variable %s: %s", key, type(exc).__name__)
            return None

    def _set(self, text: str) -> bool:
        from airflow.sdk import Variable

        try:
            Variable.set(self.key, text, description=DESCRIPTION)
        except Exception as exc:
            log.warning("Could not save the session Variable %s: %s", self.key, type(exc).__name__)
            return False
        return True
