"""Who may use the secretariat's pages and API: admin users and their roles, server-side
sessions, API tokens for other systems, login throttling, and the audit log of sign-ins and
changes. Passwords are argon2 hashes (argon2-cffi); session ids and API tokens are random and
stored as SHA-256 digests, so a copy of the database lets nobody in."""
