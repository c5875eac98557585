"""Clio: a Discord bot that tags recurring arguments in history discussions and posts sourced digests.

The packages, from the inside out (each may import only the ones above it in this list):

- ``bot.core``: settings, user-facing errors, message records, per-guild config, time and Markdown
  helpers. Imports nothing else of Clio's.
- ``bot.store``: persistence (SQLite now); all SQL lives here.
- ``bot.engine``: what Clio does, with no Discord dependency: ingest, tagging (matcher, embedding, topic
  packs), discovery, digests, moderation, privacy.
- ``bot.adapter``: the discord.py client and the scheduling and publishing glue around it; ``cogs/``
  (beside this package) hold the per-feature Discord handlers.
- ``bot.cli``: the ``clio`` command line.
- ``bot.tooling``: what developers run and the runtime never imports: evaluation, benchmarks, the fake
  Discord, the sandbox and the demo.
- ``bot.training``: offline training recipes (torch); nothing else imports it.

``tests/test_architecture.py`` holds these rules.
"""

__version__ = "0.1.0"
