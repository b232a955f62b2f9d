"""dm_inbox_export: a daily, incremental export of the inbox and of its active threads.

Each run asks only for what changed since the previous successful run
(`prev_data_interval_end_success`; the first run exports everything) and writes JSON Lines,
one object per thread or item with its raw payload, to `DM_EXPORT_DIR` (an Airflow Variable;
a local folder or any ObjectStoragePath URL such as s3://bucket/dm). Large inboxes stay out of
XCom: only the path, the count and the newest timestamp go there.
"""

from __future__ import annotations

import json

import pendulum
from airflow.sdk import ObjectStoragePath, dag, task

from airflow_provider_dm.operators import DirectFetchInboxOperator, DirectFetchThreadOperator

EXPORT_DIR = "{{ var.value.get('DM_EXPORT_DIR', '/tmp/dm_exports') }}/{{ dag_run.run_after | ds }}"
SINCE = "{{ prev_data_interval_end_success }}"


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["instagram_direct", "example"],
)
def dm_inbox_export():
    inbox = DirectFetchInboxOperator(
        task_id="export_inbox", since=SINCE, output_path=f"{EXPORT_DIR}/inbox.jsonl"
    )

    @task
    def active_threads(export: dict) -> list[str]:
        """The ids of the threads with new activity, read back from the export file."""
        with ObjectStoragePath(export["path"]).open("r") as lines:
            return [json.loads(line)["thread_id"] for line in lines]

    DirectFetchThreadOperator.partial(
        task_id="export_thread",
        since=SINCE,
        output_path=f"{EXPORT_DIR}/thread-{{{{ ti.map_index }}}}.jsonl",
    ).expand(thread_id=active_threads(inbox.output))


dm_inbox_export()
