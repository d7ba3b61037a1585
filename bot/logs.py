"""Log formatting: one line per record, as text for people or JSON for machines
(``LOG_FORMAT``), with secrets masked in the final line, tracebacks included."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Context a log call may pass with ``extra=``; JSON lines carry them as fields.
FIELDS = ("update_id", "chat_id", "user_id", "project_id", "kind", "outcome", "ms")


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the final text; PTB logs its base URL, token and all, at DEBUG."""

    def __init__(self, fmt: str | None, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


class JsonFormatter(RedactingFormatter):
    """One JSON object per line: time, level, logger, message, context fields, traceback."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__(None, secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(level: str, secrets: list[str], fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(secrets))
    else:
        handler.setFormatter(
            RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
        )
    logging.basicConfig(level=level, handlers=[handler])
    # httpx logs every request URL at INFO: noise, and the token (masked above) is in it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
