"""An instagrapi `Client` pointed at the emulator through `HostRewriteAdapter`, logged in.

Runs inside the peer virtualenv. It tries instagrapi's own `login()` (the Bloks flow, which
needs GraphQL routes the emulator does not serve), then its `login_legacy()`, which the
emulator serves with the calls that follow it (`feed/reels_tray/`, `feed/timeline/`), and says
which one logged in so the table can report it. When neither does, the peer is not measured.
"""

from __future__ import annotations

import signal
import traceback
from typing import Any

from benchmarks.emulator_process import PASSWORD, USERNAME
from benchmarks.host_rewrite import mount

LOGIN_TIMEOUT_S = 30


class _LoginTimeout(Exception):
    """instagrapi's login did not finish in time (e.g. retries with back-off)."""


def _refuse_code(*args: Any, **kwargs: Any) -> str:
    raise RuntimeError("the peer asked for an interactive challenge code")


def instagrapi_client(url: str) -> tuple[Any, str]:
    """A logged-in instagrapi client on the emulator and how it was logged in."""
    from instagrapi import Client

    client = Client(private_transport="requests", request_timeout=0)
    client.challenge_code_handler = _refuse_code
    client.change_password_handler = _refuse_code
    for session in (client.private, client.public, client.graphql):
        mount(session, url)
    how = _try_login(client, "login", client.login)
    if how is None:
        return client, "instagrapi `login()`"
    legacy = _try_login(client, "login_legacy", client.login_legacy)
    if legacy is None:
        return client, f"instagrapi `login_legacy()` ({how})"
    raise RuntimeError(f"instagrapi could not log in to the emulator: {how}; {legacy}")


def _try_login(client: Any, name: str, method: Any) -> str | None:
    """None when `method` logged in; else a short reason naming the failing request."""

    def on_alarm(*_: Any) -> None:
        raise _LoginTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(LOGIN_TIMEOUT_S)
    try:
        method(USERNAME, PASSWORD)
        if client.user_id:
            return None
        reason = "no user id after it"
    except _LoginTimeout:
        reason = f"timed out after {LOGIN_TIMEOUT_S} s"
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        inner = next((f for f in reversed(frames) if "/instagrapi/" in f.filename), None)
        where = f" in `{inner.name}`" if inner else ""
        reason = f"{type(exc).__name__}{where}: {str(exc)[:100]}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    client.authorization_data = {}
    return f"`{name}()` failed: {reason}"
