-- Shutdown (R-O4; shared/src/operations.ts): the call running the next chunk
-- holds it until this time, so two shutdown calls at once never destroy in
-- parallel and lose one of their tallies.
ALTER TABLE shutdown_progress ADD COLUMN lease_until INTEGER;
