-- The last run of the every-minute cron (src/directory/maintenance.ts). /healthz
-- shows it with the facilities still out of step, so an operator sees when sync
-- repair and expiry have stopped (a missing trigger, a run that keeps failing).
CREATE TABLE cron_runs (
  job TEXT PRIMARY KEY,
  ran_at INTEGER NOT NULL,
  result TEXT NOT NULL -- JSON: what the run did, or the error it stopped with
);
