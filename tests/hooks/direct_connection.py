"""The connection JSON the hook tests use, and a count of logins in the emulator's request log."""

from __future__ import annotations

import json

from airflow_provider_dm.emulator.control import EmulatorControl


def connection_json(url: str, **extra: object) -> str:
    """An `instagram_direct` connection to the emulator, as an AIRFLOW_CONN_* JSON value."""
    return json.dumps(
        {
            "conn_type": "instagram_direct",
            "login": "airflow_demo",
            "password": "demo-password",
            "host": f"{url}/api/v1/",
            "extra": {"timeout": "10", **extra},
        }
    )


def logins(control: EmulatorControl) -> int:
    """How many password logins the emulator has seen since its last reset."""
    return sum(1 for r in control.requests() if r["path"].rstrip("/").endswith("accounts/login"))
