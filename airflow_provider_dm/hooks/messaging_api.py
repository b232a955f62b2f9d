"""The Airflow hook for Meta's official Instagram Messaging API: an ``instagram_messaging``
connection -> ``GraphClient``, with the same fail-fast rules, block mark and shared send
budget as the Direct hook (there is no login: the connection holds the access token)."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk.log import mask_secret

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.hooks.direct import DirectHook
from airflow_provider_dm.hooks.messaging_settings import MessagingSettings
from airflow_provider_dm.hooks.token_store import VariableTokenStore
from airflow_provider_dm.provider_info import MESSAGING_CONN_TYPE, MESSAGING_DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_dm.client.destinations import Destination
    from airflow_provider_dm.client.graph import GraphClient
    from airflow_provider_dm.client.item_refs import IdCheck
    from airflow_provider_dm.client.items import Item


class MessagingApiHook(DirectHook):
    """Builds a ``GraphClient`` from an ``instagram_messaging`` connection.

    Keyword arguments override the connection's extras, as on ``DirectHook``:

    :param direct_conn_id: the ``instagram_messaging`` connection (the operators' argument
        name, so that the same DAG runs on either backend).
    :param timeout: seconds per request.
    :param proxy: a proxy URL for every request.
    :param verify_tls: verify the service's TLS certificate.
    :param dry_run: validate and prepare, send nothing.
    :param send_rate: the account's send budget, e.g. ``"100/1s"``, or ``"off"`` (default).
    :param redis_conn_id: an Airflow Redis connection holding the shared budget and block mark.
    """

    default_conn_name = MESSAGING_DEFAULT_CONN_ID
    conn_type = MESSAGING_CONN_TYPE
    hook_name = "Instagram Messaging API (official)"

    def __init__(self, direct_conn_id: str = MESSAGING_DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(direct_conn_id, **kwargs)
        self._connection_token = ""

    @cached_property
    def settings(self) -> MessagingSettings:  # type: ignore[override]
        """The merged settings; the token and app secret are masked as soon as they are read."""
        conn = self.get_connection(self.direct_conn_id)
        overrides = {k: v for k, v in self._overrides.items() if k in _OVERRIDES}
        self._connection_token = conn.password or ""
        settings = MessagingSettings.build(
            conn_id=self.direct_conn_id,
            login=conn.login,
            password=conn.password,
            host=conn.host,
            extra=conn.extra_dejson,
            overrides=overrides,
        )
        for secret in (settings.access_token, settings.app_secret, settings.proxy):
            if secret:
                mask_secret(secret)
        stored = self.token_store.load(settings.access_token)
        if stored is not None:
            mask_secret(stored.access_token)
            settings = replace(settings, access_token=stored.access_token)
        return settings

    @cached_property
    def client(self) -> GraphClient:  # type: ignore[override]
        """The Graph client (no network call yet)."""
        from airflow_provider_dm.client.graph import GraphClient

        settings = self.settings
        return GraphClient(
            settings.access_token,
            api_url=settings.api_url,
            api_version=settings.api_version,
            ig_user_id=settings.ig_user_id,
            page_id=settings.page_id,
            timeout=settings.timeout,
            proxy=settings.proxy,
            verify=settings.verify_tls,
            budget=self._budget(),
        )

    def get_conn(self, *, ignore_block: bool = False) -> GraphClient:  # type: ignore[override]
        """The client. Fails at once when the account is marked blocked (unless
        ``ignore_block``: the Test button)."""
        if not ignore_block:
            self.check_not_blocked()
        return self.client

    def check_destinations(self, recipients: Any, threads: Any) -> None:
        """IGSIDs one per conversation, conversation ids in ``threads`` (no request)."""
        from airflow_provider_dm.client.graph import graph_destinations

        graph_destinations(recipients, threads)

    def destinations(self, client: Any, recipients: Any, threads: Any) -> list[Destination]:
        """One destination per conversation (no username lookup exists on this API)."""
        from airflow_provider_dm.client.graph import graph_destinations

        return graph_destinations(recipients, threads)

    def check_thread_id(self, thread_id: Any) -> str:
        """A conversation id (opaque letters and digits), else ``InvalidInput``."""
        from airflow_provider_dm.client.graph import conversation_id

        return conversation_id(thread_id)

    def check_sendable(self, operator: str, item: dict[str, Any]) -> None:
        """Refuse, before any request, an item kind the official API cannot send, naming
        the operator, the connection type and the reason."""
        from airflow_provider_dm.client.graph import SENDABLE
        from airflow_provider_dm.hooks.unsupported_operators import unsendable

        if item.get("kind") not in SENDABLE:
            raise ValueError(unsendable(operator, str(item.get("kind"))))

    def check_operator(self, operator: type) -> None:
        """Refuse, before any request, an operator the official API cannot serve, naming
        the operator, the connection type and the reason (``unsupported_operators``)."""
        from airflow_provider_dm.hooks.unsupported_operators import refusal

        message = refusal(operator)
        if message is not None:
            raise ValueError(message)

    def id_checks(self) -> tuple[IdCheck, IdCheck]:
        """The checks of a conversation id and of a message id (opaque both)."""
        from airflow_provider_dm.client.graph import conversation_id, message_id

        return conversation_id, message_id

    @property
    def upload_route(self) -> str:
        """The ``route`` of this connection's uploads: ``graph`` (sent by attachment_id)."""
        return "graph"

    def check_media_source(self, operator: str, kind: str, source: str) -> None:
        """Refuse, before any request, a photo from a file: the official attachment upload
        takes images by public URL only (videos and voice messages also from a file)."""
        if kind == "photo" and source == "path":
            raise InvalidInput(
                "path",
                f"{operator} cannot upload a photo file on an {MESSAGING_CONN_TYPE} connection:"
                " the official Instagram Messaging API takes images by public URL only; give url",
            )

    def check_media_item(self, item: Item, route: str) -> None:
        """Validate a photo, video or voice item as the Send API takes it, with no request."""
        from airflow_provider_dm.client.graph_media import media_message

        media_message(item)

    @cached_property
    def token_store(self) -> VariableTokenStore:
        """The Variable that keeps this connection's refreshed token."""
        return VariableTokenStore(self.direct_conn_id)

    def refresh_token(self) -> int:
        """Refresh the long-lived token (the service wants it at least 24 hours old) and
        keep the new one for every later task; returns its lifetime in seconds."""
        token, expires_in = self.get_conn().refresh_token()
        mask_secret(token)
        self.token_store.save(token, expires_in, self._connection_token)
        self.log.info(
            "Refreshed the access token of %s: valid for %d days, kept in Variable %s",
            self.direct_conn_id,
            expires_in // 86400,
            self.token_store.key,
        )
        return expires_in


_OVERRIDES = frozenset({"timeout", "proxy", "verify_tls", "dry_run", "send_rate", "redis_conn_id"})
