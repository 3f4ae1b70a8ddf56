"""Commands that read the log: the views, time travel and the audit (added as they land)."""
