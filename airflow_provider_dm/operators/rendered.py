"""Operator arguments that may be templates: what a rendered value means.

A templated argument reaches ``run`` as Jinja rendered it: with
``render_template_as_native_obj`` an ``int`` or a ``bool``, otherwise a string (``"50"``,
``"True"``, ``"None"``). These functions turn either into the value the argument needs, or
raise ``ValueError`` naming the argument. ``later`` tells a literal, which the constructor can
check at once, from a template or an ``XComArg``, which is only known when the task runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from airflow_provider_dm.client.checks import positive_int

NONE_TEXTS = ("", "none", "null")


def later(value: Any) -> bool:
    """Whether ``value`` is known only when the task runs: a Jinja template, or an
    ``XComArg`` (anything Airflow resolves while rendering)."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return not isinstance(value, os.PathLike) and callable(getattr(value, "resolve", None))


def _is_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in NONE_TEXTS)


def whole_number(name: str, value: Any, *, optional: bool) -> int | None:
    """A positive whole number: an ``int`` or a string of digits (``"50"``); None, empty or
    ``"None"`` is None when ``optional``."""
    if optional and _is_none(value):
        return None
    return positive_int(value, name, optional=optional)


def flag(name: str, value: Any) -> bool:
    """``True`` or ``False``, also as the strings ``"True"`` / ``"false"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{name}: must be True or False, got {value!r}")


def choice(name: str, value: Any, choices: Sequence[str], *, optional: bool) -> str | None:
    """One of ``choices`` (surrounding blanks ignored); None, empty or ``"None"`` is None when
    ``optional``."""
    if optional and _is_none(value):
        return None
    text = value.strip() if isinstance(value, str) else value
    if text not in choices:
        wanted = " or ".join(repr(c) for c in choices) + (" or None" if optional else "")
        raise ValueError(f"{name}: must be {wanted}, got {value!r}")
    return text


Coerce = Callable[[str, Any], Any]


def check_literals(fields: dict[str, Coerce], task: Any) -> None:
    """At DAG parse: check each of ``fields`` of ``task`` whose value is a literal."""
    for name, coerce in fields.items():
        value = getattr(task, name)
        if not later(value):
            coerce(name, value)


def rendered_values(fields: dict[str, Coerce], task: Any) -> dict[str, Any]:
    """At the start of ``run``: each of ``fields`` of ``task``, rendered, as its type."""
    return {name: coerce(name, getattr(task, name)) for name, coerce in fields.items()}
