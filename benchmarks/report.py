"""The results table: repeated samples summarised as median and spread, ratios against the
baseline measured in the same run, and whether each goal is met; rendered as Markdown."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Series:
    """Repeated measurements of one quantity of one side."""

    values: tuple[float, ...]
    unit: str

    @classmethod
    def of(cls, values: Sequence[float], unit: str) -> Series:
        """Build from any sequence of numbers."""
        return cls(tuple(float(v) for v in values), unit)

    @property
    def median(self) -> float:
        """The median of the samples."""
        return statistics.median(self.values)

    def __str__(self) -> str:
        lo, hi = min(self.values), max(self.values)
        return f"{_num(self.median)} ({_num(lo)}-{_num(hi)}) {self.unit}"


@dataclass(frozen=True)
class Goal:
    """A bound on a ratio of medians (or on our median alone when there is no baseline)."""

    text: str
    limit: float
    at_most: bool

    def met(self, value: float) -> bool:
        """Whether `value` is within the bound."""
        return value <= self.limit if self.at_most else value >= self.limit


def at_most(limit: float, text: str) -> Goal:
    """A goal met when the value is ≤ `limit`."""
    return Goal(text, limit, at_most=True)


def at_least(limit: float, text: str) -> Goal:
    """A goal met when the value is ≥ `limit`."""
    return Goal(text, limit, at_most=False)


@dataclass
class Row:
    """One line of the table: our figure, one baseline's figure, their ratio and the goal."""

    case: str
    measure: str
    ours: Series | None
    baseline: str = "—"
    theirs: Series | None = None
    goal: Goal | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Our median over the baseline's median (in the measure's own unit)."""
        if self.ours is None or self.theirs is None or self.theirs.median == 0:
            return None
        return self.ours.median / self.theirs.median

    @property
    def met(self) -> bool | None:
        """Whether the goal holds: on the ratio when there is a baseline, else on our median."""
        if self.goal is None:
            return None
        if self.baseline != "—":
            return None if self.ratio is None else self.goal.met(self.ratio)
        return None if self.ours is None else self.goal.met(self.ours.median)


@dataclass
class Table:
    """All rows of a run plus free-text notes (how peers were pointed, what was not measured)."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """The table as Markdown (it reads well in a terminal too)."""
        lines = [
            "| case | measure | ours: median (min-max) | baseline | baseline: median (min-max) "
            "| ratio ours/baseline | goal | met |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in self.rows:
            ratio = "—" if row.ratio is None else _ratio(row.ratio)
            met = {True: "yes", False: "**no**", None: "—"}[row.met]
            theirs = str(row.theirs) if row.theirs is not None else (row.note or "—")
            ours = str(row.ours) if row.ours is not None else (row.note or "not measured")
            lines.append(
                f"| {row.case} | {row.measure} | {ours} | {row.baseline} | {theirs} | {ratio} "
                f"| {row.goal.text if row.goal else 'report'} | {met} |"
            )
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines) + "\n"

    def write(self, path: Path, header: str) -> None:
        """Write the Markdown table, preceded by `header`, to `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + "\n\n" + self.markdown(), encoding="utf-8")


def _num(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _ratio(value: float) -> str:
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.3f}x"
