"""Connection settings: hook kwargs override extras override defaults; extras are coerced."""

from __future__ import annotations

import pytest

from airflow_provider_dm.client.device import Device
from airflow_provider_dm.hooks.settings import DirectSettings
from airflow_provider_dm.provider_info import (
    ATTACHMENT_UPLOAD_URL,
    CONN_FIELDS,
    DEFAULT_API_URL,
    DEFAULT_UPLOAD_URL,
    get_provider_info,
)


def build(extra=None, overrides=None, host=None, login="someone"):
    return DirectSettings.build(
        conn_id="dm",
        login=login,
        password="pw-secret",
        host=host,
        extra=extra or {},
        overrides=overrides or {},
    )


def test_defaults_point_at_the_real_service():
    settings = build()
    assert settings.api_url == DEFAULT_API_URL
    assert settings.upload_url == ATTACHMENT_UPLOAD_URL
    assert settings.timeout == 30.0
    assert settings.send_interval == 0.0
    assert settings.verify_tls is True
    assert settings.media_route == "attachment"
    assert settings.dry_run is False
    assert settings.session_variable == "instagram_direct_session_secret__dm"


def test_classic_route_uploads_to_the_api_host():
    assert build(extra={"media_route": "classic"}).upload_url == DEFAULT_UPLOAD_URL


def test_any_other_server_gets_uploads_at_its_root():
    settings = build(host="http://127.0.0.1:8080/api/v1")
    assert settings.api_url == "http://127.0.0.1:8080/api/v1/"
    assert settings.upload_url == "http://127.0.0.1:8080/"


@pytest.mark.parametrize(
    ("host", "api_url"),
    [
        ("i.instagram.com", DEFAULT_API_URL),
        ("https://i.instagram.com/", DEFAULT_API_URL),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1/"),
        ("http://127.0.0.1:8080/custom/v9", "http://127.0.0.1:8080/custom/v9/"),
    ],
)
def test_a_host_without_a_path_gets_the_api_path(host, api_url):
    assert build(host=host).api_url == api_url


def test_the_real_service_gets_a_conservative_send_budget_and_any_other_server_none():
    assert str(build().send_rate[0]) == "1/30s"
    assert [str(limit) for limit in build().send_rate] == ["1/30s", "40/1h", "150/1d"]
    assert build(host="http://127.0.0.1:8080").send_rate == ()
    assert build(extra={"send_rate": "off"}).send_rate == ()


def test_uri_form_extras_are_coerced_from_strings():
    settings = build(
        extra={"timeout": "12.5", "send_interval": "2", "verify_tls": "false", "dry_run": "True"}
    )
    assert settings.timeout == 12.5
    assert settings.send_interval == 2.0
    assert settings.verify_tls is False
    assert settings.dry_run is True


def test_hook_kwargs_override_extras():
    settings = build(
        extra={"timeout": 5, "media_route": "classic", "session_variable": "from_extra"},
        overrides={"timeout": 7, "media_route": None, "session_variable": "from_kwarg"},
    )
    assert settings.timeout == 7.0
    assert settings.media_route == "classic"
    assert settings.session_variable == "from_kwarg"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"timeout": "soon"}, "timeout"),
        ({"send_interval": -1}, "send_interval"),
        ({"verify_tls": "maybe"}, "verify_tls"),
        ({"media_route": "carrier-pigeon"}, "media_route"),
        ({"upload_url": "ftp://example"}, "upload_url"),
        ({"send_rate": "5 per"}, "send_rate"),
        ({"feedback_cooldown": "soon"}, "feedback_cooldown"),
        ({"feedback_cooldown": "0h"}, "feedback_cooldown"),
        ({"redis_conn_id": 7}, "redis_conn_id"),
        ({"device": '{"colour": "blue"}'}, "device.colour"),
        ({"device": {"resolution": "1080"}}, "device.resolution"),
        ({"locale": "en-US"}, "locale"),
        ({"timezone_offset": "1h"}, "timezone_offset"),
        ({"country": "1"}, "country"),
        ({"proxy": "ftp://u:pw@proxy:21"}, "proxy"),
        ({"proxy": "socks5://proxy"}, "proxy"),
    ],
)
def test_bad_extras_name_the_field(extra, field):
    with pytest.raises(ValueError, match=field):
        build(extra=extra)


