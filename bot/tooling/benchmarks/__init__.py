"""Figures for `clio bench`: each benchmark returns a dict of measurements."""
