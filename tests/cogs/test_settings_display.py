"""``/clio config show`` lists every per-server setting."""

from __future__ import annotations

from bot.core.guild_config import GuildConfig
from cogs.settings_display import SHOWN, describe


def test_every_setting_has_a_field():
    shown = [name for field in SHOWN for name in field.settings]
    assert sorted(shown) == sorted(GuildConfig.model_fields), "each setting shown exactly once"


def test_notes_field_says_threshold_and_cooldown():
    config = GuildConfig(note_channels=[42], note_threshold=0.9, note_cooldown_hours=6)
    fields = {f.name: f.value for f in describe(config).fields}
    assert (
        fields["Context notes"] == "in <#42>; when a tag is at least 0.90 sure; at most one per channel every 6 hours"
    )
