"""The provider-info dict Airflow reads at discovery; it also declares the connection form.

Airflow 3.3 builds the "Add Connection" form only from this dict, so every connection field
lives here. This module imports nothing from Airflow.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_dm.client.checks import MEDIA_ROUTES

CONN_TYPE = "instagram_direct"
DEFAULT_CONN_ID = "instagram_direct_default"
MESSAGING_CONN_TYPE = "instagram_messaging"
MESSAGING_DEFAULT_CONN_ID = "instagram_messaging_default"
DEFAULT_API_URL = "https://i.instagram.com/api/v1/"
DEFAULT_UPLOAD_URL = "https://i.instagram.com/"
ATTACHMENT_UPLOAD_URL = "https://rupload.facebook.com/"

_NULLABLE_STRING = {"type": ["string", "null"]}

CONN_FIELDS: dict[str, dict[str, Any]] = {
    "upload_url": {
        "label": "Upload base URL",
        "description": "Where photos and videos are uploaded. Empty: the service's own "
        "upload host, or the API host's root for any other server.",
        "schema": {**_NULLABLE_STRING, "format": "url"},
    },
    "proxy": {
        "label": "Proxy URL",
        "description": "Proxy for every request and upload: http://, https://, socks5:// "
        "(names resolved here) or socks5h:// (names resolved by the proxy), e.g. "
        "socks5h://user:pass@proxy:1080. SOCKS needs airflow-provider-dm[socks].",
        "schema": {**_NULLABLE_STRING, "format": "password"},
    },
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Per-request timeout.",
        "schema": {"type": ["number", "null"], "default": 30, "minimum": 1},
    },
    "send_interval": {
        "label": "Minimum seconds between sends",
        "description": "Pacing, so that a DAG does not trip the service's spam limits.",
        "schema": {"type": ["number", "null"], "default": 0, "minimum": 0},
    },
    "totp_secret": {
        "label": "TOTP secret",
        "description": "Base32 secret of the authenticator app; completes two-factor login.",
        "schema": {**_NULLABLE_STRING, "format": "password"},
    },
    "session_variable": {
        "label": "Session Variable",
        "description": "Airflow Variable that keeps the logged-in session; Airflow masks it "
        "when its name contains 'secret'. Empty: instagram_direct_session_secret__<conn_id>.",
        "schema": _NULLABLE_STRING,
    },
    "verify_tls": {
        "label": "Verify TLS certificates",
        "schema": {"type": ["boolean", "null"], "default": True},
    },
    "media_route": {
        "label": "Media route",
        "description": "attachment: the current upload and send flow; classic: "
        "rupload_igphoto/configure_photo and rupload_igvideo/configure_video.",
        "schema": {
            "type": ["string", "null"],
            "default": "attachment",
            "enum": list(MEDIA_ROUTES),
        },
    },
    "send_rate": {
        "label": "Send budget",
        "description": "Limits on the account's sends and uploads across every task and "
        "worker, e.g. 1/20s;60/1h;300/1d, or off. Empty: 1/30s;40/1h;150/1d for Instagram, "
        "off for any other server.",
        "schema": _NULLABLE_STRING,
    },
    "redis_conn_id": {
        "label": "Redis connection",
        "description": "An Airflow Redis connection that holds the account's budget, block "
        "mark and login lock for workers on several machines. Empty: a folder of each machine.",
        "schema": _NULLABLE_STRING,
    },
    "state_dir": {
        "label": "Local state folder",
        "description": "Where the account's budget, block mark and login lock live without "
        "Redis. Empty: airflow-provider-dm in the temporary directory.",
        "schema": _NULLABLE_STRING,
    },
    "feedback_cooldown": {
        "label": "Spam-block cool-down",
        "description": "How long every task of the account stops after Instagram answers "
        "feedback_required, e.g. 12h or 90m. Empty: 24h.",
        "schema": _NULLABLE_STRING,
    },
    "device": {
        "label": "Device",
        "description": "The phone the account normally uses, as a JSON object with any of "
        "manufacturer, model, android_version, android_release, dpi, resolution, app_version, "
        "version_code (and the codenames device, cpu); a field left out keeps the default "
        '(a Pixel 8 Pro). E.g. {"manufacturer": "samsung", "model": "SM-S918B", '
        '"android_version": 34, "android_release": "14", "dpi": "480dpi", '
        '"resolution": "1080x2340"}. A change applies at the next login.',
        "schema": _NULLABLE_STRING,
    },
    "locale": {
        "label": "Locale",
        "description": "The phone's locale, e.g. en_US or de_DE. Empty: en_US.",
        "schema": _NULLABLE_STRING,
    },
    "timezone_offset": {
        "label": "Time zone offset (seconds)",
        "description": "Seconds east of UTC, e.g. 3600 for Central European winter time. Empty: 0.",
        "schema": {"type": ["integer", "null"], "minimum": -43200, "maximum": 50400},
    },
    "country": {
        "label": "Country",
        "description": "Two-letter ISO 3166 code of the phone's country, e.g. US. Empty: US.",
        "schema": _NULLABLE_STRING,
    },
    "dry_run": {
        "label": "Dry run",
        "description": "Validate and prepare every send, but send nothing.",
        "schema": {"type": ["boolean", "null"], "default": False},
    },
}


MESSAGING_CONN_FIELDS: dict[str, dict[str, Any]] = {
    "ig_user_id": {
        "label": "IG user id",
        "description": "The account's IG_ID. Empty: looked up with GET /me?fields=user_id.",
        "schema": _NULLABLE_STRING,
    },
    "login_flavour": {
        "label": "Login flavour",
        "description": "instagram: graph.instagram.com with an Instagram user token; "
        "facebook: graph.facebook.com with a Page token and the Page id.",
        "schema": {
            "type": ["string", "null"],
            "default": "instagram",
            "enum": ["instagram", "facebook"],
        },
    },
    "page_id": {
        "label": "Facebook Page id",
        "description": "The Page linked to the account (facebook flavour only).",
        "schema": _NULLABLE_STRING,
    },
    "api_version": {
        "label": "Graph API version",
        "schema": {"type": ["string", "null"], "default": "v26.0"},
    },
    "app_secret": {
        "label": "App secret",
        "description": "Optional: verifies the X-Hub-Signature-256 of webhook payloads.",
        "schema": {**_NULLABLE_STRING, "format": "password"},
    },
    "send_rate": CONN_FIELDS["send_rate"],
    "redis_conn_id": CONN_FIELDS["redis_conn_id"],
    "dry_run": CONN_FIELDS["dry_run"],
    "proxy": CONN_FIELDS["proxy"],
    "timeout": CONN_FIELDS["timeout"],
    "verify_tls": CONN_FIELDS["verify_tls"],
}


def get_provider_info() -> dict[str, Any]:
    """Return the provider-info dict for Airflow's provider manager."""
    return {
        "package-name": "airflow-provider-dm",
        "name": "Instagram Direct",
        "description": "Instagram Direct: fetch the inbox and threads, send every item type.",
        "versions": ["0.1.0"],
        "integrations": [
            {
                "integration-name": "Instagram Direct",
                "external-doc-url": "https://developers.facebook.com/docs/instagram",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Instagram Direct",
                "python-modules": [
                    "airflow_provider_dm.hooks.direct",
                    "airflow_provider_dm.hooks.messaging_api",
                ],
            }
        ],
        "operators": [
            {
                "integration-name": "Instagram Direct",
                "python-modules": [
                    "airflow_provider_dm.operators.inbox",
                    "airflow_provider_dm.operators.thread",
                    "airflow_provider_dm.operators.send",
                    "airflow_provider_dm.operators.upload",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Instagram Direct",
                "python-modules": ["airflow_provider_dm.sensors.reply"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Instagram Direct",
                "python-modules": ["airflow_provider_dm.triggers.reply"],
            }
        ],
        "notifications": ["airflow_provider_dm.notifications.direct.DirectNotifier"],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider_dm.hooks.direct.DirectHook",
                "hook-name": "Instagram Direct",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "extra"],
                    "relabeling": {
                        "login": "Username",
                        "password": "Password",
                        "host": "API base URL",
                    },
                    "placeholders": {
                        "login": "your_username",
                        "host": DEFAULT_API_URL,
                    },
                },
                "conn-fields": CONN_FIELDS,
            },
            {
                "connection-type": MESSAGING_CONN_TYPE,
                "hook-class-name": "airflow_provider_dm.hooks.messaging_api.MessagingApiHook",
                "hook-name": "Instagram Messaging API (official)",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "extra"],
                    "relabeling": {
                        "login": "Username (optional)",
                        "password": "Access token",
                        "host": "Graph API base URL",
                    },
                    "placeholders": {"host": "https://graph.instagram.com/"},
                },
                "conn-fields": MESSAGING_CONN_FIELDS,
            },
        ],
    }
