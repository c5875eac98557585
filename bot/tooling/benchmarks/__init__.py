"""Figures for `clio bench`: each benchmark returns a dict of measurements.

Tooling: may import the engine, the adapter (the burst drives the real bot) and the fake Discord.
"""
