-- Authority access (R-A3): signed-request ids seen (replay refusal) and the
-- hash-chained audit log of every authority request, accepted or refused.
CREATE TABLE request_replay (
  jti TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX request_replay_expiry ON request_replay (expires_at);

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
