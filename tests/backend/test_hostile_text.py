"""What people really type, through the Telegram and Twilio webhooks end to end (SQLite): control
characters, mixed-direction text (Arabic with Latin digits, RLO and isolate marks), emoji, combining
marks. Each text is stored exactly as typed, or refused with a 4xx and nothing stored: never a 5xx,
never altered. Bodies that are not UTF-8 (invalid bytes, half a surrogate pair escaped in JSON, a
NUL the store cannot keep) are refused with a 400."""

from __future__ import annotations

import itertools
import json
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backend.app import create_app
from backend.inbox.models import InboxMessage
from tests.backend.helpers import count, post_telegram, text_update
from tests.conftest import running_context, settings_for
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN
from tests.fakes.twilio_signing import SIGNATURE_HEADER, form_body, sign

BASE = "https://bot.example.org"
PHONE = "+254700000001"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
FEW = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# What people type: scripts, digits of another direction, marks that steer direction, emoji
# sequences, letters with combining marks, and the control characters a phone or a paste brings.
PIECES = [
    "أنجزنا 3 من 5 إجراءات",  # Arabic with Latin digits
    "٣ من ٥",  # Arabic-Indic digits
    "שלום 2026",
    "\u202eevil\u202c",  # RLO ... PDF
    "\u2066ABC\u2069 \u2067عربى\u2069 \u2068x\u2069",  # LRI, RLI, FSI ... PDI
    "\u200f\u200e\u061c",  # RLM, LRM, ALM
    "👩🏽‍⚖️ 🇰🇪 ✅",  # ZWJ sequence, flag, symbol
    "e\u0301 n\u0303 \u0915\u094d\u0937 ส\u0e38",  # combining marks, a Devanagari conjunct, Thai
    "Z\u0351\u0352\u0353\u0354",  # stacked marks
    "\t\r\n\x0b\x0c\x1b[31m\x7f\x85",  # tab, CR, LF, VT, FF, an escape sequence, DEL, NEL
    "\ufeff\u2028\u2029\ufffc",  # BOM, line and paragraph separators, object replacement
    "1D 2P",
]
TYPED = st.lists(
    st.one_of(
        st.sampled_from(PIECES),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
    ),
    max_size=6,
).map("".join)


def twilio_settings(sqlite_url: str):
    return settings_for(
        sqlite_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_sms_from="+15005550006",
        twilio_whatsapp_from="+14155238886",
        public_base_url=BASE,
    )


def post_sms(client, pairs: list[tuple[str, str]] | bytes, path: str = "/webhooks/twilio/sms", signature=None):
    body = pairs if isinstance(pairs, bytes) else form_body(pairs)
    signed = signature or sign(AUTH_TOKEN, BASE + path, [] if isinstance(pairs, bytes) else pairs)
    return client.post(path, content=body, headers=FORM | {SIGNATURE_HEADER: signed})


def stored(ctx, channel: str, provider_id: str) -> str | None:
    with ctx.db.transaction() as db:
        return db.scalar(
            select(InboxMessage.text).where(InboxMessage.channel == channel, InboxMessage.provider_id == provider_id)
        )


@pytest.fixture
def product(sqlite_url):
    with running_context(twilio_settings(sqlite_url)) as ctx, TestClient(create_app(ctx)) as client:
        yield ctx, client


def test_what_people_type_is_stored_as_typed(product):
    ctx, client = product
    ids = itertools.count(10_000)

    @FEW
    @given(text=TYPED, ascii_escapes=st.booleans())
    def telegram(text, ascii_escapes):
        update_id = next(ids)
        data = json.loads(text_update(update_id, "x"))
        data["message"]["text"] = text
        r = post_telegram(client, json.dumps(data, ensure_ascii=ascii_escapes).encode())
        assert r.status_code == 200, r.text
        assert stored(ctx, "telegram", str(update_id)) == text[:4096]

    @FEW
    @given(text=TYPED, whatsapp=st.booleans())
    def twilio(text, whatsapp):
        sid = f"SM{next(ids):032x}"
        path, sender = (
            ("/webhooks/twilio/whatsapp", f"whatsapp:{PHONE}") if whatsapp else ("/webhooks/twilio/sms", PHONE)
        )
        pairs = [("MessageSid", sid), ("From", sender), ("To", "+15005550006"), ("Body", text), ("NumMedia", "0")]
        r = post_sms(client, pairs, path)
        assert r.status_code == 200, r.text
        assert stored(ctx, "whatsapp" if whatsapp else "sms", sid) == text[: 4096 if whatsapp else 1600]

    telegram()
    twilio()


@pytest.mark.parametrize(
    "raw",
    [
        b'"\xff\xfe 1D"',  # bytes that are not UTF-8
        b'"caf\xc3"',  # a sequence cut short
        b'"\xed\xa0\x80"',  # a surrogate encoded as UTF-8 (CESU)
        b'"\\ud800 1D"',  # half a surrogate pair, escaped in JSON
        b'"\\udfff"',
        b'"1D\\u0000"',  # a NUL: PostgreSQL's text cannot keep it
    ],
)
def test_telegram_bodies_that_are_not_text_are_refused(product, raw):
    ctx, client = product
    body = text_update(20_001, "PLACEHOLDER").replace(b'"PLACEHOLDER"', raw)
    r = post_telegram(client, body)
    assert r.status_code == 400, r.text
    assert count(ctx, InboxMessage) == 0


@pytest.mark.parametrize("raw", ["%FF%FE+1D", "caf%C3", "%ED%A0%80", "1D%00", "\udc80"])
def test_sms_bodies_that_are_not_text_are_refused(product, raw):
    """Signed over what a lenient reader sees (U+FFFD for each bad byte): refused all the same,
    never stored altered. (Percent-escapes of bytes that are not UTF-8 were once read that way.)"""
    ctx, client = product
    pairs = [("MessageSid", "SM" + "1" * 32), ("From", PHONE), ("To", "+15005550006")]
    body = (form_body(pairs).decode() + "&Body=" + raw).encode("utf-8", "surrogateescape")
    lenient = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    r = post_sms(client, body, signature=sign(AUTH_TOKEN, BASE + "/webhooks/twilio/sms", lenient))
    assert r.status_code == 400, r.text
    assert count(ctx, InboxMessage) == 0
