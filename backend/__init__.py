"""Storage, the web and jobs: the only package that joins `bot` and `conversations`.

Rooms by a message's life: inbox/ (what arrives), sessions/ (talking to the engine), outbox/
(what leaves); the domain: roster/, catalog/, progress/, meetings/; entry points: jobs/, cli/,
app.py; below them all, wiring/ (the running context) over db.py and config.py. README "How it
is built" has the table and the rules, checked by import-linter."""
