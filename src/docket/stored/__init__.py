"""The stored views kept with the log: maintenance after each append, rows, the head fold
state and snapshots."""
