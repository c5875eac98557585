"""``clio spam import-domains``: refresh the list of known scam domains the spam flagger treats as strong."""

from __future__ import annotations

from pathlib import Path

import click

from bot.engine.moderation.scam_domains import domains_from_eth_phishing_detect, read_domains


@click.group("spam")
def spam_group() -> None:
    """The spam flagger's list of known scam domains."""


@spam_group.command("import-domains")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="List written, one domain per line; point CLIO_SCAM_DOMAINS at it.",
)
def import_domains_command(source: Path, output_path: Path) -> None:
    """Read eth-phishing-detect's src/config.json (from `npm pack eth-phishing-detect`) or a plain list."""
    text = source.read_text("utf-8")
    try:
        domains = (
            domains_from_eth_phishing_detect(text)
            if source.suffix == ".json"
            else sorted(read_domains(text.splitlines()))
        )
    except ValueError as exc:
        raise click.ClickException(f"{source}: {exc}") from None
    if not domains:
        raise click.ClickException(f"{source}: no domains found; nothing written")
    header = f"# Known scam and phishing domains, imported from {source.name}; one per line.\n"
    output_path.write_text(header + "\n".join(domains) + "\n", "utf-8")
    click.echo(f"{len(domains)} domains -> {output_path}; set CLIO_SCAM_DOMAINS={output_path} to use them")
