-- Relay region schema (PostgreSQL). The same model as the embedded SQLite
-- schema; see docs/region.md for how sequence numbers and cursors are
-- allocated without gaps across nodes.
CREATE TABLE users (
  address        text PRIMARY KEY,                 -- user@domain
  created_at_ms  bigint NOT NULL
);

CREATE TABLE devices (
  user_address        text NOT NULL REFERENCES users(address),
  device_id           text NOT NULL,
  fingerprint         bytea NOT NULL UNIQUE,         -- SHA-256 of the TLS key (SPKI DER)
  registered_at_ms    bigint NOT NULL,
  identity_signing    bytea NOT NULL,
  identity_agreement  bytea NOT NULL,
  signed_prekey_id    bigint NOT NULL,
  signed_prekey       bytea NOT NULL,
  signed_prekey_sig   bytea NOT NULL,
  kem_last_resort_id  bigint NOT NULL,
  kem_last_resort     bytea NOT NULL,
  kem_last_resort_sig bytea NOT NULL,
  mailbox_head        bigint NOT NULL DEFAULT 0,     -- last cursor written; the row lock orders appends
  acked_cursor        bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (user_address, device_id)
);

CREATE TABLE one_time_prekeys (
  user_address text NOT NULL,
  device_id    text NOT NULL,
  kind         smallint NOT NULL,                  -- 0: X25519, 1: ML-KEM-768
  key_id       bigint NOT NULL,
  public_key   bytea NOT NULL,
  signature    bytea,
  PRIMARY KEY (user_address, device_id, kind, key_id),
  FOREIGN KEY (user_address, device_id) REFERENCES devices(user_address, device_id)
);

CREATE TABLE invites (
  code           text PRIMARY KEY,
  created_at_ms  bigint NOT NULL,
  used_by        text
);

CREATE TABLE link_codes (
  code           text PRIMARY KEY,
  user_address   text NOT NULL REFERENCES users(address),
  expires_at_ms  bigint NOT NULL
);

CREATE TABLE conversations (
  id                text PRIMARY KEY,
  kind              smallint NOT NULL,             -- 1: direct, 2: group
  name              text NOT NULL DEFAULT '',
  direct_key        text UNIQUE,                   -- "a|b", sorted, for direct conversations
  home_relay        text NOT NULL,
  created_by        text NOT NULL,
  created_at_ms     bigint NOT NULL,
  last_activity_ms  bigint NOT NULL,
  last_seq          bigint NOT NULL DEFAULT 0,     -- the row lock orders sends
  last_origin_seq   bigint NOT NULL DEFAULT 0
);
CREATE INDEX conversations_by_activity ON conversations(last_activity_ms DESC, id DESC);

CREATE TABLE members (
  conversation_id text NOT NULL REFERENCES conversations(id),
  user_address    text NOT NULL REFERENCES users(address),
  role            smallint NOT NULL,               -- 1: member, 2: admin
  joined_at_ms    bigint NOT NULL,
  last_read_seq   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_address)
);
CREATE INDEX members_by_user ON members(user_address, conversation_id);

-- Messages: partitioned by conversation (hash), clustered by seq within it
-- (the primary key), as the seed design lays them out.
CREATE TABLE messages (
  conversation_id text NOT NULL,
  seq             bigint NOT NULL,
  message_id      text NOT NULL,
  sender_user     text NOT NULL,
  sender_device   text NOT NULL,
  hlc             bigint NOT NULL,
  origin_relay    text NOT NULL,
  origin_seq      bigint NOT NULL,
  sent_at_ms      bigint NOT NULL,
  PRIMARY KEY (conversation_id, seq)
) PARTITION BY HASH (conversation_id);
CREATE INDEX messages_display ON messages(conversation_id, hlc, origin_relay, origin_seq);
CREATE UNIQUE INDEX messages_by_sender ON messages(conversation_id, sender_user, sender_device, message_id);

-- Dedup across conversations: (sender device, message_id) is unique. A
-- partitioned table cannot hold that index, so it lives here.
CREATE TABLE message_ids (
  sender_user     text NOT NULL,
  sender_device   text NOT NULL,
  message_id      text NOT NULL,
  conversation_id text NOT NULL,
  PRIMARY KEY (sender_user, sender_device, message_id)
);

-- One sealed ciphertext per recipient device; kept for history.
CREATE TABLE copies (
  conversation_id  text NOT NULL,
  seq              bigint NOT NULL,
  recipient_user   text NOT NULL,
  recipient_device text NOT NULL,
  ciphertext       bytea NOT NULL,
  PRIMARY KEY (conversation_id, seq, recipient_user, recipient_device)
) PARTITION BY HASH (conversation_id);

DO $$
BEGIN
  FOR i IN 0..15 LOOP
    EXECUTE format('CREATE TABLE messages_p%s PARTITION OF messages FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
    EXECUTE format('CREATE TABLE copies_p%s PARTITION OF copies FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
  END LOOP;
END $$;

-- Each device's append-only log, laid out for its one read — "everything
-- after cursor C for device D" — as one range scan of the primary key with
-- no join: an entry carries what its frame needs (the envelope's fields and
-- ciphertext, or the receipt's). The ciphertext is also in `copies` for
-- history; here it lives only until the device acknowledges the entry, when
-- the row is pruned.
CREATE TABLE mailbox (
  user_address    text NOT NULL,
  device_id       text NOT NULL,
  cursor          bigint NOT NULL,
  kind            smallint NOT NULL,               -- 0: envelope, 1: receipt
  conversation_id text NOT NULL,
  seq             bigint NOT NULL,
  message_id      text NOT NULL,
  sender          text NOT NULL DEFAULT '',        -- envelope: user@domain/device
  sender_user     text NOT NULL DEFAULT '',        -- envelope: user@domain (for delivered receipts)
  hlc             bigint NOT NULL DEFAULT 0,
  origin_relay    text NOT NULL DEFAULT '',
  origin_seq      bigint NOT NULL DEFAULT 0,
  sent_at_ms      bigint NOT NULL DEFAULT 0,
  ciphertext      bytea,
  receipt_status  smallint NOT NULL DEFAULT 0,
  receipt_by      text NOT NULL DEFAULT '',
  receipt_at_ms   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (user_address, device_id, cursor)
);
