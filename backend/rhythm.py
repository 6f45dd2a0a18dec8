"""Calendar arithmetic for reporting schedules: pure functions, no database.

A schedule is written `weekly mon 09:00`, `fortnightly thu 10:30` or `monthly 1 09:00` (the day
of the month, 1-28). It is read in the lead's own time zone, and the reporting period is the one
containing that local day: the ISO week (`2026-W49`), a fortnight named after its first ISO week
(odd weeks start one), or the month (`2026-12`).

Local times that do not exist or repeat (daylight-saving changes) are settled once, here:
- a time in a gap (clocks jump forward over it) is taken as the first valid minute after the gap
  (e.g. 02:30 on a night clocks go from 02:00 to 03:00 is sent at 03:00);
- a time that occurs twice (clocks go back) is taken at its first occurrence.
Quiet hours (e.g. 20:00-07:00) are never broken: a moment inside them moves to their end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = ("weekly", "fortnightly", "monthly")
SPEC = re.compile(r"^\s*(weekly|fortnightly|monthly)\s+(\w+)\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class ScheduleError(ValueError):
    """A schedule or quiet-hours text that cannot be read; the message says what is expected."""


@dataclass(frozen=True)
class Schedule:
    kind: str  # weekly, fortnightly or monthly
    day: int  # weekday 0-6 (Monday 0), or day of the month 1-28
    at: time  # local time

    def __str__(self) -> str:
        day = WEEKDAYS[self.day] if self.kind != "monthly" else str(self.day)
        return f"{self.kind} {day} {self.at:%H:%M}"


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def parse_schedule(text: str) -> Schedule:
    m = SPEC.match(text or "")
    if not m:
        raise ScheduleError(
            f"{text!r} is not a schedule: write `weekly mon 09:00`, `fortnightly thu 10:30` or `monthly 1 09:00`"
        )
    kind, day_text, hour, minute = m[1].lower(), m[2].lower(), int(m[3]), int(m[4])
    if hour > 23 or minute > 59:
        raise ScheduleError(f"{text!r}: the time must be between 00:00 and 23:59")
    if kind == "monthly":
        if not day_text.isdigit() or not 1 <= int(day_text) <= 28:
            raise ScheduleError(f"{text!r}: a monthly schedule names a day of the month from 1 to 28")
        day = int(day_text)
    else:
        if day_text[:3] not in WEEKDAYS:
            raise ScheduleError(f"{text!r}: name the weekday as mon, tue, wed, thu, fri, sat or sun")
        day = WEEKDAYS.index(day_text[:3])
    return Schedule(kind, day, time(hour, minute))


@dataclass(frozen=True)
class Escalation:
    """How long to wait: reminders after the prompt (hours, increasing), then before each next
    step of the roster's order (lead -> substitute 1 -> substitute 2 ... -> the secretariat's
    alert): `steps[k]` hours after step k was asked (its last reminder, for the lead); the last
    value goes on for the steps after it."""

    reminders: tuple[float, ...]
    steps: tuple[float, ...]

    @property
    def step(self) -> float:
        return self.steps[0]

    def wait(self, index: int) -> float:
        """Hours between asking step `index` (or its last reminder) and asking the next one."""
        return self.steps[min(index, len(self.steps) - 1)]

    def __str__(self) -> str:
        reminders = ",".join(f"{h:g}" for h in self.reminders) or "none"
        return f"reminders {reminders} then {','.join(f'{h:g}' for h in self.steps)}"


ESCALATION = re.compile(
    r"^\s*reminders\s+(none|[\d.]+(?:\s*,\s*[\d.]+)*)\s+then\s+([\d.]+(?:\s*,\s*[\d.]+)*)\s*$", re.IGNORECASE
)


def parse_escalation(text: str) -> Escalation:
    """`reminders 24,72 then 24`: reminders 24 h and 72 h after the prompt, then the next person
    every 24 h; `reminders none then 48`: no reminder, the substitute after 48 h; `reminders 24
    then 24,48,12`: substitute 1 24 h after the reminder, substitute 2 48 h after that, then 12 h
    between the steps after (the last of them the secretariat's alert)."""
    m = ESCALATION.match(text or "")
    if not m:
        raise ScheduleError(
            f"{text!r} is not an escalation: write e.g. `reminders 24,72 then 24` or `reminders none then 48`"
        )
    reminders = () if m[1].lower() == "none" else tuple(float(h) for h in m[1].split(","))
    steps = tuple(float(h) for h in m[2].split(","))
    if any(h <= 0 for h in reminders) or list(reminders) != sorted(reminders) or any(h <= 0 for h in steps):
        raise ScheduleError(f"{text!r}: the hours must be positive and the reminders increasing")
    return Escalation(reminders, steps)


def parse_quiet_hours(text: str) -> QuietHours:
    m = QUIET.match(text or "")
    if not m or int(m[1]) > 23 or int(m[3]) > 23 or int(m[2]) > 59 or int(m[4]) > 59:
        raise ScheduleError(f"{text!r} is not a span of hours: write e.g. 20:00-07:00")
    return QuietHours(time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4])))


