"""Every broadcast kind: happy path, validation errors, destinations, dedupe, the ledger."""

from __future__ import annotations

import json

import pytest
from emulator_api import Api, jpeg, mp4

from airflow_provider_dm.emulator.control import EmulatorControl


def first_thread(seed: dict) -> str:
    return seed["threads"][0]["thread_id"]


def user_pk(seed: dict, username: str) -> int:
    return next(u["pk"] for u in seed["users"] if u["username"] == username)


def test_text_response_item_and_ledger(api: Api, emulator: EmulatorControl, seed: dict) -> None:
    thread_id = first_thread(seed)
    response = api.send(
        "text", {"text": "hello", "client_context": "6800011111111111111"}, thread_id
    )
    body = response.json()
    assert response.status_code == 200 and body["action"] == "item_ack"
    payload = body["payload"]
    assert payload["thread_id"] == thread_id and payload["client_context"] == "6800011111111111111"
    assert isinstance(payload["item_id"], str) and payload["timestamp"].isdigit()
    assert body["message_metadata"][0]["participant_ids"] == [
        str(u) for u in seed["threads"][0]["users"]
    ]
    newest = api.get(f"direct_v2/threads/{thread_id}/").json()["thread"]["items"][0]
    assert newest["item_id"] == payload["item_id"] and newest["text"] == "hello"
    assert newest["client_context"] == "6800011111111111111" and newest["is_sent_by_viewer"]
    (row,) = emulator.ledger()
    assert row["kind"] == "text" and row["item_type"] == "text" and row["upload"] is None
    assert row["fields"]["text"] == "hello" and row["sender_pk"] == seed["viewer"]["pk"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 1001}, "1000"),
        ({"text": "hi", "thread_ids": "[]"}, "exactly one"),
        ({"text": "hi", "thread_ids": "not json"}, "thread_ids"),
        ({"text": "hi", "thread_ids": '["1"]'}, "unknown thread"),
        ({"text": "hi", "recipient_users": '["5110000101"]'}, "list of lists"),
        ({"text": "hi", "recipient_users": "[[1]]"}, "unknown user"),
    ],
)
def test_text_validation(api: Api, emulator: EmulatorControl, seed: dict, fields, message) -> None:
    data = {"thread_ids": json.dumps([first_thread(seed)]), **fields}
    if "recipient_users" in fields:
        data.pop("thread_ids")
    response = api.post("direct_v2/threads/broadcast/text/", data)
    assert response.status_code == 400
    assert message in response.json()["message"] and response.json()["status"] == "fail"
    assert emulator.ledger() == []


def test_both_destinations_is_refused(api: Api, seed: dict) -> None:
    data = {
        "text": "hi",
        "thread_ids": json.dumps([first_thread(seed)]),
        "recipient_users": "[[5110000101]]",
    }
    assert api.post("direct_v2/threads/broadcast/text/", data).status_code == 400


def test_dedupe_by_client_context(api: Api, emulator: EmulatorControl, seed: dict) -> None:
    thread_id = first_thread(seed)
    first = api.send("text", {"text": "once", "client_context": "42"}, thread_id).json()
    again = api.send("text", {"text": "once", "client_context": "42"}, thread_id).json()
    assert again["payload"] == first["payload"]
    by_token = api.send("text", {"text": "x", "mutation_token": "43"}, thread_id).json()
    assert (
        api.send("text", {"text": "x", "mutation_token": "43"}, thread_id).json()["payload"]
        == by_token["payload"]
    )
    other = api.send("text", {"text": "once", "client_context": "44"}, thread_id).json()
    assert other["payload"]["item_id"] != first["payload"]["item_id"]
    assert len(emulator.ledger()) == 3
    items = api.get(f"direct_v2/threads/{thread_id}/").json()["thread"]["items"]
    assert [i.get("client_context") for i in items[:3]] == ["44", "43", "42"]


def test_dedupe_switched_off_adds_a_repeat(api: Api, emulator: EmulatorControl, seed) -> None:
    thread_id = first_thread(seed)
    assert emulator.configure(dedupe=False) == {"transcode_polls": 1, "dedupe": False}
    first = api.send("text", {"text": "twice", "client_context": "42"}, thread_id).json()
    again = api.send("text", {"text": "twice", "client_context": "42"}, thread_id).json()
    assert again["payload"]["item_id"] != first["payload"]["item_id"]
    assert [row["client_context"] for row in emulator.ledger()] == ["42", "42"]
    with pytest.raises(RuntimeError, match="Invalid dedupe"):
        emulator._call("POST", "config", {"dedupe": "no"})
    emulator.reset()
    assert emulator.configure()["dedupe"] is True


