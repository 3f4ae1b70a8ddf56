"""The audit: the hash chain (and its parallel scan), checkpoints, the stored views and the
committed projections against a fresh replay; `verify` runs them all (SPEC §6–7)."""
