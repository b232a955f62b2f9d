"""A webhook delivery becomes a DAG run: the reference receiver checks the signature and posts
the events as an asset event through the real api-server's REST API; the scheduler starts
``dm_webhook_events``, which answers over the official Messaging API (the emulator's Graph
routes). A delivery with a bad signature starts nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.webhooks.asset_events import AssetEventPoster
from airflow_provider_dm.webhooks.receiver import WebhookServer
from airflow_provider_dm.webhooks.signature import HEADER, sign

DAG_ID = "dm_webhook_events"
APP_SECRET = "test-app-secret-0123456789"
VERIFY_TOKEN = "verify-me"


@pytest.fixture
def receiver(airflow_services) -> Iterator[str]:
    poster = AssetEventPoster(
        airflow_services.base_url,
        airflow_services.token(),
        "instagram_messaging_webhook",
        timeout=60,
    )
    server = WebhookServer(
        ("127.0.0.1", 0), app_secret=APP_SECRET, verify_token=VERIFY_TOKEN, poster=poster
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _payload(ig_id: str, sender: str, mid: str, text: str) -> bytes:
    event = {
        "sender": {"id": sender},
        "recipient": {"id": ig_id},
        "timestamp": int(time.time() * 1000),
        "message": {"mid": mid, "text": text},
    }
    entry = {"id": ig_id, "time": int(time.time() * 1000), "messaging": [event]}
    return json.dumps({"object": "instagram", "entry": [entry]}).encode()


def _runs(airflow_services) -> list[dict]:
    answer = airflow_services.api("GET", f"dags/{DAG_ID}/dagRuns")
    answer.raise_for_status()
    return answer.json()["dag_runs"]


def test_a_signed_delivery_starts_one_run_that_answers(airflow_services, receiver) -> None:
    emulator = EmulatorControl(airflow_services.emulator_url)
    token = emulator.graph_token()
    body = {
        "connection_id": "instagram_messaging_default",
        "conn_type": "instagram_messaging",
        "host": f"{airflow_services.emulator_url}/graph/",
        "password": token["access_token"],
    }
    airflow_services.api("DELETE", "connections/instagram_messaging_default")
    airflow_services.api("POST", "connections", json=body).raise_for_status()
    seed = emulator.seed()
    bob = next(u for u in seed["users"] if u["username"] == "bob_demo")
    thread = next(t for t in seed["threads"] if t["users"] == [bob["pk"]])
    emulator.incoming(thread["thread_id"], bob["pk"], "are you open today?")
    airflow_services.wait_for_dag(DAG_ID)
    airflow_services.api("PATCH", f"dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    try:
        check = requests.get(
            receiver,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "42",
            },
            timeout=10,
        )
        assert (check.status_code, check.text) == (200, "42")
        payload = _payload(token["ig_user_id"], bob["igsid"], "mid.1", "are you open today?")

        forged = requests.post(
            receiver, data=payload, headers={HEADER: sign(payload, "not-the-secret")}, timeout=10
        )
        delivered = requests.post(
            receiver, data=payload, headers={HEADER: sign(payload, APP_SECRET)}, timeout=180
        )

        assert forged.status_code == 403
        assert delivered.status_code == 200, delivered.text
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not _runs(airflow_services):
            time.sleep(1)
        runs = _runs(airflow_services)
        assert len(runs) == 1, "one run for the signed delivery, none for the forged one"
        run = airflow_services.wait_for_run(DAG_ID, runs[0]["dag_run_id"])
        assert run["state"] == "success", airflow_services.report()
        answers = [r for r in emulator.ledger() if r["backend"] == "graph"]
        assert [(r["kind"], r["thread_id"]) for r in answers] == [("text", thread["thread_id"])]
        assert answers[0]["fields"]["text"].startswith("Thanks for your message")
    finally:
        airflow_services.api("PATCH", f"dags/{DAG_ID}", json={"is_paused": True})
