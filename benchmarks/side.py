"""One side of a case (ours, a bare baseline or a peer) run in a fresh interpreter.

The parent calls `run_side`; the child (`python -m benchmarks.side CASE SIDE ARGS_JSON`) imports
the case module, calls the side function with a `Probe`, and prints the probe as its last line.
Case modules import only the standard library at their top, so the child runs under either
virtualenv.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

from benchmarks.probe import Probe

REPO = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCH-RESULT "
PROFILE_DIR_ENV = "BENCH_PROFILE_DIR"


class SideFailed(RuntimeError):
    """A side could not produce a sample; the message says why (last lines of its stderr)."""


def run_side(
    python: str | Path,
    case: str,
    side: str,
    args: dict[str, Any] | None = None,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> dict[str, Any]:
    """Run `side` of `case` in a fresh `python` and return its sample (seconds, RSS growth...)."""
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), child_env.get("PYTHONPATH", "")) if p
    )
    proc = subprocess.run(
        [str(python), "-m", "benchmarks.side", case, side, json.dumps(args or {})],
        cwd=REPO,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            sample = json.loads(line[len(RESULT_PREFIX) :])
            if "error" in sample:
                raise SideFailed(f"{case}/{side}: {sample['error']}")
            return sample
    tail = " | ".join(proc.stderr.strip().splitlines()[-5:])
    raise SideFailed(f"{case}/{side} exited {proc.returncode} without a result: {tail}")


def main(argv: list[str]) -> int:
    """Child entry point: run one side and print its sample as JSON."""
    case, side, raw_args = argv
    probe = Probe()
    profile_dir = os.environ.get(PROFILE_DIR_ENV)
    try:
        module = importlib.import_module(f"benchmarks.{case}")
        function = module.SIDES[side]
        if profile_dir:
            _profiled(Path(profile_dir) / f"{case}-{side}.pstats", function, probe, raw_args)
        else:
            function(probe, **json.loads(raw_args))
        result: dict[str, Any] = probe.to_dict()
    except Exception as exc:
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def _profiled(path: Path, function: Any, probe: Probe, raw_args: str) -> None:
    """Run the side under cProfile and keep the statistics (timings are inflated meanwhile)."""
    import cProfile

    path.parent.mkdir(parents=True, exist_ok=True)
    profiler = cProfile.Profile()
    profiler.runcall(function, probe, **json.loads(raw_args))
    profiler.dump_stats(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
