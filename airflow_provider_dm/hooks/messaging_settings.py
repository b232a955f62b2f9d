"""Connection settings of the official Messaging API hook: hook kwargs override connection
extras override defaults, coerced as the Direct connection's are."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dm.client.proxy import check_proxy
from airflow_provider_dm.hooks.send_rate import OFF, RateLimit, parse_duration, parse_send_rate
from airflow_provider_dm.hooks.setting_values import (
    boolean_value,
    name_value,
    number_value,
    proxy_value,
    url_value,
)
from airflow_provider_dm.hooks.settings import FEEDBACK_COOLDOWN

FLAVOURS = {"instagram": "https://graph.instagram.com/", "facebook": "https://graph.facebook.com/"}
API_VERSION = "v26.0"
_VERSION = re.compile(r"^v\d+\.\d+$")


@dataclass(frozen=True)
class MessagingSettings:
    """Everything the official hook needs to build a client; the token stays out of the repr."""

    conn_id: str
    access_token: str = field(repr=False)
    username: str = ""
    ig_user_id: str | None = None
    login_flavour: str = "instagram"
    page_id: str | None = None
    api_url: str = FLAVOURS["instagram"]
    api_version: str = API_VERSION
    app_secret: str | None = field(default=None, repr=False)
    proxy: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    verify_tls: bool = True
    dry_run: bool = False
    send_rate: tuple[RateLimit, ...] = ()
    redis_conn_id: str | None = None
    state_dir: str | None = None
    feedback_cooldown: float = FEEDBACK_COOLDOWN
    media_route: str = "attachment"

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
    ) -> MessagingSettings:
        """Merge the connection with hook kwargs (``None`` in ``overrides`` means unset)."""
        values = {k: v for k, v in extra.items() if v not in (None, "")}
        values.update({k: v for k, v in overrides.items() if v is not None})
        if not password:
            raise ValueError(f"connection {conn_id!r}: password (the access token) is empty")
        flavour = str(values.get("login_flavour", "instagram")).strip().lower()
        if flavour not in FLAVOURS:
            raise ValueError(f"login_flavour: must be instagram or facebook, got {flavour!r}")
        page_id = _digits(values.get("page_id"), "page_id")
        if flavour == "facebook" and page_id is None:
            raise ValueError("page_id: the facebook login flavour needs the Facebook Page id")
        version = str(values.get("api_version", API_VERSION)).strip()
        if not _VERSION.match(version):
            raise ValueError(f"api_version: must look like v26.0, got {version!r}")
        ig_user_id = _digits(values.get("ig_user_id"), "ig_user_id")
        return cls(
            conn_id=conn_id,
            access_token=password,
            username=login or ig_user_id or conn_id,
            ig_user_id=ig_user_id,
            login_flavour=flavour,
            page_id=page_id,
            api_url=url_value(values.get("api_url") or host or FLAVOURS[flavour], "host"),
            api_version=version,
            app_secret=values.get("app_secret") or None,
            proxy=check_proxy(proxy_value(values.get("proxy"))),
            timeout=number_value(values.get("timeout", 30.0), "timeout", minimum=0.001),
            verify_tls=boolean_value(values.get("verify_tls", True), "verify_tls"),
            dry_run=boolean_value(values.get("dry_run", False), "dry_run"),
            send_rate=parse_send_rate(values.get("send_rate", OFF)),
            redis_conn_id=name_value(values.get("redis_conn_id"), "redis_conn_id"),
            state_dir=name_value(values.get("state_dir"), "state_dir"),
            feedback_cooldown=parse_duration(
                values.get("feedback_cooldown", FEEDBACK_COOLDOWN), "feedback_cooldown"
            ),
        )


def _digits(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"{name}: must be a numeric id, got {value!r}")
    return text
