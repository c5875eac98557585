-- When Clio was removed from a server (issue 13): its data is purged after a grace period, unless it
-- is invited back first (bot.engine.privacy.purge_departed).
ALTER TABLE guilds ADD COLUMN left_at REAL;
