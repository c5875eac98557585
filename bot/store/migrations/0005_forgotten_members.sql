-- Members who asked to be forgotten: what they wrote before then is never stored again (a backfill
-- after a restart re-reads history; it must not bring their messages back).
CREATE TABLE forgotten_members (
    guild_id      INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    forgotten_at  REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
