"""The send and upload operators run as DAGs (``dag.test()``) against the emulator, checked
against its ledger and request log: every item type on both media routes, chaining, mapping,
exactly-once across Airflow retries, partial failure, dry runs and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.usefixtures("demo_connections", "fresh_sessions")

ROUTES = {"dm_emulator": "attachment", "dm_emulator_classic": "classic"}
TEXT_PATH = "/api/v1/direct_v2/threads/broadcast/text/"


@pytest.fixture
def demo(emulator):
    """Names for the demo seed: the group thread, Alice's pk and thread, a post of Bob."""
    seed = emulator.seed()
    users = {u["username"]: u["pk"] for u in seed["users"]}
    threads = {t["title"] or "": t for t in seed["threads"]}
    alice = users["alice_demo"]
    alice_thread = next(
        t["thread_id"] for t in seed["threads"] if t["users"] == [alice] and not t["pending"]
    )
    bob_posts = [m for m in seed["media"] if m["owner_pk"] == users["bob_demo"]]
    return {
        "group": threads["Weekend plans"]["thread_id"],
        "alice": alice,
        "alice_thread": alice_thread,
        "bob_photo": next(m["id"] for m in bob_posts if m["media_type"] == 1),
        "bob_video": next(m["id"] for m in bob_posts if m["media_type"] == 2),
        "users": users,
    }


def _photo(path: Path, size: tuple[int, int] = (900, 700), orientation: int | None = None) -> Path:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    image.save(path, "JPEG", quality=95, exif=exif)
    return path


def _destinations(demo: dict) -> dict:
    return {"recipients": [[demo["alice"]]], "threads": [demo["group"]]}


def _sent_rows(emulator, records: list[dict]) -> list[dict]:
    """The ledger rows of ``records``, checking one row per record, same thread and token."""
    ledger = emulator.ledger()
    assert len(ledger) == len(records)
    by_context = {row["client_context"]: row for row in ledger}
    rows = []
    for record in records:
        assert record["status"] == "sent", record
        row = by_context[record["client_context"]]
        assert (row["item_id"], row["thread_id"]) == (record["item_id"], record["thread_id"])
        rows.append(row)
    return rows


def _item_cases(demo: dict, tmp_path: Path, write_mp4) -> dict:
    """dag_id, conf, broadcast kind per route, and the fields expected in the ledger."""
    video = write_mp4(tmp_path / "clip.mp4", duration_ms=4200, width=640, height=360)
    return {
        "text": (
            "dm_send_message",
            {"text": "Hello from Airflow"},
            ("text", "text"),
            {"text": "Hello from Airflow"},
        ),
        "link": (
            "dm_send_link",
            {"text": "Menu: https://example.com/menu", "urls": ["https://example.com/menu"]},
            ("link", "link"),
            {
                "link_text": "Menu: https://example.com/menu",
                "link_urls": '["https://example.com/menu"]',
            },
        ),
        "profile": (
            "dm_share_profile",
            {"user_id": str(demo["users"]["carol_demo"])},
            ("profile", "profile"),
            {"profile_user_id": str(demo["users"]["carol_demo"])},
        ),
        "media": (
            "dm_share_media",
            {"media_id": demo["bob_photo"]},
            ("media_share", "media_share"),
            {"media_id": demo["bob_photo"]},
        ),
        "photo": (
            "dm_send_photo",
            {"path": str(_photo(tmp_path / "p.jpg"))},
            ("photo_attachment", "configure_photo"),
            {},
        ),
        "video": (
            "dm_send_video",
            {"path": str(video)},
            ("raven_attachment", "configure_video"),
            {},
        ),
    }


@pytest.mark.parametrize("conn", sorted(ROUTES))
@pytest.mark.parametrize("case", ["text", "link", "profile", "media", "photo", "video"])
def test_each_item_type_reaches_every_destination(
    run_dag, emulator, demo, tmp_path, write_mp4, conn, case
):
    dag_id, conf, kinds, fields = _item_cases(demo, tmp_path, write_mp4)[case]

    out = run_dag(dag_id, {**conf, **_destinations(demo), "conn": conn})

    records = out.result("send")
    assert [r["destination"] for r in records] == [
        f"users:{demo['alice']}",
        f"thread:{demo['group']}",
    ]
    rows = _sent_rows(emulator, records)
    kind = kinds[0] if ROUTES[conn] == "attachment" else kinds[1]
    assert {row["kind"] for row in rows} == {kind}
    assert [row["thread_id"] for row in rows] == [demo["alice_thread"], demo["group"]]
    for row in rows:
        assert row["fields"].items() >= fields.items()
    if case in ("photo", "video"):
        assert all(row["upload"]["bytes"] > 0 for row in rows)
    if case == "video" and ROUTES[conn] == "classic":
        assert {row["upload"]["duration_ms"] for row in rows} == {4200}
    if case == "video" and ROUTES[conn] == "attachment":
        assert {float(row["fields"]["length"]) for row in rows} == {4.2}


