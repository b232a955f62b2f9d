"""Send operators: one base for destinations, exactly-once across task retries, dry runs and
partial failure; each subclass only builds its item.

Exactly once: the ``client_context`` of each (dag_id, task_id, run_id, map_index, destination,
item) is derived deterministically, so a retried or cleared task sends with the same token.
On a retry (try_number > 1: a failed try retried, or a cleared task) the destination thread is
searched back by time for that token first (``client.look_back``: until before the dag run
began, less 5 minutes of clock skew, at most ``look_back`` pages); a hit is recorded as
``already_sent`` and not sent again, whatever arrived in the thread since. Within a try, a send
whose answer was lost looks in the thread before it is repeated. On the official backend, which
keeps no token, the earlier send is found by its content among the conversation's 20 newest
messages (``client.graph_look_back``), so the plan hands the item to ``find_sent``.
One destination failing does not stop the others, nor does an ``@username`` the service does
not know (its record names ``recipients[i]``): the task fails at the end, naming the failed
destinations, and its retry sends only what is missing.

The XCom is one record per destination: ``{destination, thread_id, item_id, client_context,
status, error, error_type, retryable}`` with status ``sent``, ``already_sent`` or ``failed``
(``dry_run`` in a dry run, with the ``item`` that would be sent). When every failure is one a
retry cannot fix (an unknown thread, a refused recipient) the task fails without retries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_dm.client.checks import is_username, positive_int
from airflow_provider_dm.client.client_context import derive_client_context
from airflow_provider_dm.client.destinations import Unresolved
from airflow_provider_dm.client.errors import DirectError, InvalidInput
from airflow_provider_dm.client.items import (
    MEDIA_SHARE_TYPES,
    Link,
    MediaShare,
    ProfileShare,
    Text,
)
from airflow_provider_dm.client.media_kinds import media_kind
from airflow_provider_dm.client.models import to_micros
from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.rendered import Coerce, check_literals, choice, rendered_values
from airflow_provider_dm.operators.upload import (
    MAX_SIDE,
    QUALITY,
    VIDEO_RENDERED,
    CheckedMedia,
    _DirectUploadOperator,
    check_photo_options,
    given,
    inspect_media,
    media_source,
    refuse_photo_options,
    upload_media,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_dm.client import DirectClient
    from airflow_provider_dm.client.broadcast import SendResult
    from airflow_provider_dm.client.destinations import Destination
    from airflow_provider_dm.client.items import Item

LOOK_BACK = 50
XCOM_RETURN_KEY = "return_value"
# The media share's templated choice, and what its rendered value means.
MEDIA_SHARE_RENDERED: dict[str, Coerce] = {
    "media_type": partial(choice, choices=MEDIA_SHARE_TYPES, optional=False)
}


@dataclass(frozen=True)
class SendPlan:
    """A validated item, before any request: ``key`` identifies it for the client_context,
    ``preview`` describes it for a dry run, ``make`` yields the item (uploading if need be),
    ``item`` is the item when known without a request (the official backend finds an earlier
    send by its content)."""

    key: str
    preview: dict[str, Any]
    make: Callable[[DirectClient], Item]
    item: Item | None = None


def _plan_of(item: Item) -> SendPlan:
    values = item.to_dict()
    return SendPlan(json.dumps(values, sort_keys=True), values, lambda client: item, item)


def _address(destination: Destination) -> dict[str, Any]:
    if destination.thread_id is not None:
        return {"threads": [destination.thread_id]}
    return {"recipients": [list(destination.user_ids)]}


def _has_usernames(recipients: Any) -> bool:
    return any(
        is_username(ref)
        for group in recipients or ()
        if isinstance(group, (list, tuple))
        for ref in group
    )


def _unresolved_record(entry: Unresolved) -> dict[str, Any]:
    """The failed record of a conversation naming an unknown user: nothing was sent to it."""
    return {
        "destination": str(entry),
        "thread_id": None,
        "item_id": None,
        "client_context": None,
        "status": "failed",
        "error": entry.message,
        "error_type": type(entry.error).__name__,
        "retryable": False,
    }


class DirectSendBaseOperator(DirectBaseOperator):
    """Send one item to every destination, at most once each across retries; subclasses
    implement ``build_item`` (or ``plan``).

    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"], ["456", "789"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param look_back: the most pages (of 20 items) a retried task reads back through a
        destination's thread, looking for its earlier send until before the run began less
        5 minutes, before sending again (default 50).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: render, validate, resolve usernames and prepare media, then return what
        would be sent without sending (None: the connection's ``dry_run`` extra decides).
    :return: one record per destination, in order: ``{destination, thread_id, item_id,
        client_context, status, error, error_type, retryable}``, ``status`` being ``sent``,
        ``already_sent`` or ``failed``; in a dry run ``dry_run``, with the ``item`` that
        would be sent.
    """

    template_fields: Sequence[str] = ("direct_conn_id", "recipients", "threads")
    template_fields_renderers: ClassVar[dict[str, str]] = {"recipients": "json", "threads": "json"}
    ui_color = "#e3f2fd"

    def __init__(
        self,
        *,
        recipients: Any = None,
        threads: Any = None,
        look_back: int = LOOK_BACK,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        positive_int(look_back, "look_back")
        self.recipients = recipients
        self.threads = threads
        self.look_back = look_back

    def build_item(self, context: Context) -> Item:
        """The item to send, from the rendered fields (validated by the item class)."""
        raise NotImplementedError

    def plan(self, context: Context, route: str) -> SendPlan:
        """Validate everything the send needs, with no request; by default ``build_item``."""
        item = self.build_item(context)
        item.broadcast(route)
        return _plan_of(item)

    def run(self, context: Context) -> list[dict[str, Any]]:
        """Send to every destination not reached by an earlier try; fail at the end if one
        failed (without retries when no failure is one a retry could fix)."""

        hook = self.hook
        hook.check_destinations(self.recipients, self.threads)
        plan = self.plan(context, hook.settings.media_route)
        hook.check_sendable(type(self).__name__, plan.preview)
        if hook.settings.dry_run:
            return self._dry_run(hook, plan, context)
        client = hook.get_conn()
        entries = self.hook.destinations(client, self.recipients, self.threads)
        destinations = [e for e in entries if not isinstance(e, Unresolved)]
        tokens = {d: self._client_context(context, d, plan) for d in destinations}
        results: dict[Destination, SendResult] = {}
        if context["ti"].try_number > 1:
            began = first_try_began(context)
            results.update(self._already_sent(client, tokens, began, plan))
        missing = [d for d in destinations if d not in results]
        item = plan.make(client) if missing else None
        for destination in missing:
            (result,) = client.send(
                item, client_context=tokens[destination], **_address(destination)
            )
            results[destination] = result
            self.log.info(
                "%s %s: thread %s, item %s",
                result.destination,
                result.status,
                result.thread_id,
                result.item_id,
            )
        records = [
            _unresolved_record(e) if isinstance(e, Unresolved) else results[e].to_dict()
            for e in entries
        ]
        failed = [r for r in records if r["status"] == "failed"]
        if failed:
            listing = "; ".join(f"{r['destination']} ({r['error']})" for r in failed)
            message = f"failed to send to {len(failed)} of {len(records)} destinations: {listing}"
            if not any(r["retryable"] for r in failed):
                raise AirflowFailException(message)
            raise AirflowException(message)
        return records

    def _client_context(self, context: Context, destination: Destination, plan: SendPlan) -> str:
        ti = context["ti"]
        return derive_client_context(
            ti.dag_id, ti.task_id, ti.run_id, str(ti.map_index), str(destination), plan.key
        )

    def _already_sent(
        self,
        client: DirectClient,
        tokens: dict[Destination, str],
        since: datetime | None,
        plan: SendPlan,
    ) -> dict[Destination, SendResult]:
        found: dict[Destination, SendResult] = {}
        what = {"item": plan.item, "kind": plan.preview.get("kind")}
        for destination, token in tokens.items():
            try:
                earlier = client.find_sent(
                    destination, token, since=since, look_back=self.look_back, **what
                )
            except DirectError as exc:
                self.log.warning(
                    "%s: could not look for an earlier send (%s); sending with the same "
                    "client_context, which the server dedupes",
                    destination,
                    exc,
                )
                continue
            if earlier is not None:
                found[destination] = earlier
        return found

    def _dry_run(self, hook: Any, plan: SendPlan, context: Context) -> list[dict[str, Any]]:
        client = hook.get_conn() if _has_usernames(self.recipients) else None
        destinations = hook.destinations(client, self.recipients, self.threads)
        records = []
        for destination in destinations:
            if isinstance(destination, Unresolved):
                raise InvalidInput(destination.field, str(destination.error))
            records.append(
                {
                    "destination": str(destination),
                    "thread_id": destination.thread_id,
                    "item_id": None,
                    "client_context": self._client_context(context, destination, plan),
                    "status": "dry_run",
                    "error": None,
                    "error_type": None,
                    "retryable": None,
                    "item": plan.preview,
                }
            )
            self.log.info("Dry run: would send %s to %s", plan.preview, destination)
        return records


class DirectSendMessageOperator(DirectSendBaseOperator):
    """Send a text message to every destination.

    :param text: the message, at most 1000 characters (templated).
    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"], ["456", "789"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param look_back: the most pages (of 20 items) a retried task reads back through a
        destination's thread, looking for its earlier send until before the run began less
        5 minutes, before sending again (default 50).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: render, validate, resolve usernames and prepare media, then return what
        would be sent without sending (None: the connection's ``dry_run`` extra decides).
    :return: one record per destination, in order: ``{destination, thread_id, item_id,
        client_context, status, error, error_type, retryable}``, ``status`` being ``sent``,
        ``already_sent`` or ``failed``; in a dry run ``dry_run``, with the ``item`` that
        would be sent.
    """

    template_fields: Sequence[str] = (*DirectSendBaseOperator.template_fields, "text")

    def __init__(self, *, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = text

    def build_item(self, context: Context) -> Item:
        return Text(self.text)


class DirectSendLinkOperator(DirectSendBaseOperator):
    """Send a message with clickable links to every destination.

    :param text: the message; every URL of ``urls`` must stand in it (templated).
    :param urls: the links (templated); None takes the URLs found in the text.
    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"], ["456", "789"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param look_back: the most pages (of 20 items) a retried task reads back through a
        destination's thread, looking for its earlier send until before the run began less
        5 minutes, before sending again (default 50).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: render, validate, resolve usernames and prepare media, then return what
        would be sent without sending (None: the connection's ``dry_run`` extra decides).
    :return: one record per destination, in order: ``{destination, thread_id, item_id,
        client_context, status, error, error_type, retryable}``, ``status`` being ``sent``,
        ``already_sent`` or ``failed``; in a dry run ``dry_run``, with the ``item`` that
        would be sent.
    """

    template_fields: Sequence[str] = (*DirectSendBaseOperator.template_fields, "text", "urls")

    def __init__(self, *, text: str, urls: Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.urls = urls

    def build_item(self, context: Context) -> Item:
        urls = tuple(self.urls) if isinstance(self.urls, list) else self.urls
        return Link(self.text, urls)


class DirectShareProfileOperator(DirectSendBaseOperator):
    """Share a user's profile with every destination.

    :param user_id: the numeric id of the profile to share (templated).
    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"], ["456", "789"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param look_back: the most pages (of 20 items) a retried task reads back through a
        destination's thread, looking for its earlier send until before the run began less
        5 minutes, before sending again (default 50).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: render, validate, resolve usernames and prepare media, then return what
        would be sent without sending (None: the connection's ``dry_run`` extra decides).
    :return: one record per destination, in order: ``{destination, thread_id, item_id,
        client_context, status, error, error_type, retryable}``, ``status`` being ``sent``,
        ``already_sent`` or ``failed``; in a dry run ``dry_run``, with the ``item`` that
        would be sent.
    """

    template_fields: Sequence[str] = (*DirectSendBaseOperator.template_fields, "user_id")

    def __init__(self, *, user_id: str | int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user_id = user_id

    def build_item(self, context: Context) -> Item:
        return ProfileShare(self.user_id)  # type: ignore[arg-type]


class DirectShareMediaOperator(DirectSendBaseOperator):
    """Share a feed post with every destination.

    :param media_id: the post, as ``"{pk}_{owner_pk}"`` or bare digits (templated).
    :param media_type: what the post is: ``"photo"`` (default) or ``"video"`` (templated).
    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"], ["456", "789"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param look_back: the most pages (of 20 items) a retried task reads back through a
        destination's thread, looking for its earlier send until before the run began less
        5 minutes, before sending again (default 50).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: render, validate, resolve usernames and prepare media, then return what
        would be sent without sending (None: the connection's ``dry_run`` extra decides).
    :return: one record per destination, in order: ``{destination, thread_id, item_id,
        client_context, status, error, error_type, retryable}``, ``status`` being ``sent``,
        ``already_sent`` or ``failed``; in a dry run ``dry_run``, with the ``item`` that
        would be sent.
    """

    template_fields: Sequence[str] = (
        *DirectSendBaseOperator.template_fields,
        "media_id",
        "media_type",
    )

    def __init__(self, *, media_id: str, media_type: str = "photo", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.media_id = media_id
        self.media_type = media_type
        check_literals(MEDIA_SHARE_RENDERED, self)

    def build_item(self, context: Context) -> Item:
        return MediaShare(self.media_id, **rendered_values(MEDIA_SHARE_RENDERED, self))


class _DirectSendMediaOperator(DirectSendBaseOperator):
    """Send an uploaded photo, video or voice message, or upload ``path`` and send it in the
    same task; what differs between kinds is looked up in the media-kind table."""

    kind: str
    template_fields: Sequence[str] = (
        *DirectSendBaseOperator.template_fields,
        "upload",
        "upload_id",
        "media_id",
        "path",
        "url",
    )

    def __init__(
        self,
        *,
        upload: Any = None,
        upload_id: Any = None,
        media_id: Any = None,
        path: Any = None,
        url: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        upload, upload_id = self._chained(upload, upload_id, media_id)
        self.upload = upload
        self.upload_id = upload_id
        self.media_id = media_id
        self.path = path
        self.url = url

    def _chained(self, upload: Any, upload_id: Any, media_id: Any) -> tuple[Any, Any]:
        """``upload`` and ``upload_id`` as the send should take them, checked at DAG parse
        when they are XComs of an upload task: the kind must match, and a key of the record
        needs ``multiple_outputs``. ``upload_id=up.output["upload_id"]`` alone becomes
        ``upload=up.output``: the whole record, with the ``media_id`` that the attachment
        route sends by."""
        chained = {"upload": upload, "upload_id": upload_id, "media_id": media_id}
        for name, value in chained.items():
            task, key = _upload_task(value)
            if task is not None and task.kind != self.kind:
                raise ValueError(
                    f"{name}: comes from {task.task_id}, a {task.kind} upload; "
                    f"{type(self).__name__} sends a {self.kind}"
                )
        task, key = _upload_task(upload_id)
        if upload is None and media_id is None and task is not None and key == "upload_id":
            return task.output, None
        for name, value in chained.items():
            task, key = _upload_task(value)
            if task is not None and key != XCOM_RETURN_KEY and not task.multiple_outputs:
                raise ValueError(
                    f"{name}: {task.task_id} has multiple_outputs=False, so its {key!r} is no "
                    f"XCom of its own; chain the whole upload: upload={task.task_id}.output"
                )
        return upload, upload_id

    def media_options(self) -> dict[str, Any]:
        """How the file at ``path`` is prepared (a photo's ``quality`` and ``max_side``); none
        by default."""
        return {}

    def run(self, context: Context) -> list[dict[str, Any]]:
        """Send as the base does, then remove the temporary transcode of ``path``, if any."""
        self._checked: CheckedMedia | None = None
        try:
            return super().run(context)
        finally:
            if self._checked is not None:
                self._checked.discard()

    def _upload_values(self) -> dict[str, Any] | None:
        """The whole upload dict when one was given (``upload``, or ``upload_id`` fed with a
        whole upload XCom), else None."""

        for name in ("upload", "upload_id"):
            value = getattr(self, name)
            if isinstance(value, dict):
                if "upload_id" not in value or "kind" not in value:
                    raise InvalidInput(name, "must be the result of an upload operator")
                if value.get("dry_run"):
                    raise InvalidInput(name, "comes from a dry run; nothing was uploaded")
                return value
        if self.upload is not None:
            raise InvalidInput("upload", f"must be an upload dict, got {self.upload!r}")
        return None

    def build_item(self, context: Context) -> Item:
        kind = media_kind(self.kind)
        values = self._upload_values()
        if values is not None:
            return kind.item_from_upload(values)
        if self.upload_id is None:
            raise InvalidInput("upload_id", "give upload, upload_id, path or url")
        media_id = None if self.media_id in (None, "", "None") else self.media_id
        return self.bare_item(upload_id=self.upload_id, media_id=media_id)

    def bare_item(self, *, upload_id: Any, media_id: Any) -> Item:
        """The item from a bare ``upload_id`` (and ``media_id``), without the upload record."""
        return media_kind(self.kind).item(upload_id=upload_id, media_id=media_id)

    def _check_media_id(self, route: str) -> None:
        """Before any request: the attachment route sends an upload by its ``media_id``, which
        a bare ``upload_id`` (a template, a literal) does not carry."""

        if route != "attachment" or self.upload_id is None or self._upload_values() is not None:
            return
        if self.media_id in (None, "", "None"):
            raise InvalidInput(
                "upload_id",
                "the attachment route sends an upload by its media_id, which a bare upload_id "
                "does not carry; chain the upload task's whole result: "
                "upload=upload_task.output (or give media_id as well)",
            )

    def _check_upload_route(self, route: str) -> None:
        """Before any request: an upload made on the official API (route ``graph``) is sent
        there only, and a private upload on the private API only."""
        values = self._upload_values()
        made = values.get("route") if values is not None else None
        if made is not None and (made == "graph") != (route == "graph"):
            name = "upload" if self.upload is not None else "upload_id"
            where = {True: "the official API", False: "the private API"}
            raise InvalidInput(
                name,
                f"is an upload on {where[made == 'graph']}; this connection sends on "
                f"{where[route == 'graph']}: upload on the same kind of connection",
            )

    def _source(self) -> str:
        """Which source the rendered arguments give: ``url``, ``path`` or ``upload``; ``url``
        and ``path`` each exclude every other, else ``InvalidInput`` naming them."""
        chosen = [
            n for n in ("url", "path", "upload", "upload_id", "media_id") if given(getattr(self, n))
        ]
        for source in ("url", "path"):
            if source in chosen:
                other = next((name for name in chosen if name != source), None)
                if other is not None:
                    raise InvalidInput(source, f"give either {source} or {other}, not both")
                return source
        return "upload"

    def plan(self, context: Context, route: str) -> SendPlan:
        hook = self.hook
        operator = type(self).__name__
        source = self._source()
        if source == "url":
            hook.check_media_source(operator, self.kind, "url")
            item = media_kind(self.kind).item(url=self.url)
            hook.check_media_item(item, route)
            return _plan_of(item)
        if source == "upload":
            self._check_media_id(route)
            hook.check_media_source(operator, self.kind, "upload")
            self._check_upload_route(hook.upload_route)
            item = self.build_item(context)
            hook.check_media_item(item, route)
            return _plan_of(item)
        hook.check_media_source(operator, self.kind, "path")
        media_options = self.media_options()
        checked = inspect_media(self.kind, media_source(self.path, self.kind), **media_options)
        self._checked = checked
        preview = {**checked.description, "path": str(self.path)}
        # A video's key keeps the photo defaults it held when videos took these options too,
        # so that a retry across that change derives the same client_context.
        taken = media_kind(self.kind).upload_options
        chosen = {name: value for name, value in media_options.items() if name in taken}
        options = {"quality": QUALITY, "max_side": MAX_SIDE, **chosen}
        key = json.dumps({"kind": self.kind, "path": str(self.path), **options}, sort_keys=True)
        return SendPlan(key, preview, lambda client: self._upload_and_build(client, checked.source))

    def _upload_and_build(self, client: DirectClient, source: Any) -> Item:
        upload = upload_media(client, self.kind, source, **self.media_options())
        self.log.info("Uploaded %s: upload_id %s", self.kind, upload.upload_id)
        return media_kind(self.kind).item_from_upload(upload)


def first_try_began(context: Context) -> datetime | None:
    """The earliest moment known to precede the task's first try: the dag run's ``run_after``,
    ``queued_at`` or ``start_date``, whichever is earliest (None when none is known)."""
    dag_run = context.get("dag_run")
    moments = [
        moment
        for name in ("run_after", "queued_at", "start_date")
        if isinstance(moment := getattr(dag_run, name, None), datetime)
    ]
    return min(moments, key=to_micros) if moments else None


def _upload_task(value: Any) -> tuple[Any, str | None]:
    """The upload operator and the XCom key when ``value`` is ``up.output`` or
    ``up.output[key]`` of one, else ``(None, None)``."""
    task = getattr(value, "operator", None)
    if isinstance(task, _DirectUploadOperator):
        return task, getattr(value, "key", None)
    return None, None


class DirectSendPhotoOperator(_DirectSendMediaOperator):
    """Send a photo: an earlier upload, or ``path`` uploaded and sent in this task.

    :param upload: the whole result of ``DirectUploadPhotoOperator`` (``up.output``): works on
        both media routes (templated).
    :param upload_id: ``up.output["upload_id"]`` of an upload task works on both routes (the
        send then takes that task's whole result); a bare upload id (a template or a literal)
        works on the classic route, or on the attachment route with ``media_id`` (templated).
    :param media_id: the messenger media id of the upload (attachment route; templated).
    :param path: a photo to upload and send in one task (templated); the retry of a task that
        already sent it does not upload again.
    :param url: a public http(s) URL of the photo, on an ``instagram_messaging`` connection
        only (the official API fetches it; at most 8 MB, PNG or JPEG); on the private API it
        is refused before any request: give ``path``. Exactly one of ``path``, ``url`` and an
        upload (templated).
    :param quality: JPEG quality for ``path``, 1..95 (default 70).
    :param max_side: the longest side for ``path``, in pixels (default 1080).
    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"], ["456", "789"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param look_back: the most pages (of 20 items) a retried task reads back through a
        destination's thread, looking for its earlier send until before the run began less
        5 minutes, before sending again (default 50).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: render, validate, resolve usernames and prepare media, then return what
        would be sent without sending (None: the connection's ``dry_run`` extra decides).
    :return: one record per destination, in order: ``{destination, thread_id, item_id,
        client_context, status, error, error_type, retryable}``, ``status`` being ``sent``,
        ``already_sent`` or ``failed``; in a dry run ``dry_run``, with the ``item`` that
        would be sent.
    """

    kind = "photo"

    def __init__(self, *, quality: int = QUALITY, max_side: int = MAX_SIDE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_photo_options(quality, max_side)
        self.quality = quality
        self.max_side = max_side

    def media_options(self) -> dict[str, Any]:
        """``quality`` and ``max_side``."""
        return {"quality": self.quality, "max_side": self.max_side}


class DirectSendVideoOperator(_DirectSendMediaOperator):
    """Send a video: an earlier upload, or the MP4 at ``path`` uploaded and sent in this task.

    :param upload: the whole result of ``DirectUploadVideoOperator`` (``up.output``): works on
        both media routes (templated).
    :param upload_id: ``up.output["upload_id"]`` of an upload task works on both routes (the
        send then takes that task's whole result); a bare upload id (a template or a literal)
        works on the classic route, or on the attachment route with ``media_id`` (templated).
    :param media_id: the messenger media id of the upload (attachment route; templated).
    :param path: a local MP4 to upload and send in one task (templated); it is checked first
        from its boxes (not truncated, H.264/AAC, within Direct's duration, size and frame
        limits); on an ``instagram_messaging`` connection it is uploaded as multipart
        ``filedata`` (at most 25 MB) and sent by its ``attachment_id``.
    :param url: a public http(s) URL of the video, on an ``instagram_messaging`` connection
        only (at most 25 MB); refused on the private API before any request: give ``path``
        (templated).
    :param transcode: when the video at ``path`` has a codec, frame or file size outside the
        limits, convert it to H.264/AAC (at most 1280 px, capped bitrate) in a temporary file
        instead of refusing it; needs the ``airflow-provider-dm[video]`` extra (templated;
        default False).
    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"], ["456", "789"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param look_back: the most pages (of 20 items) a retried task reads back through a
        destination's thread, looking for its earlier send until before the run began less
        5 minutes, before sending again (default 50).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: render, validate, resolve usernames and prepare media, then return what
        would be sent without sending (None: the connection's ``dry_run`` extra decides).
    :return: one record per destination, in order: ``{destination, thread_id, item_id,
        client_context, status, error, error_type, retryable}``, ``status`` being ``sent``,
        ``already_sent`` or ``failed``; in a dry run ``dry_run``, with the ``item`` that
        would be sent.

    It takes no ``quality`` or ``max_side``: a video is uploaded as it is, or transcoded.
    """

    kind = "video"
    template_fields: Sequence[str] = (*_DirectSendMediaOperator.template_fields, "transcode")

    def __init__(self, *, transcode: Any = False, **kwargs: Any) -> None:
        refuse_photo_options(type(self).__name__, self.kind, kwargs)
        super().__init__(**kwargs)
        self.transcode = transcode
        check_literals(VIDEO_RENDERED, self)

    def media_options(self) -> dict[str, Any]:
        """``transcode``, rendered."""
        return rendered_values(VIDEO_RENDERED, self)


class DirectSendVoiceOperator(_DirectSendMediaOperator):
    """Send a voice message: an earlier upload, or the audio at ``path`` uploaded and sent in
    this task (M4A/AAC as it is; other audio converted with the ``[video]`` extra).

    :param upload: the whole result of ``DirectUploadVoiceOperator`` (``up.output``): works on
        both media routes (templated). It carries the waveform the send needs.
    :param upload_id: ``up.output["upload_id"]`` of an upload task (the send then takes that
        task's whole result, with its waveform). A bare upload id is refused: a voice message
        is sent with its waveform, which only the upload record holds (templated).
    :param media_id: not used alone: a bare id carries no waveform (templated).
    :param path: a local audio file to upload and send in one task (templated).
    :param url: a public http(s) URL of the audio (aac, m4a, wav, mp4; at most 25 MB), on
        an ``instagram_messaging`` connection only; refused on the private API before any
        request: give ``path`` (templated).
    :param recipients: a list of conversations, each a list of user ids (or ``"@username"``),
        e.g. ``[["123"], ["456", "789"]]`` (templated).
    :param threads: a list of thread ids (templated).
    :param look_back: how many of a destination thread's newest items a retried task searches
        for its earlier send before sending again (default 50).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: render, validate, resolve usernames and prepare media, then return what
        would be sent without sending (None: the connection's ``dry_run`` extra decides).
    :return: one record per destination, in order: ``{destination, thread_id, item_id,
        client_context, status, error, error_type, retryable}``, ``status`` being ``sent``,
        ``already_sent`` or ``failed``; in a dry run ``dry_run``, with the ``item`` that
        would be sent.
    """

    kind = "voice"

    def __init__(self, **kwargs: Any) -> None:
        refuse_photo_options(type(self).__name__, self.kind, kwargs)
        super().__init__(**kwargs)

    def _check_media_id(self, route: str) -> None:
        """Before any request, on either route: a bare ``upload_id`` carries no waveform."""
        if self.upload_id is not None and self._upload_values() is None:
            self.bare_item(upload_id=self.upload_id, media_id=self.media_id)

    def bare_item(self, *, upload_id: Any, media_id: Any) -> Item:
        raise InvalidInput(
            "upload_id",
            "a voice message is sent with its waveform, which a bare upload_id does not carry; "
            "chain the upload task's whole result: upload=upload_task.output",
        )
