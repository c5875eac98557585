"""The ``clio`` command line. Each command group lives in its own module and is registered here.

May import every layer; ``bot.training`` only inside the commands that train, so that ``clio`` starts
without torch.
"""

from __future__ import annotations

import importlib
import logging

import click
import pydantic
from pydantic_core import ErrorDetails

from bot.cli.common import setup_error
from bot.core.config import Settings, env_name, get_settings

# module path -> the attribute (or attributes) holding click commands or groups
COMMANDS = {
    "bot.cli.ingest": ("import_command", "tag_command"),
    "bot.cli.bench": "bench_command",
    "bot.cli.demo": "demo_command",
    "bot.cli.digest": "digest_command",
    "bot.cli.discover": "discover",
    "bot.cli.matcher_commands": ("eval_group", "match"),
    "bot.cli.train": "train_group",
    "bot.cli.moderation": "flag_command",
    "bot.cli.spam": "spam_group",
    "bot.cli.export": "export_group",
    "bot.cli.db": "db_group",
    "bot.cli.run": "run_command",
    "bot.cli.invite": "invite_command",
    "bot.cli.sandbox": "sandbox_command",
    "bot.cli.packs": ("pack_group", "packs_group"),
    # Add `eval sample`, `eval corpus` and `eval packs` to the eval group on import.
    "bot.cli.sample_eval": (),
    "bot.cli.catalogue_eval": (),
}

# The bot's log is its output; every other command prints results that INFO lines would bury.
DEFAULT_LOG_LEVEL = {"run": "INFO"}


class ClioGroup(click.Group):
    """Turns the set-up mistakes any command can meet (a bad model folder, pack or database) into one
    ``Error:`` line, instead of each command catching them or showing a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = setup_error(exc)
            if message is None:
                raise
            raise click.ClickException(message) from None


def _settings_problem(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    where = env_name(field) if field in Settings.model_fields else field  # else already a variable's name
    # pydantic prefixes a validator's own message with "Value error, ", which says nothing to the reader.
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


@click.group(cls=ClioGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clio-bot")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Clio: tags recurring arguments in history discussions and posts sourced digests."""
    # Each invocation reads the environment and .env afresh (tests run many in one process).
    get_settings.cache_clear()
    try:
        settings = get_settings()
    except pydantic.ValidationError as exc:
        problems = "; ".join(_settings_problem(e) for e in exc.errors())
        raise click.ClickException(f"invalid settings: {problems}") from None
    level = settings.log_level or DEFAULT_LOG_LEVEL.get(ctx.invoked_subcommand or "", "WARNING")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Two lines at INFO for every run of the outboxes' and the daily jobs: noise; their failures still show.
    logging.getLogger("apscheduler.executors.default").setLevel(max(logging.WARNING, logging.root.level))


for module_name, attributes in COMMANDS.items():
    module = importlib.import_module(module_name)
    for attribute in (attributes,) if isinstance(attributes, str) else attributes:
        main.add_command(getattr(module, attribute))
