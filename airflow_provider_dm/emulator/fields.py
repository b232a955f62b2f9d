"""Reading form fields (§1.2): plain strings, ids as numbers or strings, JSON lists in strings.

Every failure is a 400 whose message names the field.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_dm.emulator.wire import JsonDict, bad_request


def text(form: JsonDict, name: str, *, required: bool = True) -> str | None:
    """A string field; a missing or empty required one is a 400."""
    value = form.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"Missing field: {name}")
        return None
    if isinstance(value, (dict, list)):
        raise bad_request(f"Invalid {name}: expected a string")
    return str(value)


def digits(form: JsonDict, name: str, *, required: bool = True) -> str | None:
    """A numeric id field (number or string), returned as its decimal string."""
    value = text(form, name, required=required)
    if value is None:
        return None
    if not value.isdigit():
        raise bad_request(f"Invalid {name}: {value!r} is not a numeric id")
    return value


def json_list(form: JsonDict, name: str) -> list[Any]:
    """A list field sent as a JSON string (or as a real list in a signed body); absent = []."""
    value = form.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request(f"Invalid {name}: not valid JSON") from None
    if not isinstance(value, list):
        raise bad_request(f"Invalid {name}: expected a JSON list")
    return value


def id_list(form: JsonDict, name: str) -> list[str]:
    """A 1-D JSON list of numeric ids (numbers or strings) as decimal strings."""
    ids = []
    for element in json_list(form, name):
        if isinstance(element, bool) or not isinstance(element, (int, str)):
            raise bad_request(f"Invalid {name}: expected a flat list of ids")
        value = str(element)
        if not value.isdigit():
            raise bad_request(f"Invalid {name}: {value!r} is not a numeric id")
        ids.append(value)
    return ids


def id_groups(form: JsonDict, name: str) -> list[list[str]]:
    """A 2-D JSON list of user ids (one inner list per conversation)."""
    groups = []
    for group in json_list(form, name):
        if not isinstance(group, list):
            raise bad_request(
                f'Invalid {name}: expected a list of lists of user ids, e.g. [["123"]]'
            )
        groups.append(id_list({name: group}, name))
        if not groups[-1]:
            raise bad_request(f"Invalid {name}: an inner list is empty")
    return groups


def integer(query: dict[str, str], name: str, default: int, *, low: int, high: int) -> int:
    """An integer query parameter clamped to [low, high]; garbage is a 400."""
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"Invalid {name}: {value!r} is not an integer") from None
    return max(low, min(high, number))
