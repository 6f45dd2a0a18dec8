"""The channel side: the channel-agnostic message model (message.py), the one interface every
channel implements (channel.py), one handler module per provider and their registry (handlers/),
and SMS segment counting (segments.py). Imports nothing from conversations or backend."""
