"""The public import surface: each package (operators, sensors, triggers, hooks) exports its
classes by name, and importing them loads no HTTP or imaging library (checked in a fresh
interpreter, where nothing else has loaded them)."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys

import pytest
from airflow.sdk import BaseHook, BaseNotifier, BaseOperator
from airflow.triggers.base import BaseTrigger

EXPORTS = {
    "airflow_provider_dm.operators": [
        "DirectAnswerRequestsOperator",
        "DirectApproveRequestsOperator",
        "DirectBaseOperator",
        "DirectCreateGroupOperator",
        "DirectDeclineRequestsOperator",
        "DirectFetchInboxOperator",
        "DirectFetchThreadOperator",
        "DirectHookMixin",
        "DirectItemsOperator",
        "DirectLookupUserOperator",
        "DirectMarkSeenOperator",
        "DirectReactOperator",
        "DirectSendBaseOperator",
        "DirectSendLinkOperator",
        "DirectSendMessageOperator",
        "DirectSendPhotoOperator",
        "DirectSendVideoOperator",
        "DirectSendVoiceOperator",
        "DirectShareMediaOperator",
        "DirectShareProfileOperator",
        "DirectUnsendOperator",
        "DirectUpdateThreadOperator",
        "DirectUploadPhotoOperator",
        "DirectUploadVideoOperator",
        "DirectUploadVoiceOperator",
    ],
    "airflow_provider_dm.sensors": ["DirectReplySensor"],
    "airflow_provider_dm.triggers": ["DirectNewMessageTrigger", "DirectReplyTrigger"],
    "airflow_provider_dm.hooks": ["DirectHook", "MessagingApiHook"],
    "airflow_provider_dm.notifications": ["DirectNotifier", "send_direct_notification"],
}
# Other names of an exported class (the Airflow providers' function-style notifier names).
ALIASES = {"send_direct_notification": "DirectNotifier"}
HEAVY = ("requests", "PIL", "cryptography")


@pytest.mark.parametrize("package", sorted(EXPORTS))
def test_every_name_imports_from_its_package(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == EXPORTS[package]
    namespace: dict = {}
    exec(f"from {package} import {', '.join(EXPORTS[package])}", namespace)
    for name in EXPORTS[package]:
        cls = namespace[name]
        assert inspect.isclass(cls) and cls.__name__ == ALIASES.get(name, name)
        assert cls.__module__.startswith(package + ".")


@pytest.mark.parametrize("package", sorted(EXPORTS))
def test_every_public_class_of_a_package_is_exported(package: str) -> None:
    module = importlib.import_module(package)
    public = set()
    for info in pkgutil.iter_modules(module.__path__, package + "."):
        for name, cls in inspect.getmembers(importlib.import_module(info.name), inspect.isclass):
            defined_here = cls.__module__ == info.name
            is_airflow_part = issubclass(cls, (BaseOperator, BaseTrigger, BaseHook, BaseNotifier))
            if defined_here and is_airflow_part and not name.startswith("_"):
                public.add(name)
    assert public <= set(module.__all__)


IMPORTS = """
import json, sys
import airflow.sdk, airflow.triggers.base
airflow_loaded = set(sys.modules)
import airflow_provider_dm.operators
operators = set(sys.modules) - airflow_loaded
import airflow_provider_dm.sensors, airflow_provider_dm.triggers
import airflow_provider_dm.notifications
from airflow_provider_dm.hooks import DirectHook
everything = set(sys.modules) - airflow_loaded
print(json.dumps({
    "operators": sorted(operators),
    "everything": sorted(everything),
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("requests", "PIL")),
}))
"""


def test_importing_the_packages_loads_no_heavy_library() -> None:
    # Airflow itself loads cryptography (its models import it), so what counts is what our
    # packages add on top of `import airflow.sdk`; requests and Pillow must not load at all.
    proc = subprocess.run(
        [sys.executable, "-c", IMPORTS],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
        check=True,
    )
    added = json.loads(proc.stdout.strip().splitlines()[-1])
    assert added["loaded"] == []
    for what in ("operators", "everything"):
        heavy = [m for m in added[what] if m.split(".")[0] in HEAVY]
        assert heavy == [], f"importing {what} loaded {heavy}"
    assert "airflow_provider_dm.operators.send" in added["operators"]
