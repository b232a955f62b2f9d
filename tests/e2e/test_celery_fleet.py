"""The Celery fleet: mapped tasks of one run spread over two real Celery workers, each with its
own temp dir, and reach the provider's coordination store (`dm_redis`, Redis db 1); the
`dm_broadcast_mapped` example runs on it and reaches every destination once."""

from __future__ import annotations

import time

import pytest
import redis
from airflow_services import BROKER_DB, STORE_DB, WORKER_NAMES, CeleryFleet, fleet_options

from airflow_provider_dm.emulator.control import EmulatorControl

pytestmark = [pytest.mark.e2e, pytest.mark.celery]

DAG_ID = "fleet_smoke"
BROADCAST = "dm_broadcast_mapped"
MAPPED_TASKS = 4
CONNECTION_EXTRA = {"redis_conn_id": "dm_redis", "send_rate": "5/10s"}
PROBE = "fleet-probe"


@fleet_options(connection_extra=CONNECTION_EXTRA, extra_env={"DM_FLEET_PROBE": PROBE})
def test_mapped_tasks_spread_over_both_workers(celery_fleet: CeleryFleet) -> None:
    started = time.monotonic()
    run = celery_fleet.run_dag(DAG_ID, timeout=120)
    assert run["state"] == "success", run
    run_id = run["dag_run_id"]

    results = [
        celery_fleet.xcom_result(DAG_ID, run_id, "where", index) for index in range(MAPPED_TASKS)
    ]
    assert {r["worker"] for r in results} == set(WORKER_NAMES), results
    tmpdirs = {r["worker"]: r["tmpdir"] for r in results}
    assert tmpdirs == {name: str(path) for name, path in celery_fleet.worker_tmpdirs.items()}
    assert tmpdirs["w1"] != tmpdirs["w2"]

    store = redis.Redis.from_url(f"{celery_fleet.redis.url}/{STORE_DB}")
    broker = redis.Redis.from_url(f"{celery_fleet.redis.url}/{BROKER_DB}")
    key = f"fleet_smoke:{run_id}"
    assert store.get(key) == str(MAPPED_TASKS).encode(), "not every task reached the store"
    assert not broker.exists(key), "the store shares the broker's database"

    settings = celery_fleet.xcom_result(DAG_ID, run_id, "settings")
    assert settings["extra"].items() >= CONNECTION_EXTRA.items(), settings
    assert settings["probe"] == PROBE
    print(
        f"\ncelery fleet started in {celery_fleet.started_in:.1f} s; "
        f"run and checks took {time.monotonic() - started:.1f} s; "
        f"workers: {sorted(r['worker'] for r in results)}"
    )


@fleet_options(connection_extra=CONNECTION_EXTRA, extra_env={"DM_FLEET_PROBE": PROBE})
def test_broadcast_example_sends_once_per_destination_on_the_fleet(
    celery_fleet: CeleryFleet,
) -> None:
    emulator = EmulatorControl(celery_fleet.emulator_url)
    ledger_before = len(emulator.ledger())
    run = celery_fleet.run_dag(BROADCAST, timeout=180)
    assert run["state"] == "success", run

    mapped = [
        ti
        for ti in celery_fleet.task_instances(BROADCAST, run["dag_run_id"])
        if ti["map_index"] >= 0
    ]
    ran = celery_fleet.task_workers(BROADCAST, run["dag_run_id"])
    for ti in mapped:
        workers = ran.get((ti["task_id"], ti["map_index"]), set())
        assert len(workers) == 1 and workers <= set(WORKER_NAMES), (ti, ran)
    threads = [str(row["thread_id"]) for row in emulator.ledger()[ledger_before:]]
    assert len(threads) == len(mapped) >= 2
    assert len(set(threads)) == len(threads), "a destination received the message twice"
    print(f"\n{BROADCAST} on the fleet: {sorted(ran.items())}")
