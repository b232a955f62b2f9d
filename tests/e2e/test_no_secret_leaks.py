"""No secret anywhere a person can read it: after the end-to-end runs (and `secret_leaks`, which
logs in with password and TOTP, sends and fetches), every task log, every XCom value, every
rendered template field, every Variable as the REST API serves it and the emulator's request
log hold 0 copies of the password, the TOTP secret, a session id or a bearer token.

A marker planted in each of those places is found, so the search can fail. The test runs after
the other tests of the shared stack (see conftest.py), so that it searches what they left too.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
import uuid
from contextlib import closing
from typing import Any

import pytest
from airflow_services import EMULATOR_PASSWORD, AirflowServices

from airflow_provider_dm.client import SessionState
from airflow_provider_dm.emulator.auth import bearer_for
from airflow_provider_dm.emulator.control import EmulatorControl

pytestmark = [pytest.mark.e2e, pytest.mark.after_runs]

DAG_ID = "secret_leaks"
CONN_ID = "dm_leak_2fa"
LOGIN_2FA = "airflow_demo_2fa"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
MARKER_VARIABLE = "dm_leak_marker"


def _paged(services: AirflowServices, path: str, field: str) -> list[dict[str, Any]]:
    """Every entry of a REST collection, 100 at a time."""
    entries: list[dict[str, Any]] = []
    while True:
        params = {"limit": 100, "offset": len(entries)}
        body = services.api("GET", path, params=params).json()
        entries.extend(body[field])
        if not body[field] or len(entries) >= body["total_entries"]:
            return entries


def _task_logs(services: AirflowServices) -> str:
    paths = sorted((services.home / "logs").glob("dag_id=*/**/*.log"))
    assert paths, "no task log found"
    return "\n".join(path.read_text(errors="replace") for path in paths)


def _xcom_values(services: AirflowServices) -> str:
    values = []
    for entry in _paged(services, "dags/~/dagRuns/~/taskInstances/~/xcomEntries", "xcom_entries"):
        path = (
            f"dags/{entry['dag_id']}/dagRuns/{entry['run_id']}/taskInstances/"
            f"{entry['task_id']}/xcomEntries/{entry['key']}"
        )
        response = services.api("GET", path, params={"map_index": entry["map_index"]})
        response.raise_for_status()
        values.append(json.dumps(response.json()["value"]))
    return "\n".join(values)


def _rendered_fields(services: AirflowServices) -> str:
    tis = _paged(services, "dags/~/dagRuns/~/taskInstances", "task_instances")
    return "\n".join(json.dumps(ti.get("rendered_fields")) for ti in tis)


def _variables(services: AirflowServices) -> str:
    return json.dumps(_paged(services, "variables", "variables"))


def _secrets(services: AirflowServices) -> dict[str, str]:
    """What must not appear: the password, the TOTP secret, and the session id and bearer token
    of every session the emulator's store and the stored session Variables know of."""
    found = {"password": EMULATOR_PASSWORD, "TOTP secret": TOTP_SECRET}
    with closing(sqlite3.connect(services.root / "emulator.sqlite", timeout=30)) as db:
        sessions = db.execute("SELECT user_pk, sessionid FROM sessions").fetchall()
    for user_pk, sessionid in sessions:
        bearer = bearer_for(int(user_pk), sessionid)
        found[f"session id {sessionid[:6]}…"] = sessionid
        found[f"session id {sessionid[:6]}… (unquoted)"] = urllib.parse.unquote(sessionid)
        found[f"bearer of {sessionid[:6]}…"] = bearer.rsplit(":", 1)[-1]
    for variable in _paged(services, "variables", "variables"):
        value = services.stored_variable(variable["key"]) or ""
        if variable["key"].startswith("instagram_direct_session"):
            for index, secret in enumerate(SessionState.from_json(value).secrets()):
                found[f"{variable['key']} secret {index}"] = secret
    return found


def test_no_secret_in_logs_xcom_rendered_fields_variables_or_the_request_log(
    airflow_services: AirflowServices,
) -> None:
    services = airflow_services
    marker = f"leak-check-{uuid.uuid4().hex}"
    services.add_connection(CONN_ID, login=LOGIN_2FA, extra={"totp_secret": TOTP_SECRET})
    body = {"key": MARKER_VARIABLE, "value": marker}
    services.api("DELETE", f"variables/{MARKER_VARIABLE}")
    services.api("POST", "variables", json=body).raise_for_status()

    run = services.run_dag(DAG_ID, timeout=180, conf={"marker": marker})
    assert run["state"] == "success", services.report()
    emulator = EmulatorControl(services.emulator_url)
    two_factor = [r for r in emulator.requests() if r["path"].endswith("two_factor_login/")]
    assert two_factor, "the run did not log in with a TOTP code"

    sources = {
        "task logs": _task_logs(services),
        "XCom values": _xcom_values(services),
        "rendered template fields": _rendered_fields(services),
        "Variables over REST": _variables(services),
        "emulator request log": json.dumps(emulator.requests()),
    }
    secrets = _secrets(services)
    hits = {
        (source, name): text.count(secret)
        for source, text in sources.items()
        for name, secret in secrets.items()
        if secret in text
    }
    print(
        f"\nsearched {sum(len(t) for t in sources.values()):,} characters in {len(sources)} "
        f"sources for {len(secrets)} secrets: {sum(hits.values())} hits"
    )
    assert {source: marker in text for source, text in sources.items()} == dict.fromkeys(
        sources, True
    ), "the planted marker is not found everywhere: the search would miss a leak"
    assert len(secrets) > 2, "no session was found to look for"
    assert hits == {}
    services.api("DELETE", f"variables/{MARKER_VARIABLE}")
