"""``GraphClient``: Meta's official Instagram Messaging API (Graph API) behind the same
reading and sending methods as ``DirectClient``, so that the operators run over either.

People are IGSIDs (one person per conversation), conversations and messages opaque ids.
What the official API cannot do (profile shares, groups, usernames, photos sent from a
file, requests folders) is refused before any request with ``InvalidInput`` naming
the field and the reason. Conversation reads are paced to the API's 2 calls a second; a
throttling answer is waited out and asked again; sends are never repeated after a lost
answer (the Send API has no idempotency key).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from airflow_provider_dm.client import checks, graph_look_back, graph_media
from airflow_provider_dm.client.broadcast import SendResult
from airflow_provider_dm.client.destinations import Destination
from airflow_provider_dm.client.errors import (
    DirectError,
    InvalidInput,
    NetworkError,
    RateLimited,
    RequestTimeout,
    ResponseError,
)
from airflow_provider_dm.client.graph_errors import graph_error_for
from airflow_provider_dm.client.items import Item, Link, MediaShare, Photo, Text, Video, Voice
from airflow_provider_dm.client.models import Thread, ThreadItem, User, to_micros
from airflow_provider_dm.client.pagination import Listing, Page
from airflow_provider_dm.client.thread_actions import ALREADY_DONE, ActionResult

log = logging.getLogger(__name__)

API_VERSION = "v26.0"
INSTAGRAM_GRAPH_URL = "https://graph.instagram.com/"
FACEBOOK_GRAPH_URL = "https://graph.facebook.com/"
BACKEND = "instagram_messaging"
DETAIL_LIMIT = 20
READS_PER_SECOND = 1.8  # the service's 2 a second, with room for clock jitter
MEDIA_PER_SECOND = 9.0  # audio and video sends and uploads: the service's 10 a second
TEXT_BYTES = 1000
MESSAGE_FIELDS = "id,created_time,from,to,message,attachments,shares,reactions"
LOVE = "\u2764\ufe0f"
LOVES = frozenset({LOVE, "\u2764", "love"})


def unsupported(field: str, reason: str) -> InvalidInput:
    """The refusal of something the official API cannot do, naming the backend."""
    return InvalidInput(field, f"the official Instagram Messaging API ({BACKEND}) {reason}")


class GraphClient:
    """A client of the official Messaging API for one Instagram professional account.

    ``ig_user_id`` is looked up with ``GET /me?fields=user_id,username`` when not given.
    With ``page_id`` (Facebook Login flavour) the account's node is the Page and list calls
    carry ``platform=instagram``. ``budget`` is called before every send, as on the private
    backend.
    """

    backend = BACKEND
    timestamp_resolution_us = 1_000_000  # created_time and updated_time have whole seconds

    def __init__(
        self,
        access_token: str,
        *,
        api_url: str = INSTAGRAM_GRAPH_URL,
        api_version: str = API_VERSION,
        ig_user_id: str | None = None,
        page_id: str | None = None,
        timeout: float = 30.0,
        proxy: str | None = None,
        verify: bool | str = True,
        budget: Callable[[str], None] | None = None,
        retry_attempts: int = 4,
        retry_max_wait: float = 30.0,
        reads_per_second: float = READS_PER_SECOND,
        media_per_second: float = MEDIA_PER_SECOND,
    ) -> None:
        if not access_token:
            raise InvalidInput("access_token", "is empty")
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.api_version = api_version
        self.page_id = page_id
        self.timeout = timeout
        self.budget = budget
        self.retry_attempts = retry_attempts
        self.retry_max_wait = retry_max_wait
        self._token = access_token
        self._ig_user_id = ig_user_id
        self._read_gap = 1.0 / reads_per_second if reads_per_second > 0 else 0.0
        self._last_read = float("-inf")
        self._read_lock = threading.Lock()
        self._media_gap = 1.0 / media_per_second if media_per_second > 0 else 0.0
        self._last_media = float("-inf")
        self._media_lock = threading.Lock()
        self.session = requests.Session()
        self.session.verify = verify
        if proxy:
            self.session.proxies = {"http": proxy, "https": proxy}

    def __repr__(self) -> str:
        return f"GraphClient(api_url={self.api_url!r}, ig_user_id={self._ig_user_id!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    # -- requests ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        read: bool = False,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One Graph call; throttling answers are waited out and asked again (a send too:
        the service refused it, so repeating it cannot duplicate it); network failures and
        5xx are asked again only for reads."""
        url = f"{self.api_url}{self.api_version}/{path.lstrip('/')}"
        for attempt in range(1, self.retry_attempts + 1):
            if read:
                self._pace_read()
            try:
                answer = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    files=files,
                    headers={"Authorization": f"Bearer {self._token}"},
                    timeout=self.timeout,
                )
            except requests.Timeout as exc:
                error: ResponseError = RequestTimeout(
                    f"no answer within {self.timeout} s ({type(exc).__name__})", endpoint=path
                )
            except requests.RequestException as exc:
                error = NetworkError(f"connection failed ({type(exc).__name__})", endpoint=path)
            else:
                body = _json(answer)
                if answer.status_code < 400 and "error" not in body:
                    return body
                error = graph_error_for(answer.status_code, body, path)
            again = isinstance(error, RateLimited) or (read and error.retryable)
            if not again or attempt == self.retry_attempts:
                raise error
            wait = min(self.retry_max_wait, getattr(error, "retry_after", None) or 2.0**attempt)
            log.warning("%s; asking again in %.0f s (attempt %d)", error, wait, attempt + 1)
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _pace_read(self) -> None:
        with self._read_lock:
            wait = self._last_read + self._read_gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_read = time.monotonic()

    def pace_media(self) -> None:
        """Wait as needed to stay within the 10 audio/video calls a second."""
        with self._media_lock:
            wait = self._last_media + self._media_gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_media = time.monotonic()

    @property
    def node(self) -> str:
        """The node that sends and lists: the Page (Facebook flavour) or the IG user."""
        return self.page_id or self.ig_user_id

    @property
    def ig_user_id(self) -> str:
        """The account's IG_ID (looked up once when not configured)."""
        if self._ig_user_id is None:
            self._ig_user_id = str(self.current_user().pk)
        return self._ig_user_id

    def current_user(self) -> User:
        """The account (``/me``): a cheap authenticated call that validates the token."""
        answer = self.request("GET", "me", params={"fields": "user_id,username"}, read=True)
        self._ig_user_id = str(answer.get("user_id") or "") or self._ig_user_id
        return User.parse({"pk": answer.get("user_id"), "username": answer.get("username")})

    def refresh_token(self) -> tuple[str, int]:
        """A new long-lived token for the current one (at least 24 h old), and its lifetime
        in seconds; the client uses the new token from now on."""
        answer = self.request(
            "GET",
            "refresh_access_token",
            params={"grant_type": "ig_refresh_token", "access_token": self._token},
        )
        token = str(answer.get("access_token") or "")
        if not token:
            raise InvalidInput("access_token", "the refresh answer held no token")
        self._token = token
        return token, int(answer.get("expires_in") or 0)

    def user_id_for(self, username: str) -> int:
        """Never possible here: the official API has no username lookup."""
        raise unsupported("recipients", f"cannot look up @{username.lstrip('@')}: give IGSIDs")

    # -- reading ----------------------------------------------------------------------------

    def _list_params(self, **params: Any) -> dict[str, Any]:
        return {"platform": "instagram", **params}

    def inbox_page(self, cursor: str | None = None, *, page_size: int = 20) -> Page[Thread]:
        """One page of conversations, newest activity first."""
        params = self._list_params(fields="id,updated_time,participants", limit=page_size)
        if cursor:
            params["after"] = cursor
        answer = self.request("GET", f"{self.node}/conversations", params=params, read=True)
        threads = tuple(self._thread(c) for c in _list(answer.get("data")))
        return _page(threads, answer)

    def iter_inbox(
        self,
        *,
        pending: bool = False,
        selected_filter: str | None = None,
        folder: Any = None,
        page_size: int = 20,
        thread_message_limit: int = 10,
        since: datetime | None = None,
        max_threads: int | None = None,
    ) -> Listing[Thread]:
        """Every conversation, newest activity first (requests idle over 30 days are not
        listed by the service); ``since`` and ``max_threads`` as on the private backend."""
        if pending:
            raise unsupported("pending", "has no message-requests folder to read")
        if selected_filter or folder is not None:
            name = "selected_filter" if selected_filter else "folder"
            raise unsupported(name, "has no inbox filters or folders")
        checks.positive_int(page_size, "page_size")
        checks.positive_int(max_threads, "max_threads", optional=True)
        since_us = to_micros(since) if since is not None else None

        def stop(thread: Thread) -> bool:
            stamp = thread.last_activity_at_us
            return since_us is not None and stamp is not None and stamp <= since_us

        return Listing(
            lambda cursor: self.inbox_page(cursor, page_size=page_size),
            stop=stop if since_us is not None else None,
            limit=max_threads,
        )

    def _thread(self, conversation: dict[str, Any], items: list[dict[str, Any]] = ()) -> Thread:
        people = _list(_dict(conversation.get("participants")).get("data"))
        own = {self.ig_user_id, self.page_id}
        users = [
            {"pk": p.get("id"), "username": p.get("username")}
            for p in people
            if str(p.get("id")) not in own
        ]
        return Thread.parse(
            {
                "thread_id": conversation.get("id"),
                "users": users,
                "last_activity_at": _micros(conversation.get("updated_time")),
                "viewer_id": self._ig_user_id,
                "items": list(items),
            }
        )

    def thread_page(
        self, thread_id: str, cursor: str | None = None, *, page_size: int = 20
    ) -> Page[ThreadItem]:
        """One page of a conversation's messages, newest first (details for the 20 newest
        only: older messages come without sender or text)."""
        conversation = conversation_id(thread_id)
        params = {"fields": f"messages.limit({page_size}){{{MESSAGE_FIELDS}}},participants"}
        if cursor:
            answer = self.request(
                "GET",
                f"{conversation}/messages",
                params={"fields": MESSAGE_FIELDS, "limit": page_size, "after": cursor},
                read=True,
            )
            messages, raw = answer, {"id": conversation}
        else:
            raw = self.request("GET", conversation, params=params, read=True)
            messages = _dict(raw.get("messages"))
        items = tuple(self._item(m) for m in _list(messages.get("data")))
        page = _page(items, messages)
        thread = self._thread(raw, [i.raw for i in items])
        return Page(page.entries, page.cursor, page.has_older, {"thread": thread.raw})

    def get_thread(self, thread_id: str, *, page_size: int = 20) -> Thread:
        """A conversation with its newest ``page_size`` messages."""
        checks.positive_int(page_size, "page_size")
        return Thread.parse(self.thread_page(thread_id, page_size=page_size).raw["thread"])

    def iter_thread_items(
        self,
        thread_id: str,
        *,
        page_size: int = 20,
        since: datetime | None = None,
        since_item_id: str | None = None,
        max_items: int | None = None,
    ) -> Listing[ThreadItem]:
        """The conversation's messages that the service details (its 20 newest), newest
        first; ``since``, ``since_item_id`` and ``max_items`` as on the private backend."""
        conversation_id(thread_id)
        checks.positive_int(page_size, "page_size")
        checks.positive_int(max_items, "max_items", optional=True)
        since_us = to_micros(since) if since is not None else None
        limit = min(max_items or DETAIL_LIMIT, DETAIL_LIMIT)
        log.info("The official API details the %d newest messages of a conversation", limit)

        def stop(item: ThreadItem) -> bool:
            stamp = item.timestamp_us
            if since_us is not None and stamp is not None and stamp <= since_us:
                return True
            return since_item_id is not None and item.item_id == since_item_id

        return Listing(
            lambda cursor: self.thread_page(thread_id, cursor, page_size=page_size),
            stop=stop,
            limit=limit,
        )

    def _item(self, message: dict[str, Any]) -> ThreadItem:
        sender = _dict(message.get("from"))
        raw: dict[str, Any] = {
            "item_id": message.get("id"),
            "user_id": sender.get("id"),
            "timestamp": _micros(message.get("created_time")),
            "is_sent_by_viewer": str(sender.get("id")) in (self._ig_user_id, self.page_id),
            "graph": message,
        }
        attachments = _list(_dict(message.get("attachments")).get("data"))
        shares = _list(_dict(message.get("shares")).get("data"))
        if "from" not in message:
            raw["item_type"] = "placeholder"
            raw["placeholder"] = {"message": "details only for the 20 newest messages"}
        elif attachments:
            first = attachments[0]
            video = "video_data" in first
            raw["item_type"] = "media" if ("image_data" in first or video) else "voice_media"
            raw["media"] = {"media_type": 2 if video else 1}
        elif shares:
            raw["item_type"] = "link"
            link = str(_dict(shares[0]).get("link") or "")
            raw["link"] = {"text": link, "link_context": {"link_url": link}}
        else:
            raw["item_type"] = "text"
            raw["text"] = message.get("message") or ""
        return ThreadItem.parse(raw)

    # -- sending ----------------------------------------------------------------------------

    def find_sent(
        self,
        destination: Destination,
        client_context: str,
        *,
        since: datetime | None = None,
        look_back: int = 1,
        item: Item | None = None,
        kind: str | None = None,
    ) -> SendResult | None:
        """The earlier send of ``item`` to the destination, created at or after ``since`` (the
        first try) less the clock skew, as an ``already_sent`` result; None when it is not
        there. The Send API keeps no ``client_context``, so the send is found by its content
        among the conversation's 20 newest messages (``client.graph_look_back``; ``look_back``
        has no use here); a photo, video or voice message not uploaded yet (sent from a file)
        by its ``kind`` alone. When the conversation cannot be read, a retryable ``failed``
        result: the item is not sent again blind."""
        if item is not None:
            message = self.message_body(item)
        elif kind in graph_media.ATTACHMENT_TYPES:
            message = {"attachment": {"type": graph_media.ATTACHMENT_TYPES[kind]}}
        else:
            message = None
        if message is None or since is None:
            log.warning(
                "%s: %s unknown, so an earlier send cannot be told apart; sending again",
                destination,
                "the item" if message is None else "the first try's start",
            )
            return None
        conversation = destination.thread_id
        try:
            conversation = conversation or self.conversation_with(destination.user_ids[0])
            if conversation is None:
                return None
            message_id = self.sent_since(conversation, message, since)
        except DirectError as exc:
            if exc.account_action:
                raise
            return SendResult(
                str(destination),
                conversation,
                None,
                client_context,
                "failed",
                f"could not look for an earlier send, so it is not sent again blind: {exc}",
                type(exc).__name__,
                True,
            )
        if message_id is None:
            return None
        return SendResult(
            str(destination), conversation, message_id, client_context, "already_sent"
        )

    def sent_since(self, conversation: str, message: dict[str, Any], since: datetime) -> str | None:
        """The id of our own message with the content of the Send API ``message`` among the
        conversation's detailed (20 newest) messages created at or after ``since`` less the
        clock skew; None when there is none."""
        content = self.content_of(message)
        page = self.thread_page(conversation, page_size=DETAIL_LIMIT)
        own = {i for i in (self._ig_user_id, self.page_id) if i}
        search = graph_look_back.find_earlier(page.entries, own, content, since)
        graph_look_back.log_search(conversation, search, since)
        return search.message_id

    def content_of(self, message: dict[str, Any]) -> graph_look_back.Content:
        """What identifies a Send API ``message`` in a conversation; a shared post is known by
        its permalink, read from the post (``GET /<post>?fields=permalink``)."""
        attachment = _dict(message.get("attachment"))
        if attachment.get("type") != "MEDIA_SHARE":
            return graph_look_back.Content.of_message(message)
        post = str(_dict(attachment.get("payload")).get("id") or "")
        answer = self.request("GET", post, params={"fields": "permalink"}, read=True)
        return graph_look_back.Content.of_message(message, str(answer.get("permalink") or ""))

    def upload_photo(self, source: Any, **kwargs: Any) -> Any:
        """Not possible from a file: the attachment upload API takes images by URL only."""
        raise unsupported("path", "takes photos by public URL only, not from a file: give url")

    def upload_video(self, path: Any, **kwargs: Any) -> Any:
        """Upload a video file (mp4, mov, ogg, avi, webm; at most 25 MB) once, as multipart
        ``filedata``: an ``Upload`` sent by its ``attachment_id`` (``media_id``)."""
        from airflow_provider_dm.client.mp4 import read_mp4

        content_type = graph_media.file_type("video", path)
        file = Path(path)
        if not file.is_file():
            raise InvalidInput("path", f"no such file: {file}")
        graph_media.check_size("video", file.stat().st_size)
        facts: dict[str, Any] = {}
        if content_type in ("video/mp4", "video/quicktime"):
            info = read_mp4(file)
            facts = {"width": info.width, "height": info.height, "duration_ms": info.duration_ms}
        self.pace_media()
        return graph_media.upload_file(
            self, "video", file.read_bytes(), file.name, content_type, **facts
        )

    def upload_voice(self, source: Any, **kwargs: Any) -> Any:
        """Upload a voice message once, as multipart ``filedata``: ``source`` (a path or
        bytes) is prepared as on the private API (M4A/AAC kept, other audio converted with
        the ``[video]`` extra), or is already a ``PreparedVoice``; at most 25 MB."""
        from airflow_provider_dm.client.audio import PreparedVoice, prepare_voice

        voice = source if isinstance(source, PreparedVoice) else prepare_voice(source)
        self.pace_media()
        return graph_media.upload_file(
            self,
            "voice",
            voice.m4a,
            "voice.m4a",
            "audio/mp4",
            duration_ms=voice.duration_ms,
            waveform=voice.waveform,
        )

    def upload_url(self, kind: str, url: str) -> Any:
        """Upload the photo, video or voice message at a public ``url`` once (the service
        fetches it): an ``Upload`` sent by its ``attachment_id`` (``media_id``)."""
        if kind != "photo":
            self.pace_media()
        return graph_media.upload_url(self, kind, url)

    def message_body(self, item: Item) -> dict[str, Any]:
        """The Send API ``message`` of an item; refuses what the official API cannot send."""
        if isinstance(item, Text):
            text = item.text
        elif isinstance(item, Link):
            urls = [u for u in item.urls or () if u not in item.text]
            text = " ".join([item.text, *urls])
        elif isinstance(item, MediaShare):
            post = str(item.media_id).split("_", 1)[0]
            return {"attachment": {"type": "MEDIA_SHARE", "payload": {"id": post}}}
        elif isinstance(item, (Photo, Video, Voice)):
            return graph_media.media_message(item)
        else:
            raise unsupported(
                "item", f"cannot send a {item.kind} item (send a link to it as text instead)"
            )
        if len(text.encode()) > TEXT_BYTES:
            raise InvalidInput("text", f"is over the official API's {TEXT_BYTES} bytes")
        return {"text": text}

    def send(
        self,
        item: Item,
        recipients: Any = None,
        threads: Any = None,
        client_context: Any = None,
    ) -> list[SendResult]:
        """Send ``item`` to each destination, one Send API call each; a failed destination
        does not stop the others. ``client_context`` is kept in the results only."""
        message = self.message_body(item)
        destinations = graph_destinations(recipients, threads)
        results = []
        for destination in destinations:
            token = client_context(destination) if callable(client_context) else client_context
            try:
                results.append(self._send_one(message, destination, str(token or "")))
            except DirectError as exc:
                if exc.account_action:
                    raise
                results.append(
                    SendResult.failed(destination, str(token or ""), exc, destination.thread_id)
                )
        return results

    def _send_one(
        self, message: dict[str, Any], destination: Destination, token: str
    ) -> SendResult:
        if destination.thread_id is not None:
            conversation = destination.thread_id
            person = self.partner_of(conversation)
        else:
            person = destination.user_ids[0]
            conversation = self.conversation_with(person)
        if self.budget is not None:
            self.budget("messages")
        if graph_media.is_media_message(message):
            self.pace_media()
        answer = self._post_message(person, conversation, message)
        return SendResult(
            str(destination), conversation, str(answer.get("message_id") or ""), token, "sent"
        )

    def _post_message(
        self, person: str, conversation: str | None, message: dict[str, Any]
    ) -> dict[str, Any]:
        """Send one message. After a lost answer (dropped connection, timeout) the message is
        looked for in the conversation and sent again only when it is not there; when the
        conversation cannot be read, the lost answer's error is raised (not sent blind)."""
        started = datetime.now(timezone.utc)
        body = {"recipient": {"id": person}, "message": message}
        for attempt in range(1, self.retry_attempts + 1):
            try:
                return self.request("POST", f"{self.node}/messages", json=body)
            except (NetworkError, RequestTimeout) as lost:
                if attempt == self.retry_attempts:
                    raise
                wait = min(self.retry_max_wait, 2.0 ** (attempt - 1))
                log.warning(
                    "%s; looking for the message in %.0f s before sending again", lost, wait
                )
                time.sleep(wait)
                try:
                    conversation = conversation or self.conversation_with(person)
                    found = (
                        self.sent_since(conversation, message, started) if conversation else None
                    )
                except DirectError as exc:
                    raise type(lost)(
                        f"{lost.message}; the conversation could not be read to see whether the"
                        f" message arrived ({exc}), so it is not sent again blind",
                        endpoint=lost.endpoint,
                    ) from exc
                if found is not None:
                    log.info("the lost answer's message %s is in the conversation", found)
                    return {"message_id": found}
        raise AssertionError("unreachable")

    def partner_of(self, conversation: str) -> str:
        """The IGSID of the person in a conversation."""
        answer = self.request("GET", conversation, params={"fields": "participants"}, read=True)
        thread = self._thread(answer)
        if not thread.users:
            raise InvalidInput("threads", f"conversation {conversation} has no other person")
        return str(thread.users[0].pk)

    def conversation_with(self, igsid: str) -> str | None:
        """The conversation id with a person, or None when they never wrote."""
        answer = self.request(
            "GET",
            f"{self.node}/conversations",
            params=self._list_params(user_id=igsid),
            read=True,
        )
        first = next(iter(_list(answer.get("data"))), None)
        return str(first["id"]) if isinstance(first, dict) and first.get("id") else None

    # -- thread actions ---------------------------------------------------------------------

    @property
    def state(self) -> GraphState:
        """What the operators read of a client's ``state`` on either backend: the account's
        id (``user_id``), as the author of its own messages."""
        return GraphState(int(self.ig_user_id))

    def mark_seen(self, thread_id: str, item_id: str | None = None) -> ActionResult:
        """Mark a conversation seen (``sender_action: mark_seen``). The service marks its
        newest message only: an older ``item_id`` is refused before the action is sent. The
        API tells no seen state, so a repeat is sent again (the service ignores it)."""
        conversation = conversation_id(thread_id)
        target = None if item_id is None else message_id(item_id, "item_id")
        raw = self.request(
            "GET", conversation, params={"fields": "messages{id},participants"}, read=True
        )
        newest = next(iter(_list(_dict(raw.get("messages")).get("data"))), None)
        if newest is None:
            return ActionResult(conversation, ALREADY_DONE)
        newest_id = str(newest.get("id"))
        if target is not None and target != newest_id:
            raise unsupported(
                "item_id",
                f"marks only the newest message of a conversation seen ({newest_id}),"
                f" not {target}: leave item_id empty",
            )
        person = self._person_in(conversation, raw)
        self.request(
            "POST",
            f"{self.node}/messages",
            json={"recipient": {"id": person}, "sender_action": "mark_seen"},
        )
        return ActionResult(conversation, "seen", newest_id)

    def react(
        self, thread_id: str, item_id: str, emoji: str = LOVE, *, remove: bool = False
    ) -> ActionResult:
        """React with ❤️ (``sender_action: react``, ``reaction: love``, the one reaction the
        API reports) or take it back (``unreact``); the message's reactions are read first,
        so a repeat that would change nothing is ``already_done``."""
        conversation = conversation_id(thread_id)
        mid = message_id(item_id, "item_id")
        if not remove and str(emoji).strip() not in LOVES:
            raise unsupported("emoji", f"reports only the {LOVE} (love) reaction, not {emoji!r}")
        status = "unreacted" if remove else "reacted"
        message = self.request("GET", mid, params={"fields": "id,reactions"}, read=True)
        if self._reacted(message) != remove:
            return ActionResult(conversation, ALREADY_DONE, mid)
        person = self.partner_of(conversation)
        if self.budget is not None:
            self.budget(f"reaction in conversation {conversation}")
        payload: dict[str, Any] = {"message_id": mid}
        if not remove:
            payload["reaction"] = "love"
        self.request(
            "POST",
            f"{self.node}/messages",
            json={
                "recipient": {"id": person},
                "sender_action": "unreact" if remove else "react",
                "payload": payload,
            },
        )
        return ActionResult(conversation, status, mid)

    def _reacted(self, message: dict[str, Any]) -> bool:
        """Whether the account's own reaction is among the message's ``reactions``."""
        own = {self.ig_user_id, self.page_id}
        return any(
            str(_dict(user).get("id")) in own
            for reaction in _list(_dict(message.get("reactions")).get("data"))
            for user in _list(reaction.get("users"))
        )

    def _person_in(self, conversation: str, raw: dict[str, Any]) -> str:
        thread = self._thread(raw)
        if not thread.users:
            raise InvalidInput("thread_id", f"conversation {conversation} has no other person")
        return str(thread.users[0].pk)


