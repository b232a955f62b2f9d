"""The messaging events of a webhook payload (``{"object": "instagram", "entry": [{"id",
"time", "messaging": [...]}]}``), flattened into small JSON-able records, oldest first, each
``mid`` once (Meta retries deliveries, and order is not guaranteed)."""

from __future__ import annotations

from typing import Any

KINDS = ("message", "reaction", "read", "postback", "message_edit", "referral")


def messaging_events(payload: Any) -> list[dict[str, Any]]:
    """One record per messaging event: ``{kind, mid, sender_id, recipient_id, account_id,
    timestamp, text, is_echo, attachments, reaction}``; unknown shapes are skipped."""
    if not isinstance(payload, dict) or payload.get("object") not in ("instagram", "page"):
        return []
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in _dicts(payload.get("entry")):
        for event in _dicts(entry.get("messaging")):
            record = _record(event, str(entry.get("id") or ""))
            if record is not None:
                records.setdefault((record["kind"], record["mid"] or repr(record)), record)
    return sorted(records.values(), key=lambda r: r["timestamp"] or 0)


def _record(event: dict[str, Any], account_id: str) -> dict[str, Any] | None:
    kind = next((k for k in KINDS if isinstance(event.get(k), dict)), None)
    if kind is None:
        return None
    body = event[kind]
    attachments = [
        {"type": a.get("type"), "url": (a.get("payload") or {}).get("url")}
        for a in _dicts(body.get("attachments"))
    ]
    return {
        "kind": kind,
        "mid": body.get("mid"),
        "sender_id": str((event.get("sender") or {}).get("id") or ""),
        "recipient_id": str((event.get("recipient") or {}).get("id") or ""),
        "account_id": account_id,
        "timestamp": event.get("timestamp"),
        "text": body.get("text"),
        "is_echo": bool(body.get("is_echo")),
        "attachments": attachments,
        "reaction": body.get("reaction") if kind == "reaction" else None,
    }


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
