"""Sending one item to many destinations, one broadcast per destination, each with its own
``SendResult``; and finding an earlier send by its ``client_context`` (for task retries).

Everything is validated before the first request. Addressing: a thread goes by
``thread_ids``; a recipients list goes by ``recipient_users`` (the server finds or creates the
conversation), except for attachment-route photos and videos, which need a thread id: it is
looked up with ``get_by_participants``, and for a group with none yet created with
``create_group_thread``. A single user with no thread yet cannot get an attachment (there is
no way to open a 1:1 thread without sending something); that destination fails and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.checks import media_route
from airflow_provider_dm.client.client_context import new_client_context
from airflow_provider_dm.client.destinations import (
    Destination,
    check_destinations,
    resolve_destinations,
)
from airflow_provider_dm.client.errors import (
    DirectError,
    InvalidInput,
    LoginRequired,
    NetworkError,
    RequestTimeout,
)
from airflow_provider_dm.client.items import BroadcastSpec, Item
from airflow_provider_dm.client.look_back import LookBack, find_earlier
from airflow_provider_dm.client.lookups import PARTICIPANTS, thread_with, user_id_for
from airflow_provider_dm.client.transport import compact_json
from airflow_provider_dm.client.upload import TranscodeWait, until_transcoded

if TYPE_CHECKING:
    from airflow_provider_dm.client.transport import Transport

log = logging.getLogger(__name__)

ClientContext = str | Callable[[Destination], str] | None
_NEEDS_THREAD = ("photo_attachment", "raven_attachment")
_WAITS_FOR_TRANSCODE = ("raven_attachment", "configure_video")


@dataclass(frozen=True)
class SendResult:
    """What happened at one destination: ``status`` is sent, already_sent or failed; a
    failure names its ``error_type`` and whether trying again later may help (``retryable``)."""

    destination: str
    thread_id: str | None
    item_id: str | None
    client_context: str
    status: str
    error: str | None = None
    error_type: str | None = None
    retryable: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict, e.g. for XCom."""
        return asdict(self)

    @classmethod
    def failed(
        cls, destination: Destination, token: str, error: DirectError, thread_id: str | None
    ) -> SendResult:
        """The record of a destination that ``error`` stopped."""
        return cls(
            str(destination),
            thread_id,
            None,
            token,
            "failed",
            str(error),
            type(error).__name__,
            error.retryable,
        )


def _contexts(client_context: ClientContext, destinations: list[Destination]) -> list[str]:
    tokens = []
    for destination in destinations:
        if client_context is None:
            token = new_client_context()
        elif isinstance(client_context, str):
            token = client_context
        elif callable(client_context):
            token = client_context(destination)
        else:
            raise InvalidInput("client_context", "must be a string, a callable or None")
        if not isinstance(token, str) or not token.strip() or len(token) > 64:
            raise InvalidInput("client_context", f"must be a non-empty string, got {token!r}")
        tokens.append(token)
    return tokens


def send(
    transport: Transport,
    item: Item,
    *,
    recipients: Any = None,
    threads: Any = None,
    client_context: ClientContext = None,
    route: str = "attachment",
    transcode_wait: TranscodeWait | None = None,
) -> list[SendResult]:
    """Send ``item`` to every destination and return one result per destination.

    ``client_context``: one token for all (the server dedupes per thread), a callable of the
    ``Destination``, or None for a fresh token each. A destination failing with a
    ``DirectError`` gives a ``failed`` result and the others still go, except for an error
    about the account itself (``account_action``: a spam block, a challenge), which is
    raised at once: sending on would only make it worse.
    """
    if not isinstance(item, Item):
        raise InvalidInput("item", f"must be an item (Text, Link, ...), got {type(item).__name__}")
    spec = item.broadcast(media_route(route, "route"))
    check_destinations(recipients, threads)
    if client_context is not None and not callable(client_context):
        _contexts(client_context, [Destination(thread_id="0")])
    destinations = resolve_destinations(
        recipients, threads, user_id_for=lambda name: user_id_for(transport, name, "recipients")
    )
    tokens = _contexts(client_context, destinations)
    wait = transcode_wait or TranscodeWait()
    results = []
    for destination, token in zip(destinations, tokens, strict=True):
        try:
            results.append(_send_one(transport, spec, destination, token, wait))
        except DirectError as exc:
            if exc.account_action:
                raise
            results.append(
                SendResult(
                    str(destination),
                    destination.thread_id,
                    None,
                    token,
                    "failed",
                    str(exc),
                    type(exc).__name__,
                    # A session refused again right after a new login: a later try logs in anew.
                    exc.retryable or isinstance(exc, LoginRequired),
                )
            )
    return results


