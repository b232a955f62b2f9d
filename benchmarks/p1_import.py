"""P1 task start: importing our operators and hook in a fresh interpreter, against
`import airflow.sdk` alone and against the Slack provider's operator module."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from benchmarks.context import BenchContext
from benchmarks.report import Row, Series, at_most

OURS = (
    "import airflow_provider_dm.operators.send, airflow_provider_dm.operators.inbox, "
    "airflow_provider_dm.operators.thread, airflow_provider_dm.operators.upload, "
    "airflow_provider_dm.hooks.direct"
)
SDK = "import airflow.sdk"
SLACK = "import airflow.providers.slack.operators.slack"


def _import_seconds(python: Path, code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    return elapsed


def run(ctx: BenchContext) -> list[Row]:
    """Alternate the imports, one fresh interpreter per sample, after one warm-up each."""
    env = {**os.environ, "AIRFLOW_HOME": str(ctx.out / "airflow-home")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    sides = {
        "ours": (ctx.ours_python, OURS),
        "sdk": (ctx.ours_python, SDK),
        "slack": (ctx.peer_python, SLACK),
        "peer_sdk": (ctx.peer_python, SDK),
    }
    broken: dict[str, str] = {}
    for name, (python, code) in sides.items():
        try:
            _import_seconds(python, code, env)
        except (RuntimeError, OSError) as exc:
            broken[name] = str(exc)
    samples: dict[str, list[float]] = {name: [] for name in sides if name not in broken}
    for _ in range(ctx.times(7)):
        for name in samples:
            python, code = sides[name]
            samples[name].append(_import_seconds(python, code, env))

    def series(name: str) -> Series | None:
        return Series.of(samples[name], "s") if name in samples else None

    ours_note = f"not measured: {broken['ours']}" if "ours" in broken else ""
    rows = [
        Row(
            "P1 task start",
            "import operators + hook",
            series("ours"),
            "`import airflow.sdk`",
            series("sdk"),
            at_most(1.10, "≤ 1.10x airflow.sdk"),
            note=ours_note,
        ),
        Row(
            "P1 task start",
            "import operators + hook",
            series("ours"),
            "Slack provider operator module (peer venv)",
            series("slack"),
            note=ours_note or (f"not measured: {broken['slack']}" if "slack" in broken else ""),
        ),
    ]
    if "peer_sdk" in samples and "slack" in samples:
        sdk, slack = Series.of(samples["peer_sdk"], "s"), Series.of(samples["slack"], "s")
        ctx.note(
            f"P1: in the peer venv `import airflow.sdk` alone takes {sdk}, so the Slack operator "
            f"module adds {slack.median - sdk.median:+.3f} s on top of it (same Airflow version "
            "in both venvs)."
        )
    return rows
