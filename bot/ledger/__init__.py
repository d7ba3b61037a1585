"""The problem ledger (帮办台帐): problems, their history, buttons and escalation."""
