"""Bad input, as a new user gives it, refused before any request reaches the emulator.

Every row runs a real DAG (``dag.test()``) of tests/dags against the emulator and checks that
the task failed on its first try (no Airflow retry), that its error names the field, and that
the emulator's request log and ledger stay empty: nothing left the machine. The other tests
cover what needs requests: an unknown ``@username`` among valid ones, and an incremental
export that found nothing.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

pytestmark = pytest.mark.usefixtures("demo_connections", "fresh_sessions")

TEXT_PATH = "/api/v1/direct_v2/threads/broadcast/text/"
VIEWER = {"login": "airflow_demo", "password": "demo-password"}
COUNTDOWN = Path(__file__).parents[2] / "dags" / "media" / "countdown.mp4"


def _connection(host: str, **extra: object) -> str:
    return json.dumps({"conn_type": "instagram_direct", "host": host, **VIEWER, "extra": extra})


@pytest.fixture
def bad_connections(emulator_server) -> Iterator[None]:
    """Connections whose host, proxy or extras are wrong; all but the host point at the
    emulator, so that a request sent by mistake would show in its log."""
    api = f"{emulator_server.url}/api/v1/"
    values = {
        "AIRFLOW_CONN_DM_BAD_HOST_SPACE": _connection("http://exa mple.com/api/v1/"),
        "AIRFLOW_CONN_DM_BAD_HOST_PORT": _connection("http://127.0.0.1:eighty/api/v1/"),
        "AIRFLOW_CONN_DM_BAD_HOST_SCHEME": _connection("ftp://127.0.0.1/api/v1/"),
        "AIRFLOW_CONN_DM_BAD_PROXY_WORDS": _connection(api, proxy="not a proxy"),
        "AIRFLOW_CONN_DM_BAD_PROXY_NO_HOST": _connection(api, proxy="http://:3128"),
        "AIRFLOW_CONN_DM_BAD_PROXY_PORT": _connection(api, proxy="http://proxy:port"),
        "AIRFLOW_CONN_DM_TYPO_PROXY": _connection(api, proxi="http://proxy:3128"),
        "AIRFLOW_CONN_DM_TYPO_VERIFY": _connection(api, verify_ssl=False),
        "AIRFLOW_CONN_DM_TYPO_TIMEOUT": _connection(api, timout=5),
        "AIRFLOW_CONN_DM_BAD_TIMEOUT": _connection(api, timeout="fast"),
        "AIRFLOW_CONN_DM_BAD_ROUTE": _connection(api, media_route="fastest"),
        "AIRFLOW_CONN_DM_BAD_VERIFY": _connection(api, verify_tls="sometimes"),
    }
    os.environ.update(values)
    yield
    for key in values:
        os.environ.pop(key, None)


@pytest.fixture
def demo(emulator) -> dict:
    """The demo seed's group thread, Alice's pk and the thread she shares with the viewer."""
    seed = emulator.seed()
    users = {u["username"]: u["pk"] for u in seed["users"]}
    group = next(t["thread_id"] for t in seed["threads"] if t["title"] == "Weekend plans")
    alice = users["alice_demo"]
    alice_thread = next(
        t["thread_id"] for t in seed["threads"] if t["users"] == [alice] and not t["pending"]
    )
    return {"group": group, "alice": alice, "alice_thread": alice_thread, "users": users}


def _photo(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    path = tmp / "ok.jpg"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path, "JPEG")
    return str(path)


def _text_file(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    path = tmp / "notes.jpg"
    path.write_text("just some text")
    return str(path)


def _bomb(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    """A PNG of a few hundred bytes that claims 100 megapixels: one row of data, then the end."""
    path = tmp / "bomb.png"
    side = 10_000

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    row = zlib.compress(b"\x00" * (side + 1), 9)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")
    )
    return str(path)


def _png_as_mp4(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    path = tmp / "clip.mp4"
    Image.new("RGB", (32, 32)).save(path, "PNG")
    return str(path)


def _long_video(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    return str(write_mp4(tmp / "long.mp4", duration_ms=3 * 3600 * 1000))


def _codec_swapped(path: Path, old: bytes, new: bytes) -> str:
    """The demo MP4 with the sample entry ``old`` renamed ``new`` (an HEVC or Opus file as
    far as any container reader can tell)."""
    data = bytearray(COUNTDOWN.read_bytes())
    at = data.find(b"stsd")
    while at >= 0:
        # stsd: version and flags, entry count, then the first entry's size and type.
        if data[at + 16 : at + 20] == old:
            data[at + 16 : at + 20] = new
            path.write_bytes(bytes(data))
            return str(path)
        at = data.find(b"stsd", at + 4)
    raise AssertionError(f"no {old!r} sample entry in {COUNTDOWN}")


def _hevc(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    return _codec_swapped(tmp / "hevc.mp4", b"avc1", b"hvc1")


def _opus(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    return _codec_swapped(tmp / "opus.mp4", b"mp4a", b"Opus")


def _truncated(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    data = COUNTDOWN.read_bytes()
    path = tmp / "half.mp4"
    path.write_bytes(data[: len(data) // 2])
    return str(path)


def _missing(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    return str(tmp / "nope.jpg")


def _folder(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    return str(tmp)


def _under_a_file(tmp: Path, write_mp4: Callable[..., Path]) -> str:
    """A path whose folder is a regular file: no process, root included, can create it."""
    blocker = tmp / "not-a-folder"
    blocker.write_text("a file")
    return str(blocker / "inbox.jsonl")


MSG = "dm_send_message"
# Case name -> (dag_id, run conf, text the error must hold: the field comes first). A function
# in the conf makes its file in the test's tmp_path, only for the case that uses it.
CASES: dict[str, tuple[str, dict[str, Any], str]] = {
    # texts
    "empty text": (MSG, {"text": ""}, "text: is empty"),
    "blank text": (MSG, {"text": "   \n\t "}, "text: is empty"),
    "zero-width text": (MSG, {"text": "\u200b\u200d\ufeff"}, "text: is empty"),
    "text one over the limit": (MSG, {"text": "x" * 1001}, "text: is 1001 characters"),
    "huge text": (MSG, {"text": "é" * 200_000}, "text: is 200000 characters"),
    "text with a NUL": (MSG, {"text": "Hi\x00there"}, "text: holds the control character"),
    "text with an escape": (MSG, {"text": "\x1b[31mred"}, "text: holds the control char"),
    "text as a number": (MSG, {"text": 42}, "text: must be a string, got int"),
    "text as a list": (MSG, {"text": ["Hi"]}, "text: must be a string, got list"),
    "text as a dict": (MSG, {"text": {"t": "Hi"}}, "text: must be a string, got dict"),
    # destinations
    "flat recipients": (
        MSG,
        {"text": "Hi", "recipients": ["5110000101"], "threads": None},
        "recipients: recipients must be a list of lists",
    ),
    "recipients as a dict": (
        MSG,
        {"text": "Hi", "recipients": {"a": ["1"]}},
        "recipients: must be a list of lists, got dict",
    ),
    "empty conversation": (
        MSG,
        {"text": "Hi", "recipients": [["1"], []]},
        "recipients[1]: is an empty conversation",
    ),
    "same user twice": (
        MSG,
        {"text": "Hi", "recipients": [["7", "7"]]},
        "recipients[0]: names the same user twice",
    ),
    "path traversal in a user id": (
        MSG,
        {"text": "Hi", "recipients": [["../../1"]]},
        "recipients[0]: must be a numeric id",
    ),
    "query in a user id": (
        MSG,
        {"text": "Hi", "recipients": [["1?x=2"]]},
        "recipients[0]: must be a numeric id",
    ),
    "boolean user id": (
        MSG,
        {"text": "Hi", "recipients": [[True]]},
        "recipients[0]: must be a numeric id, got bool",
    ),
    "float user id": (
        MSG,
        {"text": "Hi", "recipients": [[1.5]]},
        "recipients[0]: must be a numeric id, got float",
    ),
    "null user id": (
        MSG,
        {"text": "Hi", "recipients": [[None]]},
        "recipients[0]: must be a numeric id, got NoneType",
    ),
    "username with a space": (
        MSG,
        {"text": "Hi", "recipients": [["@bob demo"]]},
        "recipients[0]: '@bob demo' is not a valid @username",
    ),
    "username too long": (
        MSG,
        {"text": "Hi", "recipients": [["@" + "a" * 31]]},
        "is not a valid @username",
    ),
    "username with a slash": (
        MSG,
        {"text": "Hi", "recipients": [["@../admin"]]},
        "recipients[0]: '@../admin' is not a valid @username",
    ),
    "threads as a number": (MSG, {"text": "Hi", "threads": 123}, "threads: must be a list"),
    "nested threads": (
        MSG,
        {"text": "Hi", "threads": [["1"]]},
        "threads: must be a flat list of thread ids",
    ),
    "path traversal in a thread id": (
        MSG,
        {"text": "Hi", "threads": ["../../etc/passwd"]},
        "threads[0]: must be a numeric id",
    ),
    "query in a thread id": (
        MSG,
        {"text": "Hi", "threads": ["1", "2?x=1"]},
        "threads[1]: must be a numeric id",
    ),
    "full-width digits in a thread id": (
        MSG,
        {"text": "Hi", "threads": ["\uff11\uff12\uff13"]},
        "threads[0]: must be a numeric id",
    ),
    "huge thread id": (MSG, {"text": "Hi", "threads": ["9" * 41]}, "threads[0]: must be a"),
    "the same thread twice": (
        MSG,
        {"text": "Hi", "threads": ["1", "1"]},
        "threads: names the same thread twice",
    ),
    "no destination": (MSG, {"text": "Hi", "threads": None}, "recipients: no destination"),
    # links, profiles, media shares
    "url not in the text": (
        "dm_send_link",
        {"text": "See https://example.com/a", "urls": ["https://example.com/b"]},
        "urls: 'https://example.com/b' does not stand in the text",
    ),
    "javascript url": (
        "dm_send_link",
        {"text": "Click javascript:alert(1)", "urls": ["javascript:alert(1)"]},
        "urls: 'javascript:alert(1)' is not an http(s) URL",
    ),
    "profile by name": ("dm_share_profile", {"user_id": "carol_demo"}, "user_id: must be"),
    "profile id with a query": (
        "dm_share_profile",
        {"user_id": "5?fields=all"},
        "user_id: must be a numeric id",
    ),
    "media id with a path": (
        "dm_share_media",
        {"media_id": "123_../../456"},
        "media_id:",
    ),
    # files
    "missing photo": ("dm_send_photo", {"path": _missing}, "path: no such"),
    "text file as a photo": ("dm_send_photo", {"path": _text_file}, "path: is not an"),
    "100-megapixel bomb": ("dm_upload_photo", {"path": _bomb}, "path:"),
    "folder as a photo": ("dm_upload_photo", {"path": _folder}, "path:"),
    "PNG renamed .mp4": ("dm_send_video", {"path": _png_as_mp4}, "path:"),
    "truncated MP4": ("dm_upload_video", {"path": _truncated}, "path:"),
    "HEVC MP4": (
        "dm_upload_video",
        {"path": _hevc},
        "path:",
    ),
    "Opus audio MP4": (
        "dm_upload_video",
        {"path": _opus},
        "path:",
    ),
    "video too long": ("dm_upload_video", {"path": _long_video}, "path:"),
    "photo and upload both": (
        "dm_send_photo",
        {"path": _photo, "upload": {"upload_id": "1"}},
        "path: give either path",
    ),
    "upload record of the wrong shape": (
        "dm_send_photo",
        {"upload": ["1790000000000"]},
        "upload",
    ),
    "upload id with a path": ("dm_send_photo", {"upload_id": "../1"}, "upload_id:"),
    # reading
    "thread id with a path": ("dm_thread", {"thread_id": "../inbox"}, "thread_id: must be"),
    "thread id with a query": ("dm_thread", {"thread_id": "1?cursor=x"}, "thread_id: must"),
    "since item id of letters": (
        "dm_thread",
        {"thread_id": "1", "since_item_id": "abc"},
        "since_item_id: must be a numeric id",
    ),
    "since in words": ("dm_inbox", {"since": "last tuesday"}, "since: must be an ISO-8601"),
    "output_path a folder": (
        "dm_inbox",
        {"output_path": _folder},
        "is a directory; name a file in it",
    ),
    "output_path in /proc": (
        "dm_inbox",
        {"output_path": "/proc/self/inbox.jsonl"},
        "output_path: '/proc/self/inbox.jsonl' is in /proc",
    ),
    "output_path under a file": (
        "dm_thread",
        {"thread_id": "1", "output_path": _under_a_file},
        "output_path: ",
    ),
    "page size zero": ("dm_inbox_templated_native", {"page_size": 0}, "page_size: must be"),
    # connections
    "host with a space": (MSG, {"conn": "dm_bad_host_space"}, "host: is not a URL"),
    "host with a word for a port": (MSG, {"conn": "dm_bad_host_port"}, "host: is not a URL"),
    "host of another scheme": (MSG, {"conn": "dm_bad_host_scheme"}, "host: must be an http"),
    "proxy in words": (MSG, {"conn": "dm_bad_proxy_words"}, "proxy: must be a URL"),
    "proxy without a host": (MSG, {"conn": "dm_bad_proxy_no_host"}, "proxy: is not a URL"),
    "proxy with a word for a port": (
        MSG,
        {"conn": "dm_bad_proxy_port"},
        "proxy: is not a URL",
    ),
    "misspelt proxy extra": (MSG, {"conn": "dm_typo_proxy"}, "did you mean 'proxy'?"),
    "misspelt verify extra": (MSG, {"conn": "dm_typo_verify"}, "did you mean 'verify_tls'?"),
    "misspelt timeout extra": (MSG, {"conn": "dm_typo_timeout"}, "did you mean 'timeout'?"),
    "timeout in words": (MSG, {"conn": "dm_bad_timeout"}, "timeout: must be a number"),
    "unknown media route": (MSG, {"conn": "dm_bad_route"}, "media_route: must be one of"),
    "verify_tls in words": (MSG, {"conn": "dm_bad_verify"}, "verify_tls: must be true or"),
}


TASKS = {"dm_upload": "upload", "dm_inbox": "inbox", "dm_thread": "thread"}


@pytest.mark.usefixtures("bad_connections")
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_before_any_request(
    run_dag, emulator, demo, tmp_path, write_mp4, capsys, case
):
    dag_id, conf, message = CASES[case]
    conf = {"threads": [demo["group"]], "text": "Hi", **conf}
    conf = {
        key: make(tmp_path, write_mp4) if callable(make) else make for key, make in conf.items()
    }

    out = run_dag(dag_id, conf)

    task_id = next((t for prefix, t in TASKS.items() if dag_id.startswith(prefix)), "send")
    assert out.state_of(task_id) == "failed"
    assert out.tries[(task_id, -1)] == 1, "bad input is not retried"
    assert message in capsys.readouterr().out
    assert emulator.requests() == []
    assert emulator.ledger() == []


def test_the_table_holds_at_least_forty_cases():
    assert len(CASES) >= 40


def test_an_unknown_username_fails_the_task_after_the_others_are_sent(
    run_dag, emulator, demo, capsys
):
    conf = {
        "text": "Hello all",
        "recipients": [["@alice_demo"], ["@nobody_here_at_all"]],
        "threads": [demo["group"]],
    }

    out = run_dag("dm_send_message", conf)

    assert out.state_of("send") == "failed"
    assert out.tries[("send", -1)] == 1, "an unknown name does not appear by retrying"
    assert "users:@nobody_here_at_all (recipients[1]: " in capsys.readouterr().out
    assert sorted(row["thread_id"] for row in emulator.ledger()) == sorted(
        [demo["alice_thread"], demo["group"]]
    )


def test_the_retry_after_an_unknown_username_sends_only_what_is_missing(
    run_dag, emulator, demo, capsys
):
    # Alice's send fails on a 5xx (retryable), so Airflow retries the task once; the unknown
    # name fails on both tries; the group thread is reached on the first try only.
    emulator.add_fault("POST", TEXT_PATH, "server_error", times=4)
    conf = {
        "text": "Hello again",
        "recipients": [[demo["alice"]], ["@nobody_here_at_all"]],
        "threads": [demo["group"]],
    }

    out = run_dag("dm_send_message", conf)

    assert out.state_of("send") == "failed"
    assert out.tries[("send", -1)] == 2
    output = capsys.readouterr().out
    assert "failed to send to 1 of 3 destinations: users:@nobody_here_at_all (recipients[1]: " in (
        output
    )
    ledger = emulator.ledger()
    assert sorted(row["thread_id"] for row in ledger) == sorted(
        [demo["alice_thread"], demo["group"]]
    )
    text_posts = [r["status"] for r in emulator.requests() if r["path"] == TEXT_PATH]
    assert text_posts == [500, 500, 500, 500, 200, 200]


def test_an_incremental_inbox_export_that_finds_nothing_keeps_its_mark(run_dag, emulator, tmp_path):
    since = "2030-01-01T00:00:00+00:00"

    out = run_dag("dm_inbox", {"since": since, "output_path": str(tmp_path / "inbox.jsonl")})

    result = out.result("inbox")
    assert result["count"] == 0
    assert result["newest_timestamp"] == since


def test_an_incremental_thread_export_that_finds_nothing_keeps_its_marks(
    run_dag, emulator, demo, tmp_path
):
    target = str(tmp_path / "thread.jsonl")
    first = run_dag("dm_thread", {"thread_id": demo["group"], "output_path": target}).result(
        "thread"
    )
    assert first["count"] > 0

    again = run_dag(
        "dm_thread",
        {
            "thread_id": demo["group"],
            "output_path": target,
            "since_item_id": first["newest_item_id"],
            "since": first["newest_timestamp"],
        },
    ).result("thread")

    assert again["count"] == 0
    assert (again["newest_item_id"], again["newest_timestamp"]) == (
        first["newest_item_id"],
        first["newest_timestamp"],
    )
