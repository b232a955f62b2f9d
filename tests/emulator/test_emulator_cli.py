"""The command line: first line, one request, SIGTERM; and the request rate on loopback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from emulator_api import Api


def test_serve_subprocess(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    command = [sys.executable, "-m", "airflow_provider_dm.emulator", "serve"]
    command += ["--host", "127.0.0.1", "--port", "0", "--db", str(db), "--seed", "demo"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:")
        url = first.removeprefix("listening on ")
        seed = requests.get(f"{url}/__emulator/seed", timeout=10).json()
        assert seed["viewer"]["username"] == "airflow_demo" and seed["threads"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert db.exists() and db.stat().st_size > 0


def test_unknown_seed_is_refused(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "airflow_provider_dm.emulator", "serve"]
    command += ["--db", str(tmp_path / "x.sqlite"), "--seed", "lots"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "unknown seed" in result.stderr


def test_send_rate_is_reported(emulator_server, emulator) -> None:
    """Prints the POST broadcast/text rate over one keep-alive session (no timed assertion)."""
    api = Api(emulator.url).login()
    thread_id = emulator.seed()["threads"][0]["thread_id"]
    count = 300
    started = time.perf_counter()
    for n in range(count):
        form = {"text": f"n{n}", "client_context": str(6800011111111111111 + n)}
        assert api.send("text", form, thread_id).status_code == 200
    rate = count / (time.perf_counter() - started)
    print(f"\nemulator (in-process, shares the GIL with the client): {rate:.0f} sends/s")
    assert len(emulator.ledger()) == count
    assert json.dumps(emulator.ledger()[-1]["fields"]["text"]) == f'"n{count - 1}"'
