-- Nothing to do on PostgreSQL: SQLite's migration 0007 re-keys its FTS5
-- indexes in list order, which PostgreSQL's GIN indexes have no notion of.
-- The file keeps the two dialects' migration numbers in step.
SELECT 1;
