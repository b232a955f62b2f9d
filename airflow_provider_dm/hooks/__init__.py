"""The Airflow hook for Instagram Direct: ``from airflow_provider_dm.hooks import DirectHook``.

``DirectHook`` is loaded on first access: the other modules of this package (settings, send
rates, login lock, account stores) import nothing from Airflow, and importing one of them
(a helper process, a test) does not pay for ``airflow.sdk``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_dm.hooks.direct import DirectHook

__all__ = ["DirectHook"]


def __getattr__(name: str) -> Any:
    if name == "DirectHook":
        from airflow_provider_dm.hooks.direct import DirectHook

        return DirectHook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
