-- Need-to-know: a testimony is seen by whoever recorded it and by the
-- people it has been shared with.
CREATE TABLE testimony_shares (
	testimony_id BIGINT NOT NULL REFERENCES testimonies(id) ON DELETE CASCADE,
	user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	shared_by    BIGINT NOT NULL,
	shared_at    BIGINT NOT NULL,
	PRIMARY KEY (testimony_id, user_id)
);
CREATE INDEX testimony_shares_user ON testimony_shares (user_id, testimony_id);
