"""The ``send_rate`` extra: one or more limits ``N/<period>`` joined by ``;`` (``"1/20s;60/1h"``),
or ``off``; and the durations it and ``feedback_cooldown`` are written in (``20s``, ``1h``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

OFF = "off"
# For the real service: one send per 30 s, 40 an hour, 150 a day. See the README's
# "Keeping the account safe" for why.
REAL_SERVICE_SEND_RATE = "1/30s;40/1h;150/1d"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(.+)$")


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` item-creating requests within any ``seconds`` (a sliding window)."""

    count: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.count}/{_format_seconds(self.seconds)}"


def parse_duration(value: object, field: str) -> float:
    """Seconds from ``"20s"``, ``"5m"``, ``"1h"``, ``"1d"`` or a plain number of seconds;
    ``ValueError`` naming ``field`` for anything else, zero or negative included."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: must be a duration like 30s, 5m, 1h or 1d, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        match = _DURATION.match(text)
        if match:
            seconds = float(match.group(1)) * _UNITS[match.group(2)]
        else:
            try:
                seconds = float(text)
            except ValueError:
                raise ValueError(
                    f"{field}: must be a duration like 30s, 5m, 1h or 1d, got {value!r}"
                ) from None
    if not seconds > 0:
        raise ValueError(f"{field}: must be longer than zero, got {value!r}")
    return seconds


def parse_send_rate(value: object, field: str = "send_rate") -> tuple[RateLimit, ...]:
    """The limits of a ``send_rate`` value (empty for ``off``); ``ValueError`` naming
    ``field`` and the part that is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: must be like 1/20s;60/1h or off, got {value!r}")
    if value.strip().lower() == OFF:
        return ()
    limits = []
    for part in value.split(";"):
        if not part.strip():
            continue
        match = _LIMIT.match(part)
        if not match:
            raise ValueError(f"{field}: {part.strip()!r} is not N/<period> (e.g. 60/1h)")
        count = int(match.group(1))
        if count < 1:
            raise ValueError(f"{field}: {part.strip()!r} allows no send; N must be at least 1")
        limits.append(RateLimit(count, parse_duration(match.group(2), f"{field} period")))
    if not limits:
        raise ValueError(f"{field}: must be like 1/20s;60/1h or off, got {value!r}")
    return tuple(sorted(limits, key=lambda limit: limit.seconds))


def format_send_rate(limits: tuple[RateLimit, ...]) -> str:
    """The canonical text of ``limits`` (``off`` when there are none)."""
    return ";".join(str(limit) for limit in limits) or OFF


def _format_seconds(seconds: float) -> str:
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
