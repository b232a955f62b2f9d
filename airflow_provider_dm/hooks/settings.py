"""Connection settings of the Direct hook: hook kwargs override connection extras override
defaults, with every extra coerced to its type (URI-form extras arrive as strings)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dm.client.checks import media_route as check_media_route
from airflow_provider_dm.client.device import DEFAULT_DEVICE, Device
from airflow_provider_dm.client.proxy import check_proxy
from airflow_provider_dm.hooks.send_rate import (
    OFF,
    REAL_SERVICE_SEND_RATE,
    RateLimit,
    parse_duration,
    parse_send_rate,
)
from airflow_provider_dm.hooks.session_store import default_session_key
from airflow_provider_dm.hooks.setting_values import (
    boolean_value,
    name_value,
    number_value,
    proxy_value,
    url_value,
)
from airflow_provider_dm.provider_info import (
    ATTACHMENT_UPLOAD_URL,
    CONN_FIELDS,
    DEFAULT_API_URL,
    DEFAULT_UPLOAD_URL,
)

FEEDBACK_COOLDOWN = 24 * 3600.0
# Every extra the provider reads: the form's fields, the API URL, and the device profile's.
KNOWN_EXTRAS = frozenset(
    {*CONN_FIELDS, "api_url", "device", "locale", "timezone_offset", "country"}
)


@dataclass(frozen=True)
class DirectSettings:
    """Everything the hook needs to build a client; secrets are kept out of the repr."""

    conn_id: str
    username: str
    password: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    upload_url: str = DEFAULT_UPLOAD_URL
    proxy: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    send_interval: float = 0.0
    totp_secret: str | None = field(default=None, repr=False)
    session_variable: str = ""
    verify_tls: bool = True
    media_route: str = "attachment"
    dry_run: bool = False
    send_rate: tuple[RateLimit, ...] = ()
    redis_conn_id: str | None = None
    state_dir: str | None = None
    feedback_cooldown: float = FEEDBACK_COOLDOWN
    ignored_extras: tuple[str, ...] = ()
    device: Device = DEFAULT_DEVICE

    @classmethod
    def build(
        cls,
        *,
        conn_id: str,
        login: str | None,
        password: str | None,
        host: str | None,
        extra: Mapping[str, Any],
        overrides: Mapping[str, Any],
    ) -> DirectSettings:
        """Merge the connection with hook kwargs (``None`` in ``overrides`` means unset)."""
        ignored = unknown_extras(extra, conn_id)
        values = {k: v for k, v in extra.items() if v not in (None, "")}
        values.update({k: v for k, v in overrides.items() if v is not None})
        if not login:
            raise ValueError(f"connection {conn_id!r}: login (the username) is empty")
        api_url = _api_url(url_value(values.get("api_url") or host or DEFAULT_API_URL, "host"))
        media_route = check_media_route(values.get("media_route", "attachment"))
        upload_url = values.get("upload_url") or _default_upload_url(api_url, media_route)
        default_rate = REAL_SERVICE_SEND_RATE if api_url == DEFAULT_API_URL else OFF
        return cls(
            conn_id=conn_id,
            username=login,
            password=password or "",
            api_url=api_url,
            upload_url=url_value(upload_url, "upload_url"),
            proxy=check_proxy(proxy_value(values.get("proxy"))),
            timeout=number_value(values.get("timeout", 30.0), "timeout", minimum=0.001),
            send_interval=number_value(
                values.get("send_interval", 0.0), "send_interval", minimum=0
            ),
            totp_secret=values.get("totp_secret") or None,
            session_variable=values.get("session_variable") or default_session_key(conn_id),
            verify_tls=boolean_value(values.get("verify_tls", True), "verify_tls"),
            media_route=media_route,
            dry_run=boolean_value(values.get("dry_run", False), "dry_run"),
            send_rate=parse_send_rate(values.get("send_rate", default_rate)),
            redis_conn_id=name_value(values.get("redis_conn_id"), "redis_conn_id"),
            state_dir=name_value(values.get("state_dir"), "state_dir"),
            feedback_cooldown=parse_duration(
                values.get("feedback_cooldown", FEEDBACK_COOLDOWN), "feedback_cooldown"
            ),
            ignored_extras=tuple(ignored),
            device=Device.from_settings(
                values.get("device"),
                locale=values.get("locale"),
                timezone_offset=values.get("timezone_offset"),
                country=values.get("country"),
            ),
        )


def unknown_extras(extra: Mapping[str, Any], conn_id: str) -> list[str]:
    """The extras the provider does not read, sorted; a near miss of a known name (a typo:
    ``proxi``, ``verify_ssl``) raises ``ValueError`` naming the closest valid name."""
    unknown = sorted(str(key) for key in extra if key not in KNOWN_EXTRAS)
    for key in unknown:
        close = difflib.get_close_matches(key, sorted(KNOWN_EXTRAS), n=1, cutoff=0.6)
        if close:
            raise ValueError(
                f"connection {conn_id!r}: extra {key!r} is not a setting of this provider; "
                f"did you mean {close[0]!r}?"
            )
    return unknown


def _api_url(url: str) -> str:
    """A host given without a path (``i.instagram.com``, ``http://127.0.0.1:8080``) means the
    API under it: the protocol's routes live below ``/api/v1/``."""
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return url if path.strip("/") else f"{scheme}://{host}/api/v1/"


def _default_upload_url(api_url: str, media_route: str) -> str:
    """The real service uploads attachments to its own host; any other server gets its root."""
    if api_url == DEFAULT_API_URL:
        return ATTACHMENT_UPLOAD_URL if media_route == "attachment" else DEFAULT_UPLOAD_URL
    scheme, rest = api_url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}/"
