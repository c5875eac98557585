-- Store v2 at scale (issue 11).

-- Backfill resumes after the newest stored message of each channel: MAX(id) per (guild, channel)
-- straight from an index instead of a scan of the guild.
CREATE INDEX messages_channel_id ON messages(guild_id, channel_id, id);

-- Embeddings are now stored in 8 bits per dimension (bot.store.embeddings). They are a cache: the float32 ones
-- are dropped and recomputed on demand rather than read in the wrong format.
DELETE FROM message_embeddings;

-- Vectors of the catalogue's argument texts (claims, titles, phrasings), shared by every process so
-- that none embeds the catalogue again at start-up. Keyed by the text's SHA-256; only published
-- catalogue text is kept here, never a member's words, so it belongs to no guild.
CREATE TABLE text_embeddings (
    model_id   TEXT NOT NULL,
    text_hash  TEXT NOT NULL,
    vector     BLOB NOT NULL,   -- float32 little-endian, exactly as computed
    PRIMARY KEY (model_id, text_hash)
);
