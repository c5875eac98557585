"""The engine: everything Clio does, driven by the CLI, the cogs and the tests alike.

- ingest and watching: ``ingest_queue``, ``watching``, ``importers/``;
- tagging: ``embedding`` (the ONNX encoder), ``matcher``, ``catalogue`` and ``packs`` (topic packs),
  ``tagging`` (the per-guild matchers) and ``matcher_inputs`` (the one door for changes that alter
  what a matcher sees);
- ``discovery/``, ``digest/``, ``moderation/``, ``notes``, ``privacy``, ``argument_admin``;
- ``wiring``: builds an :class:`~bot.engine.wiring.Engine` once per process.

May import ``bot.core`` and ``bot.store``; never discord, ``bot.adapter``, ``bot.cli``, ``bot.tooling`` or
``bot.training``.
"""
