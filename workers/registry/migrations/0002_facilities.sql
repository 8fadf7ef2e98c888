-- Facility directory and accounts (R-F1..R-F5, R-F9, approvers). Visits are
-- not here: they live in the Facility and TokenLedger Durable Objects.
-- Representative name and phones are encrypted (FIELD_KEY); phones are found
-- by keyed hash only (LOOKUP_KEY).
CREATE TABLE facilities (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('active', 'pending', 'suspended', 'rejected')),
  status_reason TEXT,
  business_name TEXT NOT NULL,
  business_number TEXT,            -- 10 digits, NULL when registered as "none" (R-F2)
  representative TEXT NOT NULL,    -- encrypted
  business_phone TEXT NOT NULL,    -- encrypted
  industry TEXT NOT NULL,
  industry_detail TEXT,
  sido TEXT NOT NULL,
  sigungu TEXT NOT NULL,
  address TEXT NOT NULL,
  address_detail TEXT NOT NULL,
  valid_from INTEGER,              -- events (R-F9)
  valid_until INTEGER,
  created_at INTEGER NOT NULL,
  decided_by TEXT,
  decided_at INTEGER
);
-- R-F3: one number may register several times, each with its own detailed address.
CREATE UNIQUE INDEX facilities_number_detail ON facilities (business_number, address_detail) WHERE business_number IS NOT NULL;
CREATE INDEX facilities_review ON facilities (status, sido, sigungu);

CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  login_id TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'staff', 'approver')),
  facility_id TEXT REFERENCES facilities (id),
  description TEXT,                -- staff: "정문 입구 / main entrance"
  phone TEXT,                      -- owner: encrypted, for R-F3 notices
  sido TEXT,                       -- approver: jurisdiction
  sigungu TEXT,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  created_at INTEGER NOT NULL,
  removed_at INTEGER
);
CREATE INDEX accounts_facility ON accounts (facility_id);

-- Sessions are stored as credential hashes; `id` is the public handle for revocation.
CREATE TABLE sessions (
  hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX sessions_account ON sessions (account_id);

-- R-F4: phone verification codes (hashed) and the short-lived proof a verified phone yields.
CREATE TABLE phone_codes (
  phone_hash TEXT PRIMARY KEY,
  code_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  sent_at INTEGER NOT NULL
);
CREATE TABLE phone_proofs (
  hash TEXT PRIMARY KEY,
  phone TEXT NOT NULL,             -- encrypted
  expires_at INTEGER NOT NULL
);

-- R-F3: a one-time code sent to the earlier representative to report a bogus registration.
CREATE TABLE bogus_reports (
  hash TEXT PRIMARY KEY,
  facility_id TEXT NOT NULL REFERENCES facilities (id),
  created_at INTEGER NOT NULL,
  used_at INTEGER
);

-- Dev-only SMS outbox (shared/src/sms.ts), keyed by a keyed hash of the recipient.
CREATE TABLE dev_outbox (
  id INTEGER PRIMARY KEY,
  recipient TEXT,
  text TEXT,
  sent_at INTEGER
);
