"""The Instagram Direct protocol client on ``requests``: login and session, reading the inbox and
threads, uploads and sends. It imports nothing from Airflow and can be used on its own.

Every public name is importable from here; each is loaded on first use (module
``__getattr__``), so ``import airflow_provider_dm.client`` costs nothing until a name is
needed, and ``requests``, Pillow and ``cryptography`` load only with what uses them.

A section sign in this package (§1.2) cites ``docs/protocol.md``, the project's reference of
the wire protocol as this client sends it and the emulator serves it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_dm.client.broadcast import SendResult
    from airflow_provider_dm.client.direct import DirectClient
    from airflow_provider_dm.client.errors import (
        BadPassword,
        BadRequest,
        ChallengeRequired,
        CheckpointRequired,
        DirectError,
        FeedbackRequired,
        Forbidden,
        InactiveUser,
        InvalidInput,
        InvalidUser,
        LoginFailed,
        LoginRequired,
        MediaNeedsReupload,
        MediaUnavailable,
        MessageRequestsDisabled,
        NetworkError,
        NotFound,
        PrivateAccount,
        RateLimited,
        RequestTimeout,
        ResponseError,
        SentryBlock,
        ServerError,
        TranscodeNotFinished,
        TwoFactorRequired,
    )
    from airflow_provider_dm.client.items import (
        Item,
        Link,
        MediaShare,
        Photo,
        ProfileShare,
        Text,
        Video,
        Voice,
    )
    from airflow_provider_dm.client.models import Thread, ThreadItem, User
    from airflow_provider_dm.client.pagination import Listing, Page
    from airflow_provider_dm.client.state import Credentials, SessionState
    from airflow_provider_dm.client.upload import Upload

_ERRORS = (
    "BadPassword",
    "BadRequest",
    "ChallengeRequired",
    "CheckpointRequired",
    "DirectError",
    "FeedbackRequired",
    "Forbidden",
    "InactiveUser",
    "InvalidInput",
    "InvalidUser",
    "LoginFailed",
    "LoginRequired",
    "MediaNeedsReupload",
    "MediaUnavailable",
    "MessageRequestsDisabled",
    "NetworkError",
    "NotFound",
    "PrivateAccount",
    "RateLimited",
    "RequestTimeout",
    "ResponseError",
    "SentryBlock",
    "ServerError",
    "TranscodeNotFinished",
    "TwoFactorRequired",
)
_HOMES: dict[str, str] = {
    "DirectClient": "direct",
    "SendResult": "broadcast",
    "Upload": "upload",
    "Credentials": "state",
    "SessionState": "state",
    "Listing": "pagination",
    "Page": "pagination",
    "Thread": "models",
    "ThreadItem": "models",
    "User": "models",
    **{name: "items" for name in ("Item", "Text", "Link", "ProfileShare", "MediaShare")},
    **{name: "items" for name in ("Photo", "Video", "Voice")},
    **dict.fromkeys(_ERRORS, "errors"),
}

__all__ = [
    "BadPassword",
    "BadRequest",
    "ChallengeRequired",
    "CheckpointRequired",
    "Credentials",
    "DirectClient",
    "DirectError",
    "FeedbackRequired",
    "Forbidden",
    "InactiveUser",
    "InvalidInput",
    "InvalidUser",
    "Item",
    "Link",
    "Listing",
    "LoginFailed",
    "LoginRequired",
    "MediaNeedsReupload",
    "MediaShare",
    "MediaUnavailable",
    "MessageRequestsDisabled",
    "NetworkError",
    "NotFound",
    "Page",
    "Photo",
    "PrivateAccount",
    "ProfileShare",
    "RateLimited",
    "RequestTimeout",
    "ResponseError",
    "SendResult",
    "SentryBlock",
    "ServerError",
    "SessionState",
    "Text",
    "Thread",
    "ThreadItem",
    "TranscodeNotFinished",
    "TwoFactorRequired",
    "Upload",
    "User",
    "Video",
    "Voice",
]


def __getattr__(name: str) -> Any:
    """Load a public name from the module that holds it, on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
