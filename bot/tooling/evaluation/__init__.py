"""Measuring Clio's models: the project's own corpus, the topic packs, ArgKP, the abuse datasets and the
bundled sample.

May import the engine; never the Discord adapter, and never ``bot.training`` (evaluation runs without
torch). Training imports from here to select its models.
"""
