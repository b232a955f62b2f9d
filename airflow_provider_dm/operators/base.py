"""What every Direct task shares, in one place: the connection, one cached hook, and the
translation of what a retry cannot fix (bad input, a refused password, a spam block) into a
task failure without retries, marking the account blocked where that applies.

``DirectHookMixin`` holds it for the operators and the reply sensor alike;
``DirectBaseOperator`` adds dry runs and the ``execution_timeout`` deadline, and its
subclasses implement ``run`` only."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_dm.hooks.connection_type import hook_for
from airflow_provider_dm.hooks.direct import DirectHook
from airflow_provider_dm.operators.user_filter import FILTERS
from airflow_provider_dm.provider_info import DEFAULT_CONN_ID

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context


class DirectHookMixin(BaseOperator):
    """The connection, the hook and the fail-fast translation of a Direct operator or sensor.

    Mixed in before the Airflow base (``class S(DirectHookMixin, BaseSensorOperator)``). It is
    a ``BaseOperator`` itself so that Airflow fills ``direct_conn_id`` from ``default_args``
    like any operator argument.

    :param direct_conn_id: the ``instagram_direct`` connection, or an ``instagram_messaging``
        one for the official API (templated): the hook is chosen by the connection's type.
    """

    template_fields: Sequence[str] = ("direct_conn_id",)

    def __init__(self, *, direct_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.direct_conn_id = direct_conn_id

    def hook_options(self) -> dict[str, Any]:
        """Keyword arguments of the hook besides the connection id (none by default)."""
        return {}

    def render_template_fields(
        self, context: Context, jinja_env: jinja2.Environment | None = None
    ) -> None:
        """Airflow's rendering, with the provider's filters (``instagram_user_id``) added to
        the environment (the task runner passes the DAG's)."""
        env = jinja_env if jinja_env is not None else self.get_template_env()
        for name, function in FILTERS.items():
            env.filters.setdefault(name, function)
        super().render_template_fields(context, env)

    @cached_property
    def hook(self) -> DirectHook:
        """The hook of this task (built after the templates are rendered)."""
        return hook_for(self.direct_conn_id, **self.hook_options())

    @contextmanager
    def failing_fast(self) -> Iterator[None]:
        """What a retry cannot fix fails the task without retries (``DirectHook.failing_fast``)."""
        with self.hook.failing_fast():
            yield


class DirectBaseOperator(DirectHookMixin):
    """Runs ``run`` with a hook on ``direct_conn_id``; subclasses implement ``run`` only.

    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: validate and prepare, send nothing (None: the connection's ``dry_run``
        extra decides). Operators that only read ignore it.
    :return: what ``run`` returns, as the task's XCom.
    """

    def __init__(self, *, dry_run: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if dry_run is not None and not isinstance(dry_run, bool):
            raise ValueError(f"dry_run: must be True, False or None, got {dry_run!r}")
        self.dry_run = dry_run

    def hook_options(self) -> dict[str, Any]:
        """The operator's ``dry_run`` goes to the hook."""
        return {"dry_run": self.dry_run}

    def execute(self, context: Context) -> Any:
        """``run`` inside the hook's fail-fast translation, bounded by ``execution_timeout``;
        an operator the connection's API cannot serve is refused first, before any request."""
        self.hook.deadline = task_deadline(self.execution_timeout, context)
        with self.failing_fast():
            self.hook.check_operator(type(self))
            return self.run(context)

    def run(self, context: Context) -> Any:
        """The operator's work; its return value is the XCom."""
        raise NotImplementedError


def task_deadline(execution_timeout: Any, context: Context) -> float | None:
    """The ``time.monotonic()`` value by which the task's ``execution_timeout`` ends, or None."""
    if execution_timeout is None:
        return None
    started = getattr(context.get("ti"), "start_date", None)
    elapsed = 0.0
    if isinstance(started, datetime):
        elapsed = max(0.0, (datetime.now(timezone.utc) - started).total_seconds())
    return time.monotonic() + execution_timeout.total_seconds() - elapsed
