"""The conversations end to end through the simulator channel, in each of the five languages.

Each test imports a small roster of its own: the focal point (in the language under test), a
substitute, and an English "twin" with the same actions in another institution; every message is
sent to both. Each conversation (a `FLOWS` function, written like a transcript) runs twice:
`test_flow` checks what it stores; `test_no_english_reply` checks that, for a non-English person,
each reply differs from the twin's and holds none of a few English-only words (action titles
aside). Replies are not compared with literal texts: what is stored is the check, and the
literal transcripts live in tests/conversations."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.catalog.models import Action
from backend.cli.meetings import create_and_invite
from backend.cli.prompts import send_weekly_now
from backend.inbox.models import InboxMessage
from backend.meetings.models import Invitation
from backend.outbox.models import AddressState, OutboxMessage
from backend.progress.models import ProgressUpdate
from backend.roster.models import Person
from backend.sessions.state import load_state, save_state
from conversations.i18n import T
from conversations.statuses import status_label
from tests.backend.helpers import wait_until
from tests.conftest import running_context, settings_for

ME, SUBSTITUTE, TWIN = "+254700000101", "+254700000102", "+254700000103"
LANGUAGES = ("en", "fr", "es", "pt", "ar")
ENGLISH_ONLY = (
    "please",
    "reply",
    "thank",
    "thanks",
    "week",
    "weekly",
    "update",
    "sorry",
    "send",
    "recorded",
    "nothing",
    "waiting",
    "still",
    "undone",
    "welcome",
    "your",
    "you",
    "the",
    "done",
    "progress",
    "blocked",
    "started",
)
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# What a person writes, in their own words. "ar" mixes Arabic-Indic and Latin digits on purpose.
SAY = {
    "en": dict(
        name="Amina Yusuf",
        tz="Africa/Nairobi",
        titles=("Draft the child protection bill", "Train police officers"),
        indicator="Officers trained",
        both="1 done 2 in progress 40",
        one="1 done",
        two="2 blocked",
        twice="1 done 1 blocked",
        note="waiting for the budget",
        undo="undo",
        other="2 terminé",
        hello="good morning",
        help="help",
        status="status",
        stop="stop",
        start="start",
        lang="lang fr",
        report="report",
        place="Kondele ward",
        what="Training held with the elders",
        reached="45",
        away="away",
        friday="away until Friday",
        back="back",
        yes="yes",
        no="no",
        sub="sub",
    ),
    "fr": dict(
        name="Claire Dupont",
        tz="Europe/Paris",
        titles=("Rédiger le projet de loi", "Former les policiers"),
        indicator="Policiers formés",
        both="1 terminé 2 en cours 40",
        one="1 terminé",
        two="2 bloqué",
        twice="1 terminé 1 bloqué",
        note="en attente du budget",
        undo="annuler",
        other="2 done",
        hello="bonjour",
        help="aide",
        status="statut",
        stop="arrêter",
        start="reprendre",
        lang="langue es",
        report="rapport",
        place="Quartier Saint-Michel",
        what="Formation avec les anciens",
        reached="45",
        away="absent",
        friday="absent jusqu'à vendredi",
        back="retour",
        yes="oui",
        no="non",
        sub="suppléant",
    ),
    "es": dict(
        name="Lucía Gómez",
        tz="America/Bogota",
        titles=("Redactar el proyecto de ley", "Formar a los policías"),
        indicator="Policías formados",
        both="1 hecho 2 en curso 40",
        one="1 hecho",
        two="2 bloqueado",
        twice="1 hecho 1 bloqueado",
        note="esperando el presupuesto",
        undo="deshacer",
        other="2 done",
        hello="buenos días",
        help="ayuda",
        status="estado",
        stop="baja",
        start="alta",
        lang="idioma pt",
        report="informe",
        place="Barrio San Javier",
        what="Taller con los líderes",
        reached="45",
        away="ausente",
        friday="ausente hasta el viernes",
        back="he vuelto",
        yes="sí",
        no="no",
        sub="suplente",
    ),
    "pt": dict(
        name="João Silva",
        tz="America/Sao_Paulo",
        titles=("Redigir o projeto de lei", "Formar os polícias"),
        indicator="Polícias formados",
        both="1 feito 2 em andamento 40",
        one="1 feito",
        two="2 bloqueado",
        twice="1 feito 1 bloqueado",
        note="à espera do orçamento",
        undo="desfazer",
        other="2 done",
        hello="bom dia",
        help="ajuda",
        status="situação",
        stop="parar",
        start="reativar",
        lang="língua ar",
        report="relatório",
        place="Bairro da Liberdade",
        what="Oficina com os anciãos",
        reached="45",
        away="ausente",
        friday="ausente até sexta-feira",
        back="voltei",
        yes="sim",
        no="não",
        sub="suplente",
    ),
    "ar": dict(
        name="ليلى حداد",
        tz="Asia/Amman",
        titles=("صياغة مشروع القانون", "تدريب أفراد الشرطة"),
        indicator="عدد المتدربين",
        both="١ تم ٢ جاري ٤٠",
        one="1 تم",
        two="٢ متوقف",
        twice="١ تم ١ متوقف",
        note="في انتظار الميزانية",
        undo="تراجع",
        other="2 done",
        hello="صباح الخير",
        help="مساعدة",
        status="الحالة",
        stop="إيقاف",
        start="تفعيل",
        lang="اللغة fr",
        report="تقرير",
        place="حي الهاشمي",
        what="ورشة مع وجهاء الحي",
        reached="٤٥",
        away="غائب",
        friday="غائب حتى الجمعة",
        back="عدت",
        yes="نعم",
        no="لا",
        sub="بديل",
    ),
}


def write_csv(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_people(ctx, tmp_path, lang):
    from backend.imports.catalog import import_actions
    from backend.imports.roster import import_roster

    s = SAY[lang]
    roster = write_csv(
        tmp_path / "roster.csv",
        ["institution", "institution_name", "level", "name", "phone", "channels", "language", "timezone", "rank"],
        [
            ["INS", "Ministère", "national", s["name"], ME, "simulator", lang, s["tz"], 1],
            ["INS", "Ministère", "national", "Sam Substitute", SUBSTITUTE, "simulator", lang, s["tz"], 2],
            ["TWN", "Twin ministry", "national", s["name"] + " Twin", TWIN, "simulator", "en", s["tz"], 1],
        ],
    )
    actions = write_csv(
        tmp_path / "actions.csv",
        ["code", "institution", "title", "indicator"],
        [
            [f"{inst}-{n}", inst, s["titles"][n - 1], s["indicator"] if n == 2 else ""]
            for inst in ("INS", "TWN")
            for n in (1, 2)
        ],
    )
    with ctx.db.transaction() as session:
        import_roster(session, roster)
        import_actions(session, actions)


class Phone:
    """One simulator phone: `say` posts a message, waits until it is handled and its replies are
    sent (or refused), and returns the new messages the phone received, joined by newlines."""

    def __init__(self, ctx, client, phone):
        self.ctx, self.client, self.phone, self.sent, self.last = ctx, client, phone, 0, 0

    def say(self, text: str) -> str:
        self.sent += 1
        pid = f"{self.phone}-{self.sent}"
        assert (
            self.client.post("/webhooks/simulator", json={"from": self.phone, "text": text, "id": pid}).status_code
            == 200
        )

        def settled():
            with self.ctx.db.transaction() as s:
                row = s.scalar(select(InboxMessage).where(InboxMessage.provider_id == pid))
                return (
                    row is not None
                    and row.status == "done"
                    and not s.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.in_reply_to == row.id, OutboxMessage.status.not_in(("sent", "failed")))
                    )
                )

        wait_until(settled, message=f"the answer to {text!r}")
        return self.received()

    def received(self) -> str:
        messages = self.client.get("/simulator/messages", params={"phone": self.phone, "after": self.last}).json()[
            "messages"
        ]
        self.last = messages[-1]["id"] if messages else self.last
        return "\n".join(m["text"] for m in messages)


class Chat:
    """The person and their English twin, told the same things. `say` returns the person's reply
    and keeps it, with the twin's, for `assert_not_english`."""

    def __init__(self, ctx, client, lang):
        self.ctx, self.lang, self.titles = ctx, lang, SAY[lang]["titles"]
        self.me, self.twin = Phone(ctx, client, ME), Phone(ctx, client, TWIN)
        self.heard: list[tuple[str, str | None, str]] = []  # (reply, the twin's reply, language then)

    def say(self, text: str, twin: bool = True) -> str:
        reply = self.me.say(text)
        self.heard.append((reply, self.twin.say(text) if twin else None, self.lang))
        return reply

    def prompt(self) -> str:
        """This week's prompt, sent now to the person and to the twin."""
        for phone in (ME, TWIN):
            send_weekly_now(self.ctx, phone)
        wait_until(lambda: _unsent(self.ctx) == 0, message="the weekly prompts")
        reply = self.me.received()
        self.heard.append((reply, self.twin.received(), self.lang))
        return reply

    def assert_not_english(self) -> None:
        """Every reply heard in another language than English differs from the English twin's
        and holds no English-only word."""
        for reply, english, lang in self.heard:
            if lang != "en":
                assert not english or reply != english, f"{lang} reply is the English one: {reply!r}"
                assert_not_english(reply, self.titles)


