"""Fixtures of the DAG tests (operators, sensors): a migrated Airflow metadata DB, connections
pointing at the emulators, and ``run_dag`` to run a DAG of ``tests/dags`` through ``dag.test()``.

Connections are ``AIRFLOW_CONN_<ID>`` environment variables in JSON form (the tasks run in this
process, so they see them). The DAG files name these ids:
``dm_emulator`` (demo emulator, attachment route), ``dm_emulator_classic`` (classic route),
``dm_emulator_dry`` (``dry_run`` extra) and ``dm_bulk`` (the read-only ``bulk:1000`` emulator).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.emulator.server import Emulator

DAGS = Path(__file__).parent / "dags"
VIEWER = {"login": "airflow_demo", "password": "demo-password"}


def _connection(url: str, **extra: Any) -> str:
    return json.dumps(
        {"conn_type": "instagram_direct", "host": f"{url}/api/v1/", **VIEWER, "extra": extra}
    )


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """``airflow db migrate`` once per session, in the temporary AIRFLOW_HOME of tests/conftest."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        timeout=300,
    )


@pytest.fixture(scope="session")
def demo_connections(emulator_server: Emulator) -> Iterator[None]:
    """The connections to the demo emulator, for the whole session."""
    url = emulator_server.url
    values = {
        "AIRFLOW_CONN_DM_EMULATOR": _connection(url),
        "AIRFLOW_CONN_DM_EMULATOR_CLASSIC": _connection(url, media_route="classic"),
        "AIRFLOW_CONN_DM_EMULATOR_DRY": _connection(url, dry_run=True),
    }
    os.environ.update(values)
    yield
    for key in values:
        os.environ.pop(key, None)


@pytest.fixture(scope="session")
def bulk_connection(bulk_emulator: EmulatorControl) -> Iterator[EmulatorControl]:
    """The connection ``dm_bulk`` to the read-only ``bulk:1000`` emulator."""
    os.environ["AIRFLOW_CONN_DM_BULK"] = _connection(bulk_emulator.url)
    yield bulk_emulator
    os.environ.pop("AIRFLOW_CONN_DM_BULK", None)


@pytest.fixture
def fresh_sessions(dagbag: Any) -> None:
    """Forget the sessions saved by earlier tests (the emulator reset invalidated them), so
    that a task logs in first instead of meeting ``login_required`` on its first send."""
    from airflow.models.variable import Variable

    for conn_id in ("dm_emulator", "dm_emulator_classic", "dm_emulator_dry"):
        Variable.delete(f"instagram_direct_session_secret__{conn_id}")


@dataclass
class DagOutcome:
    """A finished ``dag.test()`` run: its state, task instance states and XCom return values."""

    run_id: str
    state: str
    states: dict[tuple[str, int], str] = field(default_factory=dict)
    tries: dict[tuple[str, int], int] = field(default_factory=dict)
    xcoms: dict[tuple[str, int], Any] = field(default_factory=dict)

    def result(self, task_id: str, map_index: int = -1) -> Any:
        """The return value of one task instance."""
        return self.xcoms[(task_id, map_index)]

    def state_of(self, task_id: str, map_index: int = -1) -> str:
        """The final state of one task instance."""
        return self.states[(task_id, map_index)]


@pytest.fixture(scope="session")
def dagbag(airflow_db: None) -> Any:
    """The DAG files of tests/dags, parsed once."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert not bag.import_errors, bag.import_errors
    return bag


@pytest.fixture
def run_dag(dagbag: Any, demo_connections: None) -> Callable[..., DagOutcome]:
    """Run one DAG of tests/dags with ``dag.test(run_conf=conf)`` and collect its outcome."""

    def run(dag_id: str, conf: dict[str, Any] | None = None) -> DagOutcome:
        dag = dagbag.get_dag(dag_id)
        assert dag is not None, f"no DAG {dag_id} in {DAGS}"
        dag_run = dag.test(run_conf=conf or {})
        return _outcome(dag_run)

    return run


def _outcome(dag_run: Any) -> DagOutcome:
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    outcome = DagOutcome(run_id=dag_run.run_id, state=str(dag_run.state))
    with create_session() as session:
        tis = (
            session.query(TaskInstance)
            .filter(TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id)
            .all()
        )
        for ti in tis:
            outcome.states[(ti.task_id, ti.map_index)] = str(ti.state)
            outcome.tries[(ti.task_id, ti.map_index)] = ti.try_number
        rows = (
            session.query(XComModel)
            .filter(
                XComModel.dag_id == dag_run.dag_id,
                XComModel.run_id == dag_run.run_id,
                XComModel.key == "return_value",
            )
            .all()
        )
        for row in rows:
            outcome.xcoms[(row.task_id, row.map_index)] = XComModel.deserialize_value(row)
    return outcome


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def write_mp4() -> Callable[..., Path]:
    """The MP4 writer of the client tests (loaded by path: tests/ is not a package)."""
    return _load("mp4_fixture", Path(__file__).parent / "client" / "mp4_fixture.py").write_mp4


@pytest.fixture(scope="session")
def write_clip() -> Callable[..., Path]:
    """The PyAV clip writer of the client tests (the ``[video]`` extra; skipped without it)."""
    pytest.importorskip("av")
    return _load("av_fixture", Path(__file__).parent / "client" / "av_fixture.py").write_clip
