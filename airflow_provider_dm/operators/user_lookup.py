"""``DirectLookupUserOperator``: usernames to user ids (and names), for the tasks downstream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.checks import username
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.rendered import later

if TYPE_CHECKING:
    from airflow.sdk import Context


def _names(value: Any) -> list[str]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names:
        raise InvalidInput("usernames", f"must be a username or a list of them, got {value!r}")
    return [username(n, f"usernames[{i}]") for i, n in enumerate(names)]


class DirectLookupUserOperator(DirectBaseOperator):
    """Look up users by username (with or without ``@``).

    :param usernames: one username or a list of them (templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: ignored: this operator only reads.
    :return: one ``{user_id, username, full_name, is_private}`` per username, in order (one
        dict when ``usernames`` is a single name). An unknown name fails the task without
        retries, naming it.
    """

    template_fields: Sequence[str] = ("direct_conn_id", "usernames")
    ui_color = "#f3e5f5"

    def __init__(self, *, usernames: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.usernames = usernames
        if not later(usernames):
            _names(usernames)

    def run(self, context: Context) -> dict[str, Any] | list[dict[str, Any]]:
        """One lookup per distinct name."""
        from airflow_provider_dm.client.errors import NotFound

        names = _names(self.usernames)
        client = self.hook.get_conn()
        found: dict[str, dict[str, Any]] = {}
        for n, name in enumerate(names):
            if name.lower() in found:
                continue
            try:
                user = client.lookup_user(name)
            except NotFound as exc:
                raise InvalidInput(f"usernames[{n}]", f"no user named {name}") from exc
            found[name.lower()] = {
                "user_id": user.pk,
                "username": user.username,
                "full_name": user.full_name,
                "is_private": user.is_private,
            }
        users = [found[name.lower()] for name in names]
        return users[0] if isinstance(self.usernames, str) else users
