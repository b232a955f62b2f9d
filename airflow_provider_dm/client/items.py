"""The Direct item types: one small immutable class per type, each validating itself and
knowing its broadcast endpoint and form fields on both media routes.

Routes: ``"attachment"`` (the current Messenger-rupload flow: ``photo_attachment``, the
signed ``raven_attachment?video=1`` and ``voice_attachment``, addressed by ``attachment_fbid``)
and ``"classic"`` (``configure_photo`` / ``configure_video`` / ``share_voice`` addressed by
``upload_id``). Text, link, profile and media shares are the same on both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from airflow_provider_dm.client.checks import media_route, numeric_id
from airflow_provider_dm.client.errors import InvalidInput


class Upload(Protocol):
    """What ``from_upload`` reads of a ``client.upload.Upload`` (typed without importing it,
    since the upload module looks item classes up in the media-kind table)."""

    def to_dict(self) -> dict[str, Any]:
        """The upload as a dict: ``upload_id``, ``kind``, ``media_id``, ..."""
        ...


MAX_TEXT_LENGTH = 1000
# C0 controls but tab, newline and carriage return, and DEL: never part of a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters that show nothing: a text made only of them is empty.
_INVISIBLE = ("Cc", "Cf", "Zs", "Zl", "Zp")
MEDIA_SHARE_TYPES = ("photo", "video")

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_MEDIA_ID = re.compile(r"[0-9]{1,40}(_[0-9]{1,20})?")


@dataclass(frozen=True)
class BroadcastSpec:
    """How one item is sent on one route: ``POST direct_v2/threads/broadcast/{kind}/``."""

    kind: str
    fields: dict[str, Any]
    params: dict[str, str] = field(default_factory=dict)
    signed: bool = False

    @property
    def endpoint(self) -> str:
        """The endpoint relative to the API base URL."""
        return f"direct_v2/threads/broadcast/{self.kind}/"


def _check_text(text: Any, name: str = "text") -> str:
    if not isinstance(text, str):
        raise InvalidInput(name, f"must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(name, f"is {len(text)} characters long; the limit is {MAX_TEXT_LENGTH}")
    if all(unicodedata.category(char) in _INVISIBLE for char in text):
        raise InvalidInput(name, "is empty (nothing visible)")
    control = _CONTROL.search(text)
    if control:
        code = f"U+{ord(control.group()):04X}"
        raise InvalidInput(name, f"holds the control character {code} at {control.start()}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(
            name, f"holds a lone surrogate at {exc.start}, not valid Unicode"
        ) from None
    return text


def urls_in(text: str) -> tuple[str, ...]:
    """The http(s) URLs standing in ``text``, in order, without trailing punctuation."""
    found: list[str] = []
    for match in _URL_IN_TEXT.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if url not in found:
            found.append(url)
    return tuple(found)


def _check_url(url: Any) -> str:
    if not isinstance(url, str):
        raise InvalidInput("urls", f"every URL must be a string, got {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in url:
        raise InvalidInput("urls", f"{url!r} is not an http(s) URL")
    return url


class Item:
    """Base of the item types: the registry key ``kind`` and the route-specific broadcast."""

    kind: ClassVar[str]

    def broadcast(self, route: str = "attachment") -> BroadcastSpec:
        """The broadcast kind, query params, signing and kind-specific fields for ``route``."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description (``kind`` plus the item's own fields), e.g. for dry runs."""
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {"kind": self.kind, **values}


@dataclass(frozen=True)
class Text(Item):
    """A plain text message (at most 1000 characters)."""

    text: str
    kind: ClassVar[str] = "text"

    def __post_init__(self) -> None:
        _check_text(self.text)

    def broadcast(self, route: str = "attachment") -> BroadcastSpec:
        media_route(route, "route")
        return BroadcastSpec("text", {"text": self.text})


