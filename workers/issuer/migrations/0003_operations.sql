-- Operations (R-O3, R-O4; shared/src/operations.ts). The alert level this
-- party runs at (no row: 경계, the level a fresh deployment starts at) and
-- the time it was shut down for good; the shutdown's progress and, once
-- complete, its signed destruction receipt.
CREATE TABLE operating_mode (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  level TEXT NOT NULL CHECK (level IN ('관심', '주의', '경계', '심각')),
  changed_at INTEGER,
  shut_down_at INTEGER
);

CREATE TABLE shutdown_progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  started_at INTEGER NOT NULL,
  phase INTEGER NOT NULL,          -- index of the party's current phase
  cursor TEXT,                     -- where the phase's next chunk starts
  destroyed TEXT NOT NULL,         -- JSON: counts so far
  key_ids TEXT NOT NULL,           -- JSON: day keys destroyed so far
  receipt TEXT                     -- JSON: { receipt, jws } once complete
);
