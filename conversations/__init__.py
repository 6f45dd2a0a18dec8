"""The conversation engine and its flows: pure functions of (person, session state, input, now).

No I/O here: the backend loads what the engine needs into the views below and stores what it
returns."""
