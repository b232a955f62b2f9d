"""Operators for group threads: create one (people as ids or ``"@names"``) and update a
thread (rename, add people, mute or unmute, hide, leave). Both are safe to repeat: a group
with exactly these people, or a thread already as asked, is reported ``already_done``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_dm.client.checks import thread_id as checked_thread_id
from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.rendered import flag, later

if TYPE_CHECKING:
    from airflow.sdk import Context


def _none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "none"))


class DirectCreateGroupOperator(DirectBaseOperator):
    """Create a group thread with two or more other people.

    :param users: the other members: user ids or ``"@username"`` (templated).
    :param title: the group's name (templated).
    :param reuse: keep a thread that already has exactly these members instead of creating
        another (so a retried task creates one group; templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: resolve the users, create nothing.
    :return: ``{thread_id, status, user_ids}``, ``status`` ``created`` or ``already_done``.
    """

    template_fields: Sequence[str] = ("direct_conn_id", "users", "title", "reuse")
    template_fields_renderers: ClassVar[dict[str, str]] = {"users": "json"}
    ui_color = "#ede7f6"

    def __init__(self, *, users: Any, title: Any = None, reuse: Any = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.users = users
        self.title = title
        self.reuse = reuse
        if not later(reuse):
            flag("reuse", reuse)

    def run(self, context: Context) -> dict[str, Any]:
        """Resolve the users, then create the group (or find it)."""
        from airflow_provider_dm.client.lookups import user_ids

        client = self.hook.get_conn()
        ids = user_ids(self.users, "users", client.user_id_for)
        title = None if _none(self.title) else self.title
        if self.hook.settings.dry_run:
            return {"thread_id": None, "status": "dry_run", "user_ids": ids}
        result = client.create_group(ids, title, reuse=flag("reuse", self.reuse))
        self.log.info("Group %s: %s", result.thread_id, result.status)
        return {"thread_id": result.thread_id, "status": result.status, "user_ids": ids}


class DirectUpdateThreadOperator(DirectBaseOperator):
    """Change a thread: rename it, add people, mute or unmute it, hide it or leave it.

    :param thread_id: the thread (templated; an ``XComArg`` works).
    :param title: the new name (templated).
    :param add_users: people to add: user ids or ``"@username"`` (templated).
    :param mute: True mutes, False unmutes, None leaves it (templated).
    :param hide: move it out of the inbox (templated).
    :param leave: leave the thread (templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: check the input, change nothing.
    :return: ``{thread_id, actions: {action: status}}``, each status naming what was done or
        ``already_done``.
    """

    template_fields: Sequence[str] = (
        "direct_conn_id",
        "thread_id",
        "title",
        "add_users",
        "mute",
        "hide",
        "leave",
    )
    ui_color = "#ede7f6"

    def __init__(
        self,
        *,
        thread_id: Any,
        title: Any = None,
        add_users: Any = None,
        mute: Any = None,
        hide: Any = False,
        leave: Any = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.thread_id = thread_id
        self.title = title
        self.add_users = add_users
        self.mute = mute
        self.hide = hide
        self.leave = leave
        if not later(thread_id):
            checked_thread_id(thread_id)
        for name in ("hide", "leave"):
            if not later(getattr(self, name)):
                flag(name, getattr(self, name))
        if not later(mute) and not _none(mute):
            flag("mute", mute)

    def run(self, context: Context) -> dict[str, Any]:
        """Apply the changes asked for, skipping those already in place."""
        from airflow_provider_dm.client.lookups import user_ids

        thread_id = checked_thread_id(self.thread_id)
        client = self.hook.get_conn()
        added = user_ids(self.add_users, "add_users", client.user_id_for, optional=True)
        changes = {
            "title": None if _none(self.title) else self.title,
            "add_users": added or None,
            "mute": None if _none(self.mute) else flag("mute", self.mute),
            "hide": flag("hide", self.hide),
            "leave": flag("leave", self.leave),
        }
        if self.hook.settings.dry_run:
            asked = {k: "dry_run" for k, v in changes.items() if v not in (None, False)}
            return {"thread_id": thread_id, "actions": asked}
        actions = client.update_thread(thread_id, **changes)
        self.log.info("Thread %s: %s", thread_id, actions)
        return {"thread_id": thread_id, "actions": actions}
