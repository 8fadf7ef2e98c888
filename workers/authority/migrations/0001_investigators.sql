-- Investigators (R-A3: only authorised epidemiological investigators), their
-- sessions, the cases they open, and the authority's own audit log of every
-- action and every request it sends (same hash chain as the other parties).
CREATE TABLE investigators (
  id TEXT PRIMARY KEY,                 -- login id
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('investigator', 'supervisor')),
  password_hash TEXT NOT NULL,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  created_by TEXT
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,         -- SHA-256 of the bearer token; the token itself is never stored
  investigator_id TEXT NOT NULL REFERENCES investigators (id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_investigator ON sessions (investigator_id);

CREATE TABLE cases (
  id TEXT PRIMARY KEY,                 -- the authority's case number
  title TEXT NOT NULL,
  opened_by TEXT NOT NULL REFERENCES investigators (id),
  opened_at INTEGER NOT NULL
);

CREATE TABLE authority_audit (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  request_id TEXT,
  case_id TEXT,
  investigator TEXT,
  purpose TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  outcome TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
