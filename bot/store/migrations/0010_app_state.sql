-- Small facts about the bot itself, shared by its processes (issue 13): the hash of the slash-command
-- tree last synced to Discord, so a start syncs only when the commands changed.
CREATE TABLE app_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
