"""`EmulatorState`: what every handler is given, the store, the fault rules, the send limits and
the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_provider_dm.emulator.faults import Faults
from airflow_provider_dm.emulator.graph_rates import GraphRates
from airflow_provider_dm.emulator.limits import Limits
from airflow_provider_dm.emulator.store import Store


@dataclass
class EmulatorState:
    """The emulator's state every handler is given: store, fault rules, send limits, settings."""

    store: Store
    faults: Faults
    limits: Limits = field(default_factory=Limits)
    seed: str = "demo"
    transcode_polls: int = 1
    dedupe: bool = True  # off: a repeated client_context adds the item again (`config`)
    graph_rates: GraphRates = field(default_factory=GraphRates)
