"""Model files: safe (no code runs on load) and byte-stable skops archives."""
