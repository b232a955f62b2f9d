"""fleet_smoke: mapped tasks that tell which Celery worker ran them, in which temp dir, and count
themselves in the `dm_redis` store; one task reports the connection extras and env it sees."""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any

import pendulum
from airflow.sdk import BaseHook, dag, get_current_context, task

MAPPED_TASKS = 4
TASK_SECONDS = 2.0


def _store() -> Any:
    """A Redis client on the `dm_redis` connection (the provider's coordination store)."""
    import redis

    conn = BaseHook.get_connection("dm_redis")
    return redis.Redis(host=conn.host, port=conn.port, db=int(conn.extra_dejson["db"]))


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["test"],
)
def fleet_smoke():
    @task
    def where(index: int) -> dict[str, str]:
        """Sleep so that the tasks spread over the workers, then say where this one ran."""
        time.sleep(TASK_SECONDS)
        _store().incr(f"fleet_smoke:{get_current_context()['run_id']}")
        return {"worker": os.environ["DM_WORKER_NAME"], "tmpdir": tempfile.gettempdir()}

    @task
    def settings() -> dict[str, Any]:
        """The extras of `instagram_direct_default` and the env probe, as a task sees them."""
        extra = BaseHook.get_connection("instagram_direct_default").extra_dejson
        return {"extra": extra, "probe": os.environ.get("DM_FLEET_PROBE")}

    where.expand(index=list(range(MAPPED_TASKS)))
    settings()


fleet_smoke()
