"""Fault injection: rules that make the next matching requests misbehave.

A rule matches a method (or `*`) and a path prefix, hits `times` requests, then is gone.
Only requests that reach their handler count: one refused before it (unknown path or method,
a bad body or headers, 403 `login_required` for want of a session) leaves the rule untouched,
so a client that logs in again after a 403 still meets it. The pre-login endpoints need no
session, so they stay matchable. Rules live in memory (a reset clears them). The error
shapes are those of §9.1.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dm.emulator.wire import (
    FEEDBACK_REQUIRED,
    LOGIN_REQUIRED,
    ApiError,
    JsonDict,
    Response,
    bad_request,
)

ACTIONS = frozenset(
    {
        "rate_limit",
        "server_error",
        "unavailable",
        "drop",
        "drop_after",
        "delay",
        "login_required",
        "expire_session",
        "feedback_required",
        "challenge_required",
        "media_needs_reupload",
    }
)
RATE_LIMIT_MESSAGE = "Please wait a few minutes before you try again."


@dataclass
class Fault:
    """One rule: which requests it hits, how many more times, and what it does."""

    method: str
    path: str
    action: str
    times: int
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request (paths compared with a trailing slash)."""
        if self.method not in ("*", method):
            return False
        return _slashed(path).startswith(self.path) or path.startswith(self.path)

    def to_json(self) -> JsonDict:
        """The rule as the admin API shows it."""
        return {
            "method": self.method,
            "path": self.path,
            "action": self.action,
            "times": self.times,
            **self.params,
        }

    def error(self) -> ApiError | None:
        """The error response this rule answers with, or None for drop/delay actions."""
        if self.action == "rate_limit":
            retry_after = str(self.params.get("retry_after", 1))
            return ApiError(429, RATE_LIMIT_MESSAGE, headers={"Retry-After": retry_after})
        if self.action == "server_error":
            return ApiError(500, "Internal server error")
        if self.action == "unavailable":
            return ApiError(503, "Service unavailable", headers={"Retry-After": "1"})
        if self.action in ("login_required", "expire_session"):
            return ApiError.shaped(403, LOGIN_REQUIRED)
        if self.action == "feedback_required":
            return ApiError.shaped(400, FEEDBACK_REQUIRED)
        if self.action == "challenge_required":
            return bad_request(
                "challenge_required",
                challenge={
                    "url": "https://i.instagram.com/challenge/",
                    "api_path": "/challenge/",
                    "hide_webview_header": True,
                    "lock": True,
                    "logout": False,
                    "native_flow": True,
                },
                error_type="checkpoint_challenge_required",
            )
        return None

    def reupload(self) -> Response:
        """The 200 `media_needs_reupload` answer (status ok plus an error title, §9.1)."""
        return Response(
            {
                "message": "media_needs_reupload",
                "error_title": "bad image input extra:{}",
                "media": {},
                "status": "ok",
            }
        )


def _slashed(path: str) -> str:
    return path if path.endswith("/") else path + "/"


class Faults:
    """The active rules, safe to use from every server thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def add(self, spec: JsonDict) -> Fault:
        """Add a rule from its JSON form; a malformed one is a 400 naming the field."""
        spec = dict(spec)
        action = spec.pop("action", None)
        if action not in ACTIONS:
            raise bad_request(f"Invalid action: {action!r} (one of {', '.join(sorted(ACTIONS))})")
        path = spec.pop("path", None)
        if not isinstance(path, str) or not path.startswith("/"):
            raise bad_request("Invalid path: a path prefix starting with '/' is needed")
        method = str(spec.pop("method", "*") or "*").upper()
        times = spec.pop("times", 1)
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise bad_request("Invalid times: a positive integer is needed")
        if action == "delay" and not isinstance(spec.get("seconds", 0), (int, float)):
            raise bad_request("Invalid seconds: a number is needed")
        fault = Fault(method, path, action, times, spec)
        with self._lock:
            self._rules.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first rule matching this request, counting one hit against it."""
        if not self._rules:
            return None
        with self._lock:
            for fault in self._rules:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._rules.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def list(self) -> list[JsonDict]:
        """The active rules."""
        with self._lock:
            return [f.to_json() for f in self._rules]
