"""Fault injection: rules that make the next matching requests misbehave, and random faults
drawn from a fixed seed; every fault that fires is counted by kind.

A rule matches a method (or `*`) and a path prefix, hits `times` requests, then is gone. Only
requests that reach their handler count: one refused before it (unknown path or method, a bad
body or headers, 403 `login_required` for want of a session) leaves the rule untouched, so a
client that logs in again after a 403 still meets it. The pre-login endpoints need no session,
so they stay matchable by rules.

Random faults (`RandomFaults`) hit a share (`rate`) of the requests that need a session, each
with an action drawn (weighted) from a `random.Random(seed)`: the draws repeat for the same seed
and the same order of requests. `transcode_pending` (HTTP 202 "Transcode not finished yet.") is
drawn only for the requests that can meet it (`upload_finish`, `configure_video`,
`raven_attachment`). Rules, random faults and counts live in memory (a reset clears them). The
error shapes are those of §9.1.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dm.emulator.wire import (
    FEEDBACK_REQUIRED,
    LOGIN_REQUIRED,
    TRANSCODE_PENDING,
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
        "slow_answer",
        "login_required",
        "expire_session",
        "feedback_required",
        "challenge_required",
        "media_needs_reupload",
        "transcode_pending",
    }
)
RANDOM_ACTIONS = (
    "rate_limit",
    "server_error",
    "unavailable",
    "drop",
    "drop_after",
    "slow_answer",
    "login_required",
    "transcode_pending",
)
TRANSCODE_PATHS = (
    "/api/v1/media/upload_finish/",
    "/api/v1/direct_v2/threads/broadcast/configure_video/",
    "/api/v1/direct_v2/threads/broadcast/raven_attachment/",
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
        if self.action == "transcode_pending":
            return ApiError.shaped(202, TRANSCODE_PENDING)
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


@dataclass
class RandomFaults:
    """Random faults from a fixed seed: ``rate`` of the matching requests get an action drawn
    with ``weights`` (every one of ``RANDOM_ACTIONS`` equally by default); ``seconds`` is the
    slow answer's wait, ``retry_after`` the 429's header."""

    seed: int
    rate: float
    weights: dict[str, float]
    methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    seconds: float = 1.0
    retry_after: int = 1
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: JsonDict) -> RandomFaults:
        """From the admin API's JSON; a malformed field is a 400 naming it."""
        seed = spec.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise bad_request("Invalid seed: an integer is needed")
        rate = spec.get("rate")
        if not _number(rate) or not 0 < rate <= 1:
            raise bad_request("Invalid rate: a number in (0, 1] is needed")
        weights = spec.get("actions") or dict.fromkeys(RANDOM_ACTIONS, 1.0)
        if isinstance(weights, list):
            weights = dict.fromkeys(weights, 1.0)
        if (
            not isinstance(weights, dict)
            or any(a not in RANDOM_ACTIONS for a in weights)
            or not all(_number(w) and w >= 0 for w in weights.values())
            or not any(weights.values())
        ):
            raise bad_request(
                "Invalid actions: a list of, or weights by, " + ", ".join(RANDOM_ACTIONS)
            )
        scopes = {}
        for name in ("methods", "paths"):
            value = spec.get(name) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad_request(f"Invalid {name}: a list of strings is needed")
            scopes[name] = tuple(v.upper() if name == "methods" else v for v in value)
        seconds = spec.get("seconds", 1.0)
        if not _number(seconds) or seconds < 0:
            raise bad_request("Invalid seconds: a non-negative number is needed")
        retry_after = spec.get("retry_after", 1)
        if not isinstance(retry_after, int) or isinstance(retry_after, bool) or retry_after < 0:
            raise bad_request("Invalid retry_after: a non-negative integer is needed")
        return cls(
            seed, float(rate), dict(weights), **scopes, seconds=seconds, retry_after=retry_after
        )

    def draw(self, method: str, path: str) -> Fault | None:
        """A fault for this request, or None (call under the owner's lock: one random stream)."""
        if self.methods and method not in self.methods:
            return None
        if self.paths and not any(_slashed(path).startswith(p) for p in self.paths):
            return None
        if self.rng.random() >= self.rate:
            return None
        pending = _slashed(path) in TRANSCODE_PATHS
        actions = [a for a in self.weights if pending or a != "transcode_pending"]
        weights = [self.weights[a] for a in actions]
        if not any(weights):
            return None
        action = self.rng.choices(actions, weights)[0]
        params: dict[str, Any] = {}
        if action == "slow_answer":
            params["seconds"] = self.seconds
        elif action == "rate_limit":
            params["retry_after"] = self.retry_after
        return Fault(method, path, action, 1, params)

    def to_json(self) -> JsonDict:
        """The settings as the admin API shows them."""
        return {
            "seed": self.seed,
            "rate": self.rate,
            "actions": self.weights,
            "methods": list(self.methods),
            "paths": list(self.paths),
            "seconds": self.seconds,
            "retry_after": self.retry_after,
        }


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


class Faults:
    """The active rules and random faults, and the count of faults fired by kind; safe to use
    from every server thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self.random: RandomFaults | None = None
        self.fired: Counter[str] = Counter()

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
        if action in ("delay", "slow_answer") and not isinstance(
            spec.get("seconds", 0), (int, float)
        ):
            raise bad_request("Invalid seconds: a number is needed")
        fault = Fault(method, path, action, times, spec)
        with self._lock:
            self._rules.append(fault)
        return fault

    def take(self, method: str, path: str, *, random_ok: bool = True) -> Fault | None:
        """The first rule matching this request, counting one hit against it; else, when
        ``random_ok`` and random faults are on, maybe a random one. The fault is counted."""
        if not self._rules and self.random is None:
            return None
        with self._lock:
            for fault in self._rules:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._rules.remove(fault)
                    self.fired[fault.action] += 1
                    return fault
            if random_ok and self.random is not None:
                drawn = self.random.draw(method, path)
                if drawn is not None:
                    self.fired[drawn.action] += 1
                return drawn
        return None

    def set_random(self, spec: JsonDict | None) -> None:
        """Turn random faults on with ``spec`` (see ``RandomFaults.parse``), or off with None."""
        random_faults = RandomFaults.parse(spec) if spec is not None else None
        with self._lock:
            self.random = random_faults

    def counts(self) -> dict[str, int]:
        """How many faults fired, by kind, since the last reset."""
        with self._lock:
            return dict(sorted(self.fired.items()))

    def clear(self) -> None:
        """Remove every rule and turn random faults off (the counts stay)."""
        with self._lock:
            self._rules.clear()
            self.random = None

    def reset(self) -> None:
        """Remove every rule, turn random faults off and zero the counts."""
        with self._lock:
            self._rules.clear()
            self.random = None
            self.fired.clear()

    def list(self) -> list[JsonDict]:
        """The active rules."""
        with self._lock:
            return [f.to_json() for f in self._rules]
