"""Clio's engine: storage, argument tagging, discovery and digests, with no Discord dependency.

Only :mod:`bot.client` imports discord.py; everything else here runs from the CLI and tests alone.
"""

__version__ = "0.1.0"
