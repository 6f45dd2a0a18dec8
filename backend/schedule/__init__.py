"""The mechanism's rhythm: when each institution is asked for its update, the reminders, and who
is asked next when nobody answers. `rhythm.py` is the calendar arithmetic (pure); the rest reads
and writes rounds and their steps."""
