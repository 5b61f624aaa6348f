"""Evaluation against reference data (BBC duplicates; PAN measures live in newstrace.pan)."""
