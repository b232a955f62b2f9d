"""`EmulatorState`: what every handler is given, the store, the fault rules and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_dm.emulator.faults import Faults
from airflow_provider_dm.emulator.store import Store


@dataclass
class EmulatorState:
    """The emulator's state every handler is given: the store, the fault rules, the settings."""

    store: Store
    faults: Faults
    seed: str = "demo"
    transcode_polls: int = 1
