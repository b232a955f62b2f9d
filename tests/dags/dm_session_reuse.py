"""Two tasks that each build a DirectHook: the first logs in (or reuses a stored session), the
second must reuse the session the first one stored in the Variable."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def dm_session_reuse():
    @task
    def whoami() -> int:
        from airflow_provider_dm.hooks.direct import DirectHook

        return DirectHook().get_conn().current_user().pk

    @task
    def count_threads(pk: int) -> int:
        from airflow_provider_dm.hooks.direct import DirectHook

        return sum(1 for _ in DirectHook().get_conn().iter_inbox())

    count_threads(whoami())


dm_session_reuse()
