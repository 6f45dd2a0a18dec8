"""One module per provider, each with the same verbs: verify + parse a webhook into bot.message
types, send an OutboundMessage and return the provider's id, map provider errors."""