@pytest.mark.parametrize("conn", sorted(ROUTES))
def test_uploads_chain_into_sends(run_dag, emulator, demo, tmp_path, write_mp4, conn):
    photo = _photo(tmp_path / "p.jpg")
    video = write_mp4(tmp_path / "clip.mp4", duration_ms=3000)
    conf = {"photo": str(photo), "video": str(video), "threads": [demo["group"]], "conn": conn}

    out = run_dag("dm_upload_then_send", conf)

    uploaded = out.result("upload_photo")
    assert uploaded["kind"] == "photo"
    assert uploaded["route"] == ROUTES[conn]
    assert out.result("upload_video")["kind"] == "video"
    if ROUTES[conn] == "classic":
        assert out.state_of("send_photo_by_ids") == "success"
    records = [out.result(task)[0] for task in ("send_photo", "send_photo_by_ids", "send_video")]
    rows = _sent_rows(emulator, records)
    photo_key = "media_id" if ROUTES[conn] == "attachment" else "upload_id"
    assert rows[0]["upload"][photo_key] == uploaded[photo_key]
    assert rows[1]["upload"][photo_key] == uploaded[photo_key]
    assert rows[2]["upload"][photo_key] == out.result("upload_video")[photo_key]


@pytest.mark.parametrize("media_type", ["photo", "video"])
def test_templated_media_type_reaches_the_share(run_dag, emulator, demo, media_type):
    post = demo[f"bob_{media_type}"]

    out = run_dag(
        "dm_share_media_templated",
        {"media_id": post, "media_type": f" {media_type} ", "threads": [demo["group"]]},
    )

    _sent_rows(emulator, out.result("send"))
    (share,) = [r for r in emulator.requests() if r["path"].endswith("/broadcast/media_share/")]
    assert share["query"]["media_type"] == media_type


def test_bad_media_type_is_refused_at_parse_and_at_run(run_dag, emulator, demo, capsys):
    from airflow_provider_dm.operators import DirectShareMediaOperator

    with pytest.raises(ValueError, match="media_type: must be 'photo' or 'video', got 'reel'"):
        DirectShareMediaOperator(task_id="share", media_id="1", media_type="reel", threads=["1"])

    out = run_dag(
        "dm_share_media_templated",
        {"media_id": demo["bob_photo"], "media_type": "reel", "threads": [demo["group"]]},
    )

    assert out.state_of("send") == "failed"
    assert out.tries[("send", -1)] == 1
    assert "media_type: must be 'photo' or 'video', got 'reel'" in capsys.readouterr().out
    assert emulator.requests() == []


@pytest.mark.parametrize("conn", sorted(ROUTES))
def test_chaining_by_upload_id_alone_sends_the_upload(
    run_dag, emulator, demo, tmp_path, write_mp4, conn
):
    photo = _photo(tmp_path / "p.jpg")
    video = write_mp4(tmp_path / "clip.mp4", duration_ms=3000)
    conf = {"photo": str(photo), "video": str(video), "threads": [demo["group"]], "conn": conn}

    out = run_dag("dm_upload_id_chain", conf)

    assert out.state == "success", out.states
    pairs = [("upload_photo", "send_photo"), ("upload_video", "send_video")]
    pairs.append(("upload_single", "send_single"))
    rows = _sent_rows(emulator, [out.result(send)[0] for _, send in pairs])
    key = "media_id" if ROUTES[conn] == "attachment" else "upload_id"
    for row, (upload, _) in zip(rows, pairs, strict=True):
        assert row["upload"][key] == out.result(upload)[key]


