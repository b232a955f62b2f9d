"""What Meta's official Instagram Messaging API cannot do, with the reasons, in one place: the
operators it cannot serve and the item kinds it cannot send. An ``instagram_messaging``
connection refuses them before any request (``MessagingApiHook.check_operator`` and
``check_sendable``), and the README's backend table says the same."""

from __future__ import annotations

from airflow_provider_dm.provider_info import MESSAGING_CONN_TYPE

UNSUPPORTED_OPERATORS: dict[str, str] = {
    "DirectUnsendOperator": "has no endpoint to unsend (delete) a message",
    "DirectApproveRequestsOperator": (
        "has no endpoint to approve message requests (a reply moves the conversation to the"
        " inbox instead)"
    ),
    "DirectDeclineRequestsOperator": "has no endpoint to decline message requests",
    "DirectCreateGroupOperator": "has no group conversations (one person per conversation)",
    "DirectUpdateThreadOperator": (
        "has no endpoint to rename, add people to, mute, hide or leave a conversation"
    ),
    "DirectLookupUserOperator": (
        "cannot look up usernames: people are IGSIDs learned from conversations and webhooks"
    ),
}

UNSENDABLE_ITEMS: dict[str, str] = {
    "profile": "cannot share a profile (send a link to it as text instead)",
}
OTHER_ITEMS = "cannot send this kind of item"


def unsendable(operator: str, kind: str) -> str:
    """Why ``operator`` cannot send a ``kind`` item on an ``instagram_messaging`` connection,
    as a whole message."""
    reason = UNSENDABLE_ITEMS.get(kind, OTHER_ITEMS)
    return (
        f"{operator} cannot run on an {MESSAGING_CONN_TYPE} connection: the official Instagram"
        f" Messaging API {reason}"
    )


def refusal(operator: type) -> str | None:
    """Why ``operator`` (or the provider operator it extends) cannot run on an
    ``instagram_messaging`` connection, as a whole message; None when it can."""
    for cls in operator.__mro__:
        reason = UNSUPPORTED_OPERATORS.get(cls.__name__)
        if reason is not None:
            return (
                f"{operator.__name__} cannot run on an {MESSAGING_CONN_TYPE} connection: the"
                f" official Instagram Messaging API {reason}"
            )
    return None
