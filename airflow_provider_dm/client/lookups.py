"""Resolving names to ids, each in one place: a ``@username`` to its user id
(``users/{name}/usernameinfo/``) and a set of users to the conversation they share
(``direct_v2/threads/get_by_participants/``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.checks import is_username, numeric_id, username
from airflow_provider_dm.client.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from airflow_provider_dm.client.transport import Transport

PARTICIPANTS = "direct_v2/threads/get_by_participants/"


def user_info(transport: Transport, name: str, field: str = "username") -> dict[str, Any]:
    """The raw user named ``name`` (with or without ``@``); ``NotFound`` when there is none."""
    clean = username(name, field)
    endpoint = f"users/{clean}/usernameinfo/"
    answer = transport.api("GET", endpoint)
    user = answer.get("user") if isinstance(answer.get("user"), dict) else {}
    if not user.get("pk"):
        raise NotFound(f"no user named {clean}", endpoint=endpoint)
    return user


def user_id_for(transport: Transport, name: str, field: str = "username") -> str:
    """The user id of ``name`` (with or without ``@``); ``NotFound`` when there is none."""
    return numeric_id(user_info(transport, name, field)["pk"], field)


def thread_with(transport: Transport, user_ids: Sequence[str | int]) -> dict[str, Any] | None:
    """The raw thread of the conversation with exactly ``user_ids``, or None when there is
    none (the service answers ``{"status": "ok"}`` with no thread)."""
    ids = [int(numeric_id(u, "user_ids")) for u in user_ids]
    answer = transport.api(
        "GET", PARTICIPANTS, params={"recipient_users": json.dumps(ids, separators=(",", ":"))}
    )
    thread = answer.get("thread")
    if isinstance(thread, dict) and thread.get("thread_id"):
        return thread
    if answer.get("thread_id"):
        return answer
    return None


def user_ids(
    refs: Any, field: str, user_id_for: Callable[[str], int], *, optional: bool = False
) -> list[int]:
    """``refs`` (user ids and ``"@username"``s, or one of them) as ids, each name looked up
    with ``user_id_for``; every entry is checked before the first lookup."""
    if refs is None or refs == "" or refs == []:
        if optional:
            return []
        raise InvalidInput(field, "must name at least one user")
    if isinstance(refs, (str, int)):
        refs = [refs]
    if not isinstance(refs, Sequence):
        raise InvalidInput(field, f"must be a list of user ids or @usernames, got {refs!r}")
    clean: list[str | int] = []
    for n, ref in enumerate(refs):
        name = f"{field}[{n}]"
        clean.append(username(ref, name) if is_username(ref) else int(numeric_id(ref, name)))
    return [user_id_for(ref) if isinstance(ref, str) else ref for ref in clean]
