"""The living roster: institutions, people and their focal-point posts (rank 1 the lead, then the
substitutes), who leads today (away, out of post), and linking a Telegram account. models.py,
service.py; the CSV import is backend/imports/roster.py."""
