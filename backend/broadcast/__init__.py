"""Broadcasts: one text (per language) from the secretariat to a group of people, previewed
(who gets it in which language, on which channel, what it costs by SMS, who cannot be reached)
before it is sent. models.py, groups.py (who is in a group), service.py (recipients, preview,
send); the command is backend/cli/broadcast.py."""
