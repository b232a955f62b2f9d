"""parallel_expiry: ten mapped tasks on `instagram_direct_default` read the inbox over and over,
all at once, until the test sets the Variable `dm_parallel_expiry_stop` to the run's id (or
`MAX_SECONDS` pass). After its first read each task sets `dm_parallel_expiry_ready__<index>` to
the run's id, so that the test expires the stored session only once every task uses it."""

from __future__ import annotations

import time
from typing import Any

import pendulum
from airflow.sdk import Variable, dag, get_current_context, task

TASKS = 10
PAUSE_SECONDS = 0.5
# The stop Variable is read every few rounds: each read is a call to the api-server.
STOP_CHECK_ROUNDS = 4
MAX_SECONDS = 300.0
STOP_VARIABLE = "dm_parallel_expiry_stop"
READY_VARIABLE = "dm_parallel_expiry_ready__{}"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks=TASKS,
    tags=["test"],
)
def parallel_expiry():
    @task
    def read_until_stopped(index: int) -> dict[str, Any]:
        """One inbox page per round; how many rounds, and how many sessions the task used."""
        from airflow_provider_dm.hooks.direct import DirectHook

        run_id = get_current_context()["run_id"]
        client = DirectHook().get_conn()
        sessions = {client.state.authorization}
        rounds = 0
        deadline = time.monotonic() + MAX_SECONDS
        while time.monotonic() < deadline:
            next(iter(client.iter_inbox(page_size=1)), None)
            sessions.add(client.state.authorization)
            rounds += 1
            if rounds == 1:
                Variable.set(READY_VARIABLE.format(index), run_id)
            stop_check = rounds % STOP_CHECK_ROUNDS == 0
            if stop_check and Variable.get(STOP_VARIABLE, default=None) == run_id:
                break
            time.sleep(PAUSE_SECONDS)
        return {"index": index, "rounds": rounds, "sessions_used": len(sessions)}

    read_until_stopped.expand(index=list(range(TASKS)))


parallel_expiry()
