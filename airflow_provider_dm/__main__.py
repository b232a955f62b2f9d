"""``python -m airflow_provider_dm clear_block <conn_id>``: lift an account's block mark after
its cause is fixed (the same as a successful Test in the connection form)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_dm")
    commands = parser.add_subparsers(dest="command", required=True)
    clear = commands.add_parser("clear_block", help="lift the block mark of a connection's account")
    clear.add_argument("conn_id", nargs="?", default="instagram_direct_default")
    args = parser.parse_args(argv)

    from airflow_provider_dm.hooks.direct import DirectHook

    hook = DirectHook(args.conn_id)
    mark = hook.account_store.blocked()
    if hook.clear_block():
        print(f"cleared the block mark ({mark.describe() if mark else hook.account})")
    else:
        print(f"{hook.account} was not blocked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
