"""The emulator as a separate process (its own GIL), plus the plain-HTTP login every side uses.

`EmulatorProcess` runs `python -m airflow_provider_dm.emulator serve` and reads the
`listening on URL` line; `login_headers` logs in with the emulator's plain `:0:` password form.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from benchmarks.side import REPO

USERNAME = "airflow_demo"
PASSWORD = "demo-password"
APP_HEADERS = {
    "User-Agent": "Instagram 428.0.0.47.67 Android (34/14; 480dpi; 1344x2992; Google/google; "
    "Pixel 8 Pro; husky; husky; en_US; 961145276)",
    "X-IG-App-ID": "567067343352427",
}


class EmulatorProcess:
    """A running emulator subprocess on a free loopback port; a context manager."""

    def __init__(self, db_path: Path, seed: str, *, python: str = sys.executable) -> None:
        self.db_path = db_path
        self.seed = seed
        self.python = python
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> EmulatorProcess:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [
                self.python,
                "-m",
                "airflow_provider_dm.emulator",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--db",
                str(self.db_path),
                "--seed",
                self.seed,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._proc.stdout is not None
        first = self._proc.stdout.readline().strip()
        if not first.startswith("listening on "):
            self.__exit__()
            raise RuntimeError(f"the emulator did not start (first line: {first!r})")
        self.url = first.removeprefix("listening on ").rstrip("/")
        return self

    @property
    def pid(self) -> int:
        """The emulator's process id (for profilers)."""
        assert self._proc is not None
        return self._proc.pid

    def __exit__(self, *exc: object) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


def login_headers(url: str) -> dict[str, str]:
    """Log in as the demo account over plain HTTP; the headers of an authenticated request."""
    import requests

    device = str(uuid.uuid4())
    form = {
        "username": USERNAME,
        "enc_password": f"#PWD_INSTAGRAM:0:{int(time.time())}:{PASSWORD}",
        "guid": device,
        "phone_id": device,
        "device_id": "android-" + device.replace("-", "")[:16],
        "login_attempt_count": "0",
    }
    body = {"signed_body": "SIGNATURE." + json.dumps(form, separators=(",", ":"))}
    response = requests.post(
        f"{url}/api/v1/accounts/login/", data=body, headers=APP_HEADERS, timeout=30
    )
    response.raise_for_status()
    return {**APP_HEADERS, "Authorization": response.headers["ig-set-authorization"]}


def airflow_env(url: str, conn_id: str, home: Path) -> dict[str, str]:
    """Environment for our side: an isolated AIRFLOW_HOME and a connection to the emulator."""
    conn = {
        "conn_type": "instagram_direct",
        "host": f"{url}/api/v1/",
        "login": USERNAME,
        "password": PASSWORD,
        "extra": {"upload_url": f"{url}/"},
    }
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn),
    }
