"""One module per provider, each implementing bot.channel.Channel: verify and parse a webhook into
bot.message types, send an OutboundMessage, classify provider errors. No database, no Redis, no
web framework here.

To add a channel: a module here whose `from_settings(settings)` returns its channel object(s),
and one line in REGISTRY below (and its settings in backend/config.py). The back end mounts
`/webhooks/<path>` for each of the channel's `webhooks` and sends through it by its `name`."""

from bot.handlers import simulator, telegram, twilio

REGISTRY = (
    telegram.from_settings,
    twilio.from_settings,  # sms and whatsapp
    simulator.from_settings,
)
