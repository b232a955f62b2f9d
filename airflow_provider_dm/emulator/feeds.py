"""The home feeds a client reads right after logging in (§2.2b): the stories tray and the
timeline. The emulator has neither stories nor feed posts, so both are empty and well formed.

instagrapi's `login()` POSTs `feed/reels_tray/` (signed form) and `feed/timeline/` (JSON text
under a form content type) at once, and fails the whole login on any 4xx; both answer GET too.
"""

from __future__ import annotations

from airflow_provider_dm.emulator.state import EmulatorState
from airflow_provider_dm.emulator.wire import Request, Response, ok


def handle_reels_tray(ctx: EmulatorState, req: Request) -> Response:
    """`feed/reels_tray/`: an empty stories tray, whatever the request's fields."""
    return ok(tray=[], broadcasts=[])


def handle_timeline(ctx: EmulatorState, req: Request) -> Response:
    """`feed/timeline/`: an empty home timeline with nothing more to load."""
    return ok(feed_items=[], num_results=0, more_available=False, auto_load_more_enabled=True)
