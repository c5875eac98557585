-- Window queries at a million messages (issue 11).

-- No query looks messages up by the message they reply to; the index only cost space (about 17 bytes a
-- message) and misled PostgreSQL into walking every reply of a guild to find a window's reply chains.
DROP INDEX messages_reply;

-- A tag carries its message's time and channel (neither ever changes), so a digest reads a window's
-- tags from one index instead of joining every message of the window to its tags.
ALTER TABLE tags ADD COLUMN message_at REAL;
ALTER TABLE tags ADD COLUMN channel_id INTEGER;
UPDATE tags SET
    message_at = (SELECT m.created_at FROM messages m WHERE m.id = tags.message_id),
    channel_id = (SELECT m.channel_id FROM messages m WHERE m.id = tags.message_id);
CREATE INDEX tags_guild_time ON tags(guild_id, message_at);
