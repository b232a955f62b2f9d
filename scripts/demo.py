"""`make demo`: start the emulator, run the example DAG with `airflow dags test`, and print what
the emulator received. Everything it starts is stopped again, also on Ctrl-C or failure.

`DM_DEMO_CONN=instagram_messaging_default make demo` runs it on the official Messaging API (the
emulator's `/graph/` routes, with a token from `POST /__emulator/graph/token`): the DAG gets
the connection id as its `conn` param."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".airflow"
BIN = Path(sys.executable).parent
DAG_ID = os.environ.get("DM_DEMO_DAG", "dm_showcase")
CONN_ID = os.environ.get("DM_DEMO_CONN", "instagram_direct_default")
OFFICIAL_CONN_ID = "instagram_messaging_default"


def start_emulator(db: Path) -> tuple[subprocess.Popen[str], str]:
    """Start the emulator as a subprocess on a free port; return it and its base URL."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "airflow_provider_dm.emulator", "serve"),
            *("--host", "127.0.0.1", "--port", "0", "--db", str(db), "--seed", "demo"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    if not first.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"the emulator did not start: {first!r}")
    return proc, first.removeprefix("listening on ")


def official_connection(url: str) -> dict[str, str]:
    """The ``instagram_messaging_default`` connection variable: the emulator's Graph routes
    with a token it issues for the demo account."""
    answer = requests.post(
        f"{url}/__emulator/graph/token", json={"username": "airflow_demo"}, timeout=10
    )
    answer.raise_for_status()
    connection = {
        "conn_type": "instagram_messaging",
        "host": f"{url}/graph/",
        "password": answer.json()["access_token"],
        "extra": {"timeout": 10},
    }
    return {"AIRFLOW_CONN_INSTAGRAM_MESSAGING_DEFAULT": json.dumps(connection)}


def airflow_env(url: str) -> dict[str, str]:
    """Environment of the Airflow commands: a home in the checkout, the connection as JSON."""
    connection = {
        "conn_type": "instagram_direct",
        "login": "airflow_demo",
        "password": "demo-password",
        "host": f"{url}/api/v1/",
        "extra": {"upload_url": f"{url}/", "timeout": 10},
    }
    return {
        **os.environ,
        "AIRFLOW_HOME": str(STATE),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT": json.dumps(connection),
        "DM_DEMO_DATA": str(STATE / "demo-data"),
    }


def run(cmd: list[str], env: dict[str, str], log: Path) -> None:
    """Run an Airflow command with its output in ``log``; on failure show the log's tail."""
    print(f"$ {' '.join(Path(c).name if c.startswith('/') else c for c in cmd)}", flush=True)
    with log.open("a") as out:
        done = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        print("".join(log.read_text().splitlines(keepends=True)[-60:]), file=sys.stderr)
        raise subprocess.CalledProcessError(done.returncode, cmd)


def print_tasks(log: Path) -> None:
    """List the tasks `airflow dags test` ran, from its log."""
    text = log.read_text()
    ended = re.findall(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)", text)
    names = [task if index == "-1" else f"{task}[{index}]" for task, index in ended]
    print(f"{len(names)} tasks succeeded: {', '.join(names)}")
    skipped = sum(
        int(n) for n in re.findall(r"Downstream tasks skipped .* tasks_skipped=(\d+)", text)
    )
    if skipped:
        print(f"{skipped} tasks skipped (what this connection's API cannot serve)")


def describe(row: dict) -> str:
    """A short human description of one accepted item: its text or its upload."""
    fields = row.get("fields") or {}
    upload = row.get("upload") or {}
    if upload:
        size = f"{upload.get('bytes', 0):,} bytes"
        dims = f"{upload.get('width')}x{upload.get('height')}" if upload.get("width") else ""
        length = f"{upload['duration_ms'] / 1000:.1f} s" if upload.get("duration_ms") else ""
        return " ".join(part for part in (size, dims, length) if part)
    for key in ("text", "link_text", "profile_user_id", "media_id"):
        if fields.get(key):
            return f"{key}={str(fields[key])[:60]}"
    attachment = fields.get("attachment")
    if isinstance(attachment, dict):
        return f"{attachment.get('type')} {json.dumps(attachment.get('payload') or {})[:60]}"
    return ""


def print_ledger(url: str, db: Path) -> None:
    """Print the emulator's ledger as a table."""
    rows = requests.get(f"{url}/__emulator/ledger", timeout=10).json()["items"]
    logins = [
        r
        for r in requests.get(f"{url}/__emulator/requests", timeout=10).json()["requests"]
        if r["path"].rstrip("/").endswith("accounts/login")
    ]
    where = (
        "over its official API routes (/graph/)"
        if CONN_ID == OFFICIAL_CONN_ID
        else f"({len(logins)} login(s) in the whole run)"
    )
    print(f"\nThe emulator accepted {len(rows)} items {where}:\n")
    header = f"{'kind':<18} {'thread':<14} {'client_context':<21} content"
    print(header)
    print("-" * len(header))
    for row in rows:
        thread = str(row["thread_id"])
        print(
            f"{row['kind']:<18} ...{thread[-10:]:<11} {row['client_context'] or '':<21} "
            f"{describe(row)}"
        )
    print(f"\nThe emulator's SQLite store: {db}")


def main() -> int:
    """Set up, run the example DAG against the emulator, print what it received."""
    STATE.mkdir(exist_ok=True)
    db = STATE / "emulator.sqlite"
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(STATE / "demo-data", ignore_errors=True)
    emulator, url = start_emulator(db)
    print(f"emulator listening on {url}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        env = airflow_env(url)
        test = [str(BIN / "airflow"), "dags", "test", DAG_ID]
        if CONN_ID != "instagram_direct_default":
            if CONN_ID == OFFICIAL_CONN_ID:
                env.update(official_connection(url))
            test += ["-c", json.dumps({"conn": CONN_ID})]
            print(f"the DAG runs on the connection {CONN_ID}", flush=True)
        started = time.monotonic()
        log = STATE / "demo.log"
        log.unlink(missing_ok=True)
        run([str(BIN / "airflow"), "db", "migrate"], env, log)
        run(test, env, log)
        print(f"\n{DAG_ID} finished in {time.monotonic() - started:.0f} s (Airflow's log: {log})")
        print_tasks(log)
        print_ledger(url, db)
    except subprocess.CalledProcessError as exc:
        print(f"\nthe demo failed: {exc}", file=sys.stderr)
        return 1
    finally:
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
