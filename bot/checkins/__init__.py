"""Check-ins: schedules, rounds over time, prompts, and secretaries' answers.

Time drives only :meth:`RoundService.tick`. It is idempotent: every row it writes is keyed by
project and slot, round and person, or check-in and reminder number, so running it twice, or
after a crash half-way, adds nothing twice and loses nothing.
"""
