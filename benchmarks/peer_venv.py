"""The peers' virtualenv (`benchmarks/out/peer-venv`): instagrapi 3.2.x from the package index,
the Slack provider for the import-time case, and pyinstrument for profiling.

Created with the project's `uv`; Airflow, requests and urllib3 are pinned to the versions of our
own environment so that the two sides differ only in the library under test.
`python -m benchmarks.peer_venv` creates it on its own.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PEER_VENV = OUT / "peer-venv"
PEER_PYTHON = PEER_VENV / "bin" / "python"
INSTAGRAPI = "instagrapi==3.2.*"
SAME_AS_OURS = ("apache-airflow", "requests", "urllib3")
EXTRA = ("apache-airflow-providers-slack", "pyinstrument", "py-spy")


def ensure_peer_venv() -> Path:
    """Create the peer virtualenv unless it already has instagrapi; return its python."""
    if PEER_PYTHON.exists() and _has(PEER_PYTHON, "instagrapi"):
        return PEER_PYTHON
    uv = Path(sys.executable).parent / "uv"
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in SAME_AS_OURS]
    subprocess.run(
        [str(uv), "venv", "--quiet", "--python", sys.executable, str(PEER_VENV)], check=True
    )
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--python",
            str(PEER_PYTHON),
            INSTAGRAPI,
            *pins,
            *EXTRA,
        ],
        check=True,
    )
    return PEER_PYTHON


def peer_versions(python: Path = PEER_PYTHON) -> dict[str, str]:
    """Installed versions of the packages that matter to the comparisons, in the peer venv."""
    code = (
        "import importlib.metadata as m, json\n"
        "names = ['instagrapi', 'apache-airflow-providers-slack', 'apache-airflow', 'requests',"
        " 'pillow']\n"
        "out = {}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def _has(python: Path, package: str) -> bool:
    code = f"import importlib.metadata as m; m.version({package!r})"
    return subprocess.run([str(python), "-c", code], capture_output=True).returncode == 0


if __name__ == "__main__":
    print(ensure_peer_venv())
    print(peer_versions())
