"""A ``multipart/form-data`` body as the Graph routes take it (the attachment upload's
``message`` field and ``filedata`` file): text fields as strings, each file described by
its name, content type and size (the emulator keeps no media bytes, and the request log
stays JSON)."""

from __future__ import annotations

from email.message import Message
from email.parser import BytesHeaderParser

from airflow_provider_dm.emulator.wire import ApiError, JsonDict


def _boundary(content_type: str) -> bytes:
    message = Message()
    message["Content-Type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ApiError(400, "Invalid body: multipart/form-data without a boundary")
    return boundary.encode()


def parse_multipart(content_type: str, body: bytes) -> JsonDict:
    """The parts of a multipart body by field name; a part with a filename becomes
    ``{"filename", "content_type", "size"}``."""
    delimiter = b"--" + _boundary(content_type)
    form: JsonDict = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise ApiError(400, "Invalid body: a multipart part without headers")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = BytesHeaderParser().parsebytes(head.lstrip(b"\r\n"))
        disposition = Message()
        disposition["Content-Disposition"] = headers.get("Content-Disposition", "")
        name = disposition.get_param("name", header="Content-Disposition")
        filename = disposition.get_param("filename", header="Content-Disposition")
        if not isinstance(name, str) or not name:
            raise ApiError(400, "Invalid body: a multipart part without a name")
        if isinstance(filename, str):
            kind = headers.get("Content-Type", "application/octet-stream")
            form[name] = {
                "filename": filename,
                "content_type": kind.split(";")[0].strip().lower(),
                "size": len(content),
            }
        else:
            try:
                form[name] = content.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, f"Invalid body: field {name} is not UTF-8") from None
    return form
