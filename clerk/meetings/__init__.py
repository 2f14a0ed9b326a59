"""Meetings: scheduling one, finding one by its reference, and listing them
(:mod:`.schedule`)."""
