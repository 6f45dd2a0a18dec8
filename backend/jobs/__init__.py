"""Job functions (process an inbox row, send an outbox row, sweep) and how they are queued."""
