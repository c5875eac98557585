-- Per-server topic packs (bot.packs): which packs a guild has enabled, and the version of each pack
-- its arguments were last brought up to.

ALTER TABLE arguments ADD COLUMN standing TEXT
    CHECK (standing IS NULL OR standing IN ('consensus', 'debated', 'rejected'));
ALTER TABLE arguments ADD COLUMN pack_version INTEGER;
-- 1 once a moderator has edited the argument: a pack upgrade then leaves it as the moderator made it.
ALTER TABLE arguments ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;

CREATE TABLE guild_packs (
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    pack        TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    version     INTEGER NOT NULL,   -- the pack version last applied to the guild's arguments
    updated_at  REAL NOT NULL,
    PRIMARY KEY (guild_id, pack)
);
