"""A throwaway `redis-server` for tests: Debian's binary on a free loopback port, no persistence,
its own process group and log file, stopped by PID.

The server is always started by the test run on a port of its own, never the one of the Debian
package's service (6379), and it is checked to be the process that answers before it is used.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REDIS_SERVER = Path("/usr/bin/redis-server")
HOST = "127.0.0.1"
START_ATTEMPTS = 3
STOP_GRACE_SECONDS = 10.0
APT_LOCK_TIMEOUT_SECONDS = 600


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def install_redis_server() -> None:
    """Install Debian's redis-server with apt-get when it is missing (CI runs as root)."""
    if REDIS_SERVER.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(
            f"{REDIS_SERVER} is missing: run `apt-get install -y redis-server` as root"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait_for_lock = ["-o", f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_SECONDS}"]
    for command in (
        ["apt-get", *wait_for_lock, "update", "-q"],
        ["apt-get", *wait_for_lock, "install", "-y", "-q", "redis-server"],
    ):
        subprocess.run(
            command,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=APT_LOCK_TIMEOUT_SECONDS + 600,
        )


@dataclass
class RedisServer:
    """One `redis-server` process on `host:port`, logging to `root/redis-server.log`."""

    root: Path
    host: str = HOST
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's address as a Redis URL without a database number."""
        return f"redis://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        """The file the server's output goes to."""
        return self.root / "redis-server.log"

    def airflow_connection(self, db: int) -> dict[str, Any]:
        """The JSON form of an Airflow `redis` connection to database `db` of this server."""
        return {"conn_type": "redis", "host": self.host, "port": self.port, "extra": {"db": db}}

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server on a free port (another if that was taken meanwhile); wait for PING."""
        install_redis_server()
        self.root.mkdir(parents=True, exist_ok=True)
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            self.process = subprocess.Popen(
                [
                    *(str(REDIS_SERVER), "--port", str(self.port), "--bind", self.host),
                    *("--save", "", "--appendonly", "no"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=self.log_path.open("ab"),
                stderr=subprocess.STDOUT,
                cwd=self.root,
                start_new_session=True,
            )
            try:
                ready = self._wait_ready(timeout)
            except BaseException:
                self.stop()
                raise
            if ready:
                return self
            self.stop()
        log = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"redis-server did not start in {START_ATTEMPTS} attempts:\n{log}")

    def _wait_ready(self, timeout: float) -> bool:
        """True once our own process answers PING; False when it exited (port taken)."""
        import redis

        assert self.process is not None
        deadline = time.monotonic() + timeout
        client = redis.Redis(host=self.host, port=self.port, socket_timeout=1)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
                    if client.ping():
                        pid = client.info("server")["process_id"]
                        if pid != self.process.pid:
                            raise RuntimeError(f"port {self.port} is served by pid {pid}")
                        return True
                time.sleep(0.05)
        finally:
            client.close()
        raise RuntimeError(f"redis-server did not answer PING within {timeout:.0f} s")

    def stop(self) -> None:
        """SIGTERM the server's process group by PID, SIGKILL it if it is still there later."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.process = None
