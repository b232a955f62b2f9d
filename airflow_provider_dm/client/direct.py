"""``DirectClient``: the public face of the client. Login and session, lookups, reading the
inbox and threads page by page, and uploads and sends (delegated to the sending modules)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client import checks, lookups
from airflow_provider_dm.client import login as login_flow
from airflow_provider_dm.client import look_back as look_back_rule
from airflow_provider_dm.client.device import Device
from airflow_provider_dm.client.errors import InvalidInput, TwoFactorRequired
from airflow_provider_dm.client.models import Thread, ThreadItem, User, to_micros
from airflow_provider_dm.client.pagination import Listing, Page
from airflow_provider_dm.client.state import Credentials, SessionState
from airflow_provider_dm.client.transport import DEFAULT_API_URL, DEFAULT_UPLOAD_URL, Transport

if TYPE_CHECKING:
    from airflow_provider_dm.client.broadcast import SendResult
    from airflow_provider_dm.client.destinations import Destination
    from airflow_provider_dm.client.items import Item
    from airflow_provider_dm.client.thread_actions import ActionResult
    from airflow_provider_dm.client.upload import Upload

log = logging.getLogger(__name__)

FOLDERS = {"primary": 0, "general": 1}


def _moment(name: str, value: datetime | None) -> int | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidInput(name, f"must be a datetime, got {type(value).__name__}")
    return to_micros(value)


class DirectClient:
    """A client of the Direct protocol for one account.

    ``state`` restores a saved session (no network call). With ``credentials``, a call that
    meets an expired session logs in once, reports the new state to ``on_login`` and is sent
    again; without them ``LoginRequired`` is raised. ``reauthenticate``, when given, is called
    instead of that login (with this client), e.g. to take turns with other processes and
    ``adopt`` a session one of them stored. ``send_interval`` paces sends; ``budget`` is called
    before every request that creates something (see ``Transport.before_create``).

    ``device`` is the phone to present (default: ``DEFAULT_DEVICE`` for a new state). A
    restored session keeps the device it logged in with; a different ``device`` is logged as a
    warning and applies at the next login, with the same identity ids.
    """

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        upload_url: str = DEFAULT_UPLOAD_URL,
        state: SessionState | None = None,
        timeout: float = 30.0,
        proxy: str | None = None,
        verify: bool | str = True,
        send_interval: float = 0.0,
        media_route: str = "attachment",
        credentials: Credentials | None = None,
        on_login: Callable[[SessionState], Any] | None = None,
        *,
        reauthenticate: Callable[[DirectClient], None] | None = None,
        budget: Callable[[str], None] | None = None,
        retry_attempts: int = 4,
        retry_max_wait: float = 30.0,
        retry_total: float = 60.0,
        device: Device | None = None,
    ) -> None:
        self.transport = Transport(
            api_url,
            upload_url,
            state,
            timeout=timeout,
            proxy=proxy,
            verify=verify,
            send_interval=send_interval,
            retry_attempts=retry_attempts,
            retry_max_wait=retry_max_wait,
            retry_total=retry_total,
        )
        self.media_route = media_route
        self.device = device
        if device is not None:
            self._take_device(device)
        self.credentials = credentials
        self.on_login = on_login
        self.transport.budget = budget
        if reauthenticate is not None:
            self.transport.on_login_required = lambda: reauthenticate(self)
        elif credentials is not None:
            self.transport.on_login_required = self.login_again

    @property
    def state(self) -> SessionState:
        """The session state (device identity and session); ``to_json()`` saves it."""
        return self.transport.state

    def __repr__(self) -> str:
        return f"DirectClient(api_url={self.transport.api_url!r}, state={self.state!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.transport.close()

    def __enter__(self) -> DirectClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- session --------------------------------------------------------------------------

    def login(self, username: str, password: str, totp_secret: str | None = None) -> SessionState:
        """Log in (two-factor by TOTP when ``totp_secret`` is given) and return the state.

        Raises ``BadPassword``, ``InvalidUser``, ``TwoFactorRequired`` or ``ChallengeRequired``.
        """
        if self.device is not None:
            self.state.use_device(self.device)
        login_flow.login(self.transport, username, password, totp_secret)
        return self._logged_in()

    def two_factor_login(
        self, error: TwoFactorRequired, code: str, *, sms: bool = True
    ) -> SessionState:
        """Complete a login that raised ``error`` with a code received by SMS (or, with
        ``sms=False``, read from an authenticator)."""
        method = login_flow.SMS_METHOD if sms else login_flow.TOTP_METHOD
        login_flow.two_factor_login(self.transport, error, code, method=method)
        return self._logged_in()

    def logout(self) -> None:
        """End the session on the server and forget it locally (device identity stays)."""
        state = self.state
        try:
            self.transport.api(
                "POST",
                "accounts/logout/",
                form={
                    "one_tap_app_login": True,
                    "guid": state.uuid,
                    "phone_id": state.phone_id,
                    "device_id": state.android_id,
                    "_uuid": state.uuid,
                },
                signed=True,
                retry=False,
            )
        finally:
            state.clear_session()

    def _take_device(self, device: Device) -> None:
        state = self.state
        if not state.logged_in:
            state.use_device(device)
        elif state.device != device.to_dict():
            log.warning(
                "The device settings differ from the ones the stored session of %s logged in "
                "with; the session keeps its device (same uuid, android id and phone id) and "
                "the new settings apply at the next login",
                state.username,
            )

    def _logged_in(self) -> SessionState:
        if self.on_login is not None:
            self.on_login(self.state)
        return self.state

    def login_again(self) -> SessionState:
        """Log in once more with the client's ``credentials`` (after the session expired)."""
        credentials = self.credentials
        if credentials is None:
            raise InvalidInput("credentials", "are needed to log in again")
        return self.login(credentials.username, credentials.password, credentials.totp_secret)

    def adopt(self, state: SessionState) -> None:
        """Use a session that was stored elsewhere (e.g. by a task that logged in meanwhile)
        instead of logging in; no network call."""
        self.state.replace_with(state)

    def current_user(self) -> User:
        """The logged-in account (a cheap authenticated call: it validates the session)."""
        answer = self.transport.api("GET", "accounts/current_user/", params={"edit": "true"})
        return User.parse(answer.get("user"))

    def user_id_for(self, username: str) -> int:
        """The pk of ``username`` (with or without ``@``; ``NotFound`` when there is no such
        user)."""
        return int(lookups.user_id_for(self.transport, username))

    def lookup_user(self, username: str) -> User:
        """The user named ``username`` (with or without ``@``; ``NotFound`` when there is
        none)."""
        return User.parse(lookups.user_info(self.transport, username))

    # -- reading --------------------------------------------------------------------------

    def inbox_page(
        self,
        cursor: str | None = None,
        *,
        pending: bool = False,
        selected_filter: str | None = None,
        folder: str | int | None = None,
        page_size: int = 20,
        thread_message_limit: int = 10,
        seq_id: Any = None,
    ) -> Page[Thread]:
        """One inbox page (the pending inbox with ``pending``); ``cursor`` from the previous."""
        params: dict[str, Any] = {
            "visual_message_return_type": "unseen",
            "persistentBadging": "true",
            "limit": page_size,
            "thread_message_limit": thread_message_limit,
        }
        if cursor:
            params.update(cursor=cursor, direction="older", fetch_reason="page_scroll")
            if seq_id is not None:
                params["seq_id"] = seq_id
        else:
            params["fetch_reason"] = "initial_snapshot"
        if selected_filter:
            params["selected_filter"] = selected_filter
        if folder is not None:
            params["folder"] = FOLDERS.get(folder, folder) if isinstance(folder, str) else folder
        endpoint = "direct_v2/pending_inbox/" if pending else "direct_v2/inbox/"
        answer = self.transport.api("GET", endpoint, params=params)
        inbox = answer.get("inbox") if isinstance(answer.get("inbox"), dict) else {}
        listed = inbox.get("threads") if isinstance(inbox.get("threads"), list) else []
        threads = tuple(Thread.parse(t) for t in listed if isinstance(t, dict))
        cursor_out = inbox.get("oldest_cursor")
        return Page(
            threads,
            str(cursor_out) if cursor_out else None,
            bool(inbox.get("has_older")),
            answer,
        )

    def iter_inbox(
        self,
        *,
        pending: bool = False,
        selected_filter: str | None = None,
        folder: str | int | None = None,
        page_size: int = 20,
        thread_message_limit: int = 10,
        since: datetime | None = None,
        max_threads: int | None = None,
    ) -> Listing[Thread]:
        """Every thread of the inbox, newest activity first, fetched page by page.

        ``since`` stops at the first thread whose last activity is at or before it (an
        incremental fetch); ``max_threads`` caps the count. The returned ``Listing`` tells
        ``pages``, ``cursor`` and ``newest`` as it goes.
        """
        selected_filter = checks.selected_filter(selected_filter)
        if folder is not None and folder not in FOLDERS and folder not in (0, 1):
            raise InvalidInput("folder", f"must be primary, general, 0 or 1, got {folder!r}")
        checks.positive_int(page_size, "page_size")
        checks.positive_int(thread_message_limit, "thread_message_limit")
        checks.positive_int(max_threads, "max_threads", optional=True)
        since_us = _moment("since", since)
        seq: dict[str, Any] = {}

        def fetch(cursor: str | None) -> Page[Thread]:
            page = self.inbox_page(
                cursor,
                pending=pending,
                selected_filter=selected_filter,
                folder=folder,
                page_size=page_size,
                thread_message_limit=thread_message_limit,
                seq_id=seq.get("seq_id"),
            )
            seq["seq_id"] = page.raw.get("seq_id")
            return page

        def stop(thread: Thread) -> bool:
            stamp = thread.last_activity_at_us
            return since_us is not None and stamp is not None and stamp <= since_us

        return Listing(fetch, stop=stop if since_us is not None else None, limit=max_threads)

    def thread_page(
        self, thread_id: str, cursor: str | None = None, *, page_size: int = 20
    ) -> Page[ThreadItem]:
        """One page of a thread's items, newest first, with the thread itself in ``raw``."""
        return look_back_rule.thread_page(self.transport, thread_id, cursor, page_size=page_size)

    def get_thread(self, thread_id: str, *, page_size: int = 20) -> Thread:
        """A thread with its newest ``page_size`` items (``NotFound`` for an unknown id)."""
        checks.positive_int(page_size, "page_size")
        return Thread.parse(self.thread_page(thread_id, page_size=page_size).raw.get("thread"))

    def iter_thread_items(
        self,
        thread_id: str,
        *,
        page_size: int = 20,
        since: datetime | None = None,
        since_item_id: str | None = None,
        max_items: int | None = None,
    ) -> Listing[ThreadItem]:
        """Every item of a thread, newest first, page by page.

        Stops before the first item at or before ``since`` or at/older than ``since_item_id``
        (incremental fetches); ``max_items`` caps the count.
        """
        tid = checks.thread_id(thread_id)
        checks.positive_int(page_size, "page_size")
        checks.positive_int(max_items, "max_items", optional=True)
        since_us = _moment("since", since)
        if since_item_id is not None and not str(since_item_id).strip():
            raise InvalidInput("since_item_id", "must be a non-empty item id")
        mark = str(since_item_id).strip() if since_item_id is not None else None

        def stop(item: ThreadItem) -> bool:
            if (
                since_us is not None
                and item.timestamp_us is not None
                and item.timestamp_us <= since_us
            ):
                return True
            return mark is not None and _not_newer(item.item_id, mark)

        def fetch(cursor: str | None) -> Page[ThreadItem]:
            return self.thread_page(tid, cursor, page_size=page_size)

        wants_stop = since_us is not None or mark is not None
        return Listing(fetch, stop=stop if wants_stop else None, limit=max_items)

    def thread_by_participants(self, user_ids: Sequence[int | str]) -> Thread | None:
        """The conversation with exactly these other users, or None when there is none."""
        if isinstance(user_ids, (str, int)) or not user_ids:
            raise InvalidInput("user_ids", "must be a non-empty list of user ids")
        thread = lookups.thread_with(self.transport, user_ids)
        return Thread.parse(thread) if thread is not None else None

    def find_sent(
        self,
        destination: Destination | str,
        client_context: str,
        *,
        since: datetime | None = None,
        look_back: int = look_back_rule.MAX_PAGES,
        item: Item | None = None,
        kind: str | None = None,
    ) -> SendResult | None:
        """The earlier send with ``client_context`` in the destination's thread, as an
        ``already_sent`` result; None when it is not there (or the conversation does not exist
        yet). Pages back until items older than ``since`` less the clock-skew allowance (no
        time bound when None), at most ``look_back`` pages (``client.look_back``). ``item``
        and ``kind`` are not needed here (the ``client_context`` finds the send; the official
        backend's client needs them)."""
        from airflow_provider_dm.client.broadcast import SendResult, thread_for
        from airflow_provider_dm.client.destinations import Destination

        if isinstance(destination, str):
            destination = Destination.parse(destination)
        _moment("since", since)
        bound = (
            look_back_rule.LookBack.from_start(since, max_pages=look_back)
            if since is not None
            else look_back_rule.LookBack(max_pages=look_back)
        )
        thread_id = thread_for(self.transport, destination)
        if thread_id is None:
            return None
        search = look_back_rule.find_earlier(self.transport, thread_id, client_context, bound)
        if search.item is None:
            return None
        return SendResult(
            str(destination), thread_id, search.item.item_id, client_context, "already_sent"
        )

    # -- thread actions (delegated) --------------------------------------------------------

    def mark_seen(self, thread_id: str, item_id: str | None = None) -> ActionResult:
        """Mark a thread seen up to ``item_id`` (default: its newest item)."""
        from airflow_provider_dm.client import thread_actions

        return thread_actions.mark_seen(self.transport, thread_id, item_id)

    def react(
        self, thread_id: str, item_id: str, emoji: str = "❤️", *, remove: bool = False
    ) -> ActionResult:
        """React to an item (``remove``: take the reaction back)."""
        from airflow_provider_dm.client import thread_actions

        return thread_actions.react(self.transport, thread_id, item_id, emoji, remove=remove)

    def unsend(self, thread_id: str, item_id: str, *, field: str = "item_id") -> ActionResult:
        """Unsend one of our own items (an item already gone is ``already_done``)."""
        from airflow_provider_dm.client import thread_actions

        return thread_actions.unsend(self.transport, thread_id, item_id, field=field)

    def approve(self, thread_ids: Sequence[str], *, bulk: bool = True) -> list[ActionResult]:
        """Approve message requests (those no longer pending are ``already_done``)."""
        from airflow_provider_dm.client import thread_actions

        return thread_actions.approve(self.transport, thread_ids, bulk=bulk)

    def decline(self, thread_ids: Sequence[str], *, bulk: bool = True) -> list[ActionResult]:
        """Decline message requests (those no longer pending are ``already_done``)."""
        from airflow_provider_dm.client import thread_actions

        return thread_actions.decline(self.transport, thread_ids, bulk=bulk)

    def create_group(
        self, user_ids: Sequence[int | str], title: str | None = None, *, reuse: bool = True
    ) -> ActionResult:
        """Create a group thread (``reuse``: a thread with exactly these people is kept)."""
        from airflow_provider_dm.client import thread_actions

        return thread_actions.create_group(self.transport, user_ids, title, reuse=reuse)

    def update_thread(self, thread_id: str, **changes: Any) -> dict[str, str]:
        """Rename, add people, mute/unmute, hide or leave; see
        ``client.thread_actions.update_thread``."""
        from airflow_provider_dm.client import thread_actions

        return thread_actions.update_thread(self.transport, thread_id, **changes)

    # -- sending (delegated) -------------------------------------------------------------

    def upload_photo(self, source: Any, **kwargs: Any) -> Upload:
        """Upload a photo (path, bytes or file); see ``client.upload.upload_photo``."""
        from airflow_provider_dm.client.upload import upload_photo

        return upload_photo(self.transport, source, route=self.media_route, **kwargs)

    def upload_video(self, path: Any, **kwargs: Any) -> Upload:
        """Upload an MP4 video; see ``client.upload.upload_video``."""
        from airflow_provider_dm.client.upload import upload_video

        return upload_video(self.transport, path, route=self.media_route, **kwargs)

    def upload_voice(self, source: Any, **kwargs: Any) -> Upload:
        """Upload a voice message (M4A/AAC, or audio PyAV converts); see
        ``client.upload.upload_voice``."""
        from airflow_provider_dm.client.upload import upload_voice

        return upload_voice(self.transport, source, route=self.media_route, **kwargs)

    def send(
        self,
        item: Any,
        recipients: Any = None,
        threads: Any = None,
        client_context: Any = None,
    ) -> list[SendResult]:
        """Send ``item`` to each destination; see ``client.broadcast.send``."""
        from airflow_provider_dm.client.broadcast import send

        return send(
            self.transport,
            item,
            recipients=recipients,
            threads=threads,
            client_context=client_context,
            route=self.media_route,
        )


def _not_newer(item_id: str, mark: str) -> bool:
    """True when ``item_id`` is ``mark`` or older (ids grow with time when both are numeric)."""
    if item_id.isdigit() and mark.isdigit():
        return int(item_id) <= int(mark)
    return item_id == mark
