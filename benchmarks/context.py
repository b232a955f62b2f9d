"""What every case needs to run: the two interpreters, the output folder, repetition counts."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.peer_venv import OUT, PEER_PYTHON


@dataclass
class BenchContext:
    """Shared settings of one benchmark run; `repeats` overrides each case's default count."""

    ours_python: Path = field(default_factory=lambda: Path(sys.executable))
    peer_python: Path = PEER_PYTHON
    out: Path = OUT
    repeats: int | None = None
    notes: list[str] = field(default_factory=list)

    def times(self, default: int) -> int:
        """How many repetitions a case runs (its default unless overridden)."""
        return self.repeats or default

    def note(self, text: str) -> None:
        """Add a line under the table (how a peer was pointed, what was not measured)."""
        if text not in self.notes:
            self.notes.append(text)
