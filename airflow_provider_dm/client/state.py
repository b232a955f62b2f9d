"""What a logged-in client remembers: the stable device identity and the session (bearer,
user, machine id, routing hints), saved and restored as JSON with no network call."""

from __future__ import annotations

import base64
import binascii
import json
import time
import urllib.parse
from dataclasses import dataclass, field, fields
from typing import Any

from airflow_provider_dm.client.device import DEFAULT_DEVICE, Device, new_android_id, new_uuid

FORMAT_VERSION = 1
_IDENTITY = ("uuid", "android_id", "phone_id", "advertising_id", "user_agent")


@dataclass(frozen=True)
class Credentials:
    """A username with its password and optional TOTP secret; the repr shows the username only."""

    username: str
    password: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        totp = ", totp_secret=***" if self.totp_secret else ""
        return f"Credentials(username={self.username!r}, password=***{totp})"


@dataclass(repr=False, eq=False)
class SessionState:
    """Device identity (created once, never regenerated) plus the session the server gave.

    ``device`` is the phone, app build, locale, time zone and country the session logged in
    with (``Device.to_dict()``), ``user_agent`` its rendering. Every assignment bumps
    ``revision``, so the transport rebuilds its cached headers only when something changed.
    ``user_id`` is the viewer's pk.
    """

    uuid: str = field(default_factory=new_uuid)
    android_id: str = field(default_factory=new_android_id)
    phone_id: str = field(default_factory=new_uuid)
    advertising_id: str = field(default_factory=new_uuid)
    user_agent: str = DEFAULT_DEVICE.user_agent
    device: dict[str, Any] = field(default_factory=DEFAULT_DEVICE.to_dict)
    authorization: str | None = None
    user_id: int | None = None
    username: str | None = None
    mid: str | None = None
    www_claim: str = "0"
    routing: dict[str, str] = field(default_factory=dict)
    password_key_id: int | None = None
    password_public_key: str | None = None
    created_at: float = field(default_factory=time.time)
    logged_in_at: float | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        object.__setattr__(self, "revision", self.__dict__.get("revision", 0) + 1)

    @property
    def logged_in(self) -> bool:
        """True when the state holds a bearer token (it may still have expired server-side)."""
        return bool(self.authorization)

    @property
    def device_profile(self) -> Device:
        """The stored ``device`` as a ``Device``."""
        return Device.from_dict(self.device)

    def use_device(self, device: Device) -> None:
        """Present ``device`` from now on; the identity ids (uuid, android id, phone id,
        advertising id) stay."""
        if self.device != device.to_dict():
            self.device = device.to_dict()
        if self.user_agent != device.user_agent:
            self.user_agent = device.user_agent

    def clear_session(self) -> None:
        """Forget the bearer and routing hints; the device identity and username stay."""
        self.authorization = None
        self.routing = {}
        self.www_claim = "0"

    def replace_with(self, other: SessionState) -> None:
        """Take every field of ``other`` (a session another process stored), in place, so that
        whoever holds this state sees the new session."""
        for spec in fields(self):
            setattr(self, spec.name, getattr(other, spec.name))

    def secrets(self) -> list[str]:
        """The secret strings held now (bearer, its token, the sessionid), for log masking."""
        if not self.authorization:
            return []
        found = [self.authorization]
        token = self.authorization.split(" ", 1)[-1]
        found.append(token)
        encoded = token.rsplit(":", 1)[-1]
        if encoded:
            found.append(encoded)
        sessionid = _sessionid(encoded)
        if sessionid:
            found.append(sessionid)
            unquoted = urllib.parse.unquote(sessionid)
            if unquoted != sessionid:
                found.append(unquoted)
        return found

    def to_json(self) -> str:
        """The whole state as JSON text (it holds the bearer: store it as a secret)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return json.dumps({"format": FORMAT_VERSION, **data}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> SessionState:
        """Restore a state saved by ``to_json`` (no network call); ValueError if it is not one."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ValueError("session state is not JSON") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise ValueError("session state has an unknown format")
        missing = [name for name in _IDENTITY if not isinstance(data.get(name), str)]
        if missing:
            raise ValueError(f"session state lacks {', '.join(missing)}")
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if values.get("user_id") is not None:
            values["user_id"] = int(values["user_id"])
        if not isinstance(values.get("routing", {}), dict):
            raise ValueError("session state has a malformed routing field")
        if not isinstance(values.get("device", {}), dict):
            raise ValueError("session state has a malformed device field")
        return cls(**values)

    def __repr__(self) -> str:
        return (
            f"SessionState(username={self.username!r}, user_id={self.user_id!r}, "
            f"uuid={self.uuid!r}, logged_in={self.logged_in})"
        )


def _sessionid(encoded: str) -> str | None:
    """The sessionid inside a ``Bearer IGT:2:<base64 json>`` token, if it decodes."""
    try:
        data = json.loads(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error):
        return None
    value = data.get("sessionid") if isinstance(data, dict) else None
    return str(value) if value else None


def user_id_from_bearer(authorization: str) -> int | None:
    """The ``ds_user_id`` inside a bearer token, if it decodes."""
    encoded = authorization.split(" ", 1)[-1].rsplit(":", 1)[-1]
    try:
        data = json.loads(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
        return int(data["ds_user_id"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
