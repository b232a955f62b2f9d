"""secret_leaks: log in with password and TOTP (the connection `dm_leak_2fa`, made by the test),
send a text, fetch the inbox and the new thread. The conf's `marker` goes into a task log, an
XCom, a rendered template field and the emulator's request log, so that the test can show its
search finds what is there."""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import Param, dag, task

from airflow_provider_dm.operators import (
    DirectFetchInboxOperator,
    DirectFetchThreadOperator,
    DirectSendMessageOperator,
)

CONN_ID = "dm_leak_2fa"
log = logging.getLogger(__name__)


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"marker": Param("no-marker", type="string")},
    tags=["test"],
)
def secret_leaks():
    @task
    def plant(params: dict | None = None) -> str:
        """The marker, in this task's log and its XCom."""
        assert params is not None
        log.info("planted marker %s", params["marker"])
        return params["marker"]

    send = DirectSendMessageOperator(
        task_id="send",
        direct_conn_id=CONN_ID,
        recipients=[["@bob_demo"]],
        text="{{ params.marker }}: a text sent after a two-factor login",
    )
    inbox = DirectFetchInboxOperator(task_id="fetch_inbox", direct_conn_id=CONN_ID, max_threads=5)

    @task
    def sent_thread(records: list[dict]) -> str:
        """The thread the text went to."""
        return records[0]["thread_id"]

    thread = DirectFetchThreadOperator(
        task_id="fetch_thread", direct_conn_id=CONN_ID, thread_id=sent_thread(send.output)
    )
    plant() >> send >> inbox >> thread


secret_leaks()
