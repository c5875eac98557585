"""Strong spam evidence from a link's host: a known scam domain, or a lookalike of Discord or Steam.

The known domains come from a shipped list (``scam_domains.txt``, see its header for source and licence)
or from the file ``CLIO_SCAM_DOMAINS`` names. A listed domain covers its subdomains.

A lookalike is how "free Nitro" and "Steam gift" phishing usually arrives: a host that is not one of the
real domains but spells the brand with a typo (``dlscord.gift``, ``steamcommunlty.com``), or names the
brand next to a bait word (``discord-nitro.gift``, ``discordgift.site``). The brand alone is not enough:
``discord.js.org`` and ``discordpy.readthedocs.io`` are ordinary links.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

SHIPPED_LIST = Path(__file__).with_name("scam_domains.txt")
OFFICIAL = (
    "discord.com",
    "discord.gg",
    "discord.gift",
    "discord.new",
    "discord.media",
    "discordapp.com",
    "discordapp.net",
    "discordstatus.com",
    "steamcommunity.com",
    "steampowered.com",
    "steamstatic.com",
)
BRANDS = ("discord", "discordapp", "steamcommunity", "steampowered")
BAIT_WORDS = ("nitro", "gift", "free", "claim", "airdrop", "promo", "giveaway", "drop", "reward", "bonus")
_TOKEN = re.compile(r"[a-z0-9]+")


def read_domains(lines: Iterable[str]) -> frozenset[str]:
    """Domains from a list file: one per line, ``#`` comments and blank lines skipped."""
    domains = set()
    for line in lines:
        entry = line.split("#", 1)[0].strip().lower().rstrip(".")
        if entry:
            domains.add(entry.removeprefix("www."))
    return frozenset(domains)


def domains_from_eth_phishing_detect(config_json: str) -> list[str]:
    """The blacklist of eth-phishing-detect's ``src/config.json``, sorted."""
    config = json.loads(config_json)
    blacklist = config.get("blacklist") if isinstance(config, dict) else None
    if not isinstance(blacklist, list) or not all(isinstance(d, str) for d in blacklist):
        raise ValueError("not an eth-phishing-detect config.json: it has no 'blacklist' list of domains")
    return sorted(read_domains(blacklist))


@lru_cache(maxsize=4)
def load_domains(path: Path = SHIPPED_LIST) -> frozenset[str]:
    return read_domains(Path(path).read_text("utf-8").splitlines())


def _suffixes(host: str) -> Iterable[str]:
    """``a.b.example.com`` -> ``a.b.example.com``, ``b.example.com``, ``example.com``."""
    parts = host.split(".")
    return (".".join(parts[i:]) for i in range(len(parts) - 1))


def is_official(host: str) -> bool:
    return any(suffix in OFFICIAL for suffix in _suffixes(host))


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``; ``limit + 1`` when more."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i]
        for j in range(1, len(b) + 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if before is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def lookalike(host: str) -> str | None:
    """The brand a non-official host impersonates, if it does."""
    if is_official(host):
        return None
    tokens = _TOKEN.findall(host)
    for token in tokens:
        named = [brand for brand in BRANDS if brand in token]
        for brand in named:
            rest = [t for t in tokens if t != token] + [token.replace(brand, " ")]
            if any(bait in t for t in rest for bait in BAIT_WORDS):
                return brand
        if named:
            continue  # spelled right: "discordpy" is a library, not a typo of "discordapp"
        for brand in BRANDS:
            if edit_distance(token, brand, 2) <= typos_allowed(brand):
                return brand
    return None


def typos_allowed(brand: str) -> int:
    # One typo in a short name ("dlscord"), two in a long one ("steamcommunlty" with a swapped letter too).
    return 1 if len(brand) < 8 else 2


class ScamDomains:
    def __init__(self, domains: frozenset[str]) -> None:
        self.domains = domains

    @classmethod
    def load(cls, path: Path | None = None) -> ScamDomains:
        return cls(load_domains(path or SHIPPED_LIST))

    def known(self, host: str) -> str | None:
        """The listed domain ``host`` is or belongs to."""
        return next((suffix for suffix in _suffixes(host) if suffix in self.domains), None)

    def evidence(self, host: str) -> str | None:
        """Why a link's host is strong evidence of a scam, or None."""
        listed = self.known(host)
        if listed is not None:
            return f"known scam domain ({listed})"
        brand = lookalike(host)
        if brand is not None:
            return f"lookalike of {brand} ({host})"
        return None
