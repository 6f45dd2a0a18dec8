"""Meetings and attendance: creating a meeting, inviting each institution's focal point for its
day (the substitute when the lead is away), answers (YES/NO/SUB) and the hand-over to a
substitute. models.py, service.py; the commands are backend/cli/meetings.py."""