def assert_not_english(reply: str, titles=()) -> None:
    """None of the English-only words, except those of the action titles (data, maybe shortened)."""
    in_titles = {word for title in titles for word in re.findall(r"\w+", title.lower())}
    leaks = [w for w in ENGLISH_ONLY if w not in in_titles and re.search(rf"\b{w}\b", reply.lower())]
    assert not leaks, f"English {leaks} in {reply!r}"


def shown(title: str) -> str:
    """What is left of a title in any listing: long lists are fitted to one SMS by shortening titles."""
    return title[:9]


def _unsent(ctx) -> int:
    with ctx.db.transaction() as s:
        return s.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.not_in(("sent", "failed")))
        )


def quiet_settings(sqlite_url):
    """No background sweep during a test: what happens is only what the test sends."""
    return settings_for(sqlite_url, sweep_interval_seconds=3600)


@pytest.fixture(params=LANGUAGES)
def chat(request, sqlite_url, tmp_path):
    with running_context(quiet_settings(sqlite_url)) as ctx:
        import_people(ctx, tmp_path, request.param)
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            yield Chat(ctx, client, request.param)


def updates(chat, code_prefix="INS"):
    """(action code, status, note, indicator value, level) of the person's stored updates, oldest first."""
    with chat.ctx.db.transaction() as s:
        rows = s.scalars(
            select(ProgressUpdate).join(Action).where(Action.code.startswith(code_prefix)).order_by(ProgressUpdate.id)
        ).all()
        return [
            (u.action.code, u.status, u.note, None if u.indicator_value is None else int(u.indicator_value), u.level)
            for u in rows
        ]


