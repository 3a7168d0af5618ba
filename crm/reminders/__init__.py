"""Reminders: rules that sweep the dates, a ledger that is the truth, delivery on RQ."""
