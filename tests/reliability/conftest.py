"""Fixtures of the reliability tests: the real Airflow services of the e2e setup
(tests/e2e/airflow_services.py) with this folder's DAGs, a short client timeout (so that the
emulator's slow answers outlast it) and the emulator seeded with 100 threads."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))

from airflow_services import AirflowServices

CLIENT_TIMEOUT = 5


@pytest.fixture(scope="session")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServices]:
    """The emulator and the four Airflow services, with tests/reliability/dags as `reliability/`
    in the DAGs folder; every process is stopped by PID at the end, also after a failure."""
    services = AirflowServices(
        root=tmp_path_factory.mktemp("fault-stack"),
        connection_extra={"timeout": CLIENT_TIMEOUT},
        extra_dags={"reliability": Path(__file__).parent / "dags"},
    )
    try:
        services.start()
        yield services
    except Exception:
        print(services.report())
        raise
    finally:
        services.stop()
