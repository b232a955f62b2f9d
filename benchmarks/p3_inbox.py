"""P3 inbox export: 10,000 threads, all pages, to JSON Lines, by our client, by a bare paging
loop with the same query, and by instagrapi's `direct_threads(amount=0)`; time and RSS growth."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from benchmarks.context import BenchContext
from benchmarks.emulator_process import EmulatorProcess, airflow_env, login_headers
from benchmarks.probe import Probe
from benchmarks.report import Row, Series, at_most
from benchmarks.side import run_side

CASE = "p3_inbox"
CONN_ID = "bench_direct"
THREADS = int(os.environ.get("BENCH_P3_THREADS", "10000"))
INBOX_PATH = "/api/v1/direct_v2/inbox/"
PAGING_PARAMS = ("cursor", "direction", "seq_id", "fetch_reason")


def ours(probe: Probe, *, out: str, conn_id: str = CONN_ID) -> None:
    """`DirectFetchInboxOperator(output_path=...).execute()`: the product's export path (atomic
    JSON Lines through the hook's client). A first login outside the measured time loads every
    module the task needs, and its session is offered as the hook's session Variable (through
    an `AIRFLOW_VAR_*` environment variable) as an earlier task would have saved it."""
    from airflow_provider_dm.hooks.direct import DirectHook
    from airflow_provider_dm.operators.inbox import DirectFetchInboxOperator

    hook = DirectHook(conn_id)
    state = hook.get_conn().state
    os.environ[f"AIRFLOW_VAR_{hook.session_store.key.upper()}"] = state.to_json()

    operator = DirectFetchInboxOperator(task_id="export", direct_conn_id=conn_id, output_path=out)
    with probe.measure():
        result = operator.execute({})
    probe.extra["count"] = result["count"]


def bare(probe: Probe, *, url: str, out: str, params: dict[str, str]) -> None:
    """The limit: one keep-alive Session paging on `oldest_cursor` with our exact query."""
    import requests

    session = requests.Session()
    session.trust_env = False
    session.headers.update(login_headers(url))
    count = 0
    with probe.measure(), open(out, "w", encoding="utf-8") as handle:
        query: dict[str, Any] = dict(params)
        while True:
            response = session.get(url + INBOX_PATH, params=query, timeout=60)
            response.raise_for_status()
            body = response.json()
            inbox = body["inbox"]
            for thread in inbox["threads"]:
                handle.write(json.dumps(thread, separators=(",", ":")) + "\n")
                count += 1
            if not inbox.get("has_older") or not inbox.get("oldest_cursor"):
                break
            query = {**params, "cursor": inbox["oldest_cursor"], "direction": "older"}
            query["seq_id"] = body.get("seq_id")
    probe.extra["count"] = count


def peer(probe: Probe, *, url: str, out: str) -> None:
    """instagrapi's `direct_threads(amount=0)`, then each thread model as one JSON line."""
    from benchmarks.peer_client import instagrapi_client

    client, how = instagrapi_client(url)
    probe.extra["login"] = how
    with probe.measure(), open(out, "w", encoding="utf-8") as handle:
        threads = client.direct_threads(amount=0)
        for thread in threads:
            handle.write(thread.model_dump_json() + "\n")
    probe.extra["count"] = len(threads)


SIDES = {"ours": ours, "bare": bare, "peer": peer}


def run(ctx: BenchContext) -> list[Row]:
    """Seed `bulk:N` once; warm up ours to copy its query; alternate ours / bare / peer."""
    from airflow_provider_dm.emulator.control import EmulatorControl

    work = ctx.out / "p3"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    seed = f"bulk:{THREADS}"
    with EmulatorProcess(work / "emulator.sqlite", seed, python=str(ctx.ours_python)) as emu:
        control = EmulatorControl(emu.url)
        env = airflow_env(emu.url, CONN_ID, work / "airflow-home")
        out = {side: str(work / f"{side}.jsonl") for side in SIDES}
        run_side(ctx.ours_python, CASE, "ours", {"out": out["ours"]}, env=env)
        first = next(
            r for r in control.requests() if r["path"].rstrip("/") == INBOX_PATH.rstrip("/")
        )
        params = {k: str(v) for k, v in first["query"].items() if k not in PAGING_PARAMS}
        control.reset()
        args = {
            "ours": ({"out": out["ours"]}, ctx.ours_python, env),
            "bare": ({"url": emu.url, "out": out["bare"], "params": params}, ctx.ours_python, {}),
            "peer": ({"url": emu.url, "out": out["peer"]}, ctx.peer_python, {}),
        }
        samples: dict[str, list[dict[str, Any]]] = {side: [] for side in args}
        failed: dict[str, str] = {}
        for _ in range(ctx.times(3)):
            for side, (side_args, python, side_env) in args.items():
                if side in failed:
                    continue
                try:
                    sample = run_side(python, CASE, side, side_args, env=side_env)
                    if sample["count"] != THREADS:
                        raise RuntimeError(f"exported {sample['count']} of {THREADS} threads")
                    samples[side].append(sample)
                except Exception as exc:
                    failed[side] = str(exc)
                    control.reset()

    def series(side: str, key: str, unit: str) -> Series | None:
        values = [s[key] for s in samples[side]]
        return Series.of(values, unit) if values else None

    def note(side: str) -> str:
        return f"not measured: {failed[side]}" if side in failed else ""

    time_measure = f"{THREADS:,} threads → JSONL, time"
    rss_measure = f"{THREADS:,} threads → JSONL, peak RSS growth"
    return [
        Row(
            "P3 inbox export",
            time_measure,
            series("ours", "seconds", "s"),
            "bare paging loop, same query (limit)",
            series("bare", "seconds", "s"),
            at_most(1.2, "≤ 1.2x bare"),
            note=note("ours") or note("bare"),
        ),
        Row(
            "P3 inbox export",
            time_measure,
            series("ours", "seconds", "s"),
            "instagrapi `direct_threads(amount=0)` (peer venv)",
            series("peer", "seconds", "s"),
            note=note("ours") or note("peer"),
        ),
        Row(
            "P3 inbox export",
            f"{THREADS:,} threads → JSONL, client CPU time",
            series("ours", "cpu_seconds", "s"),
            "bare paging loop",
            series("bare", "cpu_seconds", "s"),
            note=note("ours") or note("bare"),
        ),
        Row(
            "P3 inbox export",
            rss_measure,
            series("ours", "rss_growth_mib", "MiB"),
            "—",
            None,
            at_most(20, "≤ 20 MB"),
            note=note("ours"),
        ),
        Row(
            "P3 inbox export",
            rss_measure,
            series("ours", "rss_growth_mib", "MiB"),
            "bare paging loop",
            series("bare", "rss_growth_mib", "MiB"),
            note=note("ours") or note("bare"),
        ),
        Row(
            "P3 inbox export",
            rss_measure,
            series("ours", "rss_growth_mib", "MiB"),
            "instagrapi `direct_threads(amount=0)`",
            series("peer", "rss_growth_mib", "MiB"),
            note=note("ours") or note("peer"),
        ),
    ]
