"""Discord cogs, one per feature: thin adapters that turn events and interactions into engine calls.

With ``bot/adapter/client.py`` the only modules that import discord. May import the adapter, the engine,
the store and the core; never the tooling or training.
"""
