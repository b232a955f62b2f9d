"""Reading DAGs of the operator tests: the inbox in each mode and the items of one thread.

Templated values come from ``dag_run.conf``: ``conn`` (default ``dm_emulator``), ``since``,
``output_path``, ``thread_id``, ``since_item_id``; the ``*_templated`` DAGs take ``pending``,
``selected_filter``, ``max_threads``, ``max_items`` and ``page_size`` from it too, rendered as
strings or (``*_native``) as native objects.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_dm.operators.inbox import DirectFetchInboxOperator
from airflow_provider_dm.operators.thread import DirectFetchThreadOperator

CONN = "{{ dag_run.conf.get('conn', 'dm_emulator') }}"
SINCE = "{{ dag_run.conf.get('since') }}"
OUTPUT = "{{ dag_run.conf.get('output_path') }}"
START = datetime(2026, 1, 1)

INBOX_VARIANTS = {
    "dm_inbox": {},
    "dm_inbox_pending": {"pending": True},
    "dm_inbox_unread": {"selected_filter": "unread"},
    "dm_inbox_flagged": {"selected_filter": "flagged"},
    "dm_inbox_capped": {"max_threads": 5},
    "dm_inbox_small_summary": {"summary_limit": 100},
}

for dag_id, options in INBOX_VARIANTS.items():
    with DAG(dag_id, schedule=None, start_date=START, catchup=False, tags=["test"]) as dag:
        DirectFetchInboxOperator(
            task_id="inbox",
            direct_conn_id=CONN,
            since=SINCE,
            output_path=OUTPUT,
            page_size=50,
            **options,
        )
    globals()[dag_id] = dag

for dag_id, options in {"dm_thread": {}, "dm_thread_capped": {"max_items": 7}}.items():
    with DAG(dag_id, schedule=None, start_date=START, catchup=False, tags=["test"]) as dag:
        DirectFetchThreadOperator(
            task_id="thread",
            direct_conn_id=CONN,
            thread_id="{{ dag_run.conf['thread_id'] }}",
            since=SINCE,
            since_item_id="{{ dag_run.conf.get('since_item_id') }}",
            output_path=OUTPUT,
            page_size=50,
            **options,
        )
    globals()[dag_id] = dag

with DAG(
    "dm_inbox_then_threads", schedule=None, start_date=START, catchup=False, tags=["test"]
) as dm_inbox_then_threads:
    inbox = DirectFetchInboxOperator(task_id="inbox", direct_conn_id=CONN, max_threads=3)
    DirectFetchThreadOperator.partial(task_id="thread", direct_conn_id=CONN).expand(
        thread_id=inbox.output.map(lambda thread: thread["thread_id"])
    )

INBOX_TEMPLATES = {
    "pending": "{{ dag_run.conf.get('pending', False) }}",
    "selected_filter": "{{ dag_run.conf.get('selected_filter') }}",
    "max_threads": "{{ dag_run.conf.get('max_threads') }}",
    "page_size": "{{ dag_run.conf.get('page_size', 20) }}",
}

for dag_id, native in {"dm_inbox_templated": False, "dm_inbox_templated_native": True}.items():
    with DAG(
        dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        render_template_as_native_obj=native,
        tags=["test"],
    ) as dag:
        DirectFetchInboxOperator(task_id="inbox", direct_conn_id=CONN, **INBOX_TEMPLATES)
    globals()[dag_id] = dag

with DAG(
    "dm_thread_templated", schedule=None, start_date=START, catchup=False, tags=["test"]
) as dm_thread_templated:
    DirectFetchThreadOperator(
        task_id="thread",
        direct_conn_id=CONN,
        thread_id="{{ dag_run.conf['thread_id'] }}",
        max_items="{{ dag_run.conf.get('max_items') }}",
        page_size="{{ dag_run.conf.get('page_size', 20) }}",
    )
