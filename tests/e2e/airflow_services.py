"""Real Airflow services for end-to-end tests: the emulator, `airflow api-server`, `scheduler`,
`dag-processor` and `triggerer` as separate processes on loopback, stopped by PID afterwards;
`CeleryFleet` adds a `redis-server` broker and two `airflow celery worker` processes.

Each process runs in its own session (process group), so stopping it by PID also stops the
workers it forked; logs go to one file per process so that a failing test can show them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from redis_server import RedisServer, free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ADMIN = "admin"
EMULATOR_LOGIN = "airflow_demo"
EMULATOR_PASSWORD = "demo-password"
STOP_GRACE_SECONDS = 15.0
WORKER_STOP_GRACE_SECONDS = 30.0
LOG_TAIL_LINES = 40
# The DAGs folder of both stacks: the repository's examples and the test DAGs, copied side by side.
DAG_SOURCES = {"examples": REPO / "dags", "fleet": Path(__file__).parent / "fleet_dags"}
WORKER_NAMES = ("w1", "w2")
BROKER_DB = 0
STORE_DB = 1
# A Celery worker's log line for each task it runs (apache-airflow-providers-celery 3.26).
WORKLOAD = re.compile(
    r"Executing workload in Celery: .* log_path='dag_id=(?P<dag_id>[^/]+)/run_id=(?P<run_id>[^/]+)"
    r"/task_id=(?P<task_id>[^/]+)/(?:map_index=(?P<map_index>-?\d+)/)?attempt="
)


def stop_services(services: list[Service], grace: float) -> None:
    """SIGTERM the services' process groups by PID, SIGKILL what is left after `grace` seconds."""
    for service in services:
        service.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for service in services:
        try:
            service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            service.signal_group(signal.SIGKILL)
            service.process.wait(timeout=5)
        service.signal_group(signal.SIGKILL)


def fleet_options(
    *, connection_extra: dict[str, Any] | None = None, extra_env: dict[str, str] | None = None
) -> pytest.MarkDecorator:
    """Run the marked tests on a `celery_fleet` started with these connection extras and env vars
    (an indirect parametrization: tests asking for equal options share one fleet)."""
    options = {"connection_extra": connection_extra or {}, "extra_env": extra_env or {}}
    return pytest.mark.parametrize("celery_fleet", [options], indirect=True)


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a text file ("" when it does not exist)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Service:
    """One started process: its name, its `Popen` and the file its output goes to."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        """The process id (also its process-group id: it runs in its own session)."""
        return self.process.pid

    def signal_group(self, signum: int) -> None:
        """Send `signum` to the process and everything it forked; gone processes are fine."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signum)