@dataclass(frozen=True)
class Link(Item):
    """A message with clickable links; every URL in ``urls`` must stand in ``text``.

    Without ``urls`` the list is built from the URLs found in the text.
    """

    text: str
    urls: tuple[str, ...] | None = None
    kind: ClassVar[str] = "link"

    def __post_init__(self) -> None:
        _check_text(self.text)
        if self.urls is None:
            urls = urls_in(self.text)
            if not urls:
                raise InvalidInput("text", "contains no http(s) URL; send it as Text instead")
        else:
            if isinstance(self.urls, str) or not isinstance(self.urls, (list, tuple)):
                raise InvalidInput("urls", "must be a list of URLs, e.g. ['https://example.com']")
            if not self.urls:
                raise InvalidInput("urls", "is empty; omit it to take the URLs from the text")
            urls = tuple(_check_url(url) for url in self.urls)
            missing = [url for url in urls if url not in self.text]
            if missing:
                raise InvalidInput("urls", f"{missing[0]!r} does not stand in the text")
        object.__setattr__(self, "urls", urls)

    def broadcast(self, route: str = "attachment") -> BroadcastSpec:
        media_route(route, "route")
        return BroadcastSpec("link", {"link_text": self.text, "link_urls": list(self.urls or ())})


@dataclass(frozen=True)
class ProfileShare(Item):
    """A share of a user's profile, by user id."""

    user_id: str
    kind: ClassVar[str] = "profile"

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_id", numeric_id(self.user_id, "user_id"))

    def broadcast(self, route: str = "attachment") -> BroadcastSpec:
        media_route(route, "route")
        return BroadcastSpec("profile", {"profile_user_id": self.user_id})


@dataclass(frozen=True)
class MediaShare(Item):
    """A share of a feed post: ``media_id`` as ``{pk}_{owner}`` or bare digits."""

    media_id: str
    media_type: str = "photo"
    kind: ClassVar[str] = "media_share"

    def __post_init__(self) -> None:
        if isinstance(self.media_id, bool) or not isinstance(self.media_id, (str, int)):
            raise InvalidInput("media_id", "must be a string like '3141592_25025320'")
        media_id = str(self.media_id).strip()
        if not _MEDIA_ID.fullmatch(media_id):
            raise InvalidInput(
                "media_id", f"must be digits or '{{pk}}_{{owner_pk}}' digits, got {media_id!r}"
            )
        if self.media_type not in MEDIA_SHARE_TYPES:
            raise InvalidInput(
                "media_type", f"must be one of {MEDIA_SHARE_TYPES}, got {self.media_type!r}"
            )
        object.__setattr__(self, "media_id", media_id)

    def broadcast(self, route: str = "attachment") -> BroadcastSpec:
        media_route(route, "route")
        return BroadcastSpec(
            "media_share", {"media_id": self.media_id}, params={"media_type": self.media_type}
        )


def _check_upload_ids(item: Photo | Video | Voice) -> None:
    if item.url is not None:
        _check_media_url(item)
        return
    object.__setattr__(item, "upload_id", numeric_id(item.upload_id, "upload_id"))
    if item.media_id is not None:
        object.__setattr__(item, "media_id", numeric_id(item.media_id, "media_id"))


def _check_media_url(item: Photo | Video | Voice) -> None:
    """A media item by public URL (the official API fetches it): an http(s) URL, and no
    upload besides it."""
    url = item.url
    if not isinstance(url, str):
        raise InvalidInput("url", f"must be an http(s) URL, got {type(url).__name__}")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in url.strip():
        raise InvalidInput("url", f"must be a public http(s) URL, got {url!r}")
    for name in ("upload_id", "media_id"):
        if getattr(item, name) is not None:
            raise InvalidInput("url", f"give either url or {name}, not both")
    object.__setattr__(item, "url", url.strip())


def _refuse_url(item: Photo | Video | Voice) -> None:
    """The private API sends uploaded files only: a media item by URL has no broadcast."""
    if item.url is not None:
        raise InvalidInput(
            "url",
            f"the private API cannot send a {item.kind} by URL: it sends uploaded files; "
            "give path (a local file) instead",
        )


