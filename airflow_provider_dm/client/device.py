"""The device the client presents itself as: the app build, the phone, its locale, time zone
and country, and the identity ids (uuid, android id, phone id, advertising id) created once
per session state.

A login from an unfamiliar device is the most common cause of a challenge, so the device can
be set to the phone the account normally uses (``Device.from_settings``); any field left out
keeps the default below.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from airflow_provider_dm.client.errors import InvalidInput

APP_ID = "567067343352427"
CAPABILITIES = "3brTv10="
BLOKS_VERSION_ID = "e1da5d4a7c9ba5ae4b1f8cbb1b2e0dbcd2b1c4ea6e0d5c2f1f4d0a5e1e8d3b6c"
LOCALE = "en_US"
# The keys of the ``device`` setting, each the name of a ``Device`` field.
DEVICE_KEYS = (
    "manufacturer",
    "model",
    "android_version",
    "android_release",
    "dpi",
    "resolution",
    "app_version",
    "version_code",
    "device",
    "cpu",
)
MIN_OFFSET = -12 * 3600
MAX_OFFSET = 14 * 3600
_VERSION = re.compile(r"\d+(\.\d+){2,4}")
_RELEASE = re.compile(r"\d+(\.\d+){0,2}")
_RESOLUTION = re.compile(r"[1-9]\d{1,4}x[1-9]\d{1,4}")
_DPI = re.compile(r"[1-9]\d{1,3}(dpi)?")
_LOCALE = re.compile(r"[a-z]{2,3}_[A-Z]{2}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_UNSAFE = re.compile(r"[;()\r\n]")


@dataclass(frozen=True)
class Device:
    """A phone, an app build and where the phone is; ``user_agent`` renders them the way the
    app does (§1.3), ``locale`` and ``timezone_offset`` (seconds east of UTC) also fill the
    locale and time zone headers and fields, ``country`` (ISO 3166 code) is kept with them."""

    app_version: str = "428.0.0.47.67"
    version_code: str = "961145276"
    android_version: int = 34
    android_release: str = "14"
    dpi: str = "480dpi"
    resolution: str = "1344x2992"
    manufacturer: str = "Google/google"
    model: str = "Pixel 8 Pro"
    device: str = "husky"
    cpu: str = "husky"
    locale: str = LOCALE
    timezone_offset: int = 0
    country: str = "US"

    @property
    def user_agent(self) -> str:
        """``Instagram {app} Android ({sdk}/{release}; {dpi}; {res}; {maker}; {model}; ...)``."""
        return (
            f"Instagram {self.app_version} Android ({self.android_version}/"
            f"{self.android_release}; {self.dpi}; {self.resolution}; {self.manufacturer}; "
            f"{self.model}; {self.device}; {self.cpu}; {self.locale}; {self.version_code})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-able (as the session state stores it)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Device:
        """A device stored by ``to_dict`` (unknown keys ignored, missing ones default)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_settings(
        cls,
        device: Mapping[str, Any] | str | None = None,
        *,
        locale: Any = None,
        timezone_offset: Any = None,
        country: Any = None,
    ) -> Device:
        """The device of a connection's ``device`` (a JSON object or its text), ``locale``,
        ``timezone_offset`` and ``country``; ``InvalidInput`` naming the key for a bad value."""
        values: dict[str, Any] = {}
        for key, value in _device_object(device).items():
            if key not in DEVICE_KEYS:
                raise InvalidInput(
                    f"device.{key}", f"is not a device field; known: {', '.join(DEVICE_KEYS)}"
                )
            values[key] = _CHECKS[key](value, f"device.{key}")
        if locale is not None:
            values["locale"] = _pattern(locale, "locale", _LOCALE, "like en_US")
        if timezone_offset is not None:
            values["timezone_offset"] = _offset(timezone_offset)
        if country is not None:
            values["country"] = _pattern(
                country.upper() if isinstance(country, str) else country,
                "country",
                _COUNTRY,
                "a two-letter ISO 3166 code like US",
            )
        return replace(DEFAULT_DEVICE, **values)


DEFAULT_DEVICE = Device()


def _device_object(device: Mapping[str, Any] | str | None) -> Mapping[str, Any]:
    if device is None:
        return {}
    if isinstance(device, str):
        if not device.strip():
            return {}
        try:
            device = json.loads(device)
        except ValueError:
            raise InvalidInput("device", "must be a JSON object") from None
    if not isinstance(device, Mapping):
        raise InvalidInput("device", f"must be a JSON object, got {type(device).__name__}")
    return device


def _text(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(name, f"must be a string, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise InvalidInput(name, "is empty")
    if _UNSAFE.search(text) or len(text) > 64:
        raise InvalidInput(name, f"must be at most 64 characters without ; ( ), got {text!r}")
    return text


def _pattern(value: Any, name: str, pattern: re.Pattern[str], wanted: str) -> str:
    text = _text(value, name)
    if not pattern.fullmatch(text):
        raise InvalidInput(name, f"must be {wanted}, got {text!r}")
    return text


def _sdk(value: Any, name: str) -> int:
    text = _text(value, name)
    if not text.isdigit() or not 21 <= int(text) <= 99:
        raise InvalidInput(name, f"must be an Android API level from 21 to 99, got {text!r}")
    return int(text)


def _dpi(value: Any, name: str) -> str:
    text = _pattern(value, name, _DPI, "a density like 480dpi or 480")
    return text if text.endswith("dpi") else f"{text}dpi"


def _offset(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidInput("timezone_offset", "must be a whole number of seconds")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(
            "timezone_offset", f"must be a whole number of seconds, got {value!r}"
        ) from None
    if not MIN_OFFSET <= number <= MAX_OFFSET:
        raise InvalidInput(
            "timezone_offset", f"must be from {MIN_OFFSET} to {MAX_OFFSET} seconds, got {number}"
        )
    return number


_CHECKS = {
    "manufacturer": _text,
    "model": _text,
    "device": _text,
    "cpu": _text,
    "android_version": _sdk,
    "android_release": lambda v, n: _pattern(v, n, _RELEASE, "a release like 14 or 8.1.0"),
    "dpi": _dpi,
    "resolution": lambda v, n: _pattern(v, n, _RESOLUTION, "WIDTHxHEIGHT like 1080x2400"),
    "app_version": lambda v, n: _pattern(v, n, _VERSION, "a version like 428.0.0.47.67"),
    "version_code": lambda v, n: _pattern(v, n, re.compile(r"\d{6,12}"), "digits like 961145276"),
}


def new_uuid() -> str:
    """A random UUID4 string."""
    return str(uuid.uuid4())


def new_android_id() -> str:
    """``android-`` and 16 hex digits, as the app's device id."""
    return "android-" + secrets.token_hex(8)
