-- Store v2 at scale (issue 11).

-- Backfill resumes after the newest stored message of each channel: MAX(id) per (guild, channel)
-- straight from an index instead of a scan of the guild.
CREATE INDEX messages_channel_id ON messages(guild_id, channel_id, id);

-- Embeddings are now stored as float16 (bot.store.embeddings). They are a cache: the float32 ones
-- are dropped and recomputed on demand rather than read in the wrong format.
DELETE FROM message_embeddings;
