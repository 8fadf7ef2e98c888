-- R-I1: a phone number passed on to someone else. The earlier holder's row
-- stays (their tokens of the last 28 days still resolve to them, not to the
-- new holder) under a phone_hash no phone has, and is deleted 28 days later.
ALTER TABLE users ADD COLUMN retired_at INTEGER;
CREATE INDEX users_retired ON users (retired_at) WHERE retired_at IS NOT NULL;
