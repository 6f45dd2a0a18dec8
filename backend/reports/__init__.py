"""The read side for the secretariat's pages, exports and API: what the store says, as plain rows."""
