"""The client's public names: every one resolves from ``airflow_provider_dm.client``, and the
package loads nothing heavy until a name that needs it is used (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import airflow_provider_dm.client as client

HEAVY = ("requests", "PIL", "cryptography", "airflow")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    modules = json.loads(out.strip().splitlines()[-1])
    return [name for name in HEAVY if name in modules]


def test_every_public_name_resolves() -> None:
    for name in client.__all__:
        assert getattr(client, name).__name__ == name


def test_the_package_and_the_item_classes_load_nothing_heavy() -> None:
    assert _loaded_after("import airflow_provider_dm.client") == []
    assert _loaded_after("from airflow_provider_dm.client import Text, Photo, InvalidInput") == []


def test_the_client_class_loads_requests_but_not_airflow() -> None:
    loaded = _loaded_after("from airflow_provider_dm.client import DirectClient")
    assert "requests" in loaded and "airflow" not in loaded
