"""The vocabulary every layer shares: settings, user-facing errors, message records, per-guild config,
and the one parser of times and durations and the one Markdown escaper.

Imports nothing from Clio's other packages, and never discord.
"""
