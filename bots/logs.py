"""Log lines a host can collect: ``NEMOBOT_LOG_FORMAT=json`` writes one JSON object per line.

The fields are ``time`` (UTC, ISO-8601), ``level``, ``logger`` and ``message``, plus any of
:data:`EXTRA_FIELDS` a record carries (``log.info(..., extra={"chat": ..., "outcome": ...})``), so a
collector can filter per chat or outcome without parsing the message. Secrets are redacted by the
:class:`core.redact.RedactingFilter` on the handler before this formatter sees the record.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Structured fields core.metrics attaches to its per-turn, per-upload and per-export lines.
EXTRA_FIELDS = ("event", "chat", "duration_s", "outcome", "size_bytes")


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line (tracebacks included as a string field)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        if record.exc_text or record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False, default=str)


def use_json_lines() -> None:
    """Switch the root handlers (set up by :func:`core.redact.configure_logging`) to JSON lines."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonLines())