def action_status(chat, code: str) -> str:
    with chat.ctx.db.transaction() as s:
        return s.scalar(select(Action.status).where(Action.code == code))


def person(chat, phone=ME) -> tuple:
    with chat.ctx.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.phone == phone))
        return p.language, p.away_until


def opted_out(chat, phone=ME) -> bool:
    with chat.ctx.db.transaction() as s:
        return s.scalar(select(AddressState.opted_out_at).where(AddressState.address == phone)) is not None


def weekly_update_undo_and_note(chat):
    """Every action in one message (with a figure), UNDO, then one action at a time and a note."""
    s = SAY[chat.lang]
    assert shown(chat.titles[0]) in chat.prompt()
    chat.say(s["both"])
    assert updates(chat) == [
        ("INS-1", "completed", None, None, "national"),
        ("INS-2", "in_progress", None, 40, "national"),
    ]
    chat.say(s["undo"])
    assert updates(chat) == []
    assert (action_status(chat, "INS-1"), action_status(chat, "INS-2")) == ("not_started", "not_started")
    assert shown(chat.titles[1]) in chat.say(s["one"])  # asks next for action 2, by its title
    chat.say(s["two"])
    chat.say(s["note"])
    assert updates(chat) == [
        ("INS-1", "completed", s["note"], None, "national"),
        ("INS-2", "blocked", s["note"], None, "national"),
    ]
    assert (action_status(chat, "INS-1"), action_status(chat, "INS-2")) == ("completed", "blocked")


