"""What the bot says to people it does not know yet, and when a Telegram account gets linked.
Nothing about the roster is ever revealed to an unknown sender. `mechanism`: what the
deployment calls the mechanism (MECHANISM_NAME)."""

from __future__ import annotations

from bot.message import ReplyButton
from conversations.i18n import T
from conversations.views import Reply


def share_button(t: T) -> ReplyButton:
    return ReplyButton(t("Share my phone number"), request_contact=True)


def unknown_sender(language: str, channel: str, fallback: str = "en", mechanism: str = "NMIRF") -> list[Reply]:
    t = T(language, fallback)
    if channel == "telegram":
        return [
            Reply(
                t(
                    'Welcome to the {mechanism} focal point bot. To link your account, tap "Share my phone number" '
                    "below.",
                    mechanism=mechanism,
                ),
                (share_button(t),),
            )
        ]
    return [
        Reply(
            t(
                "This number is not registered with the {mechanism} focal point network. "
                "Please ask your {mechanism} secretariat to add you.",
                mechanism=mechanism,
            )
        )
    ]


def not_own_contact(language: str, fallback: str = "en") -> list[Reply]:
    t = T(language, fallback)
    return [Reply(t('Please share your own number with the "Share my phone number" button.'), (share_button(t),))]


def not_in_roster(language: str, fallback: str = "en", mechanism: str = "NMIRF") -> list[Reply]:
    t = T(language, fallback)
    return [
        Reply(
            t(
                "This number is not in the focal point roster. Please ask your {mechanism} secretariat to add you.",
                mechanism=mechanism,
            )
        )
    ]


def linked(language: str, name: str, fallback: str = "en") -> list[Reply]:
    t = T(language, fallback)
    return [
        Reply(
            t(
                "Thank you, {name}. Your Telegram account is linked; your weekly prompts will come here. "
                "Send HELP at any time.",
                name=name.split()[0],
            )
        )
    ]
