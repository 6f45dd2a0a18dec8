"""Channel side of nmirf-bot: the channel-agnostic message model and one handler per provider."""
