"""Command line: `python -m airflow_provider_dm.emulator serve --host --port --db --seed`.

Prints `listening on http://HOST:PORT` as its first line, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from airflow_provider_dm.emulator.seed import check_seed
from airflow_provider_dm.emulator.server import Emulator


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_dm.emulator")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the protocol emulator until stopped")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=0, help="port (0 = a free one)")
    serve.add_argument("--db", required=True, help="SQLite file (recreated from the seed)")
    serve.add_argument("--seed", default="demo", help="none, demo or bulk:N[:M]")
    serve.add_argument(
        "--transcode-polls", type=int, default=1, help="upload_finish calls answered 202 first"
    )
    args = parser.parse_args(argv)
    try:
        check_seed(args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    emulator = Emulator(
        args.db,
        seed=args.seed,
        host=args.host,
        port=args.port,
        transcode_polls=args.transcode_polls,
    )
    with emulator:
        print(f"listening on {emulator.url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
