"""STOP and START: a person may stop every message from the bot at any time, and come back."""

from __future__ import annotations

from conversations.i18n import T
from conversations.parse import command
from conversations.views import Reply


def keyword(text: str, language: str) -> str | None:
    """ "stop" or "start" when the whole message is one of their keywords."""
    return command(text, language, ("stop", "start"))


def stopped(language: str, fallback: str = "en", mechanism: str = "NMIRF") -> Reply:
    t = T(language, fallback)
    return Reply(
        # TRANSLATORS: {mechanism}: e.g. "NMIRF". START: your language's start word (keywords.txt). Sent by SMS: keep
        # it as short as the English.
        t(
            "You will get no more messages from the {mechanism} bot. Send START to receive them again.",
            mechanism=mechanism,
        )
    )


def started(language: str, fallback: str = "en", mechanism: str = "NMIRF") -> Reply:
    t = T(language, fallback)
    # TRANSLATORS: {mechanism}: e.g. "NMIRF". Sent by SMS: keep it as short as the English.
    return Reply(t("Welcome back: you will get {mechanism} messages again. Send HELP for help.", mechanism=mechanism))
