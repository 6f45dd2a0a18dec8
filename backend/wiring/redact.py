"""Logs name no phone number: every log line, tracebacks included, passes through a formatter
that blanks runs of seven or more digits (E.164 numbers, Telegram chat ids), and the database
engine is told to leave query parameters (where message bodies are) out of its errors."""

from __future__ import annotations

import logging

import regex

# "+254 700 000001", "+254700000001", a bare 7+ digit run (a chat id); not dates or times.
NUMBER = regex.compile(r"\+\d[\d ]{5,}\d|\d{7,}")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    return NUMBER.sub(lambda m: "[number]" if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: int = logging.WARNING) -> None:
    """The root logger writes through the redacting formatter (uvicorn's loggers propagate to it
    when uvicorn is started with log_config=None)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(RedactingFormatter(FORMAT))
    root.setLevel(level)
