"""Developer tooling the running bot never imports.

- ``evaluation/``: measuring the matcher and the flaggers (`clio eval ...`) and the data they read;
- ``benchmarks/``: `clio bench`;
- ``fakediscord/``: a loopback Discord (gateway and REST) for the end-to-end tests, the sandbox and
  ``clio bench --burst``;
- ``sandbox``: runs the real bot against the fake Discord (`clio sandbox`); ``demo``: the engine alone
  on the bundled sample (`clio demo`).

May import anything in ``bot`` except ``bot.training``.
"""
