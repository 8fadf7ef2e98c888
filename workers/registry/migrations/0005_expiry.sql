-- The cron deletes expired sessions and phone proofs (src/directory/expiry.ts)
-- without scanning the tables. phone_codes has one row per phone and stays small.
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX phone_proofs_expiry ON phone_proofs (expires_at);