def test_recipient_users_reuses_or_creates_thread(api: Api, seed: dict) -> None:
    alice, dave = user_pk(seed, "alice_demo"), user_pk(seed, "dave_demo")
    existing = next(t["thread_id"] for t in seed["threads"] if t["users"] == [alice])
    sent = api.post(
        "direct_v2/threads/broadcast/text/", {"text": "hi", "recipient_users": f'[["{alice}"]]'}
    )
    assert sent.json()["payload"]["thread_id"] == existing
    group = api.post(
        "direct_v2/threads/broadcast/text/",
        {"text": "hi", "recipient_users": json.dumps([[alice, dave]])},
    ).json()["payload"]["thread_id"]
    assert group not in [t["thread_id"] for t in seed["threads"]]
    thread = api.get(f"direct_v2/threads/{group}/").json()["thread"]
    assert thread["is_group"] and sorted(u["pk"] for u in thread["users"]) == sorted([alice, dave])


def test_new_thread_lands_in_recipients_pending_inbox(
    emulator: EmulatorControl, seed: dict
) -> None:
    erin = user_pk(seed, "erin_demo")
    sender = Api(emulator.url).login()
    thread_id = sender.post(
        "direct_v2/threads/broadcast/text/", {"text": "hi Erin", "recipient_users": f"[[{erin}]]"}
    ).json()["payload"]["thread_id"]
    inbox = sender.get("direct_v2/inbox/").json()["inbox"]["threads"]
    assert inbox[0]["thread_id"] == thread_id and inbox[0]["pending"] is False
    erin_api = Api(emulator.url).login("erin_demo")
    pending = erin_api.get("direct_v2/pending_inbox/").json()["inbox"]["threads"]
    assert [t["thread_id"] for t in pending] == [thread_id]
    assert thread_id not in [
        t["thread_id"] for t in erin_api.get("direct_v2/inbox/").json()["inbox"]["threads"]
    ]


def test_link(api: Api, emulator: EmulatorControl, seed: dict) -> None:
    thread_id = first_thread(seed)
    text = "see https://example.com/a and http://example.org"
    ok = api.send(
        "link",
        {"link_text": text, "link_urls": '["https://example.com/a","http://example.org"]'},
        thread_id,
    )
    assert ok.status_code == 200
    item = api.get(f"direct_v2/threads/{thread_id}/").json()["thread"]["items"][0]
    assert item["item_type"] == "link" and item["link"]["text"] == text
    assert item["link"]["link_context"]["link_url"] == "https://example.com/a"
    for urls, message in [
        ("https://example.com/a", "JSON"),
        ('["https://elsewhere.com"]', "does not appear"),
        ('["ftp://example.com/a"]', "not a URL"),
        ("[]", "link_urls"),
    ]:
        bad = api.send("link", {"link_text": text, "link_urls": urls}, thread_id)
        assert bad.status_code == 400 and message in bad.json()["message"], (urls, bad.text)
    assert len(emulator.ledger()) == 1


def test_profile_and_media_shares(api: Api, seed: dict) -> None:
    thread_id = first_thread(seed)
    alice = user_pk(seed, "alice_demo")
    assert api.send("profile", {"profile_user_id": str(alice)}, thread_id).ok
    assert api.send("profile", {"profile_user_id": "1"}, thread_id).status_code == 400
    media = seed["media"][0]
    full = api.post(
        "direct_v2/threads/broadcast/media_share/?media_type=photo",
        {"media_id": media["id"], "thread_ids": json.dumps([thread_id])},
    )
    assert full.status_code == 200
    bare = api.send("media_share", {"media_id": media["id"].split("_")[0]}, thread_id)
    assert bare.status_code == 200
    bad = api.send("media_share", {"media_id": "1_2"}, thread_id)
    assert bad.status_code == 400 and bad.json()["message"] == "Invalid media_id"
    items = api.get(f"direct_v2/threads/{thread_id}/").json()["thread"]["items"]
    assert [i["item_type"] for i in items[:3]] == ["media_share", "media_share", "profile"]
    assert items[0]["media_share"]["id"] == media["id"] and items[2]["profile"]["pk"] == alice
    for kind, field in (("reel_share", "media_id"), ("story_share", "story_media_id")):
        assert api.send(kind, {field: media["id"], "text": "nice"}, thread_id).ok, kind
        assert api.send(kind, {field: "99"}, thread_id).status_code == 400


