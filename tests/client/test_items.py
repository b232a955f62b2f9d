"""Item types: self-validation and the broadcast each one makes on both media routes."""

from __future__ import annotations

import pytest

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.items import (
    ITEM_TYPES,
    Link,
    MediaShare,
    Photo,
    ProfileShare,
    Text,
    Video,
    Voice,
    item_from_dict,
    urls_in,
)
from airflow_provider_dm.client.upload import Upload


def _upload(kind: str, **extra) -> Upload:
    values = dict(
        upload_id="1700000000000",
        kind=kind,
        route="attachment",
        width=640,
        height=360,
        duration_ms=None,
        bytes=10,
        media_id="555",
    )
    values.update(extra)
    return Upload(**values)


def test_text_broadcast_is_the_same_on_both_routes() -> None:
    for route in ("attachment", "classic"):
        spec = Text("hello").broadcast(route)
        assert (spec.endpoint, spec.fields, spec.params, spec.signed) == (
            "direct_v2/threads/broadcast/text/",
            {"text": "hello"},
            {},
            False,
        )


@pytest.mark.parametrize(
    ("build", "field", "words"),
    [
        (lambda: Text(""), "text", "empty"),
        (lambda: Text("   "), "text", "empty"),
        (lambda: Text("x" * 1001), "text", "1001 characters"),
        (lambda: Link("see https://a.example", ["https://b.example"]), "urls", "does not stand"),
        (lambda: Link("no link here"), "text", "no http(s) URL"),
        (lambda: Link("see ftp://a.example", ["ftp://a.example"]), "urls", "not an http(s) URL"),
        (lambda: Link("see https://a.example", "https://a.example"), "urls", "list of URLs"),
        (lambda: ProfileShare("12a"), "user_id", "numeric id"),
        (lambda: ProfileShare(True), "user_id", "numeric id"),
        (lambda: MediaShare("abc_1"), "media_id", "digits"),
        (lambda: MediaShare("1_2", media_type="story"), "media_type", "one of"),
        (lambda: Photo("not-a-number"), "upload_id", "numeric id"),
        (lambda: Video("1", duration_ms=-1), "duration_ms", "≥ 0"),
    ],
)
def test_bad_items_are_refused_naming_the_field(build, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build()
    assert caught.value.field == field
    assert words in str(caught.value)


def test_text_of_exactly_the_limit_is_accepted() -> None:
    assert len(Text("é" * 1000).text) == 1000


def test_link_builds_urls_from_text_and_strips_trailing_punctuation() -> None:
    link = Link("Read https://example.com/a?b=1, then (http://x.example/path).")
    assert link.urls == ("https://example.com/a?b=1", "http://x.example/path")
    spec = link.broadcast()
    assert spec.endpoint == "direct_v2/threads/broadcast/link/"
    assert spec.fields == {"link_text": link.text, "link_urls": list(link.urls)}
    assert urls_in("twice https://a.example https://a.example") == ("https://a.example",)


def test_link_with_explicit_urls_keeps_them() -> None:
    link = Link("test link https://google.com", ["https://google.com"])
    assert link.urls == ("https://google.com",)
    assert link.to_dict() == {"kind": "link", "text": link.text, "urls": ["https://google.com"]}


def test_profile_and_media_share_fields() -> None:
    profile = ProfileShare(34567890).broadcast("classic")
    assert (profile.kind, profile.fields) == ("profile", {"profile_user_id": "34567890"})
    share = MediaShare("3141592_25025320", media_type="video").broadcast()
    assert share.kind == "media_share"
    assert share.fields == {"media_id": "3141592_25025320"}
    assert share.params == {"media_type": "video"}
    assert MediaShare("1212121289898989343434").media_type == "photo"


def test_photo_routes() -> None:
    photo = Photo.from_upload(_upload("photo"))
    attachment = photo.broadcast("attachment")
    assert attachment.kind == "photo_attachment"
    assert attachment.fields["attachment_fbid"] == "555"
    assert not attachment.signed
    classic = photo.broadcast("classic")
    assert classic.kind == "configure_photo"
    assert classic.fields == {"upload_id": "1700000000000", "allow_full_aspect_ratio": "true"}


def test_video_routes() -> None:
    video = Video.from_upload(_upload("video", duration_ms=4500).to_dict())
    attachment = video.broadcast()
    assert (attachment.kind, attachment.params, attachment.signed) == (
        "raven_attachment",
        {"video": "1"},
        True,
    )
    assert attachment.fields["attachment_fbid"] == attachment.fields["video_result"] == "555"
    assert attachment.fields["length"] == 4.5
    classic = video.broadcast("classic")
    assert classic.kind == "configure_video"
    assert classic.fields == {"upload_id": "1700000000000", "video_result": "", "sampled": "true"}


def test_upload_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(InvalidInput, match="is a photo upload; a video upload"):
        Video.from_upload(_upload("photo"))
    with pytest.raises(InvalidInput, match="is a video upload") as caught:
        Photo.from_upload(_upload("video").to_dict())
    assert caught.value.field == "upload_id"


def test_attachment_route_needs_the_media_id() -> None:
    with pytest.raises(InvalidInput, match="from_upload") as caught:
        Photo("1700000000000").broadcast("attachment")
    assert caught.value.field == "upload_id"
    assert Photo("1700000000000").broadcast("classic").kind == "configure_photo"


def test_unknown_route_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        Text("hi").broadcast("carrier-pigeon")
    assert caught.value.field == "route"


def test_items_are_immutable_and_round_trip_through_dicts() -> None:
    items = [
        Text("hi"),
        Link("go https://a.example"),
        ProfileShare("1"),
        MediaShare("2_3"),
        Photo("4", media_id="5"),
        Video("6", media_id="7", duration_ms=8),
        Voice("9", waveform=(0.0, 0.5, 1.0), media_id="10", duration_ms=300),
    ]
    assert sorted(ITEM_TYPES) == sorted(item.kind for item in items)
    for item in items:
        assert item_from_dict(item.to_dict()) == item
    with pytest.raises(AttributeError):
        items[0].text = "changed"  # type: ignore[misc]
    with pytest.raises(InvalidInput):
        item_from_dict({"kind": "sticker"})
