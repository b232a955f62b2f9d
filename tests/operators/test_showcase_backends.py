"""The example DAG ``dags/dm_showcase.py`` on the official backend, as
``DM_DEMO_CONN=instagram_messaging_default make demo`` runs it: its ``conn`` param names the
``instagram_messaging_default`` connection (the emulator's `/graph/` routes); what the official
API cannot serve is skipped, the rest is sent (``dag.test()``; the private run is the e2e test
tests/e2e/test_dag_runs.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dag_runs import _outcome

SHOWCASE = Path(__file__).parents[2] / "dags" / "dm_showcase.py"
SKIPPED = {"share_profile", "upload_photo", "send_photo"}


def test_the_showcase_runs_on_the_official_backend(
    dagbag, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    showcase = DagBag(dag_folder=str(SHOWCASE))
    assert not showcase.import_errors, showcase.import_errors
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(showcase, "dags-folder", None)
    token = emulator.graph_token()["access_token"]
    connection = {"conn_type": "instagram_messaging", "host": f"{emulator.url}/graph/"}
    monkeypatch.setenv(
        "AIRFLOW_CONN_INSTAGRAM_MESSAGING_DEFAULT", json.dumps({**connection, "password": token})
    )

    out = _outcome(
        showcase.get_dag("dm_showcase").test(run_conf={"conn": "instagram_messaging_default"})
    )

    assert out.state == "success", out.states
    assert {task for (task, _), state in out.states.items() if state == "skipped"} == SKIPPED
    assert out.result("connection_type") == "instagram_messaging"
    picked = out.result("pick_threads")
    assert len(picked) == 3
    ledger = emulator.ledger()
    assert {row["backend"] for row in ledger} == {"graph"}
    assert (
        sorted(row["kind"] for row in ledger)
        == ["audio"] * 3 + ["media_share"] * 3 + ["text"] * 6 + ["video"] * 3
    )
    assert out.result("upload_video")["route"] == "graph"
    assert out.result("upload_voice")["route"] == "graph"
    for task in ("send_text", "send_link", "share_media", "send_video", "send_voice"):
        records = out.result(task)
        assert [r["status"] for r in records] == ["sent"] * 3
        assert [r["thread_id"] for r in records] == picked
