-- Relay embedded schema (SQLite, WAL). Users, devices and their public keys,
-- conversations, messages with their sealed copies, and per-device mailboxes.
CREATE TABLE users (
  address        TEXT PRIMARY KEY,            -- user@domain
  created_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE devices (
  user                TEXT NOT NULL REFERENCES users(address),
  device_id           TEXT NOT NULL,
  fingerprint         BLOB NOT NULL UNIQUE,   -- SHA-256 of the TLS key (SPKI DER)
  registered_at_ms    INTEGER NOT NULL,
  identity_signing    BLOB NOT NULL,
  identity_agreement  BLOB NOT NULL,
  signed_prekey_id    INTEGER NOT NULL,
  signed_prekey       BLOB NOT NULL,
  signed_prekey_sig   BLOB NOT NULL,
  kem_last_resort_id  INTEGER NOT NULL,
  kem_last_resort     BLOB NOT NULL,
  kem_last_resort_sig BLOB NOT NULL,
  mailbox_head        INTEGER NOT NULL DEFAULT 0,  -- last cursor written to the mailbox
  acked_cursor        INTEGER NOT NULL DEFAULT 0,  -- last cursor the device acknowledged
  PRIMARY KEY (user, device_id)
) WITHOUT ROWID;

CREATE TABLE one_time_prekeys (
  user       TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  kind       INTEGER NOT NULL,                -- 0: X25519, 1: ML-KEM-768
  key_id     INTEGER NOT NULL,
  public_key BLOB NOT NULL,
  signature  BLOB,                            -- KEM prekeys only
  PRIMARY KEY (user, device_id, kind, key_id),
  FOREIGN KEY (user, device_id) REFERENCES devices(user, device_id)
) WITHOUT ROWID;

CREATE TABLE invites (
  code           TEXT PRIMARY KEY,
  created_at_ms  INTEGER NOT NULL,
  used_by        TEXT
) WITHOUT ROWID;

CREATE TABLE link_codes (
  code           TEXT PRIMARY KEY,
  user           TEXT NOT NULL REFERENCES users(address),
  expires_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE conversations (
  id                TEXT PRIMARY KEY,
  kind              INTEGER NOT NULL,         -- 1: direct, 2: group
  name              TEXT NOT NULL DEFAULT '',
  direct_key        TEXT UNIQUE,              -- "a|b", sorted, for direct conversations
  home_relay        TEXT NOT NULL,
  created_by        TEXT NOT NULL,
  created_at_ms     INTEGER NOT NULL,
  last_activity_ms  INTEGER NOT NULL,
  last_seq          INTEGER NOT NULL DEFAULT 0,  -- last local sequence number
  last_origin_seq   INTEGER NOT NULL DEFAULT 0   -- last origin_seq this relay issued here
) WITHOUT ROWID;
CREATE INDEX conversations_by_activity ON conversations(last_activity_ms DESC, id DESC);

CREATE TABLE members (
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  user            TEXT NOT NULL REFERENCES users(address),
  role            INTEGER NOT NULL,           -- 1: member, 2: admin
  joined_at_ms    INTEGER NOT NULL,
  last_read_seq   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user, conversation_id);

-- Messages, clustered by (conversation, seq): the seed's access pattern.
CREATE TABLE messages (
  conversation_id TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  message_id      TEXT NOT NULL,
  sender_user     TEXT NOT NULL,
  sender_device   TEXT NOT NULL,
  hlc             INTEGER NOT NULL,
  origin_relay    TEXT NOT NULL,
  origin_seq      INTEGER NOT NULL,
  sent_at_ms      INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_dedup ON messages(sender_user, sender_device, message_id);
CREATE INDEX messages_display ON messages(conversation_id, hlc, origin_relay, origin_seq);

-- One sealed ciphertext per recipient device; kept for history.
CREATE TABLE copies (
  conversation_id  TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  recipient_user   TEXT NOT NULL,
  recipient_device TEXT NOT NULL,
  ciphertext       BLOB NOT NULL,
  PRIMARY KEY (conversation_id, seq, recipient_user, recipient_device)
) WITHOUT ROWID;

-- Each device's append-only log; rows at or below the acked cursor are pruned.
CREATE TABLE mailbox (
  user            TEXT NOT NULL,
  device_id       TEXT NOT NULL,
  cursor          INTEGER NOT NULL,
  kind            INTEGER NOT NULL,           -- 0: envelope, 1: receipt
  conversation_id TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  receipt_status  INTEGER NOT NULL DEFAULT 0,
  receipt_by      TEXT NOT NULL DEFAULT '',
  receipt_at_ms   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user, device_id, cursor)
) WITHOUT ROWID;
