"""The Airflow hook for Instagram Direct: connection -> `DirectClient`, with the session kept
in a Variable so that a whole DAG, on any number of workers, logs in once, and with the
account's shared state (block mark, login lock, send budget) kept where every worker sees it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from airflow.sdk.log import mask_secret

from airflow_provider_dm.client.errors import (
    BadRequest,
    DirectError,
    FeedbackRequired,
    Forbidden,
    InvalidInput,
    MediaNeedsReupload,
    NotFound,
)
from airflow_provider_dm.client.proxy import proxy_secrets
from airflow_provider_dm.hooks.account_block import AccountBlock
from airflow_provider_dm.hooks.account_store import (
    AccountStore,
    StoreUnavailable,
    account_key,
    default_state_dir,
)
from airflow_provider_dm.hooks.send_budget import (
    BLOCK_CHECK_SECONDS,
    BudgetWaitTooLong,
    SendBudget,
)
from airflow_provider_dm.hooks.session_store import (
    LEGACY_SESSION_VARIABLE,
    VariableSessionStore,
    default_session_key,
)
from airflow_provider_dm.hooks.settings import DirectSettings
from airflow_provider_dm.provider_info import CONN_TYPE, DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_dm.client import DirectClient, SessionState
    from airflow_provider_dm.client.destinations import Destination, Unresolved
    from airflow_provider_dm.client.item_refs import IdCheck
    from airflow_provider_dm.client.items import Item


class DirectHook(BaseHook):
    """Builds a logged-in `DirectClient` from an ``instagram_direct`` connection.

    Keyword arguments override the connection's extras, which override the defaults:

    :param direct_conn_id: the ``instagram_direct`` connection.
    :param timeout: seconds per request.
    :param proxy: a proxy URL for every request and upload: ``http://``, ``https://``,
        ``socks5://`` or ``socks5h://`` (these two need the ``socks`` extra), with optional
        ``user:password@``.
    :param send_interval: minimum seconds between two sends of this process.
    :param media_route: ``attachment`` or ``classic``.
    :param session_variable: the Variable that keeps the session.
    :param verify_tls: verify the service's TLS certificate.
    :param dry_run: validate and prepare, send nothing.
    :param send_rate: the account's send budget, e.g. ``"1/20s;60/1h"``, or ``"off"``.
    :param redis_conn_id: an Airflow Redis connection that holds the account's shared state
        (block mark, login lock, send budget) for workers on several machines.
    :param deadline: a ``time.monotonic()`` value the task must end by; a budget wait past
        it fails the task instead.
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
        send_rate: str | None = None,
        redis_conn_id: str | None = None,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.direct_conn_id = direct_conn_id
        self.deadline = deadline
        self._block_checked_at = float("-inf")
        self._overrides = {
            "timeout": timeout,
            "proxy": proxy,
            "send_interval": send_interval,
            "media_route": media_route,
            "session_variable": session_variable,
            "verify_tls": verify_tls,
            "dry_run": dry_run,
            "send_rate": send_rate,
            "redis_conn_id": redis_conn_id,
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
        proxy = [settings.proxy, *proxy_secrets(settings.proxy)] if settings.proxy else []
        for secret in (settings.password, settings.totp_secret, *proxy):
            if secret:
                mask_secret(secret)
        if settings.ignored_extras:
            self.log.warning(
                "Connection %s: ignoring extras this provider does not read: %s",
                self.direct_conn_id,
                ", ".join(settings.ignored_extras),
            )
        if not settings.verify_tls:
            self.log.warning(
                "Connection %s: verify_tls is off, so the service's TLS certificate is not "
                "checked and anyone on the network path can read the session; turn it off "
                "only for a test server",
                self.direct_conn_id,
            )
        return settings

    @property
    def account(self) -> str:
        """The account's name in the shared state: ``username@api-host``."""
        return account_key(self.settings.username, self.settings.api_url)

    @cached_property
    def account_store(self) -> AccountStore:
        """Where the account's block mark, login lock and send budget live: Redis when the
        connection names ``redis_conn_id``, else a folder of this machine. Checked to be
        reachable before it is used."""
        redis_conn_id = self.settings.redis_conn_id
        if redis_conn_id is None:
            from airflow_provider_dm.hooks.local_account_store import LocalAccountStore

            folder = Path(self.settings.state_dir) if self.settings.state_dir else None
            store: AccountStore = LocalAccountStore(folder or default_state_dir(), self.account)
            where = f"state_dir {store.directory}"
        else:
            store = _redis_store(redis_conn_id, self.account)
            where = f"redis_conn_id {redis_conn_id!r}"
        try:
            store.check()
        except StoreUnavailable as exc:
            raise AirflowException(
                f"{where}: the account's shared state is unreachable ({exc})"
            ) from exc
        return store

    @cached_property
    def session_store(self) -> VariableSessionStore:
        """The Variable that keeps this connection's session (with the default name, the former
        default name is where an earlier release kept it)."""
        key = self.settings.session_variable
        conn_id = self.direct_conn_id
        legacy = LEGACY_SESSION_VARIABLE.format(conn_id)
        return VariableSessionStore(key, legacy if key == default_session_key(conn_id) else None)

    @cached_property
    def client(self) -> DirectClient:
        """The client, restored from the stored session when there is one (no login yet); a
        session under the former default Variable name is moved to the new one first."""
        state = self._stored_state()
        if state is None and self.session_store.legacy_key is not None:
            with self.account_store.login_lock():
                if self.session_store.migrate():
                    state = self._stored_state()
        return self._build_client(state)

    def get_conn(self, *, ignore_block: bool = False) -> DirectClient:
        """The logged-in client. Fails at once when the account is marked blocked (unless
        ``ignore_block``: the Test button). Logs in only when no stored session exists; logins
        of one account take turns, and one that waited reuses the session stored meanwhile."""
        if not ignore_block:
            self.check_not_blocked()
        client = self.client
        if not client.state.logged_in:
            self._log_in_or_adopt(client, failed_bearer=None, ignore_block=ignore_block)
        return client

    def check_not_blocked(self, *, fresh: bool = False) -> None:
        """Raise ``AirflowFailException`` with what to do when the account is marked blocked.
        Looked up at most once a second per hook (``get_conn`` may be called per request),
        unless ``fresh``."""
        now = time.monotonic()
        if not fresh and now - self._block_checked_at < BLOCK_CHECK_SECONDS:
            return
        mark = self.account_store.blocked()
        if mark is not None:
            raise AirflowFailException(mark.describe())
        self._block_checked_at = now

    def clear_block(self) -> bool:
        """Lift the account's block mark (after the person fixed its cause); True if one was set."""
        cleared = self.account_store.clear_block()
        if cleared:
            self.log.info("Cleared the block mark of %s", self.account)
        return cleared

    def record_failure(self, error: DirectError) -> None:
        """Mark the account blocked after an error that needs a person (``blocks_account``), so
        that its other tasks stop without asking the service; a spam block lifts by itself
        after ``feedback_cooldown``."""
        if not error.blocks_account or error.account_action is None:
            return

        now = time.time()
        until = (
            now + self.settings.feedback_cooldown if isinstance(error, FeedbackRequired) else None
        )
        mark = AccountBlock(
            self.account, type(error).__name__, error.message, error.account_action, now, until
        )
        self.account_store.block(mark)
        self.log.error("Marked %s blocked: %s", self.account, mark.describe())

    @contextmanager
    def failing_fast(self) -> Iterator[None]:
        """Turn what retrying cannot fix into ``AirflowFailException`` (the task fails with no
        retry), marking the account blocked where that applies; transient problems (network,
        timeouts, 5xx, 429) stay retryable."""

        try:
            yield
        except DirectError as exc:
            if exc.account_action is not None:
                self.record_failure(exc)
                raise AirflowFailException(f"{exc}. To go on: {exc.account_action}") from exc
            if _fails_fast(exc):
                raise AirflowFailException(str(exc)) from exc
            raise
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc
        except BudgetWaitTooLong as exc:
            raise AirflowException(str(exc)) from exc
        except StoreUnavailable as exc:
            where = self.settings.redis_conn_id or self.settings.state_dir or "state_dir"
            raise AirflowException(
                f"the account's shared state ({where}) failed: {exc}; nothing more was sent"
            ) from exc

    def _stored_state(self) -> SessionState | None:
        """The stored session of this connection's account, its secrets masked; else None."""
        state = self.session_store.load()
        if state is None or state.username not in (None, self.settings.username):
            return None
        self._mask_session(state)
        return state

    def _log_in_or_adopt(
        self, client: DirectClient, *, failed_bearer: str | None, ignore_block: bool = False
    ) -> None:
        """Under the account's login lock: adopt a session another task stored meanwhile (one
        other than ``failed_bearer``, which the service refused), else log in."""
        with self.account_store.login_lock():
            if not ignore_block:
                # The login this task waited for may have just been refused: look again.
                self.check_not_blocked(fresh=True)
            state = self._stored_state()
            if state is not None and state.logged_in and state.authorization != failed_bearer:
                self.log.info("Reusing the session another task stored meanwhile")
                client.adopt(state)
                return
            try:
                client.login_again()
            except Exception as exc:
                if isinstance(exc, DirectError):
                    self.record_failure(exc)
                raise

    def _reauthenticate(self, client: DirectClient) -> None:
        self.log.info("The session expired; logging in again (one task at a time)")
        self._log_in_or_adopt(client, failed_bearer=client.state.authorization)

    def _budget(self) -> SendBudget | None:
        limits = self.settings.send_rate
        if not limits:
            return None
        store = self.account_store
        return SendBudget(
            store.bucket(limits),
            limits,
            self.account,
            deadline=self.deadline,
            check_block=self.check_not_blocked,
        )

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
            reauthenticate=self._reauthenticate,
            budget=self._budget(),
            device=settings.device,
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

    def check_destinations(self, recipients: Any, threads: Any) -> None:
        """Validate the shapes of ``recipients`` and ``threads`` (no request)."""
        from airflow_provider_dm.client.destinations import check_destinations

        check_destinations(recipients, threads)

    def destinations(
        self, client: Any, recipients: Any, threads: Any
    ) -> list[Destination | Unresolved]:
        """One destination per conversation, ``@names`` resolved through ``client``; a
        conversation naming a user the service does not know is kept as ``Unresolved``."""
        from airflow_provider_dm.client.destinations import resolve_each

        resolver = client.user_id_for if client is not None else None
        return resolve_each(recipients, threads, user_id_for=resolver)

    def check_sendable(self, operator: str, item: dict[str, Any]) -> None:
        """Every item kind can be sent over the private API: nothing to refuse."""

    @property
    def upload_route(self) -> str:
        """The ``route`` of this connection's uploads: its media route."""
        return self.settings.media_route

    def check_media_source(self, operator: str, kind: str, source: str) -> None:
        """Refuse, before any request, a media ``source`` (``path``, ``url`` or ``upload``)
        this API cannot take: the private API uploads files, so it sends nothing by URL."""
        if source == "url":
            raise InvalidInput(
                "url",
                f"{operator} cannot take a {kind} by URL on an {CONN_TYPE} connection: "
                "the private API uploads files; give path (a local file) instead",
            )

    def check_media_item(self, item: Item, route: str) -> None:
        """Validate a photo, video or voice item for ``route``, with no request."""
        item.broadcast(route)

    def check_thread_id(self, thread_id: Any) -> str:
        """A thread id as this API writes them (digits), else ``InvalidInput``."""
        from airflow_provider_dm.client.checks import thread_id as checked_thread_id

        return checked_thread_id(thread_id)

    def check_operator(self, operator: type) -> None:
        """Every operator runs over the private API: nothing to refuse."""

    def id_checks(self) -> tuple[IdCheck, IdCheck]:
        """The checks of a thread id and of an item id on this API (digits both)."""
        from airflow_provider_dm.client.checks import numeric_id, thread_id

        return thread_id, numeric_id

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated call, even for an account marked blocked; success lifts the
        mark (the person fixed its cause). Never raises (the UI's Test button)."""

        try:
            user = self.get_conn(ignore_block=True).current_user()
        except Exception as exc:
            if isinstance(exc, DirectError):
                self.record_failure(exc)
                if exc.account_action:
                    return False, f"{type(exc).__name__}: {exc}. To go on: {exc.account_action}"
            return False, f"{type(exc).__name__}: {exc}"
        cleared = self.clear_block()
        lifted = "; the account's block mark is cleared" if cleared else ""
        return True, f"Logged in as {user.username} ({user.pk}){lifted}"


def _fails_fast(error: DirectError) -> bool:
    """Errors that a retry cannot fix: bad input, an id the service does not know, a refusal."""

    return isinstance(error, (InvalidInput, BadRequest, NotFound, Forbidden, MediaNeedsReupload))


def _redis_store(redis_conn_id: str, account: str) -> AccountStore:
    """The Redis store behind an Airflow Redis connection; ``AirflowFailException`` naming
    ``redis_conn_id`` when the provider is missing or the connection does not exist."""
    try:
        from airflow.providers.redis.hooks.redis import RedisHook
    except ImportError:
        raise AirflowFailException(
            "redis_conn_id: needs apache-airflow-providers-redis; install "
            "airflow-provider-dm[redis]"
        ) from None
    from airflow.sdk.exceptions import AirflowNotFoundException

    from airflow_provider_dm.hooks.redis_account_store import RedisAccountStore

    try:
        redis = RedisHook(redis_conn_id=redis_conn_id).get_conn()
    except AirflowNotFoundException:
        raise AirflowFailException(
            f"redis_conn_id: there is no Airflow connection {redis_conn_id!r}"
        ) from None
    return RedisAccountStore(redis, account)
