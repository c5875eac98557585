"""Spam and flood flaggers: each signal on its own, the per-author memory, its bounds and the clock."""

import pytest

from bot.core.errors import UserError
from bot.core.guild_config import GuildConfig
from bot.engine.moderation.scam_domains import ScamDomains
from bot.engine.moderation.spam import (
    FloodFlagger,
    RecentEvents,
    SpamFlagger,
    allowlist_domain,
    allowlist_invite,
    link_signals,
)
from tests.conftest import required

from .conftest import OTHER_GUILD, FakeClock, ctx

CONFIG = GuildConfig()


@pytest.mark.parametrize(
    "text, kind",
    [
        ("join my server discord.gg/abc123 !!", "invite"),
        ("https://discord.com/invite/xyz", "invite"),
        ("cheap stuff at https://bit.ly/3xYz", "shortener"),
        ("see tinyurl.com/y7k2", "shortener"),
        ("great deals https://shop.example.com/item?id=4&ref=kev2291", "referral"),
        ("https://www.amazon.com/dp/B0001?tag=kevdeals-20", "referral"),
        ("https://example.com/p?aff_id=77", "referral"),
        ("Discord is giving away Nitro!! claim yours https://dlscord-nitro.gift/claim", "nitro bait"),
    ],
)
def test_link_signals(text, kind):
    assert kind in [signal for signal, _ in link_signals(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Read https://en.wikipedia.org/wiki/Katyn_massacre before you argue",
        "the Discord gg era of the internet",
        "https://www.jstor.org/stable/123456?seq=1",
        "is Nitro worth it? the free tier is fine for me",
    ],
)
def test_ordinary_links_are_not_spam(text):
    flag = SpamFlagger().check(ctx(text), CONFIG)
    assert not flag.flagged and flag.score == 0.0


def test_invite_is_flagged_with_a_readable_reason():
    flag = SpamFlagger().check(ctx("free nitro here discord.gg/freenitro"), CONFIG)
    assert flag.flagged and flag.flagger == "spam"
    assert "Discord invite link (discord.gg/freenitro)" in flag.reason


def test_one_weak_signal_is_not_spam_two_of_different_kinds_are():
    one = SpamFlagger().check(ctx("https://bit.ly/abc"), CONFIG)
    same_kind = SpamFlagger().check(ctx("https://bit.ly/abc https://tinyurl.com/xyz"), CONFIG)
    two = SpamFlagger().check(ctx("https://bit.ly/abc and https://shop.example.com/?ref=me"), CONFIG)
    assert not one.flagged and one.score < 0.5 and "one weak signal" in one.reason
    assert not same_kind.flagged
    assert two.flagged and two.score > one.score


@pytest.mark.parametrize(
    "text",
    [
        "https://www.amazon.com/dp/B0001?tag=historybooks-20 is the Kershaw biography",
        "the thread is here https://t.co/AbCdEf",
        "cheap copy: https://amzn.to/3xYzAbc",
        "https://www.jstor.org/stable/1234?ref=search-gateway",
        "our partner server for WW2 buffs: discord.gg/ww2history",
        "@everyone free gift",
    ],
)
def test_ordinary_posts_with_one_weak_signal_are_not_flagged(text):
    assert not SpamFlagger().check(ctx(text), CONFIG).flagged


def test_scam_and_lookalike_links_are_flagged_alone():
    known = SpamFlagger(scam_domains=ScamDomains(frozenset({"claim-airdrop.example"})))
    flag = known.check(ctx("get it at https://www.claim-airdrop.example/connect"), CONFIG)
    assert flag.flagged and "known scam domain (claim-airdrop.example)" in flag.reason
    assert known.check(ctx("see https://app.claim-airdrop.example"), CONFIG).flagged  # subdomains too
    lookalike = SpamFlagger().check(ctx("gift for you https://dlscord.gift/a8Fh2"), CONFIG)
    assert lookalike.flagged and "lookalike of discord (dlscord.gift)" in lookalike.reason
    assert not SpamFlagger().check(ctx("docs at https://discordpy.readthedocs.io/en/latest/"), CONFIG).flagged


def test_the_shipped_scam_list_is_read():
    shipped = ScamDomains.load()
    assert len(shipped.domains) > 10_000
    listed = sorted(shipped.domains)[0]
    assert SpamFlagger().check(ctx(f"connect your wallet at https://{listed}/claim"), CONFIG).flagged


def test_allowlist_entries_are_normalised():
    assert allowlist_domain("https://www.JSTOR.org/stable/1") == "jstor.org"
    assert allowlist_domain("archive.org") == "archive.org"
    assert allowlist_invite("https://discord.gg/WW2History/") == "ww2history"
    assert allowlist_invite("abc123") == "abc123"
    for bad in ("not a domain", "localhost", ""):
        with pytest.raises(UserError):
            allowlist_domain(bad)
    with pytest.raises(UserError):
        allowlist_invite("discord.gg/")


