"""``DirectNotifier``: a message over Direct from any Airflow callback (task or DAG
``on_failure_callback``, ``on_success_callback``, ``on_retry_callback``, a deadline alert).

It sends through the same hook as the send operators: the stored session, the account's send
budget and block mark, and a ``client_context`` derived from what the callback is about (DAG,
run, task, map index, try, state or reason, or the deadline), so a callback that runs twice
sends once: the destination thread is searched for that token first, and the server dedupes a
repeated token. A failure to notify is logged, never raised into the task or the run.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import json
import time
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.bases.notifier import BaseNotifier

from airflow_provider_dm.client.checks import positive_int
from airflow_provider_dm.client.client_context import derive_client_context
from airflow_provider_dm.client.destinations import check_destinations
from airflow_provider_dm.client.items import MAX_TEXT_LENGTH, Text
from airflow_provider_dm.operators.rendered import later
from airflow_provider_dm.provider_info import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_dm.client import DirectClient
    from airflow_provider_dm.client.destinations import Destination

LOOK_BACK = 20
BUDGET_WAIT = 120.0
_ELLIPSIS = "…"


class DirectNotifier(BaseNotifier):
    """Send ``text``, rendered with the callback's context, to ``recipients`` and/or
    ``threads``.

    The context holds what the callback knows: ``dag``, ``ti`` (``ti.task_id``,
    ``ti.try_number``, ``ti.log_url``), ``run_id``, ``exception`` in failure and retry
    callbacks, ``reason`` in DAG callbacks, ``dag_run`` and ``deadline`` in deadline alerts.
    A rendered text longer than 1000 characters is cut to fit.

    :param text: the message (templated).
    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param direct_conn_id: the ``instagram_direct`` connection, or an ``instagram_messaging``
        one (the official API, which keeps no send token: there a callback run twice may send
        twice) (templated).
    :param look_back: how many of a thread's newest items are searched for an earlier send
        of the same notification (default 20).
    :param budget_wait: the longest the notification waits for the account's send budget,
        in seconds (default 120); past it the notification is dropped and logged.
    :param context: the context, when Airflow builds the notifier with it (deadline alerts).
    """

    template_fields: Sequence[str] = ("text", "recipients", "threads", "direct_conn_id")

    def __init__(
        self,
        *,
        text: str,
        recipients: Any = None,
        threads: Any = None,
        direct_conn_id: str = DEFAULT_CONN_ID,
        look_back: int = LOOK_BACK,
        budget_wait: float = BUDGET_WAIT,
        context: Context | None = None,
    ) -> None:
        super().__init__(context=context)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text: must be a non-empty string, got {text!r}")
        positive_int(look_back, "look_back")
        if not isinstance(budget_wait, (int, float)) or budget_wait < 0:
            raise ValueError(f"budget_wait: must be a number of seconds >= 0, got {budget_wait!r}")
        if not _has_templates(recipients) and not _has_templates(threads):
            check_destinations(recipients, threads)
        self.text = text
        self.recipients = recipients
        self.threads = threads
        self.direct_conn_id = direct_conn_id
        self.look_back = look_back
        self.budget_wait = float(budget_wait)
        self._template = text

    def __call__(self, *args: Any) -> None:
        """Render a copy and send; whatever goes wrong (a template, the network, the account)
        is logged, never raised. The notifier itself keeps its templates, so that it can be
        called again for another run of the same parsed DAG."""
        try:
            BaseNotifier.__call__(copy.copy(self), *args)
        except Exception as exc:
            self.log.error("Could not send the Direct notification: %s: %s", _kind(exc), exc)

    def __await__(self) -> Generator[Any, None, None]:
        return copy.copy(self)._notify_in_triggerer().__await__()

    async def _notify_in_triggerer(self) -> None:
        try:
            self._update_context(self.context)
            self.render_template_fields(self.context)
            await self.async_notify(self.context)
        except Exception as exc:
            self.log.error("Could not send the Direct notification: %s: %s", _kind(exc), exc)

    def render_template_fields(self, context: Context, jinja_env: Any = None) -> None:
        """Render like any notifier; when the context's ``dag`` is the scheduler's serialized
        form (``dag.test()`` runs DAG callbacks with it), with a plain Jinja environment."""
        dag = context.get("dag")
        if jinja_env is None and dag is not None and not hasattr(dag, "get_template_env"):
            jinja_env = self.get_template_env()
        super().render_template_fields(context, jinja_env)

    async def async_notify(self, context: Context) -> None:
        """``notify`` in a worker thread, so that the triggerer's event loop never blocks."""
        await asyncio.to_thread(self.notify, context)

    def notify(self, context: Context) -> None:
        """Send the rendered text to every destination not reached by an earlier run of this
        callback; failures are logged."""
        try:
            self._send(context)
        except Exception as exc:
            self.log.error("Could not send the Direct notification: %s: %s", _kind(exc), exc)

    def _send(self, context: Context) -> None:
        from airflow_provider_dm.client.destinations import resolve_destinations
        from airflow_provider_dm.hooks.connection_type import hook_for

        text = _fitted(str(self.text))
        item = Text(text)
        recipients = _listed(self.recipients, "recipients")
        threads = _listed(self.threads, "threads")
        check_destinations(recipients, threads)
        about = callback_identity(context)
        hook = hook_for(self.direct_conn_id, deadline=time.monotonic() + self.budget_wait)
        with hook.failing_fast():
            client = hook.get_conn()
            destinations = resolve_destinations(recipients, threads, user_id_for=client.user_id_for)
            for destination in destinations:
                token = derive_client_context(
                    "notification", *about, str(destination), self._template
                )
                self._send_once(client, item, destination, token)

    def _send_once(
        self, client: DirectClient, item: Text, destination: Destination, token: str
    ) -> None:
        earlier = client.find_sent(destination, token, look_back=self.look_back)
        if earlier is not None:
            self.log.info("Notification already sent to %s (item %s)", destination, earlier.item_id)
            return
        address: dict[str, Any] = (
            {"threads": [destination.thread_id]}
            if destination.thread_id is not None
            else {"recipients": [list(destination.user_ids)]}
        )
        (result,) = client.send(item, client_context=token, **address)
        if result.status == "failed":
            self.log.error(
                "Could not send the Direct notification to %s: %s: %s",
                destination,
                result.error_type,
                result.error,
            )
        else:
            self.log.info(
                "Notification %s to %s: thread %s, item %s",
                result.status,
                destination,
                result.thread_id,
                result.item_id,
            )


