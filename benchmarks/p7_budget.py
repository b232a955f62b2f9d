"""P7 send budget: P2's 1,000 `Text` sends through the hook with a budget that never binds
(`send_rate` 100000/1s), kept in the local store (SQLite bucket and file lock in `state_dir`) or
in Redis on loopback, against the same sends with `send_rate` off, all to the same emulator."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from benchmarks.context import BenchContext
from benchmarks.emulator_process import EmulatorProcess, airflow_env
from benchmarks.p2_sends import CONN_ID, SENDS
from benchmarks.probe import Probe
from benchmarks.report import Row, Series, at_least
from benchmarks.side import REPO, run_side

CASE = "p7_budget"
SEND_RATE = "100000/1s"
REDIS_CONN_ID = "bench_redis"
REDIS_DB = 1
BUCKETS = {"off": None, "local": "SQLiteBucket", "redis": "RedisBucket"}
NAMES = {
    "off": "`send_rate` off",
    "local": "local store (SQLite bucket + file lock in `state_dir`)",
    "redis": "Redis store on loopback",
}
GOALS = {
    "local": at_least(0.95, "≤ 5 % overhead (≥ 0.95x off)"),
    "redis": at_least(0.85, "≤ 15 % overhead (≥ 0.85x off)"),
}


def sends(probe: Probe, *, thread_id: str, n: int, bucket: str | None) -> None:
    """P2's `ours`, after checking that the client's budget uses the `bucket` class (or none)."""
    from airflow_provider_dm.client.items import Text
    from airflow_provider_dm.hooks.direct import DirectHook

    hook = DirectHook(CONN_ID)
    hook.get_conn().send(Text("benchmark message -1"), threads=[thread_id])
    budget = hook.client.transport.budget
    used = None if budget is None else type(budget.bucket).__name__
    if used != bucket:
        raise RuntimeError(f"the client's budget uses {used}, expected {bucket}")
    with probe.measure():
        for i in range(n):
            results = hook.get_conn().send(Text(f"benchmark message {i}"), threads=[thread_id])
            if results[0].status != "sent":
                raise RuntimeError(f"send {i}: {results[0].status}: {results[0].error}")
    probe.extra["per_s"] = n / probe.seconds


SIDES = dict.fromkeys(BUCKETS, sends)


def side_env(base: dict[str, str], side: str, state_dir: Path, redis_conn: str) -> dict[str, str]:
    """`base` with the connection's extras for `side`: `send_rate`, `state_dir`, Redis."""
    key = f"AIRFLOW_CONN_{CONN_ID.upper()}"
    conn = json.loads(base[key])
    extra = conn["extra"]
    extra.update(state_dir=str(state_dir), send_rate="off" if side == "off" else SEND_RATE)
    env = dict(base)
    if side == "redis":
        extra["redis_conn_id"] = REDIS_CONN_ID
        env[f"AIRFLOW_CONN_{REDIS_CONN_ID.upper()}"] = redis_conn
    env[key] = json.dumps(conn)
    return env


def evalsha_usec(port: int) -> float:
    """The redis-server's own time per EVALSHA (the bucket's script), from INFO commandstats."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        return float(client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"])
    finally:
        client.close()


def run(ctx: BenchContext) -> list[Row]:
    """Start the emulator and a throwaway redis-server, then run the three sides in turns
    (each round starts with the next side, so drift over the run falls on every side alike)."""
    from airflow_provider_dm.emulator.control import EmulatorControl

    sys.path.insert(0, str(REPO / "tests"))
    from redis_server import RedisServer

    work = ctx.out / "p7"
    shutil.rmtree(work, ignore_errors=True)
    redis = RedisServer(work / "redis").start()
    try:
        with EmulatorProcess(work / "emulator.sqlite", "demo", python=str(ctx.ours_python)) as emu:
            thread_id = str(EmulatorControl(emu.url).seed()["threads"][0]["thread_id"])
            base = airflow_env(emu.url, CONN_ID, work / "airflow-home")
            redis_conn = json.dumps(redis.airflow_connection(REDIS_DB))
            envs = {s: side_env(base, s, work / "state", redis_conn) for s in BUCKETS}
            for side, bucket in BUCKETS.items():
                args = {"thread_id": thread_id, "n": 3, "bucket": bucket}
                run_side(ctx.ours_python, CASE, side, args, env=envs[side])
            samples: dict[str, list[dict[str, Any]]] = {side: [] for side in BUCKETS}
            order = list(BUCKETS)
            for round_ in range(ctx.times(9)):
                for side in order[round_ % len(order) :] + order[: round_ % len(order)]:
                    args = {"thread_id": thread_id, "n": SENDS, "bucket": BUCKETS[side]}
                    samples[side].append(
                        run_side(ctx.ours_python, CASE, side, args, env=envs[side])
                    )
        server_usec = evalsha_usec(redis.port)
    finally:
        redis.stop()

    def series(side: str, key: str, unit: str, scale: float = 1.0) -> Series:
        """The samples of `side` for `key`, times `scale`."""
        return Series.of([s[key] * scale for s in samples[side]], unit)

    rows: list[Row] = []
    for side in ("local", "redis"):
        rows.append(
            Row(
                "P7 send budget",
                f"{SENDS:,} Text sends, sends/s, budget in the {NAMES[side]}",
                series(side, "per_s", "sends/s"),
                NAMES["off"],
                series("off", "per_s", "sends/s"),
                GOALS[side],
            )
        )
    for side in ("local", "redis"):
        rows.append(
            Row(
                "P7 send budget",
                f"client CPU per send, budget in the {NAMES[side]}",
                series(side, "cpu_seconds", "µs", 1e6 / SENDS),
                NAMES["off"],
                series("off", "cpu_seconds", "µs", 1e6 / SENDS),
            )
        )
    ctx.note(
        f"P7: `send_rate` {SEND_RATE} never binds; every side sends to one thread of one "
        "emulator, with `state_dir` in the run's folder; Redis is a throwaway `redis-server` "
        f"(no persistence) on 127.0.0.1, database {REDIS_DB}, which spent {server_usec:.0f} µs "
        "of its own per EVALSHA (the bucket's script; not in the client CPU rows)."
    )
    return rows
