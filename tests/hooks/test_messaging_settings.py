"""Settings of the official Messaging API connection: coerced and checked as the Direct
connection's are (one set of coercions), the token and a proxy's credentials never quoted."""

from __future__ import annotations

import pytest

from airflow_provider_dm.hooks.messaging_settings import API_VERSION, MessagingSettings

TOKEN = "IGQ-token-secret"


def build(extra=None, overrides=None, host=None):
    return MessagingSettings.build(
        conn_id="dm_graph",
        login=None,
        password=TOKEN,
        host=host,
        extra=extra or {},
        overrides=overrides or {},
    )


def test_defaults_point_at_graph_instagram_com():
    settings = build()
    assert settings.api_url == "https://graph.instagram.com/"
    assert settings.api_version == API_VERSION
    assert settings.timeout == 30.0 and settings.verify_tls is True
    assert TOKEN not in repr(settings)


def test_uri_form_strings_are_coerced():
    settings = build({"timeout": "12.5", "verify_tls": "no", "dry_run": "yes"}, host="127.0.0.1:9")
    assert settings.timeout == 12.5
    assert settings.verify_tls is False and settings.dry_run is True
    assert settings.api_url == "https://127.0.0.1:9/"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"timeout": "soon"}, "timeout"),
        ({"verify_tls": "maybe"}, "verify_tls"),
        ({"redis_conn_id": " "}, "redis_conn_id"),
        ({"api_version": "26"}, "api_version"),
        ({"ig_user_id": "abc"}, "ig_user_id"),
        ({"login_flavour": "facebook"}, "page_id"),
        ({"proxy": "ftp://user:hunter2@proxy:21"}, "proxy"),
        ({"proxy": "http://user:hunter2@bad host:3128"}, "proxy"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(extra, field):
    with pytest.raises(ValueError, match=f"^{field}: ") as refused:
        build(extra)
    assert "hunter2" not in str(refused.value) and TOKEN not in str(refused.value)


def test_a_good_proxy_is_kept_out_of_the_repr():
    settings = build({"proxy": "socks5h://user:hunter2@127.0.0.1:1080"})
    assert settings.proxy == "socks5h://user:hunter2@127.0.0.1:1080"
    assert "hunter2" not in repr(settings)
