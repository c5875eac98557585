-- Digests people read (issue 13).
-- A schedule posts its digest compact (one embed of the top arguments, the full digest in a thread
-- under it) or full. Compact is the default, for the schedules that already exist too.
ALTER TABLE schedules ADD COLUMN style TEXT NOT NULL DEFAULT 'compact' CHECK (style IN ('compact', 'full'));
-- A paused schedule (paused_at set) keeps its settings and posts nothing until it is resumed.
ALTER TABLE schedules ADD COLUMN paused_at REAL;
-- The style a digest row was claimed with, so that a retry resumes the very pages it started posting.
-- Rows from before this migration were all posted full.
ALTER TABLE digests ADD COLUMN style TEXT NOT NULL DEFAULT 'full' CHECK (style IN ('compact', 'full'));
