"""Connection setting values coerced to their types, each error naming the setting: URI-form
extras arrive as strings, so "30", "true" and "host:port" must be read the same as 30, True and
a URL. Both connection types' settings use these."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_HOSTNAME = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)


def url_value(value: str, name: str) -> str:
    """An http(s) URL ending in ``/`` (a bare ``host:port`` gets ``https://``)."""
    text = str(value).strip()
    if "://" not in text:
        text = f"https://{text}"
    if not text.startswith(("http://", "https://")):
        raise ValueError(f"{name}: must be an http(s) URL, got {value!r}")
    problem = _url_problem(text)
    if problem:
        raise ValueError(f"{name}: is not a URL ({problem}), got {value!r}")
    return text if text.endswith("/") else f"{text}/"


def proxy_value(value: Any) -> str | None:
    """A proxy URL (``scheme://[user:pass@]host:port``); the value is a secret, so an error
    describes it without quoting it."""
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, str) else ""
    example = "e.g. http://user:pass@host:3128"
    if "://" not in text or text.split("://", 1)[0].lower() not in PROXY_SCHEMES:
        raise ValueError(f"proxy: must be a URL with a scheme of {PROXY_SCHEMES}, {example}")
    problem = _url_problem(text)
    if problem:
        raise ValueError(f"proxy: is not a URL ({problem}), {example}")
    return text


def _url_problem(text: str) -> str | None:
    """What makes ``text`` (with a scheme) unusable as a URL, or None."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return "it holds a space or a control character"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return str(exc)
    host = parts.hostname or ""
    if not host:
        return "no host name"
    if port == 0:
        return "port 0"
    if ":" not in host and not _HOSTNAME.fullmatch(host):
        return f"{host!r} is not a host name"
    return None


def name_value(value: Any, name: str) -> str | None:
    """A non-empty string, stripped, or None when unset."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}: must be a non-empty string, got {value!r}")
    return value.strip()


def number_value(value: Any, name: str, *, minimum: float) -> float:
    """A number of at least ``minimum``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a number, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {number}")
    return number


def boolean_value(value: Any, name: str) -> bool:
    """True or false, also from the strings a URI-form extra holds (``"yes"``, ``"0"``)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name}: must be true or false, got {value!r}")