@dataclass(frozen=True)
class GraphState:
    """The part of a session state this backend has: the account's id."""

    user_id: int


SENDABLE = ("text", "link", "media_share", "photo", "video", "voice")


def graph_destinations(recipients: Any = None, threads: Any = None) -> list[Destination]:
    """One destination per conversation: ``recipients`` IGSIDs, one per inner list, and
    conversation ids in ``threads``; refused with the field named before any request."""
    found: list[Destination] = []
    if recipients is not None:
        if isinstance(recipients, (str, bytes)) or not isinstance(recipients, (list, tuple)):
            raise InvalidInput("recipients", 'must be a list of lists, e.g. [["<IGSID>"]]')
        for index, group in enumerate(recipients):
            name = f"recipients[{index}]"
            if isinstance(group, (str, bytes, int)) or not isinstance(group, (list, tuple)):
                raise InvalidInput("recipients", 'must be a list of lists, e.g. [["<IGSID>"]]')
            if len(group) != 1:
                raise unsupported(name, "has one person per conversation (no groups)")
            if checks.is_username(group[0]):
                raise unsupported(name, f"cannot look up {group[0]}: give the IGSID")
            found.append(Destination(user_ids=(checks.numeric_id(group[0], name),)))
    if threads is not None:
        if isinstance(threads, (str, bytes)) or not isinstance(threads, (list, tuple)):
            raise InvalidInput("threads", "must be a list of conversation ids")
        for index, value in enumerate(threads):
            found.append(Destination(thread_id=conversation_id(value, f"threads[{index}]")))
    if not found:
        raise InvalidInput("recipients", "no destination: give recipients and/or threads")
    if len({str(d) for d in found}) != len(found):
        raise InvalidInput("recipients", "names the same conversation twice")
    return found


def conversation_id(value: Any, field: str = "thread_id") -> str:
    """A conversation id as the service writes them, else ``InvalidInput`` naming ``field``."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not text or not text.replace("-", "").replace("_", "").isalnum() or len(text) > 200:
        raise InvalidInput(field, f"must be a conversation id, got {value!r}")
    return text


def message_id(value: Any, field: str = "item_id") -> str:
    """A message id (mid) as the service writes them, opaque URL-safe base64, else
    ``InvalidInput`` naming ``field``."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    bare = text.rstrip("=").replace("-", "").replace("_", "")
    if not bare or not bare.isascii() or not bare.isalnum() or len(text) > 400:
        raise InvalidInput(field, f"must be a message id, got {value!r}")
    return text


def _page(entries: tuple[Any, ...], answer: dict[str, Any]) -> Page[Any]:
    paging = _dict(answer.get("paging"))
    after = _dict(paging.get("cursors")).get("after")
    more = bool(paging.get("next"))
    return Page(entries, str(after) if more and after else None, more, answer)


def _micros(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    return to_micros(moment.astimezone(timezone.utc))


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
