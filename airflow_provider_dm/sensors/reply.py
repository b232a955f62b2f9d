"""``DirectReplySensor``: wait for the reply to a message in a thread, deferring to the
triggerer while it waits so that no worker slot is held."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar
from warnings import warn

from airflow.exceptions import AirflowProviderDeprecationWarning
from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

from airflow_provider_dm.client.checks import is_username, numeric_id, username
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.replies import ReplyFilter, find_reply, reply_record
from airflow_provider_dm.operators.base import DirectHookMixin
from airflow_provider_dm.operators.export import parse_since
from airflow_provider_dm.triggers.reply import DirectReplyTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_dm.client import DirectClient

DELIVERED = ("sent", "already_sent")
# _renamed <- DirectReplySensor.__init__ <- Airflow's default_args wrapper <- the DAG file.
# (``warn`` is imported by name: Airflow shifts the stack level of a module's ``warnings``.)
STACKLEVEL = 4


class DirectReplySensor(DirectHookMixin, BaseSensorOperator):
    """Wait until someone other than the account posts in a thread, and return that item.

    Only items newer than a mark count. Chained from a send, pass its XCom whole:
    ``DirectReplySensor(task_id="wait", reply_to=ask.output)`` watches the thread of the first
    delivered record (or the one of ``thread_id``) for items newer than the sent item.

    :param reply_to: a send operator's XCom (its list of records, or one record; templated):
        gives ``thread_id`` when omitted and ``since_item_id`` (the sent item).
    :param thread_id: the thread to watch (templated; an ``XComArg`` works).
    :param since_item_id: only items newer than this item count (templated).
    :param since: only items sent after this moment count (templated; datetime or ISO-8601).
        With none of ``reply_to``, ``since_item_id`` and ``since``: items newer than the start
        of the DAG run.
    :param from_users: only items of these users count: ids or ``"@username"`` (templated);
        default anyone but the account itself, whose items never count.
    :param text_pattern: only items whose text matches this regular expression (``re.search``)
        count (templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param after_item_id: deprecated alias of ``since_item_id`` (warns).
    :param after: deprecated alias of ``since`` (warns).
    :return: the first reply after the mark, ``{thread_id, item_id, user_id, item_type, text,
        timestamp}`` (timestamp ISO-8601 UTC).

    Three ways to wait: ``deferrable=True`` hands the wait to the triggerer;
    ``mode="poke"`` (the default) keeps the worker slot between looks; ``mode="reschedule"``
    frees it and runs the task again ``poke_interval`` seconds later. ``poke_interval``,
    ``timeout`` and ``mode`` are the ones of every Airflow sensor; a wait that times out fails
    the task with a message naming the thread and the conditions.
    """

    template_fields: Sequence[str] = (
        "direct_conn_id",
        "reply_to",
        "thread_id",
        "since_item_id",
        "since",
        "from_users",
        "text_pattern",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"reply_to": "json"}
    ui_color = "#fff3e0"

    def __init__(
        self,
        *,
        reply_to: Any = None,
        thread_id: Any = None,
        since_item_id: Any = None,
        since: Any = None,
        from_users: Any = None,
        text_pattern: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        since_item_id = _renamed(kwargs, "after_item_id", "since_item_id", since_item_id)
        since = _renamed(kwargs, "after", "since", since)
        super().__init__(**kwargs)
        self.reply_to = reply_to
        self.thread_id = thread_id
        self.since_item_id = since_item_id
        self.since = since
        self.from_users = from_users
        self.text_pattern = text_pattern
        self.deferrable = deferrable
        self._watch: tuple[DirectClient, str, ReplyFilter] | None = None

    def _resolve(self, context: Context) -> tuple[DirectClient, str, ReplyFilter]:
        """The client, the thread and the reply filter from the rendered arguments (once)."""
        if self._watch is not None:
            return self._watch

        thread_id, since_item_id = self.thread_id, self.since_item_id
        with self.failing_fast():
            if self.reply_to is not None:
                thread_id, since_item_id = sent_mark(self.reply_to, thread_id, since_item_id)
            thread_id = self.hook.check_thread_id(thread_id)
            since = parse_since(self.since, "since")
            if since is None and not since_item_id:
                since = _run_start(context)
            client = self.hook.get_conn()
            reply_filter = ReplyFilter(
                after_item_id=str(since_item_id).strip() if since_item_id else None,
                after=since,
                from_users=frozenset(_user_ids(client, self.from_users)),
                text_pattern=self.text_pattern or None,
            )
        self._watch = (client, str(thread_id).strip(), reply_filter)
        return self._watch

    def poke(self, context: Context) -> PokeReturnValue:
        """One look at the thread's items newer than the mark."""

        client, thread_id, reply_filter = self._resolve(context)
        with self.failing_fast():
            item = find_reply(client, thread_id, reply_filter)
        if item is None:
            self.log.info("No reply in thread %s yet", thread_id)
            return PokeReturnValue(is_done=False)
        self.log.info("Reply %s from user %s in thread %s", item.item_id, item.user_id, thread_id)
        return PokeReturnValue(is_done=True, xcom_value=reply_record(thread_id, item))

    def execute(self, context: Context) -> Any:
        """Poke once; then keep poking here, or defer to the triggerer until the reply."""
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout as exc:
                thread_id = self._watch[1] if self._watch is not None else self.thread_id
                raise AirflowSensorTimeout(self._timeout_message(thread_id)) from exc
        first = self.poke(context)
        if first.is_done:
            return first.xcom_value

        _, thread_id, reply_filter = self._resolve(context)
        timeout = timedelta(seconds=self.timeout)
        self.defer(
            trigger=DirectReplyTrigger(
                direct_conn_id=self.direct_conn_id,
                thread_id=thread_id,
                since_item_id=reply_filter.after_item_id,
                since=reply_filter.after.isoformat() if reply_filter.after else None,
                from_users=sorted(reply_filter.from_users),
                text_pattern=reply_filter.text_pattern,
                poll_interval=self.poke_interval,
                deadline=(datetime.now(timezone.utc) + timeout).isoformat(),
            ),
            method_name="execute_complete",
            timeout=timeout,
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Back from the triggerer: the reply, or the timeout or error that ended the wait."""
        status, thread_id = event.get("status"), event.get("thread_id")
        if status == "reply":
            reply = event["reply"]
            self.log.info("Reply %s from user %s", reply["item_id"], reply["user_id"])
            return reply
        if status == "timeout":
            raise AirflowSensorTimeout(self._timeout_message(thread_id))
        if status == "failed":
            raise AirflowFailException(
                f"Waiting for a reply in thread {thread_id} failed: {event.get('message')}"
            )
        raise AirflowException(
            f"Waiting for a reply in thread {thread_id} failed: {event.get('message')}"
        )

    def _timeout_message(self, thread_id: Any) -> str:
        conditions = []
        if self.from_users:
            conditions.append(f"from {self.from_users}")
        if self.text_pattern:
            conditions.append(f"matching {self.text_pattern!r}")
        wanted = f" ({', '.join(conditions)})" if conditions else ""
        return (
            f"No reply{wanted} in thread {thread_id} within the sensor's timeout of "
            f"{self.timeout:g} s"
        )


def sent_mark(reply_to: Any, thread_id: Any = None, since_item_id: Any = None) -> tuple[Any, Any]:
    """The thread and the item to wait after, from a send operator's XCom: its first delivered
    record, or the one of ``thread_id`` when given; an explicit ``since_item_id`` wins."""

    records = [reply_to] if isinstance(reply_to, dict) else reply_to
    if not isinstance(records, (list, tuple)):
        raise InvalidInput("reply_to", f"must be a send operator's XCom, got {reply_to!r}")
    for record in records:
        if not isinstance(record, dict) or record.get("status") not in DELIVERED:
            continue
        if thread_id and str(record.get("thread_id")) != str(thread_id).strip():
            continue
        return record.get("thread_id"), since_item_id or record.get("item_id")
    where = f" to thread {thread_id}" if thread_id else ""
    raise InvalidInput("reply_to", f"holds no delivered message{where}")


def _renamed(kwargs: dict[str, Any], old: str, new: str, value: Any) -> Any:
    """``value``, or the value of the deprecated argument ``old`` (popped from ``kwargs``, with
    a deprecation warning that points at the DAG file); both at once are refused."""
    if old not in kwargs:
        return value
    old_value = kwargs.pop(old)
    warn(
        f"DirectReplySensor: {old} is deprecated, use {new}",
        AirflowProviderDeprecationWarning,
        stacklevel=STACKLEVEL,
    )
    if value is not None:
        raise ValueError(f"{new}: give {new} or its deprecated name {old}, not both")
    return old_value


def _run_start(context: Context) -> datetime:
    dag_run = context.get("dag_run")
    start = getattr(dag_run, "start_date", None) or context["ti"].start_date
    return (start or datetime.now(timezone.utc)).astimezone(timezone.utc)


def _user_ids(client: DirectClient, users: Any) -> list[int]:
    """Numeric ids for ``from_users``; each ``"@name"`` is looked up once."""

    if users is None or users == "":
        return []
    if isinstance(users, (str, int)):
        users = [users]
    return [
        client.user_id_for(username(user, "from_users"))
        if is_username(user)
        else int(numeric_id(user, "from_users"))
        for user in users
    ]
