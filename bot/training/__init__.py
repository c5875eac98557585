"""Offline training recipes and the project's training corpus (``corpus/``).

These modules import torch and transformers, which the bot never needs: install the ``[train]`` extra
(after ``pip install torch==2.13.0``) to use them. May import anything in ``bot``; only ``bot.cli``
imports this package, inside the ``clio train`` commands.
"""