def test_allowlisted_domains_and_invites_give_no_signal():
    config = GuildConfig(spam_allowed_domains=["shop.example.com"], spam_allowed_invites=["ww2history"])
    spam = SpamFlagger()
    text = "https://bit.ly/abc https://shop.example.com/?ref=me discord.gg/ww2history"
    assert spam.check(ctx(text), CONFIG).flagged
    assert not spam.check(ctx(text, created_at=2000.0), config).flagged
    assert "shortener" in spam.check(ctx(text, created_at=3000.0), config).reason


def test_mass_mentions_and_everyone():
    spam = SpamFlagger()
    mentions = " ".join(f"<@{i}>" for i in range(5))
    assert spam.check(ctx(f"hey {mentions}"), CONFIG).flagged
    assert not spam.check(ctx("hey <@1> <@2> <@!3> <@4>"), CONFIG).flagged  # four people is a conversation
    assert "5 users" in spam.check(ctx(f"{mentions} <@!0>"), CONFIG).reason  # <@0> and <@!0> are one user
    assert spam.check(ctx("@everyone free gift https://bit.ly/gift"), CONFIG).flagged
    assert not spam.check(ctx("@everyone the event starts now", author_is_moderator=True), CONFIG).flagged


def test_guild_settings_set_the_flood_and_mass_mention_limits():
    strict = GuildConfig(flood_messages=3, mass_mentions=2)
    assert SpamFlagger().check(ctx("hey <@1> <@2>"), strict).flagged
    flood = FloodFlagger()
    flags = [required(flood.check(ctx(f"msg {i}", created_at=100.0 + i), strict)) for i in range(3)]
    assert [f.flagged for f in flags] == [False, False, True]
    assert flags[-1].reason == "3 messages in 10 s (limit 3)"


def test_cross_channel_duplicate_within_ten_minutes():
    spam = SpamFlagger()
    text = "Get FREE Nitro now, limited offer!!"
    assert not spam.check(ctx(text, channel_id=1, created_at=0.0), CONFIG).flagged
    # Same author, another channel, case and punctuation changed, nine minutes later.
    flag = spam.check(ctx("get free nitro now limited offer", channel_id=2, created_at=540.0), CONFIG)
    assert flag.flagged and "2 channels within 10 min" in flag.reason


def test_cross_posting_needs_same_author_other_channel_and_time_window():
    spam = SpamFlagger()
    text = "Get FREE Nitro now, limited offer!!"
    spam.check(ctx(text, channel_id=1, author_id=1, created_at=0.0), CONFIG)
    assert not spam.check(ctx(text, channel_id=2, author_id=2, created_at=1.0), CONFIG).flagged  # other author
    assert not spam.check(ctx(text, channel_id=1, author_id=1, created_at=2.0), CONFIG).flagged  # same channel
    assert not spam.check(ctx(text, channel_id=3, author_id=1, created_at=700.0), CONFIG).flagged  # 11+ min later
    assert not spam.check(ctx(text, channel_id=3, author_id=1, created_at=5.0, guild_id=OTHER_GUILD), CONFIG).flagged


def test_short_replies_in_two_channels_are_not_cross_posts():
    spam = SpamFlagger()
    spam.check(ctx("thanks!", channel_id=1), CONFIG)
    assert not spam.check(ctx("thanks!", channel_id=2), CONFIG).flagged


def test_flood_counts_an_authors_messages_in_ten_seconds():
    flood = FloodFlagger()
    flags = [
        required(flood.check(ctx(f"msg {i}", created_at=100.0 + i * 1.5, channel_id=1 + i % 2), CONFIG))
        for i in range(6)
    ]
    assert [f.flagged for f in flags] == [False] * 5 + [True]
    assert flags[-1].reason == "6 messages in 10 s (limit 6)" and flags[-1].score == 1.0
    # Other authors are counted apart, and the window slides.
    assert not required(flood.check(ctx("hi", author_id=99, created_at=108.0), CONFIG)).flagged
    assert not required(flood.check(ctx("later", created_at=200.0), CONFIG)).flagged


def test_flood_uses_the_injected_clock_when_a_message_has_no_time():
    clock = FakeClock()
    flood = FloodFlagger(clock=clock)
    for _ in range(5):
        assert not required(flood.check(ctx(created_at=None), CONFIG)).flagged
    clock.now += 30  # the first five are out of the window now
    assert not required(flood.check(ctx(created_at=None), CONFIG)).flagged
    for _ in range(5):
        last = required(flood.check(ctx(created_at=None), CONFIG))
    assert last.flagged


def test_flood_skips_unknown_authors():
    assert FloodFlagger().check(ctx(author_id=None), CONFIG) is None


def test_memory_is_bounded():
    events = RecentEvents(window=10.0, max_keys=3, max_per_key=4)
    for key in range(10):
        events.add(key, 0.0)
    assert len(events) == 3
    for i in range(20):
        recent = events.add("busy", float(i) * 0.1)
    assert len(recent) == 4
