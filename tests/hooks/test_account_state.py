"""Account safety at the hook: bad send_rate and Redis settings are refused before any request,
the block mark stops every later use of the account until it is cleared, both stores (a folder
of this machine and a real redis-server) keep the mark, the login lock and the budget, and a
Redis that goes away mid-run fails the task with nothing unbudgeted sent."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from direct_connection import connection_json
from redis_server import RedisServer, free_port

from airflow_provider_dm.client.errors import BadPassword
from airflow_provider_dm.client.items import Text
from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.hooks.account_block import AccountBlock
from airflow_provider_dm.hooks.direct import DirectHook
from airflow_provider_dm.hooks.send_rate import RateLimit, parse_send_rate

THREAD = "340282366841710300949128000000000000001"


@pytest.fixture
def use_conn(emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch):
    """Set ``AIRFLOW_CONN_<ID>`` to an emulator connection with ``extra``; returns the id."""

    def use(conn_id: str, **extra: Any) -> str:
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}", connection_json(emulator.url, **extra)
        )
        return conn_id

    return use


@pytest.fixture
def redis_conn(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An Airflow Redis connection ``dm_redis`` to the session's redis-server, emptied first."""
    import redis

    redis.Redis(port=redis_server.port, db=1).flushdb()
    monkeypatch.setenv("AIRFLOW_CONN_DM_REDIS", json.dumps(redis_server.airflow_connection(1)))
    yield "dm_redis"


@pytest.mark.parametrize(
    ("value", "limits"),
    [
        ("1/20s;60/1h;300/1d", (RateLimit(1, 20), RateLimit(60, 3600), RateLimit(300, 86400))),
        (" 5 / 10s ", (RateLimit(5, 10),)),
        ("60/1h;1/2.5s", (RateLimit(1, 2.5), RateLimit(60, 3600))),
        ("OFF", ()),
    ],
)
def test_send_rate_parses_limits(value: str, limits: tuple[RateLimit, ...]) -> None:
    assert parse_send_rate(value) == limits


@pytest.mark.parametrize(
    "value", ["5 per", "0/1s", "-1/1m", "5/0s", "5/10x", "5/", "/10s", ";", "1/-2s", "on"]
)
def test_bad_send_rate_is_refused_naming_the_extra_before_any_request(
    use_conn, emulator: EmulatorControl, value: str
) -> None:
    hook = DirectHook(use_conn("dm_rate", send_rate=value))
    with pytest.raises(AirflowFailException, match=r"^send_rate"), hook.failing_fast():
        hook.get_conn()
    assert emulator.requests() == []


def test_a_missing_redis_connection_is_refused_before_any_request(
    use_conn, emulator: EmulatorControl
) -> None:
    hook = DirectHook(use_conn("dm_fleet", redis_conn_id="no_such_redis"))
    with pytest.raises(AirflowFailException, match=r"redis_conn_id: there is no .*no_such_redis"):
        hook.get_conn()
    assert emulator.requests() == []


