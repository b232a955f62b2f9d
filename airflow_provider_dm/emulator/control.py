"""`EmulatorControl`: a small `requests` client of the emulator's admin API, for tests and demos."""

from __future__ import annotations

from typing import Any

import requests


class EmulatorControl:
    """Reads the ledger and request log, injects faults, sets send limits, resets and inspects
    the seed."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def _call(self, method: str, name: str, payload: dict[str, Any] | None = None) -> dict:
        response = self._session.request(
            method, f"{self.url}/__emulator/{name}", json=payload, timeout=self.timeout
        )
        body = response.json()
        if response.status_code != 200 or body.get("status") != "ok":
            raise RuntimeError(f"emulator admin {name} failed: {body.get('message', body)}")
        return body

    def ledger(self) -> list[dict]:
        """Every item the emulator accepted, oldest first."""
        return self._call("GET", "ledger")["items"]

    def actions(self) -> list[dict]:
        """Every thread action (seen, delete, approve, decline, ...), oldest first."""
        return self._call("GET", "ledger")["actions"]

    def requests(self) -> list[dict]:
        """The request log (secrets redacted), oldest first."""
        return self._call("GET", "requests")["requests"]

    def add_fault(self, method: str, path: str, action: str, times: int = 1, **params: Any) -> None:
        """Make the next `times` requests matching method + path prefix misbehave."""
        spec = {"method": method, "path": path, "action": action, "times": times, **params}
        self._call("POST", "faults", spec)

    def faults(self) -> list[dict]:
        """The fault rules still active."""
        return self._call("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        """Remove every fault rule and turn random faults off."""
        self._call("DELETE", "faults")

    def random_faults(self, seed: int, rate: float, **options: Any) -> dict:
        """Make `rate` of the requests that need a session misbehave, drawn from `seed`;
        options: `actions` (a list, or weights by action), `methods`, `paths` (prefixes),
        `seconds` (slow answers), `retry_after` (429s). Returns the settings."""
        return self._call("POST", "faults/random", {"seed": seed, "rate": rate, **options})[
            "random"
        ]

    def stop_random_faults(self) -> None:
        """Turn random faults off (the counts stay)."""
        self._call("DELETE", "faults/random")

    def fired_faults(self) -> dict[str, int]:
        """How many faults fired since the last reset, by kind."""
        return self._call("GET", "faults/fired")["fired"]

    def set_limit(self, username: str, max_sends: int, window_s: float) -> None:
        """Refuse `username`'s item-creating requests beyond `max_sends` per rolling `window_s`
        seconds with 400 `feedback_required` (replaces the account's previous limit)."""
        self._call(
            "POST", "limits", {"username": username, "max_sends": max_sends, "window_s": window_s}
        )

    def limits(self) -> list[dict]:
        """Every limit with its counts: `sends_in_window` and `feedback_required` (refusals)."""
        return self._call("GET", "limits")["limits"]

    def clear_limits(self, username: str | None = None) -> None:
        """Remove the limit of `username`, or every limit."""
        self._call("DELETE", "limits", {"username": username} if username else None)

    def reset(self, seed: str | None = None) -> None:
        """Wipe everything (faults, logs, sessions included) and seed again."""
        self._call("POST", "reset", {"seed": seed} if seed else {})

    def seed(self) -> dict:
        """What the seed created: users, threads, media, the viewer and the accounts."""
        body = self._call("GET", "seed")
        body.pop("status", None)
        return body

    def incoming(self, thread_id: str, user_pk: int, text: str) -> dict:
        """Another participant sends `text` to the viewer's thread; returns the new item."""
        payload = {"thread_id": str(thread_id), "user_pk": int(user_pk), "text": text}
        return self._call("POST", "incoming", payload)["item"]

    def message_request(
        self, username: str, text: str, to: str | None = None, *, followed: bool = False
    ) -> dict:
        """`username` starts a conversation with the account `to` (default the viewer): a
        message request in its pending inbox (`followed`: the account follows `username`).
        Returns `{thread_id, item}`."""
        payload = {"username": username, "text": text, "followed": followed}
        if to:
            payload["to"] = to
        body = self._call("POST", "message_request", payload)
        return {"thread_id": body["thread_id"], "item": body["item"]}

    def configure(self, *, transcode_polls: int | None = None, dedupe: bool | None = None) -> dict:
        """Change run-time settings: how many upload_finish calls answer 202, whether a repeated
        client_context is deduped; None leaves one as it is. Returns the settings."""
        settings = {"transcode_polls": transcode_polls, "dedupe": dedupe}
        body = self._call("POST", "config", {k: v for k, v in settings.items() if v is not None})
        return {"transcode_polls": body["transcode_polls"], "dedupe": body["dedupe"]}

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

    def graph_token(
        self, username: str = "airflow_demo", *, expires_in: int | None = None, age: int = 0
    ) -> dict:
        """A Graph API token for an account, issued ``age`` seconds ago: ``{access_token,
        ig_user_id, ...}``."""
        payload: dict[str, Any] = {"username": username, "age": age}
        if expires_in is not None:
            payload["expires_in"] = expires_in
        return self._call("POST", "graph/token", payload)

    def graph_rates(self, **rates: Any) -> dict:
        """Change the Graph API's per-account call rates (``enabled=False`` turns them off)."""
        return self._call("POST", "graph/rates", rates)

    def revoke_graph_token(self, token: str) -> None:
        """Revoke a Graph API token (its next use answers code 190)."""
        self._call("POST", "graph/token", {"revoke": token})
