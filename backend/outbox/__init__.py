"""What leaves. start.py holds `start_message`, the one function that starts a message the bot
initiates (route it, queue it once per key); routing.py picks the person's first usable channel,
addresses.py knows each address (opted out, unreachable, WhatsApp's window); send.py leases,
paces and sends a row through its channel; delivery.py classifies failures, fails over to the
next channel and applies providers' delivery statuses. The row models are models.py."""
