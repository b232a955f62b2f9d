"""Reading the emulator's request log after a client's requests, in order.

The emulator records each request before it answers (or drops) it, so once a client has its
answer, a log read at once holds that request.
"""

from __future__ import annotations

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.emulator.control import EmulatorControl


def requests_after(emulator: EmulatorControl, client: DirectClient) -> list[dict]:
    """The request log, every earlier request of ``client`` in it (no extra request needed)."""
    return emulator.requests()