class _MediaItem(Item):
    """What the photo, video and voice items share: ``to_dict`` leaves out an unset ``url``,
    so that the description (and the client_context derived from it) of an uploaded item is
    what it was before items could be sent by URL."""

    url: str | None

    def to_dict(self) -> dict[str, Any]:
        values = super().to_dict()
        if values.get("url") is None:
            values.pop("url", None)
        return values


def _upload_fields(upload: Upload | dict[str, Any], kind: str) -> dict[str, Any]:
    values = upload if isinstance(upload, dict) else upload.to_dict()
    if values.get("kind") != kind:
        raise InvalidInput(
            "upload_id", f"is a {values.get('kind')} upload; a {kind} upload is needed here"
        )
    return values


def _needs_media_id(item: Photo | Video | Voice) -> str:
    if item.media_id is None:
        raise InvalidInput(
            "upload_id",
            f"the attachment route sends the media_id of a messenger upload; build the item "
            f"with {type(item).__name__}.from_upload(upload) or use route='classic'",
        )
    return item.media_id


def _check_duration(duration_ms: Any) -> None:
    if duration_ms is not None and (
        isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or duration_ms < 0
    ):
        raise InvalidInput("duration_ms", f"must be a whole number ≥ 0, got {duration_ms!r}")


@dataclass(frozen=True)
class Photo(_MediaItem):
    """An uploaded photo: ``upload_id`` (classic route) and ``media_id`` (attachment route);
    or, on the official API only, a public ``url`` (then no upload ids)."""

    upload_id: str | None = None
    media_id: str | None = None
    url: str | None = None
    kind: ClassVar[str] = "photo"
    BROADCASTS: ClassVar[dict[str, str]] = {
        "attachment": "photo_attachment",
        "classic": "configure_photo",
    }

    def __post_init__(self) -> None:
        _check_upload_ids(self)

    @classmethod
    def from_upload(cls, upload: Upload | dict[str, Any]) -> Photo:
        """The item for a photo ``Upload`` (or its ``to_dict()``); a video upload is refused."""
        values = _upload_fields(upload, "photo")
        return cls(upload_id=values["upload_id"], media_id=values.get("media_id"))

    def broadcast(self, route: str = "attachment") -> BroadcastSpec:
        _refuse_url(self)
        if media_route(route, "route") == "classic":
            return BroadcastSpec(
                self.BROADCASTS["classic"],
                {"upload_id": self.upload_id, "allow_full_aspect_ratio": "true"},
            )
        fields = {
            "attachment_fbid": _needs_media_id(self),
            "allow_full_aspect_ratio": "true",
            "send_attribution": "inbox",
        }
        return BroadcastSpec(self.BROADCASTS["attachment"], fields)


@dataclass(frozen=True)
class Video(_MediaItem):
    """An uploaded MP4 video; ``duration_ms`` feeds the clip length of the attachment route.
    On the official API only, a public ``url`` instead of the upload ids."""

    upload_id: str | None = None
    media_id: str | None = None
    duration_ms: int | None = None
    url: str | None = None
    kind: ClassVar[str] = "video"
    BROADCASTS: ClassVar[dict[str, str]] = {
        "attachment": "raven_attachment",
        "classic": "configure_video",
    }

    def __post_init__(self) -> None:
        _check_upload_ids(self)
        _check_duration(self.duration_ms)

    @classmethod
    def from_upload(cls, upload: Upload | dict[str, Any]) -> Video:
        """The item for a video ``Upload`` (or its ``to_dict()``); a photo upload is refused."""
        values = _upload_fields(upload, "video")
        return cls(
            upload_id=values["upload_id"],
            media_id=values.get("media_id"),
            duration_ms=values.get("duration_ms"),
        )

    def broadcast(self, route: str = "attachment") -> BroadcastSpec:
        _refuse_url(self)
        if media_route(route, "route") == "classic":
            return BroadcastSpec(
                self.BROADCASTS["classic"],
                {"upload_id": self.upload_id, "video_result": "", "sampled": "true"},
            )
        media_id = _needs_media_id(self)
        length = round((self.duration_ms or 0) / 1000, 3)
        fields: dict[str, Any] = {
            "attachment_fbid": media_id,
            "video_result": media_id,
            "upload_id": self.upload_id,
            "original_media_type": "2",
            "view_mode": "permanent",
            "reshare_mode": "allow_reshare",
            "configure_mode": "2",
            "source_type": "3",
            "send_attribution": "direct_composer",
            "length": length,
            "clips": [{"length": length, "source_type": "3", "camera_position": "back"}],
            "poster_frame_index": 0,
            "audio_muted": False,
        }
        return BroadcastSpec(
            self.BROADCASTS["attachment"], fields, params={"video": "1"}, signed=True
        )


