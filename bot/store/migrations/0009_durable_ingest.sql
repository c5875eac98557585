-- Nothing lost under load or faults (issue 14).

-- A message whose text is stored but not yet embedded, tagged and (for live messages) flagged. The
-- row is written in the same transaction as the text and removed once all of that is done, so a
-- crash at any point leaves work to resume, never a message without tags or scores
-- (bot.engine.processing). review = 1: the flaggers must see it (live and backfilled messages, not
-- imports); generation grows with each new text, so finishing an older text leaves the row.
CREATE TABLE unprocessed_messages (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    review      INTEGER NOT NULL DEFAULT 0,
    generation  INTEGER NOT NULL DEFAULT 0
);

-- How much of a watched channel's history has been read: backfill pages backwards from
-- oldest_read_id and resumes there after a restart; complete = 1 once it reached the channel's start.
-- newest_read_id is where the next catch-up starts when nothing of the channel is stored.
CREATE TABLE backfill_cursors (
    guild_id        INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL,
    oldest_read_id  INTEGER,
    newest_read_id  INTEGER,
    complete        INTEGER NOT NULL DEFAULT 0,
    updated_at      REAL NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);

-- A flood is one flag per author per burst: the author's latest flood flag comes from this index,
-- not from a sort of every open flag.
CREATE INDEX flags_author_flagger ON flags(guild_id, author_id, flagger, created_at);
