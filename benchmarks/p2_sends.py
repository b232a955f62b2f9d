"""P2 sends: 1,000 `Text` sends through the hook to the emulator, against a bare keep-alive
`requests.Session` POST loop with the same form and headers (the limit) and instagrapi's
`direct_send` pointed at the same emulator."""

from __future__ import annotations

import json
import os
import random
import shutil
from typing import Any

from benchmarks.context import BenchContext
from benchmarks.emulator_process import (
    EmulatorProcess,
    airflow_env,
    login_headers,
)
from benchmarks.probe import Probe
from benchmarks.report import Row, Series, at_least
from benchmarks.side import run_side

CASE = "p2_sends"
CONN_ID = "bench_direct"
SENDS = int(os.environ.get("BENCH_P2_SENDS", "1000"))
TEXT_PATH = "/api/v1/direct_v2/threads/broadcast/text/"
TOKEN_FIELDS = ("client_context", "mutation_token", "offline_threading_id")
SKIP_HEADERS = {"authorization", "content-length", "host", "connection", "accept-encoding"}


def _text(i: int) -> str:
    return f"benchmark message {i}"


def ours(probe: Probe, *, thread_id: str, n: int, conn_id: str = CONN_ID) -> None:
    """Sends through `DirectHook(...).get_conn().send(Text(...), threads=[...])`."""
    from airflow_provider_dm.client.items import Text
    from airflow_provider_dm.hooks.direct import DirectHook

    hook = DirectHook(conn_id)
    hook.get_conn().send(Text(_text(-1)), threads=[thread_id])
    with probe.measure():
        for i in range(n):
            results = hook.get_conn().send(Text(_text(i)), threads=[thread_id])
            if results[0].status != "sent":
                raise RuntimeError(f"send {i}: {results[0].status}: {results[0].error}")
    probe.extra["per_s"] = n / probe.seconds


def bare(probe: Probe, *, url: str, n: int, form: dict[str, str], headers: dict[str, str]) -> None:
    """The limit: one keep-alive Session POSTing the same form with a fresh token per send.

    Like our transport it does not look up proxies in the environment on every request.
    """
    import requests

    session = requests.Session()
    session.trust_env = False
    session.headers.update(headers)
    session.headers.update(login_headers(url))
    endpoint = url + TEXT_PATH

    def post(i: int) -> None:
        token = str(random.randint(6800011111111111111, 6800099999999999999))
        body = {**form, "text": _text(i), **dict.fromkeys(TOKEN_FIELDS, token)}
        response = session.post(endpoint, data=body, timeout=30)
        if response.status_code != 200 or response.json()["status"] != "ok":
            raise RuntimeError(f"send {i}: HTTP {response.status_code}")

    post(-1)
    with probe.measure():
        for i in range(n):
            post(i)
    probe.extra["per_s"] = n / probe.seconds


def peer(probe: Probe, *, url: str, thread_id: str, n: int) -> None:
    """instagrapi 3.2's `direct_send(text, thread_ids=[...])` through the host-rewriting adapter."""
    from benchmarks.peer_client import instagrapi_client

    client, how = instagrapi_client(url)
    probe.extra["login"] = how
    client.direct_send(_text(-1), thread_ids=[int(thread_id)])
    with probe.measure():
        for i in range(n):
            client.direct_send(_text(i), thread_ids=[int(thread_id)])
    probe.extra["per_s"] = n / probe.seconds


SIDES = {"ours": ours, "bare": bare, "peer": peer}


def captured_request(url: str, path: str) -> dict[str, Any]:
    """The last request our client made to `path`, from the emulator's request log."""
    from airflow_provider_dm.emulator.control import EmulatorControl

    for entry in reversed(EmulatorControl(url).requests()):
        if entry["path"].rstrip("/") == path.rstrip("/") and entry["method"] == "POST":
            return entry
    raise RuntimeError(f"our client made no POST {path}")


def run(ctx: BenchContext) -> list[Row]:
    """Warm up ours (and copy its exact form), then alternate ours / bare / peer."""
    from airflow_provider_dm.emulator.control import EmulatorControl

    work = ctx.out / "p2"
    shutil.rmtree(work, ignore_errors=True)
    rows: list[Row] = []
    with EmulatorProcess(work / "emulator.sqlite", "demo", python=str(ctx.ours_python)) as emu:
        thread_id = str(EmulatorControl(emu.url).seed()["threads"][0]["thread_id"])
        env = airflow_env(emu.url, CONN_ID, work / "airflow-home")
        run_side(ctx.ours_python, CASE, "ours", {"thread_id": thread_id, "n": 3}, env=env)
        sent = captured_request(emu.url, TEXT_PATH)
        form = {
            k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
            for k, v in sent["form"].items()
        }
        headers = {k: v for k, v in sent["headers"].items() if k.lower() not in SKIP_HEADERS}
        n = SENDS
        args = {
            "ours": ({"thread_id": thread_id, "n": n}, ctx.ours_python, env),
            "bare": (
                {"url": emu.url, "n": n, "form": form, "headers": headers},
                ctx.ours_python,
                {},
            ),
            "peer": ({"url": emu.url, "thread_id": thread_id, "n": n}, ctx.peer_python, {}),
        }
        samples: dict[str, list[dict[str, Any]]] = {side: [] for side in args}
        failed: dict[str, str] = {}
        for _ in range(ctx.times(7)):
            for side, (side_args, python, side_env) in args.items():
                if side in failed:
                    continue
                try:
                    samples[side].append(run_side(python, CASE, side, side_args, env=side_env))
                except Exception as exc:
                    failed[side] = str(exc)

    def series(side: str) -> Series | None:
        values = [s["per_s"] for s in samples[side]]
        return Series.of(values, "sends/s") if values else None

    measure = f"{n:,} Text sends, sends/s"
    ours_note = f"not measured: {failed['ours']}" if "ours" in failed else ""
    rows.append(
        Row(
            "P2 sends",
            measure,
            series("ours"),
            "bare keep-alive Session POST loop, same form (limit)",
            series("bare"),
            at_least(0.85, "≥ 0.85x bare"),
            note=ours_note or _failed(failed, "bare"),
        )
    )
    rows.append(
        Row(
            "P2 sends",
            measure,
            series("ours"),
            "instagrapi 3.2 `direct_send` (peer venv)",
            series("peer"),
            at_least(1.5, "≥ 1.5x instagrapi"),
            note=ours_note or _failed(failed, "peer"),
        )
    )
    for side, name in (("bare", "bare loop"), ("peer", "instagrapi")):
        cpu = _cpu_per_send(samples, side, n)
        rows.append(
            Row(
                "P2 sends",
                "client CPU per send",
                _cpu_per_send(samples, "ours", n),
                name,
                cpu,
                note=ours_note or _failed(failed, side),
            )
        )
    if samples["peer"]:
        ctx.note(
            f"P2/P3 peer login: {samples['peer'][0]['login']}. instagrapi runs with "
            "`private_transport='requests'` (its default curl HTTP/2 transport cannot speak to an "
            "HTTP/1.1 server) and `request_timeout=0` (its default sleeps 1 s before every call)."
        )
    return rows


def _cpu_per_send(samples: dict[str, list[dict[str, Any]]], side: str, n: int) -> Series | None:
    values = [s["cpu_seconds"] * 1e6 / n for s in samples[side]]
    return Series.of(values, "µs") if values else None


def _failed(failed: dict[str, str], side: str) -> str:
    return f"not measured: {failed[side]}" if side in failed else ""