def test_like_hashtag_location_and_reaction(
    api: Api, emulator: EmulatorControl, seed: dict
) -> None:
    thread_id = first_thread(seed)
    assert api.send("like", {}, thread_id).ok
    assert api.send("hashtag", {"hashtag": "airflow"}, thread_id).ok
    assert api.send("location", {"venue_id": "123"}, thread_id).ok
    target = api.get(f"direct_v2/threads/{thread_id}/").json()["thread"]["items"][-1]
    react = api.send(
        "reaction",
        {
            "item_id": target["item_id"],
            "reaction_status": "created",
            "emoji": "🔥",
            "client_context": "9",
        },
        thread_id,
    )
    assert react.json()["payload"]["item_id"] == target["item_id"]
    items = api.get(f"direct_v2/threads/{thread_id}/", params={"limit": 100}).json()["thread"][
        "items"
    ]
    reacted = next(i for i in items if i["item_id"] == target["item_id"])
    assert reacted["reactions"]["emojis"][0]["emoji"] == "🔥"
    assert api.send("reaction", {"item_id": "1"}, thread_id).status_code == 400
    assert [r["kind"] for r in emulator.ledger()] == ["like", "hashtag", "location", "reaction"]
    assert api.send("nonsense", {}, thread_id).status_code == 404


def photo_upload(api: Api, upload_id: str = "1700000000001") -> str:
    name = f"{upload_id}_0_1234567890"
    data = jpeg(80, 60)
    headers = {
        "X-Instagram-Rupload-Params": json.dumps({"upload_id": upload_id, "media_type": "1"}),
        "X-Entity-Name": name,
        "X-Entity-Length": str(len(data)),
        "Offset": "0",
        "Content-Type": "application/octet-stream",
    }
    response = api.upload("POST", f"rupload_igphoto/{name}", data=data, headers=headers)
    assert response.status_code == 200, response.text
    return upload_id


def test_configure_photo(api: Api, emulator: EmulatorControl, seed: dict) -> None:
    thread_id = first_thread(seed)
    upload_id = photo_upload(api)
    sent = api.send(
        "configure_photo", {"upload_id": upload_id, "allow_full_aspect_ratio": "true"}, thread_id
    )
    assert sent.status_code == 200
    item = api.get(f"direct_v2/threads/{thread_id}/").json()["thread"]["items"][0]
    assert item["item_type"] == "media" and item["media"]["media_type"] == 1
    assert item["media"]["original_width"] == 80
    row = emulator.ledger()[0]
    assert row["upload"]["upload_id"] == upload_id and row["upload"]["width"] == 80
    assert api.send("configure_photo", {"upload_id": "999"}, thread_id).status_code == 400


def messenger(api: Api, route: str, data: bytes, name: str = "fb_uploader_1700000000000") -> int:
    headers = {"X-Entity-Name": name, "X-Entity-Length": str(len(data)), "Offset": "0"}
    response = api.upload("POST", f"{route}/{name}", data=data, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["media_id"]


def test_attachments(api: Api, emulator: EmulatorControl, seed: dict) -> None:
    thread_id = first_thread(seed)
    image = messenger(api, "messenger_image", jpeg())
    video = messenger(api, "messenger_video", mp4(), "a" * 32 + "-0-4096-1-1")
    audio = messenger(api, "messenger_audio", mp4(2048), "1700000000002_0_77")
    assert api.send("photo_attachment", {"attachment_fbid": str(image)}, thread_id).ok
    assert (
        api.send("photo_attachment", {"attachment_fbid": str(video)}, thread_id).status_code == 400
    )
    raven = api.signed(
        "direct_v2/threads/broadcast/raven_attachment/?video=1",
        {
            "thread_ids": [thread_id],
            "attachment_fbid": str(video),
            "video_result": str(video),
            "view_mode": "permanent",
            "length": 2.5,
            "client_context": "77",
            "mutation_token": "77",
        },
    )
    assert raven.status_code == 200, raven.text
    once = api.signed(
        "direct_v2/threads/broadcast/raven_attachment/?video=1",
        {"thread_ids": [thread_id], "attachment_fbid": str(video), "view_mode": "once"},
    )
    assert once.status_code == 200
    voice = api.send(
        "voice_attachment", {"attachment_fbid": str(audio), "waveform": "[0.1,0.5]"}, thread_id
    )
    assert voice.ok
    assert (
        api.send(
            "voice_attachment", {"attachment_fbid": str(audio), "waveform": '["a"]'}, thread_id
        ).status_code
        == 400
    )
    items = api.get(f"direct_v2/threads/{thread_id}/").json()["thread"]["items"]
    assert [i["item_type"] for i in items[:4]] == ["voice_media", "raven_media", "media", "media"]
    assert items[2]["media"]["media_type"] == 2 and items[3]["media"]["media_type"] == 1
    assert [r["kind"] for r in emulator.ledger()] == [
        "photo_attachment",
        "raven_attachment",
        "raven_attachment",
        "voice_attachment",
    ]
    assert emulator.ledger()[0]["upload"]["media_id"] == str(image)
    # a messenger_video upload carries no duration: the send's `length` (seconds) gives it
    assert items[2]["media"]["video_duration"] == 2.5
    assert [r["upload"]["duration_ms"] for r in emulator.ledger()[1:3]] == [2500, None]