@dataclass
class AirflowServices:
    """The emulator and the four Airflow services, configured for one temporary AIRFLOW_HOME.

    `connection_extra` is merged into the extras of `instagram_direct_default`; `extra_env` is
    added to the environment of every Airflow process. Both apply from `start()` on. The DAGs
    folder is a copy of the repository's `dags/` (as `examples/`), of `tests/e2e/fleet_dags/`
    (as `fleet/`) and of each folder of `extra_dags` (under its key), made by `start()`.
    """

    root: Path
    dags_folder: Path = field(init=False)
    connection_extra: dict[str, Any] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_dags: dict[str, Path] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    emulator_url: str = ""
    api_port: int = 0
    _token: str = ""

    def __post_init__(self) -> None:
        """Secrets and side ports shared by every process of this installation."""
        self._fernet_key = urlsafe_b64encode(secrets.token_bytes(32)).decode()
        self._api_secret = secrets.token_hex(16)
        self._jwt_secret = secrets.token_hex(32)
        self._worker_log_port = free_port()
        self._trigger_log_port = free_port()
        self.dags_folder = self.root / "dags"

    @property
    def home(self) -> Path:
        """The temporary AIRFLOW_HOME of every service."""
        return self.root / "airflow-home"

    @property
    def logs(self) -> Path:
        """The folder holding one output file per started process."""
        return self.root / "logs"

    @property
    def base_url(self) -> str:
        """The api-server's (and UI's) base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, timeout: float = 120.0) -> AirflowServices:
        """Start everything and wait until the health endpoint reports every component healthy."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        for name, source in {**DAG_SOURCES, **self.extra_dags}.items():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, self.dags_folder / name, ignore=ignore, dirs_exist_ok=True)
        self.emulator_url = self._start_emulator()
        self.api_port = free_port()
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"],
            env=self.environment(),
            stdout=(self.logs / "db-migrate.log").open("wb"),
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{tail(self.logs / 'db-migrate.log')}")
        self._spawn_services()
        self._wait_ready(timeout)
        return self

    def _spawn_services(self) -> None:
        """The api-server, scheduler, dag-processor and triggerer, started at once."""
        self._spawn("api-server", ["api-server", "--port", str(self.api_port)])
        for command in ("scheduler", "dag-processor", "triggerer"):
            self._spawn(command, [command])

    def _wait_ready(self, timeout: float) -> None:
        """Wait until the health endpoint reports every component healthy."""
        self._wait_healthy(timeout)

    def executor_environment(self) -> dict[str, str]:
        """The executor's settings: LocalExecutor with four parallel tasks."""
        return {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor", "AIRFLOW__CORE__PARALLELISM": "4"}

    def environment(self) -> dict[str, str]:
        """The environment of every Airflow process: nothing inherited from the test's Airflow."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        connection = {
            "conn_type": "instagram_direct",
            "host": f"{self.emulator_url}/api/v1/",
            "login": EMULATOR_LOGIN,
            "password": EMULATOR_PASSWORD,
            "extra": {
                "upload_url": f"{self.emulator_url}/",
                "timeout": 10,
                **self.connection_extra,
            },
        }
        return {
            **base,
            "AIRFLOW_HOME": str(self.home),
            **self.executor_environment(),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__FERNET_KEY": self._fernet_key,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            # A task's calls to the one api-server worker can wait longer than the 5 s default
            # on a loaded machine; a task whose first call times out never starts.
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": self._api_secret,
            "AIRFLOW__API_AUTH__JWT_SECRET": self._jwt_secret,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self._worker_log_port),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self._trigger_log_port),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT": json.dumps(connection),
            "DM_DEMO_DATA": str(self.root / "demo-data"),
            **self.extra_env,
        }

    def _start_emulator(self) -> str:
        log_path = self.logs / "emulator.log"
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "airflow_provider_dm.emulator", "serve"),
                *("--host", "127.0.0.1", "--port", "0"),
                *("--db", str(self.root / "emulator.sqlite"), "--seed", "demo"),
            ],
            stdout=subprocess.PIPE,
            stderr=log_path.open("wb"),
            start_new_session=True,
        )
        self.services.append(Service("emulator", process, log_path))
        assert process.stdout is not None
        first = process.stdout.readline().decode().strip()
        if not first.startswith("listening on http://"):
            raise RuntimeError(f"the emulator did not start ({first!r}):\n{tail(log_path)}")
        return first.removeprefix("listening on ")

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log_path = self.logs / f"{name}.log"
        process = subprocess.Popen(
            [str(BIN / "airflow"), *args],
            env={**self.environment(), **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=self.root,
            start_new_session=True,
        )
        self.services.append(Service(name, process, log_path))

    def _wait_healthy(self, timeout: float) -> None:
        components = ("metadatabase", "scheduler", "triggerer", "dag_processor")
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            self._fail_if_exited()
            try:
                last = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
                if all((last.get(c) or {}).get("status") == "healthy" for c in components):
                    return
            except requests.RequestException as exc:
                last = type(exc).__name__
            time.sleep(0.5)
        raise RuntimeError(f"Airflow was not healthy within {timeout:.0f} s: {last}")

    def _fail_if_exited(self) -> None:
        for service in self.services:
            code = service.process.poll()
            if code is not None:
                raise RuntimeError(f"{service.name} exited with {code}:\n{tail(service.log_path)}")

    def stop(self) -> None:
        """SIGTERM every started process group by PID, then SIGKILL what is left after a bound."""
        stop_services(list(reversed(self.services)), STOP_GRACE_SECONDS)
        self.services.clear()

    def report(self) -> str:
        """The tail of every process log and of every task log with an error, for a failing test."""
        parts = [f"--- {s.name} (pid {s.pid}) ---\n{tail(s.log_path)}" for s in self.services]
        for path in sorted((self.home / "logs").glob("dag_id=*/**/*.log")):
            text = path.read_text(errors="replace")
            if '"level":"error"' in text or "Traceback" in text:
                parts.append(f"--- failed task log {path.relative_to(self.home)} ---\n{tail(path)}")
        return "\n".join(parts)

    def token(self) -> str:
        """A bearer token for the REST API, obtained with the generated admin password."""
        if not self._token:
            response = requests.post(
                f"{self.base_url}/auth/token",
                json={"username": ADMIN, "password": self.admin_password()},
                timeout=10,
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def admin_password(self) -> str:
        """The admin password Airflow generated into AIRFLOW_HOME at its first start."""
        generated = self.home / "simple_auth_manager_passwords.json.generated"
        return json.loads(generated.read_text())[ADMIN]

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One authenticated REST API v2 call; `path` is relative to `/api/v2/`."""
        return requests.request(
            method,
            f"{self.base_url}/api/v2/{path.lstrip('/')}",
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=90,  # a loaded machine can keep the one api-server worker busy
            **kwargs,
        )

    def wait_for_dag(self, dag_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The DAG's REST representation once the dag-processor has parsed and stored it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.api("GET", f"dags/{dag_id}")
            if response.status_code == 200:
                return response.json()
            time.sleep(1)
        errors = self.api("GET", "importErrors").json().get("import_errors", [])
        raise LookupError(f"DAG {dag_id!r} is not in {self.dags_folder} (import errors: {errors})")

    def run_dag(
        self, dag_id: str, timeout: float = 90.0, conf: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Trigger a run through the REST API and return it once it has finished (or timed out)."""
        return self.wait_for_run(dag_id, self.trigger_dag(dag_id, conf), timeout)

    def trigger_dag(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Unpause the DAG, trigger a run (with `conf`) through the REST API, return its run id."""
        self.wait_for_dag(dag_id)
        # DAGs start paused, so that only the DAGs a test runs (not dm_inbox_export's
        # daily schedule) talk to the emulator.
        self.api("PATCH", f"dags/{dag_id}", json={"is_paused": False}).raise_for_status()
        body = {"logical_date": None, "conf": conf or {}}
        response = self.api("POST", f"dags/{dag_id}/dagRuns", json=body)
        response.raise_for_status()
        return response.json()["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 90.0) -> dict[str, Any]:
        """The run once it has finished, or as it is when `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        run: dict[str, Any] = self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}").json()
        while time.monotonic() < deadline and run["state"] not in ("success", "failed"):
            time.sleep(1)
            run = self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}").json()
        return run

    def wait_for_task_state(
        self, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float = 60.0
    ) -> str | None:
        """The task instance's state once it is one of `states`, else its last state seen."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            response = self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
            if response.status_code == 200:
                state = response.json()["state"]
                if state in states:
                    return state
            time.sleep(1)
        return state

    def add_connection(
        self,
        conn_id: str,
        *,
        login: str = EMULATOR_LOGIN,
        password: str = EMULATOR_PASSWORD,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store an `instagram_direct` connection to the emulator in the metadata DB (through the
        REST API, so no restart is needed), replacing one of the same id, and return its JSON
        form (for an `AIRFLOW_CONN_*` variable). Its extras are the default connection's base
        ones (upload URL, timeout) plus `extra`, not `connection_extra`.
        """
        deleted = self.api("DELETE", f"connections/{conn_id}")
        if deleted.status_code not in (204, 404):
            deleted.raise_for_status()
        connection = {
            "conn_type": "instagram_direct",
            "host": f"{self.emulator_url}/api/v1/",
            "login": login,
            "password": password,
            "extra": {"upload_url": f"{self.emulator_url}/", "timeout": 10, **(extra or {})},
        }
        body = {**connection, "connection_id": conn_id, "extra": json.dumps(connection["extra"])}
        self.api("POST", "connections", json=body).raise_for_status()
        return connection

    def stored_variable(self, key: str) -> str | None:
        """A Variable's value as the metadata DB holds it, decrypted (the REST API masks it)."""
        import sqlite3
        from contextlib import closing

        from cryptography.fernet import Fernet

        with closing(sqlite3.connect(self.home / "airflow.db", timeout=30)) as db:
            row = db.execute(
                "SELECT val, is_encrypted FROM variable WHERE key = ?", (key,)
            ).fetchone()
        if row is None or row[0] is None:
            return None
        value, encrypted = row
        return Fernet(self._fernet_key).decrypt(value.encode()).decode() if encrypted else value

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of a run, mapped ones included (one entry per map index)."""
        response = self.api(
            "GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000}
        )
        response.raise_for_status()
        return response.json()["task_instances"]

    def xcom_result(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> Any:
        """A task instance's return value, read back through the REST API (None when absent)."""
        response = self.api(
            "GET",
            f"dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value",
            params={"map_index": map_index},
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()["value"]


@dataclass
class CeleryFleet(AirflowServices):
    """The services above with CeleryExecutor: a `redis-server` (broker in db 0, the provider's
    coordination store `dm_redis` in db 1) and two Celery workers, `w1` and `w2`.

    Each worker has its own TMPDIR (so no file lock in a temp dir is shared between them), its
    own log-server port and `DM_WORKER_NAME` set to its name.
    """

    redis: RedisServer = field(init=False)
    worker_tmpdirs: dict[str, Path] = field(init=False)
    started_in: float = 0.0

    def __post_init__(self) -> None:
        """The broker and one temp dir per worker, both under `root`."""
        super().__post_init__()
        self.redis = RedisServer(root=self.root / "redis")
        self.worker_tmpdirs = {name: self.root / f"tmp-{name}" for name in WORKER_NAMES}

    def start(self, timeout: float = 120.0) -> CeleryFleet:
        """Start Redis, then every service and both workers; wait until all of them are ready."""
        started = time.monotonic()
        self.redis.start()
        super().start(timeout)
        self.started_in = time.monotonic() - started
        return self

    def executor_environment(self) -> dict[str, str]:
        """CeleryExecutor with the broker in Redis db 0 and the `dm_redis` connection to db 1."""
        return {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CELERY__BROKER_URL": f"{self.redis.url}/{BROKER_DB}",
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "3600",
            "AIRFLOW_CONN_DM_REDIS": json.dumps(self.redis.airflow_connection(STORE_DB)),
        }

    def _spawn_services(self) -> None:
        """The four services and, at the same time, the two workers on the `default` queue."""
        super()._spawn_services()
        for name, tmpdir in self.worker_tmpdirs.items():
            tmpdir.mkdir(parents=True, exist_ok=True)
            worker_env = {
                "TMPDIR": str(tmpdir),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "DM_WORKER_NAME": name,
            }
            args = [
                *("celery", "worker", "--celery-hostname", f"{name}@%h"),
                *("--queues", "default", "--concurrency", "2"),
                *("--without-mingle", "--without-gossip"),
            ]
            self._spawn(f"worker-{name}", args, worker_env)

    def _wait_ready(self, timeout: float) -> None:
        """Wait until the health endpoint is all healthy and each worker has logged " ready."."""
        deadline = time.monotonic() + timeout
        super()._wait_ready(timeout)
        workers = [s for s in self.services if s.name.startswith("worker-")]
        while time.monotonic() < deadline:
            self._fail_if_exited()
            if all(" ready." in s.log_path.read_text(errors="replace") for s in workers):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Celery workers were not ready within {timeout:.0f} s")

    def task_workers(self, dag_id: str, run_id: str) -> dict[tuple[str, int], set[str]]:
        """Which workers ran each (task_id, map_index) of a run, read from the workers' logs."""
        ran: dict[tuple[str, int], set[str]] = {}
        for name in self.worker_tmpdirs:
            for line in (self.logs / f"worker-{name}.log").read_text(errors="replace").splitlines():
                match = WORKLOAD.search(line)
                if match and (match["dag_id"], match["run_id"]) == (dag_id, run_id):
                    key = (match["task_id"], int(match["map_index"] or -1))
                    ran.setdefault(key, set()).add(name)
        return ran

    def stop(self) -> None:
        """Stop the workers first (warm shutdown), then the services, then Redis."""
        workers = [s for s in self.services if s.name.startswith("worker-")]
        stop_services(workers, WORKER_STOP_GRACE_SECONDS)
        super().stop()
        self.redis.stop()

    def report(self) -> str:
        """The report of the services and workers, and the tail of Redis' log."""
        return f"{super().report()}\n--- redis-server ---\n{tail(self.redis.log_path)}"
