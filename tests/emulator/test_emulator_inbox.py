"""Inbox, pending inbox, threads, pagination, thread actions and the directory."""

from __future__ import annotations

import json

from emulator_api import Api

from airflow_provider_dm.emulator.control import EmulatorControl

INBOX_KEYS = {
    "has_older",
    "unseen_count",
    "unseen_count_ts",
    "oldest_cursor",
    "prev_cursor",
    "next_cursor",
    "blended_inbox_enabled",
}
TOP_KEYS = {"seq_id", "snapshot_at_ms", "pending_requests_total", "has_pending_top_requests"}
THREAD_KEYS = {
    "thread_v2_id",
    "thread_id",
    "items",
    "users",
    "admin_user_ids",
    "last_activity_at",
    "muted",
    "named",
    "canonical",
    "pending",
    "archived",
    "thread_type",
    "thread_title",
    "folder",
    "vc_muted",
    "is_group",
    "mentions_muted",
    "approval_required_for_new_members",
    "input_mode",
    "left_users",
}


def test_inbox_shape_and_viewer_view(api: Api, seed: dict) -> None:
    body = api.get("direct_v2/inbox/").json()
    assert body["inbox"].keys() >= INBOX_KEYS and body.keys() >= TOP_KEYS
    assert body["viewer"]["username"] == "airflow_demo"
    assert body["pending_requests_total"] == 1 and body["has_pending_top_requests"] is True
    threads = body["inbox"]["threads"]
    assert [t["thread_id"] for t in threads] == [
        t["thread_id"] for t in seed["threads"] if not t["pending"]
    ]
    activity = [t["last_activity_at"] for t in threads]
    assert activity == sorted(activity, reverse=True)
    viewer = seed["viewer"]["pk"]
    for thread in threads:
        assert thread.keys() >= THREAD_KEYS
        assert isinstance(thread["thread_id"], str) and len(thread["thread_id"]) == 39
        assert viewer not in [u["pk"] for u in thread["users"]]
        for item in thread["items"]:
            assert isinstance(item["item_id"], str) and isinstance(item["user_id"], int)
    assert body["inbox"]["has_older"] is False and body["inbox"]["oldest_cursor"] is None


def test_pending_inbox_and_approve(api: Api, seed: dict) -> None:
    pending = api.get("direct_v2/pending_inbox/").json()["inbox"]["threads"]
    assert len(pending) == 1 and pending[0]["pending"] is True
    thread_id = pending[0]["thread_id"]
    assert api.post(f"direct_v2/threads/{thread_id}/approve/", {"filter": "DEFAULT"}).ok
    assert api.get("direct_v2/pending_inbox/").json()["inbox"]["threads"] == []
    inbox = api.get("direct_v2/inbox/").json()["inbox"]["threads"]
    assert thread_id in [t["thread_id"] for t in inbox]


def test_unread_and_flagged_filters_and_seen(api: Api) -> None:
    unread = api.get("direct_v2/inbox/", params={"selected_filter": "unread"}).json()["inbox"]
    assert unread["unseen_count"] == 1 and len(unread["threads"]) == 1
    thread = unread["threads"][0]
    flagged = api.get("direct_v2/inbox/", params={"selected_filter": "flagged"}).json()["inbox"]
    assert [t["thread_id"] for t in flagged["threads"]] == [thread["thread_id"]]
    newest = thread["items"][0]["item_id"]
    seen = api.post(f"direct_v2/threads/{thread['thread_id']}/items/{newest}/seen/")
    assert seen.json() == {**seen.json(), "status": "ok", "unseen_count": 0}
    after = api.get("direct_v2/inbox/", params={"selected_filter": "unread"}).json()["inbox"]
    assert after["threads"] == [] and after["unseen_count"] == 0
    bad = api.get("direct_v2/inbox/", params={"selected_filter": "starred"})
    assert bad.status_code == 400 and "selected_filter" in bad.json()["message"]


