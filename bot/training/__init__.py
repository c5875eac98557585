"""Offline training pipelines. These modules import torch and transformers, which the bot never needs:
install the ``[train]`` extra (after ``pip install torch==2.13.0``) to use them."""
