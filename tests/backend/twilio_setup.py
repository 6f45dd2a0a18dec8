"""A product with every channel: Telegram (fake Bot API), SMS and WhatsApp (fake Twilio API)."""

from __future__ import annotations

from pathlib import Path

from backend.imports.catalog import import_actions, import_recommendations
from backend.imports.roster import import_roster
from tests.conftest import DEMO, settings_for
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN
from tests.fakes.twilio_signing import SIGNATURE_HEADER, form_body, sign

SMS_FROM = "+15005550006"
WA_FROM = "+14155238886"
BASE = "https://bot.example.org"
AMINA, GRACE, JOSEPH, FATUMA, CLAIRE = (
    "+254700000001",
    "+254722000003",
    "+254700000005",
    "+254700000006",
    "+254700000007",
)
AMINA_TG = 777000111

# Amina: Telegram then SMS. Grace: WhatsApp then SMS. Joseph: SMS. Fatuma: SMS. Claire: WhatsApp only (fr).
ROSTER = f"""institution,institution_name,level,region,name,phone,telegram_user_id,channels,language,timezone,rank
MOJ,Ministry of Justice,national,,Amina Yusuf,{AMINA},{AMINA_TG},telegram;sms,en,Africa/Nairobi,1
MOH,Ministry of Health,national,,Grace Wanjiru,{GRACE},,whatsapp;sms,en,Africa/Nairobi,1
NPS,National Police Service,national,,Joseph Mwangi,{JOSEPH},,sms,en,Africa/Nairobi,1
KSM,County Government of Kisumu,local,Kisumu,Fatuma Achieng,{FATUMA},,sms,en,Africa/Nairobi,1
TUR,County Government of Turkana,local,Turkana,Claire Dupont,{CLAIRE},,whatsapp,fr,Africa/Nairobi,1
"""


def twilio_settings(database_url: str, telegram, twilio, **overrides):
    values = dict(
        telegram_api_base_url=telegram.base_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_api_base_url=twilio.base_url,
        twilio_sms_from=SMS_FROM,
        twilio_whatsapp_from=WA_FROM,
        whatsapp_templates={"weekly_prompt": {"en": "HXweekly_en"}},
        public_base_url=BASE,
        sms_rate=100.0,
        whatsapp_rate=100.0,
        telegram_chat_rate=100.0,
    )
    values.update(overrides)
    return settings_for(database_url, **values)


def load(ctx, tmp_path: Path, roster: str = ROSTER) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(roster)
    with ctx.db.transaction() as s:
        import_roster(s, path)
        import_recommendations(s, DEMO / "recommendations.csv")
        import_actions(s, DEMO / "actions.csv")


def post_twilio(client, path: str, pairs: list[tuple[str, str]], signature: str | None = "sign"):
    if signature == "sign":
        signature = sign(AUTH_TOKEN, BASE + path, pairs)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature:
        headers[SIGNATURE_HEADER] = signature
    return client.post(path, content=form_body(pairs), headers=headers)


def sms(sid: str, sender: str, body: str) -> list[tuple[str, str]]:
    return [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", sender),
        ("To", SMS_FROM),
        ("Body", body),
        ("NumMedia", "0"),
        ("ApiVersion", "2010-04-01"),
    ]


def whatsapp(sid: str, sender: str, body: str) -> list[tuple[str, str]]:
    return [
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", f"whatsapp:{sender}"),
        ("To", f"whatsapp:{WA_FROM}"),
        ("Body", body),
        ("NumMedia", "0"),
        ("ProfileName", "P"),
        ("WaId", sender[1:]),
        ("ApiVersion", "2010-04-01"),
    ]
