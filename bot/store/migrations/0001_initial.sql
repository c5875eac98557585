-- Clio schema, version 1. Times are Unix seconds (UTC) as REAL; snowflakes are INTEGER.
-- Every table that holds guild data carries guild_id, and every query filters on it.

CREATE TABLE guilds (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    name        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX channels_guild ON channels(guild_id);

CREATE TABLE authors (
    guild_id     INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    id           INTEGER NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    display_name TEXT,
    is_bot       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, id)
);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    author_id    INTEGER NOT NULL,
    created_at   REAL NOT NULL,
    edited_at    REAL,
    content      TEXT NOT NULL,
    reply_to_id  INTEGER,
    attachments  INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (guild_id, author_id) REFERENCES authors(guild_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_guild_time ON messages(guild_id, created_at);
CREATE INDEX messages_channel_time ON messages(channel_id, created_at);
CREATE INDEX messages_author ON messages(guild_id, author_id);
CREATE INDEX messages_reply ON messages(reply_to_id);

-- One vector per message and model; float32 little-endian, L2-normalised.
CREATE TABLE message_embeddings (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    model_id    TEXT NOT NULL,
    vector      BLOB NOT NULL
);

-- Arguments are per guild: catalogue arguments are copied in, discovered ones await approval.
CREATE TABLE arguments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id       INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    slug           TEXT NOT NULL,
    origin         TEXT NOT NULL CHECK (origin IN ('catalogue', 'discovered', 'moderator')),
    status         TEXT NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'candidate', 'dismissed', 'merged', 'removed')),
    title          TEXT NOT NULL DEFAULT '',
    claim          TEXT NOT NULL,
    examples       TEXT NOT NULL DEFAULT '[]',   -- JSON list of phrasings
    counters       TEXT NOT NULL DEFAULT '[]',   -- JSON list of argument slugs
    sources        TEXT NOT NULL DEFAULT '[]',   -- JSON list of {author, title, year, url}
    policy         TEXT CHECK (policy IS NULL OR policy IN ('flag')),
    threshold      REAL,                         -- NULL: the matcher's calibrated default
    notes_enabled  INTEGER NOT NULL DEFAULT 1,
    pack           TEXT,
    evidence       TEXT NOT NULL DEFAULT '{}',   -- JSON: discovery counts and example message ids
    merged_into    INTEGER REFERENCES arguments(id) ON DELETE SET NULL,
    created_at     REAL NOT NULL,
    updated_at     REAL NOT NULL,
    UNIQUE (guild_id, slug)
);
CREATE INDEX arguments_guild_status ON arguments(guild_id, status);

CREATE TABLE tags (
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    argument_id  INTEGER NOT NULL REFERENCES arguments(id) ON DELETE CASCADE,
    guild_id     INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    score        REAL NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('model', 'moderator')),
    -- A moderator correction can say "this is NOT that argument": accepted = 0.
    accepted     INTEGER NOT NULL DEFAULT 1,
    set_by       INTEGER,
    created_at   REAL NOT NULL,
    PRIMARY KEY (message_id, argument_id)
);
CREATE INDEX tags_guild_argument ON tags(guild_id, argument_id);

CREATE TABLE guild_settings (
    guild_id  INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,                      -- JSON
    PRIMARY KEY (guild_id, key)
);

CREATE TABLE schedules (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id           INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    scope_channel_id   INTEGER,                   -- NULL: the whole guild
    target_channel_id  INTEGER NOT NULL,
    cron               TEXT NOT NULL,
    timezone           TEXT NOT NULL DEFAULT 'UTC',
    kind               TEXT NOT NULL DEFAULT 'digest' CHECK (kind IN ('digest', 'moderation')),
    last_run_at        REAL,
    created_by         INTEGER,
    created_at         REAL NOT NULL
);
CREATE INDEX schedules_guild ON schedules(guild_id);

-- slot_key makes a scheduled digest idempotent: one row, and so one post, per slot.
CREATE TABLE digests (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id           INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    schedule_id        INTEGER REFERENCES schedules(id) ON DELETE SET NULL,
    slot_key           TEXT,
    scope_channel_id   INTEGER,
    target_channel_id  INTEGER,
    window_start       REAL NOT NULL,
    window_end         REAL NOT NULL,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted', 'failed')),
    posted_message_ids TEXT NOT NULL DEFAULT '[]',
    created_at         REAL NOT NULL,
    posted_at          REAL,
    UNIQUE (guild_id, slot_key)
);

CREATE TABLE flags (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id          INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    message_id        INTEGER NOT NULL,           -- no FK: a flag outlives its deleted message
    channel_id        INTEGER NOT NULL,
    author_id         INTEGER NOT NULL,
    flagger           TEXT NOT NULL,
    score             REAL NOT NULL,
    reason            TEXT NOT NULL,
    quote             TEXT,                       -- redacted (NULL) on delete or forget
    reporter_id       INTEGER,
    status            TEXT NOT NULL DEFAULT 'open',
    decided_by        INTEGER,
    decided_at        REAL,
    queue_message_id  INTEGER,
    created_at        REAL NOT NULL,
    UNIQUE (guild_id, message_id, flagger)
);
CREATE INDEX flags_guild_status ON flags(guild_id, status);

CREATE TABLE cases (
    guild_id      INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    action        TEXT NOT NULL,
    reason        TEXT,
    moderator_id  INTEGER,
    flag_id       INTEGER REFERENCES flags(id) ON DELETE SET NULL,
    content       TEXT,                          -- the message quoted, redacted on forget
    created_at    REAL NOT NULL,
    PRIMARY KEY (guild_id, number)
);
CREATE INDEX cases_user ON cases(guild_id, user_id, created_at);
