"""What each provider posts to its webhook, as OpenAPI describes a request (a header and a body),
for `Webhook.openapi`. The routes read the raw body, so FastAPI cannot see this by itself; these
descriptions are for the schema (and the tests generated from it) only and never used to parse.
They name the fields the handlers read, not every field the provider may add."""

from __future__ import annotations

from typing import Any

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}


def request(media_type: str, body: dict[str, Any], header: str = "", about: str = "") -> dict[str, Any]:
    """An OpenAPI operation fragment: the body, and the header that carries the credential."""
    fragment: dict[str, Any] = {"requestBody": {"required": True, "content": {media_type: {"schema": body}}}}
    if header:
        fragment["parameters"] = [
            {"name": header, "in": "header", "required": True, "description": about, "schema": STRING}
        ]
    return fragment


def _object(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


_MESSAGE = _object(
    ["message_id", "date", "chat"],
    message_id=INTEGER,
    date={"type": "integer", "minimum": 0, "maximum": 2**31 - 1, "description": "Unix time"},
    chat=_object(["id", "type"], id=INTEGER, type={"enum": ["private", "group", "supergroup", "channel"]}),
    **{"from": _object(["id", "is_bot", "first_name"], id=INTEGER, is_bot={"type": "boolean"}, first_name=STRING)},
    text={"type": "string", "maxLength": 4096},
)

# https://core.telegram.org/bots/api#update (the kinds setWebhook asks for; see telegram.UPDATES)
TELEGRAM_UPDATE = _object(["update_id"], update_id=INTEGER, message=_MESSAGE, edited_message=_MESSAGE)

# https://www.twilio.com/docs/messaging/guides/webhook-request
_SID = {"type": "string", "pattern": "^(SM|MM)[0-9a-f]{32}$"}


def twilio_message(prefix: str = "") -> dict[str, Any]:
    """An inbound message; `prefix` "whatsapp:" on the WhatsApp webhook."""
    phone = {"type": "string", "pattern": f"^{prefix}\\+[1-9][0-9]{{7,14}}$"}
    return _object(
        ["MessageSid", "From", "To"],
        MessageSid=_SID,
        AccountSid=STRING,
        From=phone,
        To=phone,
        Body={"type": "string", "description": "at most 1,600 characters by SMS, 4,096 by WhatsApp"},
        NumMedia={"type": "string", "pattern": "^[0-9]{1,2}$"},
        ProfileName=STRING,
    )


TWILIO_STATUS = _object(
    ["MessageSid", "MessageStatus"],
    MessageSid=_SID,
    MessageStatus={"enum": ["queued", "sending", "sent", "delivered", "read", "undelivered", "failed", "canceled"]},
    To=STRING,
    ErrorCode=STRING,
)

SIMULATOR_MESSAGE = _object(["from", "text"], **{"from": STRING}, text=STRING, id=STRING)
