"""Fixtures of the emulator tests: an API session logged in as the demo account."""

from __future__ import annotations

import pytest
from emulator_api import Api

from airflow_provider_dm.emulator.control import EmulatorControl


@pytest.fixture
def api(emulator: EmulatorControl) -> Api:
    """The demo account, logged in on a fresh demo seed."""
    return Api(emulator.url).login()


@pytest.fixture
def seed(emulator: EmulatorControl) -> dict:
    """What the demo seed created."""
    return emulator.seed()