@pytest.mark.parametrize("conn", sorted(ROUTES))
def test_a_bare_upload_id_is_refused_on_the_attachment_route_before_sending(
    run_dag, emulator, demo, tmp_path, capsys, conn
):
    conf = {"photo": str(_photo(tmp_path / "p.jpg")), "threads": [demo["group"]], "conn": conn}

    out = run_dag("dm_upload_id_bare", conf)

    assert out.state_of("upload_photo") == "success"
    if ROUTES[conn] == "classic":
        assert out.state_of("send") == "success"
        assert len(_sent_rows(emulator, out.result("send"))) == 1
        return
    assert out.state_of("send") == "failed"
    assert out.tries[("send", -1)] == 1, "not retried"
    assert "chain the upload task's whole result: upload=upload_task.output" in (
        capsys.readouterr().out
    )
    assert not any("broadcast" in r["path"] for r in emulator.requests())
    assert emulator.ledger() == []


def test_chaining_mistakes_are_refused_when_the_dag_is_parsed():
    from airflow.sdk import DAG

    from airflow_provider_dm.operators import (
        DirectSendPhotoOperator,
        DirectUploadPhotoOperator,
        DirectUploadVideoOperator,
    )

    with DAG("chaining_mistakes", schedule=None):
        video = DirectUploadVideoOperator(task_id="upload_video", path="clip.mp4")
        single = DirectUploadPhotoOperator(
            task_id="upload_single", path="p.jpg", multiple_outputs=False
        )
        with pytest.raises(
            ValueError, match="upload_id: comes from upload_video, a video upload; "
        ):
            DirectSendPhotoOperator(task_id="a", upload_id=video.output["upload_id"], threads=["1"])
        with pytest.raises(ValueError, match="upload: comes from upload_video, a video upload"):
            DirectSendPhotoOperator(task_id="b", upload=video.output, threads=["1"])
        with pytest.raises(
            ValueError,
            match=r"upload_id: upload_single has multiple_outputs=False.*=upload_single\.output",
        ):
            DirectSendPhotoOperator(
                task_id="c",
                upload_id=single.output["upload_id"],
                media_id=single.output["media_id"],
                threads=["1"],
            )


def test_mapping_over_destinations_and_texts(run_dag, emulator, demo):
    threads = [demo["group"], demo["alice_thread"]]
    texts = ["First mapped text", "Second mapped text", "Third mapped text"]

    out = run_dag("dm_send_mapped", {"threads": threads, "texts": texts})

    per_thread = [out.result("per_thread", i)[0] for i in range(2)]
    per_text = [r for i in range(3) for r in out.result("per_text", i)]
    rows = _sent_rows(emulator, per_thread + per_text)
    assert [row["thread_id"] for row in rows[:2]] == threads
    assert sorted(row["fields"]["text"] for row in rows[2:]) == sorted(texts * 2)


def test_dropped_connection_after_accepting_is_sent_exactly_once(run_dag, emulator, demo):
    # Each destination's send is accepted, then the connection drops before the answer. With
    # the emulator's dedupe off, only the client can avoid a repeat: it looks in the thread
    # before sending again, finds the item, and the try succeeds.
    emulator.configure(dedupe=False)
    emulator.add_fault("POST", TEXT_PATH, "drop_after", times=2)

    out = run_dag("dm_send_message", {"text": "Exactly once", **_destinations(demo)})

    assert out.state_of("send") == "success"
    assert out.tries[("send", -1)] == 1
    records = out.result("send")
    assert [r["status"] for r in records] == ["sent", "sent"]
    ledger = emulator.ledger()
    assert len(ledger) == 2
    assert {(row["thread_id"], row["item_id"], row["client_context"]) for row in ledger} == {
        (r["thread_id"], r["item_id"], r["client_context"]) for r in records
    }
    text_posts = [r["status"] for r in emulator.requests() if r["path"] == TEXT_PATH]
    assert text_posts == [0, 0]


def test_partial_failure_fails_the_task_and_the_retry_sends_only_what_is_missing(
    run_dag, emulator, demo, capsys
):
    emulator.add_fault("POST", TEXT_PATH, "server_error", times=4)

    out = run_dag("dm_send_message", {"text": "One fails first", **_destinations(demo)})

    assert f"failed to send to 1 of 2 destinations: users:{demo['alice']}" in (
        capsys.readouterr().out
    )
    assert out.tries[("send", -1)] == 2
    records = out.result("send")
    assert [r["status"] for r in records] == ["sent", "already_sent"]
    ledger = emulator.ledger()
    assert sorted(row["thread_id"] for row in ledger) == sorted(
        [demo["alice_thread"], demo["group"]]
    )
    text_posts = [r["status"] for r in emulator.requests() if r["path"] == TEXT_PATH]
    assert text_posts == [500, 500, 500, 500, 200, 200]


