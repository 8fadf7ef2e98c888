-- Traces and their results (R-A1). The query (it may hold the case's phone)
-- and the result (names and phones of contacts) are encrypted at rest with
-- DATA_KEY; failures name parties and steps only.
CREATE TABLE traces (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  kind TEXT NOT NULL CHECK (kind IN ('phone', 'facility')),
  query_enc TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('complete', 'incomplete')),
  failures TEXT NOT NULL,
  result_enc TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES investigators (id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX traces_by_case ON traces (case_id);
CREATE INDEX traces_by_expiry ON traces (expires_at);
