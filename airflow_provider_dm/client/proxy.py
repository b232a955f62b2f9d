"""The proxy every request goes through: ``http://``, ``https://``, ``socks5://`` (names
resolved here) or ``socks5h://`` (names resolved by the proxy), with optional credentials.
Checked before any request; shown only with its credentials masked."""

from __future__ import annotations

import importlib.util
from urllib.parse import unquote, urlsplit

from airflow_provider_dm.client.errors import InvalidInput

SCHEMES = ("http", "https", "socks5", "socks5h")
SOCKS_EXTRA = "airflow-provider-dm[socks]"


def masked_proxy(url: str) -> str:
    """``url`` with its user and password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"***@{host}").geturl()


def proxy_secrets(url: str) -> list[str]:
    """The credentials inside ``url`` as they may appear (raw, decoded, ``user:password``),
    for log masking."""
    parts = urlsplit(url)
    found = []
    if parts.password:
        found += [parts.password, unquote(parts.password)]
        userinfo = parts.netloc.rpartition("@")[0]
        found += [userinfo, unquote(userinfo)]
    return [value for value in dict.fromkeys(found) if value]


def check_proxy(url: str | None, name: str = "proxy") -> str | None:
    """``url`` when it is a usable proxy URL (None: no proxy); ``InvalidInput`` naming
    ``name`` otherwise, and for a SOCKS URL without PySocks, naming the extra to install."""
    if url is None:
        return None
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput(name, "must be a proxy URL such as http://user:password@host:3128")
    text = url.strip()
    parts = urlsplit(text)
    shown = masked_proxy(text)
    if parts.scheme.lower() not in SCHEMES:
        raise InvalidInput(
            name, f"must start with {', '.join(s + '://' for s in SCHEMES)}, got {shown!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(name, f"has a bad port: {shown!r}") from None
    if not parts.hostname or port is None:
        raise InvalidInput(name, f"must name a host and a port, got {shown!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidInput(name, f"must be scheme://[user:password@]host:port, got {shown!r}")
    if parts.scheme.lower().startswith("socks") and importlib.util.find_spec("socks") is None:
        raise InvalidInput(name, f"a {parts.scheme}:// proxy needs PySocks: install {SOCKS_EXTRA}")
    return text