def unhappy_paths(chat):
    """Gibberish, a number beyond the list, two answers for one action in one SMS, an answer in
    another language, and an answer after the session expired: nothing wrong is stored."""
    s = SAY[chat.lang]
    chat.prompt()
    help_reply = chat.say(s["help"])
    assert chat.say("asdf qwerty") not in ("", help_reply)
    assert "7" in chat.say("7D")
    assert updates(chat) == []
    chat.say(s["twice"])  # the last answer for action 1 is the one that counts
    assert action_status(chat, "INS-1") == "blocked" and updates(chat)[-1][:2] == ("INS-1", "blocked")
    chat.say(s["other"])  # in another language than the person's
    assert action_status(chat, "INS-2") == "completed"
    stored = updates(chat)

    with chat.ctx.db.transaction() as session:  # three days later: the session has expired
        for phone in (ME, TWIN):
            pid = session.scalar(select(Person.id).where(Person.phone == phone))
            state = load_state(session, person_id=pid)
            assert state.flow == "weekly"
            state = replace(state, expires_at=datetime.now(UTC) - timedelta(minutes=1))
            save_state(session, person_id=pid, state=state, now=datetime.now(UTC))
    assert chat.say("1P") != ""  # answered, but not recorded
    assert updates(chat) == stored and action_status(chat, "INS-1") == "blocked"
    with chat.ctx.db.transaction() as session:
        assert load_state(session, person_id=session.scalar(select(Person.id).where(Person.phone == ME))) is None


def test_undo_takes_back_two_answers_for_one_action_in_one_sms(chat):
    """Two answers for one action in one SMS ('1D 1B'): the last one counts, and UNDO takes it back."""
    s = SAY[chat.lang]
    chat.prompt()
    chat.say(s["twice"])
    chat.say(s["undo"])
    assert updates(chat) == [] and action_status(chat, "INS-1") == "not_started"


def community_report(chat):
    """REPORT in the person's words: which action, where, what, how many people."""
    s = SAY[chat.lang]
    assert shown(chat.titles[1]) in chat.say(s["report"])
    chat.say("2".translate(ARABIC_DIGITS) if chat.lang == "ar" else "2")
    chat.say(s["place"])
    chat.say(s["what"])
    chat.say(s["reached"])
    with chat.ctx.db.transaction() as session:
        u = session.scalar(select(ProgressUpdate).join(Action).where(Action.code == "INS-2"))
        assert (u.level, u.locality, u.people_reached, u.note, u.status) == (
            "community",
            s["place"],
            45,
            s["what"],
            "in_progress",
        )


def away_and_back(chat):
    """AWAY with a day/month date in the person's way of writing it: their substitute gets the
    prompt; AWAY until a weekday named in their language; BACK."""
    s = SAY[chat.lang]
    today = datetime.now(ZoneInfo(s["tz"])).date()
    until = today + timedelta(days=10)
    day_month = f"{until.day}/{until.month}"
    chat.say(f"{s['away']} {day_month.translate(ARABIC_DIGITS) if chat.lang == 'ar' else day_month}")
    assert person(chat)[1] == until

    report = send_weekly_now(chat.ctx)
    assert {row.address for row in report["queued"]} == {SUBSTITUTE}
    wait_until(lambda: _unsent(chat.ctx) == 0, message="the substitute's prompt")
    substitute_prompt = Phone(chat.ctx, chat.me.client, SUBSTITUTE).received()
    assert shown(chat.titles[0]) in substitute_prompt
    chat.heard.append((substitute_prompt, None, chat.lang))

    chat.say(s["friday"])
    assert person(chat)[1] == today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    chat.say(s["back"])
    assert person(chat)[1] is None


