-- The review queue around flags and cases (bot.moderation.queue, feedback, report; bot.privacy).

-- A moderator's "false positive": kept apart from plain dismissals because it feeds the abuse
-- threshold advice and the training data. text is the quote at decision time; NULL once redacted.
CREATE TABLE false_positives (
    flag_id       INTEGER PRIMARY KEY REFERENCES flags(id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    flagger       TEXT NOT NULL,
    score         REAL NOT NULL,
    author_id     INTEGER NOT NULL,
    text          TEXT,
    moderator_id  INTEGER NOT NULL,
    created_at    REAL NOT NULL
);
CREATE INDEX false_positives_guild ON false_positives(guild_id, flagger, created_at);

-- The latest text of a flagged message edited after it was flagged (any channel: reports can come
-- from unwatched ones), so its queue entry can show both versions.
CREATE TABLE flagged_edits (
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    message_id  INTEGER NOT NULL,
    author_id   INTEGER NOT NULL,
    content     TEXT NOT NULL,
    edited_at   REAL NOT NULL,
    PRIMARY KEY (guild_id, message_id)
);
CREATE INDEX flagged_edits_author ON flagged_edits(guild_id, author_id);

-- Escalations proposed to moderators (N warnings in D days -> a timeout); the status is a
-- compare-and-set like a flag's, so a proposal is confirmed once.
CREATE TABLE escalations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id      INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    warnings      INTEGER NOT NULL,
    days          INTEGER NOT NULL,
    minutes       INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed')),
    decided_by    INTEGER,
    decided_at    REAL,
    case_number   INTEGER,
    message_id    INTEGER,
    created_at    REAL NOT NULL
);
CREATE INDEX escalations_user ON escalations(guild_id, user_id, status);

-- The abuse score of every evaluated message, flagged or not: heated threads are reply chains whose
-- scores rise. Goes with its message (forget, retention, delete).
CREATE TABLE abuse_scores (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    score       REAL NOT NULL
);

-- One moderators' digest per guild and slot (a UTC day, or a /modlog digest run).
CREATE TABLE moderation_digests (
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    slot        TEXT NOT NULL,
    message_id  INTEGER,
    created_at  REAL NOT NULL,
    PRIMARY KEY (guild_id, slot)
);
