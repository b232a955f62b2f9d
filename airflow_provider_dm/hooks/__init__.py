"""The Airflow hooks: ``DirectHook`` (the private API, ``instagram_direct``) and
``MessagingApiHook`` (the official Messaging API, ``instagram_messaging``).

Each is loaded on first access: the other modules of this package (settings, send
rates, login lock, account stores) import nothing from Airflow, and importing one of them
(a helper process, a test) does not pay for ``airflow.sdk``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_dm.hooks.direct import DirectHook
    from airflow_provider_dm.hooks.messaging_api import MessagingApiHook

__all__ = ["DirectHook", "MessagingApiHook"]


def __getattr__(name: str) -> Any:
    if name == "DirectHook":
        from airflow_provider_dm.hooks.direct import DirectHook

        return DirectHook
    if name == "MessagingApiHook":
        from airflow_provider_dm.hooks.messaging_api import MessagingApiHook

        return MessagingApiHook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
