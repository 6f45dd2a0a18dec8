"""The schedule's calendar arithmetic (backend/rhythm.py) in the time zones that catch mistakes:
daylight-saving changes (America/Asuncion in 2023, Africa/Casablanca's Ramadan hour), offsets of
+12 (Pacific/Majuro) and +05:45 (Asia/Kathmandu), a prompt time in a DST gap or in a repeated
hour (sent once, at the documented time), quiet hours, and weekly, fortnightly and monthly periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.rhythm import (
    ScheduleError,
    current_round,
    later,
    local_moment,
    parse_quiet_hours,
    parse_schedule,
    period_of,
)

QUIET = parse_quiet_hours("20:00-07:00")
WEEKLY = parse_schedule("weekly mon 09:00")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "zone,monday,due",
    [
        ("Africa/Nairobi", date(2026, 11, 30), utc(2026, 11, 30, 6, 0)),
        ("Pacific/Majuro", date(2026, 11, 30), utc(2026, 11, 29, 21, 0)),  # +12: Sunday evening in UTC
        ("Asia/Kathmandu", date(2026, 11, 30), utc(2026, 11, 30, 3, 15)),  # +05:45
        ("Africa/Casablanca", date(2026, 2, 16), utc(2026, 2, 16, 9, 0)),  # Ramadan: +00
        ("Africa/Casablanca", date(2026, 3, 23), utc(2026, 3, 23, 8, 0)),  # after it: +01
        ("America/Asuncion", date(2023, 10, 2), utc(2023, 10, 2, 12, 0)),  # summer time: -03
        ("America/Asuncion", date(2023, 7, 3), utc(2023, 7, 3, 13, 0)),  # winter: -04
    ],
)
def test_the_prompt_is_due_at_the_local_hour(zone, monday, due):
    period, when, following = current_round(
        WEEKLY, utc(monday.year, monday.month, monday.day, 12), ZoneInfo(zone), QUIET
    )
    assert when == due and when.astimezone(ZoneInfo(zone)).time() == time(9, 0)
    assert period == period_of(WEEKLY, monday)
    assert following.astimezone(ZoneInfo(zone)).date() == monday + timedelta(days=7)


def test_the_period_is_the_persons_own_week():
    """Monday 09:00 in Majuro is still Sunday in UTC: the period is Majuro's week."""
    period, due, _ = current_round(WEEKLY, utc(2026, 11, 29, 21, 5), ZoneInfo("Pacific/Majuro"), QUIET)
    assert period == "2026-W49" and due == utc(2026, 11, 29, 21, 0)
    period, _, _ = current_round(WEEKLY, utc(2026, 11, 29, 21, 5), ZoneInfo("America/Asuncion"), QUIET)
    assert period == "2026-W48"  # still Sunday in Asuncion


def test_a_time_in_a_dst_gap_is_sent_once_at_the_end_of_the_gap():
    """Asuncion, 1 Oct 2023: clocks go from 00:00 to 01:00. A prompt at 00:30 goes at 01:00."""
    zone = ZoneInfo("America/Asuncion")
    moment = local_moment(date(2023, 10, 1), time(0, 30), zone)
    assert moment == utc(2023, 10, 1, 4, 0) and moment.astimezone(zone).time() == time(1, 0)


def test_a_time_that_repeats_is_sent_once_at_its_first_occurrence():
    """Asuncion, 25 Mar 2023: 23:00-24:00 happens twice (-03 then -04). 23:30 is the first one."""
    zone = ZoneInfo("America/Asuncion")
    assert local_moment(date(2023, 3, 25), time(23, 30), zone) == utc(2023, 3, 26, 2, 30)
    sunday = parse_schedule("weekly sat 23:30")
    period, due, _ = current_round(sunday, utc(2023, 3, 26, 4, 0), zone, None)
    assert due == utc(2023, 3, 26, 2, 30) and period == "2023-W12"


def test_quiet_hours_are_never_broken():
    zone = ZoneInfo("Africa/Nairobi")
    late = parse_schedule("weekly mon 21:00")
    _, due, _ = current_round(late, utc(2026, 12, 1, 12), zone, QUIET)
    assert due.astimezone(zone) == datetime(2026, 12, 1, 7, 0, tzinfo=zone)  # Tuesday 07:00, not Monday 21:00
    # A reminder 24 h after a prompt sent at 19:30 would fall at 19:30; 13 h after it, at 08:30;
    # 4 h after it, at 23:30: moved to 07:00.
    sent = datetime(2026, 12, 1, 19, 30, tzinfo=zone)
    assert later(sent, timedelta(hours=4), zone, QUIET).astimezone(zone) == datetime(2026, 12, 2, 7, 0, tzinfo=zone)
    assert later(sent, timedelta(hours=13), zone, QUIET).astimezone(zone) == datetime(2026, 12, 2, 8, 30, tzinfo=zone)


def test_fortnightly_and_monthly_periods():
    fortnight = parse_schedule("fortnightly thu 10:30")
    assert period_of(fortnight, date(2026, 11, 23)) == "2026-W47"  # week 48 belongs to 47's fortnight
    assert period_of(fortnight, date(2026, 11, 30)) == "2026-W49"
    _, due, following = current_round(fortnight, utc(2026, 12, 9), ZoneInfo("UTC"), None)
    assert due == utc(2026, 12, 3, 10, 30) and following == utc(2026, 12, 17, 10, 30)
    monthly = parse_schedule("monthly 1 09:00")
    period, due, following = current_round(monthly, utc(2026, 12, 15), ZoneInfo("Asia/Kathmandu"), QUIET)
    assert period == "2026-12" and due == utc(2026, 12, 1, 3, 15) and following == utc(2027, 1, 1, 3, 15)


@pytest.mark.parametrize(
    "text", ["weekly", "daily mon 09:00", "weekly xyz 09:00", "weekly mon 25:00", "monthly 31 09:00"]
)
def test_a_bad_schedule_says_what_is_expected(text):
    with pytest.raises(ScheduleError, match="weekly mon 09:00|between 00:00|1 to 28|mon, tue"):
        parse_schedule(text)
