-- Each new SMS code deletes codes older than an hour (src/identity/verification.ts)
-- without scanning the table.
CREATE INDEX phone_verifications_created ON phone_verifications (created_at);
