"""What arrives. A provider calls `/webhooks/<path>` (routes.py: one generic route per webhook a
registered channel declares); the channel verifies and parses the request; service.py stores it
once (the provider's id is the key) and enqueues its handling after the commit. polling.py feeds
Telegram's getUpdates into the same inbox; simulator.py is the simulator phone's side (what the
bot sent it). The row model is models.py."""
