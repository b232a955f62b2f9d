"""`python -m benchmarks [P1 P2 ...] [--repeats N]`: run the cases (all by default; a case may
also be named by its module, e.g. `p7_budget`), print one Markdown table, and write it to
`benchmarks/out/results.md`. The peer venv is made only when a chosen case uses it."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import time
import traceback

from benchmarks.context import BenchContext
from benchmarks.peer_venv import ensure_peer_venv, peer_versions
from benchmarks.report import Row, Table
from benchmarks.side import PROFILE_DIR_ENV

CASES = {
    "P1": "p1_import",
    "P2": "p2_sends",
    "P3": "p3_inbox",
    "P4": "p4_photo",
    "P4b": "p4b_big_photo",
    "P5": "p5_video",
    "P5b": "p5b_transcode",
    "P6": "p6_emulator",
    "P7": "p7_budget",
}
PEER_CASES = ("P1", "P2", "P3", "P4", "P4b")


def main(argv: list[str]) -> int:
    """Run the chosen cases and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("cases", nargs="*", metavar="CASE", help=" ".join(CASES))
    parser.add_argument("--repeats", type=int, help="repetitions per side (default: per case)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run every side under cProfile; statistics go to benchmarks/out/profiles/",
    )
    args = parser.parse_args(argv)
    by_module = {module: name for name, module in CASES.items()}
    by_name = {name.upper(): name for name in CASES}
    chosen = [by_module.get(c.lower()) or by_name.get(c.upper(), c) for c in args.cases] or list(
        CASES
    )
    unknown = [c for c in chosen if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")

    ctx = BenchContext(repeats=args.repeats)
    if args.profile:
        os.environ[PROFILE_DIR_ENV] = str(ctx.out / "profiles")
        ctx.note("Profiled run (cProfile in every side): the timings are inflated.")
    if set(chosen) & set(PEER_CASES):
        try:
            ctx.peer_python = ensure_peer_venv()
            versions = peer_versions(ctx.peer_python)
            ctx.note(
                "Peer venv: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + "; ours: "
                f"Python {platform.python_version()} (same Airflow, requests and urllib3 pins)."
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            ctx.note(f"The peer venv could not be created ({exc}); peer rows are not measured.")
    table = Table(notes=ctx.notes)
    started = time.monotonic()
    for name in chosen:
        case_start = time.monotonic()
        print(f"[{name}] running...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{CASES[name]}")
            table.rows.extend(module.run(ctx))
        except Exception as exc:
            traceback.print_exc()
            table.rows.append(
                Row(name, "—", None, note=f"not measured: {type(exc).__name__}: {exc}")
            )
        print(f"[{name}] {time.monotonic() - case_start:.0f} s", file=sys.stderr, flush=True)
    header = (
        f"Benchmarks ({', '.join(chosen)}), {platform.node()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, total {time.monotonic() - started:.0f} s. "
        "Command: `make bench` (= `.venv/bin/python -m benchmarks`)."
    )
    print(header + "\n")
    print(table.markdown())
    out = ctx.out / "results.md"
    table.write(out, header)
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
