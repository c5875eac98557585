import json

import pytest

from bot.engine.moderation.scam_domains import (
    ScamDomains,
    domains_from_eth_phishing_detect,
    edit_distance,
    lookalike,
    read_domains,
)


@pytest.mark.parametrize(
    "host, brand",
    [
        ("dlscord.gift", "discord"),
        ("disc0rd.com", "discord"),
        ("discrod.com", "discord"),  # two letters swapped
        ("discord-nitro.gift", "discord"),
        ("discordgift.site", "discord"),
        ("steamcommunlty.com", "steamcommunity"),
        ("dlscordapp.com", "discordapp"),
    ],
)
def test_lookalikes(host, brand):
    assert lookalike(host) == brand


@pytest.mark.parametrize(
    "host",
    [
        "discord.com",
        "cdn.discordapp.com",
        "discord.gift",
        "discord.js.org",
        "discordpy.readthedocs.io",
        "disboard.org",
        "discords.com",
        "discover.com",
        "discourse.org",
        "en.wikipedia.org",
    ],
)
def test_real_and_unrelated_hosts_are_not_lookalikes(host):
    assert lookalike(host) is None


def test_edit_distance_counts_swaps_as_one_and_stops_at_the_limit():
    assert edit_distance("discrod", "discord", 2) == 1
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("a", "abcdef", 2) == 3


def test_lists_read_comments_case_and_www():
    assert read_domains(["# header", "", "Evil.Example  # note", "www.bad.example.", "evil.example"]) == {
        "evil.example",
        "bad.example",
    }
    known = ScamDomains(read_domains(["evil.example"]))
    assert known.known("a.b.evil.example") == "evil.example"
    assert known.known("notevil.example") is None


def test_eth_phishing_detect_config_is_converted(tmp_path):
    config = {"version": 2, "whitelist": ["good.example"], "blacklist": ["B.example", "a.example"]}
    assert domains_from_eth_phishing_detect(json.dumps(config)) == ["a.example", "b.example"]
    with pytest.raises(ValueError, match="blacklist"):
        domains_from_eth_phishing_detect(json.dumps({"hosts": []}))


def test_a_configured_list_replaces_the_shipped_one(tmp_path, monkeypatch):
    from bot.core.config import get_settings
    from bot.engine.moderation.spam import SpamFlagger

    path = tmp_path / "domains.txt"
    path.write_text("# ours\nphish.example\n", "utf-8")
    monkeypatch.setenv("CLIO_SCAM_DOMAINS", str(path))
    get_settings.cache_clear()
    try:
        assert SpamFlagger().scam_domains.domains == {"phish.example"}
    finally:
        monkeypatch.delenv("CLIO_SCAM_DOMAINS")
        get_settings.cache_clear()
