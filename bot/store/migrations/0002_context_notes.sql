-- Context notes: Clio's replies explaining an argument, one per message at most.
-- The latest note per (channel, argument) drives the cooldown; see bot.notes.
CREATE TABLE context_notes (
    guild_id     INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL,
    argument_id  INTEGER NOT NULL REFERENCES arguments(id) ON DELETE CASCADE,
    -- No foreign key: the cooldown must outlive the message (deleted, or expired by retention).
    message_id   INTEGER NOT NULL PRIMARY KEY,
    posted_at    REAL NOT NULL
);
CREATE INDEX context_notes_cooldown ON context_notes(guild_id, channel_id, argument_id, posted_at);
