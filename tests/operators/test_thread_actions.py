"""The thread-action operators as DAG runs (``dag.test()``) against the emulator: what each
changes in the thread and inbox payloads and the ledger, the idempotent repeats
(``already_done``), and the refusals (no retry, the field named)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.item_refs import parse_item_refs
from airflow_provider_dm.client.items import Text

pytestmark = pytest.mark.usefixtures("demo_connections")

ALICE, BOB, CAROL, DAVE, ERIN = 5110000101, 5110000102, 5110000103, 5110000104, 5110000105
VIEWER = 5110000001
PREFIX = "340282366841710300949128"
CAROL_THREAD, GROUP_THREAD, ALICE_THREAD, BOB_THREAD, DAVE_REQUEST = (
    f"{PREFIX}{n:015d}" for n in range(1, 6)
)


@pytest.fixture
def viewer(emulator) -> Iterator[DirectClient]:
    """The account itself, logged in directly, to look at what the tasks changed."""
    client = DirectClient(api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/")
    client.login("airflow_demo", "demo-password")
    yield client
    client.close()


def _items(client: DirectClient, thread_id: str) -> list[dict]:
    return list(client.get_thread(thread_id).raw["items"])


def _failed_without_retry(outcome, task_id: str) -> None:
    assert outcome.state == "failed"
    assert outcome.state_of(task_id) == "failed"
    assert outcome.tries[(task_id, -1)] == 1


# -- mark seen ---------------------------------------------------------------------------------


def test_mark_seen_moves_the_mark_to_the_newest_item_once(
    run_dag, fresh_sessions, emulator, viewer
):
    newest = _items(viewer, BOB_THREAD)[0]["item_id"]
    assert viewer.get_thread(BOB_THREAD).unseen

    first = run_dag("dm_mark_seen", {"thread_id": BOB_THREAD})
    again = run_dag("dm_mark_seen", {"thread_id": BOB_THREAD})

    assert first.result("seen") == {"thread_id": BOB_THREAD, "item_id": newest, "status": "seen"}
    assert again.result("seen")["status"] == "already_done"
    thread = viewer.get_thread(BOB_THREAD)
    assert thread.raw["last_seen_at"][str(VIEWER)]["item_id"] == newest
    assert not thread.unseen
    seen = [a for a in emulator.actions() if a["action"] == "seen"]
    assert [(a["thread_id"], a["item_id"]) for a in seen] == [(BOB_THREAD, newest)]


def test_mark_seen_refuses_a_bad_thread_id_without_retry(run_dag, fresh_sessions, emulator):
    outcome = run_dag("dm_mark_seen", {"thread_id": "../inbox"})
    _failed_without_retry(outcome, "seen")
    assert emulator.actions() == []


# -- react and unsend --------------------------------------------------------------------------


def test_send_then_react_then_unsend_from_the_send_result(
    run_dag, fresh_sessions, emulator, viewer
):
    outcome = run_dag("dm_send_react_unsend", {"text": "to be unsent", "threads": [ALICE_THREAD]})

    assert outcome.state == "success", outcome.states
    (sent,) = outcome.result("send")
    assert outcome.result("react") == [
        {"thread_id": ALICE_THREAD, "item_id": sent["item_id"], "status": "reacted"}
    ]
    assert outcome.result("unsend") == [
        {"thread_id": ALICE_THREAD, "item_id": sent["item_id"], "status": "unsent"}
    ]
    assert sent["item_id"] not in {i["item_id"] for i in _items(viewer, ALICE_THREAD)}
    kinds = [(e["kind"], e["item_id"]) for e in emulator.ledger()]
    assert kinds == [("text", sent["item_id"]), ("reaction", sent["item_id"])]
    assert [(a["action"], a["item_id"]) for a in emulator.actions()] == [
        ("delete", sent["item_id"])
    ]


def test_unsend_of_an_item_already_gone_is_already_done(run_dag, fresh_sessions, emulator, viewer):
    (sent,) = viewer.send(Text("x"), threads=[CAROL_THREAD])
    items = [{"thread_id": CAROL_THREAD, "item_id": sent.item_id}]

    first = run_dag("dm_unsend", {"items": items})
    again = run_dag("dm_unsend", {"items": items})

    assert first.result("unsend")[0]["status"] == "unsent"
    assert again.result("unsend") == [
        {"thread_id": CAROL_THREAD, "item_id": sent.item_id, "status": "already_done"}
    ]
    assert len([a for a in emulator.actions() if a["action"] == "delete"]) == 1


def test_unsend_refuses_another_persons_item_from_a_fetch_naming_it(
    run_dag, fresh_sessions, emulator, viewer
):
    before = _items(viewer, BOB_THREAD)
    outcome = run_dag("dm_fetch_unsend", {"thread_id": BOB_THREAD})

    _failed_without_retry(outcome, "unsend")
    assert _items(viewer, BOB_THREAD) == before
    assert emulator.actions() == []
    assert not [r for r in emulator.requests() if r["path"].endswith("/delete/")]


def test_unsend_refuses_another_persons_item_the_service_refuses(
    run_dag, fresh_sessions, emulator, viewer
):
    bobs = next(i for i in _items(viewer, BOB_THREAD) if i["user_id"] == BOB)
    mine = viewer.send(Text("y"), threads=[BOB_THREAD])[0]
    items = [
        {"thread_id": BOB_THREAD, "item_id": mine.item_id},
        {"thread_id": BOB_THREAD, "item_id": bobs["item_id"]},
    ]

    outcome = run_dag("dm_unsend", {"items": items})

    _failed_without_retry(outcome, "unsend")
    assert bobs["item_id"] in {i["item_id"] for i in _items(viewer, BOB_THREAD)}
    assert [a["item_id"] for a in emulator.actions()] == [mine.item_id]


def test_react_to_fetched_items_and_take_it_back(run_dag, fresh_sessions, emulator, viewer):
    conf = {"thread_id": ALICE_THREAD, "max_items": 2}
    outcome = run_dag("dm_fetch_react", conf)

    fetched = outcome.result("fetch")
    assert [r["status"] for r in outcome.result("react")] == ["reacted", "reacted"]
    items = {i["item_id"]: i for i in _items(viewer, ALICE_THREAD)}
    for summary in fetched:
        (emoji,) = items[summary["item_id"]]["reactions"]["emojis"]
        assert (emoji["emoji"], emoji["sender_id"]) == ("❤️", VIEWER)

    refs = [{"item_id": s["item_id"]} for s in fetched]
    removed = run_dag("dm_react", {"items": refs, "thread_id": ALICE_THREAD, "remove": True})

    assert [r["status"] for r in removed.result("react")] == ["unreacted", "unreacted"]
    items = {i["item_id"]: i for i in _items(viewer, ALICE_THREAD)}
    assert all(not items[s["item_id"]]["reactions"]["emojis"] for s in fetched)


def test_react_refuses_bad_items_naming_the_entry(run_dag, fresh_sessions, emulator):
    bad = [{"thread_id": ALICE_THREAD, "item_id": "123"}, {"thread_id": ALICE_THREAD}]
    outcome = run_dag("dm_react", {"items": bad})
    _failed_without_retry(outcome, "react")
    assert emulator.ledger() == []

    unknown = [{"thread_id": ALICE_THREAD, "item_id": "1" * 35}]
    outcome = run_dag("dm_react", {"items": unknown})
    _failed_without_retry(outcome, "react")


def test_item_refs_parser_takes_every_source_and_names_bad_entries():
    send_records = [
        {"destination": "thread:1", "thread_id": "1", "item_id": "11", "status": "sent"},
        {"destination": "thread:2", "thread_id": None, "item_id": None, "status": "failed"},
    ]
    summaries = [{"item_id": "12", "user_id": 7, "text": "hi"}]
    refs = parse_item_refs([send_records, *summaries], default_thread_id="3")
    assert [(r.thread_id, r.item_id, r.user_id, r.field) for r in refs] == [
        ("1", "11", None, "items[0][0]"),
        ("3", "12", 7, "items[1]"),
    ]
    with pytest.raises(InvalidInput, match=r"items\[1\]: has no thread_id"):
        parse_item_refs([{"thread_id": "1", "item_id": "2"}, {"item_id": "3"}])
    with pytest.raises(InvalidInput, match=r"items\[0\]\.item_id"):
        parse_item_refs([{"thread_id": "1", "item_id": "x/../"}])
    with pytest.raises(InvalidInput, match="items: must be a list"):
        parse_item_refs("1:2")


# -- message requests --------------------------------------------------------------------------


def test_approve_moves_requests_to_the_inbox_and_a_repeat_is_already_done(
    run_dag, fresh_sessions, emulator, viewer
):
    spam = emulator.message_request("erin_demo", "cheap followers here")["thread_id"]

    outcome = run_dag("dm_approve", {"from_users": ["@dave_demo"]})

    assert outcome.result("approve") == {
        "thread_ids": [DAVE_REQUEST],
        "done": [DAVE_REQUEST],
        "already_done": [],
    }
    inbox = {t.thread_id: t for t in viewer.iter_inbox()}
    assert not inbox[DAVE_REQUEST].pending
    assert [t.thread_id for t in viewer.iter_inbox(pending=True)] == [spam]

    again = run_dag("dm_approve", {"thread_ids": [DAVE_REQUEST]})
    assert again.result("approve")["already_done"] == [DAVE_REQUEST]
    assert [a["action"] for a in emulator.actions()] == ["approve"]


def test_decline_by_spam_pattern_in_bulk(run_dag, fresh_sessions, emulator, viewer):
    one = emulator.message_request("erin_demo", "Cheap FOLLOWERS, click here")["thread_id"]
    two = emulator.message_request("alice_demo", "free followers!!!")["thread_id"]

    outcome = run_dag("dm_decline", {"text_pattern": "(?i)followers"})

    result = outcome.result("decline")
    assert sorted(result["thread_ids"]) == sorted([one, two])
    assert result["already_done"] == []
    assert [t.thread_id for t in viewer.iter_inbox(pending=True)] == [DAVE_REQUEST]
    bulk = [r for r in emulator.requests() if r["path"].endswith("decline_multiple/")]
    assert len(bulk) == 1
    again = run_dag("dm_decline", {"thread_ids": [one, two], "bulk": False})
    assert sorted(again.result("decline")["already_done"]) == sorted([one, two])


def test_approve_followed_only_with_max_threads(run_dag, fresh_sessions, emulator, viewer):
    followed = [
        emulator.message_request("bob_demo", f"hi {n}", followed=True)["thread_id"]
        for n in range(2)
    ]
    outcome = run_dag("dm_approve", {"followed_only": True, "max_threads": 1})
    assert outcome.result("approve")["done"] == [followed[1]]
    pending = {t.thread_id for t in viewer.iter_inbox(pending=True)}
    assert pending == {DAVE_REQUEST, followed[0]}


def test_approve_refuses_a_bad_pattern_and_an_unknown_user(run_dag, fresh_sessions, emulator):
    _failed_without_retry(run_dag("dm_approve", {"text_pattern": "("}), "approve")
    _failed_without_retry(run_dag("dm_approve", {"from_users": ["@no_such_user"]}), "approve")
    assert emulator.actions() == []


# -- groups ------------------------------------------------------------------------------------


def test_create_group_by_usernames_then_update_it(run_dag, fresh_sessions, emulator, viewer):
    conf = {"users": ["@alice_demo", DAVE], "title": "Project"}
    created = run_dag("dm_create_group", conf).result("group")
    again = run_dag("dm_create_group", conf).result("group")

    assert created["status"] == "created" and created["user_ids"] == [ALICE, DAVE]
    assert again == {**created, "status": "already_done"}
    group = viewer.get_thread(created["thread_id"])
    assert (group.title, group.is_group) == ("Project", True)

    changes = {"thread_id": created["thread_id"], "title": "Project X", "add_users": ["@bob_demo"]}
    changes["mute"] = True
    updated = run_dag("dm_update_thread", changes).result("update")
    repeated = run_dag("dm_update_thread", changes).result("update")

    assert updated["actions"] == {"title": "renamed", "add_users": "added", "mute": "muted"}
    assert set(repeated["actions"].values()) == {"already_done"}
    group = viewer.get_thread(created["thread_id"])
    assert group.title == "Project X" and group.muted
    assert {u.pk for u in group.users} == {ALICE, BOB, DAVE}

    left = run_dag("dm_update_thread", {"thread_id": created["thread_id"], "leave": True})
    assert left.result("update")["actions"] == {"leave": "left"}
    assert created["thread_id"] not in {t.thread_id for t in viewer.iter_inbox()}
    actions = [a["action"] for a in emulator.actions()]
    assert actions == ["create_group", "update_title", "add_user", "mute", "leave"]


def test_create_group_refuses_too_few_people_without_retry(run_dag, fresh_sessions, emulator):
    outcome = run_dag("dm_create_group", {"users": ["@alice_demo"]})
    _failed_without_retry(outcome, "group")
    assert emulator.actions() == []


def test_update_thread_hide_and_unmute(run_dag, fresh_sessions, emulator, viewer):
    outcome = run_dag("dm_update_thread", {"thread_id": CAROL_THREAD, "mute": False, "hide": True})
    assert outcome.result("update")["actions"] == {"unmute": "already_done", "hide": "hidden"}
    assert CAROL_THREAD not in {t.thread_id for t in viewer.iter_inbox()}


# -- users -------------------------------------------------------------------------------------


def test_lookup_user_and_the_template_filter(run_dag, fresh_sessions, emulator):
    found = run_dag("dm_lookup_user", {"usernames": ["@alice_demo", "bob_demo"]})
    assert [u["user_id"] for u in found.result("lookup")] == [ALICE, BOB]

    sent = run_dag("dm_user_id_filter", {"username": "@carol_demo"})
    assert sent.state == "success", sent.states
    (record,) = sent.result("send")
    assert record["thread_id"] == CAROL_THREAD
    (entry,) = emulator.ledger()
    assert entry["fields"]["text"] == f"alice is {ALICE} ({ALICE})"
    lookups = [r["path"] for r in emulator.requests() if r["path"].endswith("/usernameinfo/")]
    names = [path.split("/")[-3] for path in lookups]
    # the lookup's two names, then each name of the filter run once (cached per task)
    assert names == ["alice_demo", "bob_demo", "carol_demo", "alice_demo"]


def test_lookup_of_an_unknown_user_fails_without_retry(run_dag, fresh_sessions, emulator):
    outcome = run_dag("dm_lookup_user", {"usernames": "nobody_here"})
    _failed_without_retry(outcome, "lookup")


# -- the example DAG ---------------------------------------------------------------------------


def _run_example(name: str, emulator, conf: dict | None = None):
    """Run an example DAG of dags/ on the default connection, pointed at the emulator; the
    example lives outside the test DAG folder: register it as the DAG processor would."""
    import json
    import os
    from pathlib import Path

    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.models.variable import Variable

    dagbag = DagBag(dag_folder=str(Path(__file__).parents[2] / "dags" / f"{name}.py"))
    assert not dagbag.import_errors, dagbag.import_errors
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(dagbag, "dags-folder", None)
    connection = {
        "conn_type": "instagram_direct",
        "host": f"{emulator.url}/api/v1/",
        "login": "airflow_demo",
        "password": "demo-password",
    }
    os.environ["AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT"] = json.dumps(connection)
    Variable.delete("instagram_direct_session__instagram_direct_default")
    try:
        return dagbag.get_dag(name).test(run_conf=conf or {})
    finally:
        os.environ.pop("AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT")


def test_the_requests_triage_example_approves_followed_and_declines_spam(
    fresh_sessions, emulator, viewer
):
    friend = emulator.message_request("bob_demo", "Hi, it is Bob", followed=True)["thread_id"]
    spam = emulator.message_request("erin_demo", "Cheap followers, click here")["thread_id"]

    dag_run = _run_example("dm_requests_triage", emulator)

    assert str(dag_run.state) == "success"
    assert friend in {t.thread_id for t in viewer.iter_inbox()}
    assert [t.thread_id for t in viewer.iter_inbox(pending=True)] == [DAVE_REQUEST]
    actions = [(a["action"], a["thread_id"]) for a in emulator.actions()]
    assert actions == [("approve", friend), ("decline", spam)]


def test_the_auto_reply_example_answers_reacts_and_marks_seen(fresh_sessions, emulator, viewer):
    item = emulator.incoming(BOB_THREAD, BOB, "Is the shop open on Sunday?")
    message = {"thread_id": BOB_THREAD, "item_id": item["item_id"], "text": item["text"]}

    dag_run = _run_example("dm_auto_reply", emulator, {"messages": [message]})

    assert str(dag_run.state) == "success"
    (answer,) = emulator.ledger()[:1]
    assert answer["fields"]["text"].startswith("Thanks for your message “Is the shop open")
    kinds = [(e["kind"], e["item_id"]) for e in emulator.ledger()]
    assert kinds == [("text", answer["item_id"]), ("reaction", item["item_id"])]
    assert [(a["action"], a["item_id"]) for a in emulator.actions()] == [("seen", item["item_id"])]
    reactions = next(i for i in _items(viewer, BOB_THREAD) if i["item_id"] == item["item_id"])
    assert reactions["reactions"]["emojis"][0]["emoji"] == "👍"
