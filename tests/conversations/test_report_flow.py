"""The community-level report, as a local-authority focal point meets it."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from conversations import engine, weekly
from conversations.views import ActionView, ClusterView, CommunityReported, PersonView

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SHELTER = ActionView(10, "Open a county shelter for women victims of violence", "not_started")
ELDERS = ActionView(11, "Train village elders on referral pathways", "in_progress")


def person(actions=(SHELTER, ELDERS), language="en", clusters=()):
    return PersonView(
        id=4,
        name="Fatuma Achieng",
        language=language,
        timezone="Africa/Nairobi",
        report_actions=actions,
        clusters=clusters,
    )


def run(p, *messages):
    state, replies, events = None, [], []
    for text in messages:
        out = engine.handle_text(p, state, text, NOW)
        state = out.state
        replies.append(out.replies[0].text)
        events += out.events
    return state, replies, events


def test_report_from_start_to_finish():
    """REPORT, the action's number, the place, what was done, people reached: one community update."""
    state, replies, events = run(person(), "REPORT", "2", "Kondele ward", "Away from the road, trained 30 elders", "30")
    assert replies[0].startswith("Community report. Which action or theme?") and "2 Train village elders" in replies[0]
    assert replies[1] == "Where was it done (village, ward or town)?"
    assert state is None and events == [
        CommunityReported(
            action_id=11,
            locality="Kondele ward",
            note="Away from the road, trained 30 elders",
            people_reached=30,
            period="2026-W48",
        )
    ]
    assert (
        replies[-1]
        == "Thank you. Community report recorded for Train village elders on referral path..., in Kondele ward."
    )


def test_one_action_skips_the_choice_and_people_reached_may_be_skipped():
    """With a single action the bot asks where at once; SKIP leaves people reached empty."""
    _state, replies, events = run(person((SHELTER,)), "report", "Nyalenda", "Site chosen", "SKIP")
    assert replies[0] == "Where was it done (village, ward or town)?"
    assert events[0].people_reached is None and events[0].action_id == 10


@pytest.mark.parametrize("bad,hint", [("7", "from 1 to 2"), ("shelter", "from 1 to 2")])
def test_a_wrong_choice_gets_a_specific_correction(bad, hint):
    """A number not on the list, or words, are answered with the expected range."""
    state, replies, _ = run(person(), "REPORT", bad)
    assert hint in replies[-1] and state.step == "action"


def test_people_reached_must_be_a_number():
    """ "about 30" is not a number: the bot asks again, nothing is stored yet."""
    state, replies, events = run(person(), "REPORT", "1", "Manyatta", "Visited the site", "about 30")
    assert "Please reply with a number" in replies[-1] and events == [] and state.step == "reached"


def test_skip_cancels_and_help_explains():
    """SKIP before the last question cancels; HELP explains without losing the place."""
    state, replies, events = run(person(), "REPORT", "1", "HELP")
    assert "SKIP to drop it" in replies[-1] and state.step == "where"
    state, replies, events = run(person(), "REPORT", "1", "skip")
    assert replies[-1] == "Report cancelled." and state is None and events == []


def test_report_never_drops_an_open_weekly_update():
    """REPORT while this week's statuses are awaited asks to answer them first."""
    from datetime import timedelta

    p = replace(person(), actions=(SHELTER, ELDERS))
    state = engine.start(weekly.FLOW, p, None, NOW, timedelta(hours=72), "t").state
    out = engine.handle_text(p, state, "REPORT", NOW)
    assert out.state == state and "first" in out.replies[0].text


@pytest.mark.parametrize("language,word", [("fr", "rapport"), ("es", "informe"), ("pt", "relatório"), ("ar", "تقرير")])
def test_report_in_every_language(language, word):
    """The flow runs in each language and no English leaks into it."""
    _state, replies, events = run(person(language=language), word, "1", "Kondele", "x", "12")
    assert events and events[0].people_reached == 12
    for text in replies:
        assert "Where was it done" not in text and "Thank you" not in text and "Community report" not in text


def test_a_cluster_can_be_reported_on_as_well_as_an_action():
    """The list offers the person's actions, then the recommendation clusters they answer; a
    report on a cluster names no action."""
    disability = ClusterView(7, "Rights of persons with disabilities")
    state, replies, events = run(person(clusters=(disability,)), "REPORT", "3", "Nyalenda", "Ramps built", "SKIP")
    assert replies[0].splitlines()[1:] == [
        "1 Open a county shelter for...",  # fitted to one SMS
        "2 Train village elders on re...",
        "3 Rights of persons with dis...",
    ]
    assert events == [
        CommunityReported(
            action_id=None,
            cluster_id=7,
            locality="Nyalenda",
            note="Ramps built",
            people_reached=None,
            period="2026-W48",
        )
    ]
    assert replies[-1] == "Thank you. Community report recorded for Rights of persons with disabilities, in Nyalenda."


def test_nothing_to_report_on_is_said_plainly():
    _state, replies, events = run(person(actions=()), "REPORT")
    assert replies == ["You have no action to report on. Please ask your NMIRF secretariat."] and events == []


def test_a_weekly_prompt_in_the_middle_of_a_report_does_not_drop_it():
    """The prompt comes while a report waits for "what was done": the update is answered first,
    then the bot goes back to the report where it was."""
    from datetime import timedelta

    p = replace(person(), actions=(SHELTER, ELDERS))
    state, _replies, _events = run(p, "REPORT", "2", "Kondele ward")
    prompt = engine.start(weekly.FLOW, p, state, NOW, timedelta(hours=72), "t")
    assert prompt.state.then == state
    out = engine.handle_text(p, prompt.state, "1D 2P", NOW)
    out = engine.handle_text(p, out.state, "SKIP", NOW)
    assert [r.text for r in out.replies] == [
        "No note. Thank you.",
        "Back to your community report. What was done? A short description, please.",
    ]
    assert out.state == state
    out = engine.handle_text(p, out.state, "Trained 30 elders", NOW)
    out = engine.handle_text(p, out.state, "30", NOW)
    assert out.events[0].locality == "Kondele ward" and out.events[0].people_reached == 30 and out.state is None


def test_report_sent_again_after_the_update_picks_up_the_waiting_report():
    """REPORT at the update's note step goes back to the report that was waiting, not a new one."""
    from datetime import timedelta

    p = replace(person(), actions=(SHELTER, ELDERS))
    state, _replies, _events = run(p, "REPORT", "2", "Kondele ward")
    out = engine.handle_text(p, engine.start(weekly.FLOW, p, state, NOW, timedelta(hours=72), "t").state, "1D 2P", NOW)
    out = engine.handle_text(p, out.state, "REPORT", NOW)
    assert out.state == state and out.replies[0].text.startswith("Back to your community report. What was done?")