send_direct_notification = DirectNotifier


def callback_identity(context: Any) -> tuple[str, ...]:
    """What a callback is about, stable across runs of the same callback: the deadline of a
    deadline alert; else the DAG, run and (when known) task, map index, try and state or
    reason."""
    deadline = context.get("deadline")
    if isinstance(deadline, dict) and deadline.get("id"):
        run = context.get("dag_run") or {}
        return ("deadline", str(run.get("dag_id")), str(run.get("run_id")), str(deadline["id"]))
    ti = context.get("ti")
    dag = context.get("dag")
    dag_id = getattr(ti, "dag_id", None) or getattr(dag, "dag_id", None)
    run_id = getattr(ti, "run_id", None) or context.get("run_id")
    parts = ["dag" if "reason" in context else "task", str(dag_id), str(run_id)]
    if ti is not None:
        parts += [str(ti.task_id), str(getattr(ti, "map_index", -1))]
        parts += [str(getattr(ti, "try_number", "")), str(getattr(ti, "state", ""))]
    parts.append(str(context.get("reason", "")))
    return tuple(parts)


def _fitted(text: str) -> str:
    """The text cut to the service's 1000 characters (an exception can be long)."""
    return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + _ELLIPSIS


def _listed(value: Any, name: str) -> Any:
    """A destination list as given, or decoded from the text a template rendered it to (a DAG
    that does not render native objects turns ``[["123"]]`` into a string)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text in ("", "None", "null"):
        return None
    if not text.startswith("["):
        return value
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"{name}: must be a list, got {value!r}") from None


def _has_templates(value: Any) -> bool:
    """Whether a destination list holds a template or XComArg somewhere inside."""
    if isinstance(value, (list, tuple)):
        return any(_has_templates(inner) for inner in value)
    return later(value)


def _kind(error: BaseException) -> str:
    return type(error).__name__
