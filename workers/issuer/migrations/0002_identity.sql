-- Identity (R-U2, R-U3, R-I1): who a user is, what they consented to, which
-- devices may ask for QR codes. No plaintext name or phone: *_enc columns are
-- AES-GCM under FIELD_KEY, *_hash columns are HMAC-SHA256 under LOOKUP_KEY.

-- One row per verified person. user_ref is the 16-byte reference sealed into
-- every QR handle (hex); phone_hash is the look-up (one account per phone).
CREATE TABLE users (
  user_ref TEXT PRIMARY KEY,
  phone_hash TEXT NOT NULL UNIQUE,
  phone_enc TEXT NOT NULL,
  name_enc TEXT NOT NULL,
  birth_date_enc TEXT NOT NULL,
  -- R-U3: when the user turns 14 (ms); NULL if 14 or older at enrolment.
  minor_until INTEGER,
  created_at INTEGER NOT NULL
);

-- R-U3: a legal guardian's own verified phone and consent, once per child.
CREATE TABLE guardian_consents (
  user_ref TEXT PRIMARY KEY REFERENCES users (user_ref),
  guardian_phone_hash TEXT NOT NULL,
  guardian_phone_enc TEXT NOT NULL,
  guardian_name_enc TEXT NOT NULL,
  consented_at INTEGER NOT NULL
);

-- R-U2: every consent, one row per purpose (collection/use and third-party
-- provision are separate), with the exact text version and its hash.
CREATE TABLE consent_records (
  id INTEGER PRIMARY KEY,
  user_ref TEXT NOT NULL REFERENCES users (user_ref),
  given_by TEXT NOT NULL CHECK (given_by IN ('self', 'guardian')),
  purpose TEXT NOT NULL CHECK (purpose IN ('collection_use', 'third_party')),
  text_version TEXT NOT NULL,
  text_sha256 TEXT NOT NULL,
  agreed_at INTEGER NOT NULL
);
CREATE INDEX consent_records_user ON consent_records (user_ref);

-- SMS verification (R-U2): 6-digit code (keyed hash), 3-minute life, 5 tries.
CREATE TABLE phone_verifications (
  id TEXT PRIMARY KEY,
  phone_hash TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  used_at INTEGER
);
CREATE INDEX phone_verifications_phone ON phone_verifications (phone_hash, created_at);

-- Device credentials (R-U2): long-lived, revocable, stored as SHA-256 only.
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  user_ref TEXT NOT NULL REFERENCES users (user_ref),
  credential_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX devices_user ON devices (user_ref);

-- Local stack only (DevOutbox): recipient is a keyed hash, never the number.
CREATE TABLE dev_outbox (
  id INTEGER PRIMARY KEY,
  recipient TEXT NOT NULL,
  text TEXT NOT NULL,
  sent_at INTEGER NOT NULL
);
CREATE INDEX dev_outbox_recipient ON dev_outbox (recipient, id);
