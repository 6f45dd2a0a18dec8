"""Talking to the conversation engine. runner.py handles one inbox row: who sent it, the person
view (people.py), the stored state (state.py), the engine's outcome, whose events effects.py
applies one handler per event type, and the replies. prompts.py starts the conversations the bot
opens (the weekly prompt); timers.py runs due `fires` rows (a waiting conversation's expiry).
A new scheduled job that starts a conversation goes next to prompts.py."""
