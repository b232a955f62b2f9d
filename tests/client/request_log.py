"""Reading the emulator's request log after a client's requests, in order.

The emulator records a request just after answering it, so a log read at once may miss the
newest one. One more request on the client's keep-alive connection is handled only after that
record is written; it goes to ``launcher/sync/``, which needs no session and changes nothing.
"""

from __future__ import annotations

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.emulator.control import EmulatorControl

MARKER = "/api/v1/launcher/sync/"


def requests_after(emulator: EmulatorControl, client: DirectClient) -> list[dict]:
    """The request log with every earlier request of ``client`` in it, marker excluded."""
    client.transport.api("GET", "launcher/sync/", retry=False)
    return [r for r in emulator.requests() if r["path"] != MARKER]