def test_a_redis_server_that_is_down_is_named_before_any_request(
    use_conn, emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    down = {"conn_type": "redis", "host": "127.0.0.1", "port": free_port(), "extra": {"db": 1}}
    monkeypatch.setenv("AIRFLOW_CONN_DM_REDIS_DOWN", json.dumps(down))
    hook = DirectHook(use_conn("dm_fleet", redis_conn_id="dm_redis_down"))
    with pytest.raises(
        AirflowException, match=r"redis_conn_id 'dm_redis_down'.*unreachable"
    ) as info:
        hook.get_conn()
    assert not isinstance(info.value, AirflowFailException), "a server may come back: retryable"
    assert emulator.requests() == []


@pytest.fixture(params=["local", "redis"])
def store_conn(request: pytest.FixtureRequest, use_conn, tmp_path: Path) -> str:
    """A connection whose account state lives in a folder of this machine, or in Redis."""
    if request.param == "local":
        return use_conn("dm_store", state_dir=str(tmp_path / "state"))
    return use_conn("dm_store", redis_conn_id=request.getfixturevalue("redis_conn"))


def test_a_blocked_account_fails_at_once_without_a_request(
    store_conn: str, emulator: EmulatorControl
) -> None:
    hook = DirectHook(store_conn)
    mark = AccountBlock(hook.account, "ChallengeRequired", "challenge_required", "approve", 1.0)
    hook.account_store.block(mark)
    with pytest.raises(AirflowFailException, match=r"blocked since .*challenge_required.*approve"):
        DirectHook(store_conn).get_conn()
    assert emulator.requests() == []


def test_an_expired_block_lifts_by_itself(store_conn: str) -> None:
    store = DirectHook(store_conn).account_store
    now = time.time()
    store.block(AccountBlock(store.account, "FeedbackRequired", "x", "wait", now, now + 2))
    assert store.blocked() is not None
    time.sleep(max(0.0, now + 2.1 - time.time()))
    assert store.blocked() is None


def test_a_refused_password_marks_the_account_and_test_clears_it(
    store_conn: str, emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = f"AIRFLOW_CONN_{store_conn.upper()}"
    good = json.loads(connection_json(emulator.url))
    conn = json.loads(os.environ[env])
    monkeypatch.setenv(env, json.dumps({**conn, "password": "wrong-password"}))
    hook = DirectHook(store_conn)
    refused = pytest.raises(AirflowFailException, match="correct it in the connection")
    with refused as info, hook.failing_fast():
        hook.get_conn()
    assert isinstance(info.value.__cause__, BadPassword)
    assert "wrong-password" not in str(info.value)
    mark = hook.account_store.blocked()
    assert mark is not None and mark.error_type == "BadPassword" and mark.until is None
    logins_after_first = _logins(emulator)
    with pytest.raises(AirflowFailException, match="blocked since"):
        DirectHook(store_conn).get_conn()
    assert _logins(emulator) == logins_after_first == 1

    monkeypatch.setenv(env, json.dumps({**conn, "password": good["password"]}))
    ok, message = DirectHook(store_conn).test_connection()
    assert ok and message.endswith("the account's block mark is cleared"), message
    assert DirectHook(store_conn).account_store.blocked() is None
    DirectHook(store_conn).get_conn()


def test_the_login_lock_lets_one_holder_in_at_a_time(store_conn: str) -> None:
    store = DirectHook(store_conn).account_store
    with store.login_lock() as first:
        assert first
        if hasattr(store, "lease_ms"):
            with store.login_lock(wait=0.5) as second:
                assert not second
    with store.login_lock() as again:
        assert again


def test_a_redis_lock_of_a_dead_holder_expires_with_its_lease(redis_conn: str, use_conn) -> None:
    from airflow_provider_dm.hooks.redis_account_store import RedisAccountStore

    store = DirectHook(use_conn("dm_store", redis_conn_id=redis_conn)).account_store
    assert isinstance(store, RedisAccountStore)
    short = RedisAccountStore(store.redis, store.account, lease_ms=500)
    key = f"airflow-provider-dm:{store.account}:login"
    store.redis.set(key, "a holder that died", px=500)
    started = time.monotonic()
    with short.login_lock(wait=5) as held:
        assert held
    assert 0.3 < time.monotonic() - started < 3


def test_a_redis_that_goes_away_mid_run_fails_the_task_and_sends_nothing_more(
    use_conn, emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = RedisServer(root=tmp_path).start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_DM_REDIS_OWN", json.dumps(server.airflow_connection(1)))
        hook = DirectHook(use_conn("dm_fleet", redis_conn_id="dm_redis_own", send_rate="100/1s"))
        client = hook.get_conn()
        (first,) = client.send(Text("budgeted"), threads=[THREAD])
        assert first.status == "sent"
    finally:
        server.stop()
    failed = pytest.raises(AirflowException, match=r"dm_redis_own.*nothing more was sent")
    with failed as info, hook.failing_fast():
        client.send(Text("not budgeted"), threads=[THREAD])
    assert not isinstance(info.value, AirflowFailException)
    assert [row["fields"].get("text") for row in emulator.ledger()] == ["budgeted"]


def _logins(emulator: EmulatorControl) -> int:
    return sum(1 for r in emulator.requests() if r["path"].endswith("/accounts/login/"))
