"""The bot writes well in each of its five languages: periods in words, labels that agree with
"action", the meeting's number in every invitation, Arabic punctuation in Arabic text, and the
words officials really type to answer an invitation."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from conversations import engine
from conversations.attendance import invitation_text
from conversations.statuses import letter
from conversations.views import ActionView, AttendanceAnswered, InvitationView, PersonView, ProgressReported
from tests.conversations.transcript import Chat

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W48
LANGUAGES = ("en", "fr", "es", "pt", "ar")
ACTIONS = (
    ActionView(1, "Draft the bill", "in_progress"),
    ActionView(2, "Train officers", "not_started"),
    ActionView(3, "Open a shelter", "blocked"),
)
REVIEW = InvitationView(
    12,
    "Cluster review",
    datetime(2026, 12, 3, 7, 0, tzinfo=UTC),
    "Sheria House, room 4",
    "pending",
    substitute="Peter Otieno",
)


def person(language: str, **changes) -> PersonView:
    p = PersonView(id=1, name="Amina Yusuf", language=language, timezone="Africa/Nairobi", actions=ACTIONS)
    return replace(p, **changes)


def answer(language: str, *pairs: tuple[int, str]) -> str:
    """ "1D 2B" in the language's own status letters ("1T 2B" in French, "1ت 2م" in Arabic)."""
    return " ".join(f"{n}{letter(language, status)}" for n, status in pairs)


def confirmation(language: str) -> tuple[str, str]:
    """The echo after two of the three actions, and the confirmation after the third."""
    chat = Chat(person(language), NOW)
    assert chat.prompt() is not None
    echo = chat.say(answer(language, (1, "completed"), (2, "blocked")))
    done = chat.say(answer(language, (3, "in_progress")))
    assert chat.state is not None and chat.state.step == "note"
    return echo, done


@pytest.mark.parametrize(
    "language, week",
    [
        ("en", "Recorded for the week of 23 Nov:"),
        ("fr", "Enregistré pour la semaine du 23 nov. :"),
        ("es", "Registrado para la semana del 23 nov:"),
        ("pt", "Registado para a semana de 23 nov.:"),
        ("ar", "تم التسجيل عن أسبوع 23 نوفمبر:"),
    ],
)
def test_the_confirmation_names_the_week_in_words(language, week):
    """ "Recorded for the week of 23 Nov", in the language's words: never the stored code 2026-W48."""
    _echo, done = confirmation(language)
    assert week in done
    assert "W48" not in done and not re.search(r"\d{4}-W\d", done)


@pytest.mark.parametrize(
    "language, labels",
    [
        ("en", ("1 done", "2 blocked", "3 in progress")),
        ("fr", ("1 terminée", "2 bloquée", "3 en cours")),
        ("es", ("1 completada", "2 bloqueada", "3 en curso")),
        ("pt", ("1 concluída", "2 bloqueada", "3 em curso")),
        ("ar", ("1 تم التنفيذ", "2 متوقف", "3 قيد التنفيذ")),
    ],
)
def test_status_labels_agree_with_action(language, labels):
    """An action is feminine in French, Spanish and Portuguese (masculine إجراء in Arabic): so is its status."""
    echo, done = confirmation(language)
    assert labels[0] in echo and labels[1] in echo
    assert all(label in done for label in labels)


@pytest.mark.parametrize("language", ["fr", "es", "pt"])
def test_status_lists_agree_too(language):
    """STATUS, the legend and the echo all use the feminine labels; none is left masculine."""
    chat = Chat(person(language), NOW)
    prompt = chat.prompt()
    status = chat.say({"fr": "statut", "es": "estado", "pt": "situação"}[language])
    masculine = {"fr": ("terminé", "bloqué", "commencé"), "es": ("completado", "bloqueado", "iniciado")}
    masculine["pt"] = ("concluído", "bloqueado", "iniciado")
    for text in (prompt, status):
        assert not [w for w in masculine[language] if re.search(rf"\b{w}\b", text)], text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_invitation_names_the_meeting_number(language):
    """The meeting's number is in the invitation (and in the one sent to a substitute), as in English."""
    p = person(language)
    for invitation in (REVIEW, replace(REVIEW, sent_by="Amina Yusuf")):
        text = invitation_text(p, invitation)
        assert re.search(r"(?<!\d)12(?!\d)", text), text


def test_arabic_uses_arabic_punctuation():
    """Arabic echoes and confirmations separate items with "؛ " and hold no Latin ; , or ?."""
    echo, done = confirmation("ar")
    for text in (echo, done):
        assert "؛ " in text, text
        assert not {";", ",", "?"} & set(text), text


def test_arabic_status_letters_are_arabic():
    """The Arabic weekly message shows Arabic letters (ت done, ق in progress, م blocked), and they are read."""
    chat = Chat(person("ar"), NOW)
    prompt = chat.prompt()
    assert "1ت 2ق" in prompt and "ت تم التنفيذ" in prompt and "م متوقف" in prompt
    chat.say("١ت ٢م ٣ق")
    assert [(e.action_id, e.status) for e in chat.events if isinstance(e, ProgressReported)] == [
        (1, "completed"),
        (2, "blocked"),
        (3, "in_progress"),
    ]


