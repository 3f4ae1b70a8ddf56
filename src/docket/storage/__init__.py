"""The databases the log lives in; each backend holds all of its SQL."""