WAVEFORM_HZ = 10


def _check_waveform(waveform: Any) -> tuple[float, ...]:
    if isinstance(waveform, (str, bytes)) or not isinstance(waveform, (list, tuple)):
        raise InvalidInput("waveform", "must be a list of amplitudes from 0 to 1")
    if not waveform:
        raise InvalidInput("waveform", "is empty")
    for index, value in enumerate(waveform):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise InvalidInput(f"waveform[{index}]", f"must be a number from 0 to 1, got {value!r}")
    return tuple(float(value) for value in waveform)


@dataclass(frozen=True)
class Voice(_MediaItem):
    """An uploaded voice message: AAC in M4A, with its ``waveform`` (amplitudes 0..1, ten a
    second, drawn by the app; the private API needs it, the official one has none) and
    ``duration_ms``. On the official API only, a public ``url`` instead of the upload."""

    upload_id: str | None = None
    waveform: tuple[float, ...] = ()
    media_id: str | None = None
    duration_ms: int | None = None
    url: str | None = None
    kind: ClassVar[str] = "voice"
    BROADCASTS: ClassVar[dict[str, str]] = {
        "attachment": "voice_attachment",
        "classic": "share_voice",
    }

    def __post_init__(self) -> None:
        _check_upload_ids(self)
        _check_duration(self.duration_ms)
        if isinstance(self.waveform, (list, tuple)) and not self.waveform:
            object.__setattr__(self, "waveform", ())
        else:
            object.__setattr__(self, "waveform", _check_waveform(self.waveform))

    @classmethod
    def from_upload(cls, upload: Upload | dict[str, Any]) -> Voice:
        """The item for a voice ``Upload`` (or its ``to_dict()``); other uploads are refused."""
        values = _upload_fields(upload, "voice")
        return cls(
            upload_id=values["upload_id"],
            waveform=values.get("waveform") or (),
            media_id=values.get("media_id"),
            duration_ms=values.get("duration_ms"),
        )

    def broadcast(self, route: str = "attachment") -> BroadcastSpec:
        _refuse_url(self)
        waveform = _check_waveform(self.waveform)
        fields: dict[str, Any] = {
            "waveform": list(waveform),
            "waveform_sampling_frequency_hz": str(WAVEFORM_HZ),
            "upload_id": self.upload_id,
        }
        if media_route(route, "route") == "attachment":
            fields = {"attachment_fbid": _needs_media_id(self), **fields}
        return BroadcastSpec(self.BROADCASTS[route], fields)


ITEM_TYPES: dict[str, type[Item]] = {
    cls.kind: cls for cls in (Text, Link, ProfileShare, MediaShare, Photo, Video, Voice)
}


def item_from_dict(values: dict[str, Any]) -> Item:
    """Rebuild an item from its ``to_dict()`` form (the inverse, validated again)."""
    kind = values.get("kind")
    if kind not in ITEM_TYPES:
        raise InvalidInput("kind", f"must be one of {sorted(ITEM_TYPES)}, got {kind!r}")
    fields = {k: v for k, v in values.items() if k != "kind"}
    try:
        return ITEM_TYPES[kind](**fields)
    except TypeError as exc:
        raise InvalidInput("kind", f"wrong fields for a {kind} item: {exc}") from None
