"""The Discord adapter: ``client`` builds the discord.py bot and loads ``cogs/``; ``scheduling`` and
``publishing`` turn digest schedules into posts.

``client`` is the one module here that imports discord. May import the engine, the store and the core.
"""
