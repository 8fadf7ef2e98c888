-- The Facility object mirrors what the scan path needs from this directory:
-- a facility's status and period, and which device sessions are revoked
-- (R-F2, R-F3, R-F5). Each change bumps its facility's row here in the same
-- batch; the row goes once the object has caught up. A row left behind (the
-- object unreachable, the request cut off) is retried by the cron, so a
-- suspension or a removed device never stays unenforced at the scanner.
CREATE TABLE facility_sync (
  facility_id TEXT PRIMARY KEY,
  version INTEGER NOT NULL
);
