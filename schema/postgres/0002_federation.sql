-- Federation: what this region knows of users homed on its peers, the
-- durable outbox per peer, conversation metadata versions, and per
-- conversation the version vector (origin relay -> highest contiguous origin
-- sequence held). The same facts as the embedded schema's 0002.

-- The devices of a remote user, as its home relay last described them.
CREATE TABLE remote_devices (
  user_address     text NOT NULL REFERENCES users(address),
  device_id        text NOT NULL,
  identity_key     bytea NOT NULL,                 -- relay.v1.IdentityKey, serialized
  registered_at_ms bigint NOT NULL,
  PRIMARY KEY (user_address, device_id)
);

-- Events waiting for a peer; deleted by id when the peer acks them. Ids come
-- from one sequence: within a conversation they follow commit order (its row
-- lock), which is the order that matters.
CREATE TABLE outbox (
  peer         text NOT NULL,
  id           bigserial NOT NULL,
  event        bytea NOT NULL,                     -- relay.v1.FederationEvent, serialized
  queued_at_ms bigint NOT NULL,
  PRIMARY KEY (peer, id)
);

-- Metadata version, bumped by the owning relay on every change.
ALTER TABLE conversations ADD COLUMN version bigint NOT NULL DEFAULT 0;

CREATE TABLE version_vectors (
  conversation_id text NOT NULL,
  origin_relay    text NOT NULL,
  contiguous_seq  bigint NOT NULL,
  PRIMARY KEY (conversation_id, origin_relay)
);

-- One message per origin position: the idempotent-apply key.
CREATE UNIQUE INDEX messages_origin ON messages(conversation_id, origin_relay, origin_seq);

-- Which node of the region streams a peer's outbox: one at a time, on a lease
-- it renews while it runs; another node takes over once the lease lapses.
CREATE TABLE outbox_senders (
  peer           text PRIMARY KEY,
  node           text NOT NULL,
  lease_until_ms bigint NOT NULL
);
