"""Recommendations, their clusters and SDG targets, and the actions institutions committed to.
models.py, service.py; the CSV imports are backend/imports/catalog.py."""
