-- Federation: what this relay knows of users homed on its peers, the durable
-- outbox per peer, conversation metadata versions, and per conversation the
-- version vector (origin relay -> highest contiguous origin sequence held).

-- The devices of a remote user, as its home relay last described them.
CREATE TABLE remote_devices (
  user             TEXT NOT NULL REFERENCES users(address),
  device_id        TEXT NOT NULL,
  identity_key     BLOB NOT NULL,             -- relay.v1.IdentityKey, serialized
  registered_at_ms INTEGER NOT NULL,
  PRIMARY KEY (user, device_id)
) WITHOUT ROWID;

-- Events waiting for a peer, in id order; deleted when the peer acks them.
CREATE TABLE outbox (
  peer  TEXT NOT NULL,
  id    INTEGER NOT NULL,
  event BLOB NOT NULL,                        -- relay.v1.FederationEvent, serialized
  queued_at_ms INTEGER NOT NULL,              -- for the replication lag `relay peers` shows
  PRIMARY KEY (peer, id)
) WITHOUT ROWID;

-- The last outbox id handed out per peer (ids never repeat, even once deleted).
CREATE TABLE outbox_heads (
  peer    TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
) WITHOUT ROWID;

-- Metadata version, bumped by the owning relay on every change.
ALTER TABLE conversations ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE version_vectors (
  conversation_id TEXT NOT NULL,
  origin_relay    TEXT NOT NULL,
  contiguous_seq  INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, origin_relay)
) WITHOUT ROWID;

-- One message per origin position: the idempotent-apply key.
CREATE UNIQUE INDEX messages_origin ON messages(conversation_id, origin_relay, origin_seq);
