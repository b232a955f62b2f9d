"""Every exported operator, the sensor, the trigger and the notifier document each of their
parameters (``:param x:``, their bases' included), and the operators and the sensor say what they
return (``:return:``), in the reST style of the Airflow providers."""

from __future__ import annotations

import inspect
import re

import pytest

import airflow_provider_dm.operators as operators
from airflow_provider_dm.notifications import DirectNotifier
from airflow_provider_dm.sensors import DirectReplySensor
from airflow_provider_dm.triggers import DirectReplyTrigger

CLASSES = [getattr(operators, name) for name in operators.__all__]
CLASSES += [DirectReplySensor, DirectReplyTrigger, DirectNotifier]
# Deprecated names taken from **kwargs, not from the signature.
ALIASES = {DirectReplySensor: {"after", "after_item_id"}}
NO_RETURN = {operators.DirectHookMixin, DirectReplyTrigger, DirectNotifier}


def _parameters(cls: type) -> set[str]:
    """The keyword parameters of each ``__init__`` of ``cls`` and of its bases in this
    provider (Airflow's own, such as ``task_id``, are documented by Airflow)."""
    names = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or not klass.__module__.startswith("airflow_provider_dm."):
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.name != "self" and parameter.kind in (
                parameter.KEYWORD_ONLY,
                parameter.POSITIONAL_OR_KEYWORD,
            ):
                names.add(parameter.name)
    return names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_parameter_is_documented(cls: type) -> None:
    documented = re.findall(r"^:param (\w+):", inspect.getdoc(cls) or "", re.MULTILINE)
    expected = _parameters(cls) | ALIASES.get(cls, set())
    assert sorted(expected - set(documented)) == [], "undocumented"
    assert sorted(set(documented) - expected) == [], "documented, but no such parameter"
    assert len(documented) == len(set(documented)), "documented twice"


@pytest.mark.parametrize(
    "cls", [cls for cls in CLASSES if cls not in NO_RETURN], ids=lambda cls: cls.__name__
)
def test_says_what_it_returns(cls: type) -> None:
    doc = inspect.getdoc(cls) or ""
    assert re.search(r"^:return: \S", doc, re.MULTILINE), doc