def test_rerun_of_a_task_with_the_same_identity_is_deduped(run_dag, emulator, demo):
    first = run_dag("dm_send_message", {"text": "Twice?", "threads": [demo["group"]]})
    second = run_dag("dm_send_message", {"text": "Twice?", "threads": [demo["group"]]})

    tokens = {first.result("send")[0]["client_context"], second.result("send")[0]["client_context"]}
    assert len(tokens) == 2, "different runs are different sends"
    assert len(emulator.ledger()) == 2


@pytest.mark.parametrize(
    ("dag_id", "conn"),
    [("dm_send_message_dry", "dm_emulator"), ("dm_send_message", "dm_emulator_dry")],
)
def test_dry_run_resolves_and_returns_what_would_be_sent(run_dag, emulator, demo, dag_id, conn):
    conf = {"text": "Not really", "recipients": [["@bob_demo"]], "threads": [demo["group"]]}

    out = run_dag(dag_id, {**conf, "conn": conn})

    records = out.result("send")
    assert [r["destination"] for r in records] == [
        f"users:{demo['users']['bob_demo']}",
        f"thread:{demo['group']}",
    ]
    assert {r["status"] for r in records} == {"dry_run"}
    assert records[0]["item"] == {"kind": "text", "text": "Not really"}
    assert emulator.ledger() == []
    paths = {r["path"] for r in emulator.requests()}
    assert not any("broadcast" in p for p in paths)
    assert "/api/v1/users/bob_demo/usernameinfo/" in paths


def test_dry_run_prepares_media_without_uploading(run_dag, emulator, demo, tmp_path):
    photo = _photo(tmp_path / "wide.jpg", size=(3000, 1000))

    out = run_dag(
        "dm_send_photo", {"path": str(photo), "threads": [demo["group"]], "conn": "dm_emulator_dry"}
    )

    (record,) = out.result("send")
    assert record["status"] == "dry_run"
    assert (record["item"]["width"], record["item"]["height"]) == (1080, 565)
    assert emulator.requests() == []


def _bad_inputs(tmp_path: Path, write_mp4) -> dict:
    not_image = tmp_path / "notes.jpg"
    not_image.write_text("just some text")
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(_photo(tmp_path / "whole.jpg").read_bytes()[:1500])
    photo = str(_photo(tmp_path / "ok.jpg"))
    photo_upload = {
        "upload_id": "1790000000000",
        "kind": "photo",
        "route": "classic",
        "width": 10,
        "height": 10,
        "duration_ms": None,
        "bytes": 10,
        "media_id": None,
    }
    video = str(write_mp4(tmp_path / "ok.mp4"))
    return {
        "empty text": ("dm_send_message", {"text": ""}, "text: is empty"),
        "text too long": ("dm_send_message", {"text": "x" * 1001}, "text: is 1001 characters"),
        "url not in text": (
            "dm_send_link",
            {"text": "See https://example.com/a", "urls": ["https://example.com/b"]},
            "urls: 'https://example.com/b' does not stand in the text",
        ),
        "flat recipients": (
            "dm_send_message",
            {"text": "Hi there", "recipients": ["5110000101"], "threads": None},
            "recipients: recipients must be a list of lists",
        ),
        "no destination": (
            "dm_send_message",
            {"text": "Hi there", "threads": None},
            "recipients: no destination",
        ),
        "non-numeric thread": (
            "dm_send_message",
            {"text": "Hi there", "threads": ["not-a-thread"]},
            "threads[0]: must be a numeric id",
        ),
        "non-numeric user id": (
            "dm_share_profile",
            {"user_id": "carol_demo"},
            "user_id: must be a numeric id",
        ),
        "missing file": (
            "dm_send_photo",
            {"path": str(tmp_path / "nope.jpg")},
            "path: no such file",
        ),
        "not an image": ("dm_send_photo", {"path": str(not_image)}, "path: is not an image"),
        "corrupt jpeg": ("dm_send_photo", {"path": str(corrupt)}, "path: is a corrupt"),
        "not an mp4": ("dm_send_video", {"path": photo}, "path: is not an MP4"),
        "photo upload to the video operator": (
            "dm_send_video",
            {"upload": photo_upload},
            "upload_id: is a photo upload",
        ),
        "photo upload id to the video operator": (
            "dm_send_video",
            {"upload_id": photo_upload},
            "upload_id: is a photo upload",
        ),
        "bare upload id on the attachment route": (
            "dm_send_photo",
            {"upload_id": "1790000000000"},
            "upload_id: the attachment route",
        ),
        "both path and upload": (
            "dm_send_video",
            {"path": video, "upload": photo_upload},
            "path: give either path",
        ),
        "upload of a missing file": (
            "dm_upload_photo",
            {"path": str(tmp_path / "gone.png")},
            "path: no such file",
        ),
        "upload of a non-mp4 video": ("dm_upload_video", {"path": photo}, "path: is not an MP4"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "empty text",
        "text too long",
        "url not in text",
        "flat recipients",
        "no destination",
        "non-numeric thread",
        "non-numeric user id",
        "missing file",
        "not an image",
        "corrupt jpeg",
        "not an mp4",
        "photo upload to the video operator",
        "photo upload id to the video operator",
        "bare upload id on the attachment route",
        "both path and upload",
        "upload of a missing file",
        "upload of a non-mp4 video",
    ],
)
def test_bad_input_is_refused_before_any_request(
    run_dag, emulator, demo, tmp_path, write_mp4, capsys, case
):
    dag_id, conf, message = _bad_inputs(tmp_path, write_mp4)[case]
    conf = {"threads": [demo["group"]], **conf}

    out = run_dag(dag_id, conf)

    task_id = "upload" if dag_id.startswith("dm_upload") else "send"
    assert out.state_of(task_id) == "failed"
    assert out.tries[(task_id, -1)] == 1, "bad input is not retried"
    assert message in capsys.readouterr().out
    assert emulator.requests() == []
    assert emulator.ledger() == []


