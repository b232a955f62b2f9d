"""Account safety in real DAG runs (``dag.test()``, which retries failed tasks): a refused
password or a challenge costs one login for ten mapped tasks that retry three times; a spam
block mid-run stops every task at once until the block is cleared; a budget wait longer than
the task's execution_timeout fails the task with nothing more sent; and two processes sharing
one budget never exceed it together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_dm.emulator.control import EmulatorControl

TEXT_PATH = "/api/v1/direct_v2/threads/broadcast/text/"
THREADS = [f"34028236684171030094912800000000000000{n}" for n in (1, 2, 3)]
MAPPED = "dm_account_safety_mapped"


def _connection(url: str, login: str = "airflow_demo", **fields: Any) -> str:
    extra = fields.pop("extra", {})
    return json.dumps(
        {
            "conn_type": "instagram_direct",
            "host": f"{url}/api/v1/",
            "login": login,
            "password": fields.pop("password", "demo-password"),
            "extra": extra,
        }
    )


def _logins(emulator: EmulatorControl) -> int:
    return sum(1 for r in emulator.requests() if r["path"] == "/api/v1/accounts/login/")


@pytest.mark.parametrize(
    ("login", "password", "action"),
    [
        ("airflow_demo", "wrong-password", "correct it in the connection"),
        ("airflow_demo_challenge", "demo-password", "approve the login in the Instagram app"),
    ],
)
def test_ten_retrying_tasks_of_a_refused_account_make_one_login(
    run_dag, emulator, monkeypatch, capsys, login, password, action
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_DM_REFUSED", _connection(emulator.url, login=login, password=password)
    )

    out = run_dag(MAPPED, {"conn": "dm_refused"})

    assert out.state == "failed"
    mapped = [key for key in out.states if key[0] == "send"]
    assert len(mapped) == 10
    assert {out.states[key] for key in mapped} == {"failed"}
    assert {out.tries[key] for key in mapped} == {1}, "no task was retried"
    assert _logins(emulator) == 1
    assert emulator.ledger() == []
    logs = capsys.readouterr().out
    assert action in logs and "blocked since" in logs
    assert password not in logs or password == "demo-password"


def test_a_spam_block_stops_every_task_until_it_is_cleared(
    run_dag, fresh_sessions, emulator, capsys
) -> None:
    emulator.add_fault("POST", TEXT_PATH, "feedback_required", times=1)

    blocked = run_dag(MAPPED, {"conn": "dm_emulator", "text": "first"})

    assert blocked.state == "failed"
    assert {t for k, t in blocked.tries.items() if k[0] == "send"} == {1}
    text_posts = [r for r in emulator.requests() if r["path"] == TEXT_PATH]
    assert len(text_posts) == 1, "one refused send, then no task asked the service again"
    assert emulator.ledger() == []
    logs = capsys.readouterr().out
    assert "FeedbackRequired" in logs and "it lifts by itself at" in logs

    cleared = subprocess.run(
        [sys.executable, "-m", "airflow_provider_dm", "clear_block", "dm_emulator"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
        check=True,
    )
    last_line = cleared.stdout.strip().splitlines()[-1]
    assert last_line.startswith("cleared the block mark (account airflow_demo@"), last_line

    again = run_dag(MAPPED, {"conn": "dm_emulator", "text": "second"})
    assert again.state == "success"
    assert len(emulator.ledger()) == 10


def test_a_budget_wait_past_the_execution_timeout_fails_with_nothing_more_sent(
    run_dag, emulator, monkeypatch, capsys
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_DM_SLOW", _connection(emulator.url, extra={"send_rate": "1/60s"})
    )

    out = run_dag(
        "dm_account_safety_timeout", {"conn": "dm_slow", "threads": THREADS[:2], "text": "x"}
    )

    assert out.state == "failed"
    assert len(emulator.ledger()) == 1
    logs = capsys.readouterr().out
    assert "execution_timeout ends in" in logs and "1/1m" in logs


SENDER = textwrap.dedent(
    """
    import sys
    from airflow_provider_dm.client.items import Text
    from airflow_provider_dm.hooks.direct import DirectHook

    client = DirectHook("dm_shared").get_conn()
    for i in range(int(sys.argv[2])):
        (result,) = client.send(Text(f"{sys.argv[1]} {i}"), threads=[sys.argv[3]])
        assert result.status == "sent", result
    """
)


@pytest.mark.parametrize("store", ["local", "redis"])
def test_two_processes_share_one_budget(emulator, tmp_path: Path, store: str, request) -> None:
    extra: dict[str, Any] = {"send_rate": "2/1s"}
    env = os.environ.copy()
    if store == "local":
        extra["state_dir"] = str(tmp_path / "state")
    else:
        redis_server = request.getfixturevalue("redis_server")
        env["AIRFLOW_CONN_DM_REDIS"] = json.dumps(redis_server.airflow_connection(2))
        extra["redis_conn_id"] = "dm_redis"
    env["AIRFLOW_CONN_DM_SHARED"] = _connection(emulator.url, extra=extra)
    started = time.monotonic()
    senders = [
        subprocess.Popen([sys.executable, "-c", SENDER, name, "4", THREADS[0]], env=env)
        for name in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in senders] == [0, 0]
    elapsed = time.monotonic() - started

    stamps = sorted(row["timestamp"] / 1e6 for row in emulator.ledger())
    assert len(stamps) == 8
    peak = max(sum(1 for s in stamps if first <= s < first + 1.0) for first in stamps)
    assert peak <= 2, f"{peak} sends within one second"
    assert elapsed >= 3.0


def test_clear_block_reads_a_connection_stored_in_the_metadata_database(
    dagbag, emulator, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    state_dir = str(tmp_path / "state")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow",
            "connections",
            "add",
            "dm_in_db",
            "--conn-json",
            _connection(emulator.url, extra={"state_dir": state_dir}),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    from airflow_provider_dm.hooks.account_block import AccountBlock
    from airflow_provider_dm.hooks.account_store import account_key
    from airflow_provider_dm.hooks.local_account_store import LocalAccountStore

    account = account_key("airflow_demo", f"{emulator.url}/api/v1/")
    store = LocalAccountStore(Path(state_dir), account)
    store.block(AccountBlock(account, "BadPassword", "refused", "fix it", time.time()))

    cleared = subprocess.run(
        [sys.executable, "-m", "airflow_provider_dm", "clear_block", "dm_in_db"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last_line = cleared.stdout.strip().splitlines()[-1]
    assert last_line.startswith("cleared the block mark (account airflow_demo@"), last_line
    assert store.blocked() is None
