"""``python -m airflow_provider_dm clear_block [conn_id]``: lift an account's block mark after
its cause is fixed (the same as a successful Test in the connection form)."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_dm")
    commands = parser.add_subparsers(dest="command", required=True)
    clear = commands.add_parser("clear_block", help="lift the block mark of a connection's account")
    clear.add_argument("conn_id", nargs="?", default="instagram_direct_default")
    args = parser.parse_args(argv)

    # An administrator runs this beside Airflow's own services: read connections the way they
    # do (the metadata database too, where the UI stores them), not the way a task does.
    os.environ.setdefault("_AIRFLOW_PROCESS_CONTEXT", "server")
    from airflow_provider_dm.hooks.direct import DirectHook

    store = DirectHook(args.conn_id).account_store
    mark = store.blocked()
    if store.clear_block():
        print(f"cleared the block mark ({mark.describe() if mark else store.account})")
    else:
        print(f"{store.account} was not blocked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
