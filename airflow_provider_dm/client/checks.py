"""The input rules every layer shares, each written once: numeric ids, thread ids, positive
whole numbers, ``@usernames``, inbox filters and media routes. Each check returns the clean
value or raises ``InvalidInput`` naming the field, before any request."""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_dm.client.errors import InvalidInput

MEDIA_ROUTES = ("attachment", "classic")
SELECTED_FILTERS = ("unread", "flagged")

_DIGITS = re.compile(r"[0-9]{1,40}")
_OPAQUE = re.compile(r"[A-Za-z0-9_-]{1,400}")
_USERNAME = re.compile(r"@?([A-Za-z0-9._]{1,30})")


def numeric_id(value: Any, field: str) -> str:
    """``value`` as a string of digits (an int or a digit string, spaces stripped)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(field, f"must be a numeric id, got {type(value).__name__}")
    text = str(value).strip()
    if not _DIGITS.fullmatch(text):
        raise InvalidInput(field, f"must be a numeric id, got {text!r}")
    return text


def thread_id(value: Any, field: str = "thread_id") -> str:
    """A thread id: digits only (so no ``../`` or ``?x=`` reaches a URL path)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(field, f"must be a numeric thread id, got {value!r}")
    text = str(value).strip()
    if not _DIGITS.fullmatch(text):
        raise InvalidInput(field, f"must be a numeric thread id, got {value!r}")
    return text


def any_backend_id(value: Any, field: str) -> str:
    """An id of either backend, for checks made before the connection's type is known:
    digits (the private API) or an opaque id of letters, digits, ``-`` and ``_`` (the
    official API); never a ``/``, ``.`` or ``?`` that could reach a URL path."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(field, f"must be an id, got {value!r}")
    text = str(value).strip()
    if not _OPAQUE.fullmatch(text):
        raise InvalidInput(field, f"must be an id (letters, digits, - or _), got {value!r}")
    return text


def positive_int(value: Any, field: str, *, optional: bool = False) -> int | None:
    """A whole number ≥ 1 (a rendered template's digit string counts); None if ``optional``."""
    if value is None and optional:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        nothing = " or None" if optional else ""
        raise InvalidInput(field, f"must be a positive whole number{nothing}, got {value!r}")
    return value


def is_username(value: Any) -> bool:
    """True for a ``"@name"`` reference (to be resolved to a user id)."""
    return isinstance(value, str) and value.strip().startswith("@")


def username(value: Any, field: str = "username") -> str:
    """A username without its ``@`` (letters, digits, ``.`` and ``_``, at most 30)."""
    text = value.strip() if isinstance(value, str) else ""
    match = _USERNAME.fullmatch(text)
    if not match:
        raise InvalidInput(field, f"{value!r} is not a valid @username")
    return match.group(1)


def selected_filter(value: Any, field: str = "selected_filter") -> str | None:
    """An inbox filter, ``unread`` or ``flagged``, or None for every thread."""
    if value in (None, ""):
        return None
    if value not in SELECTED_FILTERS:
        raise InvalidInput(field, f"must be one of {SELECTED_FILTERS} or None, got {value!r}")
    return str(value)


def media_route(value: Any, field: str = "media_route") -> str:
    """A media route: ``attachment`` (the current flow) or ``classic``."""
    if value not in MEDIA_ROUTES:
        raise InvalidInput(field, f"must be one of {MEDIA_ROUTES}, got {value!r}")
    return str(value)
