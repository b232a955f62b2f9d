"""dm_broadcast_mapped: one message fanned out to every destination listed in a file.

Each line of `data/destinations.json` becomes one mapped task (dynamic task mapping with
`expand_kwargs`), so one failing destination is retried on its own. A retried or cleared
task sends with the same client_context and first looks for its earlier send, so every
destination gets the message exactly once.

A run's conf can replace the file and the connection, e.g.
`{"destinations": [{"threads": ["340282366841710300949128000000000000001"]},
{"recipients": [["@erin_demo"]]}], "direct_conn_id": "instagram_direct_default"}`.
The connection's `send_rate` extra paces the sends of all tasks of the account together.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

from airflow_provider_dm.operators import DirectSendMessageOperator

DESTINATIONS = Path(__file__).parent / "data" / "destinations.json"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["instagram_direct", "example"],
    default_args={"retries": 3, "retry_delay": timedelta(seconds=5)},
    params={"direct_conn_id": "instagram_direct_default"},
)
def dm_broadcast_mapped():
    @task
    def read_destinations(dag_run=None) -> list[dict]:
        """One dict per conversation: {"threads": [...]} or {"recipients": [[...]]}; the
        run's conf `destinations` (the same shape) replaces the file."""
        conf = dag_run.conf or {}
        if "destinations" in conf:
            return conf["destinations"]
        return json.loads(DESTINATIONS.read_text())

    DirectSendMessageOperator.partial(
        task_id="announce",
        direct_conn_id="{{ params.direct_conn_id }}",
        text="Maintenance tonight at 22:00 UTC ({{ dag_run.run_after | ds }}).",
        max_active_tis_per_dag=4,
    ).expand_kwargs(read_destinations())


dm_broadcast_mapped()
