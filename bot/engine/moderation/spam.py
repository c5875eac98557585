"""Spam and ads (invites, shorteners, referral links, mass mentions, cross-posting, scam links) and floods.

A message is flagged as spam on one strong signal (a known scam or lookalike domain, a mass mention,
the same text in several channels) or on two weak ones of different kinds (an invite, a URL shortener, a
referral link, @everyone from a member, free-Nitro bait). One weak signal alone is how ordinary people
post links: a JSTOR link with ``?seq=``, an Amazon short link, a partner server's invite. Domains and
invites on the guild's allowlists give no signal at all.

Cross-posting and flooding need recent history. It is kept in memory, per guild, bounded in the number of
authors tracked and in time, so a busy guild costs a few hundred kilobytes at most and a restart forgets
it (both are about the last few minutes anyway). Times come from the message, or from an injectable
clock when a message has none.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Hashable
from urllib.parse import parse_qsl, urlsplit

from bot.core.config import get_settings
from bot.core.errors import UserError
from bot.core.guild_config import GuildConfig
from bot.engine.moderation.flaggers import Flag, MessageContext
from bot.engine.moderation.scam_domains import ScamDomains

Clock = Callable[[], float]

SHORTENERS = frozenset(
    [
        "bit.ly",
        "tinyurl.com",
        "t.co",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "v.gd",
        "buff.ly",
        "cutt.ly",
        "rebrand.ly",
        "shorturl.at",
        "tiny.cc",
        "rb.gy",
        "t.ly",
        "s.id",
        "bl.ink",
        "adf.ly",
        "shorte.st",
        "ouo.io",
        "bc.vc",
        "soo.gd",
        "amzn.to",
        "amzn.eu",
        "clck.ru",
        "qr.ae",
        "lnkd.in",
        "tr.ee",
    ]
)
REFERRAL_PARAMS = frozenset(
    [
        "ref",
        "referral",
        "referrer",
        "ref_id",
        "refid",
        "ref_code",
        "refcode",
        "aff",
        "aff_id",
        "affid",
        "affiliate",
        "affiliate_id",
        "tag",
        "associate_id",
        "partner",
        "partner_id",
        "promo",
        "promo_code",
        "coupon",
        "invite_code",
    ]
)
_INVITE = re.compile(
    r"\b(?:discord(?:app)?\.com/invite|discord\.gg|dsc\.gg|discord\.me|discord\.io|invite\.gg)/[\w-]+", re.IGNORECASE
)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"']*", re.IGNORECASE)
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_EVERYONE = re.compile(r"@(?:everyone|here)\b")
_NOT_WORD = re.compile(r"[^\w]+")
# The classic Discord phishing bait: free Nitro, with a link to claim it.
_NITRO_BAIT = re.compile(
    r"\b(?:free|giv\w*|gift\w*|claim\w*)\b.*\bnitro\b|\bnitro\b.*\b(?:free|giv\w*|gift\w*|claim\w*)\b",
    re.IGNORECASE | re.DOTALL,
)

# How strongly each signal suggests spam; several together combine as independent evidence. The score is
# shown to moderators; whether a message is flagged follows the strong/weak rule above (a flagged message
# always scores above 0.5, an unflagged one below).
STRONG_SIGNALS = {"scam link": 0.95, "mass mention": 0.9, "cross-post": 0.85}
WEAK_SIGNALS = {"invite": 0.35, "nitro bait": 0.35, "everyone": 0.35, "referral": 0.3, "shortener": 0.3}
SIGNAL_SCORES = {**STRONG_SIGNALS, **WEAK_SIGNALS}


class RecentEvents:
    """Timestamps (with a value) per key within a time window, for at most ``max_keys`` keys.

    The least recently active key is forgotten first, and each key keeps at most ``max_per_key`` events.
    """

    def __init__(self, window: float, max_keys: int = 5000, max_per_key: int = 64) -> None:
        self.window, self.max_keys, self.max_per_key = window, max_keys, max_per_key
        self._events: OrderedDict[Hashable, deque[tuple[float, object]]] = OrderedDict()

    def add(self, key: Hashable, when: float, value: object = None) -> list[tuple[float, object]]:
        """Record an event; return the key's events within the window ending at ``when``, this one included."""
        events = self._events.pop(key, None) or deque(maxlen=self.max_per_key)
        events.append((when, value))
        self._events[key] = events
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        recent = [(t, v) for t, v in events if when - self.window < t <= when]
        # Forget what no later message can fall within the window of (messages arrive roughly in order).
        while events and events[0][0] <= when - 2 * self.window:
            events.popleft()
        return recent

    def __len__(self) -> int:
        return len(self._events)


class _PerGuild:
    def __init__(self, window: float, max_keys: int) -> None:
        self.window, self.max_keys = window, max_keys
        self._guilds: dict[int, RecentEvents] = {}

    def __call__(self, guild_id: int) -> RecentEvents:
        events = self._guilds.get(guild_id)
        if events is None:
            events = self._guilds[guild_id] = RecentEvents(self.window, self.max_keys)
        return events


def _event_time(ctx: MessageContext, clock: Clock) -> float:
    return ctx.created_at if ctx.created_at is not None else clock()


def normalized_text(text: str) -> str:
    """Case, punctuation and spacing removed: cross-posters often vary them."""
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_INVITE_CODE = re.compile(r"^[\w-]{2,64}$")


