"""Fixtures of the end-to-end tests: the real Airflow services (started once per session), the
Celery fleet (started when a test asks for it), Debian's Chromium (installed with apt-get when
missing) and a Playwright page. Tests marked `celery` run last."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
from airflow_services import AirflowServices, CeleryFleet

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def _running(services: AirflowServices) -> Iterator[AirflowServices]:
    """Start `services` and stop every process by PID afterwards, also when a test fails or the
    run is interrupted (SIGTERM is turned into KeyboardInterrupt so that the teardown runs)."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        try:
            services.start()
        except Exception:
            print(services.report())
            raise
        yield services
    finally:
        services.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def airflow_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServices]:
    """The emulator, api-server, scheduler, dag-processor and triggerer, for the whole session."""
    with _running(AirflowServices(root=tmp_path_factory.mktemp("airflow-services"))) as services:
        yield services


@pytest.fixture(scope="session")
def celery_fleet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryFleet]:
    """The services with CeleryExecutor, Redis and two workers, started when a test asks for it.

    Options (connection extras, env vars) come from `airflow_services.fleet_options(...)`, an
    indirect parametrization: a test asking for other options gets a fleet of its own.
    """
    options = getattr(request, "param", {})
    fleet = CeleryFleet(root=tmp_path_factory.mktemp("celery-fleet"), **options)
    with _running(fleet):
        print(f"\ncelery fleet ready in {fleet.started_in:.1f} s")
        yield fleet


def pytest_configure(config: pytest.Config) -> None:
    """The `after_runs` marker: a test that inspects what the other tests of the stack left."""
    config.addinivalue_line(
        "markers", "after_runs: runs after the other tests of the shared stack (before celery)"
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the `celery` tests last, so that the two stacks run their tests one after the other,
    and the `after_runs` tests just before them, once the shared stack has run everything else."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("celery") is not None,
            item.get_closest_marker("after_runs") is not None,
        )
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Attach the service and task logs to the report of a failing end-to-end test."""
    report = yield
    if report.failed:
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, AirflowServices):
                report.sections.append((f"{name} logs", value.report()))
    return report


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt-get when it is missing (CI runs as root)."""
    if not CHROMIUM.exists():
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.fail(f"{CHROMIUM} is missing: run `apt-get install -y chromium` as root")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-q"],
            ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"],
        ):
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, timeout=600)
    return CHROMIUM


@pytest.fixture
def page(chromium: Path) -> Iterator[object]:
    """A fresh Playwright page in headless Chromium, closed after the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1900})
            yield context.new_page()
        finally:
            browser.close()
