"""The bodies PTB posts: form fields (values JSON-encoded but for a few strings), JSON, or
multipart with uploaded files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.fakeapi.model import STRING_FIELDS, Upload


def decode(params: Mapping[str, str | Upload]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Upload) or key in STRING_FIELDS:
            decoded[key] = value
            continue
        try:
            decoded[key] = json.loads(value)
        except ValueError:
            decoded[key] = value
    return decoded


def multipart(body: bytes, content_type: str) -> dict[str, str | Upload]:
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    fields: dict[str, str | Upload] = {}
    for part in body.split(b"--" + boundary):
        if b"\r\n\r\n" not in part:
            continue
        head, _, value = part.partition(b"\r\n\r\n")
        name_start = head.find(b'name="')
        if name_start < 0:
            continue
        name = head[name_start + 6 : head.index(b'"', name_start + 6)].decode()
        if b"filename=" in head:
            start = head.index(b'filename="') + 10
            filename = head[start : head.index(b'"', start)].decode()
            # The part ends with the CRLF before the next boundary, which is not the file's.
            fields[name] = Upload(filename, value[:-2] if value.endswith(b"\r\n") else value)
        else:
            fields[name] = value.rstrip(b"\r\n").decode()
    return fields
