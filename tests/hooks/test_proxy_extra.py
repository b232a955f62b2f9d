"""The connection's ``proxy`` extra through the hook: the session, reads and the Test button
go through a real local proxy (the emulator is reachable only through it), and a proxy that
refuses the credentials fails (retryably) without the credentials in the error or the log."""

from __future__ import annotations

import json
import logging

import pytest
from local_proxies import HIDDEN_ADDRESS, LocalProxy

from airflow_provider_dm.client.errors import NetworkError
from airflow_provider_dm.hooks.direct import DirectHook


def _connection(emulator, proxy: str) -> str:
    port = emulator.url.rsplit(":", 1)[1]
    return json.dumps(
        {
            "conn_type": "instagram_direct",
            "login": "airflow_demo",
            "password": "demo-password",
            "host": f"http://{HIDDEN_ADDRESS}:{port}/api/v1/",
            "extra": {"proxy": proxy, "timeout": "10"},
        }
    )


@pytest.mark.parametrize("scheme", ["http", "socks5h"])
def test_the_hook_goes_through_the_connections_proxy(emulator, monkeypatch, scheme) -> None:
    kind = "http" if scheme == "http" else "socks5"
    with LocalProxy(kind) as proxy:
        monkeypatch.setenv("AIRFLOW_CONN_DM_PROXIED", _connection(emulator, proxy.url(scheme)))
        ok, message = DirectHook("dm_proxied").test_connection()
    assert ok, message
    assert proxy.log.relayed
    assert {r.host for r in proxy.log.relayed} == {HIDDEN_ADDRESS}


def test_a_refusing_proxy_fails_retryably_without_showing_the_credentials(
    emulator, monkeypatch, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    with LocalProxy("socks5") as proxy:
        url = proxy.url("socks5", password="wr0ng-s3cret")
        monkeypatch.setenv("AIRFLOW_CONN_DM_PROXIED", _connection(emulator, url))
        hook = DirectHook("dm_proxied")
        hook.client.transport.retry_max_wait = 0.01
        # A proxy that refuses may be down or misconfigured for a while: Airflow may retry.
        with pytest.raises(NetworkError) as caught, hook.failing_fast():
            hook.get_conn()
    assert proxy.log.refused >= 1
    for text in (str(caught.value), repr(caught.value), caplog.text):
        assert "wr0ng-s3cret" not in text