def allowlist_domain(text: str) -> str:
    """A domain as the allowlist keeps it: ``https://www.JSTOR.org/stable/1`` -> ``jstor.org``."""
    value = text.strip().lower()
    host = (urlsplit(value if "://" in value else f"http://{value}").hostname or "").removeprefix("www.")
    if not _DOMAIN.match(host):
        raise UserError(f"`{text}` is not a domain: give one such as `jstor.org`.")
    return host


def allowlist_invite(text: str) -> str:
    """An invite's code: ``https://discord.gg/WW2History`` -> ``ww2history``."""
    code = _invite_code(text.strip().rstrip("/"))
    if not _INVITE_CODE.match(code):
        raise UserError(f"`{text}` is not an invite: give a link such as `discord.gg/abc123` or its code.")
    return code


def _allowed(host: str, allowed_domains: Collection[str]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in allowed_domains)


def _invite_code(invite: str) -> str:
    return invite.rsplit("/", 1)[-1].lower()


def link_signals(
    text: str,
    scam_domains: ScamDomains | None = None,
    allowed_domains: Collection[str] = (),
    allowed_invites: Collection[str] = (),
) -> list[tuple[str, str]]:
    """(signal, evidence) for scam links, invites, shorteners, referral links and free-Nitro bait."""
    found: list[tuple[str, str]] = []
    if _NITRO_BAIT.search(text) and _URL.search(text):
        found.append(("nitro bait", "free Nitro offer with a link (a common phishing bait)"))
    for match in _INVITE.finditer(text):
        if _invite_code(match.group(0)) not in allowed_invites:
            found.append(("invite", f"Discord invite link ({match.group(0)})"))
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(").,!?>")
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = (parts.hostname or "").removeprefix("www.")
        if not host or _allowed(host, allowed_domains):
            continue
        scam = scam_domains.evidence(host) if scam_domains is not None else None
        if scam is not None:
            found.append(("scam link", scam))
        if host in SHORTENERS:
            found.append(("shortener", f"URL shortener ({host})"))
        params = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True) if key.lower() in REFERRAL_PARAMS]
        if params:
            found.append(("referral", f"referral or affiliate link ({host}, ?{params[0]}=)"))
    return found


def combined(scores: list[float]) -> float:
    remaining = 1.0
    for score in scores:
        remaining *= 1.0 - score
    return 1.0 - remaining


class SpamFlagger:
    name = "spam"

    def __init__(
        self,
        clock: Clock = time.time,
        crosspost_window: float = 600.0,
        crosspost_channels: int = 2,
        min_crosspost_chars: int = 12,
        max_authors: int = 5000,
        scam_domains: ScamDomains | None = None,
    ) -> None:
        self.clock = clock
        self.scam_domains = scam_domains or ScamDomains.load(get_settings().scam_domains)
        self.crosspost_channels = crosspost_channels
        self.min_crosspost_chars = min_crosspost_chars
        self._posts = _PerGuild(crosspost_window, max_authors)

    def check(self, ctx: MessageContext, config: GuildConfig) -> Flag:
        signals = link_signals(
            ctx.text,
            self.scam_domains,
            [d.lower() for d in config.spam_allowed_domains],
            [i.lower() for i in config.spam_allowed_invites],
        )
        mentioned = set(_USER_MENTION.findall(ctx.text))
        if len(mentioned) >= config.mass_mentions:
            signals.append(("mass mention", f"mentions {len(mentioned)} users"))
        if not ctx.author_is_moderator and _EVERYONE.search(ctx.text):
            signals.append(("everyone", "@everyone/@here from a non-moderator"))
        crosspost = self._crosspost(ctx)
        if crosspost:
            signals.append(("cross-post", crosspost))
        if not signals:
            return Flag(self.name, 0.0, False, "no spam signal")
        kinds = list(dict.fromkeys(kind for kind, _ in signals))
        score = combined([SIGNAL_SCORES[kind] for kind in kinds])
        flagged = any(kind in STRONG_SIGNALS for kind in kinds) or len(kinds) >= 2
        reason = "; ".join(evidence for _, evidence in signals)
        if not flagged:
            reason += " (one weak signal: not flagged alone)"
        return Flag(self.name, score, flagged, reason)

    def _crosspost(self, ctx: MessageContext) -> str | None:
        text = normalized_text(ctx.text)
        has_link = bool(_URL.search(ctx.text) or _INVITE.search(ctx.text))
        if ctx.author_id is None or (len(text) < self.min_crosspost_chars and not has_link):
            return None
        posts = self._posts(ctx.guild_id).add((ctx.author_id, text), _event_time(ctx, self.clock), ctx.channel_id)
        channels = {channel for _, channel in posts}
        if len(channels) < self.crosspost_channels:
            return None
        minutes = self._posts.window / 60
        return f"same text posted in {len(channels)} channels within {minutes:g} min"


class FloodFlagger:
    """Too many messages from one author in a short time, across all channels."""

    name = "flood"

    def __init__(self, clock: Clock = time.time, window: float = 10.0, max_authors: int = 5000) -> None:
        self.clock = clock
        self._messages = _PerGuild(window, max_authors)

    def check(self, ctx: MessageContext, config: GuildConfig) -> Flag | None:
        if ctx.author_id is None:
            return None
        recent = self._messages(ctx.guild_id).add(ctx.author_id, _event_time(ctx, self.clock))
        count, window, limit = len(recent), self._messages.window, config.flood_messages
        flagged = count >= limit
        reason = (
            f"{count} messages in {window:g} s (limit {limit})"
            if flagged
            else f"{count} message{'s' if count != 1 else ''} in {window:g} s, under the limit of {limit}"
        )
        return Flag(self.name, min(1.0, count / limit), flagged, reason)
