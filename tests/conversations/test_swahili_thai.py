"""Swahili and Thai as officials write them: a weekly answer in their own words (Thai without
spaces, Thai digits, Swahili typos), HELP, STOP and START, AWAY with a date in the language, an
answer to a meeting invitation, and a note that begins with a command word, kept as written.
Every command word a message tells people to send is a keyword of that meaning."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from conversations import engine, subscription
from conversations.i18n import T
from conversations.parse import command
from conversations.views import (
    ActionView,
    AttendanceAnswered,
    AvailabilityChanged,
    InvitationView,
    NoteAdded,
    PersonView,
    ProgressReported,
    ProgressRetracted,
)
from tests.conversations.transcript import Chat

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, week 2026-W48
BILL = ActionView(101, "Draft the child protection bill", "in_progress")
TRAIN = ActionView(102, "Train police officers", "not_started")
REVIEW = InvitationView(
    12,
    "Cluster review",
    datetime(2026, 12, 3, 7, 0, tzinfo=UTC),
    "Sheria House",
    "pending",
    substitute="Peter Otieno",
)


def person(language: str, invitations: tuple[InvitationView, ...] = ()) -> PersonView:
    return PersonView(
        id=1,
        name="Amina Odhiambo",
        language=language,
        timezone="Africa/Nairobi",
        actions=(BILL, TRAIN),
        report_actions=(BILL,),
        invitations=invitations,
    )


def statuses(chat: Chat) -> dict[int, str]:
    return {e.action_id: e.status for e in chat.events if isinstance(e, ProgressReported)}


def test_the_prompt_is_in_the_language_with_its_own_status_letters():
    """Swahili shows its own letters (K, E, H, Z); Thai has none and shows the English ones."""
    sw = Chat(person("sw"), NOW).prompt()
    assert sw is not None and sw.startswith("Wiki ya 23 Nov:\n1 Draft")
    assert sw.endswith("Jibu mf. 1K 2E (K imekamilika, E inaendelea, H haijaanza, Z imezuiwa)")
    th = Chat(person("th"), NOW).prompt()
    assert th is not None and th.startswith("สัปดาห์ 23 พ.ย.:\n1 Draft")
    assert th.endswith("ตอบ เช่น 1D 2P (D เสร็จแล้ว, P กำลังดำเนินการ, N ยังไม่เริ่ม, B ติดขัด)")


@pytest.mark.parametrize(
    "language,answer,expected,note,echo",
    [
        (
            "sw",
            "1 imekamilika, 2 inaendelea tunasubiri bajeti",
            {101: "completed", 102: "in_progress"},
            "tunasubiri bajeti",
            "1 imekamilika; 2 inaendelea",
        ),
        ("sw", "1k 2h", {101: "completed", 102: "not_started"}, None, "1 imekamilika; 2 haijaanza"),
        ("sw", "1 Imekamilka 2 bado inaendelea", {101: "completed", 102: "in_progress"}, None, "2 inaendelea"),
        ("sw", "1 tayari 2 imekwama, fedha bado", {101: "completed", 102: "blocked"}, "fedha bado", "2 imezuiwa"),
        ("sw", "1D 2Z", {101: "completed", 102: "blocked"}, None, "1 imekamilika; 2 imezuiwa"),
        (
            "th",
            "1เสร็จแล้ว 2กำลังดำเนินการ",
            {101: "completed", 102: "in_progress"},
            None,
            "1 เสร็จแล้ว, 2 กำลังดำเนินการ",
        ),
        ("th", "๑ เรียบร้อยแล้ว ๒ ติดขัด รองบประมาณ", {101: "completed", 102: "blocked"}, "รองบประมาณ", "2 ติดขัด"),
        ("th", "1 เสร็จ 2 อยู่ระหว่างดำเนินการ", {101: "completed", 102: "in_progress"}, None, "2 กำลังดำเนินการ"),
        # "not finished yet" is work in progress, not "not started"
        ("th", "1 สำเร็จแล้ว 2 ยังไม่เสร็จ", {101: "completed", 102: "in_progress"}, None, "2 กำลังดำเนินการ"),
        ("th", "1D 2ยังไม่เริ่ม", {101: "completed", 102: "not_started"}, None, "2 ยังไม่เริ่ม"),
    ],
)
def test_a_weekly_answer_written_the_way_people_write_it(language, answer, expected, note, echo):
    chat = Chat(person(language), NOW)
    chat.prompt()
    reply = chat.say(answer)
    assert statuses(chat) == expected
    reported = {e.action_id: e.note for e in chat.events if isinstance(e, ProgressReported)}
    assert reported[102] == note
    assert echo in reply and chat.state.step == "note"
    assert reply.startswith(
        {"sw": "Asante. Imerekodiwa kwa wiki ya 23 Nov:", "th": "ขอบคุณ บันทึกสัปดาห์ 23 พ.ย. แล้ว:"}[language]
    )


@pytest.mark.parametrize("language,help_word,undo_word", [("sw", "msaada", "TENDUA"), ("th", "ช่วยเหลือ", "ยกเลิก")])
def test_help_names_the_undo_word_and_that_word_undoes(language, help_word, undo_word):
    chat = Chat(person(language), NOW)
    chat.prompt()
    chat.say("1K" if language == "sw" else "1 เสร็จแล้ว")
    assert statuses(chat) == {101: "completed"}
    help_text = chat.say(help_word)
    assert help_text.startswith(
        {"sw": "Jibu namba+hali, mf. 1K 2E (K imekamilika, E inaendelea", "th": "ตอบ เลข+สถานะ เช่น 1D 2P (D เสร็จแล้ว"}[
            language
        ]
    )
    assert undo_word in help_text
    chat.say(undo_word.lower())
    assert chat.last_events == [ProgressRetracted(action_ids=(101,), period="2026-W48")]


def test_help_with_nothing_waiting_greets_in_the_language():
    assert engine.handle_text(person("sw"), None, "MSAADA", NOW).replies[0].text.startswith("Habari Amina.")
    assert engine.handle_text(person("th"), None, "ช่วยเหลือ", NOW).replies[0].text.startswith("สวัสดี Amina")


# What each message tells people to send, and what that word must mean when they send it.
COMMAND_WORDS = [
    (
        "Meeting {ref}: {title}, {when}, {place}. Reply YES {ref}, NO {ref}, or SUB {ref} to send your substitute.",
        {
            "sw": [("NDIYO", "yes"), ("HAPANA", "no"), ("MBADALA", "sub")],
            "th": [("ใช่", "yes"), ("ไม่", "no"), ("ผู้แทน", "sub")],
        },
    ),
    (
        "Hello {name}. Nothing is waiting for your answer now; your weekly message will come. Send HELP at any time.",
        {
            "sw": [("MSAADA", "help")],
            "th": [("ช่วยเหลือ", "help")],
        },
    ),
    (
        "Until when? Send AWAY and the date of your return, e.g. AWAY {example}.",
        {
            "sw": [("SIPO", "away")],
            "th": [("ไม่อยู่", "away")],
        },
    ),
    (
        "Noted: you are away until {date}. Your substitute gets your weekly messages; send BACK when you return.",
        {
            "sw": [("NIMERUDI", "back")],
            "th": [("กลับมาแล้ว", "back")],
        },
    ),
    ("Send LANG and a language code: {choices}.", {"sw": [("LUGHA", "lang")], "th": [("ภาษา", "lang")]}),
    (
        "How many people were reached? Reply with a number, or SKIP.",
        {"sw": [("RUKA", "skip")], "th": [("ข้าม", "skip")]},
    ),
    (
        "Please answer this week's update first (e.g. {example}), then send REPORT.",
        {
            "sw": [("RIPOTI", "report")],
            "th": [("รายงาน", "report")],
        },
    ),
    (
        "Reply number+status, e.g. {example} ({legend}), a note after it if you wish. UNDO takes back your last answer.",
        {"sw": [("TENDUA", "undo")], "th": [("ยกเลิก", "undo")]},
    ),
    (
        "You will get no more messages from the {mechanism} bot. Send START to receive them again.",
        {
            "sw": [("ANZA", "start")],
            "th": [("เริ่มใหม่", "start")],
        },
    ),
]
EVERY_MEANING = ("completed", "in_progress", "not_started", "blocked", "help", "skip", "stop", "start", "status")
EVERY_MEANING += ("lang", "away", "back", "report", "undo", "yes", "no", "sub")


@pytest.mark.parametrize(
    "language,message,word,meaning",
    [
        (language, message, word, meaning)
        for message, by_language in COMMAND_WORDS
        for language, words in by_language.items()
        for word, meaning in words
    ],
)
def test_a_word_the_bot_tells_people_to_send_means_what_the_message_says(language, message, word, meaning):
    translated = T(language)(message)
    assert translated != message and word in translated
    assert command(word, language, EVERY_MEANING) == meaning


@pytest.mark.parametrize(
    "language,text,meaning",
    [
        ("sw", "acha", "stop"),
        ("sw", "SITISHA", "stop"),
        ("sw", "jiondoe", "stop"),
        ("sw", "anza", "start"),
        ("sw", "asha", None),  # a name, one letter from =acha: never STOP
        ("sw", "imesimama", None),  # "it has stopped" is a status (blocked), not STOP
        ("th", "หยุด", "stop"),
        ("th", "หยุดส่ง", "stop"),
        ("th", "ยกเลิกรับข้อความ", "stop"),
        ("th", "เริ่มใหม่", "start"),
        ("th", "ยกเลิก", None),  # "cancel" takes back an answer (UNDO), it does not unsubscribe
        ("th", "หยุดชะงัก", None),  # "stalled": a status
        ("sw", "STOP", "stop"),  # the English words work in every language
        ("th", "start", "start"),
    ],
)
def test_stop_and_start_words(language, text, meaning):
    assert subscription.keyword(text, language) == meaning


def test_the_stop_message_is_in_the_language_and_its_start_word_starts():
    assert subscription.stopped("sw").text.startswith("Hutapokea tena ujumbe")
    assert subscription.stopped("th").text.startswith("ท่านจะไม่ได้รับข้อความ")
    assert subscription.keyword("ANZA", "sw") == subscription.keyword("เริ่มใหม่", "th") == "start"


@pytest.mark.parametrize(
    "language,text,until,shown",
    [
        ("sw", "likizo hadi 15 Desemba", date(2026, 12, 15), "hutakuwepo hadi 15 Des 2026"),
        ("sw", "SIPO hadi Ijumaa", date(2026, 11, 27), "hutakuwepo hadi 27 Nov 2026"),
        ("sw", "niko safarini hadi 15/12", date(2026, 12, 15), "NIMERUDI"),
        ("th", "ลา ถึง 15 ธันวาคม", date(2026, 12, 15), "ท่านไม่อยู่ถึง 15 ธ.ค. 2026"),
        ("th", "ไปราชการถึง 15/12", date(2026, 12, 15), "กลับมาแล้ว"),
        ("th", "ลาพักร้อนถึง ๑๕ ธันวาคม", date(2026, 12, 15), "15 ธ.ค. 2026"),
    ],
)
def test_away_with_a_date_in_the_language(language, text, until, shown):
    out = engine.handle_text(person(language), None, text, NOW)
    assert out.events == [AvailabilityChanged(until)]
    assert shown in out.replies[0].text


@pytest.mark.parametrize("language,away,back", [("sw", "sipo", "nimerudi"), ("th", "ไม่อยู่", "กลับมาแล้ว")])
def test_away_without_a_date_asks_until_when_and_back_alone_is_back_even_at_the_note_step(language, away, back):
    asked = engine.handle_text(person(language), None, away, NOW)
    assert asked.events == [] and asked.replies[0].text.startswith({"sw": "Hadi lini?", "th": "ถึงวันใด"}[language])
    chat = Chat(person(language), NOW)
    chat.prompt()
    chat.say("1D 2P")
    chat.say(back)
    assert chat.last_events == [AvailabilityChanged(None)] and chat.state.step == "note"


@pytest.mark.parametrize(
    "language,text,answer",
    [
        ("sw", "ndiyo", "confirmed"),
        ("sw", "Ndio 12", "confirmed"),
        ("sw", "nitahudhuria", "confirmed"),
        ("sw", "hapana", "declined"),
        ("sw", "siwezi", "declined"),
        ("sw", "sitakuja", "declined"),
        ("sw", "tuma mbadala wangu", "delegated"),
        ("th", "ใช่", "confirmed"),
        ("th", "เข้าร่วม", "confirmed"),
        ("th", "ไม่", "declined"),
        ("th", "ไม่สะดวก", "declined"),
        ("th", "ติดภารกิจ", "declined"),
        ("th", "ส่งผู้แทน", "delegated"),
        ("th", "ผู้แทน 12", "delegated"),
    ],
)
def test_an_answer_to_an_invitation(language, text, answer):
    out = engine.handle_text(person(language, (REVIEW,)), None, text, NOW)
    assert out.events == [AttendanceAnswered(12, answer)]
    expected = {
        ("sw", "confirmed"): "Asante: utahudhuria mkutano 12, Alhamisi, 3 Des 10:00, Sheria House.",
        (
            "sw",
            "declined",
        ): "Imepokelewa: hutahudhuria mkutano 12. Ili kumtuma Peter Otieno badala yako, jibu MBADALA 12.",
        ("sw", "delegated"): "Imepokelewa: Peter Otieno amealikwa kwenye mkutano 12 badala yako.",
        ("th", "confirmed"): "ขอบคุณ ท่านจะเข้าร่วมประชุม 12, พฤหัส 3 ธ.ค. 10:00 น., Sheria House",
        ("th", "declined"): "รับทราบ ท่านจะไม่เข้าประชุม 12 หากจะให้ Peter Otieno ไปแทน ตอบ ผู้แทน 12",
        ("th", "delegated"): "รับทราบ เชิญ Peter Otieno เข้าประชุม 12 แทนท่านแล้ว",
    }
    assert out.replies[0].text == expected[(language, answer)]


@pytest.mark.parametrize("text", ["mitakuja", "aitakuja", "mitahudhuria", "aitakuwepo"])
def test_a_typo_between_i_will_and_i_will_not_is_never_taken_as_either(text):
    """nitakuja / sitakuja differ by one letter: both match only as written."""
    assert engine.handle_text(person("sw", (REVIEW,)), None, text, NOW).events == []


# Notes as officials write them, each starting with one of its language's command words.
NOTES = [
    ("sw", "Nimerudi kutoka warsha, mswada utapelekwa kwa Baraza la Mawaziri Januari", "NIMERUDI"),
    ("sw", "Sipo ofisini siku mbili, mafunzo yameahirishwa", "SIPO"),
    ("sw", "Likizo ya mkurugenzi imechelewesha sahihi", "LIKIZO"),
    ("th", "กลับมาแล้วจากการอบรม ร่างกฎหมายจะเข้าคณะรัฐมนตรีเดือนมกราคม", "กลับมาแล้ว"),
    ("th", "ไม่อยู่สำนักงานสองวัน การอบรมเลื่อนออกไป", "ไม่อยู่สำนักงาน"),
    ("th", "รายงานฉบับร่างส่งให้ผู้บริหารแล้ว", "รายงาน"),
]


@pytest.mark.parametrize("language,note,word", NOTES)
def test_a_note_that_starts_with_a_command_word_is_kept_as_written(language, note, word):
    chat = Chat(person(language), NOW)
    chat.prompt()
    chat.say("1D 2P")
    reply = chat.say(note)
    assert chat.last_events == [NoteAdded(action_ids=(101, 102), period="2026-W48", note=note)]
    assert chat.state is None and word in reply
    assert reply.startswith({"sw": "Maelezo yameongezwa. Asante.", "th": "เพิ่มหมายเหตุแล้ว ขอบคุณ"}[language])
    assert not any(isinstance(e, AvailabilityChanged) for e in chat.events)


@pytest.mark.parametrize(
    "language,report,place,hint",
    [
        ("sw", "ripoti", "Nje ya ofisi ya chifu, wadi ya Shinyalu", "NJE YA OFISI"),
        ("th", "รายงาน", "ลาดพร้าว เขตจตุจักร", None),  # one word, ลาดพร้าว: not ลา ("leave")
    ],
)
def test_a_place_is_kept_as_written(language, report, place, hint):
    chat = Chat(person(language), NOW)
    chat.say(report)
    assert chat.state.step == "where"
    reply = chat.say(place)
    assert chat.state.locality == place
    assert (hint in reply) if hint else ("คำสั่ง" not in reply)
    assert not any(isinstance(e, AvailabilityChanged) for e in chat.events)
