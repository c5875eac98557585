"""The package rules that bot/__init__.py describes, checked on every import statement in the code.

Imports inside functions count too: a lazy import still ties one layer to another.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Which of Clio's packages each layer may import (besides its own). Layers not named here are unlimited.
ALLOWED = {
    "bot.core": set(),
    "bot.store": {"bot.core"},
    "bot.engine": {"bot.core", "bot.store"},
    "bot.adapter": {"bot.core", "bot.store", "bot.engine"},
    "cogs": {"bot.core", "bot.store", "bot.engine", "bot.adapter"},
    "bot.tooling": {"bot.core", "bot.store", "bot.engine", "bot.adapter", "bot.tooling"},
    "bot.cli": {"bot.core", "bot.store", "bot.engine", "bot.adapter", "bot.tooling", "bot.training"},
}
LAYERS = ["bot.core", "bot.store", "bot.engine", "bot.adapter", "bot.cli", "bot.tooling", "bot.training", "cogs"]
DISCORD_IMPORTERS = {"bot.adapter.client"}
# A string that starts like a SQL statement: all SQL lives in bot/store.
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH)\s.*\b(FROM|INTO|SET|TABLE|AS)\b", re.S)


def module_name(path: Path, root: Path = REPO) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    return next((layer for layer in LAYERS if module == layer or module.startswith(layer + ".")), None)


def imported_modules(path: Path, root: Path = REPO) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.extend(
                (node.lineno, f"{base}.{alias.name}" if base in {"bot", "cogs"} else base) for alias in node.names
            )
    return found


def source_files(root: Path = REPO) -> list[Path]:
    return sorted(p for folder in ("bot", "cogs") for p in (root / folder).rglob("*.py"))


def violations(root: Path = REPO) -> list[str]:
    found = []
    for path in source_files(root):
        module = module_name(path, root)
        own = layer_of(module)
        for line, imported in imported_modules(path, root):
            where = f"{path.relative_to(root)}:{line} imports {imported}"
            if imported.split(".")[0] == "discord" and module not in DISCORD_IMPORTERS and own != "cogs":
                found.append(f"{where}: only cogs/ and bot/adapter/client.py may import discord")
            target = layer_of(imported)
            if target is None or target == own or own not in ALLOWED:
                continue
            if target not in ALLOWED[own]:
                found.append(f"{where}: {own} may not import {target}")
    return found


def sql_outside_the_store(root: Path = REPO) -> list[str]:
    found = []
    for path in source_files(root):
        if layer_of(module_name(path, root)) == "bot.store":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.JoinedStr | ast.Constant):
                continue
            parts = node.values if isinstance(node, ast.JoinedStr) else [node]
            text = "".join(p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str))
            if text and SQL.match(text):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return sorted(set(found))


def test_all_sql_lives_in_the_store(tmp_path):
    assert sql_outside_the_store() == []
    engine = tmp_path / "bot" / "engine"
    engine.mkdir(parents=True)
    (engine / "leak.py").write_text('def rows(db, t):\n    return db.fetchall(f"SELECT id FROM {t} WHERE x = 1")\n')
    (tmp_path / "cogs").mkdir()
    (tmp_path / "cogs" / "words.py").write_text('HELP = "Select the messages to delete from the queue."\n')
    assert sql_outside_the_store(tmp_path) == ["bot/engine/leak.py:2"]


def test_every_module_belongs_to_a_layer():
    loose = [
        str(p.relative_to(REPO)) for p in source_files() if layer_of(module_name(p)) is None and module_name(p) != "bot"
    ]
    assert loose == []


def test_imports_follow_the_layers():
    assert violations() == []


def test_checker_catches_forbidden_imports(tmp_path):
    engine = tmp_path / "bot" / "engine"
    engine.mkdir(parents=True)
    (engine / "probe.py").write_text("import discord\nfrom bot.adapter import client\n")
    (engine / "lazy.py").write_text("def later():\n    from ..tooling.evaluation import kpa\n")
    (tmp_path / "cogs").mkdir()
    (tmp_path / "cogs" / "fine.py").write_text("import discord\nfrom bot.engine import discovery\n")
    assert violations(tmp_path) == [
        "bot/engine/lazy.py:2 imports bot.tooling.evaluation: bot.engine may not import bot.tooling",
        "bot/engine/probe.py:1 imports discord: only cogs/ and bot/adapter/client.py may import discord",
        "bot/engine/probe.py:2 imports bot.adapter: bot.engine may not import bot.adapter",
    ]


@pytest.mark.slow
def test_the_running_bot_loads_no_tooling_or_training():
    """Starting the bot imports the adapter, every cog and the engine, and nothing from the tooling."""
    probe = (
        "import sys, pkgutil, importlib, cogs\n"
        "import bot.adapter.client, bot.engine.wiring\n"
        "for info in pkgutil.iter_modules(cogs.__path__): importlib.import_module('cogs.' + info.name)\n"
        "print(sorted({m.split('.')[0] if not m.startswith('bot.') else '.'.join(m.split('.')[:2])"
        " for m in sys.modules if m.startswith(('bot.tooling', 'bot.training', 'bot.cli', 'torch', 'transformers'))}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
