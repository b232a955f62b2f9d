"""The Airflow hook for Instagram Direct: connection -> `DirectClient`, with the session kept
in a Variable so that a whole DAG, on any number of workers, logs in once."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from airflow_provider_dm.hooks.login_lock import login_lock
from airflow_provider_dm.hooks.session_store import VariableSessionStore
from airflow_provider_dm.hooks.settings import DirectSettings
from airflow_provider_dm.provider_info import CONN_TYPE, DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_dm.client import DirectClient, SessionState


class DirectHook(BaseHook):
    """Builds a logged-in `DirectClient` from an ``instagram_direct`` connection.

    Keyword arguments override the connection's extras, which override the defaults.
    """

    conn_name_attr = "direct_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Instagram Direct"

    def __init__(
        self,
        direct_conn_id: str = DEFAULT_CONN_ID,
        *,
        timeout: float | None = None,
        proxy: str | None = None,
        send_interval: float | None = None,
        media_route: str | None = None,
        session_variable: str | None = None,
        verify_tls: bool | None = None,
        dry_run: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.direct_conn_id = direct_conn_id
        self._overrides = {
            "timeout": timeout,
            "proxy": proxy,
            "send_interval": send_interval,
            "media_route": media_route,
            "session_variable": session_variable,
            "verify_tls": verify_tls,
            "dry_run": dry_run,
        }

    @cached_property
    def settings(self) -> DirectSettings:
        """The merged, type-coerced settings; secrets are masked as soon as they are read."""
        conn = self.get_connection(self.direct_conn_id)
        settings = DirectSettings.build(
            conn_id=self.direct_conn_id,
            login=conn.login,
            password=conn.password,
            host=conn.host,
            extra=conn.extra_dejson,
            overrides=self._overrides,
        )
        for secret in (settings.password, settings.totp_secret, settings.proxy):
            if secret:
                mask_secret(secret)
        return settings

    @cached_property
    def session_store(self) -> VariableSessionStore:
        """The Variable that keeps this connection's session."""
        return VariableSessionStore(self.settings.session_variable)

    @cached_property
    def client(self) -> DirectClient:
        """The client, restored from the stored session when there is one (no login yet)."""
        return self._build_client(self._stored_state())

    def get_conn(self) -> DirectClient:
        """The logged-in client: logs in only when no stored session exists. Logins of the
        same session on this machine take turns, and one that waited first looks again for a
        session that another task stored meanwhile."""
        client = self.client
        if client.state.logged_in:
            return client
        with login_lock(self.session_store.key):
            state = self._stored_state()
            if state is not None and state.logged_in:
                self.log.info("Reusing the session another task stored meanwhile")
                client.close()
                client = self.client = self._build_client(state)
            else:
                settings = self.settings
                client.login(settings.username, settings.password, settings.totp_secret)
        return client

    def _stored_state(self) -> SessionState | None:
        """The stored session of this connection's account, its secrets masked; else None."""
        state = self.session_store.load()
        if state is None or state.username not in (None, self.settings.username):
            return None
        self._mask_session(state)
        return state

    def _build_client(self, state: SessionState | None) -> DirectClient:
        from airflow_provider_dm.client import Credentials, DirectClient

        settings = self.settings
        return DirectClient(
            api_url=settings.api_url,
            upload_url=settings.upload_url,
            state=state,
            timeout=settings.timeout,
            proxy=settings.proxy,
            verify=settings.verify_tls,
            send_interval=settings.send_interval,
            media_route=settings.media_route,
            credentials=Credentials(settings.username, settings.password, settings.totp_secret),
            on_login=self._on_login,
        )

    def _on_login(self, state: SessionState) -> None:
        self._mask_session(state)
        if self.session_store.save(state):
            self.log.info(
                "Logged in as %s; session saved in Variable %s",
                state.username,
                self.session_store.key,
            )
        else:
            self.log.info("Logged in as %s; the session is not stored", state.username)

    @staticmethod
    def _mask_session(state: SessionState) -> None:
        for secret in state.secrets():
            mask_secret(secret)

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated call; never raises (the UI's Test button)."""
        try:
            user = self.get_conn().current_user()
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return True, f"Logged in as {user.username} ({user.pk})"
