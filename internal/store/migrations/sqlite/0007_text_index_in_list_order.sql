-- The full-text indexes are keyed in list order. A list filtered by words
-- (newest first) used to read the index by record id, which says nothing
-- about the date: it either sorted every match into date order or walked
-- the list asking the index about each row. Both cost seconds at a million
-- records for words whose records cluster in time, such as month names.
-- Now each index row's rowid is the record's sort key,
--
--   (days from 1970 to the list date + 1,000,000) << 32 | id   (0 << 32 | id without a date)
--
-- so the index hands out its matches already in list order and a page of
-- a list filtered by a common word costs the same as a rare one. The key
-- is computed only in SQL: in the views below, in the triggers, and in the
-- store's inserts (store.sortKeySQL), always by this same expression. The
-- indexes keep external content, read through the views, so a restore
-- still rebuilds them from the records. The views list the records in key
-- order (the list indexes give it), because FTS5 writes out what it has
-- gathered whenever a key is lower than the one before: a rebuild in id
-- order, dates at random, would write the index nearly row by row.

-- The id has 32 bits in the key: a larger one would land on another
-- record's key. Ids grow by one from the largest, so only a row inserted
-- with a chosen id could get there; it is refused rather than misfiled.
CREATE TRIGGER testimonies_id_fits_the_key AFTER INSERT ON testimonies WHEN new.id > 4294967295 BEGIN
	SELECT RAISE(ABORT, 'record ids above 4294967295 are not supported');
END;
CREATE TRIGGER incidents_id_fits_the_key AFTER INSERT ON incidents WHEN new.id > 4294967295 BEGIN
	SELECT RAISE(ABORT, 'record ids above 4294967295 are not supported');
END;

DROP TRIGGER testimonies_fts_delete;
DROP TRIGGER testimonies_fts_update;
DROP TABLE testimonies_fts;

CREATE VIEW testimonies_fts_source AS
	SELECT ((coalesce(unixepoch(received_on) / 86400 + 1000000, 0) << 32) | id) AS sort_key,
		narrative, narrator_pseudonym, public_quotes
	FROM testimonies ORDER BY received_on, id;

CREATE VIRTUAL TABLE testimonies_fts USING fts5 (
	narrative, narrator_pseudonym, public_quotes,
	content = 'testimonies_fts_source', content_rowid = 'sort_key',
	tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
INSERT INTO testimonies_fts (testimonies_fts) VALUES ('rebuild');
INSERT INTO testimonies_fts (testimonies_fts) VALUES ('optimize');

CREATE TRIGGER testimonies_fts_delete AFTER DELETE ON testimonies BEGIN
	INSERT INTO testimonies_fts (testimonies_fts, rowid, narrative, narrator_pseudonym, public_quotes)
	VALUES ('delete', ((coalesce(unixepoch(old.received_on) / 86400 + 1000000, 0) << 32) | old.id),
		old.narrative, old.narrator_pseudonym, old.public_quotes);
END;
CREATE TRIGGER testimonies_fts_update AFTER UPDATE OF received_on, narrative, narrator_pseudonym, public_quotes ON testimonies BEGIN
	INSERT INTO testimonies_fts (testimonies_fts, rowid, narrative, narrator_pseudonym, public_quotes)
	VALUES ('delete', ((coalesce(unixepoch(old.received_on) / 86400 + 1000000, 0) << 32) | old.id),
		old.narrative, old.narrator_pseudonym, old.public_quotes);
	INSERT INTO testimonies_fts (rowid, narrative, narrator_pseudonym, public_quotes)
	VALUES (((coalesce(unixepoch(new.received_on) / 86400 + 1000000, 0) << 32) | new.id),
		new.narrative, new.narrator_pseudonym, new.public_quotes);
END;

DROP TRIGGER incidents_fts_delete;
DROP TRIGGER incidents_fts_update;
DROP TABLE incidents_fts;

CREATE VIEW incidents_fts_source AS
	SELECT ((coalesce(unixepoch(when_from) / 86400 + 1000000, 0) << 32) | id) AS sort_key,
		title, summary, public_summary, place
	FROM incidents ORDER BY when_from, id;

CREATE VIRTUAL TABLE incidents_fts USING fts5 (
	title, summary, public_summary, place,
	content = 'incidents_fts_source', content_rowid = 'sort_key',
	tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild');
INSERT INTO incidents_fts (incidents_fts) VALUES ('optimize');

CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
	INSERT INTO incidents_fts (incidents_fts, rowid, title, summary, public_summary, place)
	VALUES ('delete', ((coalesce(unixepoch(old.when_from) / 86400 + 1000000, 0) << 32) | old.id),
		old.title, old.summary, old.public_summary, old.place);
END;
CREATE TRIGGER incidents_fts_update AFTER UPDATE OF when_from, title, summary, public_summary, place ON incidents BEGIN
	INSERT INTO incidents_fts (incidents_fts, rowid, title, summary, public_summary, place)
	VALUES ('delete', ((coalesce(unixepoch(old.when_from) / 86400 + 1000000, 0) << 32) | old.id),
		old.title, old.summary, old.public_summary, old.place);
	INSERT INTO incidents_fts (rowid, title, summary, public_summary, place)
	VALUES (((coalesce(unixepoch(new.when_from) / 86400 + 1000000, 0) << 32) | new.id),
		new.title, new.summary, new.public_summary, new.place);
END;