def _send_one(
    transport: Transport,
    spec: BroadcastSpec,
    destination: Destination,
    token: str,
    wait: TranscodeWait,
) -> SendResult:
    thread_id = destination.thread_id
    if thread_id is None and spec.kind in _NEEDS_THREAD:
        thread_id = thread_for(transport, destination, create=True)
    if thread_id is not None:
        address: dict[str, Any] = {"thread_ids": [thread_id]}
    else:
        address = {"recipient_users": [list(destination.user_ids)]}
    if spec.signed:
        # A signed body carries the destinations as strings holding a JSON list, as a plain
        # form does (docs/protocol.md §7.4), with the unused one as "[]".
        address = {
            "thread_ids": compact_json(address.get("thread_ids", [])),
            "recipient_users": compact_json(address.get("recipient_users", [])),
        }
    form = {**transport.common_send_fields(token), **address, **spec.fields}
    if spec.signed:
        form["_uid"] = str(transport.state.user_id)

    started = datetime.now(timezone.utc)
    answer_lost = False

    def post() -> dict[str, Any]:
        nonlocal answer_lost
        if answer_lost:
            earlier = _sent_meanwhile(transport, destination, thread_id, token, started)
            if earlier is not None:
                return earlier
        try:
            return transport.api(
                "POST",
                spec.endpoint,
                params=spec.params or None,
                form=form,
                signed=spec.signed,
                retry=False,
            )
        except (NetworkError, RequestTimeout):
            answer_lost = True
            raise

    def attempt() -> dict[str, Any]:
        return transport.retried(post)

    transport.before_create(f"{spec.kind} to {destination}")
    answer = until_transcoded(attempt, wait) if spec.kind in _WAITS_FOR_TRANSCODE else attempt()
    payload = answer.get("payload") or next(iter(answer.get("message_metadata") or []), {})
    return SendResult(
        destination=str(destination),
        thread_id=str(payload.get("thread_id") or thread_id or "") or None,
        item_id=str(payload["item_id"]) if payload.get("item_id") else None,
        client_context=str(payload.get("client_context") or token),
        status="sent",
    )


def _sent_meanwhile(
    transport: Transport,
    destination: Destination,
    thread_id: str | None,
    token: str,
    started: datetime,
) -> dict[str, Any] | None:
    """After a send whose answer was lost (dropped connection, timeout), the item it may have
    created, as the server's answer would carry it; None when the thread does not hold it."""
    thread_id = thread_id or thread_for(transport, destination)
    if thread_id is None:
        return None
    search = find_earlier(transport, thread_id, token, LookBack.from_start(started))
    if search.item is None:
        return None
    log.info(
        "%s: the lost answer's item %s is in the thread; not sending again",
        destination,
        search.item.item_id,
    )
    return {
        "payload": {"thread_id": thread_id, "item_id": search.item.item_id, "client_context": token}
    }


def thread_for(
    transport: Transport, destination: Destination, *, create: bool = False
) -> str | None:
    """The thread id of a destination: its own, or the conversation with exactly its users
    (``get_by_participants``); with ``create``, a missing group is created."""
    if destination.thread_id is not None:
        return destination.thread_id
    thread = thread_with(transport, destination.user_ids)
    found = thread.get("thread_id") if thread is not None else None
    if found or not create:
        return str(found) if found else None
    if not destination.is_group:
        raise DirectError(
            f"no thread with user {destination.user_ids[0]} yet, and an attachment needs one; "
            "send a text first or use the classic media route",
            endpoint=PARTICIPANTS,
        )
    identity = transport.common_send_fields(new_client_context())
    created = transport.api(
        "POST",
        "direct_v2/create_group_thread/",
        form={
            "recipient_users": compact_json(list(destination.user_ids)),
            "thread_title": "",
            "_uuid": identity["_uuid"],
            "_uid": str(transport.state.user_id),
            "client_context": identity["client_context"],
        },
        signed=True,
    )
    thread_id = created.get("thread_id") or (created.get("thread") or {}).get("thread_id")
    if not thread_id:
        raise DirectError(
            "create_group_thread answered without a thread_id",
            endpoint="direct_v2/create_group_thread/",
            payload=created,
        )
    return str(thread_id)
