"""The template filter ``instagram_user_id``: ``{{ "@name" | instagram_user_id }}`` renders
the user id of a username, looked up once per task through the task's connection.

Every Direct operator and sensor has it in its templates (``DirectHookMixin`` adds it); other
operators get it from the DAG: ``DAG(..., user_defined_filters=FILTERS)``.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context

CACHE = "_instagram_user_ids"


@pass_context
def instagram_user_id(context: Any, value: Any) -> int:
    """The user id of ``value`` (``"@name"`` or ``"name"``), cached per task; a numeric id
    passes through unchanged."""
    from airflow_provider_dm.client.checks import is_username, numeric_id, username
    from airflow_provider_dm.hooks.direct import DirectHook
    from airflow_provider_dm.provider_info import DEFAULT_CONN_ID

    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return int(numeric_id(value, "instagram_user_id"))
    name = username(value if is_username(value) else f"@{value}", "instagram_user_id").lower()
    task = context.get("task")
    cache: dict[str, int] = task.__dict__.setdefault(CACHE, {}) if task is not None else {}
    if name not in cache:
        hook = getattr(task, "hook", None)
        if not isinstance(hook, DirectHook):
            hook = DirectHook(getattr(task, "direct_conn_id", None) or DEFAULT_CONN_ID)
        with hook.failing_fast():
            cache[name] = hook.get_conn().user_id_for(name)
    return cache[name]


FILTERS: dict[str, Any] = {"instagram_user_id": instagram_user_id}