def test_device_extras_as_json_text_or_object():
    text = build(extra={"device": '{"model": "Pixel 9"}', "timezone_offset": "-18000"})
    assert (text.device.model, text.device.timezone_offset) == ("Pixel 9", -18000)
    obj = build(extra={"device": {"model": "Pixel 9"}, "locale": "fr_FR", "country": "FR"})
    assert (obj.device.model, obj.device.locale, obj.device.country) == ("Pixel 9", "fr_FR", "FR")
    assert build().device == Device()


def test_missing_username_is_refused():
    with pytest.raises(ValueError, match="login"):
        build(login="")


def test_secrets_stay_out_of_the_repr():
    settings = build(extra={"totp_secret": "JBSWY3DPEHPK3PXP", "proxy": "http://u:pw@proxy:3128"})
    text = repr(settings)
    for secret in ("pw-secret", "JBSWY3DPEHPK3PXP", "u:pw@proxy"):
        assert secret not in text


def test_every_form_field_is_a_setting():
    # locale, timezone_offset and country are kept in settings.device, with the phone.
    fields = {f for f in DirectSettings.__dataclass_fields__}
    fields |= {"locale", "timezone_offset", "country"} & set(Device.__dataclass_fields__)
    assert set(CONN_FIELDS) <= fields
    conn_type = get_provider_info()["connection-types"][0]
    assert conn_type["connection-type"] == "instagram_direct"
    assert conn_type["hook-name"] == "Instagram Direct"
    assert CONN_FIELDS["totp_secret"]["schema"]["format"] == "password"


@pytest.mark.parametrize(
    ("extra", "closest"),
    [
        ({"proxi": "http://proxy:3128"}, "proxy"),
        ({"verify_ssl": False}, "verify_tls"),
        ({"timout": 5}, "timeout"),
        ({"sendrate": "1/20s"}, "send_rate"),
        ({"media-route": "classic"}, "media_route"),
        ({"devise": "pixel"}, "device"),
    ],
)
def test_a_misspelt_extra_is_refused_naming_the_closest_valid_name(extra, closest):
    with pytest.raises(ValueError, match=f"did you mean '{closest}'"):
        build(extra=extra)


def test_every_extra_the_provider_reads_is_known():
    extras = {name: None for name in (*CONN_FIELDS, "api_url")}
    extras.update(
        device={"model": "Pixel 8 Pro"}, locale="en_US", timezone_offset="0", country="US"
    )

    assert build(extra=extras).ignored_extras == ()


def test_an_unknown_extra_far_from_every_name_is_only_reported():
    assert build(extra={"owner_note": "growth team"}).ignored_extras == ("owner_note",)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("http://exa mple.com", "space"),
        ("http://127.0.0.1:eighty", "Port could not be cast"),
        ("http://:8080", "no host name"),
        ("https://bad_host!/", "is not a host name"),
    ],
)
def test_a_host_that_is_not_a_url_is_refused(host, problem):
    with pytest.raises(ValueError, match=f"host: is not a URL .*{problem}"):
        build(host=host)


@pytest.mark.parametrize(
    "proxy", ["proxy:3128", "not a proxy", "http://:3128", "http://proxy:port", "ftp://p:21"]
)
def test_a_proxy_that_is_not_a_url_is_refused_without_quoting_it(proxy):
    with pytest.raises(ValueError, match="proxy: ") as refused:
        build(extra={"proxy": proxy})
    assert proxy not in str(refused.value)


@pytest.mark.parametrize(
    "proxy", ["http://proxy:3128", "https://u:p%40ss@proxy.example:443", "socks5h://[::1]:1080"]
)
def test_proxy_urls_are_kept(proxy):
    assert build(extra={"proxy": proxy}).proxy == proxy
