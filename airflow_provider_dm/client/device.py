"""The device the client presents itself as: the app build, the phone, and the identity ids
(uuid, android id, phone id, advertising id) created once per session state."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

APP_ID = "567067343352427"
CAPABILITIES = "3brTv10="
BLOKS_VERSION_ID = "e1da5d4a7c9ba5ae4b1f8cbb1b2e0dbcd2b1c4ea6e0d5c2f1f4d0a5e1e8d3b6c"
LOCALE = "en_US"


@dataclass(frozen=True)
class Device:
    """A phone and app build; ``user_agent`` renders them the way the app does (§1.3)."""

    app_version: str = "428.0.0.47.67"
    version_code: str = "961145276"
    android_sdk: int = 34
    android_release: str = "14"
    dpi: str = "480dpi"
    resolution: str = "1344x2992"
    manufacturer: str = "Google/google"
    model: str = "Pixel 8 Pro"
    device: str = "husky"
    cpu: str = "husky"
    locale: str = LOCALE

    @property
    def user_agent(self) -> str:
        """``Instagram {app} Android ({sdk}/{release}; {dpi}; {res}; {maker}; {model}; ...)``."""
        return (
            f"Instagram {self.app_version} Android ({self.android_sdk}/{self.android_release}; "
            f"{self.dpi}; {self.resolution}; {self.manufacturer}; {self.model}; {self.device}; "
            f"{self.cpu}; {self.locale}; {self.version_code})"
        )


DEFAULT_DEVICE = Device()


def new_uuid() -> str:
    """A random UUID4 string."""
    return str(uuid.uuid4())


def new_android_id() -> str:
    """``android-`` and 16 hex digits, as the app's device id."""
    return "android-" + secrets.token_hex(8)