@pytest.mark.parametrize("option", [{"quality": 80}, {"max_side": 640}])
@pytest.mark.parametrize("operator", ["DirectUploadVideoOperator", "DirectSendVideoOperator"])
def test_video_operators_refuse_photo_options_at_parse(operator, option):
    import airflow_provider_dm.operators as operators

    (name,) = option
    with pytest.raises(TypeError, match=f"{operator} takes no {name}: they apply to photos only"):
        getattr(operators, operator)(task_id="video", path="clip.mp4", threads=["1"], **option)


def test_photo_options_in_default_args_reach_only_the_photo_operators(
    run_dag, emulator, demo, tmp_path, write_mp4
):
    photo = _photo(tmp_path / "p.jpg", size=(1600, 1200))
    video = write_mp4(tmp_path / "clip.mp4", duration_ms=2000)

    out = run_dag(
        "dm_upload_photo_options_in_default_args",
        {"photo": str(photo), "video": str(video), "threads": [demo["group"]]},
    )

    assert out.state == "success", out.states
    assert max(out.result("upload_photo")["width"], out.result("upload_photo")["height"]) == 320
    assert out.result("upload_video")["kind"] == "video"
    _sent_rows(emulator, out.result("send_video"))


def test_uploaded_photo_is_resized_rotated_and_reencoded(
    run_dag, emulator, emulator_server, tmp_path
):
    # Stored 1600x1200 with EXIF orientation 6: shown 1200x1600 (red on top), which is
    # taller than 4:5, so it is cropped to 1200x1500, then scaled to max_side 640.
    source = _photo(tmp_path / "rotated.jpg", size=(1600, 1200), orientation=6)

    out = run_dag("dm_upload_photo", {"path": str(source)})

    result = out.result("upload")
    assert (result["width"], result["height"]) == (512, 640)
    (request,) = [
        r
        for r in emulator.requests()
        if r["method"] == "POST" and r["path"].startswith("/messenger_image/")
    ]
    name = request["path"].rsplit("/", 1)[1]
    uploads = Path(f"{emulator_server.db_path}.uploads")
    (stored,) = uploads.glob(f"*{name}")
    image = Image.open(io.BytesIO(stored.read_bytes()))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (512, 640)
    assert image.getexif().get(0x0112, 1) == 1
    top, bottom = image.getpixel((256, 20)), image.getpixel((256, 620))
    assert top[0] > 150 > top[2]
    assert bottom[2] > 150 > bottom[0]
    reference = io.BytesIO()
    Image.new("RGB", (16, 16)).save(reference, "JPEG", quality=80)
    assert image.quantization == Image.open(reference).quantization
    assert result["bytes"] == stored.stat().st_size
    assert json.loads(json.dumps(result)) == result