def test_unseen_count_follows_every_change(api: Api, emulator: EmulatorControl, seed: dict) -> None:
    def unseen() -> int:
        return api.get("direct_v2/inbox/").json()["inbox"]["unseen_count"]

    assert unseen() == unseen() == 1
    inbox = api.get("direct_v2/inbox/", params={"limit": 100}).json()["inbox"]["threads"]
    read = {t["thread_id"] for t in inbox} - set(_unread_ids(api))
    thread = next(t for t in seed["threads"] if t["thread_id"] in read)
    emulator.incoming(thread["thread_id"], thread["users"][0], "new")
    assert unseen() == 2
    newest = api.get(f"direct_v2/threads/{thread['thread_id']}/").json()["thread"]["items"][0]
    seen = api.post(f"direct_v2/threads/{thread['thread_id']}/items/{newest['item_id']}/seen/")
    assert seen.json()["unseen_count"] == 1 and unseen() == 1
    assert api.post(f"direct_v2/threads/{thread['thread_id']}/mark_unread/").ok
    assert unseen() == 2


def _unread_ids(api: Api) -> list[str]:
    inbox = api.get("direct_v2/inbox/", params={"selected_filter": "unread"}).json()["inbox"]
    return [t["thread_id"] for t in inbox["threads"]]


def test_inbox_pagination_to_the_end_on_bulk(bulk_emulator: EmulatorControl) -> None:
    api = Api(bulk_emulator.url).login()
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 37, "thread_message_limit": 1}
        if cursor:
            params.update(cursor=cursor, direction="older")
        inbox = api.get("direct_v2/inbox/", params=params).json()["inbox"]
        seen += [t["thread_id"] for t in inbox["threads"]]
        pages += 1
        if not inbox["has_older"]:
            assert inbox["oldest_cursor"] is None
            break
        cursor = inbox["oldest_cursor"]
        assert isinstance(cursor, str)
    expected = sorted((t["thread_id"] for t in bulk_emulator.seed()["threads"]), reverse=True)
    assert pages == 28
    assert len(seen) == len(set(seen)) == 1000
    assert sorted(seen, reverse=True) == expected


def test_thread_item_pagination(bulk_emulator: EmulatorControl) -> None:
    api = Api(bulk_emulator.url).login()
    thread_id = bulk_emulator.seed()["threads"][5]["thread_id"]
    items: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 7, **({"cursor": cursor, "direction": "older"} if cursor else {})}
        thread = api.get(f"direct_v2/threads/{thread_id}/", params=params).json()["thread"]
        items += thread["items"]
        if not thread["has_older"]:
            assert thread["oldest_cursor"] is None
            break
        cursor = thread["oldest_cursor"]
    ids = [i["item_id"] for i in items]
    assert len(ids) == len(set(ids)) == 20
    assert ids == sorted(ids, reverse=True)
    timestamps = [i["timestamp"] for i in items]
    assert timestamps == sorted(timestamps, reverse=True)


def test_garbled_cursors(api: Api, seed: dict) -> None:
    inbox = api.get("direct_v2/inbox/", params={"cursor": "%%%not-a-cursor", "direction": "older"})
    assert inbox.status_code == 400 and inbox.json() == {
        "message": "Invalid cursor",
        "status": "fail",
    }
    thread_id = seed["threads"][0]["thread_id"]
    thread = api.get(f"direct_v2/threads/{thread_id}/", params={"cursor": "abc"})
    assert thread.status_code == 400 and thread.json()["message"] == "Invalid cursor"
    assert api.get("direct_v2/inbox/", params={"limit": "many"}).status_code == 400


def test_thread_without_trailing_slash_and_unknown(api: Api, seed: dict) -> None:
    thread_id = seed["threads"][0]["thread_id"]
    thread = api.get(f"direct_v2/threads/{thread_id}").json()["thread"]
    assert thread["thread_id"] == thread_id and thread["items"]
    assert api.get("direct_v2/threads/340282366841710300949128999999999999999/").status_code == 404