def period_of(schedule: Schedule, day: date) -> str:
    """The reporting period containing the local `day`."""
    if schedule.kind == "monthly":
        return f"{day.year}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    if schedule.kind == "fortnightly" and week % 2 == 0:
        year, week, _ = (day - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def _period_start(schedule: Schedule, day: date) -> date:
    if schedule.kind == "monthly":
        return day.replace(day=1)
    monday = day - timedelta(days=day.weekday())
    if schedule.kind == "fortnightly" and monday.isocalendar()[1] % 2 == 0:
        monday -= timedelta(days=7)
    return monday


def _next_period_start(schedule: Schedule, start: date) -> date:
    if schedule.kind == "monthly":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=14 if schedule.kind == "fortnightly" else 7)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at `at` in `zone`, as an aware UTC moment: a time in a DST gap becomes the first
    valid minute after the gap; a repeated time, its first occurrence."""
    naive = datetime.combine(day, at)
    candidate = naive.replace(tzinfo=zone, fold=0)
    if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return candidate.astimezone(UTC)
    # In a gap: walk forward a minute at a time to the first local time that exists.
    step = naive
    for _ in range(24 * 60):
        step += timedelta(minutes=1)
        probe = step.replace(tzinfo=zone, fold=0)
        if probe.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == step:
            return probe.astimezone(UTC)
    raise ScheduleError(f"{naive} does not exist in {zone.key}")


def outside_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (local time)."""
    if quiet is None:
        return moment
    local = moment.astimezone(zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return moment
    day = local.date() if local.time() < quiet.end else local.date() + timedelta(days=1)
    return local_moment(day, quiet.end, zone)


def due_in_period(schedule: Schedule, period_start: date, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """When the prompt of the period starting on `period_start` is due (UTC)."""
    if schedule.kind == "monthly":
        day = period_start.replace(day=schedule.day)
    else:
        day = period_start + timedelta(days=schedule.day)
    return outside_quiet_hours(local_moment(day, schedule.at, zone), zone, quiet)


def current_round(
    schedule: Schedule, now: datetime, zone: ZoneInfo, quiet: QuietHours | None
) -> tuple[str, datetime, datetime]:
    """(period, its prompt's due moment, the next period's due moment) for the period containing
    `now` in `zone`: the prompt is due when now >= the first moment."""
    today = now.astimezone(zone).date()
    start = _period_start(schedule, today)
    due = due_in_period(schedule, start, zone, quiet)
    following = due_in_period(schedule, _next_period_start(schedule, start), zone, quiet)
    return period_of(schedule, today), due, following


def later(moment: datetime, delay: timedelta, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """`delay` after `moment`, moved out of the quiet hours."""
    return outside_quiet_hours(moment + delay, zone, quiet)
