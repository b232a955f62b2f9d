"""The fetch operators run as DAGs (``dag.test()``) against the emulator: every thread and item
exactly once and in order, filters, the pending inbox, incremental fetches, retried faults
mid-pagination, atomic exports and the XCom bound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("demo_connections")

INBOX_PATH = "/api/v1/direct_v2/inbox/"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _assert_newest_first(stamps: list[str]) -> None:
    assert stamps == sorted(stamps, reverse=True)


def test_bulk_inbox_export_has_every_thread_once_in_order(run_dag, bulk_connection, tmp_path):
    target = tmp_path / "exports" / "inbox.jsonl"
    out = run_dag("dm_inbox", {"conn": "dm_bulk", "output_path": str(target)})

    assert out.state == "success"
    lines = _lines(target)
    expected = [t["thread_id"] for t in bulk_connection.seed()["threads"]]
    assert len(expected) == 1000
    assert [line["thread_id"] for line in lines] == expected
    _assert_newest_first([line["last_activity_at"] for line in lines])
    assert all(line["raw"]["thread_id"] == line["thread_id"] for line in lines)
    assert all(line["users"][0]["username"].startswith("bulk_user_") for line in lines)
    result = out.result("inbox")
    assert result == {
        "path": str(target),
        "count": 1000,
        "newest_timestamp": lines[0]["last_activity_at"],
    }
    assert sorted(p.name for p in target.parent.iterdir()) == ["inbox.jsonl"]


def test_thread_of_2000_items_exports_each_item_once_in_order(run_dag, emulator, tmp_path):
    emulator.reset(seed="bulk:2:2000")
    thread = emulator.seed()["threads"][0]
    thread_id = thread["thread_id"]
    partner = next(u for u in emulator.seed()["users"] if u["pk"] == thread["users"][0])
    number = int(partner["username"].removeprefix("bulk_user_"))
    target = tmp_path / "thread.jsonl"

    out = run_dag("dm_thread", {"thread_id": thread_id, "output_path": str(target)})

    assert out.state == "success"
    lines = _lines(target)
    assert [line["text"] for line in lines] == [
        f"message {n} of thread {number}" for n in range(2000, 0, -1)
    ]
    assert len({line["item_id"] for line in lines}) == 2000
    _assert_newest_first([line["timestamp"] for line in lines])
    assert {line["username"] for line in lines} == {partner["username"], "airflow_demo"}
    assert out.result("thread") == {
        "path": str(target),
        "thread_id": thread_id,
        "count": 2000,
        "newest_item_id": lines[0]["item_id"],
        "newest_timestamp": lines[0]["timestamp"],
        "newest_cursor": lines[0]["item_id"],
    }


def test_inbox_summary_lists_threads_with_participants(run_dag, emulator):
    seed = emulator.seed()
    out = run_dag("dm_inbox")

    summary = out.result("inbox")
    expected = [t for t in seed["threads"] if not t["pending"]]
    assert [t["thread_id"] for t in summary] == [t["thread_id"] for t in expected]
    group = next(t for t in summary if t["title"] == "Weekend plans")
    assert [u["username"] for u in group["users"]] == ["alice_demo", "bob_demo", "carol_demo"]
    assert all(isinstance(u["pk"], int) for t in summary for u in t["users"])
    bob = next(t for t in summary if t["title"] == "bob_demo")
    assert bob["unseen"] is True
    assert bob["last_item"] == "Can you send the video too?"


@pytest.mark.parametrize(
    ("dag_id", "titles"),
    [
        ("dm_inbox_unread", ["bob_demo"]),
        ("dm_inbox_flagged", ["bob_demo"]),
        ("dm_inbox_pending", ["dave_demo"]),
    ],
)
def test_filters_and_pending_inbox(run_dag, emulator, dag_id, titles):
    out = run_dag(dag_id)

    assert [t["title"] for t in out.result("inbox")] == titles


def test_unread_filter_follows_new_incoming_items(run_dag, emulator):
    carol = next(t for t in emulator.seed()["threads"] if t["title"] is None and not t["pending"])
    emulator.incoming(carol["thread_id"], carol["users"][0], "Are you there?")

    out = run_dag("dm_inbox_unread")

    assert {t["thread_id"] for t in out.result("inbox")} >= {carol["thread_id"]}


def test_incremental_since_returns_only_newer_activity(run_dag, emulator):
    first = run_dag("dm_inbox").result("inbox")
    quiet = first[-1]
    newest = first[0]["last_activity_at"]
    emulator.incoming(quiet["thread_id"], quiet["users"][0]["pk"], "Something new")

    later = run_dag("dm_inbox", {"since": newest}).result("inbox")

    assert [t["thread_id"] for t in later] == [quiet["thread_id"]]
    assert later[0]["last_item"] == "Something new"


def test_incremental_thread_fetch_by_item_id_and_by_time(run_dag, emulator):
    thread = next(t for t in emulator.seed()["threads"] if t["title"] == "Weekend plans")
    before = run_dag("dm_thread", {"thread_id": thread["thread_id"]}).result("thread")
    assert [i["text"] for i in before][-1] == "Who is in for Saturday?"
    emulator.incoming(thread["thread_id"], thread["users"][0], "Saturday at ten?")

    by_id = run_dag(
        "dm_thread", {"thread_id": thread["thread_id"], "since_item_id": before[0]["item_id"]}
    ).result("thread")
    by_time = run_dag(
        "dm_thread", {"thread_id": thread["thread_id"], "since": before[0]["timestamp"]}
    ).result("thread")

    assert [i["text"] for i in by_id] == ["Saturday at ten?"]
    assert by_id[0]["username"] == "alice_demo"
    assert by_time == by_id


def test_caps_stop_early(run_dag, bulk_connection):
    inbox = run_dag("dm_inbox_capped", {"conn": "dm_bulk"}).result("inbox")
    thread_id = inbox[0]["thread_id"]
    items = run_dag("dm_thread_capped", {"conn": "dm_bulk", "thread_id": thread_id})

    assert len(inbox) == 5
    assert len(items.result("thread")) == 7


def test_fault_mid_pagination_is_retried_without_duplicates(run_dag, emulator, tmp_path):
    emulator.reset(seed="bulk:300")
    emulator.add_fault("GET", INBOX_PATH, "delay", times=1, seconds=0)
    emulator.add_fault("GET", INBOX_PATH, "server_error", times=1)
    target = tmp_path / "inbox.jsonl"

    out = run_dag("dm_inbox", {"output_path": str(target)})

    assert out.state == "success"
    ids = [line["thread_id"] for line in _lines(target)]
    assert ids == [t["thread_id"] for t in emulator.seed()["threads"]]
    assert len(set(ids)) == 300
    inbox_calls = [r for r in emulator.requests() if r["path"] == INBOX_PATH]
    statuses = [r["status"] for r in inbox_calls]
    assert statuses.count(500) == 1
    failed = statuses.index(500)
    assert inbox_calls[failed + 1]["query"] == inbox_calls[failed]["query"]


def test_failed_export_leaves_no_partial_file(run_dag, emulator, tmp_path, capsys):
    emulator.reset(seed="bulk:300")
    emulator.add_fault("GET", INBOX_PATH, "delay", times=1, seconds=0)
    emulator.add_fault("GET", INBOX_PATH, "feedback_required", times=1)
    target = tmp_path / "inbox.jsonl"

    out = run_dag("dm_inbox", {"output_path": str(target)})

    assert out.state_of("inbox") == "failed"
    assert list(tmp_path.iterdir()) == []
    assert "feedback_required" in capsys.readouterr().out


def test_export_to_an_object_storage_url(run_dag, emulator, tmp_path):
    target = tmp_path / "store" / "inbox.jsonl"
    target.parent.mkdir()

    out = run_dag("dm_inbox", {"output_path": target.as_uri()})

    assert out.result("inbox")["count"] == 4
    assert len(_lines(target)) == 4
    assert sorted(p.name for p in target.parent.iterdir()) == ["inbox.jsonl"]


def test_summary_past_its_bound_is_refused_naming_output_path(run_dag, bulk_connection, capsys):
    out = run_dag("dm_inbox_small_summary", {"conn": "dm_bulk"})

    assert out.state_of("inbox") == "failed"
    assert out.tries[("inbox", -1)] == 1
    assert "output_path: more than 100 threads" in capsys.readouterr().out


def test_inbox_summary_feeds_mapped_thread_fetches(run_dag, emulator):
    out = run_dag("dm_inbox_then_threads")

    inbox = out.result("inbox")
    assert len(inbox) == 3
    for index, thread in enumerate(inbox):
        items = out.result("thread", index)
        assert items[0]["text"] == thread["last_item"]


def test_bad_since_is_refused_before_any_request(run_dag, emulator, capsys):
    out = run_dag("dm_inbox", {"since": "yesterday-ish"})

    assert out.state_of("inbox") == "failed"
    assert "since: must be an ISO-8601 date-time" in capsys.readouterr().out
    assert emulator.requests() == []


TEMPLATED_INBOX = ["dm_inbox_templated", "dm_inbox_templated_native"]


@pytest.mark.parametrize("dag_id", TEMPLATED_INBOX)
def test_templated_counts_render_to_numbers(run_dag, emulator, dag_id):
    expected = [t["thread_id"] for t in emulator.seed()["threads"] if not t["pending"]][:2]

    out = run_dag(dag_id, {"max_threads": 2, "page_size": 1})

    assert [t["thread_id"] for t in out.result("inbox")] == expected
    pages = [r for r in emulator.requests() if r["path"] == INBOX_PATH and r["status"] == 200]
    assert {str(r["query"].get("limit")) for r in pages} == {"1"}
    assert len(pages) == 2


@pytest.mark.parametrize("dag_id", TEMPLATED_INBOX)
@pytest.mark.parametrize(
    ("conf", "titles"),
    [({"pending": True}, ["dave_demo"]), ({"selected_filter": "unread"}, ["bob_demo"])],
)
def test_templated_pending_and_filter(run_dag, emulator, dag_id, conf, titles):
    out = run_dag(dag_id, conf)

    assert [t["title"] for t in out.result("inbox")] == titles


@pytest.mark.parametrize("dag_id", TEMPLATED_INBOX)
@pytest.mark.parametrize(
    ("conf", "message"),
    [
        (
            {"max_threads": "many"},
            "max_threads: must be a positive whole number or None, got 'many'",
        ),
        ({"page_size": 0}, "page_size: must be a positive whole number, got "),
        ({"pending": "maybe"}, "pending: must be True or False, got 'maybe'"),
        ({"selected_filter": "starred"}, "selected_filter: must be 'unread' or 'flagged' or None"),
    ],
)
def test_bad_rendered_values_are_refused_before_any_request(
    run_dag, emulator, capsys, dag_id, conf, message
):
    out = run_dag(dag_id, conf)

    assert out.state_of("inbox") == "failed"
    assert out.tries[("inbox", -1)] == 1
    assert message in capsys.readouterr().out
    assert emulator.requests() == []


def test_templated_thread_counts_render_to_numbers(run_dag, emulator):
    thread = next(t for t in emulator.seed()["threads"] if t["title"] == "Weekend plans")
    everything = run_dag("dm_thread", {"thread_id": thread["thread_id"]}).result("thread")

    out = run_dag(
        "dm_thread_templated", {"thread_id": thread["thread_id"], "max_items": 2, "page_size": 1}
    )

    assert out.result("thread") == everything[:2]


def test_literal_arguments_are_checked_when_the_dag_is_parsed():
    from airflow_provider_dm.operators import DirectFetchInboxOperator, DirectFetchThreadOperator

    with pytest.raises(ValueError, match="max_threads: must be a positive whole number or None"):
        DirectFetchInboxOperator(task_id="inbox", max_threads=0)
    with pytest.raises(ValueError, match="selected_filter: must be 'unread' or 'flagged'"):
        DirectFetchInboxOperator(task_id="inbox", selected_filter="starred")
    with pytest.raises(ValueError, match="pending: must be True or False"):
        DirectFetchInboxOperator(task_id="inbox", pending="yes")
    with pytest.raises(ValueError, match="page_size: must be a positive whole number, got None"):
        DirectFetchThreadOperator(task_id="thread", thread_id="1", page_size=None)
    templated = DirectFetchThreadOperator(
        task_id="thread", thread_id="1", max_items="{{ params.n }}", page_size="50"
    )
    assert (templated.max_items, templated.page_size) == ("{{ params.n }}", "50")
