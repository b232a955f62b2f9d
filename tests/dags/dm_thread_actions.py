"""Thread-action DAGs of the operator tests: every argument comes from ``dag_run.conf`` and is
rendered as a native object; the tasks retry once, at once (so a test can tell a refusal,
which fails with no retry, from a transient failure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_dm.operators import (
    DirectApproveRequestsOperator,
    DirectCreateGroupOperator,
    DirectDeclineRequestsOperator,
    DirectFetchThreadOperator,
    DirectLookupUserOperator,
    DirectMarkSeenOperator,
    DirectReactOperator,
    DirectSendMessageOperator,
    DirectUnsendOperator,
    DirectUpdateThreadOperator,
)

START = datetime(2026, 1, 1)
ARGS = {"direct_conn_id": "dm_emulator", "retries": 1, "retry_delay": timedelta(0)}


def conf(key: str, default: str = "None") -> str:
    """The template of one run-conf value (``default`` when absent)."""
    return "{{ dag_run.conf.get('" + key + "', " + default + ") }}"


def test_dag(dag_id: str) -> DAG:
    """A manual DAG that renders templates as native objects."""
    return DAG(
        dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        render_template_as_native_obj=True,
        default_args=ARGS,
        tags=["test"],
    )


with test_dag("dm_mark_seen") as dm_mark_seen:
    DirectMarkSeenOperator(task_id="seen", thread_id=conf("thread_id"), item_id=conf("item_id"))

with test_dag("dm_react") as dm_react:
    DirectReactOperator(
        task_id="react",
        items=conf("items"),
        thread_id=conf("thread_id"),
        emoji=conf("emoji", "'❤️'"),
        remove=conf("remove", "False"),
    )

with test_dag("dm_unsend") as dm_unsend:
    DirectUnsendOperator(task_id="unsend", items=conf("items"), thread_id=conf("thread_id"))

with test_dag("dm_send_react_unsend") as dm_send_react_unsend:
    send = DirectSendMessageOperator(task_id="send", text=conf("text"), threads=conf("threads"))
    react = DirectReactOperator(task_id="react", items=send.output, emoji="🔥")
    unsend = DirectUnsendOperator(task_id="unsend", items=send.output)
    react >> unsend

with test_dag("dm_fetch_react") as dm_fetch_react:
    fetch = DirectFetchThreadOperator(
        task_id="fetch", thread_id=conf("thread_id"), max_items=conf("max_items")
    )
    DirectReactOperator(task_id="react", items=fetch.output, thread_id=conf("thread_id"))

with test_dag("dm_fetch_unsend") as dm_fetch_unsend:
    fetch = DirectFetchThreadOperator(task_id="fetch", thread_id=conf("thread_id"), max_items=2)
    DirectUnsendOperator(task_id="unsend", items=fetch.output, thread_id=conf("thread_id"))

REQUEST_ARGS = {
    "thread_ids": conf("thread_ids"),
    "from_users": conf("from_users"),
    "text_pattern": conf("text_pattern"),
    "followed_only": conf("followed_only", "False"),
    "max_threads": conf("max_threads"),
    "bulk": conf("bulk", "True"),
}

with test_dag("dm_approve") as dm_approve:
    DirectApproveRequestsOperator(task_id="approve", **REQUEST_ARGS)

with test_dag("dm_decline") as dm_decline:
    DirectDeclineRequestsOperator(task_id="decline", **REQUEST_ARGS)

with test_dag("dm_create_group") as dm_create_group:
    DirectCreateGroupOperator(task_id="group", users=conf("users"), title=conf("title"))

with test_dag("dm_update_thread") as dm_update_thread:
    DirectUpdateThreadOperator(
        task_id="update",
        thread_id=conf("thread_id"),
        title=conf("title"),
        add_users=conf("add_users"),
        mute=conf("mute"),
        hide=conf("hide", "False"),
        leave=conf("leave", "False"),
    )

with test_dag("dm_lookup_user") as dm_lookup_user:
    DirectLookupUserOperator(task_id="lookup", usernames=conf("usernames"))

with test_dag("dm_user_id_filter") as dm_user_id_filter:
    DirectSendMessageOperator(
        task_id="send",
        text="alice is {{ '@alice_demo' | instagram_user_id }}"
        " ({{ 'alice_demo' | instagram_user_id }})",
        recipients=[["{{ dag_run.conf['username'] | instagram_user_id }}"]],
    )
