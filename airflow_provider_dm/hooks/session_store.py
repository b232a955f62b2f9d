"""Where the logged-in session lives between tasks: an Airflow Variable, so that every task on
every worker reuses one login."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_dm.client import SessionState

log = logging.getLogger(__name__)


class VariableSessionStore:
    """Loads and saves a `SessionState` as JSON in the Airflow Variable ``key``.

    Outside a task (the UI's Test button, a plain script) Airflow may refuse Variable writes;
    the session then lives only as long as the hook, and that is logged, not raised.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def load(self) -> SessionState | None:
        """The stored session, or None when there is none or it cannot be read."""
        from airflow.sdk import Variable

        from airflow_provider_dm.client import SessionState

        try:
            text = Variable.get(self.key, default=None)
        except Exception as exc:
            log.warning("Could not read the session Variable %s: %s", self.key, type(exc).__name__)
            return None
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
        from airflow.sdk import Variable

        try:
            Variable.set(self.key, state.to_json(), description="Instagram Direct session")
        except Exception as exc:
            log.warning("Could not save the session Variable %s: %s", self.key, type(exc).__name__)
            return False
        return True