# The main words, and every form added for what officials type (as they type it, accents or not).
ATTENDANCE = {
    "confirmed": {
        "en": [
            "yes",
            "present",
            "I'll attend",
            "I'll come",
            "I'll be there",
            "will attend",
            "attend",
            "confirmed",
            "confirm",
            "I can attend",
            "I can come",
        ],
        "fr": [
            "oui",
            "présent",
            "je serai présent",
            "je serai présente",
            "je participerai",
            "je participe",
            "j'y serai",
            "je confirme",
            "confirme",
        ],
        "es": [
            "sí",
            "presente",
            "estaré presente",
            "ahí estaré",
            "allí estaré",
            "participaré",
            "voy",
            "iré",
            "sí voy",
            "confirmado",
        ],
        "pt": [
            "sim",
            "presente",
            "estarei",
            "lá estarei",
            "estarei lá",
            "irei",
            "vou participar",
            "participarei",
            "confirmado",
        ],
        "ar": ["نعم", "حاضر", "سأشارك", "سأكون حاضرا", "سوف أحضر", "سنحضر", "حاضرة", "مؤكد"],
    },
    "declined": {
        "en": [
            "no",
            "can't come",
            "can't attend",
            "I can't",
            "I can't come",
            "I can't attend",
            "cannot",
            "unable",
            "unable to attend",
            "not coming",
            "I won't attend",
            "I will not attend",
            "apologies",
            "regrets",
        ],
        "fr": [
            "non",
            "je ne peux pas",
            "je ne peux pas venir",
            "je ne pourrai pas",
            "je ne pourrai pas venir",
            "pas disponible",
            "indisponible",
            "impossible",
            "excusé",
            "excusée",
            "je m'excuse",
        ],
        "es": [
            "no",
            "no puedo ir",
            "no puedo asistir",
            "no podré",
            "no podré asistir",
            "no podré ir",
            "no voy",
            "no iré",
            "no estaré",
            "imposible",
            "me disculpo",
        ],
        "pt": [
            "não",
            "não posso ir",
            "não poderei",
            "não poderei ir",
            "não vou poder",
            "não vou conseguir",
            "não estarei",
            "não estarei presente",
            "não participarei",
            "impossível",
            "indisponível",
        ],
        "ar": [
            "لا",
            "لا أستطيع",
            "لا أستطيع الحضور",
            "لا يمكنني الحضور",
            "لن أتمكن",
            "لن أتمكن من الحضور",
            "لن أشارك",
            "غير متاح",
        ],
    },
    "delegated": {
        "en": [
            "sub",
            "my substitute",
            "send my deputy",
            "my deputy",
            "send deputy",
            "send my alternate",
            "my alternate",
        ],
        "fr": [
            "sup",
            "mon suppléant",
            "ma suppléante",
            "envoyer ma suppléante",
            "j'envoie mon suppléant",
            "mon remplaçant",
            "ma remplaçante",
            "envoyer mon remplaçant",
            "adjoint",
            "adjointe",
            "mon adjoint",
            "mon adjointe",
            "envoyer mon adjoint",
        ],
        "es": [
            "sup",
            "mi suplente",
            "envío a mi suplente",
            "enviaré a mi suplente",
            "va mi suplente",
            "irá mi suplente",
            "mi sustituto",
            "mi sustituta",
            "reemplazo",
            "mi reemplazo",
        ],
        "pt": [
            "sup",
            "o meu suplente",
            "meu suplente",
            "vai o suplente",
            "vai o meu suplente",
            "envio o suplente",
            "enviar o suplente",
            "o meu substituto",
            "meu substituto",
        ],
        "ar": [
            "بديل",
            "بديلي",
            "نائبي",
            "أرسل نائبي",
            "سأرسل بديلي",
            "سيحضر بديلي",
            "يحضر بديلي",
            "سيحضر النائب",
            "أرسلوا بديلي",
        ],
    },
}


@pytest.mark.parametrize(
    "language, text, answered",
    [
        (language, text, answered)
        for answered, by_language in ATTENDANCE.items()
        for language, texts in by_language.items()
        for text in texts
    ],
)
def test_the_words_officials_type_answer_an_invitation(language, text, answered):
    """Each way of saying yes, no or "my substitute" answers the invitation, alone or with its number."""
    p = person(language, actions=(), invitations=(REVIEW,))
    assert engine.handle_text(p, None, text, NOW).events == [AttendanceAnswered(12, answered)]
    assert engine.handle_text(p, None, f"{text} 12", NOW).events == [AttendanceAnswered(12, answered)]


def test_present_in_arabic_confirms():
    """ "حاضر" ("present") is how an Arabic-speaking official says they will attend."""
    p = person("ar", actions=(), invitations=(REVIEW,))
    out = engine.handle_text(p, None, "حاضر", NOW)
    assert out.events == [AttendanceAnswered(12, "confirmed")]
    assert "12" in out.replies[0].text and "ستحضرون" in out.replies[0].text


@pytest.mark.parametrize(
    "language, text",
    [
        ("en", "on mission until 15/12"),
        ("en", "travelling until 15/12"),
        ("fr", "en mission jusqu'au 15/12"),
        ("fr", "en déplacement jusqu'au 15/12"),
        ("es", "de viaje hasta el 15/12"),
        ("es", "en comisión hasta el 15/12"),
        ("pt", "em missão até 15/12"),
        ("pt", "em viagem até 15/12"),
        ("ar", "في مهمة حتى 15/12"),
        ("ar", "مسافر حتى 15/12"),
    ],
)
def test_on_mission_and_travelling_mean_away(language, text):
    out = engine.handle_text(person(language), None, text, NOW)
    assert [type(e).__name__ for e in out.events] == ["AvailabilityChanged"]
    assert out.events[0].until == datetime(2026, 12, 15).date()


@pytest.mark.parametrize(
    "language, text",
    [
        ("en", "I'm back"),
        ("fr", "je suis rentrée"),
        ("es", "ya volví"),
        ("pt", "estou de volta"),
        ("ar", "لقد عدت"),
    ],
)
def test_im_back_means_back(language, text):
    out = engine.handle_text(person(language), None, text, NOW)
    assert [type(e).__name__ for e in out.events] == ["AvailabilityChanged"] and out.events[0].until is None
