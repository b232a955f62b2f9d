"""TLS verification is on unless a connection turns it off, which logs a warning; the emulator
binds to loopback unless told otherwise, and its admin API answers 403 to other hosts."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import requests

from airflow_provider_dm.emulator.server import Emulator
from airflow_provider_dm.hooks.direct import DirectHook


def _connection(url: str, **extra: object) -> str:
    return json.dumps(
        {
            "conn_type": "instagram_direct",
            "login": "airflow_demo",
            "password": "demo-password",
            "host": f"{url}/api/v1/",
            "extra": extra,
        }
    )


def test_tls_is_verified_by_default_without_a_warning(emulator, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_CONN_DM_TLS_DEFAULT", _connection(emulator.url))
    hook = DirectHook("dm_tls_default")

    assert hook.settings.verify_tls is True
    assert hook.client.transport.verify not in (False, None)
    assert "verify_tls" not in capsys.readouterr().out


def test_turning_tls_verification_off_logs_a_warning(emulator, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_CONN_DM_TLS_OFF", _connection(emulator.url, verify_tls="false"))
    hook = DirectHook("dm_tls_off")

    assert hook.client.transport.verify is False
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "verify_tls" in line]
    assert "[warning" in line
    assert "verify_tls is off" in line


def test_an_unknown_extra_with_no_near_name_is_ignored_with_a_warning(
    emulator, monkeypatch, capsys
):
    monkeypatch.setenv(
        "AIRFLOW_CONN_DM_EXTRA_NOTE", _connection(emulator.url, owner_note="team growth")
    )
    settings = DirectHook("dm_extra_note").settings

    assert settings.ignored_extras == ("owner_note",)
    assert "ignoring extras this provider does not read: owner_note" in capsys.readouterr().out


def test_the_emulator_binds_to_loopback_by_default(tmp_path: Path):
    with Emulator(db_path=tmp_path / "e.sqlite", seed="none", port=0) as server:
        assert server.url.startswith("http://127.0.0.1:")


def _outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_the_admin_api_answers_only_loopback(tmp_path: Path):
    outward = _outward_address()
    if outward is None:
        pytest.skip("this machine has no address besides loopback")
    with Emulator(db_path=tmp_path / "e.sqlite", seed="demo", host="0.0.0.0", port=0) as server:
        port = server.url.rsplit(":", 1)[1]
        local = requests.get(f"http://127.0.0.1:{port}/__emulator/ledger", timeout=10)
        remote = requests.get(f"http://{outward}:{port}/__emulator/ledger", timeout=10)
        reset = requests.post(f"http://{outward}:{port}/__emulator/reset", json={}, timeout=10)
        api = requests.get(f"http://{outward}:{port}/api/v1/direct_v2/inbox/", timeout=10)

    assert local.status_code == 200
    assert (remote.status_code, reset.status_code) == (403, 403)
    assert "loopback" in remote.json()["message"]
    assert api.status_code != 403, "the protocol routes stay open to any host it binds to"
