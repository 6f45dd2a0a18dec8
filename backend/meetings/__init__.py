"""Meetings and attendance: creating, changing and cancelling a meeting, inviting each institution's
focal point for its day (the substitute when the lead is away) and the observers, answers
(YES/NO/SUB) and hand-overs to a substitute. models.py, service.py (fields.py: what the fields may
hold; observers.py: per meeting and per cluster; notices.py: a message about an invitation, once);
the timing is backend/schedule/meetings.py; the commands are backend/cli/meetings.py."""