def commands_help_status_stop_start_and_lang(chat):
    """The short menu, HELP, STOP and START, STATUS, LANG: what follows LANG is in the new language."""
    s = SAY[chat.lang]
    first_name = s["name"].split()[0]
    assert first_name in chat.say(s["hello"])  # the short menu: nothing is waiting
    menu = chat.say(s["help"])

    assert chat.say(s["stop"]) and opted_out(chat)
    report = send_weekly_now(chat.ctx, ME)
    assert report["queued"] == [] and "opted out" in report["skipped"][0][1]
    assert chat.say(s["help"]) == ""  # opted out: nothing is sent, not even answers
    assert chat.say(s["start"]) and not opted_out(chat)

    assert shown(chat.titles[0]) in chat.prompt()
    assert chat.say(s["help"]) != menu  # the weekly update's own help
    status = chat.say(s["status"])
    assert shown(chat.titles[0]) in status and shown(chat.titles[1]) in status
    assert status_label(T(chat.lang), "not_started") in status

    person_language = chat.lang
    chat.say(s["lang"], twin=False)
    new = s["lang"].split()[-1]
    assert person(chat)[0] == new
    chat.lang = new  # from now on the replies are in the new language
    status = chat.say(s["status"])
    assert status_label(T(new), "not_started") in status
    old = status_label(T(person_language), "not_started")
    assert old == status_label(T(new), "not_started") or old not in status
    chat.say("1D")
    assert updates(chat)[0][:2] == ("INS-1", "completed")


def invitations(chat) -> dict[tuple[str, int], str]:
    with chat.ctx.db.transaction() as s:
        return {(i.person.phone, i.meeting_id): i.status for i in s.scalars(select(Invitation))}


def meeting_attendance(chat):
    """Two invitations: a bare answer is asked about; answers naming the meeting (Arabic-Indic
    digits in Arabic) are recorded; SUB invites the substitute in the person's place."""
    s = SAY[chat.lang]
    starts = (datetime.now(UTC) + timedelta(days=8)).strftime("%Y-%m-%d 10:00")
    first, second = (
        create_and_invite(chat.ctx, title=title, starts=starts, place="Room 4", invite="INS,TWN")["meeting"]
        for title in ("Cluster review", "Treaty body follow-up")
    )
    wait_until(lambda: _unsent(chat.ctx) == 0, message="the invitations")
    received = chat.me.received()
    chat.heard.append((received, chat.twin.received(), chat.lang))
    assert re.search(rf"\b{first}\b", received) and re.search(rf"\b{second}\b", received)

    def number(n: int) -> str:
        return str(n).translate(ARABIC_DIGITS) if chat.lang == "ar" else str(n)

    assert re.search(rf"\b{second}\b", chat.say(s["yes"]))  # which one? the open meetings are listed
    assert set(invitations(chat).values()) == {"pending"}
    chat.say(f"{s['yes']} {number(second)}")
    chat.say(f"{number(first)} {s['no']}")
    chat.say(f"{s['sub']} {first}")
    answers = invitations(chat)
    assert (answers[(ME, first)], answers[(ME, second)], answers[(SUBSTITUTE, first)]) == (
        "delegated",
        "confirmed",
        "pending",
    )
    handed = Phone(chat.ctx, chat.me.client, SUBSTITUTE).received()
    assert re.search(rf"\b{first}\b", handed) and s["name"] in handed
    chat.heard.append((handed, None, chat.lang))


FLOWS = {
    "weekly": weekly_update_undo_and_note,
    "unhappy": unhappy_paths,
    "report": community_report,
    "away": away_and_back,
    "commands": commands_help_status_stop_start_and_lang,
    "attendance": meeting_attendance,
}


@pytest.mark.parametrize("flow, chat", [(flow, lang) for flow in FLOWS for lang in LANGUAGES], indirect=["chat"])
def test_flow(flow, chat):
    """What each conversation stores, in each language."""
    FLOWS[flow](chat)


@pytest.mark.parametrize(
    "flow, chat",
    [(flow, lang) for flow in FLOWS for lang in LANGUAGES if lang != "en" or flow == "commands"],
    indirect=["chat"],
)
def test_no_english_reply(flow, chat):
    """The same conversations: no reply in another language than English is English."""
    FLOWS[flow](chat)
    chat.assert_not_english()


@pytest.mark.parametrize("chat", LANGUAGES, indirect=True)
def test_lang_with_the_language_named_in_ones_own_language(chat):
    """`LANG French`, `langue espagnol`, `اللغة الفرنسية`: the target language named the person's way."""
    target = "es" if chat.lang == "fr" else "fr"
    keyword = SAY[chat.lang]["lang"].split()[0]
    chat.say(f"{keyword} {Locale.parse(target).get_display_name(chat.lang)}", twin=False)
    assert person(chat)[0] == target