def test_get_by_participants_and_create_group(api: Api, seed: dict) -> None:
    users = {u["username"]: u["pk"] for u in seed["users"]}
    alice, carol, dave = users["alice_demo"], users["carol_demo"], users["dave_demo"]
    found = api.get(
        "direct_v2/threads/get_by_participants/", params={"recipient_users": json.dumps([alice])}
    ).json()
    assert [u["pk"] for u in found["thread"]["users"]] == [alice]
    assert found["users"] == found["thread"]["users"]
    none = api.get(
        "direct_v2/threads/get_by_participants/",
        params={"recipient_users": json.dumps([alice, dave])},
    ).json()
    assert none == {"status": "ok"}
    created = api.signed(
        "direct_v2/create_group_thread/",
        {"recipient_users": json.dumps([str(alice), str(dave)]), "thread_title": "New group"},
    ).json()
    assert created["thread_id"] == created["thread"]["thread_id"]
    assert created["is_group"] is True and created["thread_title"] == "New group"
    again = api.get(
        "direct_v2/threads/get_by_participants/",
        params={"recipient_users": json.dumps([dave, alice])},
    ).json()
    assert again["thread"]["thread_id"] == created["thread_id"]
    one = api.signed("direct_v2/create_group_thread/", {"recipient_users": f"[{carol}]"}).json()
    carol_thread = next(t for t in seed["threads"] if t["users"] == [carol])
    assert one["thread_id"] == carol_thread["thread_id"]
    bad = api.signed("direct_v2/create_group_thread/", {"recipient_users": "[1]"})
    assert bad.status_code == 400 and "recipient_users" in bad.json()["message"]


def test_thread_actions(api: Api, emulator: EmulatorControl, seed: dict) -> None:
    thread_id = seed["threads"][0]["thread_id"]
    base = f"direct_v2/threads/{thread_id}"
    assert api.post(f"{base}/mute/").ok
    assert api.get(f"{base}/").json()["thread"]["muted"] is True
    assert api.post(f"{base}/unmute/").ok
    assert api.get(f"{base}/").json()["thread"]["muted"] is False
    mine = api.send("text", {"text": "to be deleted", "client_context": "1"}, thread_id).json()
    item_id = mine["payload"]["item_id"]
    assert api.post(f"{base}/items/{item_id}/delete/").ok
    items = api.get(f"{base}/").json()["thread"]["items"]
    assert item_id not in [i["item_id"] for i in items]
    theirs = next(i for i in items if not i["is_sent_by_viewer"])
    assert api.post(f"{base}/items/{theirs['item_id']}/delete/").status_code == 400
    assert api.post(f"{base}/items/1/seen/").status_code == 404
    assert api.post(f"{base}/mark_unread/").ok
    assert api.get(f"{base}/").json()["thread"]["read_state"] == 1
    assert api.post(f"{base}/hide/").ok
    inbox = api.get("direct_v2/inbox/").json()["inbox"]["threads"]
    assert thread_id not in [t["thread_id"] for t in inbox]
    spam = api.get("direct_v2/spam_inbox/").json()["inbox"]["threads"]
    assert [t["thread_id"] for t in spam] == [thread_id]


def test_incoming_item_is_unread_for_viewer(api: Api, emulator: EmulatorControl, seed: dict):
    thread = next(t for t in seed["threads"] if not t["is_group"] and not t["pending"])
    item = emulator.incoming(thread["thread_id"], thread["users"][0], "are you there?")
    assert item["text"] == "are you there?" and item["user_id"] == thread["users"][0]
    inbox = api.get("direct_v2/inbox/", params={"selected_filter": "unread"}).json()["inbox"]
    first = inbox["threads"][0]
    assert first["thread_id"] == thread["thread_id"]
    assert first["items"][0]["item_id"] == item["item_id"]
    assert first["items"][0]["is_sent_by_viewer"] is False
    assert emulator.ledger() == []


def test_directory(api: Api, seed: dict) -> None:
    user = api.get("users/alice_demo/usernameinfo/").json()["user"]
    assert user["username"] == "alice_demo" and isinstance(user["pk"], int)
    assert api.get("users/no_such_user_x/usernameinfo/").status_code == 404
    by_q = api.get("users/search/", params={"q": "bob", "count": 5}).json()
    by_query = api.get("users/search/", params={"query": "bob"}).json()
    assert (
        [u["username"] for u in by_q["users"]]
        == ["bob_demo"]
        == [u["username"] for u in by_query["users"]]
    )
    assert api.get("users/search/").status_code == 400
    feed = api.get(f"feed/user/{user['pk']}/").json()
    ids = {m["id"] for m in seed["media"] if m["owner_pk"] == user["pk"]}
    assert {m["id"] for m in feed["items"]} == ids and len(ids) == 3
    assert api.get("feed/user/1/").status_code == 404
    ranked = api.get("direct_v2/ranked_recipients/", params={"query": "al"}).json()
    assert [r["user"]["username"] for r in ranked["ranked_recipients"]] == ["alice_demo"]
