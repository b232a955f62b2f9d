"""Airflow asset events over Airflow's REST API (``POST /api/v2/assets/events``), so that a
webhook receiver outside Airflow can start the DAGs scheduled on an asset."""

from __future__ import annotations

from typing import Any

import requests


class AssetEventPoster:
    """Posts events of one asset (found by its name) to an Airflow api-server.

    :param base_url: the api-server, e.g. ``http://airflow:8080``.
    :param token: a bearer token for the REST API (``POST /auth/token``).
    :param asset_name: the asset's name as the DAG declares it (``Asset(name=...)``).
    """

    def __init__(self, base_url: str, token: str, asset_name: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.asset_name = asset_name
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self._asset_id: int | None = None

    @property
    def asset_id(self) -> int:
        """The asset's id, looked up once (a DAG that declares it must have been parsed)."""
        if self._asset_id is None:
            answer = self.session.get(
                f"{self.base_url}/api/v2/assets",
                params={"name_pattern": self.asset_name, "limit": 100},
                timeout=self.timeout,
            )
            answer.raise_for_status()
            found = [a for a in answer.json()["assets"] if a.get("name") == self.asset_name]
            if not found:
                raise LookupError(
                    f"asset_name: Airflow has no asset {self.asset_name!r} (is the DAG that"
                    " schedules on it parsed?)"
                )
            self._asset_id = int(found[0]["id"])
        return self._asset_id

    def post(self, extra: dict[str, Any]) -> dict[str, Any]:
        """Create one asset event carrying ``extra``; returns Airflow's record of it."""
        answer = self.session.post(
            f"{self.base_url}/api/v2/assets/events",
            json={"asset_id": self.asset_id, "extra": extra},
            timeout=self.timeout,
        )
        answer.raise_for_status()
        return answer.json()
