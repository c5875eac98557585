"""Measuring Clio's models: the project's own corpus, the topic packs and the bundled sample.

May import the engine (``bot.catalogue``, ``bot.matcher``, ``bot.embedding``); never the Discord adapter,
and never ``bot.training`` (evaluation runs without torch).
"""
