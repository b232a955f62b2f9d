"""The "Instagram Direct" connection form in the real Airflow UI, driven in headless Chromium:
log in, add a connection against the emulator, test it, save it, read it back over REST."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from airflow_services import ADMIN, EMULATOR_LOGIN, EMULATOR_PASSWORD, AirflowServices

from airflow_provider_dm.provider_info import CONN_FIELDS, CONN_TYPE, get_provider_info

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CONN_ID = "instagram_direct_form"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def _connection_type() -> dict[str, Any]:
    types = get_provider_info()["connection-types"]
    return next(t for t in types if t["connection-type"] == CONN_TYPE)


def _extra_values(emulator_url: str) -> dict[str, Any]:
    """What the test enters in every extra field (None: left as shown, checked as the default)."""
    return {
        "upload_url": f"{emulator_url}/",
        "proxy": None,
        "timeout": 10,
        "send_interval": 0.5,
        "totp_secret": TOTP_SECRET,
        "session_variable": f"instagram_direct_session_secret__{CONN_ID}",
        "verify_tls": None,
        "media_route": "classic",
        "send_rate": "100/1s;1000/1h",
        "redis_conn_id": None,
        "state_dir": None,
        "feedback_cooldown": "12h",
        "dry_run": True,
        "device": '{"model": "Pixel 9", "resolution": "1080x2424"}',
        "locale": "de_DE",
        "timezone_offset": 3600,
        "country": "DE",
    }


def _log_in(page: Any, services: AirflowServices) -> None:
    page.goto(f"{services.base_url}/")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(services.admin_password())
    page.get_by_role("button", name="Sign in").click()
    # Wait for the sign-in to finish: a navigation started meanwhile is aborted by its redirect.
    from playwright.sync_api import expect

    expect(page.get_by_label("Password")).to_have_count(0, timeout=30_000)


def _extra_field(page: Any, dialog: Any, label: str) -> Any:
    """The form group (label, control, helper text) of one extra field."""
    return dialog.locator('[data-scope="field"][data-part="root"]').filter(
        has=page.get_by_text(label, exact=True)
    )


def _check_and_fill_extra(page: Any, dialog: Any, name: str, value: Any) -> None:
    """Check that the field shows its label, help, type and default; then enter `value`."""
    from playwright.sync_api import expect

    spec = CONN_FIELDS[name]
    schema = spec["schema"]
    types = set(schema["type"]) if isinstance(schema["type"], list) else {schema["type"]}
    group = _extra_field(page, dialog, spec["label"])
    expect(group).to_have_count(1)
    if spec.get("description"):
        expect(group).to_contain_text(spec["description"])
    control = group.locator(f'[name="element_{name}"]')
    expect(control).to_have_count(1)
    if "enum" in schema:
        expect(control).to_have_value(str(schema["default"]))
        if value is not None:
            group.get_by_role("combobox").fill(str(value))
            page.get_by_role("option", name=str(value), exact=True).click()
            expect(control).to_have_value(str(value))
    elif "boolean" in types:
        expect(control).to_have_attribute("type", "checkbox")
        expect(control).to_be_checked(checked=bool(schema.get("default")))
        if value is not None and value != bool(schema.get("default")):
            group.locator(f'[id="switch:element_{name}"]').click()
            expect(control).to_be_checked(checked=bool(value))
    elif types & {"number", "integer"}:
        expect(control).to_have_attribute("role", "spinbutton")
        expect(control).to_have_value(str(schema.get("default", "")))
        if value is not None:
            control.fill(str(value))
            expect(control).to_have_value(str(value))
    else:
        if schema.get("format") == "password":
            expect(control).to_have_attribute("type", "password")
        if value is not None:
            control.fill(str(value))


def test_connection_form_adds_tests_and_saves_an_emulator_connection(
    airflow_services: AirflowServices, page: Any, tmp_path: Path
) -> None:
    """Admin -> Connections -> Add: the relabelled standard fields and every extra field are
    shown; filled in for the emulator, the connection saves, its Test succeeds against the
    emulator, and the REST API returns exactly what was entered (secrets masked)."""
    from playwright.sync_api import expect

    services = airflow_services
    conn_type = _connection_type()
    behaviour = conn_type["ui-field-behaviour"]
    values = _extra_values(services.emulator_url)
    assert set(values) == set(CONN_FIELDS), "every declared extra field is exercised"

    _log_in(page, services)
    page.get_by_role("button", name="Admin").click()
    page.get_by_role("menuitem", name="Connections").click()
    expect(page).to_have_url(re.compile(r"/connections$"))
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Connection ID").fill(CONN_ID)
    dialog.get_by_role("combobox").first.fill("Instagram")
    page.get_by_role("option", name=conn_type["hook-name"], exact=True).click()

    for field, label in behaviour["relabeling"].items():
        expect(dialog.get_by_label(label, exact=True)).to_have_attribute("name", field)
    for field, placeholder in behaviour["placeholders"].items():
        expect(dialog.locator(f'[name="{field}"]')).to_have_attribute("placeholder", placeholder)
    for field in set(behaviour["hidden-fields"]) - {"extra"}:
        expect(dialog.locator(f'[name="{field}"]')).to_have_count(0)

    dialog.get_by_label(behaviour["relabeling"]["host"], exact=True).fill(
        f"{services.emulator_url}/api/v1/"
    )
    dialog.get_by_label(behaviour["relabeling"]["login"], exact=True).fill(EMULATOR_LOGIN)
    dialog.get_by_label(behaviour["relabeling"]["password"], exact=True).fill(EMULATOR_PASSWORD)
    page.screenshot(path=str(tmp_path / "connection-form-standard.png"), full_page=True)
    dialog.get_by_role("button", name="Extra Fields", exact=True).click()
    for name, value in values.items():
        _check_and_fill_extra(page, dialog, name, value)

    screenshot = tmp_path / "connection-form-extra.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshots of the filled form: {tmp_path}/connection-form-*.png")

    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    row = page.get_by_role("row").filter(has_text=CONN_ID)
    expect(row).to_contain_text(CONN_TYPE)

    # Airflow 3.3.2's UI posts `port: Number(null)`, i.e. 0, for a connection without a port,
    # and the API then refuses to reuse the stored secrets ("host or port ... differs"); fixed
    # upstream in the API (apache/airflow#73298). Drop that 0 so the stored connection is tested.
    def drop_port_zero(route: Any) -> None:
        body = route.request.post_data_json
        if body.get("port") == 0:
            body.pop("port")
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/v2/connections/test", drop_port_zero)
    row.get_by_role("button", name="Test Connection").click()
    toast = page.locator('[data-scope="toast"]').filter(has_text="Test Connection")
    expect(toast.first).to_contain_text("Test Connection Successful", timeout=30_000)
    expect(toast.first).to_contain_text(f"Logged in as {EMULATOR_LOGIN}")
    page.screenshot(path=str(tmp_path / "connection-tested.png"), full_page=True)

    stored = services.api("GET", f"connections/{CONN_ID}").json()
    assert stored["conn_type"] == CONN_TYPE
    assert stored["host"] == f"{services.emulator_url}/api/v1/"
    assert stored["login"] == EMULATOR_LOGIN
    assert stored["password"] != EMULATOR_PASSWORD
    extra = json.loads(stored["extra"])
    expected = {
        name: CONN_FIELDS[name]["schema"].get("default") if value is None else value
        for name, value in values.items()
    }
    expected["totp_secret"] = "***"
    assert extra == expected


def test_the_session_variable_is_masked_in_the_ui_and_over_rest(
    airflow_services: AirflowServices, page: Any, tmp_path: Path
) -> None:
    """A real session stored under the hook's default Variable name: the Variables page and
    `GET /api/v2/variables/<key>` show `***` in place of the bearer token and every string."""
    from playwright.sync_api import expect

    from airflow_provider_dm.client import DirectClient
    from airflow_provider_dm.hooks.session_store import DESCRIPTION, default_session_key

    services = airflow_services
    url = services.emulator_url
    state = DirectClient(api_url=f"{url}/api/v1/", upload_url=f"{url}/").login(
        EMULATOR_LOGIN, EMULATOR_PASSWORD
    )
    secrets = state.secrets()
    key = default_session_key(CONN_ID)
    services.api("DELETE", f"variables/{key}")
    body = {"key": key, "value": state.to_json(), "description": DESCRIPTION}
    services.api("POST", "variables", json=body).raise_for_status()

    served = services.api("GET", f"variables/{key}").json()["value"]
    assert json.loads(served)["authorization"] == "***"
    assert json.loads(served)["uuid"] == "***"
    assert not [s for s in secrets if s in served]

    _log_in(page, services)
    page.goto(f"{services.base_url}/variables")
    # The page shortens long keys and values: find the row by its description.
    row = page.get_by_role("row").filter(has_text=DESCRIPTION)
    expect(row).to_contain_text('"uuid": "***"')
    assert not [s for s in secrets if s in page.content()]
    row.get_by_role("button").filter(has_text=key[:30]).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text('"authorization": "***"')
    page.screenshot(path=str(tmp_path / "variable-masked.png"), full_page=True)
    assert not [s for s in secrets if s in page.content()]
    services.api("DELETE", f"variables/{key}")
